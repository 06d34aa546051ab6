"""The state's two backends (SQLite, Redis) behind one API, chosen by NEWSARCHIVE_STATE.

The API tests run on both; the Redis ones use a real redis-server (with a password). See
tests/test_state_redis_crawl.py for crawls that keep their state in Redis.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from newsarchive.drift import RunFill
from newsarchive.state import (
    SCHEMA_VERSION,
    ArchiveState,
    NewerStateError,
    UnsupportedStateLocation,
    newer_state_problem,
    open_state,
    reconcile,
    state_backend,
)
from newsarchive.state_redis import (
    RedisArchiveState,
    fingerprint,
    pack_article,
    split_url,
    unpack_article,
)
from tests.conftest import REPO
from tests.state_backends import BACKENDS, PASSWORD, fresh_prefix, open_backend, redis_state_url
from tests.test_parquet_writer import article, make_writer, run

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    state = open_backend(request.param, tmp_path)
    yield state
    state.close()


def row(article_id: str, version: int = 1, content: str = "h", **kw: Any) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "url": f"https://x.example/news/{article_id}",
        "content_hash": f"{content}{article_id}",
        "version": version,
        "published_at": T0 - timedelta(days=1),
        "crawled_at": T0,
        **kw,
    }


# --- choosing the backend -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("output/_state/state.sqlite", ("sqlite", "output/_state/state.sqlite")),
        ("/var/lib/na/state.sqlite", ("sqlite", "/var/lib/na/state.sqlite")),
        ("sqlite:///var/lib/na/state.sqlite", ("sqlite", "/var/lib/na/state.sqlite")),
        ("sqlite://rel/state.sqlite", ("sqlite", "rel/state.sqlite")),
        ("C:/na/state.sqlite", ("sqlite", "C:/na/state.sqlite")),  # a drive, not a scheme
        ("redis://db:6379/0", ("redis", "redis://db:6379/0")),
        ("rediss://:pw@db:6380/1?prefix=a", ("redis", "rediss://:pw@db:6380/1?prefix=a")),
        ("unix:///run/redis.sock?db=2", ("redis", "unix:///run/redis.sock?db=2")),
        (Path("x/state.sqlite"), ("sqlite", "x/state.sqlite")),
    ],
)
def test_the_backend_is_chosen_by_url(location: Any, expected: tuple[str, str]) -> None:
    assert state_backend(location) == expected


@pytest.mark.parametrize(
    "location",
    ["s3://bucket/state", "ftp://u:pw@host/x", "postgres://db/na", "sqlite://", "redis:/x"],
)
def test_other_schemes_are_a_clear_error(
    location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be created where we are
    with pytest.raises(UnsupportedStateLocation) as caught:
        open_state(location)
    message = str(caught.value)
    assert "\n" not in message and "NEWSARCHIVE_STATE=" in message and "redis://" in message
    assert ":pw@" not in message
    assert list(tmp_path.iterdir()) == []


def test_the_prefix_is_ours_not_a_connection_option() -> None:
    assert split_url("redis://:pw@h:1/2?prefix=arch:one") == ("redis://:pw@h:1/2", "arch:one")
    assert split_url("redis://h/0?health_check_interval=5") == (
        "redis://h/0?health_check_interval=5",
        "newsarchive:state",
    )


def test_a_redis_state_names_itself_without_its_password() -> None:
    state = open_state(f"{redis_state_url()}?prefix={fresh_prefix()}")
    assert isinstance(state, RedisArchiveState)
    assert PASSWORD not in state.path and ":***@" in state.path
    state.close()


# --- the API, on both backends -----------------------------------------------------------


def test_an_article_record_round_trips(state: Any) -> None:
    rows = [
        row("1", content_hash="ab" * 32),
        row("2", published_at=None, url="2"),  # no date; the URL is the ID
        row("3", content_hash="not-hex", url="https://x.example/ünïcode/3"),
    ]
    fetched = {"1": {"etag": 'W/"e1"', "last_modified": "Sun, 01 Mar 2026 11:00:00 GMT"}}
    assert state.record_committed("mt", rows, path="/a/f1.parquet", fetched=fetched) == 3
    one = state.get("mt", "1")
    assert (one.url, one.content_hash, one.version) == ("https://x.example/news/1", "ab" * 32, 1)
    assert one.published_at == T0 - timedelta(days=1) and one.last_fetched == T0
    assert (one.etag, one.last_modified) == ('W/"e1"', "Sun, 01 Mar 2026 11:00:00 GMT")
    two = state.get("mt", "2")
    assert two.url == "2" and two.published_at is None and two.etag is None
    assert state.get("mt", "3").url == "https://x.example/ünïcode/3"
    assert state.get("mt", "3").content_hash == "not-hex"
    assert state.get("mt", "4") is None and state.get("other", "1") is None
    assert state.has_version("mt", "https://x.example/news/1", "ab" * 32)
    assert not state.has_version("mt", "https://x.example/news/1", "ab" * 31 + "ac")
    assert not state.has_version("other", "https://x.example/news/1", "ab" * 32)
    assert state.count() == 3 and state.known_files() == {"/a/f1.parquet"}
    assert state.known_ids("mt", ["1", "2", "9", "1"]) == {"1", "2"}


def test_records_merge_as_sqlite_merges_them(state: Any) -> None:
    state.record_committed("mt", [row("1", 2, "new", crawled_at=T0)])
    # an older version read back later (reconcile of an old file) does not win
    old = row("1", 1, "old", crawled_at=T0 - timedelta(days=3), published_at=None)
    state.record_committed("mt", [old], fetched={"1": {"etag": "e-old"}})
    got = state.get("mt", "1")
    assert (got.version, got.content_hash, got.last_fetched) == (2, "new1", T0)
    assert got.published_at == T0 - timedelta(days=1) and got.etag == "e-old"
    assert state.latest_version("mt", "1") == 2 and state.latest_version("mt", "2") == 0
    assert state.has_version("mt", old["url"], "old1") and state.has_version(
        "mt", old["url"], "new1"
    )
    state.touch("mt", "1", fetched_at=T0 + timedelta(hours=1), last_modified="LM")
    got = state.get("mt", "1")
    assert (got.last_fetched, got.etag, got.last_modified) == (
        T0 + timedelta(hours=1),
        "e-old",
        "LM",
    )
    # a replay of an older fetch (scrapy extract --warc) found unchanged: the last fetch stays
    state.touch("mt", "1", fetched_at=T0 - timedelta(days=2))
    assert state.get("mt", "1").last_fetched == T0 + timedelta(hours=1)
    state.touch("mt", "nope", fetched_at=T0)  # touching an unknown article does nothing
    assert state.get("mt", "nope") is None


def test_a_batch_is_one_transaction_and_a_nested_one_undoes_only_itself(state: Any) -> None:
    with state.batch():
        state.record_committed("mt", [row("1")], path="/a/1.parquet")
        with pytest.raises(RuntimeError), state.batch():
            state.record_committed("mt", [row("2")], path="/a/2.parquet")
            raise RuntimeError("undo 2 only")
        state.forget_files(["/a/none.parquet"])
    assert state.get("mt", "1") is not None and state.get("mt", "2") is None
    assert state.known_files() == {"/a/1.parquet"}
    with pytest.raises(RuntimeError), state.batch():
        state.record_committed("mt", [row("3")], path="/a/3.parquet")
        raise RuntimeError("undo all")
    assert state.get("mt", "3") is None and state.known_files() == {"/a/1.parquet"}
    state.forget_files(["/a/1.parquet"])
    assert state.known_files() == set()


def test_a_file_with_no_rows_is_still_known(state: Any) -> None:
    state.record_committed("mt", [], path="/a/empty.parquet")
    assert state.known_files() == {"/a/empty.parquet"}


def test_a_big_read_back_is_recorded_whole(state: Any) -> None:
    rows = [row(str(n)) for n in range(4500)]
    assert state.record_committed("mt", rows, path="/a/big.parquet") == 4500
    assert state.count() == 4500
    assert state.known_ids("mt", [str(n) for n in range(0, 5000, 7)]) == {
        str(n) for n in range(0, 4500, 7)
    }


def test_runs_of_a_shared_crawl_and_other_sites_are_not_unfinished(state: Any) -> None:
    for run_id, site in [("c1", "mt"), ("c1-ab12cd", "mt"), ("x1", "other"), ("old", "mt")]:
        state.start_run(run_id, site)
    found = state.unfinished_runs(exclude="c1-ffffff", site="mt", crawl_id="c1")
    assert [run for run, _ in found] == ["old"]
    assert [run for run, _ in state.unfinished_runs(exclude="z")] == ["c1", "c1-ab12cd", "x1"]


def test_reconcile_reads_back_unknown_files_and_forgets_gone_ones(
    state: Any, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    writer = make_writer(root)
    run(writer, [article(n) for n in range(30)])
    state.record_committed("moscowtimes", [], path="/gone/compacted.parquet")
    read = reconcile(state, root)
    assert len(read) == len(writer.files_written) > 0
    assert state.count() == 30 and state.get("moscowtimes", "7").version == 1
    assert state.known_files() == {str(p.resolve()) for p in writer.files_written}
    assert reconcile(state, root) == []


# --- Redis only: several writers, kills, scale --------------------------------------------


@pytest.fixture
def redis_location() -> str:
    return f"{redis_state_url()}?prefix={fresh_prefix()}"


def test_two_writers_never_lose_a_version(redis_location: str) -> None:
    """Two workers recording versions of the same articles at once (which the frontier
    prevents, but the state must survive): every version's fingerprint is kept, and each
    record ends at its highest version and latest fetch."""
    writers = [open_state(redis_location) for _ in range(2)]

    def record(worker: int) -> None:
        for n in range(200):
            version = 1 + (n + worker) % 4
            when = T0 + timedelta(minutes=n + 1000 * worker)
            rows = [
                row(str(a), version, f"w{worker}v{version}-", crawled_at=when) for a in range(20)
            ]
            writers[worker].record_committed("mt", rows, path=f"/a/{worker}-{n}.parquet")

    threads = [threading.Thread(target=record, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = writers[0]
    for a in range(20):
        got = state.get("mt", str(a))
        assert got.version == 4
        assert got.last_fetched == T0 + timedelta(minutes=199 + 1000)
        for worker in range(2):
            for version in range(1, 5):
                assert state.has_version("mt", got.url, f"w{worker}v{version}-{a}")
    assert len(state.known_files()) == 400
    for writer in writers:
        writer.close()


KILLED_MID_BATCH = """
import os, signal, sys
from datetime import UTC, datetime
from newsarchive.state import open_state
state = open_state(sys.argv[1])
rows = [{"article_id": str(n), "url": f"https://x/{n}", "content_hash": f"h{n}", "version": 1,
         "crawled_at": datetime.now(UTC)} for n in range(100)]
with state.batch():
    state.record_committed("mt", rows[:50], path="/a/one.parquet")
    state.record_committed("mt", rows[50:], path="/a/two.parquet")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_killed_in_a_batch_records_none_of_it(redis_location: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_MID_BATCH, redis_location], cwd=REPO, check=False
    )
    assert done.returncode == -signal.SIGKILL
    state = open_state(redis_location)
    assert state.count() == 0 and state.known_files() == set()
    state.close()


def test_a_newer_redis_state_is_refused(redis_location: str) -> None:
    assert newer_state_problem(redis_location) is None  # nothing there yet...
    connect_url, prefix = split_url(redis_location)
    client = redis.Redis.from_url(connect_url)
    assert client.keys(f"{prefix}:*") == []  # ...and nothing written
    client.close()
    state = open_state(redis_location)
    assert newer_state_problem(redis_location) is None
    state.redis.hset(f"{state.prefix}:meta", "schema", 99)
    with pytest.raises(NewerStateError, match="schema version 99"):
        open_state(redis_location)
    problem = newer_state_problem(redis_location)
    assert problem and "schema version 99" in problem and PASSWORD not in problem
    state.close()


def test_a_newer_sqlite_state_is_found_without_touching_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "state.sqlite"
    assert newer_state_problem(path) is None and not path.parent.exists()  # nothing created
    ArchiveState(path).close()
    assert newer_state_problem(path) is None
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    before = path.read_bytes()
    assert "schema version 99" in (newer_state_problem(path) or "")
    assert path.read_bytes() == before


def newer_sqlite_state(output: Path) -> Path:
    """The archive ``output``'s SQLite state, as a release with schema version 99 left it."""
    state = output / "_state" / "state.sqlite"
    ArchiveState(state).close()
    db = sqlite3.connect(state)
    db.execute("PRAGMA user_version = 99")
    db.close()
    return state


def test_a_crawl_on_a_newer_state_stops_in_one_line(tmp_path: Path) -> None:
    output = tmp_path / "output"
    newer_sqlite_state(output)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "moscowtimes",
            "-a",
            "base_url=http://127.0.0.1:9",
            "-s",
            f"NEWSARCHIVE_OUTPUT={output}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 78, done.stderr[-2000:]
    assert "newsarchive: not crawling:" in done.stderr and "upgrade newsarchive" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_record_is_compact() -> None:
    """A 90-character URL and a 64-hex hash: the whole record is 150 bytes, and a
    version is a 12-byte fingerprint."""
    url = (
        "https://www.example-news-outlet.com/2026/03/01/some-long-article-slug-about-things-a123456"
    )
    record = pack_article("123456", url, "f" * 64, 3, T0, T0, None, None)
    assert len(record) == 22 + 32 + 2 + len(url) + 2 + 2  # header, hash, URL, no ETag/LM
    again = unpack_article("s", "123456", record)
    assert (again.url, again.content_hash, again.version, again.published_at) == (
        url,
        "f" * 64,
        3,
        T0,
    )
    assert len(fingerprint(url, "f" * 64)) == 12


def test_fill_history_and_retry_queue_on_redis(redis_location: str) -> None:
    state = open_state(redis_location)
    fill = RunFill(10, {"title": 10}, [1.0])
    state.record_fill("r1", "s", fill, alarmed=False, accepted=True)
    state.record_fill("r1", "s", RunFill(5, {"title": 5}, []), alarmed=False, accepted=False)
    assert [h.items for h in state.fill_history("s", runs=5)] == [5]  # replaced, as in SQLite
    state.close()


def test_sqlite_stays_the_default(tmp_path: Path) -> None:
    state = open_state(tmp_path / "s" / "state.sqlite")
    assert isinstance(state, ArchiveState) and (tmp_path / "s" / "state.sqlite").exists()
    state.close()


def test_a_start_reads_only_the_open_runs(redis_location: str) -> None:
    state = open_state(redis_location)
    for n in range(50):
        state.start_run(f"done{n}", "mt")
        state.finish_run(f"done{n}", "finished")
    state.start_run("killed", "mt")
    assert state.redis.smembers(f"{state.prefix}:runs:open") == {b"killed"}
    assert [run for run, _ in state.unfinished_runs(exclude="now")] == ["killed"]
    assert state.redis.smembers(f"{state.prefix}:runs:open") == set()
    assert state.redis.hlen(f"{state.prefix}:runs") == 51  # the history is kept
    state.close()


def test_a_replay_into_an_archive_with_a_newer_state_stops_in_one_line(tmp_path: Path) -> None:
    output = tmp_path / "output"
    state = newer_sqlite_state(output)
    before = state.read_bytes()
    warc = tmp_path / "empty.warc.gz"
    warc.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "extract", "--warc", str(warc), "--into-archive",
         "-s", f"NEWSARCHIVE_OUTPUT={output}"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 78, done.stderr[-2000:]
    ours = [line for line in done.stderr.splitlines() if line.startswith("newsarchive")]
    assert ours == [
        f"newsarchive: not extracting: {state} is a state of schema version 99; this release "
        f"reads {SCHEMA_VERSION} at most: upgrade newsarchive"
    ]
    assert "Traceback" not in done.stderr
    assert state.read_bytes() == before
    off = subprocess.run(
        [sys.executable, "-m", "scrapy", "extract", "--warc", str(warc), "--into-archive",
         "-s", f"NEWSARCHIVE_OUTPUT={output}", "-s", "NEWSARCHIVE_STATE_ENABLED=false"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "not extracting" not in off.stderr, off.stderr[-2000:]  # no state used: none refused
