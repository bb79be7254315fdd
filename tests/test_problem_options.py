"""ReactionDiffusion's boundary points and source are parameters with today's defaults (issue 14)."""
import dataclasses

import pytest
import torch

import sciml_teach as st


def _model():
    return st.DeepONet(st.DeepONetConfig(n_sensors=50, width=8, depth=1, n_features=4)).double()


@pytest.mark.parametrize("name", ["reaction_diffusion", "burgers", "plate"])
def test_boundary_points_are_a_parameter_with_todays_default(name):
    default, zcs = st.get_operator_problem(name), st.get_strategy("zcs")
    v = default.sample_branch(2)
    model = st.DeepONet(st.DeepONetConfig(n_sensors=v.shape[1], width=8, depth=1,
                                          n_features=4)).double()
    assert torch.equal(default.boundary_loss(model, zcs, v), default.boundary_loss(model, zcs, v, 50))
    fine = dataclasses.replace(default, n_boundary=7)
    assert torch.equal(fine.boundary_loss(model, zcs, v), default.boundary_loss(model, zcs, v, 7))
    with pytest.raises(ValueError, match="n_boundary"):
        dataclasses.replace(default, n_boundary=1)


def test_a_source_function_replaces_the_interpolated_sensors():
    def doubled(branch, x):                          # (M, m), (N,) -> (M, N)
        return 2 * st.problems.reaction_diffusion.interp_1d(branch, x)
    v, x = st.ReactionDiffusion().sample_branch(2), torch.rand(5, 2, dtype=torch.float64)
    custom = st.ReactionDiffusion(source_fn=doubled)
    assert torch.equal(custom.source(v, x), 2 * st.ReactionDiffusion().source(v, x))
    points, u = custom.reference(v, nx=11, nt=5)
    _, u_default = st.ReactionDiffusion().reference(v, nx=11, nt=5)
    assert not torch.allclose(u, u_default), "the reference solver must use the given source"


def test_physics_loss_weights_the_boundary():
    problem, model = st.ReactionDiffusion(), _model()
    v, x = problem.sample_branch(2), st.collocation_points(10)
    residual = st.residual_loss(problem, "zcs", v, x)(model)
    boundary = problem.boundary_loss(model, st.get_strategy("zcs"), v)
    weighted = st.physics_loss(problem, "zcs", v, x, boundary_weight=10.0)(model)
    torch.testing.assert_close(weighted, residual + 10.0 * boundary)


@pytest.mark.parametrize("fields, match", [({"n_boundary": 1}, "n_boundary"),
                                           ({"diffusivity": -1.0}, "diffusivity")])
def test_bad_parameters_are_clear_errors(fields, match):
    with pytest.raises(ValueError, match=match):
        st.ReactionDiffusion(**fields)
