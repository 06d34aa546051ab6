"""Date parsing and UTC normalisation."""

from __future__ import annotations

from datetime import UTC, datetime

from newsarchive.dates import date_from_url, first_valid_datetime, parse_datetime


def test_iso_with_moscow_offsets_goes_to_utc() -> None:
    assert parse_datetime("2026-02-25T01:30:00+03:00") == datetime(2026, 2, 24, 22, 30, tzinfo=UTC)
    assert parse_datetime("2012-06-01T12:00:00+0400") == datetime(2012, 6, 1, 8, 0, tzinfo=UTC)
    assert parse_datetime("2026-02-25T10:00:00Z") == datetime(2026, 2, 25, 10, tzinfo=UTC)


def test_naive_and_human_dates_use_the_site_zone() -> None:
    naive = parse_datetime("2026-02-25T12:00:00", default_tz="Europe/Moscow")
    assert naive == datetime(2026, 2, 25, 9, 0, tzinfo=UTC)
    human = parse_datetime("Updated: Feb. 25, 2026 14:05", default_tz="Europe/Moscow")
    assert human == datetime(2026, 2, 25, 11, 5, tzinfo=UTC)


def test_garbage_is_none() -> None:
    for value in [None, "", "not a date", "Read more", "{}", "9999-99-99"]:
        assert parse_datetime(value) is None


def test_first_valid_skips_implausible_candidates() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    candidates = ["1970-01-01T00:00:00Z", "2031-01-01T00:00:00Z", "garbage", "2026-02-25T10:00Z"]
    assert first_valid_datetime(candidates, now=now) == datetime(2026, 2, 25, 10, tzinfo=UTC)
    assert first_valid_datetime([], now=now) is None


def test_date_from_url() -> None:
    assert date_from_url("https://x/2026/02/25/slug-a1") == datetime(2026, 2, 25, tzinfo=UTC)
    assert date_from_url("https://x/news/19") is None
    assert date_from_url("https://x/2026/13/45/slug-a1") is None
