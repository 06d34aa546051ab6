"""Project-specific Scrapy signals.

Connect with ``crawler.signals.connect(handler, signal=parquet_file_committed)``.
"""

from __future__ import annotations

parquet_file_committed = object()
"""Sent by ``PartitionedParquetWriter`` right after a Parquet file is renamed into place.

Only from then on are its rows durable and visible to readers, so this (not
``item_scraped``) is the moment to mark articles as archived. Keyword arguments:

- ``path`` (``pathlib.Path``): absolute path of the committed file;
- ``partition`` (``newsarchive.storage.Partition``): named tuple ``(site, date)``;
- ``rows`` (``list[dict]``): one dict per row in the file, with the keys ``url``,
  ``canonical_url``, ``article_id``, ``site``, ``content_hash``, ``published_at`` (a UTC
  ``datetime``) and ``version``;
- ``run_id`` (``str``): the run that wrote the file.
"""
