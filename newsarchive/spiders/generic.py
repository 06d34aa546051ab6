"""Any news site with no profile of its own: structured data and common body containers.

``GenericSpider`` is what ``scrapy extract`` uses for a URL no profile claims: the fields come
from the page's JSON-LD, OpenGraph and article meta (``extract.generic``), the body from the
first of the containers most news sites use, the site's name from its host. Crawling a whole
site with it (discovery through sitemaps, feeds and the home page) is issue 10's generic
mode, still to come.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import Response

from newsarchive.dates import first_valid_datetime
from newsarchive.extract import generic
from newsarchive.extract.base import ArticlePage
from newsarchive.extract.generic import PageLayout
from newsarchive.extract.html import detached_root, parse_html
from newsarchive.profiles import WORDPRESS_RULES
from newsarchive.spiders.profile import ProfileSpider

# Where the text of an article sits on most news sites, most specific first: schema.org
# microdata, WordPress themes (core, tagDiv, Elementor), common CMS classes, then <article>.
GENERIC_LAYOUT = PageLayout(
    body="[itemprop=articleBody], div.entry-content, div.td-post-content, div.entry__content, "
    "div.elementor-widget-theme-post-content, div.article-body, div.article__body, "
    "div.article-content, div.article__content, div.story-body, div.post-content, article, main",
)
WHOLE_PAGE = PageLayout(body="body")
MIN_WORDS_WITHOUT_MARKUP = 80
"""Words a page with no sign of being an article needs before it is read as one."""
_NON_SITE = re.compile(r"[^a-z0-9_-]+")


def site_of(url: str) -> str:
    """The archive's ``site`` for a host: ``www.example.co.uk`` -> ``example-co-uk``."""
    host = (urlsplit(url).hostname or "unknown").lower().removeprefix("www.")
    return _NON_SITE.sub("-", host).strip("-")[:64] or "unknown"


class GenericSpider(ProfileSpider):
    """A profile for any site: every URL of its host is a page, its path the page's ID.

    It has no class-level ``name``, so ``scrapy list`` and Scrapyd do not offer it as a
    spider until it can crawl a site (its ``name`` is given when it is made).
    """

    site = "news"
    default_base_url = "https://example.org"
    sections = ()
    article_path = r"^(?P<id>/.+)$"
    layout = GENERIC_LAYOUT
    # The WordPress plugins' boxes are the commonest boilerplate on news sites (and their
    # selectors name what they remove: consent, donation, newsletter, related, ads, share).
    boilerplate_rules = WORDPRESS_RULES

    def parse_article_page(self, response: Response, section: str | None) -> ArticlePage | None:
        """The structured data's fields; the body as trafilatura finds it (a site with no
        profile has no body selector to trust), our cleaning after it; the publication date
        from htmldate when the structured data has none."""
        page = super().parse_article_page(response, section)
        body = trafilatura_body(response.text, response.url)
        if page is None:
            # No structured data and no article container: an article all the same if
            # trafilatura finds an article's worth of text in it (a wall has a few lines).
            if body is None or len(" ".join(body.itertext()).split()) < MIN_WORDS_WITHOUT_MARKUP:
                return None
            page = generic.parse_article(
                response.text, response.url, WHOLE_PAGE, self.article_id, section
            )
            if page is None:
                return None
        if body is not None:
            page.fields["body_html"] = body
        if (
            first_valid_datetime(page.fields["published_raw"], default_tz=self.local_timezone)
            is None
        ):
            found = htmldate_published(response.text, response.url)
            if found:
                page.fields["published_raw"].append(found)
        return page

    def __init__(self, *args: Any, url: str | None = None, **kwargs: Any) -> None:
        if url:
            parts = urlsplit(url)
            kwargs.setdefault("base_url", f"{parts.scheme}://{parts.netloc}")
        kwargs.setdefault("name", "generic")
        super().__init__(*args, **kwargs)
        self.site = site_of(self.base_url)


def trafilatura_body(html: str, url: str) -> etree._Element | None:
    """The main text as trafilatura extracts it, as HTML (paragraphs, headings, lists,
    quotes kept apart), parsed: None when it finds none. Imported here: only a site with no
    profile needs it."""
    import trafilatura

    extracted = trafilatura.extract(
        html, url=url, output_format="html", fast=True, include_comments=False
    )
    if not extracted:
        return None
    root = parse_html(extracted)
    body = next(root.iter("body"), None)
    return detached_root(body, content_only=True) if body is not None else None


def htmldate_published(html: str, url: str) -> str | None:
    """htmldate's publication date of the page (the original one, not an update), as a
    day: the last resort when the page's structured data names none."""
    from htmldate import find_date

    return find_date(html, url=url, original_date=True, extensive_search=True) or None
