"""Word-level differences between two versions of a text, and how to show them.

A quiet edit of a news article is often one word ("said" -> "claimed") or one added paragraph;
a line diff would show the whole paragraph, a character diff would break words apart. So the
texts are cut into words that keep their punctuation (``"Kremlin,"`` is one token) and
paragraph breaks (a run of newlines is a token of its own), and compared with ``difflib``.

Shown to a person, only the changes are printed, each with a few words of context; unchanged
stretches in between are elided, so a one-word edit in a long body is one line. In a terminal
the removed words are red and struck through and the added ones green; elsewhere they are
marked as ``git diff --word-diff`` does: ``[-removed-]{+added+}``. A paragraph break is shown
as ``¶``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

TOKEN_RE = re.compile(r"\S+|\n+")
"""A word with its punctuation, or a line or paragraph break."""
CONTEXT_WORDS = 5
"""Unchanged words shown on each side of a change."""
ELLIPSIS = "…"
PARAGRAPH = "¶"

Op = Literal["equal", "delete", "insert", "replace"]


@dataclass(frozen=True)
class DiffOp:
    """One stretch of the comparison: ``old`` words became ``new`` ones (both the same for
    ``equal``; ``old`` empty for ``insert``, ``new`` empty for ``delete``)."""

    op: Op
    old: tuple[str, ...]
    new: tuple[str, ...]

    def as_json(self) -> dict[str, str]:
        """``{"op": "equal", "text": ...}``, ``{"op": "delete", "old": ...}``, ``{"op":
        "insert", "new": ...}`` or ``{"op": "replace", "old": ..., "new": ...}``; each text is
        its words joined as ``join_words`` joins them."""
        if self.op == "equal":
            return {"op": "equal", "text": join_words(self.old)}
        shown: dict[str, str] = {"op": self.op}
        if self.old:
            shown["old"] = join_words(self.old)
        if self.new:
            shown["new"] = join_words(self.new)
        return shown


def words(text: str | None) -> list[str]:
    """The tokens of ``text``: words with their punctuation, and runs of newlines."""
    return TOKEN_RE.findall(text or "")


def join_words(tokens: Sequence[str]) -> str:
    """Tokens back into text: words separated by one space, none around a line break."""
    text = ""
    for token in tokens:
        if text and not token.startswith("\n") and not text.endswith("\n"):
            text += " "
        text += token
    return text


def word_diff(old: str | None, new: str | None) -> list[DiffOp]:
    """The operations that turn ``old`` into ``new``, word by word (None is an empty text).

    Unchanged text gives one ``equal`` operation (none for two empty texts).
    """
    before, after = words(old), words(new)
    # autojunk off: in a long body it would take frequent words ("the") for junk and
    # match around them badly.
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    return [
        DiffOp(tag, tuple(before[i1:i2]), tuple(after[j1:j2]))  # type: ignore[arg-type]
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


def has_changes(ops: Sequence[DiffOp]) -> bool:
    return any(op.op != "equal" for op in ops)


def diff_json(ops: Sequence[DiffOp]) -> list[dict[str, str]]:
    """The operations for machines (see ``DiffOp.as_json``), none elided."""
    return [op.as_json() for op in ops]


@dataclass(frozen=True)
class Marks:
    """How removed and added words are shown."""

    removed: Callable[[str], str]
    added: Callable[[str], str]


PLAIN = Marks(lambda text: f"[-{text}-]", lambda text: f"{{+{text}+}}")
COLOUR = Marks(
    lambda text: f"\x1b[9;31m{text}\x1b[0m",  # red, struck through
    lambda text: f"\x1b[32m{text}\x1b[0m",  # green
)


def render_hunks(
    ops: Sequence[DiffOp], *, colour: bool = False, context: int = CONTEXT_WORDS
) -> list[str]:
    """The changes as lines, each with ``context`` unchanged words on either side; changes
    closer than twice that share a line, and what lies between lines is left out (``…``).
    No changes, no lines."""
    marks = COLOUR if colour else PLAIN
    if not has_changes(ops):
        return []
    hunks: list[list[str]] = [[]]
    last = len(ops) - 1
    for index, op in enumerate(ops):
        if op.op != "equal":
            removed = marks.removed(_shown(op.old)) if op.old else ""
            hunks[-1].append(removed + (marks.added(_shown(op.new)) if op.new else ""))
            continue
        tokens = op.old
        if index == 0:  # before the first change
            cut = tokens[-context:] if context else ()
            hunks[-1] += ([ELLIPSIS] if len(cut) < len(tokens) else []) + [_shown(cut)]
        elif index == last:  # after the last change
            cut = tokens[:context]
            hunks[-1] += [_shown(cut)] + ([ELLIPSIS] if len(cut) < len(tokens) else [])
        elif len(tokens) <= 2 * context:  # between two changes, close together
            hunks[-1].append(_shown(tokens))
        else:
            hunks[-1] += [_shown(tokens[:context]), ELLIPSIS]
            hunks.append([ELLIPSIS, _shown(tokens[-context:]) if context else ""])
    return [" ".join(part for part in hunk if part) for hunk in hunks]


def _shown(tokens: Sequence[str]) -> str:
    """Tokens on one line: a paragraph (or line) break becomes ``¶``."""
    return " ".join(PARAGRAPH if token.startswith("\n") else token for token in tokens)


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (and colour is wanted: ``NO_COLOR`` unset)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")
