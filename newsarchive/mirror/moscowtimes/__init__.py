"""Offline mirror of The Moscow Times, for the demo and the tests.

A seeded, deterministic fake of the real site (URLs, markup, boilerplate and known quirks as
described in ``docs/moscowtimes-site.md``), the default site of ``newsarchive.mirror``:

>>> with MirrorServer(build_site(50)) as server:  # doctest: +SKIP
...     urlopen(server.base_url + "/news")

Modules, each importing only those above it:

- ``text``: seeded English prose and its quirky HTML rendering
- ``site``: the articles (``MoscowTimesSite``)
- ``boilerplate``: the site furniture, with the real site's wording
- ``templates``: HTML/XML of every page kind
- ``routes``: path -> page, ``page_class``, and ``PAGES``, the render side the site is handed
"""

from newsarchive.mirror.moscowtimes.routes import PAGES
from newsarchive.mirror.moscowtimes.site import MoscowTimesSite

__all__ = ["PAGES", "MoscowTimesSite"]
