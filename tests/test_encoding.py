"""The encoding a page is really in, whatever its label says."""

from __future__ import annotations

import codecs

import pytest

from newsarchive.encoding import true_encoding

TEXT = "Москва — the \u201cKremlin\u201d said on Monday. Don\u2019t panic."


def page(charset: str) -> str:
    return f'<html><head><meta charset="{charset}"></head><body><p>{TEXT}</p></body></html>'


@pytest.mark.parametrize(
    ("body", "declared", "expected"),
    [
        # labels that tell the truth: nothing to change
        (page("utf-8").encode("utf-8"), "utf-8", None),
        (page("windows-1251").encode("cp1251"), "cp1251", None),
        # a header that says UTF-8 over windows-1251 bytes: the meta tells the truth
        (page("windows-1251").encode("cp1251"), "utf-8", "cp1251"),
        # a header that says windows-1251 (or latin-1) over UTF-8 bytes: valid UTF-8 wins
        (page("utf-8").encode("utf-8"), "cp1251", "utf-8"),
        (page("utf-8").encode("utf-8"), "iso-8859-1", "utf-8"),
        (page("utf-8").encode("utf-8"), None, "utf-8"),
        # pure ASCII decodes the same under any of these labels
        (b"<p>plain ASCII</p>", "cp1251", None),
        # a byte-order mark is unambiguous
        (codecs.BOM_UTF8 + page("utf-8").encode("utf-8"), "cp1251", None),
        # nothing decodes cleanly and nothing better is declared: keep the label
        (b"<p>\xff\xfe\x81 broken</p>", "utf-8", None),
    ],
)
def test_true_encoding(body: bytes, declared: str | None, expected: str | None) -> None:
    assert true_encoding(body, declared) == expected
    if declared:  # given the text as Scrapy decodes it too: the same answer
        assert true_encoding(body, declared, body.decode(declared, "replace")) == expected
    if expected:
        assert TEXT in body.decode(expected)
