"""The layout-drift alarm: judged against the site's history, quiet on small honest runs."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from newsarchive.drift import (
    Baseline,
    FillCounter,
    RunFill,
    binomial_tail,
    judge,
    judge_sections,
    quantiles,
    share_at_least,
)
from newsarchive.mirror.registry import build_site
from newsarchive.mirror.server import MirrorServer
from tests.conftest import run_crawl
from tests.state_backends import BACKENDS, open_backend


def article(rng: random.Random, **rates: float) -> dict[str, Any]:
    """An item whose fields are filled with the given probabilities (default 1)."""

    def filled(name: str) -> bool:
        return rng.random() < rates.get(name, 1.0)

    words = int(rng.lognormvariate(6.2, 0.4) * rates.get("words", 1.0))
    return {
        "title": "A title" if filled("title") else None,
        "authors": ["Jane Roe"] if filled("authors") else [],
        "published_at": "2026-01-01" if filled("published_at") else None,
        "modified_at": "2026-01-02" if filled("modified_at") else None,
        "lead": "A lead." if filled("lead") else None,
        "section": "news" if filled("section") else None,
        "tags": ["Russia"] if filled("tags") else [],
        "image_url": "https://x/i.jpg" if filled("image") else None,
        "word_count": words,
    }


def counted(n: int, seed: int, **rates: float) -> FillCounter:
    rng = random.Random(seed)
    counter = FillCounter()
    for _ in range(n):
        counter.add(article(rng, **rates).get)
    return counter


HISTORY = dict(authors=0.98, tags=0.95, lead=0.7, image=0.9, modified_at=0.3)


def history(runs: int = 4, n: int = 80) -> Baseline:
    baseline = Baseline.of(counted(n, seed, **HISTORY).snapshot() for seed in range(runs))
    assert baseline is not None
    return baseline


def test_a_word_count_that_is_not_one_counts_as_none() -> None:
    counter = FillCounter()
    for words in (120, "many", None, 80):
        counter.add({"title": "T", "word_count": words}.get)
    assert counter.items == 4 and counter.count_at_least(1) == 2


def test_binomial_tail_matches_exact_sums() -> None:
    assert binomial_tail(0, 5, 0.98) == pytest.approx(0.02**5)
    assert binomial_tail(1, 4, 0.5) == pytest.approx(5 / 16)
    assert binomial_tail(5, 5, 0.3) == 1.0
    # large runs stay finite and small
    assert 0 < binomial_tail(100, 20_000, 0.5) < 1e-300 or binomial_tail(100, 20_000, 0.5) == 0


def test_quantiles_and_shares() -> None:
    q = quantiles(list(range(101)))
    assert q[0] == 0 and q[10] == 50 and q[-1] == 100
    assert share_at_least(q, 50) == pytest.approx(0.5)
    assert share_at_least(q, -1) == 1.0 and share_at_least(q, 101) == 0.0


def test_fields_that_vanish_are_named_with_before_and_after() -> None:
    baseline = history()
    run = counted(40, 99, **{**HISTORY, "authors": 0.0, "tags": 0.0})
    alarms = {a.field: a for a in judge(run, baseline)}
    assert set(alarms) == {"authors", "tags"}
    assert alarms["authors"].before == pytest.approx(0.98, abs=0.03)
    assert alarms["authors"].after == 0.0
    assert (
        alarms["authors"].message.startswith("authors 9") and "-> 0%" in alarms["authors"].message
    )


def test_an_unchanged_site_raises_nothing_in_runs_of_any_size() -> None:
    baseline = history()
    for n in (1, 3, 5, 12, 40, 300, 3000):
        for seed in range(20):
            assert judge(counted(n, 1000 + seed, **HISTORY), baseline) == [], (n, seed)


def test_small_runs_are_judged_by_how_unlikely_their_fall_is() -> None:
    baseline = history()
    # five articles without authors where 98% had them: not chance
    assert [a.field for a in judge(counted(5, 7, **{**HISTORY, "authors": 0}), baseline)] == [
        "authors"
    ]
    # one article without authors: could be chance
    assert judge(counted(1, 7, **{**HISTORY, "authors": 0}), baseline) == []
    # five without a lead where 70% had one (0.3^5 = 0.2%): could be chance
    assert judge(counted(5, 7, **{**HISTORY, "lead": 0}), baseline) == []
    # ... but not forty
    assert [a.field for a in judge(counted(40, 7, **{**HISTORY, "lead": 0}), baseline)] == ["lead"]


def test_a_halved_body_is_drift_and_modified_at_is_not_judged_by_default() -> None:
    baseline = history()
    halved = judge(counted(60, 5, **{**HISTORY, "words": 0.45}), baseline)
    assert [a.field for a in halved] == ["words"]
    assert halved[0].after < halved[0].before * 0.6
    no_edits = counted(60, 5, **{**HISTORY, "modified_at": 0})
    assert judge(no_edits, baseline) == []
    assert [a.field for a in judge(no_edits, baseline, fields=("modified_at",))] == ["modified_at"]


def test_no_baseline_from_too_few_articles() -> None:
    assert Baseline.of([counted(10, 1).snapshot()]) is None
    assert judge(counted(10, 2, authors=0), None) == []


def test_sections_that_fail_or_list_nothing_are_named() -> None:
    alarms = judge_sections(
        {
            "news": {"pages": 12, "end": "exhausted"},
            "business": {"pages": 0, "end": "failed", "failure": "http_404"},
            "opinion": {"pages": 1, "end": "exhausted", "empty_first_page": True},
            "culture": {"pages": 3, "end": "failed", "failure": "http_503"},
        }
    )
    assert [a.field for a in alarms] == ["listing:business", "listing:opinion"]
    assert "http_404" in alarms[0].message


@pytest.mark.parametrize("backend", BACKENDS)
def test_history_skips_alarmed_runs_and_stops_at_an_accepted_one(
    backend: str, tmp_path: Path
) -> None:
    state = open_backend(backend, tmp_path)
    fill = RunFill(10, {"title": 10}, [1.0, 2.0])
    state.record_fill("r1", "s", RunFill(10, {"title": 1}, []), alarmed=False, accepted=False)
    state.record_fill("r2", "s", fill, alarmed=False, accepted=True)
    state.record_fill("r3", "s", RunFill(10, {"title": 0}, []), alarmed=True, accepted=False)
    state.record_fill("r4", "s", fill, alarmed=False, accepted=False)
    state.record_fill("r5", "other", fill, alarmed=False, accepted=False)
    got = state.fill_history("s", runs=10)
    assert [r.filled["title"] for r in got] == [10, 10]  # r4, r2; not r3 (alarm), not r1
    assert len(state.fill_history("s", runs=1)) == 1


# --- end to end: the mirror's redesign fails the next run ---------------------------------


def manifest_drift(result: Any) -> dict[str, Any]:
    return result.manifest["drift"]


def test_a_redesign_fails_the_next_run_and_names_the_fields(tmp_path: Path) -> None:
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=80, seed=11)) as server:
        first = run_crawl(server.base_url, output)
        assert first.returncode == 0, first.log[-3000:]
        assert manifest_drift(first)["status"] == "no_history"
        assert first.manifest["fields"]["fill"]["authors"] > 0.8

        server.advance(new_articles=12, updated_articles=0, hours=3)
        calm = run_crawl(server.base_url, output)
        assert calm.returncode == 0, calm.log[-3000:]
        assert manifest_drift(calm)["status"] == "ok"

        server.advance(new_articles=12, updated_articles=0, hours=3, redesign=True)
        drifted = run_crawl(server.base_url, output)
        assert drifted.returncode == 1, drifted.log[-3000:]
        alarms = {a["field"] for a in manifest_drift(drifted)["alarms"]}
        assert alarms == {"authors", "tags"}
        errors = [
            line for line in drifted.log.splitlines() if "layout drift on moscowtimes" in line
        ]
        assert errors and "authors" in errors[0] and "tags" in errors[0] and "-> 0%" in errors[0]
        assert drifted.manifest["status"] == "failed"

        # the alarm holds until the change is accepted: the next run is judged as before
        server.advance(new_articles=6, updated_articles=0, hours=3)
        again = run_crawl(server.base_url, output)
        assert again.returncode == 1
        accepted = run_crawl(server.base_url, output, settings={"NEWSARCHIVE_DRIFT_ACCEPT": "true"})
        assert accepted.returncode == 0, accepted.log[-3000:]
        assert manifest_drift(accepted)["status"] == "accepted"


def test_a_section_that_answers_404_fails_a_run_of_any_size(tmp_path: Path) -> None:
    """Judged the same in a first crawl and in a small hourly run."""
    output = tmp_path / "output"
    with MirrorServer(build_site(articles=120, seed=12)) as server:
        server.site.gone_sections = {"business"}
        first = run_crawl(server.base_url, output)
        server.advance(new_articles=5, updated_articles=0, hours=1)
        hourly = run_crawl(server.base_url, output)
    for result in (first, hourly):
        assert result.returncode == 1, result.log[-3000:]
        assert "section 'business': its first listing page failed for good (http_404)" in (
            result.log
        )
        assert {a["field"] for a in result.manifest["drift"]["alarms"]} == {"listing:business"}
