"""Offline mirror of The Moscow Times, for the demo and the tests.

A seeded, deterministic fake of the real site (URLs, markup, boilerplate and known quirks as
described in ``docs/moscowtimes-site.md``), served over HTTP from the standard library, with
the ground truth a perfect crawl should archive.

- ``site``: the articles and their ground truth (``build_site``, ``MirrorSite``)
- ``text``: seeded prose and its quirky HTML rendering; ``clean_text`` is the text contract
- ``boilerplate``: the site furniture, with the real site's wording
- ``templates``: HTML/XML of every page kind; ``routes``: path -> page
- ``server``: ``MirrorServer``; ``python -m newsarchive.mirror`` runs it from the shell
- ``faults``: ``FaultPlan``, deterministic misbehaviour for hostile-input tests
"""

from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.server import MirrorServer
from newsarchive.mirror.site import MirrorSite, build_site
from newsarchive.mirror.text import clean_text

__all__ = ["FaultPlan", "MirrorServer", "MirrorSite", "build_site", "clean_text"]
