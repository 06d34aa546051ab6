"""``scrapy edits``: the articles whose title, lead or body changed between fetches.

For each article the site changed, the URL, and for each change the two versions (number and
fetch time) and a word-level diff of every changed field, with only a few words of context
around each change (``newsarchive.worddiff``). ``--format json`` prints one JSON object per
edit instead, with every diff operation, for machines. What counts as an edit (consecutive
fetches, not two readings of one fetch by two extractor versions) is
``newsarchive.analysis.edits``; this is the command around it. The archive is
``NEWSARCHIVE_OUTPUT`` (a folder or ``s3://bucket/prefix``); nothing in it is changed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

import duckdb
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsarchive import arguments
from newsarchive.analysis import EDITED_FIELDS, AnalysisError, edits
from newsarchive.archive_fs import UnsupportedArchiveLocation, parse_location, scrub
from newsarchive.storage import UnsafePathError, validate_site
from newsarchive.worddiff import diff_json, is_terminal, render_hunks, word_diff

BATCH_ROWS = 256
"""Edits fetched at a time: each holds two versions of a body."""
FORMATS = ("text", "json")


class Command(ScrapyCommand):
    """List the edits between the archived versions of articles."""

    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "List the articles whose title, lead or body changed, with word-level diffs"

    def long_desc(self) -> str:
        return (
            "List the articles of the archive at NEWSARCHIVE_OUTPUT whose title, lead or body "
            "changed between two fetches: the URL, each version's number and fetch time, and a "
            "word-level diff of each changed field with the unchanged text left out (coloured "
            "in a terminal, [-removed-]{+added+} elsewhere). --format json prints one JSON "
            "object per edit with all the diff operations. Changes nothing in the archive."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", metavar="SITE", help="only this site's articles")
        parser.add_argument(
            "--since",
            metavar="DATE",
            help="only edits whose newer fetch is on or after this day (YYYY-MM-DD, "
            "yesterday, 3 days ago)",
        )
        parser.add_argument("--url", metavar="URL", help="only this article (its exact URL)")
        parser.add_argument(
            "--format", choices=FORMATS, default="text", help="text (default) or json lines"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        assert self.settings is not None
        if opts.site is not None:
            try:
                validate_site(opts.site)
            except UnsafePathError as exc:
                raise UsageError(str(exc), print_help=False) from None
        since = None
        if opts.since is not None:
            try:
                since = arguments.day("since", opts.since)
            except arguments.BadArgument as exc:
                message = f"--since {opts.since!r}: {exc.accepted}"
                raise UsageError(message, print_help=False) from None
        archive = self.settings.get("NEWSARCHIVE_OUTPUT") or "output"
        try:
            location = parse_location(archive, self.settings)
        except UnsupportedArchiveLocation as exc:
            print(f"newsarchive: no edits listed: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        try:
            found = edits(location, site=opts.site, since=since, url=opts.url)
            count = print_edits(iter_edits(found), opts.format, sys.stdout)
        except AnalysisError as exc:
            print(f"newsarchive: no edits listed: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        except duckdb.Error as exc:
            reason = scrub(str(exc)).strip().splitlines()[0]
            message = f"no edits listed: cannot read {location.url}: {reason}"
            print(f"newsarchive: {message}", file=sys.stderr)
            self.exitcode = 1
            return
        except BrokenPipeError:  # `scrapy edits | head`: the reader has seen enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        if count == 0:
            print("no edits", file=sys.stdout if opts.format == "text" else sys.stderr)


def iter_edits(found: duckdb.DuckDBPyRelation) -> Iterator[dict[str, Any]]:
    """The rows of ``analysis.edits``, a batch at a time."""
    reader = found.to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        yield from batch.to_pylist()


def print_edits(found: Iterator[dict[str, Any]], format: str, out: TextIO) -> int:
    """Print the edits in ``format`` (``text``: coloured if ``out`` is a terminal); returns
    how many there were. In text, an article's edits follow its URL, and a count ends it."""
    colour = format == "text" and is_terminal(out)
    count, articles, previous = 0, 0, None
    for edit in found:
        count += 1
        if format == "json":
            out.write(json.dumps(edit_json(edit), ensure_ascii=False) + "\n")
            continue
        if (edit["site"], edit["url"]) != previous:
            previous = (edit["site"], edit["url"])
            articles += 1
            if count > 1:
                out.write("\n")
            out.write(f"{edit['url']}  ({edit['site']})\n")
        out.write("".join(line + "\n" for line in edit_text(edit, colour=colour)))
    if count and format == "text":
        out.write(f"\n{count} edit(s) of {articles} article(s)\n")
    out.flush()
    return count


def edit_text(edit: dict[str, Any], *, colour: bool = False) -> list[str]:
    """An edit for a person: the two versions, then each changed field's changes, one
    line per change with its context."""
    header = (
        f"  version {edit['from_version']} fetched {_when(edit['from_crawled_at'])} -> "
        f"version {edit['to_version']} fetched {_when(edit['to_crawled_at'])}"
    )
    readers = (edit.get("from_extractor_version"), edit.get("to_extractor_version"))
    if all(readers) and readers[0] != readers[1]:
        header += f" (read by {readers[0]} -> {readers[1]})"
    lines = [header]
    for name in edit["changed"]:
        label = f"    {name}: "
        hunks = render_hunks(word_diff(edit[f"from_{name}"], edit[f"to_{name}"]), colour=colour)
        lines.append(label + (hunks[0] if hunks else "(spacing only)"))
        lines += [" " * len(label) + hunk for hunk in hunks[1:]]
    return lines


def edit_json(edit: dict[str, Any]) -> dict[str, Any]:
    """An edit for machines: where, which versions and when fetched (ISO 8601 UTC), and per
    changed field (of title, lead, body, in that order) every diff operation."""
    return {
        "site": edit["site"],
        "url": edit["url"],
        "article_id": edit["article_id"],
        "from_version": edit["from_version"],
        "from_crawled_at": _iso(edit["from_crawled_at"]),
        "from_extractor_version": edit["from_extractor_version"],
        "to_version": edit["to_version"],
        "to_crawled_at": _iso(edit["to_crawled_at"]),
        "to_extractor_version": edit["to_extractor_version"],
        "changes": {
            name: diff_json(word_diff(edit[f"from_{name}"], edit[f"to_{name}"]))
            for name in EDITED_FIELDS
            if name in edit["changed"]
        },
    }


def _when(moment: datetime | None) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "at an unknown time"
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
