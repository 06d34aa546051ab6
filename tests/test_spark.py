"""Spark reads the archive with partition discovery: the README's snippet, as it is.

Runs only where both pyspark and Java are installed (pyspark is ~300 MiB and not in
requirements-dev.txt, so CI skips it); ``pip install pyspark`` locally to run it. The
README's ``s3a://`` snippet needs Hadoop's hadoop-aws jars, which cannot be downloaded here,
so it is not run (the S3 archive is read by DuckDB and pyarrow in ``tests/test_s3.py``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, CrawlResult

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
    reason="needs pyspark and Java (neither is installed by requirements-dev.txt)",
)


def spark_snippets() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Reading with Spark\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, "README has no section 'Reading with Spark'"
    return re.findall(r"```python\n(.*?)```", match.group(1), re.S)


def test_spark_reads_the_archive_with_partition_discovery(
    crawled: CrawlResult, mirror: Any, tmp_path: Path
) -> None:
    # the crawled archive's folders, and what a reader meets beside them (the report of
    # `scrapy report`): none of that may be taken for data
    (tmp_path / "output").mkdir()
    for entry in crawled.output.iterdir():
        (tmp_path / "output" / entry.name).symlink_to(entry, entry.is_dir())
    (tmp_path / "output" / "_report.html").write_text("<html></html>", encoding="utf-8")
    [snippet] = spark_snippets()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    try:
        exec(compile(snippet, "README.md", "exec"), namespace)
        articles = namespace["articles"]
        expected = len(mirror.ground_truth()["articles"])
        assert {"site", "date", "article_id", "body"} <= set(articles.columns)
        assert [(row["site"], row["count"]) for row in namespace["per_site"]] == [
            ("moscowtimes", expected)
        ]
        distinct = articles.select("site", "article_id", "version").distinct().count()
        assert distinct == expected
        days = {row["date"] for row in articles.select("date").distinct().collect()}
        partitions = {p.name.removeprefix("date=") for p in crawled.output.glob("site=*/date=*")}
        assert {str(day) for day in days} == partitions
    finally:
        os.chdir(cwd)
        spark = namespace.get("spark")
        if spark is not None:
            spark.stop()
