"""Text helpers every mirror shares: the cleaning contract, and the machinery of seeded prose.

Each site's ``text`` module holds its own vocabulary and templates, and says how its CMS
writes inline HTML (an ``InlineStyle``); drawing from templates, rendering with quirks and
wrapping words in tags happen here, so both sites do them one way. Whatever ``inline_html``
does, ``clean_text(html_text_of(inline_html(s, ...)))`` gives back ``s``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from random import Random
from typing import ClassVar

# --- the cleaning contract -------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def clean_text(text: str) -> str:
    """Normalise text the way the ground truth is written: the one rule both sides share."""
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE)).replace("\u00a0", " ")
    return _SPACES.sub(" ", text).strip()


def escape(text: str) -> str:
    """Plain HTML escaping for text and attribute values (no quirks)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def html_paragraphs(lines: tuple[str, ...] | list[str]) -> str:
    """Furniture text as escaped ``<p>`` elements, one a line."""
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


def ascii_slug(text: str, drop: str = "") -> str:
    """Lowercase ASCII words joined by dashes, accents dropped; the characters of ``drop`` are
    removed first (after ASCII folding), so they join words instead of splitting them."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    for char in drop:
        ascii_text = ascii_text.replace(char, "")
    return _NON_ALNUM.sub("-", ascii_text).strip("-")


# --- seeded prose ----------------------------------------------------------------------------


class TemplateText:
    """Fills ``{slot}`` templates from word lists with one seeded random generator.

    A site's subclass gives its templates (class attributes) and what each slot draws
    (``_slot``); the draws happen in the order the templates name the slots.
    """

    SENTENCES: ClassVar[tuple[str, ...]] = ()
    TITLES: ClassVar[tuple[str, ...]] = ()
    HEADINGS: ClassVar[tuple[str, ...]] = ()
    CAPTIONS: ClassVar[tuple[str, ...]] = ()
    FRESH_TRIES: ClassVar[int] = 6
    """Draws ``_fresh`` makes to find a template this generator has not used yet."""
    _SLOT = re.compile(r"\{(\w+)\}")

    def __init__(self, rng: Random, year: int = 2025) -> None:
        self.rng = rng
        self.year = year
        self._used: set[str] = set()

    def _slot(self, name: str) -> str:
        raise NotImplementedError(name)

    def person(self) -> str:
        """A full name, as the site's people are named."""
        raise NotImplementedError

    def people(self, count: int) -> list[str]:
        """``count`` different names, in the order they come up (a site's staff)."""
        names: list[str] = []
        while len(names) < count:
            name = self.person()
            if name not in names:
                names.append(name)
        return names

    def fill(self, template: str) -> str:
        """Fill every ``{slot}`` of a template; capitalise the first letter."""
        text = self._fill(template)
        return text[0].upper() + text[1:]

    def _fill(self, template: str) -> str:
        return self._SLOT.sub(lambda m: self._slot(m.group(1)), template)

    def _fresh(self, templates: tuple[str, ...]) -> str:
        """A template this generator has not used yet, if one comes up in a few draws."""
        for _ in range(self.FRESH_TRIES):
            template = self.rng.choice(templates)
            if template not in self._used:
                break
        self._used.add(template)
        return template

    def sentence(self) -> str:
        return self.fill(self._fresh(self.SENTENCES))

    def paragraph(self) -> list[str]:
        """A paragraph as its 2-5 sentences."""
        return [self.sentence() for _ in range(self.rng.randint(2, 5))]

    def title(self) -> str:
        return self.fill(self.rng.choice(self.TITLES))

    def unique_title(self, taken: set[str]) -> str:
        """A title not in ``taken``, which then holds it too (titles name pages: no twins)."""
        title = self.title()
        while title in taken:
            title = self.title()
        taken.add(title)
        return title

    def heading(self) -> str:
        return self.fill(self.rng.choice(self.HEADINGS))

    def caption(self) -> str:
        return self.fill(self.rng.choice(self.CAPTIONS))


# --- inline HTML -----------------------------------------------------------------------------

MARKUP: dict[str, tuple[str, ...]] = {"<": ("&lt;",), ">": ("&gt;",), '"': ("&quot;", '"')}
"""Spellings of the markup characters, the same on every site (a quote is sometimes bare)."""


@dataclass
class InlineStyle:
    """How one site's CMS writes a clean string as inline HTML (see ``inline_html``)."""

    entities: dict[str, tuple[str, ...]]
    """Character -> the spellings it is given, one drawn per occurrence."""
    long_word: re.Pattern[str]
    """Words that may get a soft hyphen."""
    hyphen_margin: int
    """Characters kept whole at each end of such a word."""
    number_space: re.Pattern[str]
    """A number (group 1) and the space after it, which may become ``&nbsp;``."""
    line_break: str
    """What a wrapped source line leaves between two words."""
    zero_width_rate: float = 0.0
    """Share of texts given a zero-width space (0: no draw at all)."""
    special: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.special = re.compile("[" + "".join(self.entities) + "]")


def inline_html(
    text: str,
    rng: Random,
    style: InlineStyle,
    *,
    quirks: bool = True,
    links: tuple[str, ...] = (),
) -> str:
    """Clean text -> inline HTML whose normalised text is exactly ``text``.

    Entities as the style spells them; with ``quirks``, now and then a soft hyphen in a long
    word or a zero-width space, non-breaking spaces after numbers, wrapped source lines and
    double spaces. ``links`` are hrefs available for inline ``<a>`` tags.
    """
    html = style.special.sub(lambda m: rng.choice(style.entities[m.group()]), text)
    if quirks:
        if rng.random() < 0.4 and (longs := [m.span() for m in style.long_word.finditer(html)]):
            start, end = rng.choice(longs)
            cut = rng.randint(start + style.hyphen_margin, end - style.hyphen_margin)
            html = html[:cut] + "&shy;" + html[cut:]
        if (
            style.zero_width_rate
            and rng.random() < style.zero_width_rate
            and (cut := html.find(" ", rng.randrange(len(html)))) > 0
        ):
            html = html[:cut] + "\u200b" + html[cut:]
        html = style.number_space.sub(lambda m: m.group(1) + rng.choice((" ", "&nbsp;")), html)
    parts = html.split(" ")
    n = len(parts)
    seps = [" "] * (n - 1)
    for _ in range(rng.choice((0, 0, 0, 1, 2)) if quirks and n > 1 else 0):
        seps[rng.randrange(n - 1)] = rng.choice((style.line_break, "  "))
    return join_with_inline_tags(parts, seps, rng, links)


@dataclass(frozen=True)
class ParagraphStyle:
    """The shapes a site's editors leave a ``<p>`` in (see ``paragraph``)."""

    shapes: tuple[tuple[float, str], ...]
    """(cumulative share, template with ``{}`` for the inline HTML); else plain ``<p>{}</p>``."""
    empty_rate: float
    """Share of paragraphs followed by an empty one."""
    empty: str
    """That empty paragraph, as the site's markup has it."""


def paragraph(inline: str, rng: Random, style: ParagraphStyle) -> str:
    """One ``<p>`` around inline HTML, in one of the style's shapes, maybe followed by an
    empty one."""
    roll = rng.random()
    template = next((shape for share, shape in style.shapes if roll < share), "<p>{}</p>")
    html = template.format(inline)
    if rng.random() < style.empty_rate:
        html += style.empty
    return html


def join_with_inline_tags(
    parts: list[str], seps: list[str], rng: Random, links: tuple[str, ...]
) -> str:
    """The words ``parts`` joined by ``seps``, with at most two runs of them wrapped in inline
    tags (``<a>`` only where ``links`` offers hrefs; never splitting a word)."""
    n = len(parts)
    opened: dict[int, str] = {}
    closed: dict[int, str] = {}
    taken: set[int] = set()
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        if n < 4:
            break
        start = rng.randrange(n - 2)
        end = min(n - 1, start + rng.randint(0, 3))
        if taken & set(range(start - 1, end + 2)):
            continue
        taken |= set(range(start, end + 1))
        tag = rng.choice(("a", "em", "strong") if links else ("em", "strong"))
        opened[start] = f'<a href="{rng.choice(links)}">' if tag == "a" else f"<{tag}>"
        closed[end] = f"</{tag}>"
    for i, tag in opened.items():
        parts[i] = tag + parts[i]
    for i, tag in closed.items():
        parts[i] += tag
    return parts[0] + "".join(sep + part for sep, part in zip(seps, parts[1:], strict=True))
