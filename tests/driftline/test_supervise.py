"""Process supervision: the health probe (driftline.supervise.http_ok)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from driftline.supervise import http_ok


def _serve_once(handle) -> tuple[int, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def run() -> None:
        conn, _ = sock.accept()
        with conn:
            handle(conn)
        sock.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return sock.getsockname()[1], thread


def test_a_reply_that_is_not_http_is_not_healthy_yet() -> None:
    """A probe connected to itself reads its own request back (TCP simultaneous open on a
    port in the ephemeral range while the server starts): an echo server stands in for
    it. The probe must report "not healthy yet", not raise BadStatusLine."""

    def echo(conn: socket.socket) -> None:
        conn.sendall(conn.recv(65536))

    port, thread = _serve_once(echo)
    assert http_ok(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) is False
    thread.join(5)


def test_a_closed_connection_and_no_listener_are_not_healthy() -> None:
    port, thread = _serve_once(lambda conn: None)  # accepts, then closes without a reply
    assert http_ok(f"http://127.0.0.1:{port}/", timeout=5) is False
    thread.join(5)
    assert http_ok(f"http://127.0.0.1:{port}/", timeout=2) is False  # nothing listens now


def test_a_200_with_a_passing_check_is_healthy() -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"status": "healthy"}')

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        assert http_ok(url, check=lambda body: b"healthy" in body)
        assert not http_ok(url, check=lambda body: b"unhealthy" in body)
    finally:
        server.shutdown()
