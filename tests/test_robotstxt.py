"""robots.txt: obeyed, its refusals counted as skips, and RFC 9309 when it is unreachable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_crawl
from tests.pages_server import NO_RESPONSE, PagesServer
from tests.test_bad_pages import article, section_page

ARTICLES = ("/2014/05/03/story-a1", "/2014/05/03/story-a2")


@pytest.fixture
def site() -> Iterator[PagesServer]:
    """Two articles in /news; each test sets ``pages["/robots.txt"]``."""
    with PagesServer() as server:
        server.pages.update(
            {
                "/news": section_page(server.base, [1, 2]),
                "/news/19": "",
                ARTICLES[0]: article(server.base, 1),
                ARTICLES[1]: article(server.base, 2),
            }
        )
        yield server


def test_robots_txt_is_obeyed_and_its_refusals_are_skips(site: PagesServer, tmp_path: Path) -> None:
    site.pages["/robots.txt"] = f"User-agent: *\nDisallow: {ARTICLES[1]}\n"
    result = run_crawl(site.base, tmp_path / "output", "sections=news")
    assert site.requested[0] == "/robots.txt"
    assert ARTICLES[0] in site.requested
    assert ARTICLES[1] not in site.requested
    assert "'robotstxt/forbidden': 1" in result.log
    # the site's wish is counted as a skip; it does not fail the run
    assert result.manifest["skipped_pages"] == {"forbidden_by_robots": 1}
    assert result.manifest["failed_pages"] == {}
    assert result.manifest["rows_written"] == 1
    assert result.returncode == 0, result.log[-3000:]


def unreachable_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Could not read" in line]


@pytest.mark.parametrize("answer", [NO_RESPONSE, 503, 429], ids=["no_response", "503", "429"])
def test_unreachable_robots_txt_means_nothing_is_fetched(
    site: PagesServer, tmp_path: Path, answer: object
) -> None:
    """RFC 9309: a robots.txt that is unreachable (server or network error) disallows all."""
    site.pages["/robots.txt"] = answer
    result = run_crawl(
        site.base, tmp_path / "output", "sections=news", settings={"RETRY_TIMES": "0"}
    )
    assert site.requested == ["/robots.txt"]
    assert "Traceback" not in result.log
    (line,) = unreachable_lines(result.log)
    assert "ERROR" in line and f"{site.base}/robots.txt" in line and "RFC 9309" in line
    reason = "connection_lost" if answer is NO_RESPONSE else f"http_{answer}"
    assert f"'newsarchive/robotstxt/unreachable/{reason}': 1" in result.log
    assert result.manifest["skipped_pages"] == {"forbidden_by_robots": 1}  # the section page
    assert result.manifest["rows_written"] == 0
    assert result.returncode == 1  # the error fails the run (NEWSARCHIVE_MAX_ERRORS=0)


def test_unreachable_robots_txt_may_be_crawled_as_scrapy_does(
    site: PagesServer, tmp_path: Path
) -> None:
    site.pages["/robots.txt"] = NO_RESPONSE
    result = run_crawl(
        site.base,
        tmp_path / "output",
        "sections=news",
        settings={"RETRY_TIMES": "0", "NEWSARCHIVE_ROBOTSTXT_UNREACHABLE": "allow"},
    )
    assert "Traceback" not in result.log
    (line,) = unreachable_lines(result.log)
    assert "WARNING" in line and "as if it had no robots.txt rules" in line
    assert set(ARTICLES) <= set(site.requested)
    assert result.manifest["rows_written"] == 2
    assert result.returncode == 0, result.log[-3000:]


def test_robots_txt_answering_404_allows_everything(site: PagesServer, tmp_path: Path) -> None:
    result = run_crawl(site.base, tmp_path / "output", "sections=news")  # no /robots.txt
    assert not unreachable_lines(result.log)
    assert result.manifest["rows_written"] == 2
    assert result.returncode == 0, result.log[-3000:]


def test_unknown_policy_is_refused(site: PagesServer, tmp_path: Path) -> None:
    site.pages["/robots.txt"] = ""
    result = run_crawl(
        site.base,
        tmp_path / "output",
        "sections=news",
        settings={"NEWSARCHIVE_ROBOTSTXT_UNREACHABLE": "sometimes"},
    )
    assert result.returncode != 0
    assert "NEWSARCHIVE_ROBOTSTXT_UNREACHABLE must be one of disallow, allow" in result.log
    assert site.requested == []
