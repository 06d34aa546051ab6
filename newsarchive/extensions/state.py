"""Opens the cross-run state for a crawl and keeps it in step with the archive.

Settings: ``NEWSARCHIVE_STATE_ENABLED`` (default on), ``NEWSARCHIVE_STATE`` (where the state
is: a path or ``sqlite:///path`` of the SQLite file, default
``<NEWSARCHIVE_OUTPUT>/_state/state.sqlite``; or ``redis://host:port/db[?prefix=...]`` for a
state shared by workers on several machines, see ``newsarchive.state_redis``; any other
scheme stops the crawl before it starts), ``NEWSARCHIVE_FAILED_RETRY_RUNS`` (how many later
runs retry an article that failed for good; default 10).

At open, files the state does not know yet are read back (``reconcile``), and runs that
started but never finished (killed, crashed) are named in the log and the manifest. Rows are
recorded only when the Parquet writer announces a committed file, so the state never claims
an article that is not in the archive. Articles the run could not archive go to the retry
queue. Only once the writer has committed its last file (``archive_closed``) are the run's
complete listing sweeps recorded, each after checking that every article it listed is now
archived or queued: the marks the incremental horizon trusts never run ahead of the archive.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsarchive import signals as na_signals
from newsarchive.accounting import ReasonCounter
from newsarchive.state import open_state, reconcile

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from newsarchive.sweeps import SectionSweep

logger = logging.getLogger(__name__)

# part-<run_id>-<seq>.parquet, as the writer names its files (compaction's are part-compact-*)
_PART_RUN_ID = re.compile(r"part-(?!compact-)(.+)-\d{5}\.parquet")
COMPLETENESS = "newsarchive/completeness"
"""Stats prefix of what the manifest reports under ``completeness``."""


def state_location(settings: Any) -> str | Path:
    """``NEWSARCHIVE_STATE``, or the default SQLite file in the archive folder."""
    explicit = settings.get("NEWSARCHIVE_STATE")
    if explicit:
        return str(explicit)
    return Path(settings.get("NEWSARCHIVE_OUTPUT") or "output") / "_state" / "state.sqlite"


class ArchiveStateExtension:
    """Owns the ``ArchiveState`` (or ``RedisArchiveState``) of a crawl
    (``crawler.newsarchive_state``)."""

    def __init__(self, crawler: Crawler, state: Any, root: Path, retry_runs: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.state = state
        self.root = root
        self.retry_runs = retry_runs
        self.run_id = ""
        # What responses said about articles whose rows are not committed yet.
        self.pending: dict[str, dict[str, Any]] = {}
        self.given_up_now: list[dict[str, str]] = []
        self.given_up = ReasonCounter(
            crawler.stats,
            "newsarchive/given_up",
            logger,
            f"Gave up on an article that failed in {retry_runs + 1} runs "
            "(NEWSARCHIVE_FAILED_RETRY_RUNS; -a full=1 tries it again)",
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_STATE_ENABLED", True):
            raise NotConfigured("NEWSARCHIVE_STATE_ENABLED is off")
        retry_runs = settings.getint("NEWSARCHIVE_FAILED_RETRY_RUNS", 10)
        if retry_runs < 0:
            raise ValueError("NEWSARCHIVE_FAILED_RETRY_RUNS must be 0 or more")
        root = Path(settings.get("NEWSARCHIVE_OUTPUT") or "output")
        # An unsupported scheme is an UnsupportedStateLocation here, before any request
        # (``scrapy crawl`` says so in one line before it even builds the crawler).
        ext = cls(crawler, open_state(state_location(settings)), root, retry_runs)
        crawler.newsarchive_state = ext.state  # type: ignore[attr-defined]
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.file_committed, signal=na_signals.parquet_file_committed)
        crawler.signals.connect(ext.article_failed, signal=na_signals.article_failed)
        crawler.signals.connect(ext.archive_closed, signal=na_signals.archive_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Any) -> None:
        if self.state.migrated_from is not None:
            logger.info(
                "State %s migrated from schema %d: no listing sweep is on record yet, so this "
                "run pages every section to its end and fills what earlier runs left out",
                self.state.path,
                self.state.migrated_from,
            )
        read = reconcile(self.state, self.root)
        self.stats.set_value("newsarchive/state/known_articles", self.state.count())
        if read:
            self.stats.set_value("newsarchive/state/files_reconciled", len(read))
            logger.info("State: read back %d archive file(s) it did not know", len(read))
        self.run_id = str(self.stats.get_value("newsarchive/run_id") or "")
        unfinished = self._unfinished_runs(read)
        self.stats.set_value(f"{COMPLETENESS}/previous_unfinished_runs", unfinished)
        if unfinished:
            logger.warning(
                "Earlier run(s) did not finish (killed or crashed): %s. Whatever they left "
                "undone is caught up now: sections are paged down to what complete runs vouch "
                "for, and their failed articles are retried",
                ", ".join(unfinished),
            )
        self.state.start_run(self.run_id, getattr(spider, "site", None))

    def _unfinished_runs(self, read: list[Path]) -> list[str]:
        """Runs that started and did not finish: those the state saw start, and those that
        left files it had not recorded and no final manifest (release 0.1 kept no runs)."""
        # In a shared crawl nothing holds the archive lock: other sites' crawls and this
        # crawl's other workers may be running, and are not unfinished.
        frontier = getattr(self.crawler, "newsarchive_frontier", None)
        crawl_id = frontier.me.crawl_id if frontier is not None else None
        site = getattr(self.crawler.spider, "site", None) if frontier is not None else None
        unfinished = [
            run_id
            for run_id, _ in self.state.unfinished_runs(
                exclude=self.run_id, site=site, crawl_id=crawl_id
            )
        ]
        for path in read:
            match = _PART_RUN_ID.fullmatch(path.name)
            run_id = match.group(1) if match else None
            if crawl_id and run_id and (run_id == crawl_id or run_id.startswith(f"{crawl_id}-")):
                continue
            if run_id and run_id != self.run_id and run_id not in unfinished:
                manifest = self.root / "_manifests" / f"{run_id}.json"
                if not manifest.exists() or '"status": "running"' in manifest.read_text("utf-8"):
                    unfinished.append(run_id)
        return unfinished

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

    def article_failed(
        self,
        site: str | None,
        article_id: str | None,
        url: str | None,
        section: str | None,
        reason: str,
        **_: Any,
    ) -> None:
        """Queue an article this run could not archive, or give up on it past its budget.
        An article the archive already holds (a failed revisit) needs no retry."""
        article_id = str(article_id or url or "")
        if not site or not url or not article_id or self.state.get(site, article_id):
            return
        failed_runs = self.state.queue_failed(
            site, article_id, url, section=section, reason=reason, run_id=self.run_id
        )
        if failed_runs > self.retry_runs:
            self.state.give_up(site, article_id)
            self.given_up.count(reason, f"{url}, failed in {failed_runs} runs", logging.ERROR)
            self.given_up_now.append({"article_id": article_id, "url": url, "reason": reason})
            self.stats.set_value(f"{COMPLETENESS}/given_up_now", self.given_up_now)

    def archive_closed(self, reason: str, **_: Any) -> None:
        """The run's last file is committed: record its complete sweeps, close the run."""
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        sweeps = getattr(spider, "sweeps", None)
        sections: dict[str, dict[str, Any]] = {}
        if site and sweeps is not None:
            sections = sweeps.summary()
            for sweep in sweeps:
                reach = sweep.reach(sweeps.floor) if reason == "finished" else None
                recorded = reach is not None and self._vouch(site, sweep, reach, sweeps.excused)
                sections[sweep.section]["recorded"] = recorded
        self.stats.set_value(f"{COMPLETENESS}/sections", sections)
        if site:
            queued, given_up = self.state.queue_counts(site)
            self.stats.set_value(f"{COMPLETENESS}/retry_queue", queued)
            self.stats.set_value(f"{COMPLETENESS}/given_up", given_up)
        self.state.finish_run(self.run_id, reason)

    def _vouch(self, site: str, sweep: SectionSweep, reach: str, excused: set[str]) -> bool:
        """Record the sweep's marks if every article it listed is archived or queued."""
        listed = set(sweep.article_ids) - excused
        missing = listed - self.state.known_ids(site, listed)
        if missing:
            logger.warning(
                "%s: %d listed article(s) neither archived nor queued for retry (e.g. %s); "
                "the next run pages this section again",
                sweep.section,
                len(missing),
                sorted(missing)[0],
            )
            return False
        self.state.record_sweep(site, sweep.section, sweep.article_ids, reach)
        return True

    def engine_stopped(self) -> None:
        self.state.close()
