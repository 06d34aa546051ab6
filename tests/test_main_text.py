"""trafilatura's text of a page, from one parse (``newsarchive.extract.main_text``): the same
tree as ``trafilatura.extract(html, output_format="html")`` parsed again, without the round
trip, and the structured data read from the same tree as from our own parse."""

from __future__ import annotations

import codecs
import json

import pytest
import trafilatura
from lxml import etree

from newsarchive.extract import generic
from newsarchive.extract.html import detached_root, parse_html
from newsarchive.extract.main_text import FULL_EXTRACTION_BELOW, load_page, trafilatura_body
from newsarchive.spiders.generic import GENERIC_LAYOUT

URL = "https://news.example.org/2026/03/05/a-story/"
SENTENCE = (
    "The council met on Thursday evening and decided, after a long debate about the budget, "
    "to keep the library open on Sundays for another year. "
)


def page(body: str, head: str = "", before: str = "") -> str:
    return (
        f"{before}<!DOCTYPE html><html lang='en'><head><title>A story</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a> <a href='/news/'>News</a></nav>{body}"
        "<footer><p>© 2026 Example News. All rights reserved.</p></footer></body></html>"
    )


ARTICLE = page(
    "<article><h1>A story</h1>"
    + "".join(f"<p>{SENTENCE * 3} Caf\u0065\u0301 n\u00b0{n}.</p>" for n in range(6))
    + "<h2>What comes next</h2><ul><li>One thing</li><li>Another thing</li></ul>"
    + f"<blockquote>{SENTENCE}</blockquote></article>",
    head='<script type="application/ld+json">'
    + json.dumps(
        {
            "@type": "NewsArticle",
            "headline": "A story",
            "datePublished": "2026-03-05T09:15:00+01:00",
            "author": {"@type": "Person", "name": "Ana Example"},
        }
    )
    + "</script><!-- a comment in the head -->",
)
# A heading inside a paragraph (template markup): a parser closes the paragraph before it.
MISNESTED = page(
    "<article>"
    + "".join(f"<p>{SENTENCE * 3}</p>" for _ in range(4))
    + f"<p>Step by step <span><h3>{{{{title}}}}</h3> {SENTENCE}</span> more text</p></article>"
)
# A page that starts with something else than markup (a PHP warning): trafilatura's
# parser makes a fragment of it.
WARNING_FIRST = page(
    "".join(f"<p>{SENTENCE * 2}</p>" for _ in range(5)),
    before="<br />\n<b>Warning</b>: Undefined index in <b>/var/www/x.php</b><br />\n",
)
SHORT = page(f"<div class='content'><p>{SENTENCE}</p></div>")  # under 100 words: full mode


def by_string(html: str, url: str) -> etree._Element | None:
    """``trafilatura_body`` the plain way: ``extract`` to an HTML string, parsed again."""
    body, words = None, 0
    for fast in (True, False):
        extracted = trafilatura.extract(
            html, url=url, output_format="html", fast=fast, include_comments=False
        )
        root = parse_html(extracted) if extracted else None
        found = next(root.iter("body"), None) if root is not None else None
        found_words = len(" ".join(found.itertext()).split()) if found is not None else 0
        if found is not None and (body is None or found_words > words):
            body, words = found, found_words
        if words >= FULL_EXTRACTION_BELOW:
            break
    return detached_root(body, content_only=True) if body is not None else None


def serialised(element: etree._Element | None) -> str | None:
    """The tree as text, without the whitespace a pretty-printed string adds between blocks
    (``clean_body`` splits paragraphs on elements, not on that whitespace)."""
    if element is None:
        return None
    for node in element.iter():
        for name in ("text", "tail"):
            value = getattr(node, name)
            if value is not None and not value.strip():
                setattr(node, name, None)
    return etree.tostring(element, encoding="unicode")


@pytest.mark.parametrize("html", [ARTICLE, MISNESTED, WARNING_FIRST, SHORT, "", "not html"])
def test_the_body_from_a_tree_is_the_body_of_the_html_string(html: str) -> None:
    tree = load_page(html) if html else None
    from_tree = trafilatura_body(tree, URL) if tree is not None else None
    assert serialised(from_tree) == serialised(by_string(html, URL) if html else None)
    assert serialised(trafilatura_body(html, URL) if html else None) == serialised(from_tree)
    # on the tree itself, not a copy, the full extraction on a tree parsed again
    spared = load_page(html) if html else None
    changed = trafilatura_body(spared, URL, lambda: load_page(html)) if spared is not None else None
    assert serialised(changed) == serialised(from_tree)


def test_the_body_text_is_normalised_to_nfc_as_trafilatura_s_string_is() -> None:
    body = trafilatura_body(ARTICLE, URL)
    assert body is not None
    text = "".join(body.itertext())
    assert "Caf\u00e9" in text and "Cafe\u0301" not in text


def test_the_misnested_heading_closes_its_paragraph_as_a_parser_would() -> None:
    body = trafilatura_body(MISNESTED, URL)
    assert body is not None
    assert not any(p.find(".//h3") is not None for p in body.iter("p"))


def test_the_page_tree_is_left_as_it_was_for_the_next_reader() -> None:
    tree = load_page(ARTICLE)
    before = etree.tostring(tree)
    trafilatura_body(tree, URL)
    assert etree.tostring(tree) == before


def test_structured_data_read_from_trafilatura_s_tree_is_ours() -> None:
    ours = generic.parse_article(ARTICLE, URL, GENERIC_LAYOUT, lambda url: url)
    shared = generic.parse_article(
        ARTICLE, URL, GENERIC_LAYOUT, lambda url: url, root=load_page(ARTICLE), keep_page=True
    )
    assert ours is not None and shared is not None
    assert shared.fields["body_html"].tag == "article"  # still in the page: not detached
    generic.detached(shared)
    for name in ("title", "authors", "published_raw", "language", "canonical_url"):
        assert shared.fields[name] == ours.fields[name], name
    assert etree.tostring(shared.fields["body_html"]) == etree.tostring(ours.fields["body_html"])


XHTML = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
)


@pytest.mark.parametrize(
    "html",
    [
        ARTICLE,
        WARNING_FIRST,
        XHTML + ARTICLE.removeprefix("<!DOCTYPE html>"),
        XHTML.strip() + "<html><body><p>one line, no newline: Grüße</p></body></html>",
        '<?xml version="1.0" encoding="utf-8"?>\n' + ARTICLE,
        "<html/>\n<body><p>A self-closing html element</p></body>",
        "\u00a0" + ARTICLE,  # a no-break space first: lxml.html's page test differs on bytes
        ARTICLE.replace("A story", "A story\x0b with a control character"),
        ARTICLE.replace("A story", "A story \ufffd replaced"),
        ARTICLE.replace("A story", "A story \uffff"),
        "<p>just a fragment</p>",
        "no markup at all",
    ],
)
def test_a_page_parsed_from_its_utf8_bytes_is_the_tree_trafilatura_parses(html: str) -> None:
    from trafilatura.utils import load_html

    expected = load_html(html)
    for body in (html.encode("utf-8"), codecs.BOM_UTF8 + html.encode("utf-8")):
        tree = load_page(html, body, "utf-8")
        assert (tree is None) == (expected is None)
        if tree is not None:
            assert etree.tostring(tree.getroottree()) == etree.tostring(expected.getroottree())


def test_a_page_in_another_encoding_is_parsed_from_its_text() -> None:
    html = page(f"<article><p>Une histoire à Paris. {SENTENCE * 4}</p></article>")
    tree = load_page(html, html.encode("cp1252"), "cp1252")
    assert etree.tostring(tree) == etree.tostring(load_page(html))


def test_words_of_scripts_written_without_spaces_are_counted_by_characters() -> None:
    from newsarchive.extract.main_text import words_in

    chinese = parse_html(
        "<p>话剧《约定无期限》河北各市巡演结束 新华网河北频道 一个约定信守15年</p>"
    )
    assert len(" ".join(chinese.itertext()).split()) == 3
    assert words_in(chinese, 100) == 14  # 29 characters of those scripts, by two
    english = parse_html(f"<p>{SENTENCE * 10}</p>")
    assert words_in(english, 100) >= 100
