"""Layout drift: a run whose fields fill far less often than the site's recent runs.

When a site changes its markup, the selectors still match something or nothing, the crawl
still "succeeds", and the archive fills with rows without authors or with half a body. This
module judges each run's field fill rates against the site's own recent history.

Plain data and arithmetic, no Scrapy: ``FillCounter`` measures a run, ``Baseline.of`` pools
earlier runs, ``judge`` says which fields fell. The extension
(``newsarchive.extensions.drift``) keeps the history in the state and fails the run.

How a fall is judged, so that an hourly run of 5 articles raises no false alarm:

* **material**: the rate fell by at least ``MIN_DROP`` (25 points) *and* to at most
  ``MAX_RATIO`` (three quarters) of what it was: 98% -> 60% is drift, 100% -> 90% is not;
* **significant**: seeing that few filled articles, if the rate were still the baseline's,
  is less likely than ``ALPHA`` (exact binomial tail). Five articles without authors where
  98% had them (0.02^5) is an alarm; five without a lead where 70% had one (0.3^5) is not.

Body length is judged the same way, on the share of articles with at least half the
baseline's median word count, and must also have a median that fell to ``WORDS_RATIO`` of it.
"""

from __future__ import annotations

import math
import statistics
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

WORDS = "words"
"""The pseudo-field of body length (median word count)."""
# Field name -> the item field whose value makes it "filled".
FIELDS: dict[str, str] = {
    "title": "title",
    "authors": "authors",
    "published_at": "published_at",
    "modified_at": "modified_at",
    "lead": "lead",
    "section": "section",
    "tags": "tags",
    "image": "image_url",
    "body": "word_count",
}
JUDGED_BY_DEFAULT = (*(f for f in FIELDS if f != "modified_at"), "words")
"""Whether an article has been edited depends on its age, not the layout (a first crawl of
old articles has many edited ones, an hourly run of new ones none), so ``modified_at`` is
measured and reported but judged only when ``NEWSARCHIVE_DRIFT_FIELDS`` names it."""

ALPHA = 1e-4
MIN_DROP = 0.25
MAX_RATIO = 0.75
WORDS_RATIO = 0.6
MIN_BASELINE_ITEMS = 30
"""A baseline of fewer articles than this judges nothing."""
RUN_WEIGHT_CAP = 500
"""A run counts as at most this many articles in a baseline, so one first crawl of 20,000
does not outweigh the recent runs for ever."""
QUANTILES = 20
"""Word counts are kept as the 0, 5, ..., 100th percentiles of each run."""


def _filled(value: Any) -> bool:
    """Whether an item field holds something: text that is not blank, a non-empty list, a
    positive word count, any other value."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value > 0
    if isinstance(value, list | tuple | set | dict):
        return bool(value)
    return value is not None


def quantiles(values: Sequence[int], steps: int = QUANTILES) -> list[float]:
    """The ``steps + 1`` evenly spaced percentiles of ``values`` (linear interpolation)."""
    if not values:
        return []
    ordered = sorted(values)
    last = len(ordered) - 1
    out = []
    for i in range(steps + 1):
        position = last * i / steps
        low = math.floor(position)
        high = min(low + 1, last)
        out.append(ordered[low] + (ordered[high] - ordered[low]) * (position - low))
    return out


def share_at_least(quants: Sequence[float], threshold: float) -> float:
    """The share of a run's values at or above ``threshold``, read off its percentiles."""
    if not quants:
        return 0.0
    if threshold <= quants[0]:
        return 1.0
    if threshold > quants[-1]:
        return 0.0
    steps = len(quants) - 1
    for i in range(steps):
        low, high = quants[i], quants[i + 1]
        if low <= threshold <= high:
            inside = 0.0 if high == low else (threshold - low) / (high - low)
            return 1.0 - (i + inside) / steps
    return 0.0


@dataclass
class RunFill:
    """What one run's articles filled: counts per field and word-count percentiles."""

    items: int
    filled: dict[str, int]
    words: list[float] = field(default_factory=list)

    def rate(self, name: str) -> float:
        return self.filled.get(name, 0) / self.items if self.items else 0.0

    @property
    def median_words(self) -> float | None:
        return self.words[len(self.words) // 2] if self.words else None

    def rates(self) -> dict[str, float]:
        return {name: round(self.rate(name), 4) for name in FIELDS}


class FillCounter:
    """Counts, article by article, which fields a run filled."""

    def __init__(self) -> None:
        self.items = 0
        self.filled = dict.fromkeys(FIELDS, 0)
        self.word_counts = array("l")

    def add(self, get: Any) -> None:
        """Count one article; ``get`` is its field getter (``ItemAdapter(item).get``)."""
        self.items += 1
        for name, item_field in FIELDS.items():
            if _filled(get(item_field)):
                self.filled[name] += 1
        words = get("word_count")
        # a count that is not one (the writer rejects such a row) counts as no words
        self.word_counts.append(words if isinstance(words, int) else 0)

    def snapshot(self) -> RunFill:
        return RunFill(self.items, dict(self.filled), quantiles(self.word_counts))

    @property
    def median_words(self) -> float | None:
        """The median word count (what ``snapshot().median_words`` gives, without it)."""
        return statistics.median(self.word_counts) if self.word_counts else None

    def count_at_least(self, words: float) -> int:
        """How many of this run's articles have at least ``words`` words."""
        return sum(1 for count in self.word_counts if count >= words)


@dataclass(frozen=True)
class Baseline:
    """A site's recent runs, pooled (each run weighing at most ``RUN_WEIGHT_CAP``)."""

    runs: int
    items: int
    rates: dict[str, float]
    median_words: float | None
    runs_words: tuple[tuple[float, tuple[float, ...]], ...]
    """(weight, percentiles) of each run, to read shares of word counts off."""

    @classmethod
    def of(cls, history: Iterable[RunFill]) -> Baseline | None:
        runs = [run for run in history if run.items]
        items = sum(run.items for run in runs)
        if items < MIN_BASELINE_ITEMS:
            return None
        weights = [min(run.items, RUN_WEIGHT_CAP) for run in runs]
        total = sum(weights)
        rates = {
            name: sum(w * run.rate(name) for w, run in zip(weights, runs, strict=True)) / total
            for name in FIELDS
        }
        with_words = [(w, tuple(run.words)) for w, run in zip(weights, runs, strict=True)]
        with_words = [(w, q) for w, q in with_words if q]
        return cls(len(runs), items, rates, _weighted_median(with_words), tuple(with_words))

    def share_at_least(self, words: float) -> float | None:
        if not self.runs_words:
            return None
        total = sum(w for w, _ in self.runs_words)
        return sum(w * share_at_least(q, words) for w, q in self.runs_words) / total

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "items": self.items,
            "fill": {name: round(rate, 4) for name, rate in self.rates.items()},
            "median_words": self.median_words,
        }


def _weighted_median(runs_words: Sequence[tuple[float, tuple[float, ...]]]) -> float | None:
    """The word count that half the pooled articles reach (bisection on the pooled shares)."""
    if not runs_words:
        return None
    total = sum(w for w, _ in runs_words)
    low = min(q[0] for _, q in runs_words)
    high = max(q[-1] for _, q in runs_words)
    for _ in range(40):
        middle = (low + high) / 2
        if sum(w * share_at_least(q, middle) for w, q in runs_words) / total > 0.5:
            low = middle
        else:
            high = middle
    return round((low + high) / 2, 1)


def binomial_tail(successes: int, trials: int, rate: float) -> float:
    """P(X <= successes) for X ~ Binomial(trials, rate), in log space (no overflow)."""
    if successes >= trials:
        return 1.0
    rate = min(max(rate, 1e-9), 1 - 1e-9)
    log_rate, log_miss = math.log(rate), math.log1p(-rate)
    log_n = math.lgamma(trials + 1)
    terms = [
        log_n
        - math.lgamma(k + 1)
        - math.lgamma(trials - k + 1)
        + k * log_rate
        + (trials - k) * log_miss
        for k in range(successes + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


@dataclass(frozen=True)
class Alarm:
    """A field that fell: its name, the baseline's and this run's value, and why."""

    field: str
    before: float | None
    after: float | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "message": self.message,
        }


def fell(before: float, after_filled: int, items: int, alpha: float = ALPHA) -> bool:
    """Whether ``after_filled`` of ``items`` is a material and significant fall from
    the rate ``before``."""
    if not items:
        return False
    after = after_filled / items
    material = after <= before - MIN_DROP and after <= before * MAX_RATIO
    return material and binomial_tail(after_filled, items, before) < alpha


def judge(
    counter: FillCounter,
    baseline: Baseline | None,
    fields: Sequence[str] = JUDGED_BY_DEFAULT,
    alpha: float = ALPHA,
) -> list[Alarm]:
    """The fields of this run that fell well below the baseline (none without one)."""
    if baseline is None or not counter.items:
        return []
    alarms = []
    n = counter.items
    for name in fields:
        if name == WORDS or name not in FIELDS:
            continue
        before = baseline.rates[name]
        if fell(before, counter.filled[name], n, alpha):
            after = counter.filled[name] / n
            alarms.append(
                Alarm(
                    name, round(before, 4), round(after, 4), f"{name} {before:.0%} -> {after:.0%}"
                )
            )
    if WORDS in fields:
        alarm = _judge_words(counter, baseline, alpha)
        if alarm:
            alarms.append(alarm)
    return alarms


def _judge_words(counter: FillCounter, baseline: Baseline, alpha: float) -> Alarm | None:
    before = baseline.median_words
    if not before:
        return None
    threshold = before / 2
    base_share = baseline.share_at_least(threshold)
    after = counter.median_words or 0.0
    if base_share is None or after > before * WORDS_RATIO:
        return None
    reaching = counter.count_at_least(threshold)
    if binomial_tail(reaching, counter.items, base_share) >= alpha:
        return None
    return Alarm(WORDS, before, after, f"median word count {before:.0f} -> {after:.0f}")


def judge_sections(summary: Mapping[str, Mapping[str, Any]]) -> list[Alarm]:
    """Sections whose first listing page failed for good or listed no article: judged the
    same in a run of 5 articles or of 5,000, since either means the section is gone or its
    listing markup changed."""
    alarms = []
    for section, sweep in sorted(summary.items()):
        failure = sweep.get("failure")
        if sweep.get("pages", 0) == 0 and sweep.get("end") == "failed":
            alarms.append(
                Alarm(
                    f"listing:{section}",
                    None,
                    None,
                    f"section {section!r}: its first listing page failed for good "
                    f"({failure or 'failed'})",
                )
            )
        elif sweep.get("empty_first_page"):
            alarms.append(
                Alarm(
                    f"listing:{section}",
                    None,
                    None,
                    f"section {section!r}: its first listing page listed no article",
                )
            )
    return alarms
