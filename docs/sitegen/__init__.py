"""Builds the course site: every lesson and solution executed in quick mode and rendered with its
outputs, an API reference from the docstrings, and results pages -- offline, with Sphinx.

Why Sphinx + myst-nb + sphinx-book-theme: all three are pure Python, kept by the Executable Books
and Sphinx projects, ship their theme assets inside the wheel (no CDN at build time), and Sphinx
gives the API reference (autodoc) and a ``-W`` mode that turns every warning -- a broken internal
link included -- into an error. The notebooks are executed here (with :mod:`nbclient`, cached by
content) rather than by myst-nb, because widget panels must be turned into their last image before
rendering and the build must fail on the first cell that raises.

``python docs/build.py`` runs it; the modules are one step each: :mod:`.execute` (cached
execution), :mod:`.widgets` (panels -> images), :mod:`.lessons` (pages), :mod:`.api`,
:mod:`.results`, :mod:`.checks` (what CI insists on in the built HTML).
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]   # the repository
DOCS = ROOT / "docs"                          # Sphinx's source folder
GENERATED = DOCS / "course"                   # pages written by the build (git-ignored)
BUILD = DOCS / "_build"                       # cache and HTML (git-ignored)
LESSON_FOLDERS = ("notebooks", "solutions")
