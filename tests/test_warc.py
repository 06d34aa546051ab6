"""WARC capture (issue 13, section 1): every response a crawl receives is kept as WARC 1.1
records that warcio reads back with the right digests and headers; every Parquet row names
its record; files appear whole, are salvaged after a kill, and are in place before any row
that names them is committed."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from newsarchive import warc
from newsarchive.archive_fs import parse_location
from newsarchive.extensions.run import ArchiveRun
from newsarchive.middlewares.warc import WARC_META, WarcCaptureMiddleware, warc_root
from newsarchive.mirror import build_site
from newsarchive.mirror.faults import FaultPlan, Scenario
from newsarchive.mirror.server import MirrorServer
from newsarchive.spiders.base import FETCHED_AT_META
from newsarchive.storage import archive_files, read_archive
from newsarchive.warc import (
    REVISIT_NOT_MODIFIED,
    Exchange,
    RecordEncoder,
    WarcFiles,
    complete_members,
    open_name,
    parse_warc_date,
)
from tests.conftest import CrawlResult, run_crawl
from tests.test_completeness import kill_settings
from tests.test_s3 import s3  # noqa: F401 (the fixture: moto's S3 server and its environment)

CAPTURE = {"NEWSARCHIVE_WARC": "1"}
LIMITS = ("sections=news", "max_pages=1")


@dataclass(frozen=True)
class ChosenFaults(FaultPlan):
    """Faults on the paths named, and nowhere else (a random plan's draws depend on the
    URLs, which move with the day the mirror is built on)."""

    chosen: tuple[tuple[str, Scenario], ...] = ()

    def scenario(self, path: str) -> Scenario | None:
        return dict(self.chosen).get(path)


def faults_for(site: Any) -> ChosenFaults:
    """The two newest news articles (on the first listing page): one answers 503 twice, one
    redirects off the site once (then both are served): a crawl that retries gets every
    page, and the WARC keeps the error answers and the hop."""
    news = sorted(
        (a for a in site.articles.values() if a.section == "news"),
        key=lambda a: a.published,
        reverse=True,
    )
    return ChosenFaults(
        chosen=(
            (news[0].path, Scenario("http503", 2)),
            (news[1].path, Scenario("redirect_offsite", 1)),
        )
    )


SITE_SEED = 7
DEAD_RUN = "20260301T090000Z-dead00"
WHEN = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@dataclass
class Record:
    file: Path
    offset: int
    type: str
    headers: dict[str, str]
    status: int | None
    http_headers: dict[str, str]
    payload: bytes
    digest_passed: bool | None

    @property
    def url(self) -> str:
        return self.headers.get("WARC-Target-URI", "")

    @property
    def id(self) -> str:
        return self.headers["WARC-Record-ID"]


def read_records(path: Path) -> list[Record]:
    """Every record of a WARC file, its block read to the end so that warcio checks its
    digests (``check_digests="raise"``: a wrong one raises)."""
    records = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh, check_digests="raise")
        for record in iterator:
            payload = record.raw_stream.read()
            http = record.http_headers
            records.append(
                Record(
                    file=path,
                    offset=iterator.get_record_offset(),
                    type=record.rec_type,
                    headers=dict(record.rec_headers.headers),
                    status=int(http.get_statuscode()) if http and record.rec_type != "request"
                    else None,
                    http_headers={k.lower(): v for k, v in http.headers} if http else {},
                    payload=payload,
                    digest_passed=record.digest_checker.passed,
                )
            )  # fmt: skip
    return records


def record_at(path: Path, offset: int) -> Record:
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return Record(
            path,
            offset,
            record.rec_type,
            dict(record.rec_headers.headers),
            int(record.http_headers.get_statuscode()) if record.http_headers else None,
            {},
            record.raw_stream.read(),
            None,
        )


def warc_files(root: Path) -> list[Path]:
    return sorted(root.glob("_warc/site=*/date=*/*.warc.gz"))


def logged_stat(log: str, name: str) -> int:
    """A count from the stats Scrapy logs at the end of a crawl."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    assert found, name
    return int(found.group(1))


def site_answers(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the mirror answered (every GET of the site; no admin endpoint)."""
    return [e for e in log if e["method"] == "GET" and not e["path"].startswith("/__mirror__")]


def dead_run_file(directory: Path, name: str, responses: int, cut: bool) -> bytes:
    """An open WARC file as a killed run leaves it: ``responses`` whole exchanges, then
    (``cut``) the first half of one more response record."""
    encoder = RecordEncoder()
    data = encoder.warcinfo(name, {"software": "test"})
    for n in range(responses + cut):
        members = encoder.exchange(
            Exchange(f"http://example.org/{n}", 200, b"<p>page</p>" * 50, WHEN, metadata={})
        )
        data += b"".join(members) if n < responses else members[0][: len(members[0]) // 2]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / open_name(name)).write_bytes(data)
    return data


@dataclass
class Captured:
    output: Path
    first: CrawlResult
    second: CrawlResult
    first_log: list[dict[str, Any]]
    second_log: list[dict[str, Any]]
    first_manifest: dict[str, Any]
    second_manifest: dict[str, Any]
    first_pages: dict[str, Any]
    """The pages the mirror served in the first run, as it served them."""
    changes: dict[str, Any]
    first_files: list[Path]
    stale: Path
    fresh: Path
    fresh_bytes: bytes
    records: dict[Path, list[Record]] = field(default_factory=dict)

    def crawl_files(self) -> list[Path]:
        """The files the two runs wrote (not the one salvaged from the "dead" run)."""
        return [f for f in warc_files(self.output) if DEAD_RUN not in f.name]

    def all_records(self, files: list[Path] | None = None) -> list[Record]:
        return [r for f in (files or self.crawl_files()) for r in self.records_of(f)]

    def records_of(self, path: Path) -> list[Record]:
        if path not in self.records:
            self.records[path] = read_records(path)
        return self.records[path]


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Captured:
    """Two runs with capture on, of a mirror that answers 503s and an off-site redirect:
    the first with two open files a killed run left (one an hour old, one fresh); the second
    after the site moved on (conditional revisits: 304s)."""
    output = tmp_path_factory.mktemp("warc") / "output"
    dead = output / "_warc" / "site=moscowtimes" / "date=2026-03-01"
    name = f"newsarchive-{DEAD_RUN}-{{:05d}}.warc.gz"
    dead_run_file(dead, name.format(0), responses=3, cut=True)
    fresh_bytes = dead_run_file(dead, name.format(1), responses=2, cut=True)
    stale = dead / open_name(name.format(0))
    hour_ago = time.time() - 2 * 3600
    os.utime(stale, (hour_ago, hour_ago))
    site = build_site(articles=60, seed=SITE_SEED)
    site.advance(new_articles=12, updated_articles=0, hours=12)  # recent articles, to revisit
    with MirrorServer(site, faults=faults_for(site)) as server:
        first = run_crawl(server.base_url, output, *LIMITS, settings=CAPTURE)
        first_log = site_answers(server.requests)
        first_manifest = first.manifest
        first_pages = {urlsplit(e["path"]).path: server.page(e["path"]) for e in first_log}
        first_files = [f for f in warc_files(output) if DEAD_RUN not in f.name]
        server.clear_requests()
        server.reset_attempts()
        changes = server.advance(new_articles=3, updated_articles=2, hours=1)
        second = run_crawl(server.base_url, output, *LIMITS, settings=CAPTURE)
        second_log = site_answers(server.requests)
    return Captured(
        output,
        first,
        second,
        first_log,
        second_log,
        first_manifest,
        second.manifest,
        first_pages,
        changes,
        first_files,
        stale,
        dead / open_name(name.format(1)),
        fresh_bytes,
    )


def test_both_runs_succeed(captured: Captured) -> None:
    assert captured.first.returncode == 0, captured.first.log[-4000:]
    assert captured.second.returncode == 0, captured.second.log[-4000:]
    for result, manifest in (
        (captured.first, captured.first_manifest),
        (captured.second, captured.second_manifest),
    ):
        assert manifest["status"] == "ok"
        assert "newsarchive/warc/write_error" not in result.log


def test_every_record_reads_back_with_its_digests_and_its_request_and_metadata(
    captured: Captured,
) -> None:
    files = captured.crawl_files()
    assert files
    responses = 0
    for path in files:
        records = captured.records_of(path)
        assert records[0].type == "warcinfo"
        assert "newsarchive/" in records[0].payload.decode()
        assert (
            path.name.startswith("newsarchive-") and path.parent.parent.name == "site=moscowtimes"
        )
        by_id = {r.id: r for r in records}
        concurrent = Counter(
            (r.headers["WARC-Concurrent-To"], r.type) for r in records if r.type != "warcinfo"
            and "WARC-Concurrent-To" in r.headers
        )  # fmt: skip
        for record in records:
            assert record.headers["WARC-Type"] == record.type
            assert record.headers["WARC-Date"].endswith("Z")
            assert len(record.headers["WARC-Date"].split(".")[1]) == 7  # microseconds + Z
            if record.type in ("response", "request", "metadata", "warcinfo"):
                assert record.digest_passed is True, record.headers
            if record.type not in ("response", "revisit"):
                continue
            responses += 1
            assert concurrent[(record.id, "request")] == 1
            assert concurrent[(record.id, "metadata")] == 1
            day = parse_warc_date(record.headers["WARC-Date"]).date().isoformat()
            assert path.parent.name == f"date={day}"
        for record in records:
            if record.type in ("request", "metadata"):
                response = by_id[record.headers["WARC-Concurrent-To"]]
                assert record.url == response.url
                assert record.headers["WARC-Date"] == response.headers["WARC-Date"]
            if record.type == "metadata":
                assert record.headers["Content-Type"] == "application/json"
                context = json.loads(record.payload)
                assert "kind" in context
            if record.type == "request":
                assert record.payload == b""
    assert responses > 20


def test_records_keep_the_headers_and_bodies_as_served(captured: Captured) -> None:
    checked = 0
    for record in captured.all_records(captured.first_files):
        if record.type != "response":
            continue
        path = urlsplit(record.url).path
        if path == "/robots.txt":
            assert record.http_headers["content-type"] == "text/plain; charset=utf-8"
            assert record.payload == captured.first_pages[path].body
        if record.status == 200 and "-a" in path:
            page = captured.first_pages[path]
            assert record.http_headers["content-type"] == page.content_type
            assert record.http_headers["etag"] == page.headers["ETag"]
            assert record.payload == page.body
            checked += 1
        if record.status == 503:
            assert "retry-after" in record.http_headers or record.payload
        if record.status == 302:
            assert record.http_headers["location"].startswith("http://evil.invalid/")
    assert checked > 10
    requests = [r for r in captured.all_records(captured.first_files) if r.type == "request"]
    for record in requests:
        with open(record.file, "rb") as fh:
            fh.seek(record.offset)
            http = next(iter(ArchiveIterator(fh))).http_headers
        assert http.protocol == "GET" and http.statusline.endswith(" HTTP/1.1")
        headers = dict(http.headers)
        assert headers["Host"] == urlsplit(record.url).netloc
        assert headers["User-Agent"].startswith("newsarchive/")


def test_one_response_record_for_each_response_the_crawl_received(captured: Captured) -> None:
    first_files = set(captured.first_files)
    second_files = set(captured.crawl_files()) - first_files
    for manifest, log, files in (
        (captured.first_manifest, captured.first_log, first_files),
        (captured.second_manifest, captured.second_log, second_files),
    ):
        records = [
            r for f in sorted(files) for r in captured.records_of(f) if r.type in ("response", "revisit")
        ]  # fmt: skip
        by_status = Counter(str(r.status) for r in records)
        assert by_status == Counter(manifest["responses_by_status"])
        assert by_status == Counter(str(e["status"]) for e in log)
        assert sorted(urlsplit(r.url).path for r in records) == sorted(
            urlsplit(e["path"]).path for e in log
        )
    first = [r for f in sorted(first_files) for r in captured.records_of(f) if r.type == "response"]
    paths = {urlsplit(r.url).path for r in first}
    assert "/robots.txt" in paths and "/news" in paths
    statuses = Counter(r.status for r in first)
    assert statuses[503] >= 2 and statuses[302] >= 1  # the error answers and the hop
    kinds = Counter(
        json.loads(r.payload).get("kind")
        for r in captured.all_records(sorted(first_files))
        if r.type == "metadata"
    )
    assert kinds["listing"] == 1 and kinds["article"] > 15 and kinds[None] == 1  # robots.txt


def test_the_incremental_run_writes_revisits_for_its_304s(captured: Captured) -> None:
    second_files = sorted(set(captured.crawl_files()) - set(captured.first_files))
    revisits = [r for f in second_files for r in captured.records_of(f) if r.type == "revisit"]
    not_modified = captured.second_manifest["responses_by_status"].get("304", 0)
    assert not_modified > 0
    assert len(revisits) == not_modified
    for record in revisits:
        assert record.status == 304
        assert record.headers["WARC-Profile"] == REVISIT_NOT_MODIFIED
        assert "WARC-Payload-Digest" not in record.headers and record.payload == b""
    assert not [
        r for r in captured.all_records() if r.type == "revisit" and r.file not in second_files
    ]


def test_every_row_names_its_response_record_fetched_at_its_crawled_at(
    captured: Captured,
) -> None:
    rows = read_archive(captured.output).to_pylist()
    updated = {str(r["article_id"]) for r in rows if r["version"] == 2}
    assert updated and updated <= {str(i) for i in captured.changes["updated"]}
    for row in rows:
        assert row["warc_file"].startswith("_warc/site=moscowtimes/date=")
        record = record_at(captured.output / row["warc_file"], row["warc_offset"])
        assert record.type == "response" and record.status == 200
        assert record.url == row["url"]
        assert parse_warc_date(record.headers["WARC-Date"]) == row["crawled_at"]


def test_warcio_index_lists_every_archived_article(captured: Captured) -> None:
    warcio = Path(sys.executable).with_name("warcio")
    files = [str(p) for p in captured.crawl_files()]
    done = subprocess.run(
        [str(warcio), "index", "-f", "warc-type,warc-target-uri,http:status,offset", *files],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    indexed = [json.loads(line) for line in done.stdout.splitlines()]
    responses = {e["warc-target-uri"] for e in indexed if e.get("warc-type") == "response"}
    urls = set(read_archive(captured.output).column("url").to_pylist())
    assert urls and urls <= responses
    assert sum(e.get("warc-type") == "response" for e in indexed) == sum(
        r.type == "response" for r in captured.all_records()
    )


def test_no_open_file_remains_and_a_dead_runs_file_is_salvaged(captured: Captured) -> None:
    left = sorted(captured.output.rglob("*.open"))
    assert left == [captured.fresh]  # a fresh one may be a live worker's: left alone
    assert captured.fresh.read_bytes() == captured.fresh_bytes
    assert not captured.stale.exists()
    salvaged = captured.stale.with_name(captured.stale.name[1 : -len(".open")])
    records = read_records(salvaged)
    assert [r.type for r in records] == ["warcinfo", *["response", "request", "metadata"] * 3]
    assert "Salvaged 1 WARC file(s)" in captured.first.log
    assert "1 WARC file(s)" not in captured.second.log


def test_the_archive_readers_leave_the_warc_files_alone(captured: Captured, tmp_path: Path) -> None:
    from newsarchive.commands.compact import compact_archive
    from newsarchive.report import gather

    rows = read_archive(captured.output).num_rows
    assert rows > 0
    assert all(f.path.suffix == ".parquet" for _, f in archive_files(captured.output))
    glob = f"{captured.output}/**/*.parquet"
    query = f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true)"
    assert duckdb.connect().sql(query).fetchall()[0][0] == rows
    import pyarrow.dataset as ds

    assert ds.dataset(captured.output, format="parquet", partitioning="hive").count_rows() == rows
    assert gather(captured.output).rows == rows
    copy = tmp_path / "copy"
    shutil.copytree(captured.output, copy)
    before = {p: p.read_bytes() for p in (copy / "_warc").rglob("*") if p.is_file()}
    compact_archive(copy)
    assert read_archive(copy).num_rows == rows
    assert {p: p.read_bytes() for p in (copy / "_warc").rglob("*") if p.is_file()} == before


def test_rows_of_a_bounded_flush_name_files_already_in_place(tmp_path: Path) -> None:
    """Killed (``kill -9`` from inside) right after the first file of a bounded flush is
    renamed into place: every row committed by then names a WARC file that is in place and
    holds its response."""
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=60, seed=SITE_SEED)) as server:
        result = run_crawl(
            server.base_url,
            output,
            *LIMITS,
            settings={
                **CAPTURE,
                **kill_settings("file:1", "20260301T000000Z-warc01"),
                "NEWSARCHIVE_PARQUET_MAX_BUFFERED_ROWS": "4",
            },
        )
    assert result.returncode == -9, result.log[-3000:]
    assert "Kill switch: SIGKILL at file 1" in result.log
    rows = read_archive(output).to_pylist()
    assert 0 < len(rows) < 19  # a bounded flush's, mid-run
    for row in rows:
        assert row["warc_file"], row["url"]
        record = record_at(output / row["warc_file"], row["warc_offset"])
        assert record.url == row["url"] and record.type == "response"


# --- without a crawler --------------------------------------------------------------------------


def exchange(status: int = 200, **kwargs: Any) -> Exchange:
    return Exchange(
        kwargs.pop("url", "http://example.org/a?b=1"),
        status,
        kwargs.pop("body", b"<html>page</html>"),
        kwargs.pop("fetched_at", WHEN),
        **kwargs,
    )


def parse_members(data: bytes) -> list[Record]:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"members-{os.getpid()}.warc.gz"
    path.write_bytes(data)
    try:
        return read_records(path)
    finally:
        path.unlink()


def test_a_content_encoded_answer_is_kept_encoded_with_its_header() -> None:
    import gzip

    body = gzip.compress(b"<html>" + b"x" * 5000 + b"</html>")
    request = Request("http://example.org/a?b=1", headers={"Accept-Encoding": "gzip"})
    response = Response(
        request.url,
        body=body,  # what the downloader hands over: de-chunked, still gzipped
        headers={
            "Content-Type": "text/html",
            "Content-Encoding": "gzip",
            "Transfer-Encoding": "chunked",
        },
        request=request,
    )
    found = warc.exchange_of(request, response, WHEN, {"kind": "article"})
    members = RecordEncoder().exchange(found)
    response_record, request_record, _ = parse_members(b"".join(members))
    assert response_record.payload == body  # as it came over the wire
    assert response_record.http_headers["content-encoding"] == "gzip"
    assert "transfer-encoding" not in response_record.http_headers  # the body is not chunked
    assert response_record.http_headers["x-archive-orig-transfer-encoding"] == "chunked"
    assert response_record.headers["WARC-Date"] == "2026-03-01T09:30:15.123456Z"
    assert request_record.headers["WARC-Concurrent-To"] == response_record.id
    with open_member(b"".join(members)) as record:
        assert record.content_stream().read() == gzip.decompress(body)  # readers decode it


class open_member:
    """The first record of some gzip members, for a ``with`` block."""

    def __init__(self, data: bytes) -> None:
        self.fh = io.BytesIO(data)

    def __enter__(self) -> Any:
        return next(iter(ArchiveIterator(self.fh)))

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


def test_a_304_is_a_revisit_and_redirects_and_errors_are_responses() -> None:
    encoder = RecordEncoder()
    revisit, request, metadata = parse_members(
        b"".join(encoder.exchange(exchange(304, body=b"", metadata={"kind": "article"})))
    )
    assert revisit.type == "revisit" and revisit.status == 304
    assert revisit.headers["WARC-Profile"] == REVISIT_NOT_MODIFIED
    assert json.loads(metadata.payload) == {"kind": "article"}
    assert (
        metadata.headers["WARC-Concurrent-To"]
        == revisit.id
        == request.headers["WARC-Concurrent-To"]
    )
    for status in (301, 404, 503, 599):
        response, _ = parse_members(b"".join(encoder.exchange(exchange(status))))
        assert response.type == "response" and response.status == status
        assert response.digest_passed is True


def test_scrapy_request_and_response_as_an_exchange() -> None:
    request = Request(
        "http://user:pw@example.org:8080/p?q=1",
        method="POST",
        body=b"a=1",
        headers={"User-Agent": "ua", "If-None-Match": '"x"'},
    )
    response = Response(
        request.url,
        status=200,
        body=b"ok",
        headers={"Set-Cookie": ["a=1", "b=2"], "Content-Type": "text/plain"},
        protocol="HTTP/1.0",
        request=request,
    )
    found = warc.exchange_of(request, response, WHEN, {"kind": None})
    assert found.request_headers[0] == ("Host", "example.org:8080")
    assert ("If-None-Match", '"x"') in found.request_headers
    assert [v for k, v in found.response_headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    _, request_record, _ = parse_members(b"".join(RecordEncoder().exchange(found)))
    assert request_record.payload == b"a=1"
    with open_member(b"".join(RecordEncoder().exchange(found))) as record:
        assert record.http_headers.protocol == "HTTP/1.0"


def local_files(root: Path, **kwargs: Any) -> WarcFiles:
    return WarcFiles(
        parse_location(root / "_warc"), run_id="20260301T093015Z-abcdef", ref_prefix="_warc",
        **kwargs,
    )  # fmt: skip


def test_files_rotate_by_size_and_by_day_and_appear_only_when_closed(tmp_path: Path) -> None:
    files = local_files(tmp_path, max_bytes=3000)
    body = os.urandom(1200)  # incompressible: each exchange is about 1.6 kB
    pointers = [
        files.write("moscowtimes", exchange(body=body, url=f"http://e.org/{n}")) for n in range(3)
    ]
    # Each exchange fits alone under the limit: the first two files were closed and put in
    # place when the next one would have outgrown them; the last is still open, out of sight.
    in_place = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.warc.gz"))
    assert in_place == sorted(files.published) == sorted(ref for ref, _ in pointers[:2])
    assert [p.name for p in tmp_path.rglob("*.open")] == [
        "." + pointers[2][0].rsplit("/", 1)[1] + ".open"
    ]
    next_day = files.write("moscowtimes", exchange(fetched_at=WHEN + timedelta(days=1)))
    assert files.publish_all() == []
    assert not list(tmp_path.rglob("*.open"))
    assert len({ref for ref, _ in pointers}) == 3
    assert next_day[0].startswith("_warc/site=moscowtimes/date=2026-03-02/")
    for n, (ref, offset) in enumerate(pointers):
        assert ref.startswith("_warc/site=moscowtimes/date=2026-03-01/newsarchive-20260301T")
        record = record_at(tmp_path / ref, offset)
        assert record.url == f"http://e.org/{n}" and record.payload == body
    for path in tmp_path.rglob("*.warc.gz"):
        assert path.stat().st_size <= 3000 + 1700
        assert read_records(path)[0].type == "warcinfo"


def test_salvage_keeps_complete_records_and_leaves_fresh_files(tmp_path: Path) -> None:
    directory = tmp_path / "_warc" / "site=moscowtimes" / "date=2026-03-01"
    stale = dead_run_file(directory, "newsarchive-old-00000.warc.gz", responses=2, cut=True)
    dead_run_file(directory, "newsarchive-old-00001.warc.gz", responses=0, cut=True)
    (directory / open_name("newsarchive-old-00001.warc.gz")).write_bytes(b"\x1f\x8b\x08")
    fresh = dead_run_file(directory, "newsarchive-new-00000.warc.gz", responses=1, cut=False)
    old = time.time() - 7200
    for name in ("newsarchive-old-00000.warc.gz", "newsarchive-old-00001.warc.gz"):
        os.utime(directory / open_name(name), (old, old))
    length, members = complete_members(io.BytesIO(stale))
    assert members == 1 + 2 * 3 and length < len(stale)
    done = local_files(tmp_path).salvage(3600)
    assert [(s.records, s.published) for s in done] == [(7, True), (0, False)]
    assert (directory / "newsarchive-old-00000.warc.gz").read_bytes() == stale[:length]
    assert len(read_records(directory / "newsarchive-old-00000.warc.gz")) == 7
    assert not (directory / open_name("newsarchive-old-00001.warc.gz")).exists()
    assert (directory / open_name("newsarchive-new-00000.warc.gz")).read_bytes() == fresh


def test_the_root_setting() -> None:
    from scrapy.settings import Settings

    settings = Settings({"NEWSARCHIVE_OUTPUT": "/srv/archive"})
    assert warc_root(False, settings) is None and warc_root("0", settings) is None
    location, prefix = warc_root("1", settings)  # type: ignore[misc]
    assert (location.base, prefix) == ("/srv/archive/_warc", "_warc")
    location, prefix = warc_root("/srv/archive/_evidence/warc", settings)  # type: ignore[misc]
    assert prefix == "_evidence/warc"
    location, prefix = warc_root("/data/warc", settings)  # type: ignore[misc]
    assert prefix == "/data/warc"
    with pytest.raises(ValueError, match="starts with '_'"):
        warc_root("/srv/archive/warc", settings)
    on_s3 = Settings({"NEWSARCHIVE_OUTPUT": "s3://bucket/news"})
    location, prefix = warc_root(True, on_s3)  # type: ignore[misc]
    assert (location.url, prefix) == ("s3://bucket/news/_warc", "_warc")
    location, prefix = warc_root("s3://other/warc", on_s3)  # type: ignore[misc]
    assert prefix == "s3://other/warc"


def capture_middleware(tmp_path: Path) -> WarcCaptureMiddleware:
    crawler = get_crawler(
        settings_dict={"NEWSARCHIVE_WARC": "1", "NEWSARCHIVE_OUTPUT": str(tmp_path)}
    )
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    middleware._site = "moscowtimes"
    return middleware


def respond(middleware: WarcCaptureMiddleware, url: str) -> Request:
    request = Request(url)
    middleware.process_response(request, Response(url, body=b"<p>x</p>", request=request))
    return request


def test_a_write_error_is_counted_leaves_no_pointer_and_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    middleware = capture_middleware(tmp_path)
    stats = middleware.crawler.stats
    kept = respond(middleware, "http://example.org/1")
    assert kept.meta[WARC_META][0].startswith("_warc/site=moscowtimes/")
    real_write = warc._write_all

    def disk_full(fh: Any, data: bytes) -> None:
        real_write(fh, data[: len(data) // 3])  # a part gets out, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(warc, "_write_all", disk_full)
    lost = respond(middleware, "http://example.org/2")
    assert WARC_META not in lost.meta and lost.meta[FETCHED_AT_META]  # (fetched all the same)
    assert stats.get_value("newsarchive/warc/write_error") == 1
    # The file of the first response was cut back to its whole records and put in place.
    ref, offset = kept.meta[WARC_META]
    assert [r.url for r in read_records(tmp_path / ref) if r.type == "response"] == [
        "http://example.org/1"
    ]
    monkeypatch.setattr(warc, "_write_all", real_write)
    pending = respond(middleware, "http://example.org/3")

    def cannot_rename(*args: Any) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(warc.os, "rename", cannot_rename)
    rows = [
        {"url": "http://example.org/3", "warc_file": pending.meta[WARC_META][0], "warc_offset": 1},
        {"url": "http://example.org/1", "warc_file": ref, "warc_offset": offset},
    ]
    middleware.flush_starting(rows)
    assert rows[0]["warc_file"] is None and rows[0]["warc_offset"] is None
    assert rows[1]["warc_file"] == ref  # in place: kept
    assert stats.get_value("newsarchive/warc/write_error") == 2
    assert stats.get_value("newsarchive/warc/rows_unlinked") == 1
    run = ArchiveRun.__new__(ArchiveRun)
    run.settings = middleware.crawler.settings
    failures = run.failures("finished", stats.get_stats())
    assert any("WARC capture failed 2 time(s)" in f for f in failures)
    assert len(list(tmp_path.rglob("*.warc.gz.open"))) == 1  # for a later run to salvage


def test_on_s3_files_are_uploaded_whole_before_the_rows_that_name_them(
    s3: dict[str, str],  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    """An S3 archive: open files are written in a local spool and uploaded when closed; a
    bounded flush mid-run uploads them before its rows are committed, and every row's
    ``warc_file`` is an object holding its response."""
    import boto3

    boto3.client("s3").create_bucket(Bucket="warc-bucket")
    url = "s3://warc-bucket/news"
    with MirrorServer(build_site(articles=60, seed=SITE_SEED)) as server:
        result = run_crawl(
            server.base_url,
            Path(url),
            *LIMITS,
            settings={
                **CAPTURE,
                "NEWSARCHIVE_OUTPUT": url,
                "NEWSARCHIVE_STATE": str(tmp_path / "state.sqlite"),
                "NEWSARCHIVE_PARQUET_MAX_BUFFERED_ROWS": "6",
            },
            env=s3,
        )
    assert result.returncode == 0, result.log[-3000:]
    location = parse_location(url)
    objects = location.list_files(location.path("_warc"))
    assert objects and all(o.endswith(".warc.gz") for o in objects)
    assert logged_stat(result.log, "newsarchive/parquet/bounded_flushes") > 0
    assert not list(Path(s3["NEWSARCHIVE_LOCK_DIR"]).rglob("*.open"))  # spool emptied
    responses = 0
    for key in objects:
        local = tmp_path / key.rsplit("/", 1)[1]
        local.write_bytes(location.read_bytes(key))
        records = read_records(local)
        assert records[0].type == "warcinfo"
        responses += sum(r.type == "response" for r in records)
    assert responses == logged_stat(result.log, "downloader/response_count")
    rows = read_archive(url).to_pylist()
    assert len(rows) == 19
    for row in rows:
        assert row["warc_file"].startswith("_warc/site=moscowtimes/")
        local = tmp_path / row["warc_file"].rsplit("/", 1)[1]
        record = record_at(local, row["warc_offset"])
        assert record.url == row["url"]
        assert parse_warc_date(record.headers["WARC-Date"]) == row["crawled_at"]


def test_an_override_that_leaves_the_capture_out_is_refused() -> None:
    """``NEWSARCHIVE_CHECK_COMPONENTS``: a -s dict without the capture middlewares (which
    are always in the project's dicts, and off unless NEWSARCHIVE_WARC) is caught."""
    from scrapy.settings import Settings

    from newsarchive import settings as project
    from newsarchive.commands.crawl import left_out_components

    settings = Settings()
    settings.setmodule(project, priority="project")
    assert left_out_components(settings) == []
    for name, component in (
        ("DOWNLOADER_MIDDLEWARES", "newsarchive.middlewares.warc.WarcCaptureMiddleware"),
        ("SPIDER_MIDDLEWARES", "newsarchive.middlewares.warc.WarcPointerMiddleware"),
    ):
        partial = settings.copy()
        left = {k: v for k, v in getattr(project, name).items() if k != component}
        partial.set(name, left, priority="cmdline")
        assert left_out_components(partial) == [component]


@pytest.mark.parametrize("library, level", [("isal", 0), ("isal", 1), ("isal", 3), ("zlib", 9)])
def test_either_gzip_library_makes_members_warcio_reads(library: str, level: int) -> None:
    encoder = RecordEncoder(level, library)
    members = encoder.exchange(exchange(body=b"<p>text</p>" * 400, metadata={"kind": None}))
    for member in members:
        assert complete_members(io.BytesIO(member)) == (len(member), 1)
    records = parse_members(b"".join(members))
    assert [r.type for r in records] == ["response", "request", "metadata"]
    assert records[0].payload == b"<p>text</p>" * 400 and records[0].digest_passed


def test_a_gzip_setting_that_cannot_be_used_is_refused() -> None:
    with pytest.raises(ValueError, match="0-3"):
        RecordEncoder(6, "isal")
    with pytest.raises(ValueError, match="not one of"):
        RecordEncoder(1, "bz2")


def test_the_readme_reads_a_rows_record(
    captured: Captured, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's snippet, run as written in the folder that holds ``output``."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## WARC capture\n(.*?)(?=^## )", text, re.M | re.S)
    assert section
    (snippet,) = re.findall(r"```python\n(.*?)```", section.group(1), re.S)
    monkeypatch.chdir(captured.output.parent)
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    rows = {r["url"]: r for r in read_archive(captured.output).to_pylist()}
    row = rows[namespace["url"]]
    assert (
        namespace["crawled_at"] == row["crawled_at"] == max(r["crawled_at"] for r in rows.values())
    )
    assert f"<title>{row['title']}" in namespace["html"].decode()
    assert capsys.readouterr().out.startswith(f"{row['url']} ")
