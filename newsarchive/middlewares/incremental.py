"""Incremental crawling: fetch what is new or may have changed, and nothing else.

A spider middleware (like scrapy-deltafetch, but aware of updates). For every article
request the spider yields it looks the article up in the cross-run state:

* unknown -> fetched (``newsarchive/incremental/new``);
* known and published within ``NEWSARCHIVE_REVISIT_DAYS`` -> fetched again, conditionally
  (``If-None-Match`` / ``If-Modified-Since``), a 304 counts as unchanged
  (``newsarchive/incremental/revisit``, ``.../not_modified``);
* known and older -> not fetched (``newsarchive/incremental/skipped_known``).

A listing page all of whose articles are known and older than the window is the *horizon*:
the request for the next listing page is dropped (``newsarchive/incremental/horizon``).

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

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class IncrementalMiddleware:
    def __init__(self, crawler: Crawler, revisit: timedelta, full: bool) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.revisit = revisit
        self.full_setting = full

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
        return self.full_setting or _truthy(getattr(spider, "full", "0"))

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        if response.status == 304:
            self._not_modified(response, site)
        active = self.state is not None and site is not None and not self._full(spider)
        articles_on_page = 0
        known_old_on_page = 0
        async for output in result:
            if not active or not isinstance(output, Request):
                yield output
                continue
            kind = output.meta.get("newsarchive_kind")
            if kind == "article":
                articles_on_page += 1
                request = self._article_request(output, site)
                if request is None:
                    known_old_on_page += 1
                    continue
                yield request
            elif kind == "listing" and articles_on_page and known_old_on_page == articles_on_page:
                self.stats.inc_value("newsarchive/incremental/horizon")
                logger.debug("Horizon reached at %s: not requesting %s", response.url, output.url)
            else:
                yield output

    def _article_request(self, request: Request, site: str) -> Request | None:
        article_id = request.meta.get("article_id")
        known = self.state.get(site, article_id) if article_id else None
        if known is None:
            self.stats.inc_value("newsarchive/incremental/new")
            return request
        now = datetime.now(UTC)
        published = known.published_at or now
        if now - published > self.revisit:
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
