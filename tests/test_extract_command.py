"""``scrapy extract --manifest``: saved pages in, one JSON line per page out, no network."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.mirror.wordpress import build_wordpress_site
from tests.conftest import REPO


def extract(manifest: Path, *options: str) -> tuple[list[dict[str, Any]], str]:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "extract", "--manifest", str(manifest), *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def save_pages(server: MirrorServer, folder: Path, count: int) -> list[dict[str, Any]]:
    """``count`` articles of the mirror saved as files (every other one gzipped)."""
    articles = server.ground_truth()["articles"][:count]
    for i, article in enumerate(articles):
        body = urlopen(article["url"]).read()
        path = folder / (f"{i}.html.gz" if i % 2 else f"{i}.html")
        path.write_bytes(gzip.compress(body) if i % 2 else body)
        article["path"] = path.name
    return articles


def assert_same_text(row: dict[str, Any], article: dict[str, Any]) -> None:
    assert row["reason"] is None, row
    assert row["title"] == article["title"]
    assert row["body"] == "\n\n".join(article["body_paragraphs"])
    assert row["published_at"].replace("+00:00", "Z") == article["published_at"]
    assert row["authors"] == article["authors"]


@pytest.mark.parametrize(
    ("build", "spider"),
    [(build_site, "moscowtimes"), (build_wordpress_site, "lindenauer")],
)
def test_a_profile_reads_saved_pages_as_a_crawl_does(
    tmp_path: Path, build: Any, spider: str
) -> None:
    with MirrorServer(build(30, 6)) as server:
        articles = save_pages(server, tmp_path, 12)
    manifest = tmp_path / "pages.jsonl"
    lines = [json.dumps({"url": a["url"], "path": a["path"]}) for a in articles]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, summary = extract(manifest, "--spider", spider)
    assert [row["url"] for row in rows] == [a["url"] for a in articles]  # the input's order
    for row, article in zip(rows, articles, strict=True):
        assert_same_text(row, article)
        assert row["site"] == spider and row["word_count"] > 0 and row["content_hash"]
    assert "article: 12" in summary


def test_without_a_profile_the_generic_mode_reads_a_wordpress_site(tmp_path: Path) -> None:
    """No profile claims the mirror's host: structured data and the WordPress preset."""
    with MirrorServer(build_wordpress_site(30, 6)) as server:
        articles = save_pages(server, tmp_path, 12)
    manifest = tmp_path / "pages.jsonl"
    lines = [json.dumps({"url": a["url"], "path": a["path"]}) for a in articles]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, _ = extract(manifest)
    for row, article in zip(rows, articles, strict=True):
        assert_same_text(row, article)
        assert row["site"] == "127-0-0-1"  # named after the host


def test_bad_input_is_a_reason_on_its_line(tmp_path: Path) -> None:
    (tmp_path / "wall.html").write_text(
        "<html><body><form><input name=user><input type=password></form></body></html>"
    )
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "broken.html.gz").write_bytes(b"not gzip at all")
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text(
        "\n".join(
            [
                "this is not JSON",
                json.dumps({"url": "https://example.org/a/1"}),
                json.dumps({"url": "https://example.org/a/2", "path": "nowhere.html"}),
                json.dumps({"url": "https://example.org/a/3", "path": "wall.html"}),
                json.dumps({"url": "https://example.org/a/4", "path": "binary.bin"}),
                json.dumps({"url": "https://example.org/a/5", "path": "broken.html.gz"}),
                json.dumps({"url": "ftp://example.org/a/6", "path": "wall.html"}),
                json.dumps({"url": "https://", "path": "wall.html"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    rows, summary = extract(manifest)
    assert [row["reason"] for row in rows] == [
        "bad_manifest_line",
        "bad_manifest_line",
        "missing_file",
        "not_an_article",
        "not_an_article",
        "unreadable_file",
        "not_an_article",  # not an http(s) URL: read in generic mode all the same
        "not_an_article",  # no host: likewise
    ]
    assert rows[6]["url"] == "ftp://example.org/a/6"
    assert rows[0]["line"] == 1 and rows[2]["url"] == "https://example.org/a/2"
    assert "not_an_article: 4" in summary and "bad_manifest_line: 2" in summary


WORDS = " ".join(f"Wort{i}" for i in range(60))
HEAD = '<html lang="de"><head><title>Ein Titel | Die Zeitung</title>'


def extract_one(folder: Path, url: str, html: str) -> dict[str, Any]:
    """``scrapy extract``'s line for one saved page."""
    (folder / "page.html").write_text(html, encoding="utf-8")
    manifest = folder / "pages.jsonl"
    manifest.write_text(json.dumps({"url": url, "path": "page.html"}) + "\n")
    [row], _ = extract(manifest)
    return row


def test_a_page_saved_without_its_url_is_read_in_generic_mode(tmp_path: Path) -> None:
    row = extract_one(
        tmp_path,
        "saved.html",
        f'{HEAD}<meta property="article:published_time" content="2026-03-05T09:15:00+01:00">'
        f"</head><body><article><h1>Ein Titel</h1><p>{WORDS}.</p></article></body></html>",
    )
    assert row["reason"] is None, row
    assert (row["url"], row["canonical_url"], row["title"]) == ("saved.html", None, "Ein Titel")
    assert row["body"].startswith("Wort0 Wort1")  # the headline is not the body's first line
    assert (row["published_at"], row["published_at_source"]) == (
        "2026-03-05T08:15:00+00:00",
        "meta",
    )


def test_a_saved_page_cut_short_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    """A crawl fetches a cut page again; a saved page is all there is. Its title, with no
    headline in the page, is the document's title without the site's name."""
    row = extract_one(
        tmp_path,
        "https://x.de/a/cut",
        f'{HEAD}<meta property="og:site_name" content="Die Zeitung"></head><body><article>'
        f'<p class="byline">05.03.2026</p><p>{WORDS}.</p><p>Und dann',
    )
    assert row["reason"] is None, row
    assert row["title"] == "Ein Titel"
    assert (row["published_at"][:10], row["published_at_source"]) == ("2026-03-05", "text")
