"""How big the cross-run state gets, and how fast it answers, at 1 million articles; and what
that means at 100 million (issue 12 §2: 1,000 outlets, 100 million known articles).

Fills each backend through its public API, as crawls would (``record_committed`` in batches of
one flush, a second version for ~10% of the articles, then one complete-sweep mark per
article), with synthetic articles of realistic size: 1,000 sites, ~90-character URLs, 64-hex
content hashes, an ETag or a Last-Modified on half of them. Then measures:

* disk: the SQLite file (after a WAL checkpoint); Redis's RDB file after ``SAVE``;
* memory: Redis's ``used_memory`` and the server's RSS; the client process's peak RSS;
* bulk insert: articles recorded per second;
* lookups: ``get``, ``has_version`` (half known, half not), ``known_ids`` of 100 IDs;
* for comparison, a naive Redis layout with a key per article URL (a hash of its fields) and
  the versions as full ``url|hash`` strings: what the compact records and 12-byte
  fingerprints save.

Each backend runs in a child process of its own (so its peak RSS is its own); sizes are
extrapolated linearly to 100 million (``--target``). Lookup times are medians of single calls
on a warm cache; at 100 million the SQLite file no longer fits the page cache of a 24 GiB
machine, and a cold lookup costs a disk read or a few.

    python benchmarks/state_size.py                 # 1,000,000 articles, ~10 min on 2 cores
    python benchmarks/state_size.py --articles 100000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import REPO, machine_note, save_result, table

SITES = 1000
FLUSH = 2000
SEED = 20261130
SAMPLES = 20000
WORDS = [
    "economy",
    "election",
    "minister",
    "court",
    "energy",
    "market",
    "protest",
    "border",
    "trade",
    "health",
]


# --- synthetic articles ------------------------------------------------------------------------


def site_name(n: int) -> str:
    return f"outlet{n:04d}"


def article(site: int, n: int, version: int = 1) -> dict[str, Any]:
    """Article ``n`` of ``site``: deterministic, ~90-character URL, 64-hex hash."""
    rng = random.Random(site * 10_000_000 + n)
    article_id = str(100000 + n * 7)
    day = datetime(2015, 1, 1, 6, tzinfo=UTC) + timedelta(minutes=rng.randrange(11 * 365 * 1440))
    slug = "-".join(rng.choice(WORDS) for _ in range(4))
    url = f"https://www.{site_name(site)}.example.com/{day:%Y/%m/%d}/{slug}-{article_id}"
    url = url + "-" + "x" * max(0, 89 - len(url))
    content = hashlib.sha256(f"{site}/{n}/v{version}".encode()).hexdigest()
    return {
        "article_id": article_id,
        "url": url,
        "canonical_url": url,
        "content_hash": content,
        "version": version,
        "published_at": day,
        "crawled_at": day + timedelta(hours=1 + version * 24),
    }


def fetched_meta(row: dict[str, Any], n: int) -> dict[str, Any]:
    if n % 4 == 0:
        return {"etag": f'W/"{row["content_hash"][:16]}"'}
    if n % 4 == 1:
        return {"last_modified": f"{row['crawled_at']:%a, %d %b %Y %H:%M:%S} GMT"}
    return {}


def per_site(articles: int) -> list[int]:
    """How many articles each site has: ``articles`` spread over ``SITES``."""
    base, extra = divmod(articles, SITES)
    return [base + (1 if s < extra else 0) for s in range(SITES)]


# --- one backend, in its own process -------------------------------------------------------------


def rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def fill(state: Any, articles: int) -> dict[str, float]:
    """Record every article (and ~10% second versions, and sweep marks); timings."""
    counts = per_site(articles)
    started = time.perf_counter()
    done = 0
    for site, count in enumerate(counts):
        name = site_name(site)
        for start in range(0, count, FLUSH):
            rows = [article(site, n) for n in range(start, min(count, start + FLUSH))]
            fetched = {r["article_id"]: fetched_meta(r, i) for i, r in enumerate(rows)}
            with state.batch():
                state.record_committed(
                    name, rows, path=f"/a/{name}/{start}.parquet", fetched=fetched
                )
            done += len(rows)
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    updated = 0
    for site, count in enumerate(counts):
        rows = [article(site, n, version=2) for n in range(0, count, 10)]
        with state.batch():
            state.record_committed(site_name(site), rows, path=f"/a/{site}/v2.parquet")
        updated += len(rows)
    update_s = time.perf_counter() - started
    return {
        "articles": done,
        "versions": done + updated,
        "insert_s": insert_s,
        "update_s": update_s,
    }


def sweep(state: Any, articles: int) -> float:
    started = time.perf_counter()
    for site, count in enumerate(per_site(articles)):
        ids = [str(100000 + n * 7) for n in range(count)]
        state.record_sweep(site_name(site), "news", ids, "")
    return time.perf_counter() - started


def median_us(calls: list[float]) -> float:
    return statistics.median(calls) * 1e6


def p99_us(calls: list[float]) -> float:
    return sorted(calls)[int(len(calls) * 0.99)] * 1e6


def lookups(state: Any, articles: int) -> dict[str, float]:
    rng = random.Random(SEED)
    counts = per_site(articles)
    picks = []
    for _ in range(SAMPLES):
        site = rng.randrange(SITES)
        picks.append((site, rng.randrange(counts[site])))
    timings: dict[str, list[float]] = {"get": [], "has_version": [], "known_ids_100": []}
    for i, (site, n) in enumerate(picks):
        row = article(site, n)
        name = site_name(site)
        t = time.perf_counter()
        got = state.get(name, row["article_id"])
        timings["get"].append(time.perf_counter() - t)
        assert got is not None and got.url == row["url"]
        content = row["content_hash"] if i % 2 else "0" * 64
        t = time.perf_counter()
        known = state.has_version(name, row["url"], content)
        timings["has_version"].append(time.perf_counter() - t)
        assert known == bool(i % 2)
    for _ in range(SAMPLES // 20):
        site = rng.randrange(SITES)
        ids = [
            str(100000 + rng.randrange(counts[site] + counts[site] // 10) * 7) for _ in range(100)
        ]
        t = time.perf_counter()
        state.known_ids(site_name(site), ids)
        timings["known_ids_100"].append(time.perf_counter() - t)
    result = {}
    for name, calls in timings.items():
        result[f"{name}_us"] = median_us(calls)
        result[f"{name}_p99_us"] = p99_us(calls)
    return result


def run_sqlite(articles: int, workdir: Path) -> dict[str, Any]:
    from newsarchive.state import ArchiveState

    path = workdir / "state.sqlite"
    state = ArchiveState(path)
    result: dict[str, Any] = fill(state, articles)

    def size() -> int:
        state.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(p.stat().st_size for p in workdir.glob("state.sqlite*"))

    result["disk_articles"] = size()
    result["sweep_s"] = sweep(state, articles)
    result["disk"] = size()
    result.update(lookups(state, articles))
    result["client_rss_kib"] = rss_kib()
    state.close()
    return result


def run_redis(articles: int, url: str) -> dict[str, Any]:
    import redis

    from newsarchive.state import open_state

    state = open_state(url)
    client = redis.Redis.from_url(url.split("?")[0])
    base = client.info("memory")["used_memory"]
    result: dict[str, Any] = fill(state, articles)
    result["memory_articles"] = client.info("memory")["used_memory"] - base
    result["sweep_s"] = sweep(state, articles)
    result["memory"] = client.info("memory")["used_memory"] - base
    result.update(lookups(state, articles))
    result["client_rss_kib"] = rss_kib()
    state.close()
    return result


def run_naive(articles: int, url: str) -> dict[str, Any]:
    """A key per article URL (a hash of its fields) and versions as ``url|hash`` strings."""
    import redis

    client = redis.Redis.from_url(url)
    base = client.info("memory")["used_memory"]
    started = time.perf_counter()
    for site, count in enumerate(per_site(articles)):
        name = site_name(site)
        pipe = client.pipeline(transaction=False)
        for n in range(count):
            row = article(site, n)
            meta = fetched_meta(row, n)
            fields = {
                "article_id": row["article_id"],
                "content_hash": row["content_hash"],
                "version": row["version"],
                "published_at": row["published_at"].isoformat(),
                "first_fetched": row["crawled_at"].isoformat(),
                "last_fetched": row["crawled_at"].isoformat(),
                **{k: v for k, v in meta.items() if v},
            }
            pipe.hset(f"naive:{name}:article:{row['url']}", mapping=fields)
            pipe.sadd(f"naive:{name}:versions", f"{row['url']}|{row['content_hash']}")
            if n % 10 == 0:
                again = article(site, n, version=2)
                pipe.sadd(f"naive:{name}:versions", f"{again['url']}|{again['content_hash']}")
        pipe.execute()
    insert_s = time.perf_counter() - started
    return {"memory": client.info("memory")["used_memory"] - base, "insert_s": insert_s}


# --- the driver ---------------------------------------------------------------------------------


SERVER = ["--save", "", "--appendonly", "no", "--dbfilename", "dump.rdb"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), *SERVER],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def server_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(kind: str, articles: int, where: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--articles", str(articles), where]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--target", type=int, default=100_000_000)
    parser.add_argument("--no-naive", action="store_true", help="skip the key-per-URL layout")
    parser.add_argument("--child", choices=["sqlite", "redis", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("where", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        runner = {"sqlite": run_sqlite, "redis": run_redis, "naive": run_naive}[args.child]
        where: Any = Path(args.where) if args.child == "sqlite" else args.where
        print(json.dumps(runner(args.articles, where)))
        return

    print(machine_note(), flush=True)
    scale = args.target / args.articles
    with tempfile.TemporaryDirectory(prefix="state-size-") as tmp:
        workdir = Path(tmp)
        (workdir / "sqlite").mkdir()
        print(f"SQLite: {args.articles:,} articles ...", flush=True)
        sqlite = child("sqlite", args.articles, str(workdir / "sqlite"))
        process, url = start_redis(workdir)
        try:
            import redis

            client = redis.Redis.from_url(url)
            print(f"Redis: {args.articles:,} articles ...", flush=True)
            red = child("redis", args.articles, f"{url}?prefix=bench")
            red["server_rss_kib"] = server_rss_kib(process.pid)
            client.save()
            red["rdb"] = (workdir / "dump.rdb").stat().st_size
            naive: dict[str, Any] = {}
            if not args.no_naive:
                client.flushall()
                print(f"Redis, a key per URL: {args.articles:,} articles ...", flush=True)
                naive = child("naive", args.articles, url)
                client.save()
                naive["rdb"] = (workdir / "dump.rdb").stat().st_size
        finally:
            process.terminate()
            process.wait(timeout=30)

    n = args.articles

    def size_row(name: str, size: float, per_article: bool = True) -> list[str]:
        """Measured, extrapolated to the target and per article (blank when not per article)."""
        return [name, mib(size), gib(size * scale), f"{size / n:.0f} B" if per_article else ""]

    rows = [
        size_row("SQLite file (articles, versions, files)", sqlite["disk_articles"]),
        size_row("SQLite file, + a sweep mark per article", sqlite["disk"]),
        size_row("Redis used_memory (articles, versions, files)", red["memory_articles"]),
        size_row("Redis used_memory, + a sweep mark per article", red["memory"]),
        size_row("Redis server RSS", red["server_rss_kib"] * 1024, per_article=False),
        size_row("Redis RDB file (SAVE)", red["rdb"]),
    ]
    if naive:
        rows += [
            size_row("naive Redis, a key per URL: used_memory (no sweeps)", naive["memory"]),
            size_row("naive Redis, a key per URL: RDB file", naive["rdb"]),
        ]
    print()
    print(
        table(["size", f"{n:,} (measured)", f"{args.target:,} (x{scale:g})", "per article"], rows)
    )
    print()
    speed = [
        [
            "bulk insert, articles/s",
            f"{sqlite['articles'] / sqlite['insert_s']:,.0f}",
            f"{red['articles'] / red['insert_s']:,.0f}",
        ],
        [
            "bulk insert of the target, extrapolated",
            f"{sqlite['insert_s'] * scale / 3600:,.1f} h",
            f"{red['insert_s'] * scale / 3600:,.1f} h",
        ],
        [
            "get, median (p99) µs",
            f"{sqlite['get_us']:.0f} ({sqlite['get_p99_us']:.0f})",
            f"{red['get_us']:.0f} ({red['get_p99_us']:.0f})",
        ],
        [
            "has_version, median (p99) µs",
            f"{sqlite['has_version_us']:.0f} ({sqlite['has_version_p99_us']:.0f})",
            f"{red['has_version_us']:.0f} ({red['has_version_p99_us']:.0f})",
        ],
        [
            "known_ids of 100, median (p99) µs",
            f"{sqlite['known_ids_100_us']:.0f} ({sqlite['known_ids_100_p99_us']:.0f})",
            f"{red['known_ids_100_us']:.0f} ({red['known_ids_100_p99_us']:.0f})",
        ],
        [
            "client peak RSS",
            mib(sqlite["client_rss_kib"] * 1024),
            mib(red["client_rss_kib"] * 1024),
        ],
    ]
    print(table(["speed", "SQLite", "Redis"], speed))
    if naive:
        saved = 1 - red["memory_articles"] / naive["memory"]
        print(f"\nThe compact layout uses {saved:.0%} less Redis memory than a key per URL.")
    path = save_result(
        "state_size",
        {
            "machine": machine_note(),
            "articles": n,
            "target": args.target,
            "sqlite": sqlite,
            "redis": red,
            "naive": naive,
        },
    )
    print(f"\n(raw figures: {path.relative_to(REPO)})")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
