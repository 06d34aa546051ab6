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

    python benchmarks/fault_recovery.py [--articles 400] [--sustained-articles 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import machine_note, save_result, table

from newsarchive.mirror import build_site
from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.server import MirrorServer
from tests.conftest import run_crawl

MIRROR_NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def crawl(articles: int, plan: FaultPlan | None) -> tuple[float, dict]:  # type: ignore[type-arg]
    site = build_site(articles, 3, MIRROR_NOW)
    faults = {"faults": plan} if plan is not None else {}
    with MirrorServer(site, **faults) as server, tempfile.TemporaryDirectory() as temp:
        started = time.perf_counter()
        result = run_crawl(server.base_url, Path(temp) / "output", timeout=3600)
        return time.perf_counter() - started, result.manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--sustained-articles", type=int, default=60)
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
    rows, clean = [], {}
    for name, articles, plan in layouts:
        seconds, manifest = crawl(articles, plan)
        clean.setdefault(articles, seconds)
        slow = manifest["slowdowns"]
        rows.append(
            [
                name,
                articles,
                manifest["rows_written"],
                f"{seconds:.1f}",
                f"{seconds / clean[articles]:.2f}",
                f"{clean[articles] / seconds:.2f}",
                slow["episodes"],
                f"{slow['seconds']:.1f}",
                ", ".join(f"{n} x {code}" for code, n in sorted(slow["answers"].items())) or "-",
            ]
        )
        print(f"{name}: done", flush=True)
    header = ["layout", "articles", "rows", "seconds", "time / clean", "throughput"]
    print(table([*header, "slow-downs", "slowed s", "429/503 answers"], rows))
    print(f"saved {save_result('fault_recovery', {'rows': rows})}")


if __name__ == "__main__":
    main()
