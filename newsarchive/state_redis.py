"""The cross-run state in Redis (``NEWSARCHIVE_STATE=redis://host:port/db``): the same API
as the SQLite ``ArchiveState``, shared by workers on several machines.

Keys (``P`` is the prefix: ``?prefix=...`` in the URL, default ``newsarchive:state``):

* ``P:{site}:a`` hash, article ID -> packed record (``pack_article``): flags, version,
  publication and last fetch (8-byte integers), the content hash (32 raw bytes when it is
  64 hex digits), the URL (left out when it is the article ID), ETag, Last-Modified: 150
  bytes for a 90-character URL and no ETag; no key per article. The first fetch and the
  canonical URL, which SQLite keeps and nothing reads, are left out (the archive has both).
* ``P:{site}:v`` set of 12-byte fingerprints of (URL, content hash): every version ever
  archived (``has_version``). 96 bits: a false "already archived" among 10^9 versions of one
  site has odds of about 10^-11 per lookup.
* ``P:{site}:s:{section}`` hash, article ID -> how far a complete sweep through it reached.
* ``P:{site}:q`` hash, article ID -> JSON of the retry-queue row.
* ``P:{site}:fill`` hash, run ID -> ``<sequence> <JSON>`` of its field fill rates
  (``P:fillseq`` numbers them, as SQLite's rowid does).
* ``P:files`` set of the Parquet files accounted for; ``P:runs`` hash, run ID -> JSON, and
  ``P:runs:open`` set of the runs not finished (so a start reads those, not every run ever);
  ``P:sites`` set of the sites; ``P:meta`` hash (``schema``).

Atomicity. Everything written inside ``batch()`` is sent as one ``MULTI``/``EXEC``: Redis
runs a transaction whole or, if the connection drops before ``EXEC``, not at all, so a
kill -9 mid-flush records none of the flush (the state stays behind the archive, never
ahead of it, and ``reconcile`` reads those files back). Each write that must read before it
writes (merging an article's record, a sweep mark, the retry queue) is a Lua script, which
Redis runs without interleaving any other client's command: two workers recording the same
article keep the highest version and the latest fetch, and
every version's fingerprint (no version is lost even if two workers did archive the same
article at once, which the shared frontier's per-crawl article set prevents). Every write is
idempotent, so the client's retry after a lost reply is harmless.

Unlike SQLite, reads inside a ``batch`` do not see its own writes yet (nothing in a crawl
reads there); ``queue_failed`` and ``requeue_given_up`` answer at once, so they run at once
even inside a batch. Persistence (RDB, AOF) is the Redis operator's: a snapshot holds whole
transactions, so a restored state is behind the archive at worst, and ``reconcile`` makes up
the difference. One prefix is one archive: ``reconcile`` forgets the recorded files that
are not in its archive folder.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsarchive.drift import RunFill
from newsarchive.redaction import redact
from newsarchive.state import KnownArticle, NewerStateError, QueuedArticle, newer_state_message

DEFAULT_PREFIX = "newsarchive:state"
SCHEMA_VERSION = 1
FINGERPRINT_BYTES = 12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET = 1 << 52
"""Times are microseconds since 1970 plus this (0 is "none"): 1827 to 2112, exact in a Lua
number (a double), so the scripts compare them without a 64-bit integer type."""
_HEADER = struct.Struct(">BBIQQ")  # format, flags, version, published, last fetch
_FORMAT = 1
_URL_IS_ID = 2
_RAW_HASH = 4

# Lua: decode a record into its segments (each kept as raw bytes, with its length prefix
# where it has one), so a merged record is the winners' segments joined.
_LUA_RECORD = """
local function num(s, pos, n)
  local v = 0
  for i = pos, pos + n - 1 do v = v * 256 + string.byte(s, i) end
  return v
end
local function seg(s, pos)  -- a u16-length-prefixed string, prefix included
  local n = num(s, pos, 2)
  return string.sub(s, pos, pos + 1 + n), pos + 2 + n
end
local function parse(s)
  local r = {flags = string.byte(s, 2)}
  r.ver_raw = string.sub(s, 3, 6); r.ver = num(s, 3, 4)
  r.pub_raw = string.sub(s, 7, 14); r.pub = num(s, 7, 8)
  r.last_raw = string.sub(s, 15, 22); r.last = num(s, 15, 8)
  local pos = 23
  if bit.band(r.flags, 4) ~= 0 then
    r.hash = string.sub(s, pos, pos + 31); pos = pos + 32
  else
    r.hash, pos = seg(s, pos)
  end
  if bit.band(r.flags, 2) ~= 0 then r.url = '' else r.url, pos = seg(s, pos) end
  r.etag, pos = seg(s, pos)
  r.lm, pos = seg(s, pos)
  return r
end
local function build(r)
  return string.char(1, r.flags) .. r.ver_raw .. r.pub_raw .. r.last_raw
    .. r.hash .. r.url .. r.etag .. r.lm
end
local NONE = string.char(0, 0)
"""

# KEYS: articles, versions, queue, files, sites. ARGV: site, path ('' none), then
# (article ID, fingerprint, record) per row.
_LUA_COMMIT = (
    _LUA_RECORD
    + """
for i = 3, #ARGV, 3 do
  local id, new = ARGV[i], ARGV[i + 2]
  local old = redis.call('HGET', KEYS[1], id)
  if old then
    local o, n = parse(old), parse(new)
    local m = {url = n.url, ver_raw = o.ver_raw, hash = o.hash}
    local hashflag = bit.band(o.flags, 4)
    if n.ver >= o.ver then
      m.ver_raw = n.ver_raw; m.hash = n.hash; hashflag = bit.band(n.flags, 4)
    end
    m.flags = 1 + bit.band(n.flags, 2) + hashflag
    if n.pub ~= 0 then m.pub_raw = n.pub_raw else m.pub_raw = o.pub_raw end
    if n.last > o.last then m.last_raw = n.last_raw else m.last_raw = o.last_raw end
    if n.etag ~= NONE then m.etag = n.etag else m.etag = o.etag end
    if n.lm ~= NONE then m.lm = n.lm else m.lm = o.lm end
    new = build(m)
  end
  redis.call('HSET', KEYS[1], id, new)
  redis.call('SADD', KEYS[2], ARGV[i + 1])
  redis.call('HDEL', KEYS[3], id)
end
if ARGV[2] ~= '' then redis.call('SADD', KEYS[4], ARGV[2]) end
redis.call('SADD', KEYS[5], ARGV[1])
return (#ARGV - 2) / 3
"""
)

# KEYS: articles. ARGV: article ID, last fetch (8 bytes), ETag segment, Last-Modified segment.
_LUA_TOUCH = (
    _LUA_RECORD
    + """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local r = parse(old)
-- big-endian microseconds: byte order is time order; a replay of an old fetch never
-- moves the last fetch back
if ARGV[2] > r.last_raw then r.last_raw = ARGV[2] end
if ARGV[3] ~= NONE then r.etag = ARGV[3] end
if ARGV[4] ~= NONE then r.lm = ARGV[4] end
redis.call('HSET', KEYS[1], ARGV[1], build(r))
return 1
"""
)

# KEYS: the section's sweep hash. ARGV: reaches, then article IDs. A mark only moves down
# ('' is the bottom; a smaller day is further down).
_LUA_SWEEP = """
local new = ARGV[1]
for i = 2, #ARGV do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  local keep = old
  if old == false or new == '' or (old ~= '' and new < old) then keep = new end
  redis.call('HSET', KEYS[1], ARGV[i], keep)
end
return #ARGV - 1
"""

# KEYS: queue. ARGV: article ID, url, section ('' none), reason, run ID, now.
_LUA_QUEUE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local row
if raw then
  row = cjson.decode(raw)
  if row.last_run_id ~= ARGV[5] then row.failed_runs = row.failed_runs + 1 end
else
  row = {failed_runs = 1, first_failed = ARGV[6]}
end
row.url = ARGV[2]
if ARGV[3] ~= '' then row.section = ARGV[3] end
row.reason = ARGV[4]
row.last_run_id = ARGV[5]
row.last_failed = ARGV[6]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
return row.failed_runs
"""

# KEYS: queue. ARGV: article ID, now.
_LUA_GIVE_UP = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local row = cjson.decode(raw)
row.given_up_at = ARGV[2]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
return 1
"""

# KEYS: queue.
_LUA_REQUEUE = """
local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  local row = cjson.decode(all[i + 1])
  if row.given_up_at then
    row.given_up_at = nil
    row.failed_runs = 0
    redis.call('HSET', KEYS[1], all[i], cjson.encode(row))
    n = n + 1
  end
end
return n
"""

# KEYS: runs, open runs. ARGV: finished_at, reason, only_unfinished ('1' or '0'), run IDs.
_LUA_FINISH = """
for i = 4, #ARGV do
  redis.call('SREM', KEYS[2], ARGV[i])
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  if raw then
    local run = cjson.decode(raw)
    if ARGV[3] == '0' or not run.finished_at then
      run.finished_at = ARGV[1]
      run.finish_reason = ARGV[2]
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(run))
    end
  end
end
return 1
"""

# KEYS: fill hash, sequence. ARGV: run ID, JSON.
_LUA_FILL = """
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], seq .. ' ' .. ARGV[2])
return seq
"""


def _micros(value: datetime | None) -> int:
    if value is None:
        return 0
    delta = value.astimezone(UTC) - _EPOCH
    return _OFFSET + (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _time(value: int) -> datetime | None:
    return None if value == 0 else _EPOCH + timedelta(microseconds=value - _OFFSET)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _segment(value: str | None) -> bytes:
    data = (value or "").encode("utf-8")
    if len(data) > 0xFFFF:
        raise ValueError(f"too long for the state: {value[:80]!r}...")
    return struct.pack(">H", len(data)) + data


def _is_hex64(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def pack_article(
    article_id: str,
    url: str,
    content_hash: str,
    version: int,
    published_at: datetime | None,
    last_fetched: datetime,
    etag: str | None,
    last_modified: str | None,
) -> bytes:
    """An article's record, as ``P:{site}:a`` keeps it (and the Lua scripts merge it)."""
    flags = _FORMAT
    if _is_hex64(content_hash):
        flags |= _RAW_HASH
        hash_part = bytes.fromhex(content_hash)
    else:
        hash_part = _segment(content_hash)
    url_part = b""
    if url == article_id:
        flags |= _URL_IS_ID
    else:
        url_part = _segment(url)
    header = _HEADER.pack(
        _FORMAT,
        flags,
        version,
        _micros(published_at),
        _micros(last_fetched),
    )
    return header + hash_part + url_part + _segment(etag) + _segment(last_modified)


def unpack_article(site: str, article_id: str, data: bytes) -> KnownArticle:
    _, flags, version, published, last = _HEADER.unpack_from(data)
    pos = _HEADER.size

    def segment() -> str:
        nonlocal pos
        (size,) = struct.unpack_from(">H", data, pos)
        text = data[pos + 2 : pos + 2 + size].decode("utf-8")
        pos += 2 + size
        return text

    if flags & _RAW_HASH:
        content_hash = data[pos : pos + 32].hex()
        pos += 32
    else:
        content_hash = segment()
    url = article_id if flags & _URL_IS_ID else segment()
    etag, last_modified = segment(), segment()
    return KnownArticle(
        site,
        article_id,
        url,
        content_hash,
        version,
        _time(published),
        _time(last) or datetime.now(UTC),
        etag or None,
        last_modified or None,
    )


def fingerprint(url: str, content_hash: str) -> bytes:
    """The short fingerprint of one version (``P:{site}:v``)."""
    return hashlib.blake2b(
        f"{url}\n{content_hash}".encode(), digest_size=FINGERPRINT_BYTES
    ).digest()


def split_url(url: str) -> tuple[str, str]:
    """(the URL for redis-py, the key prefix): ``prefix`` is ours, not a connection option."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), "") or DEFAULT_PREFIX
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix.rstrip(":")


def stored_schema_version(url: str) -> tuple[int | None, str]:
    """The schema version the state at ``url`` records (None: none yet, or Redis cannot be
    asked), read without writing; and how to name the state in a message."""
    import redis

    connect_url, prefix = split_url(url)
    client = redis.Redis.from_url(connect_url, socket_connect_timeout=10, socket_timeout=10)
    try:
        found = client.hget(f"{prefix}:meta", "schema")
    except redis.RedisError:
        return None, redact(url)
    finally:
        client.close()
    return (int(found) if found is not None else None), f"{redact(url)} (prefix {prefix})"


class RedisArchiveState:
    """The state in Redis; several writers at once (see the module docstring)."""

    def __init__(self, url: str, *, client: Any = None) -> None:
        import redis

        connect_url, self.prefix = split_url(url)
        self.url = url
        self.path = redact(url)
        """Where the state is, for messages (the password hidden)."""
        self.migrated_from: int | None = None
        self.redis = client or redis.Redis.from_url(
            connect_url, socket_connect_timeout=10, socket_timeout=60
        )
        self._stack: list[list[Any]] = []
        scripts = {
            "commit": _LUA_COMMIT,
            "touch": _LUA_TOUCH,
            "sweep": _LUA_SWEEP,
            "queue": _LUA_QUEUE,
            "give_up": _LUA_GIVE_UP,
            "requeue": _LUA_REQUEUE,
            "finish": _LUA_FINISH,
            "fill": _LUA_FILL,
        }
        self._scripts = {name: self.redis.register_script(lua) for name, lua in scripts.items()}
        self._check_schema()

    def _check_schema(self) -> None:
        key = self._key("meta")
        self.redis.hsetnx(key, "schema", SCHEMA_VERSION)
        found = int(self.redis.hget(key, "schema") or SCHEMA_VERSION)
        if found > SCHEMA_VERSION:
            where = f"{self.path} (prefix {self.prefix})"
            raise NewerStateError(newer_state_message(where, found, SCHEMA_VERSION))

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def close(self) -> None:
        self.redis.close()

    # --- writing: buffered in a batch, else one transaction each -------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One ``MULTI``/``EXEC`` for everything written inside it; inside another batch,
        part of that one (an exception drops only its own writes)."""
        self._stack.append([])
        try:
            yield
        except BaseException:
            self._stack.pop()
            raise
        ops = self._stack.pop()
        if self._stack:
            self._stack[-1].extend(ops)
        else:
            self._execute(ops)

    _transaction = batch

    def _execute(self, ops: list[Any]) -> None:
        if not ops:
            return
        pipe = self.redis.pipeline(transaction=True)
        for op in ops:
            op(pipe)
        pipe.execute()

    def _write(self, op: Any) -> None:
        if self._stack:
            self._stack[-1].append(op)
        else:
            self._execute([op])

    def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return lambda pipe: self._scripts[name](keys=keys, args=args, client=pipe)

    def record_committed(
        self,
        site: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        path: str | Path | None = None,
        fetched: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> int:
        """Record rows that now sit in a committed file (one transaction, or the batch's)."""
        fetched = fetched or {}
        now = datetime.now(UTC)
        args: list[Any] = [site, "" if path is None else str(path)]
        for row in rows:
            article_id = str(row.get("article_id") or row["url"])
            meta = fetched.get(article_id, {})
            when = meta.get("fetched_at") or row.get("crawled_at") or now
            url, content_hash = str(row["url"]), str(row["content_hash"])
            record = pack_article(
                article_id,
                url,
                content_hash,
                int(row["version"] or 1),
                row.get("published_at"),
                when,
                meta.get("etag"),
                meta.get("last_modified"),
            )
            args += [article_id, fingerprint(url, content_hash), record]
        keys = [
            self._key(site, "a"),
            self._key(site, "v"),
            self._key(site, "q"),
            self._key("files"),
            self._key("sites"),
        ]
        count = (len(args) - 2) // 3
        for start in range(2, len(args), 3 * 2000):  # a huge read-back: several scripts
            chunk = [*args[:2], *args[start : start + 3 * 2000]]
            self._write(self._script("commit", keys, chunk))
        if count == 0 and path is not None:
            self._write(self._script("commit", keys, args))
        return count

    def touch(
        self,
        site: str,
        article_id: str,
        *,
        fetched_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """An already archived article was fetched again and found unchanged."""
        args = [
            article_id,
            struct.pack(">Q", _micros(fetched_at)),
            _segment(etag),
            _segment(last_modified),
        ]
        self._write(self._script("touch", [self._key(site, "a")], args))

    def forget_files(self, paths: Iterable[str]) -> None:
        paths = [str(p) for p in paths]
        if paths:
            self._write(lambda pipe: pipe.srem(self._key("files"), *paths))

    # --- reading ----------------------------------------------------------------------------

    def get(self, site: str, article_id: str) -> KnownArticle | None:
        data = self.redis.hget(self._key(site, "a"), article_id)
        return None if data is None else unpack_article(site, article_id, data)

    def has_version(self, site: str, url: str, content_hash: str) -> bool:
        return bool(self.redis.sismember(self._key(site, "v"), fingerprint(url, content_hash)))

    def latest_version(self, site: str, article_id: str) -> int:
        data = self.redis.hget(self._key(site, "a"), article_id)
        return 0 if data is None else int(_HEADER.unpack_from(data)[2])

    def count(self) -> int:
        sites = sorted(self.redis.smembers(self._key("sites")))
        pipe = self.redis.pipeline(transaction=False)
        for site in sites:
            pipe.hlen(self._key(site.decode(), "a"))
        return sum(pipe.execute()) if sites else 0

    def known_files(self) -> set[str]:
        return {p.decode() for p in self.redis.smembers(self._key("files"))}

    def known_ids(self, site: str, article_ids: Iterable[str]) -> set[str]:
        """Those of ``article_ids`` that are archived or queued for retry."""
        ids = list(dict.fromkeys(str(a) for a in article_ids))
        found: set[str] = set()
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            pipe = self.redis.pipeline(transaction=False)
            for article_id in chunk:
                pipe.hexists(self._key(site, "a"), article_id)
            for article_id in chunk:
                pipe.hexists(self._key(site, "q"), article_id)
            answers = pipe.execute()
            for i, article_id in enumerate(chunk):
                if answers[i] or answers[len(chunk) + i]:
                    found.add(article_id)
        return found

    # --- sweeps -----------------------------------------------------------------------------

    def sweep_reach(self, site: str, section: str, article_id: str) -> str | None:
        value = self.redis.hget(self._key(site, "s", section), article_id)
        return None if value is None else value.decode()

    def record_sweep(
        self, site: str, section: str, article_ids: Iterable[str], reaches: str
    ) -> int:
        ids = [str(a) for a in dict.fromkeys(article_ids)]
        key = self._key(site, "s", section)
        for start in range(0, len(ids), 5000):
            self._write(self._script("sweep", [key], [reaches, *ids[start : start + 5000]]))
        return len(ids)

    # --- field fill rates ------------------------------------------------------------------

    def record_fill(
        self, run_id: str, site: str, fill: RunFill, *, alarmed: bool, accepted: bool
    ) -> None:
        value = json.dumps(
            {
                "recorded_at": _iso(datetime.now(UTC)),
                "items": fill.items,
                "filled": fill.filled,
                "words": fill.words,
                "alarmed": int(alarmed),
                "accepted": int(accepted),
            },
            sort_keys=True,
        )
        keys = [self._key(site, "fill"), self._key("fillseq")]
        self._write(self._script("fill", keys, [run_id, value]))

    def fill_history(self, site: str, runs: int) -> list[RunFill]:
        """As ``ArchiveState.fill_history``: newest first, back to the last accepted run."""
        rows = []
        for raw in self.redis.hvals(self._key(site, "fill")):
            seq, text = raw.decode().split(" ", 1)
            rows.append((int(seq), json.loads(text)))
        rows.sort(key=lambda r: (r[1]["recorded_at"], r[0]), reverse=True)
        history = []
        for _, row in rows:
            if row["alarmed"] or row["items"] <= 0:
                continue
            history.append(RunFill(row["items"], row["filled"], row["words"]))
            if row["accepted"] or len(history) >= runs:
                break
        return history

    # --- runs -------------------------------------------------------------------------------

    def start_run(self, run_id: str, site: str | None) -> None:
        value = json.dumps({"site": site, "started_at": _iso(datetime.now(UTC))})

        def start(pipe: Any) -> None:
            pipe.hset(self._key("runs"), run_id, value)
            pipe.sadd(self._key("runs", "open"), run_id)

        self._write(start)

    def finish_run(self, run_id: str, reason: str) -> None:
        args = [_iso(datetime.now(UTC)), reason, "0", run_id]
        keys = [self._key("runs"), self._key("runs", "open")]
        self._write(self._script("finish", keys, args))

    def unfinished_runs(
        self, exclude: str, *, site: str | None = None, crawl_id: str | None = None
    ) -> list[tuple[str, str]]:
        """As ``ArchiveState.unfinished_runs`` (and marks them so)."""
        found = []
        open_ids = sorted(r.decode() for r in self.redis.smembers(self._key("runs", "open")))
        runs = self.redis.hmget(self._key("runs"), open_ids) if open_ids else []
        for run_id, raw in zip(open_ids, runs, strict=True):
            if raw is None:
                continue
            run = json.loads(raw)
            if run.get("finished_at") or run_id == exclude:
                continue
            if site is not None and run.get("site") != site:
                continue
            if crawl_id and (run_id == crawl_id or run_id.startswith(f"{crawl_id}-")):
                continue
            found.append((run_id, str(run["started_at"])))
        found.sort(key=lambda r: (r[1], r[0]))
        if found:
            args = [_iso(datetime.now(UTC)), "unfinished", "1", *(r for r, _ in found)]
            keys = [self._key("runs"), self._key("runs", "open")]
            self._write(self._script("finish", keys, args))
        return found

    # --- the retry queue --------------------------------------------------------------------

    def queue_failed(
        self,
        site: str,
        article_id: str,
        url: str,
        *,
        section: str | None,
        reason: str,
        run_id: str,
    ) -> int:
        """Queue an article this run could not archive; in how many runs it failed so far.
        It answers, so it runs at once (atomically), even inside a batch."""
        now = _iso(datetime.now(UTC))
        args = [article_id, url, section or "", reason, run_id, now]
        return int(self._scripts["queue"](keys=[self._key(site, "q")], args=args))

    def give_up(self, site: str, article_id: str) -> None:
        args = [article_id, _iso(datetime.now(UTC))]
        self._write(self._script("give_up", [self._key(site, "q")], args))

    def _queue_rows(self, site: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (k.decode(), json.loads(v)) for k, v in self.redis.hgetall(self._key(site, "q")).items()
        ]

    def queued(self, site: str) -> list[QueuedArticle]:
        rows = [(a, r) for a, r in self._queue_rows(site) if not r.get("given_up_at")]
        rows.sort(key=lambda item: (item[1]["first_failed"], item[0]))
        return [
            QueuedArticle(a, r["url"], r.get("section"), r["reason"], int(r["failed_runs"]))
            for a, r in rows
        ]

    def queue_status(self, site: str, article_id: str) -> str | None:
        raw = self.redis.hget(self._key(site, "q"), article_id)
        if raw is None:
            return None
        return "given_up" if json.loads(raw).get("given_up_at") else "queued"

    def queue_counts(self, site: str) -> tuple[int, int]:
        rows = self._queue_rows(site)
        given_up = sum(1 for _, r in rows if r.get("given_up_at"))
        return len(rows) - given_up, given_up

    def requeue_given_up(self, site: str) -> int:
        """Give every given-up article of ``site`` a new budget (answers, so runs at once)."""
        return int(self._scripts["requeue"](keys=[self._key(site, "q")], args=[]))
