"""The section-crawl spider every news site shares.

A site subclass declares its name, base URL, sections, time zone and boilerplate rules, and
supplies two parsing hooks (a listing page and an article page). Everything else lives here:
spider arguments, pagination through load-more fragments, the ``since`` horizon, once-only
archiving per article ID and counted skips.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsarchive import __version__, arguments
from newsarchive import signals as na_signals
from newsarchive.accounting import ReasonCounter, reason_key, transport_reason
from newsarchive.cleaning.boilerplate import BoilerplateRules
from newsarchive.dates import DateCandidate, choose_dates, date_from_url
from newsarchive.encoding import true_encoding
from newsarchive.extract.base import ArticlePage, Listing
from newsarchive.extract.feeds import FeedError, rss_entries, sitemap_entries
from newsarchive.extract.page_dates import fallback_candidates
from newsarchive.items import ArticleItem
from newsarchive.state import BOTTOM
from newsarchive.sweeps import EXHAUSTED, FAILED, MAX_PAGES, SINCE, SweepLog

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

OPTIONAL_META = "newsarchive_optional"
"""Request meta flag: the site need not have this page, so its 404 is a counted skip
(``newsarchive/skipped/optional_page_missing``), not a failure."""


LISTING_AHEAD_BELOW = 500
"""Queued requests below which a listing's next page goes ahead of the articles."""
FETCHED_AT_META = "newsarchive_fetched_at"
"""Request meta: when the response was received, as its WARC record says (set by the capture,
and by a replay from the record): its row's ``crawled_at`` is then the record's WARC-Date."""


class SectionSpider(scrapy.Spider):
    """Crawl section listings (with pagination), then each listed article once.

    Spider arguments (``-a name=value``):

    * ``base_url``: where the site is served (a mirror on ``http://127.0.0.1:PORT``, say);
      links, allowed domains and start URLs all follow it.
    * ``sections``: comma-separated section slugs; default: all of ``sections``.
    * ``since``: ``YYYY-MM-DD``; stop paging a section once its listing is older, and skip
      older articles.
    * ``max_pages``: cap on listing pages fetched per section (the first page counts).
    * ``feeds``: once the sections are done, also read the site's RSS feeds for articles
      that no crawled section listed: ``1`` for all of ``feeds``, or comma-separated feed
      names. Cheap enough for every hourly run.
    * ``sitemaps``: ``1`` to also walk the site's sitemap index and its sitemaps, after the
      sections (with ``since``, older monthly sitemaps are not fetched): a complete backfill.
    * ``timezone``: the IANA zone naive times on the site's pages are in (default: the
      profile's ``local_timezone``).
    * ``full``: ``1`` to crawl as if the archive were empty (the incremental state is not
      consulted; given-up articles get a new budget).

    A value that cannot be used raises ``newsarchive.arguments.BadArgument``.
    """

    site: ClassVar[str]
    default_base_url: ClassVar[str]
    sections: ClassVar[tuple[str, ...]]
    section_aliases: ClassVar[dict[str, str]] = {}
    local_timezone: str | None = "UTC"
    """The zone a naive time on the site is in; None: unknown (only its day is kept)."""
    founded: ClassVar[str | None] = None
    """The day (``YYYY-MM-DD``) the publication started: an earlier date is an error.
    None: 1990 (``newsarchive.dates.EARLIEST_PLAUSIBLE``)."""
    boilerplate_rules: ClassVar[BoilerplateRules] = BoilerplateRules()
    pagination: ClassVar[str] = "load_more"
    """How a section's listing goes on: ``load_more`` (offset fragments: a template the page
    gives, else ``{section_url}/{offset}``) or ``next_link`` (the page's link to the next;
    none means the listing ends)."""
    first_page_size: ClassVar[int] = 19
    page_step: ClassVar[int] = 18
    feeds: ClassVar[tuple[str, ...]] = ()
    """The site's RSS feed names (``feed_url`` turns one into a URL)."""
    lenient: bool = False
    """Read what a page has even when it looks cut short (``scrapy extract``: a saved page
    is all there is; a crawl fetches a cut page again instead)."""
    profile_version: ClassVar[int] = 1
    """Bump it when a change to this site's profile (selectors, rules, layout) changes what
    its pages read as: rows carry it in ``extractor_version``, so a re-extraction shows
    which code made each row."""
    skip_reasons: ClassVar[frozenset[str]] = frozenset()
    """Reasons ``parse_article_page`` may give for a page that is fine but no article (a
    section page a sitemap lists): counted skips, not failures to retry."""

    def __init__(
        self,
        base_url: str | None = None,
        sections: str | None = None,
        since: str | None = None,
        max_pages: str | int | None = None,
        feeds: str | None = None,
        sitemaps: str | None = None,
        timezone: str | None = None,
        full: str | bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Each argument is read strictly (``newsarchive.arguments``): a bad one stops the
        # run before it starts, with one line naming it.
        if timezone:
            self.local_timezone = arguments.timezone("timezone", timezone)
        self.earliest_date = (
            datetime.fromisoformat(self.founded).replace(tzinfo=UTC) if self.founded else None
        )
        self.base_url = arguments.http_url("base_url", base_url or self.default_base_url)
        host = urlsplit(self.base_url).hostname or ""
        self.allowed_domains = [host.removeprefix("www.")]
        self.requested_sections = (
            arguments.names("sections", sections, self.sections, self.section_aliases)
            if sections
            else list(self.sections)
        )
        self.since = arguments.day("since", since) if since else None
        self.max_pages = arguments.positive_int("max_pages", max_pages)
        self.requested_feeds = _feed_names(feeds, self.feeds)
        self.walk_sitemaps = arguments.flag("sitemaps", sitemaps)
        self.full = arguments.flag("full", full)
        """``-a full=1``: one run as if the archive were empty (see the incremental
        middleware)."""
        self._discovery_started = False
        self.seen_article_ids: set[str] = set()
        self.listed_dates: dict[str, list[DateCandidate]] = {}
        """Publication dates the site's feeds and news sitemaps gave, per article ID."""
        self.sweeps = SweepLog(self.since.date().isoformat() if self.since else BOTTOM)
        """How far down each section listing this run went (see ``newsarchive.sweeps``)."""
        # One bound-method object per callback, reused by every request. Scrapy caches its
        # per-callback source inspection in a weak-keyed dict; a fresh bound method per
        # request would be inspected (inspect.getsource + ast.parse) for every response.
        self._parse_section = self.parse_section
        self._parse_article = self.parse_article
        self._parse_feed = self.parse_feed
        self._parse_sitemap = self.parse_sitemap
        self._on_failure = self.on_failure

    # --- site hooks ------------------------------------------------------------------------

    def parse_listing_page(self, response: Response) -> Listing:
        raise NotImplementedError

    def parse_article_page(
        self, response: Response, section: str | None
    ) -> ArticlePage | str | None:
        """The page's raw fields (``None``: not an article; a string: why not, one of
        ``skip_reasons``). ``section`` is the section whose listing linked it (None from feeds
        and sitemaps): only then is ``section_hint`` needed."""
        raise NotImplementedError

    def section_url(self, section: str) -> str:
        return f"{self.base_url}/{section}"

    def feed_url(self, feed: str) -> str:
        return f"{self.base_url}/rss/{feed}"

    def sitemap_index_url(self) -> str | None:
        """The sitemap index (``None``: the site has none)."""
        return None

    # --- crawling -------------------------------------------------------------------------

    @property
    def skipped(self) -> ReasonCounter:
        if not hasattr(self, "_skipped"):
            self._skipped = ReasonCounter(
                self.crawler.stats, "newsarchive/skipped", logger, "Skipped a page"
            )
        return self._skipped

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for requested in self.requested_sections:
            section = self.section_aliases.get(requested, requested)
            if section not in self.sections:
                self.skipped.count(
                    "unknown_section",
                    f"{requested!r} is not one of {', '.join(self.sections)}",
                )
                continue
            yield scrapy.Request(
                self.section_url(section),
                callback=self._parse_section,
                errback=self._on_failure,
                cb_kwargs={"section": section, "page": 1, "offset": 0, "step": None},
                meta={"newsarchive_kind": "listing"},
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.start_discovery, signal=signals.spider_idle)
        return spider

    def start_discovery(self) -> None:
        """Once the sections are done, read the feeds and sitemaps (if asked to).

        Afterwards, not alongside: an article the sections list is then always requested
        from its listing, and gets its section from it. The feeds and sitemaps only add what
        no crawled section listed, so which source finds an article never depends on timing.
        """
        if self._discovery_started or getattr(self, "frontier_follower", False):
            return  # (a follower of a shared crawl leaves the discovery to the leader)
        self._discovery_started = True
        requests = list(self.discovery_requests())
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        for feed in self.requested_feeds:
            section = self.section_aliases.get(feed, feed)
            yield scrapy.Request(
                self.feed_url(feed),
                callback=self._parse_feed,
                errback=self._on_failure,
                cb_kwargs={"section": section if section in self.sections else None},
                meta={"newsarchive_kind": "feed"},
            )
        index = self.sitemap_index_url() if self.walk_sitemaps else None
        if self.walk_sitemaps and index is None:
            self.skipped.count("no_sitemap", f"{self.name} knows no sitemap index")
        if index:
            yield scrapy.Request(
                index,
                callback=self._parse_sitemap,
                errback=self._on_failure,
                meta={"newsarchive_kind": "feed"},
            )

    def parse_feed(self, response: Response, section: str | None) -> Iterator[scrapy.Request]:
        """An RSS/Atom feed: request its articles (the feed's own section, if it is one)."""
        try:
            entries = rss_entries(response.body)
        except FeedError as error:
            yield from self.retry_or_fail(response.request, error.reason)
            return
        self.crawler.stats.inc_value("newsarchive/feeds/entries", len(entries))
        for entry in entries:
            yield from self._discovered(entry.url, section, entry.published, "feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap index (request its sitemaps, newest first, none older than ``since``)
        or a sitemap (request its articles)."""
        try:
            sitemap = sitemap_entries(response.body)
        except FeedError as error:
            yield from self.retry_or_fail(response.request, error.reason)
            return
        stats = self.crawler.stats
        for url in sitemap.sitemaps:
            month = sitemap_month(url)
            if self.since and month and month < (self.since.year, self.since.month):
                stats.inc_value("newsarchive/feeds/sitemaps_before_since")
                continue
            yield scrapy.Request(
                url,
                callback=self._parse_sitemap,
                errback=self._on_failure,
                meta={"newsarchive_kind": "feed"},
            )
        stats.inc_value("newsarchive/feeds/entries", len(sitemap.urls))
        for entry in sitemap.urls:
            yield from self._discovered(entry.url, None, entry.published, "news_sitemap")

    def _discovered(
        self, url: str, section: str | None, published: str | None = None, source: str = ""
    ) -> Iterator[scrapy.Request]:
        """An article link from a feed or sitemap: off-site and pre-``since`` links skipped;
        the publication date it came with kept for the article (``source``)."""
        if not self.allowed_url(url):
            self.skipped.count("offsite_link", url)
            return
        article_id = self.article_id(url)
        if article_id is None:  # a section or tag page the sitemap lists too: normal
            self.skipped.count("not_an_article_url", url, level=logging.INFO)
            return
        if published:
            dates = self.listed_dates.setdefault(article_id, [])
            if len(dates) < 4:
                dates.append(DateCandidate(published, source))
        if not self.before_since(url):
            yield from self.article_request(url, section)

    def before_since(self, url: str) -> bool:
        """Whether the article URL is dated before ``since`` (never, without ``since``)."""
        day = date_from_url(url) if self.since else None
        return day is not None and day < self.since

    def allowed_url(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith(f".{d}") for d in self.allowed_domains)

    def parse_section(
        self, response: Response, section: str, page: int, offset: int, step: int | None
    ) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        html = self.as_text(response)
        if html is None:
            yield from self.retry_or_fail(response.request, "listing_not_html")
            return
        response = html
        listing = self.parse_listing_page(response)
        stats.inc_value("newsarchive/listing/pages")
        listed = [e.url for e in listing.excerpts if not self.before_since(e.url)]
        page_ids = [i for i in map(self.article_id, listed) if i is not None]
        self.sweeps.page(section, page_ids)
        if not listing.excerpts:
            if page == 1:
                self.skipped.count("empty_section", response.url)
                self.sweeps.get(section).empty_first_page = True
            else:
                stats.inc_value("newsarchive/listing/sections_exhausted")
            self.sweeps.end(section, EXHAUSTED)
            return
        for url in listed:
            yield from self.article_request(url, section)
        stats.inc_value("newsarchive/listing/excerpts", len(listing.excerpts))

        if self.before_since(listing.excerpts[-1].url):
            stats.inc_value("newsarchive/listing/stopped_at_since")
            self.sweeps.end(section, SINCE)
            return
        if self.max_pages and page >= self.max_pages:
            stats.inc_value("newsarchive/listing/stopped_at_max_pages")
            self.sweeps.end(section, MAX_PAGES)
            return
        template = listing.more_url_template or response.meta.get("more_url_template")
        if self.pagination == "next_link":
            if not listing.next_url:
                stats.inc_value("newsarchive/listing/sections_exhausted")
                self.sweeps.end(section, EXHAUSTED)
                return
            next_url = listing.next_url
        else:
            if page == 1:
                offset = listing.more_start or self.first_page_size
                step = listing.more_step or self.page_step
            else:
                offset += step or self.page_step
            next_url = self.listing_page_url(section, offset, template)
        yield scrapy.Request(
            next_url,
            callback=self._parse_section,
            errback=self._on_failure,
            cb_kwargs={"section": section, "page": page + 1, "offset": offset, "step": step},
            meta={
                "more_url_template": template,
                "newsarchive_kind": "listing",
                # for the horizon: the page that leads here, in listing order
                "newsarchive_page_ids": page_ids,
            },
            priority=self.next_listing_priority(),
        )

    def next_listing_priority(self) -> int:
        """A listing's next page goes ahead of the articles (it finds the next ones, and its
        section's later pages wait for it) while the scheduler holds fewer than
        ``LISTING_AHEAD_BELOW`` requests; behind them beyond that, so a backfill does not
        queue a whole archive's article requests in memory before fetching them."""
        try:  # the engine's queue; no engine (a spider driven by hand): behind the articles
            queued = len(self.crawler.engine._slot.scheduler)  # type: ignore[union-attr]
        except (AttributeError, RuntimeError, TypeError):
            queued = LISTING_AHEAD_BELOW
        return 2 if queued < LISTING_AHEAD_BELOW else -1

    def listing_page_url(self, section: str, offset: int, template: str | None) -> str:
        """A load-more listing's page at ``offset``: the page's own template, else
        ``{section_url}/{offset}``."""
        if template:
            return template.replace("{{offset}}", str(offset))
        return f"{self.section_url(section)}/{offset}"

    def following_listing_urls(self, request: scrapy.Request, count: int) -> list[str]:
        """The URLs of up to ``count`` listing pages after ``request``'s, where they are
        known before it is read: a load-more listing past its first page goes on by a fixed
        step (``middlewares/prefetch.py`` fetches them ahead). None past ``max_pages``."""
        kwargs = request.cb_kwargs
        step = kwargs.get("step")
        if (
            self.pagination != "load_more"
            or request.meta.get("newsarchive_kind") != "listing"
            or kwargs.get("page", 1) < 2
            or not step
        ):
            return []
        page, offset = kwargs["page"], kwargs["offset"]
        if self.max_pages:
            count = min(count, self.max_pages - page)
        template = request.meta.get("more_url_template")
        return [
            self.listing_page_url(kwargs["section"], offset + ahead * step, template)
            for ahead in range(1, count + 1)
        ]

    def prefetched(self, response: Response) -> Iterator[Any]:
        """Callback of a listing page fetched ahead: it is read when its turn comes."""
        yield from ()

    def prefetch_failed(self, failure: Failure) -> None:
        """Errback of a listing page fetched ahead: its turn fetches it again (no failure
        is counted for a page nobody asked for yet)."""

    def article_request(self, url: str, section: str | None) -> Iterator[scrapy.Request]:
        """One request per article ID per run, whatever URL variants the listings use."""
        article_id = self.article_id(url)
        if article_id is None:
            self.skipped.count("no_article_id", url)
            return
        if article_id in self.seen_article_ids:
            return
        self.seen_article_ids.add(article_id)
        yield scrapy.Request(
            url,
            callback=self._parse_article,
            errback=self._on_failure,
            cb_kwargs={"section": section},
            meta={"newsarchive_kind": "article", "article_id": article_id},
            priority=1,
            # Articles are deduplicated by ID above. Letting the scheduler's URL filter drop
            # them too would silently swallow a redirect loop (A -> B -> A) instead of
            # failing it, counted, at REDIRECT_MAX_TIMES.
            dont_filter=True,
        )

    def warc_metadata(self, request: scrapy.Request) -> dict[str, Any]:
        """What replaying this request's response needs besides the response itself (WARC
        capture writes it as a ``metadata`` record beside the response): the request's kind
        and, for an article, the section that listed it and the dates feeds or sitemaps gave
        it (``listed_dates``: ``[raw, source]`` pairs)."""
        kind = request.meta.get("newsarchive_kind")
        if kind != "article":
            return {"kind": kind}
        article_id = request.meta.get("article_id")
        return {
            "kind": kind,
            "article_id": article_id,
            "section": request.cb_kwargs.get("section"),
            "listed_dates": [list(found) for found in self.listed_dates.get(article_id, ())],
        }

    def article_id(self, url: str) -> str | None:
        raise NotImplementedError

    def parse_article(self, response: Response, section: str | None) -> Iterator[Any]:
        if response.status == 304:  # conditional revisit: the archived version is current
            return
        item = self.article_item(response, section)
        if isinstance(item, str) and item in self.skip_reasons:  # fine, and no article
            self.skipped.count(str(item), response.url, level=logging.INFO)
            article_id = response.meta.get("article_id")
            if article_id:
                self.sweeps.excused.add(article_id)
            return
        if isinstance(item, str):  # a wall, an empty or cut page: try again later
            yield from self.retry_or_fail(response.request, item)
            return
        yield item

    def article_item(self, response: Response, section: str | None) -> ArticleItem | str:
        """The article of a response, or why there is none (``empty_or_binary_page``,
        ``truncated_page``, ``not_an_article``: a login wall, a cookie wall, a captcha)."""
        html = self.as_text(response)
        if html is None or not html.text.strip():
            return "empty_or_binary_page"
        truncated = looks_truncated(html.text)
        if truncated and not self.lenient:
            return "truncated_page"  # a crawl fetches it again later
        page = self.parse_article_page(html, section)
        if page is None:
            return "not_an_article"
        if isinstance(page, str):
            return page
        for problem in [*page.problems, *(["truncated_page"] if truncated else [])]:
            self.crawler.stats.inc_value(f"newsarchive/extract/{problem}")
        fields = dict(page.fields)
        hint = fields.pop("section_hint", None)
        # A captured or replayed page was fetched when its WARC record says.
        replayed = response.request.meta.get(FETCHED_AT_META) if response.request else None
        crawled_at = replayed or datetime.now(UTC)
        article_id = fields.get("article_id") or self.article_id(html.url)
        fields["published_raw"] = [
            *fields.get("published_raw", ()),
            *self.listed_dates.get(article_id, ()),
        ]
        language = fields.get("language")
        if not self._dated(fields["published_raw"], crawled_at, language):
            # The costly last resorts, only for a page nothing else dates.
            fields["published_raw"] += fallback_candidates(
                html.text, html.url, lambda found: self._dated(found, crawled_at, language)
            )
        return ArticleItem(
            **fields,
            site=self.site,
            section=section or hint,
            crawled_at=crawled_at,
            extractor_version=self.extractor_version(),
            http_etag=_header(html, b"ETag"),
            http_last_modified=_header(html, b"Last-Modified"),
        )

    @classmethod
    def extractor_version(cls) -> str:
        """``<release>+<site>.<profile_version>``: which code reads this site's pages."""
        return f"{__version__}+{cls.site}.{cls.profile_version}"

    def _dated(
        self, candidates: list[DateCandidate], fetched_at: datetime, language: str | None
    ) -> bool:
        """Whether one of ``candidates`` is a plausible publication date."""
        return choose_dates(candidates, self, fetched_at, language).found is not None

    def as_text(self, response: Response) -> TextResponse | None:
        """The response as HTML text (see ``as_html``), decoded with the encoding its bytes
        are really in when the server's label is wrong (counted, logged once)."""
        html = as_html(response)
        if html is None:
            return None
        # the text is decoded now rather than later: it spares a second decoding of the
        # bytes to check them
        encoding = true_encoding(html.body, html.encoding, html.text)
        if encoding is None:
            return html
        self.corrected.count(
            f"{reason_key(html.encoding)}_to_{reason_key(encoding)}",
            html.url,
            level=logging.INFO,
        )
        return html.replace(encoding=encoding)

    @property
    def corrected(self) -> ReasonCounter:
        if not hasattr(self, "_corrected"):
            self._corrected = ReasonCounter(
                self.crawler.stats,
                "newsarchive/charset_corrected",
                logger,
                "Decoded a page in another encoding than its label",
            )
        return self._corrected

    # --- failures -------------------------------------------------------------------------

    @property
    def failed(self) -> ReasonCounter:
        if not hasattr(self, "_failed"):
            self._failed = ReasonCounter(
                self.crawler.stats, "newsarchive/failed", logger, "Gave up on a page"
            )
        return self._failed

    def retry_or_fail(self, request: scrapy.Request | None, reason: str) -> Iterator[Any]:
        """Fetch the page again (within ``RETRY_TIMES``) or count it as failed.

        For pages that arrive fine at the HTTP level but are not what was asked for. They
        are never archived, so the state never marks them done and the next run tries again.
        """
        if request is None:
            self.failed.count(reason)
            return
        retry = get_retry_request(request, spider=self, reason=reason, give_up_log_level="DEBUG")
        if retry is None:
            self.gave_up(request, reason)
            return
        for key in PER_RESPONSE_META:
            retry.meta.pop(key, None)
        self.crawler.stats.inc_value(f"newsarchive/retry/{reason}")
        yield retry

    def on_failure(self, failure: Failure) -> Iterator[Any]:
        """Errback of every request: count the failure by reason; retry an off-site
        redirect's origin, which may serve the page properly next time."""
        request = getattr(failure, "request", None)
        reason = failure_reason(failure)
        redirected_from = (request.meta.get("redirect_urls") or [None])[0] if request else None
        if reason == "offsite_redirect" and redirected_from:
            origin = request.replace(url=redirected_from)
            yield from self.retry_or_fail(origin, reason)
            return
        if reason in RETRY_IN_SPIDER and request is not None:
            yield from self.retry_or_fail(request, reason)
            return
        if reason == "forbidden_by_robots":  # the site's wish, not a failure: counted, not failed
            self.skipped.count(reason, request.url if request else "", level=logging.INFO)
            if request is not None and request.meta.get("article_id"):
                self.sweeps.excused.add(request.meta["article_id"])
            return
        if reason in ("http_404", "http_410") and request and request.meta.get(OPTIONAL_META):
            # a page the site need not have (robots.txt, a guessed sitemap, a menu link)
            self.skipped.count("optional_page_missing", request.url, level=logging.INFO)
            return
        if request is None:
            self.failed.count(reason)
            return
        self.gave_up(request, reason)

    def gave_up(self, request: scrapy.Request, reason: str) -> None:
        """A page failed for good: count it; a listing page ends its section's sweep (which
        then vouches for nothing), an article goes to the retry queue of the next runs."""
        self.failed.count(reason, request.url)
        kind = request.meta.get("newsarchive_kind")
        section = request.cb_kwargs.get("section")
        if kind == "listing" and section:
            self.sweeps.end(section, FAILED, failure=reason)
        elif kind == "article":
            self.crawler.signals.send_catch_log(
                na_signals.article_failed,
                site=self.site,
                article_id=request.meta.get("article_id"),
                url=(request.meta.get("redirect_urls") or [request.url])[0],
                section=section,
                reason=reason,
            )


# What a response added to its request's meta; a retry starts without it (``retry_times``
# is kept on purpose: it is the retry budget).
PER_RESPONSE_META = frozenset(
    {"download_latency", "redirect_reasons", "redirect_times", "redirect_ttl", "redirect_urls"}
)

# Failures that Scrapy's retry middleware does not retry but a later attempt may cure.
RETRY_IN_SPIDER = frozenset({"too_large", "decompression_bomb", "offsite_redirect"})


def failure_reason(failure: Failure) -> str:
    """A short, stable reason for a failed request."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    message = str(error).lower()
    if isinstance(error, IgnoreRequest):
        if "offsite" in message or "allowed" in message or "filtered" in message:
            return "offsite_redirect"
        if "redirect" in message:
            return "redirect_loop"
        if "larger than" in message or "maxsize" in message or "max size" in message:
            return "decompression_bomb"
        if "robots" in message:
            return "forbidden_by_robots"
        return "ignored"
    if "cancel" in type(error).__name__.lower() or "max size" in message:
        return "too_large"
    return transport_reason(error)


def as_html(response: Response) -> TextResponse | None:
    """The response as text, sniffing HTML that a server labelled as something else
    (``application/octet-stream``, say). None if it is not text at all."""
    if isinstance(response, TextResponse):
        return response
    head = response.body[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return HtmlResponse(
            response.url, status=response.status, body=response.body, request=response.request
        )
    return None


def looks_truncated(text: str) -> bool:
    """A full HTML page ends with ``</html>``; one that starts like a page and doesn't was
    cut short (a dropped connection the server hid behind a matching Content-Length)."""
    if "<html" not in text[:4096].lower():
        return False
    return "</html>" not in text[-4096:].lower()


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _feed_names(value: str | None, known: tuple[str, ...]) -> list[str]:
    """``-a feeds=``: ``1``/``all`` for every feed of the site, ``0`` for none, else the names
    given (each one of the site's)."""
    if value is None or str(value).strip().lower() in arguments.FALSE:
        return []
    if str(value).strip().lower() in (*arguments.TRUE, "all"):
        return list(known)
    given = _split(str(value))
    unknown = [name for name in given if name not in known]
    if unknown:
        raise arguments.BadArgument(
            "feeds", value, f"give 1/all, 0, or names among {', '.join(known) or 'none'}"
        )
    return given


_SITEMAP_MONTH = re.compile(r"(\d{4})-(\d{1,2})\.xml(?:\.gz)?$")


def sitemap_month(url: str) -> tuple[int, int] | None:
    """(year, month) of a monthly sitemap named ``.../{YYYY}-{M}.xml``; else None."""
    match = _SITEMAP_MONTH.search(urlsplit(url).path)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
