"""Date candidates a page gives outside its JSON-LD: article meta, ``<time>``, the URL, the
visible text, and htmldate's guess. Plain functions on a parsed tree, no Scrapy.

Each extractor adds its JSON-LD candidates itself (it has already found the article object);
``newsarchive.dates.choose`` ranks them all. The visible text and htmldate are the costly
last resorts: ``fallback_candidates`` is only called when nothing better parses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from newsarchive.dates import DateCandidate, url_date_candidates
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

# <time> elements of the article (not of a teaser box, a comment or the footer), published
# ones first; the ones that say they are an update apart.
_OUTSIDE_ARTICLE = (
    "ancestor::aside or ancestor::footer or ancestor::nav"
    " or ancestor::*[contains(@class, 'comment') or contains(@class, 'related')"
    " or contains(@class, 'widget') or contains(@class, 'sidebar')]"
)
_UPDATE_MARK = re.compile(r"updated|modified|aktualisiert", re.I)
_MAX_TIMES = 3

# Visible-text dates: elements named for a date or byline, and the date-like span of
# their text (numeric, written-out month either way round, relative).
_DATED_ELEMENTS = (
    "//*[not(self::script or self::style or self::time)]"
    "[contains(@class, 'date') or contains(@class, 'time') or contains(@class, 'byline')"
    " or contains(@class, 'posted') or contains(@class, 'published') or contains(@class, 'datum')"
    " or contains(@class, 'meta') or contains(@id, 'date') or contains(@class, 'dateline')]"
)
_MONTH_WORD = r"[^\W\d_]{3,12}\.?"
_CLOCK = r"(?:,?\s*(?:um|at|à|в)?\s*\d{1,2}[:.]\d{2}(?:\s*(?:Uhr|[AaPp]\.?[Mm]\.?))?)?"
_DATE_IN_TEXT = re.compile(
    r"(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"
    rf"|\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{4}}{_CLOCK}"
    rf"|\d{{1,2}}-\d{{1,2}}-\d{{4}}{_CLOCK}|\d{{4}}[./]\d{{1,2}}[./]\d{{1,2}}{_CLOCK}"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{4}}{_CLOCK}"
    rf"|\d{{1,2}}\.?\s+{_MONTH_WORD}\s+\d{{4}}{_CLOCK}"
    rf"|{_MONTH_WORD}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}{_CLOCK}"
    r"|(?:vor|il y a|hace)\s+\d+\s+[^\W\d_]+|\d+\s+[^\W\d_]+\s+(?:ago|назад))",
    re.U,
)
_MAX_TEXTS = 4


def page_date_candidates(
    root: Any, index: PageIndex, url: str
) -> tuple[list[DateCandidate], list[DateCandidate]]:
    """(published, modified) candidates from the page's meta, ``<time>`` elements and URL."""
    published = [DateCandidate(v, "meta") for v in index.meta_values(PUBLISHED_META)]
    modified = [DateCandidate(v, "meta") for v in index.meta_values(MODIFIED_META)]
    times = root.xpath(f"//time[not({_OUTSIDE_ARTICLE})]")
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
    for element in root.xpath(f"{_DATED_ELEMENTS}[not({_OUTSIDE_ARTICLE})]"):
        text = element_text(element)
        if not text or len(text) > 200:
            continue
        match = _DATE_IN_TEXT.search(text)
        if match and DateCandidate(match.group(0), "text") not in found:
            found.append(DateCandidate(match.group(0), "text"))
            if len(found) >= _MAX_TEXTS:
                break
    return found


def fallback_candidates(
    html: str, url: str, enough: Callable[[list[DateCandidate]], bool]
) -> list[DateCandidate]:
    """The visible text's dates, then (unless ``enough`` of them already) htmldate's
    original publication day: what is left when the page's structured data, meta,
    ``<time>``, URL and the site's feeds name no date."""
    found = text_date_candidates(parse_html(html))
    if not enough(found):
        guess = htmldate_published(html, url)
        if guess:
            found.append(DateCandidate(guess, "htmldate"))
    return found


def htmldate_published(html: str, url: str) -> str | None:
    """htmldate's publication day of the page (the original one, not an update). Imported
    here: only a page with no better date pays for it."""
    from htmldate import find_date

    try:
        return find_date(html, url=url, original_date=True, extensive_search=True) or None
    except (ValueError, TypeError):  # htmldate is robust, but a page is arbitrary input
        return None
