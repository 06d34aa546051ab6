"""The WordPress site's furniture, in plugin markup and real German wording.

Wording and markup follow the plugins seen on German WordPress news sites
(``docs/wordpress-news-site.md``, "Boilerplate that must never reach the archive"). Each
article page draws, from its layout seed, which plugin's markup a block uses and where it
sits, so that neither one selector nor one position removes it everywhere:

=============  ===============================================================================
block          variants (markup) / positions
=============  ===============================================================================
consent        Borlabs Cookie (text in a ``script[type=text/template]``), Cookie Notice
               (``div#cookie-notice``), CookieLawInfo (``div#cookie-law-info-bar``), Complianz
               (empty container, filled by JS)
blocker        Borlabs content blocker over tweets and videos, inside the body (``content``)
donation       ``div.disturber`` (inside the body), ``div.title-pop-up`` (before it),
               ``div.box-spenden`` (after it), ``div#spendenleiste`` (page footer bar)
paywall        Steady: ``div#steady_paywall`` after the teaser of paywalled posts
newsletter     Mailchimp for WP ``form.mc4wp-form``, MailPoet ``div.mailpoet_form``; inside
               the body, after it, or in the sidebar
related        "Lesen Sie auch" ``section#related_posts`` (before paragraph 1), Contextual
               Related Posts ``div.crp_related``, Jetpack ``div.jp-relatedposts``,
               ``div.rp4wp-related-posts``, tagDiv ``div.td_block_related_posts``; plus the
               editors' own "Lesen Sie auch:" lines inside ``post_content`` (``content``)
ads            Ad Inserter ``div.code-block``, AdRotate ``div.g-single``, tagDiv
               ``div.td-g-rec``, between paragraphs
share          Shariff, Jetpack sharing, AddToAny
chrome         Yoast breadcrumbs, PrintFriendly, author box, post navigation, comments and
               the comment form (core, Akismet), sidebar widgets, footer
=============  ===============================================================================
"""

from __future__ import annotations

from datetime import timedelta
from random import Random

from newsarchive.mirror.text import escape
from newsarchive.mirror.wordpress.content import (
    BLOCKER_FACEBOOK,
    BLOCKER_LOAD,
    BLOCKER_MORE,
    BLOCKER_TWITTER,
    INLINE_RELATED,
    YOUTUBE_BLOCKER,
)
from newsarchive.mirror.wordpress.site import CATEGORIES, Article, Author, WordPressSite, local

SITE_NAME = "Lindenauer Rundschau"
SKIP_LINK = "Zum Inhalt springen"
TAGLINE = "Nachrichten aus Lindenau und der Region"

# --- consent -----------------------------------------------------------------------------------
BORLABS = (
    "Datenschutzeinstellungen",
    "Wir nutzen Cookies auf unserer Website. Einige von ihnen sind essenziell, während andere "
    "uns helfen, diese Website und Ihre Erfahrung zu verbessern.",
    "Wenn Sie unter 16 Jahre alt sind und Ihre Zustimmung zu freiwilligen Diensten geben "
    "möchten, müssen Sie Ihre Erziehungsberechtigten um Erlaubnis bitten.",
    "Alle akzeptieren",
    "Speichern",
    "Nur essenzielle Cookies akzeptieren",
    "Individuelle Datenschutzeinstellungen",
    "Cookie-Details",
)
COOKIE_NOTICE = (
    "Diese Website benutzt Cookies. Wenn du die Website weiter nutzt, gehen wir von deinem "
    "Einverständnis aus.",
    "OK",
)
COOKIE_LAW_INFO = (
    "Wir verwenden Cookies auf unserer Website, um Ihnen die relevanteste Erfahrung zu bieten, "
    "indem wir uns an Ihre Vorlieben und wiederholten Besuche erinnern. Wenn Sie auf „Alle "
    "akzeptieren“ klicken, erklären Sie sich mit der Verwendung ALLER Cookies einverstanden.",
    "Cookie-Einstellungen",
    "Alle akzeptieren",
)

# --- donations and paywall --------------------------------------------------------------------
DISTURBER = ("Unterstützen Sie unabhängigen Journalismus!", "Jetzt unterstützen!")
TITLE_POPUP = (
    "Wenn Ihnen unser Artikel gefallen hat: Unterstützen Sie diese Form des Journalismus.",
    "Ich unterstütze bereits",
)
BOX_SPENDEN = (
    f"Die {SITE_NAME} gibt es nur dank unbezahlter Arbeit und Spenden.",
    "Jetzt spenden",
)
SPENDENLEISTE = (
    "Wir sind spendenfinanziert. Unterstütze auch du uns langfristig mit einem Dauerauftrag!",
    "X",
)
STEADY = (
    "Dieser Artikel ist exklusiv für unsere Abonnentinnen und Abonnenten.",
    f"{SITE_NAME} ohne Werbebanner ab nur 1,90 Euro pro Monat. Unterstütze unabhängige "
    "Berichterstattung:",
    "Jetzt abonnieren!",
    "Login mit Steady",
)

# --- newsletter ----------------------------------------------------------------------------------
MC4WP = (
    "Abonnieren Sie unseren Newsletter:",
    "Unser kostenloser Newsletter informiert Sie über unsere neuesten Beiträge.",
    "E-Mail-Adresse",
    "Anmelden",
)
MAILPOET = ("Newsletter abonnieren", "Kostenlosen Newsletter bestellen", "Abonnieren")

# --- related posts ------------------------------------------------------------------------------
RELATED_HEADINGS = {
    "related_posts": "Lesen Sie auch",
    "crp": "Das könnte Dich auch interessieren:",
    "jetpack": "Ähnliche Beiträge",
    "rp4wp": "Das könnte Sie auch interessieren",
    "tagdiv": "VERWANDTE ARTIKEL",
}
MORE_FROM_AUTHOR = "MEHR VOM AUTOR"

# --- ads, share, chrome -------------------------------------------------------------------------
ANZEIGE = "Anzeige"
WERBUNG = "Werbung"
SHARIFF = ("teilen", "twittern", "teilen", "mitteilen")
SHARIFF_TITLES = ("Bei Facebook teilen", "Bei X teilen", "Bei WhatsApp teilen", "Per E-Mail senden")
JETPACK_SHARE = ("Teilen mit:", "Facebook", "X", "E-Mail", "Drucken")
A2A = "Teilen"
PRINT = "Artikel Drucken"
BREADCRUMB_HOME = "Startseite"
ABOUT_AUTHOR = "Über den Autor"
MORE_BY = "Weitere Artikel von {name}"
BYLINE_BY = "von"
POST_NAV = ("Beitragsnavigation", "Vorheriger Beitrag", "Nächster Beitrag")
TAGS_LABEL = "Schlagwörter:"
CATEGORY_LABEL = "Veröffentlicht in"
UPDATED = "Aktualisiert:"
PUBLISHED = "Veröffentlicht am"
READ_MORE = "Weiterlesen →"
PAGINATION = ("Beitragsnavigation", "Vorherige", "Nächste", "Seite")
COMMENTS = (
    "Schreibe einen Kommentar",
    "Antworten abbrechen",
    "Deine E-Mail-Adresse wird nicht veröffentlicht.",
    "Erforderliche Felder sind mit * markiert",
    "Kommentar",
    "Name",
    "E-Mail",
    "Website",
    "Meinen Namen, E-Mail und Website in diesem Browser speichern, bis ich wieder kommentiere.",
    "Kommentar abschicken",
    "Diese Website verwendet Akismet, um Spam zu reduzieren.",
    "Erfahre mehr darüber, wie deine Kommentardaten verarbeitet werden.",
    "Antworten",
    "sagt:",
)
COMMENTS_CLOSED = "Kommentare sind geschlossen."
COMMENT_TEXTS = (
    "Endlich tut sich da mal was, das hat viel zu lange gedauert.",
    "Und wer soll das alles bezahlen? Am Ende wieder wir Bürger.",
    "Danke für den ausführlichen Bericht, so etwas liest man sonst nirgends.",
    "Ich wohne seit zwanzig Jahren dort und habe so etwas noch nicht erlebt.",
    "Die Stadt sollte lieber erst mal die Schlaglöcher reparieren.",
    "Sehr gut recherchiert, weiter so!",
    "Schade, dass im Artikel die Sicht der Anwohner fehlt.",
    "War gestern selbst da, es war wirklich voll.",
)
COMMENTERS = ("Klaus D.", "anwohnerin_gohlis", "Peter", "M. Schubert", "Radfahrer42", "Heike")
SIDEBAR = ("Neueste Beiträge", "Meistgelesen", "Suche", "Suchen nach:", "Suchen", "Kategorien")
FOOTER = (
    "Impressum",
    "Datenschutzerklärung",
    "Kontakt",
    "Mediadaten",
    "Cookie-Einstellungen",
    f"© {SITE_NAME}",
    "Stolz präsentiert von WordPress",
)
NOT_FOUND = (
    "Oops! Diese Seite konnte nicht gefunden werden.",
    "Es sieht so aus, als wäre an dieser Stelle nichts gefunden worden. Probiere es mit "
    "einer Suche?",
)
MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember",
)  # fmt: skip


# --- consent -------------------------------------------------------------------------------


def cookie_banner(base: str, variant: int) -> str:
    """The consent layer of the page: 0 Borlabs, 1 Cookie Notice, 2 CookieLawInfo, 3 Complianz."""
    privacy = f"{base}/datenschutzerklaerung/"
    if variant == 0:
        return (
            '<div data-nosnippet><script id="BorlabsCookieBoxWrap" type="text/template">'
            '<div id="BorlabsCookieBox" class="BorlabsCookie" role="dialog" '
            'aria-labelledby="CookieBoxTextHeadline" aria-modal="true"><div class="middle-center"'
            ' style="display:none;"><div class="_brlbs-box-wrap"><div class="_brlbs-box">'
            f'<div class="cookie-box"><span role="heading" aria-level="3" '
            f'class="_brlbs-h3" id="CookieBoxTextHeadline">{BORLABS[0]}</span>'
            f'<p id="CookieBoxTextDescription"><span class="_brlbs-paragraph '
            f'_brlbs-text-description">{escape(BORLABS[1])}</span> <span class="_brlbs-paragraph '
            f'_brlbs-text-confirm-age">{escape(BORLABS[2])}</span></p>'
            f'<p class="_brlbs-accept"><a href="#" tabindex="0" role="button" '
            f'class="_brlbs-btn _brlbs-btn-accept-all _brlbs-cursor" data-cookie-accept-all>'
            f'{BORLABS[3]}</a></p><p class="_brlbs-accept"><a href="#" class="_brlbs-btn '
            f'_brlbs-cursor" data-cookie-accept>{BORLABS[4]}</a></p>'
            f'<p class="_brlbs-refuse-btn"><a class="_brlbs-btn _brlbs-cursor" href="#" '
            f"data-cookie-refuse>{BORLABS[5]}</a></p>"
            f'<p class="_brlbs-manage-btn"><a href="#" class="_brlbs-cursor" '
            f"data-cookie-individual>{BORLABS[6]}</a></p>"
            f'<p class="_brlbs-legal"><a href="#" class="_brlbs-cursor" data-cookie-individual>'
            f'{BORLABS[7]}</a><span class="_brlbs-separator"></span><a href="{privacy}">'
            f"{FOOTER[1]}</a></p></div></div></div></div></div></script></div>"
        )
    if variant == 1:
        return (
            '<div id="cookie-notice" role="dialog" class="cookie-notice-hidden cookie-revoke-hidden'
            ' cn-position-bottom" aria-label="Cookie Notice" style="background-color: '
            'rgba(50,50,58,1);"><div class="cookie-notice-container" style="color: #fff">'
            f'<span id="cn-notice-text" class="cn-text-container">{escape(COOKIE_NOTICE[0])}'
            '</span><span id="cn-notice-buttons" class="cn-buttons-container"><a href="#" '
            'id="cn-accept-cookie" data-cookie-set="accept" class="cn-set-cookie cn-button" '
            f'aria-label="{COOKIE_NOTICE[1]}">{COOKIE_NOTICE[1]}</a></span>'
            '<span id="cn-close-notice" data-cookie-set="accept" class="cn-close-icon" '
            'title="Nein"></span></div></div>'
        )
    if variant == 2:
        return (
            '<div id="cookie-law-info-bar" data-nosnippet="true"><span>'
            f"{escape(COOKIE_LAW_INFO[0])} "
            '<a role="button" class="medium cli-plugin-button cli-plugin-main-button '
            f'cli_settings_button">{COOKIE_LAW_INFO[1]}</a> <a role="button" '
            'id="wt-cli-accept-all-btn" class="wt-cli-element medium cli-plugin-button '
            f'wt-cli-accept-all-btn cookie_action_close_header cli_action_button">'
            f"{escape(COOKIE_LAW_INFO[2])}</a></span></div>"
        )
    return (
        '<div id="cmplz-cookiebanner-container"></div>'
        '<div id="cmplz-manage-consent" data-nosnippet="true"></div>'
    )


# --- donations, paywall, newsletter ------------------------------------------------------------


def donation(base: str, variant: int) -> str:
    """0 ``div.disturber`` (inside the body), 1 ``div.title-pop-up`` (before), 2
    ``div.box-spenden`` (after), 3 ``div#spendenleiste`` (page footer)."""
    link = f"{base}/unterstuetzen/"
    if variant == 0:
        return (
            '<div class="disturber disturber--donation"><div class="disturber__text">'
            f"<p><strong>{escape(DISTURBER[0])}</strong></p></div>"
            f'<a class="disturber__button" href="{link}">{escape(DISTURBER[1])}</a></div>'
        )
    if variant == 1:
        return (
            '<div class="title-pop-up" data-nosnippet><p class="title-pop-up__text">'
            f"{escape(TITLE_POPUP[0])}</p>"
            f'<a class="title-pop-up__link" href="{link}?ref=popup">Jetzt unterstützen</a> '
            f'<button type="button" class="title-pop-up__close">{TITLE_POPUP[1]}</button></div>'
        )
    if variant == 2:
        return (
            f'<div class="box-spenden"><p>{escape(BOX_SPENDEN[0])}</p>'
            f'<p><a class="button" href="{link}">{BOX_SPENDEN[1]}</a></p></div>'
        )
    return (
        f'<div id="spendenleiste"><a href="{link}?ref=leiste">'
        f'<span class="spendenleiste__text">{escape(SPENDENLEISTE[0])}</span></a>'
        f'<button id="spendenleiste-close" type="button">{SPENDENLEISTE[1]}</button></div>'
    )


def steady_paywall(base: str) -> str:
    return (
        '<div id="steady_paywall" class="steady-paywall" style="display: block;">'
        f'<div class="steady-paywall__head"><p>{escape(STEADY[0])}</p></div>'
        f'<p class="steady-paywall__pitch">{escape(STEADY[1])}</p>'
        f'<a class="steady-paywall__button" href="https://steadyhq.com/de/lindenauer-rundschau/'
        f'plans">{escape(STEADY[2])}</a> <a class="steady-paywall__login" href="#" '
        f"data-steady-login>{STEADY[3]}</a></div>"
    )


def newsletter(base: str, variant: int, form_id: int) -> str:
    """0 Mailchimp for WP, 1 MailPoet."""
    if variant == 0:
        return (
            f'<form id="mc4wp-form-{form_id}" class="mc4wp-form mc4wp-form-{form_id}" '
            f'method="post" data-id="{form_id}" data-name="Newsletter">'
            f'<div class="mc4wp-form-fields"><p><strong>{escape(MC4WP[0])}</strong></p>'
            f"<p>{escape(MC4WP[1])}</p><p><label>{MC4WP[2]}: "
            f'<input type="email" name="EMAIL" placeholder="{MC4WP[2]}" required></label></p>'
            f'<p><input type="submit" value="{MC4WP[3]}"></p></div>'
            '<label style="display: none !important;">Leave this field empty if you\'re '
            'human: <input type="text" name="_mc4wp_honeypot" value="" tabindex="-1" '
            'autocomplete="off"></label><div class="mc4wp-response"></div></form>'
        )
    return (
        f'<div class="mailpoet_form mailpoet_form_shortcode" id="mailpoet_form_{form_id}">'
        f'<form class="mailpoet_form mailpoet_form_form" method="post" '
        f'action="{base}/wp-admin/admin-post.php?action=mailpoet_subscription_form" novalidate>'
        f'<h2 class="mailpoet-heading">{MAILPOET[0]}</h2>'
        f'<p class="mailpoet_paragraph">{MAILPOET[1]}</p>'
        '<div class="mailpoet_paragraph"><input type="email" class="mailpoet_text" '
        f'name="data[form_field_email]" title="{MC4WP[2]}" placeholder="{MC4WP[2]} *"></div>'
        '<div class="mailpoet_paragraph"><input type="submit" class="mailpoet_submit" '
        f'value="{MAILPOET[2]}"></div></form></div>'
    )


# --- related, ads, share -----------------------------------------------------------------------


def related_box(base: str, variant: str, articles: list[Article]) -> str:
    """A related-posts block; ``variant`` is a key of ``RELATED_HEADINGS``."""
    heading = RELATED_HEADINGS[variant]

    def link(a: Article) -> str:
        return f'<a href="{base}{a.path}">{escape(a.title)}</a>'

    if variant == "related_posts":
        items = "".join(f"<li>{link(a)}</li>" for a in articles)
        return (
            f'<section id="related_posts"><h3 class="related-title">{heading}</h3>'
            f"<ul>{items}</ul></section>"
        )
    if variant == "crp":
        items = "".join(
            f'<li><a href="{base}{a.path}" class="crp_link post-{a.id}">'
            f'<span class="crp_title">{escape(a.title)}</span></a></li>'
            for a in articles
        )
        return (
            f'<div class="crp_related crp-text-only"><h3>{escape(heading)}</h3>'
            f'<ul>{items}</ul><div class="crp_clear"></div></div>'
        )
    if variant == "jetpack":
        items = "".join(
            f'<div class="jp-relatedposts-post jp-relatedposts-post{i}" data-post-id="{a.id}">'
            f'<h4 class="jp-relatedposts-post-title">{link(a)}</h4>'
            f'<p class="jp-relatedposts-post-context">In &quot;{a.category.title()}&quot;</p></div>'
            for i, a in enumerate(articles)
        )
        return (
            '<div id="jp-relatedposts" class="jp-relatedposts" style="display: block;">'
            f'<h3 class="jp-relatedposts-headline"><em>{heading}</em></h3>'
            f'<div class="jp-relatedposts-items jp-relatedposts-items-visual">{items}</div></div>'
        )
    if variant == "rp4wp":
        items = "".join(f"<li>{link(a)}</li>" for a in articles)
        return (
            f'<div class="rp4wp-related-posts rp4wp-related-post"><h3>{heading}</h3>'
            f"<ul>{items}</ul></div>"
        )
    items = "".join(
        f'<div class="td_module_related_posts td-animation-stack td_mod_related_posts">'
        f'<div class="item-details"><h3 class="entry-title td-module-title">{link(a)}</h3>'
        "</div></div>"
        for a in articles
    )
    return (
        '<div class="td_block_wrap td_block_related_posts"><h4 class="td-related-title">'
        f'<a class="td-related-left td-cur-simple-item" href="#">{heading}</a>'
        f'<a class="td-related-right" href="#">{MORE_FROM_AUTHOR}</a></h4>'
        f'<div class="td_block_inner">{items}</div></div>'
    )


def ad(variant: int, n: int) -> str:
    """0 Ad Inserter, 1 AdRotate, 2 tagDiv; the slot is empty until a script fills it."""
    if variant == 0:
        return (
            f'<div class="code-block code-block-{n}" style="margin: 8px auto; text-align: center;'
            f' display: block; clear: both;"><p class="anzeige-label">{ANZEIGE}</p>'
            f'<ins class="adsbygoogle" style="display:block" data-ad-slot="{4711 + n}"></ins>'
            "</div>"
        )
    if variant == 1:
        return (
            f'<div class="g g-{n}"><div class="g-single a-{n + 10}"><span class="g-label">'
            f'{ANZEIGE}</span><a class="gofollow" data-track="{n}" href="#">'
            '<img src="/wp-content/banners/autohaus-lindenau.jpg" width="728" height="90" '
            'alt=""></a></div></div>'
        )
    return (
        f'<div class="td-g-rec td-g-rec-id-content_inline td_block_template_{n}">'
        f'<span class="td-adspot-title">- {WERBUNG} -</span>'
        '<div class="td-all-devices"><ins class="adsbygoogle"></ins></div></div>'
    )


def share(base: str, url: str, title: str, variant: int) -> str:
    """0 Shariff, 1 Jetpack sharing, 2 AddToAny."""
    if variant == 0:
        services = ("facebook", "twitter", "whatsapp", "mailto")
        items = "".join(
            f'<li class="shariff-button {s}"><a href="#" title="{SHARIFF_TITLES[i]}" '
            f'aria-label="{SHARIFF_TITLES[i]}" role="button" rel="noopener nofollow" '
            f'class="shariff-link"><span class="shariff-icon"></span>'
            f'<span class="shariff-text">{SHARIFF[i]}</span></a></li>'
            for i, s in enumerate(services)
        )
        return (
            f'<div class="shariff shariff-align-flex-start" data-url="{url}" '
            f'data-title="{escape(title)}"><ul class="shariff-buttons theme-round '
            f'orientation-horizontal buttonsize-medium">{items}</ul></div>'
        )
    if variant == 1:
        items = "".join(
            f'<li class="share-{s.lower()}"><a rel="nofollow noopener noreferrer" '
            f'class="share-{s.lower()} sd-button share-icon" href="{url}?share={s.lower()}" '
            f'target="_blank"><span>{s}</span></a></li>'
            for s in JETPACK_SHARE[1:]
        )
        return (
            '<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block '
            f'sd-social sd-social-icon-text sd-sharing"><h3 class="sd-title">{JETPACK_SHARE[0]}'
            f'</h3><div class="sd-content"><ul>{items}</ul></div></div></div>'
        )
    return (
        '<div class="a2a_kit a2a_kit_size_32 addtoany_list" '
        f'data-a2a-url="{url}" data-a2a-title="{escape(title)}">'
        '<a class="a2a_button_facebook" href="#" title="Facebook" rel="nofollow noopener"></a>'
        '<a class="a2a_button_x" href="#" title="X" rel="nofollow noopener"></a>'
        f'<a class="a2a_dd addtoany_share_save addtoany_share" href="#">{A2A}</a></div>'
    )


# --- chrome --------------------------------------------------------------------------------


def breadcrumbs(base: str, category: tuple[str, str], title: str) -> str:
    slug, name = category
    return (
        '<p id="breadcrumbs"><span><span><a href="'
        + base
        + '/">'
        + BREADCRUMB_HOME
        + f'</a></span> » <span><a href="{base}/kategorie/{slug}/">{name}</a></span> » '
        f'<span class="breadcrumb_last" aria-current="page">{escape(title)}</span></span></p>'
    )


def printfriendly() -> str:
    return (
        '<div class="printfriendly pf-button pf-alignright"><a href="#" rel="nofollow" '
        'onclick="window.print(); return false;" title="Printer Friendly, PDF &amp; Email">'
        f"{PRINT}</a></div>"
    )


def author_box(base: str, author: Author) -> str:
    url = f"{base}/author/{author.nicename}/"
    return (
        '<div class="author-box"><div class="author-box__avatar"><img alt="" '
        f'src="{base}/wp-content/uploads/avatars/{author.nicename}-96x96.jpg" class="avatar '
        f'avatar-96 photo" height="96" width="96"></div><div class="author-box__text">'
        f'<h4 class="author-box__title">{ABOUT_AUTHOR}</h4>'
        f'<p class="author-box__name"><a href="{url}" rel="author">{escape(author.name)}</a></p>'
        f'<p class="author-box__bio">{escape(author.bio)}</p>'
        f'<a class="author-box__more" href="{url}">{escape(MORE_BY.format(name=author.name))}'
        "</a></div></div>"
    )


def post_navigation(base: str, prev: Article | None, next_: Article | None) -> str:
    links = ""
    if prev is not None:
        links += (
            f'<div class="nav-previous"><a href="{base}{prev.path}" rel="prev">'
            f'<span class="meta-nav" aria-hidden="true">{POST_NAV[1]}</span> '
            f'<span class="post-title">{escape(prev.title)}</span></a></div>'
        )
    if next_ is not None:
        links += (
            f'<div class="nav-next"><a href="{base}{next_.path}" rel="next">'
            f'<span class="meta-nav" aria-hidden="true">{POST_NAV[2]}</span> '
            f'<span class="post-title">{escape(next_.title)}</span></a></div>'
        )
    return (
        '<nav class="navigation post-navigation" aria-label="Beiträge">'
        f'<h2 class="screen-reader-text">{POST_NAV[0]}</h2><div class="nav-links">{links}</div>'
        "</nav>"
    )


def comment_date(moment_local: object) -> str:
    """``3. November 2023 um 20:14 Uhr`` (no-break space before "Uhr")."""
    m = moment_local
    return f"{m.day}. {MONTHS[m.month - 1]} {m.year} um {m:%H:%M}\u00a0Uhr"  # type: ignore[attr-defined]


def comments(base: str, a: Article, seed: int) -> str:
    """The core comment list and form (or "Kommentare sind geschlossen.")."""
    rng = Random(f"{seed}:wp-comments:{a.id}")
    url = f"{base}{a.path}"
    items = []
    moment = a.published
    for n in range(a.comments):
        moment += timedelta(minutes=rng.randint(3, 600))
        cid = a.id * 10 + n
        stamp = local(moment)
        items.append(
            f'<li id="comment-{cid}" class="comment even thread-even depth-1">'
            f'<article id="div-comment-{cid}" class="comment-body"><footer class="comment-meta">'
            f'<div class="comment-author vcard"><b class="fn">{escape(rng.choice(COMMENTERS))}'
            f'</b> <span class="says">{COMMENTS[13]}</span></div>'
            f'<div class="comment-metadata"><a href="{url}#comment-{cid}">'
            f'<time datetime="{stamp.isoformat(timespec="seconds")}">{comment_date(stamp)}'
            "</time></a></div></footer>"
            f'<div class="comment-content"><p>{escape(rng.choice(COMMENT_TEXTS))}</p></div>'
            f'<div class="reply"><a rel="nofollow" class="comment-reply-link" '
            f'href="{url}?replytocom={cid}#respond">{COMMENTS[12]}</a></div></article></li>'
        )
    title = ""
    if a.comments:
        count = "Ein Kommentar" if a.comments == 1 else f"{a.comments} Kommentare"
        if rng.random() < 0.5:
            count = (
                f"{a.comments} Gedanken zu „{escape(a.title)}“"
                if a.comments > 1
                else f"Ein Gedanke zu „{escape(a.title)}“"
            )
        title = f'<h2 class="comments-title">{count}</h2><ol class="comment-list">'
        title += "".join(items) + "</ol>"
    if not a.comments_open:
        form = f'<p class="no-comments">{COMMENTS_CLOSED}</p>'
    else:
        form = (
            '<div id="respond" class="comment-respond"><h3 id="reply-title" '
            f'class="comment-reply-title">{COMMENTS[0]} <small><a rel="nofollow" '
            f'id="cancel-comment-reply-link" href="{url}#respond" style="display:none;">'
            f"{COMMENTS[1]}</a></small></h3>"
            f'<form action="{base}/wp-comments-post.php" method="post" id="commentform" '
            f'class="comment-form" novalidate><p class="comment-notes"><span id="email-notes">'
            f'{COMMENTS[2]}</span> <span class="required-field-message">'
            f"{COMMENTS[3]}</span></p>"
            f'<p class="comment-form-comment"><label for="comment">{COMMENTS[4]} '
            '<span class="required">*</span></label><textarea id="comment" name="comment" '
            'cols="45" rows="8" maxlength="65525" required></textarea></p>'
            f'<p class="comment-form-author"><label for="author">{COMMENTS[5]} <span '
            'class="required">*</span></label><input id="author" name="author" type="text"></p>'
            f'<p class="comment-form-email"><label for="email">{COMMENTS[6]} <span '
            'class="required">*</span></label><input id="email" name="email" type="email"></p>'
            f'<p class="comment-form-url"><label for="url">{COMMENTS[7]}</label>'
            '<input id="url" name="url" type="url"></p>'
            '<p class="comment-form-cookies-consent"><input id="wp-comment-cookies-consent" '
            'name="wp-comment-cookies-consent" type="checkbox" value="yes"> '
            f'<label for="wp-comment-cookies-consent">{COMMENTS[8]}</label></p>'
            f'<p class="form-submit"><input name="submit" type="submit" id="submit" '
            f'class="submit" value="{COMMENTS[9]}"><input type="hidden" name="comment_post_ID" '
            f'value="{a.id}" id="comment_post_ID"></p></form></div>'
            f'<p class="akismet_comment_form_privacy_notice">{COMMENTS[10]} <a '
            'href="https://akismet.com/privacy/" target="_blank" rel="nofollow noopener">'
            f"{COMMENTS[11]}</a></p>"
        )
    return f'<div id="comments" class="comments-area">{title}{form}</div>'


def sidebar(base: str, latest: list[Article], most_read: list[Article], with_form: str) -> str:
    def items(articles: list[Article]) -> str:
        return "".join(f'<li><a href="{base}{a.path}">{escape(a.title)}</a></li>' for a in articles)

    return (
        '<aside id="secondary" class="widget-area">'
        f'<section id="search-2" class="widget widget_search"><h2 class="widget-title">'
        f'{SIDEBAR[2]}</h2><form role="search" method="get" class="search-form" '
        f'action="{base}/"><label><span class="screen-reader-text">{SIDEBAR[3]}</span>'
        '<input type="search" class="search-field" name="s"></label>'
        f'<input type="submit" class="search-submit" value="{SIDEBAR[4]}"></form></section>'
        f'<section id="recent-posts-2" class="widget widget_recent_entries">'
        f'<h2 class="widget-title">{SIDEBAR[0]}</h2><ul>{items(latest)}</ul></section>'
        f'<section id="wpp-2" class="widget popular-posts"><h2 class="widget-title">'
        f'{SIDEBAR[1]}</h2><ul class="wpp-list">{items(most_read)}</ul></section>'
        f"{with_form}</aside>"
    )


def footer(base: str, year: int) -> str:
    links = "".join(
        f'<li class="menu-item"><a href="{base}/{slug}/">{label}</a></li>'
        for slug, label in (
            ("impressum", FOOTER[0]),
            ("datenschutzerklaerung", FOOTER[1]),
            ("kontakt", FOOTER[2]),
            ("mediadaten", FOOTER[3]),
        )
    )
    return (
        '<footer id="colophon" class="site-footer"><nav class="footer-navigation">'
        f'<ul id="menu-footer" class="menu">{links}<li class="menu-item"><a href="#" '
        f'class="borlabs-cookie-preference">{FOOTER[4]}</a></li></ul></nav>'
        f'<div class="site-info"><span class="copyright">{FOOTER[5]} {year}</span> '
        f'<span class="sep"> | </span><a href="https://de.wordpress.org/">{FOOTER[6]}</a>'
        "</div></footer>"
    )


# --- the list the ground truth carries ---------------------------------------------------------


def boilerplate_lines(site: WordPressSite) -> list[str]:
    """Every boilerplate line the site's pages can show, as clean text."""
    # fmt: off
    lines = [
        *BORLABS, *COOKIE_NOTICE, *COOKIE_LAW_INFO, BLOCKER_FACEBOOK, BLOCKER_TWITTER,
        BLOCKER_LOAD, BLOCKER_MORE, *YOUTUBE_BLOCKER, *DISTURBER, *TITLE_POPUP, *BOX_SPENDEN,
        *SPENDENLEISTE, *STEADY, *MC4WP, *MAILPOET, *INLINE_RELATED, *RELATED_HEADINGS.values(),
        MORE_FROM_AUTHOR, ANZEIGE, WERBUNG, *SHARIFF, *SHARIFF_TITLES, *JETPACK_SHARE, A2A,
        PRINT, BREADCRUMB_HOME, ABOUT_AUTHOR, *POST_NAV, TAGS_LABEL, CATEGORY_LABEL, UPDATED,
        PUBLISHED, READ_MORE, *PAGINATION, *COMMENTS, COMMENTS_CLOSED, *COMMENT_TEXTS,
        *SIDEBAR, *FOOTER[:5], SITE_NAME, TAGLINE, SKIP_LINK, *NOT_FOUND,
        *(name for name, _ in CATEGORIES.values()),
    ]
    # fmt: on
    for author in site.authors:
        lines += [author.bio, MORE_BY.format(name=author.name)]
    lines += sorted({f"{n} Kommentare" for n in range(2, 13)} | {"Ein Kommentar"})
    return list(dict.fromkeys(lines))
