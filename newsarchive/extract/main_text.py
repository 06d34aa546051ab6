"""The main text of a page no profile describes, as trafilatura finds it: as a tree of
paragraphs, headings, lists and quotes for our boilerplate stage.

trafilatura is imported here, and only when a page needs it (a site with no profile).
The page is parsed once (``load_page``, trafilatura's own parsing, so its extraction is the
one it would make of the HTML string) and that tree is handed to each extraction and to
htmldate; the extracted body is converted to HTML in place, not serialised and parsed again.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from lxml import etree

from newsarchive.extract.html import detached_root, parse_html

FULL_EXTRACTION_BELOW = 100
"""Words under which trafilatura's fast extraction is done again in full (with its fallback
extractors): on pages whose text is not in the markup it expects, ``fast`` finds a
paragraph or two of a long article."""


def load_page(html: str) -> Any | None:
    """The page as trafilatura parses it (an ``lxml.html`` tree; comments and processing
    instructions dropped, a faulty doctype repaired); None if it is no HTML at all."""
    from trafilatura.utils import load_html

    return load_html(html)


def trafilatura_body(page: Any, url: str) -> etree._Element | None:
    """The main text of ``page`` (a tree from ``load_page``, or the HTML) as trafilatura
    extracts it with ``output_format="html"``, in a ``<div>``: None when it finds none.
    Fast mode first; the full one (its fallback extractors) when that finds under
    ``FULL_EXTRACTION_BELOW`` words, whose result is then taken if it finds any.

    The same tree ``trafilatura.extract(html, url=url, output_format="html", fast=...,
    include_comments=False)`` gives once parsed again, without trafilatura's fingerprint of
    the text (an ``extract`` in any format but text computes one) nor the round trip
    through a string: its elements with their text in NFC, as the string is normalised.
    """
    from trafilatura import bare_extraction

    tree = load_page(page) if isinstance(page, str) else page
    if tree is None:
        return None
    body = None
    for fast in (True, False):
        document = bare_extraction(
            tree, url=url, fast=fast, include_comments=False, output_format="html"
        )
        found = _html_body(document.body) if document is not None else None
        if found is not None:
            body = found
            if len(" ".join(found.itertext()).split()) >= FULL_EXTRACTION_BELOW:
                break
    return detached_root(body, content_only=True) if body is not None else None


def _html_body(extracted: Any) -> etree._Element:
    """trafilatura's extracted XML body as the ``<body>`` of its HTML output."""
    from trafilatura.htmlprocessing import convert_to_html

    body = convert_to_html(extracted)[0]
    if _misnested(body):
        # An HTML parser closes a paragraph where a block starts (a heading inside a <p>,
        # from a page's template markup): what parsing the string again would do.
        html = etree.tostring(body.getparent(), encoding="unicode", pretty_print=True)
        return next(parse_html(unicodedata.normalize("NFC", html.strip())).iter("body"))
    for element in body.iter():
        for name in ("text", "tail"):
            value = getattr(element, name)
            if value and not value.isascii():
                setattr(element, name, unicodedata.normalize("NFC", value))
    return body


# Elements an HTML parser does not let stay inside a <p> (it closes the paragraph first).
_BLOCKS = (
    "address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "menu", "nav", "ol", "p",
    "pre", "section", "table", "ul",
)  # fmt: skip


def _misnested(body: etree._Element) -> bool:
    """Whether a paragraph of ``body`` holds a block element."""
    return any(
        block is not paragraph for paragraph in body.iter("p") for block in paragraph.iter(_BLOCKS)
    )
