"""The HTTP server of the mirror: stdlib ``ThreadingHTTPServer``, pages rendered per request.

HTTP/1.1 with keep-alive: every response carries a Content-Length (304s and HEADs excepted,
as the protocol wants), so a fast Scrapy crawl can reuse its connections. Per-request logging
is silent unless ``verbose``.

Article pages carry a weak ``ETag`` and a ``Last-Modified``; ``If-None-Match`` (checked
first) and ``If-Modified-Since`` get a 304 when the article has not changed.

Every request but the admin ones is recorded in ``MirrorServer.requests``. Admin endpoints,
disallowed in robots.txt:

- ``GET /__mirror__/requests``: the request log as JSON
- ``POST /__mirror__/requests/clear``: empty it; answers ``{"cleared": n}``
- ``POST /__mirror__/advance``: ``MirrorSite.advance()``; the optional JSON body holds its
  arguments (``seed``, ``new_articles``, ``updated_articles``, ``hours``)
- ``GET /__mirror__/ground-truth``: the current ground truth
- ``POST /__mirror__/attempts/reset``: forget the per-path attempt counts of the fault plan

With a ``FaultPlan`` (see ``faults``) GET requests may misbehave; each log entry then also
says which ``attempt`` of its path it was and which ``fault`` was served (None if none).
A slow answer whose client closes the connection before it is due is not sent: its entry
says ``"abandoned": true``, with status None and the time the close was noticed.
"""

from __future__ import annotations

import io
import json
import select
import socket
import struct
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from random import Random
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newsarchive.mirror.faults import LOOP_MARK, FaultPlan, transform
from newsarchive.mirror.pages import HTML, Page

if TYPE_CHECKING:
    from types import TracebackType

    from newsarchive.mirror.site import MirrorSite

CACHE_SIZE = 256
"""Rendered pages kept in memory (about 60 kB each)."""
ADMIN = "/__mirror__/"
JSON_TYPE = "application/json; charset=utf-8"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # a crawler opens many connections at once
    mirror: MirrorServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early (size limits, timeouts) are normal, not errors."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class MirrorServer:
    """Serves a ``MirrorSite``; a context manager that runs in a background thread.

    >>> with MirrorServer(build_site(50)) as server:  # doctest: +SKIP
    ...     urlopen(server.base_url + "/news")

    Any site: the site renders its own pages (``resolve(base, path) -> Page``) and tells the
    fault plan which paths are articles, listings and feeds (``page_class``, see
    ``FaultPlan.for_site``). Everything else (caching by ``site.generation``, conditional GET
    on the page's ETag/Last-Modified, the log, the admin endpoints) is here; the site also
    provides ``advance(...)`` and ``ground_truth(base, faults)``.
    """

    def __init__(
        self,
        site: MirrorSite[Any],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        faults: FaultPlan | None = None,
        verbose: bool = False,
        latency: float = 0.0,
    ) -> None:
        self.site = site
        self.faults = faults  # (bound to the site by the property)
        self.latency = latency
        """Seconds every site request waits before its answer: a real site's round trip and
        render time, for benchmarks where a loopback mirror would otherwise answer at once."""
        self.verbose = verbose
        self.on_advance: list[Callable[[MirrorServer], None]] = []
        """Called after every ``advance()`` (the CLI rewrites its ground-truth file)."""
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.mirror = self
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._thread: threading.Thread | None = None
        self._cache: OrderedDict[tuple[int, str], Page] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._attempts: dict[str, int] = {}
        self._log_lock = threading.Lock()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> MirrorServer:
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="mirror-server", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- pages, state and log ------------------------------------------------------------------

    @property
    def faults(self) -> FaultPlan | None:
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        """Set (or clear) the fault plan, targeting this server's site."""
        self._faults = plan.for_site(self.site) if plan is not None else None

    def page(self, target: str) -> Page:
        """The page for a request target (the query string is ignored, as on the real site)."""
        path = urlsplit(target).path or "/"
        key = (self.site.generation, path)
        with self._cache_lock:
            page = self._cache.get(key)
            if page is not None:
                self._cache.move_to_end(key)
                return page
        page = self.site.resolve(self.base_url, path)
        with self._cache_lock:
            self._cache[key] = page
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return page

    def ground_truth(self) -> dict[str, Any]:
        """The site's ground truth; ``servable_within`` follows the fault plan."""
        return self.site.ground_truth(self.base_url, self.faults)

    def advance(self, **kwargs: Any) -> dict[str, Any]:
        """``MirrorSite.advance(**kwargs)``, then the ``on_advance`` callbacks."""
        result = self.site.advance(**kwargs)
        with self._cache_lock:
            self._cache.clear()
        for callback in self.on_advance:
            callback(self)
        return result

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the request log: method, path, status, conditional, time."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> int:
        with self._log_lock:
            count = len(self._log)
            self._log.clear()
            return count

    def record(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            self._log.append(entry)

    def next_attempt(self, path: str) -> int:
        """Count a GET of ``path``; returns its number (1 for the first)."""
        with self._log_lock:
            self._attempts[path] = attempt = self._attempts.get(path, 0) + 1
            return attempt

    def reset_attempts(self) -> int:
        with self._log_lock:
            count = len(self._attempts)
            self._attempts.clear()
            return count


def not_modified(headers: Any, page: Page) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins; If-Modified-Since otherwise."""
    etag = page.headers.get("ETag")
    if etag is None:
        return False
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        since_time = parsedate_to_datetime(since)
        last = parsedate_to_datetime(page.headers["Last-Modified"])
    except (TypeError, ValueError, IndexError):
        return False
    return since_time.tzinfo is not None and last <= since_time


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server_version = "nginx/1.24.0"
    sys_version = ""
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        if not urlsplit(self.path).path.startswith(ADMIN):
            self.send(405, b"", "text/plain", {"Allow": "GET, HEAD"})
            return
        self._admin("POST", payload)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.mirror.verbose:
            super().log_message(format, *args)

    def _serve(self, head: bool) -> None:
        mirror, plan = self.server.mirror, self.server.mirror.faults
        split = urlsplit(self.path)
        path = split.path or "/"
        if path.startswith(ADMIN):
            self._admin(self.command, b"")
            return
        if mirror.latency:
            time.sleep(mirror.latency)
        conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
        entry: dict[str, Any] = {
            "method": self.command,
            "path": self.path,
            "conditional": conditional,
            "attempt": None,
            "fault": None,
        }
        scenario = plan.scenario(path) if plan and not head else None
        if scenario and scenario.kind == "redirect_loop" and LOOP_MARK in split.query:
            # The B of the A -> B -> A loop: back to A, not an attempt of A.
            page = Page(302, b"", HTML, {"Location": mirror.base_url + path}, kind="redirect")
            self._answer(page, entry | {"fault": "redirect_loop"}, head)
            return
        if not head:
            entry["attempt"] = mirror.next_attempt(path)
        page = mirror.page(self.path)
        fault = None
        if plan is not None and not head:
            fault = plan.fault_for(path, entry["attempt"])
            if fault == "slow":
                if not self._wait_unless_abandoned(plan.slow_seconds):
                    # the client closed the connection meanwhile (it gave up, or cancelled
                    # a request it no longer needed): logged as such, nothing to answer
                    abandoned = {"fault": fault, "status": None, "abandoned": True}
                    mirror.record(entry | abandoned | {"time": time.time()})
                    self.close_connection = True
                    return
            elif fault and fault not in ("reset", "truncated"):
                rng = Random(f"{plan.seed}:{path}:{entry['attempt']}")
                faulty = transform(fault, page, rng, mirror.base_url, path)
                if faulty is None:
                    fault = None  # this kind does not apply to this page
                else:
                    page = faulty
        entry["fault"] = fault
        if fault in ("reset", "truncated"):
            mirror.record(entry | {"status": page.status, "time": time.time()})
            self._cut(page, reset=fault == "reset")
            return
        self._answer(page, entry, head, conditional and fault in (None, "slow"))

    def _wait_unless_abandoned(self, seconds: float) -> bool:
        """Sleep ``seconds``, watching the connection: False as soon as the client closes it.
        (The client sends nothing more on it while it waits for this answer: it does not
        pipeline; so the connection turns readable only when it is closed.)"""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return False
                except OSError:  # reset
                    return False
                time.sleep(left)  # data, not a close: wait as asked
                return True
        return True

    def _answer(
        self, page: Page, entry: dict[str, Any], head: bool, conditional: bool = False
    ) -> None:
        status = page.status
        if conditional and status == 200 and not_modified(self.headers, page):
            status = 304
        # Recorded before the answer leaves: a client that has it sees it in the log.
        self.server.mirror.record(entry | {"status": status, "time": time.time()})
        self.send(status, page.body, page.content_type, page.headers, head=head)

    def _cut(self, page: Page, *, reset: bool) -> None:
        """Announce the whole page, send half of it, then drop the connection.

        ``reset``: abortive close (SO_LINGER 0), the peer gets a TCP RST; else a plain FIN.
        """
        self.send_response(page.status)
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        self.wfile.write(page.body[: len(page.body) // 2])
        self.close_connection = True
        if reset:
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.rfile.close()  # releases the socket, so that close() really closes it
            self.wfile.close()
            self.rfile, self.wfile = io.BytesIO(), io.BytesIO()  # for the handler's epilogue
            self.connection.close()

    def _admin(self, method: str, payload: bytes) -> None:
        mirror = self.server.mirror
        path = urlsplit(self.path).path.removeprefix(ADMIN).rstrip("/")
        routes: dict[tuple[str, str], Callable[[], Any]] = {
            ("GET", "requests"): lambda: mirror.requests,
            ("POST", "requests/clear"): lambda: {"cleared": mirror.clear_requests()},
            ("POST", "advance"): lambda: mirror.advance(**json.loads(payload or b"{}")),
            ("GET", "ground-truth"): mirror.ground_truth,
            ("POST", "attempts/reset"): lambda: {"reset": mirror.reset_attempts()},
        }
        action = routes.get((method if method != "HEAD" else "GET", path))
        if action is None:
            status, result = 404, {"error": f"no {method} {self.path}"}
        else:
            try:
                status, result = 200, action()
            except (TypeError, ValueError) as exc:  # bad JSON or bad advance() arguments
                status, result = 400, {"error": str(exc)}
        body = json.dumps(result, ensure_ascii=False).encode("utf-8")
        self.send(status, body, JSON_TYPE, head=method == "HEAD")

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        *,
        head: bool = False,
    ) -> None:
        """One complete response with a Content-Length (none for 304: it has no body)."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)
