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

from itemadapter import ItemAdapter
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import DropItem, UsageError
from scrapy.http import HtmlResponse
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.misc import load_object
from w3lib.encoding import html_body_declared_encoding, read_bom

from newsarchive.extensions.parquet import jsonable
from newsarchive.items import exported_fields
from newsarchive.spiders.base import SectionSpider
from newsarchive.spiders.generic import GenericSpider

logger = logging.getLogger(__name__)
COLUMNS = tuple(f.name for f in exported_fields())
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
        adapter = ItemAdapter(item)
        row = {name: jsonable(adapter.get(name)) for name in COLUMNS}
        # The archive keeps an undated article out (in _rejected), and says so: so does this.
        row["reason"] = None if adapter.get("published_at") else "missing_published_at"
        return row


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
        return "--manifest FILE.jsonl [--spider NAME]"

    def short_desc(self) -> str:
        return "Extract and clean saved pages (no network): one JSON line per page on stdout"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--manifest", required=True, help="JSON Lines of {url, path}")
        parser.add_argument("--spider", help="read every page with this spider's profile")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
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
        self.by_host: dict[str, type[SectionSpider]] = {}
        for name in spider_loader.list():
            spidercls = spider_loader.load(name)
            if issubclass(spidercls, SectionSpider):
                self.by_host[_host(spidercls.default_base_url)] = spidercls
        self.forced = spider_loader.load(spider) if spider else None
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
            spidercls = self.forced or self.by_host.get(_host(url)) or GenericSpider
        key = (spidercls, "/".join(address.split("/", 3)[:3]))
        extractor = self.extractors.get(key)
        if extractor is None:
            extractor = self.extractors[key] = OfflineCrawler(self.settings, spidercls, key[1])
        return extractor, address

    def close(self) -> None:
        for extractor in self.extractors.values():
            extractor.close()
