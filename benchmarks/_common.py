"""Helpers shared by the benchmark scripts (not a test module: nothing here is collected).

Every script puts the repository root on ``sys.path`` through ``REPO`` so that it runs as
``python benchmarks/<script>.py`` from anywhere, without installing the project.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"

FULL_SPEED = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
}
"""The mirror is local: crawl it at full speed (the project's real-site defaults are polite
and slow). Each benchmark adds its log level and whatever else it needs."""
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TOKEN = re.compile(r"\w+")


def squash(text: str) -> str:
    """Whitespace-normalised text (what the paragraph comparisons use)."""
    return " ".join(text.split())


# --- AEB-style 4-word-shingle scoring (the same formulas as shared/bench/score.py) -----------


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def shingle_counts(true: str, pred: str) -> tuple[float, float, float]:
    """Per-page TP, FP, FN of 4-word shingles, normalised by their sum."""
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _ratio(a: float, b: float, other: float) -> float:
    if b == other == 0:
        return 1.0
    return a / (a + b) if a + b else 0.0


def aeb_scores(pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Macro precision (pages with output), recall (pages with truth), F1, exact accuracy."""
    counts, exact = [], []
    for true, pred in pairs:
        counts.append(shingle_counts(true, pred))
        exact.append(TOKEN.findall(true) == TOKEN.findall(pred))
    precisions = [_ratio(tp, fp, fn) for tp, fp, fn in counts if tp + fp > 0]
    recalls = [_ratio(tp, fn, fp) for tp, fp, fn in counts if tp + fn > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = statistics.mean(exact) if exact else 0.0
    return {"f1": f1, "precision": precision, "recall": recall, "accuracy": accuracy}


# --- the mirror ------------------------------------------------------------------------------


class MirrorProcess:
    """``python -m newsarchive.mirror --quiet <args>`` in a subprocess, and its base URL (the
    first line it prints)."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "newsarchive.mirror", "--quiet", *args]
        self.process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            self.process.kill()
            raise RuntimeError(f"the mirror did not start: {self.base_url!r}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- crawl logs --------------------------------------------------------------------------------

STATS_START = re.compile(r"Dumping Scrapy stats:\s*$", re.M)


def scrapy_stats(log: str) -> dict[str, Any]:
    """The stats dict Scrapy logs when the spider closes (a ``pprint`` of it)."""
    import datetime as dt

    match = STATS_START.search(log)
    if match is None:
        return {}
    text = log[match.end() :].lstrip()
    depth, end = 0, 0
    for i, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            end = i + 1
            break
    return eval(text[:end], {"__builtins__": {}, "datetime": dt})  # our own child's log


# --- reporting --------------------------------------------------------------------------------


def machine_note() -> str:
    """One line: when, where, and how busy the machine was (the figures depend on it)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"load {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, Python {platform.python_version()}"
    )


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table (it reads fine in a terminal and pastes into the README)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    return "\n".join(lines)


def save_result(name: str, data: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>-<UTC time>.json`` (git-ignored) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    return path
