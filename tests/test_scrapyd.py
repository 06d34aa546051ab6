"""The project deployed to Scrapyd, as ``scrapyd-deploy`` does it, and scheduled there.

Scrapyd runs on 127.0.0.1 for the test. Its egg is built the way ``scrapyd-deploy`` builds
one (its default ``setup.py``), so a module or data file the egg would miss shows up here.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsarchive.mirror.server import MirrorServer
from tests.conftest import FAST, REPO

# What scrapyd-deploy writes when a project has no setup.py.
SETUP_PY = """
from setuptools import setup, find_packages
setup(
    name="project",
    version="1.0",
    packages=find_packages(),
    entry_points={"scrapy": ["settings = newsarchive.settings"]},
)
"""


class Scrapyd:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/{endpoint}?{query}", timeout=30) as response:
            return json.load(response)

    def post(self, endpoint: str, body: bytes, content_type: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/{endpoint}", data=body, headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def add_version(self, project: str, version: str, egg: Path) -> dict[str, Any]:
        boundary = uuid.uuid4().hex
        parts = [(b"project", project.encode(), None), (b"version", version.encode(), None)]
        parts.append((b"egg", egg.read_bytes(), b"project.egg"))
        body = b""
        for name, value, filename in parts:
            body += f"--{boundary}\r\n".encode()
            disposition = b'Content-Disposition: form-data; name="' + name + b'"'
            if filename:
                disposition += b'; filename="' + filename + b'"'
            body += disposition + b"\r\n\r\n" + value + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        return self.post("addversion.json", body, f"multipart/form-data; boundary={boundary}")

    def schedule(self, **fields: str | list[str]) -> dict[str, Any]:
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        return self.post("schedule.json", body, "application/x-www-form-urlencoded")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Scrapyd]:
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\n"
        "items_dir =\nmax_proc = 1\npoll_interval = 0.2\n",
        encoding="utf-8",
    )
    log = (home / "scrapyd.out").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"], cwd=home, stdout=log, stderr=subprocess.STDOUT
    )
    server = Scrapyd(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if server.get("daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((home / "scrapyd.out").read_text()) from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def build_egg(tmp_path: Path) -> Path:
    source = tmp_path / "egg-source"
    shutil.copytree(
        REPO / "newsarchive", source / "newsarchive", ignore=shutil.ignore_patterns("__pycache__")
    )
    (source / "setup.py").write_text(SETUP_PY, encoding="utf-8")
    subprocess.run(
        [sys.executable, "setup.py", "-q", "bdist_egg", "-d", str(tmp_path / "dist")],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (egg,) = (tmp_path / "dist").glob("*.egg")
    return egg


def test_deployed_to_scrapyd_and_scheduled(
    scrapyd: Scrapyd, mirror: MirrorServer, tmp_path: Path
) -> None:
    added = scrapyd.add_version("newsarchive", "1", build_egg(tmp_path))
    spiders = ("lindenauer", "moscowtimes", "news")  # every spider of the project is there
    assert added["status"] == "ok" and added["spiders"] == len(spiders), added
    listed = scrapyd.get("listspiders.json", project="newsarchive")
    assert sorted(listed["spiders"]) == list(spiders), listed
    output = tmp_path / "archive"
    settings = {**FAST, "NEWSARCHIVE_OUTPUT": str(output)}
    job = scrapyd.schedule(
        project="newsarchive",
        spider="moscowtimes",
        base_url=mirror.base_url,
        sections="news",
        setting=[f"{name}={value}" for name, value in settings.items()],
    )
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 120
    while not any(j["id"] == job["jobid"] for j in scrapyd.get("listjobs.json")["finished"]):
        assert time.monotonic() < deadline, "the Scrapyd job did not finish"
        time.sleep(0.3)

    (manifest,) = (output / "_manifests").glob("*.json")
    run = json.loads(manifest.read_text(encoding="utf-8"))
    assert run["status"] == "ok", run
    news = [a for a in mirror.ground_truth()["articles"] if a["section"] == "news"]
    assert run["rows_written"] == len(news) > 0
    assert sorted(output.glob("site=moscowtimes/date=*/*.parquet")) == sorted(
        output / path for path in run["files"]
    )
