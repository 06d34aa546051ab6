"""The Moscow Times (https://www.themoscowtimes.com): one small file, as every site should be.

The site's markup and quirks are described in the project docs; extraction lives in
``newsarchive.extract.moscowtimes`` so it can be tested without Scrapy.
"""

from __future__ import annotations

from scrapy.http import Response

from newsarchive.cleaning.boilerplate import BoilerplateRules, text_rule
from newsarchive.extract import moscowtimes
from newsarchive.extract.base import ArticlePage, Listing
from newsarchive.spiders.base import SectionSpider

SITE_RULES = BoilerplateRules(
    selectors={
        "ad": "[y-name=banner]",
        "related": ".article__related-article, .related-article, .article__block--article, "
        ".article__block--aside, .article__block--link",
        "media": ".article__block--image, .article__block--images, .article__block--embed",
        "newsletter": ".article__block--newsletter",
        "disclaimer": ".article__disclaimer",
        "tags": ".article__tags",
        "contribute": "[class*=contribute]",
        "page_chrome": ".article__header, .byline, .article__intro, .article__featured-image, "
        ".cluster, .sidebar, #load-next-article",
    },
    text_rules=(
        text_rule("message", r"^a message from the moscow times\b"),
        text_rule("message", r"^dear readers,?$"),
        text_rule("message", r"^we are facing unprecedented challenges\b"),
        text_rule(
            "message",
            r"\b(designated|labell?ed|named) (the moscow times|us)\b"
            r"|\bwe have been named .?foreign agents"
            r"|\bjournalists of the moscow times\b"
            r"|\bsilence independent journalism\b"
            r"|\bunbiased reporting on russia\b",
        ),
        text_rule(
            "contribute",
            r"\bsupport(ing)? the moscow times\b|\bcontribute to the moscow times\b"
            r"|\bthe moscow times needs your\b|\brussia media is under attack\b"
            r"|\bthe need for honest and objective information on russia\b"
            r"|\bto keep our newsroom in moscow running\b",
        ),
        text_rule(
            "ad_free_popup",
            r"^enjoying ad-free content\b|\bwe have disabled all ads\b"
            r"|\bour journalism is banned in russia\b",
        ),
    ),
)


class MoscowTimesSpider(SectionSpider):
    name = "moscowtimes"
    site = "moscowtimes"
    default_base_url = "https://www.themoscowtimes.com"
    sections = moscowtimes.SECTIONS
    section_aliases = {"in-depth": "features"}
    local_timezone = "Europe/Moscow"
    founded = "1992-10-02"  # the first issue of the paper
    boilerplate_rules = SITE_RULES
    feeds = ("all", "news", "opinion", "city", "meanwhile", "podcasts", "in-depth", "arts-and-life")
    sitemap_host = "https://static.themoscowtimes.com"

    def sitemap_index_url(self) -> str:
        # The real site serves its sitemaps from a static host; a mirror serves them itself.
        host = self.sitemap_host if self.base_url == self.default_base_url else self.base_url
        return f"{host}/sitemap/sitemap.xml"

    def parse_listing_page(self, response: Response) -> Listing:
        return moscowtimes.parse_listing(response.text, response.url)

    def parse_article_page(self, response: Response, section: str | None) -> ArticlePage | None:
        return moscowtimes.parse_article(response.text, response.url, section)

    def article_id(self, url: str) -> str | None:
        return moscowtimes.article_id_from_url(url)
