"""Site profiles: a news site described by class attributes, with no parsing code of its own.

A profile names the site's sections and where they live, how its article URLs look (and
where the article ID sits in them), its time zone, its boilerplate rules and its
``PageLayout``: where the listing's links, the next page and the article body are, plus
selectors for the few fields its structured data gets wrong. Everything else (structured
data, pagination, the state, the pipelines, the archive) is shared::

    class ExampleSpider(ProfileSpider):
        name = site = "example"
        default_base_url = "https://www.example.org"
        sections = ("politik", "kultur")
        section_path = "/kategorie/{section}/"
        article_path = r"/\\d{4}/\\d{2}/\\d{2}/[^/]+-(?P<id>\\d+)/$"
        local_timezone = "Europe/Berlin"
        layout = PageLayout(body="div.entry-content", listing_scope="main")
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.http import Response

from newsarchive.extract import generic
from newsarchive.extract.base import ArticlePage, Listing
from newsarchive.spiders.base import SectionSpider


class ProfileSpider(SectionSpider):
    """A ``SectionSpider`` whose site is declared, not programmed."""

    pagination = "next_link"
    section_path: ClassVar[str] = "/category/{section}/"
    """A section's first listing page, relative to the base URL."""
    article_path: ClassVar[str]
    """Regex searched in an article URL's path; its group ``id`` is the article ID."""
    layout: ClassVar[generic.PageLayout]
    feed_path: ClassVar[str] = "/feed/"
    """The site feed (``feeds`` names the feeds: ``all`` is this one, any other name a
    section's feed at ``{section_path}feed/``)."""
    sitemap_path: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._article_re = re.compile(self.article_path)

    def section_url(self, section: str) -> str:
        return self.base_url + self.section_path.format(section=section)

    def feed_url(self, feed: str) -> str:
        if feed == "all":
            return self.base_url + self.feed_path
        return self.section_url(feed).rstrip("/") + "/feed/"

    def sitemap_index_url(self) -> str | None:
        return self.base_url + self.sitemap_path if self.sitemap_path else None

    def article_id(self, url: str) -> str | None:
        """The article ID in an URL of this site (None: another site, or not an article)."""
        if not self.allowed_url(url):
            return None
        match = self._article_re.search(urlsplit(url).path)
        return match.group("id") if match else None

    def parse_listing_page(self, response: Response) -> Listing:
        return generic.parse_listing(response.text, response.url, self.layout, self.article_id)

    def parse_article_page(self, response: Response, section: str | None) -> ArticlePage | None:
        return generic.parse_article(
            response.text, response.url, self.layout, self.article_id, section
        )
