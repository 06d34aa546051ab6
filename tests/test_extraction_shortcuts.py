"""The extractors' shortcuts give what the plain parsel/lxml way gives, on the mirror's pages
and on broken ones: the tree handed over parsed to the boilerplate stage, the page parse
without parsel, the tag-filtered class search, and the section hint only when needed."""

from __future__ import annotations

from functools import cache

import pytest
from lxml import etree
from parsel import Selector

from newsarchive.cleaning.boilerplate import clean_body
from newsarchive.extract import moscowtimes
from newsarchive.extract.html import (
    css_xpath,
    elements_by_class,
    elements_with_class,
    parse_html,
    select,
)
from newsarchive.extract.moscowtimes import parse_article
from newsarchive.mirror import build_site
from newsarchive.mirror.moscowtimes.routes import resolve
from newsarchive.spiders.moscowtimes import SITE_RULES

BASE = "http://127.0.0.1:8000"


@cache
def pages() -> tuple[tuple[str, str, str], ...]:
    """(url, section, html) of mirror articles, and mangled copies of some of them."""
    site = build_site(articles=40, seed=21)
    found = []
    for article in site.ground_truth(BASE)["articles"]:
        html = resolve(site, BASE, article["url"][len(BASE) :]).body.decode("utf-8")
        found.append((article["url"], article["section"], html))
    for url, section, html in found[:10]:
        found.append((url, section, html.replace("</p>", "", 4)))
        found.append((url, section, html.replace('<div class="article__content"', "<p><b>x", 1)))
    return tuple(found)


def served_html(html: str) -> dict[str, str | None]:
    """What the extractor used to hand over, read with parsel: the content container's HTML
    and the intro's inner HTML."""
    article = Selector(text=html, type="html").css("article.article")
    intro = article.css("div.article__intro")
    return {
        "body_html": (
            article.css("div.article__content").get()
            or article.css("div.article__content-container").get()
        ),
        "lead_html": "".join(intro[0].xpath("node()").getall()) if intro else None,
    }


def test_parsed_body_and_lead_clean_like_their_html() -> None:
    checked = 0
    for url, _, html in pages():
        served = served_html(html)
        for name in ("body_html", "lead_html"):
            handed = parse_article(html, url).fields[name]
            assert (handed is None) == (served[name] is None), (url, name)
            if handed is not None:
                expected = clean_body(served[name], SITE_RULES)
                assert clean_body(handed, SITE_RULES) == expected, (url, name)
                checked += bool(expected.paragraphs)
    assert checked >= 60


@pytest.mark.parametrize(
    "text", ["", "   ", "\x00", "<p>x\x00y</p>", "not html", '{"a": 1}', "<html><body></html>"]
)
def test_parse_html_is_parsels_tree(text: str) -> None:
    ours = etree.tostring(parse_html(text), method="html")
    assert ours == etree.tostring(Selector(text=text, type="html").root, method="html")


def test_parse_html_on_mirror_pages() -> None:
    for _, _, html in pages()[:15]:
        assert etree.tostring(parse_html(html)) == etree.tostring(
            Selector(text=html, type="html").root
        )


def test_elements_with_class_is_the_css_selector() -> None:
    html = (
        '<article class="article"><article class=" x\tarticle\n"><p class="article">'
        '<article class="articles"></article><article class="article__x"></article>'
        '<article class="a&#32;article"></article><article class="ARTICLE"></article>'
        "</p></article></article>"
    )
    root = parse_html(html)
    expected = css_xpath("article.article")(root)
    assert elements_with_class(root, "article", "article") == expected
    assert len(expected) == 3
    for _, _, page in pages()[:15]:
        root = parse_html(page)
        assert elements_with_class(root, "article", "article") == css_xpath("article.article")(root)


def test_tag_and_class_walks_are_the_css_selectors() -> None:
    html = (
        '<article class="article"><div class="article__tags x"><a class="tag">One</a>'
        '<a class="article__tags__tag">Two</a><span><a class=" tag ">Three<b>!</b>3</a></span>'
        '</div><a class="tag">Not in a box</a><a class="article__tags__tag">Four</a>'
        '<div class="byline__author"><a class="byline__author__name tag">A</a></div>'
        '<div class="article__tagsx"><a class="tag">No</a></div></article>'
        '<div class="article__tags"><article class="article"><a class="tag">Outer box</a>'
        "</article></div>"
    )
    article = elements_with_class(parse_html(html), "article", "article")
    links = elements_by_class(article, "a", *moscowtimes._LINKS)
    expected = css_xpath("a.article__tags__tag::text, .article__tags a.tag::text")
    assert moscowtimes._tag_texts(links, article) == select(expected, article)
    assert select(expected, article) == ["One", "Two", "Three", "3", "Four"]
    for name, css in [("byline__author__name", "a.byline__author__name"), ("tag", "a.tag")]:
        assert links[name] == select(css_xpath(css), article)
    for _, _, page in pages()[:20]:
        article = elements_with_class(parse_html(page), "article", "article")
        links = elements_by_class(article, "a", *moscowtimes._LINKS)
        assert moscowtimes._tag_texts(links, article) == select(expected, article)
        divs = elements_by_class(article, "div", *moscowtimes._DIVS)
        for name in moscowtimes._DIVS:
            assert divs[name] == select(css_xpath(f"div.{name}"), article)


def test_section_hint_only_when_the_listing_did_not_say() -> None:
    opinion = [(u, h) for u, s, h in pages()[:40] if s == "opinion"]
    assert opinion
    url, html = opinion[0]
    assert parse_article(html, url).fields["section_hint"] == "opinion"
    assert parse_article(html, url, "opinion").fields["section_hint"] is None


def readings(page: moscowtimes.ArticlePage | None) -> dict[str, object] | None:
    """An extracted page, its parsed body and lead serialised."""
    if page is None:
        return None
    fields = dict(page.fields)
    for name in ("body_html", "lead_html"):
        if fields[name] is not None:
            fields[name] = etree.tostring(fields[name])
    return {**fields, "problems": page.problems}


def test_pages_cut_after_the_article_read_as_whole_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    cut = 0
    for url, section, html in pages():
        cut += moscowtimes.parse_html_until_last(html, "article", READ) is not None
        with monkeypatch.context() as whole:
            whole.setattr(moscowtimes, "parse_html_until_last", lambda *args: None)
            expected = readings(parse_article(html, url, section))
        assert readings(parse_article(html, url, section)) == expected, url
    assert cut >= 40  # the mirror's pages are cut


READ = moscowtimes._READ_AFTER_ARTICLES
ARTICLE = '<article class="article"><h1>T</h1><div class="article__content"><p>A</p>'


@pytest.mark.parametrize(
    ("html", "cut"),
    [
        (f"<html><head></head><body>{ARTICLE}</div></article><aside>x</aside></body>", True),
        # what is read, after the article: the page is parsed whole
        (f"<html><body>{ARTICLE}</div></article><meta property='og:title' content='x'>", False),
        (f"<html><body>{ARTICLE}</div></article><LINK rel=canonical href='/x'>", False),
        (f'<html><body>{ARTICLE}</div></article><script type="application/ld+json">{{}}', False),
        (f"<html><body>{ARTICLE}</div></article><Html lang='ru'><p>x</p>", False),
        (f'<html><body>{ARTICLE}</div></article><ARTICLE class="article"><p>B</p>', False),
        # an "</article>" that does not close the article: in a comment, a script, a value
        (f"<html><body>{ARTICLE}<!-- </article> --><p>B</p></div></body>", False),
        (f"<html><body>{ARTICLE}<script>'</article>'</script><p>B</p></div>", False),
        (f'<html><body>{ARTICLE}<a title="</article>">B</a><p>C</p>', False),
        (f"<html><body>{ARTICLE}</articlex><p>B</p>", False),  # not an </article> end tag
        (  # the last "</article>" in JSON-LD after the article: not cut there
            f"<html><body>{ARTICLE}</div></article><script type='application/ld+json'>"
            '{"@type": "NewsArticle", "headline": "</article>", "inLanguage": "ru"}</script>',
            False,
        ),
        # no end tag at all, or no article
        (f"<html><body>{ARTICLE}</div></body></html>", False),
        ("<html><body><p>no article</p></body></html>", False),
    ],
)
def test_parse_html_until_last_cuts_only_what_is_not_read(
    html: str, cut: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = moscowtimes.parse_html_until_last(html, "article", READ)
    assert (tree is not None) == cut
    whole = parse_html(html)
    if tree is not None:  # the article and the head as in the whole page, no mark left
        assert not tree.xpath("//*[@data-newsarchive-cut]")
        for path in ("//article", "//head"):
            assert [etree.tostring(e, with_tail=False) for e in tree.xpath(path)] == [
                etree.tostring(e, with_tail=False) for e in whole.xpath(path)
            ]
    url = "https://example.org/2026/01/01/t-a1"
    ours = readings(parse_article(html, url, "news"))
    monkeypatch.setattr(moscowtimes, "parse_html_until_last", lambda *args: None)
    assert ours == readings(parse_article(html, url, "news"))
