"""Real services for the tests, from Debian's packages, on 127.0.0.1.

``require_binary`` finds a program, installing its Debian package with apt-get where it is
missing and the tests run as root; where it cannot be had the test is skipped, except under
CI (``CI=true``), where that is a failure: CI must not pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def apt_install(*packages: str) -> str:
    """``apt-get install`` the packages; returns what went wrong, or ''."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "not root, or no apt-get: cannot install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *packages],
    ):
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=900, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            return f"{' '.join(command)} timed out"
        if done.returncode != 0:
            return f"{' '.join(command)} failed: {(done.stderr or done.stdout)[-800:]}"
    return ""


def require_binary(names: tuple[str, ...], packages: tuple[str, ...], what: str) -> str:
    """The path of the first of ``names`` found, after installing ``packages`` if needed."""

    def find() -> str | None:
        return next((path for name in names if (path := shutil.which(name))), None)

    binary = find()
    problem = ""
    if binary is None:
        problem = apt_install(*packages)
        binary = find()
        for package in packages:  # Debian starts a server package's daemon: not ours
            if Path(f"/etc/init.d/{package}").exists():
                subprocess.run(["service", package, "stop"], capture_output=True, check=False)
    if binary is None:
        message = f"{what} is not available ({problem or 'not found after install'})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    command: list[str], answers: Callable[[], bool], what: str, timeout: float
) -> Iterator[None]:
    """Run a server process until the block ends; wait first until ``answers()``."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not answers():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start")
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def redis_server(password: str | None = None) -> Iterator[str]:
    """A throw-away redis-server on 127.0.0.1 (no persistence); yields its URL."""
    binary = require_binary(("redis-server",), ("redis-server",), "redis-server")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", *(["--requirepass", password] if password else [])]

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False

    with serving(command, answers, f"redis-server on port {port}", timeout=20):
        yield f"redis://{f':{password}@' if password else ''}127.0.0.1:{port}/0"


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's standalone S3-compatible server (``moto[server]``, requirements-dev.txt) on
    127.0.0.1, in memory; yields its endpoint URL (``http://127.0.0.1:<port>``)."""
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        message = f"moto[server] is not installed ({exc}): pip install -r requirements-dev.txt"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                return True
        except OSError:
            return False

    with serving(command, answers, f"moto's server on port {port}", timeout=60):
        yield url
