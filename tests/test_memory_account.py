"""The whole memory bill of a training step (issue 11, item 5), against bytes counted by hand."""
import pytest
import torch

import sciml_teach as st
from sciml_teach.experiments.memory_runs import policy_memory_accounts, strategy_memory_accounts

B = 10  # batch


def _stack(dtype=torch.float32):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).to(dtype)


def _account(model, optimizer, policy="fp32"):
    x = torch.randn(B, 3)

    def loss_fn(m):
        return m(x.to(st.param_dtype(m))).float().square().mean()
    step = st.TrainStep(model, loss_fn, policy, optimizer=optimizer)
    return st.memory_account(model, optimizer, step, "cpu")


def test_a_linear_stack_with_adam_matches_bytes_counted_by_hand():
    model = _stack()
    account = _account(model, torch.optim.Adam(model.parameters()))
    n = 3 * 16 + 16 + 16 * 1 + 1                     # 81 weights and biases
    assert account.param_bytes == 4 * n and account.grad_bytes == 4 * n
    assert account.optimizer_bytes == 2 * 4 * n + 4 * 4  # exp_avg, exp_avg_sq; a float32 step each
    # saved for backward: the input x (B, 3), tanh's output (B, 16) -- also the second layer's
    # input --, the output (B, 1) squared by the loss; the second weight is a parameter, counted once
    assert account.activation_bytes == 4 * B * (3 + 16 + 1)
    assert account.weight_copy_bytes == 0 and account.cuda_peak_bytes is None
    assert account.total == sum(account.parts().values()) == 16 * n + 4 * 4 + 4 * B * 20


def test_the_optimizer_state_is_counted():
    """SGD without momentum keeps nothing; Adam keeps two moments per weight."""
    sgd_model, adam_model = _stack(), _stack()
    sgd = _account(sgd_model, torch.optim.SGD(sgd_model.parameters(), lr=1e-3))
    adam = _account(adam_model, torch.optim.Adam(adam_model.parameters()))
    assert sgd.optimizer_bytes == 0
    assert adam.optimizer_bytes == 2 * adam.param_bytes + 4 * 4
    momentum_model = _stack()
    momentum = _account(momentum_model, torch.optim.SGD(momentum_model.parameters(), lr=1e-3, momentum=0.9))
    assert momentum.optimizer_bytes == momentum.param_bytes   # one buffer per weight


def test_shared_weights_are_counted_once():
    layer = torch.nn.Linear(4, 4)
    model = torch.nn.Sequential(layer, torch.nn.Tanh(), layer)   # the same parameters twice
    account = _account_4(model)
    assert account.param_bytes == 4 * (16 + 4)


def _account_4(model):
    x = torch.randn(B, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    return st.memory_account(model, optimizer, st.TrainStep(model, lambda m: m(x).square().mean(),
                                                            optimizer=optimizer), "cpu")


def test_per_policy_on_the_lesson_03_pinn():
    acc = policy_memory_accounts()
    fp32 = acc["fp32"]
    assert set(acc) == {"fp32", "fp16", "bf16", "amp-fp16", "amp-bf16"}
    for name in ["fp16", "bf16"]:                       # pure 16-bit: every part in 2 bytes
        assert acc[name].param_bytes * 2 == fp32.param_bytes
        assert acc[name].grad_bytes * 2 == fp32.grad_bytes
        assert acc[name].activation_bytes / fp32.activation_bytes == pytest.approx(0.5, rel=0.01)
    n_tensors = 8                                        # 4 weights + 4 biases: a step counter each
    assert acc["bf16"].optimizer_bytes == 2 * acc["bf16"].param_bytes + 4 * n_tensors
    for name in ["amp-fp16", "amp-bf16"]:
        a = acc[name]
        # float32 master weights: parameters, gradients and Adam's moments cost what fp32's do ...
        assert (a.param_bytes, a.grad_bytes, a.optimizer_bytes) == (
            fp32.param_bytes, fp32.grad_bytes, fp32.optimizer_bytes)
        # ... plus a 16-bit copy of each weight matrix (1x32, 32x32, 32x32, 32x1) kept for backward
        assert a.weight_copy_bytes == 2 * (32 + 32 * 32 * 2 + 32)
        assert a.activation_bytes / fp32.activation_bytes == pytest.approx(0.5, rel=0.01)
        assert a.total > acc["bf16"].total              # AMP never beats pure 16-bit on memory


def test_per_strategy_parameters_agree_and_zcs_saves_activations():
    acc = strategy_memory_accounts(n_functions=8, n_points=200, width=32)
    assert set(acc) == set(st.STRATEGIES)
    params = {(a.param_bytes, a.grad_bytes, a.optimizer_bytes) for a in acc.values()}
    assert len(params) == 1                               # the same model and Adam everywhere
    assert acc["zcs"].activation_bytes < acc["datavect"].activation_bytes / 2


def test_rows_round_trip_and_older_rows_have_no_account():
    account = st.MemoryAccount(1, 2, 3, 4, 5)
    row = {"policy": "fp32", **account.as_row()}
    assert row["total_bytes"] == 15 and row["cuda_peak_bytes"] is None
    assert st.MemoryAccount.from_row(row) == account
    assert st.MemoryAccount.from_row({"policy": "fp32", "memory_bytes": 100}) is None


def test_bench_rows_carry_the_account_columns(tmp_path):
    import json
    from sciml_teach.bench.__main__ import main
    from sciml_teach.memory_account import ACCOUNT_COLUMNS
    out = tmp_path / "p.json"
    assert main(["precision", "--quick", "--device", "cpu", "--steps", "3",
                 "--policies", "fp32,amp-bf16", "--json", str(out)]) == 0
    rows = {r["policy"]: r for r in json.loads(out.read_text())["rows"]}
    assert all(set(ACCOUNT_COLUMNS) <= set(r) for r in rows.values())
    assert rows["amp-bf16"]["param_bytes"] == rows["fp32"]["param_bytes"] > 0
    assert rows["amp-bf16"]["cuda_peak_bytes"] is None        # a CPU run
    out = tmp_path / "z.json"
    assert main(["zcs", "--quick", "--device", "cpu", "--problems", "plate", "--strategies",
                 "zcs,funcloop", "--width", "16", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert rows and all(st.MemoryAccount.from_row(r).optimizer_bytes > 0 for r in rows)


def test_results_written_before_the_account_still_load():
    """docs/results holds GPU JSONs without the new columns: the summary reads them unchanged."""
    from pathlib import Path
    from sciml_teach.bench.summary import course_map_gpu_cells, load_results, target_lines
    folder = Path(__file__).parent.parent / "docs" / "results"
    gpu, docs = load_results(folder)
    assert docs, "docs/results should hold measured runs"
    assert len(target_lines(docs)) == 10 and course_map_gpu_cells(gpu, docs)
    rows = [r for doc in docs.values() for r in doc["rows"]]
    assert all(st.MemoryAccount.from_row(r) is None for r in rows if "param_bytes" not in r)


def test_memory_bars_stack_every_part_and_mark_a_cuda_peak():
    from sciml_teach.viz.render import to_png
    accounts = {"fp32": st.MemoryAccount(4096, 4096, 8192, 0, 3 * 2**20),
                "amp-bf16": st.MemoryAccount(4096, 4096, 8192, 2048, 3 * 2**19, cuda_peak_bytes=2**21)}
    fig = st.memory_bars(accounts, "one step")
    ax = fig.axes[0]
    assert to_png(fig).startswith(b"\x89PNG")
    assert ax.get_ylabel() == "MiB in one training step" and ax.get_yscale() == "linear"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "CUDA peak" in legend and "16-bit weight copies (autocast)" in legend
    assert len(legend) == 6                         # five parts and the peak
    tops = sorted(float(t.get_text()) for t in ax.texts)
    assert tops == pytest.approx(sorted(a.total / 2**20 for a in accounts.values()), rel=1e-2)
    table = st.account_table(accounts)
    assert "amp-bf16" in table and "3.0 MiB" in table and "2.0 MiB" in table


def test_kahan_bfloat16_costs_less_than_amp():
    """Pure bfloat16 + Kahan: 2 (weight) + 2 (gradient) + 4 (Adam) + 2 (compensation) = 10 bytes
    per weight; AMP: 4 + 4 + 8 + 2 (the half copy) = 18 for the weight matrices."""
    problem = st.Poisson1D()
    kahan = st.pinn_step_account(problem, "bf16", make_optimizer=st.remedy_optimizer("kahan", 1e-3, 1e-8))
    amp, plain = st.pinn_step_account(problem, "amp-bf16"), st.pinn_step_account(problem, "bf16")
    assert kahan.optimizer_bytes == plain.optimizer_bytes + plain.param_bytes   # + one buffer
    weights = kahan.param_bytes + kahan.grad_bytes + kahan.optimizer_bytes
    assert weights < 0.7 * (amp.param_bytes + amp.grad_bytes + amp.optimizer_bytes + amp.weight_copy_bytes)
