"""Backoff that recovers: a 429/503 now and then delays only its own retry (Retry-After: that
long, no longer); sustained ones slow the site down for a while, and the manifest says so
(``middlewares/retry.py``). A first attempt still unanswered at the site's own timeout is
hedged: a second request goes out beside it, the first answer wins, the other is cancelled
(``handlers.py``); where no second request may go out, it is cut short and retried with the
whole ``DOWNLOAD_TIMEOUT`` (``middlewares/timeout.py``)."""

from __future__ import annotations

import itertools
import re
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


@pytest.mark.parametrize("hedge_max", ["2", "0"], ids=["hedged", "cut"])
def test_an_answer_that_hangs_costs_a_second_and_a_page_always_slow_still_fetched(
    tmp_path: Path, hedge_max: str
) -> None:
    # 8-second answers on 20% of the pages: once on listing pages and on half the articles,
    # on every attempt on the other half (hostile). DOWNLOAD_TIMEOUT stays 30 s. Hedged (the
    # default): a second request goes out beside the first after the site's timeout. With no
    # second request allowed (NEWSARCHIVE_HEDGE_MAX=0), the first is cut there and retried.
    plan = FaultPlan(kinds=frozenset({"slow"}), rate=0.2, slow_seconds=8, hostile_rate=0.5)
    with MirrorServer(build_site(60, 3, MIRROR_NOW), faults=plan) as server:
        result = run_crawl(
            server.base_url, tmp_path / "output", settings={"NEWSARCHIVE_HEDGE_MAX": hedge_max}
        )
        pages = attempts_by_path(server.requests)
        truth = server.ground_truth()
    assert result.returncode == 0, result.log[-3000:]
    once = [p for p in pages if (s := plan.for_site(server.site).scenario(p)) and s.attempts]
    always = [p for p in pages if (s := plan.for_site(server.site).scenario(p)) and not s.attempts]
    assert len(once) >= 3 and len(always) >= 3
    hedged_once = hedged_always = cut = 0
    for path in once:  # the second request (or retry) answered; the first was closed
        first, second = pages[path][:2]
        assert (first["fault"], first.get("abandoned")) == ("slow", True), path
        assert (second["fault"], second["status"]) == (None, 200), path
        if second["time"] < first["time"]:  # hedged: closed once the second answered
            hedged_once += 1
        else:  # cut at the site's timeout, then retried
            cut += 1
    for path in always:
        first, second = pages[path]
        assert first["fault"] == second["fault"] == "slow", path
        if first["status"] == 200:  # hedged: the first answered, 8 s after it was sent
            assert second.get("abandoned"), path
            hedged_always += 1
        else:  # cut short once, then waited for: DOWNLOAD_TIMEOUT is the limit
            assert (first.get("abandoned"), second["status"]) == (True, 200), path
            cut += 1
    archived = {r["url"] for r in load_archive(tmp_path / "output")}
    assert archived == {a["url"] for a in truth["articles"]}
    if hedge_max == "0":
        assert hedged_once == hedged_always == 0
    else:
        assert hedged_once >= 2 and hedged_always >= 2
    assert stat(result.log, "newsarchive/hedge/sent") == hedged_once + hedged_always
    assert stat(result.log, "newsarchive/hedge/won") == hedged_once
    assert stat(result.log, "newsarchive/hedge/cancelled") == hedged_once + hedged_always
    assert stat(result.log, "newsarchive/timeout/first_attempts_cut") == cut
    assert "Timeouts for 127.0.0.1: first attempts" in result.log


def stat(log: str, name: str) -> int:
    """A count from the stats the crawl dumped at its end (0 if not there)."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def test_a_hedged_page_that_hangs_for_good_keeps_the_retry_budget(tmp_path: Path) -> None:
    # every attempt hangs past DOWNLOAD_TIMEOUT (4 s): hedged or not, a page is asked for
    # RETRY_TIMES + 1 = 4 times in all, then given up
    plan = FaultPlan(kinds=frozenset({"slow"}), rate=0.1, slow_seconds=30, hostile_rate=1.0)
    with MirrorServer(build_site(30, 3, MIRROR_NOW), faults=plan) as server:
        result = run_crawl(
            server.base_url,
            tmp_path / "output",
            settings={"DOWNLOAD_TIMEOUT": "4", "NEWSARCHIVE_MAX_FAILED_RATIO": "1"},
        )
        pages = attempts_by_path(server.requests)
    hanging = [p for p in pages if (s := plan.for_site(server.site).scenario(p)) and not s.attempts]
    assert hanging, "the plan hangs no page"
    for path in hanging:
        assert len(pages[path]) == 4, (path, pages[path])
        assert all(e.get("abandoned") for e in pages[path]), path
    assert "'newsarchive/hedge/sent'" in result.log
    assert "'newsarchive/failed/timeout'" in result.log


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


def test_first_attempts_are_hedged_where_the_download_handler_can() -> None:
    from newsarchive.handlers import HEDGE_AFTER

    hedging = {"http": "newsarchive.handlers.HedgingDownloadHandler"}  # https: Scrapy's own
    settings = {"DOWNLOAD_TIMEOUT": 30, "DOWNLOAD_HANDLERS": hedging}
    timeouts = AdaptiveTimeoutMiddleware(get_crawler(settings_dict=settings))
    first = Request("http://site.example/a")
    timeouts.process_request(first)
    assert (first.meta[HEDGE_AFTER], first.meta["download_timeout"]) == (1.0, 30)
    retry = first.replace(meta={**first.meta, "retry_times": 1})
    timeouts.process_request(retry)
    assert HEDGE_AFTER not in retry.meta and retry.meta["download_timeout"] == 30
    other = Request("https://site.example/a")
    timeouts.process_request(other)
    assert HEDGE_AFTER not in other.meta and other.meta["download_timeout"] == 1.0
    off = AdaptiveTimeoutMiddleware(
        get_crawler(settings_dict={**settings, "NEWSARCHIVE_HEDGE": False})
    )
    plain = Request("http://site.example/a")
    off.process_request(plain)
    assert HEDGE_AFTER not in plain.meta and plain.meta["download_timeout"] == 1.0


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
