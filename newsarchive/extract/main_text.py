"""The main text of a page no profile describes, as trafilatura finds it: as a tree of
paragraphs, headings, lists and quotes for our boilerplate stage.

trafilatura is imported here, and only when a page needs it (a site with no profile).
The page is parsed once (``load_page``, trafilatura's own parsing, so its extraction is the
one it would make of the HTML string) and that tree is handed to each extraction and to
htmldate; the extracted body is converted to HTML in place, not serialised and parsed again.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from lxml import etree

from newsarchive.extract.html import detached_root, parse_html

FULL_EXTRACTION_BELOW = 100
"""Words under which trafilatura's fast extraction is done again in full (with its fallback
extractors): on pages whose text is not in the markup it expects, ``fast`` finds a
paragraph or two of a long article."""


def load_page(html: str, body: bytes | None = None, encoding: str | None = None) -> Any | None:
    """The page as trafilatura parses it (``trafilatura.utils.load_html``: an ``lxml.html``
    tree; comments and processing instructions dropped, a faulty doctype repaired); None if
    it is no HTML at all.

    ``body`` and ``encoding``: the bytes ``html`` was decoded from, and how. A UTF-8 page is
    then parsed from its bytes, as trafilatura parses it when lxml refuses the text: the
    same tree, without a pass of trafilatura's control-character regex over the whole text
    (a third of the parse's time) where the bytes show there are none.
    """
    from trafilatura.utils import load_html

    tree = _DIFFERENT
    if body is not None and encoding is not None and _is_utf8(encoding):
        tree = _load_utf8(html, body)
    return load_html(html) if tree is _DIFFERENT else tree


_DIFFERENT = object()
# What trafilatura's repair removes from the text: C0 controls but tab, newline and
# carriage return (and the noncharacters U+FFFE and U+FFFF).
# (each a bytes object of its own: ``in`` finds one byte with memchr, faster than a pass
# of ``bytes.translate`` that copies the page to count them)
_CONTROL_BYTES = [bytes([c]) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)]
# trafilatura's DOCTYPE_TAG, for text and for bytes; lxml.html's tests of a whole page
_DOCTYPE_TEXT = re.compile("^< ?! ?DOCTYPE[^>]*/[^<>]*>", re.IGNORECASE)
_DOCTYPE_BYTES = re.compile(rb"^< ?! ?DOCTYPE[^>]*/[^<>]*>", re.IGNORECASE)
_FULL_PAGE_TEXT = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE).match
_FULL_PAGE_BYTES = re.compile(rb"^\s*<(?:html|!doctype)", re.IGNORECASE).match


@functools.cache
def _parser() -> Any:
    """trafilatura's HTML parser (``trafilatura.utils.HTML_PARSER``: the same options),
    whose elements are ``lxml.html.HtmlElement`` as trafilatura needs them, looked up in C:
    ``lxml.html``'s own lookup runs Python code for every element Python touches (a form
    control gets a class of its own there, whose extra properties no extractor reads)."""
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    return parser


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def _load_utf8(html: str, body: bytes) -> Any:
    """``load_html(html)`` from the UTF-8 ``body`` that decodes to ``html``; ``_DIFFERENT``
    where that could give another tree (then ``load_html`` reads ``html`` itself)."""
    from lxml.html import fromstring
    from trafilatura.utils import is_dubious_html

    if body.startswith(codecs.BOM_UTF8):
        body = body[3:]  # the text has none: Scrapy drops it
    if (
        "\ufffd" in html  # maybe bytes that are no UTF-8: libxml2 would read them otherwise
        or any(control in body for control in _CONTROL_BYTES)
        or "\ufffe" in html  # (in the text: a character is found faster than its bytes)
        or "\uffff" in html
        # lxml.html's test of a whole page (else a fragment), which differs on Unicode spaces
        or (_FULL_PAGE_TEXT(html) is None) != (_FULL_PAGE_BYTES(body) is None)
    ):
        return _DIFFERENT
    beginning = html[:50].lower()
    repaired = html
    if "doctype" in beginning:
        # trafilatura's repair: a doctype with a slash removed from the first line, which
        # then ends with a newline in any case (of text and bytes alike; the match ends at
        # the first ">", so it is looked for in the whole page, not in a copy of its line)
        match = _DOCTYPE_TEXT.match(html)
        match_bytes = _DOCTYPE_BYTES.match(body)
        if (match is None) != (match_bytes is None):
            return _DIFFERENT
        if match and "\n" not in match.group(0):
            repaired, body = html[match.end() :], body[match_bytes.end() :]  # type: ignore[union-attr]
        if "\n" not in repaired:
            repaired, body = repaired + "\n", body + b"\n"
    if any("<html" in line and line.endswith("/>") for line in repaired[:4096].splitlines()[:4]):
        return _DIFFERENT  # a self-closing <html/>: the repair rewrites it
    try:
        tree = fromstring(body, parser=_parser())
    except Exception:
        return _DIFFERENT
    if tree is None or len(tree) < 1:
        return _DIFFERENT
    if is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def trafilatura_body(
    page: Any, url: str, spare: Callable[[], Any | None] | None = None
) -> etree._Element | None:
    """The main text of ``page`` (a tree from ``load_page``, or the HTML) as trafilatura
    extracts it with ``output_format="html"``, in a ``<div>``: None when it finds none.
    Fast mode first; the full one (its fallback extractors) when that finds under
    ``FULL_EXTRACTION_BELOW`` words, whose result is then taken if it finds more words.

    The same tree ``trafilatura.extract(html, url=url, output_format="html", fast=...,
    include_comments=False)`` gives once parsed again, without trafilatura's fingerprint of
    the text (an ``extract`` in any format but text computes one) nor the round trip
    through a string: its elements with their text in NFC, as the string is normalised.

    ``spare``: the caller has no use for the tree after this, so the fast extraction may
    change it instead of a copy of it; ``spare()`` gives the same tree again for the full
    extraction, where there is one.
    """
    tree = load_page(page) if isinstance(page, str) else page
    if tree is None:
        return None
    body, words = None, 0
    for fast in (True, False):
        if spare is not None and not fast:
            tree = spare()  # the first extraction changed the tree it was given
            if tree is None:
                break
        extracted = _extraction(tree, url, fast, own=spare is not None)
        found, found_text = _html_body(extracted) if extracted is not None else (None, "")
        found_words = _count_words(found_text, FULL_EXTRACTION_BELOW) if found is not None else 0
        if found is not None and (body is None or found_words > words):
            body, words = found, found_words
        if words >= FULL_EXTRACTION_BELOW:
            break
    return detached_root(body, content_only=True) if body is not None else None


def _extraction(tree: Any, url: str, fast: bool, own: bool) -> Any | None:
    """``bare_extraction(tree, url=url, fast=fast, include_comments=False,
    output_format="html").body``, or None where it returns None. ``own``: on ``tree``
    itself, which it changes (``bare_extraction`` copies a tree it is given first, a third
    of a millisecond on a news page): the steps of ``bare_extraction`` 2.3.1 for these
    arguments, around its extraction sequence; another version gets ``bare_extraction``."""
    import trafilatura
    from trafilatura import bare_extraction

    if not own or trafilatura.__version__ != "2.3.1":
        document = bare_extraction(
            tree, url=url, fast=fast, include_comments=False, output_format="html"
        )
        return document.body if document is not None else None
    from lxml.etree import strip_tags
    from trafilatura.core import trafilatura_sequence
    from trafilatura.settings import Extractor

    options = Extractor(output_format="html", fast=fast, comments=False, url=url)
    try:
        body, text, _, comments = trafilatura_sequence(tree, options, options.url)
        if options.max_tree_size:
            if len(body) > options.max_tree_size:
                strip_tags(body, "hi")
            if len(body) > options.max_tree_size:
                return None
        if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
            return None
    except (TypeError, ValueError):  # what bare_extraction returns None for
        return None
    return body


# Scripts written without spaces between words: Chinese, Japanese kana, Thai, Lao, Khmer,
# Myanmar. Their text is counted by characters, about two to a word.
_SPACELESS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def words_in(element: etree._Element, enough: int) -> int:
    """The words of ``element``'s text, counted exactly up to ``enough`` (above, any count
    that is at least ``enough``): whitespace-separated, or in scripts written without spaces,
    characters by two, where there are more of those."""
    return _count_words(_text(element), enough)


def _text(element: etree._Element) -> str:
    return " ".join(element.itertext())


def _count_words(text: str, enough: int) -> int:
    words = len(text.split())
    if words < enough:
        words = max(words, _SPACELESS.subn("", text)[1] // 2)
    return words


def _html_body(extracted: Any) -> tuple[etree._Element, str]:
    """trafilatura's extracted XML body as the ``<body>`` of its HTML output, and its text
    (``_text``: joined once, for the normalisation check and the word count alike)."""
    from trafilatura.htmlprocessing import convert_to_html

    body = convert_to_html(extracted)[0]
    if _misnested(body):
        # An HTML parser closes a paragraph where a block starts (a heading inside a <p>,
        # from a page's template markup): what parsing the string again would do.
        html = etree.tostring(body.getparent(), encoding="unicode", pretty_print=True)
        body = next(parse_html(unicodedata.normalize("NFC", html.strip())).iter("body"))
        return body, _text(body)
    text = _text(body)
    if unicodedata.is_normalized("NFC", text):
        return body, text  # most are: nothing to walk
    for element in body.iter():
        for name in ("text", "tail"):
            value = getattr(element, name)
            if value and not value.isascii():
                setattr(element, name, unicodedata.normalize("NFC", value))
    return body, _text(body)


# Elements an HTML parser does not let stay inside a <p> (it closes the paragraph first).
_BLOCKS = (
    "address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "menu", "nav", "ol", "p",
    "pre", "section", "table", "ul",
)  # fmt: skip


_MISNESTED = etree.XPath(
    "boolean(descendant::p[descendant::*[" + " or ".join(f"self::{tag}" for tag in _BLOCKS) + "]])"
)


def _misnested(body: etree._Element) -> bool:
    """Whether a paragraph of ``body`` holds a block element."""
    return bool(_MISNESTED(body))
