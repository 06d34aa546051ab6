"""The Moscow Times: section listings and article pages -> raw article fields.

Selectors follow the site's 2024 CMS templates. Every field has fallbacks (head meta, then
JSON-LD, then visible text) because the live site may differ from that snapshot. The body is
returned as HTML: boilerplate removal and text cleaning are separate pipeline stages.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector

from newsarchive.dates import DateCandidate, url_date_candidates
from newsarchive.extract.base import ArticlePage, Excerpt, Listing
from newsarchive.extract.html import (
    PageIndex,
    as_bool,
    child_texts,
    css_xpath,
    detached_root,
    element_text,
    elements_by_class,
    elements_with_class,
    has_class,
    jsonld_of_type,
    parse_html,
    parse_html_until_last,
    person_names,
    select,
    text_of,
)

ARTICLE_ID = re.compile(r"-a(\d+)/?$")
SECTIONS = (
    "news",
    "opinion",
    "business",
    "meanwhile",
    "ukraine-war",
    "arts-and-life",
    "climate",
    "diaspora",
    "features",
    "lectures",
)
_BYLINE_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")
_BY_PREFIX = re.compile(r"^\s*by\s+", re.I)


def article_id_from_url(url: str) -> str | None:
    """The trailing ``-a{ID}`` of an article path (slugs may contain digits too)."""
    match = ARTICLE_ID.search(urlsplit(url).path)
    return match.group(1) if match else None


# --- Section listings ------------------------------------------------------------------------


def parse_listing(html: str, url: str) -> Listing:
    """Excerpts of a section page (lead + defaults) or of a bare load-more fragment.

    Only the section's own cluster is read: sidebars ("Most read", "Just in") and related
    clusters link to articles of other sections, whose section would then be wrong.
    """
    listing = Listing()
    if not html.strip():
        return listing
    sel = Selector(text=html, type="html")
    scope = sel.css("section.cluster--section-articles") or sel
    seen: set[str] = set()
    excerpts = scope.css("div.article-excerpt-lead, div.article-excerpt-default")
    for excerpt in excerpts:
        if excerpt.xpath("ancestor::aside"):
            continue
        href = (excerpt.attrib.get("data-url") or excerpt.css("a::attr(href)").get() or "").strip()
        if not href:
            continue
        absolute = urljoin(url, href)
        if article_id_from_url(absolute) is None or absolute in seen:
            continue
        seen.add(absolute)
        title = excerpt.attrib.get("data-title") or text_of(
            excerpt.css("h3, .article-excerpt-lead__headline")[:1] or None
        )
        listing.excerpts.append(Excerpt(absolute, title))
    more = sel.css("[y-use=More][data-url]")
    if more:
        listing.more_url_template = urljoin(url, more[0].attrib["data-url"])
        listing.more_start = _int(more[0].attrib.get("data-start"))
        listing.more_step = _int(more[0].attrib.get("data-step"))
    return listing


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# --- Article pages ---------------------------------------------------------------------------


# The selectors below, compiled once: parse_article runs for every article page.
_H1 = css_xpath("h1")
_H2 = css_xpath("h2")
_IMG_SRC = css_xpath("img::attr(src)")
_CAPTION = css_xpath(".article__featured-image__caption")
_OPINION_LABEL = css_xpath(".label--opinion")
_NORMALIZED = etree.XPath("normalize-space(.)", smart_strings=False)


# What the readings take from outside article.article: meta tags, the canonical link,
# JSON-LD, the html element's lang (a later <html> tag adds its attributes), and any other
# article.article. Where the page has none of these after its last article, it is parsed
# up to there only.
_READ_AFTER_ARTICLES = (b"<meta", b"<link", b"ld+json", b"<html", b"<article")
# The ``tag.class`` parts of an article, found with one walk per tag (``elements_by_class``).
_DIVS = ("article__content", "article__content-container", "article__intro", "byline__author")
_LINKS = ("article__tags__tag", "tag", "byline__author__name")


def _tag_texts(links: dict[str, list[Any]], article: list[Any]) -> list[str]:
    """What ``a.article__tags__tag::text, .article__tags a.tag::text`` gives."""
    direct, boxed = set(links["article__tags__tag"]), set(links["tag"])
    texts: list[str] = []
    for context in article:
        for link in context.iter("a"):  # the union, in document order
            if link in direct or (link in boxed and _in_tags_box(link, context)):
                texts.extend(child_texts(link))
    return texts


def _in_tags_box(link: Any, context: Any) -> bool:
    """Whether an ``.article__tags`` element inside ``context`` (or it) contains ``link``."""
    for ancestor in link.iterancestors():
        if has_class(ancestor, "article__tags"):
            return True
        if ancestor is context:
            return False
    return False


def _first(results: list[Any]) -> Any | None:
    return results[0] if results else None


def parse_article(html: str, url: str, section: str | None = None) -> ArticlePage | None:
    """Raw fields of an article page, or ``None`` if the page is not an article at all.

    ``section`` is the section whose listing linked the page, if any; ``section_hint``, the
    page's own idea of its section, is only looked for when it is not known (feeds, sitemaps).

    Reads the tree parsel would parse (same parser, same selectors as ``Selector.css``) with
    precompiled queries: one walk for the head, the rest within ``article.article``.
    """
    # Always as HTML: parsel would read a body that looks like JSON as JSON, and every
    # query on it would raise instead of finding no article.
    root = parse_html_until_last(html, "article", _READ_AFTER_ARTICLES)
    articles = elements_with_class(root, "article", "article") if root is not None else []
    if not articles:  # not cut, or no article.article: the readings then need the whole page
        root = parse_html(html)
        articles = elements_with_class(root, "article", "article")
    index = PageIndex(root)
    if not articles and not index.has_property("article:published_time"):
        return None
    problems: list[str] = []
    # The article's own block is all that is read when the section is known (its type names
    # all contain "Article"): the site's other blocks are not decoded, including the broken
    # one that is decoded twice (the second time after repairs).
    objects, invalid = index.jsonld_objects(None if section is None else "Article")
    if invalid:
        problems.append("jsonld_invalid")
    news = jsonld_of_type(objects, "NewsArticle", "Article", "ReportageNewsArticle")
    if not news:
        problems.append("jsonld_missing_article")
    article = articles or [root]
    divs = elements_by_class(article, "div", *_DIVS)
    links = elements_by_class(article, "a", *_LINKS)
    header = elements_by_class(article, "header", "article__header")["article__header"] or article

    title = (
        element_text(_first(select(_H1, header)))
        or index.meta("og:title")
        or _str(news.get("headline"))
    )
    subtitle = element_text(_first(select(_H2, header)))
    byline_time = elements_by_class(article, "time", "byline__datetime")["byline__datetime"]
    byline_updated = bool(byline_time) and "updated" in (element_text(byline_time[0]) or "").lower()
    byline_datetime = byline_time[0].get("datetime") if byline_time else None

    published_raw = [
        *_candidates("jsonld", news.get("datePublished"), news.get("dateCreated")),
        *_candidates("meta", index.meta("article:published_time")),
    ]
    modified_raw = [
        *_candidates("jsonld", news.get("dateModified")),
        *_candidates("meta", index.meta("article:modified_time")),
    ]
    if byline_datetime:  # the update time once the byline says "Updated"
        target = modified_raw if byline_updated else published_raw
        target.append(DateCandidate(byline_datetime, "time"))
    published_raw.extend(url_date_candidates(url))

    tags = _tag_texts(links, article)
    if not tags:
        tags = index.meta_all("article:tag")
    if not tags and isinstance(news.get("keywords"), str):
        tags = news["keywords"].split(",")

    content = _first(divs["article__content"] or divs["article__content-container"])
    if content is None:
        problems.append("body_container_missing")
    intro = _first(divs["article__intro"])
    featured = _first(
        elements_by_class(article, "figure", "article__featured-image")["article__featured-image"]
    )

    fields = {
        "url": url,
        "canonical_url": index.canonical_url() or index.meta("og:url") or url,
        "title": title,
        "subtitle": subtitle,
        "authors": _authors(links["byline__author__name"], divs["byline__author"], news),
        "tags": tags,
        "language": _str(news.get("inLanguage")) or _html_lang(root),
        "image_url": index.meta("og:image")
        or (_first(_IMG_SRC(featured)) if featured is not None else None),
        "image_caption": element_text(_first(_CAPTION(featured))) if featured is not None else None,
        "is_accessible_for_free": _accessible(index, news),
        "section_hint": None if section else _section_hint(article, objects),
        "published_raw": published_raw,
        "modified_raw": modified_raw,
    }
    fields["article_id"] = article_id_from_url(url) or article_id_from_url(fields["canonical_url"])
    # Handed over parsed, after every other reading: the boilerplate stage would otherwise
    # serialise and parse them again (lead: its content, without the intro's own class).
    fields["body_html"] = detached_root(content) if content is not None else None
    fields["lead_html"] = detached_root(intro, content_only=True) if intro is not None else None
    return ArticlePage(fields, problems)


def _html_lang(root: Any) -> str | None:
    """``/html/@lang``."""
    return root.get("lang") if root.tag == "html" else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _candidates(source: str, *values: Any) -> list[DateCandidate]:
    """The date strings among ``values``, found in ``source``."""
    return [DateCandidate(value.strip(), source) for value in values if _str(value)]


def _authors(name_links: list[Any], bylines: list[Any], news: dict[str, Any]) -> list[str]:
    """Every byline author (``a.byline__author__name``, else the text of the first
    ``div.byline__author``). JSON-LD names only the first, so it is the last resort."""
    names = [_NORMALIZED(element) for element in name_links]
    names = [n for n in names if n]
    if names:
        return names
    byline = element_text(_first(bylines))
    if byline:
        byline = _BY_PREFIX.sub("", " ".join(byline.split()))
        return [n for n in _BYLINE_SPLIT.split(byline) if n]
    return person_names(news.get("author"))


def _accessible(index: PageIndex, news: dict[str, Any]) -> bool | None:
    value = as_bool(news.get("isAccessibleForFree"))
    if value is not None:
        return value
    tier = (index.meta("article:content_tier") or "").lower()
    return {"free": True, "locked": False, "metered": False}.get(tier)


def _section_hint(article: list[Any], objects: list[dict[str, Any]]) -> str | None:
    """The real section when the listing did not say: the opinion label, else the
    breadcrumb's last section link. Never ``articleSection``: the site sets it wrongly."""
    if select(_OPINION_LABEL, article):
        return "opinion"
    crumbs = jsonld_of_type(objects, "BreadcrumbList").get("itemListElement") or []
    for crumb in reversed(crumbs if isinstance(crumbs, list) else []):
        item = crumb.get("item") if isinstance(crumb, dict) else None
        target = item.get("@id") if isinstance(item, dict) else item
        if isinstance(target, str):
            slug = urlsplit(target).path.strip("/")
            if slug in SECTIONS:
                return slug
    return None
