"""What repeat runs cost, and what a catch-up costs: requests per run, against the mirror.

Sequences, each on a fresh archive of the same mirror:

* **hourly**: a first plain run; the mirror publishes 8 articles and updates 4 (6 hours on);
  a second plain run. Its requests as a share of the first run's is the figure of issue 9
  ("about 14% of a first run's requests on a 240-article mirror").
* **catch-up**: a first run with ``-a max_pages=1``, then a plain run (which must archive the
  rest), then another plain run (which must be cheap again).

Every crawl runs ``scrapy crawl`` in a subprocess at full speed against a mirror on
127.0.0.1, as the tests do. ``--against REV`` runs the same sequences with the code of another
commit too (a temporary ``git worktree``), for a before/after in one session; rows and
requests of both are printed, with how many of the mirror's articles each archive misses.

    python benchmarks/incremental_cost.py [--articles 240 1000] [--against 43030d5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import FULL_SPEED, REPO, machine_note, save_result, table

from newsarchive.evaluate import evaluate, load_archive
from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer

FAST = {
    **FULL_SPEED,
    "LOG_LEVEL": "WARNING",
}


def crawl(tree: Path, server: MirrorServer, output: Path, *args: str) -> int:
    """One ``scrapy crawl`` with the code in ``tree``; returns the mirror requests it made
    (robots.txt aside)."""
    server.clear_requests()
    command = [sys.executable, "-m", "scrapy", "crawl", "moscowtimes"]
    command += ["-a", f"base_url={server.base_url}", *[f"-a{a}" for a in args]]
    for name, value in {**FAST, "NEWSARCHIVE_OUTPUT": str(output)}.items():
        command += ["-s", f"{name}={value}"]
    subprocess.run(command, cwd=tree, capture_output=True, check=False)
    return sum(1 for r in server.requests if r["path"] != "/robots.txt")


def missing(server: MirrorServer, output: Path) -> int:
    return len(evaluate(load_archive(output), server.ground_truth()).missing)


def sequences(tree: Path, articles: int, seed: int, work: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with MirrorServer(build_site(articles=articles, seed=seed)) as server:
        first = crawl(tree, server, work / "hourly")
        server.advance(new_articles=8, updated_articles=4, hours=6)
        hourly = crawl(tree, server, work / "hourly")
        figures["first run requests"] = first
        figures["hourly run requests"] = hourly
        figures["hourly / first"] = round(hourly / first, 3)
        figures["hourly: missing after"] = missing(server, work / "hourly")
    with MirrorServer(build_site(articles=articles, seed=seed)) as server:
        limited = crawl(tree, server, work / "catchup", "max_pages=1")
        catch_up = crawl(tree, server, work / "catchup")
        figures["max_pages=1 run requests"] = limited
        figures["catch-up run requests"] = catch_up
        figures["catch-up: missing after"] = missing(server, work / "catchup")
        figures["next run requests"] = crawl(tree, server, work / "catchup")
        figures["next run: missing after"] = missing(server, work / "catchup")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[240, 1000])
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--against", help="also run the code of this commit (e.g. 43030d5)")
    options = parser.parse_args()
    print(machine_note())
    trees = {"this checkout": REPO}
    with tempfile.TemporaryDirectory() as temp:
        if options.against:
            other = Path(temp) / "against"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(other), options.against],
                cwd=REPO,
                check=True,
                capture_output=True,
            )
            trees[options.against] = other
        try:
            results = {}
            for articles in options.articles:
                for name, tree in trees.items():
                    work = Path(temp) / f"{name.replace(' ', '-')}-{articles}"
                    results[(name, articles)] = sequences(tree, articles, options.seed, work)
        finally:
            if options.against:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(trees[options.against])],
                    cwd=REPO,
                    check=False,
                )
    keys = list(next(iter(results.values())))
    headers = ["code", "articles", *keys]
    rows = [[name, articles, *figures.values()] for (name, articles), figures in results.items()]
    print(table(headers, rows))
    saved = save_result("incremental_cost", {f"{n} / {a}": f for (n, a), f in results.items()})
    print(f"saved {saved}")


if __name__ == "__main__":
    main()
