"""The HTTP server of the mirror: stdlib ``ThreadingHTTPServer``, pages rendered per request.

HTTP/1.1 with keep-alive: every response carries a Content-Length (304s and HEADs excepted,
as the protocol wants), so a fast Scrapy crawl can reuse its connections. Per-request logging
is silent unless ``verbose``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newsarchive.mirror.routes import Page, resolve

if TYPE_CHECKING:
    from types import TracebackType

    from newsarchive.mirror.site import MirrorSite

CACHE_SIZE = 256
"""Rendered pages kept in memory (about 60 kB each)."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # a crawler opens many connections at once
    mirror: MirrorServer


class MirrorServer:
    """Serves a ``MirrorSite``; a context manager that runs in a background thread.

    >>> with MirrorServer(build_site(50)) as server:  # doctest: +SKIP
    ...     urlopen(server.base_url + "/news")
    """

    def __init__(
        self,
        site: MirrorSite,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
    ) -> None:
        self.site = site
        self.verbose = verbose
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.mirror = self
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._thread: threading.Thread | None = None
        self._cache: OrderedDict[tuple[int, str], Page] = OrderedDict()
        self._cache_lock = threading.Lock()

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

    # --- pages ---------------------------------------------------------------------------------

    def page(self, target: str) -> Page:
        """The page for a request target (the query string is ignored, as on the real site)."""
        path = urlsplit(target).path or "/"
        key = (self.site.generation, path)
        with self._cache_lock:
            page = self._cache.get(key)
            if page is not None:
                self._cache.move_to_end(key)
                return page
        page = resolve(self.site, self.base_url, path)
        with self._cache_lock:
            self._cache[key] = page
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return page

    def ground_truth(self) -> dict[str, Any]:
        return self.site.ground_truth(self.base_url)


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

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.mirror.verbose:
            super().log_message(format, *args)

    def _serve(self, head: bool) -> None:
        page = self.server.mirror.page(self.path)
        self.send(page.status, page.body, page.content_type, page.headers, head=head)

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
