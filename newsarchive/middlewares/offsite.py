"""Off-site filtering that ``dont_filter`` cannot bypass.

Scrapy's ``OffsiteMiddleware`` lets any request with ``dont_filter=True`` through, and a
redirect inherits the flag. Our article requests need ``dont_filter`` (so that a redirect loop
fails, counted, instead of vanishing in the duplicate filter), so with the stock middleware a
hostile ``302 Location: http://elsewhere/`` on an article would be followed. Here only the
explicit ``allow_offsite`` meta key lets a request leave the allowed domains.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware


class StrictOffsiteMiddleware(OffsiteMiddleware):
    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not request.dont_filter or request.meta.get("allow_offsite"):
            super().process_request(request)
        elif not self.should_follow(request, self.crawler.spider):
            super().process_request(request.replace(dont_filter=False))

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """Checked when downloaded instead: a request dropped at scheduling never reaches its
        errback, so an off-site redirect would vanish uncounted instead of being retried."""
