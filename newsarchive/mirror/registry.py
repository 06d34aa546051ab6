"""The mirrored sites by name: the one place where the shared machinery reaches into a site
folder.

``site_kind`` imports a site folder when asked, not when this module loads: the shared
modules (server, faults, CLI) load no site, and no import cycle can run through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsarchive.mirror.pages import SitePages
from newsarchive.mirror.site import MirrorSite

SITES = ("moscowtimes", "wordpress")
DEFAULT_SITE = "moscowtimes"


@dataclass(frozen=True)
class SiteKind:
    """A site folder as the shared machinery sees it."""

    name: str
    site_class: type[MirrorSite[Any]]
    pages: SitePages
    """What renders the site (``site_class.draw`` hands it to a new one)."""


def site_kind(name: str) -> SiteKind:
    """The site folder called ``name`` (one of ``SITES``)."""
    if name == "moscowtimes":
        from newsarchive.mirror.moscowtimes import PAGES
        from newsarchive.mirror.moscowtimes import MoscowTimesSite as site_class
    elif name == "wordpress":
        from newsarchive.mirror.wordpress import PAGES
        from newsarchive.mirror.wordpress import WordPressSite as site_class
    else:
        raise ValueError(f"no mirrored site {name!r} (there are: {', '.join(SITES)})")
    return SiteKind(name, site_class, PAGES)


def build_site(
    articles: int = 300, seed: int = 1, now: datetime | None = None, *, site: str = DEFAULT_SITE
) -> MirrorSite[Any]:
    """A deterministic mirror of ``site`` for (articles, seed, now); ``now`` defaults to this
    UTC hour."""
    kind = site_kind(site)
    return kind.site_class.draw(articles, seed, now, kind.pages)
