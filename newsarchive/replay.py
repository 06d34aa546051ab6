"""Replay archived responses from WARC through the crawl's own reading (``scrapy extract --warc``).

A replay is a Scrapy crawl whose downloader is the WARC: the site's spider is asked for each
archived article response, in the order they were fetched, and ``WarcReplayMiddleware``
answers every request from its record (nothing goes to the network). The page then goes
through exactly what a crawl does with it -- the spider's extraction, the cleaning stages,
and, written into the archive, the versioning stage, the Parquet writer and the state -- so a
re-extraction writes a new version of an article exactly when the current code reads its
page to different cleaned content (``content_hash``), never a duplicate, and the cross-run
state follows the archive as it does in a crawl.

What a replayed row keeps from its fetch: ``crawled_at`` is the record's ``WARC-Date`` (equal
to the original row's, which capture made so), the section and the dates feeds gave come from
the record's ``metadata`` record (``SectionSpider.warc_metadata``), and ``warc_file`` /
``warc_offset`` point at the same record. ``extractor_version`` says which code re-read it.

Which records are replayed: ``response`` records of status 2xx that were fetched as articles
(their metadata record says ``"kind": "article"``; a WARC without metadata records: the
spider's ``article_id`` recognises the URL). Revisits (304s) have no page to read; listings,
feeds and error answers are evidence, not articles.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import scrapy
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsarchive.accounting import ReasonCounter
from newsarchive.dates import DateCandidate
from newsarchive.extensions.parquet import EXPORTED_NAMES, jsonable
from newsarchive.spiders.base import FETCHED_AT_META, SectionSpider

logger = logging.getLogger(__name__)

REPLAY_META = "newsarchive_replay"
"""Request meta: ``(path, offset)`` of the WARC response record that answers the request."""
ROW_META = "newsarchive_replay_row"
"""Request meta: the ``(warc_file, warc_offset)`` the replayed row gets."""
WARC_SUFFIXES = (".warc.gz", ".warc")
# Hop-by-hop framing the WARC payload no longer has (Scrapy's downloader undid it).
_FRAMING_HEADERS = frozenset({b"transfer-encoding", b"content-length"})


@dataclass(frozen=True)
class ArchivedResponse:
    """One archived response that may be an article page, and where its record is."""

    path: str
    offset: int
    url: str
    fetched_at: datetime
    status: int
    context: dict[str, Any] = field(default_factory=dict, compare=False)
    """The request context its ``metadata`` record kept (``SectionSpider.warc_metadata``)."""

    @property
    def site(self) -> str | None:
        """The ``site=`` folder the capture filed the record under, if any."""
        for part in Path(self.path).parts:
            if part.startswith("site="):
                return part.removeprefix("site=")
        return None


def warc_files(paths: Iterable[str | Path]) -> list[Path]:
    """The WARC files named, or found under the folders named, in order. Hidden names (a
    capture's ``.open`` files, still being written) are skipped."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.name.endswith(WARC_SUFFIXES)
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no WARC file or folder at {path}")
    return found


def parse_warc_date(value: str) -> datetime:
    """A ``WARC-Date`` (``2026-11-30T03:00:00.123456Z``, fraction optional) in UTC."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def archived_responses(path: Path, problems: Counter[str]) -> list[ArchivedResponse]:
    """The 2xx ``response`` records of one WARC file, each with its metadata record's
    context. A file that cannot be read to its end gives what it had before the damage
    (``problems['unreadable_warc']``); a metadata record that is not JSON is ignored
    (``problems['bad_metadata_record']``)."""
    responses: dict[str, ArchivedResponse] = {}
    contexts: dict[str, dict[str, Any]] = {}
    try:
        with path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                headers = record.rec_headers
                if record.rec_type == "response" and record.http_headers is not None:
                    status = int(record.http_headers.get_statuscode() or 0)
                    if 200 <= status < 300:
                        record_id = headers.get_header("WARC-Record-ID")
                        responses[record_id] = ArchivedResponse(
                            path=str(path),
                            offset=records.get_record_offset(),
                            url=headers.get_header("WARC-Target-URI"),
                            fetched_at=parse_warc_date(headers.get_header("WARC-Date")),
                            status=status,
                        )
                elif record.rec_type == "metadata":
                    target = headers.get_header("WARC-Concurrent-To")
                    if target and "json" in (headers.get_header("Content-Type") or ""):
                        try:
                            context = json.loads(record.content_stream().read())
                        except ValueError:
                            problems["bad_metadata_record"] += 1
                            continue
                        if isinstance(context, dict):
                            contexts[target] = context
            # warcio ends quietly at a record cut short (a disk that filled up): say so
            if records.offset < path.stat().st_size:
                raise ValueError(f"a damaged record at byte {records.offset}")
    except (OSError, ArchiveLoadFailed, ValueError, EOFError) as exc:
        problems["unreadable_warc"] += 1
        logger.error(
            "WARC %s could not be read to its end (%s): its later records are skipped", path, exc
        )
    return [replace(ref, context=contexts.get(key, {})) for key, ref in responses.items()]


def read_response(path: str, offset: int) -> tuple[str, int, list[tuple[str, str]], bytes]:
    """The response record at ``offset`` of ``path``: its URL, status, headers and payload
    as the site sent it (still content-encoded; Scrapy's compression middleware decodes)."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        if record.rec_type != "response" or record.http_headers is None:
            raise ValueError(f"{path}:{offset} holds a {record.rec_type}, not a response")
        body = record.raw_stream.read()
        return (
            record.rec_headers.get_header("WARC-Target-URI"),
            int(record.http_headers.get_statuscode()),
            record.http_headers.headers,
            body,
        )


class WarcReplayMiddleware:
    """Downloader middleware: answers each request from the WARC record its meta names.

    First in the chain, so no request reaches robots.txt handling, the offsite filter or
    the network; every response still goes through all ``process_response`` methods (the
    compression middleware decodes it as it did in the crawl). A request with no record
    (nothing in a replay should make one) is dropped, counted and logged.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.problems = ReasonCounter(
            self.stats, "newsarchive/replay/unanswered", logger, "A request the WARC cannot answer"
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: scrapy.Request) -> Response:
        ref = request.meta.get(REPLAY_META)
        if ref is None:
            self.problems.count("not_archived", request.url)
            raise IgnoreRequest(f"not in the WARC: {request.url}")
        try:
            url, status, headers, body = read_response(*ref)
        except (OSError, ArchiveLoadFailed, ValueError, StopIteration) as exc:
            self.problems.count("unreadable_record", f"{ref[0]}:{ref[1]} ({exc})")
            raise IgnoreRequest(f"unreadable WARC record {ref[0]}:{ref[1]}") from exc
        kept = [
            (name, value)
            for name, value in headers
            if name.lower().encode() not in _FRAMING_HEADERS
        ]
        respcls = responsetypes.from_args(headers=dict(kept), url=url, body=body)
        self.stats.inc_value("newsarchive/replay/responses")
        return respcls(url=url, status=status, headers=kept, body=body, request=request)


class ReplayMixin:
    """Turns a site's spider into one that asks for its archived article responses."""

    run_kind: ClassVar[str] = "replay"
    """What the run manifest calls the run (a crawl's is ``crawl``)."""
    replay_records: ClassVar[list[ArchivedResponse]] = []
    warc_root: ClassVar[Path | None] = None
    """Where ``warc_file`` paths are relative to (the archive root); None: absolute."""
    into_archive: ClassVar[bool] = False
    """Write new versions into the archive; else only read (``scrapy extract``'s lines)."""

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for number, ref in enumerate(self.replay_records):
            request = self.replay_request(ref, priority=-number)
            if request is not None:
                yield request

    def replay_request(self, ref: ArchivedResponse, priority: int) -> scrapy.Request | None:
        spider: Any = self
        article_id = ref.context.get("article_id") or spider.article_id(ref.url)
        if article_id is None:
            return None
        spider.listed_dates[article_id] = [
            DateCandidate(str(raw), str(source))
            for raw, source in ref.context.get("listed_dates") or ()
        ]
        return scrapy.Request(
            ref.url,
            callback=spider._parse_article,
            errback=spider._on_failure,
            cb_kwargs={"section": ref.context.get("section")},
            meta={
                "newsarchive_kind": "article",
                "article_id": article_id,
                FETCHED_AT_META: ref.fetched_at,
                REPLAY_META: (ref.path, ref.offset),
                ROW_META: (self.row_path(ref.path), ref.offset),
            },
            priority=priority,
            dont_filter=True,
        )

    def row_path(self, path: str) -> str:
        """The ``warc_file`` a row gets: relative to the archive when the file is in it."""
        if self.warc_root is not None:
            try:
                return Path(path).resolve().relative_to(self.warc_root.resolve()).as_posix()
            except ValueError:
                pass
        return str(Path(path).resolve())

    def start_discovery(self) -> None:
        """No feeds or sitemaps: a replay reads what was archived."""

    def retry_or_fail(self, request: scrapy.Request | None, reason: str) -> Iterator[Any]:
        """A record holds what it holds: a wall or a cut page is counted, not fetched again
        (the crawl fetched it again then, and that answer has its own record)."""
        spider: Any = self
        spider.crawler.stats.inc_value(f"newsarchive/replay/no_article/{reason}")
        return iter(())

    def article_item(self, response: Response, section: str | None) -> Any:
        item = super().article_item(response, section)  # type: ignore[misc]
        if not isinstance(item, str):
            # The validators of an old answer are not news: the state keeps the newest.
            item.http_etag = item.http_last_modified = None
            item.warc_file, item.warc_offset = response.meta[ROW_META]
        return item

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)  # type: ignore[misc]
        settings.setdict(replay_settings(settings, into_archive=cls.into_archive), "cmdline")


def replay_spider(
    spidercls: type[SectionSpider],
    records: list[ArchivedResponse],
    *,
    into_archive: bool,
    warc_root: Path | None,
) -> type[SectionSpider]:
    """A subclass of ``spidercls`` that replays ``records`` (see ``ReplayMixin``), under the
    same name and site, so its rows, state and manifest are the site's."""
    attributes = {"replay_records": records, "into_archive": into_archive, "warc_root": warc_root}
    return type(f"Replay{spidercls.__name__}", (ReplayMixin, spidercls), attributes)


INCREMENTAL = "newsarchive.middlewares.incremental.IncrementalMiddleware"
LEADER_STARTS = "newsarchive.middlewares.frontier.LeaderStartsMiddleware"
VERSIONING = "newsarchive.pipelines.versioning.VersioningPipeline"
OUTPUT_LINES = "newsarchive.replay.OutputLines"


def replay_settings(settings: Any, *, into_archive: bool) -> dict[str, Any]:
    """What a replay changes in the project's settings (they win over ``-s``).

    Always: the WARC answers every request (first downloader middleware) and is not
    captured again; nothing is throttled, retried or skipped as known (no incremental
    middleware: the versioning stage decides what is new); no drift judgement (a replay is
    not a crawl of the site as it is now); no shared frontier. Without ``into_archive``
    nothing is written either: no versioning stage, state, archive writer or run manifest;
    ``OutputLines`` prints each page's line instead.
    """
    downloader = settings.getdict("DOWNLOADER_MIDDLEWARES")
    downloader[f"{__name__}.WarcReplayMiddleware"] = 1
    spider_mw = {**settings.getdict("SPIDER_MIDDLEWARES"), INCREMENTAL: None, LEADER_STARTS: None}
    forced: dict[str, Any] = {
        "DOWNLOADER_MIDDLEWARES": downloader,
        "SPIDER_MIDDLEWARES": spider_mw,
        "NEWSARCHIVE_WARC": False,
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "RETRY_ENABLED": False,
        "NEWSARCHIVE_TIMEOUT_ADAPTIVE": False,
        "NEWSARCHIVE_DRIFT_ENABLED": False,
        "REDIS_URL": None,
    }
    if not into_archive:
        pipelines = {**settings.getdict("ITEM_PIPELINES"), VERSIONING: None}
        extensions = {name: None for name in settings.getdict("EXTENSIONS")}
        forced |= {
            "ITEM_PIPELINES": pipelines,
            "EXTENSIONS": {**extensions, OUTPUT_LINES: 0},
            "NEWSARCHIVE_STATE_ENABLED": False,
        }
    return forced


class OutputLines:
    """Extension of a read-only replay: one JSON line per archived article page on stdout,
    as ``scrapy extract --manifest`` prints them (``reason`` null for an article)."""

    def __init__(self, crawler: Crawler, out: Any) -> None:
        self.out = out
        self.reasons: Counter[str] = Counter()
        crawler.signals.connect(self.item_scraped, signal=scrapy.signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=scrapy.signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, sys.stdout)

    def item_scraped(self, item: Any, **_: Any) -> None:
        self.write(output_line(item))

    def item_dropped(self, item: Any, exception: BaseException, **_: Any) -> None:
        self.write({"url": getattr(item, "url", None), "reason": str(exception) or "dropped"})

    def write(self, line: dict[str, Any]) -> None:
        self.reasons[line["reason"] or "article"] += 1
        self.out.write(json.dumps(line, ensure_ascii=False) + "\n")


def output_line(item: Any) -> dict[str, Any]:
    """An item as ``scrapy extract`` prints it: the archive's columns (times in ISO 8601)
    and ``reason``, null for an article (the archive keeps an undated one out, and says so)."""
    adapter = ItemAdapter(item)
    line = {name: jsonable(adapter.get(name)) for name in EXPORTED_NAMES}
    line["reason"] = None if adapter.get("published_at") else "missing_published_at"
    return line
