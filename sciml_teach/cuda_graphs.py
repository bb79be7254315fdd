"""One training step captured as a CUDA graph and replayed: for small models a GPU waits on.

A small network's step is hundreds of short kernels; on a GPU each costs a few microseconds to
launch from Python, so a step of a 2-32-32-32-1 PINN takes about as long on an H100 in float32 as
in float16 -- the card is idle between launches and AMP cannot speed that up. A CUDA graph
records the step's kernels once and replays them with one launch (PyTorch, "CUDA Graphs",
whole-network capture). Wrap a :class:`~sciml_teach.train_step.TrainStep`::

    step = st.CUDAGraphStep(st.TrainStep(model, loss_fn, policy="amp-bf16"))
    for _ in range(1000):
        loss = step()          # one replay: forward, backward and Adam's update

What a graph needs, and why each refusal below says so: the model on a CUDA GPU (a CPU runs
each operation as it is called: there is no launch to save); no GradScaler (its step reads
"were there inf gradients?" back to the host, which a capture forbids -- use ``amp-bf16`` or
``fp32``); an optimizer with a ``capturable`` mode (torch's Adam); and a ``loss_fn`` whose data
already lives on the GPU, with no ``.item()`` or host-to-device copy inside (a replay repeats
exactly the captured kernels on the same tensors). Introduced in notebooks/03_amp_recovery.ipynb.
"""
from __future__ import annotations

import torch

from .checks import check_int
from .train_step import TrainStep


class CUDAGraphStep:
    """``step``'s work captured once as a CUDA graph; each call replays it and returns the loss.

    Construction runs ``warmup`` real training steps on a side stream (they create the
    optimizer's state and let the libraries pick their kernels), then captures one more step.
    """

    def __init__(self, step: TrainStep, warmup: int = 3):
        check_int("warmup", warmup, minimum=1)
        if not isinstance(step, TrainStep):
            raise ValueError(f"CUDAGraphStep wraps a st.TrainStep, got {type(step).__name__}")
        if step.device.type != "cuda":
            raise ValueError(f"CUDAGraphStep needs a model on a CUDA GPU, got one on {step.device}: "
                             "a CPU runs each operation as it is called, so there is no kernel "
                             "launch to save; call the TrainStep itself")
        if step.scaler.is_enabled():
            raise ValueError(f"CUDAGraphStep cannot capture a GradScaler (policy "
                             f"{step.policy.name!r}): its step reads the inf check back to the "
                             "host. Use policy 'amp-bf16' (no loss scaling needed) or 'fp32'")
        _make_capturable(step.optimizer, step.device)
        self.step = step
        side = torch.cuda.Stream(step.device)
        side.wait_stream(torch.cuda.current_stream(step.device))
        with torch.cuda.stream(side):
            for _ in range(warmup):
                step()
        torch.cuda.current_stream(step.device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(self.graph):
                self._loss = step()                  # a tensor the replays write into
        except RuntimeError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ValueError(f"this step cannot be captured as a CUDA graph ({first}); usual causes: "
                             "loss_fn copies data from the CPU or calls .item() -- keep its data on "
                             "the GPU") from err

    def __call__(self) -> torch.Tensor:
        """One replay: forward, backward and the optimizer's update. Returns the loss (a copy:
        the next replay overwrites the graph's own tensor)."""
        self.graph.replay()
        return self._loss.clone()


def _make_capturable(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Switch torch's optimizer to its graph-safe mode (its step counter lives on the GPU)."""
    for group in optimizer.param_groups:
        if "capturable" not in group:
            raise ValueError(f"CUDAGraphStep needs an optimizer with a capturable mode (e.g. "
                             f"torch.optim.Adam), got {type(optimizer).__name__}")
        group["capturable"] = True
    for state in optimizer.state.values():   # a step already taken kept its counter on the CPU
        if torch.is_tensor(state.get("step")):
            state["step"] = state["step"].to(device, torch.float32)
