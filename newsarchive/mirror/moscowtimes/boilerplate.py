"""The site furniture that must never reach the archive, with the wording of the real site.

Blocks whose markup is known from the site's 2024 code use the real classes
(``div.contribute-teaser``, ``div.contribute-banner``, ``div.contribute-modal``,
``div.contribute-bar``, ``h6.newsletter__label``). The blocks seen only as page text (the
ad-free pop-up, "A Message from The Moscow Times:", the free-newsletter box) get markup of
our own, in two variants each with unrelated class names, so that a cleaner has to recognise
them by their text or by their repetition across pages, as it must on the real site:

==================  =========================================  ================================
block               variant 0                                  variant 1
==================  =========================================  ================================
pop-up              ``div.tmt-popup[data-popup=adfree]``       ``dialog.x7f-overlay[open]``
message             ``section.support-message``                ``div.rdr-appeal``
free newsletter     ``div.nl-signup``                          ``aside.subscribe-box``
==================  =========================================  ================================
"""

# ruff: noqa: RUF001 - typographic quotes are part of the text
from __future__ import annotations

from newsarchive.mirror.moscowtimes.site import SECTIONS, MoscowTimesSite
from newsarchive.mirror.moscowtimes.text import CREDITS
from newsarchive.mirror.text import escape, html_paragraphs

POPUP_CLOSE = "×"
POPUP_TITLE = "Enjoying ad-free content?"
POPUP_TEXT = (
    "Since July 1, 2024, we have disabled all ads to improve your reading experience.",
    "This commitment costs us $10,000 a month. Your support can help us fill the gap.",
)
POPUP_BUTTON = "Support us"
POPUP_NOTE = (
    "Our journalism is banned in Russia. We need your help to keep providing you with the truth."
)

TEASER = ("Support The Moscow Times!", "Contribute today")

BANNER_LEAD = "Dear reader, we have a small favor to ask."
BANNER_TEXT = (
    "As you may have heard, The Moscow Times, an independent news source for over 30 years, "
    'has been unjustly branded as a "foreign agent" by the Russian government. This blatant '
    "attempt to silence our voice is a direct assault on the integrity of journalism and the "
    "values we hold dear.",
    "We, the journalists of The Moscow Times, refuse to be silenced. Our commitment to providing "
    "accurate and unbiased reporting on Russia remains unwavering. But we need your help to "
    "continue our critical mission.",
    "Your support, no matter how small, makes a world of difference. If you can, please support "
    "us monthly starting from just $2. It's quick to set up, and you can be confident that "
    "you're making a significant impact every month by supporting open, independent "
    "journalism. Thank you.",
)
BANNER_2019 = (
    "The need for honest and objective information on Russia is more relevant now than ever "
    "before! To keep our newsroom in Moscow running, we need your support."
)
CONTINUE = "Continue"

MODAL = (
    "We have been named 'foreign agents.'",
    "This label, given to us by the Russian authorities, is meant to discredit our work. Help us "
    "stay independent.",
    "Contribute Today",
)
BAR = ("Russia media is under attack.", "Support independent journalism", "Maybe later")

NEWSLETTER_LABEL = "Sign up for our weekly newsletter"
SUBSCRIBE = "Subscribe"
FREE_NEWSLETTER = (
    "Sign up for our free weekly newsletter",
    "Our weekly newsletter contains a hand-picked selection of news, features, analysiss and "
    "more from The Moscow Times. You will receive it in your mailbox every Friday. Never miss "
    "the latest news from Russia. Preview",
    "Subscribers agree to the Privacy Policy",
)

MESSAGE_TITLE = "A Message from The Moscow Times:"
MESSAGE_TEXT = (
    "Dear readers,",
    "We are facing unprecedented challenges. Russia's Prosecutor General's Office has designated "
    'The Moscow Times as an "undesirable" organization, criminalizing our work and putting our '
    'staff at risk of prosecution. This follows our earlier unjust labeling as a "foreign '
    'agent."',
    "These actions are direct attempts to silence independent journalism in Russia. The "
    'authorities claim our work "discredits the decisions of the Russian leadership." We see '
    "things differently: we strive to provide accurate, unbiased reporting on Russia.",
    "We, the journalists of The Moscow Times, refuse to be silenced. But to continue our work, "
    "we need your help.",
    "Your support, no matter how small, makes a world of difference. If you can, please support "
    "us monthly starting from just $2. It's quick to set up, and every contribution makes a "
    "significant impact.",
    "By supporting The Moscow Times, you're defending open, independent journalism in the face "
    "of repression. Thank you for standing with us.",
)
PERIODS = ("Once", "Monthly", "Annual")
PAYMENT = "paiment methods"
LATER = ("Not ready to support today?", "Remind me later.")

DISCLAIMER = (
    "The views expressed in opinion pieces do not necessarily reflect the position of The "
    "Moscow Times."
)
ALSO_SEE = "Also see:"
READ_MORE = "Read more"
READ_MORE_ABOUT = "Read more about:"
ADVERTISEMENT = "Advertisement"
OPINION = "Opinion"
MOST_READ = "Most read"
JUST_IN = "Just in"
VIEW_MORE = "View more articles"
SITE_NAME = "The Moscow Times"
LATEST = "Latest articles"
FOOTER_LINKS = ("About us", "Privacy Policy", "Terms of Use", "Contact us", "Contribute")
COPYRIGHT = "© The Moscow Times, all rights reserved."


def popup(base: str, variant: int) -> str:
    """The dismissible ad-free pop-up of 2024 (markup unknown on the real site)."""
    link = f"{base}/contribute?utm_source=popup&amp;utm_medium=adfree"
    if variant == 0:
        return (
            '<div class="tmt-popup" data-popup="adfree" role="dialog">'
            f'<button class="tmt-popup__close" type="button" aria-label="Close">{POPUP_CLOSE}'
            f'</button><div class="tmt-popup__title">{escape(POPUP_TITLE)}</div>'
            f"{html_paragraphs(POPUP_TEXT)}"
            f'<a class="tmt-popup__button" href="{link}">{POPUP_BUTTON}</a>'
            f'<p class="tmt-popup__note">{escape(POPUP_NOTE)}</p></div>'
        )
    return (
        '<dialog class="x7f-overlay" open><span class="x7f-overlay__dismiss">&times;</span>'
        f"<h4>{escape(POPUP_TITLE)}</h4><div>{html_paragraphs(POPUP_TEXT)}</div>"
        f'<div class="x7f-overlay__cta"><a href="{link}">{POPUP_BUTTON}</a></div>'
        f"<small>{escape(POPUP_NOTE)}</small></dialog>"
    )


def teaser(base: str) -> str:
    return (
        f'<div class="contribute-teaser"><span class="contribute-teaser__title">{TEASER[0]}'
        f'</span><a class="contribute-teaser__button" href="{base}/contribute">{TEASER[1]}</a>'
        "</div>"
    )


def banner(base: str, era_2019: bool) -> str:
    """``div.contribute-banner`` after the tags; 2019-2022 pages carry one more sentence."""
    extra = f"<p>{escape(BANNER_2019)}</p>" if era_2019 else ""
    return (
        '<div class="contribute-banner"><div class="contribute-banner__content">'
        f'<p class="contribute-banner__lead"><strong>{escape(BANNER_LEAD)}</strong></p>'
        f'{html_paragraphs(BANNER_TEXT)}{extra}</div><a class="contribute-banner__button button" '
        f'href="{base}/contribute">{CONTINUE}</a></div>'
    )


def modal(base: str) -> str:
    return (
        '<div class="contribute-modal" hidden><button class="contribute-modal__close">'
        f"{POPUP_CLOSE}</button><h3>{escape(MODAL[0])}</h3><p>{escape(MODAL[1])}</p>"
        f'<a class="button" href="{base}/contribute">{MODAL[2]}</a></div>'
    )


def bar(base: str) -> str:
    return (
        f'<div class="contribute-bar"><p class="contribute-bar__text">{BAR[0]}</p>'
        f'<a class="contribute-bar__button" href="{base}/contribute">{BAR[1]}</a>'
        f'<button class="contribute-bar__close" type="button">{BAR[2]}</button></div>'
    )


def newsletter(base: str, variant: int) -> str:
    """Variant 0: the 2024 ``h6.newsletter__label`` form; 1 and 2: the newer free-newsletter box."""
    form = (
        '<form class="{cls}__form" action="{base}/newsletters/subscribe" method="post">'
        '<input type="email" name="email" placeholder="Your email">'
        f'<button type="submit">{SUBSCRIBE}</button></form>'
    )
    if variant == 0:
        return (
            f'<div class="newsletter"><h6 class="newsletter__label">{NEWSLETTER_LABEL}</h6>'
            f"{form.format(cls='newsletter', base=base)}</div>"
        )
    text = escape(FREE_NEWSLETTER[1].removesuffix(" Preview"))
    preview = f'<a href="{base}/newsletters/preview">Preview</a>'
    privacy = f'Subscribers agree to the <a href="{base}/page/privacy-policy">Privacy Policy</a>'
    if variant == 1:
        return (
            f'<div class="nl-signup"><p class="nl-signup__title">{FREE_NEWSLETTER[0]}</p>'
            f'<p class="nl-signup__text">{text} {preview}</p>'
            f"{form.format(cls='nl-signup', base=base)}"
            f'<p class="nl-signup__legal">{privacy}</p></div>'
        )
    return (
        f'<aside class="subscribe-box"><h4>{FREE_NEWSLETTER[0]}</h4>'
        f"<div>{text}\n{preview}</div>{form.format(cls='subscribe-box', base=base)}"
        f"<small>{privacy}</small></aside>"
    )


def message(base: str, variant: int) -> str:
    """ "A Message from The Moscow Times:" with the donation form (markup unknown)."""
    if variant == 0:
        periods = "".join(
            f'<label><input type="radio" name="period" value="{p.lower()}">{p}</label>'
            for p in PERIODS
        )
        return (
            '<section class="support-message">'
            f'<h3 class="support-message__title">{MESSAGE_TITLE}</h3>'
            f"{html_paragraphs(MESSAGE_TEXT)}"
            f'<form class="support-message__form"><div class="support-message__periods">'
            f'{periods}</div><button type="submit">{CONTINUE}</button>'
            f'<span class="support-message__methods">{PAYMENT}</span></form>'
            f'<div class="support-message__later"><p>{LATER[0]}</p>'
            f'<a href="#" data-remind="later">{LATER[1]}</a></div></section>'
        )
    buttons = "".join(f'<button type="button" data-period="{p}">{p}</button>' for p in PERIODS)
    return (
        f'<div class="rdr-appeal"><strong class="rdr-appeal__head">{MESSAGE_TITLE}</strong>'
        f'<div class="rdr-appeal__text">{html_paragraphs(MESSAGE_TEXT)}</div>'
        f'<div class="rdr-appeal__choices">{buttons}</div>'
        f'<a class="rdr-appeal__go" href="{base}/contribute?utm_source=appeal">{CONTINUE}</a>'
        f'<div class="rdr-appeal__methods">{PAYMENT}</div>'
        f"<div><span>{LATER[0]}</span> <button>{LATER[1]}</button></div></div>"
    )


def disclaimer() -> str:
    return f'<div class="article__disclaimer">{escape(DISCLAIMER)}</div>'


def ad_slot() -> str:
    return (
        '<section y-name="banner" class="banner banner--article">'
        f'<div class="banner__label">{ADVERTISEMENT}</div>'
        '<div class="banner__slot" data-slot="article_inline"></div></section>'
    )


def boilerplate_lines(site: MoscowTimesSite) -> list[str]:
    """Every boilerplate line the site's pages can show, as clean text."""
    # fmt: off
    lines = [
        POPUP_CLOSE, POPUP_TITLE, *POPUP_TEXT, POPUP_BUTTON, POPUP_NOTE, *TEASER, BANNER_LEAD,
        *BANNER_TEXT, CONTINUE, *MODAL, *BAR, NEWSLETTER_LABEL, SUBSCRIBE, *FREE_NEWSLETTER,
        MESSAGE_TITLE, *MESSAGE_TEXT, *PERIODS, PAYMENT, *LATER, READ_MORE, READ_MORE_ABOUT,
        ADVERTISEMENT, MOST_READ, JUST_IN, VIEW_MORE, SITE_NAME, *FOOTER_LINKS, COPYRIGHT,
        *CREDITS, LATEST, *(label for label, _ in SECTIONS.values()),
    ]
    # fmt: on
    articles = site.articles.values()
    if any(a.section == "opinion" for a in articles):
        lines += [OPINION, DISCLAIMER]
    if any(a.is_old for a in articles):
        lines.append(ALSO_SEE)
    if any(2019 <= a.local_published.year <= 2022 for a in articles):
        lines.append(BANNER_2019)
    lines += sorted({f"{site.read_minutes(a)} Min read" for a in articles})
    return list(dict.fromkeys(lines))
