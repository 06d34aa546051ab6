"""The run report: one self-contained HTML page about an archive and its recent runs.

``gather(root)`` reads what the page shows -- a few small columns of the Parquet files, file
by file and batch by batch (never ``body``), and the run manifests -- into a ``ReportData``;
``render(data)`` turns that into the page: charts drawn here as inline SVG, each with its
numbers in a table beside it, no script, no font and no file from anywhere else, so the page
reads the same offline, mailed, or years later. ``write_report`` writes it atomically.
``scrapy report`` (``newsarchive/commands/report.py``) is a thin wrapper. The archive, and
the report's file, may be on S3 (``s3://bucket/prefix``, see ``newsarchive.archive_fs``):
the same columns and manifests are read there through ``pyarrow.fs``, and the page is
uploaded in one piece.

What is counted:

* **articles** are first archived versions (``version`` 1): an article counts once, by the
  publication day and section of its first version; later versions are counted apart, by
  the day they were crawled;
* **edits** are rows whose page says it was modified after publication (``modified_at``
  later than ``published_at``), by the day of that modification;
* **runs** are the manifests in ``_manifests/``, the most recent ``runs`` of them, oldest
  first; keys an older manifest lacks are shown as missing, never guessed.

Every chart's ``<svg>`` carries ``data-chart="<name>"`` and every mark in it (bar, cell) a
``data-value`` (and ``data-label``); a chart with nothing to draw is a sentence instead.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsarchive.archive_fs import (
    ArchiveLocation,
    UnsupportedArchiveLocation,
    parse_location,
    scrub,
)
from newsarchive.drift import FIELDS as FILL_FIELDS
from newsarchive.storage import list_partition_files, temp_path_for, validate_site

MANIFESTS_DIRNAME = "_manifests"
REPORT_FILENAME = "_report.html"
"""The report's name in the archive: with a leading ``_``, so that pyarrow's, pandas' and
Spark's partition discovery skip it, as they skip ``_manifests`` (``report.html`` there made
``pd.read_parquet("output")`` fail)."""
DEFAULT_RUNS = 30
DAYS_SHOWN = 60
SECTIONS_SHOWN = 40
FIELDS = tuple(FILL_FIELDS)
"""The fill-rate columns, in the drift alarm's order (a manifest's other fields follow,
sorted)."""
COLUMNS = ("section", "version", "published_at", "modified_at", "crawled_at")
"""The only Parquet columns read (``site`` and ``date`` come from the folder names)."""
NO_SECTION = "(no section)"
DASH = "\u2013"
"""What a table shows for a number a manifest does not have."""


class ReportError(RuntimeError):
    """The report cannot be made (no archive there, say): one line for the user."""


# --- Data ----------------------------------------------------------------------------------------


@dataclass
class Alarm:
    field: str
    message: str
    before: float | None = None
    after: float | None = None


@dataclass
class RunSummary:
    """What the report shows of one run manifest (``None``: the manifest has no such key)."""

    run_id: str
    site: str | None = None
    status: str = "unknown"
    started_at: str | None = None
    finished_at: str | None = None
    finish_reason: str | None = None
    articles: dict[str, int] = field(default_factory=dict)
    rows_written: int | None = None
    failures: list[str] = field(default_factory=list)
    failed_pages: dict[str, int] | None = None
    skipped_pages: dict[str, int] | None = None
    slowdown_episodes: int | None = None
    slowdown_seconds: float | None = None
    slowdown_answers: dict[str, int] = field(default_factory=dict)
    fields_items: int | None = None
    fill: dict[str, float] | None = None
    median_words: float | None = None
    drift_status: str | None = None
    drift_baseline_runs: int | None = None
    alarms: list[Alarm] = field(default_factory=list)

    def alarmed_fields(self) -> set[str]:
        return {alarm.field for alarm in self.alarms}


@dataclass
class ReportData:
    root: str
    generated_at: datetime
    site: str | None = None
    sites: list[str] = field(default_factory=list)
    files: int = 0
    rows: int = 0
    articles: int = 0
    per_day: dict[str, int] = field(default_factory=dict)
    per_section: dict[str, int] = field(default_factory=dict)
    new_per_crawl_day: dict[str, int] = field(default_factory=dict)
    versions_per_crawl_day: dict[str, int] = field(default_factory=dict)
    edits_per_day: dict[str, int] = field(default_factory=dict)
    runs: list[RunSummary] = field(default_factory=list)
    total_runs: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.files == 0 and self.total_runs == 0


# --- Gathering -----------------------------------------------------------------------------------


def gather(
    root: str | os.PathLike[str], *, runs: int = DEFAULT_RUNS, site: str | None = None
) -> ReportData:
    """Read the archive at ``root`` (of ``site`` alone, if given) and its last ``runs`` runs.

    Raises ``ReportError`` if ``root`` is not a folder. A file or manifest that cannot be read
    is left out and named in ``problems``; nothing else stops the report.
    """
    try:
        location = parse_location(root)
    except UnsupportedArchiveLocation as exc:
        raise ReportError(str(exc)) from None
    if not location.is_local:
        return _gather_remote(location, runs=runs, site=site)
    path = Path(root)
    if not path.is_dir():
        what = "not a folder" if path.exists() else "no such folder"
        raise ReportError(f"no archive at {path.absolute()} ({what})")
    if runs < 1:
        raise ReportError(f"--runs must be at least 1, not {runs}")
    if site is not None:
        site = validate_site(site)
    data = ReportData(root=str(path.absolute()), generated_at=datetime.now(UTC), site=site)
    _gather_rows(path, data)
    summaries = _gather_runs(path, data)
    data.total_runs = len(summaries)
    data.runs = summaries[-runs:]
    return data


def _gather_remote(location: ArchiveLocation, *, runs: int, site: str | None) -> ReportData:
    """``gather`` of an S3 archive."""
    try:
        if not location.is_dir():
            raise ReportError(f"no archive at {location.url} (no such bucket)")
    except OSError as exc:
        raise ReportError(f"cannot reach {location.url}: {scrub(str(exc))}") from None
    if runs < 1:
        raise ReportError(f"--runs must be at least 1, not {runs}")
    if site is not None:
        site = validate_site(site)
    data = ReportData(root=location.url, generated_at=datetime.now(UTC), site=site)
    try:
        _gather_rows(Path(location.base), data, location)
        summaries = _gather_runs(Path(location.base), data, location)
    except OSError as exc:
        raise ReportError(f"cannot read {location.url}: {scrub(str(exc))}") from None
    data.total_runs = len(summaries)
    data.runs = summaries[-runs:]
    return data


def _gather_rows(root: Path, data: ReportData, location: ArchiveLocation | None = None) -> None:
    per_day: Counter[str] = Counter()
    per_section: Counter[tuple[str, str]] = Counter()
    new: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    edits: Counter[str] = Counter()
    sites: set[str] = set()
    filesystem = location.fs if location is not None else None
    listing = list_partition_files(location or root)
    for partition, files in listing.items():
        if data.site is not None and partition.site != data.site:
            continue
        sites.add(partition.site)
        for path in files:
            try:
                batches = list(_batches(path, filesystem))
            except (OSError, pa.ArrowException) as exc:
                name = location.relative(path) if location else path.relative_to(root)
                data.problems.append(f"could not read {name}: {scrub(str(exc))}")
                continue
            data.files += 1
            for batch in batches:
                first = _count_batch(batch, partition.site, data, per_section)
                per_day[partition.date] += first
                _count_days(batch, new, versions, edits)
    data.sites = sorted(sites)
    data.per_day = dict(sorted(per_day.items()))
    several = len(sites) > 1  # "news" of two sites are two sections
    labels = Counter(
        {
            (f"{section} ({site})" if several else section): n
            for (section, site), n in per_section.items()
        }
    )
    data.per_section = dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0])))
    data.new_per_crawl_day = dict(sorted(new.items()))
    data.versions_per_crawl_day = dict(sorted(versions.items()))
    data.edits_per_day = dict(sorted(edits.items()))


def _batches(path: Path | str, filesystem: Any = None) -> Iterator[pa.Table]:
    """The columns the report needs, batch by batch; a column an older file lacks is null."""
    parquet = pq.ParquetFile(path, filesystem=filesystem) if filesystem else pq.ParquetFile(path)
    names = set(parquet.schema_arrow.names)
    present = [c for c in COLUMNS if c in names]
    for batch in parquet.iter_batches(batch_size=65_536, columns=present):
        table = pa.Table.from_batches([batch])
        for column in COLUMNS:
            if column not in names:
                kind = pa.int32() if column == "version" else pa.string()
                if column.endswith("_at"):
                    kind = pa.timestamp("us", tz="UTC")
                table = table.append_column(column, pa.nulls(table.num_rows, kind))
        yield table


def _first_versions(table: pa.Table) -> pa.Array:
    """True for a first archived version (a missing version number counts as 1)."""
    return pc.less_equal(pc.fill_null(table.column("version"), 1), 1)


def _count_batch(
    table: pa.Table, site: str, data: ReportData, per_section: Counter[tuple[str, str]]
) -> int:
    data.rows += table.num_rows
    first = table.filter(_first_versions(table))
    data.articles += first.num_rows
    sections = pc.fill_null(first.column("section").cast(pa.string()), NO_SECTION)
    for value, count in _value_counts(sections).items():
        per_section[(value, site)] += count
    return first.num_rows


def _utc_day(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """UTC timestamps -> ``YYYY-MM-DD`` strings (null stays null)."""
    naive = values.cast(pa.timestamp("us"))  # the same instants, read as UTC wall time
    return naive.cast(pa.date32()).cast(pa.string())


def _count_days(
    table: pa.Table, new: Counter[str], versions: Counter[str], edits: Counter[str]
) -> None:
    first = _first_versions(table)
    crawled = _utc_day(table.column("crawled_at"))
    for day, count in _value_counts(crawled.filter(first)).items():
        if day is not None:
            new[day] += count
    for day, count in _value_counts(crawled.filter(pc.invert(first))).items():
        if day is not None:
            versions[day] += count
    modified, published = table.column("modified_at"), table.column("published_at")
    edited = pc.and_kleene(
        pc.is_valid(modified),
        pc.or_kleene(pc.is_null(published), pc.greater(modified, published)),
    )
    for day, count in _value_counts(_utc_day(modified.filter(pc.fill_null(edited, False)))).items():
        if day is not None:
            edits[day] += count


def _value_counts(values: pa.ChunkedArray | pa.Array) -> dict[Any, int]:
    if len(values) == 0:
        return {}
    counted = pc.value_counts(values)
    return dict(
        zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True)
    )


def _gather_runs(
    root: Path, data: ReportData, location: ArchiveLocation | None = None
) -> list[RunSummary]:
    directory = root / MANIFESTS_DIRNAME
    summaries: list[tuple[tuple[str, str], RunSummary]] = []
    if location is not None:  # S3: fs paths of the manifests, read as objects
        found = location.list_files(location.path(MANIFESTS_DIRNAME))
        paths: list[Any] = [Path(p) for p in found if p.endswith(".json")]
    else:
        paths = sorted(directory.glob("*.json")) if directory.is_dir() else []
    for path in paths:
        if path.name.startswith("."):
            continue
        try:
            text = (
                location.read_bytes(str(path)).decode("utf-8")
                if location is not None
                else path.read_text(encoding="utf-8")
            )
            manifest = json.loads(text)
            if not isinstance(manifest, dict):
                raise ValueError("not a JSON object")
            summary = summarize_manifest(manifest, default_id=path.stem)
        except (OSError, ValueError) as exc:
            data.problems.append(f"could not read {MANIFESTS_DIRNAME}/{path.name}: {exc}")
            continue
        if data.site is not None and summary.site not in (None, data.site):
            continue
        summaries.append(((summary.started_at or "", summary.run_id), summary))
    summaries.sort(key=lambda pair: pair[0])
    return [summary for _, summary in summaries]


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _counts(value: Any) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): n for k, v in value.items() if (n := _int(v)) is not None}


def summarize_manifest(manifest: Mapping[str, Any], default_id: str = "?") -> RunSummary:
    """The report's view of one manifest; keys it lacks or holds in a strange shape are
    ``None`` (or empty), whatever the version of the crawler that wrote it."""
    run = RunSummary(run_id=_str(manifest.get("run_id")) or default_id)
    run.site = _str(manifest.get("site"))
    run.status = _str(manifest.get("status")) or "unknown"
    run.started_at = _str(manifest.get("started_at"))
    run.finished_at = _str(manifest.get("finished_at"))
    run.finish_reason = _str(manifest.get("finish_reason"))
    run.articles = _counts(manifest.get("articles")) or {}
    run.rows_written = _int(manifest.get("rows_written"))
    failures = manifest.get("failures")
    run.failures = [str(f) for f in failures] if isinstance(failures, list) else []
    run.failed_pages = _counts(manifest.get("failed_pages"))
    run.skipped_pages = _counts(manifest.get("skipped_pages"))
    slowdowns = manifest.get("slowdowns")
    if isinstance(slowdowns, dict):
        run.slowdown_episodes = _int(slowdowns.get("episodes"))
        run.slowdown_seconds = _float(slowdowns.get("seconds"))
        run.slowdown_answers = _counts(slowdowns.get("answers")) or {}
    fields = manifest.get("fields")
    if isinstance(fields, dict):
        run.fields_items = _int(fields.get("items"))
        fill = fields.get("fill")
        if isinstance(fill, dict):
            run.fill = {str(k): f for k, v in fill.items() if (f := _float(v)) is not None}
        run.median_words = _float(fields.get("median_words"))
    drift = manifest.get("drift")
    if isinstance(drift, dict):
        run.drift_status = _str(drift.get("status"))
        baseline = drift.get("baseline")
        if isinstance(baseline, dict):
            run.drift_baseline_runs = _int(baseline.get("runs"))
        alarms = drift.get("alarms")
        for alarm in alarms if isinstance(alarms, list) else []:
            if isinstance(alarm, dict):
                name = _str(alarm.get("field")) or "?"
                run.alarms.append(
                    Alarm(
                        field=name,
                        message=_str(alarm.get("message")) or f"{name}: drift",
                        before=_float(alarm.get("before")),
                        after=_float(alarm.get("after")),
                    )
                )
            elif isinstance(alarm, str):
                run.alarms.append(Alarm(field="?", message=alarm))
    return run


# --- Writing -------------------------------------------------------------------------------------


def write_report(data: ReportData, output: str | os.PathLike[str]) -> Path | str:
    """Render ``data`` into ``output`` atomically (a reader never sees half a page); an
    ``s3://`` output is uploaded in one piece (its URL is returned)."""
    location = parse_location(output)
    if not location.is_local:
        location.write_bytes(location.base, render(data).encode("utf-8"))
        return location.url
    path = Path(output).absolute()
    page = render(data)
    temp = temp_path_for(path)
    try:
        temp.write_text(page, encoding="utf-8")
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


# --- Rendering -----------------------------------------------------------------------------------

BLUE, ORANGE, RED, GREY, PURPLE = "#3b6ea8", "#e08a2b", "#c0392b", "#7f8c8d", "#8e44ad"
CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0;
  color: #222; background: #fafafa; line-height: 1.4; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5em 1.5em 4em; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.25em; margin: 2em 0 .3em; border-bottom: 2px solid #ddd; padding-bottom: .2em; }
h3 { font-size: 1em; margin: 1.2em 0 .3em; }
p.note, .meta { color: #555; font-size: .9em; margin: .2em 0 .6em; }
p.empty { color: #555; font-style: italic; background: #f0f0f0; padding: .6em .8em; }
svg { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid #e3e3e3;
  margin: .4em 0; }
svg text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; fill: #333; }
table { border-collapse: collapse; font-size: .85em; margin: .4em 0; background: #fff; }
th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: left; vertical-align: top; }
td { white-space: nowrap; } td.wrap { white-space: normal; min-width: 14em; }
div.scroll { overflow-x: auto; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: .3em 0 1em; } summary { cursor: pointer; color: #3b6ea8; font-size: .9em; }
.status { font-weight: bold; padding: 0 .4em; border-radius: 3px; color: #fff; }
.status-ok { background: #2e8b57; } .status-failed { background: #c0392b; }
.status-running, .status-unknown { background: #7f8c8d; }
.alarm { color: #c0392b; font-weight: bold; }
ul.alarms li { color: #c0392b; }
.summary td { border: none; padding: .1em 1em .1em 0; }
.problems { color: #c0392b; }
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt_int(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def fmt_pct(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.0f}%"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time of a manifest, in UTC (a naive one is taken as UTC); None if not one."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def fmt_time(value: str | None) -> str:
    """``2026-11-30T00:18:32.541716+00:00`` -> ``2026-11-30 00:18:32`` (UTC; else as given)."""
    moment = parse_time(value)
    if moment is None:
        return value or DASH
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def short_time(run: RunSummary) -> str:
    """A run's label on a chart axis: its start (``11-30 00:18:32``), else its ID."""
    moment = parse_time(run.started_at)
    return moment.strftime("%m-%d %H:%M:%S") if moment else run.run_id[:16]


def duration(run: RunSummary) -> str:
    start, end = parse_time(run.started_at), parse_time(run.finished_at)
    if start is None or end is None:
        return DASH
    seconds = (end - start).total_seconds()
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def nice_scale(top: float, *, integer: bool = True, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum, tick step): a round step (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return (1.0, 1.0) if integer else (1.0, 0.25)
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    return math.ceil(top / step - 1e-9) * step, step


def fmt_tick(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def svg_open(name: str, width: int, height: int, label: str) -> str:
    return (
        f'<svg data-chart="{esc(name)}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{esc(label)}">'
    )


def mark(tag: str, value: Any, label: str, title: str, **attributes: Any) -> str:
    """One data mark: ``data-value`` and ``data-label`` for tests, ``<title>`` for people."""
    attrs = " ".join(f'{k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attributes.items())
    return (
        f'<{tag} class="mark" data-value="{esc(value)}" data-label="{esc(label)}" {attrs}>'
        f"<title>{esc(title)}</title></{tag}>"
    )


def empty(name: str, text: str) -> str:
    return f'<p class="empty" data-empty-chart="{esc(name)}">{esc(text)}</p>'


@dataclass
class Series:
    name: str
    color: str
    values: Sequence[float]


def bar_chart(
    name: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    x_label: str,
    titles: Sequence[str] | None = None,
    above: Sequence[str] | None = None,
    integer: bool = True,
    width: int = 940,
) -> str:
    """Vertical bars, one per label, stacked when there are several series; ``titles`` name
    each label in tooltips, ``above`` is text written over each bar."""
    left, right, top, bottom = 64, 16, 34 if len(series) > 1 else 18, 84
    height = 320
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    axis_max, step = nice_scale(max(totals, default=0), integer=integer)
    if above:
        axis_max += step * 0.5 if axis_max / step < 8 else 0
    slot = plot_w / max(len(labels), 1)
    bar_w = max(1.0, min(slot * 0.8, 48))
    y = lambda v: top + plot_h - v / axis_max * plot_h  # noqa: E731
    parts = [svg_open(name, width, height, f"{y_label} by {x_label}")]
    tick = 0.0
    while tick <= axis_max + 1e-9:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{"#999" if tick == 0 else "#e5e5e5"}"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{fmt_tick(tick)}</text>"
        )
        tick += step
    every = max(1, math.ceil(len(labels) / 24))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar_w) / 2
        base = 0.0
        for s in series:
            value = s.values[i]
            if value > 0:
                what = titles[i] if titles else label
                parts.append(
                    mark(
                        "rect",
                        value,
                        label,
                        f"{what}: {fmt_tick(value)} {s.name}",
                        x=f"{x:.1f}",
                        y=f"{y(base + value):.1f}",
                        width=f"{bar_w:.1f}",
                        height=f"{y(base) - y(base + value):.1f}",
                        fill=s.color,
                        data_series=s.name,
                    )
                )
            base += value
        cx = x + bar_w / 2
        if above and above[i]:
            parts.append(
                f'<text x="{cx:.1f}" y="{y(base) - 4:.1f}" text-anchor="middle" font-size="10">'
                f"{esc(above[i])}</text>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 12}" font-size="10" text-anchor="end" '
                f'transform="rotate(-45 {cx:.1f} {top + plot_h + 12})">{esc(label)}</text>'
            )
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.0f}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">{esc(y_label)}</text>'
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" font-size="12" '
        f'text-anchor="middle">{esc(x_label)}</text>'
    )
    if len(series) > 1:
        x = left
        for s in series:
            parts.append(
                f'<rect x="{x}" y="8" width="12" height="12" fill="{s.color}"/>'
                f'<text x="{x + 16}" y="18" font-size="12">{esc(s.name)}</text>'
            )
            x += 30 + 8 * len(s.name)
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(
    name: str, items: Sequence[tuple[str, int]], *, x_label: str, color: str, unit: str
) -> str:
    """Horizontal bars, one per (label, value), label on the left, value at the bar's end."""
    width, left, right, top, row = 940, 230, 70, 10, 22
    height = top + row * len(items) + 44
    plot_w = width - left - right
    axis_max, step = nice_scale(max((v for _, v in items), default=0))
    x = lambda v: left + v / axis_max * plot_w  # noqa: E731
    parts = [svg_open(name, width, height, f"{unit} by {x_label}")]
    bottom = top + row * len(items)
    tick = 0.0
    while tick <= axis_max + 1e-9:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{bottom}" '
            f'stroke="{"#999" if tick == 0 else "#e5e5e5"}"/>'
            f'<text x="{x(tick):.1f}" y="{bottom + 14}" text-anchor="middle" font-size="11">'
            f"{fmt_tick(tick)}</text>"
        )
        tick += step
    for i, (label, value) in enumerate(items):
        y = top + row * i
        shown = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{esc(shown)}</text>"
        )
        parts.append(
            mark(
                "rect",
                value,
                label,
                f"{label}: {value:,} {unit}",
                x=left,
                y=y + 3,
                width=f"{max(x(value) - left, 1):.1f}",
                height=row - 6,
                fill=color,
            )
        )
        parts.append(f'<text x="{x(value) + 5:.1f}" y="{y + 15}" font-size="11">{value:,}</text>')
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" font-size="12" '
        f'text-anchor="middle">{esc(x_label)}</text></svg>'
    )
    return "".join(parts)


def heat_color(rate: float) -> str:
    """0 -> pale, 1 -> deep blue."""
    rate = min(max(rate, 0.0), 1.0)
    low, high = (239, 243, 255), (33, 102, 172)
    r, g, b = (round(lo + (hi - lo) * rate) for lo, hi in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


WORDS = "words"
"""The drift alarm's pseudo-field of body length (a run's median word count)."""


def fill_heatmap(runs: Sequence[RunSummary], fields: Sequence[str]) -> str:
    """Runs (rows, newest first) by fields (columns): the fill rate in each cell, then the
    median word count; a field with a drift alarm in that run is outlined in red and marked
    with '!', and the run's name is red."""
    columns = [*fields, WORDS] if any(run.median_words is not None for run in runs) else fields
    left, top, cell_w, cell_h = 200, 64, 80, 24
    width = left + cell_w * len(columns) + 60  # room for the last header, slanted
    height = top + cell_h * len(runs) + 12
    parts = [svg_open("fill", width, height, "field fill rates by run")]
    for j, name in enumerate(columns):
        cx = left + cell_w * j + cell_w / 2
        parts.append(
            f'<text x="{cx:.0f}" y="{top - 8}" font-size="11" text-anchor="start" '
            f'transform="rotate(-30 {cx:.0f} {top - 8})">'
            f"{'median words' if name == WORDS else esc(name)}</text>"
        )
    for i, run in enumerate(reversed(runs)):
        y = top + cell_h * i
        alarmed = run.alarmed_fields()
        flag, ink = (" \u26a0", RED) if run.alarms else ("", "#333")
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="11" '
            f'style="fill:{ink}">{esc(run.run_id + flag)}<title>{esc(run.site or "")} run '
            f"{esc(run.run_id)}, started {esc(fmt_time(run.started_at))} UTC</title></text>"
        )
        for j, name in enumerate(columns):
            x = left + cell_w * j
            if name == WORDS:
                value = run.median_words
                text = DASH if value is None else f"{value:,.0f}"
                what, color = f"median word count {text}", "#ececec"
            else:
                value = (run.fill or {}).get(name)
                text, color = fmt_pct(value), heat_color(value or 0.0)
                what = f"{name} filled in {text} of {fmt_int(run.fields_items)} articles"
            if value is None:
                parts.append(
                    f'<rect x="{x + 2}" y="{y + 2}" width="{cell_w - 4}" height="{cell_h - 4}" '
                    f'fill="#f7f7f7"><title>{esc(run.run_id)}: {esc(name)} not measured'
                    f"</title></rect>"
                )
                continue
            alarm = name in alarmed
            title = f"{run.run_id}: {what}"
            if alarm:
                messages = "; ".join(a.message for a in run.alarms if a.field == name)
                title += f" \u2014 DRIFT ALARM: {messages}"
            extra = {"stroke": RED, "stroke_width": 3, "data_alarm": "1"} if alarm else {}
            parts.append(
                mark(
                    "rect",
                    f"{value:.4g}" if name != WORDS else f"{value:g}",
                    f"{run.run_id}:{name}",
                    title,
                    x=x + 2,
                    y=y + 2,
                    width=cell_w - 4,
                    height=cell_h - 4,
                    fill=color,
                    **extra,
                )
            )
            dark = name != WORDS and value > 0.55
            ink = "#fff" if dark else (RED if alarm else "#222")
            weight = "bold" if alarm else "normal"
            parts.append(
                f'<text x="{x + cell_w / 2:.0f}" y="{y + 16}" text-anchor="middle" '
                f'font-size="11" font-weight="{weight}" style="fill:{ink}">'
                f"{text}{' !' if alarm else ''}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


CELL_CLASSES = ("", " class=n", " class=wrap")
"""A table column's kind: 0 text, 1 number (right-aligned), 2 long text (wrapped)."""


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], kinds: Sequence[int]) -> str:
    head = "".join(
        f"<th{CELL_CLASSES[k]}>{esc(h)}</th>" for h, k in zip(headers, kinds, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{CELL_CLASSES[k]}>{cell if isinstance(cell, Raw) else esc(cell)}</td>"
            for cell, k in zip(row, kinds, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Raw(str):
    """HTML already escaped, put in a table cell as it is."""


def numbers(inner: str, what: str = "The numbers") -> str:
    return f"<details><summary>{esc(what)}</summary>{inner}</details>"


def shown_days(days: Sequence[str], counts: Mapping[str, int]) -> str:
    if len(days) == len(counts):
        return f"all {len(days):,} days with data"
    return f"the last {len(days):,} of {len(counts):,} days with data"


def last_days(counts: Mapping[str, int], days: int = DAYS_SHOWN) -> list[str]:
    return sorted(counts)[-days:]


def section_articles(data: ReportData) -> str:
    out = ["<h2 id='articles'>Articles</h2>"]
    if not data.per_day:
        out.append(empty("per_day", "No articles in the archive yet."))
        return "".join(out)
    days = last_days(data.per_day)
    span = f"{min(data.per_day)} .. {max(data.per_day)}"
    out.append(
        f"<h3>Per publication day</h3><p class='note'>First versions by the UTC day they were "
        f"published: {shown_days(days, data.per_day)} ({esc(span)}).</p>"
    )
    values = [data.per_day[d] for d in days]
    out.append(
        bar_chart(
            "per_day",
            days,
            [Series("articles", BLUE, values)],
            y_label="articles",
            x_label="publication day (UTC)",
        )
    )
    out.append(
        numbers(
            table(
                ("day", "articles"), [(d, f"{data.per_day[d]:,}") for d in reversed(days)], (0, 1)
            )
        )
    )
    items = list(data.per_section.items())
    shown = items[:SECTIONS_SHOWN]
    note = f"the {len(shown)} largest of {len(items)}" if len(items) > len(shown) else "all"
    out.append(
        f"<h3>Per section</h3><p class='note'>First versions by the section they were found "
        f"in ({note} sections).</p>"
    )
    out.append(hbar_chart("per_section", shown, x_label="articles", color=BLUE, unit="articles"))
    out.append(numbers(table(("section", "articles"), [(s, f"{n:,}") for s, n in items], (0, 1))))
    return "".join(out)


def section_versions(data: ReportData) -> str:
    out = ["<h2 id='versions'>Versions and edits per day</h2>"]
    crawl_days = last_days({**data.new_per_crawl_day, **data.versions_per_crawl_day})
    if crawl_days:
        new = [data.new_per_crawl_day.get(d, 0) for d in crawl_days]
        versions = [data.versions_per_crawl_day.get(d, 0) for d in crawl_days]
        out.append(
            "<h3>Archived per crawl day</h3><p class='note'>Rows written, by the UTC day their "
            "page was fetched: new articles (version 1) and new versions of known articles "
            "(version 2 and up: their content changed).</p>"
        )
        out.append(
            bar_chart(
                "versions",
                crawl_days,
                [Series("new articles", BLUE, new), Series("new versions", ORANGE, versions)],
                y_label="rows",
                x_label="crawl day (UTC)",
            )
        )
        rows = [
            (d, f"{n:,}", f"{v:,}")
            for d, n, v in reversed(list(zip(crawl_days, new, versions, strict=True)))
        ]
        out.append(numbers(table(("crawl day", "new articles", "new versions"), rows, (0, 1, 1))))
    else:
        out.append(empty("versions", "No rows with a crawl time yet."))
    out.append(
        "<h3>Edits per day</h3><p class='note'>Rows whose page says it was modified after "
        "publication (<code>modified_at</code> later than <code>published_at</code>), by the "
        "UTC day of that modification.</p>"
    )
    if data.edits_per_day:
        days = last_days(data.edits_per_day)
        out.append(
            bar_chart(
                "edits",
                days,
                [Series("edited", ORANGE, [data.edits_per_day[d] for d in days])],
                y_label="edited rows",
                x_label="modification day (UTC)",
            )
        )
        out.append(
            numbers(
                table(
                    ("day", "edited rows"),
                    [(d, f"{data.edits_per_day[d]:,}") for d in reversed(days)],
                    (0, 1),
                )
            )
        )
    else:
        out.append(empty("edits", "No archived page says it was modified after publication."))
    return "".join(out)


def section_fill(data: ReportData) -> str:
    out = ["<h2 id='fields'>Field fill rates and drift</h2>"]
    measured = [run for run in data.runs if run.fill]
    out.append(
        "<p class='note'>Share of each run's articles with the field filled in (manifest "
        "<code>fields</code>); a cell outlined in red with '!' is a drift alarm (manifest "
        "<code>drift</code>). Newest run on top.</p>"
    )
    if not measured:
        out.append(empty("fill", "No run of those shown measured its fields' fill rates."))
    else:
        seen = {name for run in measured for name in (run.fill or {})}
        fields = [f for f in FIELDS if f in seen] + sorted(seen - set(FIELDS))
        out.append(fill_heatmap(measured, fields))
        rows = [
            (
                run.run_id,
                fmt_int(run.fields_items),
                DASH if run.median_words is None else f"{run.median_words:,.0f}",
                *(fmt_pct((run.fill or {}).get(f)) for f in fields),
            )
            for run in reversed(measured)
        ]
        out.append(
            numbers(
                table(
                    ("run", "items", "median words", *fields),
                    rows,
                    (0, 1, 1, *([1] * len(fields))),
                )
            )
        )
    alarmed = [run for run in data.runs if run.alarms]
    if alarmed:
        out.append("<h3 class='alarm'>Drift alarms</h3><ul class='alarms'>")
        for run in reversed(alarmed):
            for alarm in run.alarms:
                out.append(
                    f"<li data-alarm-run='{esc(run.run_id)}'>{esc(run.run_id)}: "
                    f"{esc(alarm.message)}</li>"
                )
        out.append("</ul>")
    elif any(run.drift_status for run in data.runs):
        out.append("<p>No drift alarm in the runs shown.</p>")
    return "".join(out)


def _reason_totals(runs: Sequence[RunSummary], key: str) -> list[tuple[str, int]]:
    total: Counter[str] = Counter()
    for run in runs:
        total.update(getattr(run, key) or {})
    return sorted(((r, n) for r, n in total.items() if n), key=lambda kv: (-kv[1], kv[0]))


def _reasons(counts: dict[str, int] | None) -> str:
    if counts is None:
        return DASH
    return ", ".join(f"{r}: {n:,}" for r, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def section_failures(data: ReportData) -> str:
    out = [
        "<h2 id='failures'>Failures and skips by reason</h2><p class='note'>Pages that failed "
        f"for good (after their retries) and pages skipped on purpose, over the {len(data.runs)}"
        " runs shown (manifest <code>failed_pages</code>, <code>skipped_pages</code>).</p>"
    ]
    failed = _reason_totals(data.runs, "failed_pages")
    out.append("<h3>Failed pages</h3>")
    if failed:
        out.append(hbar_chart("failures", failed, x_label="pages", color=RED, unit="pages"))
    else:
        out.append(empty("failures", "No page failed for good in the runs shown."))
    skipped = _reason_totals(data.runs, "skipped_pages")
    out.append("<h3>Skipped pages</h3>")
    if skipped:
        out.append(hbar_chart("skips", skipped, x_label="pages", color=GREY, unit="pages"))
    else:
        out.append(empty("skips", "No page was skipped in the runs shown."))
    rows = [
        (run.run_id, _reasons(run.failed_pages), _reasons(run.skipped_pages))
        for run in reversed(data.runs)
        if run.failed_pages or run.skipped_pages
    ]
    if rows:
        out.append(numbers(table(("run", "failed", "skipped"), rows, (0, 2, 2)), "Per run"))
    return "".join(out)


def section_slowdowns(data: ReportData) -> str:
    out = [
        "<h2 id='slowdowns'>Slow-downs</h2><p class='note'>Backoff episodes per run: the "
        "seconds a site was slowed down after sustained 429/503 answers (manifest "
        "<code>slowdowns</code>); the number over each bar is its episodes.</p>"
    ]
    measured = [run for run in data.runs if run.slowdown_episodes is not None]
    if not any(run.slowdown_episodes for run in measured):
        out.append(empty("slowdowns", "No slow-down in the runs shown."))
        return "".join(out)
    out.append(
        bar_chart(
            "slowdowns",
            [short_time(run) for run in measured],
            [Series("seconds slowed", PURPLE, [run.slowdown_seconds or 0.0 for run in measured])],
            y_label="seconds slowed down",
            x_label="run (start, UTC)",
            titles=[run.run_id for run in measured],
            above=[
                f"{run.slowdown_episodes}\u00d7" if run.slowdown_episodes else ""
                for run in measured
            ],
            integer=False,
        )
    )
    rows = [
        (
            run.run_id,
            fmt_int(run.slowdown_episodes),
            DASH if run.slowdown_seconds is None else f"{run.slowdown_seconds:,.1f}",
            ", ".join(f"{s}: {n:,}" for s, n in sorted(run.slowdown_answers.items())) or DASH,
        )
        for run in reversed(measured)
    ]
    out.append(
        numbers(
            table(("run", "episodes", "seconds", "answers that caused them"), rows, (0, 1, 1, 2))
        )
    )
    return "".join(out)


def section_runs(data: ReportData) -> str:
    out = ["<h2 id='runs'>Runs</h2>"]
    if not data.runs:
        out.append("<p class='empty'>No run manifest in this archive yet.</p>")
        return "".join(out)
    note = (
        f"The last {len(data.runs)} of {data.total_runs} runs"
        if data.total_runs > len(data.runs)
        else f"All {len(data.runs)} runs"
    )
    out.append(f"<p class='note'>{note}, newest first.</p>")
    rows = []
    for run in reversed(data.runs):
        status = Raw(f"<span class='status status-{esc(run.status)}'>{esc(run.status)}</span>")
        failures = Raw("<br>".join(esc(f) for f in run.failures)) if run.failures else ""
        drift = run.drift_status or DASH
        if run.alarms:
            drift = Raw(f"<span class='alarm'>{esc(drift)} ({len(run.alarms)})</span>")
        started, finished = fmt_time(run.started_at), fmt_time(run.finished_at)
        rows.append(
            (
                run.run_id,
                run.site or DASH,
                status,
                started,
                finished[11:]
                if finished[:11] == started[:11] and len(finished) == 19
                else finished,
                duration(run),
                fmt_int(run.articles.get("new")),
                fmt_int(run.articles.get("updated")),
                fmt_int(run.rows_written),
                drift,
                failures,
            )
        )
    headers = ("run", "site", "status", "started (UTC)", "finished (UTC)", "took", "new")
    headers += ("updated", "rows written", "drift", "failures")
    kinds = (0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 2)
    if len({run.site for run in data.runs}) == 1:  # one site: said above, not on every row
        headers, kinds = headers[:1] + headers[2:], kinds[:1] + kinds[2:]
        rows = [row[:1] + row[2:] for row in rows]
    out.append("<div class='scroll'>" + table(headers, rows, kinds) + "</div>")
    return "".join(out)


def render(data: ReportData) -> str:
    """The page: valid HTML5, UTF-8, self-contained (no script, no external resource)."""
    title = "newsarchive report" + (f": {data.site}" if data.site else "")
    latest = data.runs[-1] if data.runs else None
    summary_rows = [
        ("Archive", esc(data.root)),
        ("Sites", esc(", ".join(data.sites) or DASH)),
        ("Rows (article versions)", f"{data.rows:,} in {data.files:,} files"),
        ("Articles (first versions)", f"{data.articles:,}"),
        ("Runs", f"{data.total_runs:,}"),
    ]
    if latest is not None:
        summary_rows.append(
            (
                "Latest run",
                f"{esc(latest.run_id)} <span class='status status-{esc(latest.status)}'>"
                f"{esc(latest.status)}</span> started {esc(fmt_time(latest.started_at))} UTC",
            )
        )
    parts = [
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{esc(title)}</h1>",
        f"<p class='meta'>Generated {esc(fmt_time(data.generated_at.isoformat()))} UTC"
        " by <code>scrapy report</code>.</p>",
        "<table class='summary'>",
        *(f"<tr><td>{esc(k)}</td><td>{v}</td></tr>" for k, v in summary_rows),
        "</table>",
    ]
    if data.problems:
        parts.append("<h2>Could not read</h2><ul class='problems'>")
        parts.extend(f"<li>{esc(p)}</li>" for p in data.problems)
        parts.append("</ul>")
    if data.empty:
        parts.append(
            "<p class='empty' id='empty-archive'>This archive is empty: no Parquet file and no "
            "run manifest yet. Run <code>scrapy crawl</code> first.</p>"
        )
    parts += [
        section_articles(data),
        section_versions(data),
        section_fill(data),
        section_failures(data),
        section_slowdowns(data),
        section_runs(data),
        "</main></body></html>\n",
    ]
    return "".join(parts)
