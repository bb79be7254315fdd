"""Imports flow one way: foundation -> models/derivatives -> problems -> training -> experiments ->
bench, viz, exercises, the package's __init__. A module may import its own rank or a lower one.

Checked on the source with ``ast`` (nothing is imported), so a wrong import fails here with its
file and line before it can become a cycle. Also: the benchmarks and experiments import without
ipywidgets (panels import it when they are built).
"""
import ast
import subprocess
import sys
from pathlib import Path

import sciml_teach

PACKAGE = Path(sciml_teach.__file__).parent
FOUNDATION = ["capability", "checks", "course", "data_cache", "diagnostics", "formats", "half_fft",
              "half_updates", "memory_account", "meters", "metrics", "placement", "precision", "progress",
              "quick", "tables", "threads", "teach"]
RANKS = {**{name: 0 for name in FOUNDATION}, "models": 1, "derivatives": 1, "problems": 2,
         "training": 3, "train_step": 3, "cuda_graphs": 3, "distributed": 3, "experiments": 4, "bench": 5, "viz": 5, "exercises": 5, "__init__": 5}


def _unit(parts: list[str]) -> str:
    """The first name under sciml_teach: a top-level module or a subpackage."""
    return parts[0].removesuffix(".py") if parts else "__init__"


def _imported_units(tree: ast.AST, module_parts: list[str]):
    """(line, unit) for every import of a sciml_teach module in ``tree``."""
    package = module_parts[:-1]  # the module's package, relative to sciml_teach
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: climb level - 1 packages from the module's own
                base = package[:len(package) - (node.level - 1)]
            elif node.module and node.module.split(".")[0] == "sciml_teach":
                base = []
                names = node.module.split(".")[1:]
                yield from ((node.lineno, _unit(names or [a.name])) for a in node.names)
                continue
            else:
                continue
            names = base + (node.module.split(".") if node.module else [])
            if names:
                yield node.lineno, _unit(names)
            else:  # "from . import x" at the top of the package
                yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "sciml_teach":
                    yield node.lineno, _unit(parts[1:])


def test_every_module_has_a_rank():
    units = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert units <= RANKS.keys(), f"give these a rank in RANKS: {sorted(units - RANKS.keys())}"


def test_imports_follow_the_order():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).parts)
        own = _unit(parts)
        for line, unit in _imported_units(ast.parse(path.read_text()), parts):
            if unit in RANKS and RANKS[unit] > RANKS[own]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {own} (rank {RANKS[own]}) "
                             f"imports {unit} (rank {RANKS[unit]})")
    assert not wrong, "imports against the order:\n" + "\n".join(wrong)


def test_benchmarks_and_experiments_import_without_ipywidgets():
    code = ("import sys; sys.modules['ipywidgets'] = None\n"
            "import sciml_teach.bench.__main__, sciml_teach.experiments\n"
            "from sciml_teach.bench.__main__ import build_parser; build_parser()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
