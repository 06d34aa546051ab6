"""The archive on S3, end to end against a real S3-compatible server (moto's standalone
server on 127.0.0.1; no mock stands in for it): crawls, DuckDB and pyarrow reads, compaction,
the report, kill -9, two workers sharing Redis, locks, bad locations, and no credential in
any log line, manifest, error message or object."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsarchive import settings as project_settings
from newsarchive.archive_fs import (
    RedisArchiveLock,
    UnsupportedArchiveLocation,
    parse_location,
)
from newsarchive.commands.compact import compact_archive
from newsarchive.extensions.run import crawl_lock
from newsarchive.mirror.registry import build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.storage import ArchiveLockedError, list_partition_files, read_archive
from tests.conftest import FAST, REPO, CrawlResult, run_crawl
from tests.services import moto_server, redis_server
from tests.test_incremental import article_requests

ACCESS_KEY = "AKIANEWSARCHIVETEST1"
SECRET = "s3cret-Key/of+the-tests-4f9b2c7e"
"""The fake credentials: no log line, manifest, error or object may show the secret."""
COLUMNS = ["site", "date", "url", "article_id", "version", "content_hash", "title", "body"]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """moto's S3 server, and the environment that reaches it (also set in this process)."""
    with moto_server() as endpoint, pytest.MonkeyPatch.context() as patch:
        env = {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "NEWSARCHIVE_LOCK_DIR": str(tmp_path_factory.mktemp("locks")),
        }
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
        yield env


def make_bucket(name: str) -> None:
    import boto3

    boto3.client("s3").create_bucket(Bucket=name)


def objects(bucket: str) -> dict[str, bytes]:
    import boto3

    client = boto3.client("s3")
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def assert_no_credential(*texts: str, bucket: str | None = None) -> None:
    for text in texts:
        assert SECRET not in text
    if bucket is not None:
        for key, body in objects(bucket).items():
            assert SECRET.encode() not in body, key
            assert ACCESS_KEY.encode() not in body, key


def scrapy(*args: str, env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )


def s3_crawl(base_url: str, url: str, state: Path, env: dict[str, str], **settings: str) -> Any:
    result = run_crawl(
        base_url,
        Path(url),
        settings={"NEWSARCHIVE_OUTPUT": url, "NEWSARCHIVE_STATE": str(state), **settings},
        env=env,
    )
    assert not (REPO / "s3:").exists()
    return result


def rows(root: Any) -> list[dict[str, Any]]:
    table = read_archive(root).select(COLUMNS)
    return sorted(table.to_pylist(), key=lambda r: (r["url"], r["version"]))


def per_article(root: Any) -> Counter[str]:
    return Counter(f"{r['article_id']}@{r['version']}" for r in rows(root))


def readme_section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, title
    return match.group(1)


# --- end to end -------------------------------------------------------------------------------


def test_a_crawl_into_s3_is_the_local_crawl_and_compacts_and_reports(
    s3: dict[str, str], mirror: MirrorServer, crawled: CrawlResult, tmp_path: Path
) -> None:
    make_bucket("my-bucket")
    url = "s3://my-bucket/news"
    # one row per file: partitions of several files for the compaction below
    result = s3_crawl(
        mirror.base_url, url, tmp_path / "state.sqlite", s3, NEWSARCHIVE_PARQUET_MAX_ROWS="1"
    )
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log
    local, remote = rows(crawled.output), rows(url)
    expected = len(mirror.ground_truth()["articles"])
    assert len(remote) == expected and remote == local  # every article once, the same rows
    stored = objects("my-bucket")
    manifests = [json.loads(v) for k, v in stored.items() if k.startswith("news/_manifests/")]
    assert [m["status"] for m in manifests] == ["ok"]
    assert sorted(manifests[0]["files"]) == sorted(
        k.removeprefix("news/") for k in stored if k.endswith(".parquet")
    )
    assert stored["news/.schema_version"].strip().isdigit()
    several = [p for p, files in list_partition_files(url).items() if len(files) > 1]
    assert several  # the mirror has days with more than one article

    # the README's DuckDB (through s3fs) and pyarrow snippets, as they are
    namespace: dict[str, Any] = {}
    snippets = re.findall(r"```python\n(.*?)```", readme_section("The archive on S3"), re.S)
    assert len(snippets) == 2
    for snippet in snippets:
        exec(compile(snippet, "README.md", "exec"), namespace)
    [(site, count, articles)] = namespace["s3_counts"].fetchall()
    assert (site, count, articles) == ("moscowtimes", expected, expected)
    assert namespace["s3_table"].num_rows == expected

    # scrapy compact: every partition one file, every row once
    compacted = scrapy("compact", "-s", f"NEWSARCHIVE_OUTPUT={url}", env=s3)
    assert compacted.returncode == 0, compacted.stderr[-3000:]
    assert f"{len(several)} partition(s) compacted" in compacted.stdout
    assert all(len(f) == 1 for f in list_partition_files(url).values())
    assert rows(url) == local
    again = scrapy("compact", "--output", url, env=s3)
    assert again.returncode == 0 and "0 partition(s) compacted" in again.stdout

    # a plain rerun reads the compacted files back and archives nothing twice
    rerun = s3_crawl(mirror.base_url, url, tmp_path / "state.sqlite", s3)
    assert rerun.returncode == 0, rerun.log[-3000:]
    assert set(per_article(url).values()) == {1} and len(rows(url)) == expected

    # scrapy report reads the archive and the manifests on S3, and uploads the page there
    report = scrapy("report", "-s", f"NEWSARCHIVE_OUTPUT={url}", env=s3)
    assert report.returncode == 0, report.stderr[-3000:]
    assert f"{expected:,} articles" in report.stdout and "2 of 2 runs" in report.stdout
    assert report.stdout.strip().endswith("s3://my-bucket/news/_report.html")
    page = objects("my-bucket")["news/_report.html"].decode()
    assert "s3://my-bucket/news" in page and "<svg" in page

    for done in (result, rerun):
        assert_no_credential(done.log)
    for done in (compacted, again, report):
        assert_no_credential(done.stdout, done.stderr)
    assert_no_credential(bucket="my-bucket")


def test_duckdb_counts_every_article_once_with_hive_partitioning(
    s3: dict[str, str], mirror: MirrorServer, tmp_path: Path
) -> None:
    import duckdb
    import s3fs

    make_bucket("duck")
    result = s3_crawl(mirror.base_url, "s3://duck/a/b", tmp_path / "state.sqlite", s3)
    assert result.returncode == 0, result.log[-3000:]
    con = duckdb.connect()
    con.register_filesystem(s3fs.S3FileSystem(endpoint_url=s3["AWS_ENDPOINT_URL"]))
    [(total, distinct, days, sites)] = con.sql("""
        SELECT count(*), count(DISTINCT (site, article_id, version)), count(DISTINCT date),
               list(DISTINCT site)
        FROM read_parquet('s3://duck/a/b/**/*.parquet', hive_partitioning = true)
    """).fetchall()
    truth = mirror.ground_truth()["articles"]
    assert total == distinct == len(truth)
    assert sites == ["moscowtimes"]
    assert days == len({p.date for p in list_partition_files("s3://duck/a/b")})


def test_kill_9_mid_crawl_then_a_plain_run_archives_every_article_once(
    s3: dict[str, str], tmp_path: Path
) -> None:
    make_bucket("killed")
    url = "s3://killed/news"
    state = tmp_path / "state.sqlite"
    extensions = {**project_settings.EXTENSIONS, "tests.kill_switch.KillSwitch": 0}
    with MirrorServer(build_site(articles=60, seed=77)) as server:
        killed = s3_crawl(
            server.base_url,
            url,
            state,
            s3,
            EXTENSIONS=json.dumps(extensions),
            NEWSARCHIVE_TEST_KILL_AT="file:3",
            NEWSARCHIVE_PARQUET_MAX_ROWS="1",
        )
        assert killed.returncode == -signal.SIGKILL, killed.log[-3000:]
        assert len(list_partition_files(url)) >= 3  # uploaded, not recorded in the state
        rerun = s3_crawl(server.base_url, url, state, s3)
        assert rerun.returncode == 0, rerun.log[-3000:]
        assert "read back" in rerun.log  # the killed run's files, from S3
        counts = per_article(url)
        assert set(counts.values()) == {1}
        assert {k.split("@")[0] for k in counts} == {
            str(a.id) for a in server.site.articles.values()
        }


def test_two_workers_sharing_redis_archive_a_mirror_to_s3_completely(
    s3: dict[str, str], tmp_path: Path
) -> None:
    make_bucket("shared")
    url = "s3://shared/news"
    with redis_server(password="redis-pw-s3") as redis_url:
        settings = {
            **FAST,
            "NEWSARCHIVE_OUTPUT": url,
            "REDIS_URL": redis_url,
            "NEWSARCHIVE_STATE": redis_url.replace("/0", "/1"),
        }
        with MirrorServer(build_site(articles=200, seed=31), latency=0.03) as server:

            def worker() -> subprocess.Popen[str]:
                command = [sys.executable, "-m", "scrapy", "crawl", "moscowtimes"]
                command += ["-a", f"base_url={server.base_url}"]
                for name, value in settings.items():
                    command += ["-s", f"{name}={value}"]
                return subprocess.Popen(
                    command,
                    cwd=REPO,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    env={**os.environ, **s3},
                )

            first = worker()
            time.sleep(0.5)
            second = worker()
            logs = [p.communicate(timeout=300)[0] for p in (first, second)]
            for process, log in zip((first, second), logs, strict=True):
                assert process.returncode == 0, log[-3000:]
                assert_no_credential(log)
                assert "redis-pw-s3" not in log
            counts = per_article(url)
            assert set(counts.values()) == {1}  # no row twice
            servable = {str(a.id) for a in server.site.articles.values()}
            assert {k.split("@")[0] for k in counts} == servable
            manifests = [
                json.loads(body)
                for key, body in objects("shared").items()
                if key.startswith("news/_manifests/")
            ]
            assert len(manifests) == 2 and len({m["crawl_id"] for m in manifests}) == 1
            assert all(m["rows_written"] > 0 for m in manifests)
            assert sum(m["rows_written"] for m in manifests) == len(servable)

            # a second round is incremental: the new articles and the revisit window only
            changed = server.advance(new_articles=8, updated_articles=3, hours=2)
            server.clear_requests()
            again = [worker(), worker()]
            for process in again:
                log = process.communicate(timeout=300)[0]
                assert process.returncode == 0, log[-3000:]
            counts = per_article(url)
            assert set(counts.values()) == {1}
            servable = {str(a.id) for a in server.site.articles.values()}
            assert {k.split("@")[0] for k in counts} == servable
            assert {str(i) for i in changed["updated"]} <= {
                k.split("@")[0] for k in counts if not k.endswith("@1")
            }
            assert len(article_requests(server)) < 60  # not the 200 earlier articles again
    assert_no_credential(bucket="shared")


# --- locks ------------------------------------------------------------------------------------


def test_a_second_crawl_of_one_s3_archive_on_one_machine_stops_at_once(
    s3: dict[str, str], tmp_path: Path
) -> None:
    make_bucket("locked")
    with crawl_lock("s3://locked/news"):
        result = run_crawl(
            "http://127.0.0.1:9",
            tmp_path / "unused",
            settings={
                "NEWSARCHIVE_OUTPUT": "s3://locked/news",
                "NEWSARCHIVE_STATE": str(tmp_path / "state.sqlite"),
            },
            env=s3,
        )
    assert result.returncode == 75, result.log[-2000:]
    assert "locked" in result.log and "Traceback" not in result.log
    assert objects("locked") == {}


def test_compaction_waits_for_crawls_holding_the_redis_lock(
    s3: dict[str, str], tmp_path: Path
) -> None:
    make_bucket("rlock")
    location = parse_location("s3://rlock/news")
    with redis_server() as redis_url:
        crawl_elsewhere = RedisArchiveLock(redis_url, location, shared=True, ttl=2)
        with crawl_elsewhere:
            with pytest.raises(ArchiveLockedError, match="locked in Redis"):
                compact_archive(location, redis_url=redis_url)
            time.sleep(2.5)  # the heartbeat keeps it held past its TTL
            with pytest.raises(ArchiveLockedError):
                compact_archive(location, redis_url=redis_url)
        assert compact_archive(location, redis_url=redis_url) == []
        compaction = RedisArchiveLock(redis_url, location)
        # and a crawl does not get in while a compaction runs
        with compaction, pytest.raises(ArchiveLockedError, match="a compaction"):
            RedisArchiveLock(redis_url, location, shared=True).acquire()
        # a holder that dies without releasing drops out after its TTL
        dead = RedisArchiveLock(redis_url, location, shared=True, ttl=1)
        dead.acquire()
        dead._stop.set()  # its heartbeat stops, as if the process had been killed
        time.sleep(1.5)
        assert compact_archive(location, redis_url=redis_url) == []


def test_a_compaction_killed_between_upload_and_deletes_loses_and_doubles_nothing(
    s3: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsarchive.archive_fs import ArchiveLocation
    from newsarchive.schema import FILE_SCHEMA
    from tests.test_compact import row

    make_bucket("crash")
    location = parse_location("s3://crash/news")
    directory = location.path("site=a/date=2026-02-24")
    for n in range(3):  # three files, one row each, and one row twice
        table = pa.Table.from_pylist([row(n), row(0)] if n == 2 else [row(n)], schema=FILE_SCHEMA)
        location.write_table(table, f"{directory}/part-run{n}-00000.parquet")
    deleted: list[str] = []
    real_delete = ArchiveLocation.delete

    def crash_after_one(self: ArchiveLocation, path: str) -> None:
        if deleted:
            raise KeyboardInterrupt("killed")
        real_delete(self, path)
        deleted.append(path)

    monkeypatch.setattr(ArchiveLocation, "delete", crash_after_one)
    with pytest.raises(KeyboardInterrupt):
        compact_archive("s3://crash/news")
    [files] = list_partition_files("s3://crash/news").values()
    assert len(files) == 3  # the merged file and two old ones: rows doubled, none lost
    monkeypatch.setattr(ArchiveLocation, "delete", real_delete)
    [report] = compact_archive("s3://crash/news")
    assert (report.files_before, report.files_after, report.rows_after) == (3, 1, 3)
    [files] = list_partition_files("s3://crash/news").values()
    table = pq.read_table(files[0], filesystem=location.fs)
    assert sorted(table["url"].to_pylist()) == sorted(row(n)["url"] for n in range(3))


# --- locations that cannot be used ----------------------------------------------------------


def crawl_in(cwd: Path, env: dict[str, str], **settings: str) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl`` started in ``cwd`` (the project found through its settings module),
    so that a folder it wrongly makes shows up there."""
    args = ["crawl", "moscowtimes", "-a", "base_url=http://127.0.0.1:9"]
    for name, value in settings.items():
        args += ["-s", f"{name}={value}"]
    env = {**env, "SCRAPY_SETTINGS_MODULE": "newsarchive.settings", "PYTHONPATH": str(REPO)}
    return scrapy(*args, env=env, cwd=cwd)


@pytest.mark.parametrize("output", ["gs://x", "ftp://x", "hdfs://x", "azure://c/p"])
def test_an_unsupported_scheme_is_one_line_and_makes_nothing(
    output: str, s3: dict[str, str], tmp_path: Path
) -> None:
    done = crawl_in(tmp_path, s3, NEWSARCHIVE_OUTPUT=output)
    assert done.returncode == 2, done.stderr[-2000:]
    [line] = [line for line in done.stderr.splitlines() if line.startswith("newsarchive:")]
    assert line == (
        f"newsarchive: not crawling: NEWSARCHIVE_OUTPUT={output!r} is not an archive this "
        "release can write: give a local path or s3://bucket/prefix"
    )
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no gs: folder, no state, no lock
    for command in (["compact", "--output", output], ["report", "--archive", output]):
        other = scrapy(*command, env={**s3, "PYTHONPATH": str(REPO)}, cwd=REPO)
        assert other.returncode == 2 and "is not an archive" in other.stderr, other.stderr
        assert not (REPO / output.split("/")[0]).exists()


def test_an_s3_archive_needs_a_state_and_credentials_stay_out_of_urls(
    s3: dict[str, str], tmp_path: Path
) -> None:
    done = crawl_in(tmp_path, s3, NEWSARCHIVE_OUTPUT="s3://bucket/news")
    assert done.returncode == 2
    [line] = [line for line in done.stderr.splitlines() if line.startswith("newsarchive:")]
    assert "NEWSARCHIVE_STATE" in line and "s3://bucket/news" in line
    done = crawl_in(
        tmp_path,
        s3,
        NEWSARCHIVE_OUTPUT=f"s3://{ACCESS_KEY}:{SECRET}@bucket/news",
        NEWSARCHIVE_STATE=str(tmp_path / "state.sqlite"),
    )
    assert done.returncode == 2
    assert "no credentials in the URL" in done.stderr
    assert_no_credential(done.stdout, done.stderr)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UnsupportedArchiveLocation):
        parse_location("s3://bucket/news?endpoint_override=x")


def test_an_unreachable_endpoint_or_missing_bucket_is_one_line(
    s3: dict[str, str], tmp_path: Path
) -> None:
    state = {"NEWSARCHIVE_STATE": str(tmp_path / "state.sqlite")}
    done = crawl_in(
        tmp_path,
        {**s3, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
        NEWSARCHIVE_OUTPUT="s3://bkt/n",
        **state,
    )
    assert done.returncode == 69, done.stderr[-2000:]
    [line] = [line for line in done.stderr.splitlines() if line.startswith("newsarchive:")]
    assert line.startswith(
        "newsarchive: not crawling: NEWSARCHIVE_OUTPUT='s3://bkt/n' cannot be used"
    )
    missing = crawl_in(tmp_path, s3, NEWSARCHIVE_OUTPUT="s3://no-such-bucket/n", **state)
    assert missing.returncode == 73 and "no such bucket" in missing.stderr
    for text in (done.stderr, missing.stderr):
        assert_no_credential(text)
        assert "Traceback" not in text
    assert list(tmp_path.iterdir()) == []


def test_failed_uploads_keep_the_state_behind_and_the_next_run_archives_each_once(
    s3: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every upload fails (the store refuses): the rows are retried at close, then kept in
    ``_rejected`` and queued for retry; the state records none of them. The next run, with
    uploads working, archives each article once."""
    from newsarchive.archive_fs import ArchiveLocation
    from tests.test_bounded_flush import Crawl
    from tests.test_parquet_writer import article

    make_bucket("failing")
    url: Any = "s3://failing/news"  # Crawl takes it as it takes a folder
    state = str(tmp_path / "state.sqlite")
    real_write = ArchiveLocation.write_table
    attempts: list[str] = []

    def refuse(self: ArchiveLocation, table: pa.Table, path: str, compression: str = "") -> None:
        attempts.append(path)
        raise OSError("AWS Error SLOW_DOWN during PutObject operation: please reduce your rate")

    monkeypatch.setattr(ArchiveLocation, "write_table", refuse)
    crawl = Crawl(url, NEWSARCHIVE_STATE=state, NEWSARCHIVE_PARQUET_MAX_ROWS=2)
    for n in range(6):
        crawl.scrape(article(n))
    crawl.close()
    assert attempts and list_partition_files(url) == {}
    stored = objects("failing")
    rejected = [k for k in stored if k.startswith("news/_rejected/site=moscowtimes/")]
    assert rejected and sum(stored[k].count(b"\n") for k in rejected) == 6
    assert b'"reason": "write_error"' in stored[rejected[0]]

    monkeypatch.setattr(ArchiveLocation, "write_table", real_write)
    again = Crawl(url, NEWSARCHIVE_STATE=state, NEWSARCHIVE_RUN_ID="20260301T100000Z-c0c0c0")
    assert again.state.count() == 0  # the failed run recorded no article
    assert {q.article_id for q in again.state.queued("moscowtimes")} == {str(n) for n in range(6)}
    for n in range(6):
        again.scrape(article(n))
    again.close()
    counts = per_article(url)
    assert counts == Counter({f"{n}@1": 1 for n in range(6)})
