"""The crawler and the demo run with only ``requirements.txt``: pandas is a test and query tool.

pyarrow imports pandas into any process that has it installed (at the first conversion of a
Python list), so these tests hide it (``tests/without_pandas.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from newsarchive.mirror.server import MirrorServer
from tests.conftest import REPO, CrawlResult, run_crawl
from tests.without_pandas import SCRAPY_WITHOUT_PANDAS, WITHOUT_PANDAS


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
    result = run_crawl(
        mirror.base_url,
        output,
        "sections=news",
        "max_pages=1",
        scrapy=("-c", SCRAPY_WITHOUT_PANDAS),
    )
    assert result.returncode == 0, result.log[-3000:]
    assert "'newsarchive/parquet/rows_written': 19" in result.log  # the first page's excerpts
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
