"""In a shared crawl (``REDIS_URL``), only the leader sends the start requests.

The start requests (the sections, and the retry queue the incremental middleware adds) are
the crawl's, not each worker's: the followers only take article requests from the shared
queue. This middleware must come first in ``SPIDER_MIDDLEWARES`` (the lowest order, next to
the engine), so that it sees what every other middleware adds to the start.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class LeaderStartsMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        coordinator = getattr(self.crawler, "newsarchive_frontier", None)
        if coordinator is not None and not coordinator.me.leader:
            # ``start`` is not iterated at all: the middlewares behind this one never run,
            # so none of them claims an article in the crawl's set (the incremental
            # middleware's retry queue goes through ``article_request``) for nothing.
            logger.info("Shared crawl: a follower sends no start requests")
            return
        async for item_or_request in start:
            yield item_or_request
