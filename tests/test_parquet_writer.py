"""PartitionedParquetWriter: partitioning, bounded buffers, rejects, signal, read-back."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from newsarchive import storage
from newsarchive.extensions import parquet as parquet_module
from newsarchive.extensions.parquet import PartitionedParquetWriter, reason_code
from newsarchive.items import ArticleItem
from newsarchive.schema import FILE_SCHEMA
from newsarchive.signals import parquet_file_committed
from newsarchive.storage import Partition, archive_lock, read_archive
from tests.conftest import REPO

WRITER = "newsarchive.extensions.parquet.PartitionedParquetWriter"
MSK = timezone(timedelta(hours=3))


def article(n: int, *, site: str = "moscowtimes", published: Any = ..., **kw: Any) -> ArticleItem:
    if published is ...:
        published = datetime(2026, 2, 24, 10, n % 60, tzinfo=UTC)
    return ArticleItem(
        url=f"https://example.com/news/{site}-a{n}",
        canonical_url=f"https://example.com/news/{site}-a{n}",
        site=site,
        article_id=str(n),
        title=f"Title {n}",
        authors=["Ann Author", "Bob Byline"],
        tags=["politics"],
        body=f"Body of article {n}. " * 5,
        published_at=published,
        content_hash=f"{n:064x}",
        version=1,
        crawled_at=datetime(2026, 2, 25, 12, 0, n % 60, tzinfo=UTC),
        body_html="<p>not exported</p>",
        **kw,
    )


def make_writer(root: Path, **settings: Any) -> PartitionedParquetWriter:
    crawler = get_crawler(
        settings_dict={
            "EXTENSIONS": {WRITER: 500},
            "NEWSARCHIVE_PARQUET_ENABLED": True,
            "NEWSARCHIVE_OUTPUT": str(root),
            "NEWSARCHIVE_RUN_ID": "20260225T120000Z-abcdef",
            **settings,
        }
    )
    crawler.stats.open_spider()
    ext = crawler.get_extension(PartitionedParquetWriter)
    assert ext is not None
    return ext


def run(ext: PartitionedParquetWriter, items: list[Any]) -> None:
    ext.spider_opened(spider=None)
    for item in items:
        ext.item_scraped(item, response=None)
    ext.spider_closed(spider=None, reason="finished")


def stat(ext: PartitionedParquetWriter, key: str) -> Any:
    return ext.crawler.stats.get_value(key)


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_disabled_raises_not_configured(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_OUTPUT": str(tmp_path)})
    with pytest.raises(NotConfigured):
        PartitionedParquetWriter.from_crawler(crawler)


def test_run_id_generated_and_in_stats(tmp_path: Path) -> None:
    ext = make_writer(tmp_path, NEWSARCHIVE_RUN_ID=None)
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", ext.run_id)
    assert stat(ext, "newsarchive/run_id") == ext.run_id
    with pytest.raises(ValueError, match="RUN_ID"):
        make_writer(tmp_path, NEWSARCHIVE_RUN_ID="../../etc")
    with pytest.raises(ValueError, match="COMPRESSION"):
        make_writer(tmp_path, NEWSARCHIVE_PARQUET_COMPRESSION="bogus")


def test_partition_is_the_utc_publication_day(tmp_path: Path) -> None:
    ext = make_writer(tmp_path)
    run(ext, [article(1, published=datetime(2026, 2, 25, 1, 30, tzinfo=MSK))])
    files = all_files(tmp_path)
    rel = [str(p.relative_to(tmp_path)) for p in files if p.suffix == ".parquet"]
    assert rel == ["site=moscowtimes/date=2026-02-24/part-20260225T120000Z-abcdef-00000.parquet"]
    written = pq.read_table(tmp_path / rel[0])
    assert written.schema.equals(FILE_SCHEMA)
    assert written.column("published_at")[0].as_py() == datetime(2026, 2, 24, 22, 30, tzinfo=UTC)
    assert ext.files_written == [tmp_path / rel[0]]
    assert ext.partitions_touched == {Partition("moscowtimes", "2026-02-24")}


def test_one_file_per_partition_and_stats(tmp_path: Path) -> None:
    ext = make_writer(tmp_path)
    items = [article(n) for n in range(5)]
    items += [article(n, site="other") for n in range(3)]
    items += [article(9, published=datetime(2026, 2, 23, 23, 59, tzinfo=UTC))]
    run(ext, items)
    per_partition = storage.list_partition_files(tmp_path)
    assert {p: len(f) for p, f in per_partition.items()} == {
        Partition("moscowtimes", "2026-02-23"): 1,
        Partition("moscowtimes", "2026-02-24"): 1,
        Partition("other", "2026-02-24"): 1,
    }
    assert stat(ext, "newsarchive/parquet/files_written") == 3
    assert stat(ext, "newsarchive/parquet/rows_written") == 9
    assert stat(ext, "newsarchive/parquet/partitions") == 3
    assert read_archive(tmp_path).num_rows == 9


def test_max_rows_bounds_buffers_and_keeps_every_row(tmp_path: Path) -> None:
    ext = make_writer(tmp_path, NEWSARCHIVE_PARQUET_MAX_ROWS=3)
    ext.spider_opened(spider=None)
    for n in range(8):
        ext.item_scraped(article(n))
        assert sum(len(b.rows) for b in ext._buffers.values()) < 3
    ext.spider_closed(spider=None)
    files = storage.list_partition_files(tmp_path)[Partition("moscowtimes", "2026-02-24")]
    assert [pq.read_metadata(f).num_rows for f in files] == [3, 3, 2]
    assert [f.name for f in files] == [
        f"part-20260225T120000Z-abcdef-{seq:05d}.parquet" for seq in range(3)
    ]
    urls = sorted(read_archive(tmp_path).column("url").to_pylist())
    assert urls == sorted(article(n).url for n in range(8))


def test_max_bytes_flushes_the_largest_buffer(tmp_path: Path) -> None:
    ext = make_writer(tmp_path, NEWSARCHIVE_PARQUET_MAX_BYTES=2000)
    ext.spider_opened(spider=None)
    ext.item_scraped(article(1, site="small"))
    ext.item_scraped(article(2, site="big", lead="x" * 900))
    assert ext.files_written == []
    ext.item_scraped(article(3, site="big", lead="y" * 900))  # total > 2000: flush "big"
    assert [p.parent.parent.name for p in ext.files_written] == ["site=big"]
    assert ext._buffered_bytes < 2000
    assert list(ext._buffers) == [Partition("small", "2026-02-24")]
    ext.spider_closed(spider=None)
    assert read_archive(tmp_path).num_rows == 3


def test_files_are_written_through_hidden_temp_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_write = storage.pq.write_table

    def spy(table: pa.Table, where: Any, **kwargs: Any) -> None:
        seen.extend(p.name for p in Path(where.name).parent.iterdir())
        real_write(table, where, **kwargs)

    monkeypatch.setattr(storage.pq, "write_table", spy)
    run(make_writer(tmp_path), [article(1)])
    assert len(seen) == 1
    assert re.fullmatch(r"\.part-20260225T120000Z-abcdef-00000\.parquet\.[0-9a-f]+\.tmp", seen[0])
    assert not [p for p in all_files(tmp_path) if p.name.endswith(".tmp")]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_undated_and_dropped_items_go_to_rejected_jsonl(tmp_path: Path) -> None:
    ext = make_writer(tmp_path)
    response = HtmlResponse("https://example.com/news/dropped-page", body=b"<html></html>")
    ext.spider_opened(spider=None)
    ext.item_scraped(article(1, published=None))
    ext.item_dropped(article(2), response, DropItem("missing_title: no <h1> on the page"))
    ext.item_dropped(ArticleItem(site="moscowtimes"), response, DropItem("not an article"))
    ext.item_dropped({"site": "../../etc", "url": "https://x/y"}, response, DropItem("bad"))
    ext.item_scraped(article(3))
    ext.spider_closed(spider=None)

    path = tmp_path / "_rejected" / "site=moscowtimes" / "20260225T120000Z-abcdef.jsonl"
    undated, dropped, bare = read_jsonl(path)
    assert undated["reason"] == "missing_published_at"
    assert undated["url"] == article(1).url
    assert undated["published_at"] is None
    assert undated["crawled_at"] == "2026-02-25T12:00:01+00:00"
    assert undated["authors"] == ["Ann Author", "Bob Byline"]
    assert "body_html" not in undated
    assert dropped["reason"] == "missing_title: no <h1> on the page"
    assert dropped["published_at"] == "2026-02-24T10:02:00+00:00"
    assert bare["url"] == "https://example.com/news/dropped-page"  # from the response
    (unknown,) = read_jsonl(tmp_path / "_rejected" / "site=_unknown" / path.name)
    assert unknown["reason"] == "bad"

    assert stat(ext, "newsarchive/rejected/missing_published_at") == 1
    assert stat(ext, "newsarchive/rejected/missing_title") == 1
    assert stat(ext, "newsarchive/rejected/not_an_article") == 1
    assert stat(ext, "newsarchive/rejected/bad") == 1
    assert stat(ext, "newsarchive/parquet/rows_written") == 1
    # Nothing under _rejected is visible to Parquet readers.
    assert read_archive(tmp_path).column("url").to_pylist() == [article(3).url]
    assert not list((tmp_path / "_rejected").rglob("*.parquet"))


def test_invalid_site_is_rejected_not_written(tmp_path: Path) -> None:
    ext = make_writer(tmp_path)
    run(ext, [article(1, site="../../etc"), article(2, site="Evil/..")])
    assert stat(ext, "newsarchive/rejected/invalid_site") == 2
    assert not list(tmp_path.rglob("*.parquet"))
    assert len(read_jsonl(next((tmp_path / "_rejected" / "site=_unknown").iterdir()))) == 2


def test_reason_code() -> None:
    assert reason_code("missing_title: no h1") == "missing_title"
    assert reason_code("Duplicate item!") == "duplicate_item"
    assert reason_code("") == "dropped"


def test_committed_signal_after_rename(tmp_path: Path) -> None:
    ext = make_writer(tmp_path, NEWSARCHIVE_PARQUET_MAX_ROWS=2)
    received: list[dict[str, Any]] = []

    def on_commit(path: Path, partition: Partition, rows: list[dict[str, Any]]) -> None:
        assert path.exists()  # already renamed into place
        received.append({"path": path, "partition": partition, "rows": rows})

    ext.crawler.signals.connect(on_commit, signal=parquet_file_committed)
    run(ext, [article(n) for n in range(3)])
    assert [r["path"] for r in received] == ext.files_written
    assert [len(r["rows"]) for r in received] == [2, 1]
    assert received[0]["partition"] == Partition("moscowtimes", "2026-02-24")
    assert received[0]["rows"][0] == {
        "url": article(0).url,
        "canonical_url": article(0).canonical_url,
        "article_id": "0",
        "site": "moscowtimes",
        "content_hash": article(0).content_hash,
        "published_at": datetime(2026, 2, 24, 10, 0, tzinfo=UTC),
        "version": 1,
    }


def flaky_writer(monkeypatch: pytest.MonkeyPatch, failures: int) -> dict[str, int]:
    """Make the first ``failures`` file writes fail with EACCES."""
    real_write = parquet_module.write_parquet_atomic
    left = {"failures": failures}

    def flaky(table: pa.Table, path: Path, **kwargs: Any) -> Path:
        if left["failures"]:
            left["failures"] -= 1
            raise PermissionError(13, "Permission denied", str(path))
        return real_write(table, path, **kwargs)

    monkeypatch.setattr(parquet_module, "write_parquet_atomic", flaky)
    return left


def test_write_error_keeps_rows_and_retries_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    flaky_writer(monkeypatch, failures=1)
    ext = make_writer(tmp_path, NEWSARCHIVE_PARQUET_MAX_ROWS=2)
    ext.spider_opened(spider=None)
    with caplog.at_level(logging.ERROR, logger=parquet_module.__name__):
        for n in range(6):
            ext.item_scraped(article(n))
        assert ext.files_written == []  # the first flush failed; the next ones wait
        assert sum(len(b.rows) for b in ext._buffers.values()) == 6
        ext.spider_closed(spider=None)
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Permission denied" in error.getMessage()
    assert stat(ext, "newsarchive/parquet/write_errors") == 1
    assert len(ext.files_written) == 1
    assert read_archive(tmp_path).num_rows == 6


def test_repeated_write_errors_are_logged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(parquet_module, "WRITE_RETRY_SECONDS", 0.0)
    flaky_writer(monkeypatch, failures=3)
    ext = make_writer(tmp_path, NEWSARCHIVE_PARQUET_MAX_ROWS=2)
    with caplog.at_level(logging.ERROR, logger=parquet_module.__name__):
        run(ext, [article(n) for n in range(6)])
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    assert stat(ext, "newsarchive/parquet/write_errors") == 3
    assert [pq.read_metadata(f).num_rows for f in ext.files_written] == [5, 1]
    assert read_archive(tmp_path).num_rows == 6


def test_rows_unwritable_at_close_are_rejected_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(table: pa.Table, path: Path, **kwargs: Any) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(parquet_module, "write_parquet_atomic", broken)
    ext = make_writer(tmp_path)
    run(ext, [article(1), article(2)])
    (path,) = (tmp_path / "_rejected" / "site=moscowtimes").iterdir()
    assert [r["reason"] for r in read_jsonl(path)] == ["write_error", "write_error"]
    assert stat(ext, "newsarchive/rejected/write_error") == 2


def test_crawl_refuses_to_start_while_compaction_holds_the_lock(tmp_path: Path) -> None:
    ext = make_writer(tmp_path, NEWSARCHIVE_LOCK_TIMEOUT=0.1)
    with archive_lock(tmp_path), pytest.raises(CloseSpider) as info:
        ext.spider_opened(spider=None)
    assert info.value.reason == "archive_locked"
    # ...while another crawl (shared lock) does not stop it.
    with archive_lock(tmp_path, shared=True):
        run(ext, [article(1)])
    assert read_archive(tmp_path).num_rows == 1


def test_output_reads_back_with_duckdb_pandas_and_pyarrow(tmp_path: Path) -> None:
    ext = make_writer(tmp_path, NEWSARCHIVE_PARQUET_MAX_ROWS=2)
    run(ext, [article(n) for n in range(3)] + [article(7, site="other", published=None)])
    root = tmp_path.as_posix()

    con = duckdb.connect()
    rel = con.sql(
        "select site, date, url, published_at, epoch(published_at) as epoch, authors "
        f"from read_parquet('{root}/**/*.parquet', hive_partitioning=true) order by url"
    )
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == "VARCHAR[]"
    rows = rel.fetchall()
    assert len(rows) == 3
    site, day, url, _, epoch, authors = rows[0]
    assert (site, str(day), url) == ("moscowtimes", "2026-02-24", article(0).url)
    assert epoch == datetime(2026, 2, 24, 10, 0, tzinfo=UTC).timestamp()
    assert authors == ["Ann Author", "Bob Byline"]

    frame = pd.read_parquet(tmp_path)
    assert len(frame) == 3
    assert set(frame["site"].astype(str)) == {"moscowtimes"}
    assert str(frame["published_at"].dtype) == "datetime64[us, UTC]"
    assert list(frame["authors"].iloc[0]) == ["Ann Author", "Bob Byline"]

    table = ds.dataset(tmp_path, partitioning="hive").to_table()
    assert table.num_rows == 3
    assert {"site", "date"} <= set(table.column_names)
    assert table.schema.field("published_at").type == pa.timestamp("us", tz="UTC")


def test_handlers_are_wired_to_scrapy_signals(tmp_path: Path) -> None:
    """Dispatch through the crawler with the exact keyword arguments Scrapy sends."""
    ext = make_writer(tmp_path)
    send = ext.crawler.signals.send_catch_log
    response = HtmlResponse("https://example.com/p", body=b"")
    received: list[Path] = []

    def on_commit(path: Path, **_: Any) -> None:  # a named function: receivers are weak refs
        received.append(path)

    ext.crawler.signals.connect(on_commit, signal=parquet_file_committed)

    def ok(results: list[tuple[Any, Any]]) -> None:
        ours = [r for handler, r in results if getattr(handler, "__self__", None) is ext]
        assert len(ours) == 1
        assert not isinstance(ours[0], Exception | Failure), ours[0]

    ok(send(signals.spider_opened, spider=None))
    ok(send(signals.item_scraped, item=article(1), response=response, spider=None))
    ok(
        send(
            signals.item_dropped,
            item=article(2),
            response=response,
            spider=None,
            exception=DropItem("missing_title"),
        )
    )
    ok(send(signals.spider_closed, spider=None, reason="finished"))
    assert received == ext.files_written
    assert read_archive(tmp_path).column("url").to_pylist() == [article(1).url]
    assert stat(ext, "newsarchive/rejected/missing_title") == 1
    assert not ext._lock.locked


@pytest.mark.parametrize(("preset", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_project_settings_choose_the_system_allocator(preset: str | None, expected: str) -> None:
    """Arrow picks its allocator once, when pyarrow loads: loading the project settings first
    (as Scrapy does) makes it the C library's, unless the user chose one."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    code = (
        "from scrapy.utils.project import get_project_settings; get_project_settings(); "
        "import pyarrow as pa; pa.table({'a': [1]}); print(pa.default_memory_pool().backend_name)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == expected
