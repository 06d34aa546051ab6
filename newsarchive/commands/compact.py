"""``scrapy compact``: merge each partition's many small files into one, atomically.

Hourly runs leave one small file per partition and run; readers pay for every file. For
each ``site=*/date=*`` partition with more than one live file, this command:

1. reads all its files, drops duplicate rows (same ``url`` and ``content_hash``: the one
   crawled first is kept), sorts by ``(published_at, url, version)``;
2. writes the new partition directory (one file) in a staging area OUTSIDE the archive
   root -- ``<root>/../.<rootname>.staging/`` -- because DuckDB's ``**/*.parquet`` globs
   descend into every directory under the root, hidden or not;
3. swaps the old and new directories in one ``renameat2(RENAME_EXCHANGE)``, so a reader
   sees either all the old files or the new one, never both;
4. deletes the old directory, which the swap moved into staging.

Crash safety: the root only ever changes by the atomic swap, and everything in staging is
garbage once we hold the lock, so the next run simply empties staging; a compacted
partition has one file and is left alone (re-running is a no-op). The exclusive archive
lock (``<root>/.lock``) keeps compactions and crawls (which hold it shared) apart.

**On S3** (``--output s3://bucket/prefix`` or ``NEWSARCHIVE_OUTPUT``; see
``newsarchive.archive_fs``) there is no directory to swap and no atomic multi-object change.
For each partition with more than one file, the merged file (``part-compact-<id>-00000.parquet``)
is uploaded into the partition first and read back, and only then are the files it merged
deleted, one by one -- only those: a file that appeared meanwhile is left alone. So a reader
never misses a row, but one that lists the partition during those seconds may see rows
twice (in an old file and in the merged one), or fail on an old file deleted under it (read
again). A compaction killed half-way leaves the merged file beside some old ones; the next
compaction merges them all again, duplicates removed, so the end state has every row once.
The lock: the local lock of ``ArchiveLocation.lock_dir`` and, with ``REDIS_URL``, the Redis
one (``archive_fs.RedisArchiveLock``) that the crawls of every machine share.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsarchive.archive_fs import (
    ArchiveLocation,
    UnsupportedArchiveLocation,
    archive_lock_for,
    parse_location,
    scrub,
)
from newsarchive.extensions.parquet import generate_run_id
from newsarchive.storage import (
    ArchiveLockedError,
    ExchangeNotSupportedError,
    Partition,
    UnsafePathError,
    archive_lock,
    conform_to_file_schema,
    exchange_paths,
    fsync_dir,
    is_live_file,
    list_partitions,
    partition_files,
    remote_partition_files,
    remove_stale_temp_files,
    upgrade_archive,
    validate_site,
    write_parquet_atomic,
)

logger = logging.getLogger(__name__)

# Exit status when the archive is locked (EX_TEMPFAIL: cron may simply try again later).
EXIT_LOCKED = 75
# Temp files older than this are leftovers of killed runs.
STALE_TEMP_SECONDS = 600.0
DEDUP_KEYS = ("url", "content_hash")
SORT_KEYS = ("published_at", "url", "version", "crawled_at", "content_hash")


class CompactionError(RuntimeError):
    """Compaction cannot run safely on this archive (nothing was changed)."""


@dataclass
class PartitionReport:
    """What compaction did (or, with ``dry_run``, would do) to one partition."""

    partition: Partition
    files_before: int
    files_after: int
    rows_before: int
    rows_after: int
    skipped: str | None = None

    def line(self) -> str:
        text = (
            f"{self.partition.relpath()}: files {self.files_before} -> {self.files_after}, "
            f"rows {self.rows_before} -> {self.rows_after}"
        )
        return f"{text} (skipped: {self.skipped})" if self.skipped else text


def staging_dir_for(root: Path) -> Path:
    """``<root>/../.<rootname>.staging``: same filesystem, outside every glob of the root."""
    root = root.resolve()
    if root.parent == root:
        raise CompactionError("cannot compact an archive at the filesystem root")
    return root.parent / f".{root.name}.staging"


def merge_tables(tables: Iterable[pa.Table]) -> pa.Table:
    """Concatenate, de-duplicate by (url, content_hash) keeping the earliest crawl, sort.

    Ties on ``crawled_at`` keep the row of the earlier file, so the result is deterministic.
    """
    merged = pa.concat_tables([conform_to_file_schema(t) for t in tables])
    if merged.num_rows == 0:
        return merged
    order = pa.array(range(merged.num_rows), pa.int64())
    keyed = merged.append_column("__order", order).sort_by(
        [(k, "ascending") for k in (*DEDUP_KEYS, "crawled_at", "__order")]
    )
    keep: list[int] = []
    previous: tuple[object, ...] | None = None
    columns = [keyed.column(k).to_pylist() for k in DEDUP_KEYS]
    for index, key in enumerate(zip(*columns, strict=True)):
        if key != previous:
            keep.append(index)
            previous = key
    unique = keyed.take(pa.array(keep, pa.int64())).drop_columns(["__order"])
    return unique.sort_by([(k, "ascending") for k in SORT_KEYS])


def _check_exchange_supported(staging: Path) -> None:
    """Swap two empty directories in staging, to fail before touching the archive."""
    a, b = staging / "probe-a", staging / "probe-b"
    a.mkdir()
    b.mkdir()
    try:
        exchange_paths(a, b)
    except ExchangeNotSupportedError as exc:
        raise CompactionError(
            f"{exc.strerror}. Compaction swaps partition directories atomically and cannot "
            "do so here; nothing was changed."
        ) from exc
    finally:
        shutil.rmtree(a, ignore_errors=True)
        shutil.rmtree(b, ignore_errors=True)


def _prepare_staging(root: Path) -> Path:
    staging = staging_dir_for(root)
    if staging.exists():
        # Under the exclusive lock, anything here is a crashed compaction's leftover: either
        # a new partition never swapped in, or an old one swapped out. Neither is live data.
        logger.warning("Removing leftover compaction staging %s", staging)
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        if staging.stat().st_dev != root.resolve().stat().st_dev:
            raise CompactionError(f"staging {staging} is not on the archive's filesystem")
        _check_exchange_supported(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _merge_files(files: list[Any], report: PartitionReport, filesystem: Any = None) -> pa.Table:
    """A partition's files read and merged into one table (local or on ``filesystem``);
    ``report`` gets the rows before and after and the one file they become."""
    tables = [pq.read_table(f, filesystem=filesystem) for f in files]
    merged = merge_tables(tables)
    report.rows_before = sum(t.num_rows for t in tables)
    report.rows_after = merged.num_rows
    report.files_after = 1
    return merged


def compact_partition(
    root: Path, partition: Partition, staging: Path | None, run_id: str, *, dry_run: bool
) -> PartitionReport:
    """Compact one partition (the archive lock must be held)."""
    directory = root / partition.relpath()
    files = partition_files(root, partition)
    report = PartitionReport(partition, len(files), len(files), 0, 0)
    unexpected = [
        p.name
        for p in directory.iterdir()
        if not (p.is_file() and (is_live_file(p) or p.name.startswith(".")))
    ]
    if len(files) <= 1 or unexpected:
        report.rows_before = report.rows_after = sum(pq.read_metadata(f).num_rows for f in files)
        if unexpected:
            report.skipped = f"unexpected entries {sorted(unexpected)[:5]}"
            logger.warning("Not compacting %s: %s", directory, report.skipped)
        return report

    merged = _merge_files(files, report)
    if dry_run:
        return report
    assert staging is not None

    work = staging / f"{partition.site}.{partition.date}"
    work.mkdir()
    os.chmod(work, stat.S_IMODE(directory.stat().st_mode))
    new_file = work / f"part-compact-{run_id}-00000.parquet"
    write_parquet_atomic(merged, new_file)
    if pq.read_metadata(new_file).num_rows != merged.num_rows:
        raise CompactionError(f"{new_file} does not read back {merged.num_rows} rows")
    if partition_files(root, partition) != files:  # cannot happen under the lock; be sure
        raise CompactionError(f"{directory} changed during compaction")

    exchange_paths(directory, work)  # the one moment readers switch from old to new
    fsync_dir(directory.parent)
    fsync_dir(staging)
    shutil.rmtree(work)  # the old files, now out of the archive
    logger.info("Compacted %s", report.line())
    return report


def compact_archive(
    root: str | os.PathLike[str] | ArchiveLocation,
    *,
    sites: Iterable[str] | None = None,
    dry_run: bool = False,
    wait: float = 0.0,
    report: Callable[[PartitionReport], None] | None = None,
    redis_url: str | None = None,
) -> list[PartitionReport]:
    """Compact every partition (of ``sites``, if given) of the archive at ``root``.

    Raises ``ArchiveLockedError`` if a crawl or another compaction holds the lock (after
    waiting ``wait`` seconds), ``CompactionError`` if it cannot be done safely here.
    ``root`` may be ``s3://bucket/prefix`` (see the module docstring; ``redis_url`` adds the
    lock that crawls on other machines hold).
    """
    try:
        location = parse_location(root)
    except UnsupportedArchiveLocation as exc:
        raise CompactionError(str(exc)) from None
    if not location.is_local:
        return compact_remote(
            location, sites=sites, dry_run=dry_run, wait=wait, report=report, redis_url=redis_url
        )
    root = Path(root).absolute()
    if not root.is_dir():
        raise CompactionError(f"no archive at {root}")
    wanted = {validate_site(s) for s in sites} if sites else None
    reports: list[PartitionReport] = []
    # A dry run changes nothing: a shared lock (like a crawl's) only keeps compactions out.
    with archive_lock(root, shared=dry_run, blocking=wait > 0, timeout=wait):
        staging = None if dry_run else _prepare_staging(root)
        try:
            remove_stale_temp_files(root, STALE_TEMP_SECONDS)
            if not dry_run:
                upgrade_archive(root)  # a partition of one old file gets the new columns too
            run_id = generate_run_id()
            for partition in list_partitions(root):
                if wanted is not None and partition.site not in wanted:
                    continue
                result = compact_partition(root, partition, staging, run_id, dry_run=dry_run)
                reports.append(result)
                if report is not None:
                    report(result)
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
    return reports


def compact_remote_partition(
    location: ArchiveLocation, partition: Partition, files: list[str], run_id: str, *, dry_run: bool
) -> PartitionReport:
    """Compact one partition of an S3 archive (the lock must be held): upload the merged
    file, read it back, then delete exactly the files merged."""
    fs = location.fs
    report = PartitionReport(partition, len(files), len(files), 0, 0)
    if len(files) <= 1:
        report.rows_before = report.rows_after = sum(
            pq.read_metadata(f, filesystem=fs).num_rows for f in files
        )
        return report
    merged = _merge_files(files, report, fs)
    if dry_run:
        return report
    new_file = location.path(partition.relpath(), f"part-compact-{run_id}-00000.parquet")
    location.write_table(merged, new_file)
    if pq.read_metadata(new_file, filesystem=fs).num_rows != merged.num_rows:
        raise CompactionError(f"{location.uri(new_file)} does not read back {merged.num_rows} rows")
    for old in files:  # the merged file holds all their rows: from here on, a crash is safe
        location.delete(old)
    logger.info("Compacted %s", report.line())
    return report


def compact_remote(
    location: ArchiveLocation,
    *,
    sites: Iterable[str] | None = None,
    dry_run: bool = False,
    wait: float = 0.0,
    report: Callable[[PartitionReport], None] | None = None,
    redis_url: str | None = None,
) -> list[PartitionReport]:
    """``compact_archive`` of an S3 archive (see the module docstring)."""
    try:
        if not location.is_dir():
            raise CompactionError(f"no archive at {location.url} (no such bucket)")
    except OSError as exc:
        raise CompactionError(f"cannot reach {location.url}: {scrub(str(exc))}") from None
    wanted = {validate_site(s) for s in sites} if sites else None
    reports: list[PartitionReport] = []
    lock = archive_lock_for(
        location, shared=dry_run, blocking=wait > 0, timeout=wait, redis_url=redis_url
    )
    with lock:
        try:
            if not dry_run:
                upgrade_archive(location)
            run_id = generate_run_id()
            for partition, files in remote_partition_files(location).items():
                if wanted is not None and partition.site not in wanted:
                    continue
                result = compact_remote_partition(
                    location, partition, files, run_id, dry_run=dry_run
                )
                reports.append(result)
                if report is not None:
                    report(result)
        except (OSError, pa.ArrowException) as exc:
            raise CompactionError(f"on {location.url}: {scrub(str(exc))}") from None
    return reports


class Command(ScrapyCommand):
    """Merge the small files of each archive partition into one, atomically."""

    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Merge each archive partition's Parquet files into one file"

    def long_desc(self) -> str:
        return (
            "Merge the Parquet files of every partition that has more than one into a single "
            "file: no row lost, duplicates (same url and content_hash) removed, rows sorted by "
            "published_at, url, version. Readers see the old files or the new one, never both. "
            "Safe to re-run and to interrupt. Refuses to run while a crawl writes the archive."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--output",
            metavar="DIR",
            help="archive root, a folder or s3://bucket/prefix (default: NEWSARCHIVE_OUTPUT)",
        )
        parser.add_argument(
            "--site",
            action="append",
            default=[],
            metavar="SITE",
            help="only compact this site (may be repeated)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be done, change nothing"
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="wait this long for a running crawl or compaction to finish (default: 0)",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        assert self.settings is not None
        output = opts.output or self.settings.get("NEWSARCHIVE_OUTPUT") or "output"
        try:
            for site in opts.site:
                validate_site(site)
        except UnsafePathError as exc:
            raise UsageError(str(exc), print_help=False) from None
        try:
            location = parse_location(output, self.settings)
        except UnsupportedArchiveLocation as exc:
            print(f"newsarchive: not compacting: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        root: Path | ArchiveLocation = Path(output) if location.is_local else location
        prefix = "[dry run] " if opts.dry_run else ""

        def show(result: PartitionReport) -> None:
            if result.files_before > 1 or result.skipped:
                print(f"{prefix}{result.line()}", flush=True)

        try:
            reports = compact_archive(
                root,
                sites=opts.site,
                dry_run=opts.dry_run,
                wait=opts.wait,
                report=show,
                redis_url=self.settings.get("REDIS_URL") or None,
            )
        except ArchiveLockedError as exc:
            print(f"newsarchive: not compacting: {exc}", file=sys.stderr)
            self.exitcode = EXIT_LOCKED
            return
        except CompactionError as exc:
            print(f"newsarchive: cannot compact: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        merged = [r for r in reports if r.files_before > 1 and not r.skipped]
        print(
            f"{prefix}{len(merged)} partition(s) compacted, "
            f"{sum(r.files_before for r in merged)} -> {len(merged)} files, "
            f"{sum(r.rows_before - r.rows_after for r in merged)} duplicate row(s) removed; "
            f"{len(reports) - len(merged)} partition(s) left as they were"
        )
