"""``scrapy crawl moscowtimes -O articles.parquet``: the ``parquet`` feed exporter.

Real crawls of mirrors on 127.0.0.1 (the feed next to the archive, compared with it), and the
exporter on its own for what a crawl cannot easily produce: a row of a wrong type, a pipe, a
file opened for appending.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scrapy.settings import Settings

from newsarchive import settings as project_settings
from newsarchive.exporters import (
    FEED_SCHEMA,
    ParquetItemExporter,
    feed_problems,
)
from newsarchive.items import WORKING_FIELDS, ArticleItem
from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.schema import ARTICLE_SCHEMA, SCHEMA_VERSION
from tests.conftest import FAST, REPO, CrawlResult
from tests.test_readme import section

ROW_GROUP = 40  # the crawls' row group: the 150-article mirror gives several
COLUMNS = ", ".join(ARTICLE_SCHEMA.names)


def crawl(
    base_url: str,
    output: Path,
    *options: str,
    settings: dict[str, str] | None = None,
    python: tuple[str, ...] = ("-m", "scrapy"),
) -> CrawlResult:
    """``scrapy crawl moscowtimes`` with feed options (``-O path``...), as a user runs it."""
    command = [sys.executable, *python, "crawl", "moscowtimes", "-a", f"base_url={base_url}"]
    for name, value in {**FAST, "NEWSARCHIVE_OUTPUT": str(output), **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    done = subprocess.run(
        [*command, *options], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    return CrawlResult(done.returncode, done.stderr + done.stdout, output)


def query(sql: str) -> list[tuple[Any, ...]]:
    """DuckDB on a connection of its own, fetched in full (see test_e2e_crawl)."""
    return duckdb.connect().execute(sql).fetchall()


def archive(output: Path) -> str:
    return f"read_parquet('{output}/**/*.parquet', hive_partitioning = true)"


def same_rows(feed: Path, archive_rows: str) -> tuple[list[Any], list[Any]]:
    """Rows of the feed that the archive lacks, and the other way round (every column, the
    archive's ``date`` folder against the feed's ``date`` column)."""
    mine = f"SELECT {COLUMNS}, date FROM '{feed}'"
    theirs = f"SELECT {COLUMNS}, CAST(date AS DATE) AS date FROM {archive_rows}"
    return query(f"{mine} EXCEPT ALL {theirs}"), query(f"{theirs} EXCEPT ALL {mine}")


@pytest.fixture(scope="module")
def feeds(mirror: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One crawl of the shared mirror with four feeds: ``-O all.parquet``, two Parquet feeds
    of chosen (and renamed) columns, and a JSON Lines feed, for comparison."""
    folder = tmp_path_factory.mktemp("feeds")
    more = {
        str(folder / "picked.parquet"): {
            "format": "parquet",
            "overwrite": True,
            "fields": ["url", "title", "date"],
        },
        str(folder / "renamed.parquet"): {
            "format": "parquet",
            "overwrite": True,
            "fields": {"url": "link", "published_at": "published"},
        },
        str(folder / "all.jsonl"): {"format": "jsonl", "overwrite": True},
    }
    result = crawl(
        mirror.base_url,
        folder / "output",
        "-O",
        str(folder / "all.parquet"),
        settings={"NEWSARCHIVE_FEED_PARQUET_ROW_GROUP": str(ROW_GROUP), "FEEDS": json.dumps(more)},
    )
    assert result.returncode == 0, result.log[-5000:]
    return result


def test_one_file_duckdb_reads_with_the_archives_rows(feeds: CrawlResult, mirror) -> None:
    feed = feeds.output.parent / "all.parquet"
    articles = len(mirror.ground_truth()["articles"])
    [(rows, urls, sites, newest)] = query(
        f"SELECT count(*), count(DISTINCT url), list(DISTINCT site), max(published_at) "
        f"FROM '{feed}'"
    )
    assert (rows, urls, sites) == (articles, articles, ["moscowtimes"])
    assert newest.tzinfo is not None  # TIMESTAMP WITH TIME ZONE: UTC, as in the archive
    types = dict(query(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{feed}')"))
    assert types["date"] == "DATE" and types["authors"] == "VARCHAR[]"
    # every column of every row is the archive's, and the date is the archive's folder
    assert feeds.manifest["rows_written"] == articles
    assert same_rows(feed, archive(feeds.output)) == ([], [])
    made = {path.name for path in feed.parent.iterdir()}  # one file per feed, beside the archive
    assert made == {"all.parquet", "picked.parquet", "renamed.parquet", "all.jsonl", "output"}


def test_the_file_has_the_archives_schema(feeds: CrawlResult) -> None:
    schema = pq.read_schema(feeds.output.parent / "all.parquet")
    assert schema.names == [*ARTICLE_SCHEMA.names, "date"]
    assert "site" in schema.names and not WORKING_FIELDS & set(schema.names)
    for field in ARTICLE_SCHEMA:
        assert schema.field(field.name).type == field.type, field.name
        assert schema.field(field.name).nullable == field.nullable, field.name
    assert schema.field("date").type == pa.date32()
    assert schema.metadata[b"newsarchive.schema_version"] == str(SCHEMA_VERSION).encode()
    table = pq.read_table(feeds.output.parent / "all.parquet")  # pyarrow reads it too
    assert table.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert table.num_rows == feeds.manifest["rows_written"]


def test_the_archives_codec_and_row_groups_of_the_setting(feeds: CrawlResult) -> None:
    metadata = pq.ParquetFile(feeds.output.parent / "all.parquet").metadata
    rows = metadata.num_rows
    assert metadata.num_row_groups == math.ceil(rows / ROW_GROUP) >= 3
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert max(sizes) == ROW_GROUP and sum(sizes) == rows
    codecs = {
        metadata.row_group(i).column(c).compression
        for i in range(metadata.num_row_groups)
        for c in range(metadata.num_columns)
    }
    assert codecs == {project_settings.NEWSARCHIVE_PARQUET_COMPRESSION.upper()}


def test_fields_pick_and_rename_columns(feeds: CrawlResult) -> None:
    folder = feeds.output.parent
    picked = pq.read_table(folder / "picked.parquet")
    assert picked.column_names == ["url", "title", "date"]
    renamed = pq.read_table(folder / "renamed.parquet")
    assert renamed.column_names == ["link", "published"]
    assert renamed.schema.field("published").type == pa.timestamp("us", tz="UTC")
    full = pq.read_table(folder / "all.parquet")
    assert sorted(picked.to_pylist(), key=lambda r: r["url"]) == sorted(
        full.select(["url", "title", "date"]).to_pylist(), key=lambda r: r["url"]
    )
    assert sorted(renamed.column("link").to_pylist()) == sorted(full.column("url").to_pylist())


def test_json_lines_feeds_hold_the_same_articles(feeds: CrawlResult) -> None:
    """-O x.jsonl exports the archive's columns (FEED_EXPORT_FIELDS), not the working ones
    (an lxml tree cannot be serialized: every item failed before)."""
    lines = (feeds.output.parent / "all.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert all(set(record) == set(ARTICLE_SCHEMA.names) for record in records)
    parquet = pq.read_table(feeds.output.parent / "all.parquet", columns=["url", "content_hash"])
    assert sorted((r["url"], r["content_hash"]) for r in records) == sorted(
        zip(*parquet.to_pydict().values(), strict=True)
    )
    assert "Traceback" not in feeds.log and "Error caught on signal handler" not in feeds.log


def test_repeat_runs_feed_what_the_crawl_archives_and_o_cannot_append(tmp_path: Path) -> None:
    """No state of its own: a repeat run's feed holds the rows the archive gets in that run
    (new articles, new versions); -o onto a Parquet file stops before anything is fetched."""
    output, feed = tmp_path / "output", tmp_path / "articles.parquet"
    with MirrorServer(build_site(articles=40, seed=1313)) as server:
        first = crawl(server.base_url, output, "-O", str(feed))
        assert first.returncode == 0, first.log[-3000:]
        assert pq.read_metadata(feed).num_rows == first.manifest["rows_written"] == 40
        before = feed.read_bytes()
        server.advance(new_articles=3, updated_articles=2, hours=6)
        server.clear_requests()

        appended = crawl(server.base_url, output, "-o", str(feed))
        assert appended.returncode == 2, appended.log[-3000:]
        assert "cannot be appended to" in appended.log and "use -O" in appended.log
        assert server.requests == [] and len(first.manifests()) == 1  # nothing fetched or run
        assert feed.read_bytes() == before

        second_feed = tmp_path / "second.parquet"  # -o onto no file: a new file
        second = crawl(server.base_url, output, "-o", str(second_feed))
        assert second.returncode == 0, second.log[-3000:]
        made = second.manifest  # (the manifest of the latest run, read now)
        nothing_new = crawl(server.base_url, output, "-O", str(tmp_path / "empty.parquet"))
        assert nothing_new.returncode == 0, nothing_new.log[-3000:]

    assert made["articles"]["new"] == 3 and made["articles"]["updated"] >= 1
    files = ", ".join(f"'{output / path}'" for path in made["files"])  # relative to it
    assert same_rows(second_feed, f"read_parquet([{files}], hive_partitioning = true)") == (
        [],
        [],
    )
    versions = sorted(v for (v,) in query(f"SELECT version FROM '{second_feed}'"))
    assert len(versions) == made["rows_written"] and versions[-1] == 2
    # a run that archives nothing stores a file of no rows, with the schema
    empty = pq.read_table(tmp_path / "empty.parquet")
    assert nothing_new.manifest["rows_written"] == empty.num_rows == 0
    assert empty.schema.names == FEED_SCHEMA.names


def test_the_readme_snippets_run(
    feeds: CrawlResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README section's DuckDB snippet, as it is, beside an archive and its feed."""
    shutil.copytree(feeds.output, tmp_path / "output")  # (DuckDB's ** skips symlinks)
    shutil.copy(feeds.output.parent / "all.parquet", tmp_path / "articles.parquet")
    monkeypatch.chdir(tmp_path)
    snippets = re.findall(r"```python\n(.*?)```", section("One file: `-O articles.parquet`"), re.S)
    assert len(snippets) == 1
    namespace: dict[str, Any] = {}
    exec(compile(snippets[0], "README.md", "exec"), namespace)
    days = namespace["feed_days"].fetchall()
    assert 0 < len(days) <= 5 and all(rows == articles for _, rows, articles in days)
    # the archive copied into one file holds the feed's rows (this archive had one run)
    assert same_rows(tmp_path / "archive.parquet", archive(tmp_path / "output")) == ([], [])
    assert same_rows(tmp_path / "archive.parquet", "'articles.parquet'") == ([], [])


# A crawl in which one article gets a value of the wrong type, as a buggy pipeline would (a
# column the drift monitor does not read: it fails on a word count of the wrong type).
WRONG_WORD_COUNT = """
import sys
from newsarchive.pipelines.versioning import VersioningPipeline
VICTIM = sys.argv.pop()  # the last argument: not Scrapy's
process = VersioningPipeline.process_item
def corrupt_one(self, item):
    item = process(self, item)
    if item.article_id == VICTIM:
        item.subtitle = 42
    return item
VersioningPipeline.process_item = corrupt_one
from scrapy.cmdline import execute
execute(["scrapy", *sys.argv[1:]])
"""


def test_an_item_of_a_wrong_type_is_counted_and_skipped(tmp_path: Path) -> None:
    site = build_site(articles=30, seed=77)
    with MirrorServer(site) as server:
        victim = server.ground_truth()["articles"][5]
        feed = tmp_path / "articles.parquet"
        result = crawl(
            server.base_url,
            tmp_path / "output",
            "-O",
            str(feed),
            victim["article_id"],  # popped by the code above
            python=("-c", WRONG_WORD_COUNT),
        )
    assert result.returncode == 0, result.log[-3000:]
    warnings = [line for line in result.log.splitlines() if "Parquet feed: skipped" in line]
    assert len(warnings) == 1 and "invalid_row" in warnings[0] and victim["url"] in warnings[0]
    assert "'newsarchive/feed/skipped/invalid_row': 1" in result.log
    urls = [u for (u,) in query(f"SELECT url FROM '{feed}'")]  # a valid file, footer and all
    assert len(urls) == 29 and victim["url"] not in urls
    # the archive turned the same row down, with the same conversion
    assert result.manifest["rejected"] == {"invalid_row": 1}
    assert same_rows(feed, archive(result.output)) == ([], [])


# --- the exporter on its own ------------------------------------------------------------------


def article(number: int, **values: Any) -> ArticleItem:
    now = datetime(2026, 2, 25, 6, 30, tzinfo=UTC)
    fields: dict[str, Any] = {
        "url": f"https://example.org/a{number}",
        "site": "example",
        "article_id": str(number),
        "title": f"Title {number}",
        "body": "word " * 200,
        "authors": ["A. Author"],
        "published_at": now,
        "crawled_at": now,
        "content_hash": f"{number:064x}",
        "body_html": object(),  # a working field: never written
    }
    return ArticleItem(**{**fields, **values})


def test_rows_leave_memory_a_row_group_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "feed.parquet"
    with path.open("wb") as file:
        exporter = ParquetItemExporter(file, row_group_size=10)
        exporter.start_exporting()
        sizes = []
        for number in range(35):
            exporter.export_item(article(number))
            assert exporter.rows_written == (number + 1) // 10 * 10
            file.flush()
            sizes.append(path.stat().st_size)
        # the file grows by a row group every tenth row, and only then: the rows held in
        # memory are never more than a row group
        grew = [number + 1 for number in range(1, 35) if sizes[number] > sizes[number - 1]]
        assert grew == [10, 20, 30] and sizes[0] == sizes[8]
        exporter.finish_exporting()
        assert not file.closed  # Scrapy's storage closes its file
    metadata = pq.read_metadata(path)
    assert (metadata.num_rows, metadata.num_row_groups) == (35, 4)


def test_bad_rows_are_skipped_counted_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    buffer = io.BytesIO()
    exporter = ParquetItemExporter(buffer, row_group_size=2)
    exporter.start_exporting()
    with caplog.at_level(logging.WARNING, logger="newsarchive.exporters"):
        for item in (
            article(1),
            article(2, word_count="many"),
            article(3, word_count=2**40),  # not an int32
            article(4, crawled_at=datetime(2026, 2, 25, 6, 30)),  # naive: not UTC
            article(5, url=None),
            article(6),
        ):
            exporter.export_item(item)
        exporter.finish_exporting()
    assert exporter.stats.values == {
        "newsarchive/feed/skipped/invalid_row": 3,
        "newsarchive/feed/skipped/missing_url": 1,
        "newsarchive/feed/parquet/rows_written": 2,
        "newsarchive/feed/parquet/row_groups": 2,  # (a row group of the good rows)
    }
    assert [r.getMessage().split(" (")[1].split(")")[0] for r in caplog.records] == [
        "invalid_row",
        "missing_url",
    ]
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    assert table.column("url").to_pylist() == ["https://example.org/a1", "https://example.org/a6"]
    assert table.column("date").to_pylist()[0].isoformat() == "2026-02-25"


def test_a_file_that_holds_bytes_is_refused_and_left_as_it_was(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """For crawls not started by ``scrapy crawl`` (which stops before fetching)."""
    path = tmp_path / "old.parquet"
    pq.write_table(pa.table({"a": [1]}), path)
    before = path.read_bytes()
    with path.open("ab") as file, caplog.at_level(logging.ERROR):
        exporter = ParquetItemExporter(file)
        exporter.start_exporting()
        exporter.export_item(article(1))
        exporter.finish_exporting()
    assert path.read_bytes() == before
    assert exporter.stats.values["newsarchive/feed/refused"] == 1
    [record] = caplog.records
    assert "cannot be appended to" in record.getMessage() and "old.parquet" in record.getMessage()


class FullDisk(io.BytesIO):
    """A file that takes ``room`` bytes, then fails once as a full disk does (and then has
    room again, as when another process frees some)."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, data: Any) -> int:
        if self.tell() + memoryview(data).nbytes > self.room:
            self.room = sys.maxsize
            raise OSError(28, "No space left on device")
        return super().write(data)


class Messages(logging.Handler):
    """Log messages as text: unlike caplog's records, they keep no exception (and so no
    frame, no writer) alive."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_failed_write_is_said_once_and_leaves_no_footer() -> None:
    file, errors = FullDisk(room=20_000), Messages()
    logging.getLogger("newsarchive.exporters").addHandler(errors)
    try:
        exporter = ParquetItemExporter(file, row_group_size=5)
        exporter.start_exporting()
        for number in range(40):  # nothing escapes to Scrapy's signal handler
            exporter.export_item(article(number, body=f"{number} " * 2000))
        exporter.finish_exporting()
        del exporter
        gc.collect()  # pyarrow, letting go of its writer, would write a footer now
    finally:
        logging.getLogger("newsarchive.exporters").removeHandler(errors)
    [message] = errors.messages
    assert "No space left on device" in message and "the file is incomplete" in message
    assert not file.closed and 0 < len(file.getvalue()) <= 20_000
    # no footer after the rows that are missing: no reader takes the file for whole
    with pytest.raises(pa.ArrowInvalid):
        pq.read_metadata(io.BytesIO(file.getvalue()))


def test_a_pipe_gets_a_whole_file() -> None:
    """``-O -:parquet``: stdout may be a pipe, which cannot tell its position."""
    read_end, write_end = os.pipe()
    received = bytearray()

    def drain() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            received.extend(pipe.read())

    reader = threading.Thread(target=drain)
    reader.start()
    with os.fdopen(write_end, "wb") as pipe:
        exporter = ParquetItemExporter(pipe, row_group_size=3)
        exporter.start_exporting()
        for number in range(7):
            exporter.export_item(article(number))
        exporter.finish_exporting()
    reader.join(timeout=30)
    assert pq.read_table(io.BytesIO(bytes(received))).num_rows == 7


def test_problems_are_found_before_the_crawl(tmp_path: Path) -> None:
    old = tmp_path / "old.parquet"
    old.write_bytes(b"PAR1")
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.set(
        "FEEDS",
        {
            str(old): {"format": "parquet"},  # -o: append
            str(tmp_path / "new.parquet"): {"format": "parquet"},  # appending to nothing
            str(tmp_path / "bad.parquet"): {"format": "parquet", "fields": ["url", "body_html"]},
            str(tmp_path / "small.parquet"): {
                "format": "parquet",
                "overwrite": True,
                "item_export_kwargs": {"row_group_size": 0},
            },
            str(old.with_suffix(".jsonl")): {"format": "jsonl"},
            f"file://{old}": {"format": "parquet", "overwrite": True},
        },
    )
    problems = feed_problems(settings)
    assert len(problems) == 3, problems
    assert "already holds 4 bytes" in problems[0] and "use -O" in problems[0]
    assert "body_html" in problems[1] and "row group size" in problems[2]
