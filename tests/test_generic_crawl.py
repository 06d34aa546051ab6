"""``scrapy crawl news``: a site with no profile, found through robots.txt's sitemaps and the
home page's feeds, read from its structured data and trafilatura's text."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from newsarchive.evaluate import evaluate, load_archive
from newsarchive.mirror.server import MirrorServer
from newsarchive.mirror.wordpress import build_wordpress_site
from newsarchive.spiders.generic import article_url, robots_sitemaps, site_of
from tests.conftest import run_crawl

MIRROR_NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)  # past: no post is in the revisit window
# What a site's structured data holds; the subtitle, the lead and the section slug are what a
# profile's selectors add (the generic mode's section is the page's own name for it).
STRUCTURED_FIELDS = ("title", "authors", "published_at", "modified_at", "tags", "language")


def test_a_site_without_a_profile_is_archived(tmp_path: Path) -> None:
    output = tmp_path / "output"
    with MirrorServer(build_wordpress_site(articles=120, seed=21, now=MIRROR_NOW)) as server:
        first = run_crawl(server.base_url, output, spider="news")
        truth = server.ground_truth()
        server.clear_requests()
        again = run_crawl(server.base_url, output, spider="news")
        second_requests = [r["path"] for r in server.requests]
    assert first.returncode == 0, first.log[-3000:]
    rows = load_archive(output)
    # The generic mode's article ID is the URL's path: compare by URL.
    ids = {a["url"]: a["article_id"] for a in truth["articles"]}
    assert Counter(r["url"] for r in rows) == Counter(set(ids))  # every post, exactly once
    assert {r["site"] for r in rows} == {site_of(server.base_url)} == {"127-0-0-1"}
    report = evaluate([{**r, "article_id": ids[r["url"]]} for r in rows], truth)
    assert report.wrong_partition == 0 and report.duplicate_rows == 0, report.summary()
    assert report.paragraph_recall == 1.0 and report.paragraph_precision == 1.0, report.summary()
    assert report.boilerplate_leaks == [], report.summary()
    for name in STRUCTURED_FIELDS:
        assert report.field_accuracy(name) == 1.0, report.summary()
    skipped = first.manifest["skipped_pages"]
    assert skipped["not_an_article_page"] > 0  # the category and tag pages the sitemaps list
    assert first.manifest["failed_pages"] == {}
    # Again: nothing new, nothing old is fetched again (section pages are: they are no
    # articles, so the archive does not know them).
    assert again.returncode == 0 and again.manifest["rows_written"] == 0
    assert not [path for path in second_requests if path.startswith("/artikel/")]


def test_robots_txt_sitemap_lines() -> None:
    text = "User-agent: *\nDisallow:\nSitemap: https://example.org/sitemap_index.xml\n"
    text += "sitemap: /news-sitemap.xml\nSITEMAP: https://example.org/sitemap_index.xml\n"
    assert robots_sitemaps(text, "https://example.org") == [
        "https://example.org/sitemap_index.xml",
        "https://example.org/news-sitemap.xml",
    ]
    assert robots_sitemaps("User-agent: *\n", "https://example.org") == []


def test_an_article_id_in_the_query_is_part_of_the_id() -> None:
    from newsarchive.spiders.generic import GenericSpider

    spider = GenericSpider(url="https://news.example.org/")
    ids = {
        spider.article_id(url)
        for url in (
            "https://news.example.org/story.php?autono=166607&utm_source=rss",
            "https://news.example.org/story.php?utm_medium=x&autono=166607",
        )
    }
    assert ids == {"/story.php?autono=166607"}  # how the reader came is no part of it
    assert spider.article_id("https://news.example.org/story.php?autono=2") != ids.pop()
    assert spider.article_id("https://news.example.org/?p=12") == "/?p=12"  # WordPress
    assert spider.article_id("https://news.example.org/") is None
    assert spider.article_id("https://elsewhere.org/story.php?autono=2") is None
    # a permalink's query is no part of it: a comment reply link is the same article
    post = "https://news.example.org/2026/03/05/rat-beschliesst-haushalt/"
    assert spider.article_id(f"{post}?replytocom=125530#respond") == spider.article_id(post)
    assert spider.article_id(f"{post}?page=2") == "/2026/03/05/rat-beschliesst-haushalt/"
    assert article_url(f"{post}?replytocom=1#comments") == post


def test_the_moscow_times_without_its_profile_learns_the_appeal_no_rule_names(
    tmp_path: Path,
) -> None:
    """The Moscow Times mirror crawled as a site with no profile: its "Dear readers" appeal
    is named by no generic rule (only two of its paragraphs are). Repetition learns it during
    the first crawl, and it leaves the rows cleaned before it was learned too; with learning
    off, it leaks."""
    from newsarchive.mirror import build_site

    site = build_site(articles=150, seed=5, now=MIRROR_NOW)
    with MirrorServer(site) as server:
        learning = run_crawl(server.base_url, tmp_path / "learning", spider="news")
        rules_only = run_crawl(
            server.base_url,
            tmp_path / "rules-only",
            spider="news",
            settings={"NEWSARCHIVE_REPEATED_BLOCK_MIN_ARTICLES": "0"},
        )
        truth = server.ground_truth()
    ids = {a["url"]: a["article_id"] for a in truth["articles"]}
    reports = {}
    for name, result in (("learning", learning), ("rules_only", rules_only)):
        assert result.returncode == 0, result.log[-3000:]
        rows = load_archive(result.output)
        reports[name] = evaluate([{**r, "article_id": ids[r["url"]]} for r in rows], truth)
        assert reports[name].missing == [] and reports[name].duplicate_rows == 0
        assert reports[name].paragraph_recall == 1.0, reports[name].summary()
    assert reports["learning"].boilerplate_leaks == [], reports["learning"].summary()
    assert reports["learning"].paragraph_precision == 1.0
    boilerplate = learning.manifest["boilerplate"]
    assert boilerplate["learned_blocks"] > 0
    assert boilerplate["removed"]["repeated_before_learned"] > 0
    assert len(reports["rules_only"].boilerplate_leaks) > 0  # what learning adds


def _article_page(title: str, day: int) -> str:
    words = " ".join(f"{title.split()[0]}wort{i}" for i in range(50))
    return (
        f'<html lang="de"><head><title>{title} | Kleinstadtbote</title>'
        '<meta property="og:type" content="article">'
        f'<meta property="article:published_time" content="2026-03-{day:02d}T08:00:00+01:00">'
        f"</head><body><article><h1>{title}</h1><p>{words}.</p></article></body></html>"
    )


def test_a_site_with_no_sitemap_and_no_feed_is_found_through_its_sections(
    tmp_path: Path,
) -> None:
    from tests.pages_server import PagesServer

    site = PagesServer()
    articles = {
        "/politik/rat-beschliesst-neuen-haushalt/": "Rat beschliesst Haushalt",
        "/politik/buergermeister-tritt-zurueck/": "Buergermeister tritt zurueck",
        "/sport/fc-gewinnt-das-derby/": "FC gewinnt Derby",
        "/sport/12345/": "Laufgruppe startet",
    }
    for number, (path, title) in enumerate(articles.items(), 1):
        site.pages[path] = _article_page(title, number)
    links = "".join(f'<li><a href="{path}">{title}</a></li>' for path, title in articles.items())
    site.pages["/"] = (
        "<html><head><title>Kleinstadtbote</title></head><body><header><nav><ul>"
        '<li><a href="/politik/">Politik</a></li><li><a href="/sport/">Sport</a></li>'
        '<li><a href="/impressum/">Impressum</a></li></ul></nav></header>'
        f'<main><a href="{next(iter(articles))}">Aufmacher</a></main></body></html>'
    )
    for section in ("politik", "sport"):
        site.pages[f"/{section}/"] = (
            f"<html><body><nav><a href='/politik/'>Politik</a></nav><main><ul>{links}</ul>"
            f"<a href='/tag/haushalt/'>Haushalt</a><a href='/{section}/page/2/'>Weiter</a>"
            "</main></body></html>"
        )
    with site:
        result = run_crawl(site.base, tmp_path / "output", spider="news")
    assert result.returncode == 0, result.log[-3000:]
    rows = load_archive(tmp_path / "output")
    assert sorted(r["article_id"] for r in rows) == sorted(articles)
    assert {r["title"] for r in rows} == set(articles.values())
    # no tag, legal or pagination page was asked for, each article once
    assert not [p for p in site.requested if p.startswith(("/tag/", "/impressum/"))]
    assert not [p for p in site.requested if "/page/" in p]
    assert Counter(p for p in site.requested if p in articles) == Counter(set(articles))
