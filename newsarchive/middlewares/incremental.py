"""Incremental crawling: fetch what is new or may have changed, and nothing else.

A spider middleware (like scrapy-deltafetch, but aware of updates). For every article
request the spider yields it looks the article up in the cross-run state:

* unknown -> fetched (``newsarchive/incremental/new``);
* known and published within ``NEWSARCHIVE_REVISIT_DAYS`` -> fetched again, conditionally
  (``If-None-Match`` / ``If-Modified-Since``), a 304 counts as unchanged
  (``newsarchive/incremental/revisit``, ``.../not_modified``);
* known and older -> not fetched (``newsarchive/incremental/skipped_known``);
* given up after its retry budget -> not fetched (``.../skipped_given_up``; ``full=1`` does).

A listing page all of whose articles are known and older than the window (or in the retry
queue, which asks for them anyway) is the *horizon*
(the request for the next listing page is dropped, ``newsarchive/incremental/horizon``), but
only where an earlier complete sweep of that section vouches for everything below it (its
last article carries a sweep mark down to this run's floor, see ``newsarchive.sweeps``).
Otherwise an earlier run left the listing unfinished (``max_pages``, killed, failed), and
paging goes on (``.../horizon_unvouched``). New articles appear at the top of a listing, so
a new one listed below an article the archive holds is one that earlier runs missed
(``.../gap_found``).

Articles in the retry queue (failed for good in earlier runs, see
``NEWSARCHIVE_FAILED_RETRY_RUNS``) are requested before the start requests
(``newsarchive/incremental/retried``).

``-a full=1`` on the spider (or ``NEWSARCHIVE_FULL=True``) turns all of this off for one run;
the versioning stage still keeps the archive free of duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request
from scrapy.exceptions import NotConfigured

from newsarchive import arguments
from newsarchive.sweeps import HORIZON, reaches_floor

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class IncrementalMiddleware:
    def __init__(self, crawler: Crawler, revisit: timedelta, full: bool) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.revisit = revisit
        self.full_setting = full
        # Sections whose listing showed this run an article the archive holds: new articles
        # appear at the top, so a new one further down is a gap that earlier runs left.
        self.passed_known: set[str] = set()
        # Sections in which a page of known articles was no horizon (said once per section).
        self.unvouched: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_INCREMENTAL_ENABLED", True):
            raise NotConfigured("NEWSARCHIVE_INCREMENTAL_ENABLED is off")
        if not settings.getbool("NEWSARCHIVE_STATE_ENABLED", True):
            raise NotConfigured("incremental crawling needs NEWSARCHIVE_STATE_ENABLED")
        days = settings.getfloat("NEWSARCHIVE_REVISIT_DAYS", 2.0)
        return cls(crawler, timedelta(days=days), settings.getbool("NEWSARCHIVE_FULL", False))

    @property
    def state(self) -> Any:
        return getattr(self.crawler, "newsarchive_state", None)

    def _full(self, spider: Any) -> bool:
        return self.full_setting or arguments.flag("full", getattr(spider, "full", False))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The retry queue's articles first, then the spider's start requests."""
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        if self.state is not None and site is not None and hasattr(spider, "article_request"):
            if self._full(spider):
                again = self.state.requeue_given_up(site)
                if again:
                    logger.info("Full run: %d given-up articles are retried again", again)
            for queued in self.state.queued(site):
                for request in spider.article_request(queued.url, queued.section):
                    self.stats.inc_value("newsarchive/incremental/retried")
                    yield request
        async for output in start:
            yield output

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        if response.status == 304:
            self._not_modified(response, site)
        active = self.state is not None and site is not None and not self._full(spider)
        section = response.request.cb_kwargs.get("section") if response.request else None
        async for output in result:
            if not active or not isinstance(output, Request):
                yield output
                continue
            kind = output.meta.get("newsarchive_kind")
            if output.meta.get("retry_times"):  # the spider retrying a page: decided already
                yield output
            elif kind == "article":
                request = self._article_request(output, site, section)
                if request is not None:
                    yield request
            elif kind == "listing" and self._horizon(spider, site, output):
                logger.debug("Horizon reached at %s: not requesting %s", response.url, output.url)
            else:
                yield output

    def _horizon(self, spider: Any, site: str, request: Request) -> bool:
        """Whether the page that leads to ``request`` is the horizon (see the module doc);
        if it is, its section's sweep ends there."""
        page_ids = request.meta.get("newsarchive_page_ids")
        section = request.cb_kwargs.get("section")
        sweeps = getattr(spider, "sweeps", None)
        if not page_ids or not section or sweeps is None:
            return False
        now = datetime.now(UTC)
        for article_id in page_ids:
            known = self.state.get(site, article_id)
            if known is None:
                # Nothing new either: it failed earlier and the retry queue asks for it.
                if self.state.queue_status(site, article_id) is None:
                    return False
            elif self._recent(known, now):
                return False
        mark = self.state.sweep_reach(site, section, page_ids[-1])
        if not reaches_floor(mark, sweeps.floor):
            self.stats.inc_value("newsarchive/incremental/horizon_unvouched")
            if section not in self.unvouched:
                self.unvouched.add(section)
                logger.info(
                    "%s: a page of known articles (%s) that no complete earlier sweep vouches "
                    "for; paging on to find what earlier runs left out",
                    section,
                    request.url,
                )
            return False
        self.stats.inc_value("newsarchive/incremental/horizon")
        sweeps.end(section, HORIZON, met=mark)
        return True

    def _recent(self, known: Any, now: datetime) -> bool:
        """Published within the revisit window (or of unknown age)."""
        return now - (known.published_at or now) <= self.revisit

    def _article_request(self, request: Request, site: str, section: str | None) -> Request | None:
        article_id = request.meta.get("article_id")
        known = self.state.get(site, article_id) if article_id else None
        if known is None:
            if self.state.queue_status(site, article_id) == "given_up":  # said when given up
                self.stats.inc_value("newsarchive/incremental/skipped_given_up")
                return None
            self.stats.inc_value("newsarchive/incremental/new")
            if section in self.passed_known:
                self.stats.inc_value("newsarchive/incremental/gap_found")
            return request
        if section:
            self.passed_known.add(section)
        if not self._recent(known, datetime.now(UTC)):
            self.stats.inc_value("newsarchive/incremental/skipped_known")
            return None
        self.stats.inc_value("newsarchive/incremental/revisit")
        headers = {}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        meta = {**request.meta, "handle_httpstatus_list": [304]}
        return request.replace(headers={**request.headers.to_unicode_dict(), **headers}, meta=meta)

    def _not_modified(self, response: Response, site: str | None) -> None:
        self.stats.inc_value("newsarchive/incremental/not_modified")
        article_id = response.meta.get("article_id")
        if self.state is not None and site and article_id:
            self.state.touch(site, article_id, fetched_at=datetime.now(UTC))
