"""The demo: serve the bundled mirror, crawl it into ``output/``, summarise it, report on it.

Prints what was archived, then writes the run report (an HTML page) and prints where it is.

    python -m newsarchive.demo [--articles 300] [--output output]

Runs exactly what a user runs (``scrapy crawl moscowtimes``, then ``scrapy report``), only
pointed at the offline mirror on 127.0.0.1 and without the politeness delays meant for the
real site.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from newsarchive.report import REPORT_FILENAME

# The mirror is ours and local: no robots delay, no throttling.
FAST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
}


def start_mirror(articles: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    """Start ``python -m newsarchive.mirror`` and read its base URL (its first line)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsarchive.mirror",
            "--articles",
            str(articles),
            "--seed",
            str(seed),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    if not base_url.startswith("http"):
        process.kill()
        raise SystemExit(f"the mirror did not start (said {base_url!r})")
    return process, base_url


def crawl(base_url: str, output: str, extra: list[str]) -> int:
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "moscowtimes",
        "-a",
        f"base_url={base_url}",
        "-s",
        f"NEWSARCHIVE_OUTPUT={output}",
    ]
    for name, value in FAST_SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.call(command + extra)


def print_summary(output: str) -> None:
    """Articles per publication date, straight from the Parquet files, with DuckDB."""
    import duckdb

    pattern = str(Path(output) / "**" / "*.parquet")
    source = f"read_parquet('{pattern}', hive_partitioning = true)"
    con = duckdb.connect()
    con.sql(
        f"""
        SELECT site, date, count(*) AS articles, count(DISTINCT section) AS sections,
               sum(word_count) AS words
        FROM {source}
        GROUP BY ALL ORDER BY date DESC
        """
    ).show(max_rows=40)
    rows, articles, first, last = con.execute(
        f"SELECT count(*), count(DISTINCT url), min(date), max(date) FROM {source}"
    ).fetchall()[0]
    print(
        f"{rows} rows, {articles} distinct articles, published {first} .. {last}, "
        f"in {Path(output).resolve()}"
    )


def report(output: str) -> int:
    """``scrapy report``: the archive's HTML page (it prints its own path), then where to
    open it."""
    code = subprocess.call(
        [sys.executable, "-m", "scrapy", "report", "-s", f"NEWSARCHIVE_OUTPUT={output}"]
    )
    if code == 0:
        page = (Path(output) / REPORT_FILENAME).resolve()
        print(f"The run report: {page} (open {page.as_uri()} in a browser)")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default="output")
    args, extra = parser.parse_known_args(argv)
    mirror, base_url = start_mirror(args.articles, args.seed)
    try:
        print(f"mirror of {args.articles} articles at {base_url}", flush=True)
        code = crawl(base_url, args.output, extra)
    finally:
        mirror.terminate()
        mirror.wait(timeout=10)
    if code == 0 or any(Path(args.output).glob("site=*/date=*/*.parquet")):
        print_summary(args.output)
    if Path(args.output).is_dir():
        code = report(args.output) or code
    return code


if __name__ == "__main__":
    raise SystemExit(main())
