"""robots.txt as RFC 9309 asks, including when it cannot be read.

Scrapy's ``RobotsTxtMiddleware`` crawls a site whose robots.txt cannot be read as if it had
no rules. That covers a robots.txt that answered 5xx, whose body is then parsed as rules,
and one that failed to download. For the failed download it logs "Error downloading <the
page that asked for it>" at ERROR, with two chained tracebacks of Twisted internals.

RFC 9309 (2.3.1.4) asks a crawler to assume complete disallow when robots.txt is unreachable
(a server error or a network error), because an overloaded or failing site is exactly the one
to leave alone. This middleware does that by default. It also treats 429 as a server error,
because a site that rate-limits its robots.txt is asking for fewer requests. The download is
retried first (``RETRY_TIMES``, with backoff), and the next run asks again.

- ``NEWSARCHIVE_ROBOTSTXT_UNREACHABLE = "disallow"``: fetch nothing from the site. The
  requests are counted as skipped (``newsarchive/skipped/forbidden_by_robots``), and one ERROR
  line names the robots.txt and the reason, which fails the run.
- ``"allow"``: Scrapy's behaviour. The site is crawled as if it had no rules, with one WARNING
  line.

Both count ``newsarchive/robotstxt/unreachable/<reason>``. A robots.txt that answers 4xx
(404, 403 and so on) is "unavailable", not unreachable, and allows everything, as in Scrapy
and the RFC.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares import robotstxt
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from newsarchive.accounting import reason_key, transport_reason

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

POLICIES = ("disallow", "allow")


def _innermost(error: BaseException) -> str:
    """What went wrong in the words of the first error. Scrapy wraps Twisted's errors, and
    some of those (``ResponseNeverReceived``) print as a list of Twisted failures."""
    while error.__cause__ is not None:
        error = error.__cause__
    failures = getattr(error, "reasons", None)
    if isinstance(failures, list) and failures:
        return "; ".join(getattr(f, "getErrorMessage", f.__str__)() for f in failures)
    return str(error).strip() or type(error).__name__


class DisallowAll:
    """The rules of a site whose robots.txt is unreachable: nothing may be fetched."""

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def sitemaps(self) -> Any:
        return iter(())


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware (in its place, 100), with the module's policy for a
    robots.txt that cannot be read."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        policy = crawler.settings.get("NEWSARCHIVE_ROBOTSTXT_UNREACHABLE", "disallow")
        if policy not in POLICIES:
            raise ValueError(
                f"NEWSARCHIVE_ROBOTSTXT_UNREACHABLE must be one of {', '.join(POLICIES)}, "
                f"not {policy!r}"
            )
        self.disallow_unreachable = policy == "disallow"

    async def robot_parser(self, request: Request) -> Any:
        """Scrapy's ``robot_parser``, with unreachable robots.txt files handled as above."""
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots_url = f"{url.scheme}://{netloc}/robots.txt"
            robots_request = Request(
                robots_url,
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
            except IgnoreRequest as error:  # dropped on purpose by a middleware: Scrapy's way
                self._robots_error(error, netloc)
            except Exception as error:
                self._stats.inc_value(f"robotstxt/exception_count/{type(error)}")
                self.unreachable(netloc, robots_url, transport_reason(error), _innermost(error))
            else:
                status = response.status
                if status >= 500 or status == 429:
                    self._stats.inc_value("robotstxt/response_count")
                    self._stats.inc_value(f"robotstxt/response_status_count/{status}")
                    self.unreachable(netloc, robots_url, f"http_{status}", f"HTTP {status}")
                else:
                    await self._parse_robots(response, netloc, request)
            self._stats.inc_value("robotstxt/request_count")

        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def unreachable(self, netloc: str, robots_url: str, reason: str, detail: str) -> None:
        """Settle the site's rules after its robots.txt could not be read, and say so once."""
        self._stats.inc_value(f"newsarchive/robotstxt/unreachable/{reason_key(reason)}")
        if self.disallow_unreachable:
            parser: DisallowAll | None = DisallowAll()
            logger.error(
                "Could not read %s (%s): fetching nothing from %s, as RFC 9309 asks when "
                "robots.txt is unreachable; the next run asks again "
                "(NEWSARCHIVE_ROBOTSTXT_UNREACHABLE=allow crawls it as if it had no rules)",
                robots_url,
                detail,
                netloc,
            )
        else:
            parser = None
            logger.warning(
                "Could not read %s (%s): crawling %s as if it had no robots.txt rules "
                "(NEWSARCHIVE_ROBOTSTXT_UNREACHABLE=allow)",
                robots_url,
                detail,
                netloc,
            )
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)
