"""A benchmark-only Scrapy extension: the crawl's own CPU time, start-up excluded.

``resource.getrusage(RUSAGE_SELF)`` (user + system, all threads) at ``spider_opened`` and at
``spider_closed`` goes into the stats as ``benchmark/cpu_at_open_s`` and
``benchmark/cpu_at_close_s``; what lies between is the crawl, without the interpreter's
start-up and imports (about the same for every configuration, and a large share of a
short crawl). Enabled with ``-s EXTENSIONS=...`` holding the project's extensions and this
one; it changes nothing else.
"""

from __future__ import annotations

import resource
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        meter = cls(crawler)
        crawler.signals.connect(meter.opened, signal=signals.spider_opened)
        crawler.signals.connect(meter.closed, signal=signals.spider_closed)
        return meter

    def opened(self, spider: Any) -> None:
        self.stats.set_value("benchmark/cpu_at_open_s", cpu_seconds())

    def closed(self, spider: Any) -> None:
        self.stats.set_value("benchmark/cpu_at_close_s", cpu_seconds())
