"""Quality on third-party pages: our generic extraction vs trafilatura / htmldate.

    python benchmarks/bench_quality.py [--bench ../shared/bench] [--sets aeb,dates] [--traf]

Uses the read-only benchmark sets of ``shared/bench`` (see its README; default: the
``shared/bench`` folder beside the repository) and its scorer ``score.py``; nothing of them is
copied into the repository. Predictions are written as JSON Lines to ``benchmarks/results/``.

* **aeb** (article body): the project has no generic page parser yet, so "ours generic" is the
  boilerplate layer alone: ``clean_body(<body> of the page, BoilerplateRules())`` (generic
  selectors and text rules only, no site rules) and ``clean_paragraphs``: roughly "the page's
  text minus obvious furniture", NOT an article extractor. Against trafilatura 2.3.1
  ``extract`` with default settings, ``favor_precision=True`` and ``fast=True``.
* **dates** (htmldate's set, publication day): ours = ``first_valid_datetime`` over the
  candidates found generically with ``newsarchive.extract.html`` (head meta such as
  ``article:published_time``, JSON-LD ``datePublished``...; the tiers are listed in
  ``DATE_TIERS``), reported as the UTC day our archive would store and as the day written on
  the page; against ``htmldate.find_date`` in its fast and extensive modes. Nobody gets the
  URL (htmldate could read dates from it): HTML only.
* ``--traf`` adds trafilatura's own evaluation set (519 pages, mostly German) for the body.

Pages are decoded once, the way Scrapy decodes responses (``w3lib.encoding``), and every tool
gets the same text. Times are a single pass, for orientation only; ``extraction_speed.py``
measures speed properly.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import REPO, RESULTS, machine_note, table
from lxml import etree
from lxml import html as lxml_html
from parsel import Selector
from w3lib.encoding import html_to_unicode

from newsarchive.cleaning.boilerplate import BoilerplateRules, clean_body
from newsarchive.cleaning.text import clean_paragraphs, join_paragraphs
from newsarchive.dates import is_plausible, parse_datetime
from newsarchive.extract.html import jsonld_objects, meta

GENERIC_RULES = BoilerplateRules()
ISO_DAY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")

# Where a page states its publication time, best first. Tier 1 is what the project already
# reads on The Moscow Times (head meta, JSON-LD); tier 2 adds common generic markup.
HEAD_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "DC.date.issued",
    "dc.date.issued",
    "DC.date",
    "dc.date",
    "dcterms.created",
    "dcterms.date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "cXenseParse:recs:publishtime",
)
JSONLD_KEYS = ("datePublished", "dateCreated", "uploadDate")


def date_candidates(sel: Selector, tier: int) -> list[str]:
    candidates = [meta(sel, key) for key in HEAD_META]
    objects, _ = jsonld_objects(sel)
    for key in JSONLD_KEYS:
        candidates += [obj[key] for obj in objects if isinstance(obj.get(key), str)]
    if tier >= 2:
        candidates += sel.xpath(
            '//*[@itemprop="datePublished"]/@content | //*[@itemprop="datePublished"]/@datetime'
            " | //time[@pubdate]/@datetime | //time[@datetime][1]/@datetime"
        ).getall()
        candidates += [meta(sel, "article:modified_time"), meta(sel, "og:updated_time")]
    return [c for c in candidates if c]


def ours_date(html: str, tier: int) -> tuple[str | None, str | None]:
    """(UTC day as archived, day as written on the page) of the first plausible candidate."""
    sel = Selector(text=html)
    for candidate in date_candidates(sel, tier):
        parsed = parse_datetime(candidate)  # first_valid_datetime, keeping the winning string
        if parsed is not None and is_plausible(parsed):
            written = ISO_DAY.match(candidate)
            utc_day = parsed.date().isoformat()
            return utc_day, written.group(1) if written else utc_day
    return None, None


def ours_generic_body(html: str) -> str:
    try:
        doc = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    body = doc.find("body")
    fragment = etree.tostring(body if body is not None else doc, encoding="unicode")
    return join_paragraphs(clean_paragraphs(clean_body(fragment, GENERIC_RULES).paragraphs)) or ""


# --- data ------------------------------------------------------------------------------------


def decode(raw: bytes) -> str:
    return html_to_unicode(None, raw)[1]


def aeb_pages(bench: Path) -> Iterator[tuple[str, str]]:
    truth = json.loads((bench / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, case in truth.items():
        yield (
            case["url"],
            decode(gzip.decompress((bench / "aeb" / "html" / f"{page_id}.html.gz").read_bytes())),
        )


def eval_pages(bench: Path, folder: str) -> Iterator[tuple[str, str]]:
    data = json.loads((bench / folder / "evaldata.json").read_text(encoding="utf-8"))
    for url, case in data.items():
        yield url, decode(gzip.decompress((bench / folder / "html" / case["file"]).read_bytes()))


# --- running and scoring ---------------------------------------------------------------------


def predict(
    name: str,
    pages: list[tuple[str, str]],
    fn: Callable[[str], Any],
    field: str,
    outdir: Path,
) -> tuple[dict[str, Path], float]:
    """Run ``fn`` on every page; one JSONL file per output. ``fn`` returns a value, or a dict
    of several named values computed together (one run, several ways to report it)."""
    outputs: dict[str, list[str]] = {}
    spent = 0.0
    fn(pages[0][1])  # warm-up: lazy imports (dateparser, ...) are not per-page costs
    for url, html in pages:
        start = time.perf_counter()
        value = fn(html)
        spent += time.perf_counter() - start
        values = value if isinstance(value, dict) else {"": value}
        for suffix, v in values.items():
            line = json.dumps({"url": url, field: v}, ensure_ascii=False)
            outputs.setdefault(f"{name}{suffix}", []).append(line)
    paths = {}
    for full_name, lines in outputs.items():
        path = outdir / (re.sub(r"[^\w.+-]+", "_", full_name).strip("_") + ".jsonl")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths[full_name] = path
    return paths, spent / len(pages) * 1000


def score(bench: Path, kind: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(bench / "score.py"), kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    last = done.stdout.strip().splitlines()[-1]
    numbers = re.findall(r"(F1|precision|recall|accuracy) ([\d.]+)", last)
    return {key: float(value) for key, value in numbers}


def body_methods() -> dict[str, Callable[[str], str]]:
    import trafilatura

    return {
        "ours generic (clean_body of <body>)": ours_generic_body,
        "trafilatura default": lambda h: trafilatura.extract(h) or "",
        "trafilatura favor_precision": lambda h: trafilatura.extract(h, favor_precision=True) or "",
        "trafilatura fast": lambda h: trafilatura.extract(h, fast=True) or "",
    }


def date_methods() -> dict[str, Callable[[str], Any]]:
    from htmldate import find_date

    def ours(tier: int) -> Callable[[str], dict[str, str | None]]:
        def run(html: str) -> dict[str, str | None]:
            utc_day, written_day = ours_date(html, tier)
            return {", UTC day": utc_day, ", day as written": written_day}

        return run

    return {
        "ours head+JSON-LD": ours(1),
        "ours head+JSON-LD+itemprop/time": ours(2),
        "htmldate fast": lambda h: find_date(h, extensive_search=False, original_date=True),
        "htmldate extensive": lambda h: find_date(h, extensive_search=True, original_date=True),
    }


def run_set(
    bench: Path, kind: str, pages: list[tuple[str, str]], methods: dict[str, Any], outdir: Path
) -> list[list[Any]]:
    field = "published_at" if kind == "dates" else "body"
    rows = []
    for name, fn in methods.items():
        paths, ms = predict(f"{kind}-{name}", pages, fn, field, outdir)
        for full_name, path in paths.items():
            s = score(bench, kind, path)
            label = full_name.removeprefix(f"{kind}-")
            rows.append(
                [
                    label,
                    f"{s.get('F1', 0):.4f}",
                    f"{s.get('precision', 0):.4f}",
                    f"{s.get('recall', 0):.4f}",
                    f"{s.get('accuracy', 0):.4f}",
                    f"{ms:.1f}",
                ]
            )
            print(f"  {kind}: {label}: F1 {s.get('F1', 0):.4f} ({ms:.1f} ms/page)", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bench",
        type=Path,
        default=REPO.parent / "shared" / "bench",
        help="folder with aeb/, htmldate-eval/, trafilatura-eval/ and score.py "
        "(default: shared/bench beside the repository)",
    )
    parser.add_argument("--sets", default="aeb,dates", help="comma-separated: aeb, dates, traf")
    parser.add_argument("--traf", action="store_true", help="also trafilatura's set (slow)")
    parser.add_argument(
        "--limit",
        type=int,
        help="only the first N pages of each set (a smoke test: the "
        "scores then count the other pages as empty)",
    )
    args = parser.parse_args(argv)
    bench: Path = args.bench.resolve()
    if not (bench / "score.py").exists():
        parser.error(f"no benchmark data at {bench} (give --bench)")
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.traf and "traf" not in sets:
        sets.append("traf")

    print(machine_note())
    outdir = RESULTS / f"quality-{time.strftime('%Y%m%dT%H%M%S')}"
    outdir.mkdir(parents=True, exist_ok=True)
    headers = ["method", "F1", "precision", "recall", "accuracy", "ms/page (1 pass)"]
    tables: dict[str, list[list[Any]]] = {}
    for kind in sets:
        if kind == "aeb":
            pages = list(aeb_pages(bench))
            methods: dict[str, Any] = body_methods()
        elif kind == "traf":
            pages = list(eval_pages(bench, "trafilatura-eval"))
            methods = body_methods()
        elif kind == "dates":
            pages = list(eval_pages(bench, "htmldate-eval"))
            methods = date_methods()
        else:
            parser.error(f"unknown set {kind!r}")
        pages = pages[: args.limit] if args.limit else pages
        print(f"{kind}: {len(pages)} pages", flush=True)
        tables[kind] = run_set(bench, kind, pages, methods, outdir)
    for kind, rows in tables.items():
        print(f"\n{kind} (scored by shared/bench/score.py {kind}):")
        print(table(headers, rows))
    print(f"\npredictions: {outdir.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
