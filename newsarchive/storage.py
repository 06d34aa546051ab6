"""Low-level, Scrapy-free storage helpers for the hive-partitioned Parquet archive.

Layout under the archive root::

    site=<site>/date=<YYYY-MM-DD>/part-<run_id>-<seq>.parquet   live archive files
    _rejected/site=<site>/<run_id>.jsonl                        undated and dropped items
    .lock                                                       see ``archive_lock``

Rule: no ``*.parquet`` file may ever exist under the root except live archive files, because
DuckDB's ``read_parquet('root/**/*.parquet')`` descends into hidden and ``_`` directories.
Temporary files are therefore named ``.<final name>.<random>.tmp``, and compaction stages its
work in a sibling directory *outside* the root (see ``newsarchive.commands.compact``).

The root may also be ``s3://bucket/prefix`` (``newsarchive.archive_fs``): the functions that
list, read and upgrade the archive (``list_partition_files``, ``archive_files``,
``upgrade_archive``, ``read_archive``) take either, and give fs paths (``bucket/key``
strings) for S3 where they give ``Path`` objects for a local folder. The rest (temp files,
``fsync``, ``flock``, directory exchange) is local only. S3 writes no temp files: an object
is whole once its upload completes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import re
import secrets
import time
from datetime import date as Date
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

from newsarchive.archive_fs import ArchiveLocation, parse_location, posix_name
from newsarchive.schema import FILE_SCHEMA, SCHEMA_VERSION

logger = logging.getLogger(__name__)

SITE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TEMP_SUFFIX = ".tmp"
LOCK_FILENAME = ".lock"
SCHEMA_MARKER = ".schema_version"
"""Holds the schema version every live file has been brought up to (see ``upgrade_archive``)."""
REJECTED_DIRNAME = "_rejected"

# Partition keys as they come back from the folder names: plain strings, whatever they look like.
PARTITION_SCHEMA = pa.schema([("site", pa.string()), ("date", pa.string())])


class UnsafePathError(ValueError):
    """A site name or date that would not give a well-formed path inside the archive root."""


class ArchiveLockedError(RuntimeError):
    """Another process (a compaction or a crawl) holds the archive lock."""


class Partition(NamedTuple):
    """One hive partition: ``site=<site>/date=<date>``."""

    site: str
    date: str

    def relpath(self) -> str:
        """``site=<site>/date=<date>``, relative to the archive root."""
        return f"site={self.site}/date={self.date}"


def validate_site(site: Any) -> str:
    """Return ``site`` if it is a safe partition value, else raise ``UnsafePathError``."""
    if not isinstance(site, str) or not SITE_RE.fullmatch(site):
        raise UnsafePathError(f"unsafe site name {site!r}: must match {SITE_RE.pattern}")
    return site


def validate_date(value: Any) -> str:
    """Return ``value`` as ``YYYY-MM-DD`` if it is a real ISO date, else raise."""
    if isinstance(value, Date):
        value = value.isoformat()
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        raise UnsafePathError(f"unsafe partition date {value!r}: must be YYYY-MM-DD")
    try:
        Date.fromisoformat(value)
    except ValueError as exc:
        raise UnsafePathError(f"unsafe partition date {value!r}: {exc}") from None
    return value


def _inside(path: Path, root: Path) -> Path:
    """Return ``path`` after checking that, resolved, it is strictly inside resolved ``root``."""
    resolved_root = Path(root).resolve()
    resolved = path.resolve()
    if resolved == resolved_root or not resolved.is_relative_to(resolved_root):
        raise UnsafePathError(f"{path} resolves outside the archive root {resolved_root}")
    return path


def safe_partition_dir(root: str | os.PathLike[str], site: Any, date: Any) -> Path:
    """``root/site=<site>/date=<date>``, guaranteed to stay inside ``root``.

    Site names and dates come from scraped pages and settings, so they are validated
    strictly (ASCII only, no separators, a real calendar date) and the resolved result is
    checked against the resolved root (catches symlinks planted inside the root). The
    returned path is not resolved: it starts with ``root`` as given.
    """
    partition = Partition(validate_site(site), validate_date(date))
    return _inside(Path(root) / partition.relpath(), Path(root))


def rejected_dir(root: str | os.PathLike[str], site: Any) -> Path:
    """``root/_rejected/site=<site>``; unusable site names go to ``site=_unknown``.

    ``_unknown`` cannot collide with a real site: real names never start with ``_``.
    """
    try:
        name = validate_site(site)
    except UnsafePathError:
        name = "_unknown"
    return _inside(Path(root) / REJECTED_DIRNAME / f"site={name}", Path(root))


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Persist a directory entry change (a rename or unlink) across a power loss."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_for(final_path: Path) -> Path:
    """A unique hidden temp name next to ``final_path`` that no ``*.parquet`` glob matches."""
    return final_path.with_name(f".{final_path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def write_parquet_atomic(
    table: pa.Table, final_path: str | os.PathLike[str], compression: str = "zstd"
) -> Path:
    """Write ``table`` to ``final_path`` so that readers see the whole file or nothing.

    Written to a hidden temp file in the same directory, fsynced, renamed into place and
    the directory fsynced; the temp file is removed on any error. Replaces an existing file.
    """
    final_path = Path(final_path)
    final_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(final_path)
    try:
        with open(tmp, "xb") as fh:
            pq.write_table(table, fh, compression=compression)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final_path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(final_path.parent)
    return final_path


def is_live_file(path: Path) -> bool:
    """A live archive file: ``*.parquet`` and not hidden (temp files never qualify)."""
    return is_live_name(path.name)


def is_live_name(name: str) -> bool:
    """``is_live_file`` for a bare file name."""
    return name.endswith(".parquet") and not name.startswith((".", "_"))


def _remote(root: Any) -> ArchiveLocation | None:
    """The S3 location of ``root``, or None for a local folder (as every function here
    treated it before S3)."""
    if isinstance(root, ArchiveLocation):
        return None if root.is_local else root
    if isinstance(root, Path):
        text = str(root)
        if not text.startswith("s3:/"):  # Path("s3://b/p") is s3:/b/p
            return None
    location = parse_location(root)
    return None if location.is_local else location


def remote_partition_files(location: ArchiveLocation) -> dict[Partition, list[str]]:
    """``list_partition_files`` of an S3 archive: fs paths (``bucket/key``) per partition.

    Lists the root's ``site=*`` "folders" and then each one recursively, so ``_manifests``
    and ``_rejected`` are never listed.
    """
    import pyarrow.fs as pafs

    fs = location.fs
    found: dict[Partition, list[str]] = {}
    top = pafs.FileSelector(location.base, recursive=False, allow_not_found=True)
    for site_info in fs.get_file_info(top):
        site = posix_name(site_info.path).removeprefix("site=")
        if (
            site_info.type != pafs.FileType.Directory
            or not posix_name(site_info.path).startswith("site=")
            or not SITE_RE.fullmatch(site)
        ):
            continue
        selector = pafs.FileSelector(site_info.path, recursive=True, allow_not_found=True)
        for info in fs.get_file_info(selector):
            parts = info.path[len(site_info.path) + 1 :].split("/")
            if info.type != pafs.FileType.File or len(parts) != 2 or not is_live_name(parts[1]):
                continue
            if not parts[0].startswith("date="):
                continue
            try:
                day = validate_date(parts[0].removeprefix("date="))
            except UnsafePathError:
                continue
            found.setdefault(Partition(site, day), []).append(info.path)
    return {partition: sorted(found[partition]) for partition in sorted(found)}


class ArchiveFile(NamedTuple):
    """A live file as ``reconcile`` needs it: ``path`` (``.name`` is the file name), the
    ``key`` the state records it under, and how to read it."""

    path: Path | PurePosixPath
    key: str
    location: ArchiveLocation | None

    def read_table(self, columns: list[str]) -> pa.Table:
        if self.location is None:
            return pq.read_table(self.path, columns=columns)
        return pq.read_table(str(self.path), columns=columns, filesystem=self.location.fs)


def archive_files(root: Any) -> list[tuple[Partition, ArchiveFile]]:
    """Every live file with its partition, for ``reconcile``: local files keyed by their
    resolved path (as always), S3 objects by their alias (``ArchiveLocation.state_key``),
    the keys the state extension gives the files the writer announces."""
    remote = _remote(root)
    if remote is None:
        return [
            (partition, ArchiveFile(Path(file), str(Path(file).resolve()), None))
            for partition, files in list_partition_files(root).items()
            for file in files
        ]
    return [
        (partition, ArchiveFile(PurePosixPath(path), remote.state_key(path), remote))
        for partition, files in remote_partition_files(remote).items()
        for path in files
    ]


def list_partitions(root: str | os.PathLike[str]) -> list[Partition]:
    """Every well-formed ``site=*/date=*`` directory under ``root``, sorted."""
    root = Path(root)
    found: list[Partition] = []
    if not root.is_dir():
        return found
    for site_dir in root.glob("site=*"):
        site = site_dir.name.removeprefix("site=")
        if not site_dir.is_dir() or site_dir.is_symlink() or not SITE_RE.fullmatch(site):
            continue
        for date_dir in site_dir.glob("date=*"):
            day = date_dir.name.removeprefix("date=")
            if date_dir.is_dir() and not date_dir.is_symlink():
                try:
                    found.append(Partition(site, validate_date(day)))
                except UnsafePathError:
                    continue
    return sorted(found)


def partition_files(root: str | os.PathLike[str], partition: Partition) -> list[Path]:
    """The live files of one partition, sorted by name."""
    directory = Path(root) / partition.relpath()
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and is_live_file(p))


def list_partition_files(root: str | os.PathLike[str]) -> dict[Partition, list[Path]]:
    """Live files per partition (partitions without any live file are left out).

    For an S3 root (``s3://bucket/prefix``), fs paths (``bucket/key`` strings) instead.
    """
    remote = _remote(root)
    if remote is not None:
        return remote_partition_files(remote)  # type: ignore[return-value]
    result: dict[Partition, list[Path]] = {}
    for partition in list_partitions(root):
        files = partition_files(root, partition)
        if files:
            result[partition] = files
    return result


def conform_to_file_schema(table: pa.Table) -> pa.Table:
    """Cast ``table`` to ``FILE_SCHEMA``; columns it lacks (older files) become nulls.

    Extra columns are an error rather than silently dropped: they would be lost data.
    """
    extra = set(table.column_names) - set(FILE_SCHEMA.names)
    if extra:
        raise ValueError(f"columns not in the archive schema: {sorted(extra)}")
    columns = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in FILE_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=FILE_SCHEMA)


def file_schema_version(path: str | os.PathLike[str], filesystem: Any = None) -> int:
    """The ``newsarchive.schema_version`` a file was written with (its footer only)."""
    metadata = pq.read_schema(path, filesystem=filesystem).metadata or {}
    try:
        return int(metadata.get(b"newsarchive.schema_version", b"0"))
    except ValueError:
        return 0


def upgrade_archive(root: str | os.PathLike[str]) -> list[Path]:
    """Bring every live file written with an older schema up to ``FILE_SCHEMA``, in place.

    Readers take the columns of whichever file they open first (DuckDB's
    ``read_parquet('**/*.parquet')``, pandas, pyarrow datasets): with files of two schemas
    in one archive, a new column is silently missing, or an old file breaks the read. So
    when the columns change, each older file is rewritten with the new ones (null where it
    has no value), atomically, and ``.schema_version`` at the root records that the archive
    is done: later runs cost one small read. A run killed half-way leaves whole files of
    either schema and no record, so the next run finishes the job. Returns the rewritten
    files. The caller holds the archive lock. On S3 each file is uploaded again under its
    own name (an upload replaces an object whole).
    """
    remote = _remote(root)
    if remote is not None:
        return _upgrade_remote(remote)  # type: ignore[return-value]
    root = Path(root)
    marker = root / SCHEMA_MARKER
    with contextlib.suppress(OSError, ValueError):
        if int(marker.read_text(encoding="ascii").strip()) >= SCHEMA_VERSION:
            return []
    upgraded = []
    for files in list_partition_files(root).values():
        for path in files:
            if file_schema_version(path) >= SCHEMA_VERSION:
                continue
            codec = _codec_of(pq.read_metadata(path))
            write_parquet_atomic(conform_to_file_schema(pq.read_table(path)), path, codec)
            upgraded.append(path)
    if root.is_dir():
        tmp = temp_path_for(marker)
        tmp.write_text(f"{SCHEMA_VERSION}\n", encoding="ascii")
        os.replace(tmp, marker)
    _log_upgraded(len(upgraded))
    return upgraded


def _log_upgraded(count: int) -> None:
    if count:
        logger.warning(
            "Upgraded %d archive file(s) to schema version %d (new columns are null in them)",
            count,
            SCHEMA_VERSION,
        )


def _codec_of(metadata: pq.FileMetaData) -> str:
    """The codec a file was written with (its first column's), to rewrite it with."""
    return (
        metadata.row_group(0).column(0).compression.lower() if metadata.num_row_groups else "zstd"
    ).replace("uncompressed", "none")


def _upgrade_remote(location: ArchiveLocation) -> list[str]:
    """``upgrade_archive`` of an S3 archive."""
    marker = location.path(SCHEMA_MARKER)
    with contextlib.suppress(OSError, ValueError):
        if int(location.read_bytes(marker).decode("ascii").strip()) >= SCHEMA_VERSION:
            return []
    fs = location.fs
    upgraded = []
    for files in remote_partition_files(location).values():
        for path in files:
            if file_schema_version(path, fs) >= SCHEMA_VERSION:
                continue
            codec = _codec_of(pq.read_metadata(path, filesystem=fs))
            table = conform_to_file_schema(pq.read_table(path, filesystem=fs))
            location.write_table(table, path, codec)
            upgraded.append(path)
    location.write_bytes(marker, f"{SCHEMA_VERSION}\n".encode("ascii"))
    _log_upgraded(len(upgraded))
    return upgraded


def read_archive(root: str | os.PathLike[str]) -> pa.Table:
    """The whole archive as one table, with ``site`` and ``date`` (strings) from the paths.

    Reads exactly the live files of well-formed partitions, so a stray file elsewhere in
    the root (a README, a half-copied directory) cannot break or pollute the result.
    """
    # Imported here: pyarrow.dataset pulls in pandas (~0.25 s of CPU), and a crawl that
    # only writes the archive never reads it this way.
    import pyarrow.dataset as ds

    remote = _remote(root)
    base = remote.base if remote is not None else str(Path(root))
    schema = pa.schema(list(FILE_SCHEMA) + list(PARTITION_SCHEMA), metadata=FILE_SCHEMA.metadata)
    files = [str(f) for fs in list_partition_files(root).values() for f in fs]
    if not files:
        return schema.empty_table()
    dataset = ds.dataset(
        files,
        format="parquet",
        schema=schema,
        partitioning=ds.partitioning(PARTITION_SCHEMA, flavor="hive"),
        partition_base_dir=base,
        filesystem=remote.fs if remote is not None else None,
    )
    return dataset.to_table()


def remove_stale_temp_files(root: str | os.PathLike[str], older_than_seconds: float) -> list[Path]:
    """Delete ``.*.tmp`` leftovers of killed writers older than ``older_than_seconds``.

    Only files this module names as temp files are touched. Returns the removed paths.
    """
    root = Path(root)
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    cutoff = time.time() - older_than_seconds
    for path in root.rglob(f".*{TEMP_SUFFIX}"):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime <= cutoff:
                path.unlink()
                removed.append(path)
                logger.info("Removed stale temp file %s", path)
        except FileNotFoundError:
            continue
    return removed


class ArchiveLock:
    """``flock`` on ``<root>/.lock``: exclusive for compaction, shared for crawls.

    Crawls only add new files, so as far as compaction is concerned several may run at once
    (shared); compaction swaps whole partition directories and must run alone (exclusive).
    The lock is released by the kernel if the process dies, so a crash never leaves the
    archive locked. ``name`` picks another lock file in the root for other purposes.
    Note: ``flock`` locks belong to open files, so two ``ArchiveLock`` objects on the same
    file conflict even inside one process.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        shared: bool = False,
        blocking: bool = False,
        timeout: float | None = None,
        name: str = LOCK_FILENAME,
    ) -> None:
        if not re.fullmatch(r"\.[A-Za-z0-9_.-]+", name):
            raise ValueError(f"lock file name {name!r} must be a hidden plain file name")
        self.root = Path(root)
        self.path = self.root / name
        self.shared = shared
        self.blocking = blocking
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def locked(self) -> bool:
        return self._fd is not None

    def acquire(self, *, blocking: bool | None = None, timeout: float | None = None) -> None:
        """Take the lock; raise ``ArchiveLockedError`` if it is held.

        Non-blocking tries once; blocking waits forever, or ``timeout`` seconds if given.
        Defaults come from the constructor.
        """
        if self._fd is not None:
            return
        blocking = self.blocking if blocking is None else blocking
        timeout = (self.timeout if timeout is None else timeout) if blocking else None
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                try:
                    if blocking and deadline is None:
                        fcntl.flock(fd, mode)
                    else:
                        fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is None or time.monotonic() >= deadline:
                        raise ArchiveLockedError(
                            f"the archive {self.root} is locked ({self.path}): another "
                            "compaction or crawl is using it; try again when it has finished"
                        ) from None
                    time.sleep(0.1)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def archive_lock(
    root: str | os.PathLike[str],
    *,
    blocking: bool = False,
    shared: bool = False,
    timeout: float | None = None,
) -> ArchiveLock:
    """Context manager holding the archive lock; raises ``ArchiveLockedError`` if held.

    ``blocking=False``: fail at once; ``blocking=True``: wait (at most ``timeout`` seconds
    when given).
    """
    return ArchiveLock(root, shared=shared, blocking=blocking, timeout=timeout)


# --- Atomic directory exchange (Linux renameat2) ----------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_SYS_RENAMEAT2 = {"x86_64": 316, "aarch64": 276, "arm64": 276}


class ExchangeNotSupportedError(OSError):
    """The OS or filesystem cannot swap two directories atomically."""


def _renameat2() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is not None:
        func.argtypes = [
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_uint,
        ]
        return func
    number = _SYS_RENAMEAT2.get(os.uname().machine)
    if number is None:
        return None
    syscall = libc.syscall

    def call(olddirfd: int, old: bytes, newdirfd: int, new: bytes, flags: int) -> int:
        return syscall(
            ctypes.c_long(number),
            ctypes.c_int(olddirfd),
            ctypes.c_char_p(old),
            ctypes.c_int(newdirfd),
            ctypes.c_char_p(new),
            ctypes.c_uint(flags),
        )

    return call


def exchange_paths(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> None:
    """Atomically swap two existing paths (``renameat2(RENAME_EXCHANGE)``).

    Readers see either the old or the new entry under each name, never a gap or a mix.
    Raises ``ExchangeNotSupportedError`` where the kernel or filesystem lacks it.
    """
    func = _renameat2() if os.uname().sysname == "Linux" else None
    if func is None:
        raise ExchangeNotSupportedError(
            errno.ENOSYS, "atomic directory exchange needs Linux renameat2(RENAME_EXCHANGE)"
        )
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        raise ExchangeNotSupportedError(
            err,
            f"this kernel or filesystem cannot atomically exchange {a} and {b} "
            f"(renameat2 RENAME_EXCHANGE: {os.strerror(err)}); use ext4, xfs, btrfs or tmpfs",
        )
    raise OSError(err, f"renameat2({a}, {b}, RENAME_EXCHANGE): {os.strerror(err)}")
