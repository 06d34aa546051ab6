"""Offline mirror of The Moscow Times, for the demo and the tests.

A seeded, deterministic fake of the real site (URLs, markup, boilerplate and known quirks as
described in ``docs/moscowtimes-site.md``), served by the shared ``MirrorServer``:

>>> with MirrorServer(build_moscowtimes_site(50)) as server:  # doctest: +SKIP
...     urlopen(server.base_url + "/news")

Modules, each importing only those above it:

- ``text``: seeded English prose and its quirky HTML rendering
- ``site``: the articles (``MoscowTimesSite``), drawn by ``draw_site``
- ``boilerplate``: the site furniture, with the real site's wording
- ``templates``: HTML/XML of every page kind
- ``routes``: path -> page, ``page_class``, and ``PAGES``, the render side the site is handed
"""

from datetime import datetime

from newsarchive.mirror.moscowtimes.routes import PAGES
from newsarchive.mirror.moscowtimes.site import MoscowTimesSite, draw_site


def build_moscowtimes_site(
    articles: int = 300, seed: int = 1, now: datetime | None = None
) -> MoscowTimesSite:
    """A deterministic site for (articles, seed, now); ``now`` defaults to this UTC hour."""
    return draw_site(articles, seed, now, PAGES)


__all__ = ["PAGES", "MoscowTimesSite", "build_moscowtimes_site"]
