"""What every site's extractor returns: a listing of excerpts, or an article's raw fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Excerpt:
    """One article teaser on a section page."""

    url: str
    title: str | None


@dataclass
class Listing:
    """One section page or load-more fragment."""

    excerpts: list[Excerpt] = field(default_factory=list)
    more_url_template: str | None = None  # e.g. "https://site/news/{{offset}}"
    more_start: int | None = None
    more_step: int | None = None
    next_url: str | None = None  # the next page, where a site paginates by links


@dataclass
class ArticlePage:
    """What one article page yields before cleaning; ``problems`` are counted, not raised."""

    fields: dict[str, Any]
    problems: list[str]
