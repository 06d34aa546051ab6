"""Bad pages give counted drops or skips, never a traceback, and a failed run says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.exceptions import DownloadFailedError
from twisted.internet import error as net

from tests.conftest import run_crawl
from tests.pages_server import PagesServer

FIXTURE = Path(__file__).parent / "fixtures" / "moscowtimes" / "opinion_article.html"
REAL = "https://www.themoscowtimes.com"


def article(base: str, article_id: int, *, body: bool = True, jsonld: bool = True) -> str:
    html = FIXTURE.read_text(encoding="utf-8").replace(REAL, base)
    html = html.replace("a35123", f"a{article_id}")
    if not body:
        start = html.index('<div class="article__content">')
        end = html.index('<div class="article__disclaimer">')
        html = html[:start] + '<div class="article__content"></div></div>' + html[end:]
    if not jsonld:
        html = html.replace('"@type":"NewsArticle"', '"@type":"NewsArticle",,,{')
    return html


def section_page(base: str, ids: list[int]) -> str:
    excerpts = "".join(
        f'<div class="col-4"><div class="article-excerpt-default" '
        f'data-url="{base}/2014/05/03/story-a{i}" data-title="S{i}">'
        f'<a class="article-excerpt-default__link" href="{base}/2014/05/03/story-a{i}">S</a>'
        f"</div></div>"
        for i in ids
    )
    return (
        '<html><body><section class="cluster cluster--section-articles">'
        f"{excerpts}"
        f'<div y-use="More" data-url="{base}/news/{{{{offset}}}}" data-start="19" '
        'data-step="18"></div></section></body></html>'
    )


@pytest.fixture
def bad_site() -> Iterator[str]:
    with PagesServer() as server:
        base = server.base
        server.pages.update(
            {
                "/robots.txt": "User-agent: *\nDisallow: /search/\n",
                "/news": section_page(base, [1, 2, 3, 4]),
                "/news/19": "",  # the empty fragment that ends a section
                "/2014/05/03/story-a1": article(base, 1),
                "/2014/05/03/story-a2": article(base, 2, body=False),
                "/2014/05/03/story-a3": article(base, 3, jsonld=False),
                "/2014/05/03/story-a4": "<html><body><form>Please log in</form></body></html>",
            }
        )
        yield base


def test_bad_pages_are_counted_not_raised(bad_site: str, tmp_path: Path) -> None:
    result = run_crawl(bad_site, tmp_path / "output", "sections=news,no-such-section")
    assert "Traceback" not in result.log
    manifest = result.manifest
    assert manifest["dropped"] == {"missing_body": 1}
    assert manifest["skipped_pages"] == {"unknown_section": 1}
    # the login wall was retried (it may be a transient wall), then counted as failed
    assert manifest["failed_pages"] == {"not_an_article": 1}
    assert manifest["rows_written"] == 2  # the good one and the one with broken JSON-LD
    assert manifest["rejected"] == {"missing_body": 1}  # kept in _rejected/, not lost
    assert list((tmp_path / "output" / "_rejected").rglob("*.jsonl"))
    # one of three articles dropped is over NEWSARCHIVE_MAX_DROP_RATIO: cron must hear of it
    assert result.returncode == 1
    assert manifest["status"] == "failed"
    assert any("dropped" in failure for failure in manifest["failures"])
    assert "Dropped an item (missing_body)" in result.log
    assert "jsonld_invalid" in result.log or "newsarchive/extract/jsonld_invalid" in result.log


def test_threshold_is_a_setting(bad_site: str, tmp_path: Path) -> None:
    # (only the section the site has: a missing section fails a run whatever the thresholds)
    result = run_crawl(
        bad_site,
        tmp_path / "output",
        "sections=news",
        settings={"NEWSARCHIVE_MAX_DROP_RATIO": "0.5", "NEWSARCHIVE_MAX_FAILED_RATIO": "0.5"},
    )
    assert result.returncode == 0, result.log[-3000:]
    assert result.manifest["status"] == "ok"


def wrapped(error: Exception, cause: Exception) -> Exception:
    """``error`` raised from ``cause``, as Scrapy wraps Twisted's download errors."""
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (net.TimeoutError("took longer than 30 seconds"), "timeout"),
        (net.DNSLookupError("evil.invalid"), "dns_lookup_failed"),
        (net.ConnectionRefusedError(), "connection_refused"),
        (ZeroDivisionError(), "zerodivisionerror"),
        (wrapped(DownloadFailedError("x"), net.ConnectionDone()), "connection_lost"),
        (wrapped(DownloadFailedError("x"), ValueError()), "downloadfailederror"),
    ],
)
def test_failure_reasons_are_words_a_reader_knows(error: Exception, reason: str) -> None:
    from twisted.python.failure import Failure

    from newsarchive.spiders.base import failure_reason

    assert failure_reason(Failure(error)) == reason
