"""Storage helpers: safe paths, atomic writes, discovery, stale temp cleanup, lock, exchange."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsarchive import storage
from newsarchive.schema import FILE_SCHEMA
from newsarchive.storage import (
    ArchiveLockedError,
    Partition,
    UnsafePathError,
    archive_lock,
    exchange_paths,
    list_partition_files,
    read_archive,
    rejected_dir,
    remove_stale_temp_files,
    safe_partition_dir,
    write_parquet_atomic,
)


def table(*urls: str) -> pa.Table:
    rows = [
        {
            "url": url,
            "published_at": datetime(2026, 2, 24, 12, tzinfo=UTC),
            "authors": ["A"],
            "tags": [],
        }
        for url in urls
    ]
    return pa.Table.from_pylist(rows, schema=FILE_SCHEMA)


def test_safe_partition_dir_builds_hive_path(tmp_path: Path) -> None:
    path = safe_partition_dir(tmp_path, "moscowtimes", "2026-02-24")
    assert path == tmp_path / "site=moscowtimes" / "date=2026-02-24"
    assert safe_partition_dir(tmp_path, "a-b_1", "2024-02-29").name == "date=2024-02-29"


@pytest.mark.parametrize(
    "site",
    [
        "../../etc",
        "..",
        "/etc",
        "a/b",
        "a\\b",
        "a\0b",
        "Site",
        "\u0455ite",  # Cyrillic dze looks like "s"
        "site\n",
        "",
        ".hidden",
        "_rejected",
        "-x",
        "site=x",
        "a" * 65,
        None,
        42,
    ],
)
def test_hostile_site_names_are_refused(tmp_path: Path, site: object) -> None:
    with pytest.raises(UnsafePathError):
        safe_partition_dir(tmp_path, site, "2026-02-24")


@pytest.mark.parametrize(
    "day",
    [
        "../../etc",
        "2026-02-30",
        "2026-2-24",
        "2026-02-24\n",
        "2026-02-24/..",
        "\uff12\uff10\uff12\uff16-01-01",  # full-width digits
        "\u0662\u0660\u0662\u0666-01-01",  # Arabic-Indic digits
        "/2026-02-24",
        "",
        None,
    ],
)
def test_hostile_dates_are_refused(tmp_path: Path, day: object) -> None:
    with pytest.raises(UnsafePathError):
        safe_partition_dir(tmp_path, "moscowtimes", day)


def test_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "site=evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        safe_partition_dir(root, "evil", "2026-02-24")


def test_rejected_dir_falls_back_for_unusable_sites(tmp_path: Path) -> None:
    assert rejected_dir(tmp_path, "moscowtimes").name == "site=moscowtimes"
    assert rejected_dir(tmp_path, "../../x").name == "site=_unknown"
    assert rejected_dir(tmp_path, None).parent.name == "_rejected"


def test_write_parquet_atomic_writes_and_replaces(tmp_path: Path) -> None:
    final = tmp_path / "site=s" / "date=2026-02-24" / "part-1.parquet"
    write_parquet_atomic(table("u1", "u2"), final)
    assert pq.read_table(final).num_rows == 2
    assert pq.ParquetFile(final).metadata.row_group(0).column(0).compression == "ZSTD"
    write_parquet_atomic(table("u3"), final)
    assert pq.read_table(final).column("url").to_pylist() == ["u3"]
    assert os.listdir(final.parent) == ["part-1.parquet"]


def test_write_parquet_atomic_removes_temp_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def failing_write(tbl: pa.Table, where: object, **kwargs: object) -> None:
        seen.extend(os.listdir(tmp_path))
        where.write(b"PAR1 half a file")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.pq, "write_table", failing_write)
    with pytest.raises(OSError, match="No space"):
        write_parquet_atomic(table("u1"), tmp_path / "part-1.parquet")
    assert len(seen) == 1
    assert seen[0].startswith(".part-1.parquet.")
    assert seen[0].endswith(".tmp")
    assert os.listdir(tmp_path) == []


def test_list_partition_files_and_read_archive(tmp_path: Path) -> None:
    write_parquet_atomic(table("u1"), tmp_path / "site=a" / "date=2026-02-24" / "part-1.parquet")
    write_parquet_atomic(table("u2"), tmp_path / "site=a" / "date=2026-02-24" / "part-2.parquet")
    write_parquet_atomic(table("u3"), tmp_path / "site=b" / "date=2026-02-25" / "part-1.parquet")
    (tmp_path / "site=a" / "date=2026-02-24" / ".part-3.parquet.abcd.tmp").write_bytes(b"x")
    (tmp_path / "site=a" / "date=bogus").mkdir()
    (tmp_path / "_rejected" / "site=a").mkdir(parents=True)
    (tmp_path / "_rejected" / "site=a" / "run.jsonl").write_text("{}\n")
    (tmp_path / ".lock").touch()

    files = list_partition_files(tmp_path)
    assert list(files) == [Partition("a", "2026-02-24"), Partition("b", "2026-02-25")]
    assert [p.name for p in files[Partition("a", "2026-02-24")]] == [
        "part-1.parquet",
        "part-2.parquet",
    ]

    archive = read_archive(tmp_path)
    assert sorted(archive.column("url").to_pylist()) == ["u1", "u2", "u3"]
    got = sorted(zip(archive["url"].to_pylist(), archive["site"].to_pylist(), strict=True))
    assert got == [("u1", "a"), ("u2", "a"), ("u3", "b")]
    assert archive.schema.field("date").type == pa.string()
    assert read_archive(tmp_path / "missing").num_rows == 0


def test_remove_stale_temp_files(tmp_path: Path) -> None:
    part = tmp_path / "site=a" / "date=2026-02-24"
    part.mkdir(parents=True)
    old, fresh = part / ".part-1.parquet.aaaa.tmp", part / ".part-2.parquet.bbbb.tmp"
    live = part / "part-1.parquet"
    for path in (old, fresh, live):
        path.write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(live, (an_hour_ago, an_hour_ago))

    assert remove_stale_temp_files(tmp_path, older_than_seconds=600) == [old]
    assert sorted(p.name for p in part.iterdir()) == [fresh.name, live.name]


def test_archive_lock_exclusive_and_shared(tmp_path: Path) -> None:
    with archive_lock(tmp_path):
        with pytest.raises(ArchiveLockedError, match="locked"):
            archive_lock(tmp_path).__enter__()
        with pytest.raises(ArchiveLockedError):
            archive_lock(tmp_path, shared=True).__enter__()
    with archive_lock(tmp_path, shared=True), archive_lock(tmp_path, shared=True):
        with pytest.raises(ArchiveLockedError):
            archive_lock(tmp_path).__enter__()
        start = time.monotonic()
        with pytest.raises(ArchiveLockedError):
            archive_lock(tmp_path, blocking=True, timeout=0.2).__enter__()
        assert time.monotonic() - start >= 0.2
    with archive_lock(tmp_path, blocking=True) as lock:
        assert lock.locked
    assert not lock.locked


def test_exchange_paths_swaps_directories(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "old").touch()
    (b / "new").touch()
    exchange_paths(a, b)
    assert os.listdir(a) == ["new"]
    assert os.listdir(b) == ["old"]
    with pytest.raises(OSError):
        exchange_paths(a, tmp_path / "missing")


def test_read_archive_ignores_stray_files(tmp_path: Path) -> None:
    write_parquet_atomic(table("u1"), tmp_path / "site=a" / "date=2026-02-24" / "part-1.parquet")
    (tmp_path / "README").write_text("not parquet")
    (tmp_path / "site=a" / "notes.txt").write_text("not parquet")
    assert read_archive(tmp_path).column("url").to_pylist() == ["u1"]
