"""A Kubernetes API server reduced to what the k8s_attributes processor reads, on loopback.

It serves the LIST and WATCH calls of the processor's informers: pods (typed client, filtered
by node), namespaces and replicasets (metadata client, PartialObjectMetadata). The objects are
one club's app: namespace ``club-robotique`` labelled ``club=robotique``, Deployment
``site-web`` → ReplicaSet → one Running pod on ``node-1`` whose IP is 127.0.0.1, so the
processor associates data sent from this machine with it. Watches stay open and empty.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

NODE = "node-1"
NAMESPACE = "club-robotique"
CLUB = "robotique"
DEPLOYMENT = "site-web"
REPLICASET = "site-web-7c9d8f6b5"
POD = "site-web-7c9d8f6b5-x2k4q"
POD_UID = "0b9f3c1e-6a53-4a3e-9d0e-4f6c2b8a7d11"
WATCH_HOLD_S = 60.0

_PARTIAL = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1"}


def _pod() -> dict[str, Any]:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": POD,
            "namespace": NAMESPACE,
            "uid": POD_UID,
            "resourceVersion": "1",
            "creationTimestamp": "2026-11-27T00:00:00Z",
            "labels": {"app": DEPLOYMENT, "pod-template-hash": "7c9d8f6b5"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": REPLICASET,
                    "uid": "5a0c9e2d-1b7f-4c3a-8e6d-2f1b0a9c8d77",
                    "controller": True,
                }
            ],
        },
        "spec": {"nodeName": NODE, "containers": [{"name": "web", "image": "site-web:1.0"}]},
        "status": {
            "phase": "Running",
            "podIP": "127.0.0.1",
            "podIPs": [{"ip": "127.0.0.1"}],
            "startTime": "2026-11-27T00:00:01Z",
        },
    }


def _namespace() -> dict[str, Any]:
    return {
        **_PARTIAL,
        "metadata": {
            "name": NAMESPACE,
            "uid": "8d4e2f60-3c1b-4a9e-b7d5-6e0f1a2b3c44",
            "resourceVersion": "1",
            "labels": {"club": CLUB, "kubernetes.io/metadata.name": NAMESPACE},
        },
    }


def _replicaset() -> dict[str, Any]:
    return {
        **_PARTIAL,
        "metadata": {
            "name": REPLICASET,
            "namespace": NAMESPACE,
            "uid": "5a0c9e2d-1b7f-4c3a-8e6d-2f1b0a9c8d77",
            "resourceVersion": "1",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": DEPLOYMENT,
                    "uid": "c3b2a190-8f7e-4d6c-5b4a-39281706f5e4",
                    "controller": True,
                }
            ],
        },
    }


def _list(kind: str, api_version: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"resourceVersion": "1"},
        "items": items,
    }


def _answer(path: str, query: dict[str, list[str]]) -> dict[str, Any] | None:
    if path == "/api/v1/pods":
        selector = query.get("fieldSelector", [""])[0]
        pods = [_pod()] if selector in ("", f"spec.nodeName={NODE}") else []
        return _list("PodList", "v1", pods)
    if path == "/api/v1/namespaces":
        return _list("PartialObjectMetadataList", "meta.k8s.io/v1", [_namespace()])
    if path == "/apis/apps/v1/replicasets":
        return _list("PartialObjectMetadataList", "meta.k8s.io/v1", [_replicaset()])
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        self.server.requests.append(self.path)
        body = _answer(url.path, query)
        if body is None:
            self._send(
                404,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "reason": "NotFound",
                    "code": 404,
                },
            )
            return
        if query.get("watch", ["false"])[0] in ("true", "1"):
            self._hold_watch()
            return
        self._send(200, body)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _hold_watch(self) -> None:
        # Nothing changes: an open, empty event stream until the server stops.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        deadline = time.monotonic() + WATCH_HOLD_S
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            self.server.stopping.wait(0.2)
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []
        self.stopping = threading.Event()


@contextmanager
def fake_kube_api(workdir: Path) -> Iterator[dict[str, str]]:
    """Serve until the block ends; yields the environment that points a collector at it
    (KUBECONFIG, and the client-go switch that keeps informers on plain LIST + WATCH)."""
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    kubeconfig = workdir / "kubeconfig.json"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "agent", "user": {"token": "not-a-secret"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "agent"}}],
                "current-context": "fake",
            }
        ),
        encoding="utf-8",
    )
    try:
        yield {"KUBECONFIG": str(kubeconfig), "KUBE_FEATURE_WatchListClient": "false"}
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
