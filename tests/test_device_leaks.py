"""Data follows the model, checked without a GPU: build the model on PyTorch's ``meta`` device.

A meta tensor has a shape and a dtype but no data, and any operation that meets a CPU tensor
raises "Tensor on device cpu is not on the expected device meta". So a loss or residual that
forgets to move one of its tensors to the model's device -- exactly what would crash on a GPU --
fails here, on the CPU, naming the operation. (Autocast and complex FFTs do not run on meta; the
FNO is covered by tests/test_cuda.py on a GPU instead.)
"""
import pytest
import torch

import sciml_teach as st

META = torch.device("meta")


def _on_meta(model: torch.nn.Module) -> torch.nn.Module:
    return model.to(META)


@pytest.mark.parametrize("make", [st.Poisson1D, st.BurgersPINN], ids=["poisson1d", "burgers"])
def test_pinn_loss_and_residual_stay_on_the_models_device(make):
    problem = make(n_collocation=64)
    model = _on_meta(problem.make_model())
    loss = problem.loss(model)                      # residual, boundary and initial terms
    assert loss.device == META and loss.dim() == 0


@pytest.mark.parametrize("strategy", list(st.STRATEGIES))
@pytest.mark.parametrize("name", list(st.OPERATOR_PROBLEMS))
def test_operator_losses_stay_on_the_models_device(name, strategy):
    problem = st.get_operator_problem(name)
    g = torch.Generator().manual_seed(0)
    branch = problem.sample_branch(3, g)                                  # (M, m), CPU float64
    points = st.collocation_points(20, problem.coord_dims, g)             # (N, D), CPU float64
    torch.manual_seed(0)
    model = _on_meta(st.DeepONet(st.DeepONetConfig(n_sensors=problem.n_sensors,
                                                   coord_dims=problem.coord_dims, width=16,
                                                   n_features=16)))
    loss = st.physics_loss(problem, strategy, branch, points)(model)
    assert loss.device == META and loss.dim() == 0
    fields = st.get_strategy(strategy).fields(model, branch.to(META, torch.float32),
                                              points.to(META, torch.float32), problem.requests)
    assert all(f.device == META and f.shape == (3, 20) for f in fields.values())


def test_data_loss_stays_on_the_models_device():
    problem = st.ReactionDiffusion()
    branch = problem.sample_branch(3)
    points = st.collocation_points(20)
    target = torch.zeros(3, 20, dtype=torch.float64)
    model = _on_meta(st.DeepONet(st.DeepONetConfig(n_sensors=problem.n_sensors, width=16,
                                                   n_features=16)))
    assert st.data_loss(branch, points, target)(model).device == META


def test_a_cpu_tensor_in_a_loss_is_caught():
    # The check itself must be able to fail: a loss that forgets to move its data is rejected.
    problem = st.Poisson1D(n_collocation=16)
    model = _on_meta(problem.make_model())
    with pytest.raises(ValueError, match="on cpu but the model is on meta"):
        model(problem.x.float())  # the stored points are on the CPU: the model names them
