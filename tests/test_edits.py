"""Edits between versions: the word diff, the DuckDB queries (latest, as of, edits) on a
hand-built archive, and ``scrapy edits`` on a mirror whose articles the site updated."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsarchive import analysis
from newsarchive.commands.edits import edit_text
from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.schema import FILE_SCHEMA
from newsarchive.storage import read_archive
from newsarchive.worddiff import (
    DiffOp,
    diff_json,
    has_changes,
    join_words,
    render_hunks,
    word_diff,
    words,
)
from tests.conftest import REPO, run_crawl
from tests.test_compact import write_file
from tests.test_readme import README

# --- the word diff ------------------------------------------------------------------------------


def changes(ops: list[DiffOp]) -> list[tuple[str, str, str]]:
    return [(op.op, join_words(op.old), join_words(op.new)) for op in ops if op.op != "equal"]


def test_a_replaced_word_is_one_replace_with_its_punctuation() -> None:
    ops = word_diff(
        "The minister said the plan, was final.", "The minister claimed the plan, was final."
    )
    assert changes(ops) == [("replace", "said", "claimed")]
    assert join_words([w for op in ops for w in op.old]) == "The minister said the plan, was final."


def test_punctuation_stays_on_its_word() -> None:
    assert words("Moscow, Russia. “Yes!”") == ["Moscow,", "Russia.", "“Yes!”"]
    assert changes(word_diff("He left on Monday.", "He left on Monday!")) == [
        ("replace", "Monday.", "Monday!")
    ]


def test_an_added_paragraph_is_one_insert_starting_with_the_break() -> None:
    old = "First paragraph here.\n\nSecond one."
    new = old + "\n\nA new third paragraph."
    ops = word_diff(old, new)
    assert changes(ops) == [("insert", "", "\n\nA new third paragraph.")]
    assert render_hunks(ops) == ["… paragraph here. ¶ Second one. {+¶ A new third paragraph.+}"]
    # a paragraph split is a change too, though no word changed
    assert changes(word_diff("One two three four", "One two\n\nthree four")) == [
        ("insert", "", "\n\n")
    ]


def test_unchanged_text_gives_no_change() -> None:
    text = "Nothing changed here.\n\nOr here."
    ops = word_diff(text, text)
    assert not has_changes(ops) and render_hunks(ops) == []
    assert [op.op for op in ops] == ["equal"]
    assert word_diff(None, "") == [] and not has_changes(word_diff(None, None))
    assert changes(word_diff(None, "A new lead.")) == [("insert", "", "A new lead.")]


def test_a_one_word_edit_in_a_long_body_is_one_short_line() -> None:
    body = "\n\n".join(" ".join(f"w{p}x{i}" for i in range(100)) for p in range(10))  # 1,000 words
    edited = body.replace("w5x50", "CHANGED")
    lines = render_hunks(word_diff(body, edited), context=3)
    assert lines == ["… w5x47 w5x48 w5x49 [-w5x50-]{+CHANGED+} w5x51 w5x52 w5x53 …"]


def test_changes_far_apart_are_separate_lines_and_near_ones_share_one() -> None:
    old = " ".join(f"w{i}" for i in range(40))
    far = old.replace("w5 ", "A ").replace("w30 ", "B ")
    assert render_hunks(word_diff(old, far), context=2) == [
        "… w3 w4 [-w5-]{+A+} w6 w7 …",
        "… w28 w29 [-w30-]{+B+} w31 w32 …",
    ]
    near = old.replace("w5 ", "A ").replace("w9 ", "B ")  # 3 words apart: within 2 x 2
    assert render_hunks(word_diff(old, near), context=2) == [
        "… w3 w4 [-w5-]{+A+} w6 w7 w8 [-w9-]{+B+} w10 w11 …"
    ]
    # at the very start and end, no ellipsis
    assert render_hunks(word_diff("a b c", "x b c d"), context=5) == ["[-a-]{+x+} b c {+d+}"]


def test_colour_in_a_terminal_red_struck_and_green() -> None:
    [line] = render_hunks(word_diff("a b c", "a x c"), colour=True)
    assert line == "a \x1b[9;31mb\x1b[0m\x1b[32mx\x1b[0m c"


def test_json_operations_rebuild_both_texts() -> None:
    old = "Title of it.\n\nBody one, two.\n\nGone paragraph."
    new = "Title of it!\n\nBody one, two, three.\n\nNew paragraph here."
    ops = diff_json(word_diff(old, new))
    assert {op["op"] for op in ops} <= {"equal", "delete", "insert", "replace"}
    before = [w for op in ops for w in words(op.get("text", op.get("old", "")))]
    after = [w for op in ops for w in words(op.get("text", op.get("new", "")))]
    assert before == words(old) and after == words(new)
    assert json.loads(json.dumps(ops)) == ops


# --- the queries, on a hand-built archive -------------------------------------------------------

T0 = datetime(2026, 2, 24, 8, tzinfo=UTC)
T1 = T0 + timedelta(hours=6)  # A edited
T2 = T0 + timedelta(hours=30)  # A edited again, its publication day moved to the 25th
URL_A = "https://daily.example/news/bridge-opens-a1"
URL_B = "https://daily.example/news/budget-a2"
URL_C = "https://daily.example/news/old-schema-a3"
OLD = "0.1.0+daily.1"
NEW = "0.2.0+daily.1"


def version(
    url: str,
    number: int,
    crawled: datetime,
    *,
    day: str = "2026-02-24",
    extractor: str | None = OLD,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "url": url,
        "article_id": url.rsplit("-a", 1)[1],
        "title": "Bridge opens",
        "lead": None,
        "body": "The mayor opened the bridge on Monday.\n\nTraffic was light.",
        "published_at": datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=7),
        "content_hash": f"{url[-2:]}-{number}",
        "version": number,
        "crawled_at": crawled,
        "extractor_version": extractor,
        **fields,
    }


A1 = version(URL_A, 1, T0)
A2 = version(
    URL_A,
    2,
    T1,
    title="Bridge opens after delay",
    body="The mayor opened the new bridge on Monday.\n\nTraffic was light.",
)
A3 = version(
    URL_A,
    3,
    T2,
    day="2026-02-25",
    title="Bridge opens after delay",
    lead="A short lead.",
    body=A2["body"] + "\n\nThe bridge cost 40 million.",
)
# Fetch T1 read again by newer code: another subtitle, a paragraph (a caption, say) dropped.
A4 = {
    **A2,
    "version": 4,
    "content_hash": "a1-4",
    "extractor_version": NEW,
    "subtitle": "A subtitle",
    "body": "The mayor opened the new bridge on Monday.",
}
B1 = version(URL_B, 1, T0, title="Budget", body="The budget grew.")
# B's only fetch read again by newer code: a re-reading, never an edit.
B2 = {
    **B1,
    "version": 2,
    "content_hash": "a2-2",
    "extractor_version": NEW,
    "body": "The budget grew.\n\nAdvertisement",
}
OTHER = version(URL_A, 1, T2, title="Same URL, other site")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "output"
    write_file(root, "daily", "2026-02-24", "run1", [A1, B1])
    write_file(root, "daily", "2026-02-24", "run2", [A2])
    write_file(root, "daily", "2026-02-25", "run3", [A3])
    write_file(root, "daily", "2026-02-24", "reextract", [A4, B2])
    write_file(root, "other", "2026-02-24", "run1", [OTHER])
    return root


def as_rows(relation: Any, *columns: str) -> list[tuple[Any, ...]]:
    return sorted(relation.project(", ".join(columns)).fetchall())


def test_latest_is_the_current_reading_of_the_latest_fetch(archive: Path) -> None:
    latest = analysis.latest(archive)
    assert as_rows(latest, "site", "url", "version", "crawled_at") == [
        ("daily", URL_A, 3, T2),  # not 4: a re-reading of an older fetch
        ("daily", URL_B, 2, T0),  # the re-reading of its only fetch
        ("other", URL_A, 1, T2),
    ]
    [(day,)] = (
        analysis.latest(archive, site="daily").filter(f"url = '{URL_A}'").project("date").fetchall()
    )
    assert day == date(2026, 2, 25)  # one row, though its versions lie in two partitions
    assert set(latest.columns) == {*FILE_SCHEMA.names, "site", "date"}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (T0 - timedelta(microseconds=1), []),
        (T0, [(URL_A, 1), (URL_B, 2)]),
        (T0 + timedelta(hours=1), [(URL_A, 1), (URL_B, 2)]),
        (T1, [(URL_A, 4), (URL_B, 2)]),
        ((T1 + timedelta(hours=1)).isoformat(), [(URL_A, 4), (URL_B, 2)]),
        ("2026-02-25", [(URL_A, 4), (URL_B, 2)]),  # a day is its start, 00:00 UTC
        (T2, [(URL_A, 3), (URL_B, 2)]),
        (date(2030, 1, 1), [(URL_A, 3), (URL_B, 2)]),
        (T1.replace(tzinfo=None), [(URL_A, 4), (URL_B, 2)]),  # naive: UTC
    ],
)
def test_as_of_is_the_last_fetch_at_or_before(archive: Path, when: Any, expected: list) -> None:
    assert as_rows(analysis.as_of(archive, when, site="daily"), "url", "version") == expected


def test_edits_compare_consecutive_fetches_not_readings_of_one(archive: Path) -> None:
    edits = analysis.edits(archive).to_dicts()
    assert [(e["url"], e["from_version"], e["to_version"]) for e in edits] == [
        (URL_A, 1, 4),  # fetch T0 -> fetch T1 (its current reading, by the newer code)
        (URL_A, 4, 3),  # fetch T1 -> fetch T2; never 2 -> 4, and nothing for B
    ]
    first, second = edits
    assert (first["from_crawled_at"], first["to_crawled_at"]) == (T0, T1)
    assert (second["from_crawled_at"], second["to_crawled_at"]) == (T1, T2)
    assert (first["from_extractor_version"], first["to_extractor_version"]) == (OLD, NEW)
    assert first["changed"] == ["title", "body"] and second["changed"] == ["lead", "body"]
    assert (first["from_title"], first["to_title"]) == ("Bridge opens", "Bridge opens after delay")
    assert (second["from_lead"], second["to_lead"]) == (None, "A short lead.")
    assert changes(word_diff(second["from_body"], second["to_body"])) == [
        ("insert", "", "\n\nTraffic was light.\n\nThe bridge cost 40 million.")
    ]


def test_edits_filters(archive: Path) -> None:
    def pairs(**filters: Any) -> list[tuple[str, int, int]]:
        return as_rows(analysis.edits(archive, **filters), "url", "from_version", "to_version")

    assert pairs(since="2026-02-25") == [(URL_A, 4, 3)]  # the newer fetch on or after the day
    assert pairs(since=date(2026, 2, 24)) == pairs() == [(URL_A, 1, 4), (URL_A, 4, 3)]
    assert pairs(since=T1 + timedelta(seconds=1)) == [(URL_A, 4, 3)]
    assert pairs(since="2026-02-26") == []
    assert pairs(url=URL_B) == [] and pairs(url=URL_A) == pairs()
    assert pairs(site="other") == []
    assert pairs(site="daily", url=URL_A, since="2026-02-24") == pairs()


def test_files_of_an_older_schema_are_read(tmp_path: Path) -> None:
    """A schema-2 file (no extractor_version, warc_file, warc_offset) not yet upgraded."""
    root = tmp_path / "output"
    old_schema = pa.schema(
        [f for f in FILE_SCHEMA if f.name not in {"extractor_version", "warc_file", "warc_offset"}]
    )
    c1 = version(URL_C, 1, T0, body="Old words here.")
    c2 = version(URL_C, 2, T1, body="Old words there.")
    rows = [{k: v for k, v in r.items() if k in old_schema.names} for r in (c1, c2)]
    path = root / "site=daily" / "date=2026-02-24" / "part-old.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=old_schema), path)
    [edit] = analysis.edits(root).project("to_version, to_extractor_version, changed").fetchall()
    assert edit == (2, None, ["body"])
    assert as_rows(analysis.latest(root), "version", "extractor_version", "warc_offset") == [
        (2, None, None)
    ]
    write_file(root, "daily", "2026-02-24", "new", [version(URL_C, 3, T2, body="New words.")])
    assert as_rows(analysis.edits(root), "from_version", "to_version") == [(1, 2), (2, 3)]


@pytest.mark.parametrize("where", ["missing", "empty", "file"])
def test_no_archive_is_an_analysis_error(tmp_path: Path, where: str) -> None:
    root = tmp_path / "output"
    if where == "empty":
        root.mkdir()
    elif where == "file":
        root.write_text("not an archive")
    with pytest.raises(analysis.AnalysisError, match=r"^no archive"):
        analysis.edits(root)


def test_bad_arguments_are_analysis_errors(archive: Path) -> None:
    with pytest.raises(analysis.AnalysisError, match="no archive files of site nosuch"):
        analysis.latest(archive, site="nosuch")
    with pytest.raises(analysis.AnalysisError, match="unsafe site name"):
        analysis.latest(archive, site="../etc")
    with pytest.raises(analysis.AnalysisError, match="when 'soon'"):
        analysis.as_of(archive, "soon")
    with pytest.raises(analysis.AnalysisError, match="not an archive this release can write"):
        analysis.latest("gs://bucket/news")


def test_edit_text_names_versions_times_and_the_reader(archive: Path) -> None:
    first = analysis.edits(archive).limit(1).to_dicts()[0]
    assert edit_text(first) == [
        "  version 1 fetched 2026-02-24 08:00:00 UTC -> version 4 fetched 2026-02-24 14:00:00 UTC"
        f" (read by {OLD} -> {NEW})",
        "    title: Bridge opens {+after delay+}",
        "    body: The mayor opened the {+new+} bridge on Monday. [-¶ Traffic was light.-]",
    ]


def scrapy_edits(root: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "edits", *args, "-s", f"NEWSARCHIVE_OUTPUT={root}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_scrapy_edits_filters_and_no_edits(archive: Path) -> None:
    done = scrapy_edits(archive, "--site", "daily", "--since", "2026-02-25", "--format", "json")
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    edit = json.loads(line)
    assert (edit["url"], edit["from_version"], edit["to_version"]) == (URL_A, 4, 3)
    assert (edit["from_crawled_at"], edit["to_crawled_at"]) == (
        "2026-02-24T14:00:00Z",
        "2026-02-25T14:00:00Z",
    )
    assert list(edit["changes"]) == ["lead", "body"]
    assert edit["changes"]["lead"] == [{"op": "insert", "new": "A short lead."}]

    none = scrapy_edits(archive, "--url", URL_B)
    assert (none.returncode, none.stdout, none.stderr) == (0, "no edits\n", "")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--since", "someday"), 2, "--since 'someday': give a day as YYYY-MM-DD"),
        (("--site", "../x"), 2, "unsafe site name"),
        (
            ("--site", "nosuch"),
            1,
            "newsarchive: no edits listed: no archive files of site nosuch in",
        ),
        (("--format", "xml"), 2, "invalid choice: 'xml'"),
    ],
)
def test_scrapy_edits_bad_arguments_are_one_line(
    archive: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    done = scrapy_edits(archive, *args)
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("where", ["missing", "empty", "unsupported"])
def test_scrapy_edits_on_no_archive_is_one_line(tmp_path: Path, where: str) -> None:
    root: Path | str = tmp_path / "output"
    if where == "empty":
        root.mkdir()  # type: ignore[union-attr]
    elif where == "unsupported":
        root = "gs://bucket/news"
    done = scrapy_edits(root)
    assert done.returncode == (2 if where == "unsupported" else 1)
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("newsarchive: no edits listed: ")
    assert {"missing": "no such folder", "empty": "no archive files in", "unsupported": "gs://"}[
        where
    ] in line
    assert done.stdout == ""


# --- end to end: the mirror updates articles between crawls -------------------------------------


class UpdatedMirror:
    """Three crawls of a mirror, which updates some articles before the 2nd and the 3rd."""

    def __init__(self, output: Path, truth: dict[str, Any], updates: list[list[int]]) -> None:
        self.output = output
        self.truth = {int(a["article_id"]): a for a in truth["articles"]}
        self.updates = updates

    def expected(self) -> dict[str, list[tuple[int, int, str]]]:
        """Per updated article's URL, its edits: versions and the paragraph each added."""
        found: dict[str, list[tuple[int, int, str]]] = {}
        for updated in self.updates:
            for article_id in updated:
                article = self.truth[article_id]
                count = sum(article_id in u for u in self.updates)
                edits = found.setdefault(article["url"], [])
                added = article["body_paragraphs"][len(edits) - count]
                edits.append((len(edits) + 1, len(edits) + 2, added))
        return found


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpdatedMirror]:
    output = tmp_path_factory.mktemp("edits") / "output"
    updates = []
    with MirrorServer(build_site(articles=60, seed=13)) as server:
        assert run_crawl(server.base_url, output).returncode == 0
        for new_articles in (4, 0):  # the new ones of the first advance are updatable later
            change = server.advance(new_articles=new_articles, updated_articles=3, hours=6)
            updates.append(change["updated"])
            crawl = run_crawl(server.base_url, output)
            assert crawl.returncode == 0, crawl.log[-3000:]
        truth = server.ground_truth()
    yield UpdatedMirror(output, truth, updates)


def test_scrapy_edits_shows_the_mirrors_updated_articles(updated: UpdatedMirror) -> None:
    expected = updated.expected()
    assert len(expected) >= 3 and any(len(e) == 2 for e in expected.values()), expected
    done = scrapy_edits(updated.output)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    shown = re.findall(r"^(\S+)  \(moscowtimes\)$", text, re.M)
    assert sorted(shown) == sorted(expected)  # exactly the updated articles, once each
    count = sum(len(e) for e in expected.values())
    assert text.endswith(f"\n{count} edit(s) of {len(expected)} article(s)\n")
    assert "\x1b[" not in text  # not a terminal: markers, no colour
    for url, edits in expected.items():
        block = text.split(f"{url}  (moscowtimes)\n", 1)[1].split("\n\n", 1)[0].splitlines()
        for (before, after, paragraph), (header, body) in zip(
            edits, zip(block[::2], block[1::2], strict=True), strict=True
        ):
            assert re.fullmatch(
                rf"  version {before} fetched \S+ \S+ UTC -> version {after} fetched \S+ \S+ UTC",
                header,
            )
            # only the body changed, and the one change is the added paragraph, at its end
            assert body.startswith("    body: … ") and body.endswith(f"{{+¶ {paragraph}+}}")


def test_scrapy_edits_json_agrees_with_the_archive(updated: UpdatedMirror) -> None:
    expected = updated.expected()
    done = scrapy_edits(updated.output, "--format", "json")
    assert done.returncode == 0, done.stderr
    edits = [json.loads(line) for line in done.stdout.splitlines()]
    rows = {(r["url"], r["version"]): r for r in read_archive(updated.output).to_pylist()}
    got: dict[str, list[tuple[int, int, str]]] = {}
    for edit in edits:
        url, old, new = edit["url"], edit["from_version"], edit["to_version"]
        assert edit["site"] == "moscowtimes" and list(edit["changes"]) == ["body"]
        for side, number in (("from", old), ("to", new)):
            crawled = rows[(url, number)]["crawled_at"].isoformat().replace("+00:00", "Z")
            assert edit[f"{side}_crawled_at"] == crawled
        ops = edit["changes"]["body"]
        before = [w for op in ops for w in words(op.get("text", op.get("old", "")))]
        after = [w for op in ops for w in words(op.get("text", op.get("new", "")))]
        assert before == words(rows[(url, old)]["body"]) and after == words(
            rows[(url, new)]["body"]
        )
        [insert] = [op for op in ops if op["op"] != "equal"]
        assert insert["op"] == "insert" and insert["new"].startswith("\n\n")
        got.setdefault(url, []).append((old, new, insert["new"][2:]))
    assert got == expected


def test_readme_edits_snippets_run(updated: UpdatedMirror, monkeypatch: pytest.MonkeyPatch) -> None:
    section = re.search(r"^## Edits between versions\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert section, "README has no section 'Edits between versions'"
    snippets = re.findall(r"```python\n(.*?)```", section.group(1), re.S)
    assert len(snippets) == 2
    monkeypatch.chdir(updated.output.parent)
    namespace: dict[str, Any] = {}
    for snippet in snippets:
        exec(compile(snippet, "README.md", "exec"), namespace)
    expected = updated.expected()
    assert namespace["newest"].count("*").fetchall()[0][0] == len(updated.truth)
    assert namespace["day_ago"].fetchall() == []  # everything was fetched in the last minutes
    assert namespace["changes"].count("*").fetchall()[0][0] == sum(map(len, expected.values()))
    assert os.path.basename(namespace["url"]) in {os.path.basename(u) for u in expected}


def test_an_s3_archive_is_read_through_s3fs(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from newsarchive.archive_fs import parse_location
    from tests.services import moto_server

    with moto_server() as endpoint:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
        boto3.client("s3").create_bucket(Bucket="edits")
        location = parse_location("s3://edits/news")
        for day, name, rows in [
            ("2026-02-24", "run1", [A1, B1]),
            ("2026-02-24", "run2", [A2]),
            ("2026-02-25", "run3", [A3]),
        ]:
            table = pa.Table.from_pylist(rows, schema=FILE_SCHEMA)
            location.write_table(table, location.path(f"site=daily/date={day}/part-{name}.parquet"))
        url = "s3://edits/news"
        assert as_rows(analysis.latest(url), "url", "version") == [(URL_A, 3), (URL_B, 1)]
        assert as_rows(analysis.as_of(url, T1), "url", "version") == [(URL_A, 2), (URL_B, 1)]
        assert as_rows(analysis.edits(url), "from_version", "to_version") == [(1, 2), (2, 3)]
        with pytest.raises(analysis.AnalysisError, match="no archive files in s3://edits/empty"):
            analysis.edits("s3://edits/empty")
