"""A tiny site on 127.0.0.1 (port 0) for tests that need pages the mirror does not make."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

NO_RESPONSE = object()  # the connection is closed without an answer


class PagesServer:
    """Serves ``pages``: path -> HTML text (200), a status code (empty body), or
    ``NO_RESPONSE``; any other path is a 404. ``requested`` lists the paths asked for."""

    def __init__(self) -> None:
        self.pages: dict[str, Any] = {}
        self.requested: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requested.append(self.path)
                body = site.pages.get(self.path)
                if body is NO_RESPONSE:
                    return  # the server closes the connection: no response at all
                status = body if isinstance(body, int) else 200 if body is not None else 404
                data = body.encode("utf-8") if isinstance(body, str) else b""
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
