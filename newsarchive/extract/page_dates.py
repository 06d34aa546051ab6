"""Date candidates a page gives outside its JSON-LD: article meta, ``<time>``, the URL, the
visible text, and htmldate's guess. Plain functions on a parsed tree, no Scrapy.

Each extractor adds its JSON-LD candidates itself (it has already found the article object);
``newsarchive.dates.choose`` ranks them all. The visible text and htmldate are the costly
last resorts: ``fallback_candidates`` is only called when nothing better parses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from lxml import etree

from newsarchive.dates import RESTATED, DateCandidate, parse_iso, url_date_candidates, utc_instant
from newsarchive.extract.html import PageIndex, element_text, parse_html

# Publication and modification meta of the CMSs and plugins news sites run (OpenGraph
# article, Dublin Core, Parse.ly, Sailthru, schema.org microdata, plain ``date``).
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "parsely-pub-date",
    "sailthru.date",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "date",
    "citation_publication_date",
)
MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "dateModified",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
)

# <time> elements of the article (not of a teaser box, a comment, the footer, or a post
# embedded in a blockquote, a tweet's or an Instagram post's), published ones first; the ones
# that say they are an update apart.
_OUTSIDE_ARTICLE = (
    "ancestor::aside or ancestor::footer or ancestor::nav or ancestor::blockquote"
    " or ancestor::*[contains(@class, 'comment') or contains(@class, 'related')"
    " or contains(@class, 'widget') or contains(@class, 'sidebar')]"
)
_UPDATE_MARK = re.compile(r"updated|modified|aktualisiert", re.I)
_MAX_TIMES = 3

# Visible-text dates: elements named for a date or byline, in any case ("PublishDate",
# "post-date"), and the date-like span of their text (numeric, written-out month either way
# round, relative), not one a label says is no publication date (the time the page was made,
# a list of other threads' last posts).
# (``/descendant::*``: the elements ``//*`` selects, a fifth faster in libxml2, which joins
# the children of every node for ``//*``)
_WITH_CLASS_OR_ID = etree.XPath(
    "/descendant::*[@class or @id][not(self::script or self::style or self::time)]"
)
_DATED_CLASS = re.compile(r"date|time|byline|posted|published|datum|meta")
_IS_OUTSIDE_ARTICLE = etree.XPath(f"boolean({_OUTSIDE_ARTICLE})")
_MONTH_WORD = r"[^\W\d_]{3,12}\.?"
_CLOCK = r"(?:,?\s*(?:um|at|à|в)?\s*\d{1,2}[:.]\d{2}(?:\s*(?:Uhr|[AaPp]\.?[Mm]\.?))?)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE_IN_TEXT = re.compile(
    rf"(?:{_YEAR}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?)?"
    rf"|\d{{1,2}}\.\s?\d{{1,2}}\.\s?{_YEAR}{_CLOCK}"
    rf"|\d{{1,2}}-\d{{1,2}}-{_YEAR}{_CLOCK}|{_YEAR}[./]\d{{1,2}}[./]\d{{1,2}}{_CLOCK}"
    rf"|\d{{1,2}}/\d{{1,2}}/{_YEAR}{_CLOCK}"
    rf"|\d{{1,2}}\.?\s+{_MONTH_WORD}\s+{_YEAR}{_CLOCK}"
    rf"|{_MONTH_WORD}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}{_CLOCK}"
    r"|(?:vor|il y a|hace)\s+\d+\s+[^\W\d_]+|\d+\s+[^\W\d_]+\s+(?:ago|назад))",
    re.U,
)
_NOT_PUBLISHED = re.compile(
    r"(?:aktuelle zeit|current time|it is currently|heute ist|today is|letzter beitrag"
    r"|last post|dernier message|último mensaje|ultimo messaggio)\W*$",
    re.I,
)
_MAX_TEXTS = 4
# A byline can be a sentence ("This entry was posted on Saturday, December 3rd, 2011 at 9:15
# and is filed under ... You can follow any responses through the RSS 2.0 feed": a
# WordPress theme's post metadata); a longer element is a container of other things.
_MAX_TEXT = 500
_DATE_WITHIN = 200  # characters of the start of its text


def page_date_candidates(
    root: Any, index: PageIndex, url: str
) -> tuple[list[DateCandidate], list[DateCandidate]]:
    """(published, modified) candidates from the page's meta, ``<time>`` elements and URL."""
    published = [DateCandidate(v, "meta") for v in index.meta_values(PUBLISHED_META)]
    modified = [DateCandidate(v, "meta") for v in index.meta_values(MODIFIED_META)]
    times = [element for element in index.times if not _IS_OUTSIDE_ARTICLE(element)]
    for element in times[: _MAX_TIMES * 2]:
        value = element.get("datetime") or element_text(element)
        if not value or not value.strip():
            continue
        marks = " ".join(
            filter(None, (element.get("class"), element.get("itemprop"), element_text(element)))
        )
        is_update = element.get("itemprop") == "dateModified" or _UPDATE_MARK.search(marks)
        target = modified if is_update else published
        if sum(c.source == "time" for c in target) < _MAX_TIMES:
            target.append(DateCandidate(" ".join(value.split()), "time"))
    published.extend(url_date_candidates(url))
    return published, modified


def text_date_candidates(root: Any) -> list[DateCandidate]:
    """Dates written in the page's byline or date elements, as they read."""
    found: list[DateCandidate] = []
    for element in _WITH_CLASS_OR_ID(root):
        if not (
            _DATED_CLASS.search((element.get("class") or "").lower())
            or "date" in (element.get("id") or "").lower()
        ):
            continue
        text = element_text(element)
        if not text or len(text) > _MAX_TEXT or _IS_OUTSIDE_ARTICLE(element):
            continue
        for match in _DATE_IN_TEXT.finditer(text, 0, _DATE_WITHIN):
            if _NOT_PUBLISHED.search(text, 0, match.start()):
                continue
            candidate = DateCandidate(match.group(0), "text")
            if candidate not in found:
                found.append(candidate)
            break
        if len(found) >= _MAX_TEXTS:
            break
    return found


# An ISO time with an offset, from its "T"; the date before it is checked apart (a pattern
# that starts with a literal is found much faster in a page than one that starts with \d).
_OFFSET_TIME = re.compile(r"T\d\d:\d\d(?::\d\d(?:\.\d+)?)?[+-]\d\d:?\d\d")
_ISO_DAY_BEFORE = re.compile(r"\d{4}-\d\d-\d\d")
_MAX_RESTATED = 3


def restated_candidates(html: str, candidates: list[DateCandidate]) -> list[DateCandidate]:
    """Where the page states an instant of ``candidates`` given in UTC (JSON-LD's
    ``2023-11-09T01:49:09Z``) again in another offset (an analytics tag's or a ``<time>``'s
    ``2023-11-08T17:49:09-08:00``): those strings, as ``RESTATED`` candidates (see
    ``newsarchive.dates.choose``), at most a few, in page order."""
    instants = {at for at in map(utc_instant, (c.raw for c in candidates[:5])) if at}
    found: list[DateCandidate] = []
    if not instants:
        return found
    for match in _OFFSET_TIME.finditer(html):
        start = match.start() - 10
        if start < 0 or not _ISO_DAY_BEFORE.fullmatch(html, start, match.start()):
            continue
        text = html[start : match.end()]
        at = parse_iso(text)
        offset = at.utcoffset() if at is not None else None
        if offset and at in instants and all(c.raw != text for c in found):
            found.append(DateCandidate(text, RESTATED))
            if len(found) >= _MAX_RESTATED:
                break
    return found


def fallback_candidates(
    html: str, url: str, enough: Callable[[list[DateCandidate]], bool]
) -> list[DateCandidate]:
    """The visible text's dates, then (unless ``enough`` of them already) htmldate's
    original publication day: what is left when the page's structured data, meta,
    ``<time>``, URL and the site's feeds name no date."""
    found = text_date_candidates(_tree_of(html))
    if not enough(found):
        guess = htmldate_published(html, url)
        if guess:
            found.append(DateCandidate(guess, "htmldate"))
    return found


class _Parsed(NamedTuple):
    text: str
    root: Any


_last_parsed: list[_Parsed] = []


def keep_parsed(text: str, root: Any | None) -> None:
    """Keep ``root``, the tree of the page ``text`` (as ``parse_html`` gives it), for the
    date fallbacks that may read the same page next (None: forget the last one). One page
    is kept: the last one parsed."""
    _last_parsed[:] = [_Parsed(text, root)] if root is not None else []


def _tree_of(html: str) -> Any:
    """The tree ``keep_parsed`` kept for this very text, else ``html`` parsed."""
    if _last_parsed and _last_parsed[0].text is html:
        return _last_parsed[0].root
    return parse_html(html)


def htmldate_published(html: str, url: str) -> str | None:
    """htmldate's publication day of the page (the original one, not an update). Imported
    here: only a page with no better date pays for it."""
    from htmldate import find_date

    try:
        return find_date(html, url=url, original_date=True, extensive_search=True) or None
    except (ValueError, TypeError):  # htmldate is robust, but a page is arbitrary input
        return None
