"""The Moscow Times mirror's data: a seeded, deterministic set of articles.

Article metadata (section, dates, title, authors, tags, image) is drawn eagerly when the site
is built; bodies are drawn lazily, per article, from a generator seeded by (site seed, article
ID), so ``build_moscowtimes_site(5000)`` starts fast and an article's text never depends on
which other pages were rendered first. ``advance()`` (shared, ``MirrorSite``) moves the clock,
publishes and updates articles, so successive crawls see a changing site.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random

from newsarchive.mirror.moscowtimes.text import CITIES, SENTENCES, TextGen, render_inline, slugify
from newsarchive.mirror.pages import SitePages
from newsarchive.mirror.site import BASE, Block, Body, MirrorSite
from newsarchive.mirror.text import ParagraphStyle, clean_text, escape

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

PARAGRAPHS = ParagraphStyle(
    shapes=(
        (0.1, "<p>\n  {}\n</p>"),
        (0.15, '<p dir="ltr"><span style="font-weight: 400;">{}</span></p>'),
    ),
    empty_rate=0.05,
    empty="<p>&nbsp;</p>",
)
"""The shapes CMS editors leave a ``<p>`` in (pasted from Google Docs: the span)."""


def moscow_offset(moment: datetime) -> int:
    """Hours Moscow local time was ahead of UTC at ``moment`` (articles start in 2012)."""
    return 4 if moment < MSK_WINTER_TIME else 3


@dataclass
class Image:
    """A featured image; ``caption`` may be None (the caption span is then empty)."""

    path: str
    caption: str | None
    credits: str


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

    @property
    def author_names(self) -> list[str]:
        return list(self.authors)

    @property
    def image_caption(self) -> str | None:
        return self.image.caption if self.image else None

    @property
    def is_accessible_for_free(self) -> bool:
        return self.free


class MoscowTimesSite(MirrorSite[Article]):
    """All articles of the Moscow Times mirror; blocks of a body are ``div.article__block``s."""

    language = "en"
    SECTIONS = SECTIONS
    OLDEST = OLDEST
    FIRST_ID = 39_999
    ID_STEPS = ((1, 7), (1, 6))
    TEXT = TextGen
    PARAGRAPHS = PARAGRAPHS
    PARAGRAPHS_KIND = "html"

    def __init__(self, seed: int, now: datetime, articles: list[Article], pages: SitePages):
        self.author_pool = _author_pool(seed)
        super().__init__(seed, now, articles, pages)

    def tag_slug(self, tag: str) -> str:
        return slugify(tag)

    def author_slug(self, author: str) -> str:
        return slugify(author)

    def render_inline(self, text: str, rng: Random, links: tuple[str, ...] = ()) -> str:
        return render_inline(text, rng, links=links)

    def _new_article(
        self, rng: Random, article_id: int, section: str, published: datetime
    ) -> Article:
        return _make_article(rng, article_id, section, published, self._titles, self.author_pool)

    def _make_body(self, article: Article) -> Body:
        return _make_body(self, article)


# --- generation ----------------------------------------------------------------------------


def _author_pool(seed: int) -> list[str]:
    return TextGen(Random(f"{seed}:authors")).people(40)


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


def _make_body(site: MoscowTimesSite, a: Article) -> Body:
    """Draw the article's blocks from its own seeded generator."""
    draft = site.draft(a, (3, 12), EXTERNAL_LINKS)
    rng, gen, older, paragraphs = draft.rng, draft.gen, draft.older, draft.paragraphs
    if all(p.isascii() for p in paragraphs):
        # Every article carries non-ASCII text, so that a wrong decoding shows.
        i = rng.randrange(len(paragraphs))
        paragraphs[i] += " " + gen.fill(rng.choice(NON_ASCII_SENTENCES))
    blocks: list[Block] = []
    for group, more in draft.groups(4):
        html = "\n".join(site.paragraph_html(t, rng, draft.links) for t in group)
        blocks.append(Block("html", html, list(group)))
        if more and (extra := _extra_block(rng, gen, a, older)):
            blocks.append(extra)
    if a.is_old and older:
        also = _also_see(rng, rng.choice(older))
        if blocks[-1].kind == "html":
            blocks[-1] = Block("html", blocks[-1].html + "\n" + also, blocks[-1].texts)
        else:
            blocks.append(Block("html", also))
    assert all(clean_text(t) == t for t in paragraphs)
    return Body(blocks, draft.sentences[0][0])
