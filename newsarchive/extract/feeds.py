"""RSS feeds and sitemaps -> article links, parsed without ever expanding an XML entity.

XML from the network is hostile input: a few hundred bytes of nested entity declarations
(the "billion laughs") expand to gigabytes in a parser that resolves them, and an external
entity can make the parser read local files or fetch URLs. So, like ``defusedxml``, a
document that declares entities is refused outright, and the parser itself is configured
never to resolve entities, load a DTD or touch the network, in case a declaration slips past
the check. Feeds and sitemaps never need entities beyond the five predefined ones.

Plain functions over bytes, no Scrapy: testable on saved documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)
_ROOT_ELEMENT = re.compile(rb"<[A-Za-z_]")


class FeedError(ValueError):
    """A feed or sitemap that cannot be read; ``reason`` is the stats key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class FeedEntry:
    """One article link of a feed or sitemap, with its dates as the document gives them
    (RFC 822 or ISO 8601)."""

    url: str
    title: str | None = None
    published: str | None = None
    """RSS ``pubDate``, Atom ``published``, a news sitemap's ``news:publication_date``."""
    modified: str | None = None
    """Atom ``updated``, a sitemap's ``lastmod``: a change, not the publication."""


def _parser() -> etree.XMLParser:
    # A fresh parser per document: lxml parsers keep state and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=True,
    )


def parse_xml(body: bytes) -> etree._Element:
    """The document's root element; ``FeedError`` if it declares entities or isn't XML."""
    if not body or not body.strip():
        raise FeedError("empty_xml")
    # Entities can only be declared in the prolog, before the root element's start tag.
    root_at = _ROOT_ELEMENT.search(body)
    prolog = body[: root_at.start()] if root_at else body
    if _ENTITY_DECLARATION.search(prolog):
        raise FeedError("xml_entity_declarations", "refused: the document declares entities")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise FeedError("invalid_xml", str(error)) from None
    if root is None:
        raise FeedError("invalid_xml", "no root element")
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def rss_entries(body: bytes) -> list[FeedEntry]:
    """Items of an RSS 2.0 feed (or entries of an Atom feed), in document order."""
    root = parse_xml(body)
    kind = _local(root.tag)
    entries: list[FeedEntry] = []
    if kind == "rss":
        for item in root.iter("item"):
            url = _child_text(item, "link") or _permalink_guid(item)
            if url:
                entries.append(
                    FeedEntry(url, _child_text(item, "title"), _child_text(item, "pubDate"))
                )
    elif kind == "feed":  # Atom
        for entry in root:
            if _local(entry.tag) != "entry":
                continue
            link = next(
                (
                    child.get("href")
                    for child in entry
                    if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate"
                ),
                None,
            )
            if link:
                entries.append(
                    FeedEntry(
                        link.strip(),
                        _child_text(entry, "title"),
                        _child_text(entry, "published"),
                        _child_text(entry, "updated"),
                    )
                )
    else:
        raise FeedError("not_a_feed", f"root element <{kind}>")
    return entries


def _permalink_guid(item: etree._Element) -> str | None:
    for child in item:
        if _local(child.tag) == "guid" and child.get("isPermaLink", "true") != "false":
            return (child.text or "").strip() or None
    return None


@dataclass
class Sitemap:
    """A sitemap's page URLs (``urlset``) or child sitemaps (``sitemapindex``)."""

    urls: list[FeedEntry]
    sitemaps: list[str]


def sitemap_entries(body: bytes) -> Sitemap:
    """``<loc>`` of a sitemap or a sitemap index, with ``lastmod`` or a news sitemap's
    ``publication_date`` where given."""
    root = parse_xml(body)
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise FeedError("not_a_sitemap", f"root element <{kind}>")
    result = Sitemap([], [])
    for entry in root:
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        if kind == "sitemapindex":
            result.sitemaps.append(loc)
            continue
        published = next(
            (
                (node.text or "").strip() or None
                for node in entry.iter()
                if _local(node.tag) == "publication_date"
            ),
            None,
        )
        result.urls.append(FeedEntry(loc, None, published, _child_text(entry, "lastmod")))
    return result
