"""The crawler and the demo run with only ``requirements.txt``: pandas is a test and query tool.

pyarrow imports pandas into any process that has it installed (at the first conversion of a
Python list), so these tests hide it (``tests/without_pandas.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from newsarchive.mirror.server import MirrorServer
from tests.conftest import FAST, REPO, CrawlResult
from tests.without_pandas import WITHOUT_PANDAS


def run_without_pandas(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PANDAS + code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_hiding_works() -> None:
    done = run_without_pandas("import pandas")
    assert done.returncode == 1 and "No module named 'pandas'" in done.stderr


def test_a_crawl_needs_no_pandas(mirror: MirrorServer, tmp_path: Path) -> None:
    output = tmp_path / "output"
    args = ["crawl", "moscowtimes", "-a", f"base_url={mirror.base_url}"]
    args += ["-a", "sections=news", "-a", "max_pages=1"]
    for name, value in {**FAST, "NEWSARCHIVE_OUTPUT": str(output)}.items():
        args += ["-s", f"{name}={value}"]
    code = "from scrapy.cmdline import execute; execute(['scrapy', *sys.argv[1:]])"
    done = run_without_pandas(code, *args)
    log = done.stderr + done.stdout
    assert done.returncode == 0, log[-3000:]
    assert "'newsarchive/parquet/rows_written': 19" in log  # the first page's 19 excerpts
    assert list(output.rglob("*.parquet"))


def test_the_demo_summary_needs_no_pandas(crawled: CrawlResult) -> None:
    code = "from newsarchive.demo import print_summary; print_summary(sys.argv[1])"
    done = run_without_pandas(code, str(crawled.output))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "150 rows, 150 distinct articles, published " in done.stdout
    header = done.stdout.splitlines()[1]  # of DuckDB's table, below its top border
    assert [cell.strip() for cell in header.strip("│").split("│")] == [
        "site",
        "date",
        "articles",
        "sections",
        "words",
    ]
