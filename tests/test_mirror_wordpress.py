"""The WordPress mirror: routes, pagination, article markup, dates in Europe/Berlin, feeds and
sitemaps, ground truth, changes over time, conditional GET and faults, served by the shared
``MirrorServer``."""

from __future__ import annotations

import html
import http.client
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector

from newsarchive.extract.feeds import rss_entries, sitemap_entries
from newsarchive.mirror import FaultPlan, MirrorServer, clean_text
from newsarchive.mirror.faults import TRANSPORT
from newsarchive.mirror.wordpress import WordPressSite, build_wordpress_site
from newsarchive.mirror.wordpress import boilerplate as bp
from newsarchive.mirror.wordpress.routes import page_class
from newsarchive.mirror.wordpress.site import CATEGORIES

NOW = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)
ARTICLES = 150
BERLIN = ZoneInfo("Europe/Berlin")
MONTHS = {name: n for n, name in enumerate(bp.MONTHS, start=1)}


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET, redirects not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(
        "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {}
    )
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def page_of(url: str) -> Selector:
    status, headers, body = fetch(url)
    assert status == 200, url
    assert headers["content-type"] == "text/html; charset=utf-8"
    return Selector(text=body.decode("utf-8"))


def text_of(sel: Selector) -> str:
    return clean_text("".join(sel.xpath(".//text()").getall()))


def body_paragraphs(page: Selector) -> list[str]:
    """The post's text as a profile should read it: the direct ``p``/``h2``/``h3``/
    ``blockquote`` children of ``div.entry-content``, minus the editors' "Lesen Sie auch:" lines
    (plugin boxes, figures and embeds are nested deeper, or are not these elements)."""
    content = page.css("article div.entry-content")
    assert len(content) == 1
    texts = [text_of(el) for el in content.xpath("./p | ./h2 | ./h3 | ./blockquote")]
    return [
        t for t in texts if t and not t.startswith(bp.INLINE_RELATED) and not t.startswith(">> ")
    ]


def utc(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def site() -> WordPressSite:
    site = build_wordpress_site(ARTICLES, seed=7, now=NOW)
    site.sitemap_size = 40  # Yoast's wpseo_sitemap_entries_per_page: several post sitemaps
    return site


@pytest.fixture(scope="module")
def server(site: WordPressSite) -> Iterator[MirrorServer]:
    with MirrorServer(site) as server:
        yield server


@pytest.fixture(scope="module")
def truth(server: MirrorServer) -> dict[str, Any]:
    return server.ground_truth()


@pytest.fixture(scope="module")
def pages(truth: dict[str, Any]) -> dict[str, Selector]:
    return {a["url"]: page_of(a["url"]) for a in truth["articles"]}


# --- routes and listings ---------------------------------------------------------------------


def test_every_route_answers(server, truth):
    base = server.base_url
    article = truth["articles"][0]
    tag = next(t for a in truth["articles"] for t in a["tags"])
    ok = [
        "/",
        "/page/2/",
        "/kategorie/lokales/",
        "/kategorie/lokales/page/2/",
        "/kategorie/lokales/feed/",
        "/tag/stadtrat/",
        "/author/redaktion/",
        "/feed/",
        "/feed/atom/",
        "/robots.txt",
        "/sitemap_index.xml",
        "/post-sitemap.xml",
        "/post-sitemap2.xml",
        "/category-sitemap.xml",
        "/post_tag-sitemap.xml",
        "/author-sitemap.xml",
        "/news-sitemap.xml",
        urlsplit(article["url"]).path,
    ]
    for path in ok:
        assert fetch(base + path)[0] == 200, path
    path = urlsplit(article["url"]).path
    article_id = article["article_id"]
    redirects = {
        path.rstrip("/"): article["url"],
        f"/artikel/{article_id}/some-old-slug/": article["url"],
        "/kategorie/lokales": f"{base}/kategorie/lokales/",
        "/kategorie/lokales/page/1/": f"{base}/kategorie/lokales/",
        "/page/1/": f"{base}/",
        "/sitemap.xml": f"{base}/sitemap_index.xml",
    }
    for source, target in redirects.items():
        status, headers, _ = fetch(base + source)
        assert (status, headers.get("location")) == (301, target), source
    for missing in ("/artikel/1/nichts/", "/kategorie/gibt-es-nicht/", "/page/999/", "/nope"):
        status, headers, body = fetch(base + missing)
        assert status == 404 and bp.NOT_FOUND[0] in body.decode(), missing
    robots = fetch(base + "/robots.txt")[2].decode()
    assert "# START YOAST BLOCK" in robots
    assert f"Sitemap: {base}/sitemap_index.xml" in robots.splitlines()
    assert tag


def test_pagination_walks_every_category_once(server, truth):
    seen: dict[str, str] = {}
    for slug in CATEGORIES:
        url, pages, listed = f"{server.base_url}/kategorie/{slug}/", 0, []
        while url:
            page = page_of(url)
            pages += 1
            assert f"category-{slug}" in page.css("body::attr(class)").get()
            listed += page.css("main article.post h2.entry-title a::attr(href)").getall()
            nav = page.css("nav.navigation.pagination div.nav-links")
            if nav:
                assert nav.css("span.page-numbers.current[aria-current=page]")
            url = page.css("a.next.page-numbers::attr(href)").get()
        expected = [a["url"] for a in truth["articles"] if a["section"] == slug]
        assert listed == expected, slug  # newest first, each once
        assert all(len(listed[i : i + 10]) for i in range(0, len(listed), 10))
        assert fetch(f"{server.base_url}/kategorie/{slug}/page/{pages + 1}/")[0] == 404
        for u in listed:
            assert u not in seen
            seen[u] = slug
    assert set(seen) == {a["url"] for a in truth["articles"]}
    second = page_of(f"{server.base_url}/kategorie/lokales/page/2/")
    assert "paged-2" in second.css("body::attr(class)").get()
    assert second.css("a.prev.page-numbers::attr(href)").get().endswith("/kategorie/lokales/")
    more = second.css("a.more-link::attr(href)").get()
    assert re.search(r"#more-\d+$", more)


# --- article pages ---------------------------------------------------------------------------


def test_article_pages_hold_exactly_their_paragraphs(truth, pages):
    boilerplate = set(truth["boilerplate"])
    long_lines = [b for b in boilerplate if len(b) >= 12]
    for a in truth["articles"]:
        page = pages[a["url"]]
        assert body_paragraphs(page) == a["body_paragraphs"], a["url"]
        assert a["body_paragraphs"]
        assert boilerplate.isdisjoint(a["body_paragraphs"])
        for p in a["body_paragraphs"]:
            assert p == clean_text(p)
            assert not any(line in p for line in long_lines), p
        article = page.css(f"article#post-{a['article_id']}")
        assert f"postid-{a['article_id']}" in page.css("body::attr(class)").get()
        assert f"category-{a['section']}" in article.attrib["class"]
        h1 = article.css("h1.entry-title")
        kicker = text_of(h1.css("span.entry-kicker"))
        assert text_of(h1).removeprefix(kicker).strip() == a["title"]
        assert (text_of(article.css("p.wp-subtitle")) or None) == a["subtitle"]
        assert (text_of(article.css("div.entry-excerpt")) or None) == a["lead"]
        assert [text_of(x) for x in article.css("span.author.vcard a[rel=author]")] == a["authors"]
        assert [text_of(x) for x in article.css("span.tags-links a[rel=tag]")] == a["tags"]
        assert page.css("meta[property='og:image']::attr(content)").get() == a["image_url"]
        caption = article.css("figure.post-thumbnail figcaption")
        assert ((text_of(caption) or "").split(" Foto: ")[0] or None) == a["image_caption"]
        assert page.css("link[rel=canonical]::attr(href)").get() == a["url"]
        assert page.css("link[rel=shortlink]::attr(href)").get().endswith(f"/?p={a['article_id']}")
        paywall = bool(page.css("div#steady_paywall"))
        assert paywall == (a["is_accessible_for_free"] is False)
    assert {a["language"] for a in truth["articles"]} == {"de"}
    assert any(a["is_accessible_for_free"] is False for a in truth["articles"])
    paragraphs = [p for a in truth["articles"] for p in a["body_paragraphs"]]
    prose_paragraphs = [p for p in paragraphs if ". " in p]  # subheadings and quotes recur
    assert len(prose_paragraphs) == len(set(prose_paragraphs)), "paragraphs repeat"
    prose = " ".join(paragraphs)
    for word in ("Newsletter", "Cookies", "Spenden", "unterstützen", "Datenschutz"):
        assert word in prose, word  # the furniture's words occur in real text too


def test_boilerplate_appears_on_the_pages_in_varied_markup(truth, pages):
    raw = "".join(p.get() for p in list(pages.values())[:60])
    for marker in (
        'id="BorlabsCookieBoxWrap" type="text/template"',
        'id="cookie-notice"',
        'id="cookie-law-info-bar"',
        'id="cmplz-cookiebanner-container"',
        "_brlbs-content-blocker",
        "disturber__text",
        "title-pop-up",
        "box-spenden",
        'id="spendenleiste"',
        'id="steady_paywall"',
        "mc4wp-form",
        "mailpoet_form",
        'id="related_posts"',
        "crp_related",
        "jp-relatedposts",
        "rp4wp-related-posts",
        "td-related-title",
        "code-block code-block-",
        "g-single",
        "td-g-rec",
        "shariff-button",
        "sd-title",
        "a2a_kit",
        'id="breadcrumbs"',
        "author-box",
        "post-navigation",
        'id="respond"',
        "comment-list",
        "wp-caption-text",
        "wp-block-image",
        "wp-block-quote",
        "wp-block-embed",
        "data-lazy-src",
    ):
        assert marker in raw, marker
    text = html.unescape(raw)
    for line in (
        *bp.BORLABS[:3],
        bp.COOKIE_NOTICE[0],
        bp.DISTURBER[0],
        bp.TITLE_POPUP[0],
        bp.MC4WP[1],
        "Lesen Sie auch",
        "Das könnte Dich auch interessieren:",
        "Ähnliche Beiträge",
        bp.COMMENTS[2],
        bp.COMMENTS[7],
        bp.COMMENTS[9],
        bp.STEADY[1],
    ):
        assert line in text, line
    assert set(bp.INLINE_RELATED) & set(re.findall(r"<strong>([^<]+:)</strong>", raw))
    # In-body furniture sits inside div.entry-content, so one container selector is not enough.
    inside = "".join(p.css("div.entry-content").get() for p in pages.values())
    for marker in ("disturber", "code-block", "mc4wp-form", "_brlbs-content-blocker"):
        assert marker in inside, marker


def test_json_ld_and_meta_dates_are_utc_and_match_the_truth(truth, pages):
    shapes = set()
    for a in truth["articles"]:
        page = pages[a["url"]]
        graph = json.loads(page.css("script.yoast-schema-graph::text").get())["@graph"]
        types = [node["@type"] for node in graph]
        assert types[:2] == ["NewsArticle", "WebPage"] and types[-1] == "Person"
        news = graph[0]
        assert news["datePublished"].endswith("+00:00")
        assert utc(news["datePublished"]) == a["published_at"]
        assert utc(news["dateModified"]) == a["modified_at"]
        assert html.unescape(news["headline"]) == a["title"]
        authors = news["author"] if isinstance(news["author"], list) else [news["author"]]
        shapes.add(type(news["author"]).__name__)
        assert [x["name"] for x in authors] == a["authors"]
        assert news["keywords"] == a["tags"] if a["tags"] else "keywords" not in news
        section = CATEGORIES[a["section"]][0]
        assert news.get("articleSection") == ([section] if a["section"] != "allgemein" else None)
        published = page.css("meta[property='article:published_time']::attr(content)").getall()
        assert {utc(p) for p in published} == {a["published_at"]}  # theme's local + Yoast's UTC
        modified = page.css("meta[property='article:modified_time']::attr(content)").get()
        if a["modified_at"] > a["published_at"]:
            assert utc(modified) == a["modified_at"]
        else:
            assert modified is None
    assert shapes == {"dict", "list"}  # Co-Authors Plus: an array
    scheduled = [a for a in truth["articles"] if a["modified_at"] < a["published_at"]]
    assert scheduled  # modified before published, as scheduled posts are


def byline_local(page: Selector) -> datetime:
    """The visible byline date and time, naive (Europe/Berlin wall time)."""
    posted = page.css("article span.posted-on")
    if posted.css("time.entry-date"):
        day = text_of(posted.css("time.entry-date"))
        clock = text_of(posted.css("span.post_time")).removesuffix(" Uhr")
    else:
        text = text_of(posted.css("span.entry-date"))
        if m := re.fullmatch(r"(\d\d)\.(\d\d)\.(\d{4}) um (\d\d:\d\d) Uhr", text):
            d, mo, y, clock = m.groups()
            return datetime.fromisoformat(f"{y}-{mo}-{d}T{clock}")
        day, clock = text.removeprefix(bp.PUBLISHED + " ").split(", ")
    d, month, y = re.fullmatch(r"(\d+)\. (\w+) (\d{4})", day).groups()
    return datetime.fromisoformat(f"{y}-{MONTHS[month]:02d}-{int(d):02d}T{clock}")


def test_visible_byline_is_berlin_time_without_offset(truth, pages):
    offsets, dates_differ, ambiguous = set(), 0, 0
    for a in truth["articles"]:
        page = pages[a["url"]]
        posted = text_of(page.css("article span.posted-on"))
        assert not re.search(r"[+-]\d\d:\d\d|UTC|MEZ|MESZ", posted), posted
        wall = byline_local(page)
        published = datetime.fromisoformat(a["published_at"]).replace(second=0)
        readings = {wall.replace(tzinfo=BERLIN, fold=fold).astimezone(UTC) for fold in (0, 1)}
        assert published in readings, (a["url"], wall, a["published_at"])
        ambiguous += len(readings) > 1
        offsets.add(published.astimezone(BERLIN).utcoffset())
        dates_differ += wall.date() != published.date()
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}  # winter and summer time
    assert dates_differ  # published just after local midnight: the UTC date is the day before
    assert ambiguous  # 02:30 on the last Sunday of October happens twice


# --- feeds and sitemaps ----------------------------------------------------------------------


def test_feeds_list_the_newest_posts(server, truth):
    base = server.base_url
    newest = [a["url"] for a in truth["articles"]]
    status, headers, body = fetch(base + "/feed/")
    assert status == 200 and headers["content-type"].startswith("application/rss+xml")
    entries = rss_entries(body)
    assert [e.url for e in entries] == newest[:10]
    first = truth["articles"][0]
    assert html.unescape(entries[0].title) == first["title"]
    assert entries[0].published.endswith("+0000")
    assert (
        utc(datetime.strptime(entries[0].published, "%a, %d %b %Y %H:%M:%S %z").isoformat())
        == (first["published_at"])
    )
    assert b"<content:encoded><![CDATA[" in body and b'isPermaLink="false"' in body
    atom = rss_entries(fetch(base + "/feed/atom/")[2])
    assert [e.url for e in atom] == newest[:10]
    assert utc(atom[0].published.replace("Z", "+00:00")) == first["published_at"]
    for slug in ("lokales", "sport"):
        entries = rss_entries(fetch(f"{base}/kategorie/{slug}/feed/")[2])
        assert [e.url for e in entries] == [
            a["url"] for a in truth["articles"] if a["section"] == slug
        ][:10]


def test_sitemaps_list_every_post_and_the_news_sitemap_two_days(server, truth):
    base = server.base_url
    index = sitemap_entries(fetch(base + "/sitemap_index.xml")[2])
    posts = [s for s in index.sitemaps if "/post-sitemap" in s]
    assert posts[0] == f"{base}/post-sitemap.xml" and len(posts) == -(-ARTICLES // 40)
    assert f"{base}/news-sitemap.xml" in index.sitemaps
    urls = []
    for sitemap in posts:
        status, _, body = fetch(sitemap)
        assert status == 200 and b"<!-- XML Sitemap generated by Yoast SEO -->" in body
        urls += sitemap_entries(body).urls
    assert urls[0].url == f"{base}/"  # Yoast's first entry: the home page
    by_url = {a["url"]: a for a in truth["articles"]}
    listed = [e for e in urls[1:]]
    assert sorted(e.url for e in listed) == sorted(by_url)
    modified = [by_url[e.url]["modified_at"] for e in listed]
    assert modified == sorted(modified)  # by post_modified, oldest first
    for e in listed:  # a lastmod is a change (FeedEntry.modified), not the publication
        a = by_url[e.url]
        assert e.published is None
        assert utc(e.modified) == max(a["published_at"], a["modified_at"])
    news = sitemap_entries(fetch(base + "/news-sitemap.xml")[2]).urls
    since = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = [a for a in truth["articles"] if a["published_at"] >= since]
    assert recent and len(recent) < len(truth["articles"])
    assert [e.url for e in news] == [a["url"] for a in recent]
    assert [utc(e.published) for e in news] == [a["published_at"] for a in recent]
    category = sitemap_entries(fetch(base + "/category-sitemap.xml")[2]).urls
    assert {e.url for e in category} == {f"{base}/kategorie/{c}/" for c in CATEGORIES}


# --- ground truth, determinism, changes ------------------------------------------------------


def test_ground_truth_is_well_formed(truth, server):
    articles = truth["articles"]
    assert truth["base_url"] == server.base_url and truth["now"] == "2026-02-25T12:00:00Z"
    assert len(articles) == ARTICLES == len({a["article_id"] for a in articles})
    assert {a["section"] for a in articles} == set(CATEGORIES)
    for a in articles:
        m = re.fullmatch(r".*/artikel/(\d+)/([a-z0-9-]+)/", a["url"])
        assert m and m.group(1) == a["article_id"]
        assert a["published_at"].endswith("Z") and a["modified_at"].endswith("Z")
        assert a["version"] == 1 and a["servable_within"] == 1
    assert sum(len(a["authors"]) == 2 for a in articles)
    assert "Redaktion" in {n for a in articles for n in a["authors"]}
    assert bp.BORLABS[1] in truth["boilerplate"] and "Lesen Sie auch:" in truth["boilerplate"]


def test_site_is_deterministic_for_a_seed_and_a_clock():
    one, two = build_wordpress_site(30, seed=3, now=NOW), build_wordpress_site(30, seed=3, now=NOW)
    assert one.ground_truth("http://h") == two.ground_truth("http://h")
    for path in (one.newest[2].path, "/", "/feed/", "/kategorie/lokales/", "/sitemap_index.xml"):
        assert one.resolve("http://h", path).body == two.resolve("http://h", path).body
    other = build_wordpress_site(30, seed=4, now=NOW)
    assert other.ground_truth("http://h") != one.ground_truth("http://h")


def test_advance_publishes_and_updates_recent_posts():
    site = build_wordpress_site(200, seed=11, now=NOW)
    before = {a["article_id"]: a for a in site.ground_truth("http://h")["articles"]}
    result = site.advance(new_articles=4, updated_articles=3, hours=6)
    after = site.ground_truth("http://h")
    assert after["now"] == "2026-02-25T18:00:00Z" == result["now"]
    articles = {a["article_id"]: a for a in after["articles"]}
    added = [str(i) for i in result["added"]]
    assert len(added) == 4 and set(articles) == set(before) | set(added)
    for article_id in added:
        assert "2026-02-25T12:00:00Z" < articles[article_id]["published_at"] <= after["now"]
    updated = [str(i) for i in result["updated"]]
    assert 0 < len(updated) <= 3
    for article_id in updated:
        old, new = before[article_id], articles[article_id]
        assert new["version"] == 2 and new["body_paragraphs"][:-1] == old["body_paragraphs"]
        assert "2026-02-25T17:50:00Z" <= new["modified_at"] < after["now"]
    for article_id in set(before) - set(updated):
        assert articles[article_id] == before[article_id]
    assert site.generation == 1
    feed = rss_entries(site.resolve("http://h", "/feed/").body)
    assert feed[0].url == after["articles"][0]["url"]
    again = build_wordpress_site(200, seed=11, now=NOW)
    again.advance(new_articles=4, updated_articles=3, hours=6)
    assert again.ground_truth("http://h") == after


def test_conditional_get_gets_304_until_the_post_changes():
    with MirrorServer(build_wordpress_site(200, seed=11, now=NOW)) as server:
        truth = server.ground_truth()
        url = truth["articles"][0]["url"]
        status, headers, _ = fetch(url)
        assert status == 200 and headers["etag"].startswith('W/"') and headers["last-modified"]
        assert fetch(url, {"If-None-Match": headers["etag"]})[:3:2] == (304, b"")
        assert fetch(url, {"If-Modified-Since": headers["last-modified"]})[0] == 304
        assert fetch(url, {"If-None-Match": 'W/"other"'})[0] == 200
        assert fetch(server.base_url + "/feed/", {"If-None-Match": "*"})[0] == 200  # no ETag
        etags = {a["article_id"]: fetch(a["url"])[1]["etag"] for a in truth["articles"][:40]}
        result = server.advance(new_articles=1, updated_articles=3, hours=1)
        changed = {str(i) for i in result["updated"]}
        assert changed and changed <= set(etags)
        for a in truth["articles"][:40]:
            status = fetch(a["url"], {"If-None-Match": etags[a["article_id"]]})[0]
            assert status == (200 if a["article_id"] in changed else 304), a["url"]


# --- faults ----------------------------------------------------------------------------------


def test_fault_plans_target_the_wordpress_pages(site):
    article = site.newest[0].path
    assert page_class(article) == "article"
    for path in (
        "/",
        "/page/3/",
        "/kategorie/lokales/",
        "/kategorie/lokales/page/2/",
        "/tag/kita/",
    ):
        assert page_class(path) == "listing", path
    for path in ("/feed/", "/feed/atom/", "/kategorie/sport/feed/", "/sitemap_index.xml"):
        assert page_class(path) == "feed", path
    assert page_class("/robots.txt") is None and page_class("/__mirror__/requests") is None

    plan = FaultPlan(seed=1, rate=1.0, kinds=frozenset({"http503"}), hostile_rate=0.0)
    bound = plan.for_site(site)
    assert bound == plan and bound.for_site(site) is bound
    assert plan.scenario(article) is None  # the Moscow Times rules do not know this path
    with MirrorServer(site, faults=plan) as server:
        assert server.faults.scenario(article).kind == "http503"
        truth = server.ground_truth()
        assert all(a["servable_within"] >= 3 for a in truth["articles"])
        assert fetch(server.base_url + article)[0] == 503
        assert fetch(server.base_url + "/kategorie/lokales/page/2/")[0] == 503
        assert fetch(server.base_url + "/news-sitemap.xml")[0] == 503
        assert fetch(server.base_url + "/robots.txt")[0] == 200
    for path in ("/", "/kategorie/lokales/page/2/"):
        for seed in range(20):
            scenario = FaultPlan(seed=seed, rate=1.0).for_site(site).scenario(path)
            assert scenario.kind in TRANSPORT and scenario.attempts is not None

    truth = site.ground_truth("http://h")
    a = truth["articles"][0]
    only = FaultPlan(seed=2, rate=1.0, kinds=frozenset({"broken_jsonld"}), hostile_rate=0.0)
    with MirrorServer(site, faults=only) as server:
        page = page_of(server.base_url + article)
    with pytest.raises(json.JSONDecodeError):
        json.loads(page.css("script.yoast-schema-graph::text").get())
    assert body_paragraphs(page) == a["body_paragraphs"]
    only = FaultPlan(seed=2, rate=1.0, kinds=frozenset({"cp1251_header"}), hostile_rate=0.0)
    with MirrorServer(site, faults=only) as server:
        _, headers, body = fetch(server.base_url + article)
    assert headers["content-type"] == "text/html; charset=windows-1251"
    page = Selector(text=body.decode("cp1251"))
    assert body_paragraphs(page) == a["body_paragraphs"]


def test_cli_serves_the_wordpress_site(tmp_path):
    gt = tmp_path / "truth.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive.mirror", "--site", "wordpress", "--articles", "20",
         "--now", "2026-02-25T12:00:00Z", "--ground-truth", str(gt), "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        base = proc.stdout.readline().strip()
        data = json.loads(gt.read_text(encoding="utf-8"))
        assert data["base_url"] == base and len(data["articles"]) == 20
        assert "/artikel/" in data["articles"][0]["url"]
        assert fetch(data["articles"][0]["url"])[0] == 200
        assert fetch(base + "/sitemap_index.xml")[0] == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_evaluate_reads_the_wordpress_ground_truth(truth):
    """``newsarchive.evaluate`` works unchanged: a perfect archive scores perfectly, and a
    body with the plugins' furniture in it leaks."""
    from newsarchive.cleaning.text import join_paragraphs
    from newsarchive.evaluate import FIELDS, evaluate

    rows = [
        {
            **{name: a[name] for name in FIELDS},
            "url": a["url"],
            "article_id": a["article_id"],
            "version": a["version"],
            "content_hash": a["article_id"],
            "date": a["published_at"][:10],
            "body": join_paragraphs(a["body_paragraphs"]),
        }
        for a in truth["articles"]
    ]
    report = evaluate(rows, truth)
    assert not report.missing and not report.boilerplate_leaks and not report.wrong_partition
    assert all(report.field_accuracy(name) == 1.0 for name in FIELDS)
    assert report.paragraph_recall == report.paragraph_precision == 1.0
    rows[0]["body"] += "\n\n" + bp.MC4WP[1] + "\n\n" + bp.BORLABS[1]
    assert len(evaluate(rows, truth).boilerplate_leaks) == 2
