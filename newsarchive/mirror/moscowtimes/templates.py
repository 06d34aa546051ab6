"""HTML and XML of every page kind, built with f-strings on the selectors of the real site.

Every function takes the base URL the server runs at: all links are absolute on it. Stored
body HTML holds ``site.BASE`` placeholders, replaced here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from random import Random

from newsarchive.mirror.moscowtimes import boilerplate as bp
from newsarchive.mirror.moscowtimes.site import (
    BASE,
    SECTIONS,
    Article,
    MoscowTimesSite,
    moscow_offset,
)
from newsarchive.mirror.moscowtimes.text import render_inline, slugify
from newsarchive.mirror.pages import http_date
from newsarchive.mirror.text import escape

PAGE_SIZE = 18
FIRST_PAGE = 19
TAG_PAGE_SIZE = 20
RSS_FEEDS: dict[str, tuple[str, ...]] = {
    "news": ("news",),
    "opinion": ("opinion",),
    "city": (),
    "meanwhile": ("meanwhile",),
    "podcasts": (),
    "in-depth": ("features",),
    "arts-and-life": ("arts-and-life",),
}
"""The site's feeds at ``/rss/{name}`` (as documented; none for business or ukraine-war) and
the mirror sections each one carries (city and podcasts: none here, so their feeds are empty)."""
# fmt: off
AP_MONTHS = (
    "Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.",
    "Dec.",
)
# fmt: on


# --- small helpers ---------------------------------------------------------------------------


def stamp(moment: datetime, offset_hours: int) -> str:
    """ISO 8601 in the page's offset, e.g. ``2026-02-25T09:30:00+03:00``."""
    tz = timezone(timedelta(hours=offset_hours))
    return moment.astimezone(tz).isoformat(timespec="seconds")


def byline_date(moment: datetime) -> str:
    """Visible byline date in Moscow time, AP style: ``Feb. 25, 2026``."""
    local = moment + timedelta(hours=moscow_offset(moment))
    return f"{AP_MONTHS[local.month - 1]} {local.day}, {local.year}"


def ld_json(data: object) -> str:
    """JSON as the site's PHP emits it: ASCII only, every slash escaped."""
    return json.dumps(data, ensure_ascii=True, indent=None).replace("/", "\\/")


def section_of(article: Article) -> str:
    """The site bug: ``articleSection`` and friends only ever say news or ukraine_war."""
    return "ukraine_war" if article.section == "ukraine-war" else "news"


def _layout(article: Article) -> Random:
    return Random(article.layout)


# --- shared page parts -----------------------------------------------------------------------


def document(base: str, title: str, head: str, body: str, body_class: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<link rel="stylesheet" href="{base}/css/app.css?v=4.1.2">\n'
        f'<link rel="alternate" type="application/rss+xml" title="News" href="{base}/rss/news">\n'
        f'{head}</head>\n<body class="{body_class}">\n{body}\n'
        f'<script src="{base}/js/app.js?v=4.1.2" defer></script>\n</body>\n</html>\n'
    )


def site_header(base: str) -> str:
    links = "".join(
        f'<li class="nav__item"><a class="nav__link" href="{base}/{slug}">{label}</a></li>'
        for slug, (label, _) in SECTIONS.items()
    )
    return (
        f'<header class="site-header"><a class="site-header__logo" href="{base}/news">'
        f'<img src="{base}/img/logo.svg" alt="{bp.SITE_NAME}"></a>'
        f'<nav class="nav"><ul class="nav__list">{links}</ul></nav>{bp.teaser(base)}</header>'
    )


def site_footer(base: str) -> str:
    links = "".join(
        f'<li><a href="{base}/page/{slugify(label)}">{label}</a></li>' for label in bp.FOOTER_LINKS
    )
    return (
        f'<footer class="site-footer"><ul class="site-footer__links">{links}</ul>'
        f'<p class="site-footer__copyright">{bp.COPYRIGHT}</p></footer>'
    )


def sidebar(site: MoscowTimesSite, base: str, exclude: str, salt: str) -> str:
    """ "Most read" and "Just in": links to articles of sections other than ``exclude``."""
    others = [a for a in site.newest[:300] if a.section != exclude]
    just_in = others[:6]
    rng = Random(f"{site.seed}:{site.generation}:mostread:{salt}")
    most_read = rng.sample(others[:120], min(5, len(others[:120])))

    def items(articles: list[Article]) -> str:
        return "".join(
            f'<li class="sidebar__item"><a href="{base}{a.path}">{escape(a.title)}</a></li>'
            for a in articles
        )

    return (
        '<aside class="sidebar"><div class="sidebar__block">'
        f'<h3 class="sidebar__label">{bp.MOST_READ}</h3><ol>{items(most_read)}</ol></div>'
        f'<div class="sidebar__block"><h3 class="sidebar__label">{bp.JUST_IN}</h3>'
        f"<ul>{items(just_in)}</ul></div></aside>"
    )


def teaser_text(site: MoscowTimesSite, article: Article) -> str:
    return article.subtitle or site.first_sentence(article)


def excerpt(site: MoscowTimesSite, base: str, article: Article, kind: str = "default") -> str:
    """One ``div.article-excerpt-{kind}``; kind ``default`` comes in its column wrapper."""
    url = f"{base}{article.path}"
    title = escape(article.title)
    image = (
        f'<div class="article-excerpt-{kind}__image-wrapper"><img '
        f'class="article-excerpt-{kind}__image" src="{base}{article.image.path}" alt=""></div>'
        if article.image
        else ""
    )
    label = (
        '<span class="label label--opinion">Opinion</span>' if article.section == "opinion" else ""
    )
    level = "h2" if kind == "lead" else "h3"
    html = (
        f'<div class="article-excerpt-{kind}" data-url="{url}" data-title="{title}">'
        f'<a class="article-excerpt-{kind}__link" href="{url}" title="{title}">{image}'
        f'<div class="article-excerpt-{kind}__content">{label}'
        f'<{level} class="article-excerpt-{kind}__headline">{title}</{level}>'
        f'<div class="article-excerpt-{kind}__teaser">{escape(teaser_text(site, article))}</div>'
        f'<div class="readtime">{site.read_minutes(article)} Min read</div></div></a></div>'
    )
    if kind == "default":
        return f'<div class="col-4 col-12-md col-4-sm">{html}</div>'
    return f'<div class="col-12">{html}</div>'


# --- listings --------------------------------------------------------------------------------


def listing_page(
    site: MoscowTimesSite,
    base: str,
    *,
    label: str,
    articles: list[Article],
    more_url: str | None,
    step: int,
    exclude: str,
    title: str,
) -> str:
    """A section-like page: cluster label, lead excerpt, excerpts, load-more button, sidebar."""
    lead, rest = articles[:1], articles[1:]
    items = "".join(excerpt(site, base, a, "lead") for a in lead)
    items += "\n".join(excerpt(site, base, a) for a in rest)
    more = (
        f'<div class="cluster__more"><div y-use="More" class="button button--more" '
        f'data-url="{more_url}" data-start="{len(articles)}" data-step="{step}">'
        f"{bp.VIEW_MORE}</div></div>"
        if more_url
        else ""
    )
    body = (
        f'{site_header(base)}\n<main class="container"><div class="row">'
        f'<div class="col-8 col-12-md"><section class="cluster cluster--section-articles">'
        f'<h1 class="cluster__label">{escape(label)}</h1><div class="row">\n{items}\n</div>'
        f'{more}</section></div><div class="col-4 col-12-md">'
        f"{sidebar(site, base, exclude, label)}</div></div></main>\n"
        f"{bp.modal(base)}{bp.bar(base)}{site_footer(base)}"
    )
    head = f'<meta name="description" content="{escape(label)} - {bp.SITE_NAME}">\n'
    return document(base, f"{title} - {bp.SITE_NAME}", head, body, "section-page")


def section_page(site: MoscowTimesSite, base: str, section: str) -> str:
    label = "Latest articles" if section == "news" else SECTIONS[section][0]
    return listing_page(
        site,
        base,
        label=label,
        articles=site.by_section[section][:FIRST_PAGE],
        more_url=f"{base}/{section}/{{{{offset}}}}",
        step=PAGE_SIZE,
        exclude=section,
        title=SECTIONS[section][0],
    )


def fragment(site: MoscowTimesSite, base: str, articles: list[Article]) -> str:
    """A load-more answer: bare excerpts, no html/head; whitespace once exhausted."""
    if not articles:
        return "\n"
    return "\n".join(excerpt(site, base, a) for a in articles) + "\n"


# --- the article page ------------------------------------------------------------------------


def article_head(site: MoscowTimesSite, base: str, a: Article) -> str:
    url = f"{base}{a.path}"
    description = site.first_sentence(a)
    if a.section == "opinion":
        description = "Opinion | " + description
    first_author = a.authors[0] if a.authors else bp.SITE_NAME
    keywords = ", ".join(a.tags)
    published = stamp(a.published, a.offset)
    modified = stamp(a.modified, a.offset) if a.modified else None
    meta = [
        f'<link rel="canonical" href="{url}">',
        f'<meta name="description" content="{escape(description)}">',
        f'<meta name="keywords" content="{escape(keywords)}">',
        f'<meta name="news_keywords" content="{escape(keywords)}">',
        f'<meta name="author" content="{escape(first_author)}">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:title" content="{escape(a.title)}">',
        f'<meta property="og:description" content="{escape(description)}">',
    ]
    if a.image:
        meta.append(f'<meta property="og:image" content="{base}{a.image.path}">')
    meta += [
        f'<meta property="og:site_name" content="{bp.SITE_NAME}">',
        f'<meta property="article:published_time" content="{published}">',
    ]
    if modified:
        meta.append(f'<meta property="article:modified_time" content="{modified}">')
    meta.append(f'<meta property="article:section" content="{section_of(a)}">')
    meta += [f'<meta property="article:tag" content="{escape(t)}">' for t in a.tags]
    meta += [
        f'<meta property="article:author" content="{escape(first_author)}">',
        f'<meta property="article:content_tier" content="{"free" if a.free else "locked"}">',
        '<meta name="twitter:card" content="summary_large_image">',
        '<meta name="twitter:site" content="@MoscowTimes">',
    ]
    if site.redesigned:  # the relaunch's slimmer head: no keywords, tags or author
        meta = [m for m in meta if not _REDESIGN_DROPS.search(m)]
    return "\n".join(meta) + "\n" + json_ld(site, base, a, description) + "\n"


_REDESIGN_DROPS = re.compile(
    r'(name|property)="(keywords|news_keywords|author|article:tag|article:author)"'
)


def json_ld(site: MoscowTimesSite, base: str, a: Article, description: str) -> str:
    """The three ld+json blocks: page metadata, the organization, and the invalid WebSite."""
    url = f"{base}{a.path}"
    if a.authors and not site.redesigned:
        author = {
            "@type": "Person",
            "name": a.authors[0],
            "url": f"{base}/author/{slugify(a.authors[0])}",
        }
    else:
        author = {"@type": "Organization", "name": bp.SITE_NAME, "url": f"{base}/"}
    article: dict[str, object] = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": a.title,
        "description": description,
        "datePublished": stamp(a.published, a.offset),
    }
    if a.modified:
        article["dateModified"] = stamp(a.modified, a.offset)
    article |= {
        "dateCreated": stamp(a.created, a.offset),
        "articleSection": section_of(a),
        "isAccessibleForFree": a.free,
        "inLanguage": "en",
        "author": author,
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": bp.SITE_NAME,
            "logo": {"@type": "ImageObject", "url": f"{base}/img/logo-1200.png"},
        },
    }
    if not site.redesigned:
        article["keywords"] = ", ".join(a.tags)
    if a.image:
        article["image"] = {"@type": "ImageObject", "url": f"{base}{a.image.path}"}
    crumbs = {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{base}/"},
            {
                "@type": "ListItem",
                "position": 2,
                "name": SECTIONS[a.section][0],
                "item": f"{base}/{a.section}",
            },
            {"@type": "ListItem", "position": 3, "name": a.title, "item": url},
        ],
    }
    context = "https://schema.org"
    if _layout(a).random() < 0.6:
        metadata: object = {"@context": context, "@graph": [article, crumbs]}
    else:
        metadata = [{"@context": context, **article}, {"@context": context, **crumbs}]
    organization = {
        "@context": context,
        "@type": "NewsMediaOrganization",
        "name": bp.SITE_NAME,
        "url": f"{base}/",
        "logo": f"{base}/img/logo-1200.png",
        "sameAs": ["https://www.facebook.com/MoscowTimes", "https://x.com/MoscowTimes"],
    }
    escaped_home = f"{base}/".replace("/", "\\/")
    website = (  # the trailing comma is the real site's: this block is invalid JSON
        "{\n"
        '  "@context": "https:\\/\\/schema.org",\n'
        '  "@type": "WebSite",\n'
        f'  "url": "{escaped_home}",\n'
        '  "name": "The Moscow Times",\n'
        "}"
    )
    return (
        '<script type="application/ld+json" data-json-ld-for-pagemetadata>'
        f"{ld_json(metadata)}</script>\n"
        f'<script type="application/ld+json">{ld_json(organization)}</script>\n'
        f'<script type="application/ld+json">{website}</script>'
    )


def byline(a: Article, base: str, redesigned: bool = False) -> str:
    if redesigned:
        return redesigned_byline(a, base)
    names = [
        f'<a class="byline__author__name" href="{base}/author/{slugify(n)}">{escape(n)}</a>'
        for n in a.authors
    ]
    authors = ""
    if names:
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        authors = f'<div class="byline__author">By {joined}</div>'
    if a.modified and a.modified - a.published > timedelta(minutes=10):
        when = (
            f'<time class="byline__datetime" datetime="{stamp(a.modified, a.offset)}">'
            f"Updated: {byline_date(a.modified)}</time>"
        )
    else:
        when = (
            f'<time class="byline__datetime" datetime="{stamp(a.published, a.offset)}">'
            f"{byline_date(a.published)}</time>"
        )
    return (
        '<div class="article__byline byline">'
        f'<div class="byline__details">{authors}{when}</div></div>'
    )


def redesigned_byline(a: Article, base: str) -> str:
    """The relaunch's byline: new class names throughout."""
    names = ", ".join(
        f'<a class="article-meta__author" href="{base}/author/{slugify(n)}">{escape(n)}</a>'
        for n in a.authors
    )
    when = a.modified if a.modified and a.modified - a.published > timedelta(minutes=10) else None
    moment = when or a.published
    return (
        f'<div class="article-meta"><span class="article-meta__authors">{names}</span>'
        f'<time class="article-meta__date" datetime="{stamp(moment, a.offset)}">'
        f"{'Updated: ' if when else ''}{byline_date(moment)}</time></div>"
    )


def article_content(site: MoscowTimesSite, base: str, a: Article) -> str:
    """``div.article__content``: the blocks, the ad slot after the second one."""
    blocks = site.body(a).blocks
    parts = []
    for i, block in enumerate(blocks):
        parts.append(
            f'<div class="article__block article__block--{block.kind}">'
            f"{block.html.replace(BASE, base)}</div>"
        )
        if i == 1 or (i == 0 and len(blocks) == 1):
            parts.append(bp.ad_slot())
    return "\n".join(parts)


def article_page(site: MoscowTimesSite, base: str, a: Article) -> str:
    """The full article page, boilerplate placed per the article's layout seed."""
    rng = _layout(a)
    popup_at = rng.choice(("body", "main"))
    popup = bp.popup(base, rng.randrange(2))
    message_at = rng.choice(("container", "article", "outside"))
    message = bp.message(base, rng.randrange(2))
    newsletter_at = rng.choice(("content", "article", "outside"))
    newsletter = bp.newsletter(base, rng.randrange(3))
    url = f"{base}{a.path}"

    label = (
        '<span class="label article__label label--opinion">Opinion</span>'
        if a.section == "opinion"
        else ""
    )
    subtitle = escape(a.subtitle) if a.subtitle else rng.choice(("", " ", "\n"))
    header = (
        f'<header class="article__header">{label}<h1><a href="{url}">{escape(a.title)}</a></h1>'
        f"<h2>{subtitle}</h2></header>"
    )
    intro = ""
    if a.lead:
        intro = f'<div class="article__intro"><p>{render_inline(a.lead, rng)}</p></div>'
    figure = ""
    if a.image:
        caption = escape(a.image.caption) if a.image.caption else ""
        figure = (
            f'<figure class="article__featured-image"><img src="{base}{a.image.path}" '
            f'alt="{caption}"><figcaption>'
            f'<span class="article__featured-image__caption">{caption}</span> '
            f'<span class="article__featured-image__credits">{escape(a.image.credits)}</span>'
            "</figcaption></figure>"
        )
    content = article_content(site, base, a)
    if newsletter_at == "content":
        content += f'\n<div class="article__block article__block--newsletter">{newsletter}</div>'
    container = (
        f'<div class="article__content-container"><div class="article__content">\n{content}\n</div>'
    )
    if message_at == "container":
        container += message
    container += "</div>"
    tail = []
    if message_at == "article":
        tail.append(message)
    if a.section == "opinion":
        tail.append(bp.disclaimer())
    if a.tags and not site.redesigned:
        tags = "".join(
            f'<a class="tag article__tags__tag" href="{base}/tag/{slugify(t)}">{escape(t)}</a>'
            for t in a.tags
        )
        tail.append(f'<div class="article__tags">{bp.READ_MORE_ABOUT} {tags}</div>')
    tail.append(bp.banner(base, 2019 <= a.local_published.year <= 2022))
    if newsletter_at == "article":
        tail.append(newsletter)
    article = (
        f'<article class="article article--{section_of(a)}" data-id="{a.id}">'
        f"{header}{byline(a, base, site.redesigned)}{intro}{figure}\n{container}\n"
        + "\n".join(tail)
        + "</article>"
    )
    outside = []
    if a.tags and site.redesigned:  # the relaunch moved the tags under the article
        topics = "".join(
            f'<li><a class="topics__link" href="{base}/tag/{slugify(t)}">{escape(t)}</a></li>'
            for t in a.tags
        )
        outside.append(f'<aside class="topics"><h3>Topics</h3><ul>{topics}</ul></aside>')
    if message_at == "outside":
        outside.append(message)
    if newsletter_at == "outside":
        outside.append(newsletter)
    related = Random(f"{site.seed}:related:{a.id}").sample(
        [o for o in site.newest[:200] if o.id != a.id], min(4, len(site.newest) - 1)
    )
    cluster = (
        f'<section class="cluster"><h2 class="cluster__label">{bp.READ_MORE}</h2><div class="row">'
        + "".join(excerpt(site, base, o) for o in related)
        + "</div></section>"
    )
    main = (
        f'<main class="container">{popup if popup_at == "main" else ""}<div class="row">'
        f'<div class="col-8 col-12-md">{article}\n{"".join(outside)}\n{cluster}'
        f'<div id="load-next-article" data-url="{base}/all/{a.id}"></div></div>'
        f'<div class="col-4 col-12-md">{sidebar(site, base, a.section, str(a.id))}</div>'
        "</div></main>"
    )
    body = (
        f"{popup if popup_at == 'body' else ''}{site_header(base)}\n{main}\n"
        f"{bp.modal(base)}{bp.bar(base)}{site_footer(base)}"
    )
    return document(
        base, f"{a.title} - {bp.SITE_NAME}", article_head(site, base, a), body, "article-page"
    )


# --- feeds, sitemaps, robots -----------------------------------------------------------------


def rss(site: MoscowTimesSite, base: str, feed: str) -> str:
    """RSS 2.0, 50 newest; ``all`` carries the body HTML in CDATA."""
    if feed == "all":
        articles = site.newest
    else:
        carried = {a.id for s in RSS_FEEDS[feed] for a in site.by_section[s]}
        articles = [a for a in site.newest if a.id in carried]
    items = []
    for a in articles[:50]:
        url = f"{base}{a.path}"
        text = article_content(site, base, a) if feed == "all" else escape(teaser_text(site, a))
        creator = f"<dc:creator>{escape(', '.join(a.authors))}</dc:creator>" if a.authors else ""
        enclosure = (
            f'<enclosure url="{base}{a.image.path}" type="image/jpeg" length="0"/>'
            if a.image
            else ""
        )
        msk = timezone(timedelta(hours=moscow_offset(a.published)))
        items.append(
            f"<item><title>{escape(a.title)}</title><link>{url}</link>"
            f'<guid isPermaLink="true">{url}</guid>'
            f"<pubDate>{format_datetime(a.published.astimezone(msk))}</pubDate>{creator}"
            f"<category>{SECTIONS[a.section][0]}</category>"
            f"<description><![CDATA[{text}]]></description>{enclosure}</item>"
        )
    title = "All" if feed == "all" else feed.replace("-", " ").title()
    home = "news" if feed == "all" else feed
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{bp.SITE_NAME} - {title}</title>\n<link>{base}/{home}</link>\n"
        "<description>Independent news from Russia</description>\n<language>en</language>\n"
        f"<lastBuildDate>{http_date(site.now)}</lastBuildDate>\n"
        f'<atom:link href="{base}/rss/{feed}" rel="self" type="application/rss+xml"/>\n'
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def sitemap_months(site: MoscowTimesSite) -> list[tuple[int, int]]:
    """(year, month) of every month with articles, newest first (Moscow dates, as URLs)."""
    months = {(a.local_published.year, a.local_published.month) for a in site.newest}
    return sorted(months, reverse=True)


def sitemap_index(site: MoscowTimesSite, base: str) -> str:
    entries = "".join(
        f"<sitemap><loc>{base}/sitemap/{y}-{m}.xml</loc></sitemap>\n"
        for y, m in sitemap_months(site)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</sitemapindex>\n"
    )


def sitemap_month(site: MoscowTimesSite, base: str, year: int, month: int) -> str | None:
    articles = [
        a for a in site.newest if (a.local_published.year, a.local_published.month) == (year, month)
    ]
    if not articles:
        return None
    urls = "".join(f"<url><loc>{base}{a.path}</loc></url>\n" for a in articles)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )


def newsmap(site: MoscowTimesSite, base: str) -> str:
    """Google News sitemap: the last 30 days, with publication dates."""
    since = site.now - timedelta(days=30)
    urls = "".join(
        f"<url><loc>{base}{a.path}</loc><news:news><news:publication>"
        f"<news:name>{bp.SITE_NAME}</news:name><news:language>en</news:language>"
        f"</news:publication><news:publication_date>{stamp(a.published, a.offset)}"
        f"</news:publication_date><news:title>{escape(a.title)}</news:title></news:news></url>\n"
        for a in site.newest
        if a.published >= since
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{urls}</urlset>\n"
    )


def robots(base: str) -> str:
    return (
        "User-agent: *\nDisallow: /preview/\nDisallow: /search/\nDisallow: *?utm\n"
        f"Disallow: *&utm\nDisallow: /__mirror__/\n\nSitemap: {base}/sitemap/sitemap.xml\n"
    )


def not_found(base: str) -> str:
    body = (
        f'{site_header(base)}<main class="container"><h1>Page not found</h1>'
        "<p>The page you are looking for does not exist.</p></main>"
    )
    return document(base, f"Page not found - {bp.SITE_NAME}", "", body, "error-page")
