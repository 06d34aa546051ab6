"""Files of an older schema are brought up to the current one, so readers never mix them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from newsarchive.schema import FILE_SCHEMA, SCHEMA_VERSION
from newsarchive.storage import (
    SCHEMA_MARKER,
    file_schema_version,
    read_archive,
    upgrade_archive,
    write_parquet_atomic,
)

NEW_COLUMNS = ("published_at_raw", "published_at_source")
V1_SCHEMA = pa.schema(
    [f for f in FILE_SCHEMA if f.name not in NEW_COLUMNS],
    metadata={"newsarchive.schema_version": "1"},
)


def row(n: int, **extra: object) -> dict[str, object]:
    return {
        "url": f"https://x.org/a{n}",
        "article_id": str(n),
        "title": f"Title {n}",
        "published_at": datetime(2026, 3, n, 10, tzinfo=UTC),
        "crawled_at": datetime(2026, 3, 9, tzinfo=UTC),
        "version": 1,
        **extra,
    }


def make_archive(root: Path) -> tuple[Path, Path]:
    """A release-0.1 style file first (DuckDB reads the first file's columns) and a new one."""
    old = root / "site=x/date=2026-03-01/part-old-00001.parquet"
    new = root / "site=x/date=2026-03-02/part-new-00001.parquet"
    write_parquet_atomic(pa.Table.from_pylist([row(1)], schema=V1_SCHEMA), old, "snappy")
    dated = row(2, published_at_raw="2026-03-02T11:00+01:00", published_at_source="jsonld")
    write_parquet_atomic(pa.Table.from_pylist([dated], schema=FILE_SCHEMA), new)
    return old, new


def sources(root: Path) -> list[tuple[object, ...]]:
    query = f"SELECT url, published_at_source FROM read_parquet('{root}/**/*.parquet') ORDER BY 1"
    return duckdb.sql(query).fetchall()


def test_old_files_get_the_new_columns_in_place(tmp_path: Path) -> None:
    root = tmp_path / "output"
    old, new = make_archive(root)
    before = read_archive(root).drop_columns(list(NEW_COLUMNS)).to_pylist()
    mixed = f"SELECT * FROM read_parquet('{root}/**/*.parquet')"
    assert "published_at_source" not in duckdb.sql(mixed).columns  # why it is needed

    assert upgrade_archive(root) == [old]
    assert file_schema_version(old) == file_schema_version(new) == SCHEMA_VERSION
    assert sources(root) == [("https://x.org/a1", None), ("https://x.org/a2", "jsonld")]
    assert read_archive(root).drop_columns(list(NEW_COLUMNS)).to_pylist() == before
    assert pq.read_metadata(old).row_group(0).column(0).compression == "SNAPPY"  # as it was
    assert (root / SCHEMA_MARKER).read_text().strip() == str(SCHEMA_VERSION)
    assert not list(root.rglob("*.tmp"))
    assert upgrade_archive(root) == []  # recorded: later runs do not scan


def test_a_run_killed_before_recording_is_finished_by_the_next(tmp_path: Path) -> None:
    root = tmp_path / "output"
    make_archive(root)
    upgrade_archive(root)
    # as if killed after rewriting some files and before recording the version
    (root / SCHEMA_MARKER).unlink()
    stale = root / "site=x/date=2026-03-03/part-old-00002.parquet"
    write_parquet_atomic(pa.Table.from_pylist([row(3)], schema=V1_SCHEMA), stale)
    assert upgrade_archive(root) == [stale]  # the files already upgraded are left alone
    assert [r[1] for r in sources(root)] == [None, "jsonld", None]
