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

archive_closed = object()
"""Sent by ``PartitionedParquetWriter`` at spider close, once its last file is committed
(rows it could not write are rejected and reported by then). The state records how far
each listing sweep reached only now, so a run killed during its end-of-run flush vouches
for nothing. Keyword arguments: ``reason`` (the spider's close reason) and ``run_id``.
"""

article_failed = object()
"""Sent when an article this run meant to archive will not be archived by it: its page
failed for good (by the spider), or its item was dropped or rejected (by the writer). The
state queues it for the next runs. Keyword arguments: ``site``, ``article_id``, ``url``,
``section`` (None if unknown) and ``reason``.
"""

boilerplate_learned = object()
"""Sent by the boilerplate stage when a paragraph is learned as a site's repeated block.
Rows of the run that were cleaned before it was learned and are still waiting to be written
lose it too (``PartitionedParquetWriter``). Keyword arguments: ``site`` and
``fingerprints`` (a set of ``newsarchive.cleaning.boilerplate.fingerprint`` values).
"""

archive_flush_starting = object()
"""Sent by ``PartitionedParquetWriter`` at the start of every flush (a full buffer, a
bounded flush, the end-of-run flush), before it writes any file. Whatever the rows point
to must be in place before they are: WARC capture (``newsarchive.middlewares.warc``) closes
and publishes its open WARC files here, so that a committed row never names a WARC file
that is not in place. Handlers run synchronously; the flush goes on when they return.
Keyword arguments: ``rows`` (``list[dict]``): every row the writer holds, about to be
written by this flush or a later one; a handler may set a column of a row to None when
what it names could not be kept (WARC capture nulls ``warc_file``/``warc_offset`` of rows
whose WARC file could not be published).
"""
