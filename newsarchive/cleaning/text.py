"""Text normalisation: what every string in the archive goes through.

Pages carry text in many disguises (entities left over from double escaping, decomposed
accents, soft hyphens from CMS hyphenation, zero-width spaces from copy-paste, NBSPs).
Analysts compare and count words, so the archive stores one canonical form: NFC,
no invisible characters, single spaces.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import filterfalse

from w3lib.html import replace_entities

# Soft hyphen, zero-width space/non-joiner/joiner, word joiner, BOM, invisible separators,
# LTR/RTL marks and embeddings: never meaningful in archived prose.
_INVISIBLES = (
    "\u00ad\u200b\u200c\u200d\u2060\ufeff\u2061\u2062\u2063\u2064\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Control characters other than tab/newline (they break CSV/terminal output downstream).
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_INVISIBLE = re.compile(f"[{_INVISIBLES}]")
_CONTROL = re.compile(f"[{_CONTROLS}]")
_INVISIBLE_OR_CONTROL = re.compile(f"[{_INVISIBLES}{_CONTROLS}]")  # one scan finds neither
_WORDS = re.compile(r"\w+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
PARAGRAPH_SEPARATOR = "\n\n"


def clean_text(value: str | None) -> str | None:
    """Return ``value`` as one clean line: entities decoded, NFC, invisibles removed, spaces
    collapsed. Empty results become ``None`` so that "absent" has one representation."""
    if value is None:
        return None
    if "&" in value:
        value = replace_entities(value, remove_illegal=True)
    if value.isascii():  # no invisibles, already NFC: only controls and spaces to fix
        if not value.isprintable():  # controls, or just tabs and newlines
            value = _CONTROL.sub(" ", value)
    else:
        if _INVISIBLE_OR_CONTROL.search(value) is not None:
            value = _INVISIBLE.sub("", value)
            value = _CONTROL.sub(" ", value)
        value = unicodedata.normalize("NFC", value)
    # ``\s`` and ``str.split()`` know the same whitespace: runs -> one space, ends stripped.
    value = " ".join(value.split())
    return value or None


def clean_paragraphs(paragraphs: list[str]) -> list[str]:
    """Clean each paragraph and drop the ones that end up empty."""
    cleaned = (clean_text(p) for p in paragraphs)
    return [p for p in cleaned if p]


def join_paragraphs(paragraphs: list[str]) -> str | None:
    """The ``body`` format: paragraphs separated by one blank line."""
    return PARAGRAPH_SEPARATOR.join(paragraphs) or None


def split_paragraphs(body: str | None) -> list[str]:
    """Inverse of ``join_paragraphs`` (tolerates stray whitespace around the separators)."""
    if not body:
        return []
    return [p for p in _PARAGRAPH_BREAK.split(body) if p.strip()]


def clean_list(values: list[str] | None) -> list[str]:
    """Clean a list of strings, dropping empties and repeats while keeping the order."""
    seen: dict[str, None] = {}
    for value in values or []:
        cleaned = clean_text(value)
        if cleaned and cleaned not in seen:
            seen[cleaned] = None
    return list(seen)


def count_words(text: str | None) -> int:
    """Words as ``\\w+`` tokens: the definition the benchmark scorers use too.

    No whitespace is a word character, so each word is inside one whitespace-separated
    token, and a token of letters and digits alone (``str.isalnum``: ``\\w`` but the
    underscore) is one word: only the other tokens (with punctuation, most of them at an
    end) are counted by the regex, with ``subn``, which builds no list of the words."""
    if not text:
        return 0
    tokens = text.split()
    others = list(filterfalse(str.isalnum, tokens))
    return len(tokens) - len(others) + _WORDS.subn("", " ".join(others))[1]
