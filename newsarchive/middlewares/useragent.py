"""A User-Agent that tells site operators who is crawling and how to reach them.

``NEWSARCHIVE_CONTACT`` (an e-mail or URL) fills the ``{contact}`` placeholder of
``NEWSARCHIVE_USER_AGENT``, so ``-s NEWSARCHIVE_CONTACT=mailto:me@example.org`` is all a user
sets. A ``USER_AGENT`` given on the command line (``-s USER_AGENT=...``) still wins.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from scrapy import signals
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.settings import SETTINGS_PRIORITIES

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ContactUserAgentMiddleware(UserAgentMiddleware):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if (settings.getpriority("USER_AGENT") or 0) >= SETTINGS_PRIORITIES["spider"]:
            user_agent = settings.get("USER_AGENT")
        else:
            contact = settings.get("NEWSARCHIVE_CONTACT") or ""
            if not contact:
                logger.warning(
                    "NEWSARCHIVE_CONTACT is not set, so site operators cannot reach you: "
                    "crawl real sites with -s NEWSARCHIVE_CONTACT=mailto:you@example.org"
                )
            template = settings.get("NEWSARCHIVE_USER_AGENT")
            user_agent = template.format(contact=contact).replace(" (+)", "")
        middleware = cls(user_agent)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware
