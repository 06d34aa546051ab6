"""Versioning stage: versions, not duplicates.

An article whose cleaned content hashes to a version the archive already holds for its URL
writes no row (``UnchangedArticle``, counted as ``newsarchive/incremental/unchanged``). A
changed article gets the next version number. Runs without the state store (it is disabled)
archive every article as version 1.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter

from newsarchive.exceptions import UnchangedArticle
from newsarchive.pipelines.base import ArticlePipeline


class VersioningPipeline(ArticlePipeline):
    stats_prefix = "newsarchive/incremental"

    def process_item(self, item: Any) -> Any:
        state = getattr(self.crawler, "newsarchive_state", None)
        adapter = ItemAdapter(item)
        if state is None:
            adapter["version"] = 1
            return item
        site, url = adapter["site"], adapter["url"]
        article_id = str(adapter.get("article_id") or url)
        if state.has_version(site, url, adapter["content_hash"]):
            self.inc("unchanged")
            state.touch(
                site,
                article_id,
                fetched_at=adapter.get("crawled_at") or datetime.now(UTC),
                etag=adapter.get("http_etag"),
                last_modified=adapter.get("http_last_modified"),
            )
            raise UnchangedArticle()
        latest = state.latest_version(site, article_id)
        adapter["version"] = latest + 1
        self.inc("updated" if latest else "archived_new")
        return item
