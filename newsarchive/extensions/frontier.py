"""The worker side of a shared crawl (``REDIS_URL``): join, heartbeat, finish, leave.

See ``newsarchive.frontier`` for the design. ``NotConfigured`` without ``REDIS_URL``.
Settings: ``NEWSARCHIVE_WORKER_TIMEOUT`` (seconds without a heartbeat after which a worker
counts as gone; default 30).

It must be built before the Parquet writer (``EXTENSIONS`` order): the writer names its
files after this worker's run ID, which joining the crawl decides.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

from newsarchive.frontier import (
    DEFAULT_WORKER_TIMEOUT,
    HEARTBEAT_SECONDS,
    POLL_SECONDS,
    Coordinator,
    SharedArticleIds,
    redis_url,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

STATS_PREFIX = "newsarchive/frontier"


class SharedCrawl:
    def __init__(self, crawler: Crawler, coordinator: Coordinator) -> None:
        self.crawler = crawler
        self.coordinator = coordinator
        self.heartbeat = task.LoopingCall(self._beat)
        self.poll = task.LoopingCall(self._poll)
        self._waiting_for = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not redis_url(settings):
            raise NotConfigured("no REDIS_URL: the crawl runs alone")
        from scrapy_redis.connection import get_redis_from_settings

        spider = crawler.spider
        site = getattr(spider, "site", None) or spider.name
        timeout = settings.getfloat("NEWSARCHIVE_WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT)
        server = get_redis_from_settings(settings)
        server.ping()  # a wrong REDIS_URL stops the worker here, before any request
        coordinator = Coordinator(server, site, timeout)
        me = coordinator.join()
        ext = cls(crawler, coordinator)
        crawler.newsarchive_frontier = coordinator  # type: ignore[attr-defined]
        spider.seen_article_ids = SharedArticleIds(coordinator)
        spider.frontier_follower = not me.leader
        stats = crawler.stats
        stats.set_value(f"{STATS_PREFIX}/crawl_id", me.crawl_id)
        stats.set_value(f"{STATS_PREFIX}/worker", me.worker_id)
        stats.set_value(f"{STATS_PREFIX}/leader", me.leader)
        logger.info(
            "Shared crawl %s of %s: this worker (%s) %s",
            me.crawl_id,
            site,
            me.worker_id,
            "opened it and leads it" if me.leader else "joined it",
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.heartbeat.start(HEARTBEAT_SECONDS, now=False)
        self.poll.start(POLL_SECONDS, now=False)

    def _poll(self) -> None:
        """Wake the engine of a starved worker, so it pops again (and, idle, asks whether
        it may finish) in a fifth of a second rather than at Scrapy's 5-s heartbeat."""
        slot = getattr(self.crawler.engine, "_slot", None)  # (Scrapy has no public way)
        if slot is not None and getattr(slot.scheduler, "starved", False):
            slot.nextcall.schedule()

    def _beat(self) -> None:
        try:
            self.coordinator.heartbeat()
        except Exception as exc:  # a Redis hiccup must not kill the loop
            logger.warning("Shared crawl: heartbeat failed (%s)", exc)

    def spider_idle(self, spider: Any) -> None:
        scheduler = self.crawler.engine._slot.scheduler  # type: ignore[union-attr]
        scheduler.starved = True  # (idle: poll again soon, to finish or to go on)
        queued = len(getattr(scheduler, "queue", ()))
        may_leave, why = self.coordinator.may_leave(queued)
        if may_leave:
            logger.info("Shared crawl: nothing left for this worker; it finishes")
            return
        if why != self._waiting_for:
            logger.info("Shared crawl: idle, not finishing yet: %s", why)
            self._waiting_for = why
        raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.crawler.stats.set_value(
            f"{STATS_PREFIX}/redis_round_trips", self.coordinator.round_trips
        )

    def engine_stopped(self) -> None:
        for loop in (self.heartbeat, self.poll):
            if loop.running:
                loop.stop()
        try:
            self.coordinator.leave()
        except Exception as exc:
            logger.warning("Shared crawl: could not deregister (%s); it times out", exc)
