"""Which encoding a page's bytes are really in, whatever the server claims.

Scrapy, like browsers, trusts the ``Content-Type`` charset first, then the ``<meta>`` one.
Servers get that wrong: a CMS migrated to UTF-8 behind a proxy that still says
``windows-1251``, or the reverse. Trusting the label then yields mojibake ("РњРѕСЃРєРІР°")
or U+FFFD replacement characters, silently, in an archive meant to last.

The check here is the one that mis-labelled text cannot fool: bytes with non-ASCII
characters that decode as strict UTF-8 are UTF-8 (text in a legacy 8-bit encoding almost
never happens to be valid UTF-8). Otherwise the first declared encoding (header, then
``<meta>``) that decodes the bytes without error wins; the header's, with replacement
characters, is the last resort.
"""

from __future__ import annotations

import codecs

from w3lib.encoding import html_body_declared_encoding, resolve_encoding


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        codecs.decode(body, encoding, "strict")
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def true_encoding(body: bytes, declared: str | None, decoded: str | None = None) -> str | None:
    """The encoding to decode ``body`` with, or ``None`` if ``declared`` (what Scrapy used:
    BOM, header or meta) is right. Canonical codec names, as ``w3lib`` resolves them.

    ``decoded``: ``body`` as decoded with ``declared``, errors replaced (a response's
    ``text``), if it is at hand. Where that is UTF-8 and has no replacement character, the
    bytes are strict UTF-8: they need not be decoded again to tell.
    """
    declared_codec = resolve_encoding(declared) if declared else None
    if body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # a byte-order mark is unambiguous, and Scrapy honours it
    if body.isascii():
        return None  # every ASCII-compatible label decodes it the same
    if declared_codec == "utf-8" and decoded is not None and "\ufffd" not in decoded:
        return None
    if _decodes(body, "utf-8"):
        return None if declared_codec == "utf-8" else "utf-8"
    if declared_codec and _decodes(body, declared_codec):
        return None
    meta = html_body_declared_encoding(body)
    meta_codec = resolve_encoding(meta) if meta else None
    if meta_codec and meta_codec != declared_codec and _decodes(body, meta_codec):
        return meta_codec
    return None
