"""Crawl time on the faulty mirror against the same crawl of the clean one (issue 11 §1).

The same mirror (``--articles``, seed 3), the tests' fast settings (no AutoThrottle, no
delay, 16 requests at a time) and the project's backoff settings, crawled clean and under
fault plans, one after the other in this run:

- ``sporadic 503``: 2% of pages answer 503 for a few attempts (``FaultPlan(kinds={http503},
  rate=0.02)``): the crawl should keep its speed (throughput = clean time / time);
- ``default plan``: ``FaultPlan()``, every fault kind on 30% of pages, 10% of the faulty
  articles hostile for good (5-second answers, resets, 429 with ``Retry-After: 1`` ...);
- ``sustained 429``: 30% of pages answer 429 with ``Retry-After: 1`` for their first attempt
  or two, on a smaller mirror (``--sustained-articles``): the crawl should slow down.

The whole sequence is run ``--repeats`` times (interleaved, so that a change in the machine's
load touches every layout alike); each layout's time is compared with the clean crawl of its
own round, and the medians are shown. ``seconds`` is the whole ``scrapy crawl`` as a user
times it, start-up and shut-down included; ``crawl s`` is the crawl itself, from the first
request the mirror saw to its last answer, without the fixed start-up and shut-down (about
2 s on an idle machine, more when it is busy) that make a loaded machine's ratios look
better. Each crawl is checked against the mirror's ground truth: every article served right
within the retry budget archived (``missing``), none twice (``twice``).

    python benchmarks/fault_recovery.py [--articles 400] [--sustained-articles 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import machine_note, save_result, table

from newsarchive.evaluate import load_archive
from newsarchive.mirror import build_site
from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.server import MirrorServer
from tests.conftest import run_crawl

MIRROR_NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
ATTEMPTS = 4  # the project's RETRY_TIMES (3) + 1


@dataclass
class Crawl:
    seconds: float
    span: float
    manifest: dict[str, Any]
    missing: int
    twice: int


def crawl(articles: int, plan: FaultPlan | None) -> Crawl:
    site = build_site(articles, 3, MIRROR_NOW)
    faults = {"faults": plan} if plan is not None else {}
    with MirrorServer(site, **faults) as server, tempfile.TemporaryDirectory() as temp:
        started = time.perf_counter()
        result = run_crawl(server.base_url, Path(temp) / "output", timeout=3600)
        seconds = time.perf_counter() - started
        times = [r["time"] for r in server.requests]
        truth = server.ground_truth()
        archived = Counter(str(r["article_id"]) for r in load_archive(Path(temp) / "output"))
        manifest = result.manifest
    servable = {
        a["article_id"]
        for a in truth["articles"]
        if a["servable_within"] is not None and a["servable_within"] <= ATTEMPTS
    }
    return Crawl(
        seconds,
        max(times) - min(times),
        manifest,
        missing=len(servable - set(archived)),
        twice=sum(1 for n in archived.values() if n > 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--sustained-articles", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    print(machine_note())
    layouts = [
        ("clean", options.articles, None),
        ("sporadic 503", options.articles, FaultPlan(kinds=frozenset({"http503"}), rate=0.02)),
        ("default plan", options.articles, FaultPlan()),
        ("clean", options.sustained_articles, None),
        (
            "sustained 429",
            options.sustained_articles,
            FaultPlan(kinds=frozenset({"http429"}), rate=0.3, hostile_rate=0),
        ),
    ]
    runs: list[list[Crawl]] = [[] for _ in layouts]
    ratios: list[list[tuple[float, float]]] = [[] for _ in layouts]
    for round_ in range(1, options.repeats + 1):
        clean: dict[int, Crawl] = {}
        for i, (name, articles, plan) in enumerate(layouts):
            done = crawl(articles, plan)
            base = clean.setdefault(articles, done)
            runs[i].append(done)
            ratios[i].append((done.seconds / base.seconds, done.span / base.span))
            print(
                f"round {round_}: {name}: {done.seconds:.1f} s (crawl {done.span:.1f} s), "
                f"x{ratios[i][-1][0]:.2f} (crawl x{ratios[i][-1][1]:.2f}), "
                f"missing {done.missing}, twice {done.twice}",
                flush=True,
            )
    rows = []
    for (name, articles, _), done, ratio in zip(layouts, runs, ratios, strict=True):
        slow = [c.manifest["slowdowns"] for c in done]
        answers = Counter[str]()
        for s in slow:
            answers.update(s["answers"])
        time_ratio = statistics.median(r[0] for r in ratio)
        rows.append(
            [
                name,
                articles,
                "/".join(str(c.manifest["rows_written"]) for c in done),
                max(c.missing for c in done),
                max(c.twice for c in done),
                f"{statistics.median(c.seconds for c in done):.1f}",
                f"{time_ratio:.2f}",
                f"{1 / time_ratio:.2f}",
                f"{statistics.median(c.span for c in done):.1f}",
                f"{statistics.median(r[1] for r in ratio):.2f}",
                "/".join(str(s["episodes"]) for s in slow),
                f"{statistics.median(s['seconds'] for s in slow):.1f}",
                ", ".join(f"{n / len(done):g} x {code}" for code, n in sorted(answers.items()))
                or "-",
            ]
        )
    header = ["layout", "articles", "rows", "missing", "twice", "seconds", "time / clean"]
    header += ["throughput", "crawl s", "crawl / clean", "slow-downs", "slowed s"]
    print(f"medians of {options.repeats} rounds (rows, slow-downs: each round)")
    print(table([*header, "429/503 answers (mean)"], rows))
    print(f"saved {save_result('fault_recovery', {'machine': machine_note(), 'rows': rows})}")


if __name__ == "__main__":
    main()
