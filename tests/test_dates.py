"""Date parsing, UTC normalisation, and the choice among a page's dates by source."""

from __future__ import annotations

from datetime import UTC, datetime

from newsarchive.dates import (
    RESTATED,
    DateCandidate,
    FoundDate,
    ParsedDate,
    choose,
    date_from_url,
    first_valid_datetime,
    parse_date,
    parse_datetime,
    rank,
    url_date_candidates,
)


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


FETCHED = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def test_the_best_source_wins_whatever_order_the_candidates_come_in() -> None:
    candidates = [
        DateCandidate("2026-03-04", "url"),
        DateCandidate("Tue, 03 Mar 2026 08:00:00 GMT", "feed"),
        DateCandidate("2026-03-03T09:15:00+01:00", "jsonld"),
        DateCandidate("2026-03-03T10:15:00+01:00", "time"),
    ]
    found = choose(candidates, fetched_at=FETCHED).found
    assert found == FoundDate(datetime(2026, 3, 3, 8, 15, tzinfo=UTC), candidates[2].raw, "jsonld")
    # without the structured data, the feed's RFC 822 date beats the <time> and the URL
    found = choose([c for c in candidates if c.source != "jsonld"], fetched_at=FETCHED).found
    assert found == FoundDate(datetime(2026, 3, 3, 8, tzinfo=UTC), candidates[1].raw, "feed")
    assert [c.source for c in rank(candidates)] == ["jsonld", "feed", "time", "url"]


def test_implausible_dates_are_passed_over_with_their_reason() -> None:
    candidates = [
        DateCandidate("2026-03-09T10:00:00Z", "jsonld"),  # four days after the fetch
        DateCandidate("1991-05-01T10:00:00Z", "meta"),  # before the site started
        DateCandidate("not a date 1", "news_sitemap"),
        DateCandidate("2026-03-04T10:00:00Z", "feed"),
    ]
    founded = datetime(1992, 10, 2, tzinfo=UTC)
    choice = choose(candidates, fetched_at=FETCHED, earliest=founded)
    assert choice.found == FoundDate(
        datetime(2026, 3, 4, 10, tzinfo=UTC), candidates[3].raw, "feed"
    )
    assert choice.rejected == ["after_fetch", "before_site", "unparsable"]
    assert choose(candidates[:3], fetched_at=FETCHED, earliest=founded).found is None
    # without a founding day, 1991 is a plausible date of a web page
    assert choose(candidates[:3], fetched_at=FETCHED).found.source == "meta"


def test_a_day_without_a_time_is_midnight_utc_of_that_day_in_any_zone() -> None:
    # Midnight in Moscow is the day before in UTC: a bare day must stay in its own partition.
    for value in ("2026-03-05", "5. März 2026", "March 5, 2026"):
        parsed = parse_date(value, default_tz="Europe/Moscow", languages=("de", "en"))
        assert parsed == ParsedDate(datetime(2026, 3, 5, tzinfo=UTC), True), value
    # a day is in the future only once it has begun nowhere on Earth
    assert choose([DateCandidate("2026-03-06", "url")], fetched_at=FETCHED).found is not None
    assert choose([DateCandidate("2026-03-07", "url")], fetched_at=FETCHED).found is None


def test_a_naive_time_in_an_unknown_zone_keeps_only_its_day() -> None:
    # generic mode: no zone is known, and the wall time could be anywhere
    assert parse_date("2026-03-05T23:30:00", default_tz=None) == ParsedDate(
        datetime(2026, 3, 5, tzinfo=UTC), True
    )
    assert parse_date("2026-03-05T23:30:00+01:00", default_tz=None) == ParsedDate(
        datetime(2026, 3, 5, 22, 30, tzinfo=UTC), False
    )
    assert parse_date("05.03.2026, 23:30 Uhr", default_tz=None, languages=("de",)) == ParsedDate(
        datetime(2026, 3, 5, tzinfo=UTC), True
    )
    berlin = parse_date("05.03.2026, 23:30 Uhr", default_tz="Europe/Berlin", languages=("de",))
    assert berlin == ParsedDate(datetime(2026, 3, 5, 22, 30, tzinfo=UTC), False)


def test_visible_dates_in_several_languages_and_relative_to_the_fetch() -> None:
    def read(value: str, *languages: str) -> datetime | None:
        found = choose(
            [DateCandidate(value, "text")],
            default_tz="Europe/Berlin",
            fetched_at=FETCHED,
            languages=languages,
        ).found
        return found.at if found else None

    assert read("5. März 2026 um 9:15 Uhr", "de") == datetime(2026, 3, 5, 8, 15, tzinfo=UTC)
    assert read("vor 3 Stunden", "de") == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert read("2 hours ago", "en") == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert read("3 марта 2026", "ru") == datetime(2026, 3, 3, tzinfo=UTC)


def test_url_days() -> None:
    assert url_date_candidates("https://x.org/2026/03/05/a/") == [
        DateCandidate("2026-03-05", "url")
    ]
    assert url_date_candidates("https://x.org/news/story-20260305-1.html") == [
        DateCandidate("2026-03-05", "url")
    ]
    assert url_date_candidates("https://x.org/news/12345678/") == []


def test_numeric_dates_with_the_year_last_are_day_first() -> None:
    # dateparser, with English among the languages, reads 12.11.2021 as December 11
    assert parse_date("12.11.2021", default_tz="Europe/Berlin") == ParsedDate(
        datetime(2021, 11, 12, tzinfo=UTC), True
    )
    assert parse_datetime("01-11-2023 10:29", default_tz="Europe/Vienna") == datetime(
        2023, 11, 1, 9, 29, tzinfo=UTC
    )
    assert parse_date("2020.05.04", default_tz=None) == ParsedDate(
        datetime(2020, 5, 4, tzinfo=UTC), True
    )
    assert parse_date("31.02.2021") is None


def test_a_utc_winner_is_archived_as_the_page_states_it_in_its_own_offset() -> None:
    utc = DateCandidate("2023-11-09T01:49:09Z", "jsonld")
    local = DateCandidate("2023-11-08T17:49:09-08:00", RESTATED)
    found = choose([utc, local], default_tz=None, fetched_at=FETCHED).found
    assert found == FoundDate(datetime(2023, 11, 9, 1, 49, 9, tzinfo=UTC), local.raw, "jsonld")
    # a <time> element's statement of the same instant serves as well
    time = DateCandidate("2023-11-08T20:49:09-05:00", "time")
    assert choose([time, utc], fetched_at=FETCHED).found == FoundDate(
        datetime(2023, 11, 9, 1, 49, 9, tzinfo=UTC), time.raw, "jsonld"
    )
    # another instant, a winner stated in an offset already, a day: each as it was
    other = DateCandidate("2023-11-08T17:49:00-08:00", RESTATED)
    assert choose([utc, other], fetched_at=FETCHED).found.raw == utc.raw  # type: ignore[union-attr]
    stated = DateCandidate("2023-11-09T02:49:09+01:00", "meta")
    assert choose([stated, local], fetched_at=FETCHED).found.raw == stated.raw  # type: ignore[union-attr]
    day = DateCandidate("2023-11-09", "url")
    assert choose([day, local], fetched_at=FETCHED).found.raw == day.raw  # type: ignore[union-attr]


def test_a_restatement_alone_dates_nothing() -> None:
    restated = DateCandidate("2023-11-08T17:49:09-08:00", RESTATED)
    assert choose([restated], fetched_at=FETCHED).found is None


def test_written_strings_that_name_no_day_are_no_dates() -> None:
    for value in ("1988", "2019", "November 2019", "15 \u2013 30 Min", "20 Minuten"):
        assert parse_date(value, default_tz=None, languages=("de", "en")) is None, value
    assert parse_date("vor 20 Minuten", relative_base=FETCHED, languages=("de",)) is not None
    epoch = parse_date("1651035600")  # a number that is no year: dateparser's to read
    assert epoch is not None and epoch.at.date().isoformat() == "2022-04-27"


def test_a_date_in_another_language_than_the_page_says_is_still_read() -> None:
    # a German site whose theme says lang="en"
    assert parse_date("6. Mai 2014", default_tz=None, languages=("en",)) == ParsedDate(
        datetime(2014, 5, 6, tzinfo=UTC), True
    )


def test_english_days_and_times_read_as_dateparser_reads_them() -> None:
    from newsarchive.dates import _dateparser, _parse_english_day_and_time

    base = datetime(2026, 11, 30, 12, tzinfo=UTC)
    for text in (
        "November 19, 2019, 9:02 AM",
        "Nov 20, 2019 01:41 PM",
        "November 20, 2019 12:32",
        "Sept 03, 2019, 12:05 am",
        "DEC 31, 1999 12:59 pm",
        "may 1, 2026 0:00",
        "Feb 29, 2024 23:59",
    ):
        read = _parse_english_day_and_time(text)
        assert read is not None and read == _dateparser(text, "UTC", base, ("en",)), text
    for text in (
        "Feb 30, 2024 10:00",
        "Nov 20, 2019 13:41 PM",
        "Nov 20, 2019 0:41 AM",
        "Nov 20, 2019 24:00",
        "Nov 20, 2019 10:60",
        "Tue Nov 19 2019 03:05:46 GMT+0000",
        "Mai 20, 2019 10:00",
        "November 20, 2019",
    ):
        assert _parse_english_day_and_time(text) is None, text
    assert parse_date("Nov 20, 2019 01:41 PM") == ParsedDate(
        datetime(2019, 11, 20, 13, 41, tzinfo=UTC), False
    )
    # a wall time in an unknown zone: its day only, as ever
    assert parse_date("Nov 20, 2019 01:41 PM", default_tz=None) == ParsedDate(
        datetime(2019, 11, 20, tzinfo=UTC), True
    )


def test_script_times_read_as_dateparser_reads_them() -> None:
    from newsarchive.dates import _dateparser, _parse_script_time

    for text in (
        "Tue Nov 19 2019 03:05:46 GMT+0000",
        "Mon Nov 19 2019 23:05:46 GMT-0800",
        "Sun Feb 29 2024 00:00:00 GMT+1400",
        "Sat Jan 01 2000 12:00:00 GMT-1200",
    ):
        read = _parse_script_time(text)
        assert read is not None and read == _dateparser(text, "UTC", None, ("en",)), text
    for text in (
        "Tue Nov 19 2019 03:05:46 GMT+0530",  # minutes: left to dateparser
        "Tue Nov 19 2019 03:05:46 GMT-1300",  # no zone has it
        "Tue Feb 30 2019 03:05:46 GMT+0000",
        "Tue Nov 19 2019 03:05:46 GMT+0000 (Coordinated Universal Time)",
    ):
        assert _parse_script_time(text) is None, text


def test_days_written_with_month_names_read_as_dateparser_reads_them() -> None:
    from newsarchive.dates import _dateparser, _parse_written_day

    for text in (
        "November 22, 2011",
        "Jan 18, 2019",
        "6. August 2009",
        "26 Okt 2018",
        "Feb. 19 2020",
        "19 NOV 2019",
        "11 septembre 2019",
        "6. Mai 2014",
        "3 марта 2026",
        "Sept. 3, 2019",
        "March 5th, 2026",
    ):
        read = _parse_written_day(text)
        assert read is not None and read == _dateparser(text, "UTC", None, ()).replace(
            tzinfo=None
        ), text
    for text in ("31 Feb 2020", "5 de marzo de 2020", "06/13/2019", "Foo 12, 2020", "12 May 1880"):
        assert _parse_written_day(text) is None, text
    assert parse_date("14 gennaio 2020", default_tz=None) == ParsedDate(
        datetime(2020, 1, 14, tzinfo=UTC), True
    )
