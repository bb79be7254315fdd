"""Sphinx configuration of the course site. Build it with ``python docs/build.py`` (which executes
the notebooks, writes the generated pages under docs/course/, then runs Sphinx with -W); see
docs/sitegen/__init__.py for why this stack."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's sciml_teach, for autodoc
sys.path.insert(0, str(ROOT / "docs"))

from sciml_teach import course  # noqa: E402
from sitegen.docstrings import process_docstring  # noqa: E402

project = "sciml_teach"
author = "sciml_teach contributors"
copyright = "sciml_teach contributors, MIT licence"

extensions = ["myst_nb", "sphinx.ext.autodoc"]
exclude_patterns = ["_build", "sitegen", "course/course_map.md", "glossary.md",  # as course/glossary.md
                    "**/.ipynb_checkpoints"]

# Notebooks arrive executed (docs/sitegen/execute.py, cached): myst-nb only renders them.
nb_execution_mode = "off"
nb_merge_streams = True
nb_ipywidgets_js = {}          # widget panels are frozen to images: no widget JavaScript, no CDN
myst_heading_anchors = 3       # links to a heading of a Markdown page (#section) resolve

autodoc_member_order = "bysource"
autodoc_typehints = "signature"

html_theme = "sphinx_book_theme"
html_title = "sciml_teach: a course you can read before you run it"
html_theme_options = {
    "repository_url": course.REPO_URL,
    "repository_branch": course.BRANCH,
    "use_repository_button": True,
    "show_toc_level": 2,
}
html_last_updated_fmt = "%Y-%m-%d"


def setup(app):
    app.connect("autodoc-process-docstring", process_docstring)
