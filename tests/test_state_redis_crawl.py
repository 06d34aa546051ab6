"""Crawls that keep their cross-run state in Redis (``NEWSARCHIVE_STATE=redis://...``):
incremental as with SQLite, shared by workers, safe against kill -9; and NEWSARCHIVE_STATE
values no backend serves stop the crawl in one line, before anything is created."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsarchive.evaluate import evaluate, load_archive
from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from tests.conftest import REPO, CrawlResult, run_crawl
from tests.services import redis_server
from tests.state_backends import fresh_prefix
from tests.test_frontier import (
    archived,
    article_ids,
    crawl_killing_a_worker,
    finish,
    servable,
    worker,
)
from tests.test_incremental import article_requests

PASSWORD = "s3cret-shared-state"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server(password=PASSWORD) as url:
        yield url


@pytest.fixture
def state_url(redis_url: str) -> str:
    return f"{redis_url}?prefix={fresh_prefix()}"


def redis_keys(state_url: str) -> list[str]:
    import redis

    from newsarchive.state_redis import split_url

    url, prefix = split_url(state_url)
    client = redis.Redis.from_url(url)
    try:
        return sorted(k.decode() for k in client.scan_iter(f"{prefix}:*"))
    finally:
        client.close()


def assert_state_not_local(result: CrawlResult) -> None:
    """The state is in Redis: no SQLite file, no folder named after a scheme, no password."""
    assert not (result.output / "_state").exists()
    for name in ("redis:", "rediss:", "unix:"):
        assert not (REPO / name).exists() and not (result.output / name).exists()
    assert PASSWORD not in result.log
    for manifest in (result.output / "_manifests").glob("*.json"):
        assert PASSWORD not in manifest.read_text(encoding="utf-8")


def test_a_crawl_keeps_its_state_in_redis_and_the_next_run_is_incremental(
    state_url: str, tmp_path: Path
) -> None:
    output = tmp_path / "output"
    settings = {"NEWSARCHIVE_STATE": state_url}
    with MirrorServer(build_site(articles=120, seed=33)) as server:
        first = run_crawl(server.base_url, output, settings=settings)
        assert first.returncode == 0, first.log[-3000:]
        assert_state_not_local(first)
        keys = redis_keys(state_url)
        assert any(k.endswith(":moscowtimes:a") for k in keys)
        assert any(k.endswith(":moscowtimes:v") for k in keys)
        run1_articles = len(article_requests(server))
        server.clear_requests()

        changes = server.advance(new_articles=8, updated_articles=4, hours=6)
        truth = server.ground_truth()
        second = run_crawl(server.base_url, output, settings=settings)
        assert second.returncode == 0, second.log[-3000:]
        assert_state_not_local(second)
        fetched = article_requests(server)

    by_path = {a["url"].split("://", 1)[1].split("/", 1)[1]: a for a in truth["articles"]}
    window_start = datetime.now(UTC) - timedelta(days=2, hours=1)
    fetched_ids = set()
    for path in fetched:
        known = by_path[path.lstrip("/")]
        fetched_ids.add(int(known["article_id"]))
        new = int(known["article_id"]) in changes["added"]
        assert new or datetime.fromisoformat(known["published_at"]) >= window_start, path
    assert set(changes["added"]) | set(changes["updated"]) <= fetched_ids
    assert len(fetched) < run1_articles / 2

    rows = load_archive(output)
    report = evaluate(rows, truth)
    assert report.missing == [] and report.duplicate_rows == 0
    versions = Counter(str(r["article_id"]) for r in rows)
    assert {a for a, n in versions.items() if n > 1} == {str(i) for i in changes["updated"]}
    manifest = second.manifest
    assert manifest["articles"]["new"] == 8
    assert manifest["articles"]["updated"] == len(changes["updated"])
    assert manifest["rows_written"] == 8 + len(changes["updated"])
    assert manifest["completeness"]["previous_unfinished_runs"] == []


def test_two_workers_share_the_frontier_and_the_state(
    redis_url: str, state_url: str, tmp_path: Path
) -> None:
    output = tmp_path / "output"
    settings = {"NEWSARCHIVE_STATE": state_url}
    with MirrorServer(build_site(articles=200, seed=41), latency=0.03) as server:
        first = worker(server.base_url, output, redis_url, **settings)
        time.sleep(0.5)
        second = worker(server.base_url, output, redis_url, **settings)
        results = [finish(first, output), finish(second, output)]
        for result in results:
            assert result.returncode == 0, result.log[-3000:]
            assert_state_not_local(result)
            # the other worker of the same crawl was running, not unfinished
            assert "did not finish" not in result.log
        assert set(archived(output).values()) == {1}  # no row twice
        assert article_ids(output) == servable(server)
        written = sorted(m["rows_written"] for m in results[0].manifests())
        assert written[0] > 0 and sum(written) == len(servable(server))

        # a second round, both workers again: new and updated articles only, once each
        changes = server.advance(new_articles=8, updated_articles=3, hours=2)
        server.clear_requests()
        again = [worker(server.base_url, output, redis_url, **settings) for _ in range(2)]
        for result in (finish(p, output) for p in again):
            assert result.returncode == 0, result.log[-3000:]
            assert_state_not_local(result)
        assert article_ids(output) == servable(server)
        rows = archived(output)
        assert max(rows.values()) == 1  # each (article, version) once
        assert {key.split("@")[0] for key in rows if not key.endswith("@1")} == {
            str(i) for i in changes["updated"]
        }
        assert len(article_requests(server)) < 60  # not the 200 old articles again


def test_a_killed_worker_loses_nothing_and_duplicates_nothing_after_a_rerun(
    redis_url: str, state_url: str, tmp_path: Path
) -> None:
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=200, seed=42), latency=0.05) as server:
        crawl_killing_a_worker(server, output, redis_url, NEWSARCHIVE_STATE=state_url)
        # the rerun: one worker, the same Redis state
        rerun = run_crawl(server.base_url, output, settings={"NEWSARCHIVE_STATE": state_url})
        assert rerun.returncode == 0, rerun.log[-3000:]
        assert_state_not_local(rerun)
        assert article_ids(output) == servable(server)
        assert set(archived(output).values()) == {1}
        # and a run after that has nothing left to fetch but the revisit window
        server.clear_requests()
        last = run_crawl(server.base_url, output, settings={"NEWSARCHIVE_STATE": state_url})
        assert last.returncode == 0 and last.manifest["rows_written"] == 0


@pytest.mark.parametrize(
    "location", ["s3://bucket/newsarchive/state", "ftp://user:pw@files.example/state"]
)
def test_an_unsupported_state_is_one_line_and_nothing_is_made(
    location: str, tmp_path: Path
) -> None:
    result = run_crawl(
        "http://127.0.0.1:9", tmp_path / "output", settings={"NEWSARCHIVE_STATE": location}
    )
    assert result.returncode == 2
    [line] = [line for line in result.log.splitlines() if line.startswith("newsarchive:")]
    assert line.startswith("newsarchive: not crawling: NEWSARCHIVE_STATE=")
    assert "redis://" in line and "Traceback" not in result.log and ":pw@" not in result.log
    assert not (tmp_path / "output").exists()
    for name in ("s3:", "ftp:", "redis:"):  # no folder named after the scheme
        assert not (REPO / name).exists() and not Path(name).exists()


def test_an_unreachable_redis_state_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    result = run_crawl(
        "http://127.0.0.1:9",
        tmp_path / "output",
        settings={"NEWSARCHIVE_STATE": "redis://:pw@127.0.0.1:1/0?prefix=x"},
    )
    assert result.returncode == 69
    [line] = [line for line in result.log.splitlines() if line.startswith("newsarchive:")]
    assert line.startswith(
        "newsarchive: not crawling: NEWSARCHIVE_STATE='redis://:***@127.0.0.1:1/"
    )
    assert ":pw@" not in result.log and "Traceback" not in result.log
    assert not (tmp_path / "output").exists()
