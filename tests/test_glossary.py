"""The course glossary, docs/glossary.md (on the site: course/glossary.md), and the links to it (issue 25).

One entry per term: a heading (the term; synonyms in parentheses), a definition of one or two
sentences, and "Defined in" with a link to the lesson section that defines the term where it is
first used. The tests check that each link names an existing lesson and one of its headings (the
anchor GitHub and the site's MyST both make from it: ``github_slugify``), that the lesson's text
uses every name before the parentheses, that the terms issue 25 lists are all there, and that
README, lesson 00 and the site reach the glossary. Lesson 00's course map is checked here too: it
is the other page a learner uses to find their way.
"""
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from sciml_teach import course

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
sys.path.append(str(ROOT / "docs"))  # appended: docs/conf.py and docs/build.py must not shadow packages
from sitegen import lessons as site_lessons  # noqa: E402

# Issue 25's list: each must be (part of) some entry's heading.
REQUIRED = ["ulp", "subnormal", "exponent bias", "float16", "bfloat16", "float32", "loss scaling",
            "GradScaler", "autocast", "master weights", "Adam's epsilon", "update underflow",
            "stagnation", "collocation points", "PINN", "DeepONet", "Cartesian-product form", "branch",
            "trunk", "Gaussian random field", "tensor cores", "FuncLoop", "DataVect", "ZCS",
            "Jacobian-vector product", "forward mode", "FNO", "spectral layer", "mixed", "half",
            "tanh stabiliser", "discretisation error", "round-off error", "rank", "world size",
            "all-reduce", "DDP"]
LINK = re.compile(r"\]\(\.\./notebooks/([^)#\s]+)#([^)\s]+)\)")
_CLEAN = re.compile(r"[^\w\u4e00-\u9fff\- ]")


def github_slugify(heading: str) -> str:
    """The anchor of a Markdown heading, as GitHub and MyST (myst_heading_anchors) make it: the
    rendered text (link text, no backticks or emphasis) lowercased, spaces to '-', and every
    character that is not a word character, '-' or a space dropped."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
    return _CLEAN.sub("", text.lower().replace(" ", "-"))


def entries() -> list[tuple[str, str]]:
    """(heading, body) of every '## ' entry of the glossary."""
    blocks = re.split(r"^## ", GLOSSARY.read_text(), flags=re.MULTILINE)[1:]
    return [tuple(block.split("\n", 1)) for block in blocks]


def names(heading: str) -> list[str]:
    """The names an entry's lesson must use: the heading before any parentheses, split at ' / '."""
    return [n.strip() for n in re.sub(r"\s*\(.*\)\s*$", "", heading).split(" / ")]


def lesson_markdown(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def anchors(markdown: str) -> set[str]:
    """Every heading anchor of a lesson, with MyST's -1, -2 suffixes for repeated headings."""
    seen: set[str] = set()
    for line in markdown.splitlines():
        if m := re.match(r"#{1,6}\s+(.*)", line):
            slug = base = github_slugify(m.group(1).strip())
            k = 0
            while slug in seen:
                k += 1
                slug = f"{base}-{k}"
            seen.add(slug)
    return seen


ENTRIES = entries()


def test_the_glossary_has_every_term_issue_25_lists_once():
    headings = [h for h, _ in ENTRIES]
    assert len(ENTRIES) >= 30, f"only {len(ENTRIES)} entries"
    assert len(set(h.lower() for h in headings)) == len(headings), "a term has two entries"
    assert headings == sorted(headings, key=str.lower), "entries are in alphabetical order"
    missing = [t for t in REQUIRED if not any(t.lower() in h.lower() for h in headings)]
    assert not missing, f"no glossary entry for {missing}"


@pytest.mark.parametrize("heading, body", ENTRIES, ids=[h for h, _ in ENTRIES])
def test_entry_links_the_lesson_section_that_uses_the_term(heading, body):
    definition, _, defined_in = body.partition("Defined in ")
    words = len(definition.split())
    assert 8 <= words <= 70, f"{heading}: a definition of one or two sentences, not {words} words"
    links = LINK.findall(defined_in)
    assert len(links) == 1, f"{heading}: one 'Defined in [lesson ...](../notebooks/X.ipynb#section)' link"
    name, anchor = links[0]
    path = ROOT / "notebooks" / name
    assert path.exists(), f"{heading}: links {name}, which is not a lesson"
    markdown = lesson_markdown(path)
    assert anchor in anchors(markdown), f"{heading}: {name} has no heading whose anchor is #{anchor}"
    for term in names(heading):
        assert term.lower() in markdown.lower(), f"{heading}: {name}'s text never says {term!r}"


def test_readme_and_lesson_00_link_the_glossary():
    assert "](docs/glossary.md)" in (ROOT / "README.md").read_text(), "README must link docs/glossary.md"
    url = f"{course.REPO_URL}/blob/{course.BRANCH}/docs/glossary.md"
    assert site_lessons.GLOSSARY_URL == url
    assert f"]({url})" in lesson_markdown(ROOT / course.lesson("00").path), \
        "lesson 00 must link the glossary by its repository address (it opens from Colab too)"


def test_the_site_page_points_every_lesson_link_at_a_lesson_page():
    page = site_lessons.glossary_page(GLOSSARY)
    assert "](../notebooks/" not in page
    targets = re.findall(r"\]\(notebooks/([^)#\s]+)#", page)
    assert len(targets) == len(ENTRIES)
    for name in targets:
        assert (ROOT / "notebooks" / name).exists(), name
    index = (ROOT / "docs" / "index.md").read_text()
    assert "\ncourse/glossary\n" in index, "docs/index.md's toctree must list course/glossary"


def test_a_lesson_page_links_the_site_glossary(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        f"# 00 · x\n\n**What you will learn:** y\n\n**Time:** z\n\nSee the [glossary]({site_lessons.GLOSSARY_URL}#ulp).")])
    executed = tmp_path / "executed.ipynb"
    nbformat.write(nb, executed)
    target = site_lessons.lesson_page(executed, ROOT / course.lesson("00").path, tmp_path / "page.ipynb", "here")
    text = target.read_text()
    assert "](../glossary.md#ulp)" in text and site_lessons.GLOSSARY_URL not in text
    assert site_lessons.site_links("[loop](../docs/custom_loop.md#x), [g](../docs/glossary.md)") == \
        "[loop](../../custom_loop.md#x), [g](../glossary.md)"


def test_lesson_00_course_map_lists_every_lesson():
    markdown = lesson_markdown(ROOT / course.lesson("00").path)
    rows = re.findall(r"^\| (\d\d) ", markdown, flags=re.MULTILINE)
    assert rows == [e.number for e in course.LESSONS], f"lesson 00's map lists {rows}"
