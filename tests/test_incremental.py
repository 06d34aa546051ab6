"""Scheduled runs: incremental fetching, versions not duplicates, kill -9 safety, the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from newsarchive.evaluate import FIELDS, evaluate, load_archive
from newsarchive.extensions.run import crawl_lock
from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from tests.conftest import FAST, REPO, run_crawl

ARTICLE_PATH = "-a"


def article_requests(server: MirrorServer) -> list[str]:
    return [r["path"] for r in server.requests if "/20" in r["path"] and ARTICLE_PATH in r["path"]]


def listing_requests(server: MirrorServer) -> list[str]:
    return [
        r["path"]
        for r in server.requests
        if r["path"].count("/") <= 2 and "-a" not in r["path"] and r["path"] != "/robots.txt"
    ]


def test_second_run_fetches_only_new_and_recent(tmp_path: Path) -> None:
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=120, seed=33)) as server:
        first = run_crawl(server.base_url, output)
        assert first.returncode == 0, first.log[-3000:]
        run1_rows = first.manifest["rows_written"]
        run1_articles = len(article_requests(server))
        run1_listings = len(listing_requests(server))
        server.clear_requests()

        changes = server.advance(new_articles=8, updated_articles=4, hours=6)
        truth = server.ground_truth()
        second = run_crawl(server.base_url, output)
        assert second.returncode == 0, second.log[-3000:]
        fetched = article_requests(server)
        run2_listings = len(listing_requests(server))

    by_path = {a["url"].split("://", 1)[1].split("/", 1)[1]: a for a in truth["articles"]}
    window_start = datetime.now(UTC) - timedelta(days=2)
    fetched_ids = set()
    for path in fetched:
        article = by_path[path.lstrip("/")]
        fetched_ids.add(int(article["article_id"]))
        new = int(article["article_id"]) in changes["added"]
        recent = datetime.fromisoformat(article["published_at"]) >= window_start - timedelta(
            hours=1
        )
        assert new or recent, f"run 2 fetched an old, known article: {path}"
    assert set(changes["added"]) <= fetched_ids
    assert set(changes["updated"]) <= fetched_ids
    assert run2_listings < run1_listings  # stopped at the horizon, not at the end
    assert len(fetched) < run1_articles / 2

    rows = load_archive(output)
    report = evaluate(rows, truth)
    assert report.missing == [] and report.duplicate_rows == 0
    for name in FIELDS:
        assert report.field_accuracy(name) == 1.0, report.summary()
    assert report.paragraph_recall == 1.0 and report.paragraph_precision == 1.0
    versions = Counter(str(r["article_id"]) for r in rows)
    assert {a for a, n in versions.items() if n > 1} == {str(i) for i in changes["updated"]}
    assert changes["updated"], "the mirror must have updated some recent articles"
    assert len(rows) == 120 + len(changes["added"]) + len(changes["updated"])

    manifest = second.manifest
    assert manifest["articles"]["new"] == 8
    assert manifest["articles"]["updated"] == len(changes["updated"])
    assert manifest["articles"]["skipped"] > 0
    assert manifest["rows_written"] == 8 + len(changes["updated"])
    print(
        f"run 1: {run1_listings} listing + {run1_articles} article requests, "
        f"{run1_rows} rows; run 2: {run2_listings} listing + "
        f"{len(fetched)} article requests, {manifest['rows_written']} rows "
        f"({manifest['articles']})"
    )

    # The documented latest-version query: one row per article, the newest version.
    latest = (
        duckdb.connect()
        .sql(
            f"""SELECT article_id, version, body FROM read_parquet('{output}/**/*.parquet',
        hive_partitioning = true)
        QUALIFY row_number() OVER (PARTITION BY site, article_id
            ORDER BY crawled_at DESC, version DESC) = 1"""
        )
        .fetchall()
    )
    assert len(latest) == 128
    truth_body = {a["article_id"]: "\n\n".join(a["body_paragraphs"]) for a in truth["articles"]}
    assert all(body == truth_body[str(article_id)] for article_id, _, body in latest)


def test_unchanged_rerun_writes_nothing_and_full_rewrites_nothing(tmp_path: Path) -> None:
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=40, seed=5)) as server:
        assert run_crawl(server.base_url, output).returncode == 0
        again = run_crawl(server.base_url, output)
        full = run_crawl(server.base_url, output, "full=1")
    assert again.returncode == 0 and full.returncode == 0
    assert again.manifest["rows_written"] == 0
    assert full.manifest["rows_written"] == 0
    assert full.manifest["articles"]["unchanged"] == 40
    assert len(load_archive(output)) == 40


def crawl_process(base_url: str, output: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "scrapy", "crawl", "moscowtimes", "-a", f"base_url={base_url}"]
    settings = {
        **FAST,
        "NEWSARCHIVE_OUTPUT": str(output),
        "NEWSARCHIVE_PARQUET_MAX_ROWS": "4",
        "CONCURRENT_REQUESTS": "4",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    }
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_when(process: subprocess.Popen[bytes], ready, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def pairs(output: Path) -> Counter[tuple[str, str]]:
    return Counter((r["url"], r["content_hash"]) for r in load_archive(output))


@pytest.fixture(scope="module")
def kill_mirror(tmp_path_factory: pytest.TempPathFactory):
    """A mirror and an uninterrupted crawl of it, the reference for every kill point."""
    with MirrorServer(build_site(articles=60, seed=77)) as server:
        reference = tmp_path_factory.mktemp("reference") / "output"
        assert run_crawl(server.base_url, reference).returncode == 0
        yield server, pairs(reference)


@pytest.mark.parametrize("kill_point", ["requests", "first_file", "files"])
def test_kill_9_then_rerun_equals_uninterrupted(
    tmp_path: Path, kill_point: str, kill_mirror
) -> None:
    server, reference = kill_mirror
    output = tmp_path / "output"
    server.clear_requests()
    files = lambda: list(output.glob("site=*/date=*/*.parquet"))  # noqa: E731
    ready = {
        "requests": lambda: len(server.requests) >= 25,
        "first_file": lambda: len(files()) >= 1,
        "files": lambda: len(files()) >= 6,
    }[kill_point]
    kill_when(crawl_process(server.base_url, output), ready)
    # nothing half-written is visible: every file a reader can see opens and reads
    interrupted = pairs(output) if files() else Counter()
    assert all(n == 1 for n in interrupted.values())
    rerun = run_crawl(server.base_url, output)
    assert rerun.returncode == 0, rerun.log[-3000:]
    final = pairs(output)
    assert all(n == 1 for n in final.values())
    assert set(final) == set(reference)


def test_second_run_on_a_locked_archive_exits_at_once(tmp_path: Path) -> None:
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=5, seed=3)) as server, crawl_lock(output):
        result = run_crawl(server.base_url, output)
        requests = server.requests
    assert result.returncode == 75
    assert "not crawling" in result.log and "locked" in result.log
    assert not (output / "_manifests").exists()
    assert requests == []  # not even robots.txt: no crawl was attempted


def test_a_dict_override_that_drops_project_components_stops_the_crawl(tmp_path: Path) -> None:
    """``-s EXTENSIONS=...`` replaces the project's dict: without the Parquet writer a crawl
    would archive nothing and exit 0. It is refused, naming what is missing."""
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=5, seed=3)) as server:
        result = run_crawl(
            server.base_url,
            output,
            settings={"EXTENSIONS": '{"scrapy.extensions.corestats.CoreStats": 0}'},
        )
        requests = server.requests
    assert result.returncode == 2
    assert "PartitionedParquetWriter" in result.log and "-s EXTENSIONS" in result.log
    assert requests == [] and not output.exists()


def test_left_out_components() -> None:
    from scrapy.settings import Settings

    from newsarchive import settings as project
    from newsarchive.commands.crawl import left_out_components

    def project_settings() -> Settings:
        settings = Settings()
        settings.setmodule(project, priority="project")
        return settings

    assert left_out_components(project_settings()) == []
    pipelines = dict(project.ITEM_PIPELINES)
    del pipelines["newsarchive.pipelines.validation.ValidationPipeline"]
    partial = project_settings()
    partial.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    assert left_out_components(partial) == ["newsarchive.pipelines.validation.ValidationPipeline"]
    partial.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")  # Scrapy's retry back on
    assert "scrapy.downloadermiddlewares.retry.RetryMiddleware (off)" in left_out_components(
        partial
    )
    partial.set("NEWSARCHIVE_CHECK_COMPONENTS", False, priority="cmdline")
    assert left_out_components(partial) == []
