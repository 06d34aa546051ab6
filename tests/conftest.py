"""Shared fixtures: a mirror of the site on 127.0.0.1 and real crawls of it.

Crawls run ``scrapy crawl`` in a subprocess, exactly as a user or cron does, against a
``MirrorServer`` serving from a thread of the test process (port 0).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newsarchive.mirror import build_site
from newsarchive.mirror.server import MirrorServer

REPO = Path(__file__).resolve().parents[1]

# The mirror is local: crawl it at full speed (the real-site defaults are polite and slow).
FAST = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
    "NEWSARCHIVE_CONTACT": "mailto:tests@example.org",
}


@dataclass
class CrawlResult:
    returncode: int
    log: str
    output: Path

    def manifests(self) -> list[dict[str, Any]]:
        paths = sorted((self.output / "_manifests").glob("*.json"), key=lambda p: p.stat().st_mtime)
        return [json.loads(p.read_text(encoding="utf-8")) for p in paths]

    @property
    def manifest(self) -> dict[str, Any]:
        return self.manifests()[-1]


def run_crawl(
    base_url: str,
    output: Path,
    *args: str,
    settings: dict[str, str] | None = None,
    timeout: float = 300,
    scrapy: tuple[str, ...] = ("-m", "scrapy"),
    spider: str = "moscowtimes",
    env: dict[str, str] | None = None,
) -> CrawlResult:
    """``scrapy crawl <spider> -a base_url=...`` into ``output``; returns code and log.
    ``scrapy`` is how Python starts Scrapy (``-c`` code that sets something up first, say);
    ``env`` is added to the environment."""
    command = [sys.executable, *scrapy, "crawl", spider, "-a", f"base_url={base_url}"]
    for name, value in {**FAST, "NEWSARCHIVE_OUTPUT": str(output), **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    for arg in args:
        command += ["-a", arg]
    done = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **env} if env else None,
    )
    return CrawlResult(done.returncode, done.stderr + done.stdout, output)


@pytest.fixture(scope="session")
def mirror() -> Any:
    """A mirror of 150 articles, shared by the read-only end-to-end tests."""
    with MirrorServer(build_site(articles=150, seed=20261128)) as server:
        yield server


@pytest.fixture(scope="session")
def crawled(mirror: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One full crawl of ``mirror`` (the archive is read, never modified, by the tests)."""
    output = tmp_path_factory.mktemp("archive") / "output"
    result = run_crawl(mirror.base_url, output)
    assert result.returncode == 0, result.log[-5000:]
    return result
