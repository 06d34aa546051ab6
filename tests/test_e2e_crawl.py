"""End to end: crawl the mirror on 127.0.0.1, compare the archive with its ground truth."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow.dataset as ds

from newsarchive.evaluate import FIELDS, evaluate, load_archive
from tests.conftest import CrawlResult


def test_every_article_archived_once_in_its_partition(crawled: CrawlResult, mirror) -> None:
    truth = mirror.ground_truth()
    rows = load_archive(crawled.output)
    report = evaluate(rows, truth)
    assert report.missing == [] and report.unexpected == []
    assert len(rows) == len(truth["articles"])  # exactly once: one row per article
    assert report.duplicate_rows == 0
    assert report.wrong_partition == 0


def test_fields_match_ground_truth(crawled: CrawlResult, mirror) -> None:
    report = evaluate(load_archive(crawled.output), mirror.ground_truth())
    assert report.paragraph_recall == 1.0, report.summary()
    assert report.paragraph_precision == 1.0, report.summary()
    for name in FIELDS:
        assert report.field_accuracy(name) == 1.0, report.summary()


def test_no_boilerplate_in_any_text_column(crawled: CrawlResult, mirror) -> None:
    truth = mirror.ground_truth()
    assert len(truth["boilerplate"]) > 10  # the check below is only as good as this list
    report = evaluate(load_archive(crawled.output), truth)
    assert report.boilerplate_leaks == [], report.summary()


def test_the_manifest_counts_the_boilerplate_removed(crawled: CrawlResult) -> None:
    """Per rule, as many blocks as the rows say were removed from them. (The rules catch all
    of this mirror's boilerplate: nothing is left for repetition to learn.)"""
    boilerplate = crawled.manifest["boilerplate"]
    rows = load_archive(crawled.output)
    assert sum(boilerplate["removed"].values()) == sum(r["boilerplate_removed"] for r in rows) > 0
    assert {"ad", "newsletter", "site:related"} <= set(boilerplate["removed"])
    assert boilerplate["learned_blocks"] == boilerplate["removed"].get("repeated", 0) == 0


def test_archive_reads_back_without_options(crawled: CrawlResult, mirror) -> None:
    expected = len(mirror.ground_truth()["articles"])
    pattern = f"{crawled.output}/**/*.parquet"
    # A connection of its own, fetched in full: DuckDB 2 keeps the shared default connection
    # busy with a half-read result, and a later test would trip over it.
    [(count, sites, newest)] = (
        duckdb.connect()
        .execute(
            f"SELECT count(*), count(DISTINCT site), max(published_at) "
            f"FROM read_parquet('{pattern}', hive_partitioning = true)"
        )
        .fetchall()
    )
    assert (count, sites) == (expected, 1)
    assert newest.tzinfo is not None  # TIMESTAMP WITH TIME ZONE
    frame = pd.read_parquet(crawled.output)
    assert len(frame) == expected
    assert {"site", "date", "body", "authors", "published_at"} <= set(frame.columns)
    assert str(frame["published_at"].dt.tz) == "UTC"
    table = ds.dataset(crawled.output, partitioning="hive").to_table()
    assert table.num_rows == expected


def test_run_manifest_accounts_for_the_run(crawled: CrawlResult, mirror) -> None:
    manifest = crawled.manifest
    expected = len(mirror.ground_truth()["articles"])
    assert manifest["status"] == "ok" and manifest["finish_reason"] == "finished"
    assert manifest["articles"]["new"] == expected
    assert manifest["rows_written"] == expected
    assert manifest["files"] and all(f.endswith(".parquet") for f in manifest["files"])
    assert "Traceback" not in crawled.log
