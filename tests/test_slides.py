"""Lesson slides (issue 28): slide types derived from a lesson's structure, and, in the built site,
every lesson's reveal.js deck opening offline from the site's own copy of reveal.js.

The built-site test needs docs/_build/html (or ``$SCIML_TEACH_SITE``) like tests/test_site.py:
skipped without it, failed when ``SCIML_TEACH_SITE_REQUIRED=1`` (.ci/run).
"""
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "docs"))
from sitegen import slides  # noqa: E402

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SITE = Path(os.environ.get("SCIML_TEACH_SITE") or ROOT / "docs" / "_build" / "html")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_headings_start_slides_and_the_set_up_cell_is_skipped(path):
    nb = slides.slide_types(nbformat.read(path, as_version=4))
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert kinds[0] == "slide" and kinds[first_code] == "skip" and kinds.count("skip") == 1
    headings = [i for i, c in enumerate(nb.cells)
                if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert headings and all(kinds[i] == "slide" for i in headings)
    assert "## Exercises" in {nb.cells[i].source.splitlines()[0] for i in headings}


@pytest.mark.site
@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_each_lesson_has_a_deck_that_runs_on_the_sites_own_reveal_js(lesson):
    deck = SITE / "course" / "notebooks" / f"{lesson}.slides.html"
    if not deck.exists():
        message = f"{deck} is not built: run python docs/build.py"
        if os.environ.get("SCIML_TEACH_SITE_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    page_html = (SITE / "course" / "notebooks" / f"{lesson}.html")
    assert f'href="{lesson}.slides.html"' in page_html.read_text(), "the lesson page links its slides"
    from test_browser import CHROMIUM, CHROMIUM_FLAGS, _tools
    with _tools()() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)   # reveal.js initialised
        n_slides = page.locator(".reveal .slides > section").count()   # one per heading
        shown = page.locator(".reveal .slides > section.present").count()
        browser.close()
    remote = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert remote == [], f"{lesson}'s slides fetched from the network: {remote}"
    assert any(u.endswith(f"/{slides.ASSETS}/reveal.js/dist/reveal.js") for u in requests), requests
    assert n_slides >= 3 and shown == 1, f"{lesson}: {n_slides} slides, {shown} shown"


def test_a_decks_links_to_course_pages_point_at_the_sites_html(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# T\nsee [the loop](../docs/custom_loop.md) and "
                                      "[a file](https://example.org/a.md)"),
        nbformat.v4.new_code_cell("x = 1")])
    source = tmp_path / "lesson.ipynb"
    nbformat.write(nb, source)
    html = slides.build_deck(source, tmp_path / "course" / "notebooks" / "x.slides.html", tmp_path)
    text = html.read_text()
    assert 'href="../../custom_loop.html"' in text and 'href="https://example.org/a.md"' in text
    assert 'src="../../slides-assets/reveal.js/dist/reveal.js"' not in text  # loaded through require
    assert "../../slides-assets/reveal.js/dist/reveal.css" in text
    assert "https://cdn" not in text and "unpkg.com" not in text   # no MathJax, Mermaid or reveal CDN
