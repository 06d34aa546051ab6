"""Where the archive lives: a local folder or ``s3://bucket/prefix``, behind one filesystem.

``NEWSARCHIVE_OUTPUT`` (and ``scrapy compact --output`` / ``scrapy report --archive``) is read
by ``parse_location``:

* a path (``output``, ``/srv/archive``, ``file:///srv/archive``) is a local folder, written
  as it always was (temp file, ``fsync``, rename; ``flock`` locks in the folder);
* ``s3://bucket/prefix`` (or ``s3://bucket``) is the same hive layout in S3 or any
  S3-compatible store, through ``pyarrow.fs.S3FileSystem``. The endpoint is the setting
  ``NEWSARCHIVE_S3_ENDPOINT``, else the standard variables ``AWS_ENDPOINT_URL_S3`` or
  ``AWS_ENDPOINT_URL`` (``http://127.0.0.1:9000``; no scheme means https), else AWS itself.
  The region is ``NEWSARCHIVE_S3_REGION``, else the AWS chain (``AWS_REGION``,
  ``AWS_DEFAULT_REGION``, ``~/.aws/config``). Credentials come only from the AWS chain
  (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, ``~/.aws``, instance
  roles): a URL with ``user:password@`` is refused, and no setting takes one;
* anything else that looks like ``scheme:/...`` (``gs://``, ``hdfs://``, ``ftp://``, ...) is an
  ``UnsupportedArchiveLocation``: before this module it was taken for a relative path and
  made a local folder named ``gs:``. ``s3:/bucket/prefix`` (what ``pathlib.Path`` makes of the
  URL) is read as ``s3://bucket/prefix``.

How S3 differs, and why it is still safe:

* **Whole files.** Each object is written with one ``open_output_stream``: the Parquet file is
  made in memory first and uploaded in one go, and S3 makes an object visible only when its
  upload (single or multipart) completes, so readers never see half a file. There is no temp
  file and no rename (a rename is a copy on S3). A ``kill -9`` mid-upload leaves an
  incomplete multipart upload, invisible to readers (a bucket lifecycle rule
  ``AbortIncompleteMultipartUpload`` reclaims its space).
* **Unique names.** Files are ``part-<run_id>-<seq>.parquet``; a run ID is unique per worker
  (time, random bits, and the worker's ID in a shared crawl), and the writer checks that the
  name is free before it uploads.
* **Locks.** ``flock`` cannot lock an object. Crawls and compactions of an S3 archive lock a
  local folder keyed by the archive's URL (``lock_dir``: ``$NEWSARCHIVE_LOCK_DIR``, else
  ``$XDG_CACHE_HOME/newsarchive/locks/`` or ``~/.cache/newsarchive/locks/``), which keeps
  processes of one machine apart; with ``REDIS_URL`` the compaction lock is also held in
  Redis (``RedisArchiveLock``), which keeps machines apart. Two machines writing one S3
  archive therefore need ``REDIS_URL``.
* **The state.** A SQLite file cannot live on S3: an S3 archive needs ``NEWSARCHIVE_STATE``
  (a local path or ``redis://...``), see ``state_required_message``.
* **State keys.** The state extension keys a committed file by ``Path(path).resolve()``; for
  an S3 object the writer announces its *alias* ``/s3:/<bucket>/<key>`` (``alias_path``), an
  absolute path that resolves to itself in every working directory, so the key is the same
  whichever machine or folder a crawl runs in, and ``reconcile`` finds it again.
* **No credential in any message.** ``scrub`` removes the values of the AWS credential
  variables from a text; an S3 location installs a log-record filter that does it for every
  log record, and every error this module raises is scrubbed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from newsarchive.redaction import hide, redact

logger = logging.getLogger(__name__)

SCHEME_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):/")
BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
ALIAS_ROOT = "/s3:"
"""The alias of ``s3://bucket/key`` is ``/s3:/bucket/key`` (see the module docstring)."""
CREDENTIAL_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
SUPPORTED = "give a local path or s3://bucket/prefix"


class UnsupportedArchiveLocation(ValueError):
    """``NEWSARCHIVE_OUTPUT`` (or ``--output``/``--archive``) cannot be used: one line."""


def scrub(text: str) -> str:
    """``text`` without any AWS credential of this process's environment, nor URL passwords
    (the credentials are then hidden from every log record too)."""
    install_log_scrub()
    return redact(text)


def install_log_scrub() -> None:
    """Hide this process's AWS credentials from every log record from now on: an SDK error
    that quoted a key would otherwise reach the log (``newsarchive.redaction``)."""
    hide(*(os.environ.get(name) for name in CREDENTIAL_VARIABLES))


def _setting(settings: Any, name: str) -> str | None:
    value = settings.get(name) if settings is not None else None
    return str(value) if value else None


def parse_endpoint(value: str) -> tuple[str, str]:
    """``("http", "127.0.0.1:9000")`` for ``http://127.0.0.1:9000/``; https by default."""
    value = value.strip().rstrip("/")
    scheme = "https"
    match = re.match(r"^(https?)://", value, re.I)
    if match:
        scheme, value = match.group(1).lower(), value[match.end() :]
    if not value or "/" in value or "@" in value:
        raise UnsupportedArchiveLocation(
            f"the S3 endpoint {redact(value)!r} is not a host[:port] with an optional "
            "http:// or https:// (NEWSARCHIVE_S3_ENDPOINT, AWS_ENDPOINT_URL)"
        )
    return scheme, value


@dataclass
class ArchiveLocation:
    """An archive root: ``kind`` is ``"local"`` or ``"s3"``; ``base`` is the root's path in
    ``fs`` (an absolute local path, or ``bucket/prefix``); ``url`` is how messages name it."""

    kind: str
    base: str
    url: str
    endpoint: str | None = None
    region: str | None = None
    _fs: pafs.FileSystem | None = field(default=None, repr=False)

    @property
    def is_local(self) -> bool:
        return self.kind == "local"

    @property
    def local_root(self) -> Path:
        """The local folder (only for a local archive)."""
        assert self.is_local, "not a local archive"
        return Path(self.base)

    @property
    def bucket(self) -> str:
        return self.base.split("/", 1)[0]

    @property
    def fs(self) -> pafs.FileSystem:
        if self._fs is None:
            if self.is_local:
                self._fs = pafs.LocalFileSystem()
            else:
                install_log_scrub()
                options: dict[str, Any] = {"connect_timeout": 10}
                if self.endpoint:
                    scheme, host = parse_endpoint(self.endpoint)
                    options.update(endpoint_override=host, scheme=scheme)
                if self.region:
                    options["region"] = self.region
                self._fs = pafs.S3FileSystem(**options)
        return self._fs

    # --- paths ---------------------------------------------------------------------------

    def path(self, *parts: str) -> str:
        """The fs path of ``parts`` (``"site=x"``, ``"date=y"``, ...) under the root."""
        return "/".join([self.base.rstrip("/"), *(p.strip("/") for p in parts if p)])

    def relative(self, path: str | os.PathLike[str]) -> str:
        """``site=.../date=.../part-....parquet`` for an fs path, alias or local path."""
        text = os.fspath(path)
        if not self.is_local and text.startswith(ALIAS_ROOT + "/"):
            text = text[len(ALIAS_ROOT) + 1 :]
        base = self.base.rstrip("/") + "/"
        if text.startswith(base):
            return text[len(base) :]
        if self.is_local:
            return str(Path(text).absolute().relative_to(Path(self.base)))
        raise ValueError(f"{text} is not inside {self.url}")

    def uri(self, path: str) -> str:
        """How a message names an fs path: ``s3://bucket/key``, or the local path."""
        return path if self.is_local else f"s3://{path}"

    def alias(self, path: str) -> Path:
        """The path announced for a committed file (see the module docstring)."""
        return Path(path) if self.is_local else Path(f"{ALIAS_ROOT}/{path}")

    def state_key(self, path: str) -> str:
        """The key the state keeps for the file at fs ``path``: what the state extension
        makes of the announced path, ``str(Path(announced).resolve())``."""
        return str(self.alias(path).resolve())

    # --- objects ---------------------------------------------------------------------------

    def info(self, path: str) -> pafs.FileInfo:
        return self.fs.get_file_info(path)

    def exists(self, path: str) -> bool:
        return self.info(path).type != pafs.FileType.NotFound

    def is_dir(self) -> bool:
        """Whether the root exists (for S3: whether the bucket answers and the prefix is
        there or can be; raises ``OSError``, scrubbed, if the store cannot be reached)."""
        try:
            if self.is_local:
                return Path(self.base).is_dir()
            return self.info(self.bucket).type == pafs.FileType.Directory
        except OSError as exc:
            raise OSError(scrub(str(exc))) from None

    def read_bytes(self, path: str) -> bytes:
        with self.fs.open_input_stream(path) as stream:
            return bytes(stream.read())

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write a whole object or file at once: readers see the old one or the new one.

        Local: a hidden temp file next to it, then ``os.replace``. S3: one upload.
        """
        if self.is_local:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
            try:
                temp.write_bytes(data)
                os.replace(temp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    temp.unlink()
                raise
            return
        with self.fs.open_output_stream(path) as out:
            out.write(data)

    def write_table(self, table: pa.Table, path: str, compression: str = "zstd") -> None:
        """Upload ``table`` as one Parquet object (S3 only: local files go through
        ``storage.write_parquet_atomic``). Made in memory first, so the upload is the only
        step that can fail half-way, and S3 never shows an upload that did not complete."""
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression=compression)
        buffer = sink.getvalue()
        with self.fs.open_output_stream(path) as out:
            out.write(buffer)

    def delete(self, path: str) -> None:
        self.fs.delete_file(path)

    def list_files(self, path: str | None = None) -> list[str]:
        """Every file (object) under ``path`` (default: the root), recursively, sorted."""
        selector = pafs.FileSelector(path or self.base, recursive=True, allow_not_found=True)
        return sorted(
            info.path for info in self.fs.get_file_info(selector) if info.type == pafs.FileType.File
        )

    def lock_dir(self) -> Path:
        """Where this archive's lock files are: the folder itself, or a local folder keyed by
        the S3 URL (and endpoint)."""
        if self.is_local:
            return Path(self.base)
        root = os.environ.get("NEWSARCHIVE_LOCK_DIR")
        if root:
            parent = Path(root)
        else:
            cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
            parent = Path(cache) / "newsarchive" / "locks"
        identity = f"{self.endpoint or 'aws'} {self.url}"
        digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.base)[:60].strip("-")
        return parent / f"s3-{slug}-{digest}"


_registry: dict[str, ArchiveLocation] = {}
_registry_lock = threading.Lock()


def parse_location(value: Any, settings: Any = None) -> ArchiveLocation:
    """The ``ArchiveLocation`` of ``value`` (a path or URL); ``settings`` gives the S3
    endpoint and region. Raises ``UnsupportedArchiveLocation``, in one line without any
    credential, for anything else. Touches nothing (the S3 client is made on first use).

    A location opened with settings is remembered, so that code given only the root (the
    state's ``reconcile``) reaches the same endpoint.
    """
    if isinstance(value, ArchiveLocation):
        return value
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    text = str(value or "output")
    match = SCHEME_RE.match(text)
    if match is None:
        return ArchiveLocation("local", str(Path(text).absolute()), str(Path(text).absolute()))
    scheme = match.group("scheme").lower()
    rest = text[match.end() :]
    if scheme == "file" and rest.startswith("//"):  # file:///srv/archive
        path = "/" + rest.lstrip("/")
        return ArchiveLocation("local", path, path)
    if scheme == "s3":
        return _s3_location(text, rest.lstrip("/"), settings)
    raise UnsupportedArchiveLocation(
        f"NEWSARCHIVE_OUTPUT={scrub(text)!r} is not an archive this release can write: {SUPPORTED}"
    )


def _s3_location(text: str, rest: str, settings: Any) -> ArchiveLocation:
    shown = scrub(text)
    # user:secret@bucket, where a secret key may hold "/" and "+"
    if "@" in rest.split("/", 1)[0] or re.match(r"[^/@]*:[^@]*@", rest):
        raise UnsupportedArchiveLocation(
            f"NEWSARCHIVE_OUTPUT={shown!r}: no credentials in the URL; they come from the AWS "
            "chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws, an instance role)"
        )
    if "?" in rest or "#" in rest:
        raise UnsupportedArchiveLocation(
            f"NEWSARCHIVE_OUTPUT={shown!r}: no options in the URL; set NEWSARCHIVE_S3_ENDPOINT "
            "or AWS_ENDPOINT_URL, and NEWSARCHIVE_S3_REGION or AWS_REGION"
        )
    parts = [p for p in rest.split("/") if p]
    if not parts or not BUCKET_RE.fullmatch(parts[0]) or any(p in (".", "..") for p in parts):
        raise UnsupportedArchiveLocation(
            f"NEWSARCHIVE_OUTPUT={shown!r} is not s3://bucket/prefix with a valid bucket name"
        )
    base = "/".join(parts)
    endpoint = (
        _setting(settings, "NEWSARCHIVE_S3_ENDPOINT")
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or None
    )
    region = _setting(settings, "NEWSARCHIVE_S3_REGION")
    if endpoint:
        parse_endpoint(endpoint)  # a bad one is an error now, not at the first write
    url = f"s3://{base}"
    explicit = _setting(settings, "NEWSARCHIVE_S3_ENDPOINT") or region
    with _registry_lock:
        if settings is None and url in _registry:
            return _registry[url]
        location = ArchiveLocation("s3", base, url, endpoint=endpoint, region=region)
        if explicit:  # only settings need remembering: the environment is there for all
            _registry[url] = location
        return location


def is_remote(value: Any) -> bool:
    """Whether ``value`` names an S3 archive (an unsupported scheme raises)."""
    return not parse_location(value).is_local


def state_required_message(location: ArchiveLocation) -> str:
    """Why an S3 archive needs ``NEWSARCHIVE_STATE``."""
    return (
        f"NEWSARCHIVE_OUTPUT={location.url!r} is on S3, where the state's SQLite file cannot "
        "live: set NEWSARCHIVE_STATE to a local path (one machine) or redis://host:port/db "
        "(shared by every worker)"
    )


def check_settings(settings: Any) -> ArchiveLocation | None:
    """The crawl's archive location, after the checks every entry point makes before a
    request: a supported location, and a state for an S3 archive. ``None`` when no archive
    is written. Raises ``UnsupportedArchiveLocation`` (one line)."""
    if not settings.getbool("NEWSARCHIVE_PARQUET_ENABLED", True):
        return None
    location = parse_location(settings.get("NEWSARCHIVE_OUTPUT") or "output", settings)
    if (
        not location.is_local
        and settings.getbool("NEWSARCHIVE_STATE_ENABLED", True)
        and not settings.get("NEWSARCHIVE_STATE")
    ):
        raise UnsupportedArchiveLocation(state_required_message(location))
    return location


# --- locks ------------------------------------------------------------------------------------


class RedisArchiveLock:
    """The archive lock of an S3 archive across machines: crawls share it, a compaction
    holds it alone. Same interface as ``storage.ArchiveLock``.

    Keys ``<prefix>:crawls`` (a hash: holder -> expiry in ms, by Redis's clock) and
    ``<prefix>:compact`` (the compaction's token, with a TTL). Each holder refreshes its
    expiry every ``ttl / 4`` seconds from a thread; a holder killed without release drops
    out after ``ttl`` seconds. Both acquisitions are one Lua script each, so a crawl and a
    compaction can never both get in.
    """

    _SHARED = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
    redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[2]))
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
    return 1
    """
    _EXCLUSIVE = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local holders = redis.call('HGETALL', KEYS[1])
    for i = 1, #holders, 2 do
        if tonumber(holders[i + 1]) < now then redis.call('HDEL', KEYS[1], holders[i]) end
    end
    if redis.call('HLEN', KEYS[1]) > 0 then return 0 end
    if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', tonumber(ARGV[2])) then return 1 end
    if redis.call('GET', KEYS[2]) == ARGV[1] then
        redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
        return 1
    end
    return 0
    """
    _RELEASE_EXCLUSIVE = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """

    def __init__(
        self,
        redis_url: str,
        location: ArchiveLocation,
        *,
        shared: bool = False,
        blocking: bool = False,
        timeout: float | None = None,
        ttl: float = 30.0,
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=10)
        digest = hashlib.sha256(f"{location.endpoint or 'aws'} {location.url}".encode())
        self.prefix = f"newsarchive:archive-lock:{digest.hexdigest()[:16]}"
        self.url = location.url
        self.shared = shared
        self.blocking = blocking
        self.timeout = timeout
        self.ttl_ms = int(ttl * 1000)
        self.token = f"{os.getpid()}-{secrets.token_hex(8)}"
        self._held = False
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    @property
    def locked(self) -> bool:
        return self._held

    def _try(self) -> bool:
        keys = [f"{self.prefix}:crawls", f"{self.prefix}:compact"]
        script = self._SHARED if self.shared else self._EXCLUSIVE
        return bool(self.client.eval(script, 2, *keys, self.token, self.ttl_ms))

    def acquire(self, *, blocking: bool | None = None, timeout: float | None = None) -> None:
        from newsarchive.storage import ArchiveLockedError

        if self._held:
            return
        blocking = self.blocking if blocking is None else blocking
        timeout = (self.timeout if timeout is None else timeout) if blocking else None
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._try():
            if not blocking or (deadline is not None and time.monotonic() >= deadline):
                what = "a compaction" if self.shared else "a crawl or another compaction"
                raise ArchiveLockedError(
                    f"the archive {self.url} is locked in Redis ({self.prefix}): {what} is "
                    "using it; try again when it has finished"
                )
            time.sleep(0.2)
        self._held = True
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name="archive-lock", daemon=True)
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl_ms / 4000):
            try:
                self._try()
            except Exception as exc:  # a Redis hiccup: the next beat tries again
                logger.warning("Could not refresh the archive lock in Redis: %s", scrub(str(exc)))

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
        with contextlib.suppress(Exception):
            if self.shared:
                self.client.hdel(f"{self.prefix}:crawls", self.token)
            else:
                self.client.eval(self._RELEASE_EXCLUSIVE, 1, f"{self.prefix}:compact", self.token)

    def __enter__(self) -> RedisArchiveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class LockChain:
    """Several locks taken in order and released in reverse (all or none)."""

    def __init__(self, *locks: Any) -> None:
        self.locks = locks

    @property
    def locked(self) -> bool:
        return all(lock.locked for lock in self.locks)

    def acquire(self, *, blocking: bool | None = None, timeout: float | None = None) -> None:
        taken = []
        try:
            for lock in self.locks:
                lock.acquire(blocking=blocking, timeout=timeout)
                taken.append(lock)
        except BaseException:
            for lock in reversed(taken):
                lock.release()
            raise

    def release(self) -> None:
        for lock in reversed(self.locks):
            lock.release()

    def __enter__(self) -> LockChain:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def archive_lock_for(
    location: ArchiveLocation,
    *,
    shared: bool = False,
    blocking: bool = False,
    timeout: float | None = None,
    redis_url: str | None = None,
) -> Any:
    """The compaction-vs-crawl lock of ``location``: ``storage.ArchiveLock`` in the folder
    of a local archive (as always); for S3 the same in ``lock_dir()``, and with
    ``redis_url`` also a ``RedisArchiveLock`` (machines)."""
    from newsarchive.storage import ArchiveLock

    local = ArchiveLock(location.lock_dir(), shared=shared, blocking=blocking, timeout=timeout)
    if location.is_local or not redis_url:
        return local
    remote = RedisArchiveLock(
        redis_url, location, shared=shared, blocking=blocking, timeout=timeout
    )
    return LockChain(local, remote)


def posix_name(path: str) -> str:
    """The last part of an fs path."""
    return PurePosixPath(path).name
