"""URL routing of the Moscow Times mirror: a request path -> a rendered ``Page``, as the real
site answers; ``page_class`` says which fault targets a path is, and ``PAGES`` hands both (and
the boilerplate lines) to the site's data model.

Routes (all GET/HEAD; everything else is a 404 page):

- ``/robots.txt``
- ``/{section}`` (first 19 excerpts) and ``/{section}/{offset}`` (bare fragment of 18, or
  whitespace once exhausted); ``/in-depth`` redirects (301) to ``/features``
- ``/{YYYY}/{MM}/{DD}/{slug}-a{ID}``: the article; any other date or slug of a known ID is a
  301 to the canonical URL, an unknown ID a 404
- ``/tag/{slug}`` (20 a page) and ``/tag/{slug}/{offset}``; ``/author/{slug}`` (latest 100)
- ``/rss/all`` and the documented ``/rss/{name}`` feeds (``templates.RSS_FEEDS``)
- ``/sitemap/sitemap.xml`` (index), ``/sitemap/{YYYY}-{M}.xml``, ``/sitemap/newsmap.xml``
- a trailing slash redirects (301) to the path without it
"""

from __future__ import annotations

import re
from functools import partial

from newsarchive.mirror import pages
from newsarchive.mirror.moscowtimes import templates as t
from newsarchive.mirror.moscowtimes.boilerplate import boilerplate_lines
from newsarchive.mirror.moscowtimes.site import SECTIONS, MoscowTimesSite
from newsarchive.mirror.moscowtimes.text import slugify

RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"

ARTICLE_PATH = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/(.*)-a(\d+)")
SECTION_PATH = re.compile(r"/([a-z-]+)(?:/(\d+))?")
TAG_PATH = re.compile(r"/tag/([a-z0-9-]+)(?:/(\d+))?")
AUTHOR_PATH = re.compile(r"/author/([a-z0-9-]+)")
SITEMAP_MONTH = re.compile(r"/sitemap/(\d{4})-([1-9]|1[0-2])\.xml")


def page_class(path: str) -> str | None:
    """Which fault targets a path belongs to: article, listing, feed or None (see
    ``newsarchive.mirror.faults``)."""
    if ARTICLE_PATH.fullmatch(path):
        return "article"
    if path.startswith(("/rss/", "/sitemap/")):
        return "feed"
    if path == "/robots.txt" or path.startswith("/__mirror__/"):
        return None
    if re.fullmatch(r"/[a-z-]+(/\d+)?|/(tag|author)/[a-z0-9-]+(/\d+)?", path):
        return "listing"
    return None


def not_found(base: str) -> pages.Page:
    return pages.missing(t.not_found(base))


def resolve(site: MoscowTimesSite, base: str, path: str) -> pages.Page:
    """Render the page at ``path`` (no query string) for a server at ``base``."""
    with site.lock:
        return _resolve(site, base, path)


def _resolve(site: MoscowTimesSite, base: str, path: str) -> pages.Page:
    if len(path) > 1 and path.endswith("/"):
        return pages.redirect(base + path.rstrip("/"))
    if path == "/robots.txt":
        return pages.Page(200, t.robots(base).encode(), pages.TEXT, kind="robots")
    if m := ARTICLE_PATH.fullmatch(path):
        render = partial(t.article_page, site, base)
        page = pages.article_route(site.get(int(m.group(5))), path, base, render, str(site.seed))
        return not_found(base) if page is None else page
    if path.startswith("/rss/"):
        feed = path.removeprefix("/rss/")
        if feed == "all" or feed in t.RSS_FEEDS:
            return pages.Page(200, t.rss(site, base, feed).encode(), RSS, kind="feed")
        return not_found(base)
    if path.startswith("/sitemap/"):
        return _sitemap(site, base, path)
    if m := TAG_PATH.fullmatch(path):
        articles = site.by_tag.get(m.group(1))
        if not articles:
            return not_found(base)
        if m.group(2) is not None:
            offset = int(m.group(2))
            chunk = articles[offset : offset + t.TAG_PAGE_SIZE]
            return pages.html_page(t.fragment(site, base, chunk), "fragment")
        label = next(tag for tag in articles[0].tags if slugify(tag) == m.group(1))
        page = t.listing_page(
            site,
            base,
            label=label,
            articles=articles[: t.TAG_PAGE_SIZE],
            more_url=f"{base}/tag/{m.group(1)}/{{{{offset}}}}",
            step=t.TAG_PAGE_SIZE,
            exclude="",
            title=label,
        )
        return pages.html_page(page, "listing")
    if m := AUTHOR_PATH.fullmatch(path):
        articles = site.by_author.get(m.group(1))
        if not articles:
            return not_found(base)
        name = next(n for n in articles[0].authors if slugify(n) == m.group(1))
        page = t.listing_page(
            site,
            base,
            label=name,
            articles=articles[:100],
            more_url=None,
            step=0,
            exclude="",
            title=name,
        )
        return pages.html_page(page, "listing")
    if path == "/in-depth":
        return pages.redirect(f"{base}/features")
    if (
        (m := SECTION_PATH.fullmatch(path))
        and m.group(1) in SECTIONS
        and m.group(1) not in site.gone_sections
    ):
        section = m.group(1)
        if m.group(2) is None:
            return pages.html_page(t.section_page(site, base, section), "section")
        offset = int(m.group(2))
        chunk = site.by_section[section][offset : offset + t.PAGE_SIZE]
        return pages.html_page(t.fragment(site, base, chunk), "fragment")
    return not_found(base)


def _sitemap(site: MoscowTimesSite, base: str, path: str) -> pages.Page:
    if path == "/sitemap/sitemap.xml":
        return pages.Page(200, t.sitemap_index(site, base).encode(), XML, kind="sitemap")
    if path == "/sitemap/newsmap.xml":
        return pages.Page(200, t.newsmap(site, base).encode(), XML, kind="sitemap")
    if m := SITEMAP_MONTH.fullmatch(path):
        xml = t.sitemap_month(site, base, int(m.group(1)), int(m.group(2)))
        if xml is not None:
            return pages.Page(200, xml.encode(), XML, kind="sitemap")
    return not_found(base)


PAGES = pages.SitePages(resolve, page_class, boilerplate_lines)
"""The render side ``MoscowTimesSite`` is handed (see ``newsarchive.mirror.moscowtimes``)."""
