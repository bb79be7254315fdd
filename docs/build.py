"""Build the course site offline: ``python docs/build.py`` -> docs/_build/html/index.html.

1. executes every lesson (notebooks/) and solution (solutions/) in quick mode, two at a time,
   skipping notebooks whose content and library are unchanged since the last build (cache in
   docs/_build/executed/); a cell that raises fails the build;
2. writes the generated pages under docs/course/: lesson pages (widget panels frozen to their last
   image, a card with objectives, budget and Colab/Binder buttons), the course map from README,
   the glossary (docs/glossary.md, its lesson links pointed at the lesson pages), the API
   reference, the results pages with CPU quick runs measured now;
3. runs Sphinx with -W (every warning is an error) and checks the HTML: internal links resolve,
   every lesson page shows a figure, no page shows a traceback;
4. writes each lesson's slides (reveal.js, served from the site: no CDN) beside its page.

``--only 00,01`` builds those lessons alone (for development: links to the others then dangle,
so warnings are reported, not fatal).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's sciml_teach

from sitegen import BUILD, DOCS, GENERATED, LESSON_FOLDERS, ROOT  # noqa: E402
from sitegen import api, checks, execute, lessons, results, slides  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python docs/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated lesson numbers, e.g. 00,01")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--no-cpu-results", action="store_true",
                        help="skip the CPU benchmark runs (the results page shows GPU runs only)")
    parser.add_argument("--out", type=Path, default=BUILD / "html", help="where the HTML goes")
    return parser.parse_args(argv)


def sources(only: str) -> list[Path]:
    numbers = [n.strip() for n in only.split(",") if n.strip()]
    found = [p for folder in LESSON_FOLDERS for p in sorted((ROOT / folder).glob("*.ipynb"))]
    return [p for p in found if not numbers or p.name[:2] in numbers]


def write_pages(executed: dict[Path, Path], cpu_files: list[Path]) -> list[Path]:
    """Generated sources under docs/course/; returns the lesson pages' HTML paths (site-relative).
    Unchanged files keep their time stamps, so Sphinx re-reads only what changed."""
    built, pages, written = lessons.where_built(), [], set()
    for source, copy in executed.items():
        rel = source.relative_to(ROOT)
        written.add(lessons.lesson_page(copy, source, GENERATED / rel, built))
        pages.append(Path("course") / rel.with_suffix(".html"))
    for name, text in [("course_map.md", lessons.course_map(ROOT / "README.md")),
                       ("glossary.md", lessons.glossary_page(DOCS / "glossary.md")),
                       ("api.md", api.api_page(ROOT / "README.md")),
                       ("results.md", results.results_page(DOCS / "results", cpu_files,
                                                           GENERATED / "results.md"))]:
        written.add(lessons.write_if_changed(GENERATED / name, text))
    for stale in [p for p in GENERATED.rglob("*.*") if p.suffix in (".md", ".ipynb")]:
        if stale not in written:   # a lesson removed from the course (or left out by --only)
            stale.unlink()
    return pages


def write_slides(executed: dict[Path, Path], out: Path) -> list[Path]:
    """Each lesson's reveal.js deck beside its page, course/notebooks/X.slides.html, made from the
    executed copy (no second run), with reveal.js served from the site (sitegen/slides.py)."""
    slides.copy_assets(out)
    return [slides.build_deck(copy, out / "course" / "notebooks" / f"{source.stem}.slides.html", out)
            for source, copy in executed.items() if source.parent.name == "notebooks"]


def sphinx(out: Path, strict: bool) -> int:
    from sphinx.cmd.build import build_main
    flags = ["-W", "--keep-going"] if strict else []
    return build_main([*flags, "-q", "-b", "html", "-d", str(BUILD / "doctrees"), str(DOCS), str(out)])


def main(argv=None) -> int:
    args = parse_args(argv)
    start = phase = time.perf_counter()

    def done(what):
        nonlocal phase
        print(f"{what}: {time.perf_counter() - phase:.0f} s", flush=True)
        phase = time.perf_counter()

    execute.kernel_environment()
    print("executing notebooks (quick mode)")
    executed = execute.execute_all(sources(args.only), jobs=args.jobs)
    done("notebooks")
    cpu_files = [] if args.no_cpu_results else results.run_cpu_benchmarks(BUILD / "cpu-results")
    done("CPU benchmarks")
    pages = write_pages(executed, cpu_files)
    done("generated pages")
    strict = not args.only
    status = sphinx(args.out, strict)
    done("sphinx")
    decks = write_slides(executed, args.out)
    done(f"{len(decks)} slide decks")
    problems = checks.broken_links(args.out) + checks.lesson_problems(args.out, pages)
    for problem in problems:
        print(f"site check: {problem}", file=sys.stderr)
    print(f"site: {args.out / 'index.html'} ({time.perf_counter() - start:.0f} s in all)")
    if status or (problems and strict):
        print("site build FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
