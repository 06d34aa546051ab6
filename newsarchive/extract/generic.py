"""Site-independent extraction for site profiles: what most news pages say about themselves.

A news page describes itself in structured data: JSON-LD (often a Yoast-style ``@graph``
whose article points at its author by ``@id``), OpenGraph, ``article:*`` meta and
``<link rel=canonical>``. A profile (``newsarchive.spiders.profile``) only declares where its
listing links, next page and body are (``PageLayout``), and selectors for the fields that
structured data gets wrong on that site. Plain functions, no Scrapy: testable on saved pages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import cssselect
from lxml import etree

from newsarchive.dates import DateCandidate
from newsarchive.extract.base import ArticlePage, Excerpt, Listing
from newsarchive.extract.html import (
    PageIndex,
    as_bool,
    css_xpath,
    detached_root,
    element_text,
    jsonld_of_type,
    parse_html,
    person_names,
)
from newsarchive.extract.page_dates import page_date_candidates, restated_candidates

ARTICLE_TYPES = (
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BlogPosting",
    "Report",
)


@dataclass(frozen=True)
class PageLayout:
    """Where things are on a site's pages, as CSS selectors (None: not on this site).

    ``fields`` maps an article field (``title``, ``subtitle``, ``authors``, ``tags``,
    ``image_caption``, ``published``, ``modified``) to a selector that overrides what the
    structured data says; ``published``/``modified`` read a ``datetime`` attribute or the
    visible text (the site's time zone applies to naive times).
    """

    body: str
    """The element holding the article's text (its boilerplate is removed later). Several
    selectors, comma-separated, are tried in their order: the first that matches wins."""
    listing_scope: str | None = None
    """The part of a listing page whose links are the section's articles (None: all)."""
    next_page: str = "link[rel=next], a[rel=next], a.next"
    """The link to the listing's next page."""
    lead: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A bad selector fails when the profile is defined, not on its first page.
        selectors = (self.body, self.listing_scope, self.next_page, self.lead)
        for css in (*selectors, *self.fields.values()):
            if css:
                _compiled(css)


_compiled = functools.lru_cache(maxsize=512)(css_xpath)
"""Selectors are compiled once per process, not once per page."""


def _select(root: Any, css: str | None) -> list[Any]:
    return _compiled(css)(root) if css else []


@functools.lru_cache(maxsize=128)
def _alternatives(css: str) -> tuple[str, ...]:
    """The selectors of a comma-separated group, in their order (a union would give the
    matches in document order instead: an outer ``main`` before the body inside it)."""
    return tuple(selector.canonical() for selector in cssselect.parse(css))


def _select_first(root: Any, css: str | None) -> list[Any]:
    """The matches of the first selector of ``css`` that matches at all."""
    for alternative in _alternatives(css) if css else ():
        found = _select(root, alternative)
        if found:
            return found
    return []


def parse_listing(
    html: str, url: str, layout: PageLayout, article_id: Callable[[str], str | None]
) -> Listing:
    """The articles a listing page links to (in page order, once each) and its next page."""
    listing = Listing()
    if not html.strip():
        return listing
    root = parse_html(html)
    scopes = _select(root, layout.listing_scope) or [root]
    seen: set[str] = set()
    for scope in scopes:
        for link in scope.iter("a"):
            href = (link.get("href") or "").strip()
            if not href:
                continue
            absolute = urljoin(url, href).split("#", 1)[0]
            key = article_id(absolute)
            if key is None or key in seen:
                continue
            seen.add(key)
            listing.excerpts.append(Excerpt(absolute, element_text(link)))
    for element in _select(root, layout.next_page):
        href = (element.get("href") or "").strip()
        if href:
            listing.next_url = urljoin(url, href)
            break
    return listing


def parse_article(
    html: str,
    url: str,
    layout: PageLayout,
    article_id: Callable[[str], str | None],
    section: str | None = None,
    *,
    root: Any | None = None,
    keep_page: bool = False,
    find_body: bool = True,
) -> ArticlePage | None:
    """Raw fields of an article page, from its structured data and ``layout``; None if the
    page is not an article (no article object in its JSON-LD, no ``og:type`` article and no
    body element: a login wall, a consent page, a listing).

    ``root``: the page already parsed (``html`` is then not parsed again). ``keep_page``:
    leave the tree as it is, ``lead_html`` and ``body_html`` being the lead and body
    elements still in it (``detached`` makes them what they are otherwise), for a caller
    that reads the same tree again (a tree handed to trafilatura before it is changed).
    ``find_body=False``: the layout's body is only looked for where it decides whether the
    page is an article (its markup does not say so), for a caller with a body of its own
    (trafilatura's), which looks for it with ``layout_body`` only if it has none after all.
    """
    root = parse_html(html) if root is None else root
    index = PageIndex(root)
    objects, invalid = index.jsonld_objects()
    by_id = {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str)}
    news = jsonld_of_type(objects, *ARTICLE_TYPES)
    marked = bool(news) or index.meta("og:type") == "article"
    bodies = _select_first(root, layout.body) if find_body or not marked else []
    if not bodies and not marked:
        return None
    problems = ["jsonld_invalid"] if invalid else []
    if not news:
        problems.append("jsonld_missing_article")
        if not marked:
            problems.append("no_article_markup")  # the page does not say it is an article
    if not bodies and (find_body or not marked):
        problems.append("body_container_missing")
    webpage = _object(news.get("mainEntityOfPage"), by_id)

    overrides = {name: _select(root, css) for name, css in layout.fields.items()}
    title = (
        _first_text(overrides.get("title"))
        or _str(news.get("headline"))
        or _first_text(index.h1s)
        or index.meta("og:title")  # late: it often carries the site's name
        or _document_title(root, index.meta("og:site_name"))
    )
    authors = [t for t in map(element_text, overrides.get("authors", [])) if t]
    if not authors:
        # Persons by @id too; not Organizations (a site naming itself has no byline)
        authors = person_names(_resolve(news.get("author"), by_id)) or index.meta_all("author")
        # ... nor the site's own name in an author meta
        publisher = _object(news.get("publisher"), by_id).get("name")
        names = {n.casefold() for n in (index.meta("og:site_name"), _str(publisher)) if n}
        authors = [a for a in authors if a.casefold() not in names]
    tags = [t for t in map(element_text, overrides.get("tags", [])) if t]
    if not tags:
        tags = index.meta_all("article:tag") or _keywords(news.get("keywords"))
    page_published, page_modified = page_date_candidates(root, index, url)
    published_raw = [
        *(DateCandidate(v, "profile") for v in _time_values(overrides.get("published"))),
        *_jsonld_dates(news, webpage, "datePublished", "dateCreated"),
        *page_published,
    ]
    published_raw += restated_candidates(html, published_raw)
    modified_raw = [
        *(DateCandidate(v, "profile") for v in _time_values(overrides.get("modified"))),
        *_jsonld_dates(news, webpage, "dateModified"),
        *page_modified,
    ]
    image = _resolve(news.get("image"), by_id)
    lead = _first(_select_first(root, layout.lead))
    fields: dict[str, Any] = {
        "url": url,
        "canonical_url": index.canonical_url() or index.meta("og:url") or url,
        "title": title,
        "subtitle": _first_text(overrides.get("subtitle")),
        "authors": authors,
        "tags": tags,
        "language": _language_code(
            _str(news.get("inLanguage")) or _str(webpage.get("inLanguage")) or _html_lang(root)
        ),
        "image_url": index.meta("og:image") or _image_url(image),
        "image_caption": strip_credit(
            _first_text(overrides.get("image_caption"))
            or (_str(image.get("caption")) if isinstance(image, dict) else None)
        ),
        "is_accessible_for_free": as_bool(news.get("isAccessibleForFree")),
        "section_hint": None
        if section
        else (_first_str(news.get("articleSection")) or index.meta("article:section")),
        "published_raw": published_raw,
        "modified_raw": modified_raw,
        "article_id": article_id(url) or article_id(index.canonical_url() or ""),
    }
    # Parsed trees, handed to the boilerplate stage as they are (see ``detached``).
    fields["lead_html"] = lead
    fields["body_html"] = bodies[0] if bodies else None
    page = ArticlePage(fields, problems)
    return page if keep_page else detached(page)


def layout_body(root: Any, layout: PageLayout) -> Any | None:
    """The element holding the article's text, as ``parse_article`` finds it; None if the
    page has none."""
    return _first(_select_first(root, layout.body))


def detached(page: ArticlePage) -> ArticlePage:
    """``page`` with its lead and body elements moved out of the page into trees of their
    own, as the boilerplate stage takes them (the lead first: it may sit inside the body,
    and must not be read twice). The body's content, not the body element: a site rule that
    matches the container itself (a paywall class on it) must not take the whole article
    with it."""
    fields = page.fields
    lead, body = fields.get("lead_html"), fields.get("body_html")
    fields["lead_html"] = detached_root(lead) if lead is not None else None
    fields["body_html"] = detached_root(body, content_only=True) if body is not None else None
    return page


def _resolve(value: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    """A JSON-LD value with ``{"@id": ...}`` references replaced by the objects they name."""
    if isinstance(value, list):
        return [_resolve(item, by_id) for item in value]
    if isinstance(value, dict) and set(value) == {"@id"}:
        return by_id.get(value["@id"], value)
    return value


def _object(value: Any, by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The object a JSON-LD value stands for: itself, the one its ``@id`` (or its plain URL
    string, as ``mainEntityOfPage`` often is) names, or the first of a list; else {}."""
    value = _resolve(value, by_id)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, dict)), None)
    if isinstance(value, str):
        value = by_id.get(value)
    return value if isinstance(value, dict) else {}


def _jsonld_dates(news: dict[str, Any], webpage: dict[str, Any], *keys: str) -> list[DateCandidate]:
    """The article object's dates under ``keys``, then its web page's (Yoast puts them on
    the ``WebPage`` when it has no ``Article`` node)."""
    values = (_str(obj.get(key)) for key in keys for obj in (news, webpage))
    return [DateCandidate(value, "jsonld") for value in dict.fromkeys(values) if value]


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [k.strip() for k in value if isinstance(k, str) and k.strip()]
    return []


def _image_url(image: Any) -> str | None:
    if isinstance(image, list):
        image = image[0] if image else None
    if isinstance(image, str):
        return image
    if isinstance(image, dict):
        return _str(image.get("url") or image.get("contentUrl"))
    return None


def _time_values(elements: list[Any] | None) -> list[str]:
    """What a date element says: its ``datetime`` attribute, else its visible text."""
    values = []
    for element in elements or []:
        value = element.get("datetime") or element.get("content") or element_text(element)
        if value and value.strip():
            values.append(" ".join(value.split()))
    return values


_LANG = re.compile(r"^[A-Za-z]{2,3}(?=$|[-_])")
_CREDIT = re.compile(
    r"\s*[(|/\u2013\u2014-]?\s*\b(?:Fotos?|Photos?|Bild(?:er)?|Credits?|Image|Quelle|Source)"
    r"\s*:\s*[^:]{1,80}$",
    re.I,
)


# Compiled once: ``root.xpath(string)`` compiles its expression on every call.
_HEAD_TITLE = etree.XPath("//head/title")
_TITLE = etree.XPath("//title")
_TITLE_SEPARATOR = re.compile(r"\s+[|\u2013\u2014:·-]\s+")


def _document_title(root: Any, site_name: str | None) -> str | None:
    """The ``<title>``, without the site's name after (or before) its last separator."""
    title = _first_text(_HEAD_TITLE(root) or _TITLE(root))
    if not title:
        return None
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) > 1:
        named = site_name and site_name.strip().lower()
        if named and parts[-1].strip().lower() == named:
            parts = parts[:-1]
        elif named and parts[0].strip().lower() == named:
            parts = parts[1:]
        elif len(parts[-1]) < len(parts[0]) // 2 or len(parts[-1]) <= 30:
            parts = parts[:-1]  # "Headline | Site": the short tail is the site
    return " - ".join(p.strip() for p in parts) or title


def _html_lang(root: Any) -> str | None:
    html = root if root.tag == "html" else next(root.iter("html"), None)
    return html.get("lang") if html is not None else None


def _language_code(value: str | None) -> str | None:
    """The primary language subtag, lower-cased (``de-DE`` -> ``de``): one value per
    language, whichever way a site writes it."""
    match = _LANG.match(value.strip()) if value else None
    return match.group(0).lower() if match else None


def strip_credit(caption: str | None) -> str | None:
    """A caption without its trailing credit ("... Foto: Verein", "(Photo: AP)")."""
    if not caption:
        return None
    stripped = _CREDIT.sub("", caption).strip()
    return stripped or None


def _first(elements: list[Any]) -> Any | None:
    return elements[0] if elements else None


def _first_text(elements: list[Any] | None) -> str | None:
    for element in elements or []:
        text = element_text(element)
        if text and text.strip():
            return text
    return None


def _first_str(value: Any) -> str | None:
    """A string, or the first string of a list (``articleSection`` comes as either)."""
    if isinstance(value, list):
        return next((s for s in map(_str, value) if s), None)
    return _str(value)


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
