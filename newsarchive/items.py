"""The one article item, documented field by field.

Every exported field becomes a Parquet column of the same name (see ``newsarchive.schema``,
which derives the Arrow schema from the ``arrow`` metadata below). Fields whose metadata
says ``export=False`` are working fields: the spider fills them with raw material (the
body HTML, the date strings as found) that the pipelines turn into the exported fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import pyarrow as pa

from newsarchive.dates import DateCandidate

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")


def _col(
    arrow_type: pa.DataType | None, doc: str, *, nullable: bool = True, default: Any = None
) -> Any:
    """Declare a field with its documentation and its Arrow type (``None``: not exported)."""
    metadata = {"doc": doc, "arrow": arrow_type, "nullable": nullable}
    if isinstance(default, list):
        return field(default_factory=list, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class ArticleItem:
    """One version of one news article, as archived."""

    url: str | None = _col(pa.string(), "URL the article was fetched from.", nullable=False)
    canonical_url: str | None = _col(
        pa.string(), "`link[rel=canonical]` of the page, else `og:url`, else `url`."
    )
    site: str | None = _col(
        pa.string(),
        "Short site name (`moscowtimes`). Also the `site=` hive partition key, so it is kept "
        "in the folder name rather than inside the Parquet files.",
        nullable=False,
    )
    article_id: str | None = _col(
        pa.string(), "The site's own article ID, from the end of the URL (`-a58475` -> `58475`)."
    )
    title: str | None = _col(pa.string(), "Headline, cleaned text.")
    subtitle: str | None = _col(pa.string(), "Sub-headline (`h2` under the title); null if empty.")
    lead: str | None = _col(pa.string(), "The intro paragraph above the body; null if none.")
    authors: list[str] = _col(
        pa.list_(pa.string()), "Every byline author, in byline order; empty if none.", default=[]
    )
    published_at: datetime | None = _col(
        UTC_TIMESTAMP,
        "Publication time in UTC (microseconds), from the best source the page has (see "
        "`published_at_source`). A source that names a day and no time of it gives 00:00 UTC "
        "of that day.",
    )
    published_at_raw: str | None = _col(
        pa.string(),
        "The string `published_at` was read from, as found (`2026-02-25T09:30+03:00`); for a "
        "UTC string, the page's own statement of the same instant in its offset, if it has one.",
    )
    published_at_source: str | None = _col(
        pa.string(),
        "Where `published_at` was found, best first: `profile` (the site profile's selector), "
        "`jsonld`, `meta`, `news_sitemap`, `feed`, `time` (a `<time>` element), `url`, `text` "
        "(the visible text), `htmldate` (its guess, the last resort).",
    )
    modified_at: datetime | None = _col(
        UTC_TIMESTAMP,
        "Last modification time in UTC, from JSON-LD, meta or an update `<time>`; null if "
        "the page gives none.",
    )
    section: str | None = _col(
        pa.string(),
        "URL slug of the section whose listing the article was found in (e.g. `ukraine-war`), "
        "not the site's buggy `articleSection`.",
    )
    tags: list[str] = _col(
        pa.list_(pa.string()), "Tag names, in page order, without duplicates.", default=[]
    )
    language: str | None = _col(pa.string(), "Language code (`en`), from JSON-LD or `<html lang>`.")
    body: str | None = _col(
        pa.string(),
        "Article text: paragraphs in order separated by one blank line; in-body quotes and "
        "sub-headings included; captions, asides, ads and boilerplate excluded.",
    )
    image_url: str | None = _col(pa.string(), "Featured image URL (`og:image`); null if none.")
    image_caption: str | None = _col(
        pa.string(), "Caption of the featured image, without the credits; null if none."
    )
    is_accessible_for_free: bool | None = _col(
        pa.bool_(), "JSON-LD `isAccessibleForFree`; null when the page does not say."
    )
    word_count: int | None = _col(pa.int32(), "Number of words (`\\w+` tokens) in `body`.")
    content_hash: str | None = _col(
        pa.string(),
        "SHA-256 (hex) of the cleaned content: title, subtitle, lead, authors, body and tags. "
        "Two versions of an article differ exactly when their hashes differ.",
    )
    version: int | None = _col(
        pa.int32(), "1 for the first archived version of the article, then 2, 3, ...", default=1
    )
    boilerplate_removed: int | None = _col(
        pa.int32(), "How many boilerplate blocks were removed from this page.", default=0
    )
    crawled_at: datetime | None = _col(UTC_TIMESTAMP, "When the page was fetched, in UTC.")
    extractor_version: str | None = _col(
        pa.string(),
        "Which code read the page: the newsarchive release and the site profile's version "
        "(`0.1.0+moscowtimes.1`). A row re-read from WARC (`scrapy extract --warc "
        "--into-archive`) carries the version that re-read it; null in rows archived before "
        "the column existed.",
    )
    warc_file: str | None = _col(
        pa.string(),
        "With WARC capture on (`NEWSARCHIVE_WARC`), the WARC file holding the response this "
        "row was read from, relative to the archive root (`_warc/site=.../date=.../...warc.gz`); "
        "null without capture.",
    )
    warc_offset: int | None = _col(
        pa.int64(),
        "Byte offset of that response record in `warc_file` (the start of its gzip member), "
        "where `warcio`'s `ArchiveIterator` reads it from; null without capture.",
    )

    # Working fields: filled by the spider, consumed by the pipelines, never exported.
    body_html: Any = _col(
        None,
        "The article content container as served: its HTML, or the extractor's parsed tree "
        "of it (an lxml root, see `extract.html.detached_root`), cleaned in place.",
    )
    lead_html: Any = _col(None, "The intro's content, likewise (HTML or parsed root).")
    published_raw: list[DateCandidate] = _col(
        None, "Publication time strings as found, each with its source.", default=[]
    )
    http_etag: str | None = _col(None, "ETag response header, for conditional re-fetches.")
    http_last_modified: str | None = _col(None, "Last-Modified response header, likewise.")
    modified_raw: list[DateCandidate] = _col(
        None, "Modification time strings as found, each with its source.", default=[]
    )


def exported_fields() -> list[Any]:
    """The dataclass fields that are archived, in column order."""
    return [f for f in fields(ArticleItem) if f.metadata["arrow"] is not None]


# Field names that are never exported (raw material for the pipelines).
WORKING_FIELDS = frozenset(f.name for f in fields(ArticleItem) if f.metadata["arrow"] is None)
