"""robots.txt: obeyed by default, and one clear line (no traceback) when it cannot be fetched."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_crawl
from tests.test_bad_pages import article, section_page

ARTICLES = ("/2014/05/03/story-a1", "/2014/05/03/story-a2")
NO_RESPONSE = object()  # the connection is closed without an answer


class Site:
    """Two articles in /news; ``pages["/robots.txt"]`` is set by each test."""

    def __init__(self) -> None:
        self.pages: dict[str, object] = {}
        self.requested: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requested.append(self.path)
                body = site.pages.get(self.path)
                if body is NO_RESPONSE:
                    return  # the server closes the connection: no response at all
                data = str(body if body is not None else "").encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.pages.update(
            {
                "/news": section_page(self.base, [1, 2]),
                "/news/19": "",
                ARTICLES[0]: article(self.base, 1),
                ARTICLES[1]: article(self.base, 2),
            }
        )


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def test_robots_txt_is_obeyed(site: Site, tmp_path: Path) -> None:
    site.pages["/robots.txt"] = f"User-agent: *\nDisallow: {ARTICLES[1]}\n"
    result = run_crawl(site.base, tmp_path / "output", "sections=news")
    assert site.requested[0] == "/robots.txt"
    assert ARTICLES[0] in site.requested
    assert ARTICLES[1] not in site.requested
    assert "'robotstxt/forbidden': 1" in result.log
    assert result.manifest["rows_written"] == 1


def test_robots_txt_that_cannot_be_fetched_is_one_clear_error(site: Site, tmp_path: Path) -> None:
    site.pages["/robots.txt"] = NO_RESPONSE
    result = run_crawl(
        site.base, tmp_path / "output", "sections=news", settings={"RETRY_TIMES": "0"}
    )
    assert "Traceback" not in result.log
    lines = [line for line in result.log.splitlines() if "robots.txt" in line and "ERROR" in line]
    assert len(lines) == 1, lines
    assert f"Could not download {site.base}/robots.txt (" in lines[0]
    assert "as if it had no robots.txt rules" in lines[0]
    assert "robotstxt/exception_count/" in result.log  # Scrapy's count of it
    # the crawl went on without rules, and the error fails the run (NEWSARCHIVE_MAX_ERRORS=0)
    assert set(ARTICLES) <= set(site.requested)
    assert result.manifest["rows_written"] == 2
    assert result.returncode == 1
