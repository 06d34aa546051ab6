"""The offline mirror: listings, article markup and quirks, ground truth, server and CLI."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from newsarchive.mirror import FaultPlan, MirrorServer, build_site, clean_text
from newsarchive.mirror.faults import CORRECT_KINDS, KINDS, TRANSPORT
from newsarchive.mirror.moscowtimes.site import SECTIONS, MoscowTimesSite

NOW = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)
ARTICLES = 160


def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn.request(method, target, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def text_of(sel: Selector) -> str:
    return clean_text("".join(sel.xpath(".//text()").getall()))


def body_paragraphs(page: Selector) -> list[str]:
    """Body text by the documented selectors, as the spider should extract it."""
    texts = []
    for block in page.css("div.article__content > div.article__block"):
        kind = re.search(r"article__block--(\w+)", block.attrib["class"]).group(1)
        if kind == "html":
            texts += [text_of(p) for p in block.css("p")]
        elif kind == "header":
            texts += [text_of(h) for h in block.css("h2, h3")]
        elif kind == "quote":
            texts += [text_of(q) for q in block.css("blockquote")]
    out, skip = [], False
    for text in filter(None, texts):
        if skip:
            skip = False
        elif text == "Also see:":
            skip = True
        elif not text.startswith("Also see:"):
            out.append(text)
    return out


@pytest.fixture(scope="module")
def site() -> MoscowTimesSite:
    return build_site(ARTICLES, seed=7, now=NOW)


@pytest.fixture(scope="module")
def server(site: MoscowTimesSite) -> Iterator[MirrorServer]:
    with MirrorServer(site) as server:
        yield server


@pytest.fixture(scope="module")
def truth(server: MirrorServer) -> dict[str, Any]:
    return server.ground_truth()


@pytest.fixture(scope="module")
def by_url(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["url"]: a for a in truth["articles"]}


def page_of(url: str) -> Selector:
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    return Selector(text=body.decode("utf-8"))


# --- listings --------------------------------------------------------------------------------


def test_section_page_has_19_excerpts_and_the_more_button(server, by_url):
    page = page_of(server.base_url + "/news")
    cluster = page.css("section.cluster.cluster--section-articles")
    assert cluster.css("h1.cluster__label::text").get() == "Latest articles"
    lead = cluster.css("div.article-excerpt-lead[data-url][data-title]")
    assert len(lead) == 1
    assert lead.css("a.article-excerpt-lead__link::attr(href)").get() == lead.attrib["data-url"]
    excerpts = cluster.css("div.col-4.col-12-md.col-4-sm > div.article-excerpt-default")
    assert len(excerpts) == 18
    for ex in excerpts:
        assert ex.css("a.article-excerpt-default__link::attr(href)").get() == ex.attrib["data-url"]
        assert ex.css("h3.article-excerpt-default__headline::text").get() == ex.attrib["data-title"]
        assert ex.css("div.article-excerpt-default__teaser::text").get()
        assert re.fullmatch(r"\d+ Min read", ex.css("div.readtime::text").get())
    more = page.css('div[y-use="More"]')
    assert more.attrib["data-url"] == server.base_url + "/news/{{offset}}"
    assert (more.attrib["data-start"], more.attrib["data-step"]) == ("19", "18")
    assert "Support The Moscow Times!" in page.css("div.contribute-teaser").get()
    urls = [lead.attrib["data-url"]] + [ex.attrib["data-url"] for ex in excerpts]
    assert all(by_url[u]["section"] == "news" for u in urls)
    dates = [by_url[u]["published_at"] for u in urls]
    assert dates == sorted(dates, reverse=True)
    sidebar = page.css("aside.sidebar a::attr(href)").getall()
    assert sidebar and all(by_url[u]["section"] != "news" for u in sidebar)


def test_load_more_fragments_are_bare_and_end_empty(server):
    status, headers, body = fetch(server.base_url + "/news/19")
    assert status == 200 and headers["content-type"].startswith("text/html")
    html = body.decode()
    assert "<html" not in html and "<head" not in html and "<body" not in html
    fragment = Selector(text=html)
    assert len(fragment.css("div.col-4.col-12-md.col-4-sm > div.article-excerpt-default")) == 18
    offset = 19
    while True:
        status, _, body = fetch(f"{server.base_url}/news/{offset}")
        assert status == 200
        if not body.strip():
            break
        offset += 18
    assert offset > 37


def listed_urls(base: str, section: str) -> list[str]:
    page = page_of(f"{base}/{section}")
    urls = page.css(
        "section.cluster--section-articles div.article-excerpt-lead::attr(data-url),"
        "section.cluster--section-articles div.article-excerpt-default::attr(data-url)"
    ).getall()
    offset = 19
    while True:
        _, _, body = fetch(f"{base}/{section}/{offset}")
        if not body.strip():
            return urls
        urls += (
            Selector(text=body.decode()).css("div.article-excerpt-default::attr(data-url)").getall()
        )
        offset += 18


def test_every_article_is_reachable_through_its_section_listing(server, truth):
    seen: dict[str, str] = {}
    for section in SECTIONS:
        urls = listed_urls(server.base_url, section)
        assert len(urls) >= 3, section
        for url in urls:
            assert url not in seen, f"{url} listed in {seen.get(url)} and {section}"
            seen[url] = section
    assert seen == {a["url"]: a["section"] for a in truth["articles"]}


# --- article pages ---------------------------------------------------------------------------


def test_article_pages_match_the_ground_truth(server, truth):
    for a in truth["articles"][::6]:
        page = page_of(a["url"])
        assert page.css("link[rel=canonical]::attr(href)").get() == a["url"]
        article = page.css("article.article")
        assert text_of(article.css("header.article__header h1 > a")) == a["title"]
        assert (text_of(article.css("header.article__header h2")) or None) == a["subtitle"]
        assert (text_of(article.css("div.article__intro")) or None) == a["lead"]
        names = article.css("div.byline__author a.byline__author__name")
        assert [text_of(n) for n in names] == a["authors"]
        assert body_paragraphs(page) == a["body_paragraphs"], a["url"]
        tags = article.css("div.article__tags a.tag.article__tags__tag")
        assert [text_of(t) for t in tags] == a["tags"]
        assert page.css("meta[property='og:image']::attr(content)").get() == a["image_url"]
        caption = article.css("figure.article__featured-image .article__featured-image__caption")
        assert (text_of(caption) or None if caption else None) == a["image_caption"]
        published = page.css("meta[property='article:published_time']::attr(content)").get()
        assert utc(published) == a["published_at"]
        modified = page.css("meta[property='article:modified_time']::attr(content)").get()
        assert (utc(modified) if modified else None) == a["modified_at"]
        opinion = bool(article.css("span.label.article__label.label--opinion"))
        assert opinion == (a["section"] == "opinion")
        assert bool(page.css("div.article__disclaimer")) == opinion
        assert page.css("section[y-name=banner]")
        assert (
            page.css("div#load-next-article::attr(data-url)")
            .get()
            .endswith("/all/" + a["article_id"])
        )


def utc(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_article_head_and_json_ld_quirks(server, site, truth):
    opinion = next(
        a for a in truth["articles"] if a["section"] == "opinion" and len(a["authors"]) > 1
    )
    raw = fetch(opinion["url"])[2]
    html = raw.decode()
    page = Selector(text=html)
    assert page.css("meta[name=description]::attr(content)").get().startswith("Opinion | ")
    assert not page.css("meta[property='og:type']")
    for prop in ("og:url", "og:title", "og:description", "og:site_name", "article:content_tier"):
        assert page.css(f"meta[property='{prop}']"), prop
    assert page.css("meta[property='article:section']::attr(content)").get() == "news"
    assert "article--news" in page.css("article.article::attr(class)").get()
    blocks = page.css('script[type="application/ld+json"]::text').getall()
    assert len(blocks) == 3
    meta_block = page.css("script[data-json-ld-for-pagemetadata]::text").get()
    assert "https:\\/\\/" in meta_block and "https://" not in meta_block
    data = json.loads(meta_block)
    graph = data["@graph"] if isinstance(data, dict) else data
    news = next(n for n in graph if n["@type"] == "NewsArticle")
    crumbs = next(n for n in graph if n["@type"] == "BreadcrumbList")
    assert news["author"] == {
        "@type": "Person",
        "name": opinion["authors"][0],
        "url": news["author"]["url"],
    }
    assert news["articleSection"] == "news"
    assert news["inLanguage"] == "en"
    assert news["keywords"] == ", ".join(opinion["tags"])
    assert crumbs["itemListElement"][1]["item"].endswith("/opinion")
    with pytest.raises(json.JSONDecodeError):
        json.loads(blocks[2])
    assert json.loads(blocks[1])["@type"] == "NewsMediaOrganization"

    war = next(a for a in truth["articles"] if a["section"] == "ukraine-war")
    page = page_of(war["url"])
    assert page.css("meta[property='article:section']::attr(content)").get() == "ukraine_war"
    assert "article--ukraine_war" in page.css("article.article::attr(class)").get()

    anonymous = next(a for a in truth["articles"] if not a["authors"])
    page = page_of(anonymous["url"])
    assert not page.css("div.byline__author")
    data = json.loads(page.css("script[data-json-ld-for-pagemetadata]::text").get())
    graph = data["@graph"] if isinstance(data, dict) else data
    news = next(n for n in graph if n["@type"] == "NewsArticle")
    assert news["author"]["@type"] == "Organization"
    assert news["author"]["name"] == "The Moscow Times"


def test_byline_shows_the_update_time_only_after_ten_minutes(server, truth):
    def delay(a: dict[str, Any]) -> timedelta:
        return datetime.fromisoformat(a["modified_at"]) - datetime.fromisoformat(a["published_at"])

    changed = [a for a in truth["articles"] if a["modified_at"]]
    late = next(a for a in changed if delay(a) > timedelta(minutes=10))
    early = next(a for a in changed if timedelta(0) < delay(a) <= timedelta(minutes=10))
    time = page_of(late["url"]).css("time.byline__datetime")
    assert time.css("::text").get().startswith("Updated: ")
    assert utc(time.attrib["datetime"]) == late["modified_at"]
    time = page_of(early["url"]).css("time.byline__datetime")
    assert not time.css("::text").get().startswith("Updated")
    assert utc(time.attrib["datetime"]) == early["published_at"]


def test_old_articles_end_with_also_see(server, truth):
    old = [a for a in truth["articles"] if a["published_at"] < "2017-12-31"]
    assert old
    for a in old[:5]:
        content = page_of(a["url"]).css("div.article__content")
        assert "Also see:" in text_of(content.css("div.article__block--html")[-1])


def test_wrong_slug_or_date_redirects_and_unknown_ids_are_missing(server, truth):
    url = truth["articles"][0]["url"]
    article_id = truth["articles"][0]["article_id"]
    for wrong in (
        f"{server.base_url}/2001/01/01/whatever-a{article_id}",
        url.replace(f"-a{article_id}", f"-extra-a{article_id}"),
        url + "/",
    ):
        status, headers, _ = fetch(wrong)
        assert status == 301, wrong
        assert headers["location"] == url
    assert fetch(f"{server.base_url}/2026/01/01/nothing-a1")[0] == 404
    assert fetch(f"{server.base_url}/no-such-page")[0] == 404
    assert fetch(f"{server.base_url}/in-depth")[1]["location"] == server.base_url + "/features"


def test_quirks_a_cleaner_must_undo_are_present(server, truth):
    html = "".join(fetch(a["url"])[2].decode() for a in truth["articles"][:40])
    for quirk in ("&shy;", "\u200b", "&nbsp;", "&amp;", "&#8217;", "<em>", "<strong>", "\u0301"):
        assert quirk in html, repr(quirk)
    assert re.search(r"<p>[^<]*<a href=", html)
    assert "article__block--embed" in html and "article__related-article" in html
    for marker in (
        "tmt-popup",
        "x7f-overlay",
        "support-message",
        "rdr-appeal",
        "nl-signup",
        "subscribe-box",
        "newsletter__label",
        "contribute-banner",
        "contribute-bar",
    ):
        assert marker in html, marker


# --- ground truth ----------------------------------------------------------------------------


def test_ground_truth_is_well_formed(truth, server):
    articles = truth["articles"]
    assert truth["base_url"] == server.base_url and truth["seed"] == 7
    assert truth["now"] == "2026-02-25T12:00:00Z"
    assert len(articles) == ARTICLES
    assert len({a["article_id"] for a in articles}) == ARTICLES
    assert len({a["title"] for a in articles}) == ARTICLES
    assert {a["section"] for a in articles} == set(SECTIONS)
    recent = [a for a in articles if a["published_at"] >= "2025-11-27"]
    assert 0.75 < len(recent) / ARTICLES < 0.95
    assert min(a["published_at"] for a in articles) >= "2012-01-01"
    for a in articles:
        m = re.fullmatch(r".*/(\d{4})/(\d\d)/(\d\d)/([a-z0-9-]+)-a(\d+)", a["url"])
        assert m and m.group(5) == a["article_id"]
        assert all(p == clean_text(p) and p for p in a["body_paragraphs"])
        assert a["language"] == "en" and a["version"] == 1
        assert a["subtitle"] is None or a["subtitle"]
        assert 0 <= len(a["authors"]) <= 3 and len(a["tags"]) <= 5
    paragraphs = [p for a in articles for p in a["body_paragraphs"]]
    assert len(paragraphs) == len(set(paragraphs)), "body paragraphs repeat across articles"
    prose = " ".join(paragraphs).lower()
    for word in ("newsletter", "support", "read more", "foreign agent", "privacy policy"):
        assert word in prose, word
    assert any(not p.isascii() for p in paragraphs)
    assert set(paragraphs).isdisjoint(truth["boilerplate"])
    assert "A Message from The Moscow Times:" in truth["boilerplate"]


def test_site_is_deterministic_for_a_seed_and_a_clock():
    one, two = build_site(25, seed=3, now=NOW), build_site(25, seed=3, now=NOW)
    assert one.ground_truth("http://h") == two.ground_truth("http://h")
    other = build_site(25, seed=4, now=NOW)
    assert other.ground_truth("http://h") != one.ground_truth("http://h")
    from newsarchive.mirror.moscowtimes.routes import resolve

    path = one.newest[3].path
    assert resolve(one, "http://h", path).body == resolve(two, "http://h", path).body


# --- robots, feeds, sitemaps -----------------------------------------------------------------


def test_robots_txt(server):
    status, headers, body = fetch(server.base_url + "/robots.txt")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    lines = body.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for rule in ("/preview/", "/search/", "*?utm", "*&utm"):
        assert f"Disallow: {rule}" in lines
    assert f"Sitemap: {server.base_url}/sitemap/sitemap.xml" in lines


def test_rss_feeds(server, by_url):
    status, headers, body = fetch(server.base_url + "/rss/news")
    assert status == 200 and headers["content-type"].startswith("application/rss+xml")
    items = ET.fromstring(body).findall("./channel/item")
    assert 0 < len(items) <= 50
    assert all(by_url[i.findtext("link")]["section"] == "news" for i in items)
    assert fetch(server.base_url + "/rss/business")[0] == 404
    assert fetch(server.base_url + "/rss/ukraine-war")[0] == 404
    body = fetch(server.base_url + "/rss/all")[2]
    items = ET.fromstring(body).findall("./channel/item")
    assert len(items) == 50
    assert "article__block--html" in items[0].findtext("description")
    assert b"<![CDATA[" in body


def test_sitemaps_list_every_article_newest_first(server, truth):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.fromstring(fetch(server.base_url + "/sitemap/sitemap.xml")[2])
    months = [loc.text for loc in index.findall("s:sitemap/s:loc", ns)]
    assert months[0].endswith("/sitemap/2026-2.xml")
    urls = []
    for month in months:
        status, headers, body = fetch(month)
        assert status == 200 and headers["content-type"].startswith("application/xml")
        urls += [loc.text for loc in ET.fromstring(body).findall("s:url/s:loc", ns)]
    assert urls == [a["url"] for a in truth["articles"]]


# --- CLI -------------------------------------------------------------------------------------


def test_cli_prints_the_base_url_first_and_serves(tmp_path):
    gt = tmp_path / "truth.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsarchive.mirror",
            "--articles",
            "30",
            "--seed",
            "5",
            "--now",
            "2026-02-25T12:00:00Z",
            "--ground-truth",
            str(gt),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        assert fetch(base + "/robots.txt")[0] == 200
        data = json.loads(gt.read_text(encoding="utf-8"))
        assert data["base_url"] == base and len(data["articles"]) == 30
        assert fetch(data["articles"][0]["url"])[0] == 200
        fetch(base + "/__mirror__/advance", method="POST", body=b'{"new_articles": 1}')
        data = json.loads(gt.read_text(encoding="utf-8"))
        assert data["now"] == "2026-02-25T18:00:00Z" and len(data["articles"]) == 31
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


# --- phase 2: a site that changes, conditional requests, request log -------------------------


@pytest.fixture
def live() -> Iterator[MirrorServer]:
    """A small server of its own: these tests change the site."""
    with MirrorServer(build_site(60, seed=11, now=NOW)) as server:
        yield server


def test_advance_publishes_and_updates_recent_articles():
    site = build_site(60, seed=11, now=NOW)
    before = {a["article_id"]: a for a in site.ground_truth("http://h")["articles"]}
    result = site.advance(new_articles=4, updated_articles=3, hours=6)
    after = site.ground_truth("http://h")
    assert after["now"] == "2026-02-25T18:00:00Z" == result["now"]
    articles = {a["article_id"]: a for a in after["articles"]}
    added = [str(i) for i in result["added"]]
    assert len(added) == 4 and set(articles) == set(before) | set(added)
    assert min(map(int, added)) > max(map(int, before))
    for article_id in added:
        assert "2026-02-25T12:00:00Z" < articles[article_id]["published_at"] <= after["now"]
        assert articles[article_id]["version"] == 1
    updated = [str(i) for i in result["updated"]]
    assert 0 < len(updated) <= 3
    for article_id in updated:
        old, new = before[article_id], articles[article_id]
        assert old["published_at"] >= "2026-02-23T18:00:00Z"
        assert new["version"] == 2
        assert new["body_paragraphs"][:-1] == old["body_paragraphs"]
        assert "2026-02-25T17:50:00Z" <= new["modified_at"] < after["now"]
    for article_id in set(before) - set(updated):
        assert articles[article_id] == before[article_id]
    newest = next(a for a in after["articles"] if a["section"] == articles[added[0]]["section"])
    assert newest["published_at"] >= articles[added[0]]["published_at"]
    again = build_site(60, seed=11, now=NOW)
    again.advance(new_articles=4, updated_articles=3, hours=6)
    assert again.ground_truth("http://h") == after


def test_conditional_requests_get_304_until_the_article_changes(live):
    truth = live.ground_truth()
    live.advance(new_articles=0, updated_articles=0, hours=0)  # generation 1, nothing changed
    url = truth["articles"][0]["url"]
    status, headers, body = fetch(url)
    etag, last_modified = headers["etag"], headers["last-modified"]
    assert status == 200 and etag.startswith('W/"') and body
    status, headers, body = fetch(url, {"If-None-Match": etag})
    assert (status, body, headers["etag"]) == (304, b"", etag)
    assert fetch(url, {"If-Modified-Since": last_modified})[0] == 304
    assert fetch(url, {"If-None-Match": '"something-else"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200

    result = live.advance(new_articles=2, updated_articles=2, hours=6)
    changed = {str(i) for i in result["updated"]}
    assert changed
    for a in truth["articles"][:20]:
        status, _, _ = fetch(a["url"], {"If-None-Match": fetch(a["url"])[1]["etag"]})
        assert status == 304
    for a in truth["articles"]:
        if a["article_id"] in changed:
            assert fetch(a["url"], {"If-None-Match": etag if a["url"] == url else "x"})[0] == 200


def test_request_log_and_admin_endpoints(live):
    base = live.base_url
    fetch(base + "/news")
    live.clear_requests()
    article = live.ground_truth()["articles"][0]["url"]
    fetch(base + "/news?utm_source=x")
    fetch(article, {"If-None-Match": 'W/"nope"'})
    fetch(base + "/missing")
    log = live.requests
    assert [(r["method"], r["path"], r["status"], r["conditional"]) for r in log] == [
        ("GET", "/news?utm_source=x", 200, False),
        ("GET", urlsplit(article).path, 200, True),
        ("GET", "/missing", 404, False),
    ]
    status, headers, body = fetch(base + "/__mirror__/requests")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert [r["path"] for r in json.loads(body)] == [r["path"] for r in log]
    status, _, body = fetch(base + "/__mirror__/requests/clear", method="POST")
    assert json.loads(body) == {"cleared": 3} and live.requests == []

    payload = json.dumps({"new_articles": 3, "updated_articles": 0, "hours": 2}).encode()
    status, _, body = fetch(
        base + "/__mirror__/advance", {"Content-Type": "application/json"}, "POST", payload
    )
    assert status == 200 and len(json.loads(body)["added"]) == 3
    truth = json.loads(fetch(base + "/__mirror__/ground-truth")[2])
    assert truth["now"] == "2026-02-25T14:00:00Z" and len(truth["articles"]) == 63
    assert fetch(base + "/__mirror__/advance", method="POST", body=b"{bad")[0] == 400
    assert fetch(base + "/__mirror__/nothing")[0] == 404
    assert live.requests == []  # admin calls are not crawl traffic
    assert "Disallow: /__mirror__/" in fetch(base + "/robots.txt")[2].decode()
    listed = page_of(base + "/news").css("div[data-url]::attr(data-url)").getall()
    newest_news = [a["url"] for a in truth["articles"] if a["section"] == "news"]
    assert listed[: len(newest_news[:19])] == newest_news[:19]


# --- phase 3: deterministic fault injection --------------------------------------------------


@pytest.fixture(scope="module")
def small_site() -> MoscowTimesSite:
    return build_site(40, seed=5, now=NOW)


@pytest.fixture(scope="module")
def small_truth(small_site: MoscowTimesSite) -> dict[str, Any]:
    return small_site.ground_truth("http://unused")


def only(kind: str, **options: Any) -> FaultPlan:
    """Every applicable path gets ``kind``; none permanently unless the kind always repeats."""
    return FaultPlan(seed=1, rate=1.0, kinds=frozenset({kind}), hostile_rate=0.0, **options)


def test_fault_plan_is_deterministic_and_retries_can_succeed(small_site):
    paths = [a.path for a in small_site.newest] + ["/news", "/news/19", "/rss/all"]
    plan = FaultPlan(seed=9, rate=0.5)
    same = FaultPlan(seed=9, rate=0.5)
    assert [plan.schedule(p, 6) for p in paths] == [same.schedule(p, 6) for p in paths]
    assert [plan.schedule(p, 6) for p in paths] != [
        FaultPlan(seed=10, rate=0.5).schedule(p, 6) for p in paths
    ]
    for path in paths:
        schedule = plan.schedule(path, 8)
        first = plan.servable_within(path)
        if first is None:
            assert all(schedule) and not plan.served_correctly(path, 100)
            continue
        assert plan.served_correctly(path, first) and not plan.served_correctly(path, first - 1)
        for n, fault in enumerate(schedule, start=1):
            correct = fault is None or fault in CORRECT_KINDS
            assert correct == (n >= first), (path, schedule)
    for path in ("/news", "/news/19", "/tag/kremlin", "/author/x"):
        for seed in range(40):
            scenario = FaultPlan(seed=seed, rate=1.0).scenario(path)
            assert scenario.kind in TRANSPORT and scenario.attempts is not None
    assert FaultPlan(rate=1.0).scenario("/robots.txt") is None
    assert FaultPlan.parse("all").kinds == frozenset(KINDS)
    assert FaultPlan.parse("http500, empty", seed=4).kinds == {"http500", "empty"}
    with pytest.raises(ValueError):
        FaultPlan.parse("http500,nonsense")


def test_ground_truth_says_when_each_article_is_servable(small_site):
    plan = FaultPlan(seed=2, rate=0.6)
    with MirrorServer(small_site, faults=plan) as server:
        truth = server.ground_truth()
    values = {a["servable_within"] for a in truth["articles"]}
    assert 1 in values and None in values and values & {2, 3, 4, 5}
    for a in truth["articles"]:
        assert a["servable_within"] == plan.servable_within(urlsplit(a["url"]).path)
    assert {a["servable_within"] for a in small_site.ground_truth("http://h")["articles"]} == {1}


def first_article(site: MoscowTimesSite, plan: FaultPlan, kind: str) -> str:
    return next(a.path for a in site.newest if plan.fault_for(a.path, 1) == kind)


@pytest.mark.parametrize(("kind", "status"), [("http500", 500), ("http503", 503), ("http429", 429)])
def test_error_bursts_end_and_the_log_says_why(small_site, kind, status):
    plan = only(kind)
    with MirrorServer(small_site, faults=plan) as server:
        path = first_article(small_site, plan, kind)
        burst = plan.scenario(path).attempts
        for _ in range(burst):
            got, headers, _ = fetch(server.base_url + path)
            assert got == status
            if kind == "http429":
                assert headers["retry-after"] == "1"
        assert fetch(server.base_url + path)[0] == 200
        log = [r for r in server.requests if r["path"] == path]
        assert [(r["attempt"], r["fault"], r["status"]) for r in log] == [
            *[(n, kind, status) for n in range(1, burst + 1)],
            (burst + 1, None, 200),
        ]


def test_slow_responses_outlast_the_timeout(small_site):
    plan = only("slow", slow_seconds=0.6)
    with MirrorServer(small_site, faults=plan) as server:
        path = first_article(small_site, plan, "slow")
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.base_url).port, timeout=0.2)
        conn.request("GET", path)
        with pytest.raises(TimeoutError):
            conn.getresponse()
        conn.close()
        assert fetch(server.base_url + path)[0] == 200
        # the closed connection was noticed before the slow answer was due: logged, not answered
        deadline = time.monotonic() + 2
        while not (
            first := [r for r in server.requests if r["path"] == path and r["attempt"] == 1]
        ):
            assert time.monotonic() < deadline, "the first attempt was never logged"
            time.sleep(0.01)
        first = first[0]
        assert (first["fault"], first["status"], first["abandoned"]) == ("slow", None, True)


@pytest.mark.parametrize("kind", ["reset", "truncated"])
def test_connections_cut_mid_body(small_site, kind):
    plan = only(kind)
    with MirrorServer(small_site, faults=plan) as server:
        path = first_article(small_site, plan, kind)
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.base_url).port, timeout=5)
        conn.request("GET", path)
        try:
            resp = conn.getresponse()
            assert resp.status == 200
            with pytest.raises((http.client.IncompleteRead, ConnectionError)):
                resp.read()
        except ConnectionError:
            assert kind == "reset"  # the RST may beat the headers to the reader
        conn.close()
        for _ in range(plan.scenario(path).attempts - 1):
            fetch_quietly(server.base_url + path)
        assert fetch(server.base_url + path)[0] == 200


def fetch_quietly(url: str) -> None:
    with contextlib.suppress(http.client.HTTPException, ConnectionError):
        fetch(url)


def test_redirect_loop_and_offsite_redirect(small_site):
    plan = only("redirect_loop")
    with MirrorServer(small_site, faults=plan) as server:
        path = first_article(small_site, plan, "redirect_loop")
        a = server.base_url + path
        for _ in range(3):
            status, headers, _ = fetch(a)
            assert status == 302 and headers["location"] == a + "?mirror-loop=1"
            status, headers, _ = fetch(headers["location"])
            assert status == 302 and headers["location"] == a
        assert plan.servable_within(path) is None
        assert [r["attempt"] for r in server.requests] == [1, None, 2, None, 3, None]
    plan = only("redirect_offsite")
    with MirrorServer(small_site, faults=plan) as server:
        path = first_article(small_site, plan, "redirect_offsite")
        status, headers, _ = fetch(server.base_url + path)
        assert status == 302 and headers["location"] == "http://evil.invalid" + path
        assert fetch(server.base_url + path)[0] == 200


@pytest.mark.parametrize("kind", ["cp1251_header", "cp1251_meta"])
def test_windows_1251_pages_decode_to_the_same_article(small_site, small_truth, kind):
    from w3lib.encoding import html_to_unicode

    plan = only(kind)
    with MirrorServer(small_site, faults=plan) as server:
        article = small_truth["articles"][0]
        path = urlsplit(article["url"]).path
        assert plan.fault_for(path, 3) == kind and plan.servable_within(path) == 1
        status, headers, body = fetch(server.base_url + path)
    assert status == 200 and b'<meta charset="windows-1251">' in body
    if kind == "cp1251_header":
        assert headers["content-type"] == "text/html; charset=windows-1251"
    else:
        assert headers["content-type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    encoding, text = html_to_unicode(headers["content-type"], body)
    assert encoding == "cp1251"
    page = Selector(text=text)
    assert body_paragraphs(page) == article["body_paragraphs"]
    assert any(not p.isascii() for p in article["body_paragraphs"])


def test_lying_charset_header_is_recoverable_from_the_bytes(small_site, small_truth):
    from w3lib.encoding import html_to_unicode

    from newsarchive.encoding import true_encoding

    plan = only("wrong_charset")
    garbled: Counter[str] = Counter()
    with MirrorServer(small_site, faults=plan) as server:
        for article in small_truth["articles"][:20]:
            path = urlsplit(article["url"]).path
            assert plan.servable_within(path) == 1
            status, headers, body = fetch(server.base_url + path)
            label = headers["content-type"]
            assert status == 200 and label in (
                "text/html; charset=utf-8",
                "text/html; charset=windows-1251",
            )
            # Trusting the label, as HTTP says to, garbles the text of most pages ...
            trusted, text = html_to_unicode(label, body)
            if body_paragraphs(Selector(text=text)) != article["body_paragraphs"]:
                garbled[label] += 1
            # ... the bytes themselves tell the truth, for every page.
            encoding = true_encoding(body, trusted) or trusted
            page = Selector(text=body.decode(encoding))
            assert body_paragraphs(page) == article["body_paragraphs"]
    assert set(garbled) == {"text/html; charset=utf-8", "text/html; charset=windows-1251"}


def test_lenient_parsers_still_read_malformed_html_and_broken_json_ld(small_site, small_truth):
    article = small_truth["articles"][1]
    path = urlsplit(article["url"]).path
    with MirrorServer(small_site, faults=only("malformed_html")) as server:
        body = fetch(server.base_url + path)[2].decode()
    assert "</p>" not in body and '<body class="article-page"></div></div>' in body
    page = Selector(text=body)
    assert body_paragraphs(page) == article["body_paragraphs"]
    assert text_of(page.css("article.article header h1")) == article["title"]
    with MirrorServer(small_site, faults=only("broken_jsonld")) as server:
        body = fetch(server.base_url + path)[2].decode()
    page = Selector(text=body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(page.css("script[data-json-ld-for-pagemetadata]::text").get())
    published = page.css("meta[property='article:published_time']::attr(content)").get()
    assert utc(published) == article["published_at"]
    assert body_paragraphs(page) == article["body_paragraphs"]


@pytest.mark.parametrize("kind", ["login_wall", "cookie_wall", "captcha"])
def test_walls_are_200_pages_without_an_article(small_site, kind):
    plan = only(kind)
    with MirrorServer(small_site, faults=plan) as server:
        path = first_article(small_site, plan, kind)
        status, headers, body = fetch(server.base_url + path)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    page = Selector(text=body.decode())
    assert page.css("title::text").get() and page.css("body *")
    assert not page.css("article, .article__content, script[type='application/ld+json']")
    assert plan.servable_within(path) == plan.scenario(path).attempts + 1


def test_wrong_type_empty_and_huge_pages(small_site):
    plan = only("wrong_type")
    with MirrorServer(small_site, faults=plan) as server:
        path = first_article(small_site, plan, "wrong_type")
        status, headers, body = fetch(server.base_url + path)
        assert status == 200 and b"article__content" in body
        assert headers["content-type"] in ("application/octet-stream", "text/plain; charset=utf-8")
    plan = only("empty")
    with MirrorServer(small_site, faults=plan) as server:
        status, headers, body = fetch(server.base_url + first_article(small_site, plan, "empty"))
        assert (status, headers["content-length"], body) == (200, "0", b"")
        assert fetch(server.base_url + "/rss/news")[2] == b""
    plan = only("huge")
    with MirrorServer(small_site, faults=plan) as server:
        status, headers, body = fetch(server.base_url + first_article(small_site, plan, "huge"))
        assert status == 200 and int(headers["content-length"]) == len(body) > 20_000_000
        assert b"article__content" in body


def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated(small_site):
    import gzip
    import zlib

    from newsarchive.mirror.faults import _build_bomb

    plan = only("gzip_bomb")
    with MirrorServer(small_site, faults=plan) as server:
        path = first_article(small_site, plan, "gzip_bomb")
        status, headers, body = fetch(server.base_url + path)
        assert fetch(server.base_url + "/rss/all")[1]["content-encoding"] == "gzip"
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert len(body) < 4_000_000
    assert int.from_bytes(body[-4:], "little") == (2 * 1024**3) % 2**32
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    head = inflater.decompress(body, 8_000_000)  # bounded: never the whole 2 GiB
    assert len(head) == 8_000_000 and not head.strip(b"\0") and inflater.unconsumed_tail
    small = _build_bomb(size=5 << 20, chunk_size=1 << 20)  # the same recipe, checked whole
    assert gzip.decompress(small) == bytes(5 << 20)  # gzip checks the CRC and the size


def test_feeds_can_carry_an_entity_bomb(small_site):
    plan = only("xml_bomb")
    with MirrorServer(small_site, faults=plan) as server:
        for path in ("/rss/news", "/sitemap/sitemap.xml"):
            status, _, body = fetch(server.base_url + path)
            assert status == 200 and b"<!ENTITY lol9" in body and len(body) < 2000
            if path.startswith("/rss/"):
                with pytest.raises(ET.ParseError):  # expat refuses the amplification
                    ET.fromstring(body)
            assert fetch(server.base_url + path)[0] == 200
        assert fetch(server.base_url + small_site.newest[0].path)[2]  # articles: never


def test_cli_fault_flags(tmp_path):
    gt = tmp_path / "truth.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsarchive.mirror",
            "--articles",
            "20",
            "--quiet",
            "--faults",
            "http503",
            "--fault-rate",
            "1",
            "--hostile-rate",
            "0",
            "--fault-seed",
            "3",
            "--ground-truth",
            str(gt),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = proc.stdout.readline().strip()
        articles = json.loads(gt.read_text(encoding="utf-8"))["articles"]
        assert all(a["servable_within"] >= 3 for a in articles)
        assert fetch(articles[0]["url"])[0] == 503
        assert fetch(base + "/robots.txt")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_latency_delays_site_answers_not_admin_ones(small_site):
    import time

    with MirrorServer(small_site, latency=2.0) as server:
        started = time.monotonic()
        assert fetch(server.base_url + "/news")[0] == 200
        assert time.monotonic() - started >= 2.0
        started = time.monotonic()
        assert fetch(server.base_url + "/__mirror__/requests")[0] == 200
        assert time.monotonic() - started < 2.0  # a millisecond's work, not the latency
