"""The layout-drift alarm: a run whose fields fill far less often than before fails.

Settings:

* ``NEWSARCHIVE_DRIFT_ENABLED`` (default on);
* ``NEWSARCHIVE_DRIFT_FIELDS``: the fields judged (default every measured field but
  ``modified_at``; ``words`` is the body's median word count);
* ``NEWSARCHIVE_DRIFT_HISTORY``: how many earlier runs of the site make the baseline (10);
* ``NEWSARCHIVE_DRIFT_ALPHA``: how unlikely the fall must be by chance (1e-4);
* ``NEWSARCHIVE_DRIFT_ACCEPT``: this run's fill becomes the site's new baseline, whatever
  it is (after a redesign that the profile now follows, or that is meant to stay).

Each run's fill rates are stats (``newsarchive/fill/<field>``) and go into the manifest
(``fields``) and the state (beside the site's earlier runs). The judgement (``drift`` in the
manifest) becomes one of the run's failures (``ArchiveRun``), so ``scrapy crawl`` exits
non-zero and cron mails the error: the site, the fields, the rates before and after. A run
that raised the alarm never becomes part of a baseline, so every run fails until the profile
is fixed or the change is accepted. A section whose first listing page failed for good or
listed nothing fails the run the same way, whatever the run's size.

This extension must come before ``ArchiveRun`` in ``EXTENSIONS``: both act on
``spider_closed``, and Scrapy calls the handlers in the order the extensions were built.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsarchive.drift import (
    ALPHA,
    FIELDS,
    JUDGED_BY_DEFAULT,
    WORDS,
    Alarm,
    Baseline,
    FillCounter,
    judge,
    judge_sections,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FILL_PREFIX = "newsarchive/fill"
FIELDS_KEY = "newsarchive/drift/fields"
"""Stats key of the manifest's ``fields``: articles measured, fill rates, median words."""
DRIFT_KEY = "newsarchive/drift/report"
"""Stats key of the manifest's ``drift``: status, baseline, alarms."""
FAILURES_KEY = "newsarchive/drift/failures"
"""Stats key of the failure lines ``ArchiveRun`` adds to its verdict."""


class LayoutDriftMonitor:
    def __init__(
        self,
        crawler: Crawler,
        fields: tuple[str, ...],
        history: int,
        alpha: float,
        accept: bool,
    ) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.fields = fields
        self.history = history
        self.alpha = alpha
        self.accept = accept
        self.counter = FillCounter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_DRIFT_ENABLED", True):
            raise NotConfigured("NEWSARCHIVE_DRIFT_ENABLED is off")
        fields = tuple(settings.getlist("NEWSARCHIVE_DRIFT_FIELDS", list(JUDGED_BY_DEFAULT)))
        unknown = [f for f in fields if f not in FIELDS and f != WORDS]
        if unknown:
            raise ValueError(
                f"NEWSARCHIVE_DRIFT_FIELDS: unknown field(s) {', '.join(unknown)}; "
                f"accepted: {', '.join([*FIELDS, WORDS])}"
            )
        history = settings.getint("NEWSARCHIVE_DRIFT_HISTORY", 10)
        alpha = settings.getfloat("NEWSARCHIVE_DRIFT_ALPHA", ALPHA)
        if history < 1 or not 0 < alpha < 1:
            raise ValueError(
                "NEWSARCHIVE_DRIFT_HISTORY must be 1 or more and NEWSARCHIVE_DRIFT_ALPHA "
                "between 0 and 1"
            )
        ext = cls(
            crawler, fields, history, alpha, settings.getbool("NEWSARCHIVE_DRIFT_ACCEPT", False)
        )
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_scraped(self, item: Any, **_: Any) -> None:
        self.counter.add(ItemAdapter(item).get)

    def spider_closed(self, spider: Any, reason: str) -> None:
        site = getattr(spider, "site", None)
        fill = self.counter.snapshot()
        for name, rate in fill.rates().items():
            self.stats.set_value(f"{FILL_PREFIX}/{name}", rate)
        self.stats.set_value(f"{FILL_PREFIX}/items", fill.items)
        self.stats.set_value(
            FIELDS_KEY,
            {"items": fill.items, "fill": fill.rates(), "median_words": fill.median_words},
        )
        state = getattr(self.crawler, "newsarchive_state", None)
        history = state.fill_history(site, self.history) if state and site else []
        baseline = Baseline.of(history)
        alarms = [] if self.accept else judge(self.counter, baseline, self.fields, self.alpha)
        sweeps = getattr(spider, "sweeps", None)
        section_alarms = judge_sections(sweeps.summary()) if sweeps is not None else []
        status = self._status(baseline, alarms + section_alarms, bool(history))
        self.stats.set_value(
            DRIFT_KEY,
            {
                "status": status,
                "baseline": baseline.as_dict() if baseline else None,
                "alarms": [a.as_dict() for a in alarms + section_alarms],
            },
        )
        failures = [a.message for a in section_alarms]
        if alarms:
            failures.insert(0, self._message(site, fill.items, baseline, alarms))
        if failures:
            self.stats.set_value(FAILURES_KEY, failures)
            self.stats.set_value("newsarchive/drift/alarms", len(alarms) + len(section_alarms))
        elif self.accept:
            logger.info("Layout drift: this run's fill rates are %s's new baseline", site)
        # A killed or cut-short run measured a partial mix: only a finished one is history.
        if state and site and reason == "finished":
            state.record_fill(
                str(self.stats.get_value("newsarchive/run_id") or ""),
                site,
                fill,
                alarmed=bool(alarms),
                accepted=self.accept,
            )

    def _status(self, baseline: Baseline | None, alarms: list[Alarm], has_history: bool) -> str:
        if alarms:
            return "alarm"
        if self.accept:
            return "accepted"
        if baseline is None:
            return "too_few" if has_history else "no_history"
        return "ok"

    @staticmethod
    def _message(
        site: str | None, items: int, baseline: Baseline | None, alarms: list[Alarm]
    ) -> str:
        assert baseline is not None
        return (
            f"layout drift on {site}: {', '.join(a.message for a in alarms)} "
            f"(this run: {items} articles; before: {baseline.items} articles in "
            f"{baseline.runs} run(s)). If the site changed, fix its profile; if the change "
            "is meant to stay, run once with -s NEWSARCHIVE_DRIFT_ACCEPT=true"
        )
