"""RSS and sitemap parsing: links out, entities never expanded, hostile XML refused."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from lxml import etree

from newsarchive.extract.feeds import (
    FeedError,
    _parser,
    parse_xml,
    rss_entries,
    sitemap_entries,
)
from newsarchive.mirror.faults import xml_bomb

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>News</title><link>https://example.org/news</link>
<item><title>First &amp; foremost</title><link>https://example.org/2026/11/28/first-a1</link>
<pubDate>Sat, 28 Nov 2026 06:25:26 +0300</pubDate></item>
<item><title>Guid only</title><guid isPermaLink="true">https://example.org/2026/11/27/guid-a2</guid></item>
<item><title>No link at all</title><guid isPermaLink="false">tag:example.org,2026:3</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>An entry</title><link rel="alternate" href="https://example.org/2026/11/28/atom-a4"/>
<link rel="enclosure" href="https://example.org/image.jpg"/>
<published>2026-11-28T06:00:00Z</published></entry>
</feed>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://static.example.org/sitemap/2026-11.xml</loc></sitemap>
<sitemap><loc> https://static.example.org/sitemap/2026-10.xml </loc></sitemap>
</sitemapindex>"""

NEWSMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://example.org/2026/11/28/a-a5</loc><news:news>
<news:publication_date>2026-11-28T06:25:26+03:00</news:publication_date></news:news></url>
<url><loc>https://example.org/2026/11/20/b-a6</loc><lastmod>2026-11-21</lastmod></url>
</urlset>"""

SECRET = "a local secret no feed may read"


def xxe(path: Path) -> bytes:
    """A feed whose entity would pull a local file into an item title."""
    path.write_text(SECRET)
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY secret SYSTEM "{path.as_uri()}">]>\n'
        '<rss version="2.0"><channel><item><title>&secret;</title>'
        "<link>https://x.org/a-a1</link></item></channel></rss>"
    ).encode()


def test_rss_items_in_order_with_guid_fallback() -> None:
    entries = rss_entries(RSS)
    assert [e.url for e in entries] == [
        "https://example.org/2026/11/28/first-a1",
        "https://example.org/2026/11/27/guid-a2",
    ]
    assert entries[0].title == "First & foremost"  # predefined entities are fine
    assert entries[0].published == "Sat, 28 Nov 2026 06:25:26 +0300"


def test_atom_entries_take_the_alternate_link() -> None:
    [entry] = rss_entries(ATOM)
    assert entry.url == "https://example.org/2026/11/28/atom-a4"
    assert entry.published == "2026-11-28T06:00:00Z"


def test_sitemap_index_and_news_sitemap() -> None:
    index = sitemap_entries(INDEX)
    assert index.urls == []
    assert index.sitemaps == [
        "https://static.example.org/sitemap/2026-11.xml",
        "https://static.example.org/sitemap/2026-10.xml",
    ]
    news = sitemap_entries(NEWSMAP)
    # A lastmod is a change, not the publication: kept apart from news:publication_date.
    assert [(e.url, e.published, e.modified) for e in news.urls] == [
        ("https://example.org/2026/11/28/a-a5", "2026-11-28T06:25:26+03:00", None),
        ("https://example.org/2026/11/20/b-a6", None, "2026-11-21"),
    ]


@pytest.mark.parametrize("kind", ["feed", "sitemap"])
def test_billion_laughs_is_refused_at_once(kind: str) -> None:
    bomb = xml_bomb(kind)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(FeedError) as caught:
        rss_entries(bomb) if kind == "feed" else sitemap_entries(bomb)
    assert caught.value.reason == "xml_entity_declarations"
    # expanded, it would be gigabytes
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB


def test_external_entities_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FeedError) as caught:
        rss_entries(xxe(tmp_path / "secret.txt"))
    assert caught.value.reason == "xml_entity_declarations"


@pytest.mark.parametrize("kind", ["bomb", "external"])
def test_the_parser_itself_never_expands_entities(kind: str, tmp_path: Path) -> None:
    """Defence in depth: even past the declaration check, nothing is substituted."""
    document = xml_bomb("feed") if kind == "bomb" else xxe(tmp_path / "secret.txt")
    root = etree.fromstring(document, parser=_parser())
    text = etree.tostring(root)
    assert len(text) < 1000
    assert b"lol" not in text
    assert SECRET.encode() not in text


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"", "empty_xml"),
        (b"   \n", "empty_xml"),
        (b"<html><body>Not a feed</body></html>", "not_a_feed"),
        (b"\x00\xff\xfe garbage", "invalid_xml"),
    ],
)
def test_what_is_not_a_feed_gets_a_reason(document: bytes, reason: str) -> None:
    with pytest.raises(FeedError) as caught:
        rss_entries(document)
    assert caught.value.reason == reason


def test_a_sitemap_parser_refuses_a_feed() -> None:
    with pytest.raises(FeedError) as caught:
        sitemap_entries(RSS)
    assert caught.value.reason == "not_a_sitemap"
    assert parse_xml(RSS).tag == "rss"


def test_sitemap_month() -> None:
    from newsarchive.spiders.base import sitemap_month

    assert sitemap_month("https://static.example.org/sitemap/2026-1.xml") == (2026, 1)
    assert sitemap_month("https://static.example.org/sitemap/2025-12.xml.gz") == (2025, 12)
    assert sitemap_month("https://static.example.org/sitemap/newsmap.xml") is None


def test_feeds_and_sitemaps_find_what_no_crawled_section_lists(tmp_path: Path) -> None:
    """Only the news section is crawled; the feeds and the sitemaps bring in every other
    article, each archived once, with its section read from the page."""
    from newsarchive.evaluate import FIELDS, evaluate, load_archive
    from newsarchive.mirror import build_site
    from newsarchive.mirror.server import MirrorServer
    from tests.conftest import run_crawl

    with MirrorServer(build_site(articles=80, seed=77)) as server:
        truth = server.ground_truth()
        result = run_crawl(
            server.base_url,
            tmp_path / "output",
            "sections=news",
            "feeds=1",
            "sitemaps=1",
        )
        paths = [r["path"] for r in server.requests if r["method"] == "GET"]
    assert result.returncode == 0, result.log[-3000:]
    assert "/rss/all" in paths and "/rss/in-depth" in paths and "/sitemap/sitemap.xml" in paths
    assert any(p.startswith("/sitemap/20") for p in paths)
    assert not any(p.startswith(("/opinion", "/business")) for p in paths)  # sections not crawled
    rows = load_archive(tmp_path / "output")
    report = evaluate(rows, truth)
    assert report.missing == [] and report.unexpected == [] and report.duplicate_rows == 0
    assert len(rows) == len(truth["articles"])
    for name in FIELDS:
        assert report.field_accuracy(name) == 1.0, report.summary()
    assert {r["section"] for r in rows} > {"news"}
    assert result.manifest["failed_pages"] == {}
