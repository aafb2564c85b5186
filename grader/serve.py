"""Serve a folder of results on the loopback interface, for ``grader view --serve``.

Pages work from ``file://`` too; serving helps when a browser restricts local files or
when sheets sit next to an assets folder. The server binds 127.0.0.1 only (students'
work must not be exposed on the network), picks a free port unless told otherwise,
serves files only (no directory listing), and sends a Content-Security-Policy header
that forbids any request outside the served folder, on top of the stricter policy each
page carries in its ``<meta>`` (which also limits scripts to the dashboard's own).
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
HEADER_POLICY = ("default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; "
                 "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                 "frame-ancestors 'none'")
"""Nothing from elsewhere; which inline scripts may run is the page's own policy."""


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", HEADER_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def list_directory(self, path: Any) -> None:
        self.send_error(404, "No directory listing")
        return None

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the command prints the URL, not every request."""


def make_server(root: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server for ``root`` on 127.0.0.1 (``port`` 0: a free one), not yet serving.

    Call ``serve_forever()`` (blocking) or ``start_background(server)``; the URL is
    ``url(server)``; ``server.shutdown()`` and ``server.server_close()`` stop it."""
    handler = partial(_Handler, directory=str(root.resolve()))
    return ThreadingHTTPServer((HOST, port), handler)


def url(server: ThreadingHTTPServer, path: str = "") -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/{path.lstrip('/')}"


def start_background(server: ThreadingHTTPServer) -> threading.Thread:
    """Serve in a daemon thread (for tests and callers that do other work meanwhile)."""
    thread = threading.Thread(target=server.serve_forever, name="grader-view", daemon=True)
    thread.start()
    return thread
