"""Peak memory of a large first crawl, and the time of its end-of-run flush (issue 11 §4).

    python benchmarks/large_run_memory.py [--articles-small 2000] [--articles-large 20000]
                                          [--layouts moscowtimes,wordpress] [--seed 11]
                                          [--rounds 1] [--keep] [-s NAME=VALUE ...]

For each layout (a mirror and the spider that profiles it: ``--site moscowtimes`` crawled by
``scrapy crawl moscowtimes``, ``--site wordpress`` by ``scrapy crawl lindenauer``) and each
size, it starts ``python -m newsarchive.mirror --site <site> --articles N --seed S --now
2026-11-20T09:00:00+00:00`` and runs ONE first crawl into a fresh temporary archive, as a
fresh process, with the fast settings of ``newsarchive.demo`` (AutoThrottle off, no download
delay, 16 concurrent requests) and without pandas, as ``requirements.txt`` installs the
project (pyarrow would import pandas where it is installed: ~40 MiB more).

Measured for each crawl:

* **peak RSS**: the crawl process's own ``VmHWM`` (the kernel's high-water mark of its
  resident memory), read by the crawl process itself at exit (an ``atexit`` hook in the
  ``python -c`` code that starts Scrapy), and polled by this script every 0.1 s as a check
  (both are the process's own, unlike ``ru_maxrss`` of a child, which on Linux can carry the
  memory of the parent it was forked from);
* **RSS at close**: the crawl process's ``VmRSS`` polled last before the log says
  ``Closing spider``, i.e. what the crawl itself holds before the end-of-run work;
* **close s**: from ``Closing spider`` to the writer's ``Archive run ...`` line (the final
  flush, the state's recording of it and the sweeps), from log times with milliseconds;
  and its share of the crawl's ``elapsed_time_seconds``;
* ``memusage/max`` from Scrapy's stats (sampled every 60 s by Scrapy, so it can miss the end);
* rows archived against the mirror's articles (a first crawl archives every one of them).

Then the ratio peak RSS (large) / peak RSS (small) per layout, against the target <= 1.2.
The mirror runs on the same 2 cores; memory does not depend on that, times do: read them
as rough.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import (
    FULL_SPEED,
    REPO,
    MirrorProcess,
    machine_note,
    save_result,
    scrapy_stats,
    table,
)

from tests.without_pandas import WITHOUT_PANDAS

FAST = {
    **FULL_SPEED,
    "LOG_LEVEL": "INFO",
    "NEWSARCHIVE_CONTACT": "mailto:benchmark@example.org",
    # log times to the millisecond, for the time of the end-of-run flush
    "LOG_FORMAT": "%(asctime)s.%(msecs)03d [%(name)s] %(levelname)s: %(message)s",
}
LAYOUTS = {"moscowtimes": "moscowtimes", "wordpress": "lindenauer"}  # mirror site -> spider
MIRROR_NOW = "2026-11-20T09:00:00+00:00"
# Scrapy started as `scrapy` would be, without pandas, writing its own VmHWM at exit.
CRAWL_CODE = (
    WITHOUT_PANDAS
    + """
import atexit, os
def _report_hwm():
    with open("/proc/self/status") as status, open(os.environ["BENCH_HWM_FILE"], "w") as out:
        out.write("".join(l for l in status if l.startswith(("VmHWM", "VmRSS"))))
atexit.register(_report_hwm)
from scrapy.cmdline import execute
execute(['scrapy', *sys.argv[1:]])
"""
)
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ", re.M)


def log_time(log: str, pattern: str) -> float | None:
    """Epoch seconds of the last log line that contains ``pattern``."""
    found = None
    for line in log.splitlines():
        if pattern in line:
            match = LOG_TIME.match(line)
            if match:
                found = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    return found


def start_mirror(site: str, articles: int, seed: int) -> MirrorProcess:
    return MirrorProcess(
        *("--site", site, "--articles", str(articles), "--seed", str(seed), "--now", MIRROR_NOW)
    )


def watch(pid: int, samples: list[tuple[float, int, int]], done: threading.Event) -> None:
    """Poll (time, VmRSS kB, VmHWM kB) of ``pid`` every 0.1 s until ``done``."""
    path = Path(f"/proc/{pid}/status")
    while not done.wait(0.1):
        try:
            fields = dict(
                line.split(":", 1) for line in path.read_text().splitlines() if ":" in line
            )
            rss = int(fields["VmRSS"].split()[0])
            hwm = int(fields["VmHWM"].split()[0])
        except (OSError, KeyError, ValueError):
            return
        samples.append((time.time(), rss, hwm))


def run_crawl(
    site: str, articles: int, seed: int, workdir: Path, tag: str, extra: dict[str, str]
) -> dict[str, Any]:
    spider = LAYOUTS[site]
    output = workdir / f"archive-{tag}"
    log_path = workdir / f"crawl-{tag}.log"
    hwm_path = workdir / f"hwm-{tag}.txt"
    mirror = start_mirror(site, articles, seed)
    try:
        command = [sys.executable, "-c", CRAWL_CODE, "crawl", spider]
        command += ["-a", f"base_url={mirror.base_url}"]
        for name, value in {**FAST, "NEWSARCHIVE_OUTPUT": str(output), **extra}.items():
            command += ["-s", f"{name}={value}"]
        samples: list[tuple[float, int, int]] = []
        done = threading.Event()
        started = time.perf_counter()
        with log_path.open("w", encoding="utf-8") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**__import__("os").environ, "BENCH_HWM_FILE": str(hwm_path)},
            )
            watcher = threading.Thread(target=watch, args=(process.pid, samples, done))
            watcher.start()
            code = process.wait()
            done.set()
            watcher.join()
        wall = time.perf_counter() - started
    finally:
        mirror.stop()
    log = log_path.read_text(encoding="utf-8", errors="replace")
    stats = scrapy_stats(log)
    own = (
        dict(line.split(":", 1) for line in hwm_path.read_text().splitlines() if ":" in line)
        if hwm_path.exists()
        else {}
    )
    closing = log_time(log, "Closing spider (")
    archived = log_time(log, "Archive run ")
    before_close = [rss for t, rss, _ in samples if closing is None or t <= closing]
    elapsed = stats.get("elapsed_time_seconds") or float("nan")
    close_s = archived - closing if closing and archived else float("nan")
    rows, unique = count_rows(output)
    manifests = sorted((output / "_manifests").glob("*.json"))
    manifest = json.loads(manifests[-1].read_text("utf-8")) if manifests else {}
    return {
        "site": site,
        "spider": spider,
        "articles": articles,
        "seed": seed,
        "exit_code": code,
        "wall_s": wall,
        "elapsed_s": elapsed,
        "peak_rss_mib": int(own["VmHWM"].split()[0]) / 1024 if "VmHWM" in own else float("nan"),
        "polled_peak_mib": max((h for _, _, h in samples), default=0) / 1024,
        "rss_at_close_mib": (before_close[-1] if before_close else 0) / 1024,
        "close_s": close_s,
        "close_share": close_s / elapsed if elapsed == elapsed and elapsed else float("nan"),
        "memusage_max_mib": (stats.get("memusage/max") or 0) / 2**20,
        "files": stats.get("newsarchive/parquet/files_written", 0),
        "partitions": stats.get("newsarchive/parquet/partitions", 0),
        "rows": rows,
        "unique_ids": unique,
        "status": manifest.get("status"),
        "rss_samples": [(round(t, 2), r) for t, r, _ in samples[::10]],
        "log": str(log_path),
    }


def count_rows(output: Path) -> tuple[int, int]:
    import pyarrow.dataset as ds

    if not any(output.glob("site=*/date=*/*.parquet")):
        return 0, 0
    dataset = ds.dataset(str(output), format="parquet", partitioning="hive")
    ids = dataset.to_table(columns=["article_id"]).column(0).to_pylist()
    return len(ids), len(set(ids))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles-small", type=int, default=2000)
    parser.add_argument("--articles-large", type=int, default=20000)
    parser.add_argument(
        "--layouts",
        default="moscowtimes,wordpress",
        help="comma-separated mirror sites (moscowtimes: scrapy crawl moscowtimes; "
        "wordpress: scrapy crawl lindenauer)",
    )
    parser.add_argument("--seed", type=int, default=11, help="the mirrors' seed (11)")
    parser.add_argument("--rounds", type=int, default=1, help="crawls of each size (1)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and archives")
    parser.add_argument(
        "-s",
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for every crawl (after the fast ones), e.g. "
        "-s NEWSARCHIVE_PARQUET_MAX_BUFFERED_ROWS=1000",
    )
    args = parser.parse_args(argv)
    extra = dict(s.split("=", 1) for s in args.setting)
    layouts = [s.strip() for s in args.layouts.split(",") if s.strip()]
    unknown = [s for s in layouts if s not in LAYOUTS]
    if unknown:
        parser.error(f"unknown layout(s) {unknown}: choose from {', '.join(LAYOUTS)}")

    print(machine_note(), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="newsarchive-largerun-"))
    runs: list[dict[str, Any]] = []
    for round_no in range(1, args.rounds + 1):
        for site in layouts:
            for articles in (args.articles_small, args.articles_large):
                tag = f"{site}-{articles}-{round_no}"
                run = run_crawl(site, articles, args.seed, workdir, tag, extra)
                runs.append(run)
                print(
                    f"{site} {articles}: peak RSS {run['peak_rss_mib']:.0f} MiB (polled "
                    f"{run['polled_peak_mib']:.0f}), at close {run['rss_at_close_mib']:.0f} "
                    f"MiB, close {run['close_s']:.1f} s of {run['elapsed_s']:.0f} s, "
                    f"{run['rows']} rows ({run['unique_ids']} IDs) in {run['files']} files, "
                    f"exit {run['exit_code']}",
                    flush=True,
                )
    print()
    print(
        table(
            [
                "layout",
                "articles",
                "peak RSS MiB",
                "RSS at close MiB",
                "memusage/max MiB",
                "close s",
                "close / crawl",
                "crawl s",
                "rows",
                "files",
                "partitions",
                "exit",
            ],
            [
                [
                    f"{r['site']} ({r['spider']})",
                    r["articles"],
                    f"{r['peak_rss_mib']:.0f}",
                    f"{r['rss_at_close_mib']:.0f}",
                    f"{r['memusage_max_mib']:.0f}",
                    f"{r['close_s']:.1f}",
                    f"{r['close_share']:.2f}",
                    f"{r['elapsed_s']:.0f}",
                    f"{r['rows']}/{r['articles']}"
                    + ("" if r["rows"] == r["unique_ids"] else f" ({r['unique_ids']} IDs)"),
                    r["files"],
                    r["partitions"],
                    r["exit_code"],
                ]
                for r in runs
            ],
        )
    )
    print()
    verdicts = {}
    for site in layouts:

        def peak(n: int, site: str = site) -> float:
            return statistics.median(
                r["peak_rss_mib"] for r in runs if r["site"] == site and r["articles"] == n
            )

        small, large = peak(args.articles_small), peak(args.articles_large)
        ratio = large / small
        verdicts[site] = ratio
        print(
            f"{site}: peak RSS {args.articles_large} / {args.articles_small} articles = "
            f"{large:.0f} / {small:.0f} MiB = {ratio:.2f} (target <= 1.2: "
            f"{'met' if ratio <= 1.2 else 'MISSED'})"
        )
    path = save_result(
        "large_run_memory",
        {"machine": machine_note(), "args": vars(args), "runs": runs, "ratios": verdicts},
    )
    print(f"results: {path.relative_to(REPO)}")
    if args.keep:
        print(f"logs and archives kept in {workdir}")
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
