"""Where the course lives: the repository URL, in one place, and every link derived from it.

Each notebook's "Open in Colab" badge and its Colab install line must point at this repository;
``tests/test_launch.py`` checks them against the functions below, so moving the repository means
changing :data:`REPO_URL` here and regenerating the links the test then names.
"""
from __future__ import annotations

REPO_URL = "https://github.com/sciml-teach/sciml_teach"  # the one place the repository is named
BRANCH = "main"                                            # the branch badges open
PACKAGE = "sciml_teach"                                    # the pip distribution name

_GITHUB = "https://github.com/"


def repo_slug() -> str:
    """'owner/name' of the repository, e.g. 'sciml-teach/sciml_teach'."""
    if not REPO_URL.startswith(_GITHUB):
        raise ValueError(f"REPO_URL must start with {_GITHUB!r}, got {REPO_URL!r}")
    return REPO_URL[len(_GITHUB):].rstrip("/")


def colab_url(path: str) -> str:
    """The Colab address that opens ``path`` (relative to the repository root, e.g. 'notebooks/01_x.ipynb')."""
    return f"https://colab.research.google.com/github/{repo_slug()}/blob/{BRANCH}/{path}"


def colab_badge(path: str) -> str:
    """The Markdown 'Open in Colab' badge for ``path``: the second line of every notebook."""
    return ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(path)})")


def binder_url(path: str) -> str:
    """The mybinder.org address that opens ``path`` in JupyterLab."""
    return f"https://mybinder.org/v2/gh/{repo_slug()}/{BRANCH}?urlpath=lab/tree/{path}"


def pip_spec() -> str:
    """What the Colab set-up cell installs: this package from the repository, nothing else of ours."""
    return f"{PACKAGE} @ git+{REPO_URL}"
