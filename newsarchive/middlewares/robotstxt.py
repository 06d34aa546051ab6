"""Scrapy's robots.txt middleware, with a robots.txt that cannot be downloaded logged as one line.

When robots.txt fails for good (no network, DNS, timeouts after the retries), Scrapy logs
"Error downloading <the page that asked for it>" at ERROR with two chained tracebacks of
Twisted internals, and then crawls the site as if it had no rules. The behaviour is kept
(and the ERROR still fails the run under ``NEWSARCHIVE_MAX_ERRORS=0``); the record is
rewritten to say which robots.txt failed, why, and what the crawl does about it.
Scrapy's own stats count it as ``robotstxt/exception_count/<exception class>``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares import robotstxt
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class RobotsTxtDownloadErrorFilter(logging.Filter):
    """Turns the robots.txt middleware's "Error downloading" record into one plain line."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            record.exc_info
            and isinstance(args, dict)
            and "f_exception" in args
            and hasattr(args.get("request"), "url")
        ):
            url = urlparse_cached(args["request"])
            record.msg = (
                "Could not download %(robots)s (%(f_exception)s): crawling the site as if it "
                "had no robots.txt rules"
            )
            record.args = {
                "robots": f"{url.scheme}://{url.netloc}/robots.txt",
                "f_exception": args["f_exception"],
            }
            record.exc_info = record.exc_text = None
        return True


_FILTER = RobotsTxtDownloadErrorFilter()


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """``scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware`` plus the filter above on
    its logger (installed once per process, whatever the number of crawlers)."""

    def __init__(self, crawler: Crawler, *args: Any, **kwargs: Any) -> None:
        super().__init__(crawler, *args, **kwargs)
        if _FILTER not in robotstxt.logger.filters:
            robotstxt.logger.addFilter(_FILTER)
