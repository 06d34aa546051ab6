"""The WordPress mirror's data: a seeded German local-news site ("Lindenauer Rundschau").

A WordPress 6 site with Yoast SEO (+ News SEO), Borlabs Cookie and the usual plugins, as
described in ``docs/wordpress-news-site.md`` (``/work/shared/docs``). Post metadata is drawn
eagerly when the site is built; bodies lazily, per post, from a generator seeded by (site seed,
post ID). ``advance()`` (shared, ``MirrorSite``) moves the clock, publishes and updates posts.

- Permalinks ``/artikel/{ID}/{slug}/`` (the lokalo.de scheme), category base ``/kategorie/``.
- Times: the site zone is Europe/Berlin (CET/CEST); the ground truth is UTC. Some posts are
  published right at the DST switches and near local midnight (local date != UTC date).
- Posts before 2019 were written in the classic editor (``wp-caption`` markup), later ones in
  Gutenberg (``wp-block-*``).
- Some posts are behind the Steady paywall: the HTML holds only the teaser, and so does the
  ground truth (``is_accessible_for_free`` False).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from newsarchive.mirror.pages import SitePages
from newsarchive.mirror.site import BASE, Block, Body, MirrorSite
from newsarchive.mirror.text import ParagraphStyle, clean_text, escape
from newsarchive.mirror.wordpress.content import INLINE_RELATED, content_blocker
from newsarchive.mirror.wordpress.text import TextGen, render_inline, slugify

BERLIN = ZoneInfo("Europe/Berlin")
SITE_NAME = "Lindenauer Rundschau"
CATEGORIES: dict[str, tuple[str, int]] = {
    # slug: (name, relative weight); "allgemein" is WordPress's default category
    "lokales": ("Lokales", 30),
    "politik": ("Politik", 16),
    "wirtschaft": ("Wirtschaft", 12),
    "kultur": ("Kultur", 10),
    "sport": ("Sport", 12),
    "panorama": ("Panorama", 8),
    "meinung": ("Meinung", 6),
    "allgemein": ("Allgemein", 6),
}
DEFAULT_CATEGORY = "allgemein"
# fmt: off
TAGS = (
    "Energiewende", "Bürgerbeteiligung", "Stadtrat", "Verkehr", "Klimaschutz", "Wohnungsbau",
    "Schule", "Gesundheit", "Polizei", "Haushalt", "Fußball", "Kommunalwahl", "Digitalisierung",
    "Einzelhandel", "Nahverkehr", "Theater", "Musik", "Ehrenamt", "Umwelt", "Landtag",
    "Kita", "Radverkehr", "Feuerwehr", "Gastronomie", "Öffentlicher Dienst", "Stadtfest",
)
# fmt: on
EXTERNAL_LINKS = (
    "https://www.leipzig.de/buergerservice-und-verwaltung/",
    "https://www.sachsen.de/",
    "https://www.destatis.de/DE/Presse/",
    "https://www.mdr.de/nachrichten/sachsen/",
)
OLDEST = datetime(2014, 3, 1, tzinfo=UTC)
FIRST_ID = 11_800
PARAGRAPHS = ParagraphStyle(
    shapes=((0.08, "<p>\n{}\n</p>"), (0.12, '<p style="text-align: justify;">{}</p>')),
    empty_rate=0.04,
    empty="\n<p>&nbsp;</p>",
)
"""The shapes editors leave a ``<p>`` in (the classic editor's justified text)."""
POSTS_PER_SITEMAP = 1000


def local(moment: datetime) -> datetime:
    """The site's wall clock (Europe/Berlin) at ``moment``."""
    return moment.astimezone(BERLIN)


@dataclass(frozen=True)
class Author:
    name: str
    nicename: str
    login: str
    user_id: int
    bio: str

    @property
    def schema_hash(self) -> str:
        """Yoast's person @id suffix: ``wp_hash(user_login . ID)``, 32 hex digits."""
        return hashlib.md5(f"{self.login}{self.user_id}".encode()).hexdigest()


@dataclass
class Image:
    """A featured image: ``/wp-content/uploads/{YYYY}/{MM}/{name}.jpg`` plus sizes."""

    attachment_id: int
    stem: str
    """``/wp-content/uploads/2023/11/rathaus-lindenau`` (without extension)."""
    width: int
    height: int
    caption: str | None
    alt: str

    @property
    def path(self) -> str:
        return f"{self.stem}.jpg"

    def sized(self, width: int) -> str:
        return f"{self.stem}-{width}x{round(self.height * width / self.width)}.jpg"


@dataclass
class Article:
    """One WordPress post."""

    id: int
    category: str
    published: datetime
    modified: datetime
    title: str
    slug: str
    kicker: str | None
    subtitle: str | None
    lead: str | None
    authors: tuple[Author, ...]
    tags: tuple[str, ...]
    image: Image | None
    paywalled: bool
    comments: int
    comments_open: bool
    layout: int
    """Seed for the page's presentation choices (boilerplate variants and positions)."""
    updates: list[str] = field(default_factory=list)
    version: int = 1

    @property
    def path(self) -> str:
        return f"/artikel/{self.id}/{self.slug}/"

    @functools.cached_property
    def local_published(self) -> datetime:
        return local(self.published)

    @property
    def gutenberg(self) -> bool:
        return self.local_published.year >= 2019

    @property
    def last_changed(self) -> datetime:
        return max(self.modified, self.published)

    @property
    def section(self) -> str:
        return self.category

    @property
    def author_names(self) -> list[str]:
        return [author.name for author in self.authors]

    @property
    def image_caption(self) -> str | None:
        """The archive keeps captions without their credits ("Foto: ...")."""
        return self.image.caption.split(" Foto: ")[0] if self.image and self.image.caption else None

    @property
    def is_accessible_for_free(self) -> bool | None:
        """What the page says: Yoast marks paywalled posts only (else the schema's null)."""
        return False if self.paywalled else None


class WordPressSite(MirrorSite[Article]):
    """All posts of the WordPress mirror; its sections are the categories (``by_section``)."""

    name = SITE_NAME
    language = "de"
    SECTIONS = CATEGORIES
    OLDEST = OLDEST
    FIRST_ID = FIRST_ID
    ID_STEPS = ((2, 12), (2, 9))  # attachments and revisions take IDs too
    STREAM_PREFIX = "wp-"
    TEXT = TextGen
    PARAGRAPHS = PARAGRAPHS
    PARAGRAPHS_KIND = "p"

    def __init__(self, seed: int, now: datetime, articles: list[Article], pages: SitePages):
        self.authors = _author_pool(seed)
        super().__init__(seed, now, articles, pages)

    def _publication_dates(self, rng: Random, count: int) -> list[datetime]:
        """A few posts at the instants that trip date parsers (one in ten, at most twelve):
        one of each kind first, then more of any kind."""
        dates = super()._publication_dates(rng, count)
        kinds = _edge_instants(rng, self.OLDEST, self.now - timedelta(hours=1))
        edges = [rng.choice(kind) for kind in kinds if kind]
        rest = sorted(set().union(*kinds) - set(edges))
        edges += rng.sample(rest, min(len(rest), 6))
        for i, moment in enumerate(edges[: min(count // 10, 12)]):
            dates[i * 7 % count] = moment
        return dates

    def _new_article(
        self, rng: Random, article_id: int, section: str, published: datetime
    ) -> Article:
        titles, authors = self._titles, self.authors
        return _make_article(rng, article_id, section, published, self.now, titles, authors)

    def _updatable(self, article: Article) -> bool:
        """Paywalled posts are not updated (their teaser would not show it)."""
        return not article.paywalled

    def author_slug(self, author: Author) -> str:
        return author.nicename

    def tag_slug(self, tag: str) -> str:
        return slugify(tag)

    def _make_body(self, article: Article) -> Body:
        """The post's visible content (a paywalled post: its teaser)."""
        return _make_body(self, article)

    def render_inline(self, text: str, rng: Random, links: tuple[str, ...] = ()) -> str:
        return render_inline(text, rng, links=links)


# --- generation ----------------------------------------------------------------------------

_BIOS = (
    "{name} schreibt seit {year} für die {site}, vor allem über Stadtpolitik und Verkehr.",
    "{name} ist Redakteurin im Lokalressort und berichtet aus den Ortsteilen.",
    "{name} leitet das Sportressort und ist bei fast jedem Heimspiel dabei.",
    "{name} volontierte bei der {site} und ist heute für Kultur und Freizeit zuständig.",
    "{name} berichtet über Wirtschaft, Handel und Handwerk in der Region.",
)


def _author_pool(seed: int) -> list[Author]:
    """Staff users (nicename = their name as a slug) and the desk user "Redaktion"."""
    rng = Random(f"{seed}:wp-authors")
    names = TextGen(rng).people(14)
    authors = []
    for i, name in enumerate(names):
        first, last = name.split(" ", 1)
        bio = rng.choice(_BIOS).format(name=name, year=rng.randint(2008, 2020), site=SITE_NAME)
        login = (first[0] + last).lower() if rng.random() < 0.6 else slugify(name)
        authors.append(Author(name, slugify(name), slugify(login), 3 + i * 2, bio))
    desk = f"Die Redaktion der {SITE_NAME} berichtet aus Lindenau und der Region."
    authors.append(Author("Redaktion", "redaktion", "redaktion", 2, desk))
    return authors


def _make_article(
    rng: Random,
    article_id: int,
    category: str,
    published: datetime,
    now: datetime,
    titles: set[str],
    authors: list[Author],
) -> Article:
    """Draw one post's metadata; ``titles`` keeps titles (and so slugs) unique."""
    gen = TextGen(rng, published.year)
    title = gen.unique_title(titles)
    slug = slugify(title)[:75].rstrip("-")
    roll = rng.random()
    if roll < 0.45:
        modified = published
    elif roll < 0.75:
        modified = published + timedelta(seconds=rng.randint(30, 1800))
    elif roll < 0.95:
        modified = published + timedelta(minutes=rng.randint(31, 4 * 24 * 60))
    else:  # scheduled: last edited before it went out
        modified = published - timedelta(minutes=rng.randint(10, 300))
    if modified > now:
        modified = max(published, now - timedelta(minutes=1))
    staff, desk = authors[:-1], authors[-1]
    n_roll = rng.random()
    if n_roll < 0.07:
        byline: tuple[Author, ...] = (desk,)
    elif n_roll < 0.2:
        byline = tuple(rng.sample(staff, 2))  # Co-Authors Plus
    else:
        byline = (rng.choice(staff),)
    tags = tuple(rng.sample(TAGS, rng.choices((0, 1, 2, 3, 4), (10, 25, 35, 20, 10))[0]))
    image = None
    if rng.random() < 0.8:
        loc = local(published)
        caption = None
        if rng.random() < 0.85:
            caption = gen.caption()
            if rng.random() < 0.7:
                caption += f" Foto: {gen.credit()}"
        stem = f"/wp-content/uploads/{loc:%Y/%m}/{slugify(gen.caption())[:40].rstrip('-')}"
        image = Image(
            article_id - rng.randint(1, 3),
            f"{stem}-{rng.randint(1, 99)}" if rng.random() < 0.3 else stem,
            rng.choice((1920, 1600, 1200)),
            rng.choice((1080, 900, 800)),
            caption,
            caption.split(" Foto: ")[0] if caption and rng.random() < 0.6 else "",
        )
    return Article(
        id=article_id,
        category=category,
        published=published,
        modified=modified,
        title=title,
        slug=slug,
        kicker=rng.choice(("Stadtrat", "Verkehr", "Nach dem Unwetter", "Kommentar", "Exklusiv"))
        if rng.random() < 0.2
        else None,
        subtitle=gen.sentence() if rng.random() < 0.35 else None,
        lead=gen.sentence() if rng.random() < 0.3 else None,
        authors=byline,
        tags=tags,
        image=image,
        paywalled=category != DEFAULT_CATEGORY and rng.random() < 0.05,
        comments=rng.choice((0, 0, 0, 1, 2, 3, 5, 8, 12)),
        comments_open=rng.random() < 0.8,
        layout=rng.getrandbits(32),
    )


def _edge_instants(rng: Random, first: datetime, last: datetime) -> list[list[datetime]]:
    """Instants a date parser gets wrong, by kind, for every year between first and last.

    The spring switch (last Sunday of March, 01:00 UTC) minus and plus 30-40 minutes; the
    autumn switch (last Sunday of October, 01:00 UTC) minus and plus 30 minutes (both 02:30
    on the wall: the hour that happens twice); 00:10-00:50 local in summer and in winter (the
    local date is one day after the UTC date).
    """
    kinds: list[list[datetime]] = [[] for _ in range(6)]
    for year in range(first.year, last.year + 1):
        march, october = (
            max(
                datetime(year, month, d, 1, tzinfo=UTC)
                for d in range(25, 32)
                if datetime(year, month, d).weekday() == 6
            )
            for month in (3, 10)
        )
        moments = (
            march - timedelta(minutes=rng.randint(30, 40)),
            march + timedelta(minutes=rng.randint(30, 40)),
            october - timedelta(minutes=30) + timedelta(seconds=rng.randint(0, 59)),
            october + timedelta(minutes=30) + timedelta(seconds=rng.randint(0, 59)),
            datetime(year, 7, rng.randint(1, 28), 22, rng.randint(10, 50), tzinfo=UTC),
            datetime(year, 1, rng.randint(1, 28), 23, rng.randint(10, 50), tzinfo=UTC),
        )
        for kind, moment in zip(kinds, moments, strict=True):
            if first <= moment <= last:
                kind.append(moment)
    return kinds


# --- bodies --------------------------------------------------------------------------------

LAZY_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def _figure(rng: Random, gen: TextGen, a: Article) -> str:
    """An in-body image: Gutenberg ``figure.wp-block-image`` or classic ``div.wp-caption``."""
    att = a.id + rng.randint(1, 4)
    loc = a.local_published
    name = slugify(gen.caption())[:40].rstrip("-")
    src = f"{BASE}/wp-content/uploads/{loc:%Y/%m}/{name}-1024x683.jpg"
    srcset = (
        f"{src} 1024w, {BASE}/wp-content/uploads/{loc:%Y/%m}/{name}-300x200.jpg 300w, "
        f"{BASE}/wp-content/uploads/{loc:%Y/%m}/{name}-768x512.jpg 768w"
    )
    caption = escape(gen.caption()) + (
        f" Foto: {escape(gen.credit())}" if rng.random() < 0.7 else ""
    )
    lazy = rng.random() < 0.5
    if lazy:
        img = (
            f'<img decoding="async" width="1024" height="683" src="{LAZY_GIF}" '
            f'data-lazy-src="{src}" data-lazy-srcset="{srcset}" alt="" '
            f'class="wp-image-{att}"><noscript><img decoding="async" width="1024" height="683" '
            f'src="{src}" alt="" class="wp-image-{att}"></noscript>'
        )
    else:
        img = (
            f'<img loading="lazy" decoding="async" width="1024" height="683" src="{src}" '
            f'alt="" class="wp-image-{att}" srcset="{srcset}" '
            'sizes="(max-width: 1024px) 100vw, 1024px">'
        )
    if a.gutenberg:
        return (
            f'<figure class="wp-block-image size-large">{img}'
            f'<figcaption class="wp-element-caption">{caption}</figcaption></figure>'
        )
    return (
        f'<div id="attachment_{att}" style="width: 1034px" class="wp-caption aligncenter">'
        f'{img}<p id="caption-attachment-{att}" class="wp-caption-text">{caption}</p></div>'
    )


def _embed(rng: Random, gen: TextGen, a: Article) -> str:
    """A tweet or a YouTube video, often behind a Borlabs content blocker (never body text)."""
    if rng.random() < 0.2:
        page = f"https://www.facebook.com/{slugify(gen.caption())[:30]}/posts/{rng.getrandbits(50)}"
        post = (
            f'<div class="fb-post" data-href="{page}" data-width="500" data-show-text="true">'
            f'<blockquote cite="{page}" class="fb-xfbml-parse-ignore"><p>'
            f"{escape(gen.sentence())}</p></blockquote></div>"
        )
        return (
            '<figure class="wp-block-embed is-type-rich is-provider-facebook '
            f'wp-block-embed-facebook"><div class="wp-block-embed__wrapper">\n'
            f"{content_blocker('facebook', post)}\n</div></figure>"
        )
    if rng.random() < 0.5:
        handle = slugify(gen.person()).replace("-", "_")
        inner = (
            '<blockquote class="twitter-tweet" data-width="550" data-dnt="true">'
            f'<p lang="de" dir="ltr">{escape(gen.sentence())}</p>&mdash; {escape(gen.person())} '
            f'(@{handle}) <a href="https://twitter.com/{handle}/status/{rng.getrandbits(60)}">'
            f"{a.local_published.day}.{a.local_published.month}.{a.local_published.year}"
            '</a></blockquote><script async src="https://platform.twitter.com/widgets.js" '
            'charset="utf-8"></script>'
        )
        provider = "twitter"
    else:
        inner = (
            '<iframe loading="lazy" title="YouTube video player" width="800" height="450" '
            f'src="https://www.youtube-nocookie.com/embed/{rng.getrandbits(40):010x}?feature=oembed"'
            ' frameborder="0" allowfullscreen></iframe>'
        )
        provider = "youtube"
    if rng.random() < 0.6:
        inner = content_blocker(provider, inner)
    kind = "rich" if provider == "twitter" else "video"
    return (
        f'<figure class="wp-block-embed is-type-{kind} is-provider-{provider} '
        f'wp-block-embed-{provider}"><div class="wp-block-embed__wrapper">\n{inner}\n'
        "</div></figure>"
    )


def _extra_block(rng: Random, gen: TextGen, a: Article, older: list[Article]) -> Block | None:
    roll = rng.random()
    if roll < 0.22:
        text = gen.heading()
        level = rng.choice(("h2", "h2", "h3"))
        cls = ' class="wp-block-heading"' if a.gutenberg else ""
        return Block("heading", f"<{level}{cls}>{render_inline(text, rng)}</{level}>", [text])
    if roll < 0.32:
        text = gen.quote()
        cls = ' class="wp-block-quote"' if a.gutenberg else ""
        html = f"<blockquote{cls}><p>{render_inline(text, rng)}</p></blockquote>"
        return Block("quote", html, [text])
    if roll < 0.46:
        return Block("figure", _figure(rng, gen, a))
    if roll < 0.53 and a.gutenberg:
        return Block("embed", _embed(rng, gen, a))
    if roll < 0.6 and older:
        # An editor's own cross-reference, typed into the post: a <p> that is no body text.
        other = rng.choice(older[-200:])
        link = f'<a href="{BASE}{other.path}">{escape(other.title)}</a>'
        label = rng.choice(INLINE_RELATED)
        return Block(
            "related",
            rng.choice(
                (
                    f"<p><strong>{label}</strong> {link}</p>",
                    f"<p><strong>{label} {link}</strong></p>",
                    f"<p>&gt;&gt; {label} {link}</p>",
                )
            ),
        )
    return None


def _make_body(site: WordPressSite, a: Article) -> Body:
    """Draw the post's blocks from its own seeded generator (a paywalled one: the teaser)."""
    draft = site.draft(a, (3, 11), EXTERNAL_LINKS)
    rng, gen = draft.rng, draft.gen
    blocks: list[Block] = []
    for group, more in draft.groups(3):
        blocks += [Block("p", site.paragraph_html(t, rng, draft.links), [t]) for t in group]
        if more and (extra := _extra_block(rng, gen, a, draft.older)):
            blocks.append(extra)
    if a.paywalled:  # Steady: the HTML holds the first two paragraphs only
        seen, cut = 0, len(blocks)
        for n, block in enumerate(blocks):
            seen += block.kind == "p"
            if seen == 2:
                cut = n + 1
                break
        blocks = blocks[:cut]
    # The "more" tag's anchor, at the start of the second paragraph.
    ps = [b for b in blocks if b.kind == "p"]
    if len(ps) > 1:
        ps[1].html = ps[1].html.replace("<p>", f'<p><span id="more-{a.id}"></span>', 1)
    assert all(clean_text(t) == t for b in blocks for t in b.texts)
    return Body(blocks, draft.sentences[0][0])
