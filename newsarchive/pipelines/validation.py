"""Validation stage: an article without title, body or publication date is not archived."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from newsarchive.accounting import ReasonCounter
from newsarchive.pipelines.base import ArticlePipeline, drop

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

REQUIRED = ("url", "title", "body", "published_at")


class ValidationPipeline(ArticlePipeline):
    """Drops incomplete articles with a counted reason (``newsarchive/dropped/missing_<field>``).

    Dropped items are not lost: the Parquet writer keeps them, with the reason, in
    ``<output>/_rejected/``.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.dropped = ReasonCounter(self.stats, "newsarchive/dropped", logger, "Dropped an item")

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in REQUIRED:
            if not adapter.get(name):
                raise drop(self.dropped, f"missing_{name}", adapter.get("url"))
        return item
