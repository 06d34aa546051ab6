"""The hedged download's rules, on a fake clock and fake downloads (``handlers.py``): the first
answer wins and the other request is cancelled; a second request goes out only past the
site's timeout, at the slot's turn, and only while the site's budget allows, else the first
is cut as a timeout; two failures count two attempts of the retry budget. The crawl-level
behaviour against a slow mirror is in ``test_backoff.py``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Response
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from newsarchive.handlers import HedgedDownload

AFTER = 1.0


class FakeStats:
    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] += count


class FakeHandler:
    """What ``HedgedDownload`` uses of ``HedgingDownloadHandler``: downloads it can see and
    answer, and the site's budget (``turn``: seconds to the slot's turn; None: no budget)."""

    def __init__(self, turn: float | None = 0.0) -> None:
        self.downloads: list[tuple[Request, Deferred[Response]]] = []
        self.cancelled: list[Request] = []
        self.turn = turn
        self.stats = FakeStats()
        self.hedges_in_flight: Counter[str] = Counter()

    def fetch(self, request: Request) -> Deferred[Response]:
        download: Deferred[Response] = Deferred(lambda _: self.cancelled.append(request))
        self.downloads.append((request, download))
        return download

    def hedge_delay(self, request: Request) -> float | None:
        return self.turn

    def inc_stat(self, name: str) -> None:
        self.stats.inc_value(f"newsarchive/hedge/{name}")


def start(handler: FakeHandler) -> tuple[HedgedDownload, Clock, list[Any]]:
    clock = Clock()
    request = Request("http://site.example/a", meta={"download_slot": "site.example"})
    hedged = HedgedDownload(handler, request, AFTER, clock=clock)  # type: ignore[arg-type]
    outcome: list[Any] = []
    hedged.outcome.addBoth(outcome.append)
    return hedged, clock, outcome


def answer(download: Deferred[Response], url: str = "http://site.example/a") -> Response:
    response = Response(url, status=200)
    download.callback(response)
    return response


def test_an_answer_before_the_sites_timeout_sends_nothing_more() -> None:
    handler = FakeHandler()
    _, clock, outcome = start(handler)
    response = answer(handler.downloads[0][1])
    clock.advance(AFTER * 5)
    assert outcome == [response] and len(handler.downloads) == 1
    assert not handler.stats.values


def test_past_the_timeout_a_second_request_goes_out_and_the_first_answer_wins() -> None:
    handler = FakeHandler()
    hedged, clock, outcome = start(handler)
    clock.advance(AFTER)
    assert len(handler.downloads) == 2
    second, first = handler.downloads[1], handler.downloads[0]
    assert second[0] is not first[0] and second[0].url == first[0].url  # a copy
    second[0].meta["download_latency"] = 0.01
    response = answer(second[1])
    assert outcome == [response]
    assert handler.cancelled == [first[0]]  # the first request's connection is closed
    assert hedged.request.meta["download_latency"] == 0.01  # the winner's
    assert handler.stats.values == {
        "newsarchive/hedge/sent": 1,
        "newsarchive/hedge/won": 1,
        "newsarchive/hedge/cancelled": 1,
    }
    assert handler.hedges_in_flight["site.example"] == 0


def test_a_slow_first_request_that_answers_first_still_wins() -> None:
    handler = FakeHandler()
    _, clock, outcome = start(handler)
    clock.advance(AFTER)
    response = answer(handler.downloads[0][1])
    assert outcome == [response]
    assert handler.cancelled == [handler.downloads[1][0]]
    assert "newsarchive/hedge/won" not in handler.stats.values


def test_a_failure_before_the_timeout_ends_the_attempt_at_once() -> None:
    handler = FakeHandler()
    _, clock, outcome = start(handler)
    handler.downloads[0][1].errback(Failure(ConnectionResetError("reset")))
    clock.advance(AFTER * 5)
    assert len(outcome) == 1 and outcome[0].check(ConnectionResetError)
    assert len(handler.downloads) == 1  # no second request after a failure
    outcome[0].trap(ConnectionResetError)


def test_when_both_fail_the_attempt_fails_and_counts_twice_in_the_retry_budget() -> None:
    handler = FakeHandler()
    hedged, clock, outcome = start(handler)
    clock.advance(AFTER)
    handler.downloads[0][1].errback(Failure(DownloadTimeoutError("first")))
    assert outcome == []  # the second may still answer
    handler.downloads[1][1].errback(Failure(DownloadTimeoutError("second")))
    assert len(outcome) == 1 and str(outcome[0].value) == "second"
    assert hedged.request.meta["retry_times"] == 1
    outcome[0].trap(DownloadTimeoutError)


def test_without_budget_the_first_request_is_cut_at_the_timeout() -> None:
    handler = FakeHandler(turn=None)
    hedged, clock, outcome = start(handler)
    clock.advance(AFTER)
    assert handler.cancelled == [handler.downloads[0][0]] and len(handler.downloads) == 1
    assert len(outcome) == 1 and outcome[0].check(DownloadTimeoutError)
    assert "took longer than 1 seconds" in str(outcome[0].value)
    assert "retry_times" not in hedged.request.meta  # one request, one attempt
    assert handler.stats.values == {"newsarchive/timeout/first_attempts_cut": 1}
    outcome[0].trap(DownloadTimeoutError)


def test_the_second_request_waits_for_the_slots_turn() -> None:
    handler = FakeHandler(turn=2.0)
    _, clock, outcome = start(handler)
    clock.advance(AFTER)
    assert len(handler.downloads) == 1 and handler.hedges_in_flight["site.example"] == 1
    handler.downloads[0][1].errback(Failure(DownloadTimeoutError("first")))
    assert outcome == []  # the second request is still to go out
    clock.advance(2.0)
    assert len(handler.downloads) == 2
    response = answer(handler.downloads[1][1])
    assert outcome == [response] and handler.hedges_in_flight["site.example"] == 0


def test_giving_the_download_up_cancels_both_requests() -> None:
    handler = FakeHandler()
    hedged, clock, outcome = start(handler)
    clock.advance(AFTER)
    hedged.outcome.cancel()
    assert handler.cancelled == [r for r, _ in handler.downloads]
    assert len(outcome) == 1 and outcome[0].check(CancelledError)
    outcome[0].trap(CancelledError)
    assert not clock.getDelayedCalls()


@pytest.mark.parametrize("turn", [0.0, 2.0])
def test_no_timer_is_left_once_the_download_is_over(turn: float) -> None:
    handler = FakeHandler(turn=turn)
    _, clock, _ = start(handler)
    clock.advance(AFTER)
    answer(handler.downloads[0][1])
    assert not clock.getDelayedCalls()
