"""Fingerprint stage: word count, content hash, and once-per-run archiving per article."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from newsarchive.accounting import ReasonCounter
from newsarchive.cleaning.text import count_words
from newsarchive.pipelines.base import ArticlePipeline, drop

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

HASHED_FIELDS = ("title", "subtitle", "lead", "authors", "body", "tags")


def content_hash(item: Any) -> str:
    """SHA-256 of the cleaned content fields, so that a re-crawl of an unchanged article
    hashes the same whatever the crawl time or the URL it was reached by."""
    adapter = ItemAdapter(item)
    payload = json.dumps(
        {name: adapter.get(name) for name in HASHED_FIELDS}, ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class FingerprintPipeline(ArticlePipeline):
    """Sets ``word_count`` and ``content_hash``; drops a second copy of the same article
    (same site and article ID, or same URL) within one run as ``duplicate``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.dropped = ReasonCounter(self.stats, "newsarchive/dropped", logger, "Dropped an item")
        self.seen: set[tuple[str, str]] = set()

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        key = (adapter.get("site") or "", adapter.get("article_id") or adapter.get("url") or "")
        if key in self.seen:
            raise drop(self.dropped, "duplicate", adapter.get("url"))
        self.seen.add(key)
        adapter["word_count"] = count_words(adapter.get("body"))
        adapter["content_hash"] = content_hash(item)
        return item
