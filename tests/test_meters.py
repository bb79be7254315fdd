import pytest
import torch

import sciml_teach as st


def _mlp_step(model, x, policy, second_derivative=False):
    def step():
        with st.get_policy(policy).autocast_context("cpu"):
            xr = x.clone().requires_grad_(True)
            u = model(xr)
            out = u.float().square().mean()
            if second_derivative:
                g = torch.autograd.grad(u.sum(), xr, create_graph=True)[0]
                out = out + torch.autograd.grad(g.sum(), xr, create_graph=True)[0].float().square().mean()
        out.backward()
    return step


@pytest.mark.parametrize("second_derivative", [False, True])
@pytest.mark.parametrize("policy", ["amp-fp16", "amp-bf16"])
def test_saved_bytes_halve_under_16_bit_autocast(policy, second_derivative):
    model = st.MLP([2, 64, 64, 64, 1])
    x = torch.rand(512, 2)
    full = st.saved_bytes(_mlp_step(model, x, "fp32", second_derivative))
    half = st.saved_bytes(_mlp_step(model, x, policy, second_derivative))
    assert full / half == pytest.approx(2.0, rel=0.02)


def test_saved_bytes_are_deterministic():
    model, x = st.MLP([2, 32, 1]), torch.rand(100, 2)
    assert st.saved_bytes(_mlp_step(model, x, "fp32")) == st.saved_bytes(_mlp_step(model, x, "fp32"))


def test_views_of_one_storage_count_once():
    x = torch.rand(1000, requires_grad=True)
    with st.SavedTensorMeter() as meter:
        y = x * 2
        (y[:500] * y[500:]).sum()  # saves two views of y's storage
    assert meter.bytes == 1000 * 4  # y once; the constant 2 saves nothing


def test_measure_memory_on_cpu_is_autograd_saved():
    x = torch.rand(10, requires_grad=True)
    reading = st.measure_memory(lambda: (x.sin()).sum().backward(), "cpu")
    assert reading.kind == "autograd_saved" and reading.bytes == 40
    assert st.memory_kind("cpu") == "autograd_saved"


def test_time_fn_and_its_errors():
    stats = st.time_fn(lambda: sum(range(1000)), repeats=3)
    assert stats.repeats == 3 and 0 < stats.min_s <= stats.median_s <= stats.max_s
    with pytest.raises(ValueError):
        st.time_fn(lambda: None, repeats=0)


def test_format_bytes():
    assert st.format_bytes(512) == "512 B"
    assert st.format_bytes(1536) == "1.5 KiB"
    assert st.format_bytes(3 * 2**30) == "3.0 GiB"


def test_a_buffer_freed_inside_the_block_is_not_taken_for_a_duplicate():
    # Each graph is dropped at once; without the meter holding the saved storages, the allocator
    # would hand the same address to the next exp() output and it would be counted only once.
    with st.SavedTensorMeter() as meter:
        for _ in range(3):
            x = torch.rand(1000, requires_grad=True)
            x.exp().sum()  # exp saves its (1000,) float32 output: 4000 bytes
    assert meter.bytes == 3 * 4000
