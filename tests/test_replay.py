"""Re-extraction from WARC (``scrapy extract --warc``): the archived responses go through
today's code, and only what it reads differently becomes a new version."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.replay import archived_responses, parse_warc_date, read_response, warc_files
from tests.conftest import REPO, run_crawl

WHEN = datetime(2026, 11, 30, 3, 4, 5, 678901, tzinfo=UTC)


def write_warc(path: Path, records: list[dict[str, Any]]) -> list[int]:
    """A WARC with, per entry, a response (and a metadata record if ``context``); returns
    the offsets of the responses."""
    offsets = []
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        for entry in records:
            date = entry.get("date", WHEN).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            http = StatusAndHeaders(
                entry.get("status", "200 OK"),
                entry.get("headers", [("Content-Type", "text/html; charset=utf-8")]),
                protocol="HTTP/1.1",
            )
            response = writer.create_warc_record(
                entry["url"],
                entry.get("type", "response"),
                payload=io.BytesIO(entry.get("body", b"<html></html>")),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
            offsets.append(out.tell())
            writer.write_record(response)
            if "context" in entry:
                metadata = writer.create_warc_record(
                    entry["url"],
                    "metadata",
                    payload=io.BytesIO(entry["context"]),
                    warc_content_type="application/json",
                    warc_headers_dict={
                        "WARC-Date": date,
                        "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                    },
                )
                writer.write_record(metadata)
    return offsets


def test_the_article_responses_are_found_with_their_context(tmp_path: Path) -> None:
    path = tmp_path / "_warc" / "site=mt" / "date=2026-11-30" / "a.warc.gz"
    context = {"kind": "article", "article_id": "7", "section": "news", "listed_dates": []}
    offsets = write_warc(
        path,
        [
            {"url": "http://h/a-7", "context": json.dumps(context).encode(), "body": b"<p>x</p>"},
            {"url": "http://h/gone", "status": "404 Not Found"},
            {"url": "http://h/b", "context": b"not json"},
            {"url": "http://h/listing", "context": b'{"kind": "listing"}'},
        ],
    )
    problems: Counter[str] = Counter()
    found = archived_responses(path, problems)
    assert [(r.url, r.offset, r.context) for r in found] == [
        ("http://h/a-7", offsets[0], context),
        ("http://h/b", offsets[2], {}),  # read by URL: the spider decides whether an article
        ("http://h/listing", offsets[3], {"kind": "listing"}),
    ]
    assert problems == Counter({"bad_metadata_record": 1})
    assert found[0].fetched_at == WHEN and found[0].site == "mt"
    url, status, headers, body = read_response(str(path), offsets[0])
    assert (url, status, body) == ("http://h/a-7", 200, b"<p>x</p>")
    assert ("Content-Type", "text/html; charset=utf-8") in headers
    with pytest.raises(ValueError, match="metadata"):  # an offset that is not a response
        read_response(str(path), _metadata_offset(path))


def _metadata_offset(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            if record.rec_type == "metadata":
                return records.get_record_offset()
    raise AssertionError("no metadata record")


def test_a_damaged_file_gives_what_it_had_and_open_files_are_skipped(tmp_path: Path) -> None:
    root = tmp_path / "_warc"
    good = root / "site=mt" / "date=2026-11-30" / "a.warc.gz"
    offsets = write_warc(good, [{"url": f"http://h/a-{n}"} for n in range(3)])
    cut = root / "site=mt" / "date=2026-11-30" / "b.warc.gz"
    cut.write_bytes(good.read_bytes()[: offsets[2] + 40])  # the third record cut short
    (root / "site=mt" / "date=2026-11-30" / ".c.warc.gz.open").write_bytes(good.read_bytes())
    files = warc_files([root])
    assert files == [good, cut]
    problems: Counter[str] = Counter()
    assert [r.url for r in archived_responses(cut, problems)] == ["http://h/a-0", "http://h/a-1"]
    assert problems == Counter({"unreadable_warc": 1})
    with pytest.raises(FileNotFoundError):
        warc_files([tmp_path / "nowhere"])


def test_warc_dates_keep_their_microseconds() -> None:
    assert parse_warc_date("2026-11-30T03:04:05.678901Z") == WHEN
    assert parse_warc_date("2026-11-30T03:04:05Z") == WHEN.replace(microsecond=0)


# --- end to end: a crawl with WARC capture, then re-extraction ------------------------------


def read_rows(output: Path) -> list[dict[str, Any]]:
    dataset = ds.dataset(
        str(output), format="parquet", partitioning="hive", exclude_invalid_files=True
    )
    return dataset.to_table().to_pylist()


def extract(output: Path, *options: str, setup: str = "") -> subprocess.CompletedProcess[str]:
    """``scrapy extract --warc <archive>/_warc ...``, after ``setup`` code (a rule change)."""
    code = f"{setup}\nfrom scrapy.cmdline import execute\nexecute()"
    return subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "extract",
            "--warc",
            str(output / "_warc"),
            *options,
            "-s",
            f"NEWSARCHIVE_OUTPUT={output}",
            "-s",
            "LOG_LEVEL=INFO",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def rule_change(word: str) -> str:
    """Code that gives the Moscow Times profile one more text rule (paragraphs that say
    ``word`` are boilerplate now) and its next profile version."""
    return (
        "from newsarchive.cleaning.boilerplate import BoilerplateRules, text_rule\n"
        "from newsarchive.spiders import moscowtimes as mt\n"
        "mt.MoscowTimesSpider.boilerplate_rules = BoilerplateRules(\n"
        "    selectors=mt.SITE_RULES.selectors,\n"
        f"    text_rules=(*mt.SITE_RULES.text_rules, text_rule('test', r'\\b{word}\\b')))\n"
        "mt.MoscowTimesSpider.profile_version = 2\n"
    )


def a_word_in_some_bodies(rows: list[dict[str, Any]]) -> tuple[str, set[str]]:
    """A word some articles' bodies say and the rest of every article never does, and the
    URLs of those articles."""
    elsewhere = " ".join(f"{r['title']} {r['subtitle'] or ''} {r['lead'] or ''}" for r in rows)
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update({w.lower() for w in re.findall(r"[A-Za-z]{6,}", row["body"])})
    for word, count in counts.most_common():
        if 0.2 * len(rows) <= count <= 0.6 * len(rows) and not re.search(
            rf"\b{word}\b", elsewhere, re.I
        ):
            said = {r["url"] for r in rows if re.search(rf"\b{word}\b", r["body"], re.I)}
            return word, said
    raise AssertionError("no word to make a rule of")


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A crawl of a small mirror with WARC capture on."""
    with MirrorServer(build_site(articles=40, seed=20261130)) as server:
        output = tmp_path_factory.mktemp("replay") / "output"
        result = run_crawl(server.base_url, output, settings={"NEWSARCHIVE_WARC": "1"})
        assert result.returncode == 0, result.log[-3000:]
        yield server, output


def test_reading_the_warc_gives_what_the_crawl_archived(captured: Any) -> None:
    _, output = captured
    rows = {r["url"]: r for r in read_rows(output)}
    done = extract(output)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert {line["url"] for line in lines} == set(rows)  # every article, nothing else
    for line in lines:
        row = rows[line["url"]]
        assert line["reason"] is None
        assert line["content_hash"] == row["content_hash"]
        assert line["crawled_at"] == row["crawled_at"].isoformat()
        assert (line["section"], line["published_at"]) == (
            row["section"],
            row["published_at"].isoformat(),
        )
        assert (line["warc_file"], line["warc_offset"]) == (row["warc_file"], row["warc_offset"])
    assert read_rows(output) == list(rows.values())  # nothing was written


def test_a_rule_change_versions_exactly_the_articles_it_changes(
    captured: Any, tmp_path: Path
) -> None:
    server, original = captured
    output = tmp_path / "output"
    subprocess.run(["cp", "-a", str(original), str(output)], check=True)
    before = read_rows(output)
    word, saying = a_word_in_some_bodies(before)
    old = {r["url"]: r for r in before}
    # What the new rule changes, read without writing: the articles whose hash it changes,
    # all of them articles that say the word (most paragraphs saying it are plain ones).
    reread = extract(output, setup=rule_change(word))
    assert reread.returncode == 0, reread.stderr[-3000:]
    affected = {
        line["url"]
        for line in map(json.loads, reread.stdout.splitlines())
        if line["content_hash"] != old[line["url"]]["content_hash"]
    }
    assert affected <= saying and len(affected) >= len(saying) / 2

    captured_files = sorted((output / "_warc").rglob("*"))
    done = extract(output, "--into-archive", setup=rule_change(word))
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted((output / "_warc").rglob("*")) == captured_files  # a replay captures nothing
    after = read_rows(output)
    new = [r for r in after if r["version"] == 2]
    assert {r["url"] for r in new} == affected
    for row in new:
        assert row["extractor_version"].endswith("+moscowtimes.2")
        first = old[row["url"]]
        said = rf"\b{word}\b"
        assert len(re.findall(said, row["body"], re.I)) < len(re.findall(said, first["body"], re.I))
        # the same fetch, read again: its time and its record are the original's
        assert row["crawled_at"] == first["crawled_at"]
        assert (row["warc_file"], row["warc_offset"]) == (first["warc_file"], first["warc_offset"])
        assert row["content_hash"] != first["content_hash"]
    assert f"incremental/unchanged: {len(before) - len(affected)}" in done.stderr
    manifests = sorted((output / "_manifests").glob("*.json"), key=lambda p: p.stat().st_mtime)
    replayed = json.loads(manifests[-1].read_text(encoding="utf-8"))
    assert (replayed["kind"], replayed["status"]) == ("replay", "ok")
    assert replayed["articles"]["updated"] == len(affected) == replayed["rows_written"]

    again = extract(output, "--into-archive", setup=rule_change(word))
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(read_rows(output)) == len(after)  # a second re-extraction writes nothing
    assert f"incremental/unchanged: {len(before)}" in again.stderr

    # The state kept up: a plain crawl of the unchanged site archives nothing more, and
    # every article is there once per version.
    crawl = run_crawl(server.base_url, output)
    assert crawl.returncode == 0, crawl.log[-3000:]
    final = read_rows(output)
    assert len(final) == len(after)
    assert len({(r["url"], r["content_hash"]) for r in final}) == len(final)
    assert len({(r["url"], r["version"]) for r in final}) == len(final)
