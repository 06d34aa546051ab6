"""WARC capture: what the sites sent, kept as WARC 1.1 records beside the Parquet archive.

The Parquet rows hold the cleaned text; the WARC files hold the evidence it was read from,
so that a better extractor can read years of crawls again (``scrapy extract --warc``) and a
quiet rewrite of an article can be shown. This module is the part that needs no crawler:
records are built from plain values (``Exchange``), appended to open files, rotated,
published and, after a ``kill -9``, salvaged. The Scrapy side (which responses, the request
meta, the signals, the stats) is ``newsarchive.middlewares.warc``.

Layout, under the WARC root (``<archive>/_warc`` by default)::

    site=<site>/date=<UTC crawl day>/newsarchive-<run_id>-<seq:05d>.warc.gz

Each file starts with a ``warcinfo`` record; then, for every response, a ``response``
record (a ``revisit`` with the ``server-not-modified`` profile for a 304), the ``request``
record and, when the spider gives one, a ``metadata`` record (``application/json``), the
last two ``WARC-Concurrent-To`` the response. Every record is its own gzip member (what
``warcio``, pywb and every WARC tool read, and what lets a reader seek to one record), and
the three records of one response are always in the same file.

A file is written under a hidden temporary name, ``.<name>.open`` next to its final place
(for an S3 root: in a local spool folder), and renamed into place (uploaded) when it is
closed: readers and ``*.warc.gz`` globs see whole files or nothing. A file is closed when
it would outgrow ``max_bytes``, when the crawl day changes, whenever the Parquet writer
flushes (so a committed row never names a file that is not in place) and at the end of the
run. A run killed in between leaves ``.open`` files; the next run keeps their complete
gzip members (records), drops a truncated last one and publishes the rest
(``WarcFiles.salvage``).

What cannot be had: Scrapy hands over a parsed response, not the bytes on the wire. So the
response record is the status line rebuilt from ``response.protocol`` and the status, the
headers as Scrapy parsed them (names in its capitalisation, in arrival order per name), and
the body as received, still content-encoded (``Content-Encoding`` kept: readers decode it,
``warcio``'s ``content_stream()`` does). A chunked body arrives de-chunked, so its
``Transfer-Encoding`` header is kept as ``X-Archive-Orig-Transfer-Encoding`` (pywb's
convention), where a reader would otherwise try to de-chunk it again. The request record is
rebuilt the same way from the request as sent (method, target, the headers the downloader
middlewares set, ``Host`` as the client adds it, the body).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import secrets
import shutil
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from newsarchive.archive_fs import ArchiveLocation
from newsarchive.storage import fsync_dir, safe_partition_dir, validate_date, validate_site

logger = logging.getLogger(__name__)

WARC_DIRNAME = "_warc"
"""The WARC root inside the archive: ``_`` keeps it out of hive reads of the archive."""
WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
FILE_PREFIX = "newsarchive-"
WARC_VERSION = "WARC/1.1"
DEFAULT_MAX_BYTES = 1_000_000_000
"""A file is closed before it outgrows this (1 GB, as Heritrix and Browsertrix do)."""
DEFAULT_GZIP_LIBRARY = "isal"
DEFAULT_GZIP_LEVEL = 1
"""How each record is gzipped: ISA-L's level 1 (``benchmarks/warc_cost.py`` measured it
against zlib's 1, 6 and 9, warcio's own)."""
GZIP_WBITS = 16 + 15  # a gzip member, 32 KiB window
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
METADATA_TYPE = "application/json"
COPY_CHUNK = 8 * 1024 * 1024


def warc_date(moment: datetime) -> str:
    """WARC 1.1's ``WARC-Date`` of a UTC moment, always with microseconds (a row's
    ``crawled_at`` is the same instant, to the microsecond)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_warc_date(text: str) -> datetime:
    """The UTC moment of a ``WARC-Date`` (with or without fractional seconds)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


GZIP_LIBRARIES = {"isal": 3, "zlib": 9}
"""The libraries that may gzip the records, and the highest level each has."""


def gzip_compressor(library: str = DEFAULT_GZIP_LIBRARY, level: int = DEFAULT_GZIP_LEVEL) -> Any:
    """A function that makes one whole gzip member of its bytes.

    ``isal`` (ISA-L, levels 0-3) makes members any gzip reader reads, four times as fast as
    zlib's level 1 and smaller (benchmarks/warc_cost.py); ``zlib`` (levels 0-9; warcio's own
    writer uses 9) is the standard library's. Raises ``ValueError`` for anything else.
    """
    if library not in GZIP_LIBRARIES:
        raise ValueError(f"gzip library {library!r} is not one of {', '.join(GZIP_LIBRARIES)}")
    if not isinstance(level, int) or not 0 <= level <= GZIP_LIBRARIES[library]:
        raise ValueError(f"{library}'s gzip levels are 0-{GZIP_LIBRARIES[library]}, not {level!r}")
    if library == "isal":
        from isal import isal_zlib

        return partial(isal_zlib.compress, level=level, wbits=GZIP_WBITS)
    return partial(zlib.compress, level=level, wbits=GZIP_WBITS)


@dataclass
class Exchange:
    """One request and the response the site gave to it, as plain values."""

    url: str
    status: int
    body: bytes
    fetched_at: datetime
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    protocol: str = "HTTP/1.1"
    method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    metadata: dict[str, Any] | None = None
    ip_address: str | None = None
    truncated: bool = False
    """The body is known to be incomplete (Scrapy's ``dataloss`` flag)."""


def _headers(headers: Any) -> list[tuple[str, str]]:
    """Scrapy ``Headers`` (bytes, one list of values per name) as (name, value) pairs."""
    pairs = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values if isinstance(values, list | tuple) else [values]:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs


def http_protocol(protocol: str | None) -> str:
    """The status line's protocol: Scrapy says ``HTTP/1.1``, ``HTTP/1.0`` or ``h2``."""
    if protocol and protocol.upper().startswith("HTTP/"):
        return protocol.upper()
    if protocol and protocol.lower() == "h2":
        return "HTTP/2"
    return "HTTP/1.1"


def exchange_of(
    request: Any, response: Any, fetched_at: datetime, metadata: dict[str, Any] | None = None
) -> Exchange:
    """The ``Exchange`` of a Scrapy request and its response (see the module docstring for
    what is rebuilt)."""
    request_headers = _headers(request.headers)
    if not any(name.lower() == "host" for name, _ in request_headers):
        host = urlsplit(request.url).netloc.rpartition("@")[2]
        request_headers.insert(0, ("Host", host))
    response_headers = [
        ("X-Archive-Orig-Transfer-Encoding", value) if name.lower() == "transfer-encoding"
        else (name, value)
        for name, value in _headers(response.headers)
    ]  # fmt: skip
    ip_address = getattr(response, "ip_address", None)
    return Exchange(
        url=response.url,
        status=response.status,
        body=response.body,
        fetched_at=fetched_at,
        response_headers=response_headers,
        protocol=http_protocol(getattr(response, "protocol", None)),
        method=request.method,
        request_headers=request_headers,
        request_body=request.body or b"",
        metadata=metadata,
        ip_address=str(ip_address) if ip_address is not None else None,
        truncated="dataloss" in (getattr(response, "flags", None) or ()),
    )


def _target(url: str) -> str:
    """The request line's target: path and query."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class RecordEncoder:
    """Builds the records of an ``Exchange`` with warcio (its digests, its header and
    length rules) and gzips each one as its own member, with our compressor (see
    ``gzip_compressor``; warcio's writer would use zlib's level 9)."""

    def __init__(
        self, gzip_level: int = DEFAULT_GZIP_LEVEL, gzip_library: str = DEFAULT_GZIP_LIBRARY
    ) -> None:
        self._gzip = gzip_compressor(gzip_library, gzip_level)
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version=WARC_VERSION)

    def _member(self, record: Any) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        return self._gzip(self._buffer.getvalue())

    def exchange(self, exchange: Exchange) -> list[bytes]:
        """The gzip members of one response: response (or revisit), request, metadata."""
        writer = self._writer
        date = warc_date(exchange.fetched_at)
        response_id = StatusAndHeadersParser.make_warc_id()
        status_line = f"{exchange.status} {_phrase(exchange.status)}".strip()
        http = StatusAndHeaders(
            status_line, list(exchange.response_headers), protocol=exchange.protocol
        )
        fields = {
            "WARC-Type": "revisit" if exchange.status == 304 else "response",
            "WARC-Record-ID": response_id,
            "WARC-Date": date,
        }
        if exchange.ip_address:
            fields["WARC-IP-Address"] = exchange.ip_address
        if exchange.truncated:
            fields["WARC-Truncated"] = "disconnect"
        if exchange.status == 304:
            # Nothing but headers came: a revisit that says the archived copy is current.
            response = writer.create_warc_record(
                exchange.url, "revisit", http_headers=http, warc_headers_dict=fields
            )
            response.rec_headers.add_header("WARC-Profile", REVISIT_NOT_MODIFIED)
        else:
            response = writer.create_warc_record(
                exchange.url,
                "response",
                payload=io.BytesIO(exchange.body),
                length=len(exchange.body),
                http_headers=http,
                warc_headers_dict=fields,
            )
        request_line = f"{exchange.method} {_target(exchange.url)} {exchange.protocol}"
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            http_headers=StatusAndHeaders(
                request_line, list(exchange.request_headers), is_http_request=True
            ),
            warc_headers_dict={
                "WARC-Type": "request",
                "WARC-Date": date,
                "WARC-Concurrent-To": response_id,
            },
        )
        members = [self._member(response), self._member(request)]
        if exchange.metadata is not None:
            payload = json.dumps(exchange.metadata, ensure_ascii=False, default=str).encode()
            metadata = writer.create_warc_record(
                exchange.url,
                "metadata",
                payload=io.BytesIO(payload),
                length=len(payload),
                warc_content_type=METADATA_TYPE,
                warc_headers_dict={
                    "WARC-Type": "metadata",
                    "WARC-Date": date,
                    "WARC-Concurrent-To": response_id,
                },
            )
            members.append(self._member(metadata))
        return members

    def warcinfo(self, filename: str, info: dict[str, str]) -> bytes:
        """The gzip member of a file's ``warcinfo`` record."""
        return self._member(self._writer.create_warcinfo_record(filename, info))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# --- files ---------------------------------------------------------------------------------


def open_name(name: str) -> str:
    """The hidden name a file has while it is written: ``.<name>.open``."""
    return f".{name}{OPEN_SUFFIX}"


def final_name(open_file_name: str) -> str | None:
    """The name an open file gets once published (None: not an open WARC file)."""
    if not (open_file_name.startswith(".") and open_file_name.endswith(WARC_SUFFIX + OPEN_SUFFIX)):
        return None
    return open_file_name[1 : -len(OPEN_SUFFIX)]


@dataclass
class OpenWarc:
    """A file being written: ``temp`` is its local path, ``final`` where it goes (a local
    path, or an fs path in the archive's filesystem), ``ref`` how rows name it."""

    site: str
    day: str
    name: str
    ref: str
    temp: Path
    final: Any
    fh: BinaryIO
    size: int = 0
    records: int = 0
    tail_unknown: bool = False
    """A write failed half-way and could not be cut back: cut to the complete members
    before publishing."""


@dataclass
class Salvaged:
    """An open file of a dead run, published (``records`` kept) or removed (none whole)."""

    path: str
    records: int
    dropped_bytes: int
    published: bool


class WarcFiles:
    """The open WARC files of one crawl, one per site: appends, rotates, publishes.

    ``location`` is the WARC root (a local folder or an S3 prefix); ``ref_prefix`` is what
    rows write before ``site=.../date=.../<name>`` (``_warc`` for the default root, inside
    the archive; else the root's absolute path or URL); ``spool`` is where the files of an
    S3 root are written before their upload.
    """

    def __init__(
        self,
        location: ArchiveLocation,
        *,
        run_id: str,
        ref_prefix: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        gzip_library: str = DEFAULT_GZIP_LIBRARY,
        info: dict[str, str] | None = None,
        spool: Path | None = None,
    ) -> None:
        if max_bytes < 1:
            raise ValueError("the WARC file size limit must be positive")
        if not location.is_local and spool is None:
            raise ValueError("an S3 WARC root needs a local spool folder")
        self.location = location
        self.run_id = run_id
        self.ref_prefix = ref_prefix.rstrip("/")
        self.max_bytes = max_bytes
        self.encoder = RecordEncoder(gzip_level, gzip_library)
        self.info = info or {}
        self.spool = spool
        self.open: dict[str, OpenWarc] = {}
        self.failed: set[str] = set()
        """``ref`` of every file that could not be published: no row may name one."""
        self.published: list[str] = []
        self.records = 0
        self.bytes = 0
        self._seq = 0

    # --- writing ---------------------------------------------------------------------------

    def write(self, site: str, exchange: Exchange) -> tuple[str, int]:
        """Append the records of ``exchange``; returns ``(ref, offset)`` of its response
        record. Raises ``OSError`` (and ``ValueError`` for an unusable site) when it could
        not be written; the file then holds whole records only and is published at once."""
        members = self.encoder.exchange(exchange)
        data = b"".join(members)
        day = exchange.fetched_at.astimezone(UTC).date().isoformat()
        current = self.open.get(site)
        if current is not None and (
            current.day != day or (current.size + len(data) > self.max_bytes and current.records)
        ):
            self.publish(current)  # raises: the next write starts a new file anyway
            current = None
        if current is None:
            current = self._start(site, day)
        offset = current.size
        try:
            _write_all(current.fh, data)
        except OSError:
            self._cut_back(current, offset)
            with contextlib.suppress(OSError):
                self.publish(current)
            raise
        current.size += len(data)
        current.records += len(members)
        self.records += len(members)
        self.bytes += len(data)
        return current.ref, offset

    def _start(self, site: str, day: str) -> OpenWarc:
        """A new file for ``site`` and ``day``, its ``warcinfo`` written."""
        site, day = validate_site(site), validate_date(day)
        if self.location.is_local:
            directory = safe_partition_dir(self.location.local_root, site, day)
        else:
            assert self.spool is not None
            directory = safe_partition_dir(self.spool, site, day)
        directory.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"{FILE_PREFIX}{self.run_id}-{self._seq:05d}{WARC_SUFFIX}"
            self._seq += 1
            temp = directory / open_name(name)
            if self.location.is_local:
                final: Any = directory / name
                taken = final.exists()
            else:
                final = self.location.path(f"site={site}", f"date={day}", name)
                taken = self.location.exists(final)
            if taken:
                continue
            try:
                fh = open(temp, "xb", buffering=0)  # noqa: SIM115 (closed on publish)
            except FileExistsError:
                continue
            break
        opened = OpenWarc(
            site, day, name, f"{self.ref_prefix}/site={site}/date={day}/{name}", temp, final, fh
        )
        try:
            info = self.encoder.warcinfo(name, self.info)
            _write_all(fh, info)
        except OSError:
            fh.close()
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        opened.size = len(info)
        opened.records = 1
        self.records += 1
        self.bytes += len(info)
        self.open[site] = opened
        return opened

    def _cut_back(self, current: OpenWarc, size: int) -> None:
        """After a failed append: back to the records that were whole."""
        try:
            os.ftruncate(current.fh.fileno(), size)
        except OSError:
            current.tail_unknown = True

    # --- publishing ------------------------------------------------------------------------

    def publish(self, current: OpenWarc) -> None:
        """Close ``current`` and put it in place (rename, or upload); on failure its ref
        joins ``failed`` and ``OSError`` is raised. The ``.open`` file is then left where
        it is, for a later run to salvage."""
        self.open.pop(current.site, None)
        try:
            try:
                if not current.fh.closed:
                    os.fsync(current.fh.fileno())
            finally:
                current.fh.close()
            if current.tail_unknown:
                cut_to_complete_members(current.temp)
            if self.location.is_local:
                os.rename(current.temp, current.final)
                fsync_dir(current.temp.parent)
            else:
                self._upload(current.temp, current.final)
                current.temp.unlink()
        except OSError:
            self.failed.add(current.ref)
            raise
        self.published.append(current.ref)

    def publish_all(self) -> list[tuple[str, OSError]]:
        """Publish every open file; returns ``(ref, error)`` of those that failed."""
        failures = []
        for current in list(self.open.values()):
            try:
                self.publish(current)
            except OSError as exc:
                failures.append((current.ref, exc))
        return failures

    def _upload(self, local: Path, key: str) -> None:
        """One upload: S3 shows the object only once it completed."""
        with open(local, "rb") as source, self.location.fs.open_output_stream(key) as out:
            shutil.copyfileobj(source, out, COPY_CHUNK)

    # --- salvage ---------------------------------------------------------------------------

    def salvage(self, older_than: float, now: float | None = None) -> list[Salvaged]:
        """Publish the open files that dead runs left (untouched for ``older_than``
        seconds): their complete records, without a truncated last one. A fresher one may
        be another live worker's, and is left alone."""
        folder = self.location.local_root if self.location.is_local else self.spool
        assert folder is not None
        own = {current.temp for current in self.open.values()}
        done = []
        for temp in stale_open_files(folder, older_than, now):
            name = final_name(temp.name)
            if name is None or temp in own:
                continue
            kept, dropped = cut_to_complete_members(temp)
            if kept == 0:
                temp.unlink()
                done.append(Salvaged(str(temp), 0, dropped, published=False))
                continue
            relative = temp.parent.relative_to(folder)
            if self.location.is_local:
                final = temp.with_name(name)
                if final.exists():  # never over a file in place
                    unique = f"-{secrets.token_hex(3)}{WARC_SUFFIX}"
                    final = temp.with_name(name.removesuffix(WARC_SUFFIX) + unique)
                os.rename(temp, final)
                fsync_dir(temp.parent)
                where = str(final)
            else:
                key = self.location.path(*relative.parts, name)
                self._upload(temp, key)
                temp.unlink()
                where = self.location.uri(key)
            done.append(Salvaged(where, kept, dropped, published=True))
        return done


def _write_all(fh: BinaryIO, data: bytes) -> None:
    """All of ``data`` (an unbuffered file may take a part of it per call)."""
    view = memoryview(data)
    while view:
        written = fh.write(view)
        if not written:
            raise OSError("write made no progress")
        view = view[written:]


def stale_open_files(folder: Path, older_than: float, now: float | None = None) -> list[Path]:
    """The ``site=*/date=*/.*.warc.gz.open`` files under ``folder`` not modified for
    ``older_than`` seconds."""
    cutoff = (time.time() if now is None else now) - older_than
    found = []
    for path in sorted(folder.glob(f"site=*/date=*/.*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime <= cutoff:
                found.append(path)
        except FileNotFoundError:
            continue
    return found


def complete_members(stream: BinaryIO, chunk_size: int = 1 << 20) -> tuple[int, int]:
    """``(bytes, members)``: how much of ``stream`` is whole gzip members, from its start.

    Reads in chunks and keeps none of the output, so a file of any size takes little
    memory. Stops at the first member that is cut short or corrupt.
    """
    offset = 0  # of data[0] in the stream
    good_end = members = 0
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = b""
    while True:
        if not data:
            data = stream.read(chunk_size)
            if not data:
                break
        try:
            pending = data
            while True:
                decompressor.decompress(pending, chunk_size)
                if decompressor.eof or not decompressor.unconsumed_tail:
                    break
                pending = decompressor.unconsumed_tail
        except zlib.error:
            break
        if decompressor.eof:
            rest = decompressor.unused_data
            good_end = offset + len(data) - len(rest)
            members += 1
            offset, data = good_end, rest
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            offset += len(data)
            data = b""
    return good_end, members


def cut_to_complete_members(path: Path) -> tuple[int, int]:
    """Cut ``path`` back to its complete gzip members, durably; returns ``(members kept,
    bytes dropped)``."""
    with open(path, "r+b") as fh:
        length, members = complete_members(fh)
        size = os.fstat(fh.fileno()).st_size
        if length < size:
            fh.truncate(length)
        fh.flush()
        os.fsync(fh.fileno())
    return members, size - length
