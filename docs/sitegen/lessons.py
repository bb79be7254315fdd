"""Lesson and solution pages: the executed notebook, its panels frozen to images, and a card under
the title with the lesson's objectives, budget, where its figures were computed, and buttons that
open the live lesson in Colab or Binder.

The card is read from the notebook's first markdown cell (``**What you will learn:**``,
``**Time:**``, ``**Prerequisites:**``), so a lesson header edited in the notebook is what the site
shows; links come from :mod:`sciml_teach.course`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from sciml_teach import course

from . import ROOT
from .widgets import freeze_widgets

FIELDS = {"objectives": "What you will learn", "time": "Time", "prerequisites": "Prerequisites"}
_BADGE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\s*$", re.MULTILINE)
# Lessons link the glossary by its repository address (it opens from Colab too); on the site the
# link goes to the glossary page instead, course/glossary.md, written by glossary_page().
GLOSSARY_URL = f"{course.REPO_URL}/blob/{course.BRANCH}/docs/glossary.md"
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def header_fields(markdown: str) -> dict[str, str]:
    """{'objectives', 'time', 'prerequisites'} from a lesson's first markdown cell: the text after
    each bold label, up to the next bold label or blank line."""
    fields = {}
    for key, label in FIELDS.items():
        match = re.search(rf"\*\*{re.escape(label)}:\*\*\s*(.*?)(?=\s*\*\*[A-Z][^*]*:\*\*|\n\s*\n|$)",
                          markdown, re.DOTALL)
        fields[key] = " ".join(match.group(1).split()) if match else ""
    return fields


def card(fields: dict[str, str], repo_path: str, built: str) -> str:
    """The MyST card shown under a lesson's title."""
    lines = ["```{admonition} About this page", ":class: tip", ""]
    if fields["objectives"]:
        lines.append(f"**Objectives:** {fields['objectives']}\n")
    if fields["time"]:
        lines.append(f"**Budget:** {fields['time']}\n")
    if fields["prerequisites"]:
        lines.append(f"**Prerequisites:** {fields['prerequisites']}\n")
    lines += [f"**These outputs** were computed {built}, in quick mode (`SCIML_TEACH_QUICK=1`: "
              "small sizes, few steps). Timings and errors on your machine, in full mode or on a "
              "GPU, will differ: run the lesson to see yours.\n",
              _button("primary", course.colab_url(repo_path), "Open in Colab") + " "
              + _button("secondary", course.binder_url(repo_path), "Launch on Binder")
              + (" " + _button("secondary", f"{Path(repo_path).stem}.slides.html", "Slides")
                 if repo_path.startswith("notebooks/") else ""),
              "```"]
    return "\n".join(lines)


def _button(kind: str, url: str, text: str) -> str:
    """A link styled as a button by the theme's bundled Bootstrap (no remote badge image)."""
    return f'<a class="btn btn-sm btn-{kind}" href="{url}">{text}</a>'


def where_built() -> str:
    """'on a 2-core CPU (AMD EPYC ...) with torch 2.13.0 on 2026-11-26' -- measured, not assumed."""
    import time
    import torch
    from sciml_teach.capability import _cpu_name
    return (f"on a {os.cpu_count()}-core CPU ({_cpu_name()}) with torch {torch.__version__}"
            f" on {time.strftime('%Y-%m-%d', time.gmtime())}")


def lesson_page(executed: Path, source: Path, target: Path, built: str) -> Path:
    """Write the page notebook for ``source`` (executed copy ``executed``) to ``target``."""
    nb = nbformat.read(executed, as_version=4)
    freeze_widgets(nb)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    fields = header_fields(first.source)
    first.source = _BADGE.sub("", first.source)  # the card's buttons replace the remote badge image
    repo_path = source.relative_to(ROOT).as_posix()
    nb.cells.insert(nb.cells.index(first) + 1, nbformat.v4.new_markdown_cell(card(fields, repo_path, built)))
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = site_links(cell.source)
    return write_if_changed(target, nbformat.writes(nb))


def site_links(markdown: str) -> str:
    """A lesson's links to the docs, as seen from its page in course/notebooks/ (or solutions/):
    the glossary (by its repository address, or ../docs/glossary.md) is course/glossary.md, and
    another docs page, ../docs/X.md, is X.md at the site's root."""
    markdown = markdown.replace(GLOSSARY_URL, "../glossary.md").replace("](../docs/glossary.md", "](../glossary.md")
    return markdown.replace("](../docs/", "](../../")


def glossary_page(glossary: Path) -> str:
    """docs/glossary.md as the site's course/glossary.md: a link to a lesson, ../notebooks/X.ipynb#s,
    becomes the lesson page notebooks/X.ipynb#s; a link to another docs page (teaching.md) gains
    ../; a link to any other file of the repository (../README.md) goes to the repository."""
    def site_link(match: re.Match) -> str:
        target = match.group(1)
        if "://" in target or target.startswith(("#", "mailto:")):
            return match.group(0)
        if target.startswith(("../notebooks/", "../solutions/")):
            return f"]({target[3:]})"
        if target.startswith("../"):
            return f"]({course.REPO_URL}/blob/{course.BRANCH}/{target[3:]})"
        return f"](../{target})"
    return _LINK.sub(site_link, glossary.read_text())


def course_map(readme: Path) -> str:
    """README's course map table, its lesson links pointing at the lesson pages (``course/...``)."""
    text = readme.read_text()
    match = re.search(r"^## Course map\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if not match:
        raise ValueError(f"{readme} has no '## Course map' section")
    table = "\n".join(line for line in match.group(1).splitlines() if line.startswith("|"))
    table = re.sub(r"\]\((notebooks|solutions)/([^)]+\.ipynb)\)", r"](course/\1/\2)", table)
    table = table.replace("](docs/results/)", "](results/README.md)")
    return table + "\n"


def write_if_changed(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` unless it already holds it (Sphinx re-reads files whose time
    stamp changed); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
