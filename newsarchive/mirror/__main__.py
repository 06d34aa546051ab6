"""``python -m newsarchive.mirror``: serve a mirror until SIGINT/SIGTERM.

``--site moscowtimes`` (the default) serves The Moscow Times mirror, ``--site wordpress`` the
German WordPress news site of ``newsarchive.mirror.wordpress``.

The first line on stdout is the base URL (flushed), so a parent process can read it and go.
With ``--ground-truth PATH`` the ground truth is written before that line appears, and
rewritten after every ``POST /__mirror__/advance``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from newsarchive.mirror.faults import FaultPlan
from newsarchive.mirror.registry import DEFAULT_SITE, SITES, build_site
from newsarchive.mirror.server import MirrorServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m newsarchive.mirror",
        description="Serve an offline, deterministic mirror of The Moscow Times "
        "(or of a German WordPress news site).",
    )
    parser.add_argument(
        "--site",
        choices=SITES,
        default=DEFAULT_SITE,
        help="which site to mirror",
    )
    parser.add_argument("--articles", type=int, default=300, help="number of articles")
    parser.add_argument("--seed", type=int, default=1, help="seed of the site's content")
    parser.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="the site's clock, ISO 8601 (default: this UTC hour)",
    )
    parser.add_argument(
        "--redesign",
        action="store_true",
        help="serve the site's new look: the byline and the tags in new markup (moscowtimes)",
    )
    parser.add_argument(
        "--gone-sections",
        default="",
        metavar="NAMES",
        help="comma-separated sections whose listing answers 404 (moscowtimes)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--ground-truth", type=Path, help="write the ground truth JSON here")
    parser.add_argument("--quiet", action="store_true", help="print nothing but the base URL")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="wait this long before every answer, as a real site's round trip would",
    )
    faults = parser.add_argument_group("fault injection (see newsarchive.mirror.faults)")
    faults.add_argument(
        "--faults", metavar="KINDS", help="'all' or a comma-separated list of fault kinds"
    )
    faults.add_argument("--fault-seed", type=int, default=0)
    faults.add_argument(
        "--fault-rate", type=float, default=0.3, help="share of paths that misbehave"
    )
    faults.add_argument(
        "--hostile-rate",
        type=float,
        default=0.1,
        help="share of faulty article paths that never get served correctly",
    )
    faults.add_argument("--slow-seconds", type=float, default=5.0, help="delay of the 'slow' fault")
    return parser.parse_args(argv)


def write_json(path: Path, data: Any) -> None:
    """Write atomically: a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    site = build_site(args.articles, args.seed, args.now, site=args.site)
    site.redesigned = args.redesign
    site.gone_sections = {s.strip() for s in args.gone_sections.split(",") if s.strip()}
    plan = None
    if args.faults:
        plan = FaultPlan.parse(
            args.faults,
            seed=args.fault_seed,
            rate=args.fault_rate,
            slow_seconds=args.slow_seconds,
            hostile_rate=args.hostile_rate,
        )
    server = MirrorServer(
        site,
        args.host,
        args.port,
        faults=plan,
        verbose=args.verbose,
        latency=args.latency_ms / 1000,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    if args.ground_truth:
        path = args.ground_truth
        write_json(path, server.ground_truth())
        # POST /__mirror__/advance changes the site: keep the file in step with it.
        server.on_advance.append(lambda srv: write_json(path, srv.ground_truth()))
    print(server.base_url, flush=True)
    if not args.quiet:
        print(
            f"serving {args.articles} articles (seed {args.seed}, now {site.now.isoformat()}); "
            "Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
