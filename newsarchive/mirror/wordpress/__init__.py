"""Offline mirror of a German-language WordPress news site (Yoast SEO), for the tests.

A second mirror, of another shape than the Moscow Times one: a seeded, deterministic
"Lindenauer Rundschau" following ``docs/wordpress-news-site.md`` (permalinks
``/artikel/{ID}/{slug}/``, ``/kategorie/{slug}/page/{n}/`` pagination, Yoast head and JSON-LD
in UTC, bylines in naive Europe/Berlin time, Yoast sitemaps and a Google News sitemap, RSS and
Atom feeds, plugin boilerplate in German). Served by the shared ``MirrorServer``:

>>> with MirrorServer(build_wordpress_site(50)) as server:  # doctest: +SKIP
...     urlopen(server.base_url + "/kategorie/lokales/page/2/")

- ``site``: posts and ground truth (``build_wordpress_site``, ``WordPressSite``)
- ``text``: seeded German prose and its WordPress HTML rendering
- ``boilerplate``: plugin furniture with real German wording
- ``templates``: HTML/XML of every page kind; ``routes``: path -> page, ``page_class``
"""

from newsarchive.mirror.wordpress.site import WordPressSite, build_wordpress_site

__all__ = ["WordPressSite", "build_wordpress_site"]
