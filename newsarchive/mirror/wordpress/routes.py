"""URL routing of the WordPress mirror: a request path -> a rendered ``Page``; ``page_class``
says which fault targets a path is, and ``PAGES`` hands both (and the boilerplate lines) to
the site's data model.

Routes (GET/HEAD; anything else is the theme's 404 page):

- ``/`` and ``/page/{n}/``: the blog home, 10 posts a page
- ``/artikel/{ID}/{slug}/``: a post; a wrong slug or a missing trailing slash is a 301 to
  the canonical URL, an unknown ID a 404
- ``/kategorie/{slug}/``, ``/tag/{slug}/``, ``/author/{nicename}/``, each with
  ``page/{n}/`` (``page/1/`` 301s to the first page; beyond the last page: 404)
- feeds: ``/feed/`` (RSS 2.0), ``/feed/atom/``, ``/kategorie/{slug}/feed/``, ``/tag/{slug}/feed/``
- Yoast sitemaps: ``/sitemap_index.xml`` (``/sitemap.xml`` 301s to it), ``/post-sitemap.xml``,
  ``/post-sitemap{n}.xml``, ``/category-sitemap.xml``, ``/post_tag-sitemap.xml``,
  ``/author-sitemap.xml``; News SEO ``/news-sitemap.xml``
- ``/robots.txt``
- any other path without a trailing slash that exists with one: 301 to it

The query string never reaches here (the server drops it), so the shortlink ``/?p={ID}`` is
the home page.
"""

from __future__ import annotations

import re
from functools import partial

from newsarchive.mirror import pages
from newsarchive.mirror.wordpress import templates as t
from newsarchive.mirror.wordpress.boilerplate import boilerplate_lines
from newsarchive.mirror.wordpress.site import CATEGORIES, Article, WordPressSite
from newsarchive.mirror.wordpress.text import slugify

RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=UTF-8"
XML = "text/xml; charset=UTF-8"

ARTICLE_PATH = re.compile(r"/artikel/(\d+)/([^/]+)/?")
ARCHIVE_PATH = re.compile(r"/(kategorie|tag|author)/([a-z0-9-]+)/(?:page/(\d+)/)?")
HOME_PAGE = re.compile(r"/page/(\d+)/")
TERM_FEED = re.compile(r"/(kategorie|tag)/([a-z0-9-]+)/feed/")
POST_SITEMAP = re.compile(r"/post-sitemap(\d*)\.xml")
LISTING = re.compile(r"/|/page/\d+/|/(kategorie|tag|author)/[a-z0-9-]+/(page/\d+/)?")


def page_class(path: str) -> str | None:
    """Which fault targets a path belongs to: article, listing, feed or None."""
    if ARTICLE_PATH.fullmatch(path):
        return "article"
    if path in ("/feed/", "/feed/atom/") or TERM_FEED.fullmatch(path) or path.endswith(".xml"):
        return "feed"
    if LISTING.fullmatch(path):
        return "listing"
    return None


def not_found(site: WordPressSite, base: str) -> pages.Page:
    return pages.missing(t.not_found(site, base))


def resolve(site: WordPressSite, base: str, path: str) -> pages.Page:
    """Render the page at ``path`` (no query string) for a server at ``base``."""
    with site.lock:
        page = _resolve(site, base, path)
        if (
            page.status == 404
            and not path.endswith("/")
            and "." not in path.rsplit("/", 1)[-1]
            and _resolve(site, base, path + "/").status == 200
        ):
            return pages.redirect(f"{base}{path}/")
        return page


def _resolve(site: WordPressSite, base: str, path: str) -> pages.Page:
    if path == "/robots.txt":
        return pages.Page(200, t.robots(base).encode(), pages.TEXT, kind="robots")
    if m := ARTICLE_PATH.fullmatch(path):
        render = partial(t.article_page, site, base)
        page = pages.article_route(site.get(int(m.group(1))), path, base, render, f"wp:{site.seed}")
        return not_found(site, base) if page is None else page
    if path == "/feed/":
        return _feed(t.rss(site, base, site.newest, f"{base}/feed/", site.name))
    if path == "/feed/atom/":
        return pages.Page(200, t.atom(site, base, site.newest).encode(), ATOM, kind="feed")
    if m := TERM_FEED.fullmatch(path):
        taxonomy, slug = m.groups()
        articles = site.by_section.get(slug) if taxonomy == "kategorie" else site.by_tag.get(slug)
        if not articles:
            return not_found(site, base)
        label = _label(site, taxonomy, slug, articles)
        title = f"{label} Archive - {site.name}"
        return _feed(t.rss(site, base, articles, f"{base}{path}", title))
    if path.endswith(".xml"):
        return _sitemap(site, base, path)
    if path == "/" or (m := HOME_PAGE.fullmatch(path)):
        number = 1 if path == "/" else int(m.group(1))
        if path == "/page/1/":
            return pages.redirect(f"{base}/")
        return _listing(site, base, f"{base}/", site.newest, number, "home blog", site.name)
    if m := ARCHIVE_PATH.fullmatch(path):
        taxonomy, slug, number = m.group(1), m.group(2), int(m.group(3) or 1)
        if m.group(3) == "1":
            return pages.redirect(f"{base}/{taxonomy}/{slug}/")
        if taxonomy == "kategorie":
            articles = site.by_section.get(slug) or []
            body_class = f"archive category category-{slug}"
            if number > 1:
                body_class += f" category-paged-{number}"
        elif taxonomy == "tag":
            articles = site.by_tag.get(slug) or []
            body_class = f"archive tag tag-{slug}"
        else:
            articles = site.by_author.get(slug) or []
            body_class = f"archive author author-{slug}"
        if not articles:
            return not_found(site, base)
        label = _label(site, taxonomy, slug, articles)
        feed = f"{base}/{taxonomy}/{slug}/feed/" if taxonomy != "author" else None
        root = f"{base}/{taxonomy}/{slug}/"
        return _listing(site, base, root, articles, number, body_class, label, feed)
    return not_found(site, base)


def _label(site: WordPressSite, taxonomy: str, slug: str, articles: list[Article]) -> str:
    if taxonomy == "kategorie":
        return CATEGORIES[slug][0]
    if taxonomy == "tag":
        return next(tag for tag in articles[0].tags if slugify(tag) == slug)
    return next(a.name for a in articles[0].authors if a.nicename == slug)


def _listing(
    site: WordPressSite,
    base: str,
    root: str,
    articles: list[Article],
    number: int,
    body_class: str,
    heading: str,
    feed: str | None = None,
) -> pages.Page:
    if number < 1 or number > t.page_count(articles):
        return not_found(site, base)
    return pages.html_page(
        t.listing_page(
            site,
            base,
            root=root,
            heading=heading,
            articles=articles,
            page=number,
            body_class=body_class,
            feed=feed,
        ),
        "listing",
    )


def _feed(xml: str) -> pages.Page:
    return pages.Page(200, xml.encode("utf-8"), RSS, kind="feed")


def _sitemap(site: WordPressSite, base: str, path: str) -> pages.Page:
    def xml(text: str) -> pages.Page:
        return pages.Page(
            200, text.encode("utf-8"), XML, {"X-Robots-Tag": "noindex, follow"}, "sitemap"
        )

    if path == "/sitemap.xml":
        return pages.redirect(f"{base}/sitemap_index.xml")
    if path == "/sitemap_index.xml":
        return xml(t.sitemap_index(site, base))
    if m := POST_SITEMAP.fullmatch(path):
        number = int(m.group(1) or 1)
        if m.group(1) != "1" and (text := t.post_sitemap(site, base, number)) is not None:
            return xml(text)
        return not_found(site, base)
    if path in ("/category-sitemap.xml", "/post_tag-sitemap.xml", "/author-sitemap.xml"):
        return xml(t.term_sitemap(site, base, path[1:].split("-sitemap")[0]))
    if path == "/news-sitemap.xml":
        return xml(t.news_sitemap(site, base))
    return not_found(site, base)


PAGES = pages.SitePages(resolve, page_class, boilerplate_lines)
"""The render side ``WordPressSite`` is handed (see ``newsarchive.mirror.wordpress``)."""
