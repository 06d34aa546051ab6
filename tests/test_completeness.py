"""Issue 9: no sequence of runs loses an article for good.

The incremental horizon (stop paging a section once a listing page's articles are all known
and old) must never strand the articles below it. Whatever came before -- a run limited by
``max_pages`` or ``since``, a ``kill -9`` in the end-of-run flush or in mid-crawl, articles
that failed for good, an archive made by release 0.1 -- ONE plain run afterwards leaves the
archive equal to one uninterrupted crawl of the mirror: every article exactly once, in the
right partition, every field right. And repeat runs stay cheap: they still stop early.

The 1,000-article scenarios share one mirror and one reference crawl (module fixture); each
test crawls into its own fresh output folder. Kills at exact points use the test-only
``tests.kill_switch.KillSwitch`` extension.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest

from newsarchive import settings as project_settings
from newsarchive.dates import FUTURE_TOLERANCE
from newsarchive.evaluate import FIELDS, evaluate, load_archive
from newsarchive.mirror import build_site
from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.moscowtimes.routes import page_class
from newsarchive.mirror.server import MirrorServer
from newsarchive.schema import SCHEMA_VERSION
from newsarchive.storage import file_schema_version
from tests.conftest import FAST, REPO, run_crawl

ARTICLES = 1000
SEED = 90901
# The mirrors' clock, fixed and long past: which articles are within the revisit window, and
# which paths a fault plan hits (paths carry dates), must not change with the hour the tests
# run at. (The cost test keeps the clock of the day: it measures the revisits too.)
MIRROR_NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
REVISIT = timedelta(days=2)  # NEWSARCHIVE_REVISIT_DAYS, the default
SECTION_ENDS = {"exhausted", "horizon", "since", "max_pages", "failed"}
FAST_BACKOFF = {
    "NEWSARCHIVE_RETRY_BACKOFF_BASE": "0.01",
    "NEWSARCHIVE_RETRY_BACKOFF_MAX": "0.05",
}
# Fault kinds that cost no waiting (no slow answers, no 429 with Retry-After).
FAST_FAULTS = frozenset({"http500", "http503", "empty", "login_wall", "captcha"})
# Rows are committed all through the crawl, four at a time.
SMALL_FILES = {
    "NEWSARCHIVE_PARQUET_MAX_ROWS": "4",
    "CONCURRENT_REQUESTS": "4",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
}
RELEASE_DIR = Path(__file__).parent / "fixtures" / "release-0.1"


# --- runs and what they did ------------------------------------------------------------------


def path_of(url_or_path: str) -> str:
    return urlsplit(url_or_path).path or "/"


@dataclass(frozen=True)
class Traffic:
    """What the mirror served to one run, robots.txt left out."""

    listings: int
    articles: list[str]  # article paths, in request order
    total: int

    @classmethod
    def of(cls, server: MirrorServer) -> Traffic:
        paths = [path_of(r["path"]) for r in server.requests]
        paths = [p for p in paths if p != "/robots.txt"]
        kinds = [page_class(p) for p in paths]
        return cls(
            listings=kinds.count("listing"),
            articles=[p for p, k in zip(paths, kinds, strict=True) if k == "article"],
            total=len(paths),
        )

    def __str__(self) -> str:
        return f"{self.total} requests ({self.listings} listing, {len(self.articles)} article)"


@dataclass(frozen=True)
class Run:
    """One crawl, as it was right after it ended (``CrawlResult.manifest`` reads the newest
    manifest on every access, which later runs change)."""

    returncode: int
    log: str
    manifest: dict[str, Any]
    traffic: Traffic
    seconds: float


def crawl(
    server: MirrorServer, output: Path, *args: str, settings: dict[str, str] | None = None
) -> Run:
    """``run_crawl`` with a fresh request log, snapshotted."""
    server.clear_requests()
    started = time.monotonic()
    result = run_crawl(server.base_url, output, *args, settings=settings)
    seconds = time.monotonic() - started
    manifests = result.manifests() if (output / "_manifests").is_dir() else []
    manifest = manifests[-1] if manifests else {}
    return Run(result.returncode, result.log, manifest, Traffic.of(server), seconds)


def plain_run(server: MirrorServer, output: Path) -> Run:
    """One plain run (no -a limits, project settings): it must exit 0."""
    run = crawl(server, output)
    assert run.returncode == 0, run.log[-5000:]
    return run


def fresh(server: MirrorServer) -> None:
    """The next run meets the fault plan's first attempts again."""
    server.clear_requests()
    server.reset_attempts()


def completeness(run: Run) -> dict[str, Any]:
    """The run manifest's ``completeness`` block, checked for the documented shape."""
    manifest = run.manifest
    assert "completeness" in manifest, f"the manifest has no completeness: {sorted(manifest)}"
    block = manifest["completeness"]
    for key in ("gap_articles", "retried", "retry_queue", "given_up"):
        assert isinstance(block.get(key), int) and block[key] >= 0, (key, block.get(key))
    assert isinstance(block.get("previous_unfinished_runs"), list), block
    sections = block.get("sections")
    assert isinstance(sections, dict) and sections, block
    for name, section in sections.items():
        assert section["end"] in SECTION_ENDS, (name, section)
        assert isinstance(section["pages"], int) and section["pages"] >= 0, (name, section)
        assert isinstance(section["recorded"], bool), (name, section)
    return block


def log_lines(log: str, level: str) -> list[str]:
    return [line for line in log.splitlines() if f" {level}: " in line]


# --- the archive -----------------------------------------------------------------------------


def pairs(output: Path) -> Counter[tuple[str, str]]:
    """(url, content_hash) of every row a reader sees; reading opens every visible file."""
    return Counter((r["url"], r["content_hash"]) for r in load_archive(output))


def parquet_files(output: Path) -> list[Path]:
    return sorted(output.glob("site=*/date=*/*.parquet"))


def assert_readable_without_duplicates(output: Path) -> Counter[tuple[str, str]]:
    """After a kill -9: every file a reader sees opens, and no row is there twice."""
    for file in parquet_files(output):
        pq.read_table(file)  # raises on a half-written file
    seen = pairs(output) if parquet_files(output) else Counter()
    assert all(n == 1 for n in seen.values()), [p for p, n in seen.items() if n > 1][:5]
    return seen


def assert_complete(
    rows: list[dict[str, Any]], truth: dict[str, Any], updated: frozenset[str] = frozenset()
) -> None:
    """The archive equals one uninterrupted crawl: every article once (``updated`` ones: twice,
    two versions), right partition and fields, no stranger, no duplicate."""
    report = evaluate(rows, truth)
    assert report.missing == [], (
        f"{len(report.missing)} of {report.expected} articles missing, e.g. "
        f"{report.missing[:10]}\n{report.summary()}"
    )
    assert report.duplicate_rows == 0, report.summary()
    assert report.wrong_partition == 0, report.summary()
    assert report.unexpected == [], report.summary()
    for name in FIELDS:
        assert report.field_accuracy(name) == 1.0, report.summary()
    per_article = Counter(str(r["article_id"]) for r in rows)
    wrong = {a: n for a, n in per_article.items() if n != (2 if a in updated else 1)}
    assert wrong == {}, f"articles with a wrong number of rows: {wrong}"
    assert len(rows) == len(truth["articles"]) + len(updated)


def complete(output: Path, truth: dict[str, Any]) -> int:
    rows = load_archive(output)
    assert_complete(rows, truth)
    return len(rows)


# --- kill -9 ---------------------------------------------------------------------------------


def kill_settings(point: str, run_id: str) -> dict[str, str]:
    """Settings that make the run SIGKILL itself at ``point`` (see ``tests.kill_switch``)."""
    extensions = {**project_settings.EXTENSIONS, "tests.kill_switch.KillSwitch": 0}
    return {
        "EXTENSIONS": json.dumps(extensions),
        "NEWSARCHIVE_TEST_KILL_AT": point,
        "NEWSARCHIVE_RUN_ID": run_id,
    }


def crawl_process(
    base_url: str, output: Path, log: Path, settings: dict[str, str]
) -> subprocess.Popen[bytes]:
    """``run_crawl``'s command, started in the background (to be killed from outside)."""
    command = [sys.executable, "-m", "scrapy", "crawl", "moscowtimes", "-a", f"base_url={base_url}"]
    for name, value in {**FAST, "NEWSARCHIVE_OUTPUT": str(output), **settings}.items():
        command += ["-s", f"{name}={value}"]
    with log.open("wb") as sink:
        return subprocess.Popen(command, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> int:
    """SIGKILL ``process`` once ``ready()``; returns its exit code (-9 if it was killed)."""
    deadline = time.monotonic() + 120
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    return process.wait()


def assert_recovered_from_kill(
    server: MirrorServer, output: Path, killed_id: str, reference: Counter[tuple[str, str]]
) -> tuple[Run, int]:
    """One plain run completes the archive, names the killed run and says it did not finish;
    the killed run had left a "running" manifest. Returns the run and its rows."""
    killed_manifest = output / "_manifests" / f"{killed_id}.json"
    killed_status = (
        json.loads(killed_manifest.read_text(encoding="utf-8")).get("status")
        if killed_manifest.exists()
        else None
    )
    fresh(server)
    run = plain_run(server, output)
    rows = complete(output, server.ground_truth())
    assert set(pairs(output)) == set(reference)
    assert killed_status == "running", f"the killed run's manifest: status {killed_status}"
    block = completeness(run)
    assert killed_id in block["previous_unfinished_runs"], block["previous_unfinished_runs"]
    warned = [line for line in log_lines(run.log, "WARNING") if "did not finish" in line]
    assert any(killed_id in line for line in warned), warned or run.log[-3000:]
    return run, rows


# --- the shared mirror -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    """The 1,000-article mirror and what an uninterrupted crawl of it gives."""

    server: MirrorServer
    reference: Counter[tuple[str, str]]
    reference_files: int


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    with MirrorServer(build_site(articles=ARTICLES, seed=SEED, now=MIRROR_NOW)) as server:
        output = tmp_path_factory.mktemp("reference") / "output"
        run = plain_run(server, output)
        complete(output, server.ground_truth())
        files = len(run.manifest["files"])
        print(f"\nreference crawl: {run.traffic}, {files} files, {run.seconds:.1f}s")
        yield Shared(server, pairs(output), files)


@pytest.fixture
def mirror(shared: Shared) -> Iterator[MirrorServer]:
    """The shared mirror, without faults and with a clean request log and attempt counts."""
    shared.server.faults = None
    fresh(shared.server)
    yield shared.server
    shared.server.faults = None


# --- limited runs first ----------------------------------------------------------------------


def test_max_pages_then_one_plain_run(tmp_path: Path, mirror: MirrorServer) -> None:
    """``-a max_pages=1`` archives each section's first page; the plain run after it must not
    stop at those known pages but fetch everything below them. A further run is cheap again."""
    output = tmp_path / "output"
    truth = mirror.ground_truth()
    limited = crawl(mirror, output, "max_pages=1")
    assert limited.returncode == 0, limited.log[-3000:]
    left = evaluate(load_archive(output), truth).missing
    assert left, "the limited run must leave articles out, or this test tests nothing"

    catch_up = plain_run(mirror, output)
    rows = complete(output, truth)
    gap = completeness(catch_up)["gap_articles"]
    assert 0 < gap <= len(left), (gap, len(left))

    again = plain_run(mirror, output)
    complete(output, truth)
    assert completeness(again)["gap_articles"] == 0
    published = {
        path_of(a["url"]): datetime.fromisoformat(a["published_at"]) for a in truth["articles"]
    }
    window_start = datetime.now(UTC) - REVISIT - timedelta(hours=1)
    old = [p for p in again.traffic.articles if published[p] < window_start]
    assert old == [], f"the repeat run fetched {len(old)} old, known articles: {old[:5]}"
    assert again.traffic.listings * 2 <= catch_up.traffic.listings, (
        again.traffic.listings,
        catch_up.traffic.listings,
    )
    print(
        f"max_pages=1: {limited.traffic}, left {len(left)} out; catch-up: {catch_up.traffic}, "
        f"gap {gap}, {rows} rows, {catch_up.seconds:.1f}s; repeat: {again.traffic}, "
        f"{again.seconds:.1f}s"
    )


def test_since_then_one_plain_run(tmp_path: Path, mirror: MirrorServer) -> None:
    """``-a since=`` (ten days back) archives the recent articles only; the plain run after it
    must page on below them to the older ones."""
    output = tmp_path / "output"
    truth = mirror.ground_truth()
    since = (mirror.site.now - timedelta(days=10)).date().isoformat()
    limited = crawl(mirror, output, f"since={since}")
    assert limited.returncode == 0, limited.log[-3000:]
    left = evaluate(load_archive(output), truth).missing
    assert left, "the since run must leave articles out, or this test tests nothing"

    run = plain_run(mirror, output)
    rows = complete(output, truth)
    block = completeness(run)
    print(
        f"since={since}: {limited.traffic}, left {len(left)} out; plain run: {run.traffic}, "
        f"gap {block['gap_articles']}, {rows} rows, {run.seconds:.1f}s"
    )


# --- kill -9 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["file:1", "file:half", "archive_closed"])
def test_kill_9_in_the_end_of_run_flush(
    tmp_path: Path, shared: Shared, mirror: MirrorServer, point: str
) -> None:
    """A run killed while it writes its files at spider close (all its rows were buffered):
    after a rename but before the state heard of the file, half-way through the files, or
    once all are written but before the listing sweeps are recorded."""
    output = tmp_path / "output"
    if point == "file:half":
        point = f"file:{shared.reference_files // 2}"
    killed_id = "killed-" + point.replace(":", "-")
    killed = crawl(mirror, output, settings=kill_settings(point, killed_id))
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.log[-3000:])
    seen = assert_readable_without_duplicates(output)
    files = len(parquet_files(output))
    if point == "archive_closed":
        assert set(seen) == set(shared.reference)  # every row was written before the kill
    else:
        assert int(point.split(":")[1]) <= files < shared.reference_files

    run, rows = assert_recovered_from_kill(mirror, output, killed_id, shared.reference)
    print(
        f"kill at {point}: {killed.traffic}, {killed.seconds:.1f}s, {files} files, "
        f"{len(seen)} rows left; plain run: {run.traffic}, {rows} rows, "
        f"gap {completeness(run)['gap_articles']}, {run.seconds:.1f}s"
    )


@pytest.mark.parametrize("point", ["file:10", "requests:300"])
def test_kill_9_mid_crawl(tmp_path: Path, shared: Shared, mirror: MirrorServer, point: str) -> None:
    """With tiny files, rows are committed all through the crawl: a kill in the middle leaves
    sections half swept and articles archived below listing pages not yet seen."""
    output = tmp_path / "output"
    killed_id = "killed-midcrawl-" + point.replace(":", "-")
    started = time.monotonic()
    if point.startswith("file:"):
        settings = {**SMALL_FILES, **kill_settings(point, killed_id)}
        returncode = crawl(mirror, output, settings=settings).returncode
    else:
        settings = {**SMALL_FILES, "NEWSARCHIVE_RUN_ID": killed_id}
        process = crawl_process(mirror.base_url, output, tmp_path / "killed.log", settings)
        wanted = int(point.split(":")[1])
        returncode = kill_when(process, lambda: len(mirror.requests) >= wanted)
    killed_seconds = time.monotonic() - started
    killed_traffic = Traffic.of(mirror)
    assert returncode == -signal.SIGKILL, returncode
    seen = assert_readable_without_duplicates(output)
    files = len(parquet_files(output))
    if point.startswith("file:"):
        assert files >= int(point.split(":")[1])
    assert 0 < len(seen) < ARTICLES, "the kill must leave a partial archive"

    run, rows = assert_recovered_from_kill(mirror, output, killed_id, shared.reference)
    print(
        f"kill at {point}: {killed_traffic}, {killed_seconds:.1f}s, {files} files, "
        f"{len(seen)} rows; plain run: {run.traffic}, {rows} rows, "
        f"gap {completeness(run)['gap_articles']}, {run.seconds:.1f}s"
    )


# --- failures for good -----------------------------------------------------------------------


def test_articles_that_failed_for_good_are_retried(tmp_path: Path, mirror: MirrorServer) -> None:
    """Articles that failed after all their retries are queued, and the next run fetches them
    even when they sit below the pages where it would otherwise stop."""
    output = tmp_path / "output"
    plan = FaultPlan(seed=909, rate=0.12, kinds=FAST_FAULTS, hostile_rate=0.0)
    truth = mirror.ground_truth()
    unservable = [
        a for a in truth["articles"] if (plan.servable_within(path_of(a["url"])) or 99) > 2
    ]
    assert unservable, "the plan must make some articles fail for good within 2 attempts"
    mirror.faults = plan
    try:
        failing = crawl(mirror, output, settings={**FAST_BACKOFF, "RETRY_TIMES": "1"})
    finally:
        mirror.faults = None
    left = evaluate(load_archive(output), truth).missing
    assert left, "the faulty run must leave articles out, or this test tests nothing"

    fresh(mirror)
    run = plain_run(mirror, output)
    rows = complete(output, truth)
    queued = completeness(failing)["retry_queue"]
    assert queued > 0
    block = completeness(run)
    assert 0 < block["retried"] <= queued, (block["retried"], queued)
    assert block["retry_queue"] == 0 and block["given_up"] == 0, block
    print(
        f"faulty run: exit {failing.returncode}, {failing.traffic}, {failing.seconds:.1f}s, "
        f"{len(left)} missing, {queued} queued; plain run: {run.traffic}, "
        f"retried {block['retried']}, gap {block['gap_articles']}, {rows} rows, "
        f"{run.seconds:.1f}s"
    )


def test_retry_budget_is_spent_then_given_up(tmp_path: Path) -> None:
    """An article that never comes right is retried by NEWSARCHIVE_FAILED_RETRY_RUNS later
    runs; the run that spends the budget says so (ERROR, exit 1), later runs leave it be."""
    # Every faulted article path is permanently hostile; listings get at most 2 transport
    # faults, so with 1 + 2 attempts the listings always come through.
    plan = FaultPlan(
        seed=4, rate=0.03, kinds=frozenset({"http500", "http503", "login_wall"}), hostile_rate=1.0
    )
    settings = {**FAST_BACKOFF, "RETRY_TIMES": "2", "NEWSARCHIVE_FAILED_RETRY_RUNS": "2"}
    output = tmp_path / "output"
    site = build_site(articles=200, seed=2042, now=MIRROR_NOW)
    with MirrorServer(site, faults=plan) as server:
        truth = server.ground_truth()
        hostile = {path_of(a["url"]) for a in truth["articles"] if a["servable_within"] is None}
        assert 2 <= len(hostile) <= 12, len(hostile)
        runs: list[Run] = []
        archived: set[str] = set()  # article IDs in the archive after run 1
        for number in range(1, 5):
            runs.append(crawl(server, output, settings=settings))
            if number == 1:
                archived = {str(r["article_id"]) for r in load_archive(output)}
    asked = [set(run.traffic.articles) & hostile for run in runs]
    for number, (run, hit) in enumerate(zip(runs, asked, strict=True), 1):
        print(
            f"run {number}: exit {run.returncode}, {run.traffic}, {len(hit)} hostile asked, "
            f"{run.seconds:.1f}s; {run.manifest.get('completeness')}"
        )
    assert len(archived) == len(truth["articles"]) - len(hostile)
    # run 1 fails them, runs 2 and 3 retry them, run 4 has given up on them
    assert asked == [hostile, hostile, hostile, set()]
    assert runs[3].traffic.total > 0  # (run 4 did crawl)
    first, second, third, fourth = runs
    assert third.returncode == 1, third.log[-3000:]
    errors = log_lines(third.log, "ERROR")
    assert any(any(path in line for path in hostile) for line in errors), errors
    assert completeness(first)["retry_queue"] == len(hostile)
    block = completeness(second)
    assert block["given_up"] == 0 and block["retry_queue"] == len(hostile), block
    block = completeness(third)
    assert block["given_up"] == len(hostile) and block["retry_queue"] == 0, block
    assert {path_of(a["url"]) for a in block["given_up_now"]} == hostile, block
    assert completeness(second)["given_up_now"] == completeness(fourth)["given_up_now"] == []
    # Retrying them is no gap: nothing was left out but what the queue already holds.
    assert [completeness(run)["gap_articles"] for run in runs] == [0, 0, 0, 0]
    # A queued or given-up article is nothing new: it keeps no listing paging (the mirror's
    # clock is long past, so every page is old and every section stops at its first).
    for run in (second, third, fourth):
        pages = {name: s["pages"] for name, s in completeness(run)["sections"].items()}
        assert set(pages.values()) == {1}, pages
    assert completeness(fourth)["given_up"] == len(hostile)
    print(f"{len(hostile)} hostile articles of {len(truth['articles'])}")


def test_a_partition_that_cannot_be_written(tmp_path: Path, mirror: MirrorServer) -> None:
    """A partition write that fails (here: a file stands where its folder must go) rejects
    its rows at close, with the reason, and queues their articles: the run fails, and the
    next plain run, once the partition can be written, archives them."""
    output = tmp_path / "output"
    truth = mirror.ground_truth()
    days = Counter(a["published_at"][:10] for a in truth["articles"])
    day, count = days.most_common(1)[0]
    blocker = output / "site=moscowtimes" / f"date={day}"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    blocked = crawl(mirror, output)
    assert blocked.returncode == 1, blocked.log[-3000:]
    assert blocked.manifest["rejected"] == {"write_error": count}, blocked.manifest["rejected"]
    assert completeness(blocked)["retry_queue"] == count
    blocker.unlink()  # (a reader would take it for a Parquet file)
    left = evaluate(load_archive(output), truth).missing
    assert len(left) == count

    fresh(mirror)
    run = plain_run(mirror, output)
    rows = complete(output, truth)
    block = completeness(run)
    assert block["retried"] == count and block["retry_queue"] == 0, block
    print(
        f"blocked {day} ({count} articles): {blocked.traffic}; plain run: {run.traffic}, "
        f"retried {block['retried']}, {rows} rows"
    )


# --- cost ------------------------------------------------------------------------------------


def test_a_repeat_run_stays_cheap(tmp_path: Path) -> None:
    """Completeness must not cost the horizon: an hourly run still asks for a small share of
    what a first crawl asks for, and stops paging early."""
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=240, seed=24)) as server:
        first = plain_run(server, output)
        changes = server.advance(new_articles=8, updated_articles=4, hours=6)
        assert changes["updated"], "the mirror must have updated some recent articles"
        second_started = datetime.now(UTC)
        second = plain_run(server, output)
        truth = server.ground_truth()
    # advance() may give a new article a modification time days ahead of the clock; the
    # crawler discards timestamps beyond FUTURE_TOLERANCE, so the truth has none there.
    limit = second_started + FUTURE_TOLERANCE
    for article in truth["articles"]:
        modified = article["modified_at"]
        if modified and datetime.fromisoformat(modified) > limit:
            article["modified_at"] = None
    assert_complete(load_archive(output), truth, frozenset(str(i) for i in changes["updated"]))
    ratio = second.traffic.total / first.traffic.total
    print(
        f"first run: {first.traffic}, {first.seconds:.1f}s; second: {second.traffic}, "
        f"{second.seconds:.1f}s; ratio {ratio:.3f}"
    )
    assert ratio <= 0.2
    assert second.traffic.listings < first.traffic.listings


# --- upgrade from release 0.1 ----------------------------------------------------------------


def rebased(rows: list[dict[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    """Rows with the release fixture's mirror address (``old``) in their URLs moved to the
    mirror that serves the same site now (``new``); nothing else changes."""
    fields = ("url", "canonical_url", "image_url")

    def move(name: str, value: Any) -> Any:
        if name in fields and isinstance(value, str) and value.startswith(old):
            return new + value[len(old) :]
        return value

    return [{name: move(name, value) for name, value in row.items()} for row in rows]


def truth_digest(truth: dict[str, Any]) -> str:
    """The fingerprint ``make_archive.py`` recorded of the mirror the fixture was made from."""
    lines = sorted(
        f"{a['article_id']}\t{a['published_at']}\t{a['section']}\t{a['title']}"
        for a in truth["articles"]
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def test_upgrade_from_release_0_1(tmp_path: Path) -> None:
    """An archive that release 0.1 left with gaps (``tests/fixtures/release-0.1``): the first
    plain run of this code fills them, once, and the run after it stops early again.

    The fixture's rows carry the address of the mirror it was crawled from; they are compared
    with the truth after moving that address to this mirror's (``rebased``), in memory only."""
    fixture = json.loads((RELEASE_DIR / "fixture.json").read_text(encoding="utf-8"))
    output = tmp_path / "output"
    shutil.copytree(RELEASE_DIR / "archive", output)
    mirror = fixture["mirror"]
    site = build_site(mirror["articles"], mirror["seed"], datetime.fromisoformat(mirror["now"]))
    old_base = fixture["base_url"]
    with MirrorServer(site) as server:
        truth = server.ground_truth()
        assert truth_digest(truth) == fixture["truth_sha256"], (
            "the mirror no longer generates the site the fixture was crawled from: "
            "re-make it (tests/fixtures/release-0.1/make_archive.py)"
        )
        before = rebased(load_archive(output), old_base, server.base_url)
        assert len(before) == fixture["archived_articles"]
        missing = evaluate(before, truth).missing
        assert len(missing) == fixture["missing_articles"] > 0, "not the archive it was made as"

        upgrade = plain_run(server, output)
        rows = load_archive(output)
        old_rows = [r for r in rows if r["url"].startswith(old_base)]
        assert len(old_rows) == fixture["archived_articles"]  # the release's rows stay
        # ... in files brought up to this schema (new columns null), so that no reader sees
        # the columns of an old file only
        files = list(output.glob("site=*/date=*/*.parquet"))
        assert {file_schema_version(f) for f in files} == {SCHEMA_VERSION}
        assert {r["published_at_source"] for r in old_rows} == {None}
        assert {r["published_at_source"] for r in rows if r not in old_rows} == {"jsonld"}
        assert_complete(rebased(rows, old_base, server.base_url), truth)
        gap = completeness(upgrade)["gap_articles"]
        # Every missing article lies below its section's first page, all known and old.
        assert gap == len(missing), (gap, len(missing))

        again = plain_run(server, output)
        assert_complete(rebased(load_archive(output), old_base, server.base_url), truth)
    assert again.manifest["rows_written"] == 0
    assert completeness(again)["gap_articles"] == 0
    assert again.traffic.listings * 2 <= upgrade.traffic.listings
    assert again.traffic.articles == []  # nothing is new or recent: nothing to fetch
    print(
        f"upgrade run: {upgrade.traffic}, gap {gap}, {len(rows)} rows, {upgrade.seconds:.1f}s; "
        f"next run: {again.traffic}, {again.seconds:.1f}s"
    )
