"""Retries that back off, honour ``Retry-After`` and slow down for an overloaded site.

Scrapy's ``RetryMiddleware`` retries at once. A rate-limited or failing news site needs the
opposite: wait ``Retry-After`` (429/503) or an exponential, jittered backoff before each
retry, and lower the download slot's concurrency and raise its delay on 429/503 so the rest
of the crawl stops hammering it. The retry budget stays Scrapy's (``RETRY_TIMES``,
``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``); past it the page fails and the spider's
errback counts it.

Settings: ``NEWSARCHIVE_RETRY_BACKOFF_BASE`` (seconds, doubled per retry),
``NEWSARCHIVE_RETRY_BACKOFF_MAX`` (cap, also for ``Retry-After``).
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

SLOW_DOWN_CODES = frozenset({429, 503})


def retry_after_seconds(value: bytes | str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.base = crawler.settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_BASE", 1.0)
        self.cap = crawler.settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_MAX", 60.0)
        # slot key -> its (concurrency, delay) before the first slow-down, until recovered
        self.original: dict[Any, tuple[int, float]] = {}
        self.successes: dict[Any, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Any:
        if response.status < 400:
            self.recover(request)
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"http_{response.status}")
        if retry is None:
            return response
        delay = self.backoff(retry)
        if response.status in SLOW_DOWN_CODES:
            self.slow_down(request, response)
            advised = retry_after_seconds(response.headers.get(b"Retry-After"))
            if advised is not None:
                delay = max(delay, min(advised, self.cap))
                self.crawler.stats.inc_value("newsarchive/retry/retry_after_honoured")
        await self.sleep(delay)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Any:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self.sleep(self.backoff(retry))
        return retry

    def backoff(self, retry: Request) -> float:
        attempt = retry.meta.get("retry_times", 1)
        delay = min(self.cap, self.base * 2 ** (attempt - 1))
        return delay * random.uniform(0.5, 1.0)

    def _slot(self, request: Request) -> tuple[Any, Any]:
        downloader = getattr(self.crawler.engine, "downloader", None)
        key = request.meta.get("download_slot")
        slot = downloader.slots.get(key) if downloader is not None and key else None
        return key, slot

    def recover(self, request: Request) -> None:
        """After a slow-down, each success brings the slot a step back to its settings."""
        key, slot = self._slot(request)
        if slot is None or key not in self.original:
            return
        concurrency, delay = self.original[key]
        slot.delay = max(delay, slot.delay * 0.9)
        self.successes[key] = self.successes.get(key, 0) + 1
        if self.successes[key] % 10 == 0:
            slot.concurrency = min(concurrency, slot.concurrency + 1)
        if slot.concurrency == concurrency and slot.delay <= delay:
            del self.original[key]

    def slow_down(self, request: Request, response: Response) -> None:
        """Halve the slot's concurrency (not below 1) and at least double its delay."""
        key, slot = self._slot(request)
        if slot is None:
            return
        self.original.setdefault(key, (slot.concurrency, slot.delay))
        slot.concurrency = max(1, slot.concurrency // 2)
        slot.delay = min(self.cap, max(slot.delay * 2, self.base))
        self.crawler.stats.inc_value("newsarchive/retry/slowed_down")
        logger.info(
            "%s answered %d: slot %s now at concurrency %d, delay %.1fs",
            response.url,
            response.status,
            key,
            slot.concurrency,
            slot.delay,
        )

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            from twisted.internet import reactor  # the one Scrapy installed

            await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
