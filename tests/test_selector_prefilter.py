"""The selector prefilter of ``clean_body``: a rule's XPath is skipped only on trees where
it cannot match, so the result is the same as running every XPath."""

from __future__ import annotations

import random

import pytest
from lxml import html as lxml_html

from newsarchive.cleaning.boilerplate import (
    BoilerplateRules,
    _selector_needs,
    _TreeSummary,
    clean_body,
)
from newsarchive.spiders.moscowtimes import SITE_RULES

SELECTORS = {
    "plain": "aside, nav, figure",
    "class": ".ad, [class*=share], div.box",
    "id": "#promo, [id*=advert]",
    "attrs": "[data-x], [data-x=one], [data-x^=on], [data-x$=ne], [data-x~=two], [lang|=en]",
    "negative": "[data-x!=one]",  # matches elements without the attribute too
    "not": "p:not(.keep), span:not([data-x])",
    "combinators": "div > p.ad, section span, h2 + p, h2 ~ ul",
    "pseudo": "p:first-child, li:nth-child(2), p:empty, :root",
    "case": "DIV.Box, [DATA-X]",
}
TAGS = ["div", "p", "span", "section", "aside", "figure", "h2", "ul", "li", "a", "b"]
ATTRS = [
    ("class", ["ad", "box", "share-bar", "keep", "Box", "x ad y", ""]),
    ("id", ["promo", "main-advert", "x"]),
    ("data-x", ["one", "two", "one two", "none", ""]),
    ("lang", ["en", "en-GB", "ru"]),
]


def random_html(rnd: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rnd.randint(1, 4)):
        if depth < 3 and rnd.random() < 0.6:
            tag = rnd.choice(TAGS)
            attrs = "".join(
                f' {name}="{rnd.choice(values)}"' for name, values in ATTRS if rnd.random() < 0.3
            )
            parts.append(
                f"<{tag}{attrs}>{random_html(rnd, depth + 1)}</{tag}>tail{rnd.randint(0, 9)} "
            )
        else:
            parts.append(rnd.choice(["Some text.", "Read more", "Advertisement", "A long line."]))
    return "".join(parts)


def without_prefilter(rules: BoilerplateRules) -> BoilerplateRules:
    plain = BoilerplateRules(rules.selectors, rules.text_rules, rules.use_generic)
    for rule in plain._selector_rules:
        rule.needs = None
    return plain


@pytest.mark.parametrize(
    "rules",
    [
        SITE_RULES,
        BoilerplateRules(),
        BoilerplateRules(SELECTORS),
        BoilerplateRules(SELECTORS, use_generic=False),
    ],
)
def test_prefilter_never_changes_the_result(rules: BoilerplateRules) -> None:
    plain = without_prefilter(rules)
    rnd = random.Random(3)
    removed = 0
    for _ in range(400):
        html = f"<div>{random_html(rnd)}</div>"
        expected = clean_body(html, plain)
        got = clean_body(html, rules)
        assert (got.paragraphs, got.removed) == (expected.paragraphs, expected.removed), html
        removed += expected.removed_total
    assert removed > 100  # the rules do fire on these trees


def test_only_members_that_can_match_are_evaluated() -> None:
    rules = BoilerplateRules({"promo": ".promo, aside", "attr": "[data-x!=one]"}, use_generic=False)
    promo, attr = rules._selector_rules
    assert attr.needs == [(None, ())]  # [a!=v] matches elements without the attribute too
    root = lxml_html.fragment_fromstring("<div><p>Text</p><aside>x</aside></div>")
    summary = _TreeSummary(root)
    assert [summary.may_match(need) for need in promo.needs] == [False, True]
    assert [e.tag for e in promo.select(root, summary)] == ["aside"]
    assert list(promo._by_members) == [(1,)]  # the union of the live member only
    assert [e.tag for e in attr.select(root, summary)] == ["div", "p", "aside"]


def test_needs_of_unknown_selectors_are_unknown() -> None:
    assert _selector_needs("p:has(> a)") is None
    assert _selector_needs("ns|p") is None
    assert _selector_needs(".a, b") == [(None, (("class", "a"),)), ("b", ())]
