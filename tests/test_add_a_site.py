"""A second site, of another shape: the WordPress mirror crawled by a profile.

The bundled profile (``spiders/lindenauer.py``) and the README's "Add a site" example, saved
as a spider module of its own, each crawl the German WordPress mirror and archive clean,
dated, partitioned articles: every field right, no boilerplate sentence in any column.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsarchive.evaluate import FIELDS, evaluate, load_archive
from newsarchive.mirror.server import MirrorServer
from newsarchive.mirror.wordpress import build_wordpress_site
from tests.conftest import REPO, run_crawl

# A fixed clock: the mirror puts some posts at the DST switches and around local midnight
# relative to it; a clock of the day would change which posts those are, hour by hour.
MIRROR_NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def assert_clean(output: Path, truth: dict) -> None:
    rows = load_archive(output)
    report = evaluate(rows, truth)
    assert report.missing == [] and report.unexpected == [], report.summary()
    assert report.duplicate_rows == 0 and report.wrong_partition == 0, report.summary()
    assert report.paragraph_recall == 1.0 and report.paragraph_precision == 1.0, report.summary()
    for name in FIELDS:
        assert report.field_accuracy(name) == 1.0, report.summary()
    assert len(truth["boilerplate"]) > 20  # the check below is only as good as this list
    assert report.boilerplate_leaks == [], report.summary()
    assert Counter(str(r["article_id"]) for r in rows).most_common(1)[0][1] == 1


@pytest.fixture(scope="module")
def wordpress() -> MirrorServer:
    with MirrorServer(build_wordpress_site(articles=160, seed=8, now=MIRROR_NOW)) as server:
        yield server


def test_the_wordpress_profile_archives_its_mirror(wordpress: MirrorServer, tmp_path: Path) -> None:
    output = tmp_path / "output"
    first = run_crawl(wordpress.base_url, output, spider="lindenauer")
    assert first.returncode == 0, first.log[-3000:]
    truth = wordpress.ground_truth()
    assert_clean(output, truth)
    manifest = first.manifest
    assert manifest["site"] == "lindenauer" and manifest["rows_written"] == len(truth["articles"])
    assert {p.split("/")[0] for p in manifest["partitions"]} == {"site=lindenauer"}
    sections = manifest["completeness"]["sections"]
    assert {s["end"] for s in sections.values()} == {"exhausted"}  # next links to the end
    assert manifest["boilerplate"]["removed"]  # the WordPress boxes, by rule

    # A repeat run: nothing new, so every section stops at its first page (the mirror's
    # clock is past: no post is in the revisit window) and nothing is written.
    wordpress.clear_requests()
    again = run_crawl(wordpress.base_url, output, spider="lindenauer")
    assert again.returncode == 0, again.log[-3000:]
    assert again.manifest["rows_written"] == 0
    listings = [r["path"] for r in wordpress.requests if r["path"].startswith("/kategorie/")]
    assert len(listings) == len(sections)


def readme_profile() -> str:
    """The Python block of the README's "Add a site" section."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Add a site\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section shows one profile"
    return blocks[0]


def test_the_readme_profile_crawls_the_mirror(wordpress: MirrorServer, tmp_path: Path) -> None:
    """Follow "Add a site": the profile as printed, in a module of one's own."""
    package = tmp_path / "mysites"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "rundschau.py").write_text(readme_profile(), encoding="utf-8")
    output = tmp_path / "output"
    result = run_crawl(
        wordpress.base_url,
        output,
        spider="rundschau",
        settings={"SPIDER_MODULES": "newsarchive.spiders,mysites"},
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.log[-3000:]
    assert_clean(output, wordpress.ground_truth())
    assert result.manifest["site"] == "rundschau"
