"""What a mirror's routes answer and the server sends: ``Page``, the helpers every site's
routes build pages with (HTML, redirects, the validators of conditional GET), and
``SitePages``, the render side a site folder hands its data model."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass
class Page:
    """A response before it is sent; ``kind`` tells the server (and fault plan) what it is."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "other"
    """article, section, fragment, listing, feed, sitemap, robots, redirect or missing."""
    article: object | None = None
    """The article an article page shows."""


def html_page(text: str, kind: str, article: object | None = None) -> Page:
    """A 200 HTML page."""
    return Page(200, text.encode("utf-8"), HTML, kind=kind, article=article)


def redirect(location: str) -> Page:
    """A permanent redirect, as the sites answer a non-canonical URL."""
    return Page(301, b"", HTML, {"Location": location}, kind="redirect")


def missing(html: str) -> Page:
    """A 404 with the site's own "not found" page."""
    return Page(404, html.encode("utf-8"), HTML, kind="missing")


def article_route(
    article: Any | None, path: str, base: str, render: Callable[[Any], str], etag_salt: str
) -> Page | None:
    """An article's page with its validators, or the redirect from another path of it to its
    canonical one; None when there is no such article (the site's 404).

    ``etag_salt`` names the site and seed in the ETag (``validators``), with the article's
    ID and version after it.
    """
    if article is None:
        return None
    if path != article.path:
        return redirect(base + article.path)
    page = html_page(render(article), "article", article)
    version = f"{etag_salt}:{article.id}:{article.version}"
    page.headers.update(validators(version, article.last_changed))
    return page


def http_date(moment: datetime) -> str:
    """RFC 9110 date, as in Last-Modified: ``Wed, 25 Feb 2026 09:30:00 GMT``."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def validators(key: str, last_changed: datetime) -> dict[str, str]:
    """ETag and Last-Modified of an article page.

    The ETag is weak and hashes ``key``, which names the article's own content (its version),
    not the sidebars around it: an unchanged article stays "not modified" while the site
    moves on.
    """
    digest = hashlib.sha1(key.encode()).hexdigest()
    return {"ETag": f'W/"{digest[:20]}"', "Last-Modified": http_date(last_changed)}


@dataclass(frozen=True)
class SitePages:
    """A site's render side, as its data model and the shared machinery call it.

    The site folder builds one from its routes and boilerplate and hands it to its
    ``MirrorSite``, so the data model renders pages without importing the modules that
    render them (they import it).
    """

    resolve: Callable[[Any, str, str], Page]
    """(site, base URL, path) -> the page, as the real site answers."""
    page_class: Callable[[str], str | None]
    """Path -> article, listing, feed or None: which faults may hit it (``FaultPlan``)."""
    boilerplate_lines: Callable[[Any], list[str]]
    """Site -> every furniture line its pages can show, as clean text (ground truth)."""
