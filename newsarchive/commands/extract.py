"""``scrapy extract --manifest FILE.jsonl``: extraction and cleaning of saved pages, offline.

Each input line is ``{"url": ..., "path": ...}`` (the path may end in ``.gz``; a relative
path is read from the manifest's folder). Each output line on stdout is one JSON object with
the archive's column names (``url``, ``title``, ``body``, ``published_at``, ...; times in ISO
8601 UTC) and ``reason``: null for an article, else why there is none (a bad line, a missing
file, a page with no article, a drop by a pipeline stage), in the input's order. A summary
of the reasons goes to stderr. Nothing is fetched and nothing is written to the archive.

A page goes through the same code as in a crawl: the spider whose site the URL is on (by
host; ``--spider NAME`` to choose), else the generic profile (``spiders/generic.py``); then
the boilerplate, text, dates, validation and fingerprint stages. Repetition is not learned
here, so each page's output depends on that page alone; blocks an archive has learned are
used when ``NEWSARCHIVE_OUTPUT`` points at it.

``scrapy extract --warc PATH...`` reads archived responses instead (WARC files, or folders
holding them, such as the archive's ``_warc``): every article response in them, through the
same code, with the context the capture kept (section, feed dates, fetch time); the same
lines on stdout. With ``--into-archive`` nothing is printed: the pages go through the whole
crawl pipeline into ``NEWSARCHIVE_OUTPUT``, where an article gets a new version exactly when
the current code reads its page to different cleaned content (``newsarchive.replay``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import DropItem, UsageError
from scrapy.http import HtmlResponse
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.misc import load_object
from w3lib.encoding import html_body_declared_encoding, read_bom

from newsarchive.commands.crawl import EXIT_CONFIG, newer_state
from newsarchive.extensions.run import STATUS_KEY
from newsarchive.replay import (
    ArchivedResponse,
    OutputLines,
    archived_responses,
    output_line,
    replay_spider,
    warc_files,
)
from newsarchive.spiders.base import SectionSpider
from newsarchive.spiders.generic import GenericSpider
from newsarchive.state import UnsupportedStateLocation

logger = logging.getLogger(__name__)
STAGES = (
    "newsarchive.pipelines.boilerplate.BoilerplatePipeline",
    "newsarchive.pipelines.text.TextCleaningPipeline",
    "newsarchive.pipelines.dates.DatesPipeline",
    "newsarchive.pipelines.validation.ValidationPipeline",
    "newsarchive.pipelines.fingerprint.FingerprintPipeline",
)


class _Stats(MemoryStatsCollector):
    """Scrapy's in-memory stats, without the wrapper its base class puts around each stats
    method on first use to warn about a ``spider`` argument no stage passes (it inspects the
    method's signature: a tenth of a millisecond, for each site read)."""

    __getattribute__ = object.__getattribute__


class OfflineCrawler:
    """What the spider and the pipeline stages read from a crawler, with no engine: settings,
    stats, signals and the spider."""

    def __init__(self, settings: Any, spidercls: type[SectionSpider], base_url: str) -> None:
        self.settings = settings
        self.stats = _Stats(self)  # type: ignore[arg-type]
        self.signals = SignalManager(self)
        self.spider = spidercls(base_url=base_url)
        self.spider.crawler = self  # type: ignore[assignment]
        # The pages given are meant to be articles: a generic page without article markup is
        # read as one if it has the text of one.
        self.spider.lenient = True  # type: ignore[attr-defined]
        self.stages = [load_object(path).from_crawler(self) for path in STAGES]
        for stage in self.stages:
            if hasattr(stage, "open_spider"):
                stage.open_spider()

    def close(self) -> None:
        for stage in self.stages:
            if hasattr(stage, "close_spider"):
                stage.close_spider()

    def extract(self, url: str, body: bytes) -> dict[str, Any]:
        response = HtmlResponse(url, body=body, encoding=_encoding(body))
        item = self.spider.article_item(response, None)
        if isinstance(item, str):
            return {"url": url, "reason": item}
        try:
            for stage in self.stages:
                item = stage.process_item(item)
        except DropItem as exc:
            return {"url": url, "reason": str(exc) or "dropped"}
        return output_line(item)


def _encoding(body: bytes) -> str:
    """The page's encoding as a browser would find it (BOM, meta), else UTF-8: what
    ``w3lib.encoding.html_to_unicode(None, body)`` decodes it with, without decoding it."""
    bom_encoding, _ = read_bom(body)
    if bom_encoding is not None:
        return bom_encoding
    declared = html_body_declared_encoding(body)
    if declared in ("utf-16", "utf-32"):
        return declared + "-be"
    return declared or "utf8"  # w3lib's default_encoding


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "WARNING", "NEWSARCHIVE_REPEATED_BLOCK_MIN_ARTICLES": 0}

    def syntax(self) -> str:
        return "(--manifest FILE.jsonl | --warc PATH... [--into-archive]) [--spider NAME]"

    def short_desc(self) -> str:
        return "Extract and clean saved pages (no network): one JSON line per page on stdout"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--manifest", help="JSON Lines of {url, path}")
        source.add_argument(
            "--warc", nargs="+", metavar="PATH", help="WARC files, or folders holding them"
        )
        parser.add_argument(
            "--into-archive",
            action="store_true",
            help="with --warc: write the articles whose content changed as new versions",
        )
        parser.add_argument("--spider", help="read every page with this spider's profile")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        if opts.into_archive and not opts.warc:
            raise UsageError("--into-archive re-reads archived responses: give --warc PATH...")
        if opts.warc:
            self.exitcode = replay_warcs(self.crawler_process, opts)
            return
        manifest = Path(opts.manifest)
        if not manifest.is_file():
            raise UsageError(f"no manifest at {manifest}")
        reader = SavedPageReader(self.settings, self.crawler_process.spider_loader, opts.spider)
        reasons: Counter[str] = Counter()
        with manifest.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                row = self._one(line, number, manifest.parent, reader)
                reasons[row["reason"] or "article"] += 1
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        reader.close()
        summary = ", ".join(f"{reason}: {count}" for reason, count in reasons.most_common())
        print(f"newsarchive extract: {summary or 'no pages'}", file=sys.stderr)

    def _one(self, line: str, number: int, folder: Path, reader: SavedPageReader) -> dict[str, Any]:
        try:
            entry = json.loads(line)
            url, path = str(entry["url"]), Path(entry["path"])
        except (ValueError, KeyError, TypeError):
            return {"url": None, "line": number, "reason": "bad_manifest_line"}
        try:
            raw = (folder / path).read_bytes()
            body = gzip.decompress(raw) if path.suffix == ".gz" else raw
        except FileNotFoundError:
            return {"url": url, "reason": "missing_file"}
        except (OSError, EOFError, gzip.BadGzipFile):
            return {"url": url, "reason": "unreadable_file"}
        return reader.read(url, body)


UNKNOWN_ORIGIN = "http://unknown.invalid"
"""Where a page whose ``url`` is not an http(s) URL is read from (generic mode)."""


class SavedPageReader:
    """Reads saved pages as a crawl would: one ``OfflineCrawler`` per (spider, origin), the
    spider whose site the URL is on (by host), else the generic profile."""

    def __init__(self, settings: Any, spider_loader: Any, spider: str | None = None) -> None:
        self.settings = settings
        self.spiders = SpiderChooser(spider_loader, spider)
        self.extractors: dict[tuple[type[SectionSpider], str], OfflineCrawler] = {}

    def read(self, url: str, body: bytes) -> dict[str, Any]:
        """The page's output line (see the module docstring). A page whose ``url`` is not an
        http(s) URL with a host (a file name, an unknown source) is read in generic mode all
        the same, and keeps its ``url`` as given."""
        try:
            extractor, address = self.extractor_for(url)
            row = extractor.extract(address, body)
        except Exception as exc:  # a page our code cannot read: its line says so, the rest go on
            logger.error("Could not extract %s: %r", url, exc)
            return {"url": url, "reason": f"extract_error: {type(exc).__name__}"}
        if address != url:
            row["url"] = url
            if row.get("canonical_url") == address:
                row["canonical_url"] = None
        return row

    def extractor_for(self, url: str) -> tuple[OfflineCrawler, str]:
        """The extractor that reads ``url``'s page, and the address it reads it at."""
        address = url
        if not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
            address = f"{UNKNOWN_ORIGIN}/{quote(url, safe='')}"
            spidercls: type[SectionSpider] = GenericSpider
        else:
            spidercls = self.spiders.for_url(url)
        key = (spidercls, "/".join(address.split("/", 3)[:3]))
        extractor = self.extractors.get(key)
        if extractor is None:
            extractor = self.extractors[key] = OfflineCrawler(self.settings, spidercls, key[1])
        return extractor, address

    def close(self) -> None:
        for extractor in self.extractors.values():
            extractor.close()


def replay_warcs(process: Any, opts: argparse.Namespace) -> int:
    """Replay the article responses of the WARC files named (see ``newsarchive.replay``),
    one crawl per site, one after the other (a crawl into the archive holds it alone).
    The exit code: 1 when a run into the archive failed, 78 (EX_CONFIG) when the archive's
    state was written by a newer release (said in one line, before anything starts), else 0."""
    if opts.into_archive:
        try:
            problem = newer_state(process.settings)
        except UnsupportedStateLocation as exc:
            raise UsageError(str(exc)) from exc
        if problem:
            print(f"newsarchive: not extracting: {problem}", file=sys.stderr)
            return EXIT_CONFIG
    try:
        files = warc_files(opts.warc)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    problems: Counter[str] = Counter()
    records = [ref for path in files for ref in archived_responses(path, problems)]
    articles = sorted(
        (ref for ref in records if ref.context.get("kind", "article") == "article"),
        key=lambda ref: (ref.fetched_at, ref.path, ref.offset),
    )
    settings = process.settings
    chooser = SpiderChooser(process.spider_loader, opts.spider)
    groups: dict[tuple[type[SectionSpider], str], list[ArchivedResponse]] = {}
    for ref in articles:
        groups.setdefault(chooser.choose(ref), []).append(ref)
    root = settings.get("NEWSARCHIVE_OUTPUT")
    warc_root = Path(root) if root and "://" not in str(root) else None
    crawlers = []
    for (spidercls, origin), refs in groups.items():
        replayer = replay_spider(
            spidercls, refs, into_archive=opts.into_archive, warc_root=warc_root
        )
        crawlers.append((process.create_crawler(replayer), origin))

    finished: list[Any] = []

    def crawl_next(*_: Any) -> None:
        """Start the next crawl when the last one is done; the process runs while any does."""
        if not crawlers:
            return
        crawler, origin = crawlers.pop(0)
        finished.append(crawler)
        running = process.crawl(crawler, base_url=origin)
        if hasattr(running, "add_done_callback"):  # an asyncio task
            running.add_done_callback(crawl_next)
        else:  # a Deferred
            running.addBoth(crawl_next)

    if crawlers:
        crawl_next()
        process.start()
    failed = any(
        crawler.stats and crawler.stats.get_value(STATUS_KEY) == "failed" for crawler in finished
    )
    summary: Counter[str] = Counter(problems)
    for crawler in finished:
        for key, value in (crawler.stats.get_stats() if crawler.stats else {}).items():
            if key.startswith(SUMMARY_STATS) and isinstance(value, int):
                summary[key.removeprefix("newsarchive/")] += value
        for extension in getattr(crawler.extensions, "middlewares", []):
            if isinstance(extension, OutputLines):
                summary.update({f"line/{k}": v for k, v in extension.reasons.items()})
    shown = ", ".join(f"{key}: {count}" for key, count in sorted(summary.items()))
    print(
        f"newsarchive extract: {len(files)} WARC file(s), {len(articles)} article record(s)"
        + (f"; {shown}" if shown else ""),
        file=sys.stderr,
    )
    return 1 if failed or process.bootstrap_failed else 0


SUMMARY_STATS = (
    "newsarchive/incremental/",
    "newsarchive/replay/",
    "newsarchive/rejected/",
    "newsarchive/failed/",
)


class SpiderChooser:
    """Which spider reads an archived response: ``--spider`` if given, else the spider of
    the site the capture filed it under, else the one whose host it is on, else the generic
    profile; and the origin the spider is started at."""

    def __init__(self, spider_loader: Any, forced: str | None) -> None:
        self.by_site: dict[str, type[SectionSpider]] = {}
        self.by_host: dict[str, type[SectionSpider]] = {}
        for name in spider_loader.list():
            spidercls = spider_loader.load(name)
            if issubclass(spidercls, SectionSpider) and spidercls is not GenericSpider:
                self.by_site[spidercls.site] = spidercls
                self.by_host[_host(spidercls.default_base_url)] = spidercls
        self.forced = spider_loader.load(forced) if forced else None

    def for_url(self, url: str) -> type[SectionSpider]:
        """The spider for a page at ``url``: ``--spider``, else by host, else generic."""
        return self.forced or self.by_host.get(_host(url)) or GenericSpider

    def choose(self, ref: ArchivedResponse) -> tuple[type[SectionSpider], str]:
        origin = "/".join(ref.url.split("/", 3)[:3])
        site_spider = self.by_site.get(ref.site) if ref.site and not self.forced else None
        return site_spider or self.for_url(ref.url), origin
