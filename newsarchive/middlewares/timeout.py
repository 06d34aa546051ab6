"""Download timeouts that follow the site's answer times (in place of Scrapy's
``DownloadTimeoutMiddleware``).

``DOWNLOAD_TIMEOUT`` (30 s) is what a page may take at most. Waited out on every request,
it lets each answer that hangs hold the crawl that long: a listing page that hangs holds up
every page after it in its section. So a page's *first* attempt gets a timeout from the
site's own answer times: ``NEWSARCHIVE_TIMEOUT_FACTOR`` times the 95th percentile of the
site's (host's) last ``WINDOW`` answer times (``download_latency``), never below
``NEWSARCHIVE_TIMEOUT_MIN`` (also the timeout before the site has answered, as TCP starts
its retransmission timer at 1 s) nor above ``DOWNLOAD_TIMEOUT``. A percentile, not a mean
and variance: the few answers that hang are what the timeout is there to cut, they must not
set it. A site that gets slow as a whole raises it: its pages' retries are answered, late,
and those answer times count; so does a site where more than one answer in twenty hangs (then
that is how it answers, and its first attempts wait for it).

Where the download handler can hedge (``handlers.HedgingDownloadHandler``, the project's
handler for http and https; ``NEWSARCHIVE_HEDGE``), the first attempt is not cut at the
site's timeout: a second request goes out beside it then, and whichever answers first wins.
A page that hangs once is answered by the second; one that is always slow by the first,
without throwing away the time already waited. Elsewhere the first attempt is cut there.

A retry (of a timeout, or of anything else) gets the whole ``DOWNLOAD_TIMEOUT``: a page
that is really that slow is still fetched, one attempt later. A ``download_timeout`` that
a request carries itself is left alone.

Counted: ``newsarchive/timeout/first_attempts_cut`` (first attempts that timed out at the
site's timeout) and the handler's ``newsarchive/hedge/*``; the timeouts in use are logged
at the end.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import DownloadTimeoutError
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet.error import TimeoutError as TwistedTimeoutError

from newsarchive.accounting import transport_reason
from newsarchive.handlers import HEDGE_AFTER, HedgingDownloadHandler

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

AUTO = "newsarchive_auto_timeout"
"""Request meta: the ``download_timeout`` this middleware chose."""
WINDOW = 200
PERCENTILE = 0.95


@dataclass
class AnswerTimes:
    """A site's recent answer times."""

    recent: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    seen: int = 0
    _percentile: float | None = None

    def add(self, seconds: float) -> None:
        self.recent.append(seconds)
        self.seen += 1
        self._percentile = None

    @property
    def percentile(self) -> float:
        """The 95th percentile of the recent answer times."""
        if self._percentile is None:
            ordered = sorted(self.recent)  # nearest rank
            self._percentile = ordered[max(0, math.ceil(PERCENTILE * len(ordered)) - 1)]
        return self._percentile


class AdaptiveTimeoutMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.ceiling = settings.getfloat("DOWNLOAD_TIMEOUT", 180.0)
        self.floor = min(self.ceiling, settings.getfloat("NEWSARCHIVE_TIMEOUT_MIN", 1.0))
        self.factor = settings.getfloat("NEWSARCHIVE_TIMEOUT_FACTOR", 3.0)
        self.enabled = settings.getbool("NEWSARCHIVE_TIMEOUT_ADAPTIVE", True)
        hedge = settings.getbool("NEWSARCHIVE_HEDGE", True)
        self.hedging = hedging_schemes(settings) if hedge else frozenset()
        self.times: dict[str, AnswerTimes] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    @staticmethod
    def site_key(request: Request) -> str:
        """The site: its host name (by default, also the downloader's slot)."""
        return urlparse_cached(request).hostname or ""

    def timeout(self, key: str) -> float:
        """The first-attempt timeout for the site ``key``."""
        times = self.times.get(key)
        estimate = self.factor * times.percentile if times else 0.0
        return min(self.ceiling, max(self.floor, estimate))

    def process_request(self, request: Request) -> None:
        meta = request.meta
        auto = meta.get(AUTO)
        if "download_timeout" in meta and auto is None:
            return None  # the request's own
        if not self.ceiling:
            return None
        if not self.enabled or meta.get("retry_times"):
            meta[AUTO] = meta["download_timeout"] = self.ceiling
            meta.pop(HEDGE_AFTER, None)  # a retry is not hedged
        elif auto is None:  # a first attempt (its redirects keep its timeout)
            meta[AUTO] = meta["download_timeout"] = self.timeout(self.site_key(request))
            if meta[AUTO] < self.ceiling and urlparse_cached(request).scheme in self.hedging:
                meta[HEDGE_AFTER] = meta[AUTO]
                meta["download_timeout"] = self.ceiling
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        latency = request.meta.get("download_latency")
        if latency is not None:
            self.times.setdefault(self.site_key(request), AnswerTimes()).add(latency)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        auto = request.meta.get(AUTO)
        if auto is None or auto >= self.ceiling or not timed_out(exception):
            return None
        if HEDGE_AFTER in request.meta:
            return None  # the hedging handler counts the first attempts it cuts
        self.crawler.stats.inc_value("newsarchive/timeout/first_attempts_cut")
        logger.debug(
            "No answer within %.1fs from %s; its retry may take %gs", auto, request, self.ceiling
        )
        return None

    def spider_closed(self) -> None:
        for key, times in self.times.items():
            logger.info(
                "Timeouts for %s: first attempts %.1fs (95%% of its last %d answers within "
                "%.2fs; %d answers), retries %gs",
                key,
                self.timeout(key),
                len(times.recent),
                times.percentile,
                times.seen,
                self.ceiling,
            )


def hedging_schemes(settings: Any) -> frozenset[str]:
    """The URL schemes whose download handler hedges slow first attempts."""
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    hedging = set()
    for scheme in ("http", "https"):
        path = handlers.get(scheme)
        handler = load_object(path) if isinstance(path, str) else path
        if isinstance(handler, type) and issubclass(handler, HedgingDownloadHandler):
            hedging.add(scheme)
    return frozenset(hedging)


def timed_out(error: BaseException) -> bool:
    return isinstance(error, DownloadTimeoutError | TwistedTimeoutError) or (
        transport_reason(error) == "timeout"
    )
