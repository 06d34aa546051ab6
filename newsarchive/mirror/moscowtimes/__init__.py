"""Offline mirror of The Moscow Times, for the demo and the tests.

A seeded, deterministic fake of the real site (URLs, markup, boilerplate and known quirks as
described in ``docs/moscowtimes-site.md``), served by the shared ``MirrorServer``.

- ``site``: the articles and their ground truth (``build_site``, ``MirrorSite``)
- ``text``: seeded prose and its quirky HTML rendering
- ``boilerplate``: the site furniture, with the real site's wording
- ``templates``: HTML/XML of every page kind; ``routes``: path -> page
"""
