"""Receiver memory under oversized uploads, and inflate cost of many-member gzip bodies.

    .venv/bin/python bench/ingest_memory.py [--mib 1024] [--clients 3]

Part 1 starts a ``vigie serve`` subprocess, measures its idle RSS (after a few good requests),
then runs ``--clients`` concurrent uploads of ``--mib`` MiB each, in turn: chunked (no
Content-Length), with an honest Content-Length, and a gzip "bomb" (a small body inflating to
``--mib`` MiB). It samples the service's RSS every 20 ms and prints the peak above idle (the
issue's bound: 100 MB) and each upload's answer; then checks a good request is still accepted.

Part 2 times the inflate of a gzip body of many tiny members against one member of the same
content, in this process: the ratio stays near a constant when inflating is linear (it grew with
the body when each member copied the rest of the body).
"""

from __future__ import annotations

import argparse
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx

from ingest import HEADERS, TOKEN, payload, start_serve  # bench/ingest.py, beside this script

CHUNK = 64 * 1024


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _raw(mib: int) -> Iterator[bytes]:
    piece = b"\x0a\xff" * (CHUNK // 2)
    for _ in range(mib * 1024 * 1024 // CHUNK):
        yield piece


def _bomb(mib: int) -> bytes:
    """A gzip body inflating to ``mib`` MiB of zeros (about 1 KiB compressed per MiB)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1024 * 1024)
    return b"".join([*(deflater.compress(zeros) for _ in range(mib)), deflater.flush()])


def upload(port: int, kind: str, mib: int) -> str:
    """Send one oversized upload on a raw socket; the service's answer, or how it ended."""
    headers = [
        "POST /v1/traces HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/x-protobuf",
        f"Authorization: Bearer {TOKEN}",
    ]
    chunks: Iterator[bytes]
    if kind == "chunked":
        headers.append("Transfer-Encoding: chunked")
        chunks = (b"%x\r\n%s\r\n" % (len(c), c) for c in _raw(mib))
    elif kind == "content-length":
        headers.append(f"Content-Length: {mib * 1024 * 1024}")
        chunks = _raw(mib)
    else:
        body = _bomb(mib)
        headers += ["Content-Encoding: gzip", f"Content-Length: {len(body)}"]
        chunks = iter([body])
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        try:
            sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
            for chunk in chunks:
                sock.sendall(chunk)
                sent += len(chunk)
            if kind == "chunked":
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the service answered and closed without reading the rest: expected
        try:
            status = sock.recv(4096).split(b"\r\n", 1)[0].decode()
        except OSError as exc:
            status = f"connection closed ({type(exc).__name__})"
    return f"{kind:15} {sent / 2**20:8,.0f} MiB sent  → {status or 'connection closed'}"


def memory(mib: int, clients: int) -> None:
    proc, url = start_serve({})
    port = int(url.rsplit(":", 1)[1])
    headers = HEADERS
    try:
        good = payload(512, 1)
        for _ in range(5):  # warm up: the first requests load code and the write path
            httpx.post(f"{url}/v1/traces", content=good, headers=headers, timeout=30)
        time.sleep(1)
        idle = _rss_mib(proc.pid)
        peak = idle
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _rss_mib(proc.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        kinds = ["chunked", "content-length", "gzip-bomb"]
        results: list[str] = [""] * clients

        def run(i: int) -> None:
            results[i] = upload(port, kinds[i % len(kinds)], mib)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(0.5)
        done.set()
        sampler.join()
        after = httpx.post(f"{url}/v1/traces", content=good, headers=headers, timeout=30)
        print(f"{clients} concurrent uploads of {mib:,} MiB each:")
        for line in results:
            print(f"  {line}")
        print(f"service RSS idle {idle:8,.0f} MiB   peak {peak:8,.0f} MiB")
        print(f"peak above idle  {peak - idle:8,.0f} MiB   (bound: 100 MB = 95 MiB)")
        print(f"good request afterwards: {after.status_code}")
    finally:
        proc.terminate()
        proc.wait(60)


def inflate() -> None:
    from vigie.ingest.decode import PROTOBUF, decode_request

    body = payload(512, 7)
    print("inflate: many 16-byte gzip members vs one member of the same content")
    for copies in (1, 4, 16):
        content = body * copies
        members = b"".join(gzip.compress(content[i : i + 16]) for i in range(0, len(content), 16))
        single = gzip.compress(content)
        times = []
        for compressed in (single, members):
            started = time.perf_counter()
            # repeated messages are one valid message: protobuf merges concatenated bodies
            decode_request(compressed, PROTOBUF, "gzip", "traces", 1 << 30)
            times.append(time.perf_counter() - started)
        print(
            f"  {len(members) / 1e6:6.1f} MB of members ({len(members) // 36:,} members):"
            f" {times[1]:6.2f} s = {times[1] / times[0]:6.1f}x one member"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--clients", type=int, default=3)
    args = parser.parse_args()
    memory(args.mib, args.clients)
    inflate()


if __name__ == "__main__":
    main()
