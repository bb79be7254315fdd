"""Every derivative strategy works on a user's own branch-trunk model, and DeepONetConfig reads
DeepXDE-style layer lists (issue 14)."""
import pytest
import torch
from torch import nn

import sciml_teach as st

REQUESTS = [(1, 0), (0, 1), (2, 0), (1, 1)]


class Sin(nn.Module):
    """A smooth, bounded last trunk layer."""

    def forward(self, x):
        return torch.sin(x)


class PlainBranchTrunk(nn.Module):
    """A learner's model: u(v, x) = sum_k b_k(v) t_k(x) in Cartesian-product form, (M, N)."""

    def __init__(self, m: int = 5, dims: int = 2, k: int = 6):
        super().__init__()
        self.b = nn.Sequential(nn.Linear(m, 16), nn.Tanh(), nn.Linear(16, k))
        self.t = nn.Sequential(nn.Linear(dims, 16), nn.Tanh(), nn.Linear(16, k), Sin())

    def forward(self, v, x):                        # (M, m), (N, D) -> (M, N)
        return self.b(v) @ self.t(x).T


class PairsBranchTrunk(PlainBranchTrunk):
    """The same model exposing the pair methods DataVect uses when they are there."""

    def branch_features(self, v):                   # (M, m) -> (M, 1, K)
        return self.b(v)[:, None]

    def trunk_features(self, x):                    # (N, D) -> (N, 1, K)
        return self.t(x)[:, None]

    def combine_pairs(self, b, t):                  # (B, 1, K), (B, 1, K) -> (B,)
        return (b * t).sum((-2, -1))


@pytest.mark.parametrize("model_cls", [PlainBranchTrunk, PairsBranchTrunk])
@pytest.mark.parametrize("name", ["funcloop", "datavect", "zcs"])
def test_every_strategy_agrees_with_forward_mode(model_cls, name):
    model = model_cls().double()
    v, x = torch.randn(3, 5, dtype=torch.float64), torch.rand(7, 2, dtype=torch.float64)
    reference = st.get_strategy("forward").fields(model, v, x, REQUESTS)
    fields = st.get_strategy(name).fields(model, v, x, REQUESTS)
    for r in [(0, 0), *REQUESTS]:
        assert fields[r].shape == (3, 7)
        torch.testing.assert_close(fields[r], reference[r], rtol=0, atol=1e-10)


def test_a_model_with_the_wrong_output_shape_is_named():
    class Flat(PlainBranchTrunk):
        def forward(self, v, x):
            return super().forward(v, x).reshape(-1)  # (M*N,): not Cartesian-product form
    with pytest.raises(ValueError, match=r"shape \(M, N\) = \(3, 7\)"):
        st.get_strategy("zcs").fields(Flat().double(), torch.randn(3, 5, dtype=torch.float64),
                                      torch.rand(7, 2, dtype=torch.float64), REQUESTS)


def test_branch_input_shape_is_checked_at_the_boundary():
    with pytest.raises(ValueError, match=r"\(M, m\)"):
        st.get_strategy("zcs").fields(PlainBranchTrunk(), torch.randn(5), torch.rand(7, 2), REQUESTS)


def test_deeponet_from_deepxde_layer_lists():
    model = st.DeepONet.from_layers(branch=[5, 12, 9, 4], trunk=[2, 7, 4])
    assert model.branch.layer_sizes == [5, 12, 9, 4] and model.trunk.layer_sizes == [2, 7, 4]
    assert model(torch.randn(3, 5), torch.rand(6, 2)).shape == (3, 6)
    config = st.DeepONetConfig.from_layers([5, 12, 4], [2, 4], activation="sin")
    assert (config.branch_hidden, config.trunk_hidden, config.activation) == ((12,), (), "sin")


@pytest.mark.parametrize("branch, trunk, match", [
    ([5, 8, 4], [2, 8, 3], "same number of features"), ([5], [2, 4], "at least"),
    ([5, 0, 4], [2, 4], "branch_hidden")])
def test_bad_layer_lists_are_clear_errors(branch, trunk, match):
    with pytest.raises(ValueError, match=match):
        st.DeepONetConfig.from_layers(branch, trunk)


@pytest.mark.parametrize("name", ["funcloop", "datavect", "zcs", "forward"])
def test_a_users_model_trains_with_every_strategy_through_the_public_step(name):
    # The learner's own model (no DeepONet, no pair methods), the physics-informed loss with a
    # fresh batch of functions each step, TrainStep as the loop body.
    problem = st.ReactionDiffusion(n_sensors=5, n_boundary=8)
    torch.manual_seed(0)
    model = PlainBranchTrunk(m=5)
    points = st.collocation_points(64)
    step = st.TrainStep(model, st.physics_loss(problem, name, None, points), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    losses = [step(problem.sample_branch(4, g)).item() for _ in range(40)]
    assert all(map(torch.isfinite, torch.tensor(losses)))
    assert sum(losses[-5:]) < sum(losses[:5]), f"{name}: the loss should fall ({losses[:3]} ... {losses[-3:]})"
