"""Benchmarks: the papers' tables, measured on your hardware.

``python -m sciml_teach.bench NAME [--quick] [--device auto|cpu|cuda] [--json PATH]``.
Each benchmark is one module with ``DESCRIPTION``, ``COLUMNS``, ``add_arguments(parser)`` and
``run(args, device) -> list[dict]``; :data:`BENCHMARKS` maps names to modules. The runs themselves
live in :mod:`sciml_teach.experiments`, shared with the lessons.
"""
BENCHMARKS = {
    "precision": "sciml_teach.bench.precision",
    "fno": "sciml_teach.bench.fno",
    "zcs": "sciml_teach.bench.zcs",
    "profile": "sciml_teach.bench.profile",
    "launch": "sciml_teach.bench.launch",
    "contraction": "sciml_teach.bench.contraction",
    "ddp": "sciml_teach.bench.ddp",
}
