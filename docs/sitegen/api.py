"""The API reference: every name in ``sciml_teach.__all__``, grouped like README's module table,
each with its docstring (Sphinx autodoc) and a link to the lesson that introduces it.

The lesson comes from the docstrings themselves ("introduced in notebooks/05_...ipynb", the house
style, or "used by lesson 06"): the object's own docstring, else its module's, else its package's;
failing those, the first lesson that uses ``st.<name>``, else the first that uses another name
of the same module. Nothing is copied by
hand, so a test can compare this page's names with ``__all__``.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import re
from pathlib import Path

import sciml_teach

LESSON = re.compile(r"(notebooks/\d\d_\w+\.ipynb)")
LESSON_NUMBER = re.compile(r"\b[Ll]essons? (\d\d)\b")   # "Used by lesson 06"
_ROW = re.compile(r"^\| (`[^|]+`) \| (.+) \|$", re.MULTILINE)


def readme_groups(readme: Path) -> list[tuple[list[str], str]]:
    """README's module table as [(['precision'], 'what it holds'), (['formats', 'diagnostics'], ...)]."""
    section = readme.read_text().split("| module | what it holds |", 1)[1].split("\n\n", 1)[0]
    groups = []
    for cell, text in _ROW.findall(section):
        units = [u.strip("`").removesuffix(".py").rstrip("/") for u in cell.split(", ")]
        groups.append((units, text.strip()))
    return groups


def unit_of(obj) -> str:
    """The module or subpackage right under sciml_teach that defines ``obj`` ('models', 'training')."""
    module = getattr(obj, "__module__", None) or "sciml_teach"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "sciml_teach" else "__init__"


def _defined(obj) -> bool:
    """A class or function knows its module; a constant or a type alias does not."""
    return inspect.isclass(obj) or inspect.isroutine(obj)


def _own_doc(obj) -> str:
    """``obj``'s docstring, or '' for a constant (whose docstring is its type's)."""
    return (obj.__doc__ or "") if _defined(obj) else ""


def lesson_of(name: str) -> str | None:
    """'notebooks/05_zero_coordinate_shift.ipynb' for a public name: from the nearest docstring,
    else the first lesson whose code uses ``st.<name>``."""
    obj = getattr(sciml_teach, name)
    module_name = obj.__module__ if _defined(obj) else None
    modules = [module_name] if module_name else []
    modules += [m for m in _modules_defining(name) if m not in modules]
    docs = [_own_doc(obj)]
    for module in modules:
        parts = module.split(".")
        docs += [importlib.import_module(".".join(parts[:k])).__doc__ or ""
                 for k in range(len(parts), 1, -1)]
    for doc in docs:
        match = LESSON.search(doc)
        if match:
            return match.group(1)
        match = LESSON_NUMBER.search(doc)
        if match:
            return _notebook_numbered(match.group(1))
    return first_use(name) or _module_lesson(name)


def _module_lesson(name: str) -> str | None:
    """The earliest lesson that introduces another public name of ``name``'s module."""
    unit = _unit_for(name)
    found = [first_use(other) for other in sciml_teach.__all__
             if other != name and _unit_for(other) == unit]
    return min((f for f in found if f), default=None)


def _notebook_numbered(number: str) -> str | None:
    root = Path(sciml_teach.__file__).parent.parent
    found = sorted((root / "notebooks").glob(f"{number}_*.ipynb"))
    return f"notebooks/{found[0].name}" if found else None


def first_use(name: str) -> str | None:
    """The first lesson (by number) whose cells use or name ``st.<name>``."""
    pattern = re.compile(rf"\bst\.{re.escape(name)}\b")
    return next((path for path, text in _lesson_texts() if pattern.search(text)), None)


@functools.lru_cache(maxsize=1)
def _lesson_texts() -> tuple[tuple[str, str], ...]:
    """(notebooks/NN_x.ipynb, all its cells' text), in lesson order; read once per build."""
    import nbformat
    root = Path(sciml_teach.__file__).parent.parent
    return tuple((f"notebooks/{path.name}",
                  "\n".join(c.source for c in nbformat.read(path, as_version=4).cells))
                 for path in sorted((root / "notebooks").glob("*.ipynb")))


def _modules_defining(name: str) -> list[str]:
    """Modules under sciml_teach that assign ``name`` at top level (for constants, which carry no
    ``__module__``)."""
    root = Path(sciml_teach.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if re.search(rf"^{re.escape(name)}\s*[:=]", path.read_text(), re.MULTILINE):
            rel = path.relative_to(root.parent).with_suffix("").as_posix().replace("/", ".")
            found.append(rel.removesuffix(".__init__"))
    return found


def directive(name: str) -> str:
    """The autodoc directive for one name, in an eval-rst block (autodoc writes reStructuredText,
    and the docstrings are reStructuredText)."""
    obj = getattr(sciml_teach, name)
    if inspect.isclass(obj):
        body = f".. autoclass:: sciml_teach.{name}\n   :members:"
    elif inspect.isroutine(obj):
        body = f".. autofunction:: sciml_teach.{name}"
    else:
        return constant(name, obj)
    return f"```{{eval-rst}}\n{body}\n```"


def constant(name: str, obj) -> str:
    """A constant has no docstring of its own: its type and, for a mapping, its keys."""
    body = f".. py:data:: sciml_teach.{name}\n   :type: {type(obj).__name__}\n"
    if isinstance(obj, dict):
        body += "\n   Valid names: " + ", ".join(f"``{k}``" for k in obj) + "\n"
    else:
        body += f"\n   ``{obj!r}``\n"
    return f"```{{eval-rst}}\n{body}```"


def group_names(readme: Path) -> list[tuple[str, str, list[str]]]:
    """[(heading, README's description, names)] in README's order; names from modules README's
    table does not list go last, under their module's name."""
    groups = readme_groups(readme)
    placed: dict[int, list[str]] = {i: [] for i in range(len(groups))}
    rest: dict[str, list[str]] = {}
    for name in sciml_teach.__all__:
        unit = _unit_for(name)
        index = next((i for i, (units, _) in enumerate(groups) if unit in units), None)
        if index is None:
            rest.setdefault(unit, []).append(name)
        else:
            placed[index].append(name)
    out = [(", ".join(f"`{u}`" for u in units), text, placed[i])
           for i, (units, text) in enumerate(groups) if placed[i]]
    return out + [(f"`{unit}`", _first_line(unit), names) for unit, names in rest.items()]


def _unit_for(name: str) -> str:
    obj = getattr(sciml_teach, name)
    if _defined(obj):
        return unit_of(obj)
    modules = _modules_defining(name)
    return modules[0].split(".")[1] if modules else "__init__"


def _first_line(unit: str) -> str:
    doc = importlib.import_module(f"sciml_teach.{unit}").__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def api_page(readme: Path) -> str:
    """The MyST source of the API reference page."""
    lines = ["# API reference", "",
             "Every public name of `sciml_teach` (`import sciml_teach as st`), grouped by the module "
             "that defines it, as in README's module table. Each entry links to the lesson that "
             "introduces it.", ""]
    for heading, text, names in group_names(readme):
        lines += [f"## {heading}", "", text, ""]
        for name in names:
            lesson = lesson_of(name)
            lines.append(directive(name))
            if lesson:
                lines.append(f"Introduced in [{Path(lesson).stem}](notebooks/{Path(lesson).name}).")
            lines.append("")
    return "\n".join(lines)
