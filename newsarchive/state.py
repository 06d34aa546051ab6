"""Cross-run state: what the archive already holds, in one SQLite file.

The state is a cache of the archive, never ahead of it: an article version is recorded only
once its row sits in a committed Parquet file (``record_committed``, called from the
``parquet_file_committed`` signal), and ``reconcile`` re-reads any live file the state does
not know (written by a run killed before it could record it, or by ``scrapy compact``).
So a ``kill -9`` at any moment costs at most a re-fetch, never a lost or duplicated row.

Tables:

* ``articles``: one row per (site, article ID): URL, latest content hash and version,
  publication time, first/last fetch times, ETag and Last-Modified for conditional requests;
* ``versions``: every (site, url, content hash) ever archived, so an article that reverts to
  an earlier text is not archived twice;
* ``files``: the Parquet files already accounted for.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    url TEXT NOT NULL,
    canonical_url TEXT,
    content_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    published_at TEXT,
    first_fetched TEXT NOT NULL,
    last_fetched TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    PRIMARY KEY (site, article_id)
);
CREATE TABLE IF NOT EXISTS versions (
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    article_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (site, url, content_hash)
);
CREATE INDEX IF NOT EXISTS versions_by_article ON versions (site, article_id);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    rows INTEGER NOT NULL,
    recorded_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class KnownArticle:
    site: str
    article_id: str
    url: str
    content_hash: str
    version: int
    published_at: datetime | None
    last_fetched: datetime
    etag: str | None
    last_modified: str | None


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class ArchiveState:
    """The SQLite store. One writer (the crawl holding the archive lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- reading --------------------------------------------------------------------------

    def get(self, site: str, article_id: str) -> KnownArticle | None:
        row = self.db.execute(
            "SELECT site, article_id, url, content_hash, version, published_at, last_fetched, "
            "etag, last_modified FROM articles WHERE site = ? AND article_id = ?",
            (site, article_id),
        ).fetchone()
        if row is None:
            return None
        return KnownArticle(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            _dt(row[5]),
            _dt(row[6]) or datetime.now(UTC),
            row[7],
            row[8],
        )

    def has_version(self, site: str, url: str, content_hash: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM versions WHERE site = ? AND url = ? AND content_hash = ?",
                (site, url, content_hash),
            ).fetchone()
            is not None
        )

    def latest_version(self, site: str, article_id: str) -> int:
        row = self.db.execute(
            "SELECT max(version) FROM versions WHERE site = ? AND article_id = ?",
            (site, article_id),
        ).fetchone()
        return int(row[0] or 0)

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def known_files(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT path FROM files")}

    # --- writing --------------------------------------------------------------------------

    def record_committed(
        self,
        site: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        path: str | Path | None = None,
        fetched: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> int:
        """Record rows that now sit in a committed file, in one transaction.

        ``fetched`` maps article IDs to what the response said (``etag``, ``last_modified``,
        ``fetched_at``), which the archive itself does not keep.
        """
        fetched = fetched or {}
        count = 0
        with self._transaction():
            for row in rows:
                article_id = str(row.get("article_id") or row["url"])
                meta = fetched.get(article_id, {})
                when = _iso(meta.get("fetched_at") or row.get("crawled_at")) or _iso(
                    datetime.now(UTC)
                )
                self.db.execute(
                    "INSERT OR IGNORE INTO versions VALUES (?, ?, ?, ?, ?)",
                    (site, row["url"], row["content_hash"], article_id, int(row["version"] or 1)),
                )
                self.db.execute(
                    """
                    INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (site, article_id) DO UPDATE SET
                        url = excluded.url,
                        canonical_url = excluded.canonical_url,
                        content_hash = CASE WHEN excluded.version >= articles.version
                            THEN excluded.content_hash ELSE articles.content_hash END,
                        version = max(articles.version, excluded.version),
                        published_at = coalesce(excluded.published_at, articles.published_at),
                        first_fetched = min(articles.first_fetched, excluded.first_fetched),
                        last_fetched = max(articles.last_fetched, excluded.last_fetched),
                        etag = coalesce(excluded.etag, articles.etag),
                        last_modified = coalesce(excluded.last_modified, articles.last_modified)
                    """,
                    (
                        site,
                        article_id,
                        row["url"],
                        row.get("canonical_url"),
                        row["content_hash"],
                        int(row["version"] or 1),
                        _iso(row.get("published_at")),
                        when,
                        when,
                        meta.get("etag"),
                        meta.get("last_modified"),
                    ),
                )
                count += 1
            if path is not None:
                self.db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                    (str(path), count, _iso(datetime.now(UTC))),
                )
        return count

    def touch(
        self,
        site: str,
        article_id: str,
        *,
        fetched_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """An already archived article was fetched again and found unchanged."""
        with self._transaction():
            self.db.execute(
                "UPDATE articles SET last_fetched = ?, etag = coalesce(?, etag), "
                "last_modified = coalesce(?, last_modified) WHERE site = ? AND article_id = ?",
                (_iso(fetched_at), etag, last_modified, site, article_id),
            )

    def forget_files(self, paths: Iterable[str]) -> None:
        with self._transaction():
            self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def reconcile(state: ArchiveState, root: str | Path) -> int:
    """Record the rows of every live Parquet file the state does not know yet.

    Returns the number of files read. Files the state knows but that are gone (replaced by
    ``scrapy compact``) are forgotten.
    """
    import pyarrow.parquet as pq

    from newsarchive.schema import COMMITTED_ROW_KEYS
    from newsarchive.storage import list_partition_files

    known = state.known_files()
    live: set[str] = set()
    read = 0
    columns = [*COMMITTED_ROW_KEYS, "crawled_at"]
    for partition, files in list_partition_files(root).items():
        for file in files:
            key = str(Path(file).resolve())
            live.add(key)
            if key in known:
                continue
            table = pq.read_table(file, columns=columns)
            state.record_committed(partition.site, table.to_pylist(), path=key)
            read += 1
    state.forget_files(known - live)
    return read
