"""Boilerplate removal stage: body HTML -> the article's paragraphs, counting what went."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from newsarchive import signals as na_signals
from newsarchive.cleaning.boilerplate import (
    FINGERPRINT_VERSION,
    BoilerplateRules,
    RepeatedBlocks,
    clean_body,
)
from newsarchive.cleaning.text import join_paragraphs
from newsarchive.pipelines.base import ArticlePipeline

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# For spiders that declare no rules of their own; built once (it compiles its selectors).
GENERIC_RULES = BoilerplateRules()
# A paragraph seen in one article and in none of the next this many is forgotten.
FORGET_AFTER_ARTICLES = 1_000


@dataclass
class BoundedRepeatedBlocks(RepeatedBlocks):
    """``RepeatedBlocks`` whose counts do not grow with the run.

    Nearly every paragraph a crawl sees is in one article only (165,763 of 165,871 counted in a
    20,000-article first crawl of the Moscow Times mirror, ~16 MiB): counting them all made
    learning the largest thing a large run kept. A paragraph seen once and in none of the
    ``forget_after`` articles after it (between ``forget_after`` and twice that) is
    forgotten. It is 100 times rarer than a block needs to be to be learned (a tenth of the
    articles); should it become that common later, it is learned one sighting later than it
    would have been. Paragraphs seen twice or more are kept, as are all learned blocks.
    """

    forget_after: int = FORGET_AFTER_ARTICLES
    _young: set[str] = field(default_factory=set)
    """Fingerprints first counted since the last time single sightings were forgotten."""

    def _observe(self, fingerprints: set[str]) -> list[str]:
        counts = self._counts
        self._young.update(fp for fp in fingerprints if fp not in counts)
        learned = super()._observe(fingerprints)
        if self._articles % self.forget_after == 0:
            young = self._young
            for fp in [fp for fp, n in counts.items() if n == 1 and fp not in young]:
                del counts[fp]
            self._young = set()
        return learned


class BoilerplatePipeline(ArticlePipeline):
    """Turns ``body_html`` into ``body`` with the spider's site rules, the generic text rules
    and repeated-block detection, and records ``boilerplate_removed`` on each item.

    Settings: ``NEWSARCHIVE_REPEATED_BLOCK_MIN_ARTICLES`` (0 disables repeated-block
    detection). Blocks learned as repeated are kept in ``<output>/_state/boilerplate-<site>.json``
    so the next run removes them from its first article on.
    """

    stats_prefix = "newsarchive/boilerplate"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.min_articles = settings.getint("NEWSARCHIVE_REPEATED_BLOCK_MIN_ARTICLES", 5)
        self.state_dir = Path(settings.get("NEWSARCHIVE_OUTPUT", "output")) / "_state"
        self.repeated: RepeatedBlocks | None = None

    def open_spider(self) -> None:
        if self.min_articles > 0:
            self.repeated = BoundedRepeatedBlocks(self.min_articles, known=self._load_known())

    def close_spider(self) -> None:
        if self.repeated is not None and self.repeated.known:
            self._save_known(self.repeated.known)

    @property
    def _store(self) -> Path:
        return self.state_dir / f"boilerplate-{getattr(self.spider, 'site', 'site')}.json"

    def _load_known(self) -> set[str]:
        try:
            stored = json.loads(self._store.read_text(encoding="utf-8"))
            fingerprints = set(stored["fingerprints"])
            version = stored.get("fingerprint_version", 1)
        except FileNotFoundError:
            return set()
        except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            logger.warning("Ignoring unreadable learned-boilerplate file %s: %s", self._store, exc)
            return set()
        if version != FINGERPRINT_VERSION:
            logger.info(
                "Learned boilerplate in %s has fingerprints of version %s, not %s: relearning it",
                self._store,
                version,
                FINGERPRINT_VERSION,
            )
            return set()
        return fingerprints

    def _save_known(self, known: set[str]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        temp = self._store.with_suffix(".json.tmp")
        stored = {"fingerprint_version": FINGERPRINT_VERSION, "fingerprints": sorted(known)}
        temp.write_text(json.dumps(stored), encoding="utf-8")
        os.replace(temp, self._store)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        rules = getattr(self.spider, "boilerplate_rules", None) or GENERIC_RULES
        result = clean_body(adapter.get("body_html"), rules)
        paragraphs = result.paragraphs
        removed = result.removed
        if self.repeated is not None:
            kept, learned = self.repeated.filter_and_observe(paragraphs)
            if len(kept) < len(paragraphs):
                removed["repeated"] += len(paragraphs) - len(kept)
            if learned:
                self.inc("learned_repeated_blocks", len(learned))
                self.crawler.signals.send_catch_log(
                    na_signals.boilerplate_learned,
                    site=adapter.get("site"),
                    fingerprints=set(learned),
                )
            paragraphs = kept
        adapter["body"] = join_paragraphs(paragraphs)
        adapter["boilerplate_removed"] = sum(removed.values())
        if adapter.get("lead_html") is not None:
            lead = clean_body(adapter["lead_html"], rules).paragraphs
            adapter["lead"] = " ".join(lead) or None
        for rule, count in removed.items():
            self.inc(f"removed/{rule}", count)
        self.inc("removed_blocks", sum(removed.values()))
        return item
