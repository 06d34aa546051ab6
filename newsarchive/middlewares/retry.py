"""Retries that back off, honour ``Retry-After`` and slow down for an overloaded site only.

Scrapy's ``RetryMiddleware`` retries at once. A rate-limited or failing news site needs the
opposite, in proportion:

- The failed request's own retry waits: ``Retry-After`` when the answer gives one (no more:
  that is what the site asked for), else an exponential, jittered backoff. Other requests go
  on meanwhile: a waiting retry does not hold one of the downloader's places
  (``CONCURRENT_REQUESTS``), and once it has waited it goes ahead of the queue
  (``RETRY_PRIORITY_ADJUST`` is positive in the project's settings), instead of waiting
  again behind every page queued meanwhile (a listing page's retry behind the articles of
  every section: its own section's next pages wait for it).
- The download slot (the site) is slowed down only under *sustained* pressure: at least
  ``SUSTAINED_ANSWERS`` 429/503 answers within ``WINDOW_SECONDS``, making up at least
  ``SUSTAINED_SHARE`` of the slot's answers there (of at least ``SUSTAINED_SAMPLE``),
  counting first attempts only (a retry asks a page already known to fail again: no news
  about the site). Then its delay doubles (from
  ``NEWSARCHIVE_RETRY_BACKOFF_BASE``, capped at ``NEWSARCHIVE_RETRY_BACKOFF_MAX``; no more
  than a ``Retry-After`` asks, which also pauses the slot that long) and its concurrency
  halves. A 429 or 503 now and then only delays its own retry.
- Recovery depends on time and on answers: the extra delay halves every
  ``HALF_LIFE_SECONDS`` and loses a tenth with each good answer; concurrency comes back a
  step per few good answers. A short burst of 503s costs seconds, not the rest of the crawl.
- Each slow-down episode is logged when it starts and when the slot is back at full speed
  (how long, and which answers), and counted: ``newsarchive/throttle/episodes``,
  ``.../slowed_seconds`` and ``.../answers/<status>``, in the run manifest's ``slowdowns``.

The retry budget stays Scrapy's (``RETRY_TIMES``, ``RETRY_HTTP_CODES``,
``RETRY_EXCEPTIONS``); past it the page fails and the spider's errback counts it.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

SLOW_DOWN_CODES = frozenset({429, 503})
WINDOW_SECONDS = 10.0
SUSTAINED_ANSWERS = 3
SUSTAINED_SHARE = 0.25
SUSTAINED_SAMPLE = 20
"""The share is taken of at least this many answers: 3 429s among a crawl's first 12 answers
(5% of pages answering 429 does that in about one crawl in fifty) are not yet a quarter of
what the site answers; 5 of them are."""
HALF_LIFE_SECONDS = 5.0
GOOD_ANSWER_FACTOR = 0.9
CONCURRENCY_STEP_ANSWERS = 5


def is_sustained(bad: int, total: int) -> bool:
    """Whether ``bad`` 429/503 answers among ``total`` first-attempt answers in the window
    are sustained pressure, not a few pages answering so now and then."""
    return bad >= SUSTAINED_ANSWERS and bad >= SUSTAINED_SHARE * max(total, SUSTAINED_SAMPLE)


def first_attempt(request: Request) -> bool:
    """Whether ``request`` is a page's first attempt. Only those tell how the site is doing:
    a retry asks again a page already known to fail (a few sick pages retried at the end of a
    crawl, when little else is left to fetch, are not an overloaded site)."""
    return not request.meta.get("retry_times")


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


@dataclass
class AnswerWindow:
    """A slot's answers to first attempts within the last ``WINDOW_SECONDS``, whether it is
    under pressure or not (a window that started at the first 429/503 would see too few
    good answers beside it)."""

    answers: deque[tuple[float, bool]] = field(default_factory=deque)
    bad: int = 0

    def note(self, now: float, bad: bool | None) -> tuple[int, int]:
        """Record an answer (None: only look); (bad answers, all answers) in the window."""
        if bad is not None:
            self.answers.append((now, bad))
            self.bad += bad
        while self.answers and self.answers[0][0] < now - WINDOW_SECONDS:
            self.bad -= self.answers.popleft()[1]
        return self.bad, len(self.answers)


@dataclass
class Pressure:
    """A download slot slowed down by 429/503 answers: its own settings, its recent answers
    and the extra delay it has now."""

    concurrency: int
    delay: float
    started: float
    updated: float
    extra: float = 0.0
    """Added to the slot's delay while 429/503 answers are sustained; decays."""
    pause_until: float = 0.0
    """No request before this (a ``Retry-After``); gone once it is past."""
    slowed: bool = False
    accounted: float = 0.0
    """Until when the slowed-down time has been added to the stats."""
    reasons: Counter[str] = field(default_factory=Counter)
    good_streak: int = 0

    def decay(self, now: float) -> None:
        self.extra *= 0.5 ** ((now - self.updated) / HALF_LIFE_SECONDS)
        self.updated = now

    def slowed_for(self, now: float) -> float:
        """Seconds slowed down since last asked (0 when not slowed down)."""
        elapsed = now - self.accounted if self.slowed else 0.0
        self.accounted = now
        return elapsed

    def slot_delay(self, now: float) -> float:
        """The slot's delay: its own, plus the extra delay or what is left of a pause,
        whichever is longer (both: a Retry-After of 1 s would space requests 2 s apart)."""
        return self.delay + max(self.extra, self.pause_until - now)


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.base = crawler.settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_BASE", 0.1)
        self.cap = crawler.settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_MAX", 60.0)
        self.pressure: dict[Any, Pressure] = {}
        """Slots under pressure (slowed down, or with recent 429/503 answers)."""
        self.windows: dict[Any, AnswerWindow] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def process_response(self, request: Request, response: Response) -> Any:
        advised = None
        if response.status in SLOW_DOWN_CODES:
            advised = retry_after_seconds(response.headers.get(b"Retry-After"))
            self.under_pressure(request, response, advised)
        elif response.status < 400:
            self.recover(request)
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"http_{response.status}")
        if retry is None:
            return response
        if advised is not None:  # what the site asked for, and no more
            delay = min(advised, self.cap)
            self.crawler.stats.inc_value("newsarchive/retry/retry_after_honoured")
        else:
            delay = self.backoff(retry)
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

    def under_pressure(self, request: Request, response: Response, advised: float | None) -> None:
        """A 429/503 answer, counted; if such answers are sustained, the slot slows down
        (and pauses for a ``Retry-After``)."""
        key, slot = self._slot(request)
        if slot is None:
            return
        now = time.monotonic()
        pressure = self.pressure.get(key)
        if pressure is None:
            pressure = self.pressure[key] = Pressure(slot.concurrency, slot.delay, now, now)
        pressure.decay(now)
        pressure.good_streak = 0
        pressure.reasons[str(response.status)] += 1
        self.crawler.stats.inc_value(f"newsarchive/throttle/answers/{response.status}")
        fresh = first_attempt(request)
        bad, total = self.window(key).note(now, bad=True if fresh else None)
        sustained = fresh and is_sustained(bad, total)
        if sustained:
            pressure.extra = min(self.cap, max(self.base, pressure.extra * 2))
            slot.concurrency = max(1, slot.concurrency // 2)
            if advised is not None:  # the site as a whole asks for a pause: no more
                pressure.extra = min(pressure.extra, min(advised, self.cap))
                pressure.pause_until = max(pressure.pause_until, now + min(advised, self.cap))
        slot.delay = max(slot.delay, pressure.slot_delay(now))
        self._count_slowed(pressure, now)
        if not pressure.slowed and sustained:
            pressure.slowed = True
            pressure.started = pressure.accounted = now
            self.crawler.stats.inc_value("newsarchive/throttle/episodes")
            why = f"{bad} of its {total} answers in {WINDOW_SECONDS:g}s" + (
                f", Retry-After {advised:g}s" if advised is not None else ""
            )
            logger.info(
                "Slowing down %s: it answered %d (%s); delay %.1fs, concurrency %d",
                key,
                response.status,
                why,
                slot.delay,
                slot.concurrency,
            )

    def recover(self, request: Request) -> None:
        """A good answer: the slot's extra delay decays (with time and with the answer),
        its concurrency comes back a step per few good answers; once both are back, the
        episode ends."""
        key = request.meta.get("download_slot")
        now = time.monotonic()
        recent_bad, _ = self.window(key).note(now, bad=False if first_attempt(request) else None)
        pressure = self.pressure.get(key)
        if pressure is None:
            return
        key, slot = self._slot(request)
        if slot is None:
            return
        self._count_slowed(pressure, now)
        pressure.decay(now)
        pressure.extra *= GOOD_ANSWER_FACTOR
        pressure.good_streak += 1
        if pressure.good_streak % CONCURRENCY_STEP_ANSWERS == 0:
            slot.concurrency = min(pressure.concurrency, slot.concurrency + 1)
        if pressure.extra < 0.01:
            pressure.extra = 0.0
        if pressure.slowed:
            slot.delay = max(pressure.delay, min(slot.delay, pressure.slot_delay(now)))
        calm = now >= pressure.pause_until and recent_bad == 0
        if pressure.extra == 0.0 and slot.concurrency >= pressure.concurrency and calm:
            self._episode_over(key, pressure, now)

    def window(self, key: Any) -> AnswerWindow:
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = AnswerWindow()
        return window

    def _count_slowed(self, pressure: Pressure, now: float) -> None:
        """Add the time slowed down so far to the stats (kept current: the run's manifest
        is written before the middlewares hear that the spider closed)."""
        elapsed = pressure.slowed_for(now)
        if elapsed > 0:
            self.crawler.stats.inc_value("newsarchive/throttle/slowed_seconds", elapsed)

    def _episode_over(self, key: Any, pressure: Pressure, now: float) -> None:
        del self.pressure[key]
        if not pressure.slowed:
            return  # 429/503 answers now and then: their retries waited, the site did not
        self._count_slowed(pressure, now)
        seconds = now - pressure.started
        answers = ", ".join(f"{n} x {code}" for code, n in sorted(pressure.reasons.items()))
        logger.info("%s is back at full speed after %.1fs (answers: %s)", key, seconds, answers)

    def spider_closed(self) -> None:
        """End the episodes still open (their time is counted, their end logged)."""
        now = time.monotonic()
        for key, pressure in list(self.pressure.items()):
            self._episode_over(key, pressure, now)

    async def sleep(self, seconds: float) -> None:
        """Wait before the retry goes out, without taking one of the downloader's places
        (``CONCURRENT_REQUESTS``) meanwhile: the request is not being downloaded. (It
        stays among the downloader's active requests, so the crawl does not look idle.)"""
        if seconds <= 0:
            return
        from twisted.internet import reactor  # the one Scrapy installed

        downloader = getattr(self.crawler.engine, "downloader", None)
        lift = downloader is not None and downloader.total_concurrency > 0
        if lift:
            downloader.total_concurrency += 1
            wake = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
            if wake is not None:  # the engine may send another request now
                wake.schedule()
        try:
            await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
        finally:
            if lift:
                downloader.total_concurrency -= 1
