"""Offline mirror of a German-language WordPress news site (Yoast SEO), for the tests.

A second mirror, of another shape than the Moscow Times one: a seeded, deterministic
"Lindenauer Rundschau" following ``docs/wordpress-news-site.md`` (permalinks
``/artikel/{ID}/{slug}/``, ``/kategorie/{slug}/page/{n}/`` pagination, Yoast head and JSON-LD
in UTC, bylines in naive Europe/Berlin time, Yoast sitemaps and a Google News sitemap, RSS and
Atom feeds, plugin boilerplate in German). Served by the shared ``MirrorServer``:

>>> with MirrorServer(build_wordpress_site(50)) as server:  # doctest: +SKIP
...     urlopen(server.base_url + "/kategorie/lokales/page/2/")

Modules, each importing only those above it:

- ``text``: seeded German prose and its WordPress HTML rendering
- ``content``: what plugins and editors put inside ``post_content`` besides prose
- ``site``: posts (``WordPressSite``)
- ``boilerplate``: plugin furniture with real German wording
- ``templates``: HTML/XML of every page kind
- ``routes``: path -> page, ``page_class``, and ``PAGES``, the render side the site is handed
"""

from datetime import datetime

from newsarchive.mirror.wordpress.routes import PAGES
from newsarchive.mirror.wordpress.site import WordPressSite


def build_wordpress_site(
    articles: int = 300, seed: int = 1, now: datetime | None = None
) -> WordPressSite:
    """A deterministic site for (articles, seed, now); ``now`` defaults to this UTC hour.
    (``newsarchive.mirror.build_site(..., site="wordpress")`` is the same.)"""
    return WordPressSite.draw(articles, seed, now, PAGES)


__all__ = ["PAGES", "WordPressSite", "build_wordpress_site"]
