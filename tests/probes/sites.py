"""Loopback web sites for the prober: one whose answer the test switches (200 with a page, 503,
or stopped: connections refused), over HTTP or HTTPS with a short-lived self-signed
certificate (made with the openssl command)."""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PAGE = b"<html><body>Bienvenue au club</body></html>"


class Site:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.status = 200
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = PAGE if site.status == 200 else b"maintenance"
                self.send_response(site.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        # A host name, not an IP literal: the collector's PII scrubbing redacts IP addresses in
        # attribute values, http.url included.
        self.url = f"{'https' if tls else 'http'}://localhost:{self.port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: the port now refuses connections."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def refused(site: Site) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", site.port)) != 0


@contextmanager
def site(tls: ssl.SSLContext | None = None) -> Iterator[Site]:
    running = Site(tls)
    try:
        yield running
    finally:
        if not refused(running):
            running.stop()


def self_signed(directory: Path, days: int) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for localhost valid ``days`` days: (server context, client context that
    trusts it)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(days),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client
