"""Benchmarks: the papers' tables, measured on your hardware.

``python -m sciml_teach.bench NAME [--quick] [--device auto|cpu|cuda] [--json PATH]``.
Each benchmark is one module with ``DESCRIPTION``, ``COLUMNS``, ``add_arguments(parser)`` and
``run(args, device) -> list[dict]``; :data:`BENCHMARKS` maps names to modules (DESIGN.md §2).
"""
BENCHMARKS = {
    "precision": "sciml_teach.bench.precision",
    "fno": "sciml_teach.bench.fno",
    "zcs": "sciml_teach.bench.zcs",
}
