"""One crawl = one run: exclusive use of the archive, a verdict, and a manifest.

* **Lock**: a run holds ``<NEWSARCHIVE_OUTPUT>/.crawl.lock`` (``flock``, released by the
  kernel if the process dies) for its whole life, so a second cron run on the same archive
  stops at once instead of racing the first.
* **Verdict**: the run failed if the spider closed for any reason but ``finished``, if more
  than ``NEWSARCHIVE_MAX_ERRORS`` errors were logged, if more than
  ``NEWSARCHIVE_MAX_DROP_RATIO`` of the items were dropped, or if more than
  ``NEWSARCHIVE_MAX_FAILED_RATIO`` of the pages failed for good, or if the layout-drift
  alarm went off (``newsarchive.extensions.drift``), or if WARC capture could not keep a
  response or a file (``newsarchive/warc/write_error``). ``scrapy crawl`` (our command)
  exits non-zero on a failed run, so cron mails about it.
* **Manifest**: ``<NEWSARCHIVE_OUTPUT>/_manifests/<run_id>.json`` records what the run did.
  It is written when the run starts, with ``"status": "running"``, and replaced at the end:
  a run that was killed leaves it so, and the next run names it as unfinished.

On S3 (``NEWSARCHIVE_OUTPUT=s3://bucket/prefix``, see ``newsarchive.archive_fs``) the
manifest is one object, uploaded whole at the start and again at the end, and the crawl lock
is a local lock file keyed by the archive's URL (``ArchiveLocation.lock_dir``): it keeps two
crawls of one machine apart; crawls on several machines need ``REDIS_URL`` (a shared crawl),
as they do on a local folder shared over the network.

``ArchiveLocationCheck`` (first of the project's extensions) stops a crawl started any other
way than ``scrapy crawl`` (Scrapyd, a script) before any other extension is built: an
unsupported ``NEWSARCHIVE_OUTPUT`` scheme, or an S3 archive without ``NEWSARCHIVE_STATE``, is
an ``UnsupportedArchiveLocation`` there, before a request or a folder is made.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsarchive import signals as na_signals
from newsarchive.archive_fs import ArchiveLocation, check_settings, parse_location
from newsarchive.extensions.drift import DRIFT_KEY
from newsarchive.extensions.drift import FAILURES_KEY as DRIFT_FAILURES_KEY
from newsarchive.extensions.drift import FIELDS_KEY as DRIFT_FIELDS_KEY
from newsarchive.extensions.state import COMPLETENESS
from newsarchive.frontier import redis_url
from newsarchive.storage import ArchiveLock

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CRAWL_LOCK_FILENAME = ".crawl.lock"
STATUS_KEY = "newsarchive/run/status"
ERRORS_KEY = "newsarchive/run/errors"


class ErrorCounter(logging.Handler):
    """Counts the ERROR (and worse) records logged while the run lives.

    Scrapy's ``log_count/ERROR`` comes from its ``LogCount`` extension, which stops counting
    at ``spider_closed``, before the Parquet writer's end-of-run flush logs what it could not
    write: such a run was judged clean. This one counts until the verdict is given.
    """

    def __init__(self, stats: Any) -> None:
        super().__init__(level=logging.ERROR)
        self.stats = stats

    def emit(self, record: logging.LogRecord) -> None:
        self.stats.inc_value(ERRORS_KEY)


def crawl_lock(root: str | Path | ArchiveLocation) -> ArchiveLock:
    """The lock that keeps two crawls off one archive (separate from compaction's lock):
    ``.crawl.lock`` in the archive folder, or in the local lock folder of an S3 archive."""
    return ArchiveLock(parse_location(root).lock_dir(), name=CRAWL_LOCK_FILENAME)


class ArchiveLocationCheck:
    """Refuses, before any other extension is built, an archive location that cannot be
    used (see the module docstring); is never enabled otherwise."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        check_settings(crawler.settings)  # UnsupportedArchiveLocation: one line
        raise NotConfigured("the archive location is usable")


def peak_memory_bytes() -> int | None:
    """This process's peak resident memory (``VmHWM``), or None where /proc has none.

    Not Scrapy's ``memusage/max``: that is ``ru_maxrss``, which Linux carries over an exec
    from the process that started the crawl, so a crawl started by a big process (a test
    runner, a scheduler) reported that process's peak instead of its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _by_prefix(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}


class ArchiveRun:
    def __init__(
        self,
        crawler: Crawler,
        root: Path,
        lock: ArchiveLock,
        location: ArchiveLocation | None = None,
    ) -> None:
        self.crawler = crawler
        self.root = root
        self.location = location or parse_location(root)
        self.lock = lock
        self.settings = crawler.settings
        self.files: list[str] = []
        self.partitions: set[str] = set()
        self.started_at = datetime.now(UTC)
        self.errors = ErrorCounter(crawler.stats)
        logging.root.addHandler(self.errors)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSARCHIVE_PARQUET_ENABLED", True):
            raise NotConfigured("no archive is written, so there is no run to manage")
        output = crawler.settings.get("NEWSARCHIVE_OUTPUT") or "output"
        location = parse_location(output, crawler.settings)
        root = Path(output) if location.is_local else Path(location.url)
        lock = crawl_lock(location)
        # ArchiveLockedError: the crawl does not start. The workers of a shared crawl
        # (REDIS_URL) run side by side by design: the crawl in Redis keeps them in step.
        if not redis_url(crawler.settings):
            lock.acquire(blocking=False)
        ext = cls(crawler, root, lock, location)
        crawler.signals.connect(ext.file_committed, signal=na_signals.parquet_file_committed)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def file_committed(self, path: Path, partition: Any, **_: Any) -> None:
        if self.location.is_local:
            self.files.append(str(Path(path).relative_to(self.root.absolute())))
        else:  # the alias /s3:/bucket/prefix/site=...
            self.files.append(self.location.relative(path))
        self.partitions.add(partition.relpath())

    def spider_opened(self, spider: Any) -> None:
        if self.settings.getbool("NEWSARCHIVE_MANIFESTS_ENABLED", True):
            self.write_manifest("running", None, [], self.crawler.stats.get_stats())

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats
        failures = self.failures(reason, stats.get_stats())
        status = "failed" if failures else "ok"
        stats.set_value(STATUS_KEY, status)
        if failures:
            for failure in failures:
                logger.error("Run failed: %s", failure)
        if self.settings.getbool("NEWSARCHIVE_MANIFESTS_ENABLED", True):
            path = self.write_manifest(status, reason, failures, stats.get_stats())
            logger.info("Run manifest: %s", path)

    def engine_stopped(self) -> None:
        logging.root.removeHandler(self.errors)
        self.lock.release()

    def failures(self, reason: str, stats: dict[str, Any]) -> list[str]:
        failures = []
        if reason != "finished":
            failures.append(f"the spider closed with reason {reason!r}, not 'finished'")
        errors = stats.get(ERRORS_KEY, 0)
        max_errors = self.settings.getint("NEWSARCHIVE_MAX_ERRORS", 0)
        if errors > max_errors:
            failures.append(f"{errors} errors were logged (NEWSARCHIVE_MAX_ERRORS={max_errors})")
        dropped = sum(_by_prefix(stats, "newsarchive/dropped/").values())
        scraped = stats.get("item_scraped_count", 0)
        ratio = self.settings.getfloat("NEWSARCHIVE_MAX_DROP_RATIO", 0.05)
        if dropped and dropped > ratio * (dropped + scraped):
            failures.append(
                f"{dropped} of {dropped + scraped} items were dropped "
                f"(NEWSARCHIVE_MAX_DROP_RATIO={ratio})"
            )
        failures.extend(stats.get(DRIFT_FAILURES_KEY, []))
        warc_errors = stats.get("newsarchive/warc/write_error", 0)
        if warc_errors:  # evidence lost is a failure whatever NEWSARCHIVE_MAX_ERRORS allows
            failures.append(
                f"WARC capture failed {warc_errors} time(s): responses or files not kept "
                "(newsarchive/warc/write_error); their rows have no warc_file"
            )
        failed = sum(_by_prefix(stats, "newsarchive/failed/").values())
        pages = stats.get("response_received_count", 0) + failed
        max_failed = self.settings.getfloat("NEWSARCHIVE_MAX_FAILED_RATIO", 0.05)
        if failed and failed > max_failed * pages:
            failures.append(
                f"{failed} pages failed for good (NEWSARCHIVE_MAX_FAILED_RATIO={max_failed})"
            )
        return failures

    def write_manifest(
        self, status: str, reason: str | None, failures: list[str], stats: dict[str, Any]
    ) -> Path | str:
        """Write the manifest (``status``: ``running`` at the start, ``ok`` or ``failed``);
        returns its path (its ``s3://`` URL on S3)."""
        run_id = stats.get("newsarchive/run_id") or self.started_at.strftime("%Y%m%dT%H%M%SZ")
        incremental = _by_prefix(stats, "newsarchive/incremental/")
        completeness = _by_prefix(stats, f"{COMPLETENESS}/")
        manifest = {
            "run_id": run_id,
            "crawl_id": stats.get("newsarchive/frontier/crawl_id", run_id),
            "worker": stats.get("newsarchive/frontier/worker"),
            "spider": getattr(self.crawler.spider, "name", None),
            "site": getattr(self.crawler.spider, "site", None),
            # "replay": scrapy extract --warc --into-archive re-read archived responses
            "kind": getattr(self.crawler.spider, "run_kind", "crawl"),
            "started_at": self.started_at.isoformat(),
            "finished_at": None if reason is None else datetime.now(UTC).isoformat(),
            "finish_reason": reason,
            "status": status,
            "failures": failures,
            "completeness": {
                "previous_unfinished_runs": completeness.get("previous_unfinished_runs", []),
                "gap_articles": incremental.get("gap_found", 0),
                "retried": incremental.get("retried", 0),
                "retry_queue": completeness.get("retry_queue", 0),
                "given_up": completeness.get("given_up", 0),
                "given_up_now": completeness.get("given_up_now", []),
                "sections": completeness.get("sections", {}),
            },
            "articles": {
                "new": incremental.get("archived_new", 0),
                "updated": incremental.get("updated", 0),
                "unchanged": incremental.get("unchanged", 0) + incremental.get("not_modified", 0),
                "skipped": incremental.get("skipped_known", 0),
            },
            "requests": stats.get("downloader/request_count", 0),
            "responses_by_status": _by_prefix(stats, "downloader/response_status_count/"),
            "rows_written": stats.get("newsarchive/parquet/rows_written", 0),
            "dropped": _by_prefix(stats, "newsarchive/dropped/"),
            "rejected": _by_prefix(stats, "newsarchive/rejected/"),
            "boilerplate": {
                "removed": _by_prefix(stats, "newsarchive/boilerplate/removed/"),
                "learned_blocks": stats.get("newsarchive/boilerplate/learned_repeated_blocks", 0),
            },
            "fields": stats.get(DRIFT_FIELDS_KEY),
            "drift": stats.get(DRIFT_KEY),
            "skipped_pages": _by_prefix(stats, "newsarchive/skipped/"),
            "failed_pages": _by_prefix(stats, "newsarchive/failed/"),
            "slowdowns": {
                "episodes": stats.get("newsarchive/throttle/episodes", 0),
                "seconds": round(stats.get("newsarchive/throttle/slowed_seconds", 0), 1),
                "answers": _by_prefix(stats, "newsarchive/throttle/answers/"),
            },
            "errors": stats.get(ERRORS_KEY, 0),
            "peak_memory_bytes": peak_memory_bytes() or stats.get("memusage/max"),
            "partitions": sorted(self.partitions),
            "files": self.files,
        }
        text = json.dumps(manifest, indent=2, default=str)
        if not self.location.is_local:  # one upload: the old manifest or the new one
            key = self.location.path("_manifests", f"{run_id}.json")
            self.location.write_bytes(key, text.encode("utf-8"))
            return self.location.uri(key)
        directory = self.root / "_manifests"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{run_id}.json"
        temp = directory / f".{run_id}.json.tmp"
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
        return path
