"""``scrapy crawl`` with an exit code cron can trust.

Same command and options as Scrapy's, plus:

* exit 75 (EX_TEMPFAIL) at once, with one clear line, if another run holds the archive;
* exit 1 if the run failed (see ``newsarchive.extensions.run``: closed for a reason other
  than ``finished``, errors, or too many drops), so cron's mail says so.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newsarchive.extensions.run import STATUS_KEY, crawl_lock
from newsarchive.storage import ArchiveLockedError

if TYPE_CHECKING:
    import argparse

EXIT_LOCKED = 75


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.settings is not None and self.crawler_process is not None
        root = Path(self.settings.get("NEWSARCHIVE_OUTPUT") or "output")
        try:  # a friendly early answer; the run extension takes the lock for real
            with crawl_lock(root):
                pass
        except ArchiveLockedError as exc:
            print(f"newsarchive: not crawling: {exc}", file=sys.stderr)
            self.exitcode = EXIT_LOCKED
            return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        status = crawler.stats.get_value(STATUS_KEY) if crawler.stats else None
        if self.crawler_process.bootstrap_failed or status == "failed":
            self.exitcode = 1
