"""A download handler that hedges a slow first attempt instead of cutting it short.

``middlewares/timeout.py`` gives a page's first attempt a timeout from the site's own answer
times (a second, say, where the site answers in milliseconds). Cutting the attempt there and
retrying is right for an answer that hangs once, and wrong for a page that is always slow:
it waits a second, throws that second away, and then waits for the whole slow answer again.

So, as "The Tail at Scale" (Dean and Barroso, 2013) and gRPC's hedging do, the first attempt
is not cut: once the site's timeout has passed without an answer, a second request for the
same page goes out beside it, and whichever answers first wins. The other is cancelled (its
connection closed), so nothing waits for it. A page that hangs once is answered by the second
request; a page that is always slow by the first, without a second's loss.

What keeps it polite and bounded:

- at most one second request per attempt, and at most ``NEWSARCHIVE_HEDGE_MAX`` of them in
  flight per site; beyond that (a site slow as a whole) the first attempt is cut short at the
  site's timeout as before, and the retry middleware retries it;
- the second request keeps the site's download delay: it goes out at the slot's next turn,
  and the slot's next request waits a delay after it;
- when both fail, the attempt counts as two in the retry budget (``retry_times``), so a page
  that hangs for good costs what it did before: ``DOWNLOAD_TIMEOUT`` per attempt.

The handler only acts on requests that ``AdaptiveTimeoutMiddleware`` marks with
``HEDGE_AFTER``; every other request is downloaded as Scrapy's ``HTTP11DownloadHandler`` does.
Counted: ``newsarchive/hedge/sent``, ``.../hedge/won`` (the second request answered first),
``.../hedge/cancelled`` (requests cancelled because the other one answered).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadTimeoutError
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.interfaces import IDelayedCall, IReactorTime

HEDGE_AFTER = "newsarchive_hedge_after"
"""Request meta: seconds without an answer after which a second request goes out."""


class HedgingDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, hedging first attempts marked with ``HEDGE_AFTER``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.hedge_max = crawler.settings.getint("NEWSARCHIVE_HEDGE_MAX", 2)
        self.hedges_in_flight: Counter[str] = Counter()
        self.stats = crawler.stats

    async def download_request(self, request: Request) -> Response:
        after = request.meta.get(HEDGE_AFTER)
        if not after:
            return await super().download_request(request)
        return await maybe_deferred_to_future(HedgedDownload(self, request, after).outcome)

    def fetch(self, request: Request) -> Deferred[Response]:
        """One plain download of ``request``, cancellable (cancelling closes its connection)."""
        return deferred_from_coro(HTTP11DownloadHandler.download_request(self, request))

    def inc_stat(self, name: str) -> None:
        self.stats.inc_value(f"newsarchive/hedge/{name}")

    def hedge_delay(self, request: Request) -> float | None:
        """Seconds until a second request for ``request`` may go out (the slot's turn), or
        None if it may not (too many in flight for the site). Takes the slot's turn."""
        if self.hedges_in_flight[site_of(request)] >= self.hedge_max:
            return None
        engine = getattr(self._crawler, "engine", None)
        slots = getattr(getattr(engine, "downloader", None), "slots", {})
        slot = slots.get(request.meta.get("download_slot"))
        if slot is None:
            return 0.0
        delay = slot.download_delay()
        if not delay:
            return 0.0
        now = time.monotonic()  # what the downloader's slots use
        turn = max(now, slot.lastseen + delay)
        slot.lastseen = turn
        return turn - now


def site_of(request: Request) -> str:
    return urlparse_cached(request).hostname or ""


class HedgedDownload:
    """One attempt of a page: its first request, and a second one if the first is slow."""

    def __init__(
        self,
        handler: HedgingDownloadHandler,
        request: Request,
        after: float,
        clock: IReactorTime | None = None,
    ) -> None:
        if clock is None:
            from twisted.internet import reactor as clock  # the one Scrapy installed

        self.clock: IReactorTime = clock
        self.handler = handler
        self.request = request
        self.after = after
        self.requests: list[tuple[Request, Deferred[Response]]] = []
        self.failures: list[Failure] = []
        self.cut = False
        self.hedged = False
        self.outcome: Deferred[Response] = Deferred(self._cancel_all)
        self.timer: IDelayedCall | None = clock.callLater(after, self._slow)
        self._start(request)

    def _start(self, request: Request) -> None:
        download = self.handler.fetch(request)
        self.requests.append((request, download))
        download.addCallbacks(
            self._answered, self._failed, callbackArgs=(request,), errbackArgs=(request,)
        )

    def _pending(self) -> bool:
        return self.timer is not None and self.timer.active()

    def _slow(self) -> None:
        """The site's timeout passed without an answer: hedge, or else cut (as before)."""
        self.timer = None
        if self.outcome.called:
            return
        if self.hedged:  # the second request's turn came
            self._start(self.request.copy())
            return
        wait = self.handler.hedge_delay(self.request)
        if wait is None:
            self.cut = True
            self.requests[0][1].cancel()  # its failure ends the attempt, as a timeout
            return
        self.hedged = True
        site = site_of(self.request)
        self.handler.hedges_in_flight[site] += 1
        self.handler.inc_stat("sent")
        self.outcome.addBoth(self._hedge_over, site)
        if wait > 0:
            self.timer = self.clock.callLater(wait, self._slow)
        else:
            self._start(self.request.copy())

    def _hedge_over(self, result: Any, site: str) -> Any:
        self.handler.hedges_in_flight[site] -= 1
        return result

    def _answered(self, response: Response, request: Request) -> None:
        if self.outcome.called:
            return
        self._stop_timer()
        for other, download in self.requests:
            if other is not request:
                self.handler.inc_stat("cancelled")
                download.cancel()
        if request is not self.request:  # the second request won
            self.handler.inc_stat("won")
            if "download_latency" in request.meta:
                self.request.meta["download_latency"] = request.meta["download_latency"]
        self.outcome.callback(response)

    def _failed(self, failure: Failure, request: Request) -> None:
        if self.outcome.called:
            return  # cancelled: the other request answered, or the download was given up
        if self.cut:
            self._stop_timer()
            self.handler.stats.inc_value("newsarchive/timeout/first_attempts_cut")
            self.outcome.errback(
                Failure(
                    DownloadTimeoutError(
                        f"Getting {self.request.url} took longer than {self.after:g} seconds."
                    )
                )
            )
            return
        self.failures.append(failure)
        if not self.hedged:  # the only request failed before the site's timeout
            self._stop_timer()
            self.outcome.errback(failure)
            return
        if self._pending() or len(self.failures) < len(self.requests):
            return  # the other request (sent, or about to be) may still answer
        # both failed: two requests, two attempts of the retry budget
        self.request.meta["retry_times"] = self.request.meta.get("retry_times", 0) + 1
        self.outcome.errback(failure)

    def _stop_timer(self) -> None:
        if self._pending():
            self.timer.cancel()  # type: ignore[union-attr]
        self.timer = None

    def _cancel_all(self, _: Deferred[Response]) -> None:
        """The whole download is given up (the crawl is closing, say): cancel every part."""
        self._stop_timer()
        for _request, download in self.requests:
            download.cancel()
