"""The section-crawl spider every news site shares.

A site subclass declares its name, base URL, sections, time zone and boilerplate rules, and
supplies two parsing hooks (a listing page and an article page). Everything else lives here:
spider arguments, pagination through load-more fragments, the ``since`` horizon, once-only
archiving per article ID and counted skips.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsarchive.accounting import ReasonCounter, reason_key
from newsarchive.cleaning.boilerplate import BoilerplateRules
from newsarchive.dates import date_from_url
from newsarchive.extract.base import ArticlePage, Listing
from newsarchive.items import ArticleItem

logger = logging.getLogger(__name__)


class SectionSpider(scrapy.Spider):
    """Crawl section listings (with pagination), then each listed article once.

    Spider arguments (``-a name=value``):

    * ``base_url``: where the site is served (a mirror on ``http://127.0.0.1:PORT``, say);
      links, allowed domains and start URLs all follow it.
    * ``sections``: comma-separated section slugs; default: all of ``sections``.
    * ``since``: ``YYYY-MM-DD``; stop paging a section once its listing is older, and skip
      older articles.
    * ``max_pages``: cap on listing pages fetched per section (the first page counts).
    """

    site: ClassVar[str]
    default_base_url: ClassVar[str]
    sections: ClassVar[tuple[str, ...]]
    section_aliases: ClassVar[dict[str, str]] = {}
    local_timezone: ClassVar[str] = "UTC"
    boilerplate_rules: ClassVar[BoilerplateRules] = BoilerplateRules()
    first_page_size: ClassVar[int] = 19
    page_step: ClassVar[int] = 18

    def __init__(
        self,
        base_url: str | None = None,
        sections: str | None = None,
        since: str | None = None,
        max_pages: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        host = parts.hostname
        self.allowed_domains = [host.removeprefix("www.")]
        self.requested_sections = _split(sections) if sections else list(self.sections)
        self.since = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        if self.max_pages is not None and self.max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.seen_article_ids: set[str] = set()
        # One bound-method object per callback, reused by every request. Scrapy caches its
        # per-callback source inspection in a weak-keyed dict; a fresh bound method per
        # request would be inspected (inspect.getsource + ast.parse) for every response.
        self._parse_section = self.parse_section
        self._parse_article = self.parse_article
        self._on_failure = self.on_failure

    # --- site hooks ------------------------------------------------------------------------

    def parse_listing_page(self, response: Response) -> Listing:
        raise NotImplementedError

    def parse_article_page(self, response: Response) -> ArticlePage | None:
        raise NotImplementedError

    def section_url(self, section: str) -> str:
        return f"{self.base_url}/{section}"

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
            )

    def parse_section(
        self, response: Response, section: str, page: int, offset: int, step: int | None
    ) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        html = as_html(response)
        if html is None:
            yield from self.retry_or_fail(response.request, "listing_not_html")
            return
        response = html
        listing = self.parse_listing_page(response)
        stats.inc_value("newsarchive/listing/pages")
        if not listing.excerpts:
            if page == 1:
                self.skipped.count("empty_section", response.url)
            else:
                stats.inc_value("newsarchive/listing/sections_exhausted")
            return
        older = 0
        for excerpt in listing.excerpts:
            day = date_from_url(excerpt.url)
            if self.since and day and day < self.since:
                older += 1
                continue
            yield from self.article_request(excerpt.url, section)
        stats.inc_value("newsarchive/listing/excerpts", len(listing.excerpts))

        last_day = date_from_url(listing.excerpts[-1].url)
        if self.since and last_day and last_day < self.since:
            stats.inc_value("newsarchive/listing/stopped_at_since")
            return
        if self.max_pages and page >= self.max_pages:
            stats.inc_value("newsarchive/listing/stopped_at_max_pages")
            return
        template = listing.more_url_template or response.meta.get("more_url_template")
        if page == 1:
            offset = listing.more_start or self.first_page_size
            step = listing.more_step or self.page_step
        else:
            offset += step or self.page_step
        next_url = (
            template.replace("{{offset}}", str(offset))
            if template
            else f"{self.section_url(section)}/{offset}"
        )
        yield scrapy.Request(
            next_url,
            callback=self._parse_section,
            errback=self._on_failure,
            cb_kwargs={"section": section, "page": page + 1, "offset": offset, "step": step},
            meta={"more_url_template": template, "newsarchive_kind": "listing"},
            priority=-1,
        )

    def article_request(self, url: str, section: str) -> Iterator[scrapy.Request]:
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

    def article_id(self, url: str) -> str | None:
        raise NotImplementedError

    def parse_article(self, response: Response, section: str) -> Iterator[Any]:
        if response.status == 304:  # conditional revisit: the archived version is current
            return
        html = as_html(response)
        if html is None or not html.text.strip():
            yield from self.retry_or_fail(response.request, "empty_or_binary_page")
            return
        if looks_truncated(html.text):
            yield from self.retry_or_fail(response.request, "truncated_page")
            return
        response = html
        page = self.parse_article_page(response)
        if page is None:  # a login wall, a cookie wall, a captcha: try again later
            yield from self.retry_or_fail(response.request, "not_an_article")
            return
        for problem in page.problems:
            self.crawler.stats.inc_value(f"newsarchive/extract/{problem}")
        fields = dict(page.fields)
        hint = fields.pop("section_hint", None)
        yield ArticleItem(
            **fields,
            site=self.site,
            section=section or hint,
            crawled_at=datetime.now(UTC),
            http_etag=_header(response, b"ETag"),
            http_last_modified=_header(response, b"Last-Modified"),
        )

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
            self.failed.count(reason, request.url)
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
        self.failed.count(reason, request.url if request else "")


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
    return reason_key(type(error).__name__)


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


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
