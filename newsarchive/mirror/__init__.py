"""Offline mirrors of news sites, for the demo and the tests.

Seeded, deterministic fakes of real sites (URLs, markup, boilerplate and known quirks),
served over HTTP from the standard library, with the ground truth a perfect crawl should
archive. Shared machinery here, one folder per site:

- ``server``: ``MirrorServer``; ``python -m newsarchive.mirror`` runs it from the shell
- ``faults``: ``FaultPlan``, deterministic misbehaviour for hostile-input tests
- ``site``: ``MirrorSite``, what every site is (clock, indexes, bodies, ``advance()``,
  ground truth); ``pages``: ``Page`` and the helpers routes build pages with
- ``text``: ``clean_text`` (the text contract) and the machinery of seeded prose
- ``registry``: the sites by name, ``build_site(..., site=name)``
- ``moscowtimes``: The Moscow Times (the default site)
- ``wordpress``: a German WordPress news site

Site folders import the shared modules; the shared modules import no site folder, but for
``registry.site_kind``, which does when asked.
"""

from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.registry import SITES, build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.mirror.site import MirrorSite
from newsarchive.mirror.text import clean_text

__all__ = ["SITES", "FaultPlan", "MirrorServer", "MirrorSite", "build_site", "clean_text"]
