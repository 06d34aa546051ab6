"""Dates stage: publication and modification times from the head, normalised to UTC."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from newsarchive.dates import first_valid_datetime
from newsarchive.pipelines.base import ArticlePipeline


class DatesPipeline(ArticlePipeline):
    """Sets ``published_at``/``modified_at`` from the spider's best-first candidates.

    Naive strings are read in the spider's ``local_timezone``. A modification time before
    the publication time is kept, as the page states it, and counted
    (``newsarchive/dates/modified_before_published``): a post scheduled ahead was last edited
    before it went out.
    """

    stats_prefix = "newsarchive/dates"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        zone = getattr(self.spider, "local_timezone", "UTC")
        published = first_valid_datetime(adapter.get("published_raw") or [], default_tz=zone)
        modified = first_valid_datetime(adapter.get("modified_raw") or [], default_tz=zone)
        if published is None:
            self.inc("published_missing")
        if modified is not None and published is not None and modified < published:
            self.inc("modified_before_published")
        adapter["published_at"] = published
        adapter["modified_at"] = modified
        return item
