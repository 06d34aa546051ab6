"""``scrapy report``: the numbers on the page are the archive's and the manifests'.

The archive is real: two crawls of a small mirror (the second after the mirror published new
articles and updated some), so it has new articles, later versions and page edits; four
hand-written manifests beside the real ones stand for what those crawls cannot produce on
a healthy mirror: an older crawler's manifest, failures, skips, slow-downs, fill rates and
drift alarms (the ``fields`` and ``drift`` keys).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from newsarchive import report as report_module
from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.report import ReportData, gather, render, summarize_manifest, write_report
from newsarchive.storage import read_archive
from tests.conftest import REPO, run_crawl
from tests.without_pandas import SCRAPY_WITHOUT_PANDAS

HOSTILE = "<script>alert('x')</script> & \"quoted\""


def manifest(run_id: str, started: datetime, *, status: str = "ok", **keys: Any) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "spider": "moscowtimes",
        "site": "moscowtimes",
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(seconds=95)).isoformat(),
        "finish_reason": "finished",
        "status": status,
        "failures": [],
        "articles": {"new": 3, "updated": 1, "unchanged": 40, "skipped": 10},
        "rows_written": 4,
        **keys,
    }


def fill(**changed: float) -> dict[str, float]:
    rates = {"title": 1.0, "authors": 0.97, "published_at": 1.0, "modified_at": 0.3}
    rates |= {"lead": 0.9, "section": 1.0, "tags": 0.95, "image": 0.9, "body": 0.99}
    return rates | changed


def hand_written_manifests(now: datetime) -> list[dict[str, Any]]:
    """Runs the two real crawls cannot stand for, dated before them (oldest first), each
    started at 01:00 UTC on one of the days before ``now``."""
    day = timedelta(days=1)
    now = now.replace(hour=1, minute=0, second=0, microsecond=0)
    older = manifest("20200101T000000Z-old000", now - 4 * day)
    for key in ("failed_pages", "skipped_pages", "rows_written"):
        older.pop(key, None)
    older.pop("articles")  # a manifest of an early crawler version: few keys
    slowed = manifest(
        "20200102T000000Z-slow00",
        now - 3 * day,
        failed_pages={"http_404": 2, "timeout": 1},
        skipped_pages={"optional_page_missing": 3},
        slowdowns={"episodes": 2, "seconds": 12.5, "answers": {"429": 7, "503": 2}},
        fields={"items": 33, "fill": fill(), "median_words": 540},
        drift={"status": "ok", "baseline": {"runs": 4, "items": 300, "fill": fill()}, "alarms": []},
    )
    alarmed = manifest(
        "20200103T000000Z-drift0",
        now - 2 * day,
        status="failed",
        failures=["drift alarm: authors: 98% -> 0%", HOSTILE],
        failed_pages={"http_404": 1, "http_500": 4},
        skipped_pages={"optional_page_missing": 1, "robots_disallowed": 2},
        slowdowns={"episodes": 1, "seconds": 3.0, "answers": {"503": 4}},
        fields={"items": 30, "fill": fill(authors=0.0, tags=0.5), "median_words": 250},
        drift={
            "status": "alarm",
            "baseline": {"runs": 4, "items": 300, "fill": fill(), "median_words": 530},
            "alarms": [
                {"field": "authors", "before": 0.98, "after": 0.0, "message": "authors: 98% -> 0%"},
                {
                    "field": "words",
                    "before": 530,
                    "after": 250,
                    "message": "median word count 530 -> 250",
                },
                {
                    "field": "listing:world",
                    "before": None,
                    "after": None,
                    "message": "section 'world': its first listing page failed for good "
                    "(http_404) <b>",
                },
            ],
        },
    )
    running = manifest("20200104T000000Z-run000", now - day, status="running")
    running["finished_at"] = running["finish_reason"] = None
    running["slowdowns"] = {"episodes": 0, "seconds": 0, "answers": {}}
    return [older, slowed, alarmed, running]


def build_report_archive(output: Path) -> Path:
    """Two real crawls of a 66-article mirror into ``output`` (the second after new and
    updated articles), plus the hand-written manifests."""
    site = build_site(articles=60, seed=20261201)
    site.advance(new_articles=6, updated_articles=0, hours=6)  # recent ones, to update later
    with MirrorServer(site) as server:
        first = run_crawl(server.base_url, output)
        assert first.returncode == 0, first.log[-3000:]
        server.advance(new_articles=5, updated_articles=4, hours=6)
        second = run_crawl(server.base_url, output)
        assert second.returncode == 0, second.log[-3000:]
    assert second.manifest["articles"]["updated"] > 0
    now = datetime.now(UTC)
    for written in hand_written_manifests(now):
        path = output / "_manifests" / f"{written['run_id']}.json"
        path.write_text(json.dumps(written, indent=2), encoding="utf-8")
    return output


def runs_table(page: str) -> list[dict[str, str]]:
    """The runs table's rows, newest first, as {header: cell text}."""
    tree = lxml.html.fromstring(page)
    found = tree.xpath("//h2[@id='runs']/following::table[1]")
    assert len(found) == 1
    headers = [th.text_content() for th in found[0].xpath("thead/tr/th")]
    return [
        dict(zip(headers, (td.text_content() for td in tr.xpath("td")), strict=True))
        for tr in found[0].xpath("tbody/tr")
    ]


def read_manifests(archive: Path) -> list[dict[str, Any]]:
    """The archive's manifests, oldest first (by start, as the report orders them)."""
    found = [json.loads(p.read_text()) for p in (archive / "_manifests").glob("*.json")]
    return sorted(found, key=lambda m: (m["started_at"], m["run_id"]))


def marks(page: str, chart: str) -> list[lxml.html.HtmlElement]:
    tree = lxml.html.fromstring(page)
    svgs = tree.xpath(f"//svg[@data-chart='{chart}']")
    assert len(svgs) == 1, f"expected one {chart!r} chart"
    return svgs[0].xpath(".//*[@data-value]")


def values(page: str, chart: str, series: str | None = None) -> dict[str, float]:
    return {
        m.get("data-label"): float(m.get("data-value"))
        for m in marks(page, chart)
        if series is None or m.get("data-series") == series
    }


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report_archive(tmp_path_factory.mktemp("report") / "output")


@pytest.fixture(scope="module")
def data(archive: Path) -> ReportData:
    return gather(archive)


@pytest.fixture(scope="module")
def page(data: ReportData) -> str:
    return render(data)


def test_articles_per_day_and_section_are_the_archives(archive: Path, page: str) -> None:
    table = read_archive(archive)
    first = table.filter(pc.equal(table.column("version"), 1))
    # every article has exactly one first version: 66 + the 5 published between the crawls
    assert first.num_rows == len(set(table.column("article_id").to_pylist())) == 71
    sections = Counter(first.column("section").to_pylist())
    assert values(page, "per_section") == {s: float(n) for s, n in sections.items()}
    days = Counter(first.column("date").to_pylist())
    shown = values(page, "per_day")
    assert len(shown) == min(len(days), report_module.DAYS_SHOWN) > 10
    assert shown == {d: float(n) for d, n in sorted(days.items())[-len(shown) :]}
    rows = lxml.html.fromstring(page).xpath("//table[@class='summary']//tr/td[2]/text()")
    assert f"{table.num_rows:,} in " in " ".join(rows)


def test_versions_and_edits_per_day_are_the_archives(archive: Path, page: str) -> None:
    table = read_archive(archive)
    later = table.filter(pc.greater(table.column("version"), 1))
    manifests = read_manifests(archive)
    updated = [m["articles"]["updated"] for m in manifests if m["run_id"][:4] != "2020"]
    assert later.num_rows == sum(updated) > 0
    crawl_day = lambda t: t.column("crawled_at").cast("timestamp[us]").cast("date32").to_pylist()  # noqa: E731
    new_versions = Counter(str(d) for d in crawl_day(later))
    assert values(page, "versions", "new versions") == {
        d: float(n) for d, n in new_versions.items()
    }
    first = table.filter(pc.equal(table.column("version"), 1))
    assert values(page, "versions", "new articles") == {
        d: float(n) for d, n in Counter(str(d) for d in crawl_day(first)).items()
    }
    edited = [
        m.date().isoformat()
        for m, p in zip(
            table.column("modified_at").to_pylist(),
            table.column("published_at").to_pylist(),
            strict=True,
        )
        if m is not None and (p is None or m > p)
    ]
    assert edited, "the mirror's updated articles say when they were modified"
    shown = values(page, "edits")
    expected = sorted(Counter(edited).items())[-len(shown) :]
    assert shown == {d: float(n) for d, n in expected}


def test_fill_rates_and_drift_alarms_are_marked(archive: Path, page: str) -> None:
    fills, alarms, messages = {}, set(), []
    for m in read_manifests(archive)[::-1]:  # newest first, as the page lists them
        rates = dict((m.get("fields") or {}).get("fill") or {})
        if rates:
            rates["words"] = m["fields"]["median_words"]  # the last column
        fills |= {f"{m['run_id']}:{name}": rate for name, rate in rates.items()}
        for alarm in (m.get("drift") or {}).get("alarms") or []:
            messages.append(f"{m['run_id']}: {alarm['message']}")
            if alarm["field"] in rates:
                alarms.add(f"{m['run_id']}:{alarm['field']}")
    cells = marks(page, "fill")
    assert {c.get("data-label"): float(c.get("data-value")) for c in cells} == fills
    assert fills["20200103T000000Z-drift0:tags"] == 0.5  # the hand-written runs are there
    assert "20200102T000000Z-slow00:authors" in fills
    alarmed = [c for c in cells if c.get("data-alarm")]
    assert {c.get("data-label") for c in alarmed} == alarms
    assert {"20200103T000000Z-drift0:authors", "20200103T000000Z-drift0:words"} <= alarms
    assert all(c.get("stroke") == report_module.RED for c in alarmed)
    assert all(not c.get("stroke") for c in cells if not c.get("data-alarm"))
    tree = lxml.html.fromstring(page)
    listed = [li.text_content() for li in tree.xpath("//ul[@class='alarms']/li")]
    assert listed == messages
    assert (
        "20200103T000000Z-drift0: section 'world': its first listing page failed for good "
        "(http_404) <b>" in listed
    )
    drift = {row["run"]: row["drift"] for row in runs_table(page)}
    assert drift["20200103T000000Z-drift0"] == "alarm (3)"
    assert drift["20200102T000000Z-slow00"] == "ok"
    assert drift["20200101T000000Z-old000"] == report_module.DASH


def test_failures_skips_and_slowdowns_are_summed(archive: Path, page: str) -> None:
    manifests = read_manifests(archive)
    failed: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for m in manifests:
        failed.update(m.get("failed_pages") or {})
        skipped.update(m.get("skipped_pages") or {})
    assert values(page, "failures") == {"http_404": 3.0, "http_500": 4.0, "timeout": 1.0}
    assert values(page, "failures") == {r: float(n) for r, n in failed.items()}
    assert values(page, "skips") == {r: float(n) for r, n in skipped.items() if n}
    slow = marks(page, "slowdowns")
    assert sorted(float(m.get("data-value")) for m in slow) == [3.0, 12.5]
    assert "429: 7, 503: 2" in page


def test_runs_table(data: ReportData, page: str) -> None:
    rows = runs_table(page)
    assert len(rows) == data.total_runs == 6
    assert [row["run"] for row in rows][-4:] == [
        "20200104T000000Z-run000",
        "20200103T000000Z-drift0",
        "20200102T000000Z-slow00",
        "20200101T000000Z-old000",
    ]  # newest first: the two real crawls on top
    assert [row["status"] for row in rows] == ["ok", "ok", "running", "failed", "ok", "ok"]
    assert "site" not in rows[0]  # one site, named at the top
    real = read_manifests(Path(data.root))[-2:]
    for row, manifest in zip(rows[:2], real[::-1], strict=True):
        assert row["run"] == manifest["run_id"]
        assert row["new"] == str(manifest["articles"]["new"])
        assert row["updated"] == str(manifest["articles"]["updated"])
        assert row["rows written"] == str(manifest["rows_written"])
        assert row["started (UTC)"] == manifest["started_at"][:19].replace("T", " ")
    old = rows[-1]
    assert [old[k] for k in ("new", "updated", "rows written")] == [report_module.DASH] * 3
    assert old["started (UTC)"].endswith(" 01:00:00")
    assert old["finished (UTC)"] == "01:01:35"  # the same day as its start: no date
    assert old["took"] == "95 s"
    assert rows[3]["failures"] == "drift alarm: authors: 98% -> 0%" + HOSTILE  # <br> between


def test_page_is_self_contained_and_escaped(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    tree = lxml.html.fromstring(page)
    assert tree.xpath("//head/meta[@charset='utf-8']")
    assert tree.xpath("string(//head/title)") == "newsarchive report"
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    for outside in ("src=", "<link", "url(", "@import", 'href="http', "href='http"):
        assert outside not in page
    for chart in ("per_day", "per_section", "versions", "edits", "fill", "failures", "skips"):
        assert marks(page, chart), chart


def test_only_the_small_columns_are_read(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[list[str]] = []

    class Recording(pq.ParquetFile):
        def iter_batches(self, *args: Any, columns: Any = None, **kwargs: Any) -> Any:
            asked.append(list(columns))
            return super().iter_batches(*args, columns=columns, **kwargs)

    monkeypatch.setattr(report_module.pq, "ParquetFile", Recording)
    assert gather(archive).rows > 0
    assert asked and all(set(c) <= set(report_module.COLUMNS) for c in asked)
    assert not any("body" in c for c in asked)


def test_site_filter_and_runs_limit(archive: Path) -> None:
    assert gather(archive, site="somewhere").rows == 0
    limited = gather(archive, runs=2)
    assert [r.status for r in limited.runs] == ["ok", "ok"] and limited.total_runs == 6


def test_empty_archive_says_so(tmp_path: Path) -> None:
    data = gather(tmp_path)
    assert data.empty
    page = render(data)
    tree = lxml.html.fromstring(page)
    assert "This archive is empty" in tree.xpath("string(//p[@id='empty-archive'])")
    assert not tree.xpath("//svg[@data-chart]")
    empty = set(tree.xpath("//p[@data-empty-chart]/@data-empty-chart"))
    assert empty == {"per_day", "versions", "edits", "fill", "failures", "skips", "slowdowns"}


def test_old_odd_and_broken_manifests(tmp_path: Path) -> None:
    folder = tmp_path / "_manifests"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"run_id": "a", "status": "ok"}))
    odd = {"run_id": "b", "started_at": "yesterday", "slowdowns": "none", "fields": {"fill": 3}}
    odd |= {"drift": {"alarms": ["plain text alarm", 7]}, "articles": {"new": "many"}}
    (folder / "b.json").write_text(json.dumps(odd))
    (folder / "c.json").write_text("{not json")
    (folder / "d.json").write_text("[1, 2]")
    data = gather(tmp_path)
    assert [r.run_id for r in data.runs] == ["a", "b"]
    assert [p.split(":")[0] for p in data.problems] == [
        "could not read _manifests/c.json",
        "could not read _manifests/d.json",
    ]
    b = data.runs[1]
    assert b.slowdown_episodes is None and b.fill is None and b.articles == {}
    assert [a.message for a in b.alarms] == ["plain text alarm"]
    page = render(data)
    assert "could not read _manifests/c.json" in page and "plain text alarm" in page
    assert summarize_manifest({}).run_id == "?"


def test_report_file_is_written_atomically(data: ReportData, tmp_path: Path) -> None:
    path = write_report(data, tmp_path / "r.html")
    assert path.read_text(encoding="utf-8") == render(data)
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def scrapy_report(
    *args: str, scrapy: tuple[str, ...] = ("-m", "scrapy")
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *scrapy, "report", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_scrapy_report_writes_the_page_and_says_where(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    done = scrapy_report(  # as the demo runs it: with requirements.txt alone, no pandas
        "-s",
        f"NEWSARCHIVE_OUTPUT={archive}",
        "-o",
        str(target),
        "--runs",
        "3",
        scrapy=("-c", SCRAPY_WITHOUT_PANDAS),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith(f": {target}")
    assert "3 of 6 runs shown" in done.stdout
    assert len(runs_table(target.read_text(encoding="utf-8"))) == 3

    default = scrapy_report("-s", f"NEWSARCHIVE_OUTPUT={archive}")
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip().endswith(str(archive / "_report.html"))
    assert (archive / "_report.html").is_file()


@pytest.mark.parametrize("where", ["missing", "file"])
def test_scrapy_report_on_no_archive_is_one_line(tmp_path: Path, where: str) -> None:
    root = tmp_path / "nothing-here"
    if where == "file":
        root.write_text("not an archive")
    done = scrapy_report("-s", f"NEWSARCHIVE_OUTPUT={root}")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsarchive: no report: no archive at ")
    assert str(root) in lines[0]
    assert done.stdout == ""
    assert not (tmp_path / "nothing-here" / "report.html").exists()
