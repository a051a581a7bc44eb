"""A fake Discord webhook API on loopback (real HTTP, ``ThreadingHTTPServer`` in a thread).

Implements what Vigie uses, with Discord's documented behaviour (discord-api-docs, see
/work/shared/reference.md):

* ``POST /api/[v10/]webhooks/{id}/{token}[?wait=true]`` — execute; with ``wait=true`` returns a
  message object (``id``, ``channel_id``, ``webhook_id``; no ``guild_id``, like Discord), else 204;
* ``PATCH …/webhooks/{id}/{token}/messages/{message_id}`` — edit (404 code 10008 if unknown);
* ``GET …/webhooks/{id}/{token}`` — the webhook object (``guild_id``, ``channel_id``).

Every body is checked against the message limits (content 2000, ≤ 10 embeds, title 256,
description 4096, ≤ 25 fields, field name 256 / value 1024, footer 2048, author 256, 6000 across
embeds, not empty) and the ``allowed_mentions`` shape: a violation is a 400 with a Discord-like
``{"code": 50035, "message": "Invalid Form Body", "errors": …}``. Rate limits per webhook (default
5 requests per 2 s, fixed window) answer with ``X-RateLimit-*`` headers and 429
``{"message": "You are being rate limited.", "retry_after": s, "global": false}``. A deleted
webhook answers 404 ``{"message": "Unknown Webhook", "code": 10015}``. Failures (any status) and
slow or held answers are injected per webhook. Every accepted message and edit is recorded.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_PATH = re.compile(r"^/api(?:/v\d+)?/webhooks/(\d+)/([^/]+)(?:/messages/(\d+))?$")
_MENTION = re.compile(r"(?<!\\)(?:<@!?(\d+)>|<@&(\d+)>|@(everyone|here))")
_ids = itertools.count(1_100_000_000_000_000_000)
GUILD_ID = "900000000000000001"


def snowflake() -> str:
    return str(next(_ids))


def violations(payload: Any) -> list[str]:
    """What Discord would reject in an execute/edit body (empty list: accepted)."""
    if not isinstance(payload, dict):
        return ["body: not a JSON object"]
    problems: list[str] = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if not isinstance(content, str):
        problems.append("content: not a string")
    elif len(content) > 2000:
        problems.append(f"content: {len(content)} > 2000")
    if not isinstance(embeds, list) or len(embeds) > 10:
        problems.append("embeds: more than 10")
        embeds = []
    if not content and not embeds:
        problems.append("message: Cannot send an empty message")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in (("title", 256), ("description", 4096)):
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                problems.append(f"embeds.{i}.{key}: {len(text)} > {limit}")
        for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
            text = (embed.get(key) or {}).get(sub) or ""
            total += len(text)
            if len(text) > limit:
                problems.append(f"embeds.{i}.{key}.{sub}: {len(text)} > {limit}")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append(f"embeds.{i}.fields: {len(fields)} > 25")
        for j, item in enumerate(fields):
            name, value = item.get("name") or "", item.get("value") or ""
            total += len(name) + len(value)
            if not name or not value:
                problems.append(f"embeds.{i}.fields.{j}: empty name or value")
            if len(name) > 256 or len(value) > 1024:
                problems.append(f"embeds.{i}.fields.{j}: too long")
        colour = embed.get("color")
        if colour is not None and not (isinstance(colour, int) and 0 <= colour <= 0xFFFFFF):
            problems.append(f"embeds.{i}.color: invalid")
    if total > 6000:
        problems.append(f"embeds: {total} characters > 6000")
    problems.extend(_mention_problems(payload.get("allowed_mentions")))
    return problems


def _mention_problems(allowed: Any) -> list[str]:
    if allowed is None:
        return []
    if not isinstance(allowed, dict) or set(allowed) - {"parse", "users", "roles", "replied_user"}:
        return ["allowed_mentions: unknown keys"]
    parse = allowed.get("parse", [])
    if not isinstance(parse, list) or set(parse) - {"users", "roles", "everyone"}:
        return ["allowed_mentions.parse: invalid"]
    problems = []
    for kind in ("users", "roles"):
        ids = allowed.get(kind, [])
        if (
            not isinstance(ids, list)
            or len(ids) > 100
            or not all(isinstance(x, str) and x.isdigit() for x in ids)
        ):
            problems.append(f"allowed_mentions.{kind}: invalid")
        elif ids and kind in parse:
            problems.append(f"allowed_mentions: {kind} in parse and listed (mutually exclusive)")
    return problems


def pinged(payload: Mapping[str, Any]) -> set[str]:
    """Who Discord would notify for this body: ``everyone``, ``user:<id>``, ``role:<id>``.

    Only ``content`` mentions; without ``allowed_mentions`` Discord parses everything."""
    allowed = payload.get("allowed_mentions")
    parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse", []))
    users = set() if allowed is None else set(allowed.get("users", []))
    roles = set() if allowed is None else set(allowed.get("roles", []))
    out: set[str] = set()
    for user, role, everyone in _MENTION.findall(payload.get("content") or ""):
        if user and ("users" in parse or user in users):
            out.add(f"user:{user}")
        elif role and ("roles" in parse or role in roles):
            out.add(f"role:{role}")
        elif everyone and "everyone" in parse:
            out.add("everyone")
    return out


@dataclass
class Webhook:
    """One webhook: its behaviour knobs and what it accepted."""

    id: str
    token: str
    channel_id: str
    limit: int = 5
    period_s: float = 2.0
    delay_s: float = 0.0  # every answer waits this long (a slow channel)
    # While set to an unset event, answers wait for it (a channel that hangs until released).
    held: threading.Event | None = None
    deleted: bool = False
    failures: list[int] = field(default_factory=list)  # statuses answered next, in order
    posts: list[dict[str, Any]] = field(default_factory=list)  # accepted POSTs (with "id")
    edits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → current body
    rejected: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # 400s
    throttled: int = 0  # 429s answered
    requests: int = 0
    times: list[float] = field(default_factory=list)  # monotonic time of each accepted request
    _window_start: float = 0.0
    _window_count: int = 0

    def fail_next(self, status: int, times: int = 1) -> None:
        self.failures.extend([status] * times)

    @property
    def bucket(self) -> str:
        return f"bucket-{self.id[-6:]}"


class FakeDiscord:
    """The server. ``with FakeDiscord() as discord: url = discord.url(discord.webhook())``."""

    def __init__(self, *, limit: int = 5, period_s: float = 2.0) -> None:
        self.limit = limit
        self.period_s = period_s
        self.webhooks: dict[str, Webhook] = {}
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def webhook(self, **knobs: Any) -> Webhook:
        knobs.setdefault("limit", self.limit)
        knobs.setdefault("period_s", self.period_s)
        hook = Webhook(id=snowflake(), token=f"tok{snowflake()}", channel_id=snowflake(), **knobs)
        with self.lock:
            self.webhooks[hook.id] = hook
        return hook

    def url(self, hook: Webhook) -> str:
        return f"{self.base_url}/api/webhooks/{hook.id}/{hook.token}"

    def start(self) -> FakeDiscord:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeDiscord:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(
        self, method: str, path: str, query: str, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        match = _PATH.match(path)
        if not match:
            return 404, {}, {"message": "404: Not Found", "code": 0}
        hook_id, token, message_id = match.groups()
        with self.lock:
            hook = self.webhooks.get(hook_id)
            if hook is not None:
                hook.requests += 1
            if hook is None or hook.deleted:
                return 404, {}, {"message": "Unknown Webhook", "code": 10015}
            if token != hook.token:
                return 401, {}, {"message": "Invalid Webhook Token", "code": 50027}
            now = time.monotonic()
            if now >= hook._window_start + hook.period_s:
                hook._window_start, hook._window_count = now, 0
            reset_after = hook._window_start + hook.period_s - now
            if hook._window_count >= hook.limit:
                hook.throttled += 1
                headers = self._limit_headers(hook, 0, reset_after)
                headers["Retry-After"] = str(math.ceil(reset_after))
                body_429 = {
                    "message": "You are being rate limited.",
                    "retry_after": round(reset_after, 3),
                    "global": False,
                }
                return 429, headers, body_429
            hook._window_count += 1
            headers = self._limit_headers(hook, hook.limit - hook._window_count, reset_after)
            failure = hook.failures.pop(0) if hook.failures else None
            delay, held = hook.delay_s, hook.held
        if delay:
            time.sleep(delay)
        if held is not None:
            held.wait(timeout=30)
        if failure is not None:
            return failure, headers, {"message": f"injected {failure}", "code": 0}
        if method == "GET" and message_id is None:
            webhook_object = {
                "id": hook.id,
                "type": 1,
                "guild_id": GUILD_ID,
                "channel_id": hook.channel_id,
                "name": "Vigie",
                "token": hook.token,
            }
            return 200, headers, webhook_object
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, headers, {"message": "400: Bad Request", "code": 50109}
        problems = violations(payload)
        if problems:
            error = {"code": 50035, "message": "Invalid Form Body", "errors": problems}
            with self.lock:
                hook.rejected.append((400, payload))
            return 400, headers, error
        with self.lock:
            return self._accept(hook, method, message_id, query, payload, headers)

    def _accept(
        self,
        hook: Webhook,
        method: str,
        message_id: str | None,
        query: str,
        payload: dict[str, Any],
        headers: dict[str, str],
    ) -> tuple[int, dict[str, str], Any]:
        hook.times.append(time.monotonic())
        if method == "POST" and message_id is None:
            new_id = snowflake()
            hook.posts.append({"id": new_id, **payload})
            hook.messages[new_id] = payload
            wait = parse_qs(query).get("wait", ["false"])[0] == "true"
            return (200, headers, self._message(hook, new_id)) if wait else (204, headers, None)
        if method == "PATCH" and message_id is not None:
            if message_id not in hook.messages:
                return 404, headers, {"message": "Unknown Message", "code": 10008}
            hook.edits.append((message_id, payload))
            hook.messages[message_id] = {**hook.messages[message_id], **payload}
            return 200, headers, self._message(hook, message_id)
        return 405, headers, {"message": "405: Method Not Allowed", "code": 0}

    def _message(self, hook: Webhook, message_id: str) -> dict[str, Any]:
        body = hook.messages[message_id]
        return {
            "id": message_id,
            "type": 0,
            "channel_id": hook.channel_id,
            "webhook_id": hook.id,
            "content": body.get("content", ""),
            "embeds": body.get("embeds", []),
        }

    def _limit_headers(self, hook: Webhook, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(hook.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hook.bucket,
        }


def _handler(discord: FakeDiscord) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, answer = discord.answer(self.command, parts.path, parts.query, body)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running(**knobs: Any) -> Iterator[FakeDiscord]:
    with FakeDiscord(**knobs) as discord:
        yield discord
