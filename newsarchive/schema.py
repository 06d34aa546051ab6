"""The one Arrow schema of the archive, derived from ``ArticleItem``.

Hive layout: ``site=<site>/date=<YYYY-MM-DD>/part-*.parquet``. The partition keys live in
the folder names only: a column stored both in the file and in the path makes pandas and
pyarrow refuse to merge the two (``site``: string vs dictionary), so the files carry
``FILE_SCHEMA`` (``ARTICLE_SCHEMA`` less ``site``) and readers get ``site`` and ``date``
back from the path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from itemadapter import ItemAdapter

from newsarchive.items import ArticleItem, exported_fields

SCHEMA_VERSION = 3
"""Bumped whenever the columns change (2: ``published_at_raw``, ``published_at_source``;
3: ``extractor_version``, ``warc_file``, ``warc_offset``);
files of an older version are brought up to it in place (``storage.upgrade_archive``)."""

ARTICLE_SCHEMA = pa.schema(
    [
        pa.field(
            f.name,
            f.metadata["arrow"],
            nullable=f.metadata["nullable"],
            metadata={"doc": f.metadata["doc"]},
        )
        for f in exported_fields()
    ],
    metadata={"newsarchive.schema_version": str(SCHEMA_VERSION)},
)

PARTITION_COLUMNS = ("site",)
# What the cross-run state keeps of each archived row (announced with every committed file).
COMMITTED_ROW_KEYS = (
    "url",
    "canonical_url",
    "article_id",
    "content_hash",
    "published_at",
    "version",
)
FILE_SCHEMA = pa.schema(
    [f for f in ARTICLE_SCHEMA if f.name not in PARTITION_COLUMNS],
    metadata=ARTICLE_SCHEMA.metadata,
)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the archive stores UTC times only")
    return value.astimezone(UTC)


# (column, is a timestamp) in file order, computed once: item_to_row runs for every article.
_FILE_COLUMNS = tuple((f.name, pa.types.is_timestamp(f.type)) for f in FILE_SCHEMA)


def item_to_row(item: Any) -> dict[str, Any]:
    """Turn an item into a row of ``FILE_SCHEMA`` (datetimes checked to be timezone-aware)."""
    # The common case (our dataclass) without the adapter's per-field overhead.
    get = item.__dict__.get if isinstance(item, ArticleItem) else ItemAdapter(item).get
    return {
        name: _as_utc(get(name)) if is_timestamp else get(name)
        for name, is_timestamp in _FILE_COLUMNS
    }


def partition_date(item: Any) -> str | None:
    """The ``date=`` partition value: the UTC publication day, or None if undated."""
    published = ItemAdapter(item).get("published_at")
    return _as_utc(published).date().isoformat() if published else None


ROW_CONVERSION_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError)
"""What pyarrow raises for a row that does not fit a schema."""


def fitting_rows(
    rows: list[dict[str, Any]], schema: pa.Schema
) -> tuple[pa.Table, list[dict[str, Any]], list[tuple[dict[str, Any], Exception]]]:
    """The rows that fit ``schema`` as one table, those rows, and the others with why each
    does not fit. All at once first; one by one only when that fails, to find the bad ones."""
    try:
        return pa.Table.from_pylist(rows, schema=schema), rows, []
    except ROW_CONVERSION_ERRORS:
        pass
    good: list[dict[str, Any]] = []
    bad: list[tuple[dict[str, Any], Exception]] = []
    for row in rows:
        try:
            pa.Table.from_pylist([row], schema=schema)
        except ROW_CONVERSION_ERRORS as exc:
            bad.append((row, exc))
        else:
            good.append(row)
    return pa.Table.from_pylist(good, schema=schema), good, bad
