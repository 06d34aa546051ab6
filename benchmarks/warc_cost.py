"""What WARC capture costs: CPU per page and disk per article, with and without it.

    python benchmarks/warc_cost.py [--articles 300] [--seed 1] [--rounds 3]
                                   [--configs zlib:9,zlib:6,zlib:1,isal:1,isal:3]

Method (fixed before any figure was read):

* ONE mirror (``python -m newsarchive.mirror --ground-truth ...``: every body rendered
  before the first crawl) of ``--articles`` articles; every crawl is the same full first
  crawl of it (all sections, every listing page, every article), each a fresh process into
  a fresh archive, at full speed (no delay, 16 requests in flight, robots.txt obeyed).
* Configurations: ``off`` (no capture) and capture with each ``library:level`` of
  ``--configs`` (``NEWSARCHIVE_WARC_GZIP_LIBRARY``/``_LEVEL``: zlib, whose level 9 warcio's
  own writer uses, and ISA-L, levels 0-3). Rounds run every configuration once, in an
  order rotated by one per round, so that no configuration always runs first or after the
  same one; ``--rounds`` rounds (3: three runs each).
* CPU: ``resource.getrusage(RUSAGE_SELF)`` of the crawl process (all its threads: the
  Parquet writer's too) between ``spider_opened`` and the end of ``spider_closed``
  (``benchmarks/_cpu_meter.py``, after every other extension: the last Parquet flush and
  the last WARC file's fsync are inside), divided by the responses it received. Not wall
  time. The whole process's CPU (``os.wait4``; start-up and imports included, the same for
  every configuration) is printed too.
* Per configuration, the median of its runs; the ratio is capture/off of those medians.
  Target: under 1.15.
* Disk: bytes of ``_warc/**/*.warc.gz`` and of the archive's Parquet files, per archived
  article (row), and WARC bytes per response.
* The default is the configuration with the fewest WARC bytes per article among those
  whose ratio meets the target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, machine_note, save_result, scrapy_stats, table
from crawl_throughput import FAST, Mirror

from newsarchive import settings as project_settings

TARGET = 1.15
METER = "benchmarks._cpu_meter.CpuMeter"


def crawl(config: str, mirror: Mirror, workdir: Path, index: int) -> dict[str, Any]:
    output = workdir / f"archive-{config.replace(':', '-')}-{index}"
    extensions = {**project_settings.EXTENSIONS, METER: 1000}  # last: after the final flush
    settings = {
        **FAST,
        "NEWSARCHIVE_OUTPUT": str(output),
        "NEWSARCHIVE_CONTACT": "mailto:benchmark@example.org",
        "EXTENSIONS": json.dumps(extensions),
    }
    if config != "off":
        library, level = config.split(":")
        settings |= {
            "NEWSARCHIVE_WARC": "1",
            "NEWSARCHIVE_WARC_GZIP_LIBRARY": library,
            "NEWSARCHIVE_WARC_GZIP_LEVEL": level,
        }
    command = [sys.executable, "-m", "scrapy", "crawl", "moscowtimes"]
    command += ["-a", f"base_url={mirror.base_url}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    log_path = workdir / f"{config.replace(':', '-')}-{index}.log"
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stats = scrapy_stats(log_path.read_text(encoding="utf-8", errors="replace"))
    responses = stats.get("downloader/response_count", 0)
    crawl_cpu = stats["benchmark/cpu_at_close_s"] - stats["benchmark/cpu_at_open_s"]
    process_cpu = usage.ru_utime + usage.ru_stime
    rows = stats.get("newsarchive/parquet/rows_written", 0)
    warc_bytes = sum(p.stat().st_size for p in output.glob("_warc/**/*.warc.gz"))
    parquet_bytes = sum(p.stat().st_size for p in output.glob("site=*/date=*/*.parquet"))
    return {
        "config": config,
        "index": index,
        "exit_code": os.waitstatus_to_exitcode(status),
        "responses": responses,
        "rows": rows,
        "wall_s": wall,
        "crawl_cpu_s": crawl_cpu,
        "process_cpu_s": process_cpu,
        "crawl_cpu_ms_per_page": crawl_cpu / responses * 1000,
        "process_cpu_ms_per_page": process_cpu / responses * 1000,
        "warc_records": stats.get("newsarchive/warc/records", 0),
        "warc_files": stats.get("newsarchive/warc/files", 0),
        "warc_bytes": warc_bytes,
        "parquet_bytes": parquet_bytes,
        "warc_bytes_per_article": warc_bytes / rows if rows else float("nan"),
        "parquet_bytes_per_article": parquet_bytes / rows if rows else float("nan"),
        "warc_bytes_per_response": warc_bytes / responses if responses else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="mirror size (300)")
    parser.add_argument("--seed", type=int, default=1, help="mirror seed (1)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each configuration (3)")
    parser.add_argument(
        "--configs",
        default="zlib:9,zlib:6,zlib:1,isal:1,isal:3",
        help="library:level of each capture configuration (zlib:9,zlib:6,zlib:1,isal:1,isal:3)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs and archives")
    args = parser.parse_args(argv)
    configs = ["off", *(c.strip() for c in args.configs.split(",") if c.strip())]

    print(machine_note(), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="newsarchive-warc-cost-"))
    mirror = Mirror(args.articles, args.seed, workdir / "ground-truth.json", 0.0)
    runs: list[dict[str, Any]] = []
    try:
        print(f"mirror: {len(mirror.truth['articles'])} articles at {mirror.base_url}")
        for round_no in range(args.rounds):
            shift = round_no % len(configs)
            for config in configs[shift:] + configs[:shift]:
                run = crawl(config, mirror, workdir, round_no + 1)
                runs.append(run)
                print(
                    f"round {round_no + 1} {config:>6}: {run['responses']} responses, "
                    f"{run['rows']} rows, crawl CPU {run['crawl_cpu_s']:.2f} s "
                    f"({run['crawl_cpu_ms_per_page']:.2f} ms/page), process CPU "
                    f"{run['process_cpu_s']:.2f} s, WARC {run['warc_bytes']:,} B, "
                    f"exit {run['exit_code']}",
                    flush=True,
                )
    finally:
        mirror.stop()
    report(runs, configs)
    path = save_result("warc_cost", {"machine": machine_note(), "args": vars(args), "runs": runs})
    print(f"\nraw figures: {path}")
    if args.keep:
        print(f"logs and archives kept in {workdir}")
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(runs: list[dict[str, Any]], configs: list[str]) -> None:
    def med(config: str, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["config"] == config)

    base = med("off", "crawl_cpu_ms_per_page")
    base_process = med("off", "process_cpu_ms_per_page")
    rows = []
    meets = []
    for config in configs:
        ratio = med(config, "crawl_cpu_ms_per_page") / base
        if config != "off" and ratio < TARGET:
            meets.append((med(config, "warc_bytes_per_article"), config))
        rows.append(
            [
                "no capture" if config == "off" else f"capture, {config}",
                len([r for r in runs if r["config"] == config]),
                f"{med(config, 'crawl_cpu_ms_per_page'):.2f}",
                f"{ratio:.3f}",
                f"{med(config, 'crawl_cpu_ms_per_page') - base:+.2f}",
                f"{med(config, 'process_cpu_ms_per_page') / base_process:.3f}",
                f"{med(config, 'warc_bytes_per_article'):,.0f}" if config != "off" else "-",
                f"{med(config, 'warc_bytes_per_response'):,.0f}" if config != "off" else "-",
                f"{med(config, 'parquet_bytes_per_article'):,.0f}",
            ]
        )
    print()
    print(
        table(
            [
                "configuration",
                "runs",
                "crawl CPU ms/page",
                "ratio",
                "extra ms/page",
                "process CPU ratio",
                "WARC B/article",
                "WARC B/response",
                "Parquet B/article",
            ],
            rows,
        )
    )
    print(
        "\nmedians of the runs; ratio = crawl CPU per page with capture / without (target "
        f"< {TARGET}); process CPU ratio includes start-up and imports"
    )
    if meets:
        print(f"fewest WARC bytes per article under the target: {min(meets)[1]}")
    else:
        print("no configuration measured meets the target")


if __name__ == "__main__":
    raise SystemExit(main())
