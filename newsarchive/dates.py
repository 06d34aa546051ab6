"""Date candidates, with where each was found, parsed to UTC and chosen: pure functions.

Pages state their dates in several places that disagree on purpose: on The Moscow Times
the visible byline time becomes the *update* time once an article is edited, while the head
(``article:published_time``, JSON-LD ``datePublished``) keeps the publication time. So each
extractor hands over every date string it finds as a ``DateCandidate`` tagged with its
source, and ``choose`` takes the first, in the fixed order of ``SOURCES``, that parses to a
plausible instant. The string and the source of the winner are archived with it
(``published_at_raw``, ``published_at_source``).

Parsing: ISO 8601 (heads, JSON-LD, sitemaps) and RFC 822 (RSS) by the standard library;
dateparser, the slow fallback, for human-written strings ("Feb. 25, 2026", "5. März 2026",
"vor 3 Stunden", the latter against the fetch time). A naive time is read in the site's time
zone; with none known (generic mode) only its calendar day is kept. A value with a day and
no time of day (a URL's ``/2026/03/05/``, "5. März 2026", htmldate) is 00:00 UTC of that
day, so that it lands in that day's partition whatever the zone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

SOURCES = (
    "profile",
    "jsonld",
    "meta",
    "news_sitemap",
    "feed",
    "time",
    "url",
    "text",
    "htmldate",
)
"""Where a date was found, best first: a site profile's own selector (it names the date where
the structured data is wrong on that site), JSON-LD (``@graph`` too), article ``<meta>``, the
Google News sitemap's ``news:publication_date``, the RSS/Atom feed's date, a ``<time>``
element, the ``/YYYY/MM/DD/`` of the URL, a date in the visible text, htmldate's guess."""
_RANK = {source: rank for rank, source in enumerate(SOURCES)}
RESTATED = "restated"
"""The source of a string that only restates another candidate's instant in another offset
(an analytics tag's ``2023-11-08T17:49:09-08:00`` beside JSON-LD's ``2023-11-09T01:49:09Z``):
never chosen for itself; ``choose`` archives it as the winner's string (see there)."""

# Anything before this is not a publication date on the web (guards against 1970 epochs and
# two-digit-year accidents); a profile may say when its site started (``founded``).
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
# Later than the fetch by more than this is an error. Not zero: clocks drift, embargoed
# stories are pre-dated, a site whose time zone is mislabelled is off by up to a day, and
# CMSs stamp scheduled edits ahead.
FUTURE_TOLERANCE = timedelta(days=2)
# A day with no time of day is in the future only when it has begun nowhere on Earth.
_DAY_TOLERANCE = timedelta(hours=14)

_ISO_FIX_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")  # +0300 -> +03:00 (older Pythons, feeds)
_UPDATED_PREFIX = re.compile(
    r"^\s*(updated|last updated|published|posted|veröffentlicht|aktualisiert|"
    r"erschienen|stand)\s*(am|on)?\s*:?\s*",
    re.I,
)
_DIGIT = re.compile(r"\d")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}|\d\s*(uhr|h)\b", re.I)
_RELATIVE = re.compile(
    r"\b(ago|vor|назад|hours?|minutes?|mins?|stunden?|minuten?|час|мин)\b", re.I | re.U
)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_URL_DAY = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/")
_URL_DAY_COMPACT = re.compile(r"[/_-]((?:19|20)\d{2})-?(\d{2})-?(\d{2})(?=[/_.-])")


class DateCandidate(NamedTuple):
    """A date string as found on or about a page, and where (one of ``SOURCES``)."""

    raw: str
    source: str


class ParsedDate(NamedTuple):
    """A parsed instant in UTC; ``day_only``: the string named a day, not a time of it."""

    at: datetime
    day_only: bool


class FoundDate(NamedTuple):
    """The chosen date: its instant in UTC, the string it was read from, and its source."""

    at: datetime
    raw: str
    source: str


@dataclass
class DateChoice:
    """What ``choose`` made of a field's candidates: the date (or None) and, once each, why
    candidates ranked above it were passed over (``unparsable``, ``after_fetch``,
    ``before_site``)."""

    found: FoundDate | None = None
    rejected: list[str] = field(default_factory=list)


def parse_datetime(
    value: str | None,
    *,
    default_tz: str | None = "UTC",
    relative_base: datetime | None = None,
    languages: Sequence[str] = (),
) -> datetime | None:
    """Parse one date string to an aware UTC datetime, or ``None`` if it is not a date."""
    parsed = parse_date(
        value, default_tz=default_tz, relative_base=relative_base, languages=tuple(languages)
    )
    return parsed.at if parsed else None


@functools.lru_cache(maxsize=4096)
def parse_date(
    value: str | None,
    *,
    default_tz: str | None = "UTC",
    relative_base: datetime | None = None,
    languages: tuple[str, ...] = (),
) -> ParsedDate | None:
    """Parse one date string (see the module's docstring for the rules), or ``None``.

    Cached: the spider tries a page's candidates before the dates stage does, with the same
    arguments, and dateparser is slow.
    """
    if not value or not isinstance(value, str):
        return None
    text = _UPDATED_PREFIX.sub("", " ".join(value.split()))
    if not text or not _DIGIT.search(text):
        return None  # dateparser would happily read "yesterday" or a whole sentence
    parsed = parse_iso(text) or _parse_rfc822(text) or _parse_numeric(text)
    day_only = bool(_ISO_DAY.match(text) or _NUMERIC_DAY.match(text))
    if parsed is None:
        parsed = _parse_written_day(text)
        day_only = parsed is not None
    if parsed is None:
        if not _may_name_a_day(text):
            return None
        parsed = _parse_human(text, default_tz or "UTC", relative_base, languages)
        if parsed is None:
            return None
        relative = _RELATIVE.search(text) is not None and not _YEAR.search(text)
        day_only = not relative and not _TIME_OF_DAY.search(text)
        if default_tz is None and not relative and not _has_zone(text):
            parsed = parsed.replace(tzinfo=None)  # dateparser made up a zone: none was said
    if parsed.tzinfo is None and not day_only:
        if default_tz is None:
            day_only = True  # a wall time in an unknown zone: only its day is certain
        else:
            parsed = parsed.replace(tzinfo=_zone(default_tz))
    if day_only:
        return ParsedDate(datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC), True)
    return ParsedDate(parsed.astimezone(UTC), False)


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date or time (``Z`` and ``+0300`` offsets too), or None."""
    candidate = text.replace("Z", "+00:00") if text.endswith("Z") else text
    candidate = _ISO_FIX_OFFSET.sub(r"\1:\2", candidate)
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


_CLOCK_SUFFIX = r"(?:[ ,T]+(?:um\s+|at\s+)?(\d{1,2})[:.](\d{2})(?::(\d{2}))?(?:\s*Uhr)?)?$"
_NUMERIC_DMY = re.compile(r"^(\d{1,2})[.-](\d{1,2})[.-](\d{4})" + _CLOCK_SUFFIX)
_NUMERIC_YMD = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})" + _CLOCK_SUFFIX)
_NUMERIC_DAY = re.compile(r"^(?:\d{1,2}[.-]\d{1,2}[.-]\d{4}|\d{4}[./]\d{1,2}[./]\d{1,2})\.?$")


def _parse_numeric(text: str) -> datetime | None:
    """``05.03.2026``, ``05-03-2026 10:29``, ``2026.03.05``, ``2026/03/05``: day before month
    wherever the year comes last with dots or dashes (no locale writes those month first;
    dateparser, given English among the languages, reads ``12.11.2021`` as December 11)."""
    match = _NUMERIC_DMY.match(text)
    if match:
        day, month, year = match.group(1, 2, 3)
    else:
        match = _NUMERIC_YMD.match(text)
        if not match:
            return None
        year, month, day = match.group(1, 2, 3)
    hour, minute, second = (int(v) if v else 0 for v in match.group(4, 5, 6))
    try:
        return datetime(int(year), int(month), int(day), hour, minute, second)
    except ValueError:
        return None


# Month names and their abbreviations (English, German, French, Spanish, Italian, Dutch,
# Portuguese; Russian in the genitive a day takes and the nominative), lower-case. No name
# stands for two months across these languages.
_MONTH_NAMES = (
    "january jan januar jänner jän janvier janv enero ene gennaio gen januari janeiro"
    " января январь",
    "february feb februar février fevrier févr fév fev febrero febbraio februari fevereiro"
    " февраля февраль",
    "march mar märz maerz mär mrz mars marzo maart mrt março marco марта март",
    "april apr avril avr abril aprile апреля апрель",
    "may mai mayo maggio mag mei maio мая май",
    "june jun juni juin junio giugno giu junho июня июнь",
    "july jul juli juillet juil julio luglio lug julho июля июль",
    "august aug août aout agosto ago augustus августа август",
    "september sep sept septembre septiembre setiembre settembre set setembro сентября сентябрь",
    "october oct oktober okt octobre octubre ottobre ott outubro out октября октябрь",
    "november nov novembre noviembre novembro ноября ноябрь",
    "december dec dezember dez décembre decembre déc diciembre dic dicembre dezembro декабря"
    " декабрь",
)
_MONTHS = {name: month for month, names in enumerate(_MONTH_NAMES, 1) for name in names.split()}
_WRITTEN_DAY_FIRST = re.compile(r"^(\d{1,2})\.?\s+([^\W\d_]+)\.?,?\s+((?:19|20)\d{2})$")
_WRITTEN_MONTH_FIRST = re.compile(
    r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\.?,?\s+((?:19|20)\d{2})$"
)


def _parse_written_day(text: str) -> datetime | None:
    """A day written with its month's name and no time of day, either way round ("5. März
    2026", "5 mars 2026", "March 5th, 2026", "Feb. 19 2020"), in the languages of
    ``_MONTH_NAMES``: what dateparser reads them as, without dateparser (about a
    millisecond a string)."""
    match = _WRITTEN_DAY_FIRST.match(text)
    if match:
        day, name, year = match.groups()
    else:
        match = _WRITTEN_MONTH_FIRST.match(text)
        if not match:
            return None
        name, day, year = match.groups()
    month = _MONTHS.get(name.lower())
    if month is None:
        return None
    try:
        return datetime(int(year), month, int(day))
    except ValueError:
        return None


def _parse_rfc822(text: str) -> datetime | None:
    """RSS's ``Mon, 06 Nov 2023 14:00:00 GMT`` (``-0000`` and no zone: naive)."""
    if "," not in text[:5] and not text[:1].isdigit():
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


_ZONE_WORD = re.compile(r"(?:[+-]\d{2}:?\d{2}|\b(?:UTC|GMT|Z|[A-Z]{2,4}T|MSK)\b)\s*$")


def _has_zone(text: str) -> bool:
    return _ZONE_WORD.search(text) is not None


_NUMBER = re.compile(r"\d+")
_A_YEAR = re.compile(r"(?:19|20)\d{2}")
_RELATIVE_MARK = re.compile(
    r"\b(ago|vor|назад|il y a|hace|fa|geleden|temu|today|yesterday|heute|gestern|сегодня"
    r"|вчера|aujourd'hui|hier|hoy|ayer|oggi|ieri)\b",
    re.I | re.U,
)


def _may_name_a_day(text: str) -> bool:
    """False for a written string that names no day, which dateparser would complete with
    today's: a year alone or with its month ("1988", "November 2019"; its only number is
    the year), an amount of time that is no time ago ("15 - 30 Min", a recipe's)."""
    if all(_A_YEAR.fullmatch(number) for number in _NUMBER.findall(text)):
        return False
    return not (
        _RELATIVE.search(text) and not _YEAR.search(text) and not _RELATIVE_MARK.search(text)
    )


# An English day with its month's name and a time of day ("November 19, 2019, 9:02 AM",
# "Nov 20, 2019 01:41 PM", "November 20, 2019 12:32"): the bylines of US news sites.
_ENGLISH_MONTH_NAMES = (
    "january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
    "august aug", "september sep sept", "october oct", "november nov", "december dec",
)  # fmt: skip
_ENGLISH_MONTHS = {
    name: month for month, names in enumerate(_ENGLISH_MONTH_NAMES, 1) for name in names.split()
}
_ENGLISH_DAY_AND_TIME = re.compile(
    r"^([A-Za-z]+) (\d{1,2}), ((?:19|20)\d{2}),? (\d{1,2}):(\d{2})(?: ([AaPp][Mm]))?$"
)


def _parse_english_day_and_time(text: str) -> datetime | None:
    """What dateparser reads an English day and time of ``_ENGLISH_DAY_AND_TIME`` as, in
    English and UTC, without dateparser (about a millisecond and a half a string); None for
    any other text, and for a day or time that does not exist."""
    match = _ENGLISH_DAY_AND_TIME.match(text)
    if not match:
        return None
    name, day, year, hour_text, minute, half = match.groups()
    month = _ENGLISH_MONTHS.get(name.lower())
    hour = int(hour_text)
    if month is None or (half and not 1 <= hour <= 12):
        return None
    if half:
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    try:
        return datetime(int(year), month, int(day), hour, int(minute), tzinfo=UTC)
    except ValueError:
        return None


# JavaScript's ``Date.toString()``: "Tue Nov 19 2019 03:05:46 GMT+0000".
_SCRIPT_TIME = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) (\d{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})"
    r" GMT([+-]\d{2})00$"
)


def _parse_script_time(text: str) -> datetime | None:
    """What dateparser reads a ``_SCRIPT_TIME`` as, in English and UTC (the instant its
    offset says; the weekday is not checked), without dateparser; None for any other text,
    for a time that does not exist, and for an offset of whole hours that no zone has
    (dateparser reads none of those; nor an offset with minutes, where it knows only some:
    those are left to it)."""
    match = _SCRIPT_TIME.match(text)
    if not match:
        return None
    name, day, year, hour, minute, second, offset_hours = match.groups()
    month = _ENGLISH_MONTHS.get(name.lower())
    if month is None or not -12 <= int(offset_hours) <= 14:
        return None
    offset = timedelta(hours=int(offset_hours))
    try:
        local = datetime(int(year), month, int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    return (local - offset).replace(tzinfo=UTC)


def _parse_human(
    text: str, default_tz: str, relative_base: datetime | None, languages: tuple[str, ...]
) -> datetime | None:
    """dateparser's reading of ``text`` in ``languages``; if none, in ``_LANGUAGES`` (a
    page's language is often mislabelled: a German site whose theme says ``lang="en"``).
    An English day and time, or a script's time, read in English and UTC is read without
    it."""
    found = None
    if default_tz == "UTC" and languages == ("en",):
        found = _parse_english_day_and_time(text) or _parse_script_time(text)
    if found is None:
        found = _dateparser(text, default_tz, relative_base, languages)
    if found is None and languages and not set(_LANGUAGES) <= set(languages):
        found = _dateparser(text, default_tz, relative_base, ())
    return found


def _dateparser(
    text: str, default_tz: str, relative_base: datetime | None, languages: tuple[str, ...]
) -> datetime | None:
    if len(text) > 64:
        return None
    import dateparser  # slow to import: only pay for it when a page needs it

    settings: dict[str, object] = {
        "TIMEZONE": default_tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
        "STRICT_PARSING": False,
    }
    if relative_base is not None:
        # dateparser wants the base as a wall time in TIMEZONE.
        local = relative_base.astimezone(_zone(default_tz)).replace(tzinfo=None)
        settings["RELATIVE_BASE"] = local
    try:
        return dateparser.parse(text, languages=list(languages or _LANGUAGES), settings=settings)
    except (ValueError, OverflowError):
        return None


_LANGUAGES = ("en", "de", "ru", "fr", "es")
"""Tried when the page's language is unknown (dateparser's own detection is slow and
guesses wrong on short strings)."""


def _zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo

    return UTC if name == "UTC" else ZoneInfo(name)


def implausibility(
    parsed: ParsedDate, *, fetched_at: datetime | None = None, earliest: datetime | None = None
) -> str | None:
    """Why a parsed date cannot be a publication or update time of a page fetched at
    ``fetched_at`` (``after_fetch``, ``before_site``), or None if it can be."""
    fetched_at = fetched_at or datetime.now(UTC)
    if parsed.at < (earliest or EARLIEST_PLAUSIBLE):
        return "before_site"
    if parsed.day_only:
        if parsed.at.date() > (fetched_at + _DAY_TOLERANCE).date():
            return "after_fetch"
    elif parsed.at > fetched_at + FUTURE_TOLERANCE:
        return "after_fetch"
    return None


def is_plausible(value: datetime, *, now: datetime | None = None) -> bool:
    """A publication instant between 1990 and a little after now."""
    return implausibility(ParsedDate(value, False), fetched_at=now) is None


def rank(candidates: Iterable[DateCandidate]) -> list[DateCandidate]:
    """The candidates in ``SOURCES`` order (stable: a source's own order is kept)."""
    return sorted(candidates, key=lambda c: _RANK.get(c.source, len(SOURCES)))


def choose(
    candidates: Iterable[DateCandidate],
    *,
    default_tz: str | None = "UTC",
    fetched_at: datetime | None = None,
    earliest: datetime | None = None,
    languages: Sequence[str] = (),
) -> DateChoice:
    """The best candidate (``SOURCES`` order) that parses to a plausible date.

    A winner stated in UTC (``...Z``, ``+00:00``) is archived with the string of another
    candidate that states the same instant in another offset, if there is one (a ``<time>``
    element, an analytics tag: ``RESTATED``), with the winner's source: the same instant,
    as the site writes it, whose day is the day the site dates it (a UTC time after the
    site's midnight falls on the day before)."""
    choice = DateChoice()
    candidates = list(candidates)
    for candidate in rank(candidates):
        if candidate.source == RESTATED:
            continue
        parsed = parse_date(
            candidate.raw,
            default_tz=default_tz,
            relative_base=fetched_at,
            languages=tuple(languages),
        )
        reason = (
            "unparsable"
            if parsed is None
            else implausibility(parsed, fetched_at=fetched_at, earliest=earliest)
        )
        if reason is None and parsed is not None:
            raw = candidate.raw if parsed.day_only else _in_own_offset(candidate.raw, candidates)
            choice.found = FoundDate(parsed.at, raw, candidate.source)
            return choice
        if reason not in choice.rejected:
            choice.rejected.append(reason)
    return choice


def utc_instant(value: str) -> datetime | None:
    """The instant of an ISO 8601 time stated in UTC (``Z``, ``+00:00``); else None."""
    at = parse_iso(" ".join(value.split()))
    offset = at.utcoffset() if at is not None else None
    return at if offset is not None and not offset else None


def _in_own_offset(raw: str, candidates: list[DateCandidate]) -> str:
    """``raw``, or where it is an instant stated in UTC, the first of ``candidates`` that
    states the same instant in an ISO time with another offset."""
    at = utc_instant(raw)
    if at is None:
        return raw
    for candidate in candidates:
        other = parse_iso(" ".join(candidate.raw.split()))
        offset = other.utcoffset() if other is not None else None
        if offset and other == at:
            return candidate.raw
    return raw


def choose_dates(
    candidates: Iterable[DateCandidate],
    spider: Any,
    fetched_at: datetime | None,
    language: str | None,
) -> DateChoice:
    """``choose`` with what the spider knows of its site: its time zone
    (None in generic mode), when it started (``earliest_date``) and the page's language."""
    return choose(
        candidates,
        default_tz=getattr(spider, "local_timezone", "UTC"),
        fetched_at=fetched_at,
        earliest=getattr(spider, "earliest_date", None),
        languages=(language, "en") if language and language != "en" else ("en",),
    )


def first_valid_datetime(
    candidates: Iterable[str | DateCandidate | None],
    *,
    default_tz: str | None = "UTC",
    now: datetime | None = None,
) -> datetime | None:
    """The first candidate that parses to a plausible instant, in UTC (plain strings count
    as JSON-LD: best first, as given)."""
    tagged = [
        c if isinstance(c, DateCandidate) else DateCandidate(c, "jsonld") for c in candidates if c
    ]
    found = choose(tagged, default_tz=default_tz, fetched_at=now).found
    return found.at if found else None


def date_from_url(url: str) -> datetime | None:
    """The ``/YYYY/MM/DD/`` day in an article URL (local date of the site), as midnight UTC.

    Used to decide whether a listing has paged past a ``since`` horizon without fetching,
    and as a date candidate of last resort.
    """
    match = _URL_DAY.search(url)
    if not match:
        return None
    try:
        return datetime(*map(int, match.groups()), tzinfo=UTC)
    except ValueError:
        return None


def url_date_candidates(url: str) -> list[DateCandidate]:
    """The day an article URL names (``/2026/03/05/``, ``-20260305-``), as a candidate."""
    day = date_from_url(url)
    if day is None:
        match = _URL_DAY_COMPACT.search(url)
        if match:
            try:
                day = datetime(*map(int, match.groups()), tzinfo=UTC)
            except ValueError:
                day = None
    return [DateCandidate(day.date().isoformat(), "url")] if day else []
