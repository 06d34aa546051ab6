"""Text normalisation, boilerplate rules and repeated-block detection, without a crawler."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.utils.test import get_crawler
from w3lib.html import replace_entities

from newsarchive.cleaning.boilerplate import (
    FINGERPRINT_VERSION,
    BoilerplateRules,
    RepeatedBlocks,
    clean_body,
    fingerprint,
)
from newsarchive.cleaning.text import (
    clean_list,
    clean_text,
    count_words,
    join_paragraphs,
    split_paragraphs,
)
from newsarchive.pipelines.boilerplate import BoilerplatePipeline
from newsarchive.spiders.moscowtimes import SITE_RULES, MoscowTimesSpider


def test_clean_text_normalises_everything_invisible() -> None:
    raw = "  Jose\u0301 &amp; fulfil\u00adment\u200b of\u00a0the\tdeal &#8217; \ufeff "
    assert clean_text(raw) == "Jos\u00e9 & fulfilment of the deal \u2019"
    assert clean_text("  \u200b ") is None
    assert clean_text(None) is None


def test_clean_list_drops_empties_and_repeats() -> None:
    assert clean_list(["Kremlin", " Kremlin ", "", "Economy"]) == ["Kremlin", "Economy"]


def test_paragraph_round_trip_and_word_count() -> None:
    body = join_paragraphs(["One two.", "Three"])
    assert body == "One two.\n\nThree"
    assert split_paragraphs(body) == ["One two.", "Three"]
    assert count_words(body) == 3
    assert count_words(None) == count_words("") == 0


INVISIBLES = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u2061\u2062\u2063\u2064\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROLS = "".join(
    chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
)


def clean_text_by_definition(value: str) -> str | None:
    """``clean_text`` as its docstring defines it, every step on every text (no shortcuts)."""
    if "&" in value:
        value = replace_entities(value, remove_illegal=True)
    value = "".join(c for c in value if c not in INVISIBLES)
    value = "".join(" " if c in CONTROLS else c for c in value)
    value = unicodedata.normalize("NFC", value)
    return " ".join(value.split()) or None


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        st.sampled_from("ab \t\n&#;x2e\u00e9e\u0301\u00a0")
        | st.sampled_from(INVISIBLES + CONTROLS)
        | st.characters()
    )
)
def test_clean_text_shortcuts_give_what_the_definition_gives(text: str) -> None:
    assert clean_text(text) == clean_text_by_definition(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_count_words_counts_the_word_tokens_of_any_text(text: str) -> None:
    assert count_words(text) == len(re.findall(r"\w+", text))


def test_count_words_shortcut_holds_for_every_character() -> None:
    # what count_words relies on: \w is isalnum() or "_", and no whitespace is either
    word = re.compile(r"\w")
    for char in map(chr, range(sys.maxunicode + 1)):
        is_word = word.match(char) is not None
        assert is_word == (char.isalnum() or char == "_"), hex(ord(char))
        assert not (is_word and char.isspace()), hex(ord(char))


def test_generic_text_rules_survive_unknown_markup() -> None:
    html = (
        "<div><p>Real reporting about sanctions.</p>"
        '<div class="zz9"><p>Sign up for our free weekly newsletter</p>'
        "<p>Our weekly newsletter contains a hand-picked selection.</p>"
        "<p>Subscribers agree to the Privacy Policy</p></div>"
        "<p>Read more</p><p>Advertisement</p>"
        "<p>Residents want more support for the newsletter of their town council.</p></div>"
    )
    result = clean_body(html, BoilerplateRules())
    assert result.paragraphs == [
        "Real reporting about sanctions.",
        "Residents want more support for the newsletter of their town council.",
    ]


def test_generic_rules_catch_the_furniture_of_news_pages_and_leave_prose() -> None:
    """Box headings, lone tool labels, form messages, legal lines and offers that any news
    site may leave in its text, and prose that shares their words."""
    furniture = [
        "You may also like...",
        "Top stories",
        "Partner news",
        "Order Reprints",
        "Print Article",
        "12 comments",
        "Tell us what YOU think...",
        "An error has occurred, please try again later.",
        "This article has been sent to",
        "Copyright \u00a92019 Dow Jones & Company, Inc. All Rights Reserved",
        "This copy is for your personal, non-commercial use only.",
        "Sign up for The Daily today to get the free newsletter delivered to your inbox.",
        "Get Motor Cycle Monthly every month. 12 issues for \u00a311.99.",
    ]
    prose = [
        "Related stories about the war continue to surface.",
        "The senator said the comments were unfair.",
        "Top stories of the year were chosen by readers.",
        "The company reserved all rights to appeal, its lawyer said.",
        "An error has occurred in the count, the commission said.",
    ]
    # each line in its own block: a block mostly of boilerplate takes its short lines along
    html = "<div>" + "".join(f"<div><p>{line}</p></div>" for line in [*furniture, *prose])
    result = clean_body(html + "</div>", BoilerplateRules())
    assert result.paragraphs == prose
    assert result.removed_total == len(furniture)


def test_site_rules_catch_the_moscow_times_appeals() -> None:
    seed_lines = [
        "Enjoying ad-free content?",
        "Since July 1, 2024, we have disabled all ads to improve your reading experience.",
        "Our journalism is banned in Russia. We need your help to keep providing you with the truth.",
        "A Message from The Moscow Times:",
        "Dear readers,",
        "We, the journalists of The Moscow Times, refuse to be silenced. But to continue our "
        "work, we need your help.",
        "Your support, no matter how small, makes a world of difference.",
        "By supporting The Moscow Times, you're defending open, independent journalism.",
        "The need for honest and objective information on Russia is more relevant now than ever "
        "before! To keep our newsroom in Moscow running, we need your support.",
        "Not ready to support today?",
        "Remind me later.",
    ]
    html = "<div>" + "".join(f"<p>{line}</p>" for line in seed_lines) + "</div>"
    assert clean_body(html, SITE_RULES).paragraphs == []


def test_a_paragraph_of_ui_labels_is_boilerplate_however_run_together() -> None:
    """A donation widget, share row or dialog whose markup was lost comes through as one
    paragraph of button labels: the very first page of a site must lose it, with no site
    rule and before any learning."""
    widgets = [
        "Once Monthly Annual Continue",
        "Not ready to support today? Remind me later.",
        "Once | Monthly | Annual \u00d7",
        "$2 $5 $10 Other amount",
        "Share Facebook Twitter Telegram E-mail Print",
        "Accept all Reject all Settings",
        "Einmalig \u00b7 Monatlich \u00b7 J\u00e4hrlich Weiter",
        "Teilen Drucken Link kopieren",
    ]
    prose = [
        "Once a month, the council meets to discuss the budget.",
        "Monthly inflation rose 2% in October.",
        "Continue reading the statement, he said.",
        "Facebook and Twitter were blocked in March.",
        "Share prices fell.",
        "Support for the war is waning.",
        "\u20ac5 is what a coffee costs in Berlin.",
        "Weiter so, sagte der B\u00fcrgermeister.",
    ]
    html = "<div>" + "".join(f"<p>{line}</p>" for line in [*widgets, *prose]) + "</div>"
    result = clean_body(html, BoilerplateRules())
    assert result.paragraphs == prose
    assert result.removed["text:ui_labels"] == len(widgets)


def test_the_support_message_inside_the_body_leaves_nothing_on_a_first_page() -> None:
    """The Moscow Times' support message pasted into the article body as bare paragraphs,
    its buttons run together: rules alone (no learned blocks yet) remove all of it."""
    article = ["The court jailed him for 14 years on Tuesday.", "He denied the charges."]
    appeal = [
        "We are facing unprecedented challenges. Russia's Prosecutor General's Office has "
        'designated The Moscow Times as an "undesirable" organization, criminalizing our work '
        "and putting our staff at risk of prosecution. This follows our earlier unjust labeling "
        'as a "foreign agent."',
        "These actions are direct attempts to silence independent journalism in Russia. The "
        'authorities claim our work "discredits the decisions of the Russian leadership." We see '
        "things differently: we strive to provide accurate, unbiased reporting on Russia.",
        "We, the journalists of The Moscow Times, refuse to be silenced. But to continue our "
        "work, we need your help.",
        "Your support, no matter how small, makes a world of difference. If you can, please "
        "support us monthly starting from just $2.",
        "By supporting The Moscow Times, you're defending open, independent journalism in the "
        "face of repression. Thank you for standing with us.",
        "Once Monthly Annual Continue",
        "paiment methods",
        "Not ready to support today? Remind me later.",
    ]
    html = "".join(f"<p>{line}</p>" for line in [article[0], *appeal, article[1]])
    assert clean_body(html, SITE_RULES).paragraphs == article


def test_foreign_agent_reporting_is_not_boilerplate() -> None:
    line = "The Justice Ministry designated the journalist a foreign agent on Friday."
    assert clean_body(f"<div><p>{line}</p></div>", SITE_RULES).paragraphs == [line]


def test_malformed_html_does_not_raise() -> None:
    for html in ["", "<div", "</p></div><p>Text<b>bold", "\x00<p>nul</p>", "<<<>>>"]:
        clean_body(html, SITE_RULES)


def test_repeated_blocks_are_learned_across_articles() -> None:
    detector = RepeatedBlocks(min_articles=3, min_share=0.5, min_population=1)
    promo = "Listen to our podcast every Tuesday, wherever you get your podcasts."
    learned = []
    for i in range(4):
        learned += detector.observe([f"Unique paragraph number {i}.", promo])
    assert len(learned) == 1
    assert detector.is_repeated(promo)
    assert not detector.is_repeated("Unique paragraph number 1.")


def test_repetition_learns_appeals_not_reporting_that_repeats() -> None:
    """Both sides, with the pipeline's defaults: a block on every page is learned within a
    small first crawl; a subheading of a series crawled early (its parts side by side), a
    quote in two articles and a standard paragraph of a short series are never learned."""
    detector = RepeatedBlocks()
    appeal = "Unterst\u00fctzen Sie unabh\u00e4ngigen Lokaljournalismus mit einem Abo."
    series = "Dieser Text ist Teil unserer Serie \u00fcber die Stadtteile."
    subheading = "Kosten steigen weiter"
    quote = "\u201eWir lassen uns nicht einsch\u00fcchtern\u201c, sagte die B\u00fcrgermeisterin."
    learned: list[str] = []
    for i in range(500):
        paragraphs = [f"Bericht Nummer {i}.", appeal]
        if i < 8:  # an eight-part series, the first articles of the crawl
            paragraphs += [series, subheading]
        elif i % 25 == 0:  # the same subheading now and then, all through the site
            paragraphs.append(subheading)
        if i in (3, 250):
            paragraphs.append(quote)
        learned += detector.observe(paragraphs)
    assert detector.is_repeated(appeal) and len(learned) == 1
    assert not any(map(detector.is_repeated, (series, subheading, quote)))
    fresh = RepeatedBlocks()
    for i in range(14):
        fresh.observe([f"Bericht {i}.", appeal])
    assert not fresh.is_repeated(appeal)
    fresh.observe(["Bericht 14.", appeal])  # a first crawl learns it at its 15th page
    assert fresh.is_repeated(appeal)


def test_filter_and_observe_is_is_repeated_then_observe() -> None:
    """The pipeline's one-pass form decides and learns exactly as the two-step form."""
    one, two = RepeatedBlocks(2, 0.3, min_population=1), RepeatedBlocks(2, 0.3, min_population=1)
    promo, other = "Listen to our podcast!", "Follow us on Telegram."
    articles = [[f"Story {i}.", promo, other if i % 2 else "x", promo] for i in range(6)]
    for paragraphs in articles:
        kept = [p for p in paragraphs if not two.is_repeated(p)]
        learned = two.observe(kept)
        assert one.filter_and_observe(paragraphs) == (kept, learned)
    assert one.known == two.known and one.known


def test_fingerprints_ignore_case_and_whitespace_not_punctuation() -> None:
    assert fingerprint("Support  us\ntoday") == fingerprint("support us TODAY ")
    assert fingerprint("Support us today.") != fingerprint("Support us today")


def test_learned_blocks_of_another_fingerprint_version_are_relearned(tmp_path: Path) -> None:
    crawler = get_crawler(MoscowTimesSpider, {"NEWSARCHIVE_OUTPUT": str(tmp_path)})
    crawler.spider = MoscowTimesSpider.from_crawler(crawler)
    store = tmp_path / "_state" / "boilerplate-moscowtimes.json"
    store.parent.mkdir()
    learned = fingerprint("Listen to our podcast.")

    def loaded(content: dict) -> set[str]:
        store.write_text(json.dumps(content), encoding="utf-8")
        pipeline = BoilerplatePipeline.from_crawler(crawler)
        pipeline.open_spider()
        assert pipeline.repeated is not None
        return pipeline.repeated.known

    assert loaded({"fingerprints": [learned]}) == set()  # version 1: another definition
    assert loaded({"fingerprint_version": 1, "fingerprints": [learned]}) == set()
    current = {"fingerprint_version": FINGERPRINT_VERSION, "fingerprints": [learned]}
    assert loaded(current) == {learned}
    pipeline = BoilerplatePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.close_spider()  # saves what it knows, with the version
    assert json.loads(store.read_text(encoding="utf-8")) == current
