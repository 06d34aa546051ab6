"""Dates stage: publication and modification times from the best source, normalised to UTC."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter

from newsarchive.accounting import ReasonCounter
from newsarchive.dates import choose_dates
from newsarchive.pipelines.base import ArticlePipeline

logger = logging.getLogger(__name__)


class DatesPipeline(ArticlePipeline):
    """Sets ``published_at`` (with ``published_at_raw``/``published_at_source``) and
    ``modified_at`` from the spider's candidates, best source first.

    A candidate that parses to an instant after the fetch, or before the site could exist,
    is passed over, counted once per page as ``newsarchive/dates/rejected/<reason>`` and
    logged the first time. A modification time before the publication time is kept, as the
    page states it, and counted (``newsarchive/dates/modified_before_published``): a post
    scheduled ahead was last edited before it went out.
    """

    stats_prefix = "newsarchive/dates"

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.rejected = ReasonCounter(
            crawler.stats,
            f"{self.stats_prefix}/rejected",
            logger,
            "A date on a page was implausible and passed over",
        )

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        fetched_at = adapter.get("crawled_at")
        language = adapter.get("language")
        published = choose_dates(
            adapter.get("published_raw") or [], self.spider, fetched_at, language
        )
        modified = choose_dates(
            adapter.get("modified_raw") or [], self.spider, fetched_at, language
        )
        for reason in dict.fromkeys([*published.rejected, *modified.rejected]):
            # An unreadable string beside a good one is common (a theme's "15:00"): INFO.
            level = logging.INFO if reason == "unparsable" else logging.WARNING
            self.rejected.count(reason, adapter.get("url") or "", level=level)
        found = published.found
        if found is None:
            self.inc("published_missing")
        else:
            self.inc(f"published_source/{found.source}")
        modified_at = modified.found.at if modified.found else None
        if modified_at is not None and found is not None and modified_at < found.at:
            self.inc("modified_before_published")
        adapter["published_at"] = found.at if found else None
        adapter["published_at_raw"] = found.raw if found else None
        adapter["published_at_source"] = found.source if found else None
        adapter["modified_at"] = modified_at
        return item
