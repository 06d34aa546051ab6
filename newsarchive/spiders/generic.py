"""Any news site with no profile of its own: ``scrapy crawl news -a url=https://example.com/``.

The articles are found where a site lists them for machines: the sitemaps its robots.txt
names (``/sitemap.xml`` when it names none; sitemap indexes and Google News sitemaps alike)
and the RSS/Atom feeds its home page links to. Each page is read from its structured data
(JSON-LD, OpenGraph, article meta: ``extract.generic``), its text as trafilatura finds it with
our boilerplate rules on top, its dates from the best source it has (``newsarchive.dates``;
the site's time zone is unknown, so a naive time gives its day only, unless ``-a
timezone=Europe/Berlin`` names it). A crawled page that does not say it is an article (no
article object in its JSON-LD, no ``og:type`` article: a section or tag page a sitemap
lists) is a counted skip. The archive's
``site`` is the host (``www.example.co.uk`` -> ``example-co-uk``). ``scrapy extract`` reads
saved pages of sites with no profile with it too, leniently: a page it is given is taken for
an article if trafilatura finds an article's worth of text in it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from lxml import etree
from scrapy.http import Response

from newsarchive import arguments
from newsarchive.extract import generic
from newsarchive.extract.base import ArticlePage
from newsarchive.extract.generic import PageLayout
from newsarchive.extract.html import css_xpath, parse_html
from newsarchive.extract.main_text import load_page, trafilatura_body, words_in
from newsarchive.extract.page_dates import keep_parsed
from newsarchive.profiles import WORDPRESS_RULES
from newsarchive.spiders.base import OPTIONAL_META
from newsarchive.spiders.profile import ProfileSpider

# Where the text of an article sits on most news sites, most specific first: schema.org
# microdata, WordPress themes (core, tagDiv, Elementor), common CMS classes, then <article>.
GENERIC_LAYOUT = PageLayout(
    body="[itemprop=articleBody], div.entry-content, div.td-post-content, div.entry__content, "
    "div.elementor-widget-theme-post-content, div.article-body, div.article__body, "
    "div.article-content, div.article__content, div.story-body, div.post-content, article, main",
)
WHOLE_PAGE = PageLayout(body="body")
MIN_WORDS_WITHOUT_MARKUP = 40
"""Words a page with no sign of being an article needs before it is read as one."""
NOT_AN_ARTICLE_PAGE = "not_an_article_page"
_FEED_LINKS = css_xpath(
    'link[rel=alternate][type="application/rss+xml"], '
    'link[rel=alternate][type="application/atom+xml"]'
)
_NAV_LINKS = css_xpath("nav a[href], [role=navigation] a[href], .menu a[href], .nav a[href]")
_CONTENT_LINKS = etree.XPath(
    "//a[@href][not(ancestor::nav or ancestor::footer or ancestor::*[@role='navigation'])]"
)
MAX_SECTION_PAGES = 40
"""Section pages read from a home page's navigation, at the most (a mega-menu lists
hundreds)."""
_NOT_CONTENT = re.compile(
    r"/(tags?|authors?|autor(en)?|search|suche|login|anmelden|register|account|abo(nnement)?"
    r"|subscribe|newsletter|feed|rss|wp-(admin|login|content|json)|impressum|datenschutz"
    r"|privacy|terms|agb|kontakt|contact|about|ueber-uns|cookies?|page/\d+)(/|$)"
    r"|\.(jpe?g|png|gif|webp|svg|pdf|xml|rss|css|js|zip|mp3|mp4)$",
    re.I,
)
_SLUG_WORDS = re.compile(r"[^\W_]+(?:[-_][^\W_]+){2,}")
_LONG_NUMBER = re.compile(r"\d{4,}")
_SCRIPT = re.compile(r"(^/?$|\.(php\d?|aspx?|jsp|cfm|cgi|pl)$|/index\.html?$)", re.I)


def article_url(url: str) -> str:
    """An article link as the article's URL: without its fragment, and without its query
    unless the path is a script or the root that the query names a page of (then without
    the parameters that only say how the reader came, the rest sorted). WordPress adds
    ``?replytocom=``, newsletters ``?utm_source=``: still the same article."""
    parts = urlsplit(url)
    query = ""
    if _SCRIPT.search(parts.path):
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode(sorted(p for p in pairs if not _TRACKING.match(p[0])))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def looks_like_article(url: str) -> bool:
    """Whether a link found on a section page is worth fetching as an article: a path
    with a slug of three words or more, or a long number (an ID, a date), or a script's
    query naming the page; never a tag, author, search, legal or pagination page, or a
    file."""
    parts = urlsplit(url)
    if (parts.path in ("", "/") and not parts.query) or _NOT_CONTENT.search(parts.path):
        return False
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    named = bool(parts.query) and _SCRIPT.search(parts.path) is not None
    return bool(_SLUG_WORDS.search(last) or _LONG_NUMBER.search(parts.path) or named)


_NON_SITE = re.compile(r"[^a-z0-9_-]+")
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_[ce]id|ref|ref_src|refsrc|cmpid|ocid|at_\w+"
    r"|wt_\w+|rss\w*|feed\w*|source|src|from|share|replytocom|amp|output)$",
    re.I,
)
"""Query parameters that say how a reader came, not which article: not part of its ID."""


def site_of(url: str) -> str:
    """The archive's ``site`` for a host: ``www.example.co.uk`` -> ``example-co-uk``."""
    host = (urlsplit(url).hostname or "unknown").lower().removeprefix("www.")
    return _NON_SITE.sub("-", host).strip("-")[:64] or "unknown"


def robots_sitemaps(text: str, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in its order, once each."""
    found = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            found.append(urljoin(base_url + "/", value.strip()))
    return list(dict.fromkeys(found))


class GenericSpider(ProfileSpider):
    """A profile for any site: every URL of its host may be an article, its path the ID."""

    name = "news"
    site = "news"
    default_base_url = "https://example.org"
    sections = ()
    article_path = r"^(?P<id>/.+)$"  # (``article_id`` below reads the whole URL instead)
    layout = GENERIC_LAYOUT
    local_timezone = None  # unknown: a naive time on the site gives its day only
    # The WordPress plugins' boxes are the commonest boilerplate on news sites (and their
    # selectors name what they remove: consent, donation, newsletter, related, ads, share).
    boilerplate_rules = WORDPRESS_RULES
    skip_reasons: ClassVar[frozenset[str]] = frozenset({NOT_AN_ARTICLE_PAGE})

    def __init__(self, *args: Any, url: str | None = None, **kwargs: Any) -> None:
        if url:
            parts = urlsplit(arguments.http_url("url", url))
            kwargs.setdefault("base_url", f"{parts.scheme}://{parts.netloc}")
        elif not kwargs.get("base_url"):
            raise arguments.BadArgument(
                "url", url, "give the site's home page, e.g. -a url=https://www.example.com/"
            )
        super().__init__(*args, **kwargs)
        self.site = site_of(self.base_url)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """robots.txt (for its sitemaps) and the home page (for its feeds)."""
        yield self.discovery_request(f"{self.base_url}/robots.txt", self.parse_robots, True)
        yield scrapy.Request(
            f"{self.base_url}/",
            callback=self.parse_home,
            errback=self._on_failure,
            meta={"newsarchive_kind": "feed"},
        )

    def article_id(self, url: str) -> str | None:
        """The path of the article's URL (see ``article_url``): with its query only where
        the path is a script or the root (``/article.php?id=7``, ``/?p=12``)."""
        if not self.allowed_url(url):
            return None
        parts = urlsplit(article_url(url))
        if parts.path in ("", "/") and not parts.query:
            return None  # the home page
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def article_request(self, url: str, section: str | None) -> Iterator[scrapy.Request]:
        """As for any site, at the article's own URL (``article_url``): a link with a
        comment-reply or tracking query fetches the article, once."""
        yield from super().article_request(article_url(url), section)

    def start_discovery(self) -> None:
        """Discovery is where this spider starts: nothing more to add when it idles."""

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        text = response.text if hasattr(response, "text") else ""
        named = robots_sitemaps(text, self.base_url)
        self.crawler.stats.inc_value("newsarchive/feeds/sitemaps_in_robots", len(named))
        for url in named or [f"{self.base_url}/sitemap.xml"]:  # a guess, when none is named
            if self.allowed_url(url):
                yield self.discovery_request(url, self._parse_sitemap, optional=not named)

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        """The feeds the home page links to (``<link rel=alternate>``), its section pages
        (the links of its navigation) and the articles it links to itself."""
        html = self.as_text(response)
        if html is None:
            return
        root = parse_html(html.text)
        for link in _FEED_LINKS(root):
            url = urljoin(response.url, link.get("href") or "")
            if "comment" in url.lower() or "kommentar" in (link.get("title") or "").lower():
                continue  # a comments feed lists comments, not articles
            if link.get("href") and self.allowed_url(url):
                yield scrapy.Request(
                    url,
                    callback=self._parse_feed,
                    errback=self._on_failure,
                    cb_kwargs={"section": None},
                    meta={"newsarchive_kind": "feed"},
                )
        sections = dict.fromkeys(
            url
            for url in (urljoin(response.url, a.get("href") or "") for a in _NAV_LINKS(root))
            if self.allowed_url(url)
            and not _NOT_CONTENT.search(urlsplit(url).path)
            and urlsplit(url).path not in ("", "/")
        )
        self.crawler.stats.inc_value("newsarchive/feeds/section_links", len(sections))
        for url in list(sections)[:MAX_SECTION_PAGES]:
            yield self.discovery_request(url, self.parse_section_links, optional=True)
        yield from self.parse_section_links(html)

    def parse_section_links(self, response: Response) -> Iterator[scrapy.Request]:
        """The links of a section page (or the home page) that look like articles; a page
        that is none after all is a counted skip (``not_an_article_page``)."""
        html = self.as_text(response)
        if html is None:
            return
        root = parse_html(html.text)
        seen: set[str] = set()
        for link in _CONTENT_LINKS(root):
            url = urljoin(response.url, link.get("href") or "").split("#", 1)[0]
            if url in seen or not self.allowed_url(url) or not looks_like_article(url):
                continue
            seen.add(url)
            yield from self._discovered(url, None)

    def discovery_request(self, url: str, callback: Any, optional: bool = False) -> scrapy.Request:
        """A robots.txt, sitemap, feed or section page; ``optional``: one the site need not
        have (robots.txt, a guessed /sitemap.xml, a menu link), whose 404 is no failure."""
        meta = {"newsarchive_kind": "feed", OPTIONAL_META: optional}
        return scrapy.Request(url, callback=callback, errback=self._on_failure, meta=meta)

    def parse_article_page(
        self, response: Response, section: str | None
    ) -> ArticlePage | str | None:
        """The structured data's fields; the body as trafilatura finds it (a site with no
        profile has no body selector to trust), our cleaning after it."""

        # One parse serves our reading of the structured data, trafilatura and htmldate:
        # trafilatura's, which is what it would make of the text.
        def parsed() -> tuple[Any | None, Any]:
            """trafilatura's tree of the page, and ours: the same, but where trafilatura
            made a fragment of a page that starts with something else than markup (a PHP
            warning, say): ours reads that as the whole document it is."""
            tree = load_page(response.text, response.body, response.encoding)
            whole = tree is not None and tree.tag == "html"
            return tree, tree if whole else parse_html(response.text)

        tree, root = parsed()
        page = generic.parse_article(
            response.text,
            response.url,
            self.layout,
            self.article_id,
            section,
            root=root,
            keep_page=True,
            find_body=False,
        )
        marked = not (isinstance(page, ArticlePage) and "no_article_markup" in page.problems)
        # lenient (scrapy extract): a page with no article markup is read as an article if
        # it has the text of one, since the pages it is given are meant to be articles
        if not marked and not self.lenient:
            return NOT_AN_ARTICLE_PAGE
        keep_parsed(response.text, None)
        # Where nothing of the tree is kept (a page read from its structured data, whose
        # layout body was not looked for, which names a date: the date fallbacks read a
        # tree of the page too), trafilatura's fast extraction changes the tree itself, not
        # a copy; the full one, where there is one, gets the page parsed again.
        own = (
            page is not None
            and page.fields["body_html"] is page.fields["lead_html"] is None
            and bool(page.fields["published_raw"])
        )
        spare = (lambda: parsed()[0]) if own else None
        body = trafilatura_body(tree, response.url, spare) if tree is not None else None
        if own and root is tree:
            root = None  # changed by trafilatura
        if page is None:
            # No structured data and no article container: an article all the same, when
            # reading saved pages, if trafilatura finds an article's worth of text in it.
            words = words_in(body, MIN_WORDS_WITHOUT_MARKUP) if body is not None else 0
            if not self.lenient or words < MIN_WORDS_WITHOUT_MARKUP:
                return None
            page = generic.parse_article(
                response.text,
                response.url,
                WHOLE_PAGE,
                self.article_id,
                section,
                root=root,
                keep_page=True,
            )
            if not isinstance(page, ArticlePage):
                return None
        if body is None:
            # trafilatura found no text: the layout's body, cleaned by our rules alone
            # (moved out of the page: the date fallbacks parse the page again)
            if page.fields["body_html"] is None:
                root = root if root is not None else parsed()[1]
                page.fields["body_html"] = generic.layout_body(root, self.layout)
            return generic.detached(page)
        page.fields["body_html"] = None  # trafilatura's body instead of the layout's
        generic.detached(page)
        page.fields["body_html"] = body
        keep_parsed(response.text, root)  # as parsed, unchanged: for the date fallbacks
        return page
