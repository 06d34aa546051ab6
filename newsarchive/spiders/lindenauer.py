"""Lindenauer Rundschau: the German WordPress news site of the bundled second mirror.

A fictional Leipzig local paper (``python -m newsarchive.mirror --site wordpress``), built
from what ~30 real German WordPress news sites print (Yoast SEO, Borlabs Cookie, Steady,
Mailchimp for WP, Shariff ...). Its profile is all declaration: the WordPress preset's rules,
where the sections, article URLs and body are, and Berlin time for the naive bylines.
"""

from __future__ import annotations

from newsarchive.cleaning.boilerplate import BoilerplateRules
from newsarchive.extract.generic import PageLayout
from newsarchive.profiles import WORDPRESS_SELECTORS, WORDPRESS_TEXT_RULES
from newsarchive.spiders.profile import ProfileSpider


class LindenauerSpider(ProfileSpider):
    name = "lindenauer"
    site = "lindenauer"
    default_base_url = "https://www.lindenauer-rundschau.de"
    sections = (
        "lokales",
        "politik",
        "wirtschaft",
        "kultur",
        "sport",
        "panorama",
        "meinung",
        "allgemein",
    )
    section_path = "/kategorie/{section}/"
    article_path = r"^/artikel/(?P<id>\d+)/[^/]+/$"
    local_timezone = "Europe/Berlin"
    feeds = ("all", *sections)
    sitemap_path = "/sitemap_index.xml"
    layout = PageLayout(
        body="div.entry-content",
        listing_scope="main",
        next_page="a.next.page-numbers",
        lead="div.entry-excerpt",
        fields={"subtitle": "p.wp-subtitle"},
    )
    boilerplate_rules = BoilerplateRules(
        selectors=WORDPRESS_SELECTORS, text_rules=WORDPRESS_TEXT_RULES
    )
