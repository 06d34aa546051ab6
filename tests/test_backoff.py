"""Backoff that recovers: a 429/503 now and then delays only its own retry (Retry-After: that
long, no longer); sustained ones slow the site down for a while, and the manifest says so
(``middlewares/retry.py``). An answer that hangs is cut short at the site's own timeout and
fetched again with the whole ``DOWNLOAD_TIMEOUT`` (``middlewares/timeout.py``)."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from newsarchive.evaluate import load_archive
from newsarchive.middlewares.timeout import AdaptiveTimeoutMiddleware
from newsarchive.mirror import build_site
from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.server import MirrorServer
from tests.conftest import run_crawl

MIRROR_NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)  # past: nothing in the revisit window


def crawl_with(plan: FaultPlan, tmp_path: Path, articles: int, **settings: str):  # type: ignore[no-untyped-def]
    with MirrorServer(build_site(articles, 3, MIRROR_NOW), faults=plan) as server:
        result = run_crawl(server.base_url, tmp_path / "output", settings=settings)
        truth = server.ground_truth()
    servable = {
        a["url"] for a in truth["articles"] if a["servable_within"] and a["servable_within"] <= 4
    }
    archived = {r["url"] for r in load_archive(tmp_path / "output")}
    return result, servable, archived


def test_sporadic_503s_do_not_slow_the_site_down(tmp_path: Path) -> None:
    plan = FaultPlan(kinds=frozenset({"http503"}), rate=0.05, hostile_rate=0)
    result, servable, archived = crawl_with(plan, tmp_path, 240)
    slowdowns = result.manifest["slowdowns"]
    assert slowdowns["answers"].get("503", 0) > 0  # the faults were met...
    assert slowdowns["episodes"] == 0 and slowdowns["seconds"] == 0  # ...one by one
    assert servable <= archived
    assert "Slowing down" not in result.log


def test_sustained_429s_slow_the_site_down_then_it_recovers(tmp_path: Path) -> None:
    # Retry-After: 1 on every page's first answer or two; capped at 0.1 s to keep the test short
    plan = FaultPlan(kinds=frozenset({"http429"}), rate=1.0, hostile_rate=0)
    result, servable, archived = crawl_with(plan, tmp_path, 30, NEWSARCHIVE_RETRY_BACKOFF_MAX="0.1")
    slowdowns = result.manifest["slowdowns"]
    assert slowdowns["episodes"] >= 1 and slowdowns["seconds"] > 0
    assert slowdowns["answers"]["429"] >= len(servable)
    assert "Slowing down" in result.log and "is back at full speed after" in result.log
    assert servable <= archived


def attempts_by_path(requests: list[dict]) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """The mirror's log entries of each page, by attempt (its time: when it answered)."""
    paths: dict[str, list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for entry in requests:
        if entry["attempt"]:
            paths[urlsplit(entry["path"]).path].append(entry)
    return {path: sorted(entries, key=lambda e: e["attempt"]) for path, entries in paths.items()}


def test_retry_after_is_honoured_and_not_much_longer(tmp_path: Path) -> None:
    # a 429 with Retry-After: 1 now and then (not sustained: nothing slows down)
    plan = FaultPlan(kinds=frozenset({"http429"}), rate=0.05, hostile_rate=0)
    with MirrorServer(build_site(240, 3, MIRROR_NOW), faults=plan) as server:
        result = run_crawl(server.base_url, tmp_path / "output")
        pages = attempts_by_path(server.requests)
    assert result.returncode == 0, result.log[-3000:]
    waits = [
        later["time"] - entry["time"]
        for entries in pages.values()
        for entry, later in itertools.pairwise(entries)
        if entry["status"] == 429
    ]
    assert len(waits) >= 10
    assert min(waits) >= 0.99  # what the site asked for...
    assert statistics.median(waits) < 1.5 and max(waits) < 3  # ...and not many times longer


def test_an_answer_that_hangs_is_cut_short_and_a_page_always_slow_still_fetched(
    tmp_path: Path,
) -> None:
    # 8-second answers on 20% of the pages: once on listing pages and on half the articles,
    # on every attempt on the other half (hostile). DOWNLOAD_TIMEOUT stays 30 s.
    plan = FaultPlan(kinds=frozenset({"slow"}), rate=0.2, slow_seconds=8, hostile_rate=0.5)
    with MirrorServer(build_site(60, 3, MIRROR_NOW), faults=plan) as server:
        result = run_crawl(server.base_url, tmp_path / "output")
        pages = attempts_by_path(server.requests)
        truth = server.ground_truth()
    assert result.returncode == 0, result.log[-3000:]
    once = [p for p in pages if (s := plan.for_site(server.site).scenario(p)) and s.attempts]
    always = [p for p in pages if (s := plan.for_site(server.site).scenario(p)) and not s.attempts]
    assert len(once) >= 3 and len(always) >= 3
    for path in once:  # the retry was answered before the hanging first attempt was
        first, retry = pages[path][:2]
        assert first["fault"] == "slow" and retry["fault"] is None
        assert retry["time"] < first["time"], path
    for path in always:  # cut short once, then waited for: DOWNLOAD_TIMEOUT is the limit
        assert [e["fault"] for e in pages[path]] == ["slow", "slow"], path
    archived = {r["url"] for r in load_archive(tmp_path / "output")}
    assert archived == {a["url"] for a in truth["articles"]}
    assert "'newsarchive/timeout/first_attempts_cut'" in result.log
    assert "Timeouts for 127.0.0.1: first attempts" in result.log


def test_first_attempts_get_the_sites_timeout_and_retries_the_whole_one() -> None:
    crawler = get_crawler(settings_dict={"DOWNLOAD_TIMEOUT": 30, "NEWSARCHIVE_TIMEOUT_MIN": 1.0})
    timeouts = AdaptiveTimeoutMiddleware(crawler)

    def first_attempt(url: str = "http://site.example/a", **meta: Any) -> Request:
        request = Request(url, meta=meta)
        timeouts.process_request(request)
        return request

    assert first_attempt().meta["download_timeout"] == 1.0  # before any answer: the minimum
    for latency in [0.5] * 95 + [6.0] * 5:  # 5 answers in 100 hang: they don't set it
        answered = Request("http://site.example/b", meta={"download_latency": latency})
        timeouts.process_response(answered, Response(answered.url, request=answered))
    request = first_attempt()
    assert request.meta["download_timeout"] == pytest.approx(1.5)  # 3 x the 95th percentile
    assert first_attempt("http://other.example/").meta["download_timeout"] == 1.0
    retry = request.replace(meta={**request.meta, "retry_times": 1})
    timeouts.process_request(retry)
    assert retry.meta["download_timeout"] == 30
    own = first_attempt(download_timeout=5)
    assert own.meta["download_timeout"] == 5  # a request's own timeout is its own


def test_the_site_is_judged_by_first_attempts_in_a_window_that_outlives_episodes() -> None:
    from newsarchive.middlewares.retry import (
        WINDOW_SECONDS,
        AnswerWindow,
        first_attempt,
        is_sustained,
    )

    window = AnswerWindow()
    for tenth in range(8):
        window.note(tenth / 10, bad=False)
    assert window.note(0.9, bad=True) == (1, 9)  # beside the good answers before it
    assert window.note(1.0, bad=None) == (1, 9)  # a retry's answer is only looked at
    assert window.note(1.0 + WINDOW_SECONDS, bad=None) == (0, 0)  # all out of the window
    assert not is_sustained(3, 12)  # a few early 429s are not yet a quarter of the site's
    assert is_sustained(5, 12) and is_sustained(25, 100) and not is_sustained(24, 100)
    assert first_attempt(Request("http://x/a"))
    assert not first_attempt(Request("http://x/a", meta={"retry_times": 1}))
