"""A test-only Scrapy extension that SIGKILLs the crawl at an exact point of its archive writes.

Why: a ``kill -9`` from outside lands wherever the crawl happens to be, so the moments that
matter most for crash safety -- a Parquet file renamed into place but not yet in the state,
the end-of-run flush half done, the archive closed but the listing sweeps not yet recorded --
are hit only by luck. This extension kills the process from inside the very signal handler,
so a test reproduces that moment every time.

``NEWSARCHIVE_TEST_KILL_AT`` (without it the extension is off, ``NotConfigured``):

* ``file:N``: in the ``parquet_file_committed`` handler of the N-th file the run commits,
  i.e. after its rename, before the state extension records its rows;
* ``archive_closed``: in the ``archive_closed`` handler, i.e. after the writer's final flush
  at spider close, before the state records how far each listing sweep reached (a code base
  without that signal never kills there).

Enable it with a lower ``EXTENSIONS`` priority than every project extension (e.g. 0), so that
it connects, and so runs, before them; keep all project extensions in the dict (the crawl
command refuses an override that leaves one out)::

    -s EXTENSIONS='{...newsarchive.settings.EXTENSIONS..., "tests.kill_switch.KillSwitch": 0}'
    -s NEWSARCHIVE_TEST_KILL_AT=file:1
"""

from __future__ import annotations

import logging
import os
import signal
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import NotConfigured

from newsarchive import signals as na_signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

SETTING = "NEWSARCHIVE_TEST_KILL_AT"


def kill_now(where: str) -> None:
    """SIGKILL this process: no handler, no ``finally``, no flush runs after this."""
    logger.warning("Kill switch: SIGKILL at %s", where)
    logging.shutdown()  # the line above reaches the log file before the process dies
    os.kill(os.getpid(), signal.SIGKILL)


class KillSwitch:
    """Kills the crawl at ``file:N`` or ``archive_closed`` (see the module docstring)."""

    def __init__(self, file_number: int | None, at_archive_closed: bool) -> None:
        self.file_number = file_number
        self.at_archive_closed = at_archive_closed
        self.files_committed = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        spec = (crawler.settings.get(SETTING) or "").strip()
        if not spec:
            raise NotConfigured(f"{SETTING} is not set")
        if spec == "archive_closed":
            ext = cls(None, at_archive_closed=True)
            archive_closed = getattr(na_signals, "archive_closed", None)
            if archive_closed is not None:
                crawler.signals.connect(ext.archive_closed, signal=archive_closed)
            else:
                logger.warning("Kill switch: newsarchive sends no archive_closed signal")
            return ext
        kind, _, number = spec.partition(":")
        if kind != "file" or not number.isdigit() or int(number) < 1:
            raise ValueError(f"{SETTING} must be file:N (N >= 1) or archive_closed, not {spec!r}")
        ext = cls(int(number), at_archive_closed=False)
        crawler.signals.connect(ext.file_committed, signal=na_signals.parquet_file_committed)
        return ext

    def file_committed(self, path: Any = None, **_: Any) -> None:
        self.files_committed += 1
        if self.files_committed == self.file_number:
            kill_now(f"file {self.files_committed} ({path})")

    def archive_closed(self, **_: Any) -> None:
        kill_now("archive_closed")
