"""Boilerplate removal: article body HTML -> the article's own paragraphs.

Three layers, because each one fails differently when a site is redesigned:

1. **Site rules** (CSS selectors): ads, asides, figures and captions, disclaimers, known
   donation and newsletter blocks. Precise, but they break silently when classes change.
2. **Text rules** (regular expressions on whole paragraphs): donation appeals, newsletter
   sign-ups, "Read more"/"Also see:" markers, cookie and ad notices. They survive markup
   changes. A container (not a body block) in which most paragraphs match is dropped whole,
   so the short lines of an appeal ("Once", "Monthly") go with it.
3. **Repeated blocks** (``RepeatedBlocks``): a paragraph that recurs verbatim in many
   different articles of a site is not the article. Catches wording nobody wrote a rule for.

Everything here is plain functions over lxml trees: no Scrapy, testable on saved pages.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cssselect import GenericTranslator
from cssselect import parse as cssselect_parse
from lxml import etree
from lxml import html as lxml_html

try:  # the regular-expression parser, used to derive literal prefilters from text rules
    from re import _constants, _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _constants  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

# Elements that start a new paragraph. Everything else is inline and joins the text around it.
BLOCK_TAGS = frozenset(
    [
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "pre",
        "div",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "figure",
        "figcaption",
        "table",
        "thead",
        "tbody",
        "tr",
        "td",
        "th",
        "form",
        "nav",
        "main",
        "details",
        "summary",
        "hr",
        "address",
        "center",
    ]
)
# Never text, whatever the site: remove before reading paragraphs.
GENERIC_SELECTORS: dict[str, str] = {
    "non_text": "script, style, noscript, template, iframe, object, embed, svg, canvas, video, "
    "audio, form, button, input, select, textarea",
    "figure": "figure, figcaption, picture, [class*=caption], [class*=credit]",
    "aside": "aside, nav",
    "ad": "[class*=advert], [id*=advert], [class*=banner], [class*=sponsor], ins.adsbygoogle",
    "newsletter": "[class*=newsletter], [class*=subscribe], [class*=signup]",
    "share": "[class*=share], [class*=social]",
}


# Characters outside ASCII that a case-insensitive pattern matches to an ASCII letter
# (dotted/dotless i, long s, Kelvin sign): ``str.lower`` does not map them to that letter, so
# a paragraph containing one skips the literal prefilter below. Tested against every code point.
CASE_FOLD_TRAPS = "\u0130\u0131\u017f\u212a"
_CASE_FOLD_TRAP = re.compile(f"[{CASE_FOLD_TRAPS}]")
_REPEATS = frozenset({_constants.MAX_REPEAT, _constants.MIN_REPEAT})
_REPEATS |= {getattr(_constants, "POSSESSIVE_REPEAT", _constants.MAX_REPEAT)}


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case ASCII strings one of which every match of ``pattern`` contains, or None.

    A necessary condition, derived from the pattern itself so that it can never disagree
    with it: a paragraph whose lower-cased text contains none of them cannot match, and most
    paragraphs are skipped without running the (unanchored, slow) regex. None when nothing
    is certain (e.g. a branch without an ASCII literal), and for a pattern anchored with
    ``^`` as a whole (the regex tries one position only): the regex then always runs.
    """
    if _is_anchored(pattern):
        return None
    try:
        return _required(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # an unexpected parse tree (another Python): just run the regex
        return None


def _required(items: Any) -> frozenset[str] | None:
    """Best requirement of a sequence: its longest literal run or a required sub-pattern."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def end_run() -> None:
        if run:
            candidates.append(frozenset(["".join(run).lower()]))
            run.clear()

    for op, av in items:
        if op is _constants.LITERAL and av < 128:
            run.append(chr(av))
            continue
        end_run()
        found: frozenset[str] | None = None
        if op is _constants.SUBPATTERN:
            found = _required(av[-1])
        elif op is _constants.ATOMIC_GROUP:
            found = _required(av)
        elif op in _REPEATS and av[0] >= 1:
            found = _required(av[2])
        elif op is _constants.BRANCH:
            branches = [_required(branch) for branch in av[1]]
            if all(b is not None for b in branches):
                found = frozenset().union(*branches)  # type: ignore[arg-type]
        if found is not None:
            candidates.append(found)
    end_run()
    useful = [c for c in candidates if c and all(c)]
    # The most selective: the longest shortest literal, then the fewest alternatives.
    return max(useful, key=lambda c: (min(map(len, c)), -len(c)), default=None)


# Back-references and conditionals (they refer to groups by number or name, so a pattern
# cannot be cut into alternatives or glued to others), and leading inline global flags.
_GROUP_REFERENCE = re.compile(r"\\\d|\(\?P=|\(\?\(")
_GLOBAL_FLAGS = re.compile(r"\(\?[a-zA-Z]+\)")


def _is_anchored(pattern: re.Pattern[str]) -> bool:
    """Whether the pattern as a whole starts with ``^`` (and only matches at position 0)."""
    if pattern.flags & re.MULTILINE:
        return False
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:
        return False
    return bool(parsed) and parsed[0] == (_constants.AT, _constants.AT_BEGINNING)


def _union_at_start(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that matches at position 0 iff one of these anchored patterns does; None
    if they cannot be combined (different flags, group references, inline global flags)."""
    if len(patterns) < 2 or len({p.flags for p in patterns}) != 1:
        return None
    if any(_GROUP_REFERENCE.search(p.pattern) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
    except re.error:
        return None


def top_level_branches(pattern: re.Pattern[str]) -> list[re.Pattern[str]]:
    """The pattern's top-level alternatives as patterns of their own (found anywhere iff the
    pattern is), or just the pattern when it has one or cannot be split safely."""
    source = pattern.pattern
    if pattern.flags & re.VERBOSE or _GROUP_REFERENCE.search(source) or _GLOBAL_FLAGS.match(source):
        return [pattern]
    pieces, start, depth, in_class, i = [], 0, 0, False, 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":  # a "]" right after "[" or "[^" is a literal, not the end
            in_class = True
            if source.startswith(("[]", "[^]"), i):
                i += 2 if source[i + 1] == "]" else 3
                continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            pieces.append(source[start:i])
            start = i + 1
        i += 1
    pieces.append(source[start:])
    if len(pieces) < 2:
        return [pattern]
    try:
        return [re.compile(piece, pattern.flags) for piece in pieces]
    except re.error:
        return [pattern]


@dataclass(frozen=True)
class TextRule:
    name: str
    pattern: re.Pattern[str]
    # Drop the paragraph after this one too if it is nothing but a link ("Also see:" + title).
    takes_next_link: bool = False


def text_rule(name: str, regex: str, *, takes_next_link: bool = False) -> TextRule:
    return TextRule(name, re.compile(regex, re.I), takes_next_link)


# Labels of buttons, toggles, share rows and dialogs (English and German). A paragraph made
# of nothing but two or more of them, however they are run together ("Once Monthly Annual
# Continue", "Not ready to support today? Remind me later.", "Teilen Drucken E-Mail") is a
# widget whose markup was lost, never prose: no site rule and no learning is needed to see it.
UI_LABELS = (
    # donation widgets
    "once", "one-time", "one time", "weekly", "monthly", "annual", "annually", "yearly",
    "continue", "maybe later", "remind me later", "not ready to support today", "support us",
    "support", "donate", "donate now", "contribute", "give now", "payment methods",
    "choose an amount", "other amount", "other",
    # newsletters and accounts
    "subscribe", "subscribe now", "sign up", "sign in", "log in", "log out", "register",
    "email address", "your email", "your e-mail",
    # share rows
    "share", "share this", "share this article", "tweet", "facebook", "twitter", "x",
    "telegram", "whatsapp", "linkedin", "reddit", "bluesky", "email", "e-mail", "print",
    "copy link", "copy",
    # dialogs
    "close", "accept", "accept all", "reject all", "decline", "settings", "ok", "got it",
    # German
    "einmalig", "monatlich", "jährlich", "weiter", "jetzt unterstützen", "unterstützen",
    "spenden", "jetzt spenden", "vielleicht später", "später", "abonnieren", "anmelden",
    "abmelden", "registrieren", "e-mail-adresse", "teilen", "artikel teilen", "drucken",
    "link kopieren", "schließen", "akzeptieren", "alle akzeptieren", "ablehnen",
    "alle ablehnen", "einstellungen", "speichern",
)  # fmt: skip
_UI_LABEL = "|".join(
    r"\W+".join(map(re.escape, label.split())) for label in sorted(UI_LABELS, key=len, reverse=True)
)
_AMOUNT = r"[$\u20ac\u00a3]\s?\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s?[$\u20ac\u00a3]"

# Generic English rules. Anchored (^...$) rules match short UI lines only; unanchored ones are
# specific phrases that do not occur in news prose.
GENERIC_TEXT_RULES: tuple[TextRule, ...] = (
    text_rule(
        "related_marker",
        r"^\W*(also see|see also|related|read also|also read)\s*(:|$)",
        takes_next_link=True,
    ),
    text_rule(
        "read_more",
        r"^(read more|read more about|more on this|continue reading)\s*:?\s*$",
        takes_next_link=True,
    ),
    text_rule(
        "box_heading",
        r"^\W*(you (may|might) (also )?(like|enjoy)|top stories|partner (news|content)"
        r"|recommended( for you| stories| articles)?|trending( now| stories)?"
        r"|most (read|popular|viewed|shared)|related (stories|articles|posts|coverage|content)"
        r"|more (stories|articles|news) (from|on|like this)\b.{0,40})\W*$",
        takes_next_link=True,
    ),
    text_rule(
        "ui_label",
        r"^\W*(order reprints?|reprints?( (&|and) permissions)?|print( this)? (article|story)"
        r"|\d*\s*comments?|leave a (comment|reply)|tell us what you think)\W*$",
    ),
    text_rule(
        "form_message",
        r"^(an error has occurred|something went wrong),? please try again"
        r"|^this (article|story) has been sent to\b",
    ),
    text_rule(
        "legal",
        r"^\W*(copyright|\u00a9|\(c\)).{0,150}\ball rights reserved\b"
        r"|\bfor your personal,? non-commercial use only\b",
    ),
    text_rule("ad", r"^(advertisement|advert|sponsored( content)?|ad|ads by \w+)\s*$"),
    text_rule(
        "newsletter",
        r"^sign up (for|to) (our|the)\b.*\bnewsletter"
        r"|\bsubscribers agree to the\b"
        r"|^our (weekly|daily) newsletter\b"
        r"|\bnewsletter\b.{0,80}\bdelivered (straight |directly )?to your inbox\b"
        r"|\b\d+ issues for\b"
        r"|^(subscribe|sign up)( now| today)?[.!]?$",
    ),
    text_rule(
        "donation_ui",
        r"^(once|monthly|annual(ly)?|yearly|one-time|continue|maybe later|remind me later\.?"
        r"|not ready to support today\??|support us|donate( now)?|contribute( today)?"
        r"|payment methods|paiment methods|\u00d7|x)\s*$",
    ),
    text_rule("ui_labels", rf"^\W*(?:(?:{_UI_LABEL}|{_AMOUNT})(?:\W+|$)){{2,}}$"),
    text_rule(
        "donation_appeal",
        r"\byour support,? no matter how small"
        r"|\bsupport (us|our (work|journalism|newsroom|reporting)) (monthly|today|now)"
        r"|\bevery contribution makes"
        r"|\bby supporting\b.*\byou('|\u2019)re defending"
        r"|\bwe need your (help|support)\b"
        r"|\bplease (consider )?(support|donat)"
        r"|\bmake a (donation|contribution)"
        r"|\bcontribute today"
        r"|\bwe have a small favou?r to ask"
        r"|\bthis commitment costs us",
    ),
    text_rule("cookie", r"\b(we use cookies|accept (all )?cookies|cookie (policy|settings))\b"),
    text_rule(
        "paywall",
        r"^(subscribe to (continue|read)|this (article|content) is (for|available to) "
        r"subscribers|already a subscriber\??)",
    ),
    text_rule(
        "disclaimer",
        r"^the views expressed in (this|opinion)\b.*\b(do not|don't) necessarily reflect\b",
    ),
)


# What one compound selector needs to find in a tree: (tag or None, [(attribute, substring)]).
_Need = tuple[str | None, tuple[tuple[str, str], ...]]


class _SelectorRule:
    """One named selector group: its XPath, and the XPath of just the members that can
    match a given tree.

    cssselect turns ``a, .b, [c]`` into a union of one ``descendant-or-self::`` path per
    member, and libxml2 walks the tree once per member. Each member has necessary
    conditions (``_member_needs``): the tag of the element it matches and, for every
    ``.class``, ``#id`` and ``[attr op value]`` test, that attribute with the value as a
    substring. A member whose needs are absent from the tree selects nothing, so the union
    of the other members selects exactly the same nodes, in fewer walks (none at all when
    no member can match).
    """

    __slots__ = ("_by_members", "members", "name", "needs", "xpath")

    def __init__(self, name: str, css: str, translator: GenericTranslator) -> None:
        self.name = name
        selectors = cssselect_parse(css)
        self.members = [
            translator.selector_to_xpath(s, _PREFIX, translate_pseudo_elements=True)
            for s in selectors
        ]
        self.xpath = etree.XPath(" | ".join(self.members))  # = translator.css_to_xpath(css)
        self.needs = _selector_needs(selectors)
        self._by_members: dict[tuple[int, ...], etree.XPath] = {}

    def select(self, root: etree._Element, summary: _TreeSummary) -> list[etree._Element]:
        """``self.xpath(root)``, evaluating only the members that can match."""
        if self.needs is None:
            return self.xpath(root)
        live = [i for i, need in enumerate(self.needs) if summary.may_match(need)]
        if not live:
            return []
        if len(live) == len(self.members):
            return self.xpath(root)
        key = tuple(live)
        xpath = self._by_members.get(key)
        if xpath is None:
            if len(self._by_members) >= _MAX_MEMBER_SUBSETS:
                return self.xpath(root)  # same nodes, more walks; bounded memory
            xpath = self._by_members[key] = etree.XPath(" | ".join(self.members[i] for i in key))
        return xpath(root)


_PREFIX = "descendant-or-self::"
# Compiled member subsets kept per selector rule (a page has few distinct ones).
_MAX_MEMBER_SUBSETS = 256


def _member_needs(selector: Any) -> _Need | None:
    """Necessary conditions for one parsed selector to match an element of a tree
    (see ``_SelectorRule``); None for anything not understood."""
    tags: list[str] = []
    attrs: list[tuple[str, str]] = []
    if not _collect_needs(selector.parsed_tree, tags, attrs):
        return None
    # Only the matched (rightmost) element's tag is kept; the others' tests still hold.
    return (tags[-1] if tags and tags[-1] != "*" else None, tuple(attrs))


def _selector_needs(selectors: str | list[Any]) -> list[_Need] | None:
    """The needs of each selector of a group, given as CSS or parsed (None if any is not
    understood)."""
    parsed = cssselect_parse(selectors) if isinstance(selectors, str) else selectors
    needs = [_member_needs(s) for s in parsed]
    return None if None in needs else needs  # type: ignore[return-value]


def _collect_needs(node: Any, tags: list[str], attrs: list[tuple[str, str]]) -> bool:
    """Add the needs of a parsed selector; False for a node type not understood."""
    kind = type(node).__name__
    if kind == "Element":
        if node.namespace is not None:
            return False
        tags.append(node.element or "*")
        return True
    if kind == "Class":  # @class contains the name (as a token, so as a substring too)
        attrs.append(("class", node.class_name))
    elif kind == "Hash":  # @id equals the name
        attrs.append(("id", node.id))
    elif kind == "Attrib":
        if node.namespace is not None:
            return False
        if node.operator != "!=":  # [a!=v] matches elements without the attribute too
            value = getattr(node.value, "value", node.value)
            attrs.append((node.attrib, value or ""))
    elif kind == "CombinedSelector":  # an ancestor/sibling matching the left side exists too
        if not _collect_needs(node.selector, [], attrs):
            return False
        return _collect_needs(node.subselector, tags, attrs)
    elif kind not in ("Pseudo", "Function", "Negation", "Matching", "SpecificityAdjustment"):
        return False
    # Pseudo-classes, :not(), :is() only narrow down the element they apply to.
    return _collect_needs(node.selector, tags, attrs)


class _TreeSummary:
    """Tags and attribute values present in a tree, for ``_selector_needs``."""

    __slots__ = ("_elements", "_values", "tags")

    def __init__(self, root: etree._Element) -> None:
        self._elements = list(root.iter(etree.Element))  # elements only, no comments
        self.tags = {e.tag for e in self._elements}
        self._values: dict[str, str | None] = {}

    def values(self, attribute: str) -> str | None:
        """Every value of ``attribute`` in the tree, NUL-separated; None if it is nowhere."""
        if attribute not in self._values:
            found = [v for v in (e.get(attribute) for e in self._elements) if v is not None]
            self._values[attribute] = "\0".join(found) if found else None
        return self._values[attribute]

    def may_match(self, need: _Need) -> bool:
        """False only if no element of the tree can have what the selector needs."""
        tag, attrs = need
        if tag is not None and tag not in self.tags:
            return False
        for attribute, value in attrs:
            present = self.values(attribute)
            if present is None or value not in present:
                return False
        return True


@dataclass
class BoilerplateRules:
    """A site's rules: extra selectors and text rules on top of the generic ones."""

    selectors: dict[str, str] = field(default_factory=dict)
    text_rules: tuple[TextRule, ...] = ()
    use_generic: bool = True

    def __post_init__(self) -> None:
        translator = GenericTranslator()
        named = [(f"site:{name}", css) for name, css in self.selectors.items()]
        if self.use_generic:
            named = [*GENERIC_SELECTORS.items(), *named]
        self._selector_rules = [_SelectorRule(name, css, translator) for name, css in named]
        self._text_rules = (*self.text_rules, *(GENERIC_TEXT_RULES if self.use_generic else ()))
        # Each rule's top-level alternatives are checked on their own: per paragraph the
        # literals of all of them are looked for once, only alternatives with a literal
        # present run, and those without literals that are anchored at the start
        # ("^(once|monthly|...)$") are tried together first.
        pieces: list[tuple[int, re.Pattern[str], frozenset[str] | None]] = []
        for index, rule in enumerate(self._text_rules):
            for branch in top_level_branches(rule.pattern):
                pieces.append((index, branch, required_literals(branch)))
        anchored = [i for i, (_, b, lits) in enumerate(pieces) if lits is None and _is_anchored(b)]
        self._anchored_gate = _union_at_start([pieces[i][1] for i in anchored])
        if self._anchored_gate is None:
            anchored = []
        self._pieces = [(index, branch.search) for index, branch, _ in pieces]
        self._gated = frozenset(anchored)
        self._always = frozenset(
            i for i, (_, _, lits) in enumerate(pieces) if lits is None and i not in self._gated
        )
        self._by_literal: dict[str, list[int]] = {}
        for i, (_, _, lits) in enumerate(pieces):
            for literal in lits or ():
                self._by_literal.setdefault(literal, []).append(i)

    def matching_text_rule(self, text: str) -> TextRule | None:
        """The first rule whose pattern is found in ``text`` (rule order decides)."""
        return self.matching_text_rules([text])[0]

    def matching_text_rules(self, texts: list[str]) -> list[TextRule | None]:
        """``matching_text_rule`` of each text. The literals are first looked for in all the
        texts at once: most are in none of a page's paragraphs and are then not looked for
        paragraph by paragraph."""
        lowered = [text.lower() for text in texts]
        joined = "\0".join(lowered)
        present = [(lit, pieces) for lit, pieces in self._by_literal.items() if lit in joined]
        return [
            self._first_match(text, low, present) for text, low in zip(texts, lowered, strict=True)
        ]

    def _first_match(
        self, text: str, lowered: str, literals: list[tuple[str, list[int]]]
    ) -> TextRule | None:
        if not text.isascii() and _CASE_FOLD_TRAP.search(text):  # no prefilters: see above
            for rule in self._text_rules:
                if rule.pattern.search(text):
                    return rule
            return None
        candidates = set(self._always)
        for literal, pieces in literals:
            if literal in lowered:
                candidates.update(pieces)
        if self._gated and self._anchored_gate.match(text) is not None:  # type: ignore[union-attr]
            candidates.update(self._gated)
        # Pieces are in rule order, so the first piece found belongs to the first rule found.
        for i in sorted(candidates):
            index, search = self._pieces[i]
            if search(text) is not None:
                return self._text_rules[index]
        return None


@dataclass
class BodyResult:
    paragraphs: list[str]
    removed: Counter[str]  # rule name -> blocks removed

    @property
    def removed_total(self) -> int:
        return sum(self.removed.values())


@dataclass(slots=True)
class _Paragraph:
    text: str
    element: etree._Element
    is_link_only: bool


def _squash(text: str) -> str:
    return " ".join(text.split())


def _drop(element: etree._Element) -> None:
    """Remove an element but keep its tail text (it belongs to the parent)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _paragraphs(root: etree._Element) -> list[_Paragraph]:
    """Leaf text blocks in document order; inline children are joined into their block."""
    out: list[_Paragraph] = []

    def flush(parts: list[str], element: etree._Element, link_chars: int) -> None:
        joined = "".join(parts)
        if not joined or joined.isspace():  # most flushes: the newlines between blocks
            return
        text = _squash(joined)
        # (most paragraphs have no link: their letters need not be counted)
        link_only = link_chars > 0 and link_chars >= len(text.replace(" ", "")) > 0
        out.append(_Paragraph(text, element, link_only))

    def walk(element: etree._Element) -> None:
        parts = [element.text or ""]
        link_chars = 0
        for child in element:
            tag = child.tag  # lxml builds this string on every access: read it once
            if tag.__class__ is not str:  # a comment or processing instruction: no text
                tag = ""
            if tag in BLOCK_TAGS:
                flush(parts, element, link_chars)
                walk(child)
                parts, link_chars = [child.tail or ""], 0
            else:
                # An inline element's text: every descendant text node, as text_content()
                # (XPath string()) gives, without an XPath per element.
                inner = " " if tag == "br" else "".join(child.itertext()) if tag else ""
                if tag == "a":
                    link_chars += len("".join(inner.split()))
                parts.extend((inner, child.tail or ""))
        flush(parts, element, link_chars)

    walk(root)
    return out


def _is_short(text: str, max_words: int = 12) -> bool:
    return len(text.split()) <= max_words


def _container(paragraph: _Paragraph, root: etree._Element) -> etree._Element | None:
    """The nearest enclosing element that could be a whole boilerplate block: not the body
    root itself and not one of the site's body blocks (those hold real paragraphs too)."""
    element = paragraph.element
    while element is not None and element is not root:
        if element.tag in ("div", "section", "aside", "footer", "form"):
            classes = element.get("class") or ""
            if "article__block" not in classes and "article__content" not in classes:
                return element
        element = element.getparent()
    return None


def body_root(body: str | etree._Element | None) -> etree._Element | None:
    """The tree ``clean_body`` works on: body HTML parsed into a ``<div>``, or an element
    that already is such a root (``extract.html.detached_root``); None if there is no body."""
    if body is None or isinstance(body, etree._Element):
        return body
    if not body.strip():
        return None
    try:
        return lxml_html.fragment_fromstring(body, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


def clean_body(body: str | etree._Element | None, rules: BoilerplateRules) -> BodyResult:
    """The article's paragraphs from its body (HTML, or a parsed root that this modifies),
    and what was removed by which rule."""
    removed: Counter[str] = Counter()
    root = body_root(body)
    if root is None:
        return BodyResult([], removed)

    summary = _TreeSummary(root)
    for selector_rule in rules._selector_rules:
        name = selector_rule.name
        matches = selector_rule.select(root, summary)
        dropped: set[etree._Element] = set()
        for element in matches:
            if element is root or any(a in dropped for a in element.iterancestors()):
                continue
            dropped.add(element)
            _drop(element)
            removed[name] += 1

    paragraphs = _paragraphs(root)
    verdicts = rules.matching_text_rules([p.text for p in paragraphs])
    for i, rule in enumerate(verdicts):
        if (
            rule
            and rule.takes_next_link
            and i + 1 < len(paragraphs)
            and paragraphs[i + 1].is_link_only
            and verdicts[i + 1] is None
        ):
            verdicts[i + 1] = rule

    # In a container where most paragraphs are boilerplate, the short unmatched lines around
    # them ("Once", "Monthly", a button label) are boilerplate too. Long ones are kept: a body
    # block with a stray "Read more" in it is still a body block.
    by_container: dict[etree._Element, list[int]] = {}
    for i, paragraph in enumerate(paragraphs):
        container = _container(paragraph, root)
        if container is not None:
            by_container.setdefault(container, []).append(i)
    whole_blocks: set[int] = set()
    for indexes in by_container.values():
        hits = sum(1 for i in indexes if verdicts[i])
        if hits >= 2 and hits >= 0.6 * len(indexes):
            short = [i for i in indexes if verdicts[i] is None and _is_short(paragraphs[i].text)]
            whole_blocks.update(short)
            removed["text:block"] += 1

    kept: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if i in whole_blocks:
            removed["text:block_line"] += 1
            continue
        rule = verdicts[i]
        if rule is not None:
            removed[f"text:{rule.name}"] += 1
            continue
        kept.append(paragraph.text)
    return BodyResult(kept, removed)


# Bumped whenever ``fingerprint`` changes: learned fingerprints of another version are
# useless (they never match) and are relearned instead.
FINGERPRINT_VERSION = 2


def fingerprint(paragraph: str) -> str:
    r"""Case- and whitespace-insensitive identity of a paragraph. Punctuation counts: a
    site's boilerplate repeats character for character (v1 tokenised words with ``\w+``,
    the costliest step of the boilerplate stage)."""
    normal = " ".join(paragraph.lower().split())
    return hashlib.blake2b(normal.encode(), digest_size=12).hexdigest()


@dataclass
class RepeatedBlocks:
    """Paragraphs that recur verbatim across many different articles of one site.

    A paragraph is boilerplate once it has been seen in ``min_articles`` distinct articles
    *and* in at least ``min_share`` of all articles observed, counted as no fewer than
    ``min_population``: real reporting reuses a sentence now and then (a quote in two
    articles, a subheading or a standard paragraph of a series), an appeal block is on nearly
    every page. Without the floor, a series crawled early, its parts side by side in the
    listing, had its share judged over a handful of articles and lost its shared paragraphs.
    ``known`` can be loaded from a previous run so that learned blocks are removed from the
    first article on.
    """

    min_articles: int = 5
    min_share: float = 0.1
    min_population: int = 150
    known: set[str] = field(default_factory=set)
    _articles: int = 0
    _counts: Counter[str] = field(default_factory=Counter)

    def is_repeated(self, paragraph: str) -> bool:
        return fingerprint(paragraph) in self.known

    def observe(self, paragraphs: Iterable[str]) -> list[str]:
        """Count one article's paragraphs; return the fingerprints that just became known."""
        return self._observe({fingerprint(p) for p in paragraphs})

    def filter_and_observe(self, paragraphs: list[str]) -> tuple[list[str], list[str]]:
        """``is_repeated`` then ``observe`` in one go, hashing each paragraph once: the
        paragraphs not (yet) known as repeated, and the fingerprints that just became known."""
        known = self.known
        fingerprints = [fingerprint(p) for p in paragraphs]
        kept = [p for p, fp in zip(paragraphs, fingerprints, strict=True) if fp not in known]
        return kept, self._observe({fp for fp in fingerprints if fp not in known})

    def _observe(self, fingerprints: set[str]) -> list[str]:
        self._articles += 1
        learned = []
        for fp in fingerprints:
            self._counts[fp] += 1
            count = self._counts[fp]
            if (
                fp not in self.known
                and count >= self.min_articles
                and count >= self.min_share * max(self._articles, self.min_population)
            ):
                self.known.add(fp)
                learned.append(fp)
        return learned
