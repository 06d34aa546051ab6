"""Spider arguments (``-a name=value``) read strictly, before anything starts.

A cron job that passes ``-a max_pages=abc`` or ``-a full=maybe`` must not crawl something
else than was meant, or end in two tracebacks: each reader below gives the value, or raises
``BadArgument``, whose message names the argument, the value and what is accepted. The
spider reads its arguments with them, and ``scrapy crawl`` builds the spider once before
the crawl (``newsarchive.commands.crawl``), so that a bad one is one line and exit code 2,
with nothing written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")


class BadArgument(ValueError):
    """A spider argument that cannot be used: ``name``, ``value`` and what is ``accepted``."""

    def __init__(self, name: str, value: object, accepted: str) -> None:
        super().__init__(f"-a {name}={value!r}: {accepted}")
        self.name = name
        self.value = value
        self.accepted = accepted


def flag(name: str, value: object, *extra_true: str) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off`` (any case)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE or text in extra_true:
        return True
    if text in FALSE:
        return False
    words = "/".join((*TRUE, *extra_true))
    raise BadArgument(name, value, f"give one of {words} or 0/false/no/off")


def positive_int(name: str, value: object) -> int | None:
    """A whole number of at least 1; None when not given."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise BadArgument(name, value, "give a whole number of at least 1")
    return number


def http_url(name: str, value: str) -> str:
    """An absolute http(s) URL, without its trailing slash."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadArgument(name, value, "give an http(s) URL such as https://www.example.com")
    return value.strip().rstrip("/")


def day(name: str, value: str, *, now: datetime | None = None) -> datetime:
    """A day, as midnight UTC: ``2026-03-05``, or a relative one (``yesterday``, ``3 days
    ago``, ``2 weeks ago``, read with dateparser); not in the future."""
    now = now or datetime.now(UTC)
    text = value.strip()
    try:
        parsed: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        if text and not text[:4].isdigit():  # a relative day; a malformed ISO date is not
            import dateparser

            parsed = dateparser.parse(
                text,
                languages=["en"],
                settings={"RELATIVE_BASE": now.replace(tzinfo=None), "PREFER_DATES_FROM": "past"},
            )
    accepted = "give a day as YYYY-MM-DD, or relative: today, yesterday, 3 days ago"
    if parsed is None:
        raise BadArgument(name, value, accepted)
    midnight = datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    if midnight > now + timedelta(days=1):
        raise BadArgument(name, value, f"{accepted} (not a day in the future)")
    return midnight


def names(
    name: str, value: str, known: Iterable[str], aliases: dict[str, str] | None = None
) -> list[str]:
    """Comma-separated names, once each, in their order. Unknown names are kept (the spider
    counts them as skips); none known at all is an error, since nothing would be crawled."""
    known = tuple(known)
    given = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    aliases = aliases or {}
    if not any(aliases.get(n, n) in known for n in given):
        choices = ", ".join((*known, *aliases)) or "none: this spider has none"
        raise BadArgument(name, value, f"give one or more of {choices}")
    return given


def timezone(name: str, value: str) -> str:
    """An IANA time zone name."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadArgument(name, value, "give an IANA zone name such as Europe/Berlin") from None
    return value
