"""Date candidates, parsing and UTC normalisation: pure functions.

Pages state their dates in several places that disagree on purpose: on The Moscow Times
the visible byline time becomes the *update* time once an article is edited, while the head
(``article:published_time``, JSON-LD ``datePublished``) keeps the publication time. Callers
therefore pass candidates best-first and we take the first one that parses to a plausible
instant. ISO 8601 (what heads carry) is parsed by the standard library; dateparser is the
slow fallback for human-written strings such as "Feb. 25, 2026".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# Anything before this is not a news publication date on the web (guards against 1970 epochs
# and two-digit-year accidents).
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks drift and sites pre-date embargoed stories a little; more than this is an error.
FUTURE_TOLERANCE = timedelta(days=2)

_ISO_FIX_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")  # +0300 -> +03:00 (older Pythons, feeds)
_UPDATED_PREFIX = re.compile(r"^\s*(updated|last updated|published|posted)\s*:?\s*", re.I)
_DIGIT = re.compile(r"\d")
_URL_DAY = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/")


def parse_datetime(value: str | None, *, default_tz: str = "UTC") -> datetime | None:
    """Parse one date string to an aware UTC datetime, or ``None`` if it is not a date.

    Naive values are read in ``default_tz`` (a site's local zone, e.g. ``Europe/Moscow``).
    """
    if not value or not isinstance(value, str):
        return None
    text = _UPDATED_PREFIX.sub("", value.strip())
    if not text:
        return None
    parsed = _parse_iso(text)
    if parsed is None:
        parsed = _parse_human(text, default_tz)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(default_tz))
    return parsed.astimezone(UTC)


def _parse_iso(text: str) -> datetime | None:
    candidate = text.replace("Z", "+00:00") if text.endswith("Z") else text
    candidate = _ISO_FIX_OFFSET.sub(r"\1:\2", candidate)
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_human(text: str, default_tz: str) -> datetime | None:
    if not _DIGIT.search(text) or len(text) > 64:
        return None  # dateparser would happily read "yesterday" or a whole sentence
    import dateparser  # slow to import: only pay for it when a page needs it

    return dateparser.parse(
        text,
        languages=["en", "ru"],
        settings={
            "TIMEZONE": default_tz,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "past",
            "STRICT_PARSING": False,
        },
    )


def _zone(name: str):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return UTC if name == "UTC" else ZoneInfo(name)


def is_plausible(value: datetime, *, now: datetime | None = None) -> bool:
    """A publication instant between 1990 and a little after now."""
    now = now or datetime.now(UTC)
    return EARLIEST_PLAUSIBLE <= value <= now + FUTURE_TOLERANCE


def first_valid_datetime(
    candidates: Iterable[str | None], *, default_tz: str = "UTC", now: datetime | None = None
) -> datetime | None:
    """The first candidate that parses to a plausible instant, in UTC."""
    for candidate in candidates:
        parsed = parse_datetime(candidate, default_tz=default_tz)
        if parsed is not None and is_plausible(parsed, now=now):
            return parsed
    return None


def date_from_url(url: str) -> datetime | None:
    """The ``/YYYY/MM/DD/`` day in an article URL (local date of the site), as midnight UTC.

    Used to decide whether a listing has paged past a ``since`` horizon without fetching.
    """
    match = _URL_DAY.search(url)
    if not match:
        return None
    try:
        return datetime(*map(int, match.groups()), tzinfo=UTC)
    except ValueError:
        return None
