"""Project exceptions."""

from __future__ import annotations

from scrapy.exceptions import DropItem


class UnchangedArticle(DropItem):
    """Not a failure: the archive already holds this exact version of the article.

    Raised by the versioning stage so that a re-fetched, unchanged article writes no row.
    Writers and run health checks must not count it as a rejected item.
    """

    def __init__(self, message: str = "unchanged") -> None:
        super().__init__(message, log_level="DEBUG")
