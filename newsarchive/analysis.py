"""The versions of the archive's articles, read with DuckDB: the latest, as of a time, the edits.

A row is one version of one article: ``url`` (the article, within its ``site``), ``version``
(1, 2, ...) and ``crawled_at`` (when the page was fetched). Re-extraction (``scrapy extract
--warc ... --into-archive``) reads an already-fetched page again with newer code and, where the
cleaned content changed, adds a row with the next version and the *same* ``crawled_at``. So:

* a *fetch* is ``(site, url, crawled_at)``; it may have several rows (readings), and its
  *current reading* is the one with the highest version;
* the *latest version* of an article is the current reading of its latest fetch;
* the version *as of* a time is the current reading of the last fetch at or before it;
* an *edit* is a change of title, lead or body between the current readings of two
  consecutive fetches (two readings of one fetch differ by the extractor, not by the site).

Articles are grouped by ``(site, url)``, never by ``date``: a version whose publication date
moved lives in another ``date=`` partition.

Every function takes the archive root (a folder, or ``s3://bucket/prefix``; an
``ArchiveLocation`` too) and optionally a DuckDB connection, and returns a lazy
``duckdb.DuckDBPyRelation``: nothing is read until it is fetched, and it composes (``.filter``,
``.order``, ``.limit``, ``.query``) before that. Fetch it with ``.fetchall()``, ``.df()``,
``.to_arrow_table()`` or ``.to_arrow_reader()``. Rows come in no particular order unless
said. On a connection made here, times come back in UTC.

An S3 archive is read through fsspec's ``s3fs`` (as in the README's DuckDB-on-S3 snippet;
DuckDB's own ``httpfs`` is a download): pass a connection of your own to read S3 another way.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from newsarchive.archive_fs import (
    ArchiveLocation,
    UnsupportedArchiveLocation,
    parse_endpoint,
    parse_location,
    scrub,
)
from newsarchive.schema import FILE_SCHEMA
from newsarchive.storage import UnsafePathError, validate_site

Root = str | os.PathLike[str] | ArchiveLocation
Moment = datetime | date | str

EDITED_FIELDS = ("title", "lead", "body")
"""The fields whose change between two fetches is an edit."""
PARTITIONS = "site={site}/date=*/*.parquet"
"""The live files under the root (temp files end in ``.tmp``; ``_warc``, ``_manifests`` and
the like are not ``site=`` folders)."""


class AnalysisError(RuntimeError):
    """The archive cannot be read (missing, empty, unreachable, bad arguments): one line."""


def rows(
    root: Root, site: str | None = None, conn: duckdb.DuckDBPyConnection | None = None
) -> duckdb.DuckDBPyRelation:
    """Every row of the archive (of ``site``), with ``site`` and ``date`` from the folders.

    Files of an older schema are read too: the columns they lack are null (and typed as in
    the current schema even where no file has them yet).
    """
    location = _location(root)
    if site is not None:
        try:
            validate_site(site)
        except UnsafePathError as exc:
            raise AnalysisError(str(exc)) from None
    conn = conn if conn is not None else _connect(location)
    base = location.base.rstrip("/")
    pattern = (
        (f"{base}" if location.is_local else f"s3://{base}")
        + "/"
        + PARTITIONS.format(site=site or "*")
    )
    try:
        found = conn.sql(
            "SELECT * FROM read_parquet($pattern, hive_partitioning = true, union_by_name = true,"
            " hive_types = {'site': VARCHAR, 'date': DATE})",
            params={"pattern": pattern},
        )
    except duckdb.IOException as exc:
        if "No files found" in str(exc):
            what = f"of site {site} " if site else ""
            raise AnalysisError(f"no archive files {what}in {location.url}") from None
        raise AnalysisError(f"cannot read {location.url}: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        raise AnalysisError(f"cannot read {location.url}: {_first_line(exc)}") from None
    present = set(found.columns)
    columns = [
        _quoted(f.name)
        if f.name in present
        else f"CAST(NULL AS {_sql_type(f.type)}) AS {_quoted(f.name)}"
        for f in FILE_SCHEMA
    ]
    return found.project(", ".join([*columns, "site", "date"]))


def latest(
    root: Root, site: str | None = None, conn: duckdb.DuckDBPyConnection | None = None
) -> duckdb.DuckDBPyRelation:
    """The latest version of each article: the current reading of its latest fetch."""
    return _last_fetch(rows(root, site, conn))


def as_of(
    root: Root, when: Moment, site: str | None = None, conn: duckdb.DuckDBPyConnection | None = None
) -> duckdb.DuckDBPyRelation:
    """The version of each article valid at ``when``: the current reading of its last fetch
    at or before it. Articles first fetched after ``when`` are not there.

    ``when`` is an aware datetime, a naive one (read as UTC), a day (its start, 00:00 UTC)
    or an ISO 8601 string of either.
    """
    moment = utc_moment(when, "when")
    fetched = rows(root, site, conn)
    return _last_fetch(
        fetched.filter(duckdb.ColumnExpression("crawled_at") <= duckdb.ConstantExpression(moment))
    )


def edits(
    root: Root,
    site: str | None = None,
    since: Moment | None = None,
    url: str | None = None,
    conn: duckdb.DuckDBPyConnection | None = None,
) -> duckdb.DuckDBPyRelation:
    """The edits: each pair of consecutive fetches of an article whose current readings
    differ in title, lead or body, ordered by site, URL and time.

    Columns: ``site``, ``url``, ``article_id``; ``from_version``, ``from_crawled_at``,
    ``from_extractor_version`` and the same ``to_...`` (the older and the newer fetch);
    ``from_title``, ``to_title``, ``from_lead``, ``to_lead``, ``from_body``, ``to_body``; and
    ``changed``, the names of the fields that differ (of ``EDITED_FIELDS``, in that order).
    ``since`` keeps the edits whose newer fetch is at or after it (a day: its start, UTC);
    ``url`` keeps one article's.
    """
    moment = utc_moment(since, "since") if since is not None else None
    fetched = rows(root, site, conn)
    if url is not None:
        fetched = fetched.filter(duckdb.ColumnExpression("url") == duckdb.ConstantExpression(url))
    per_field = ",\n".join(
        f"lag({name}) OVER fetches AS from_{name}, {name} AS to_{name}"
        for name in ("version", "crawled_at", "extractor_version", *EDITED_FIELDS)
    )
    differs = [f"from_{name} IS DISTINCT FROM to_{name}" for name in EDITED_FIELDS]
    changed = ", ".join(
        f"CASE WHEN {test} THEN '{name}' END"
        for test, name in zip(differs, EDITED_FIELDS, strict=True)
    )
    pairs = fetched.query(
        "archive",
        f"""
        WITH readings AS (
            SELECT * FROM archive
            QUALIFY row_number() OVER (
                PARTITION BY site, url, crawled_at ORDER BY version DESC NULLS LAST) = 1
        ), consecutive AS (
            SELECT site, url, article_id,
                {per_field}
            FROM readings
            WINDOW fetches AS (PARTITION BY site, url ORDER BY crawled_at NULLS FIRST, version)
        )
        SELECT site, url, article_id,
            from_version, from_crawled_at, from_extractor_version,
            to_version, to_crawled_at, to_extractor_version,
            {", ".join(f"from_{n}, to_{n}" for n in EDITED_FIELDS)},
            list_filter([{changed}], lambda name: name IS NOT NULL) AS changed
        FROM consecutive
        WHERE from_crawled_at IS NOT NULL AND ({" OR ".join(differs)})
        """,
    )
    if moment is not None:
        pairs = pairs.filter(
            duckdb.ColumnExpression("to_crawled_at") >= duckdb.ConstantExpression(moment)
        )
    return pairs.order("site, url, to_crawled_at")


def utc_moment(value: Moment, name: str = "time") -> datetime:
    """An aware UTC datetime of ``value``: a datetime (naive: UTC), a day (00:00 UTC), or an
    ISO 8601 string of either. Raises ``AnalysisError`` naming ``name`` otherwise."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise AnalysisError(
                f"{name} {value!r}: give a day (YYYY-MM-DD) or an ISO 8601 time"
            ) from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    raise AnalysisError(f"{name} {value!r}: give a datetime, a date or an ISO 8601 string")


def _last_fetch(fetched: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """Per article, the row of its latest fetch with the highest version (its current reading)."""
    return fetched.query(
        "archive",
        """SELECT * FROM archive
        QUALIFY row_number() OVER (
            PARTITION BY site, url
            ORDER BY crawled_at DESC NULLS LAST, version DESC NULLS LAST) = 1""",
    )


def _location(root: Root) -> ArchiveLocation:
    try:
        location = parse_location(root)
    except UnsupportedArchiveLocation as exc:
        raise AnalysisError(str(exc)) from None
    if location.is_local:
        folder = Path(location.base)
        if not folder.is_dir():
            what = "not a folder" if folder.exists() else "no such folder"
            raise AnalysisError(f"no archive at {folder} ({what})")
    return location


def _connect(location: ArchiveLocation) -> duckdb.DuckDBPyConnection:
    """A private in-memory connection in UTC; for S3, with ``s3fs`` reaching the archive's
    endpoint (credentials from the AWS chain, as for the crawl)."""
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    if location.is_local:
        return conn
    try:
        import s3fs  # not a crawl dependency: only S3 readers need it
    except ImportError:
        raise AnalysisError(
            f"reading {location.url} needs s3fs (pip install s3fs), or a DuckDB connection "
            "of your own that reads S3"
        ) from None
    options: dict[str, Any] = {}
    if location.endpoint:
        scheme, host = parse_endpoint(location.endpoint)
        options["endpoint_url"] = f"{scheme}://{host}"
    if location.region:
        options["client_kwargs"] = {"region_name": location.region}
    conn.register_filesystem(s3fs.S3FileSystem(**options))
    return conn


def _first_line(error: BaseException) -> str:
    return scrub(str(error)).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_type(kind: pa.DataType) -> str:
    """DuckDB's name of an Arrow type of the archive schema."""
    if pa.types.is_list(kind):
        return f"{_sql_type(kind.value_type)}[]"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz else "TIMESTAMP"
    simple = {
        pa.string(): "VARCHAR",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.bool_(): "BOOLEAN",
        pa.float64(): "DOUBLE",
    }
    if kind not in simple:
        raise TypeError(f"no DuckDB type for {kind}")
    return simple[kind]
