"""What CI insists on in the built site, beyond Sphinx's own warnings: every internal link and
image resolves to a file of the site, every lesson page shows at least one figure from its
outputs, and no page shows an error output (a traceback).
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

TRACEBACK = "output traceback"   # how myst-nb marks an error output


class _Links(HTMLParser):
    """Collects href/src targets, ids, and the images inside cell outputs."""

    def __init__(self):
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()
        self.output_images: list[str] = []
        self._depth_in_output = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") == "preload"):
                self.targets.append(attrs[key])
        is_output = "cell_output" in (attrs.get("class") or "")
        if tag not in ("img", "br", "hr", "meta", "link", "input", "source"):
            self._stack.append(is_output)
            self._depth_in_output += is_output
        if tag == "img" and self._depth_in_output and attrs.get("src"):
            self.output_images.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag not in ("img", "br", "hr", "meta", "link", "input", "source") and self._stack:
            self._depth_in_output -= self._stack.pop()


def parse(page: Path) -> _Links:
    links = _Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def _local(target: str) -> bool:
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith(("#", "mailto:"))


def broken_links(site: Path) -> list[str]:
    """'page.html -> target' for every relative href/src that names no file of the site."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        if page.relative_to(site).parts[0] == "_static":  # the themes' template snippets
            continue
        for target in parse(page).targets:
            if not _local(target):
                continue
            path = unquote(urlsplit(target).path)
            if path and not (page.parent / path).exists():
                broken.append(f"{page.relative_to(site)} -> {target}")
    return broken


def lesson_problems(site: Path, lesson_pages: list[Path]) -> list[str]:
    """Lesson pages without a figure in their outputs, and pages showing a traceback."""
    problems = []
    for page in lesson_pages:
        html = site / page
        if not html.exists():
            problems.append(f"{page}: missing")
            continue
        if TRACEBACK in html.read_text(encoding="utf-8"):
            problems.append(f"{page}: shows an error output")
        if page.parts[-2] == "notebooks" and not parse(html).output_images:
            problems.append(f"{page}: no figure in its outputs")
    return problems
