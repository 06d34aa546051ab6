"""Both backends of the cross-run state, for tests of its API: SQLite in ``tmp_path``, and
Redis in one throw-away redis-server per test process (a fresh key prefix per test).

A test file asks for them with a fixture of its own::

    @pytest.fixture(params=BACKENDS)
    def state(request, tmp_path):
        state = open_backend(request.param, tmp_path)
        yield state
        state.close()
"""

from __future__ import annotations

import atexit
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from newsarchive.state import ArchiveState, open_state
from tests.services import redis_server

BACKENDS = ("sqlite", "redis")
PASSWORD = "s3cret-state"
"""The test Redis asks for a password (which no log line or manifest may show)."""

_servers = ExitStack()
atexit.register(_servers.close)
_url: str | None = None


def redis_state_url() -> str:
    """The URL of this process's test Redis (started on first use, stopped at exit)."""
    global _url
    if _url is None:
        _url = _servers.enter_context(redis_server(password=PASSWORD))
    return _url


def fresh_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def open_backend(kind: str, tmp_path: Path) -> Any:
    if kind == "sqlite":
        return ArchiveState(tmp_path / "state.sqlite")
    return open_state(f"{redis_state_url()}?prefix={fresh_prefix()}")
