"""Profile extraction from structured data (``newsarchive.extract.generic``), no crawler."""

from __future__ import annotations

import json
import re

import pytest
from lxml import etree

from newsarchive.cleaning.boilerplate import BoilerplateRules, clean_body
from newsarchive.dates import DateCandidate
from newsarchive.extract.generic import PageLayout, parse_article, parse_listing, strip_credit

ID = re.compile(r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+-(?P<id>\d+)/$")
BASE = "https://www.example.de"


def article_id(url: str) -> str | None:
    if not url.startswith(BASE):
        return None
    match = ID.search(url[len(BASE) :])
    return match.group("id") if match else None


LAYOUT = PageLayout(
    body="div.entry-content",
    listing_scope="main",
    lead="div.entry-content p.lead",
    fields={"subtitle": "p.entry-subtitle", "published": "time.entry-date"},
)

LISTING = f"""<html><head><link rel="next" href="/kategorie/politik/page/3/"></head><body>
<nav><a href="{BASE}/2026/03/01/menu-link-99/">Top story in the menu</a></nav>
<main>
  <article><h2><a href="{BASE}/2026/03/05/wahl-in-berlin-12/">Wahl in Berlin</a></h2>
    <a href="{BASE}/2026/03/05/wahl-in-berlin-12/#comments">3 Kommentare</a></article>
  <article><h2><a href="/2026/03/04/haushalt-beschlossen-11/">Haushalt beschlossen</a></h2></article>
  <article><h2><a href="https://other.example.com/2026/03/04/fremd-10/">Fremd</a></h2></article>
  <a href="/kategorie/politik/">Politik</a>
</main></body></html>"""

GRAPH = {
    "@context": "https://schema.org",
    "@graph": [
        {
            "@type": "NewsArticle",
            "@id": f"{BASE}/2026/03/05/wahl-in-berlin-12/#article",
            "headline": "Wahl in Berlin",
            "author": [{"@id": f"{BASE}/#/schema/person/abc"}, {"@id": f"{BASE}/#organization"}],
            "datePublished": "2026-03-05T09:15:00+01:00",
            "dateModified": "2026-03-05T11:00:00+01:00",
            "mainEntityOfPage": {"@id": f"{BASE}/2026/03/05/wahl-in-berlin-12/"},
            "keywords": ["Berlin", "Wahl"],
            "articleSection": ["Politik"],
            "inLanguage": "de-DE",
            "image": {"@id": f"{BASE}/#primaryimage"},
        },
        {
            "@type": "WebPage",
            "@id": f"{BASE}/2026/03/05/wahl-in-berlin-12/",
            "datePublished": "2026-03-05T09:15:00+01:00",
        },
        {
            "@type": "ImageObject",
            "@id": f"{BASE}/#primaryimage",
            "url": f"{BASE}/wp-content/uploads/wahl.jpg",
            "caption": "Ein Wahllokal in Kreuzberg. Foto: Max Muster",
        },
        {"@type": "Person", "@id": f"{BASE}/#/schema/person/abc", "name": "Anna Schmidt"},
        {"@type": "Organization", "@id": f"{BASE}/#organization", "name": "Example Zeitung"},
    ],
}

ARTICLE = f"""<html lang="de-DE"><head>
<link rel="canonical" href="{BASE}/2026/03/05/wahl-in-berlin-12/">
<meta property="og:type" content="article">
<meta property="og:title" content="Wahl in Berlin - Example Zeitung">
<meta property="article:tag" content="Berlin"><meta property="article:tag" content="Wahl">
<script type="application/ld+json">{json.dumps(GRAPH)}</script>
</head><body><article>
<h1 class="entry-title">Wahl in Berlin</h1><p class="entry-subtitle">Was die Stadt erwartet</p>
<time class="entry-date" datetime="2026-03-05T09:15:00+01:00">5. März 2026 um 9:15 Uhr</time>
<div class="entry-content"><p class="lead">Berlin w\u00e4hlt heute.</p>
<p>Die Wahllokale \u00f6ffnen um acht Uhr.</p><h2>Die Kandidaten</h2><p>Es treten zw\u00f6lf Parteien an.</p>
<div class="newsletter-box"><p>Abonnieren Sie unseren Newsletter</p></div>
<p>Teilen Drucken E-Mail</p></div></article></body></html>"""


def test_listing_links_in_scope_once_each_with_the_next_page() -> None:
    listing = parse_listing(LISTING, f"{BASE}/kategorie/politik/page/2/", LAYOUT, article_id)
    assert [e.url for e in listing.excerpts] == [
        f"{BASE}/2026/03/05/wahl-in-berlin-12/",
        f"{BASE}/2026/03/04/haushalt-beschlossen-11/",
    ]
    assert listing.excerpts[0].title == "Wahl in Berlin"
    assert listing.next_url == f"{BASE}/kategorie/politik/page/3/"


def test_last_listing_page_has_no_next() -> None:
    html = LISTING.replace('<link rel="next" href="/kategorie/politik/page/3/">', "")
    assert parse_listing(html, f"{BASE}/kategorie/politik/", LAYOUT, article_id).next_url is None
    assert parse_listing("", f"{BASE}/", LAYOUT, article_id).excerpts == []


def test_article_fields_come_from_the_graph_and_the_layout() -> None:
    url = f"{BASE}/2026/03/05/wahl-in-berlin-12/"
    page = parse_article(ARTICLE, url, LAYOUT, article_id, section="politik")
    assert page is not None and page.problems == []
    fields = page.fields
    assert fields["title"] == "Wahl in Berlin"  # the headline, not og:title's site suffix
    assert fields["subtitle"] == "Was die Stadt erwartet"
    assert fields["authors"] == ["Anna Schmidt"]  # by @id; the organization is no byline
    assert fields["tags"] == ["Berlin", "Wahl"]
    assert fields["language"] == "de"  # the primary subtag of de-DE
    assert fields["image_url"] == f"{BASE}/wp-content/uploads/wahl.jpg"
    assert fields["image_caption"] == "Ein Wahllokal in Kreuzberg."  # without its credit
    assert fields["article_id"] == "12"
    assert fields["canonical_url"] == url
    assert fields["section_hint"] is None  # the listing named the section
    # every date the page gives, tagged with where it was found (the profile's selector too)
    assert fields["published_raw"] == [
        DateCandidate("2026-03-05T09:15:00+01:00", "profile"),
        DateCandidate("2026-03-05T09:15:00+01:00", "jsonld"),
        DateCandidate("2026-03-05T09:15:00+01:00", "time"),
        DateCandidate("2026-03-05", "url"),
    ]
    assert fields["modified_raw"] == [DateCandidate("2026-03-05T11:00:00+01:00", "jsonld")]
    lead = clean_body(fields["lead_html"], BoilerplateRules()).paragraphs
    body = clean_body(fields["body_html"], BoilerplateRules()).paragraphs
    assert lead == ["Berlin w\u00e4hlt heute."]
    # the lead is read once, as the lead; the newsletter box and the share row are dropped
    assert body == [
        "Die Wahllokale \u00f6ffnen um acht Uhr.",
        "Die Kandidaten",
        "Es treten zw\u00f6lf Parteien an.",
    ]


def test_without_a_listing_the_page_names_its_section() -> None:
    url = f"{BASE}/2026/03/05/wahl-in-berlin-12/"
    page = parse_article(ARTICLE, url, LAYOUT, article_id)
    assert page is not None and page.fields["section_hint"] == "Politik"


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><form><input name=user><input type=password></form></body></html>",
        "<html><body><h1>Bitte akzeptieren Sie Cookies</h1></body></html>",
        "",
    ],
)
def test_a_page_without_an_article_is_none(html: str) -> None:
    assert parse_article(html, f"{BASE}/2026/03/05/x-1/", LAYOUT, article_id) is None


def test_broken_json_ld_is_a_counted_problem_not_an_error() -> None:
    html = ARTICLE.replace('"headline"', '"headline" "broken"')
    page = parse_article(html, f"{BASE}/2026/03/05/wahl-in-berlin-12/", LAYOUT, article_id)
    assert page is not None
    assert page.problems == ["jsonld_invalid", "jsonld_missing_article"]
    assert page.fields["title"] == "Wahl in Berlin"  # from the page's own h1 override chain
    assert isinstance(page.fields["body_html"], etree._Element)


def test_a_bad_selector_fails_when_the_profile_is_defined() -> None:
    with pytest.raises(Exception, match="Expected"):
        PageLayout(body="div[")


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Ein Wahllokal. Foto: Max Muster", "Ein Wahllokal."),
        ("Protesters in Moscow (Photo: AP)", "Protesters in Moscow"),
        ("Das Rathaus | Bild: Stadt Leipzig", "Das Rathaus"),
        ("The photo shows: a crowd", "The photo shows: a crowd"),
        ("Foto: dpa", None),
        (None, None),
    ],
)
def test_captions_lose_their_credits(caption: str | None, expected: str | None) -> None:
    assert strip_credit(caption) == expected


def test_json_ld_with_a_stray_closing_brace_is_read() -> None:
    from newsarchive.extract.html import loads_lenient

    block = '{"@type": "NewsArticle", "author": {"name": "A"}, "datePublished": "2020-10-26"}\n}'
    assert loads_lenient(block)["datePublished"] == "2020-10-26"
    assert loads_lenient('{"a": 1} {"b": 2}') == [{"a": 1}, {"b": 2}]
    with pytest.raises(ValueError):
        loads_lenient('{"a": 1} and some text')


def test_the_layout_body_is_looked_for_only_where_it_is_needed() -> None:
    marked = (
        '<html><head><meta property="og:type" content="article"></head><body>'
        '<div class="entry-content"><p>Text</p></div></body></html>'
    )
    page = parse_article(marked, BASE + "/a/", LAYOUT, article_id, find_body=False)
    assert page is not None and page.fields["body_html"] is None
    assert "body_container_missing" not in page.problems
    unmarked = marked.replace("og:type", "og:kind")  # whether it is an article: the body says
    page = parse_article(unmarked, BASE + "/a/", LAYOUT, article_id, find_body=False)
    assert page is not None and page.fields["body_html"] is not None
    assert parse_article(unmarked.replace("entry-content", "x"), BASE, LAYOUT, article_id) is None
