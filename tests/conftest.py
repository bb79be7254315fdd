"""Shared test settings: quick mode everywhere, one thread (CI machines have 2 cores)."""
import os

import pytest
import torch

os.environ.setdefault("SCIML_TEACH_QUICK", "1")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
