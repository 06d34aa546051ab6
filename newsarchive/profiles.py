"""Rules that whole families of sites share: a profile starts from its platform's preset.

WordPress runs a large share of news sites, and its plugins print the same markup and the
same German or English wording everywhere (cookie dialogs, donation boxes, newsletter forms,
related-post blocks, share rows). A WordPress profile takes ``WORDPRESS_RULES`` and adds
what is its own (``BoilerplateRules(selectors={**WORDPRESS_SELECTORS, ...})``).
Sources: ``docs/wordpress-news-site.md`` (the markup families seen on ~30 German news sites).
"""

from __future__ import annotations

from newsarchive.cleaning.boilerplate import BoilerplateRules, text_rule

WORDPRESS_SELECTORS: dict[str, str] = {
    "consent": "#BorlabsCookieBox, #BorlabsCookieBoxWrap, #cookie-notice, #cookie-law-info-bar, "
    "#cmplz-cookiebanner-container, [class*=cookie-banner], [data-nosnippet]",
    "embed_blocker": "._brlbs-content-blocker, [class*=content-blocker]",
    "donation": ".disturber, .title-pop-up, .box-spenden, #spendenleiste, #steady_paywall, "
    "[class*=steady-], [class*=spenden], [class*=donation]",
    "newsletter": ".mc4wp-form, [class*=mailpoet], [class*=newsletter]",
    "related": "#related_posts, .crp_related, #jp-relatedposts, .jp-relatedposts, "
    ".rp4wp-related-posts, .td_block_related_posts, .yarpp-related",
    "ads": ".code-block, .g-single, .td-g-rec, .adsbygoogle, [class*=advert], [id*=advert]",
    "share": ".shariff, .sharedaddy, .sd-sharing, .addtoany_share_save_container, .a2a_kit, "
    ".printfriendly, .pf-button",
    "captions": ".wp-caption-text, figcaption, .wp-element-caption",
    "chrome": "#breadcrumbs, .author-box, .post-navigation, .nav-links, #comments, "
    ".comments-area, .entry-meta, .entry-footer, .tags-links, .cat-links",
}

WORDPRESS_TEXT_RULES = (
    text_rule(
        "related_marker",
        r"^\W*(lesen sie auch|lies auch|das k\u00f6nnte (sie|dich) auch interessieren"
        r"|weitere beitr\u00e4ge|\u00e4hnliche beitr\u00e4ge|verwandte (beitr\u00e4ge|artikel)"
        r"|mehr zum thema|auch interessant)\b\s*:?",
        takes_next_link=True,
    ),
    text_rule("ad", r"^(anzeige|werbung)\s*:?\s*$"),
    text_rule(
        "donation_appeal",
        r"\bunterst\u00fctze[n]? (sie )?(unabh\u00e4ngigen journalismus|unsere|meine|uns)\b"
        r"|\bwir sind spendenfinanziert\b|\bgibt es nur dank\b.*\bspenden\b"
        r"|\bmit einer spende\b|^jetzt (unterst\u00fctzen|spenden|abonnieren)\b",
    ),
    text_rule(
        "newsletter",
        r"^(abonniere|abonnieren sie) unseren newsletter\b|^newsletter abonnieren\b"
        r"|\bunser kostenloser newsletter\b|^kostenlosen newsletter bestellen\b",
    ),
    text_rule(
        "cookie",
        r"\bwir (nutzen|verwenden) cookies\b|\bdiese (website|seite) (benutzt|nutzt) cookies\b",
    ),
    text_rule(
        "paywall",
        r"^exklusiv f\u00fcr\b|\bexklusiv f(\u00fc|ue)r (unsere )?(abonnent|\u00fcbonnent|abo)"
        r"|\bkostenlos registrieren und weiterlesen\b"
        r"|^schon registriert\b",
    ),
)

WORDPRESS_RULES = BoilerplateRules(selectors=WORDPRESS_SELECTORS, text_rules=WORDPRESS_TEXT_RULES)
