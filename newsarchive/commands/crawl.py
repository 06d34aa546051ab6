"""``scrapy crawl`` with an exit code cron can trust.

Same command and options as Scrapy's, plus:

* exit 75 (EX_TEMPFAIL) at once, with one clear line, if another run holds the archive;
* exit 1 if the run failed (see ``newsarchive.extensions.run``: closed for a reason other
  than ``finished``, errors, or too many drops), so cron's mail says so;
* exit 2 at once, naming them, if the project's pipelines, extensions or middlewares were
  left out by a ``-s`` override (see ``left_out_components``);
* exit 2 at once, with one line naming the argument, its value and what is accepted, if a
  spider argument cannot be used (``newsarchive.arguments``), before anything is written;
* exit 2 at once, before anything is created, if ``NEWSARCHIVE_OUTPUT`` is a URL of a scheme
  other than ``s3://`` (``newsarchive.archive_fs``), or an S3 archive without
  ``NEWSARCHIVE_STATE`` (its SQLite file cannot live on S3);
* exit 73 (EX_CANTCREAT) at once if ``NEWSARCHIVE_OUTPUT`` cannot be created or written (on
  S3: its bucket does not exist), 69 if its S3 endpoint cannot be reached or refuses us;
* exit 69 (EX_UNAVAILABLE) at once if ``REDIS_URL`` is set and that Redis does not answer;
* exit 2 at once, before anything is fetched, if a Parquet feed cannot be written as asked
  (``-o`` appending to a Parquet file that holds bytes, ``fields`` the schema lacks; see
  ``newsarchive.exporters.feed_problems``): a crawl must not feed the archive and its state
  with articles that its feed then loses;
* exit 2 at once, before anything is created, if ``NEWSARCHIVE_STATE`` has a scheme no
  backend serves (``newsarchive.state.state_backend``), and 69 if it is a Redis that does
  not answer;
* exit 78 (EX_CONFIG) at once, with one line, if the state was written by a newer release
  (``newsarchive.state.newer_state_problem``): it is not read, nor migrated down.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newsarchive import settings as project_settings
from newsarchive.archive_fs import UnsupportedArchiveLocation, check_settings, scrub
from newsarchive.arguments import BadArgument
from newsarchive.exporters import feed_problems
from newsarchive.extensions.run import STATUS_KEY, crawl_lock
from newsarchive.extensions.state import state_location
from newsarchive.frontier import redacted, redis_unreachable, redis_url
from newsarchive.state import UnsupportedStateLocation, newer_state_problem, state_backend
from newsarchive.storage import ArchiveLockedError

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings

EXIT_LOCKED = 75
EXIT_USAGE = 2
EXIT_CANTCREAT = 73
EXIT_UNAVAILABLE = 69
EXIT_CONFIG = 78
COMPONENT_SETTINGS = (
    "ITEM_PIPELINES",
    "EXTENSIONS",
    "SPIDER_MIDDLEWARES",
    "DOWNLOADER_MIDDLEWARES",
)


def left_out_components(settings: BaseSettings) -> list[str]:
    """The project's components that the effective settings do not set as the project does:
    enabled ones left out, and Scrapy's own that the project replaces switched back on
    (reported with "(off)").

    A dict setting given with ``-s`` replaces the project's whole dict (Scrapy only merges it
    with its own ``*_BASE``): ``-s EXTENSIONS='{"myext.Ext": 0}'``, meant to add one, would
    drop the Parquet writer and archive nothing, silently. Nothing is checked when
    ``NEWSARCHIVE_CHECK_COMPONENTS`` is off (a deliberate partial run).
    """
    if not settings.getbool("NEWSARCHIVE_CHECK_COMPONENTS", True):
        return []
    left_out = []
    for name in COMPONENT_SETTINGS:
        effective = settings.getwithbase(name)
        for component, order in getattr(project_settings, name, {}).items():
            if (order is None) != (effective.get(component) is None):
                left_out.append(component if order is not None else f"{component} (off)")
    return left_out


def unwritable(root: Path) -> str | None:
    """Why the archive folder cannot be created or written to, or None if it can."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    if not root.is_dir():
        return "not a directory"
    if not os.access(root, os.W_OK | os.X_OK):
        return "permission denied"
    return None


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.settings is not None and self.crawler_process is not None
        left_out = left_out_components(self.settings)
        if left_out:
            print(
                "newsarchive: not crawling: these components are not set as the project sets "
                "them: "
                f"{', '.join(left_out)}. A dict given with -s (e.g. -s EXTENSIONS=...) replaces "
                "the project's whole dict: include them in it, or add yours in "
                "newsarchive/settings.py (or -s NEWSARCHIVE_CHECK_COMPONENTS=False for a "
                "deliberate partial run)",
                file=sys.stderr,
            )
            self.exitcode = EXIT_USAGE
            return
        try:  # the spider reads its arguments as the crawl will, before anything is written
            self.crawler_process.spider_loader.load(args[0])(**opts.spargs)
        except BadArgument as exc:
            print(f"newsarchive: not crawling: {exc}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        problems = feed_problems(self.settings)
        if problems:
            for problem in problems:
                print(f"newsarchive: not crawling: {problem}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        try:
            location = check_settings(self.settings)
        except UnsupportedArchiveLocation as exc:
            print(f"newsarchive: not crawling: {exc}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        if self._bad_state():
            return
        root = Path(self.settings.get("NEWSARCHIVE_OUTPUT") or "output")
        if location is not None and not location.is_local:
            try:
                problem = None if location.is_dir() else "no such bucket"
                code = EXIT_CANTCREAT
            except OSError as exc:
                problem, code = " ".join(scrub(str(exc)).split()), EXIT_UNAVAILABLE
            if problem:
                print(
                    f"newsarchive: not crawling: NEWSARCHIVE_OUTPUT={location.url!r} cannot "
                    f"be used ({problem})",
                    file=sys.stderr,
                )
                self.exitcode = code
                return
        else:
            problem = unwritable(root)
            if problem:
                print(
                    f"newsarchive: not crawling: NEWSARCHIVE_OUTPUT={str(root)!r} cannot be "
                    f"written ({problem})",
                    file=sys.stderr,
                )
                self.exitcode = EXIT_CANTCREAT
                return
        shared = redis_url(self.settings)
        if shared:  # a shared crawl: Redis must answer; the workers run side by side
            problem = redis_unreachable(shared)
            if problem:
                print(
                    f"newsarchive: not crawling: REDIS_URL={redacted(shared)!r} cannot be "
                    f"used ({problem})",
                    file=sys.stderr,
                )
                self.exitcode = EXIT_UNAVAILABLE
                return
        try:  # a friendly early answer; the run extension takes the lock for real
            if not shared:
                with crawl_lock(location or root):
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

    def _bad_state(self) -> bool:
        """Say in one line why ``NEWSARCHIVE_STATE`` cannot be used (and set the exit code),
        before anything is created; False if it can be."""
        assert self.settings is not None
        if not self.settings.getbool("NEWSARCHIVE_STATE_ENABLED", True):
            return False
        location = self.settings.get("NEWSARCHIVE_STATE")
        if not location:
            return self._newer_state()
        try:
            backend, target = state_backend(str(location))
        except UnsupportedStateLocation as exc:
            print(f"newsarchive: not crawling: {exc}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return True
        if backend == "redis":
            from newsarchive.state_redis import split_url

            problem = redis_unreachable(split_url(target)[0])
            if problem:
                print(
                    f"newsarchive: not crawling: NEWSARCHIVE_STATE={redacted(target)!r} "
                    f"cannot be used ({problem})",
                    file=sys.stderr,
                )
                self.exitcode = EXIT_UNAVAILABLE
                return True
        return self._newer_state()

    def _newer_state(self) -> bool:
        """A state a newer release wrote is refused in one line (exit 78, EX_CONFIG)."""
        assert self.settings is not None
        problem = newer_state(self.settings)
        if problem:
            print(f"newsarchive: not crawling: {problem}", file=sys.stderr)
            self.exitcode = EXIT_CONFIG
        return problem is not None


def newer_state(settings: BaseSettings) -> str | None:
    """Why the archive's state cannot be used by this release (a newer one wrote it: it is
    not read, nor migrated down), with no password in it; None if it can, or if the state is
    off. Raises ``UnsupportedStateLocation`` for a location no backend serves."""
    if not settings.getbool("NEWSARCHIVE_STATE_ENABLED", True):
        return None
    problem = newer_state_problem(state_location(settings))
    return redacted(problem) if problem else None
