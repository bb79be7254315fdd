"""docs/custom_loop.md's code runs (quick mode): the python blocks, in order, in one namespace."""
import re
from pathlib import Path

import torch

DOC = Path(__file__).parents[1] / "docs" / "custom_loop.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_custom_loop_example_runs(capsys):
    blocks = _python_blocks(DOC.read_text())
    assert len(blocks) == 2, "docs/custom_loop.md should hold the loop and its plain-PyTorch twin"
    assert len(blocks[0].splitlines()) <= 25, "the example loop should stay short"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    assert torch.isfinite(namespace["loss"]), "the example's loss should be finite"
    assert "loss" in capsys.readouterr().out
