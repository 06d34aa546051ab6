"""What every newsarchive pipeline shares: built from the crawler, counts under its prefix."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import DropItem

from newsarchive.accounting import ReasonCounter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ArticlePipeline:
    """Base for the pipeline stages: keeps the crawler and a stats prefix."""

    stats_prefix = "newsarchive"

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def inc(self, key: str, count: int = 1) -> None:
        self.stats.inc_value(f"{self.stats_prefix}/{key}", count)

    @property
    def spider(self) -> Any:
        return self.crawler.spider


def drop(dropped: ReasonCounter, reason: str, url: str | None) -> DropItem:
    """Count a drop reason (logged once per reason) and build the exception to raise.

    Scrapy's own per-item drop message goes to DEBUG: ours already said it, once.
    """
    key = dropped.count(reason, url or "")
    return DropItem(key, log_level="DEBUG")
