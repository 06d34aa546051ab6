"""The literal prefilter of the text rules: derived from each pattern, it must never change
which rule matches a paragraph (it only saves running regexes that cannot match)."""

from __future__ import annotations

import random
import re

import pytest

from newsarchive.cleaning.boilerplate import (
    CASE_FOLD_TRAPS,
    GENERIC_TEXT_RULES,
    BoilerplateRules,
    TextRule,
    required_literals,
    text_rule,
    top_level_branches,
)
from newsarchive.spiders.moscowtimes import SITE_RULES

RULE_SETS = [
    SITE_RULES,
    BoilerplateRules(),
    BoilerplateRules(text_rules=SITE_RULES.text_rules, use_generic=False),
]


def naive_rule(rules: BoilerplateRules, text: str) -> TextRule | None:
    """What ``matching_text_rule`` means: the first rule whose regex is found."""
    for rule in rules._text_rules:
        if rule.pattern.search(text):
            return rule
    return None


def test_case_fold_traps_are_every_non_ascii_match_of_ascii() -> None:
    """Only these characters match an ASCII character case-insensitively without lowering
    to it; the prefilter skips texts that contain one."""
    any_ascii = re.compile(r"[\x00-\x7f]", re.I)
    found = {chr(c) for c in range(128, 0x110000) if any_ascii.fullmatch(chr(c))}
    assert found == set(CASE_FOLD_TRAPS)


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"\bwe use cookies\b", {"we use cookies"}),
        (r"\b(designated|named) (the moscow times|us)\b", {"designated", "named"}),
        (
            r"\bsupport(ing)? the moscow times\b|\bcontribute to it\b",
            {" the moscow times", "contribute to it"},
        ),
        (r"\byou('|\u2019)re defending", {"re defending"}),
        (r"\bfoo|\w+", None),  # a branch without any literal: no prefilter
        (r"^(once|monthly)\s*$", None),  # anchored as a whole: the regex is cheap already
        (r"(?:ab){2,}c?", {"ab"}),
        (r"x*y?", None),
    ],
)
def test_required_literals(regex: str, expected: set[str] | None) -> None:
    required = required_literals(re.compile(regex, re.I))
    assert required == (None if expected is None else frozenset(expected))


def test_unanchored_shipped_rules_have_a_prefilter() -> None:
    """The slow alternatives (searched at every position) are the ones the prefilter is for."""
    for rule in (*SITE_RULES.text_rules, *GENERIC_TEXT_RULES):
        for branch in top_level_branches(rule.pattern):
            if not branch.pattern.startswith("^"):
                assert required_literals(branch), (rule, branch)


def branch_literals(rules: BoilerplateRules) -> set[str]:
    """The literals the prefilter looks for: those of each rule's top-level alternatives."""
    return {
        literal
        for rule in rules._text_rules
        for branch in top_level_branches(rule.pattern)
        for literal in required_literals(branch) or ()
    }


def _samples() -> list[str]:
    """Texts near the rules' edges: every literal in context, in odd case, cut, glued to
    other words, with traps."""
    rnd = random.Random(7)
    literals = sorted(set().union(*map(branch_literals, RULE_SETS)))
    words = ["the", "Moscow", "Times", "support", "we", "need", "your", "help", "news", "letter"]
    words += ["sign", "up", "cookies", "donate", "read", "more", "Also", "see:", "x", "\u00d7"]
    texts = [
        "Sign up for our free weekly newsletter",
        "Subscribers agree to the Privacy Policy",
        "Your support, no matter how small, makes a world of difference.",
        "By supporting The Moscow Times, you\u2019re defending open journalism.",
        "We use cookies.",
        "The Justice Ministry designated the journalist a foreign agent on Friday.",
        "Enjoying ad-free content?",
        "Dear readers,",
        "Once",
        "\u00d7",
    ]
    for _ in range(3000):
        parts = [rnd.choice(literals + words) for _ in range(rnd.randint(1, 6))]
        text = " ".join(parts)
        roll = rnd.random()
        if roll < 0.3:
            text = text.upper()
        elif roll < 0.5:
            text = text.title()
        if rnd.random() < 0.2:
            i = rnd.randrange(len(text) + 1)
            text = text[:i] + rnd.choice(CASE_FOLD_TRAPS) + text[i:]
        if rnd.random() < 0.2:  # the traps themselves standing in for i, s, k
            text = text.replace("i", "\u0131").replace("s", "\u017f").replace("k", "\u212a")
        texts.append(text)
    for _ in range(500):  # glued to other text: the literal's first and last words are cut
        left, right = rnd.choice(words), rnd.choice(words)
        texts.append(f"{left}{rnd.choice(literals)}{rnd.choice(['', ' ', '.'])}{right}")
    return texts


@pytest.mark.parametrize("rules", RULE_SETS)
def test_prefilter_never_changes_the_matching_rule(rules: BoilerplateRules) -> None:
    matched = 0
    for text in _samples():
        expected = naive_rule(rules, text)
        assert rules.matching_text_rule(text) is expected, text
        matched += expected is not None
    assert matched > 100  # the samples do exercise the rules


@pytest.mark.parametrize("rules", RULE_SETS)
def test_batches_match_as_texts_one_by_one(rules: BoilerplateRules) -> None:
    """``clean_body`` asks for a page's paragraphs at once (literals looked for in all of them
    first): each paragraph still gets its own first matching rule."""
    rnd = random.Random(5)
    samples = _samples()
    for _ in range(300):
        batch = rnd.sample(samples, rnd.randint(1, 12))
        assert rules.matching_text_rules(batch) == [naive_rule(rules, t) for t in batch], batch
    assert rules.matching_text_rules([]) == []


def test_trap_characters_still_match() -> None:
    rules = BoilerplateRules(text_rules=(text_rule("t", r"\bwe use cookies\b"),))
    assert rules.matching_text_rule("We u\u017fe coo\u212aies here") is not None


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        ("a|b", ["a", "b"]),
        ("(a|b)c", ["(a|b)c"]),
        ("[|]|x", ["[|]", "x"]),
        (r"\|a|b", [r"\|a", "b"]),
        ("[]|]|y", ["[]|]", "y"]),
        ("[^]|]|z", ["[^]|]", "z"]),
        ("(?i)a|b", ["(?i)a|b"]),  # a global inline flag belongs to every branch
        (r"(a)\1|b", [r"(a)\1|b"]),  # group numbers would shift
    ],
)
def test_top_level_branches(regex: str, expected: list[str]) -> None:
    assert [b.pattern for b in top_level_branches(re.compile(regex, re.I))] == expected
    assert all(
        b.flags == re.compile(regex, re.I).flags
        for b in top_level_branches(re.compile(regex, re.I))
    )


def _random_regex(rnd: random.Random, depth: int = 0) -> str:
    atoms = ["a", "b", "ab", r"\|", r"\(", "[|]", "[]a]", "[^]b]", r"[a\]|]", ".", r"\b", "^", "$"]
    parts = []
    for _ in range(rnd.randint(1, 3)):
        roll = rnd.random()
        if roll < 0.25 and depth < 2:
            parts.append(f"({_random_regex(rnd, depth + 1)})")
        elif roll < 0.35 and depth < 2:
            parts.append(f"(?:{_random_regex(rnd, depth + 1)})?")
        else:
            parts.append(rnd.choice(atoms))
        if rnd.random() < 0.3:
            parts.append("|")
    return "".join(parts)


def test_top_level_branches_find_what_the_pattern_finds() -> None:
    rnd = random.Random(11)
    texts = ["", "a", "b", "ab", "ba", "|", "(", "]", "a|b", "x ab y", "b]a", "A B"]
    split = 0
    for _ in range(2000):
        try:
            pattern = re.compile(_random_regex(rnd), re.I)
        except re.error:
            continue
        branches = top_level_branches(pattern)
        split += len(branches) > 1
        for text in texts:
            found = any(b.search(text) for b in branches)
            assert found == bool(pattern.search(text)), (pattern.pattern, text)
    assert split > 300
