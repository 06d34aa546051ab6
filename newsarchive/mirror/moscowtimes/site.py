"""The mirror's data: a seeded, deterministic set of Moscow Times articles and its ground truth.

Article metadata (section, dates, title, authors, tags, image) is drawn eagerly when the site
is built; bodies are drawn lazily, per article, from a generator seeded by (site seed, article
ID), so ``build_site(5000)`` starts fast and an article's text never depends on which other
pages were rendered first. ``advance()`` moves the clock, publishes and updates articles, so
successive crawls see a changing site.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from newsarchive.mirror.moscowtimes.text import (
    CITIES,
    SENTENCES,
    TextGen,
    render_inline,
    slugify,
)
from newsarchive.mirror.text import clean_text, escape

if TYPE_CHECKING:
    from newsarchive.mirror.faults import FaultPlan

BASE = "@@BASE@@"
"""Placeholder for the server's base URL in stored HTML, replaced when a page is served."""

SECTIONS: dict[str, tuple[str, int]] = {
    # slug: (label, relative weight)
    "news": ("News", 34),
    "opinion": ("Opinion", 10),
    "business": ("Business", 10),
    "meanwhile": ("Meanwhile", 6),
    "ukraine-war": ("Ukraine War", 13),
    "arts-and-life": ("Arts and Life", 8),
    "climate": ("Climate", 5),
    "diaspora": ("Diaspora", 5),
    "features": ("Features", 6),
    "lectures": ("Lectures", 2),
}
# fmt: off
TAGS = (
    "Ukraine war", "Kremlin", "Economy", "Sanctions", "Vladimir Putin", "Moscow",
    "St. Petersburg", "Protests", "Opposition", "Human rights", "Oil", "Gas", "Ruble",
    "Inflation", "Central Bank", "Army", "Mobilization", "Crimea", "Donbas", "Belarus",
    "Kazakhstan", "Georgia", "Armenia", "China", "United States", "Europe", "Culture", "Cinema",
    "Theater", "Literature", "Music", "Climate", "Arctic", "Siberia", "Emigration", "Media",
    "Censorship", "Internet", "Courts", "Elections", "Religion", "Health", "Education",
)
# fmt: on
EXTERNAL_LINKS = (
    "https://t.me/s/moscowtimes_ru",
    "https://www.kommersant.ru/doc/6412837",
    "https://meduza.io/en/news/2024/03/01/a-court-in-moscow",
    "https://www.levada.ru/en/ratings/",
    "https://ovd.info/en/news",
    "http://government.ru/docs/51234/",
)
OLDEST = datetime(2012, 1, 1, tzinfo=UTC)
MSK_WINTER_TIME = datetime(2014, 10, 25, 22, 0, tzinfo=UTC)
"""Moscow used UTC+4 from March 2011 until this instant, UTC+3 since."""
NON_ASCII_SENTENCES = tuple(s for s in SENTENCES if not s.isascii())


def moscow_offset(moment: datetime) -> int:
    """Hours Moscow local time was ahead of UTC at ``moment`` (articles start in 2012)."""
    return 4 if moment < MSK_WINTER_TIME else 3


def iso_utc(moment: datetime | None) -> str | None:
    """Ground-truth time format: UTC with a ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


@dataclass
class Image:
    """A featured image; ``caption`` may be None (the caption span is then empty)."""

    path: str
    caption: str | None
    credits: str


@dataclass
class Block:
    """One ``div.article__block--{kind}``: its inner HTML (with ``BASE``) and its body texts."""

    kind: str
    html: str
    texts: list[str] = field(default_factory=list)


@dataclass
class Body:
    """The generated article content: blocks in order, and the text facts derived from them."""

    blocks: list[Block]
    first_sentence: str
    """Of the first paragraph: the page's meta description (known here, not re-parsed)."""

    @property
    def paragraphs(self) -> list[str]:
        return [t for b in self.blocks for t in b.texts]


@dataclass
class Article:
    """Metadata of one article, and the updates appended to it since it was published."""

    id: int
    section: str
    published: datetime
    modified: datetime | None
    created: datetime
    title: str
    slug: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    subtitle: str | None
    lead: str | None
    image: Image | None
    free: bool
    offset: int
    """Hours of the UTC offset the page states its times in (usually Moscow's)."""
    layout: int
    """Seed for the page's presentation choices (boilerplate variants and positions)."""
    updates: list[str] = field(default_factory=list)
    version: int = 1

    @functools.cached_property
    def local_published(self) -> datetime:
        return self.published + timedelta(hours=moscow_offset(self.published))

    @functools.cached_property
    def path(self) -> str:
        return f"/{self.local_published:%Y/%m/%d}/{self.slug}-a{self.id}"

    @property
    def is_old(self) -> bool:
        """Pages from before the 2018 redesign end with "Also see:"."""
        return self.local_published.year < 2018

    @property
    def last_changed(self) -> datetime:
        return self.modified or self.published


class MirrorSite:
    """All articles of the mirror, indexed the ways the pages need them."""

    def __init__(self, seed: int, now: datetime, articles: list[Article]) -> None:
        self.seed = seed
        self.now = now
        self.lock = threading.RLock()
        self.generation = 0
        """Bumped by every ``advance()``: cached pages of an older generation are stale."""
        self.advances = 0
        self._bodies: dict[int, Body] = {}
        self.articles: dict[int, Article] = {}
        self.chronological: list[Article] = []
        self._position: dict[int, int] = {}
        self._titles: set[str] = set()
        self.author_pool = _author_pool(seed)
        self._add(articles)

    # --- indexes -------------------------------------------------------------------------------

    def _add(self, articles: list[Article]) -> None:
        for article in sorted(articles, key=lambda a: (a.published, a.id)):
            self.articles[article.id] = article
            self._position[article.id] = len(self.chronological)
            self.chronological.append(article)
            self._titles.add(article.title)
        self.newest = self.chronological[::-1]
        self.by_section: dict[str, list[Article]] = {s: [] for s in SECTIONS}
        self.by_tag: dict[str, list[Article]] = {}
        self.by_author: dict[str, list[Article]] = {}
        for article in self.newest:
            self.by_section[article.section].append(article)
            for tag in article.tags:
                self.by_tag.setdefault(slugify(tag), []).append(article)
            for author in article.authors:
                self.by_author.setdefault(slugify(author), []).append(article)

    def get(self, article_id: int) -> Article | None:
        return self.articles.get(article_id)

    def older_than(self, article: Article) -> list[Article]:
        """Articles published before this one: a set that ``advance()`` never changes."""
        return self.chronological[: self._position[article.id]]

    # --- bodies --------------------------------------------------------------------------------

    def body(self, article: Article) -> Body:
        """The article's content blocks, generated on first use and cached."""
        with self.lock:
            body = self._bodies.get(article.id)
            if body is None:
                body = self._bodies[article.id] = _make_body(self.seed, article, self)
            if article.updates:
                return Body([*body.blocks, _update_block(self.seed, article)], body.first_sentence)
            return body

    def first_sentence(self, article: Article) -> str:
        return self.body(article).first_sentence

    def read_minutes(self, article: Article) -> int:
        """The "N Min read" of the excerpts: 200 words a minute."""
        words = sum(len(p.split()) for p in self.body(article).paragraphs)
        return max(1, round(words / 200))

    # --- changes over time ---------------------------------------------------------------------

    def advance(
        self,
        seed: int | None = None,
        new_articles: int = 10,
        updated_articles: int = 5,
        hours: float = 6,
    ) -> dict[str, Any]:
        """Move the clock on: publish new articles in the new window, update recent ones.

        Updates go to articles published within the two days before the new ``now``: a new
        paragraph is appended, ``modified`` becomes the new now minus a few minutes and the
        version is bumped. Returns what changed (IDs and the new now).
        """
        with self.lock:
            self.advances += 1
            rng = Random(f"{self.seed}:advance:{self.advances}" if seed is None else seed)
            start, self.now = self.now, self.now + timedelta(hours=hours)
            span = (self.now - start).total_seconds()
            next_id = max(self.articles, default=39_999) + 1
            fresh = []
            for _ in range(new_articles):
                published = start + timedelta(seconds=rng.uniform(1, max(span, 2)))
                published = min(published.replace(microsecond=0), self.now)
                next_id += rng.randint(1, 6)
                section = _pick_section(rng)
                fresh.append(
                    _make_article(rng, next_id, section, published, self._titles, self.author_pool)
                )
            recent = [a for a in self.newest if self.now - timedelta(days=2) <= a.published < start]
            updated = rng.sample(recent, min(updated_articles, len(recent)))
            for article in updated:
                text = TextGen(rng, article.published.year).paragraph()
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

    # --- ground truth --------------------------------------------------------------------------

    def ground_truth(self, base_url: str, faults: FaultPlan | None = None) -> dict[str, Any]:
        """What a perfect archive of the site, crawled now, would hold (JSON-ready)."""
        from newsarchive.mirror.moscowtimes.boilerplate import boilerplate_lines

        base_url = base_url.rstrip("/")
        with self.lock:
            articles = [self._truth(a, base_url, faults) for a in self.newest]
            return {
                "base_url": base_url,
                "seed": self.seed,
                "now": iso_utc(self.now),
                "articles": articles,
                "boilerplate": boilerplate_lines(self),
            }

    def _truth(self, a: Article, base: str, faults: FaultPlan | None) -> dict[str, Any]:
        return {
            "url": base + a.path,
            "article_id": str(a.id),
            "title": a.title,
            "subtitle": a.subtitle,
            "lead": a.lead,
            "authors": list(a.authors),
            "published_at": iso_utc(a.published),
            "modified_at": iso_utc(a.modified),
            "section": a.section,
            "tags": list(a.tags),
            "language": "en",
            "body_paragraphs": self.body(a).paragraphs,
            "image_url": base + a.image.path if a.image else None,
            "image_caption": a.image.caption if a.image else None,
            "is_accessible_for_free": a.free,
            "version": a.version,
            "servable_within": faults.servable_within(a.path) if faults else 1,
        }


# --- generation ----------------------------------------------------------------------------


def _pick_section(rng: Random) -> str:
    names = list(SECTIONS)
    return rng.choices(names, weights=[SECTIONS[s][1] for s in names])[0]


def _author_pool(seed: int) -> list[str]:
    gen = TextGen(Random(f"{seed}:authors"))
    pool: list[str] = []
    while len(pool) < 40:
        name = gen.person()
        if name not in pool:
            pool.append(name)
    return pool


def _make_article(
    rng: Random,
    article_id: int,
    section: str,
    published: datetime,
    titles: set[str],
    author_pool: list[str],
) -> Article:
    """Draw one article's metadata; ``titles`` keeps titles unique across the site."""
    gen = TextGen(rng, published.year)
    title = gen.unique_title(titles)
    slug = slugify(title)
    if rng.random() < 0.05:
        slug = f"{slug}-{article_id}"  # the real site has slugs like "...-weekend-58475"
    roll = rng.random()
    if published.year < 2016 and roll < 0.3:
        modified = None
    elif roll < 0.6:
        modified = published
    elif roll < 0.75:
        modified = published + timedelta(minutes=rng.randint(1, 9))
    else:
        modified = published + timedelta(minutes=rng.randint(11, 3 * 24 * 60))
    created = published - timedelta(minutes=rng.choice((0, 0, rng.randint(5, 600))))
    n_authors = rng.choices((0, 1, 2, 3), weights=(12, 65, 18, 5))[0]
    authors = tuple(rng.sample(author_pool, n_authors))
    tags = tuple(rng.sample(TAGS, rng.choices((0, 1, 2, 3, 4, 5), (8, 20, 30, 22, 12, 8))[0]))
    image = None
    if rng.random() < 0.85:
        caption = gen.caption() if rng.random() < 0.9 else None
        image = Image(
            f"/image/article_1360/{article_id % 97:02d}/{rng.getrandbits(40):010x}.jpg",
            caption,
            gen.credits(),
        )
    offset = moscow_offset(published)
    if 2015 <= published.year <= 2017 and rng.random() < 0.3:
        offset = 2  # old pages seen with +02:00: same instant, another offset
    return Article(
        id=article_id,
        section=section,
        published=published,
        modified=modified,
        created=created,
        title=title,
        slug=slug,
        authors=authors,
        tags=tags,
        subtitle=gen.sentence() if rng.random() < 0.5 else None,
        lead=" ".join(gen.sentence() for _ in range(rng.randint(1, 2)))
        if rng.random() < 0.5
        else None,
        image=image,
        free=section != "lectures" and rng.random() > 0.03,
        offset=offset,
        layout=rng.getrandbits(32),
    )


def build_site(articles: int = 300, seed: int = 1, now: datetime | None = None) -> MirrorSite:
    """A deterministic site for (articles, seed, now); ``now`` defaults to this UTC hour."""
    if now is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    rng = Random(f"{seed}:site")
    names = list(SECTIONS)
    sections = [s for s in names for _ in range(min(3, articles // len(names)))]
    sections += [_pick_section(rng) for _ in range(articles - len(sections))]
    rng.shuffle(sections)
    recent_start = now - timedelta(days=90)
    dates = []
    for _ in range(articles):
        if rng.random() < 0.85:
            moment = now - timedelta(seconds=rng.uniform(60, 90 * 86400))
        else:
            moment = OLDEST + (recent_start - OLDEST) * rng.random()
        dates.append(moment.replace(microsecond=0))
    dates.sort()
    titles: set[str] = set()
    pool = _author_pool(seed)
    made, next_id = [], 39_999
    for section, published in zip(sections, dates, strict=True):
        next_id += rng.randint(1, 7)
        made.append(_make_article(rng, next_id, section, published, titles, pool))
    return MirrorSite(seed, now, made)


def _paragraph_html(text: str, rng: Random, links: tuple[str, ...]) -> str:
    """One ``<p>``, in one of the shapes CMS editors leave behind."""
    inline = render_inline(text, rng, links=links)
    roll = rng.random()
    if roll < 0.1:
        html = f"<p>\n  {inline}\n</p>"
    elif roll < 0.15:
        html = f'<p dir="ltr"><span style="font-weight: 400;">{inline}</span></p>'
    else:
        html = f"<p>{inline}</p>"
    if rng.random() < 0.05:
        html += "<p>&nbsp;</p>"
    return html


def _excerpt_link(rng: Random, other: Article) -> str:
    return f'<a href="{BASE}{other.path}">{escape(other.title)}</a>'


def _also_see(rng: Random, other: Article) -> str:
    """The pre-2018 "Also see:" tail, in one of its shapes (never body text)."""
    link = _excerpt_link(rng, other)
    return rng.choice(
        (
            f"<p><strong>Also see:</strong></p><p>{link}</p>",
            f"<p><strong>Also see:</strong> {link}</p>",
            f"<p><b>Also see:</b><br>{link}</p>",
            f"<p>Also see:</p>\n<p>{link}</p>",
        )
    )


def _extra_block(rng: Random, gen: TextGen, a: Article, older: list[Article]) -> Block | None:
    """Maybe a non-paragraph block between two html blocks."""
    roll = rng.random()
    if roll < 0.22:
        text = gen.heading()
        level = rng.choice(("h2", "h2", "h3"))
        return Block("header", f"<{level}>{render_inline(text, rng)}</{level}>", [text])
    if roll < 0.34:
        text = gen.quote()
        inner = render_inline(text, rng)
        if rng.random() < 0.3:
            inner = f"<p>{inner}</p>"
        return Block("quote", f'<blockquote class="article__quote">{inner}</blockquote>', [text])
    if roll < 0.46:
        src = f"{BASE}/image/article_960/{a.id % 97:02d}/{rng.getrandbits(40):010x}.jpg"
        caption = escape(gen.caption())
        return Block(
            "image",
            f'<figure class="article__image"><img src="{src}" alt="{caption}" loading="lazy">'
            f'<figcaption><span class="article__image__caption">{caption}</span> '
            f'<span class="article__image__credits">{escape(gen.credits())}</span>'
            "</figcaption></figure>",
        )
    if roll < 0.53:
        return Block("embed", _embed(rng, gen))
    if roll < 0.63 and older:
        other = rng.choice(older)
        return Block(
            rng.choice(("article", "aside")),
            f'<aside class="article__related-article"><a class="related-article__link" '
            f'href="{BASE}{other.path}"><h3 class="related-article__title">'
            f"{escape(other.title)}</h3>"
            '<span class="related-article__cta">Read more</span></a></aside>',
        )
    return None


def _embed(rng: Random, gen: TextGen) -> str:
    """A tweet, video or Telegram post: third-party content, never body text."""
    kind = rng.random()
    if kind < 0.5:
        handle = gen.person().split()[-1].lower() + str(rng.randint(1, 99))
        return (
            '<blockquote class="twitter-tweet" data-lang="en">'
            f'<p lang="en" dir="ltr">{escape(gen.tweet())}</p>&mdash; {escape(gen.person())} '
            f'(@{handle}) <a href="https://twitter.com/{handle}/status/'
            f'{rng.getrandbits(60)}">{rng.choice(CITIES)} live</a></blockquote>'
            '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8">'
            "</script>"
        )
    if kind < 0.8:
        return (
            '<iframe width="560" height="315" title="YouTube video player" frameborder="0" '
            f'src="https://www.youtube.com/embed/{rng.getrandbits(40):010x}" allowfullscreen>'
            "</iframe>"
        )
    return (
        '<script async src="https://telegram.org/js/telegram-widget.js?22" '
        f'data-telegram-post="moscowtimes_ru/{rng.randint(1000, 99999)}" data-width="100%">'
        "</script>"
    )


def _make_body(seed: int, a: Article, site: MirrorSite) -> Body:
    """Draw the article's blocks from its own seeded generator."""
    rng = Random(f"{seed}:body:{a.id}")
    gen = TextGen(rng, a.published.year)
    older = site.older_than(a)
    links = tuple(BASE + o.path for o in rng.sample(older, min(3, len(older))))
    links += tuple(rng.sample(EXTERNAL_LINKS, 2))
    drafts = [gen.paragraph() for _ in range(rng.randint(3, 12))]
    paragraphs = [" ".join(sentences) for sentences in drafts]
    if all(p.isascii() for p in paragraphs):
        # Every article carries non-ASCII text, so that a wrong decoding shows.
        i = rng.randrange(len(paragraphs))
        paragraphs[i] += " " + gen.fill(rng.choice(NON_ASCII_SENTENCES))
    blocks: list[Block] = []
    i = 0
    while i < len(paragraphs):
        group = paragraphs[i : i + rng.randint(1, 4)]
        i += len(group)
        html = "\n".join(_paragraph_html(t, rng, links) for t in group)
        blocks.append(Block("html", html, list(group)))
        if i < len(paragraphs) and (extra := _extra_block(rng, gen, a, older)):
            blocks.append(extra)
    if a.is_old and older:
        also = _also_see(rng, rng.choice(older))
        if blocks[-1].kind == "html":
            blocks[-1] = Block("html", blocks[-1].html + "\n" + also, blocks[-1].texts)
        else:
            blocks.append(Block("html", also))
    assert all(clean_text(t) == t for t in paragraphs)
    return Body(blocks, drafts[0][0])


def _update_block(seed: int, a: Article) -> Block:
    """The paragraphs appended by ``advance()``, rendered deterministically."""
    rng = Random(f"{seed}:update:{a.id}:{len(a.updates)}")
    html = "\n".join(_paragraph_html(t, rng, ()) for t in a.updates)
    return Block("html", html, list(a.updates))
