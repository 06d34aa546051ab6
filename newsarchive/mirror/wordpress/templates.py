"""HTML and XML of every page kind of the WordPress mirror (core + Yoast + plugins markup).

All links are absolute on the base URL the server runs at; stored body HTML holds
``site.BASE`` placeholders, replaced here. Yoast's times are UTC (``+00:00``); the theme's
visible bylines are naive Europe/Berlin wall time.
"""

# ruff: noqa: RUF001 - typographic quotes are part of the text
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from random import Random

from newsarchive.mirror.text import escape
from newsarchive.mirror.wordpress import boilerplate as bp
from newsarchive.mirror.wordpress.site import (
    BASE,
    CATEGORIES,
    DEFAULT_CATEGORY,
    SITE_NAME,
    Article,
    WordPressSite,
    local,
)
from newsarchive.mirror.wordpress.text import slugify

PER_PAGE = 10
"""Posts per listing page and feed (WordPress's ``posts_per_page`` default)."""
YOAST = "21.5"
WP_VERSION = "6.4.2"
PUBLISHER_FB = "https://www.facebook.com/lindenauerrundschau"
NEWS_WINDOW = timedelta(hours=48)
_TEXTURIZE = {"„": "&#8222;", "“": "&#8220;", "–": "&#8211;", "…": "&#8230;", "’": "&#8217;"}


# --- small helpers ---------------------------------------------------------------------------


def texturize(text: str) -> str:
    """Escaped, with ``wptexturize``'s numeric entities for typographic characters."""
    out = escape(text)
    for char, entity in _TEXTURIZE.items():
        out = out.replace(char, entity)
    return out


def w3c_utc(moment: datetime) -> str:
    """Yoast's ``DATE_W3C`` in UTC: ``2023-11-03T17:22:53+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def rfc822_gmt(moment: datetime) -> str:
    """Core feeds: ``Mon, 06 Nov 2023 14:00:00 +0000``."""
    return format_datetime(moment.astimezone(UTC))


def german_date(moment: datetime) -> str:
    """``6. November 2023`` (de_DE ``j. F Y``) of a local datetime."""
    return f"{moment.day}. {bp.MONTHS[moment.month - 1]} {moment.year}"


def names(a: Article) -> str:
    """Visible byline names: "A", "A und B"."""
    people = [x.name for x in a.authors]
    return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " und " + people[-1]


def layout(a: Article) -> Random:
    return Random(a.layout)


def category_name(slug: str) -> str:
    return CATEGORIES[slug][0]


def excerpt_text(site: WordPressSite, a: Article) -> str:
    return a.lead or site.body(a).first_sentence


def body_html(site: WordPressSite, base: str, a: Article) -> str:
    """``the_content`` of the post, as feeds carry it."""
    return "\n".join(b.html for b in site.body(a).blocks).replace(BASE, base)


# --- page shell ------------------------------------------------------------------------------


def document(
    site: WordPressSite, base: str, title: str, head: str, main: str, body_class: str, rng: Random
) -> str:
    """The theme's page: header, main column, sidebar, footer, the consent layer."""
    nav = "".join(
        f'<li class="menu-item menu-item-type-taxonomy menu-item-object-category">'
        f'<a href="{base}/kategorie/{slug}/">{name}</a></li>'
        for slug, (name, _) in CATEGORIES.items()
        if slug != DEFAULT_CATEGORY
    )
    latest = site.newest[:5]
    pool = site.newest[:60]
    most_read = Random(f"{site.seed}:{site.generation}:wpp").sample(pool, min(5, len(pool)))
    with_form = ""
    extra = ""
    if rng.random() < 0.3:
        with_form = (
            '<section class="widget widget_mc4wp_form_widget">'
            f"{bp.newsletter(base, rng.randrange(2), 301)}</section>"
        )
    if rng.random() < 0.25:
        extra = bp.donation(base, 3)
    banner = bp.cookie_banner(base, rng.randrange(4))
    return (
        '<!DOCTYPE html>\n<html lang="de-DE">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{head}"
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Feed" '
        f'href="{base}/feed/">\n'
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; '
        f'Kommentar-Feed" href="{base}/comments/feed/">\n'
        f"<link rel='stylesheet' id='wp-block-library-css' href='{base}/wp-includes/css/dist/"
        f"block-library/style.min.css?ver={WP_VERSION}' media='all' />\n"
        f'<link rel="https://api.w.org/" href="{base}/wp-json/">\n'
        f'<meta name="generator" content="WordPress {WP_VERSION}">\n'
        f'</head>\n<body class="{body_class}">\n'
        f'<div id="page" class="site"><a class="skip-link screen-reader-text" href="#content">'
        f"{bp.SKIP_LINK}</a>\n"
        f'<header id="masthead" class="site-header"><div class="site-branding">'
        f'<p class="site-title"><a href="{base}/" rel="home">{SITE_NAME}</a></p>'
        f'<p class="site-description">{bp.TAGLINE}</p></div>'
        f'<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">'
        f"{nav}</ul></nav></header>\n"
        f'<div id="content" class="site-content"><div id="primary" class="content-area">'
        f'<main id="main" class="site-main">\n{main}\n</main></div>\n'
        f"{bp.sidebar(base, latest, most_read, with_form)}</div>\n"
        f"{bp.footer(base, site.now.year)}</div>\n{extra}{banner}\n"
        f"<script src='{base}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1' "
        "id='jquery-core-js'></script>\n</body>\n</html>\n"
    )


# --- article page ----------------------------------------------------------------------------


def _description(site: WordPressSite, a: Article) -> str:
    return excerpt_text(site, a)


def article_head(site: WordPressSite, base: str, a: Article, rng: Random) -> str:
    url = f"{base}{a.path}"
    desc = texturize(_description(site, a))
    title = texturize(a.title)
    people = ", ".join(x.name for x in a.authors)
    lines = []
    if rng.random() < 0.3:  # the theme's own tag, in local time, before Yoast's
        lines.append(
            '<meta property="article:published_time" '
            f'content="{local(a.published).isoformat(timespec="seconds")}" />'
        )
    lines += [
        "<meta name='robots' content='index, follow, max-image-preview:large, max-snippet:-1, "
        "max-video-preview:-1' />",
        f"<!-- This site is optimized with the Yoast SEO plugin v{YOAST} - "
        "https://yoast.com/wordpress/plugins/seo/ -->",
        f"<title>{title} - {SITE_NAME}</title>",
        f'<meta name="description" content="{desc}" />',
        f'<link rel="canonical" href="{url}" />',
        '<meta property="og:locale" content="de_DE" />',
        '<meta property="og:type" content="article" />',
        f'<meta property="og:title" content="{title}" />',
        f'<meta property="og:description" content="{desc}" />',
        f'<meta property="og:url" content="{url}" />',
        f'<meta property="og:site_name" content="{SITE_NAME}" />',
        f'<meta property="article:publisher" content="{PUBLISHER_FB}" />',
        f'<meta property="article:published_time" content="{w3c_utc(a.published)}" />',
    ]
    if a.modified > a.published:
        lines.append(f'<meta property="article:modified_time" content="{w3c_utc(a.modified)}" />')
    if a.image:
        lines += [
            f'<meta property="og:image" content="{base}{a.image.path}" />',
            f'<meta property="og:image:width" content="{a.image.width}" />',
            f'<meta property="og:image:height" content="{a.image.height}" />',
            '<meta property="og:image:type" content="image/jpeg" />',
        ]
    minutes = site.read_minutes(a)
    lines += [
        f'<meta name="author" content="{escape(people)}" />',
        '<meta name="twitter:card" content="summary_large_image" />',
        '<meta name="twitter:label1" content="Verfasst von" />',
        f'<meta name="twitter:data1" content="{escape(people)}" />',
        '<meta name="twitter:label2" content="Geschätzte Lesezeit" />',
        f'<meta name="twitter:data2" content="{minutes} Minute{"n" if minutes > 1 else ""}" />',
        '<script type="application/ld+json" class="yoast-schema-graph">'
        f"{json_ld(site, base, a)}</script>",
        "<!-- / Yoast SEO plugin. -->",
        f"<link rel='shortlink' href='{base}/?p={a.id}' />",
        f'<link rel="alternate" type="application/json" href="{base}/wp-json/wp/v2/posts/{a.id}">',
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; {title} '
        f'Kommentar-Feed" href="{url}feed/">',
    ]
    return "\n".join(lines) + "\n"


def json_ld(site: WordPressSite, base: str, a: Article) -> str:
    """Yoast (v19+ order) with News SEO: NewsArticle, WebPage, ImageObject, BreadcrumbList,
    WebSite, Organization, Person; one line, slashes unescaped, strings texturized."""
    home = f"{base}/"
    url = f"{base}{a.path}"
    people = [{"name": x.name, "@id": f"{home}#/schema/person/{x.schema_hash}"} for x in a.authors]
    image = f"{base}{a.image.path}" if a.image else None
    article: dict[str, object] = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "isPartOf": {"@id": url},
        "author": people[0] if len(people) == 1 else people,
        "headline": texturize(a.title),
        "datePublished": w3c_utc(a.published),
        "dateModified": w3c_utc(a.modified),
        "mainEntityOfPage": {"@id": url},
        "wordCount": site.word_count(a),
    }
    if a.comments_open:
        article["commentCount"] = a.comments
    article["publisher"] = {"@id": f"{home}#organization"}
    if image:
        article["image"] = {"@id": f"{url}#primaryimage"}
        article["thumbnailUrl"] = image
    if a.tags:
        article["keywords"] = list(a.tags)
    if a.category != DEFAULT_CATEGORY:
        article["articleSection"] = [category_name(a.category)]
    article["inLanguage"] = "de-DE"
    if a.comments_open:
        article["potentialAction"] = [
            {"@type": "CommentAction", "name": "Comment", "target": [f"{url}#respond"]}
        ]
    article["copyrightYear"] = str(local(a.published).year)
    article["copyrightHolder"] = {"@id": f"{home}#organization"}
    if a.paywalled:
        article["isAccessibleForFree"] = False
        article["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": "#steady_paywall",
        }
    webpage: dict[str, object] = {
        "@type": "WebPage",
        "@id": url,
        "url": url,
        "name": f"{texturize(a.title)} - {SITE_NAME}",
        "isPartOf": {"@id": f"{home}#website"},
    }
    if image:
        webpage["primaryImageOfPage"] = {"@id": f"{url}#primaryimage"}
        webpage["image"] = {"@id": f"{url}#primaryimage"}
        webpage["thumbnailUrl"] = image
    webpage |= {
        "datePublished": w3c_utc(a.published),
        "dateModified": w3c_utc(a.modified),
        "description": texturize(_description(site, a)),
        "breadcrumb": {"@id": f"{url}#breadcrumb"},
        "inLanguage": "de-DE",
        "potentialAction": [{"@type": "ReadAction", "target": [url]}],
    }
    graph: list[dict[str, object]] = [article, webpage]
    if a.image:
        node: dict[str, object] = {
            "@type": "ImageObject",
            "inLanguage": "de-DE",
            "@id": f"{url}#primaryimage",
            "url": image,
            "contentUrl": image,
            "width": a.image.width,
            "height": a.image.height,
        }
        if a.image.caption:
            node["caption"] = texturize(a.image.caption)
        graph.append(node)
    graph += [
        {
            "@type": "BreadcrumbList",
            "@id": f"{url}#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Startseite", "item": home},
                {
                    "@type": "ListItem",
                    "position": 2,
                    "name": category_name(a.category),
                    "item": f"{home}kategorie/{a.category}/",
                },
                {"@type": "ListItem", "position": 3, "name": texturize(a.title)},
            ],
        },
        {
            "@type": "WebSite",
            "@id": f"{home}#website",
            "url": home,
            "name": SITE_NAME,
            "description": bp.TAGLINE,
            "publisher": {"@id": f"{home}#organization"},
            "potentialAction": [
                {
                    "@type": "SearchAction",
                    "target": {
                        "@type": "EntryPoint",
                        "urlTemplate": f"{home}?s={{search_term_string}}",
                    },
                    "query-input": "required name=search_term_string",
                }
            ],
            "inLanguage": "de-DE",
        },
        {
            "@type": "Organization",
            "@id": f"{home}#organization",
            "name": SITE_NAME,
            "url": home,
            "logo": {
                "@type": "ImageObject",
                "inLanguage": "de-DE",
                "@id": f"{home}#/schema/logo/image/",
                "url": f"{base}/wp-content/uploads/2019/02/logo.png",
                "contentUrl": f"{base}/wp-content/uploads/2019/02/logo.png",
                "width": 600,
                "height": 120,
                "caption": SITE_NAME,
            },
            "image": {"@id": f"{home}#/schema/logo/image/"},
            "sameAs": [PUBLISHER_FB, "https://www.instagram.com/lindenauerrundschau/"],
        },
    ]
    for x in a.authors:
        graph.append(
            {
                "@type": "Person",
                "@id": f"{home}#/schema/person/{x.schema_hash}",
                "name": x.name,
                "description": x.bio,
                "url": f"{home}author/{x.nicename}/",
            }
        )
    data = {"@context": "https://schema.org", "@graph": graph}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def byline(base: str, a: Article, rng: Random) -> str:
    """``div.entry-meta``: authors, the local date without an offset, the category.

    Classic-era posts (before 2019): "23.06.2016 um 16:14 Uhr" in a span; Meinung: "Veröffentlicht
    am 5. November 2023, 14:09"; others: ``time.entry-date`` "6. November 2023" + "15:00 Uhr",
    whose ``datetime`` is naive local time or local time with its offset.
    """
    who = " und ".join(
        f'<span class="author vcard"><a class="url fn n" href="{base}/author/{x.nicename}/" '
        f'rel="author">{escape(x.name)}</a></span>'
        for x in a.authors
    )
    pub = local(a.published)
    if not a.gutenberg:
        when = f'<span class="entry-date">{pub:%d.%m.%Y} um {pub:%H:%M}\u00a0Uhr</span>'
    elif a.category == "meinung":
        when = f'<span class="entry-date">{bp.PUBLISHED} {german_date(pub)}, {pub:%H:%M}</span>'
    else:
        stamp = pub.isoformat(timespec="seconds") if rng.random() < 0.5 else f"{pub:%Y-%m-%d %H:%M}"
        when = (
            f'<time class="entry-date published" datetime="{stamp}">{german_date(pub)}</time> '
            f'<span class="post_time">{pub:%H:%M} Uhr</span>'
        )
        if a.modified - a.published > timedelta(minutes=30):
            mod = local(a.modified)
            when += (
                f' <span class="updated-on">{bp.UPDATED} <time class="updated" '
                f'datetime="{mod:%Y-%m-%d %H:%M}">{german_date(mod)}, {mod:%H:%M} Uhr</time></span>'
            )
    cat = (
        f'<span class="cat-links">{bp.CATEGORY_LABEL} <a href="{base}/kategorie/{a.category}/" '
        f'rel="category tag">{category_name(a.category)}</a></span>'
    )
    return (
        f'<div class="entry-meta"><span class="byline">{bp.BYLINE_BY} {who}</span> '
        f'<span class="posted-on">{when}</span> {cat}</div>'
    )


def featured_image(base: str, a: Article) -> str:
    if a.image is None:
        return ""
    img = a.image
    srcset = ", ".join(f"{base}{img.sized(w)} {w}w" for w in (300, 768, 1024))
    tag = (
        f'<img width="1024" height="{round(img.height * 1024 / img.width)}" '
        f'src="{base}{img.sized(1024)}" class="attachment-large size-large wp-post-image" '
        f'alt="{escape(img.alt)}" decoding="async" srcset="{srcset}" '
        'sizes="(max-width: 1024px) 100vw, 1024px">'
    )
    caption = ""
    if img.caption:
        caption = f'<figcaption class="wp-caption-text">{texturize(img.caption)}</figcaption>'
    return f'<figure class="post-thumbnail">{tag}{caption}</figure>'


def article_page(site: WordPressSite, base: str, a: Article) -> str:
    """The single post page, its boilerplate drawn from the post's layout seed."""
    rng = layout(a)
    url = f"{base}{a.path}"
    older = site.older_than(a)
    recent = older[-60:]
    related_pick = Random(f"{site.seed}:wp-related:{a.id}")

    def some(n: int) -> list[Article]:
        return related_pick.sample(recent, min(n, len(recent)))

    # In-body furniture: (position among the blocks, html); positions count blocks.
    blocks = site.body(a).blocks
    inserts: dict[int, list[str]] = {}

    def put(at: int, html: str) -> None:
        inserts.setdefault(max(0, min(at, len(blocks))), []).append(html)

    if rng.random() < 0.25 and recent:
        put(0, bp.related_box(base, "related_posts", some(3)))  # before paragraph 1 (SW1)
    for n in range(rng.choice((0, 1, 1, 2))):
        put(rng.randint(1, max(1, len(blocks) - 1)), bp.ad(rng.randrange(3), n + 1))
    donation_at = rng.choice(("inside", "before", "after", "none"))
    if donation_at == "inside" and not a.paywalled:
        put(rng.randint(1, len(blocks)), bp.donation(base, 0))
    newsletter_at = rng.choice(("inside", "after", "none", "none"))
    newsletter = bp.newsletter(base, rng.randrange(2), 1200 + rng.randrange(3))
    if newsletter_at == "inside":
        put(rng.randint(2, max(2, len(blocks))), newsletter)
    if rng.random() < 0.2 and recent:
        put(rng.randint(2, max(2, len(blocks))), bp.related_box(base, "crp", some(3)))
    parts = []
    for i, block in enumerate(blocks):
        parts += inserts.get(i, [])
        parts.append(block.html.replace(BASE, base))
    parts += inserts.get(len(blocks), [])
    if a.paywalled:
        parts.append(bp.steady_paywall(base))
    content_class = "entry-content steady-paywall-container" if a.paywalled else "entry-content"
    printer = bp.printfriendly() if rng.random() < 0.3 else ""
    content = f'<div class="{content_class}">\n{printer}' + "\n".join(parts) + "\n</div>"

    kicker = f'<span class="entry-kicker">{escape(a.kicker)}:</span> ' if a.kicker else ""
    subtitle = f'<p class="wp-subtitle">{texturize(a.subtitle)}</p>' if a.subtitle else ""
    lead = f'<div class="entry-excerpt"><p>{texturize(a.lead)}</p></div>' if a.lead else ""
    crumbs = (
        bp.breadcrumbs(base, (a.category, category_name(a.category)), a.title)
        if rng.random() < 0.7
        else ""
    )
    header = (
        f'<header class="entry-header">{crumbs}<h1 class="entry-title">{kicker}'
        f"{texturize(a.title)}</h1>{subtitle}{byline(base, a, rng)}</header>"
    )
    tags = ""
    if a.tags:
        links = ", ".join(
            f'<a href="{base}/tag/{slugify(t)}/" rel="tag">{escape(t)}</a>' for t in a.tags
        )
        tags = f'<span class="tags-links">{bp.TAGS_LABEL} {links}</span>'
    classes = [
        f"post-{a.id}",
        "post",
        "type-post",
        "status-publish",
        "format-standard",
        *(["has-post-thumbnail"] if a.image else []),
        "hentry",
        f"category-{a.category}",
        *(f"tag-{slugify(t)}" for t in a.tags),
    ]
    if a.paywalled:
        classes.insert(0, "has-paywall")
    before = bp.donation(base, 1) if donation_at == "before" else ""
    after = []
    if donation_at == "after":
        after.append(bp.donation(base, 2))
    if newsletter_at == "after":
        after.append(newsletter)
    after.append(bp.share(base, url, a.title, rng.randrange(3)))
    article = (
        f'<article id="post-{a.id}" class="{" ".join(classes)}">{header}'
        f"{featured_image(base, a)}{lead}{before}\n{content}\n"
        f'<footer class="entry-footer">{tags}</footer>' + "".join(after) + "</article>"
    )
    tail = []
    if rng.random() < 0.6:
        tail.append(bp.author_box(base, a.authors[0]))
    if recent:
        variant = rng.choice(("jetpack", "rp4wp", "tagdiv", "crp", "none"))
        if variant != "none":
            tail.append(bp.related_box(base, variant, some(4)))
    position = site._position[a.id]
    prev = site.chronological[position - 1] if position > 0 else None
    nxt = site.chronological[position + 1] if position + 1 < len(site.chronological) else None
    tail.append(bp.post_navigation(base, prev, nxt))
    tail.append(bp.comments(base, a, site.seed))
    body_class = (
        f"post-template-default single single-post postid-{a.id} single-format-standard "
        "wp-embed-responsive" + (" has-paywall" if a.paywalled else "")
    )
    return document(
        site,
        base,
        a.title,
        article_head(site, base, a, rng),
        article + "\n" + "\n".join(tail),
        body_class,
        rng,
    )


# --- listings --------------------------------------------------------------------------------


def excerpt(site: WordPressSite, base: str, a: Article) -> str:
    pub = local(a.published)
    classes = (
        f"post-{a.id} post type-post status-publish format-standard hentry category-{a.category}"
    )
    thumb = ""
    if a.image:
        thumb = (
            f'<a class="post-thumbnail" href="{base}{a.path}" aria-hidden="true" tabindex="-1">'
            f'<img width="300" height="{round(a.image.height * 300 / a.image.width)}" '
            f'src="{base}{a.image.sized(300)}" class="attachment-medium wp-post-image" alt="">'
            "</a>"
        )
    return (
        f'<article id="post-{a.id}" class="{classes}"><header class="entry-header">'
        f'<h2 class="entry-title"><a href="{base}{a.path}" rel="bookmark">{texturize(a.title)}'
        f'</a></h2><div class="entry-meta"><time class="entry-date published" '
        f'datetime="{pub.isoformat(timespec="seconds")}">{german_date(pub)}</time></div>'
        f'</header>{thumb}<div class="entry-summary"><p>{texturize(excerpt_text(site, a))} '
        f'<a href="{base}{a.path}#more-{a.id}" class="more-link">{bp.READ_MORE}</a></p></div>'
        "</article>"
    )


def pagination(root: str, page: int, pages: int) -> str:
    """Core ``the_posts_pagination()``: prev, numbers (1, ±1 around the current, last), next."""

    def href(n: int) -> str:
        return root if n == 1 else f"{root}page/{n}/"

    items = []
    if page > 1:
        items.append(f'<a class="prev page-numbers" href="{href(page - 1)}">{bp.PAGINATION[1]}</a>')
    dots = False
    for n in range(1, pages + 1):
        if n == page:
            items.append(
                f'<span aria-current="page" class="page-numbers current">'
                f'<span class="meta-nav screen-reader-text">{bp.PAGINATION[3]} </span>{n}</span>'
            )
            dots = False
        elif n in (1, pages) or abs(n - page) <= 1:
            items.append(
                f'<a class="page-numbers" href="{href(n)}"><span class="meta-nav '
                f'screen-reader-text">{bp.PAGINATION[3]} </span>{n}</a>'
            )
            dots = False
        elif not dots:
            items.append('<span class="page-numbers dots">&hellip;</span>')
            dots = True
    if page < pages:
        items.append(f'<a class="next page-numbers" href="{href(page + 1)}">{bp.PAGINATION[2]}</a>')
    return (
        '<nav class="navigation pagination" aria-label="Beiträge">'
        f'<h2 class="screen-reader-text">{bp.PAGINATION[0]}</h2>'
        f'<div class="nav-links">{"".join(items)}</div></nav>'
    )


def page_count(articles: list[Article]) -> int:
    return max(1, -(-len(articles) // PER_PAGE))


def listing_page(
    site: WordPressSite,
    base: str,
    *,
    root: str,
    heading: str,
    articles: list[Article],
    page: int,
    body_class: str,
    feed: str | None = None,
) -> str:
    """An archive page (home, category, tag, author): 10 excerpts and the pagination."""
    pages = page_count(articles)
    chunk = articles[(page - 1) * PER_PAGE : page * PER_PAGE]
    if page > 1:
        body_class += f" paged paged-{page}"
    head = [
        f"<title>{escape(heading)}{f' - Seite {page} von {pages}' if page > 1 else ''}"
        f" - {SITE_NAME}</title>",
        f'<link rel="canonical" href="{root if page == 1 else f"{root}page/{page}/"}" />',
    ]
    if feed:
        head.append(
            f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; '
            f'{escape(heading)} Feed" href="{feed}">'
        )
    title = f'<header class="page-header"><h1 class="page-title">{escape(heading)}</h1></header>'
    main = (
        title
        + "\n".join(excerpt(site, base, a) for a in chunk)
        + (pagination(root, page, pages) if pages > 1 else "")
    )
    rng = Random(f"{site.seed}:wp-listing:{root}:{page}")
    return document(site, base, heading, "\n".join(head) + "\n", main, body_class, rng)


# --- feeds -----------------------------------------------------------------------------------


def rss(site: WordPressSite, base: str, articles: list[Article], self_url: str, title: str) -> str:
    """Core ``feed-rss2.php``: 10 newest, GMT dates, full content in ``content:encoded``."""
    items = []
    for a in articles[:PER_PAGE]:
        url = f"{base}{a.path}"
        cats = [category_name(a.category), *a.tags]
        creators = "".join(f"<dc:creator><![CDATA[{x.name}]]></dc:creator>" for x in a.authors)
        items.append(
            f"\t<item>\n\t\t<title>{texturize(a.title)}</title>\n\t\t<link>{url}</link>\n"
            f"\t\t<comments>{url}#respond</comments>\n"
            f"\t\t{creators}\n\t\t<pubDate>{rfc822_gmt(a.published)}</pubDate>\n"
            + "".join(f"\t\t<category><![CDATA[{c}]]></category>\n" for c in cats)
            + f'\t\t<guid isPermaLink="false">{base}/?p={a.id}</guid>\n'
            f"\t\t<description><![CDATA[{texturize(excerpt_text(site, a))} [&#8230;]]]>"
            "</description>\n"
            f"\t\t<content:encoded><![CDATA[{body_html(site, base, a)}]]></content:encoded>\n"
            f"\t\t<wfw:commentRss>{url}feed/</wfw:commentRss>\n"
            f"\t\t<slash:comments>{a.comments}</slash:comments>\n\t</item>"
        )
    built = max((a.last_changed for a in articles[:PER_PAGE]), default=site.now)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
        '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
        '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"\n\t>\n\n<channel>\n'
        f"\t<title>{escape(title)}</title>\n"
        f'\t<atom:link href="{self_url}" rel="self" type="application/rss+xml" />\n'
        f"\t<link>{base}</link>\n\t<description>{bp.TAGLINE}</description>\n"
        f"\t<lastBuildDate>{rfc822_gmt(built)}</lastBuildDate>\n\t<language>de-DE</language>\n"
        "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n"
        "\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
        f"\t<generator>https://wordpress.org/?v={WP_VERSION}</generator>\n"
        + "\n".join(items)
        + "\n\t</channel>\n</rss>\n"
    )


def atom(site: WordPressSite, base: str, articles: list[Article]) -> str:
    """Core ``feed-atom.php``."""
    entries = []
    for a in articles[:PER_PAGE]:
        url = f"{base}{a.path}"
        authors = "".join(
            f"\t\t<author>\n\t\t\t<name>{escape(x.name)}</name>\n"
            f"\t\t\t<uri>{base}/author/{x.nicename}/</uri>\n\t\t</author>\n"
            for x in a.authors
        )
        entries.append(
            f"\t<entry>\n{authors}"
            f'\t\t<title type="html"><![CDATA[{texturize(a.title)}]]></title>\n'
            f'\t\t<link rel="alternate" type="text/html" href="{url}" />\n'
            f"\t\t<id>{base}/?p={a.id}</id>\n"
            f"\t\t<updated>{w3c_utc(a.last_changed).replace('+00:00', 'Z')}</updated>\n"
            f"\t\t<published>{w3c_utc(a.published).replace('+00:00', 'Z')}</published>\n"
            f'\t\t<category scheme="{base}" term="{category_name(a.category)}" />\n'
            f'\t\t<summary type="html"><![CDATA[{texturize(excerpt_text(site, a))}]]></summary>\n'
            f'\t\t<content type="html" xml:base="{url}"><![CDATA[{body_html(site, base, a)}]]>'
            "</content>\n\t</entry>"
        )
    updated = max((a.last_changed for a in articles[:PER_PAGE]), default=site.now)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed\n  xmlns="http://www.w3.org/2005/Atom"\n'
        '  xmlns:thr="http://purl.org/syndication/thread/1.0"\n  xml:lang="de-DE"\n  >\n'
        f'\t<title type="text">{SITE_NAME}</title>\n'
        f'\t<subtitle type="text">{bp.TAGLINE}</subtitle>\n\n'
        f"\t<updated>{w3c_utc(updated).replace('+00:00', 'Z')}</updated>\n\n"
        f'\t<link rel="alternate" type="text/html" href="{base}" />\n'
        f"\t<id>{base}/feed/atom/</id>\n"
        f'\t<link rel="self" type="application/atom+xml" href="{base}/feed/atom/" />\n\n'
        f'\t<generator uri="https://wordpress.org/" version="{WP_VERSION}">WordPress</generator>\n'
        + "\n".join(entries)
        + "\n</feed>\n"
    )


# --- sitemaps, robots ------------------------------------------------------------------------

_XSL = "wp-content/plugins/wordpress-seo/css/main-sitemap.xsl"
_SITEMAP_NS = (
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
    'xsi:schemaLocation="http://www.sitemaps.org/schemas/sitemap/0.9 '
    "http://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd "
    "http://www.google.com/schemas/sitemap-image/1.1 "
    'http://www.google.com/schemas/sitemap-image/1.1/sitemap-image.xsd" '
    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
)


def _xml_head(base: str) -> str:
    host = base.split("://", 1)[1]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<?xml-stylesheet type="text/xsl" href="//{host}/{_XSL}"?>\n'
    )


def post_chunks(site: WordPressSite) -> list[list[Article]]:
    """Posts by ``post_modified`` ascending, ``site.sitemap_size`` per file (the first file
    also carries the home page, as Yoast's does)."""
    size = getattr(site, "sitemap_size", 1000)
    ordered = sorted(site.chronological, key=lambda a: (a.modified, a.id))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)] or [[]]


def news_articles(site: WordPressSite) -> list[Article]:
    since = site.now - NEWS_WINDOW
    return [a for a in site.newest if a.published >= since][:1000]


def sitemap_index(site: WordPressSite, base: str) -> str:
    entries = []
    chunks = post_chunks(site)
    for n, chunk in enumerate(chunks, start=1):
        name = "post-sitemap.xml" if n == 1 else f"post-sitemap{n}.xml"
        last = max((a.last_changed for a in chunk), default=site.now)
        entries.append((name, last))
    newest = max((a.last_changed for a in site.chronological), default=site.now)
    entries += [
        ("category-sitemap.xml", newest),
        ("post_tag-sitemap.xml", newest),
        ("author-sitemap.xml", newest),
    ]
    if news_articles(site):
        entries.append(("news-sitemap.xml", newest))
    body = "".join(
        f"\t<sitemap>\n\t\t<loc>{base}/{name}</loc>\n\t\t<lastmod>{w3c_utc(last)}</lastmod>\n"
        "\t</sitemap>\n"
        for name, last in entries
    )
    return (
        _xml_head(base)
        + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + body
        + "</sitemapindex>\n<!-- XML Sitemap generated by Yoast SEO -->"
    )


def _urlset(base: str, urls: list[tuple[str, datetime, str | None]]) -> str:
    body = ""
    for loc, last, image in urls:
        img = (
            f"\n\t\t<image:image>\n\t\t\t<image:loc>{image}</image:loc>\n\t\t</image:image>"
            if image
            else ""
        )
        body += f"\t<url>\n\t\t<loc>{loc}</loc>\n\t\t<lastmod>{w3c_utc(last)}</lastmod>"
        body += f"{img}\n\t</url>\n"
    return (
        _xml_head(base)
        + f"<urlset {_SITEMAP_NS}>\n{body}</urlset>\n<!-- XML Sitemap generated by Yoast SEO -->"
    )


def post_sitemap(site: WordPressSite, base: str, n: int) -> str | None:
    chunks = post_chunks(site)
    if not 1 <= n <= len(chunks):
        return None
    urls: list[tuple[str, datetime, str | None]] = []
    if n == 1:
        newest = max((a.last_changed for a in site.chronological), default=site.now)
        urls.append((f"{base}/", newest, None))
    urls += [
        (f"{base}{a.path}", a.last_changed, f"{base}{a.image.path}" if a.image else None)
        for a in chunks[n - 1]
    ]
    return _urlset(base, urls)


def term_sitemap(site: WordPressSite, base: str, kind: str) -> str:
    urls: list[tuple[str, datetime, str | None]] = []
    if kind == "category":
        groups = {f"{base}/kategorie/{c}/": arts for c, arts in site.by_section.items() if arts}
    elif kind == "post_tag":
        groups = {f"{base}/tag/{t}/": arts for t, arts in sorted(site.by_tag.items())}
    else:
        groups = {f"{base}/author/{n}/": arts for n, arts in sorted(site.by_author.items())}
    for loc, arts in groups.items():
        urls.append((loc, max(a.last_changed for a in arts), None))
    return _urlset(base, urls)


def news_sitemap(site: WordPressSite, base: str) -> str:
    """Yoast News SEO: the last 48 hours, newest first, ``post_date_gmt`` in UTC."""
    body = "".join(
        f"\t<url>\n\t\t<loc>{base}{a.path}</loc>\n\t\t<news:news>\n"
        "\t\t\t<news:publication>\n"
        f"\t\t\t\t<news:name>{SITE_NAME}</news:name>\n"
        "\t\t\t\t<news:language>de</news:language>\n\t\t\t</news:publication>\n"
        f"\t\t\t<news:publication_date>{w3c_utc(a.published)}</news:publication_date>\n"
        f"\t\t\t<news:title><![CDATA[{a.title}]]></news:title>\n"
        "\t\t</news:news>\n\t</url>\n"
        for a in news_articles(site)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{body}</urlset>\n<!-- XML Sitemap generated by Yoast SEO -->"
    )


def robots(base: str) -> str:
    return (
        "# START YOAST BLOCK\n# ---------------------------\nUser-agent: *\nDisallow:\n"
        f"Disallow: /__mirror__/\n\nSitemap: {base}/sitemap_index.xml\n"
        "# ---------------------------\n# END YOAST BLOCK\n"
    )


def not_found(site: WordPressSite, base: str) -> str:
    main = (
        '<section class="error-404 not-found"><header class="page-header">'
        f'<h1 class="page-title">{bp.NOT_FOUND[0]}</h1></header>'
        f'<div class="page-content"><p>{bp.NOT_FOUND[1]}</p></div></section>'
    )
    head = "<meta name='robots' content='noindex, follow' />\n"
    head += f"<title>Seite nicht gefunden - {SITE_NAME}</title>\n"
    return document(site, base, "404", head, main, "error404", Random(f"{site.seed}:404"))
