"""Crawl throughput and peak memory: ``scrapy crawl moscowtimes`` vs a bare Scrapy spider.

    python benchmarks/crawl_throughput.py [--articles 5000] [--seed 1] [--rounds 2]
                                          [--latency-ms 0]
                                          [--budget-minutes 10]

Starts ONE mirror (``python -m newsarchive.mirror --ground-truth ...``; writing the ground
truth renders every article body once, so no crawl pays for the mirror's lazy generation),
then crawls it alternately, each crawl a fresh process. With ``--latency-ms`` the mirror
waits that long before every answer, as a real site's round trip and render time would: with
16 requests in flight the crawl is then bound by the site, not by the crawler's CPU, which is
how a real crawl runs. At 0 (a loopback mirror answering at once) both crawls are CPU-bound,
and the ratio is that of their CPU cost per page.

* **bare**: ``benchmarks/bare_spider.py``, same requests, same pagination logic and request
  priorities, the project's Scrapy settings without any component of ours, no extraction;
* **ours**: ``scrapy crawl moscowtimes -a base_url=...`` into a fresh temporary archive, as
  ``requirements.txt`` installs it: without pandas, which the dev requirements add and
  pyarrow would import into the crawl (about 40 MiB more peak RSS), so it is hidden.

Both with ``AUTOTHROTTLE_ENABLED=False DOWNLOAD_DELAY=0 CONCURRENT_REQUESTS=16
CONCURRENT_REQUESTS_PER_DOMAIN=16``, robots.txt obeyed by both. Rounds go bare, ours, bare,
ours... up to ``--rounds`` while the next round is expected to fit in ``--budget-minutes``
(one round always runs).

Per crawl: pages/s = Scrapy's ``response_received_count`` / ``elapsed_time_seconds`` (from the
stats it logs at the end; interpreter start-up excluded), wall time of the process, CPU time
of the crawl process and of the mirror during it, peak RSS of the crawl process (its
``VmHWM``, polled every 0.1 s: the kernel's high-water mark, so only the last 0.1 s before
exit can escape it), ``ru_maxrss`` from ``os.wait4`` (which on Linux can report this script's
own larger RSS, inherited through the spawn) and Scrapy's ``memusage/max``. The
mirror's request log proves both crawls fetched the same URLs; the archive of every "ours"
crawl is counted against the ground truth. The mirror runs on the same 2 cores, so pages/s
is shared with it: CPU ms per response of the crawl process is the crawler's own cost.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
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

# ``scrapy crawl`` as ``requirements.txt`` installs it, that is without pandas, even when
# this environment has it (the dev requirements do): pyarrow would import it into the crawl
# at the first Parquet write, only to ask whether a list is a pandas object.
from tests.without_pandas import SCRAPY_WITHOUT_PANDAS as AS_INSTALLED

FAST = {
    **FULL_SPEED,
    "LOG_LEVEL": "INFO",
}


# --- the mirror -------------------------------------------------------------------------------


class Mirror(MirrorProcess):
    """The mirror with its ground truth and its admin endpoints."""

    def __init__(self, articles: int, seed: int, truth_path: Path, latency_ms: float) -> None:
        started = time.perf_counter()
        super().__init__(
            *("--articles", str(articles), "--seed", str(seed)),
            *("--ground-truth", str(truth_path), "--latency-ms", str(latency_ms)),
        )
        self.startup_seconds = time.perf_counter() - started
        self.truth = json.loads(truth_path.read_text(encoding="utf-8"))

    def cpu_seconds(self) -> float:
        """User + system CPU time of the mirror process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _call(self, method: str, path: str) -> Any:
        request = urllib.request.Request(self.base_url + path, method=method, data=None)
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def requests(self) -> Counter[str]:
        """GET paths requested since the last clear, with their counts."""
        log = self._call("GET", "/__mirror__/requests")
        return Counter(e["path"] for e in log if e["method"] == "GET")

    def clear(self) -> None:
        self._call("POST", "/__mirror__/requests/clear")


# --- one crawl --------------------------------------------------------------------------------


def watch_hwm(pid: int, peak: list[int], done: threading.Event) -> None:
    """Poll ``VmHWM`` of ``pid`` (kB) until ``done``: the kernel's high-water mark of the
    crawl process itself. ``ru_maxrss`` is not that: Linux carries the high-water mark of the
    memory a child was spawned with (this script's, which holds a 5,000-article ground truth
    and has read an archive by round 2) across ``exec``."""
    path = Path(f"/proc/{pid}/status")
    while not done.wait(0.1):
        try:
            for line in path.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        except OSError:
            return


def run_crawl(kind: str, mirror: Mirror, workdir: Path, index: int) -> dict[str, Any]:
    log_path = workdir / f"{kind}-{index}.log"
    settings = dict(FAST)
    if kind == "ours":
        output = workdir / f"archive-{index}"
        settings |= {
            "NEWSARCHIVE_OUTPUT": str(output),
            "NEWSARCHIVE_CONTACT": "mailto:benchmark@example.org",
        }
        command = [sys.executable, "-c", AS_INSTALLED, "crawl", "moscowtimes"]
        command += ["-a", f"base_url={mirror.base_url}"]
        cwd = REPO
    else:
        output = None
        command = [sys.executable, str(REPO / "benchmarks" / "bare_spider.py")]
        command += ["--base-url", mirror.base_url]
        cwd = workdir
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]

    mirror.clear()
    mirror_cpu = mirror.cpu_seconds()
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        peak, done = [0], threading.Event()
        watcher = threading.Thread(target=watch_hwm, args=(process.pid, peak, done), daemon=True)
        watcher.start()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        done.set()
    wall = time.perf_counter() - started
    mirror_cpu = mirror.cpu_seconds() - mirror_cpu
    stats = scrapy_stats(log_path.read_text(encoding="utf-8", errors="replace"))
    responses = stats.get("response_received_count", 0)
    elapsed = stats.get("elapsed_time_seconds") or float("nan")
    cpu = usage.ru_utime + usage.ru_stime
    result = {
        "kind": kind,
        "index": index,
        "exit_code": process.returncode,
        "responses": responses,
        "elapsed_s": elapsed,
        "pages_per_s": responses / elapsed if responses else 0.0,
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_ms_per_response": cpu / responses * 1000 if responses else float("nan"),
        "mirror_cpu_s": mirror_cpu,
        "max_rss_mib": usage.ru_maxrss / 1024,
        "vmhwm_polled_mib": peak[0] / 1024,
        "memusage_max_mib": stats.get("memusage/max", 0) / 2**20,
        "items": stats.get("item_scraped_count", 0),
        "errors": stats.get("log_count/ERROR", 0),
        "log": str(log_path),
        "requests": mirror.requests(),
    }
    if output is not None:
        result["archive"] = check_archive(output, mirror.truth)
    return result


def check_archive(output: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """Rows in the Parquet archive against the ground truth's articles."""
    import pyarrow.dataset as ds

    expected = {str(a["article_id"]) for a in truth["articles"]}
    if not output.exists() or not any(output.glob("site=*/date=*/*.parquet")):
        return {"rows": 0, "expected": len(expected), "missing": len(expected), "extra": 0}
    dataset = ds.dataset(str(output), format="parquet", partitioning="hive")
    ids = [str(i) for i in dataset.to_table(columns=["article_id"]).column(0).to_pylist()]
    return {
        "rows": len(ids),
        "unique_ids": len(set(ids)),
        "expected": len(expected),
        "missing": len(expected - set(ids)),
        "extra": len(set(ids) - expected),
        "ok": len(ids) == len(expected) and set(ids) == expected,
    }


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000, help="mirror size (5000)")
    parser.add_argument("--seed", type=int, default=1, help="mirror seed (1)")
    parser.add_argument("--rounds", type=int, default=2, help="bare+ours rounds at most (2)")
    parser.add_argument(
        "--budget-minutes",
        type=float,
        default=10.0,
        help="start another round only if it should end within this many minutes of the "
        "first crawl's start (10)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="the mirror waits this long before every answer, as a real site's round trip "
        "would (0: a loopback mirror answers at once, so both crawls are CPU-bound)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs and archives")
    args = parser.parse_args(argv)

    print(machine_note(), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    mirror = Mirror(args.articles, args.seed, workdir / "ground-truth.json", args.latency_ms)
    runs: list[dict[str, Any]] = []
    try:
        print(
            f"mirror: {len(mirror.truth['articles'])} articles at {mirror.base_url}, "
            f"latency {args.latency_ms:g} ms, ready in "
            f"{mirror.startup_seconds:.0f} s (ground truth written, bodies rendered)",
            flush=True,
        )
        began = time.perf_counter()
        for round_no in range(1, args.rounds + 1):
            round_start = time.perf_counter()
            for kind in ("bare", "ours"):
                run = run_crawl(kind, mirror, workdir, round_no)
                runs.append(run)
                print(
                    f"round {round_no} {kind}: {run['responses']} responses in "
                    f"{run['elapsed_s']:.1f} s = {run['pages_per_s']:.1f} pages/s, wall "
                    f"{run['wall_s']:.1f} s, cpu {run['cpu_s']:.1f} s, peak RSS "
                    f"{run['vmhwm_polled_mib']:.0f} MiB, exit {run['exit_code']}",
                    flush=True,
                )
            round_time = time.perf_counter() - round_start
            spent = time.perf_counter() - began
            if spent + round_time > args.budget_minutes * 60 and round_no < args.rounds:
                print(
                    f"stopping after round {round_no}: another round (~{round_time / 60:.1f} "
                    f"min) would pass the {args.budget_minutes:g}-minute budget",
                    flush=True,
                )
                break
    finally:
        mirror.stop()
    report(runs, args, mirror, workdir)
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"logs and archives kept in {workdir}")
    return 0


def report(runs: list[dict[str, Any]], args: argparse.Namespace, mirror: Mirror, workdir: Path):
    rows = [
        [
            r["index"],
            r["kind"],
            r["responses"],
            f"{r['elapsed_s']:.1f}",
            f"{r['pages_per_s']:.1f}",
            f"{r['wall_s']:.1f}",
            f"{r['cpu_s']:.1f}",
            f"{r['cpu_ms_per_response']:.1f}",
            f"{r['mirror_cpu_s']:.1f}",
            f"{r['vmhwm_polled_mib']:.0f}",
            f"{r['max_rss_mib']:.0f}",
            f"{r['memusage_max_mib']:.0f}",
            r["exit_code"],
        ]
        for r in runs
    ]
    print()
    print(
        table(
            [
                "round",
                "crawl",
                "responses",
                "elapsed s",
                "pages/s",
                "wall s",
                "crawl CPU s",
                "CPU ms/resp",
                "mirror CPU s",
                "peak RSS MiB",
                "ru_maxrss MiB",
                "memusage/max MiB",
                "exit",
            ],
            rows,
        )
    )

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["kind"] == kind)

    bare_runs = [r for r in runs if r["kind"] == "bare"]
    ours_runs = [r for r in runs if r["kind"] == "ours"]
    same = all(b["requests"] == o["requests"] for b, o in zip(bare_runs, ours_runs, strict=False))
    print()
    if bare_runs and ours_runs:
        per_round = [
            o["pages_per_s"] / b["pages_per_s"]
            for b, o in zip(bare_runs, ours_runs, strict=False)
            if b["pages_per_s"]
        ]
        ratio = med("ours", "pages_per_s") / med("bare", "pages_per_s")
        cpu_ratio = med("ours", "cpu_ms_per_response") / med("bare", "cpu_ms_per_response")
        verdict = "meets" if ratio >= 0.8 else "MISSES"
        print(
            f"pages/s median: bare {med('bare', 'pages_per_s'):.1f}, ours "
            f"{med('ours', 'pages_per_s'):.1f}; ours/bare = {ratio:.2f} (per round: "
            f"{', '.join(f'{x:.2f}' for x in per_round)}; target >= 0.8: {verdict})"
        )
        print(
            f"crawl-process CPU per response: ours/bare = {cpu_ratio:.2f} "
            f"({med('ours', 'cpu_ms_per_response'):.1f} vs "
            f"{med('bare', 'cpu_ms_per_response'):.1f} ms)"
        )
        print(
            f"peak RSS (VmHWM) median: bare {med('bare', 'vmhwm_polled_mib'):.0f} MiB, ours "
            f"{med('ours', 'vmhwm_polled_mib'):.0f} MiB (ru_maxrss, which can include this "
            f"script's own: bare {med('bare', 'max_rss_mib'):.0f}, ours "
            f"{med('ours', 'max_rss_mib'):.0f}; Scrapy memusage/max: bare "
            f"{med('bare', 'memusage_max_mib'):.0f}, ours {med('ours', 'memusage_max_mib'):.0f})"
        )
    if bare_runs and ours_runs:
        first_bare, first_ours = bare_runs[0]["requests"], ours_runs[0]["requests"]
        diff = (first_bare - first_ours) + (first_ours - first_bare)
        print(
            f"same requests (mirror log): {'yes' if same else 'NO'}; "
            f"{sum(first_ours.values())} GETs by ours, {sum(first_bare.values())} by bare"
            + (f"; differences e.g. {sorted(diff)[:5]}" if diff else "")
        )
    for r in ours_runs:
        a = r["archive"]
        print(
            f"archive of ours round {r['index']}: {a['rows']} rows for {a['expected']} articles "
            f"in the ground truth, missing {a['missing']}, unexpected {a['extra']}: "
            f"{'OK' if a.get('ok') else 'INCOMPLETE'}"
        )
    path = save_result(
        "crawl_throughput",
        {
            "machine": machine_note(),
            "args": vars(args),
            "mirror_startup_s": mirror.startup_seconds,
            "runs": [{k: v for k, v in r.items() if k != "requests"} for r in runs],
            "same_requests": same,
        },
    )
    print(f"results: {path.relative_to(path.parents[2])}")


if __name__ == "__main__":
    sys.exit(main())
