"""The manifest's peak memory is the crawl's own, not that of the process that started it."""

from __future__ import annotations

import subprocess
import sys

from newsarchive.extensions.run import peak_memory_bytes
from tests.conftest import REPO

CHILD = (
    "import resource; from newsarchive.extensions.run import peak_memory_bytes; "
    "print(peak_memory_bytes(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"
)


def test_a_child_of_a_big_process_reports_its_own_peak() -> None:
    ballast = bytearray(400 * 2**20)  # this process: 400 MiB more, touched
    ballast[::4096] = b"x" * len(ballast[::4096])
    own = peak_memory_bytes()
    assert own is not None and own > 400 * 2**20
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, check=True
    )
    child_peak, child_maxrss = map(int, done.stdout.split())
    del ballast
    # ru_maxrss (Scrapy's memusage/max) carries the parent's peak over the exec; VmHWM does not
    assert child_maxrss > 400 * 2**20
    assert child_peak < 200 * 2**20
