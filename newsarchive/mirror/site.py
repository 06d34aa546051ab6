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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from newsarchive.mirror.pages import Page, SitePages
from newsarchive.mirror.text import ParagraphStyle, TemplateText, paragraph

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


@dataclass
class Draft:
    """The start of an article's body (``MirrorSite.draft``), for the site to go on with."""

    rng: Random
    gen: TemplateText
    older: list[Any]
    """The articles published before this one."""
    links: tuple[str, ...]
    sentences: list[list[str]]
    """The paragraphs, each as its sentences."""
    paragraphs: list[str] = field(init=False)
    """The paragraphs as clean text (the site may still add to them)."""

    def __post_init__(self) -> None:
        self.paragraphs = [" ".join(sentences) for sentences in self.sentences]

    def groups(self, largest: int) -> Iterator[tuple[list[str], bool]]:
        """The paragraphs in runs of 1 to ``largest``, each with whether more follow (the
        size of a run is drawn when it is asked for)."""
        i = 0
        while i < len(self.paragraphs):
            group = self.paragraphs[i : i + self.rng.randint(1, largest)]
            i += len(group)
            yield group, i < len(self.paragraphs)


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
    ``SitePages``. A subclass gives its constants, its slugs, how it draws an article
    (``_new_article``) and its body (``_make_body``); ``draw`` builds a site.
    """

    language: ClassVar[str]
    SECTIONS: ClassVar[dict[str, tuple[str, int]]]
    """Section slug -> (label, relative weight)."""
    OLDEST: ClassVar[datetime]
    """The oldest articles are from after this."""
    FIRST_ID: ClassVar[int]
    """Article IDs count up from above this one."""
    ID_STEPS: ClassVar[tuple[tuple[int, int], tuple[int, int]]]
    """Ranges of the ID gap before each article: when the site is drawn, in ``advance()``."""
    STREAM_PREFIX: ClassVar[str] = ""
    """Before the names of the site's random streams (``_random``), so that two sites of one
    seed draw apart."""
    TEXT: ClassVar[type[TemplateText]]
    """The site's prose generator."""
    PARAGRAPHS: ClassVar[ParagraphStyle]
    PARAGRAPHS_KIND: ClassVar[str]
    """The ``Block.kind`` of paragraphs of body text."""

    @classmethod
    def draw(cls, articles: int, seed: int, now: datetime | None, pages: SitePages) -> Self:
        """A deterministic site of ``articles`` for (seed, now), rendered by ``pages``;
        ``now`` defaults to this UTC hour.

        Metadata is drawn now, from one stream: sections, publication times, then the
        articles in order; bodies later, each from its own stream (``draft``).
        """
        site = cls(seed, site_clock(now), [], pages)
        rng = site._random("site")
        sections = assign_sections(rng, cls.SECTIONS, articles)
        dates = sorted(site._publication_dates(rng, articles))
        made, next_id = [], cls.FIRST_ID
        for section, published in zip(sections, dates, strict=True):
            next_id += rng.randint(*cls.ID_STEPS[0])
            made.append(site._new_article(rng, next_id, section, published))
        site._add(made)
        return site

    def __init__(self, seed: int, now: datetime, articles: list[ArticleT], pages: SitePages):
        self.seed = seed
        self.now = now
        self.pages = pages
        self.lock = threading.RLock()
        self.generation = 0
        """Bumped by every ``advance()``: cached pages of an older generation are stale."""
        self.advances = 0
        self.redesigned = False
        """The site's new look (``advance(redesign=True)``, ``--redesign``): its templates
        move the byline and the tags into new markup, as a site's relaunch does, so that a
        profile written for the old look finds neither."""
        self.gone_sections: set[str] = set()
        """Sections whose listing answers 404 (``--gone-sections``), as when a site drops or
        renames one; their articles stay where they are."""
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
        """Draw the article's body from its own seeded generator (``draft`` starts it)."""
        raise NotImplementedError

    def render_inline(self, text: str, rng: Random, links: tuple[str, ...] = ()) -> str:
        """Clean text as the site's inline HTML; ``links``: hrefs it may carry."""
        raise NotImplementedError

    def paragraph_html(self, text: str, rng: Random, links: tuple[str, ...]) -> str:
        """One paragraph of body text as the site's HTML."""
        return paragraph(self.render_inline(text, rng, links), rng, self.PARAGRAPHS)

    def _update_block(self, article: ArticleT) -> Block:
        """The paragraphs ``advance()`` appended, rendered deterministically."""
        rng = self._random("update", article.id, len(article.updates))
        html = "\n".join(self.paragraph_html(t, rng, ()) for t in article.updates)
        return Block(self.PARAGRAPHS_KIND, html, list(article.updates))

    def _random(self, name: str, *keys: object) -> Random:
        """The random stream ``name`` of this site and seed (and ``keys``)."""
        return Random(":".join([str(self.seed), self.STREAM_PREFIX + name, *map(str, keys)]))

    def draft(self, article: ArticleT, count: tuple[int, int], external: tuple[str, ...]) -> Draft:
        """The start of an article's body, drawn from its own stream: the links its
        paragraphs may carry (up to three older articles, two of ``external``), then between
        ``count[0]`` and ``count[1]`` paragraphs."""
        rng = self._random("body", article.id)
        gen = self.TEXT(rng, article.published.year)
        older = self.older_than(article)
        links = tuple(BASE + o.path for o in rng.sample(older, min(3, len(older))))
        links += tuple(rng.sample(external, 2))
        sentences = [gen.paragraph() for _ in range(rng.randint(*count))]
        return Draft(rng, gen, older, links, sentences)

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
        redesign: bool | None = None,
    ) -> dict[str, Any]:
        """Move the clock on: publish new articles in the new window, update recent ones;
        ``redesign`` switches the site's new look on (or off) from now on.

        Updates go to articles published within the two days before the new ``now`` (that
        the site lets change, ``_updatable``): a new paragraph is appended, ``modified``
        becomes the new now minus a few minutes and the version is bumped. Returns what
        changed (IDs and the new now).
        """
        with self.lock:
            self.advances += 1
            if redesign is not None:
                self.redesigned = bool(redesign)
            rng = self._random("advance", self.advances) if seed is None else Random(seed)
            start, self.now = self.now, self.now + timedelta(hours=hours)
            span = (self.now - start).total_seconds()
            next_id = max(self.articles, default=self.FIRST_ID) + 1
            fresh = []
            for _ in range(new_articles):
                published = start + timedelta(seconds=rng.uniform(1, max(span, 2)))
                published = min(published.replace(microsecond=0), self.now)
                next_id += rng.randint(*self.ID_STEPS[1])
                section = pick_weighted(rng, self.SECTIONS)
                fresh.append(self._new_article(rng, next_id, section, published))
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
                "redesigned": self.redesigned,
            }

    def _publication_dates(self, rng: Random, count: int) -> list[datetime]:
        """When the articles of a new site were published (unsorted)."""
        return publication_dates(rng, count, self.now, self.OLDEST)

    def _new_article(
        self, rng: Random, article_id: int, section: str, published: datetime
    ) -> ArticleT:
        """A new article's metadata, drawn from ``rng`` (with a title no other has)."""
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
