"""Listing pages fetched ahead while one of them waits for its retry.

A section's listing is read one page after another: the horizon and the sweep marks
(``newsarchive.sweeps``) need its pages in order, and whether the next page is wanted at all
is known only once a page is read. So one listing page that answers 429 with
``Retry-After``, or fails and backs off, holds up every page after it, and a few such pages
in one section set the length of the whole crawl.

Where the next pages' addresses are known in advance (load-more pagination: fixed offsets,
``SectionSpider.following_listing_urls``), this downloader middleware asks for the next
``NEWSARCHIVE_LISTING_PREFETCH`` pages as soon as a listing page's answer is to be retried,
alongside its wait, and keeps their answers. When the spider, having read the page before,
asks for one of them, it gets the kept answer (flagged ``prefetched``) instead of a second
fetch. The pages are still read in order, by the same code, and the horizon still decides
whether the next page is asked for: a page fetched ahead and never asked for (the section
ended, or met its horizon) is one request too many, and counted.

Nothing is fetched ahead while the site answers well: a clean crawl makes exactly the requests
it made without this. Stats: ``newsarchive/listing/prefetch/sent``, ``.../used`` and
``.../unused`` (kept answers nobody asked for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

PREFETCH_META = "newsarchive_prefetch"
STATS = "newsarchive/listing/prefetch"
PREFETCH_PRIORITY = 5
"""Above an article's (1), below a retry that has waited (``RETRY_PRIORITY_ADJUST``)."""


class ListingPrefetchMiddleware:
    """Downloader middleware, just after the retry middleware (it sees an answer before the
    retry middleware decides to wait for another)."""

    def __init__(self, crawler: Crawler, ahead: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.ahead = ahead
        self.retry_codes = frozenset(crawler.settings.getlist("RETRY_HTTP_CODES"))
        self.kept: dict[str, Response] = {}
        self.asked: set[str] = set()
        """Every URL fetched ahead in this run: each is fetched ahead once."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ahead = crawler.settings.getint("NEWSARCHIVE_LISTING_PREFETCH", 3)
        if ahead <= 0 or not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("no listing page is fetched ahead")
        middleware = cls(crawler, ahead)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request) -> Response | None:
        if request.meta.get("newsarchive_kind") != "listing":
            return None
        kept = self.kept.pop(request.url, None)
        if kept is None:
            return None
        self.stats.inc_value(f"{STATS}/used")
        return kept.replace(request=request, flags=[*kept.flags, "prefetched"])

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(PREFETCH_META):
            if response.status == 200:
                self.kept[request.url] = response
        elif self._waits(request) and int(response.status) in self.retry_codes:
            self.fetch_ahead(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if self._waits(request) and not isinstance(exception, IgnoreRequest):
            self.fetch_ahead(request)

    def _waits(self, request: Request) -> bool:
        """Whether ``request`` is a listing page the retry middleware may now wait for."""
        return request.meta.get("newsarchive_kind") == "listing" and not request.meta.get(
            "dont_retry"
        )

    def fetch_ahead(self, request: Request) -> None:
        spider: Any = self.crawler.spider
        following = getattr(spider, "following_listing_urls", None)
        for url in following(request, self.ahead) if following else ():
            if url in self.asked:
                continue
            self.asked.add(url)
            self.stats.inc_value(f"{STATS}/sent")
            self.crawler.engine.crawl(  # type: ignore[union-attr]
                Request(
                    url,
                    callback=spider.prefetched,
                    errback=spider.prefetch_failed,
                    meta={PREFETCH_META: True, "newsarchive_kind": "listing_prefetch"},
                    # ahead of the articles: the section's pages wait for these
                    priority=PREFETCH_PRIORITY,
                    dont_filter=True,
                )
            )

    def spider_closed(self) -> None:
        if self.kept:
            self.stats.set_value(f"{STATS}/unused", len(self.kept))
        self.kept.clear()
