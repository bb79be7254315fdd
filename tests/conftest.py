"""Shared test settings: quick mode everywhere, a fixed seed before every test."""
import os

import pytest
import torch

os.environ.setdefault("SCIML_TEACH_QUICK", "1")
os.environ.setdefault("SCIML_TEACH_ATTEMPTS", "0")  # checks record no attempt files in the repository

# Under pytest-xdist (`-n 2`, the README's test command) every worker gets one torch thread: two
# workers with torch's default of one thread per core would oversubscribe a 2-core machine, and
# spinning threads then wait for each other (up to 80x slower: sciml_teach/threads.py).
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    os.environ["OMP_NUM_THREADS"] = "1"      # notebook kernels started from this worker inherit it
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
