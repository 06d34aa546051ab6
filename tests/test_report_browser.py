"""The report in a real browser: Debian's headless Chromium opens the page offline.

No console error, no request for anything but the page itself, every chart drawn with data
marks of non-zero size, and a screenshot saved under the test's temporary folder.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages, each ended by a NUL byte, on file descriptors 3 and 4), so nothing but the
``chromium`` package is needed: no WebDriver, no Python package, no download at run time.
The session fixture installs the package with apt-get where it is missing and the tests run
as root; where it cannot be had the test is skipped, except under CI (``CI=true``), where
that is a failure.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from newsarchive.report import gather, write_report
from tests.services import require_binary
from tests.test_report import build_report_archive

CHARTS = ("per_day", "per_section", "versions", "edits", "fill", "failures", "skips", "slowdowns")
PACKAGES = ("chromium", "fonts-dejavu-core")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--metrics-recording-only",
    "--mute-audio",
)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed if missing (a minute or two, once per machine)."""
    return require_binary(("chromium", "chromium-browser"), PACKAGES, "headless Chromium")


def high_fd(fd: int) -> int:
    """``fd`` moved to a descriptor number of 10 or more."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class DevTools:
    """A headless Chromium and its DevTools protocol on a pipe (flattened sessions)."""

    def __init__(self, binary: str, profile: Path, log: Path) -> None:
        commands_read, self.commands = os.pipe()
        self.answers, answers_write = os.pipe()
        # Above 9, so that bash's "3<&N 4>&M" below never moves one end onto the other.
        commands_read, answers_write = (high_fd(commands_read), high_fd(answers_write))
        self.log = log
        with log.open("wb") as stderr:
            # bash (dash takes one-digit descriptors only) puts our pipe ends on the
            # descriptors Chromium reads and writes.
            self.process = subprocess.Popen(
                [
                    "/bin/bash",
                    "-c",
                    f'exec "$@" 3<&{commands_read} 4>&{answers_write} '
                    f"{commands_read}<&- {answers_write}>&-",
                    "bash",
                    binary,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    "about:blank",
                ],
                pass_fds=(commands_read, answers_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        os.close(commands_read)
        os.close(answers_write)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Call ``method``; its result (events that come meanwhile are kept in ``events``)."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive(30.0)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.answers], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer; its log: {self._log_tail()}")
            chunk = os.read(self.answers, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe; its log: {self._log_tail()}")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self.commands)
        os.close(self.answers)


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Any:
    devtools = DevTools(chromium, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        yield devtools
    finally:
        devtools.close()


def open_page(devtools: DevTools, url: str, width: int = 1200) -> str:
    """A new tab with console, log and network events on, showing ``url``; its session."""
    target = devtools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = devtools.send("Target.attachToTarget", {"targetId": target, "flatten": True})
    sid = session["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        devtools.send(f"{domain}.enable", session=sid)
    devtools.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        session=sid,
    )
    devtools.send("Page.navigate", {"url": url}, session=sid)
    deadline = time.monotonic() + 30
    while True:  # loaded: our URL, and the document complete (about:blank's load is no sign)
        state = devtools.send(
            "Runtime.evaluate",
            {"expression": "location.href + ' ' + document.readyState", "returnByValue": True},
            session=sid,
        )
        if state["result"].get("value") == f"{url} complete":
            return sid
        assert time.monotonic() < deadline, f"{url} did not load: {state}"
        time.sleep(0.05)


def console_errors(devtools: DevTools) -> list[str]:
    errors = []
    for event in devtools.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a)) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            errors.append(str(params.get("exceptionDetails", {}).get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(str(params["entry"].get("text")))
    return errors


CHART_SIZES = """JSON.stringify([...document.querySelectorAll('svg[data-chart]')].map(svg => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('[data-value]')];
  return {
    name: svg.dataset.chart, width: box.width, height: box.height,
    marks: marks.length,
    drawn: marks.filter(m => { const b = m.getBoundingClientRect();
                               return b.width > 0 && b.height > 0; }).length,
    values: marks.map(m => Number(m.dataset.value)),
  };
}))"""


def test_the_report_in_headless_chromium(browser: DevTools, tmp_path: Path) -> None:
    archive = build_report_archive(tmp_path / "output")
    report = write_report(gather(archive), tmp_path / "report.html")

    sid = open_page(browser, report.as_uri())
    found = browser.send(
        "Runtime.evaluate", {"expression": CHART_SIZES, "returnByValue": True}, session=sid
    )
    charts = {c["name"]: c for c in json.loads(found["result"]["value"])}
    assert set(charts) == set(CHARTS)
    for name, chart in charts.items():
        assert chart["width"] > 300 and chart["height"] > 50, chart
        assert chart["marks"] >= 1 and chart["drawn"] == chart["marks"], chart
        assert all(v == v and v >= 0 for v in chart["values"]), chart  # numbers, not NaN
        assert any(v > 0 for v in chart["values"]), name

    metrics = browser.send("Page.getLayoutMetrics", session=sid)["cssContentSize"]
    shot = browser.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1200, "height": metrics["height"], "scale": 1},
        },
        session=sid,
    )
    png = tmp_path / "report.png"
    png.write_bytes(base64.b64decode(shot["data"]))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000  # a page of charts and tables, not a blank image
    assert metrics["height"] > 2000

    assert console_errors(browser) == []
    requested = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requested == [report.as_uri()]  # the page alone: nothing from any network


def test_console_errors_are_seen(browser: DevTools, tmp_path: Path) -> None:
    """The check above can fail: a page that logs an error and throws is caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><meta charset='utf-8'><title>x</title>"
        "<script>console.error('drawn wrong'); null.chart;</script>",
        encoding="utf-8",
    )
    open_page(browser, page.as_uri())
    errors = console_errors(browser)
    assert any("drawn wrong" in e for e in errors)
    assert any("Uncaught" in e or "TypeError" in e for e in errors)
