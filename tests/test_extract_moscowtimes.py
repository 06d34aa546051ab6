"""Extraction of a hand-written Moscow Times page (doc markup, unknown-markup boilerplate)."""

from __future__ import annotations

import json
from pathlib import Path

from newsarchive.cleaning.boilerplate import clean_body
from newsarchive.cleaning.text import clean_list, clean_paragraphs, clean_text
from newsarchive.dates import DateCandidate, first_valid_datetime
from newsarchive.extract.moscowtimes import (
    article_id_from_url,
    parse_article,
    parse_listing,
)
from newsarchive.spiders.moscowtimes import SITE_RULES

FIXTURES = Path(__file__).parent / "fixtures" / "moscowtimes"


def load(name: str) -> tuple[str, dict]:
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return html, expected


def test_article_fields_match_expected() -> None:
    html, expected = load("opinion_article")
    page = parse_article(html, expected["url"])
    assert page is not None
    fields = page.fields
    assert page.problems == []  # the invalid WebSite block is repaired, not fatal
    for name in ("canonical_url", "article_id", "image_url", "is_accessible_for_free"):
        assert fields[name] == expected[name], name
    for name in ("title", "subtitle", "image_caption", "language"):
        assert clean_text(fields[name]) == expected[name], name
    assert clean_list(fields["authors"]) == expected["authors"]  # all three, not JSON-LD's one
    assert clean_list(fields["tags"]) == expected["tags"]
    assert fields["section_hint"] == expected["section_hint"]  # not the buggy "news"
    published = first_valid_datetime(fields["published_raw"], default_tz="Europe/Moscow")
    modified = first_valid_datetime(fields["modified_raw"], default_tz="Europe/Moscow")
    assert published is not None and published.isoformat() == expected["published_at"]
    assert modified is not None and modified.isoformat() == expected["modified_at"]


def test_body_keeps_article_paragraphs_only() -> None:
    html, expected = load("opinion_article")
    page = parse_article(html, expected["url"])
    assert page is not None
    result = clean_body(page.fields["body_html"], SITE_RULES)
    assert clean_paragraphs(result.paragraphs) == expected["body"]
    lead = clean_body(page.fields["lead_html"], SITE_RULES).paragraphs
    assert clean_paragraphs(lead) == [expected["lead"]]
    # ad slot, image block, aside, embed, "Also see:" + link, the message box
    assert result.removed["site:ad"] == 1
    assert result.removed["text:block"] == 1
    assert result.removed["text:related_marker"] == 2


def test_byline_time_is_not_the_publication_time_when_updated() -> None:
    html, expected = load("opinion_article")
    page = parse_article(html, expected["url"])
    assert page is not None
    byline = DateCandidate("2014-05-04T10:15:00+04:00", "time")
    assert byline in page.fields["modified_raw"]
    assert byline not in page.fields["published_raw"]


def test_byline_without_author_links_is_split() -> None:
    html = (
        '<html><head><meta property="article:published_time" content="2026-01-01T10:00:00+03:00">'
        '</head><body><article class="article"><header class="article__header"><h1>T</h1></header>'
        '<div class="byline__author">By Anna Lee, Bo Chen and Cy Dee</div>'
        '<div class="article__content"><p>x</p></div></article></body></html>'
    )
    page = parse_article(html, "https://example.org/2026/01/01/t-a1")
    assert page is not None
    assert page.fields["authors"] == ["Anna Lee", "Bo Chen", "Cy Dee"]


def test_not_an_article() -> None:
    assert parse_article("<html><body><form>Log in</form></body></html>", "https://x/y") is None


def test_a_json_body_is_no_article_and_no_listing() -> None:
    """An API error or a JSON placeholder where a page should be: nothing found, no
    exception (parsel alone would read it as JSON and refuse every HTML query)."""
    for body in ('{"error": "rate limited"}', "[1, 2, 3]"):
        assert parse_article(body, "https://x/2026/01/01/a-a1") is None
        assert parse_listing(body, "https://x/news").excerpts == []


def test_broken_jsonld_is_counted_not_raised() -> None:
    html = (
        '<html><head><meta property="article:published_time" content="2026-01-01T10:00:00+03:00">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
        '</head><body><article class="article"><h1>Title</h1>'
        '<div class="article__content"><p>Body.</p></div></article></body></html>'
    )
    page = parse_article(html, "https://example.org/2026/01/01/t-a7")
    assert page is not None
    assert "jsonld_invalid" in page.problems
    assert page.fields["title"] == "Title"
    assert page.fields["article_id"] == "7"


def test_only_the_article_block_is_decoded_when_the_section_is_known() -> None:
    """A broken WebSite block is the site's problem, not the article's: with the
    section known from the listing, only blocks that can hold the article are decoded."""
    html = (
        '<html><head><script type="application/ld+json">{"@type": "WebSite", "name": }'
        '</script><script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2026-01-01T10:00:00+03:00", "inLanguage": "en"}</script>'
        '</head><body><article class="article"><h1>Title</h1>'
        '<div class="article__content"><p>Body.</p></div></article></body></html>'
    )
    url = "https://example.org/2026/01/01/t-a7"
    known = parse_article(html, url, section="news")
    unknown = parse_article(html, url)
    assert known is not None and unknown is not None
    assert "jsonld_invalid" not in known.problems
    assert "jsonld_invalid" in unknown.problems  # all blocks read, for the section hint
    for page in (known, unknown):
        assert page.fields["published_raw"] == [
            DateCandidate("2026-01-01T10:00:00+03:00", "jsonld"),
            DateCandidate("2026-01-01", "url"),
        ]
        assert page.fields["language"] == "en"


def test_article_id_takes_the_end_of_the_path() -> None:
    url = "https://www.themoscowtimes.com/2026/02/25/weekend-58475-a58475"
    assert article_id_from_url(url) == "58475"
    assert article_id_from_url("https://www.themoscowtimes.com/news") is None


def test_listing_reads_own_cluster_and_load_more() -> None:
    base = "http://127.0.0.1:8000"
    excerpts = "".join(
        f'<div class="col-4 col-12-md col-4-sm"><div class="article-excerpt-default" '
        f'data-url="{base}/2026/02/{day:02d}/story-{day}-a{100 + day}" data-title="Story {day}">'
        f'<a class="article-excerpt-default__link" href="{base}/2026/02/{day:02d}/story-{day}-a{100 + day}">'
        f'<h3 class="article-excerpt-default__headline">Story {day}</h3></a></div></div>'
        for day in range(20, 2, -1)
    )
    html = (
        '<html><body><section class="cluster cluster--section-articles">'
        '<h1 class="cluster__label">Latest articles</h1>'
        f'<div class="article-excerpt-lead" data-url="{base}/2026/02/21/lead-a99" data-title="Lead">'
        f'<a class="article-excerpt-lead__link" href="{base}/2026/02/21/lead-a99">Lead</a></div>'
        f"{excerpts}"
        f'<div y-use="More" data-url="{base}/news/{{{{offset}}}}" data-start="19" data-step="18">'
        "View more articles</div></section>"
        f'<aside class="sidebar"><div class="article-excerpt-default" data-url="{base}/2026/02/01/x-a5">'
        "</div></aside></body></html>"
    )
    listing = parse_listing(html, f"{base}/news")
    assert len(listing.excerpts) == 19
    assert listing.excerpts[0].url.endswith("lead-a99")
    assert all("x-a5" not in e.url for e in listing.excerpts)
    assert listing.more_url_template == f"{base}/news/{{{{offset}}}}"
    assert (listing.more_start, listing.more_step) == (19, 18)
    assert parse_listing("   \n", f"{base}/news/999").excerpts == []


def test_page_index_reads_the_head_as_the_selector_functions_do() -> None:
    """One walk over the head gives what the per-key XPath helpers give."""
    from parsel import Selector

    from newsarchive.extract.html import (
        PageIndex,
        canonical_url,
        jsonld_objects,
        meta,
        meta_all,
    )

    html = (
        "<html><head>"
        '<meta name="og:title" property="og:title" content=" Both ">'
        '<meta name="article:tag" content="a"><meta property="article:tag" content=" ">'
        '<meta property="article:tag" content="b"><meta property="article:tag">'
        '<meta property="article:published_time"><meta name="x" content="  ">'
        '<link rel="canonical"><link rel="canonical" href=" /c "><link rel="canonical" href="/d">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "a": 1,}</script>'
        '<script type="application/ld+json">  </script><script type="text/json">{}</script>'
        '</head><body><script type="application/ld+json">{broken</script></body></html>'
    )
    sel = Selector(text=html)
    index = PageIndex(sel.root)
    keys = ["og:title", "article:tag", "article:published_time", "x", "missing"]
    for key in keys:
        assert index.meta(key) == meta(sel, key), key
        assert index.meta_all(key) == meta_all(sel, key), key
    assert index.canonical_url() == canonical_url(sel) == "/c"
    assert index.jsonld_objects() == jsonld_objects(sel)
    assert index.has_property("article:published_time")
    assert not index.has_property("x")
