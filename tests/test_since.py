"""``-a since``: older articles are not requested, and paging stops once a listing is older."""

from __future__ import annotations

import urllib.request
from datetime import date

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from newsarchive.dates import date_from_url
from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer
from newsarchive.spiders.moscowtimes import MoscowTimesSpider


@pytest.fixture(scope="module")
def pages() -> dict[str, bytes]:
    with MirrorServer(build_site(articles=120, seed=12)) as server:
        paths = ("/news", "/rss/news")
        bodies = {p: urllib.request.urlopen(server.base_url + p).read() for p in paths}
        return {"base": server.base_url.encode(), **bodies}


def spider(base: str, **args: str) -> MoscowTimesSpider:
    crawler = get_crawler(MoscowTimesSpider)
    crawler.spider = crawler._create_spider(base_url=base, **args)
    return crawler.spider


def article_days(requests: list[Request]) -> list[date]:
    return [date_from_url(r.url).date() for r in requests if r.meta.get("article_id")]


def test_listing_requests_only_articles_since_and_stops_paging(pages) -> None:
    base = pages["base"].decode()
    everything = spider(base)
    url = f"{base}/news"
    response = HtmlResponse(url, body=pages["/news"], encoding="utf-8", request=Request(url))
    args = {"section": "news", "page": 1, "offset": 0, "step": None}
    all_out = list(everything.parse_section(response, **args))
    days = sorted(article_days(all_out))
    assert any(r.meta.get("newsarchive_kind") == "listing" for r in all_out)  # next page
    since = days[len(days) // 2]  # half the page is older

    limited = spider(base, since=since.isoformat())
    out = list(limited.parse_section(response, **args))
    kept = article_days(out)
    assert kept and all(day >= since for day in kept)
    assert len(kept) == sum(day >= since for day in days) < len(days)
    # the page's last excerpt is older than since: no next page
    assert not any(r.meta.get("newsarchive_kind") == "listing" for r in out)
    assert limited.crawler.stats.get_value("newsarchive/listing/stopped_at_since") == 1


def test_feed_links_before_since_are_not_requested(pages) -> None:
    base = pages["base"].decode()
    url = f"{base}/rss/news"
    response = XmlResponse(url, body=pages["/rss/news"], request=Request(url))
    days = sorted(article_days(list(spider(base).parse_feed(response, section="news"))))
    since = days[len(days) // 2]
    kept = article_days(list(spider(base, since=since.isoformat()).parse_feed(response, "news")))
    assert kept and all(day >= since for day in kept)
    assert len(kept) == sum(day >= since for day in days) < len(days)
