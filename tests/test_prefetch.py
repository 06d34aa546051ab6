"""Listing pages fetched ahead while one waits for its retry (``middlewares/prefetch.py``):
the section's later pages no longer wait behind it, and the crawl reads and archives exactly
what it would have without them."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsarchive.evaluate import load_archive
from newsarchive.mirror import build_site
from newsarchive.mirror.faults import FaultPlan, Scenario
from newsarchive.mirror.server import MirrorServer
from tests.conftest import run_crawl

MIRROR_NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
LATER_NEWS_PAGE = re.compile(r"/news/\d+")


@dataclass(frozen=True)
class ThrottledListing(FaultPlan):
    """Every later page of the news listing answers 429 (``Retry-After: 1``) once."""

    def scenario(self, path: str) -> Scenario | None:
        return Scenario("http429", 1) if LATER_NEWS_PAGE.fullmatch(path) else None


def stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def crawl(tmp_path: Path, plan: FaultPlan | None, **settings: str) -> tuple[Any, list[dict]]:
    faults = {"faults": plan} if plan is not None else {}
    with MirrorServer(build_site(400, 3, MIRROR_NOW), **faults) as server:
        result = run_crawl(server.base_url, tmp_path / "output", "sections=news", settings=settings)
        requests = [r for r in server.requests if LATER_NEWS_PAGE.fullmatch(r.get("path", ""))]
    assert result.returncode == 0, result.log[-3000:]
    return result, requests


def test_later_pages_are_fetched_while_one_waits_and_read_in_order(tmp_path: Path) -> None:
    plan = ThrottledListing(rate=0)
    ahead, requests = crawl(tmp_path / "ahead", plan)
    plain, plain_requests = crawl(tmp_path / "plain", plan, NEWSARCHIVE_LISTING_PREFETCH="0")

    pages = sorted({r["path"] for r in plain_requests}, key=lambda p: int(p.rsplit("/", 1)[1]))
    assert len(pages) >= 4  # a listing long enough to wait on

    # Without: each page is asked for only once the one before was read, after its wait.
    first_ok = {r["path"]: r["time"] for r in reversed(plain_requests) if r["status"] == 200}
    first_ask = {r["path"]: r["time"] for r in reversed(plain_requests)}
    assert all(first_ask[b] >= first_ok[a] for a, b in itertools.pairwise(pages))
    # With: the pages after the first that waits were asked for during its wait.
    first_ask = {r["path"]: r["time"] for r in reversed(requests)}
    first_ok = {r["path"]: r["time"] for r in reversed(requests) if r["status"] == 200}
    assert first_ask[pages[1]] < first_ok[pages[0]]

    # The same listing read, in order, once per page, and the same archive.
    for log in (ahead.log, plain.log):
        assert stat(log, "newsarchive/listing/pages") == len(pages) + 1
    assert stat(ahead.log, "newsarchive/listing/prefetch/used") >= 2
    assert stat(plain.log, "newsarchive/listing/prefetch/sent") == 0
    archived = [r["article_id"] for r in load_archive(tmp_path / "ahead" / "output")]
    assert len(archived) == len(set(archived))
    assert set(archived) == {r["article_id"] for r in load_archive(tmp_path / "plain" / "output")}
    assert ahead.manifest["completeness"]["sections"]["news"]["recorded"]
    # A page fetched ahead is fetched once more only if its turn came before its answer.
    sent = stat(ahead.log, "newsarchive/listing/prefetch/sent")
    used = stat(ahead.log, "newsarchive/listing/prefetch/used")
    unused = stat(ahead.log, "newsarchive/listing/prefetch/unused")
    assert used + unused <= sent


def test_a_site_that_answers_well_gets_no_request_more(tmp_path: Path) -> None:
    result, requests = crawl(tmp_path, None)
    assert stat(result.log, "newsarchive/listing/prefetch/sent") == 0
    assert len(requests) == len({r["path"] for r in requests})


def test_a_listing_goes_ahead_of_the_articles_while_few_are_queued() -> None:
    from types import SimpleNamespace

    from newsarchive.spiders.base import LISTING_AHEAD_BELOW
    from newsarchive.spiders.moscowtimes import MoscowTimesSpider

    spider = MoscowTimesSpider()

    def queued(count: int | None) -> int:
        slot = None if count is None else SimpleNamespace(scheduler=[None] * count)
        spider.crawler = SimpleNamespace(engine=SimpleNamespace(_slot=slot))  # type: ignore[assignment]
        return spider.next_listing_priority()

    article_priority = 1
    assert queued(0) > article_priority and queued(LISTING_AHEAD_BELOW - 1) > article_priority
    # a backfill's queue stays bounded: past the bound the next page waits behind them
    assert queued(LISTING_AHEAD_BELOW) < article_priority
    assert queued(None) < article_priority  # no engine to ask: the safe side
