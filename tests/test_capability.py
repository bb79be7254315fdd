"""The capability report measures what it says, and says when its numbers cannot be trusted."""
import torch

import sciml_teach as st
from sciml_teach import capability


def test_cpu_report_times_one_core_and_restores_the_thread_count():
    threads = torch.get_num_threads()
    report = st.capability_report("cpu")
    assert torch.get_num_threads() == threads
    assert report.threads == threads and report.matmul_size == 256
    assert set(report.gflops) == {"float32", "float16", "bfloat16"}
    assert all(g > 0 for g in report.gflops.values())
    assert "one core" in str(report)


def test_notes_name_a_busy_machine_and_a_wasted_cuda_build(monkeypatch):
    monkeypatch.setattr(capability, "_nvidia_gpu_present", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)   # a CPU build, timings steady: no notes
    assert capability._notes(torch.device("cpu"), {"float32": 0.1}) == ()
    notes = capability._notes(torch.device("cpu"), {"float32": 3.0})
    assert any("busy" in n for n in notes)
    monkeypatch.setattr(torch.version, "cuda", "12.8")
    notes = capability._notes(torch.device("cpu"), {"float32": 0.1})
    assert any("CUDA build" in n for n in notes)


def test_notes_name_a_cpu_build_on_a_machine_with_an_nvidia_gpu(monkeypatch):
    """The reverse of a wasted CUDA build: the CPU wheel installed where a GPU sits idle."""
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(capability, "_nvidia_gpu_present", lambda: True)
    notes = capability._notes(torch.device("cpu"), {"float32": 0.1})
    assert any("CPU build" in n and "NVIDIA GPU" in n for n in notes), notes
    monkeypatch.setattr(capability, "_nvidia_gpu_present", lambda: False)
    assert capability._notes(torch.device("cpu"), {"float32": 0.1}) == ()
    monkeypatch.setattr(capability, "_nvidia_gpu_present", lambda: True)
    monkeypatch.setattr(torch.version, "cuda", "12.8")  # a CUDA build: the GPU is not wasted by it
    assert not any("NVIDIA GPU" in n for n in capability._notes(torch.device("cpu"), {"float32": 0.1}))


def test_nvidia_probe_looks_for_the_driver_tool_and_proc_entry(monkeypatch):
    monkeypatch.setattr(capability.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    assert capability._nvidia_gpu_present()
    monkeypatch.setattr(capability.shutil, "which", lambda name: None)
    monkeypatch.setattr(capability, "Path", lambda p: type("P", (), {"exists": lambda self: False})())
    assert not capability._nvidia_gpu_present()


def test_report_names_the_ipywidgets_it_found(monkeypatch):
    """The Colab cell prints the report: a learner (or a teacher reading a screenshot) sees whether
    Colab's ipywidgets 7.7.1 or an 8.x is in use."""
    from importlib import metadata
    import re
    rows = dict(re.split(r"\s+: ", line, maxsplit=1) for line in str(st.capability_report("cpu")).splitlines()
                if " : " in line)
    assert rows["ipywidgets"] == metadata.version("ipywidgets")

    def missing(name):
        raise metadata.PackageNotFoundError(name)
    monkeypatch.setattr(capability.metadata, "version", missing)
    assert capability._ipywidgets_version().startswith("not installed")
