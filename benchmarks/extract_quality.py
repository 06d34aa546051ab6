"""``scrapy extract``'s generic mode against trafilatura and htmldate on third-party pages.

The pages of ``shared/bench`` (aeb: article bodies; traf: trafilatura's own set, snippets
that must and must not be in the body; dates: htmldate's set, publication days) are read by
the same code ``scrapy extract`` runs for a URL no profile claims (``OfflineCrawler`` with
the generic profile: structured data, trafilatura's text, our cleaning, the pipeline stages),
in this process, page by page, alternating with the reference tools on the same decoded
text: trafilatura default, ``fast`` and ``favor_precision`` for bodies, htmldate ``fast``
and ``extensive`` for dates (without the URL, as htmldate's own evaluation runs it, and given
the URL, as ours is), plus trafilatura default and ``fast`` on the dates set for their time
only. Scored by ``shared/bench/score.py``. Time per page excludes
reading the files; each method's time is the median over ``--repeats`` passes.

    python benchmarks/extract_quality.py [--bench DIR] [--sets aeb,traf,dates] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import REPO, machine_note, save_result, table

BENCH = REPO.parent / "shared" / "bench"
SETS = {
    "aeb": ("aeb/ground-truth.json", "aeb/html", "{key}.html.gz", "body"),
    "traf": ("trafilatura-eval/evaldata.json", "trafilatura-eval/html", "{file}", "body"),
    "dates": ("htmldate-eval/evaldata.json", "htmldate-eval/html", "{file}", "published_at"),
}


def pages(bench: Path, name: str) -> list[tuple[str, str]]:
    """(url, decoded html) of a set, decoded once as Scrapy would."""
    from w3lib.encoding import html_to_unicode

    truth_file, folder, pattern, _ = SETS[name]
    truth = json.loads((bench / truth_file).read_text(encoding="utf-8"))
    out = []
    for key, entry in truth.items():
        url = entry.get("url", key)
        file = pattern.format(key=key, file=entry.get("file", key))
        raw = gzip.decompress((bench / folder / file).read_bytes())
        out.append((url, html_to_unicode(None, raw)[1]))
    return out


def ours(urls: list[str]) -> Callable[[str, str], dict[str, Any]]:
    """What ``scrapy extract`` does for each page (``SavedPageReader``: the profile of the
    URL's site, else the generic mode; one extractor per site, all made before the timing
    starts, as a run over many pages of a site would; anew for every pass, since a run drops
    a page it has seen as a duplicate)."""
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    from newsarchive.commands.extract import Command, SavedPageReader

    settings = get_project_settings()
    settings.setdict(Command.default_settings, priority="cmdline")
    reader = SavedPageReader(settings, SpiderLoader.from_settings(settings))
    for url in urls:
        with contextlib.suppress(ValueError):  # a URL with no host: its line says so
            reader.extractor_for(url)
    return lambda url, html: reader.read(url, html.encode("utf-8"))


def local_day(row: dict[str, Any]) -> str | None:
    """The day ``published_at_raw`` states, in its own offset (an ISO time with an offset);
    else the UTC day of ``published_at`` (a bare day, a naive or non-ISO time)."""
    from datetime import datetime

    published, raw = row.get("published_at"), row.get("published_at_raw") or ""
    if not published:
        return None
    try:
        stated = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return published[:10]
    return stated.date().isoformat() if stated.tzinfo else published[:10]


def references(kind: str) -> dict[str, Callable[[str, str], dict[str, Any]]]:
    if kind == "body":
        import trafilatura

        def traf(**options: Any) -> Callable[[str, str], dict[str, Any]]:
            return lambda url, html: {"body": trafilatura.extract(html, url=url, **options)}

        return {
            "trafilatura default": traf(),
            "trafilatura fast": traf(fast=True),
            "trafilatura favor_precision": traf(favor_precision=True),
        }
    import trafilatura
    from htmldate import find_date

    def htmldate(extensive: bool, with_url: bool) -> Callable[[str, str], dict[str, Any]]:
        return lambda url, html: {
            "published_at": find_date(
                html, url=url if with_url else None, extensive_search=extensive, original_date=True
            )
        }

    def traf_time(**options: Any) -> Callable[[str, str], dict[str, Any]]:
        return lambda url, html: {"body": trafilatura.extract(html, url=url, **options)}

    return {
        "htmldate fast": htmldate(False, False),
        "htmldate extensive": htmldate(True, False),
        # ours is given the page's URL (scrapy extract reads a URL and a file): so is htmldate
        "htmldate fast, given the URL": htmldate(False, True),
        "htmldate extensive, given the URL": htmldate(True, True),
        # time only (bodies, not scored here): the time target is against trafilatura on
        # every set
        TIME_ONLY[0]: traf_time(),
        TIME_ONLY[1]: traf_time(fast=True),
    }


TIME_ONLY = ("trafilatura default (time only)", "trafilatura fast (time only)")


def run_set(bench: Path, name: str, repeats: int) -> list[list[Any]]:
    kind = SETS[name][3]
    items = pages(bench, name)
    ours_name = "ours (scrapy extract, generic)"
    methods = {ours_name: ours([u for u, _ in items]), **references(kind)}
    outputs: dict[str, list[Any]] = {m: [None] * len(items) for m in methods}
    local: list[Any] = [None] * len(items)
    times: dict[str, list[float]] = {m: [] for m in methods}
    for number in range(repeats):
        if number:
            methods[ours_name] = ours([u for u, _ in items])
        spent = dict.fromkeys(methods, 0.0)
        for i, (url, html) in enumerate(items):  # the methods alternate page by page
            for method, extract in methods.items():
                started = time.perf_counter()
                result = extract(url, html)
                spent[method] += time.perf_counter() - started
                outputs[method][i] = result.get(kind)
                if method == ours_name and kind == "published_at":
                    local[i] = local_day(result)
        for method in methods:
            times[method].append(spent[method] / len(items) * 1000)
    if kind == "published_at":
        # The set's days are the publisher's local days; ours are UTC instants. Scored both
        # ways: the UTC day, and the day the winning string states in its own offset.
        local_name = "ours, day in the page's own offset"
        outputs[local_name], times[local_name] = local, times[ours_name]
        methods = {**methods, local_name: methods[ours_name]}
    rows = []
    with tempfile.TemporaryDirectory() as temp:
        for method in (m for m in methods if m not in TIME_ONLY):
            path = Path(temp) / "predictions.jsonl"
            with path.open("w", encoding="utf-8") as sink:
                for (url, _), value in zip(items, outputs[method], strict=True):
                    sink.write(json.dumps({"url": url, kind: value or ""}) + "\n")
            done = subprocess.run(
                [sys.executable, str(bench / "score.py"), name, str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise SystemExit(f"score.py failed on {method}: {done.stderr[-2000:]}")
            scored = done.stdout.strip()
            median = statistics.median(times[method])
            passes = _passes(times[method])
            rows.append([name, method, scored.splitlines()[-1], f"{median:.1f}", passes])
        for method in TIME_ONLY if kind == "published_at" else ():
            median = statistics.median(times[method])
            passes = _passes(times[method])
            rows.append([name, method, "(bodies: not scored on this set)", f"{median:.1f}", passes])
    return rows


def _passes(times: list[float]) -> str:
    return " ".join(f"{t:.1f}" for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=BENCH)
    parser.add_argument("--sets", default="aeb,traf,dates")
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    print(machine_note())
    rows = []
    for name in options.sets.split(","):
        rows += run_set(options.bench, name.strip(), options.repeats)
        print(f"{name}: done", flush=True)
    print(table(["set", "method", "score.py", "ms/page (median of passes)", "each pass"], rows))
    print(f"saved {save_result('extract_quality', {'rows': rows})}")


if __name__ == "__main__":
    main()
