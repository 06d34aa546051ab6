"""Generic, site-independent reading of article pages: head metadata and JSON-LD.

Plain functions over parsel selectors, no Scrapy: testable on saved pages, reusable by any
site's extractor. Sites serve broken JSON-LD (The Moscow Times' WebSite block has a trailing
comma), so parsing is lenient and reports what it had to skip instead of raising.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from parsel import Selector

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def loads_lenient(text: str) -> Any:
    """``json.loads`` that survives trailing commas and raw control characters.

    Raises ``ValueError`` when the text is still not JSON after those repairs.
    """
    try:
        return json.loads(text)
    except ValueError:
        pass
    repaired = _CONTROL_CHARS.sub(" ", _TRAILING_COMMA.sub(r"\1", text))
    return json.loads(repaired)


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
    objects: list[dict[str, Any]] = []
    invalid = 0
    for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
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
