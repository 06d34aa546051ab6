"""A shared frontier in a real Redis: workers split one crawl, finish by themselves, lose
nothing when one is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from newsarchive.frontier import Coordinator, crawl_key, redacted
from newsarchive.mirror.registry import build_site
from newsarchive.mirror.server import MirrorServer
from tests.conftest import FAST, REPO, CrawlResult, run_crawl
from tests.services import redis_server
from tests.test_incremental import article_requests

PASSWORD = "s3cret-frontier"
"""The test Redis asks for a password, which no log line or manifest may show."""


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server(password=PASSWORD) as url:
        yield url


def assert_no_password(result: CrawlResult) -> None:
    assert PASSWORD not in result.log
    for manifest in (result.output / "_manifests").glob("*.json"):
        assert PASSWORD not in manifest.read_text(encoding="utf-8")


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


def worker(base_url: str, output: Path, url: str, **settings: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "moscowtimes", "-a", f"base_url={base_url}"]
    merged = {**FAST, "NEWSARCHIVE_OUTPUT": str(output), "REDIS_URL": url, **settings}
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen[str], output: Path) -> CrawlResult:
    log, _ = process.communicate(timeout=300)
    return CrawlResult(process.returncode, log, output)


def archived(output: Path) -> Counter[str]:
    table = ds.dataset(output, format="parquet", partitioning="hive").to_table(
        columns=["article_id", "version"]
    )
    ids, versions = table["article_id"].to_pylist(), table["version"].to_pylist()
    return Counter(f"{a}@{v}" for a, v in zip(ids, versions, strict=True))


def article_ids(output: Path) -> set[str]:
    return {key.split("@")[0] for key in archived(output)}


def servable(server: MirrorServer) -> set[str]:
    return {str(a.id) for a in server.site.articles.values()}


# --- the coordinator alone --------------------------------------------------------------


def test_the_first_worker_leads_the_others_join(redis_client: Any) -> None:
    first = Coordinator(redis_client, "site-a", timeout=5)
    second = Coordinator(redis_client, "site-a", timeout=5)
    other_site = Coordinator(redis_client, "site-b", timeout=5)
    lead, join, alone = first.join(), second.join(), other_site.join()
    assert lead.leader and not join.leader and alone.leader
    assert lead.crawl_id == join.crawl_id != alone.crawl_id
    assert lead.run_id != join.run_id and join.run_id.startswith(lead.crawl_id)
    # an article is claimed once per crawl, by whichever worker asks first
    assert second.claim_article("42") and not first.claim_article("42")


def test_a_worker_leaves_only_when_nothing_is_queued_and_nobody_is_busy(
    redis_client: Any,
) -> None:
    leader, follower = Coordinator(redis_client, "s", timeout=5), Coordinator(redis_client, "s", 5)
    leader.join()
    follower.join()
    leader.busy()
    assert follower.may_leave(queued=3) == (False, "3 request(s) in the shared queue")
    ok, why = follower.may_leave(queued=0)
    assert not ok and "still busy" in why
    ok, why = leader.may_leave(queued=0)  # idle now, but the follower has not left
    assert not ok and "to finish" in why
    assert follower.may_leave(queued=0) == (True, "")
    follower.leave()
    assert leader.may_leave(queued=0) == (True, "")
    leader.leave()
    assert redis_client.get(crawl_key("s")) is None  # the next worker opens a new crawl
    assert Coordinator(redis_client, "s", 5).join().leader


def test_a_worker_without_heartbeat_counts_as_gone(redis_client: Any) -> None:
    leader, dead = Coordinator(redis_client, "s", timeout=1), Coordinator(redis_client, "s", 1)
    leader.join()
    dead.join()
    dead.busy()
    assert not leader.may_leave(queued=0)[0]
    time.sleep(1.3)
    leader.heartbeat()
    assert leader.may_leave(queued=0) == (True, "")


def test_passwords_are_redacted() -> None:
    assert redacted("redis://:s3cret@db:6379/0") == "redis://:***@db:6379/0"
    assert redacted("redis://user:s3cret@db/1") == "redis://user:***@db/1"
    assert redacted("redis://db:6379/0") == "redis://db:6379/0"


# --- workers end to end ---------------------------------------------------------------------


def test_two_workers_split_a_crawl_and_both_finish(
    redis_url: str, redis_client: Any, tmp_path: Path
) -> None:
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=200, seed=31), latency=0.03) as server:
        first = worker(server.base_url, output, redis_url)
        time.sleep(0.5)
        second = worker(server.base_url, output, redis_url)
        results = [finish(first, output), finish(second, output)]
        for result in results:
            assert result.returncode == 0, result.log[-3000:]
            assert_no_password(result)
        rows = archived(output)
        assert set(rows.values()) == {1}  # no row twice
        assert article_ids(output) == servable(server)
        manifests = results[0].manifests()
        assert len(manifests) == 2
        assert len({m["crawl_id"] for m in manifests}) == 1
        assert len({m["run_id"] for m in manifests}) == 2
        written = sorted(m["rows_written"] for m in manifests)
        assert written[0] > 0 and sum(written) == len(servable(server))
        assert redis_client.keys("newsarchive:*") == []  # the crawl cleaned up after itself

        # a second round is incremental: new articles (and the revisit window) only
        server.advance(new_articles=8, updated_articles=3, hours=2)
        server.clear_requests()
        again = [worker(server.base_url, output, redis_url) for _ in range(2)]
        for result in (finish(p, output) for p in again):
            assert result.returncode == 0, result.log[-3000:]
        assert article_ids(output) == servable(server)
        rows = archived(output)
        assert set(rows.values()) == {1}
        assert len(article_requests(server)) < 60  # not the 200 old articles again


def crawl_killing_a_worker(
    server: MirrorServer, output: Path, redis_url: str, **settings: str
) -> CrawlResult:
    """Two workers share a crawl; one is killed (-9) 80 requests in; the survivor finishes
    without a traceback (its verdict may be a failure: the crawl lost a worker)."""
    settings = {"NEWSARCHIVE_WORKER_TIMEOUT": "3", **settings}
    leader = worker(server.base_url, output, redis_url, **settings)
    time.sleep(0.5)
    victim = worker(server.base_url, output, redis_url, **settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(server.requests) < 80:
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate()
    survivor = finish(leader, output)
    assert survivor.returncode in (0, 1), survivor.log[-3000:]
    assert "Traceback" not in survivor.log
    return survivor


def test_a_killed_worker_loses_nothing_after_a_rerun(redis_url: str, tmp_path: Path) -> None:
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=200, seed=32), latency=0.05) as server:
        crawl_killing_a_worker(server, output, redis_url)
        rerun = run_crawl(server.base_url, output)
        assert rerun.returncode == 0, rerun.log[-3000:]
        assert article_ids(output) == servable(server)
        assert set(archived(output).values()) == {1}


def test_an_unreachable_redis_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    result = run_crawl(
        "http://127.0.0.1:9",
        tmp_path / "output",
        settings={"REDIS_URL": "redis://:pw@127.0.0.1:1/0"},
    )
    assert result.returncode == 69
    [line] = [line for line in result.log.splitlines() if line.startswith("newsarchive:")]
    assert line.startswith("newsarchive: not crawling: REDIS_URL='redis://:***@127.0.0.1:1/0'")
    assert "] ERROR:" not in result.log and "Traceback" not in result.log
    assert ":pw@" not in result.log  # not in Scrapy's "Overridden settings" line either
    assert not (tmp_path / "output" / "_manifests").exists()


def test_without_redis_url_the_crawl_runs_alone(crawled: CrawlResult) -> None:
    manifest = crawled.manifest
    assert manifest["worker"] is None and manifest["crawl_id"] == manifest["run_id"]
    assert "Shared crawl" not in crawled.log
