"""The generic mode (``scrapy crawl news``, no profile) on both bundled mirrors, against their
ground truth: body paragraphs (precision, recall, F1), boilerplate sentences leaked into any
text column, and what learned boilerplate adds (the same crawl with repetition learning off).
A profiled crawl of each mirror is the reference.

    python benchmarks/generic_mirrors.py [--articles 300] [--seed 5]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _common import machine_note, save_result, table

from newsarchive.evaluate import evaluate, load_archive
from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from tests.conftest import run_crawl

# In the past, so that no article is in the revisit window and both crawls see one site.
MIRROR_NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
LAYOUTS = (
    # (mirror, spider, repetition learning)
    ("moscowtimes", "moscowtimes", True),
    ("moscowtimes", "news", True),
    ("moscowtimes", "news", False),
    ("wordpress", "lindenauer", True),
    ("wordpress", "news", True),
    ("wordpress", "news", False),
)


def run(mirror: str, spider: str, learning: bool, articles: int, seed: int) -> list[object]:
    site = build_site(articles, seed, MIRROR_NOW, site=mirror)
    settings = {} if learning else {"NEWSARCHIVE_REPEATED_BLOCK_MIN_ARTICLES": "0"}
    with MirrorServer(site) as server, tempfile.TemporaryDirectory() as temp:
        result = run_crawl(server.base_url, Path(temp) / "output", spider=spider, settings=settings)
        truth = server.ground_truth()
        if result.returncode:
            raise SystemExit(f"{mirror}/{spider} failed: {result.log[-2000:]}")
        rows = load_archive(result.output)
        learned = result.manifest["boilerplate"]["learned_blocks"]
    # The generic mode's article ID is the URL's path: compare by URL.
    ids = {a["url"]: a["article_id"] for a in truth["articles"]}
    report = evaluate(
        [{**r, "article_id": ids.get(r["url"], r["article_id"])} for r in rows], truth
    )
    precision, recall = report.paragraph_precision, report.paragraph_recall
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return [
        mirror,
        "profile" if spider != "news" else "generic",
        "on" if learning else "off",
        f"{len(rows)}/{len(truth['articles'])}",
        f"{precision:.4f}",
        f"{recall:.4f}",
        f"{f1:.4f}",
        len(report.boilerplate_leaks),
        learned,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    options = parser.parse_args()
    print(machine_note())
    rows = [run(*layout, options.articles, options.seed) for layout in LAYOUTS]
    header = ["mirror", "mode", "learning", "articles", "body P", "body R", "body F1"]
    print(table([*header, "leaked sentences", "blocks learned"], rows))
    print(f"saved {save_result('generic_mirrors', {'rows': rows})}")


if __name__ == "__main__":
    main()
