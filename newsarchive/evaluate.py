"""Compare an archive with a mirror's ground truth: the figures that say the crawl is right.

    python -m newsarchive.evaluate --archive output --truth ground-truth.json

Reads the archive the way a user does (pyarrow dataset, hive partitioning), keeps the latest
version of each article, and reports coverage, per-field accuracy, body paragraph recall and
precision, boilerplate leaks, partition placement and duplicates. The tests assert on it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsarchive.cleaning.text import split_paragraphs

FIELDS = (
    "title",
    "subtitle",
    "lead",
    "authors",
    "published_at",
    "modified_at",
    "section",
    "tags",
    "language",
    "image_url",
    "image_caption",
    "is_accessible_for_free",
)
TEXT_COLUMNS = ("title", "subtitle", "lead", "body", "image_caption", "authors", "tags")


@dataclass
class Report:
    expected: int = 0
    archived: int = 0
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    duplicate_rows: int = 0  # rows sharing (url, content_hash)
    wrong_partition: int = 0
    field_correct: Counter[str] = field(default_factory=Counter)
    field_mismatches: dict[str, list[tuple[str, Any, Any]]] = field(default_factory=dict)
    paragraphs_expected: int = 0
    paragraphs_found: int = 0
    paragraphs_archived: int = 0
    paragraphs_correct: int = 0
    boilerplate_leaks: list[tuple[str, str, str]] = field(default_factory=list)

    def field_accuracy(self, name: str) -> float:
        compared = self.expected - len(self.missing)
        return self.field_correct[name] / compared if compared else 0.0

    @property
    def paragraph_recall(self) -> float:
        return self.paragraphs_found / self.paragraphs_expected if self.paragraphs_expected else 1.0

    @property
    def paragraph_precision(self) -> float:
        if not self.paragraphs_archived:
            return 1.0
        return self.paragraphs_correct / self.paragraphs_archived

    def summary(self) -> str:
        lines = [
            f"articles: expected {self.expected}, archived {self.archived}, "
            f"missing {len(self.missing)}, unexpected {len(self.unexpected)}",
            f"duplicate (url, content_hash) rows: {self.duplicate_rows}; "
            f"rows in the wrong date partition: {self.wrong_partition}",
            f"body paragraphs: recall {self.paragraph_recall:.4f} "
            f"({self.paragraphs_found}/{self.paragraphs_expected}), precision "
            f"{self.paragraph_precision:.4f} "
            f"({self.paragraphs_correct}/{self.paragraphs_archived})",
            f"boilerplate sentences leaked into text columns: {len(self.boilerplate_leaks)}",
        ]
        lines += [f"  {name:<24} {self.field_accuracy(name):.4f}" for name in FIELDS]
        for name, mismatches in self.field_mismatches.items():
            for article_id, want, got in mismatches[:3]:
                lines.append(f"  e.g. {name} of {article_id}: expected {want!r}, got {got!r}")
        for article_id, column, sentence in self.boilerplate_leaks[:5]:
            lines.append(f"  leak in {column} of {article_id}: {sentence!r}")
        return "\n".join(lines)


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _same(name: str, want: Any, got: Any) -> bool:
    if name in ("published_at", "modified_at"):
        if want is None or got is None:
            return want is None and got is None
        return _instant(want) == _instant(got)
    if name in ("authors", "tags"):
        return list(want or []) == list(got or [])
    return (want or None) == (got or None)


def load_archive(root: str | Path) -> list[dict[str, Any]]:
    """Every row of the archive, with ``site`` and ``date`` from the hive path."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(str(root), format="parquet", partitioning="hive")
    return dataset.to_table().to_pylist()


def evaluate(rows: list[dict[str, Any]], truth: dict[str, Any]) -> Report:
    report = Report()
    pairs = Counter((row["url"], row["content_hash"]) for row in rows)
    report.duplicate_rows = sum(count - 1 for count in pairs.values() if count > 1)
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        day = str(row.get("date"))[:10]
        if row["published_at"] and _instant(row["published_at"]).date().isoformat() != day:
            report.wrong_partition += 1
        key = str(row["article_id"])
        if key not in latest or row["version"] > latest[key]["version"]:
            latest[key] = row
    expected = {str(a["article_id"]): a for a in truth["articles"]}
    report.expected = len(expected)
    report.archived = len(latest)
    report.missing = sorted(set(expected) - set(latest))
    report.unexpected = sorted(set(latest) - set(expected))
    boilerplate = [s for s in truth.get("boilerplate", []) if len(s) >= 12]

    for article_id, want in expected.items():
        row = latest.get(article_id)
        if row is None:
            continue
        for name in FIELDS:
            if _same(name, want.get(name), row.get(name)):
                report.field_correct[name] += 1
            else:
                report.field_mismatches.setdefault(name, []).append(
                    (article_id, want.get(name), row.get(name))
                )
        expected_paragraphs = want["body_paragraphs"]
        archived = split_paragraphs(row["body"])
        archived_set = set(archived)
        expected_set = set(expected_paragraphs)
        report.paragraphs_expected += len(expected_paragraphs)
        report.paragraphs_found += sum(1 for p in expected_paragraphs if p in archived_set)
        report.paragraphs_archived += len(archived)
        report.paragraphs_correct += sum(1 for p in archived if p in expected_set)
        for column in TEXT_COLUMNS:
            value = row.get(column)
            text = " ".join(value) if isinstance(value, list) else (value or "")
            for sentence in boilerplate:
                if sentence in text and not _in_truth_text(sentence, want):
                    report.boilerplate_leaks.append((article_id, column, sentence))
    return report


def _in_truth_text(sentence: str, article: dict[str, Any]) -> bool:
    """A boilerplate phrase that the article itself really contains is no leak."""
    own = " ".join(
        [
            *(article.get("body_paragraphs") or []),
            article.get("title") or "",
            article.get("lead") or "",
            article.get("subtitle") or "",
        ]
    )
    return sentence in own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", default="output")
    parser.add_argument("--truth", required=True, help="the mirror's ground-truth JSON")
    args = parser.parse_args(argv)
    truth = json.loads(Path(args.truth).read_text(encoding="utf-8"))
    print(evaluate(load_archive(args.archive), truth).summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
