"""Backoff that recovers: a 429/503 now and then delays only its own retry; sustained ones
slow the site down for a while, and the manifest says so (``middlewares/retry.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsarchive.evaluate import load_archive
from newsarchive.mirror import build_site
from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.server import MirrorServer
from tests.conftest import run_crawl

MIRROR_NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)  # past: nothing in the revisit window


def crawl_with(plan: FaultPlan, tmp_path: Path, articles: int, **settings: str):  # type: ignore[no-untyped-def]
    with MirrorServer(build_site(articles, 3, MIRROR_NOW), faults=plan) as server:
        result = run_crawl(server.base_url, tmp_path / "output", settings=settings)
        truth = server.ground_truth()
    servable = {
        a["url"] for a in truth["articles"] if a["servable_within"] and a["servable_within"] <= 4
    }
    archived = {r["url"] for r in load_archive(tmp_path / "output")}
    return result, servable, archived


def test_sporadic_503s_do_not_slow_the_site_down(tmp_path: Path) -> None:
    plan = FaultPlan(kinds=frozenset({"http503"}), rate=0.05, hostile_rate=0)
    result, servable, archived = crawl_with(plan, tmp_path, 240)
    slowdowns = result.manifest["slowdowns"]
    assert slowdowns["answers"].get("503", 0) > 0  # the faults were met...
    assert slowdowns["episodes"] == 0 and slowdowns["seconds"] == 0  # ...one by one
    assert servable <= archived
    assert "Slowing down" not in result.log


def test_sustained_429s_slow_the_site_down_then_it_recovers(tmp_path: Path) -> None:
    # Retry-After: 1 on every page's first answer or two; capped at 0.1 s to keep the test short
    plan = FaultPlan(kinds=frozenset({"http429"}), rate=1.0, hostile_rate=0)
    result, servable, archived = crawl_with(plan, tmp_path, 30, NEWSARCHIVE_RETRY_BACKOFF_MAX="0.1")
    slowdowns = result.manifest["slowdowns"]
    assert slowdowns["episodes"] >= 1 and slowdowns["seconds"] > 0
    assert slowdowns["answers"]["429"] >= len(servable)
    assert "Slowing down" in result.log and "is back at full speed after" in result.log
    assert servable <= archived
