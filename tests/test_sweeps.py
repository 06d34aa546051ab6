"""Sweep marks, the retry queue and the state's schema migration, without a crawler."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsarchive.state import BOTTOM, SCHEMA_VERSION, ArchiveState
from newsarchive.sweeps import (
    EXHAUSTED,
    FAILED,
    HORIZON,
    MAX_PAGES,
    SINCE,
    SweepLog,
    reaches_floor,
)
from tests.state_backends import BACKENDS, open_backend

# The schema of release 0.1, as its state.py created it (no user_version).
RELEASE_0_1_SCHEMA = """
CREATE TABLE articles (
    site TEXT NOT NULL, article_id TEXT NOT NULL, url TEXT NOT NULL, canonical_url TEXT,
    content_hash TEXT NOT NULL, version INTEGER NOT NULL, published_at TEXT,
    first_fetched TEXT NOT NULL, last_fetched TEXT NOT NULL, etag TEXT, last_modified TEXT,
    PRIMARY KEY (site, article_id)
);
CREATE TABLE versions (
    site TEXT NOT NULL, url TEXT NOT NULL, content_hash TEXT NOT NULL,
    article_id TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (site, url, content_hash)
);
CREATE INDEX versions_by_article ON versions (site, article_id);
CREATE TABLE files (path TEXT PRIMARY KEY, rows INTEGER NOT NULL, recorded_at TEXT NOT NULL);
INSERT INTO articles VALUES ('mt', '1', 'http://x/a1', NULL, 'h1', 1, '2026-01-01T00:00:00+00:00',
    '2026-01-02T00:00:00+00:00', '2026-01-02T00:00:00+00:00', NULL, NULL);
INSERT INTO versions VALUES ('mt', 'http://x/a1', 'h1', '1', 1);
"""


def row(article_id: str) -> dict[str, object]:
    return {
        "url": f"http://x/a{article_id}",
        "article_id": article_id,
        "content_hash": f"h{article_id}",
        "version": 1,
        "published_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def test_reaches_floor() -> None:
    assert reaches_floor(BOTTOM, BOTTOM)
    assert reaches_floor(BOTTOM, "2026-11-01")
    assert not reaches_floor("2026-11-01", BOTTOM)  # a since sweep serves no plain run
    assert reaches_floor("2026-11-01", "2026-11-01")
    assert reaches_floor("2026-11-01", "2026-11-05")  # it went further down than asked
    assert not reaches_floor("2026-11-05", "2026-11-01")
    assert not reaches_floor(None, BOTTOM) and not reaches_floor(None, "2026-11-01")


def test_only_complete_sweeps_vouch() -> None:
    log = SweepLog(floor="2026-11-01")
    for section, end in [("a", EXHAUSTED), ("b", SINCE), ("c", MAX_PAGES), ("d", FAILED)]:
        log.page(section, ["1", "2"])
        log.end(section, end)
    log.page("e", ["3"])
    log.end("e", HORIZON, met=BOTTOM)
    log.end("e", FAILED)  # a sweep ends once: the first end stands
    log.page("f", ["4"])  # never ended (a run that did not finish)
    reach = {s.section: s.reach(log.floor) for s in log}
    assert reach == {"a": BOTTOM, "b": "2026-11-01", "c": None, "d": None, "e": BOTTOM, "f": None}
    assert log.summary()["a"] == {"pages": 1, "end": EXHAUSTED}


@pytest.fixture(params=BACKENDS)
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """The state API, on each backend."""
    state = open_backend(request.param, tmp_path)
    yield state
    state.close()


def test_a_mark_only_moves_down(state: Any) -> None:
    assert state.sweep_reach("mt", "news", "1") is None
    state.record_sweep("mt", "news", ["1", "2"], "2026-11-05")
    assert state.sweep_reach("mt", "news", "1") == "2026-11-05"
    state.record_sweep("mt", "news", ["1"], "2026-11-09")  # a shallower sweep: kept deeper
    assert state.sweep_reach("mt", "news", "1") == "2026-11-05"
    state.record_sweep("mt", "news", ["1"], "2026-11-01")
    assert state.sweep_reach("mt", "news", "1") == "2026-11-01"
    state.record_sweep("mt", "news", ["1"], BOTTOM)
    state.record_sweep("mt", "news", ["1"], "2026-10-01")
    assert state.sweep_reach("mt", "news", "1") == BOTTOM
    assert state.sweep_reach("mt", "opinion", "1") is None  # per section
    assert state.sweep_reach("mt", "news", "2") == "2026-11-05"


def test_retry_queue_counts_runs_and_empties_on_commit(state: Any) -> None:
    queue = state.queue_failed
    assert queue("mt", "7", "http://x/a7", section="news", reason="http_500", run_id="r1") == 1
    assert queue("mt", "7", "http://x/a7", section=None, reason="timeout", run_id="r1") == 1
    assert queue("mt", "7", "http://x/a7", section=None, reason="timeout", run_id="r2") == 2
    [queued] = state.queued("mt")
    assert (queued.article_id, queued.section, queued.reason, queued.failed_runs) == (
        "7",
        "news",
        "timeout",
        2,
    )
    assert state.known_ids("mt", ["7", "8"]) == {"7"}  # queued counts as accounted for
    assert state.queue_status("mt", "7") == "queued" and state.queue_status("mt", "8") is None
    state.give_up("mt", "7")
    assert state.queue_status("mt", "7") == "given_up"
    assert state.queued("mt") == [] and state.queue_counts("mt") == (0, 1)
    assert state.requeue_given_up("mt") == 1 and state.queue_counts("mt") == (1, 0)
    state.record_committed("mt", [row("7")])
    assert state.queue_counts("mt") == (0, 0) and state.queue_status("mt", "7") is None
    assert state.known_ids("mt", ["7", "8"]) == {"7"}  # now as an archived article


def test_unfinished_runs_are_reported_once(state: Any) -> None:
    state.start_run("r1", "mt")
    state.start_run("r2", "mt")
    state.finish_run("r2", "finished")
    state.start_run("r3", "mt")
    assert [run for run, _ in state.unfinished_runs(exclude="r3")] == ["r1"]
    assert state.unfinished_runs(exclude="r3") == []


def test_release_0_1_state_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(RELEASE_0_1_SCHEMA)
    db.close()
    state = ArchiveState(path)
    assert state.migrated_from == 0
    assert state.get("mt", "1") is not None and state.has_version("mt", "http://x/a1", "h1")
    assert state.sweep_reach("mt", "news", "1") is None  # nothing vouched for: sweep all
    state.record_sweep("mt", "news", ["1"], BOTTOM)
    state.close()
    again = ArchiveState(path)
    assert again.migrated_from is None and again.sweep_reach("mt", "news", "1") == BOTTOM
    version = again.db.execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION
    again.close()
    assert ArchiveState(tmp_path / "new.sqlite").migrated_from is None  # a new state


def test_a_newer_state_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="upgrade newsarchive"):
        ArchiveState(path)
