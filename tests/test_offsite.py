"""Off-site requests are refused even when they skip the duplicate filter."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from newsarchive.middlewares.offsite import StrictOffsiteMiddleware


class Site(Spider):
    name = "site"
    allowed_domains = ["example.org"]


@pytest.fixture
def middleware() -> StrictOffsiteMiddleware:
    crawler = get_crawler(Site)
    crawler.spider = crawler._create_spider()
    middleware = StrictOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    return middleware


@pytest.mark.parametrize("dont_filter", [False, True])
def test_offsite_is_refused_whatever_dont_filter_says(middleware, dont_filter: bool) -> None:
    with pytest.raises(IgnoreRequest, match=r"evil\.invalid"):
        middleware.process_request(Request("http://evil.invalid/a-a1", dont_filter=dont_filter))


@pytest.mark.parametrize("url", ["https://example.org/a-a1", "https://static.example.org/x.xml"])
def test_the_site_and_its_subdomains_pass(middleware, url: str) -> None:
    assert middleware.process_request(Request(url, dont_filter=True)) is None
    assert middleware.process_request(Request(url)) is None


def test_only_allow_offsite_lets_a_request_leave(middleware) -> None:
    request = Request("http://elsewhere.example.com/", meta={"allow_offsite": True})
    assert middleware.process_request(request) is None


def test_not_dropped_at_scheduling_so_the_errback_hears_of_it(middleware) -> None:
    request = Request("http://evil.invalid/a-a1", dont_filter=True)
    assert middleware.request_scheduled(request, middleware.crawler.spider) is None
