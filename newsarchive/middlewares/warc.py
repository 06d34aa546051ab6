"""WARC capture in the crawl: every response it receives, as the site sent it, on disk.

``NEWSARCHIVE_WARC=1`` (or a path or ``s3://`` URL: the WARC root; by default
``<NEWSARCHIVE_OUTPUT>/_warc``) turns on two middlewares; off (the default), both are
``NotConfigured``:

* ``WarcCaptureMiddleware`` (downloader, late: 950) sees each response before the
  decompression (590), redirect (600) and retry (550) middlewares, and so records every
  redirect hop, every error answer that is retried, robots.txt (whose request goes
  through the downloader middlewares too), feeds, sitemaps, listings and articles, with
  the body still content-encoded. It writes the records (``newsarchive.warc``), sets
  ``FETCHED_AT_META`` to the instant it writes as ``WARC-Date`` (the spider makes it the
  row's ``crawled_at``) and ``WARC_META`` to ``(warc_file, warc_offset)`` of the response
  record.
* ``WarcPointerMiddleware`` (spider) copies ``WARC_META`` onto the items a response yields:
  the rows' ``warc_file`` and ``warc_offset``.

Completeness: the Parquet writer sends ``archive_flush_starting`` before it writes a file,
and the capture publishes its open WARC files then, so a committed row never names a WARC
file that is not in place. A file that cannot be published (or a response that cannot be
written) is counted as ``newsarchive/warc/write_error``, logged once as an error, fails the
run (``ArchiveRun``), and no row names it: rows still buffered that point to it lose their
``warc_file``/``warc_offset`` (``newsarchive/warc/rows_unlinked``). Its ``.open`` file stays
where it is (for S3: in the local spool), and a later run salvages it.

At start, the ``.open`` files that dead runs left (older than the Parquet writer's
stale-temp limit) are salvaged: their complete records published, a truncated last one
dropped (``newsarchive/warc/salvaged_files``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsarchive import __version__
from newsarchive import signals as na_signals
from newsarchive.archive_fs import ArchiveLocation, parse_location, scrub
from newsarchive.extensions.parquet import RUN_ID_RE, STALE_TEMP_SECONDS, generate_run_id
from newsarchive.spiders.base import FETCHED_AT_META
from newsarchive.warc import (
    DEFAULT_GZIP_LEVEL,
    DEFAULT_GZIP_LIBRARY,
    DEFAULT_MAX_BYTES,
    WARC_DIRNAME,
    WarcFiles,
    exchange_of,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)
# Responses that did not come from the site just now: a listing page fetched ahead earlier
# (middlewares/prefetch.py), or Scrapy's HTTP cache.
NOT_RECEIVED_FLAGS = frozenset({"prefetched", "cached"})

WARC_META = "newsarchive_warc"
"""Request meta: ``(warc_file, warc_offset)`` of the response's record (absent if none)."""
STATS = "newsarchive/warc"
ON = frozenset({"1", "true", "yes", "on"})
OFF = frozenset({"", "0", "false", "no", "off", "none"})


def warc_root(value: Any, settings: Any) -> tuple[ArchiveLocation, str] | None:
    """Where ``NEWSARCHIVE_WARC`` puts the WARC files, and what rows write before
    ``site=...`` in ``warc_file``; None when capture is off.

    ``1``: ``<archive>/_warc``, named ``_warc/...`` (relative to the archive root). A path
    or ``s3://`` URL: that root; inside the archive, it must be under a folder whose name
    starts with ``_`` (hive readers skip those) and is named relative to the archive;
    elsewhere it is named by its absolute path or URL.
    """
    if value is None or value is False:
        return None
    text = str(value).strip()
    if text.lower() in OFF:
        return None
    archive = parse_location(settings.get("NEWSARCHIVE_OUTPUT") or "output", settings)
    if value is True or text.lower() in ON:
        base = archive.path(WARC_DIRNAME)
        return replace(archive, base=base, url=archive.uri(base)), WARC_DIRNAME
    location = parse_location(text, settings)
    inside = (
        location.kind == archive.kind
        and location.endpoint == archive.endpoint
        and location.base.startswith(archive.base.rstrip("/") + "/")
    )
    if not inside:
        return location, location.uri(location.base)
    relative = location.base[len(archive.base.rstrip("/")) + 1 :].strip("/")
    if not relative.startswith("_"):
        raise ValueError(
            f"NEWSARCHIVE_WARC={text!r} is inside the archive but not under a folder whose "
            "name starts with '_', so hive reads of the archive would take its files for "
            "Parquet: use NEWSARCHIVE_WARC=1 (the archive's _warc folder) or such a folder"
        )
    return location, relative


def crawl_run_id(crawler: Crawler) -> str:
    """The run ID the Parquet writer names its files after (so the WARC files of a run
    carry the same), or one made as it makes them when it is off."""
    run_id = crawler.stats.get_value("newsarchive/run_id")
    if not run_id:
        shared = getattr(crawler, "newsarchive_frontier", None)
        run_id = (
            crawler.settings.get("NEWSARCHIVE_RUN_ID")
            or (shared.me.run_id if shared is not None else None)
            or generate_run_id()
        )
    if not RUN_ID_RE.fullmatch(str(run_id)):
        raise ValueError(f"NEWSARCHIVE_RUN_ID {run_id!r} must match {RUN_ID_RE.pattern}")
    return str(run_id)


class WarcCaptureMiddleware:
    """Downloader middleware: write every response as WARC records (see the module doc)."""

    def __init__(self, crawler: Crawler, files: WarcFiles) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.files = files
        self._site: str | None = None
        self._logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        root = warc_root(settings.get("NEWSARCHIVE_WARC"), settings)
        if root is None:
            raise NotConfigured("NEWSARCHIVE_WARC is off")
        location, ref_prefix = root
        run_id = crawl_run_id(crawler)
        max_bytes = settings.getint("NEWSARCHIVE_WARC_MAX_BYTES", DEFAULT_MAX_BYTES)
        level = settings.getint("NEWSARCHIVE_WARC_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
        library = settings.get("NEWSARCHIVE_WARC_GZIP_LIBRARY") or DEFAULT_GZIP_LIBRARY
        info = {
            "software": (
                f"newsarchive/{__version__} (Scrapy/{scrapy.__version__}; "
                f"warcio/{version('warcio')})"
            ),
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "newsarchive-run-id": run_id,
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "operator": settings.get("NEWSARCHIVE_CONTACT") or "",
        }
        spool = None if location.is_local else Path(location.lock_dir()) / "warc-spool"
        files = WarcFiles(
            location,
            run_id=run_id,
            ref_prefix=ref_prefix,
            max_bytes=max_bytes,
            gzip_level=level,
            gzip_library=library,
            info=info,
            spool=spool,
        )
        middleware = cls(crawler, files)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.flush_starting, signal=na_signals.archive_flush_starting)
        # The writer's last word, sent before the run's verdict (ArchiveRun, spider_closed)
        crawler.signals.connect(middleware.archive_closed, signal=na_signals.archive_closed)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    @property
    def site(self) -> str:
        """The ``site=`` folder: the spider's site, else its name."""
        if self._site is None:
            spider = self.crawler.spider
            self._site = str(getattr(spider, "site", None) or spider.name)
        return self._site

    # --- signals ---------------------------------------------------------------------------

    def spider_opened(self, spider: Any) -> None:
        """Salvage what dead runs left (``.open`` files untouched for an hour)."""
        try:
            salvaged = self.files.salvage(STALE_TEMP_SECONDS)
        except OSError as exc:
            self.stats.inc_value(f"{STATS}/salvage_error")
            logger.warning("Could not salvage the WARC files of earlier runs: %s", scrub(str(exc)))
            return
        published = [s for s in salvaged if s.published]
        if published:
            self.stats.inc_value(f"{STATS}/salvaged_files", len(published))
            logger.warning(
                "Salvaged %d WARC file(s) that killed runs left open: %d records kept, %d "
                "bytes of a cut last record dropped (%s)",
                len(published),
                sum(s.records for s in published),
                sum(s.dropped_bytes for s in published),
                ", ".join(s.path for s in published),
            )
        empty = len(salvaged) - len(published)
        if empty:
            self.stats.inc_value(f"{STATS}/salvaged_empty", empty)
            logger.info("Removed %d WARC file(s) of killed runs that held no whole record", empty)
        logger.info("WARC capture to %s", self.files.location.url)

    def flush_starting(self, rows: list[dict[str, Any]]) -> None:
        """The Parquet writer is about to commit rows: put every WARC file in place first;
        rows that name one that could not be are unlinked (see the module docstring)."""
        self._publish_all()
        if not self.files.failed:
            return
        unlinked = 0
        for row in rows:
            if row.get("warc_file") in self.files.failed:
                row["warc_file"] = row["warc_offset"] = None
                unlinked += 1
        if unlinked:
            self.stats.inc_value(f"{STATS}/rows_unlinked", unlinked)

    def archive_closed(self, **_: Any) -> None:
        """The Parquet writer is done: publish now, so that the run's verdict hears of a
        file that could not be published (its end-of-run flush did it, if it had rows)."""
        self._publish_all()

    def spider_closed(self, spider: Any) -> None:
        self._publish_all()  # when no Parquet writer runs
        logger.info(
            "WARC capture: %d records in %d files (%d bytes)",
            self.files.records,
            len(self.files.published),
            self.files.bytes,
        )

    def _publish_all(self) -> None:
        for ref, exc in self.files.publish_all():
            self._write_error(f"could not put {ref} in place", exc)
        self._count()

    # --- responses -------------------------------------------------------------------------

    def process_response(self, request: Request, response: Response) -> Response:
        if NOT_RECEIVED_FLAGS.intersection(response.flags):
            return response  # an answer already recorded when it was received
        fetched_at = datetime.now(UTC)
        meta = request.meta
        meta[FETCHED_AT_META] = fetched_at
        meta.pop(WARC_META, None)
        try:
            exchange = exchange_of(request, response, fetched_at, self._metadata(request))
            meta[WARC_META] = self.files.write(self.site, exchange)
        except Exception as exc:  # a full disk or a bug: never the crawl's end
            self._write_error(f"could not record {response.url}", exc)
        self._count()
        return response

    def _metadata(self, request: Request) -> dict[str, Any] | None:
        """What the spider says a replay of this response needs (None: it says nothing)."""
        describe = getattr(self.crawler.spider, "warc_metadata", None)
        if describe is None:
            return None
        try:
            return describe(request)
        except Exception as exc:
            self.stats.inc_value(f"{STATS}/metadata_error")
            if "metadata" not in self._logged:
                self._logged.add("metadata")
                logger.error("WARC capture: no metadata for %s: %r", request.url, exc)
            return {"error": repr(exc)}

    def _write_error(self, what: str, exc: BaseException) -> None:
        self.stats.inc_value(f"{STATS}/write_error")
        if "write" not in self._logged:
            self._logged.add("write")
            logger.error(
                "WARC capture %s: %s. Rows of such pages get no warc_file; the run fails "
                "(further errors counted in %s/write_error)",
                what,
                scrub(f"{type(exc).__name__}: {exc}"),
                STATS,
            )

    def _count(self) -> None:
        self.stats.set_value(f"{STATS}/records", self.files.records)
        self.stats.set_value(f"{STATS}/bytes", self.files.bytes)
        self.stats.set_value(f"{STATS}/files", len(self.files.published))


class WarcPointerMiddleware:
    """Spider middleware: the items of a captured response name its record."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if warc_root(crawler.settings.get("NEWSARCHIVE_WARC"), crawler.settings) is None:
            raise NotConfigured("NEWSARCHIVE_WARC is off")
        return cls()

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        request = response.request
        pointer = request.meta.get(WARC_META) if request is not None else None
        async for output in result:
            if pointer is not None and ItemAdapter.is_item(output):
                adapter = ItemAdapter(output)
                with contextlib.suppress(KeyError):  # (an item without these fields)
                    adapter["warc_file"], adapter["warc_offset"] = pointer
            yield output
