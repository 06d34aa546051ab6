"""The README is for newcomers: its commands, schema and query snippets must be true."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive.dates import parse_datetime
from newsarchive.schema import ARTICLE_SCHEMA
from tests.conftest import REPO, CrawlResult

README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"^(python3 -m venv .*)$", section("Two commands"), re.M)
    assert len(commands) == 2
    assert commands[0].endswith("python -m newsarchive.demo")
    assert commands[1] in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_schema_table_matches_the_arrow_schema() -> None:
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \| (.*) \|$", section("The archive"), re.M)
    documented = [(name, kind, doc) for name, kind, doc in rows]
    actual = [(f.name, str(f.type), f.metadata[b"doc"].decode()) for f in ARTICLE_SCHEMA]
    assert documented == actual


@pytest.fixture
def in_archive_dir(crawled: CrawlResult, tmp_path: Path):
    """The crawled archive, with what the demo leaves beside it: the run report."""
    shutil.copytree(crawled.output, tmp_path / "output")  # (DuckDB's ** skips symlinks)
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "report",
            "-s",
            f"NEWSARCHIVE_OUTPUT={tmp_path / 'output'}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.returncode == 0 and list((tmp_path / "output").glob("*report*.html")), report
    cwd = os.getcwd()
    os.chdir(tmp_path)
    yield
    os.chdir(cwd)


def test_query_snippets_run(in_archive_dir, mirror) -> None:
    snippets = re.findall(r"```python\n(.*?)```", section("Querying the archive"), re.S)
    assert len(snippets) == 5
    namespace: dict = {}
    for snippet in snippets:
        exec(compile(snippet, "README.md", "exec"), namespace)
    expected = len(mirror.ground_truth()["articles"])
    assert namespace["latest"].shape[0] == expected
    assert sum(row[2] for row in namespace["per_day"].fetchall()) == expected
    assert len(namespace["articles"]) == expected
    assert 0 < namespace["recent"].num_rows < expected
    # every row says where its date came from (the mirror's pages all carry JSON-LD)
    sources = namespace["sources"].fetchall()
    assert [(source, rows) for source, rows, _ in sources] == [("jsonld", expected)]
    assert all(parse_datetime(example) for _, _, example in sources)


def test_the_release_is_stated_once_and_rows_carry_it() -> None:
    import tomllib

    import newsarchive
    from newsarchive.spiders.moscowtimes import MoscowTimesSpider

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert newsarchive.__version__ == project["version"]
    assert MoscowTimesSpider.extractor_version() == f"{project['version']}+moscowtimes.1"
