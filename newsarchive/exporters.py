"""The ``parquet`` feed exporter: ``scrapy crawl moscowtimes -O articles.parquet``.

One file with the archive's columns (``ARTICLE_SCHEMA``; ``site`` included, since a single
file has no ``site=`` folders) and ``date``, the archive's ``date=`` folder as a column: the
UTC day of ``published_at``. It is stored rather than left to the reader because DuckDB casts
a ``TIMESTAMPTZ`` to a date in the session's time zone, so ``published_at::date`` gives other
days than the archive's on a machine that is not on UTC. Rows are made by the archive's own
conversion (``item_to_row``: UTC timestamps; the working fields such as ``body_html`` never
written) and compressed with its codec (``NEWSARCHIVE_PARQUET_COMPRESSION``); the footer
records the same ``newsarchive.schema_version``.

Memory does not grow with the crawl: the exporter holds at most
``NEWSARCHIVE_FEED_PARQUET_ROW_GROUP`` rows, as plain rows (an Arrow batch per row would cost
~15 KB more each), and writes them out as one row group, converted in one go. A row that does
not fit the schema (a wrong type, a naive datetime, no ``url``) is skipped, counted under
``newsarchive/feed/skipped/<reason>`` and logged once; the rest of its row group is written.
The footer is written by ``finish_exporting``. The file belongs to Scrapy's feed storage,
which closes it (or uploads its temp file): the exporter never closes it.

A Parquet file cannot be appended to (its footer, which indexes every row group, is at the
end). ``-o`` onto a file that already holds bytes is refused: by ``scrapy crawl`` before
anything is fetched (``feed_problems``), and by the exporter itself, which then writes
nothing and leaves the file as it was, for other ways of starting a crawl.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter
from scrapy.utils.conf import feed_complete_default_values_from_settings
from scrapy.utils.misc import load_object
from w3lib.url import file_uri_to_path

from newsarchive.accounting import ReasonCounter
from newsarchive.schema import ARTICLE_SCHEMA, fitting_rows, item_to_row

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

DATE_FIELD = pa.field(
    "date",
    pa.date32(),
    metadata={
        "doc": "The UTC day of `published_at`: the archive's `date=` partition, as a column."
    },
)
FEED_SCHEMA = pa.schema([*ARTICLE_SCHEMA, DATE_FIELD], metadata=ARTICLE_SCHEMA.metadata)
"""Every column a Parquet feed can have, in the order a default file has them."""

ARCHIVE_COLUMNS = tuple(f.name for f in ARTICLE_SCHEMA)
"""The project's ``FEED_EXPORT_FIELDS``: all of it means the whole ``FEED_SCHEMA``."""

DEFAULT_ROW_GROUP = 1_000
SKIPPED_PREFIX = "newsarchive/feed/skipped"
REFUSED_KEY = "newsarchive/feed/refused"
WRITE_ERRORS_KEY = "newsarchive/feed/write_errors"
ROWS_KEY = "newsarchive/feed/parquet/rows_written"
ROW_GROUPS_KEY = "newsarchive/feed/parquet/row_groups"


def feed_columns(fields: Mapping[str, str] | Iterable[str] | None) -> list[tuple[str, str]]:
    """The file's columns as ``(schema column, name in the file)`` pairs, from Scrapy's
    ``fields`` option: None or the project's default (the archive's columns) gives every
    column of ``FEED_SCHEMA``, ``date`` included; a list picks columns in its order; a dict
    picks and renames them. Raises ValueError, naming them, for names the schema lacks."""
    if fields is None:
        pairs = [(name, name) for name in FEED_SCHEMA.names]
    elif isinstance(fields, Mapping):
        pairs = [(str(source), str(target)) for source, target in fields.items()]
    else:
        names = [str(name) for name in fields]
        if tuple(names) == ARCHIVE_COLUMNS:
            names = list(FEED_SCHEMA.names)
        pairs = [(name, name) for name in names]
    unknown = [source for source, _ in pairs if source not in FEED_SCHEMA.names]
    if unknown:
        raise ValueError(
            f"the fields {', '.join(unknown)} are not columns of the archive's schema "
            f"(a Parquet feed can have: {', '.join(FEED_SCHEMA.names)})"
        )
    targets = [target for _, target in pairs]
    if not targets or len(set(targets)) != len(targets):
        raise ValueError(f"the fields must name each column once, and at least one: {targets}")
    return pairs


def parse_row_group_size(value: Any) -> int:
    """``NEWSARCHIVE_FEED_PARQUET_ROW_GROUP`` (or ``row_group_size``) as a positive int."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if size < 1:
        raise ValueError(f"the row group size must be a positive number of rows, not {value!r}")
    return size


def parse_compression(value: Any) -> str:
    """A codec pyarrow can write (``none`` for none), as ``NEWSARCHIVE_PARQUET_COMPRESSION``."""
    name = str(value or "zstd").lower()
    try:
        available = name == "none" or pa.Codec.is_available(name)
    except ValueError:
        available = False
    if not available:
        raise ValueError(f"the Parquet compression {value!r} is not available")
    return name


def feed_row(item: Any) -> dict[str, Any]:
    """An item as a row of ``FEED_SCHEMA``: the archive's row, plus ``site`` and ``date``."""
    row = item_to_row(item)
    row["site"] = ItemAdapter(item).get("site")
    published = row.get("published_at")
    row["date"] = published.date() if published is not None else None
    return row


def _written_already(file: Any) -> int:
    """How many bytes the file holds before we write (opened for appending, ``-o``); 0 when
    it cannot tell (a pipe). Scrapy's post-processing wrapper keeps the file as ``.file``."""
    held = 0
    for candidate in (file, getattr(file, "file", None)):
        try:
            held = max(held, int(candidate.tell())) if candidate is not None else held
        except (AttributeError, OSError, TypeError, ValueError):
            continue
    return held


def _file_name(file: Any) -> str:
    name = getattr(file, "name", None) or getattr(getattr(file, "file", None), "name", None)
    return str(name) if isinstance(name, str | Path) else "the feed"


class _BorrowedFile:
    """Scrapy's feed file as pyarrow writes to it: never closed (the feed storage closes,
    moves or uploads it), with the position counted here, because stdout may be a pipe."""

    closed = False

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._position = 0
        self.broken = False

    def write(self, data: Any) -> int:
        written = memoryview(data).nbytes
        if self.broken:  # after a failed write: no footer that would make the file look whole
            return written  # (dropped, not raised: pyarrow may write it from a destructor)
        self._file.write(data)
        self._position += written
        return written

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        self._file.flush()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


class _LocalStats:
    """Counters for an exporter made without a crawler (a script, a test)."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count


class ParquetItemExporter(BaseItemExporter):
    """Write items as one Parquet file of the archive's schema, a row group at a time.

    Options (``FEEDS`` ``item_export_kwargs``, or ``-s``): ``row_group_size`` (default
    ``NEWSARCHIVE_FEED_PARQUET_ROW_GROUP``) and ``compression`` (default
    ``NEWSARCHIVE_PARQUET_COMPRESSION``). Scrapy's ``fields`` picks (a list) or renames (a
    dict) columns; ``encoding``, ``indent`` and ``export_empty_fields`` mean nothing here (a
    Parquet file has one schema: a value an item lacks is null).
    """

    def __init__(
        self,
        file: IO[bytes],
        *,
        row_group_size: Any = DEFAULT_ROW_GROUP,
        compression: Any = "zstd",
        stats: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.file = file
        self.stats = stats if stats is not None else _LocalStats()
        self.rows_written = 0
        self.row_groups_written = 0
        self.skipped = ReasonCounter(
            self.stats,
            SKIPPED_PREFIX,
            logger,
            "Parquet feed: skipped an item that does not fit the archive's schema",
        )
        self._rows: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self._sink: _BorrowedFile | None = None
        self._problem: str | None = None
        self._columns: list[tuple[str, str]] = []
        self._required: list[str] = []
        self._url_column: str | None = None
        self.row_group_size = DEFAULT_ROW_GROUP
        self.compression = "zstd"
        self.schema = pa.schema([], metadata=FEED_SCHEMA.metadata)
        try:
            self.row_group_size = parse_row_group_size(row_group_size)
            self.compression = parse_compression(compression)
            self._columns = feed_columns(self.fields_to_export)
        except ValueError as exc:  # said once, at start_exporting, not once per item
            self._problem = str(exc)
            return
        self.schema = pa.schema(
            [FEED_SCHEMA.field(source).with_name(target) for source, target in self._columns],
            metadata=FEED_SCHEMA.metadata,
        )
        self._required = [f.name for f in self.schema if not f.nullable]
        self._url_column = next((t for s, t in self._columns if s == "url"), None)

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: IO[bytes], **kwargs: Any) -> Self:
        settings = crawler.settings
        kwargs.setdefault(
            "row_group_size",
            settings.get("NEWSARCHIVE_FEED_PARQUET_ROW_GROUP", DEFAULT_ROW_GROUP),
        )
        kwargs.setdefault("compression", settings.get("NEWSARCHIVE_PARQUET_COMPRESSION", "zstd"))
        return cls(file, stats=crawler.stats, **kwargs)

    def start_exporting(self) -> None:
        """Refuse a file that already holds bytes (``-o``: appending); else open the writer."""
        held = _written_already(self.file) if self._problem is None else 0
        if held:
            self._problem = (
                f"it already holds {held} bytes, and a Parquet file cannot be appended to "
                "(-o appends): use -O to overwrite it, or name a new file"
            )
        if self._problem is not None:
            self.stats.inc_value(REFUSED_KEY)
            logger.error("Parquet feed %s not written: %s", _file_name(self.file), self._problem)
            return
        self._sink = _BorrowedFile(self.file)
        try:
            self._writer = pq.ParquetWriter(self._sink, self.schema, compression=self.compression)
        except (OSError, pa.ArrowException) as exc:
            self._failed(exc)

    def export_item(self, item: Any) -> Any:
        """Hold the item's row; write a row group once ``row_group_size`` rows are held.
        A row that cannot be one (no ``url``, a naive datetime) is skipped, counted and
        logged once; so are rows of wrong types, when their row group is converted."""
        if self._writer is None:
            self.stats.inc_value(f"{SKIPPED_PREFIX}/feed_not_written")
            return item
        try:
            row = feed_row(item)
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            url = ItemAdapter(item).get("url") if ItemAdapter.is_item(item) else repr(item)[:200]
            self.skipped.count("invalid_row", f"{url}: {type(exc).__name__}: {exc}")
            return item
        values = {target: row.get(source) for source, target in self._columns}
        missing = next((name for name in self._required if values[name] is None), None)
        if missing is not None:
            self.skipped.count(f"missing_{missing}", repr(item)[:200])
            return item
        self._rows.append(values)
        if len(self._rows) >= self.row_group_size:
            self._write_row_group()
        return item

    def finish_exporting(self) -> None:
        """Write the last rows and the footer; the file itself stays open for Scrapy."""
        if self._writer is None:
            return
        if self._rows:
            self._write_row_group()
        writer, self._writer = self._writer, None
        if writer is None:  # a write failed: said already, nothing more to finish
            return
        try:
            writer.close()  # the footer
            self.file.flush()
        except (OSError, pa.ArrowException) as exc:
            self._failed(exc)
            return
        logger.info(
            "Parquet feed %s: %d rows in %d row groups",
            _file_name(self.file),
            self.rows_written,
            self.row_groups_written,
        )

    def _write_row_group(self) -> None:
        rows, self._rows = self._rows, []
        table = self._to_table(rows)
        if self._writer is None or table.num_rows == 0:
            return
        try:
            self._writer.write_table(table, row_group_size=self.row_group_size)
        except (OSError, pa.ArrowException) as exc:
            self._failed(exc)
            return
        self.rows_written += table.num_rows
        self.row_groups_written += 1
        self.stats.inc_value(ROWS_KEY, table.num_rows)
        self.stats.inc_value(ROW_GROUPS_KEY)

    def _to_table(self, rows: list[dict[str, Any]]) -> pa.Table:
        """The rows as one table; if some do not convert, the others (each bad one counted)."""
        table, _, bad = fitting_rows(rows, self.schema)
        for row, exc in bad:
            url = row.get(self._url_column) if self._url_column else None
            self.skipped.count("invalid_row", f"{url}: {type(exc).__name__}: {exc}")
        return table

    def _failed(self, exc: BaseException) -> None:
        """A write failed (a full disk): say so once, and leave the file without a footer,
        so that no reader takes it for whole."""
        writer, self._writer = self._writer, None
        if self._sink is not None:
            self._sink.broken = True
        if writer is not None:  # its footer goes nowhere
            with contextlib.suppress(OSError, pa.ArrowException):
                writer.close()
        self.stats.inc_value(WRITE_ERRORS_KEY)
        logger.error(
            "Parquet feed %s could not be written (%s: %s): the file is incomplete",
            _file_name(self.file),
            type(exc).__name__,
            str(exc),  # (not the exception: a record that keeps it keeps the writer alive)
        )


def _local_path(uri: str) -> Path | None:
    """The file a feed URI names on this machine (a path, or ``file://``), else None."""
    scheme = urlparse(uri).scheme
    if uri.startswith("file:"):
        return Path(file_uri_to_path(uri))
    if scheme and len(scheme) > 1:  # s3:, ftp:, stdout:, ... (a drive letter is one letter)
        return None
    return Path(uri)


def _is_parquet_exporter(path: Any) -> bool:
    try:
        exporter = load_object(path) if isinstance(path, str) else path
    except (ImportError, NameError, ValueError, AttributeError):
        return False
    return isinstance(exporter, type) and issubclass(exporter, ParquetItemExporter)


def feed_problems(settings: BaseSettings) -> list[str]:
    """Why a Parquet feed of these settings cannot be written, said before the crawl
    fetches anything (``scrapy crawl`` stops, exit 2): columns the schema lacks, a bad row
    group size or codec, or ``-o`` (append) onto a Parquet file that already holds bytes."""
    exporters = settings.getwithbase("FEED_EXPORTERS")
    problems = []
    for uri, given in settings.getdict("FEEDS").items():
        options = feed_complete_default_values_from_settings(dict(given), settings, str(uri))
        if not _is_parquet_exporter(exporters.get(options["format"])):
            continue
        export_kwargs = options.get("item_export_kwargs") or {}
        try:
            feed_columns(options.get("fields"))
            parse_row_group_size(
                export_kwargs.get(
                    "row_group_size",
                    settings.get("NEWSARCHIVE_FEED_PARQUET_ROW_GROUP", DEFAULT_ROW_GROUP),
                )
            )
            parse_compression(
                export_kwargs.get(
                    "compression", settings.get("NEWSARCHIVE_PARQUET_COMPRESSION", "zstd")
                )
            )
        except ValueError as exc:
            problems.append(f"the Parquet feed {uri}: {exc}")
            continue
        path = _local_path(str(uri))
        if options.get("overwrite", False) or path is None or "%(" in str(uri):
            continue  # overwritten; not a local file (S3 replaces); named per run
        if path.is_file() and path.stat().st_size > 0:
            problems.append(
                f"the Parquet feed {uri} already holds {path.stat().st_size} bytes, and a "
                "Parquet file cannot be appended to (-o appends): use -O to overwrite it, "
                "or name a new file"
            )
    return problems
