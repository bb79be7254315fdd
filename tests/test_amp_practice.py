"""The AMP-in-practice pieces (lesson 03) and same-start seeding (lessons 04, 07) against answers
worked out by hand."""
import pytest
import torch

import sciml_teach as st


def one_weight_step(unscale_first: bool, scale: float = 1024.0, max_norm: float = 1.0):
    """A single weight w = 0 with loss 3 w: the gradient is 3 (norm 3 > max_norm). SGD, lr 1."""
    w = torch.nn.Parameter(torch.zeros(1))
    model = torch.nn.Module()
    model.w = w
    optimizer = torch.optim.SGD([w], lr=1.0)
    scaler = torch.amp.GradScaler("cpu", init_scale=scale)
    used = st.clipped_step(model, optimizer, scaler, 3.0 * w.sum(), max_norm, unscale_first)
    return used, w.item()


def test_clipping_after_unscale_cuts_the_step_to_max_norm():
    used, w = one_weight_step(unscale_first=True)
    assert used == pytest.approx(1.0) and w == pytest.approx(-1.0)        # by hand: -lr * 1


def test_clipping_before_unscale_cuts_it_to_max_norm_over_the_scale():
    used, w = one_weight_step(unscale_first=False)
    assert used == pytest.approx(1.0 / 1024) and w == pytest.approx(-1.0 / 1024)


def test_train_seeds_runs_every_label_from_the_same_weights():
    torch.manual_seed(123)
    make = lambda: torch.nn.Linear(3, 1)
    starts = []

    def record(model):
        starts.append({k: v.clone() for k, v in model.state_dict().items()})
        return model.weight.square().sum()
    runs = {"a": (record, st.TrainConfig(steps=1)), "b": (record, st.TrainConfig(steps=1, lr=1e-2))}
    st.train_seeds(make, runs, seeds=[0, 1])
    assert st.same_weights(starts[0], starts[1]) and st.same_weights(starts[2], starts[3])
    assert not st.same_weights(starts[0], starts[2]), "another seed, other weights"


def test_train_seeds_refuses_a_model_shared_between_runs():
    shared = torch.nn.Linear(3, 1)                 # trained in place by the first run
    runs = {"a": (lambda m: m.weight.square().sum(), st.TrainConfig(steps=3)),
            "b": (lambda m: m.weight.square().sum(), st.TrainConfig(steps=3))}
    with pytest.raises(RuntimeError, match="initial weights differ"):
        st.train_seeds(lambda: shared, runs, seeds=[0])
