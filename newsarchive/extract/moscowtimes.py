"""The Moscow Times: section listings and article pages -> raw article fields.

Selectors follow the site's 2024 CMS templates. Every field has fallbacks (head meta, then
JSON-LD, then visible text) because the live site may differ from that snapshot. The body is
returned as HTML: boilerplate removal and text cleaning are separate pipeline stages.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from newsarchive.extract.base import ArticlePage, Excerpt, Listing
from newsarchive.extract.html import (
    as_bool,
    canonical_url,
    jsonld_objects,
    jsonld_of_type,
    meta,
    meta_all,
    person_names,
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
    sel = Selector(text=html)
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


def is_article_page(sel: Selector) -> bool:
    return bool(sel.css("article.article")) or bool(
        sel.xpath('//meta[@property="article:published_time"]')
    )


def parse_article(html: str, url: str) -> ArticlePage | None:
    """Raw fields of an article page, or ``None`` if the page is not an article at all."""
    sel = Selector(text=html)
    if not is_article_page(sel):
        return None
    problems: list[str] = []
    objects, invalid = jsonld_objects(sel)
    if invalid:
        problems.append("jsonld_invalid")
    news = jsonld_of_type(objects, "NewsArticle", "Article", "ReportageNewsArticle")
    if not news:
        problems.append("jsonld_missing_article")
    article = sel.css("article.article") or sel
    header = article.css("header.article__header") or article

    title = (
        text_of(header.css("h1")[:1] or None) or meta(sel, "og:title") or _str(news.get("headline"))
    )
    subtitle = text_of(header.css("h2")[:1] or None)
    byline_time = article.css("time.byline__datetime")
    byline_updated = bool(byline_time) and "updated" in (text_of(byline_time[:1]) or "").lower()
    byline_datetime = byline_time.attrib.get("datetime") if byline_time else None

    published_raw = [
        meta(sel, "article:published_time"),
        _str(news.get("datePublished")),
        _str(news.get("dateCreated")),
    ]
    modified_raw = [meta(sel, "article:modified_time"), _str(news.get("dateModified"))]
    if byline_datetime:
        (modified_raw if byline_updated else published_raw).append(byline_datetime)

    tags = article.css("a.article__tags__tag::text, .article__tags a.tag::text").getall()
    if not tags:
        tags = meta_all(sel, "article:tag")
    if not tags and isinstance(news.get("keywords"), str):
        tags = news["keywords"].split(",")

    content = (
        article.css("div.article__content")[:1] or article.css("div.article__content-container")[:1]
    )
    if not content:
        problems.append("body_container_missing")
    intro = article.css("div.article__intro")[:1]
    featured = article.css("figure.article__featured-image")[:1]

    fields = {
        "url": url,
        "canonical_url": canonical_url(sel) or meta(sel, "og:url") or url,
        "title": title,
        "subtitle": subtitle,
        "authors": _authors(article, news),
        "tags": tags,
        "language": _str(news.get("inLanguage")) or sel.xpath("/html/@lang").get(),
        "image_url": meta(sel, "og:image") or featured.css("img::attr(src)").get(),
        "image_caption": text_of(featured.css(".article__featured-image__caption")[:1] or None),
        "is_accessible_for_free": _accessible(sel, news),
        "section_hint": _section_hint(article, objects),
        "body_html": content[0].get() if content else None,
        "lead_html": "".join(intro.xpath("node()").getall()) if intro else None,
        "published_raw": [d for d in published_raw if d],
        "modified_raw": [d for d in modified_raw if d],
    }
    fields["article_id"] = article_id_from_url(url) or article_id_from_url(fields["canonical_url"])
    return ArticlePage(fields, problems)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _authors(article: Selector, news: dict[str, Any]) -> list[str]:
    """Every byline author. JSON-LD names only the first, so it is the last resort."""
    names = article.css("a.byline__author__name").xpath("normalize-space(.)").getall()
    names = [n for n in names if n]
    if names:
        return names
    byline = text_of(article.css("div.byline__author")[:1] or None)
    if byline:
        byline = re.sub(r"^\s*by\s+", "", " ".join(byline.split()), flags=re.I)
        return [n for n in _BYLINE_SPLIT.split(byline) if n]
    return person_names(news.get("author"))


def _accessible(sel: Selector, news: dict[str, Any]) -> bool | None:
    value = as_bool(news.get("isAccessibleForFree"))
    if value is not None:
        return value
    tier = (meta(sel, "article:content_tier") or "").lower()
    return {"free": True, "locked": False, "metered": False}.get(tier)


def _section_hint(article: Selector, objects: list[dict[str, Any]]) -> str | None:
    """The real section when the listing did not say: the opinion label, else the
    breadcrumb's last section link. Never ``articleSection``: the site sets it wrongly."""
    if article.css(".label--opinion"):
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
