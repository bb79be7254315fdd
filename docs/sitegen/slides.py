"""Slides: each lesson as a reveal.js deck, made from the executed notebook the site build already
has (no second execution), served from the site itself (no CDN).

Which cell becomes what is read from the lesson's structure at build time, never stored in the
notebook: the title and every ``## `` heading start a slide, every other cell is a sub-slide below
it (reveal's vertical stack: a section reads top to bottom), the set-up cell is skipped.
``jupyter nbconvert --to slides`` (nbconvert's SlidesExporter) writes the deck. Its template loads
reveal.js 4, require.js and jQuery from public CDNs; here they come from the npm registry once
(``npm pack``, cached in docs/_build/slides-vendor/) and are copied into the site, and the
template's two other remote loads (MathJax, Mermaid) are left out: lessons' formulas show as TeX.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import nbformat

from . import BUILD
from .lessons import _BADGE, site_links
from .widgets import freeze_widgets

PACKAGES = {"reveal.js": "4.6.1", "requirejs": "2.3.7", "jquery": "3.7.1"}   # npm registry
VENDOR = BUILD / "slides-vendor"
ASSETS = "slides-assets"             # the site's folder holding them
# A relative link to a page (X.md, X.ipynb) is X.html on the site; Sphinx rewrites those on the
# lesson page, the deck is raw HTML and needs it done here.
_HTML_LINK = re.compile(r"\]\((?![a-z]+:)([^)#\s]+)\.(?:md|ipynb)(#[^)\s]*)?\)")


def slide_types(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with every cell's ``slideshow.slide_type`` derived from the lesson's structure."""
    setup = next((c for c in nb.cells if c.cell_type == "code"), None)
    for i, cell in enumerate(nb.cells):
        text = cell.source.lstrip()
        if cell is setup:
            kind = "skip"
        elif i == 0 or (cell.cell_type == "markdown" and text.startswith(("# ", "## "))):
            kind = "slide"
        else:
            kind = "subslide"
        cell.metadata["slideshow"] = {"slide_type": kind}
    return nb


def vendor() -> Path:
    """docs/_build/slides-vendor/ with reveal.js, require.js and jQuery unpacked (npm, once)."""
    done = VENDOR / "ok"
    if done.exists():
        return VENDOR
    if shutil.which("npm") is None:
        raise RuntimeError("the lesson slides need reveal.js from the npm registry once: install "
                           "npm (Debian: apt-get install npm), then build again")
    VENDOR.mkdir(parents=True, exist_ok=True)
    specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
    subprocess.run(["npm", "pack", "--silent", *specs, "--pack-destination", str(VENDOR)],
                   check=True, capture_output=True, timeout=300)
    for name, version in PACKAGES.items():
        with tarfile.open(VENDOR / f"{name}-{version}.tgz") as tar:
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.10.12
            tar.extractall(VENDOR / name, **safe)
    done.write_text(" ".join(specs) + "\n")
    return VENDOR


def copy_assets(site: Path) -> Path:
    """The files the decks load, under ``site/slides-assets/``."""
    source, target = vendor(), site / ASSETS
    reveal = source / "reveal.js" / "package"
    for folder in ("dist", "plugin/notes"):
        shutil.copytree(reveal / folder, target / "reveal.js" / folder, dirs_exist_ok=True)
    shutil.copy(source / "requirejs" / "package" / "require.js", target / "require.js")
    shutil.copy(source / "jquery" / "package" / "dist" / "jquery.min.js", target / "jquery.min.js")
    return target


def _offline(html: str) -> str:
    """The deck without the template's remote MathJax and Mermaid loads (see the module doc)."""
    start = html.index('<script type="module">')
    end = html.index("</script>", start) + len("</script>")
    assert "mermaid" in html[start:end], "nbconvert's slide template changed: check _offline"
    html = html[:start] + html[end:]
    start = html.index('<script src="https://cdn')
    end = html.index("</script>", start) + len("</script>")
    assert "mathjax" in html[start:end].lower(), "nbconvert's slide template changed: check _offline"
    html = html[:start] + html[end:]
    return html.replace("if(MathJax.Hub.getAllJax", "if(window.MathJax && MathJax.Hub.getAllJax")


def build_deck(executed: Path, target: Path, site: Path) -> Path:
    """``target`` (a .slides.html in the site): the executed lesson as a deck."""
    from nbconvert import SlidesExporter
    nb = nbformat.read(executed, as_version=4)
    freeze_widgets(nb)                       # panels as their last image, as on the lesson page
    for cell in nb.cells:                    # as on the lesson page: no remote Colab badge image,
        if cell.cell_type == "markdown":     # links to docs pages pointed at the site's pages
            cell.source = _HTML_LINK.sub(r"](\1.html\2)", site_links(_BADGE.sub("", cell.source)))
    slide_types(nb)
    prefix = Path(*[".."] * len(target.parent.relative_to(site).parts)) / ASSETS
    exporter = SlidesExporter(reveal_url_prefix=f"{prefix.as_posix()}/reveal.js", reveal_scroll=True,
                              reveal_theme="white",  # its fonts ship with reveal.js (simple: Google)
                              require_js_url=f"{prefix.as_posix()}/require.js",
                              jquery_url=f"{prefix.as_posix()}/jquery.min.js")
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": target.stem}})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_offline(html), encoding="utf-8")
    return target
