"""One worker, then two workers sharing Redis: pages/s, CPU per article, Redis round trips.

    python benchmarks/shared_frontier.py [--articles 5000] [--latency-ms 50] [--concurrency 4]

Method (fixed before any figure was read):

* one mirror of ``--articles`` Moscow Times articles answering after ``--latency-ms``;
* a real redis-server on 127.0.0.1 (``tests/services.py``);
* each worker is a plain ``scrapy crawl moscowtimes -s REDIS_URL=...`` with
  ``CONCURRENT_REQUESTS=--concurrency`` (so that one worker uses well under half a core of
  this 2-core machine: its CPU share is printed) and no delays;
* round 1: one worker crawls the mirror into a fresh archive; round 2: two workers started
  together crawl it into another fresh archive (same mirror, same settings);
* pages/s = responses received by all workers / wall time from the first start to the last
  exit (the workers' wait to finish included); CPU per archived article = the workers'
  user+system CPU (``RUSAGE_CHILDREN``) / rows written; Redis round trips per page = the
  server's ``total_commands_processed`` during the round / responses received;
* both archives are checked: every servable article exactly once.

Target (issue 12): two workers reach at least 1.7 times the pages/s of one.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
from _common import REPO, machine_note, save_result, table

from newsarchive.mirror.registry import build_site
from newsarchive.mirror.server import MirrorServer
from tests.services import redis_server


def worker(base_url: str, output: Path, redis_url: str, concurrency: int) -> subprocess.Popen:
    settings = {
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS": str(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "LOG_LEVEL": "INFO",
        "NEWSARCHIVE_OUTPUT": str(output),
        "REDIS_URL": redis_url,
        "NEWSARCHIVE_CONTACT": "mailto:bench@example.org",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "moscowtimes", "-a", f"base_url={base_url}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )


def commands_processed(client: Any) -> int:
    return int(client.info("stats")["total_commands_processed"])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_round(
    server: MirrorServer, client: Any, redis_url: str, workers: int, concurrency: int
) -> dict[str, Any]:
    output = Path(tempfile.mkdtemp(prefix=f"frontier-{workers}-")) / "output"
    client.flushdb()
    cpu_before, commands_before = children_cpu(), commands_processed(client)
    started = time.perf_counter()
    processes = [worker(server.base_url, output, redis_url, concurrency) for _ in range(workers)]
    codes = [p.wait(timeout=3600) for p in processes]
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu_before
    commands = commands_processed(client) - commands_before
    manifests = [json.loads(p.read_text()) for p in (output / "_manifests").glob("*.json")]
    responses = sum(sum(m["responses_by_status"].values()) for m in manifests)
    rows = sum(m["rows_written"] for m in manifests)
    ids = (
        ds.dataset(output, format="parquet", partitioning="hive")
        .to_table(columns=["article_id"])["article_id"]
        .to_pylist()
    )
    servable = {str(a.id) for a in server.site.articles.values()}
    return {
        "workers": workers,
        "exit_codes": codes,
        "wall_s": round(wall, 1),
        "responses": responses,
        "pages_per_s": round(responses / wall, 1),
        "rows": rows,
        "cpu_s": round(cpu, 1),
        "cpu_share_per_worker": round(cpu / wall / workers, 2),
        "cpu_ms_per_article": round(1000 * cpu / max(rows, 1), 2),
        "redis_commands_per_page": round(commands / max(responses, 1), 2),
        "complete": set(ids) == servable,
        "duplicates": len(ids) - len(set(ids)),
        "rows_by_worker": sorted(m["rows_written"] for m in manifests),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    import redis

    print(machine_note())
    print(
        f"mirror: {args.articles} articles, {args.latency_ms:.0f} ms per answer; "
        f"CONCURRENT_REQUESTS={args.concurrency} per worker"
    )
    site = build_site(articles=args.articles, seed=12)
    with redis_server() as url, MirrorServer(site, latency=args.latency_ms / 1000) as server:
        client = redis.Redis.from_url(url)
        results = [one_round(server, client, url, n, args.concurrency) for n in (1, 2)]
    headers = list(results[0])
    print(table(headers, [[r[h] for h in headers] for r in results]))
    speedup = results[1]["pages_per_s"] / results[0]["pages_per_s"]
    print(f"two workers / one worker, pages/s: {speedup:.2f} (target >= 1.7)")
    print(f"saved: {save_result('shared_frontier', {'args': vars(args), 'rounds': results})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
