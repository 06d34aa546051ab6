"""Generic, site-independent reading of article pages: head metadata and JSON-LD.

Plain functions over parsel selectors, no Scrapy: testable on saved pages, reusable by any
site's extractor. Sites serve broken JSON-LD (The Moscow Times' WebSite block has a trailing
comma), so parsing is lenient and reports what it had to skip instead of raising.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree
from parsel import Selector
from parsel.csstranslator import css2xpath

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def loads_lenient(text: str) -> Any:
    """``json.loads`` that survives trailing commas, raw control characters and stray
    closing brackets after the value (a template that closes an object once too often);
    several values one after the other come as a list.

    Raises ``ValueError`` when the text is still not JSON after those repairs.
    """
    try:
        return json.loads(text)
    except ValueError:
        pass
    repaired = _CONTROL_CHARS.sub(" ", _TRAILING_COMMA.sub(r"\1", text))
    try:
        return json.loads(repaired)
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Extra data"):
            raise
    values, end = [], len(repaired) - len(repaired.lstrip())
    while True:
        value, end = _DECODER.raw_decode(repaired, end)
        values.append(value)
        end = _STRAY.match(repaired, end).end()  # type: ignore[union-attr]
        if end == len(repaired):
            return values[0] if len(values) == 1 else values


_DECODER = json.JSONDecoder()
_STRAY = re.compile(r"[\s}\];,]*")  # what may follow a value: whitespace, stray closers


def _walk_jsonld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for child in node:
            yield from _walk_jsonld(child)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk_jsonld(node["@graph"])


def jsonld_objects(sel: Selector) -> tuple[list[dict[str, Any]], int]:
    """All JSON-LD objects on the page (``@graph`` flattened) and the number of blocks that
    could not be parsed even leniently."""
    return jsonld_from_texts(sel.xpath('//script[@type="application/ld+json"]/text()').getall())


def jsonld_from_texts(texts: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """``jsonld_objects`` of the given JSON-LD script texts."""
    objects: list[dict[str, Any]] = []
    invalid = 0
    for raw in texts:
        if not raw.strip():
            continue
        try:
            objects.extend(_walk_jsonld(loads_lenient(raw.strip())))
        except (ValueError, RecursionError):
            invalid += 1
    return objects, invalid


def jsonld_of_type(objects: list[dict[str, Any]], *types: str) -> dict[str, Any]:
    """The first object whose ``@type`` (a string or a list) is one of ``types``; else {}."""
    for obj in objects:
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(k in types for k in kinds):
            return obj
    return {}


def meta(sel: Selector, key: str) -> str | None:
    """Content of ``<meta name=key>`` or ``<meta property=key>``."""
    value = sel.xpath(f'//meta[@property="{key}" or @name="{key}"]/@content').get()
    return value.strip() if value and value.strip() else None


def meta_all(sel: Selector, key: str) -> list[str]:
    """Contents of every ``<meta name|property=key>`` (``article:tag`` repeats)."""
    values = sel.xpath(f'//meta[@property="{key}" or @name="{key}"]/@content').getall()
    return [v.strip() for v in values if v.strip()]


def canonical_url(sel: Selector) -> str | None:
    value = sel.xpath('//link[@rel="canonical"]/@href').get()
    return value.strip() if value and value.strip() else None


def person_names(value: Any) -> list[str]:
    """Names from a JSON-LD ``author`` (a string, a Person/Organization, or a list)."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and item.get("@type") != "Organization"
        ):
            names.append(item["name"])
    return [n.strip() for n in names if n and n.strip()]


def as_bool(value: Any) -> bool | None:
    """JSON-LD booleans come as true/false or as "True"/"False" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def text_of(sel: Selector | None) -> str | None:
    """All text inside a node, whitespace-joined (cleaning normalises it later)."""
    if sel is None:
        return None
    text = " ".join(t for t in sel.xpath(".//text()").getall())
    return text if text.strip() else None


# --- The same readings on a parsed tree, in fewer passes --------------------------------------
# Extractors run once per article page: every parsel query walks the whole document and wraps
# each result in a Selector. These read the tree parsel would parse (``parse_html``) with
# precompiled XPaths, tag-filtered walks and one walk over the head-like elements, with the
# same results (tests/test_extraction_shortcuts.py compares them).


def parse_html(text: str) -> etree._Element:
    """The tree ``Selector(text=text, type="html").root`` holds, always parsed as HTML, with
    lxml's plain element classes: parsel's ``lxml.html`` classes are looked up in Python for
    every element touched, a cost paid on each node the extractors visit."""
    return _parse_bytes(_page_bytes(text))


def _page_bytes(text: str) -> bytes:
    """The page as parsel hands it to lxml: stripped, without NUL characters, never empty."""
    body = text.strip().encode("utf-8")
    if b"\x00" in body:  # what parsel removes; found faster in bytes (only NUL encodes to 0)
        body = body.replace(b"\x00", b"")
    return body or b"<html/>"


def _parse_bytes(body: bytes) -> etree._Element:
    root = etree.fromstring(body, parser=_HTML_PARSER)
    return root if root is not None else etree.fromstring(b"<html/>", parser=_HTML_PARSER)


# One parser for every page: building one per page cost a tenth of a small page's parse.
# lxml serialises the use of a parser across threads (its parser context takes a lock).
_HTML_PARSER = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)


# Put where a page is cut short: an element no page has, to see where the parser puts it.
_CUT_MARK = b'<i data-newsarchive-cut=""></i>'


def parse_html_until_last(text: str, tag: str, unread: tuple[bytes, ...]) -> etree._Element | None:
    """``parse_html(text)`` without the part of the page after its last ``</tag>``, or None
    when that part may matter. A site's article page often ends with a third of markup its
    extractor never reads (related articles, sidebar, footer), and parsing is the costliest
    step of extraction.

    None unless none of ``unread`` (lower-case markup such as ``b"<meta"``) occurs after the
    cut, and a mark put at the cut is parsed as an element outside every ``tag`` element:
    the cut then closes them all, and is not inside a comment, script or attribute. The
    parser never goes back to an element it has closed, so every element closed before the
    cut is the same as in the whole page's tree.
    """
    body = _page_bytes(text)
    end = body.rfind(b"</" + tag.encode())
    cut = body.find(b">", end) + 1 if end >= 0 else 0
    if cut <= 0:
        return None
    rest = body[cut:].lower()
    if any(markup in rest for markup in unread):
        return None
    root = _parse_bytes(body[:cut] + _CUT_MARK)
    mark = root
    while len(mark):  # the mark is the tree's last element, if it is an element at all
        mark = mark[-1]
    if mark.tag != "i" or mark.get("data-newsarchive-cut") is None:
        return None
    parent = mark.getparent()
    if parent is None or any(element.tag == tag for element in mark.iterancestors()):
        return None
    parent.remove(mark)
    return root


_XPATH_SPACE = re.compile("[ \t\n\r]+")  # what XPath's normalize-space() collapses


def elements_by_class(contexts: list[Any], tag: str, *names: str) -> dict[str, list[Any]]:
    """For each of ``names``, what CSS ``tag.name`` selects within ``contexts``, in document
    order, context after context (as ``select`` concatenates them). One walk per context
    that only stops at ``tag`` elements: cheaper than XPath ``descendant-or-self`` steps,
    and one walk serves several classes. Class tokens split as ``normalize-space`` does."""
    found: dict[str, list[Any]] = {name: [] for name in names}
    for context in contexts:
        for element in context.iter(tag):
            value = element.get("class")
            if value is None:
                continue
            tokens = _XPATH_SPACE.split(value)
            for name in names:
                if name in tokens:
                    found[name].append(element)
    return found


def elements_with_class(root: Any, tag: str, name: str) -> list[Any]:
    """What CSS ``tag.name`` selects in ``root`` (see ``elements_by_class``)."""
    return elements_by_class([root], tag, name)[name]


def has_class(element: Any, name: str) -> bool:
    """Whether CSS ``.name`` matches ``element``."""
    return name in _XPATH_SPACE.split(element.get("class") or "")


def css_xpath(css: str) -> etree.XPath:
    """A CSS query compiled as ``Selector.css`` runs it (parsel's translator, plain strings)."""
    return etree.XPath(css2xpath(css), smart_strings=False)


def select(query: etree.XPath, nodes: list[Any]) -> list[Any]:
    """``query`` on each of ``nodes``, results concatenated (as on a parsel SelectorList)."""
    if len(nodes) == 1:
        return query(nodes[0])
    return [result for node in nodes for result in query(node)]


class PageIndex:
    """``<meta>``, canonical ``<link>`` and JSON-LD ``<script>`` of a page, read in one walk
    (which also keeps its ``<time>`` and ``<h1>`` elements).

    ``meta``/``meta_all``/``canonical_url``/``jsonld_objects`` give what the Selector
    functions above give for the same page.
    """

    __slots__ = (
        "_canonical",
        "_folded",
        "_itemprops",
        "_jsonld",
        "_metas",
        "_properties",
        "h1s",
        "times",
    )

    def __init__(self, root: Any) -> None:
        metas: dict[str, list[str]] = {}
        properties: set[str] = set()
        canonical: str | None = None
        jsonld: list[str] = []
        itemprops: dict[str, list[str]] = {}
        self.times: list[Any] = []
        """The page's ``<time>`` elements, in document order (found in the same walk)."""
        self.h1s: list[Any] = []
        """The page's ``<h1>`` elements, in document order."""
        for element in root.iter("meta", "link", "script", "time", "h1"):
            tag = element.tag
            get = element.get
            if tag == "time":
                self.times.append(element)
            elif tag == "h1":
                self.h1s.append(element)
            elif tag == "meta":
                prop, name, content = get("property"), get("name"), get("content")
                if prop is not None:
                    properties.add(prop)
                if content is not None:
                    if prop is not None:
                        metas.setdefault(prop, []).append(content)
                    if name is not None and name != prop:
                        metas.setdefault(name, []).append(content)
                    itemprop = get("itemprop")
                    if itemprop is not None:
                        itemprops.setdefault(itemprop, []).append(content)
            elif tag == "link":
                if canonical is None and get("rel") == "canonical":
                    canonical = get("href")  # the first canonical link with an href
            elif get("type") == "application/ld+json":
                jsonld.extend(child_texts(element))
        self._metas = metas
        self._properties = properties
        self._canonical = canonical
        self._jsonld = jsonld
        self._itemprops = itemprops
        self._folded: dict[str, list[list[str]]] | None = None

    def meta(self, key: str) -> str | None:
        """Content of the first ``<meta name|property=key content>``, stripped; else None."""
        values = self._metas.get(key)
        value = values[0].strip() if values else None
        return value or None

    def meta_all(self, key: str) -> list[str]:
        return [v.strip() for v in self._metas.get(key, ()) if v.strip()]

    def meta_values(self, keys: Iterable[str]) -> list[str]:
        """The content of ``<meta name|property|itemprop=key>`` for each of ``keys`` the
        page has, in the order of ``keys``, whatever the case of the key (``DC.date.issued``,
        ``dc.date.issued``)."""
        if self._folded is None:
            # The values of each key by its lower case, in page order (names, properties,
            # then itemprops): the first that is not blank is looked for only for a key
            # asked for, not for each of the page's dozens of meta.
            folded: dict[str, list[list[str]]] = {}
            for source in (self._metas, self._itemprops):
                for key, values in source.items():
                    folded.setdefault(key.lower(), []).append(values)
            self._folded = folded
        found = (_first_not_blank(self._folded.get(key.lower(), ())) for key in keys)
        return [value for value in found if value]

    def has_property(self, key: str) -> bool:
        """Whether some ``<meta property=key>`` exists (with or without content)."""
        return key in self._properties

    def canonical_url(self) -> str | None:
        value = self._canonical
        return value.strip() if value and value.strip() else None

    def jsonld_objects(self, containing: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """``jsonld_objects`` of the page; with ``containing``, of the blocks whose text has
        it (a type name, say): the others are not even decoded."""
        texts = self._jsonld
        if containing is not None:
            texts = [text for text in texts if containing in text]
        return jsonld_from_texts(texts)


def _first_not_blank(value_lists: Iterable[list[str]]) -> str | None:
    """The first value of these lists that is not blank, stripped; None if there is none."""
    for values in value_lists:
        for value in values:
            if value.strip():
                return value.strip()
    return None


def child_texts(element: Any) -> list[str]:
    """The element's ``text()`` nodes: its text, then its children's tails."""
    return [t for t in (element.text, *(child.tail for child in element)) if t]


def element_text(element: Any | None) -> str | None:
    """``text_of`` for one lxml element (its ``.//text()`` joined by spaces)."""
    if element is None:
        return None
    text = " ".join(element.itertext())
    return text if text.strip() else None


def detached_root(element: Any, *, content_only: bool = False) -> etree._Element:
    """``element`` (or, with ``content_only``, its text and children) moved out of its page
    into a new ``<div>``: the tree ``lxml.html.fragment_fromstring(html, create_parent="div")``
    builds from its serialised HTML, without serialising and parsing it again. Mutates the page.
    """
    root = etree.Element("div")
    if content_only:
        root.text = element.text
        root.extend(list(element))  # children move with their tails
    else:
        root.append(element)
        element.tail = None  # outer HTML stops at the element's end tag
    return root
