"""Counted reasons: every dropped item, skipped page or failure is a stats key, logged once.

An unattended crawl must neither crash on bad input nor hide it. Each reason becomes a
stats counter (``<prefix>/<reason>``) and the first occurrence of each reason is logged as
a warning with an example; later ones are counted quietly so a bad site cannot flood the log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_SAFE_REASON = re.compile(r"[^a-z0-9_]+")


def reason_key(reason: str) -> str:
    """A reason as a stable, stats-friendly token (``Missing body!`` -> ``missing_body``)."""
    return _SAFE_REASON.sub("_", reason.lower()).strip("_")[:64] or "unknown"


# Reasons for the transport errors of Twisted and Scrapy, in words a reader of the manifest
# knows; any other exception is named after its class.
TRANSPORT_REASONS = {
    "TimeoutError": "timeout",
    "DownloadTimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "DNSLookupError": "dns_lookup_failed",
    "CannotResolveHostError": "dns_lookup_failed",
    "ConnectionRefusedError": "connection_refused",
    "ConnectionDone": "connection_lost",
    "ConnectionLost": "connection_lost",
    "ResponseFailed": "connection_lost",
    "ResponseNeverReceived": "connection_lost",
    "ResponseDataLossError": "truncated_page",
}


def transport_reason(error: BaseException) -> str:
    """The reason of a download error. Scrapy wraps Twisted's errors in its own
    (``DownloadFailedError`` from ``ConnectionDone``...): the first known one in the chain
    of causes names it, else the outermost error's class."""
    cause: BaseException | None = error
    while cause is not None:
        reason = TRANSPORT_REASONS.get(type(cause).__name__)
        if reason:
            return reason
        cause = cause.__cause__
    return reason_key(type(error).__name__)


class ReasonCounter:
    """Counts reasons under one stats prefix and logs the first of each kind."""

    def __init__(self, stats: Any, prefix: str, logger: logging.Logger, what: str) -> None:
        self.stats = stats
        self.prefix = prefix.rstrip("/")
        self.logger = logger
        self.what = what
        self._logged: set[str] = set()

    def count(self, reason: str, example: str = "", level: int = logging.WARNING) -> str:
        key = reason_key(reason)
        stats_key = f"{self.prefix}/{key}"
        self.stats.inc_value(stats_key)
        if key not in self._logged:
            self._logged.add(key)
            self.logger.log(
                level,
                "%s (%s)%s; further cases are only counted in the stats as %s",
                self.what,
                key,
                f": {example}" if example else "",
                stats_key,
            )
        return key
