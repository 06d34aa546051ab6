"""Date candidates a page gives outside its JSON-LD, and the spider's use of them."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from newsarchive.dates import DateCandidate
from newsarchive.extract.html import PageIndex, parse_html
from newsarchive.extract.page_dates import page_date_candidates, text_date_candidates

PAGE = """<html><head>
<meta name="DC.date.issued" content="2026-03-05T08:00:00+01:00">
<meta itemprop="dateModified" content="2026-03-06T10:00:00+01:00">
</head><body>
<article><header><h1>Titel</h1>
<div class="entry-meta">Von Anna Schmidt, 5. März 2026 um 9:15 Uhr</div>
<time class="entry-date published" datetime="2026-03-05T09:15:00+01:00">5. März</time>
<time class="updated" datetime="2026-03-06T11:00:00+01:00">6. März</time></header>
<p>Text.</p></article>
<aside class="related"><time datetime="2020-01-01T00:00:00Z">alt</time>
<span class="date">1. Januar 2020</span></aside>
<div class="comments"><time datetime="2026-03-07T00:00:00Z">Kommentar</time></div>
</body></html>"""


def test_meta_time_and_url_candidates_of_the_article_not_of_its_teasers() -> None:
    root = parse_html(PAGE)
    published, modified = page_date_candidates(
        root, PageIndex(root), "https://x.de/2026/03/05/titel/"
    )
    assert published == [
        DateCandidate("2026-03-05T08:00:00+01:00", "meta"),  # DC.date.issued, any case
        DateCandidate("2026-03-05T09:15:00+01:00", "time"),
        DateCandidate("2026-03-05", "url"),
    ]
    assert modified == [
        DateCandidate("2026-03-06T10:00:00+01:00", "meta"),  # itemprop meta
        DateCandidate("2026-03-06T11:00:00+01:00", "time"),  # marked as an update
    ]


def test_visible_text_dates_come_from_byline_elements_outside_teasers() -> None:
    found = text_date_candidates(parse_html(PAGE))
    assert found == [DateCandidate("5. März 2026 um 9:15 Uhr", "text")]


def _spider():  # type: ignore[no-untyped-def]
    from scrapy.utils.test import get_crawler

    from newsarchive.spiders.generic import GenericSpider

    crawler = get_crawler(GenericSpider)
    spider = GenericSpider.from_crawler(crawler, url="https://x.de/")
    spider.lenient = True
    return spider


UNDATED = """<html lang="de"><head><meta property="og:type" content="article">
<title>T</title></head><body><article><h1>Ein Titel</h1>
<p>Ein Absatz mit genug Text, damit es ein Artikel ist, und noch ein wenig mehr Text.</p>
</article></body></html>"""


def test_a_news_sitemap_date_dates_a_page_that_gives_none() -> None:
    spider = _spider()
    url = "https://x.de/politik/ein-titel/"
    list(spider._discovered(url, None, "2026-03-05T08:00:00+00:00", "news_sitemap"))
    response = HtmlResponse(url, body=UNDATED.encode(), encoding="utf-8")
    item = spider.article_item(response, None)
    assert DateCandidate("2026-03-05T08:00:00+00:00", "news_sitemap") in item.published_raw
    assert not [c for c in item.published_raw if c.source in ("text", "htmldate")]


def test_the_last_resorts_date_a_page_nothing_else_dates() -> None:
    spider = _spider()
    body = UNDATED.replace("<h1>", '<p class="byline">Veröffentlicht am 05.03.2026</p><h1>')
    response = HtmlResponse("https://x.de/politik/t/", body=body.encode(), encoding="utf-8")
    item = spider.article_item(response, None)
    assert item.published_raw == [DateCandidate("05.03.2026", "text")]  # htmldate not asked
    # a date in no byline: htmldate's extensive search has the last say
    body = UNDATED.replace("</article>", "<p>Erschienen in Heft 2026-03-05.</p></article>")
    guessed = HtmlResponse("https://x.de/politik/t2/", body=body.encode(), encoding="utf-8")
    assert spider.article_item(guessed, None).published_raw == [
        DateCandidate("2026-03-05", "htmldate")
    ]
    bare = HtmlResponse("https://x.de/politik/t3/", body=UNDATED.encode(), encoding="utf-8")
    assert spider.article_item(bare, None).published_raw == []


def test_the_dates_stage_archives_the_source_and_counts_what_it_passed_over() -> None:
    from datetime import UTC, datetime

    from scrapy.utils.test import get_crawler

    from newsarchive.items import ArticleItem
    from newsarchive.pipelines.dates import DatesPipeline
    from newsarchive.spiders.moscowtimes import MoscowTimesSpider

    crawler = get_crawler(MoscowTimesSpider)
    crawler.spider = MoscowTimesSpider.from_crawler(crawler)
    stage = DatesPipeline.from_crawler(crawler)
    fetched = datetime(2026, 3, 5, 12, tzinfo=UTC)
    item = ArticleItem(
        url="https://www.themoscowtimes.com/2026/03/05/a-a1",
        crawled_at=fetched,
        published_raw=[
            DateCandidate("2027-03-05T10:00:00+03:00", "jsonld"),  # a year ahead
            DateCandidate("1990-03-05T10:00:00+03:00", "meta"),  # before the paper
            DateCandidate("2026-03-05T10:00:00", "time"),  # naive: Moscow time
        ],
    )
    stage.process_item(item)
    assert item.published_at == datetime(2026, 3, 5, 7, tzinfo=UTC)
    assert (item.published_at_raw, item.published_at_source) == ("2026-03-05T10:00:00", "time")
    stats = crawler.stats.get_stats()
    assert stats["newsarchive/dates/rejected/after_fetch"] == 1
    assert stats["newsarchive/dates/rejected/before_site"] == 1
    assert stats["newsarchive/dates/published_source/time"] == 1


def test_byline_elements_are_found_whatever_the_case_of_their_class() -> None:
    page = (
        "<html><body><article><h1>T</h1>"
        '<div class="PublishDate ArticleHeader_publishDate"><span>Dienstag,</span>'
        "<span> 29. Januar 2019</span></div><p>Text.</p></article></body></html>"
    )
    assert text_date_candidates(parse_html(page)) == [DateCandidate("29. Januar 2019", "text")]


def test_dates_of_embedded_posts_and_labelled_times_are_not_the_page_s() -> None:
    page = (
        "<html><body><article><h1>T</h1>"
        '<blockquote class="instagram-media"><p class="post-date">Mär 12, 2018</p>'
        '<time datetime="2018-03-12T19:30:12+00:00">Mär 12, 2018</time></blockquote>'
        '<p class="time">Aktuelle Zeit: 14.10.2020, 12:18</p>'
        '<div class="dateblock">Antworten: 6 Letzter Beitrag: 18.10.2010, 23:08</div>'
        '<span class="meta">Straße 18, 1534 Ort</span>'
        "<p>Text.</p></article></body></html>"
    )
    root = parse_html(page)
    assert text_date_candidates(root) == []
    assert page_date_candidates(root, PageIndex(root), "https://x.de/t/") == ([], [])


def test_a_byline_sentence_of_a_blog_theme_is_read() -> None:
    sentence = (
        "Dieser Beitrag wurde am Samstag, 3. Dezember 2011 um 9:15 Uhr veröffentlicht und "
        "unter Cybercrime, Cyberterrorismus gespeichert. Sie können Kommentare zu diesem "
        "Beitrag durch den RSS 2.0 Feed verfolgen. Sie können einen Kommentar schreiben, "
        "oder einen Trackback auf Ihrer Seite einrichten."
    )
    assert 200 < len(sentence) < 500
    page = f'<html><body><article><p>Text.</p><p class="postmetadata">{sentence}</p></article>'
    assert text_date_candidates(parse_html(page)) == [
        DateCandidate("3. Dezember 2011 um 9:15 Uhr", "text")
    ]


def test_the_page_s_own_statement_of_a_utc_instant_is_found() -> None:
    from newsarchive.dates import RESTATED
    from newsarchive.extract.page_dates import restated_candidates

    html = (
        "<script>_snaq.push(['setArticlePublishTime','2023-11-08T17:49:09-08:00']);"
        "var other = '2023-11-08T17:49:10-08:00', zulu = '2023-11-09T01:49:09+00:00';</script>"
        '<time datetime="2023-11-08T20:49:09-0500">Nov 8</time>'
    )
    utc = [DateCandidate("2023-11-09T01:49:09Z", "jsonld")]
    assert restated_candidates(html, utc) == [
        DateCandidate("2023-11-08T17:49:09-08:00", RESTATED),
        DateCandidate("2023-11-08T20:49:09-0500", RESTATED),
    ]
    local = [DateCandidate("2023-11-08T17:49:09-08:00", "jsonld")]
    assert restated_candidates(html, local) == []  # stated in an offset already
