"""What every mirrored site shares: articles on a clock, indexed the ways pages need them,
bodies drawn lazily and cached, ``advance()`` that publishes and updates, and the ground
truth a perfect crawl of the site would archive.

A site folder (``moscowtimes``, ``wordpress``) subclasses ``MirrorSite`` with its own data
model and hands it its ``SitePages`` (how paths resolve to pages, which paths faults may hit,
the furniture lines): the data model calls them through that object and imports none of the
modules that render it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from newsarchive.mirror.pages import Page, SitePages
from newsarchive.mirror.text import TemplateText

BASE = "@@BASE@@"
"""Placeholder for the server's base URL in stored HTML, replaced when a page is served."""


def iso_utc(moment: datetime | None) -> str | None:
    """Ground-truth time format: UTC with a ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


@dataclass
class Block:
    """A piece of an article's body as stored: its HTML (with ``BASE``) and its body texts."""

    kind: str
    """The site's name for the piece (a paragraph group, a heading, an embed, ...)."""
    html: str
    texts: list[str] = field(default_factory=list)
    """The body text it holds, clean; none for furniture (embeds, related links)."""


@dataclass
class Body:
    """An article's content: blocks in order, and the text facts derived from them."""

    blocks: list[Block]
    first_sentence: str
    """Of the first paragraph: a description the pages use (known here, not re-parsed)."""

    @property
    def paragraphs(self) -> list[str]:
        return [t for b in self.blocks for t in b.texts]


class SiteArticle(Protocol):
    """What the shared machinery reads of an article; each site's ``Article`` holds more.

    ``section``, ``author_names``, ``image_caption`` and ``is_accessible_for_free`` are what
    the ground truth says of the article, in the words the archive uses.
    """

    id: int
    title: str
    subtitle: str | None
    lead: str | None
    tags: tuple[str, ...]
    authors: tuple[Any, ...]
    image: Any
    published: datetime
    modified: Any
    updates: list[str]
    version: int

    @property
    def section(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def author_names(self) -> list[str]: ...

    @property
    def image_caption(self) -> str | None: ...

    @property
    def is_accessible_for_free(self) -> bool | None: ...


class Faults(Protocol):
    """The part of ``FaultPlan`` the ground truth needs (``servable_within``)."""

    def for_site(self, site: Any) -> Faults: ...

    def servable_within(self, path: str) -> int | None: ...


ArticleT = TypeVar("ArticleT", bound=SiteArticle)


class MirrorSite(Generic[ArticleT]):
    """All articles of one mirrored site, indexed the ways its pages need them.

    Serve it with ``MirrorServer(site)``: it renders its own pages (``resolve``) and
    classifies its own paths for fault plans (``page_class``), both through its
    ``SitePages``. A subclass gives its sections, its slugs, how it draws a new article and
    an article's body (``_draw_article``, ``_make_body``, ``_update_block``).
    """

    language: ClassVar[str]
    SECTIONS: ClassVar[dict[str, tuple[str, int]]]
    """Section slug -> (label, relative weight)."""
    FIRST_ID: ClassVar[int]
    """Article IDs count up from above this one."""
    ADVANCE_STREAM: ClassVar[str]
    """Names the random stream of ``advance()`` (beside the site seed and the advance count)."""
    ADVANCE_ID_STEP: ClassVar[tuple[int, int]]
    """Range of the ID gap before each article ``advance()`` publishes."""
    TEXT: ClassVar[type[TemplateText]]
    """The site's prose generator (the paragraphs ``advance()`` appends)."""

    def __init__(self, seed: int, now: datetime, articles: list[ArticleT], pages: SitePages):
        self.seed = seed
        self.now = now
        self.pages = pages
        self.lock = threading.RLock()
        self.generation = 0
        """Bumped by every ``advance()``: cached pages of an older generation are stale."""
        self.advances = 0
        self._bodies: dict[int, Body] = {}
        self.articles: dict[int, ArticleT] = {}
        self.chronological: list[ArticleT] = []
        self._position: dict[int, int] = {}
        self._titles: set[str] = set()
        self._add(articles)

    # --- indexes -------------------------------------------------------------------------------

    def _add(self, articles: list[ArticleT]) -> None:
        for article in sorted(articles, key=lambda a: (a.published, a.id)):
            self.articles[article.id] = article
            self._position[article.id] = len(self.chronological)
            self.chronological.append(article)
            self._titles.add(article.title)
        self.newest = self.chronological[::-1]
        self.by_section: dict[str, list[ArticleT]] = {s: [] for s in self.SECTIONS}
        self.by_tag: dict[str, list[ArticleT]] = {}
        self.by_author: dict[str, list[ArticleT]] = {}
        for article in self.newest:
            self.by_section[article.section].append(article)
            for tag in article.tags:
                self.by_tag.setdefault(self.tag_slug(tag), []).append(article)
            for author in article.authors:
                self.by_author.setdefault(self.author_slug(author), []).append(article)

    def tag_slug(self, tag: str) -> str:
        """The slug of a tag's archive page."""
        raise NotImplementedError

    def author_slug(self, author: Any) -> str:
        """The slug of an author's archive page."""
        raise NotImplementedError

    def get(self, article_id: int) -> ArticleT | None:
        return self.articles.get(article_id)

    def older_than(self, article: ArticleT) -> list[ArticleT]:
        """Articles published before this one: a set that ``advance()`` never changes."""
        return self.chronological[: self._position[article.id]]

    # --- bodies --------------------------------------------------------------------------------

    def body(self, article: ArticleT) -> Body:
        """The article's content blocks, generated on first use and cached."""
        with self.lock:
            body = self._bodies.get(article.id)
            if body is None:
                body = self._bodies[article.id] = self._make_body(article)
            if article.updates:
                return Body([*body.blocks, self._update_block(article)], body.first_sentence)
            return body

    def _make_body(self, article: ArticleT) -> Body:
        """Draw the article's body from its own seeded generator."""
        raise NotImplementedError

    def _update_block(self, article: ArticleT) -> Block:
        """The paragraphs ``advance()`` appended, rendered deterministically."""
        raise NotImplementedError

    def first_sentence(self, article: ArticleT) -> str:
        return self.body(article).first_sentence

    def word_count(self, article: ArticleT) -> int:
        return sum(len(p.split()) for p in self.body(article).paragraphs)

    def read_minutes(self, article: ArticleT) -> int:
        """The reading time the pages state: 200 words a minute, at least 1."""
        return max(1, round(self.word_count(article) / 200))

    # --- serving (the seams ``MirrorServer`` and ``FaultPlan`` use) ----------------------------

    def resolve(self, base: str, path: str) -> Page:
        """The page at ``path`` (no query string) for a server at ``base``."""
        return self.pages.resolve(self, base, path)

    def page_class(self, path: str) -> str | None:
        """What faults may hit ``path``: article, listing, feed or None."""
        return self.pages.page_class(path)

    # --- changes over time ---------------------------------------------------------------------

    def advance(
        self,
        seed: int | None = None,
        new_articles: int = 10,
        updated_articles: int = 5,
        hours: float = 6,
    ) -> dict[str, Any]:
        """Move the clock on: publish new articles in the new window, update recent ones.

        Updates go to articles published within the two days before the new ``now`` (that
        the site lets change, ``_updatable``): a new paragraph is appended, ``modified``
        becomes the new now minus a few minutes and the version is bumped. Returns what
        changed (IDs and the new now).
        """
        with self.lock:
            self.advances += 1
            stream = f"{self.seed}:{self.ADVANCE_STREAM}:{self.advances}"
            rng = Random(stream if seed is None else seed)
            start, self.now = self.now, self.now + timedelta(hours=hours)
            span = (self.now - start).total_seconds()
            next_id = max(self.articles, default=self.FIRST_ID) + 1
            fresh = []
            for _ in range(new_articles):
                published = start + timedelta(seconds=rng.uniform(1, max(span, 2)))
                published = min(published.replace(microsecond=0), self.now)
                next_id += rng.randint(*self.ADVANCE_ID_STEP)
                fresh.append(self._draw_article(rng, next_id, published))
            since = self.now - timedelta(days=2)
            recent = [a for a in self.newest if since <= a.published < start and self._updatable(a)]
            updated = rng.sample(recent, min(updated_articles, len(recent)))
            for article in updated:
                text = self.TEXT(rng, article.published.year).paragraph()
                article.updates.append(" ".join(text))
                minutes_ago = timedelta(minutes=rng.randint(2, 9))
                # (after its publication even when the clock barely moved)
                article.modified = max(self.now - minutes_ago, article.published + minutes_ago)
                article.version += 1
            self._add(fresh)
            self.generation += 1
            return {
                "now": iso_utc(self.now),
                "added": [a.id for a in fresh],
                "updated": [a.id for a in updated],
            }

    def _draw_article(self, rng: Random, article_id: int, published: datetime) -> ArticleT:
        """A new article's metadata, drawn from ``rng`` (its section first)."""
        raise NotImplementedError

    def _updatable(self, article: ArticleT) -> bool:
        """Whether ``advance()`` may append to the article."""
        return True

    # --- ground truth --------------------------------------------------------------------------

    def ground_truth(self, base_url: str, faults: Faults | None = None) -> dict[str, Any]:
        """What a perfect archive of the site, crawled now, would hold (JSON-ready); the same
        shape for every site, for ``newsarchive.evaluate``."""
        base_url = base_url.rstrip("/")
        if faults is not None:
            faults = faults.for_site(self)
        with self.lock:
            return {
                "base_url": base_url,
                "seed": self.seed,
                "now": iso_utc(self.now),
                "articles": [self._truth(a, base_url, faults) for a in self.newest],
                "boilerplate": self.pages.boilerplate_lines(self),
            }

    def _truth(self, a: ArticleT, base: str, faults: Faults | None) -> dict[str, Any]:
        return {
            "url": base + a.path,
            "article_id": str(a.id),
            "title": a.title,
            "subtitle": a.subtitle,
            "lead": a.lead,
            "authors": a.author_names,
            "published_at": iso_utc(a.published),
            "modified_at": iso_utc(a.modified),
            "section": a.section,
            "tags": list(a.tags),
            "language": self.language,
            "body_paragraphs": self.body(a).paragraphs,
            "image_url": base + a.image.path if a.image else None,
            "image_caption": a.image_caption,
            "is_accessible_for_free": a.is_accessible_for_free,
            "version": a.version,
            "servable_within": faults.servable_within(a.path) if faults else 1,
        }


# --- drawing a site ----------------------------------------------------------------------------


def site_clock(now: datetime | None) -> datetime:
    """A site's clock: ``now`` (naive means UTC), by default this UTC hour."""
    if now is None:
        return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def pick_weighted(rng: Random, table: dict[str, tuple[str, int]]) -> str:
    """A slug of ``table`` (slug -> (label, weight)), drawn by weight."""
    names = list(table)
    return rng.choices(names, weights=[table[s][1] for s in names])[0]


def assign_sections(rng: Random, table: dict[str, tuple[str, int]], count: int) -> list[str]:
    """Sections of ``count`` articles: each up to three times (so none is empty), the rest
    drawn by weight, shuffled."""
    names = list(table)
    sections = [s for s in names for _ in range(min(3, count // len(names)))]
    sections += [pick_weighted(rng, table) for _ in range(count - len(sections))]
    rng.shuffle(sections)
    return sections


def publication_dates(rng: Random, count: int, now: datetime, oldest: datetime) -> list[datetime]:
    """``count`` publication times (unsorted, whole seconds): 85% in the 90 days before
    ``now``, the rest between ``oldest`` and then."""
    recent_start = now - timedelta(days=90)
    dates = []
    for _ in range(count):
        if rng.random() < 0.85:
            moment = now - timedelta(seconds=rng.uniform(60, 90 * 86400))
        else:
            moment = oldest + (recent_start - oldest) * rng.random()
        dates.append(moment.replace(microsecond=0))
    return dates
