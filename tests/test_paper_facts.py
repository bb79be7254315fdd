"""The three papers the course is built on -- and every other paper it cites by arXiv id -- are
cited the same way everywhere: README, docs, lessons, solutions, docstrings (issue 27).

Checked against the papers themselves (arXiv abstract pages) and the authors' repositories:
- Hayford, Goldman-Wetzler, Wang, Lu, CMAME 2024, arXiv:2401.16645;
- Tu, White, Kossaifi, Bonev, Kovachki, Pekhimenko, Azizzadenesheli, Anandkumar, ICLR 2024,
  arXiv:2307.15034;
- Leng, Shankar, Thiyagalingam, J. Comput. Phys. 2024, arXiv:2311.00860.

Rules: every arXiv id written anywhere is one of ``CITED`` (a typo, or a new reference, fails until
it is added here after checking); the citation nearest before an id names that paper's first author,
and any year written between them is the paper's year; "First et al. YEAR" says the right year; an
author list written out (two or more names after the first) is the right list, in order, or a prefix
of it followed by "et al."; a title, where written, is written in full.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# arXiv id -> (authors, or just the first author, year, title or None)
PAPERS = {
    "2401.16645": (["Hayford", "Goldman-Wetzler", "Wang", "Lu"], 2024,
                   "Speeding up and reducing memory usage for scientific machine learning via mixed precision"),
    "2307.15034": (["Tu", "White", "Kossaifi", "Bonev", "Kovachki", "Pekhimenko", "Azizzadenesheli",
                    "Anandkumar"], 2024, "Guaranteed Approximation Bounds for Mixed-Precision Neural Operators"),
    "2311.00860": (["Leng", "Shankar", "Thiyagalingam"], 2024,
                   "Zero Coordinate Shift: Whetted Automatic Differentiation for Physics-informed Operator Learning"),
}
OTHERS = {  # other works the lessons cite by id: first author and year
    "1412.6980": ("Kingma", 2015), "1502.02551": ("Gupta", 2015), "1710.03740": ("Micikevicius", 2018),
    "1802.05799": ("Sergeev", 2018), "1910.03193": ("Lu", 2021), "2006.15704": ("Li", 2020),
    "2010.06192": ("Zamirai", 2020), "2010.08895": ("Li", 2021), "2103.10974": ("Wang", 2021),
    "2304.11277": ("Zhao", 2023), "2310.00120": ("Kossaifi", 2023),   # TFNO (MG-TFNO), arXiv 2023
}
CITED = {**{k: (a[0], y) for k, (a, y, _) in PAPERS.items()}, **OTHERS}
FIRST_AUTHORS = {first for first, _ in CITED.values()}
ARXIV_ID = re.compile(r"arxiv[:./a-z ]{0,12}?(\d{4}\.\d{4,5})", re.IGNORECASE)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# A citation starts with a first author's name that does not continue a list (", Lu" does).
START = re.compile(r"(?<!, )\b(" + "|".join(sorted(FIRST_AUTHORS, key=len, reverse=True))
                   + r")\b(?=,| et al| and | &|\s)")


def _texts() -> list[tuple[str, str]]:
    """(file, text) of every file that can cite a paper; a notebook is the text of its cells."""
    patterns = ["README.md", "docs/*.md", "docs/results/*.md", "docs/sitegen/*.py", "notebooks/*.ipynb",
                "solutions/*.ipynb", "sciml_teach/**/*.py", "tests/*.py", "tools/*", "binder/*"]
    found = []
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if not path.is_file() or path.name == Path(__file__).name:
                continue
            text = path.read_text(errors="replace")
            if path.suffix == ".ipynb":
                text = "\n\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
            found.append((path.relative_to(ROOT).as_posix(), text))
    return found


TEXTS = _texts()


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def test_the_files_are_found():
    names = [name for name, _ in TEXTS]
    assert "README.md" in names and "notebooks/00_start_here.ipynb" in names
    assert any(name.startswith("sciml_teach/") for name in names)


def id_problems(name: str, text: str) -> list[str]:
    """Every arXiv id is a checked paper's, cited after its first author, with its year."""
    problems = []
    for m in ARXIV_ID.finditer(text):
        arxiv = m.group(1)
        where = f"{name}:{_line(text, m.start())}"
        if arxiv not in CITED:
            problems.append(f"{where}: arXiv:{arxiv} is none of the checked papers (a typo? a new "
                            f"reference: check it and add it to tests/test_paper_facts.py)")
            continue
        first, year = CITED[arxiv]
        window = text[max(0, m.start() - 300):m.start()]
        starts = list(START.finditer(window))
        if not starts:
            continue                          # the id alone, e.g. in a URL list
        cited = starts[-1]
        if cited.group(1) != first:
            problems.append(f"{where}: arXiv:{arxiv} is {first}'s paper, cited here after {cited.group(1)}")
        years = {int(y) for y in YEAR.findall(window[cited.start():])}
        if years - {year}:
            problems.append(f"{where}: arXiv:{arxiv} ({first}) is from {year}, written with {sorted(years)}")
    return problems


def list_problems(name: str, text: str) -> list[str]:
    """The three papers' "et al." years, author lists written out, and titles."""
    problems = []
    for arxiv, (authors, year, title) in PAPERS.items():
        first = authors[0]
        for m in re.finditer(rf"\b{first} et al\.?,? \(?(\d{{4}})\b", text):
            if int(m.group(1)) != year:
                problems.append(f"{name}:{_line(text, m.start())}: {first} et al. is {year}, not {m.group(1)}")
        for m in re.finditer(rf"\b{first}((?:,?\s+(?:and\s+|&\s+)?[A-Z][\w\-]*[a-z][\w\-]*)+)(\s+et al)?", text):
            listed = [n.strip() for n in re.split(r",?\s+(?:and\s+|&\s+)?", m.group(1).strip(", \n")) if n.strip()]
            listed = [first] + listed
            if len(listed) < 3 or listed[1] in FIRST_AUTHORS:
                continue                      # one co-author named, or a list of papers
            k = next((i for i, (a, b) in enumerate(zip(listed, authors)) if a != b), min(len(listed), len(authors)))
            if k == len(authors) or (m.group(2) and k == len(listed)):
                continue                      # the full list (a venue may follow), or a prefix + et al.
            problems.append(f"{name}:{_line(text, m.start())}: {first} et al.'s authors are "
                            f"{', '.join(authors)}; written: {', '.join(listed[:max(k + 1, 3)])}")
        head = " ".join(title.split()[:4])
        for m in re.finditer(re.escape(head), text, re.IGNORECASE):
            if text[m.start():m.start() + len(title)].lower() != title.lower():
                problems.append(f"{name}:{_line(text, m.start())}: the title is *{title}*")
    return problems


@pytest.mark.parametrize("name, text", TEXTS, ids=[n for n, _ in TEXTS])
def test_every_arxiv_id_is_a_checked_paper_cited_with_its_first_author_and_year(name, text):
    problems = id_problems(name, text)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name, text", TEXTS, ids=[n for n, _ in TEXTS])
def test_the_three_papers_author_lists_years_and_titles(name, text):
    problems = list_problems(name, text)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("bad, check", [
    # lesson 00's reference before issue 27: the wrong authors
    ("- Tu, Tran, Zhou, Mahoney, Anandkumar et al., *Guaranteed Approximation Bounds for "
     "Mixed-Precision Neural Operators*, ICLR 2024, arXiv:2307.15034.", list_problems),
    ("Hayford, Goldman-Wetzler, Lu, CMAME 2024", list_problems),                  # an author missing
    ("Leng et al. 2023 showed", list_problems),                                   # the wrong year
    ("*Guaranteed Approximation Bounds for Neural Operators*", list_problems),   # a title cut short
    ("ZCS (Leng et al. 2024, arXiv:2311.00680)", id_problems),                    # digits swapped
    ("Tu et al. 2024 (arXiv:2311.00860)", id_problems),                           # another paper's id
    ("Tu et al., ICLR 2023, arXiv:2307.15034", id_problems),                      # the wrong year
])
def test_the_checks_catch_wrong_facts(bad, check):
    assert check("snippet", bad), f"not caught: {bad}"
