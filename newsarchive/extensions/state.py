"""Opens the cross-run state for a crawl and keeps it in step with the archive.

Settings: ``NEWSARCHIVE_STATE_ENABLED`` (default on), ``NEWSARCHIVE_STATE`` (path of the SQLite
file; default ``<NEWSARCHIVE_OUTPUT>/_state/state.sqlite``).

At open, files the state does not know yet are read back (``reconcile``). Rows are recorded
only when the Parquet writer announces a committed file, so the state never claims an
article that is not in the archive.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsarchive import signals as na_signals
from newsarchive.state import ArchiveState, reconcile

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def state_path(settings: Any) -> Path:
    explicit = settings.get("NEWSARCHIVE_STATE")
    if explicit:
        return Path(explicit)
    return Path(settings.get("NEWSARCHIVE_OUTPUT") or "output") / "_state" / "state.sqlite"


class ArchiveStateExtension:
    """Owns the ``ArchiveState`` of a crawl (``crawler.newsarchive_state``)."""

    def __init__(self, crawler: Crawler, state: ArchiveState, root: Path) -> None:
        self.crawler = crawler
        self.state = state
        self.root = root
        # What responses said about articles whose rows are not committed yet.
        self.pending: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_STATE_ENABLED", True):
            raise NotConfigured("NEWSARCHIVE_STATE_ENABLED is off")
        root = Path(settings.get("NEWSARCHIVE_OUTPUT") or "output")
        ext = cls(crawler, ArchiveState(state_path(settings)), root)
        crawler.newsarchive_state = ext.state  # type: ignore[attr-defined]
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.file_committed, signal=na_signals.parquet_file_committed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Any) -> None:
        read = reconcile(self.state, self.root)
        stats = self.crawler.stats
        stats.set_value("newsarchive/state/known_articles", self.state.count())
        if read:
            stats.set_value("newsarchive/state/files_reconciled", read)
            logger.info("State: read back %d archive file(s) it did not know", read)

    def item_scraped(self, item: Any, response: Any = None) -> None:
        adapter = ItemAdapter(item)
        key = str(adapter.get("article_id") or adapter.get("url"))
        self.pending[key] = {
            "etag": adapter.get("http_etag"),
            "last_modified": adapter.get("http_last_modified"),
            "fetched_at": adapter.get("crawled_at") or datetime.now(UTC),
        }

    def file_committed(
        self, path: Path, partition: Any, rows: list[dict[str, Any]], **_: Any
    ) -> None:
        fetched = {}
        for row in rows:
            key = str(row.get("article_id") or row["url"])
            if key in self.pending:
                fetched[key] = self.pending.pop(key)
        self.state.record_committed(
            partition.site, rows, path=Path(path).resolve(), fetched=fetched
        )

    def engine_stopped(self) -> None:
        self.state.close()
