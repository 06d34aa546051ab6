"""``scrapy compact``: one file per partition, no row lost or doubled, atomic for readers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from newsarchive.commands import compact as compact_module
from newsarchive.commands.compact import (
    CompactionError,
    compact_archive,
    merge_tables,
    staging_dir_for,
)
from newsarchive.schema import FILE_SCHEMA
from newsarchive.storage import (
    SCHEMA_MARKER,
    ArchiveLockedError,
    ExchangeNotSupportedError,
    Partition,
    archive_lock,
    list_partition_files,
    read_archive,
    write_parquet_atomic,
)

PROJECT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 2, 24, 8, tzinfo=UTC)


def row(n: int, *, day: str = "2026-02-24", version: int = 1, crawl: int = 0) -> dict[str, Any]:
    return {
        "url": f"https://example.com/a{n}",
        "title": f"Title {n} v{version}",
        "authors": ["Ann", "Bob"],
        "tags": ["x"],
        "published_at": datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(minutes=n),
        "content_hash": f"{n:04d}-{version}",
        "version": version,
        "crawled_at": T0 + timedelta(hours=crawl),
    }


def write_file(root: Path, site: str, day: str, name: str, rows: list[dict[str, Any]]) -> Path:
    path = root / f"site={site}" / f"date={day}" / f"part-{name}.parquet"
    return write_parquet_atomic(pa.Table.from_pylist(rows, schema=FILE_SCHEMA), path)


def build_archive(root: Path, files_per_partition: int = 6) -> None:
    """Three partitions of many small files; each later run re-sees some earlier articles."""
    for site, day in [("a", "2026-02-24"), ("a", "2026-02-25"), ("b", "2026-02-24")]:
        for run in range(files_per_partition):
            rows = [row(run * 3 + i, day=day, crawl=run) for i in range(3)]
            if run:
                rows.append(row((run - 1) * 3, day=day, crawl=run))  # duplicate, crawled later
                rows.append(row(run * 3 - 1, day=day, version=2, crawl=run))  # a new version
            write_file(root, site, day, f"run{run:02d}", rows)


def expected_rows(root: Path) -> list[tuple[Any, ...]]:
    """Computed independently of the command: earliest crawl per (site, date, url, hash)."""
    best: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in read_archive(root).to_pylist():
        key = (r["site"], r["date"], r["url"], r["content_hash"])
        if key not in best or r["crawled_at"] < best[key]["crawled_at"]:
            best[key] = r
    return sorted(as_tuple(r) for r in best.values())


def as_tuple(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["site"], r["date"], r["url"], r["content_hash"], r["version"], r["crawled_at"],
            r["title"], tuple(r["authors"]), r["published_at"])  # fmt: skip


def archive_rows(root: Path) -> list[tuple[Any, ...]]:
    return sorted(as_tuple(r) for r in read_archive(root).to_pylist())


def test_merge_tables_dedups_keeping_earliest_crawl_and_sorts() -> None:
    late, early = row(1, crawl=5), row(1, crawl=2)
    tables = [
        pa.Table.from_pylist([row(2), late], schema=FILE_SCHEMA),
        pa.Table.from_pylist([early, row(1, version=2, crawl=9), row(0)], schema=FILE_SCHEMA),
    ]
    merged = merge_tables(tables).to_pylist()
    assert [(r["url"][-2:], r["version"]) for r in merged] == [
        ("a0", 1),
        ("a1", 1),
        ("a1", 2),
        ("a2", 1),
    ]
    assert merged[1]["crawled_at"] == early["crawled_at"]
    assert merge_tables([pa.Table.from_pylist([], schema=FILE_SCHEMA)]).num_rows == 0


def test_compacts_each_partition_into_one_file_without_losing_rows(tmp_path: Path) -> None:
    root = tmp_path / "output"
    build_archive(root)
    before = expected_rows(root)
    rows_before = read_archive(root).num_rows

    reports = compact_archive(root)

    files = list_partition_files(root)
    assert {p: len(f) for p, f in files.items()} == {
        Partition("a", "2026-02-24"): 1,
        Partition("a", "2026-02-25"): 1,
        Partition("b", "2026-02-24"): 1,
    }
    assert archive_rows(root) == before
    assert sum(r.rows_before for r in reports) == rows_before
    assert [(r.files_before, r.files_after, r.rows_before, r.rows_after) for r in reports] == [
        (6, 1, 28, 23)
    ] * 3
    table = pq.read_table(files[Partition("a", "2026-02-24")][0])
    assert table.schema.equals(FILE_SCHEMA)
    keys = [(r["published_at"], r["url"], r["version"]) for r in table.to_pylist()]
    assert keys == sorted(keys)
    assert not staging_dir_for(root).exists()
    # no temp file or staging left; the lock and the schema record are the archive's own
    kept = {".lock", SCHEMA_MARKER}
    assert not [p for p in root.rglob("*") if p.name.startswith(".") and p.name not in kept]


def test_rerun_is_a_no_op(tmp_path: Path) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=3)
    compact_archive(root)
    files = list_partition_files(root)
    stamps = {f: f.stat().st_mtime_ns for fs in files.values() for f in fs}
    reports = compact_archive(root)
    assert all(r.files_before == r.files_after == 1 for r in reports)
    assert list_partition_files(root) == files
    assert {f: f.stat().st_mtime_ns for fs in files.values() for f in fs} == stamps


def test_site_filter_and_dry_run(tmp_path: Path) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=3)
    snapshot = sorted(p for p in root.rglob("*.parquet"))

    dry = compact_archive(root, dry_run=True)
    assert [(r.files_before, r.files_after) for r in dry] == [(3, 1)] * 3
    assert sorted(root.rglob("*.parquet")) == snapshot

    compact_archive(root, sites=["b"])
    counts = {p.site + p.date: len(f) for p, f in list_partition_files(root).items()}
    assert counts == {"a2026-02-24": 3, "a2026-02-25": 3, "b2026-02-24": 1}


def test_refuses_while_a_crawl_holds_the_lock(tmp_path: Path) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=2)
    with archive_lock(root, shared=True), pytest.raises(ArchiveLockedError, match="locked"):
        compact_archive(root)
    assert len(list(root.rglob("*.parquet"))) == 6


def test_unsupported_exchange_fails_before_touching_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=2)

    def unsupported(a: Any, b: Any) -> None:
        raise ExchangeNotSupportedError(22, "this filesystem cannot exchange directories")

    monkeypatch.setattr(compact_module, "exchange_paths", unsupported)
    with pytest.raises(CompactionError, match="nothing was changed"):
        compact_archive(root)
    assert len(list(root.rglob("*.parquet"))) == 6
    assert not staging_dir_for(root).exists()


def test_unexpected_entries_leave_a_partition_alone(tmp_path: Path) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=2)
    (root / "site=b" / "date=2026-02-24" / "notes.txt").write_text("keep me")
    reports = {r.partition.site + r.partition.date: r for r in compact_archive(root)}
    assert reports["b2026-02-24"].skipped
    assert (root / "site=b" / "date=2026-02-24" / "notes.txt").exists()
    assert len(list_partition_files(root)[Partition("b", "2026-02-24")]) == 2
    assert reports["a2026-02-24"].files_after == 1


class Crash(BaseException):
    """Stands in for the process being killed."""


def glob_count(root: Path) -> int:
    query = f"select count(*) from read_parquet('{root.as_posix()}/**/*.parquet')"
    return duckdb.connect().sql(query).fetchall()[0][0]


def test_crash_before_the_swap_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=3)
    before, rows_before = expected_rows(root), archive_rows(root)

    def crash(a: Any, b: Any) -> None:
        if "probe" not in str(a):
            raise Crash

    monkeypatch.setattr(compact_module, "exchange_paths", crash)
    monkeypatch.setattr(compact_module.shutil, "rmtree", lambda *a, **k: None)  # killed: no cleanup
    with pytest.raises(Crash):
        compact_archive(root)
    monkeypatch.undo()
    assert (staging_dir_for(root) / "a.2026-02-24").is_dir()  # the unswapped new partition
    assert archive_rows(root) == rows_before
    assert glob_count(root) == len(rows_before)

    compact_archive(root)
    assert archive_rows(root) == before
    assert not staging_dir_for(root).exists()


def test_crash_after_the_swap_neither_loses_nor_doubles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=3)
    before = expected_rows(root)
    real_exchange = compact_module.exchange_paths
    swaps = []

    def swap_then_crash(a: Any, b: Any) -> None:
        real_exchange(a, b)
        if "probe" not in str(a):
            swaps.append(a)
            raise Crash

    monkeypatch.setattr(compact_module, "exchange_paths", swap_then_crash)
    monkeypatch.setattr(compact_module.shutil, "rmtree", lambda *a, **k: None)
    with pytest.raises(Crash):
        compact_archive(root)
    monkeypatch.undo()
    assert len(swaps) == 1
    old_files = list((staging_dir_for(root) / "a.2026-02-24").glob("*.parquet"))
    assert len(old_files) == 3  # the old partition, swapped out of the root
    assert len(list_partition_files(root)[Partition("a", "2026-02-24")]) == 1
    assert len(set(archive_rows(root))) == len(archive_rows(root))  # nothing doubled
    assert glob_count(root) == len(archive_rows(root))

    compact_archive(root)
    assert archive_rows(root) == before
    assert not staging_dir_for(root).exists()


def test_concurrent_reader_sees_old_or_new_never_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=8)
    partition = root / "site=a" / "date=2026-02-24"
    old_count = ds.dataset(partition).count_rows()
    new_count = len([r for r in expected_rows(root) if r[:2] == ("a", "2026-02-24")])
    assert old_count != new_count

    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    reads = threading.Semaphore(0)

    def reader() -> None:
        con = duckdb.connect()
        glob = f"{partition.as_posix()}/*.parquet"
        while not stop.is_set():
            for count in (
                lambda: ds.dataset(partition, format="parquet").count_rows(),
                lambda: con.sql(f"select count(*) from read_parquet('{glob}')").fetchall()[0][0],
            ):
                try:
                    seen.append(count())
                except (OSError, duckdb.Error) as exc:  # a file vanished between list and open
                    errors.append(exc)
                    continue
                reads.release()

    real_exchange = compact_module.exchange_paths

    def exchange_between_reads(a: Any, b: Any) -> None:
        if Path(a) == partition:
            for _ in range(2):  # the reader has seen the old state...
                assert reads.acquire(timeout=10)
            real_exchange(a, b)
            for _ in range(2):  # ...and then sees the new one
                assert reads.acquire(timeout=10)
        else:
            real_exchange(a, b)

    monkeypatch.setattr(compact_module, "exchange_paths", exchange_between_reads)
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        compact_archive(root, sites=["a"])
    finally:
        stop.set()
        thread.join(10)
    assert set(seen) == {old_count, new_count}, (set(seen), errors[:3])


def test_scrapy_compact_command(tmp_path: Path) -> None:
    root = tmp_path / "output"
    build_archive(root, files_per_partition=3)
    before = expected_rows(root)
    scrapy = Path(sys.executable).with_name("scrapy")
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    done = subprocess.run(
        [str(scrapy), "compact", "--output", str(root)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "site=a/date=2026-02-24: files 3 -> 1, rows 13 -> 11" in lines
    assert "site=b/date=2026-02-24: files 3 -> 1, rows 13 -> 11" in lines
    assert lines[-1].startswith("3 partition(s) compacted, 9 -> 3 files, 6 duplicate row(s)")
    assert archive_rows(root) == before
