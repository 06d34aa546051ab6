"""Bad spider arguments and settings: one clear line and the right exit code, before anything
starts or is written (``newsarchive.arguments``, ``newsarchive.commands.crawl``)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsarchive import arguments
from newsarchive.arguments import BadArgument
from newsarchive.spiders.moscowtimes import MoscowTimesSpider
from tests.conftest import REPO

# Nothing listens there: a crawl that started anyway would fail, not hang on the network.
UNUSED = "http://127.0.0.1:9"


def crawl(output: Path, *args: str, spider: str = "moscowtimes") -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        spider,
        "-s",
        f"NEWSARCHIVE_OUTPUT={output}",
    ]
    for arg in args:
        command += ["-a", arg]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


def said(done: subprocess.CompletedProcess) -> list[str]:
    """What the run said beyond Scrapy's start-up banner: its own lines, and no traceback,
    warning or error."""
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert not [
        line for line in done.stderr.splitlines() if "] WARNING:" in line or "] ERROR:" in line
    ]
    return [line for line in done.stderr.splitlines() if line.startswith("newsarchive:")]


@pytest.mark.parametrize(
    ("argument", "named"),
    [
        ("since=someday", "since"),
        ("since=2999-01-01", "since"),
        ("max_pages=-1", "max_pages"),
        ("max_pages=abc", "max_pages"),
        ("base_url=notaurl", "base_url"),
        ("sections=bogus", "sections"),
        ("full=maybe", "full"),
        ("feeds=nope", "feeds"),
        ("timezone=Mars/Olympus", "timezone"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2_with_nothing_written(
    tmp_path: Path, argument: str, named: str
) -> None:
    output = tmp_path / "output"
    args = (argument,) if argument.startswith("base_url") else (f"base_url={UNUSED}", argument)
    done = crawl(output, *args)
    assert done.returncode == 2, done.stderr[-2000:]
    [line] = said(done)
    value = argument.split("=", 1)[1]
    assert line.startswith(f"newsarchive: not crawling: -a {named}={value!r}: give ")
    assert not output.exists()


def test_the_generic_mode_needs_a_site(tmp_path: Path) -> None:
    done = crawl(tmp_path / "output", spider="news")
    assert done.returncode == 2
    [line] = said(done)
    assert "-a url=None: give the site's home page" in line
    assert not (tmp_path / "output").exists()


def test_an_output_that_cannot_be_written_is_one_line_and_exit_73(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = crawl(blocker / "output", f"base_url={UNUSED}")
    assert done.returncode == 73, done.stderr[-2000:]
    [line] = said(done)
    assert line.startswith(f"newsarchive: not crawling: NEWSARCHIVE_OUTPUT='{blocker}/output'")


def test_relative_days_and_strict_flags() -> None:
    now = datetime(2026, 3, 5, 15, tzinfo=UTC)
    assert arguments.day("since", "yesterday", now=now) == datetime(2026, 3, 4, tzinfo=UTC)
    assert arguments.day("since", "3 days ago", now=now) == datetime(2026, 3, 2, tzinfo=UTC)
    assert arguments.day("since", "2026-01-31", now=now) == datetime(2026, 1, 31, tzinfo=UTC)
    with pytest.raises(BadArgument):
        arguments.day("since", "2026-02-30", now=now)
    assert arguments.flag("full", "Yes") is True and arguments.flag("full", "off") is False
    # a spider built with good arguments reads them as given
    spider = MoscowTimesSpider(base_url=UNUSED, since="2026-01-31", max_pages="2", full="1")
    assert (spider.since.date().isoformat(), spider.max_pages, spider.full) == (
        "2026-01-31",
        2,
        True,
    )
    # one unknown section among known ones is a counted skip at start, not an error
    assert MoscowTimesSpider(base_url=UNUSED, sections="news,bogus").requested_sections == [
        "news",
        "bogus",
    ]
