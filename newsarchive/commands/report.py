"""``scrapy report``: one self-contained HTML page about the archive and its recent runs.

Articles per publication day and per section, versions and edits per day, field fill rates
across runs with the drift alarms marked, failures and skips by reason, slow-downs, and the
runs themselves (``newsarchive.report`` gathers and renders; this is the command around it).
The page needs no network: its charts are inline SVG. It is written atomically, by default
to ``<NEWSARCHIVE_OUTPUT>/report.html``, and its path is printed. An archive on S3
(``s3://bucket/prefix``) is read there, and its report uploaded there by default, as
``_report.html`` (hidden from pyarrow's and Spark's partition discovery).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsarchive.archive_fs import UnsupportedArchiveLocation, parse_location, scrub
from newsarchive.report import (
    DEFAULT_RUNS,
    REPORT_FILENAME,
    ReportError,
    gather,
    write_report,
)
from newsarchive.storage import UnsafePathError, validate_site


class Command(ScrapyCommand):
    """Write the archive's HTML report."""

    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Write a self-contained HTML report about the archive and its recent runs"

    def long_desc(self) -> str:
        return (
            "Write one HTML page (inline SVG charts, no network needed) about the archive at "
            "NEWSARCHIVE_OUTPUT: articles per publication day and per section, versions and "
            "edits per day, field fill rates across runs with drift alarms marked, failures "
            "and skips by reason, slow-downs, and the runs. Reads a few small columns of the "
            "Parquet files and the run manifests; changes nothing in the archive but the "
            "report file. Prints the report's path."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            help=f"where to write the report; default <archive>/{REPORT_FILENAME}",
        )
        parser.add_argument(
            "--archive", metavar="DIR", help="archive root (default: NEWSARCHIVE_OUTPUT)"
        )
        parser.add_argument(
            "--runs",
            type=int,
            default=DEFAULT_RUNS,
            metavar="N",
            help=f"how many of the most recent runs to show (default: {DEFAULT_RUNS})",
        )
        parser.add_argument("--site", metavar="SITE", help="only this site's rows and runs")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        assert self.settings is not None
        if opts.runs < 1:
            raise UsageError(f"--runs must be at least 1, not {opts.runs}", print_help=False)
        if opts.site is not None:
            try:
                validate_site(opts.site)
            except UnsafePathError as exc:
                raise UsageError(str(exc), print_help=False) from None
        archive = opts.archive or self.settings.get("NEWSARCHIVE_OUTPUT") or "output"
        try:
            location = parse_location(archive, self.settings)
        except UnsupportedArchiveLocation as exc:
            print(f"newsarchive: no report: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        root = Path(archive) if location.is_local else location
        output: Path | str
        if opts.output:
            output = opts.output if "://" in opts.output else Path(opts.output)
        elif location.is_local:
            output = Path(archive) / REPORT_FILENAME
        else:
            output = f"{location.url}/{REPORT_FILENAME}"
        try:
            data = gather(root, runs=opts.runs, site=opts.site)
            path = write_report(data, output)
        except ReportError as exc:
            print(f"newsarchive: no report: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        except (OSError, UnsupportedArchiveLocation) as exc:
            print(
                f"newsarchive: no report: cannot write {output}: {scrub(str(exc))}", file=sys.stderr
            )
            self.exitcode = 1
            return
        for problem in data.problems:
            print(f"newsarchive: report: {problem}", file=sys.stderr)
        print(
            f"newsarchive report: {data.articles:,} articles ({data.rows:,} rows), "
            f"{len(data.runs)} of {data.total_runs} runs shown: {path}"
        )
