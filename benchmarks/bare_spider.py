"""A bare Scrapy spider: the baseline of ``crawl_throughput.py``.

It requests exactly what ``scrapy crawl moscowtimes`` requests on a fresh archive (robots.txt,
each section page, its load-more fragments until an empty one, every listed article once)
with the same pagination logic and request priorities, but extracts nothing: plain regular
expressions find the links, article responses are dropped on arrival, and there are no item
pipelines, middlewares or extensions of ours. Its settings are the project's
(``newsarchive.settings``: robots.txt, retries, timeouts, reactor...) minus every component
of ours, plus whatever ``-s`` overrides are given, so both crawls run under the same rules.

    python benchmarks/bare_spider.py --base-url http://127.0.0.1:PORT [-s NAME=VALUE ...]

Scrapy logs its stats at the end, as ``scrapy crawl`` does.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import _common  # noqa: F401  (puts the repository root on sys.path)
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse
from scrapy.settings import Settings

from newsarchive.extract.moscowtimes import SECTIONS  # the spider's own list

# SectionSpider's defaults when a page does not say (not imported: the spider module would
# load the item schema and pyarrow into the baseline's memory)
FIRST_PAGE_SIZE, PAGE_STEP = 19, 18
# Our components: everything else in newsarchive.settings is kept.
OUR_SETTINGS = (
    "BOT_NAME",
    "SPIDER_MODULES",
    "NEWSPIDER_MODULE",
    "COMMANDS_MODULE",
    "DOWNLOADER_MIDDLEWARES",
    "DOWNLOAD_HANDLERS",
    "SPIDER_MIDDLEWARES",
    "ITEM_PIPELINES",
    "EXTENSIONS",
)

CLUSTER = re.compile(r'class="cluster cluster--section-articles"(.*?)</section>', re.S)
EXCERPT_URL = re.compile(r'class="article-excerpt-(?:lead|default)"[^>]*?\sdata-url="([^"]+)"')
MORE = re.compile(r'<[^>]*y-use="More"[^>]*>')
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
ARTICLE_ID = re.compile(r"-a(\d+)/?$")


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base_url: str, sections: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.sections = sections.split(",") if sections else list(SECTIONS)
        self.seen_ids: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for section in self.sections:
            yield scrapy.Request(
                f"{self.base_url}/{section}",
                callback=self.parse_section,
                cb_kwargs={"section": section, "page": 1, "offset": 0, "step": None},
            )

    def parse_section(
        self, response: Response, section: str, page: int, offset: int, step: int | None
    ) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        text = response.text
        cluster = CLUSTER.search(text)
        urls = EXCERPT_URL.findall(cluster.group(1) if cluster else text)
        if not urls:
            return
        for url in urls:
            match = ARTICLE_ID.search(url)
            if match is None or match.group(1) in self.seen_ids:
                continue
            self.seen_ids.add(match.group(1))
            yield scrapy.Request(
                response.urljoin(url),
                callback=self.parse_article,
                meta={"article_id": match.group(1)},
                priority=1,
            )
        more = MORE.search(text)
        attributes = dict(ATTRIBUTE.findall(more.group(0))) if more else {}
        template = attributes.get("data-url") or response.meta.get("more_url_template")
        if page == 1:
            offset = int(attributes.get("data-start") or FIRST_PAGE_SIZE)
            step = int(attributes.get("data-step") or PAGE_STEP)
        else:
            offset += step or PAGE_STEP
        next_url = (
            template.replace("{{offset}}", str(offset))
            if template
            else f"{self.base_url}/{section}/{offset}"
        )
        yield scrapy.Request(
            response.urljoin(next_url),
            callback=self.parse_section,
            cb_kwargs={"section": section, "page": page + 1, "offset": offset, "step": step},
            meta={"more_url_template": template},
            priority=-1,
        )

    def parse_article(self, response: Response) -> None:
        return None


def bare_settings(overrides: dict[str, str]) -> Settings:
    """The project's settings without our components, then ``overrides``."""
    from newsarchive import settings as project

    values = {
        name: getattr(project, name)
        for name in dir(project)
        if name.isupper() and name not in OUR_SETTINGS and not name.startswith("NEWSARCHIVE_")
    }
    values["USER_AGENT"] = "newsarchive-benchmark-bare/0.1"
    settings = Settings()
    settings.setdict(values, priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Crawl a mirror with the bare spider.")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--sections", help="comma-separated section slugs (default: all)")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.settings)
    process = CrawlerProcess(bare_settings(overrides))
    process.crawl(BareSpider, base_url=args.base_url, sections=args.sections)
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
