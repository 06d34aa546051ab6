"""Text cleaning stage: every string field in one canonical form (see cleaning.text)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from newsarchive.cleaning.text import (
    clean_list,
    clean_paragraphs,
    clean_text,
    join_paragraphs,
    split_paragraphs,
)
from newsarchive.pipelines.base import ArticlePipeline

TEXT_FIELDS = ("title", "subtitle", "lead", "image_caption", "language", "section")
URL_FIELDS = ("url", "canonical_url", "image_url")
LIST_FIELDS = ("authors", "tags")


class TextCleaningPipeline(ArticlePipeline):
    """Decode entities, NFC-normalise, drop invisible characters, collapse whitespace.

    ``body`` is cleaned paragraph by paragraph so the blank lines between them survive.
    A first paragraph that is the headline again (extractors that take the page's ``h1``
    with the text) is dropped. Counts ``newsarchive/text/fields_changed`` and
    ``newsarchive/text/title_in_body``.
    """

    stats_prefix = "newsarchive/text"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        changed = 0
        for name in TEXT_FIELDS + URL_FIELDS:
            if name in adapter:
                before = adapter.get(name)
                after = clean_text(before)
                changed += before != after
                adapter[name] = after
        for name in LIST_FIELDS:
            before = adapter.get(name) or []
            after = clean_list(before)
            changed += before != after
            adapter[name] = after
        before_body = adapter.get("body")
        paragraphs = clean_paragraphs(split_paragraphs(before_body))
        title = adapter.get("title")
        if paragraphs and title and paragraphs[0].casefold() == title.casefold():
            paragraphs = paragraphs[1:]
            self.inc("title_in_body")
        adapter["body"] = join_paragraphs(paragraphs)
        changed += before_body != adapter["body"]
        if adapter.get("language"):
            adapter["language"] = adapter["language"].lower()
        self.inc("fields_changed", changed)
        return item
