"""Sweeps: how far down each section listing a run really went, and what it vouches for.

A run reads a section's listing from its first page down, page after page. The incremental
horizon (``newsarchive.middlewares.incremental``) stops it at a page of known articles, which
is only safe if everything further down is archived too. That is true only below an article
that an earlier *complete* sweep listed: one that read every page from the top down to the
end of the listing (or to ``since``, or to another vouched-for page) in a run that finished,
and whose every listed article ended up archived or in the retry queue.

A run limited by ``max_pages``, a listing page that failed for good, a killed run or one that
closed for any reason but ``finished`` vouches for nothing, so the next run pages on past its
articles until it meets a mark of a complete sweep (or the end), and catches up by itself.

Plain data, no Scrapy: the spider fills a ``SweepLog``, the incremental middleware ends
sweeps at the horizon, and the state extension records the complete ones when the run ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from newsarchive.state import BOTTOM

# How a sweep ended. Only these three vouch for what they listed.
EXHAUSTED = "exhausted"  # the listing ran out: everything down to its end was listed
SINCE = "since"  # a page reached past ``since``: everything down to that day was listed
HORIZON = "horizon"  # it met an article an earlier complete sweep vouches for
MAX_PAGES = "max_pages"
FAILED = "failed"  # a listing page failed for good
COMPLETE_ENDS = frozenset({EXHAUSTED, SINCE, HORIZON})


def reaches_floor(reach: str | None, floor: str) -> bool:
    """Whether a sweep mark ``reach`` vouches for everything down to ``floor``.

    Both are ``BOTTOM`` (the end of the listing) or a ``YYYY-MM-DD`` day: a mark down to the
    bottom serves any run, a mark down to a day serves runs whose own floor (``since``) is
    that day or later. ``None`` (no complete sweep listed the article) serves none.
    """
    if reach is None:
        return False
    return reach == BOTTOM or (floor != BOTTOM and reach <= floor)


@dataclass
class SectionSweep:
    """One section's sweep in this run."""

    section: str
    pages: int = 0
    article_ids: list[str] = field(default_factory=list)
    """Every article the pages listed (at or after ``since``), in listing order."""
    end: str | None = None
    """How it ended (None: it did not, which a finished run never leaves)."""
    met: str | None = None
    """At the horizon: the mark it met, which it extends to everything it listed."""
    failure: str | None = None
    """Why a listing page failed for good (with ``end == FAILED``)."""
    empty_first_page: bool = False
    """Its first page listed no article: the section is gone or its listing changed."""

    def reach(self, floor: str) -> str | None:
        """How far down this sweep vouches, or None if it vouches for nothing."""
        if self.end == EXHAUSTED:
            return BOTTOM
        if self.end == SINCE:
            return floor
        if self.end == HORIZON:
            return self.met
        return None


class SweepLog:
    """The sweeps of one run, by section. ``floor`` is ``BOTTOM`` or the ``since`` day."""

    def __init__(self, floor: str = BOTTOM) -> None:
        self.floor = floor
        self._sweeps: dict[str, SectionSweep] = {}
        self.excused: set[str] = set()
        """Listed articles that the run may leave unarchived (robots.txt forbids them)."""

    def __iter__(self) -> Iterator[SectionSweep]:
        return iter(self._sweeps.values())

    def get(self, section: str) -> SectionSweep:
        sweep = self._sweeps.get(section)
        if sweep is None:
            sweep = self._sweeps[section] = SectionSweep(section)
        return sweep

    def page(self, section: str, article_ids: list[str]) -> None:
        """A listing page of ``section`` was read; ``article_ids`` are what it listed."""
        sweep = self.get(section)
        sweep.pages += 1
        sweep.article_ids.extend(article_ids)

    def end(
        self, section: str, how: str, met: str | None = None, failure: str | None = None
    ) -> None:
        """The sweep of ``section`` ends here (the first end wins: a sweep ends once)."""
        sweep = self.get(section)
        if sweep.end is None:
            sweep.end = how
            sweep.met = met
            sweep.failure = failure

    def summary(self) -> dict[str, dict[str, object]]:
        """Per section: listing pages read and how the sweep ended (``unfinished``: it did
        not, as when the run closed early), as the run manifest reports them; why a page
        failed, and whether the first page listed nothing, where so."""
        summary: dict[str, dict[str, object]] = {}
        for sweep in self:
            entry: dict[str, object] = {"pages": sweep.pages, "end": sweep.end or "unfinished"}
            if sweep.failure:
                entry["failure"] = sweep.failure
            if sweep.empty_first_page:
                entry["empty_first_page"] = True
            summary[sweep.section] = entry
        return summary
