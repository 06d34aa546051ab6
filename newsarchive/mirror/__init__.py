"""Offline mirror of The Moscow Times, for the demo and the tests.

A seeded, deterministic fake of the real site (URLs, markup, boilerplate and known quirks as
described in ``docs/moscowtimes-site.md``), served over HTTP from the standard library, with
the ground truth a perfect crawl should archive.

- ``moscowtimes``: the site itself (articles, prose, furniture, templates, routes)
- ``wordpress``: a second site, a German WordPress news site
- ``server``: ``MirrorServer``; ``python -m newsarchive.mirror`` runs it from the shell
- ``faults``: ``FaultPlan``, deterministic misbehaviour for hostile-input tests
"""

from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.moscowtimes.site import MirrorSite, build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.mirror.text import clean_text

__all__ = ["FaultPlan", "MirrorServer", "MirrorSite", "build_site", "clean_text"]
