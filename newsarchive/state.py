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
* ``files``: the Parquet files already accounted for;
* ``runs``: every crawl that opened the state, and how it ended (none: it was killed);
* ``sweeps``: for each article a section listing showed, how far down that listing a
  complete sweep through it reached (see ``newsarchive.sweeps``): the incremental horizon trusts a
  page of known articles only where such a sweep vouches for everything below it;
* ``retry_queue``: articles that failed for good (or could not be archived), retried by the
  next runs until they are archived or their budget is spent.
* ``field_fill``: per run and site, how many articles filled each field and the percentiles
  of their word counts (JSON), whether the run raised a layout-drift alarm, and whether it
  was accepted as the new baseline (see ``newsarchive.drift``).

The schema carries a version (``PRAGMA user_version``); an older state is migrated in place
when it is opened. A state of release 0.1 has no sweeps, so the first run after the upgrade
pages every section to its end and fills whatever gaps the old horizon left.

``open_state`` chooses the backend by ``NEWSARCHIVE_STATE``: a path or ``sqlite:///path``
is this SQLite file (the default); ``redis://``, ``rediss://`` and ``unix://`` URLs are
``newsarchive.state_redis`` (several workers, several machines); any other scheme is an
``UnsupportedStateLocation`` error, raised before anything is created.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsarchive.drift import RunFill
from newsarchive.redaction import redact

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
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    site TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    finish_reason TEXT
);
CREATE TABLE IF NOT EXISTS sweeps (
    site TEXT NOT NULL,
    section TEXT NOT NULL,
    article_id TEXT NOT NULL,
    reaches TEXT NOT NULL,
    swept_at TEXT NOT NULL,
    PRIMARY KEY (site, section, article_id)
);
CREATE TABLE IF NOT EXISTS retry_queue (
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    url TEXT NOT NULL,
    section TEXT,
    reason TEXT NOT NULL,
    failed_runs INTEGER NOT NULL,
    last_run_id TEXT,
    first_failed TEXT NOT NULL,
    last_failed TEXT NOT NULL,
    given_up_at TEXT,
    PRIMARY KEY (site, article_id)
);
CREATE TABLE IF NOT EXISTS field_fill (
    run_id TEXT NOT NULL,
    site TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    items INTEGER NOT NULL,
    filled TEXT NOT NULL,
    words TEXT NOT NULL,
    alarmed INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    PRIMARY KEY (run_id, site)
);
"""
SCHEMA_VERSION = 2
"""0: release 0.1 (articles, versions, files; it set no version). 1: adds runs, sweeps and the
retry queue. 2: adds the field fill rates of each run (``field_fill``)."""
BOTTOM = ""
"""``reaches`` of a sweep that went down to the end of its listing (``since`` sweeps store
the ``since`` day instead)."""


@dataclass(frozen=True)
class QueuedArticle:
    """An article in the retry queue."""

    article_id: str
    url: str
    section: str | None
    reason: str
    failed_runs: int


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


class NewerStateError(RuntimeError):
    """The state was written by a newer release: its meaning may have changed in ways this
    one cannot know, so it is not read (nor migrated down)."""


def newer_state_message(where: str, found: int, supported: int) -> str:
    return (
        f"{where} is a state of schema version {found}; this release reads {supported} at "
        "most: upgrade newsarchive"
    )


def newer_state_problem(location: str | Path) -> str | None:
    """Why the state at ``location`` cannot be used by this release (it is newer), or None;
    read without creating or changing anything, so a crawl can refuse in one line before it
    starts. An unreadable state is left to the crawl to report."""
    backend, target = state_backend(location)
    supported = SCHEMA_VERSION
    if backend == "redis":
        from newsarchive import state_redis

        found, where = state_redis.stored_schema_version(target)
        supported = state_redis.SCHEMA_VERSION
    else:
        path = Path(target)
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                found = int(db.execute("PRAGMA user_version").fetchone()[0])
            finally:
                db.close()
        except sqlite3.Error:
            return None
        where = str(path)
    if found is not None and found > supported:
        return newer_state_message(where, found, supported)
    return None


class ArchiveState:
    """The SQLite store. One writer (the crawl holding the archive lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.migrated_from: int | None = None
        """The schema version this open migrated from (None: it was current or new)."""
        self._migrate()

    def _migrate(self) -> None:
        """Bring any older state up to ``SCHEMA_VERSION``, in one transaction.

        Every change so far only adds tables, so creating what is missing is the migration;
        the version records that it ran. A state newer than this code is refused: its
        meaning may have changed in ways this release cannot know.
        """
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise NewerStateError(newer_state_message(str(self.path), version, SCHEMA_VERSION))
        if version == SCHEMA_VERSION:
            return
        had_tables = self.db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'articles'"
        ).fetchone()[0]
        with self._transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if had_tables:
            self.migrated_from = version

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

    def known_ids(self, site: str, article_ids: Iterable[str]) -> set[str]:
        """Those of ``article_ids`` that are archived or queued for retry."""
        found: set[str] = set()
        ids = list(dict.fromkeys(article_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for table in ("articles", "retry_queue"):
                found.update(
                    row[0]
                    for row in self.db.execute(
                        f"SELECT article_id FROM {table} "
                        f"WHERE site = ? AND article_id IN ({marks})",
                        (site, *chunk),
                    )
                )
        return found

    # --- sweeps: how far down a listing the archive is known to be complete -----------------

    def sweep_reach(self, site: str, section: str, article_id: str) -> str | None:
        """How far down ``section``'s listing a complete sweep through ``article_id`` went:
        ``BOTTOM``, a ``since`` day (``YYYY-MM-DD``), or None (no complete sweep saw it)."""
        row = self.db.execute(
            "SELECT reaches FROM sweeps WHERE site = ? AND section = ? AND article_id = ?",
            (site, section, article_id),
        ).fetchone()
        return None if row is None else row[0]

    def record_sweep(
        self, site: str, section: str, article_ids: Iterable[str], reaches: str
    ) -> int:
        """Vouch that everything below each of ``article_ids`` in the listing, down to
        ``reaches``, is archived or queued. A mark only ever moves further down."""
        now = _iso(datetime.now(UTC))
        rows = [(site, section, str(a), reaches, now) for a in dict.fromkeys(article_ids)]
        with self._transaction():
            self.db.executemany(
                """
                INSERT INTO sweeps VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (site, section, article_id) DO UPDATE SET
                    reaches = CASE WHEN excluded.reaches = '' OR (
                        sweeps.reaches <> '' AND excluded.reaches < sweeps.reaches)
                        THEN excluded.reaches ELSE sweeps.reaches END,
                    swept_at = excluded.swept_at
                """,
                rows,
            )
        return len(rows)

    # --- field fill rates (layout drift) ----------------------------------------------------

    def record_fill(
        self, run_id: str, site: str, fill: RunFill, *, alarmed: bool, accepted: bool
    ) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO field_fill (run_id, site, recorded_at, items, filled, "
                "words, alarmed, accepted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    site,
                    _iso(datetime.now(UTC)),
                    fill.items,
                    json.dumps(fill.filled, sort_keys=True),
                    json.dumps(fill.words),
                    int(alarmed),
                    int(accepted),
                ),
            )

    def fill_history(self, site: str, runs: int) -> list[RunFill]:
        """The fill of the site's last ``runs`` runs that raised no alarm, newest first,
        back to the latest run accepted as a new baseline (a run that raised an alarm never
        becomes part of one: the next run is judged against the layout before it)."""
        rows = self.db.execute(
            "SELECT items, filled, words, accepted FROM field_fill "
            "WHERE site = ? AND alarmed = 0 AND items > 0 ORDER BY recorded_at DESC, rowid DESC",
            (site,),
        )
        history = []
        for items, filled, words, accepted in rows:
            history.append(RunFill(items, json.loads(filled), json.loads(words)))
            if accepted or len(history) >= runs:
                break
        return history

    # --- runs -----------------------------------------------------------------------------

    def start_run(self, run_id: str, site: str | None) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO runs (run_id, site, started_at) VALUES (?, ?, ?)",
                (run_id, site, _iso(datetime.now(UTC))),
            )

    def finish_run(self, run_id: str, reason: str) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, finish_reason = ? WHERE run_id = ?",
                (_iso(datetime.now(UTC)), reason, run_id),
            )

    def unfinished_runs(
        self, exclude: str, *, site: str | None = None, crawl_id: str | None = None
    ) -> list[tuple[str, str]]:
        """(run_id, started_at) of runs that started and never finished, oldest first, and
        marks them as such: the caller holds the crawl lock, so none of them is running.

        In a shared crawl (no lock) other sites' crawls may be running, and so may the
        other workers of this crawl: ``site`` keeps only that site's runs, ``crawl_id``
        leaves out the runs of that crawl (its own ID, and the followers' ``<crawl_id>-*``).
        """
        rows = [
            (run_id, started)
            for run_id, started, run_site in self.db.execute(
                "SELECT run_id, started_at, site FROM runs "
                "WHERE finished_at IS NULL AND run_id <> ? ORDER BY started_at",
                (exclude,),
            )
            if (site is None or run_site == site)
            and not (crawl_id and (run_id == crawl_id or run_id.startswith(f"{crawl_id}-")))
        ]
        if rows:
            with self._transaction():
                self.db.executemany(
                    "UPDATE runs SET finished_at = ?, finish_reason = 'unfinished' "
                    "WHERE run_id = ?",
                    [(_iso(datetime.now(UTC)), run_id) for run_id, _ in rows],
                )
        return [(str(run_id), str(started)) for run_id, started in rows]

    # --- the retry queue ------------------------------------------------------------------

    def queue_failed(
        self,
        site: str,
        article_id: str,
        url: str,
        *,
        section: str | None,
        reason: str,
        run_id: str,
    ) -> int:
        """Queue an article that this run could not archive; returns in how many runs it
        has failed so far (a run counts once, however often it failed in it)."""
        now = _iso(datetime.now(UTC))
        with self._transaction():
            self.db.execute(
                """
                INSERT INTO retry_queue VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, NULL)
                ON CONFLICT (site, article_id) DO UPDATE SET
                    url = excluded.url,
                    section = coalesce(excluded.section, retry_queue.section),
                    reason = excluded.reason,
                    failed_runs = retry_queue.failed_runs
                        + (retry_queue.last_run_id IS NOT excluded.last_run_id),
                    last_run_id = excluded.last_run_id,
                    last_failed = excluded.last_failed
                """,
                (site, article_id, url, section, reason, run_id, now, now),
            )
            row = self.db.execute(
                "SELECT failed_runs FROM retry_queue WHERE site = ? AND article_id = ?",
                (site, article_id),
            ).fetchone()
        return int(row[0])

    def give_up(self, site: str, article_id: str) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE retry_queue SET given_up_at = ? WHERE site = ? AND article_id = ?",
                (_iso(datetime.now(UTC)), site, article_id),
            )

    def queued(self, site: str) -> list[QueuedArticle]:
        """Articles to retry (not given up), oldest failure first."""
        rows = self.db.execute(
            "SELECT article_id, url, section, reason, failed_runs FROM retry_queue "
            "WHERE site = ? AND given_up_at IS NULL ORDER BY first_failed, article_id",
            (site,),
        ).fetchall()
        return [QueuedArticle(*row) for row in rows]

    def queue_status(self, site: str, article_id: str) -> str | None:
        """``queued``, ``given_up``, or None (the article is not in the retry queue)."""
        row = self.db.execute(
            "SELECT given_up_at FROM retry_queue WHERE site = ? AND article_id = ?",
            (site, article_id),
        ).fetchone()
        if row is None:
            return None
        return "queued" if row[0] is None else "given_up"

    def queue_counts(self, site: str) -> tuple[int, int]:
        """(queued for retry, given up) for ``site``."""
        row = self.db.execute(
            "SELECT count(*) - count(given_up_at), count(given_up_at) FROM retry_queue "
            "WHERE site = ?",
            (site,),
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def requeue_given_up(self, site: str) -> int:
        """Give every given-up article of ``site`` a new budget (``-a full=1``)."""
        with self._transaction():
            cursor = self.db.execute(
                "UPDATE retry_queue SET given_up_at = NULL, failed_runs = 0 "
                "WHERE site = ? AND given_up_at IS NOT NULL",
                (site,),
            )
        return cursor.rowcount

    # --- writing --------------------------------------------------------------------------

    def record_committed(
        self,
        site: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        path: str | Path | None = None,
        fetched: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> int:
        """Record rows that now sit in a committed file, in one transaction (or as part of
        the caller's ``batch``).

        ``fetched`` maps article IDs to what the response said (``etag``, ``last_modified``,
        ``fetched_at``), which the archive itself does not keep.
        """
        fetched = fetched or {}
        now = _iso(datetime.now(UTC))
        versions: list[tuple[Any, ...]] = []
        articles: list[tuple[Any, ...]] = []
        queued: list[tuple[str, str]] = []
        for row in rows:
            article_id = str(row.get("article_id") or row["url"])
            meta = fetched.get(article_id, {})
            when = _iso(meta.get("fetched_at") or row.get("crawled_at")) or now
            version = int(row["version"] or 1)
            versions.append((site, row["url"], row["content_hash"], article_id, version))
            articles.append(
                (
                    site,
                    article_id,
                    row["url"],
                    row.get("canonical_url"),
                    row["content_hash"],
                    version,
                    _iso(row.get("published_at")),
                    when,
                    when,
                    meta.get("etag"),
                    meta.get("last_modified"),
                )
            )
            queued.append((site, article_id))
        with self._transaction():
            self.db.executemany("INSERT OR IGNORE INTO versions VALUES (?, ?, ?, ?, ?)", versions)
            self.db.executemany(
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
                articles,
            )
            self.db.executemany("DELETE FROM retry_queue WHERE site = ? AND article_id = ?", queued)
            if path is not None:
                self.db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                    (str(path), len(articles), now),
                )
        return len(articles)

    def touch(
        self,
        site: str,
        article_id: str,
        *,
        fetched_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """An already archived article was fetched again and found unchanged (a replay of
        an older fetch leaves the last fetch where it is)."""
        with self._transaction():
            self.db.execute(
                "UPDATE articles SET last_fetched = max(last_fetched, ?), "
                "etag = coalesce(?, etag), "
                "last_modified = coalesce(?, last_modified) WHERE site = ? AND article_id = ?",
                (_iso(fetched_at), etag, last_modified, site, article_id),
            )

    def forget_files(self, paths: Iterable[str]) -> None:
        with self._transaction():
            self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    def batch(self) -> _Transaction:
        """One transaction for everything written inside it (``with state.batch(): ...``).

        The writer records each flush so (however many files it commits), and ``reconcile``
        each read-back: one commit instead of one per file. A kill before the end loses only
        records of files that are in place, which the next run reads back.
        """
        return self._transaction()

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an exception). Inside another
    transaction (a ``batch``), a savepoint of it: its changes are committed with the outer
    one, and an exception undoes only its own."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.savepoint: str | None = None

    def __enter__(self) -> None:
        if self.db.in_transaction:
            self.savepoint = f"nested_{id(self):x}"
            self.db.execute(f"SAVEPOINT {self.savepoint}")
        else:
            self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        if self.savepoint is None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
            return
        if exc_type:
            self.db.execute(f"ROLLBACK TO {self.savepoint}")
        self.db.execute(f"RELEASE {self.savepoint}")


def reconcile(state: ArchiveState, root: str | Path) -> list[Path]:
    """Record the rows of every live Parquet file the state does not know yet.

    Returns the files read: a crawl's own files are recorded as they are committed, so
    these were left by a run killed before it could record them, or made by ``scrapy
    compact``. Files the state knows but that are gone (replaced by a compaction) are
    forgotten.
    """
    from newsarchive.schema import COMMITTED_ROW_KEYS
    from newsarchive.storage import archive_files

    known = state.known_files()
    live: set[str] = set()
    read: list[Path] = []
    columns = [*COMMITTED_ROW_KEYS, "crawled_at"]
    with state.batch():  # one transaction, however many files there are to read back
        # A local folder or s3://bucket/prefix (keys: newsarchive.storage.archive_files)
        for partition, file in archive_files(root):
            live.add(file.key)
            if file.key in known:
                continue
            table = file.read_table(columns)
            state.record_committed(partition.site, table.to_pylist(), path=file.key)
            read.append(file.path)  # type: ignore[arg-type]
        state.forget_files(known - live)
    return read


# --- choosing the backend -----------------------------------------------------------------

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):/")


class UnsupportedStateLocation(ValueError):
    """``NEWSARCHIVE_STATE`` names a scheme no backend serves (one line, for the user)."""


def state_backend(location: str | Path) -> tuple[str, str]:
    """``("sqlite", path)`` or ``("redis", url)`` for a ``NEWSARCHIVE_STATE`` value.

    A plain path is SQLite, as is ``sqlite://`` followed by a path (``sqlite:///var/x.sqlite``
    is ``/var/x.sqlite``). Anything else that looks like ``scheme:/...`` is refused: it would
    otherwise be taken for a relative path and create a folder named ``scheme:``.
    """
    if isinstance(location, Path):
        return "sqlite", str(location)
    match = _SCHEME.match(location)
    if match is None:
        return "sqlite", location
    scheme = match.group("scheme").lower()
    if scheme == "sqlite" and location[len(scheme) :].startswith("://"):
        path = location[len(scheme) + 3 :]
        if path:
            return "sqlite", path
    elif scheme in REDIS_SCHEMES and location[len(scheme) :].startswith("://"):
        return "redis", location
    raise UnsupportedStateLocation(
        f"NEWSARCHIVE_STATE={redact(location)!r} is not a state this release can keep: give "
        "a path or sqlite:///path (SQLite, the default), or redis://host:port/db "
        "(also rediss://, unix://; ?prefix=... sets the key prefix)"
    )


def open_state(location: str | Path) -> Any:
    """The state at ``location`` (see ``state_backend``): an ``ArchiveState``, or a
    ``newsarchive.state_redis.RedisArchiveState`` with the same methods."""
    backend, target = state_backend(location)
    if backend == "redis":
        from newsarchive.state_redis import RedisArchiveState

        return RedisArchiveState(target)
    return ArchiveState(target)
