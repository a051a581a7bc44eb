from __future__ import annotations

import logging
import threading

import httpx
import pytest
from pydantic import SecretStr
from tests.fakes.discord import FakeDiscord

from vigie.notify.discord import (
    Rejected,
    Unavailable,
    WebhookClient,
    WebhookDead,
    redact,
)

BODY = {"content": "hello", "allowed_mentions": {"parse": []}}


def _url(discord: FakeDiscord, hook: object) -> SecretStr:
    return SecretStr(discord.url(hook))  # type: ignore[arg-type]


def test_execute_returns_the_message_and_edit_changes_it(discord: FakeDiscord) -> None:
    hook = discord.webhook()
    client = WebhookClient()
    sent = client.execute(_url(discord, hook), BODY)
    assert sent.channel_id == hook.channel_id
    assert hook.posts[0]["id"] == sent.message_id
    client.edit(
        _url(discord, hook),
        sent.message_id,
        {"content": "edited", "allowed_mentions": {"parse": []}},
    )
    assert hook.messages[sent.message_id]["content"] == "edited"
    assert client.webhook_info(_url(discord, hook)) == ("900000000000000001", hook.channel_id)


def test_a_known_empty_bucket_waits_instead_of_getting_429(discord: FakeDiscord) -> None:
    hook = discord.webhook(limit=2, period_s=0.4)
    client = WebhookClient()
    for _ in range(6):
        client.execute(_url(discord, hook), BODY)
    # Six posts through a bucket of two without a single 429: the client waited for each reset.
    assert hook.throttled == 0
    assert len(hook.posts) == 6


def test_429_waits_retry_after_and_succeeds(discord: FakeDiscord) -> None:
    hook = discord.webhook(limit=1, period_s=0.3)
    WebhookClient().execute(_url(discord, hook), BODY)
    retries: list[tuple[str, float]] = []
    # A second client knows nothing of the bucket: it is answered 429 and must wait.
    WebhookClient().execute(_url(discord, hook), BODY, on_retry=lambda r, w: retries.append((r, w)))
    assert hook.throttled == 1
    assert [r for r, _ in retries] == ["rate_limited"]
    assert 0 < retries[0][1] <= 0.3
    assert len(hook.posts) == 2


def _mock(answers: list[httpx.Response]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return httpx.MockTransport(handle), seen


URL = SecretStr("https://discord.example/api/webhooks/42/s3cr3t-t0ken")


def test_429_retry_after_header_when_the_body_has_none() -> None:
    transport, seen = _mock(
        [
            httpx.Response(429, headers={"Retry-After": "0.05"}, text="slow down"),
            httpx.Response(200, json={"id": "7", "channel_id": "8"}),
        ]
    )
    waits: list[float] = []
    sent = WebhookClient(transport=transport).execute(
        URL, BODY, on_retry=lambda r, w: waits.append(w)
    )
    assert sent.message_id == "7" and waits == [0.05] and len(seen) == 2
    assert seen[0].url.params["wait"] == "true"


def test_5xx_backoff_then_success(discord: FakeDiscord) -> None:
    hook = discord.webhook(limit=50)
    hook.fail_next(502, 2)
    reasons: list[tuple[str, float]] = []
    client = WebhookClient(backoff_base_s=0.05, jitter=lambda: 1.0)
    client.execute(_url(discord, hook), BODY, on_retry=lambda r, w: reasons.append((r, w)))
    assert reasons == [("server_error", 0.05), ("server_error", 0.1)]  # exponential
    assert len(hook.posts) == 1


def test_5xx_gives_up_after_bounded_attempts(discord: FakeDiscord) -> None:
    hook = discord.webhook(limit=50)
    hook.fail_next(503, 10)
    with pytest.raises(Unavailable):
        WebhookClient(backoff_base_s=0.01, max_attempts=3).execute(_url(discord, hook), BODY)
    assert hook.requests == 3 and hook.posts == []


def test_timeouts_are_retried_and_bounded(discord: FakeDiscord) -> None:
    hook = discord.webhook(delay_s=0.5)
    client = WebhookClient(timeout=httpx.Timeout(0.1), backoff_base_s=0.01, max_attempts=2)
    reasons: list[str] = []
    with pytest.raises(Unavailable, match="timed out"):
        client.execute(_url(discord, hook), BODY, on_retry=lambda r, w: reasons.append(r))
    assert reasons == ["timeout"]


def test_unknown_webhook_is_dead_and_never_retried(discord: FakeDiscord) -> None:
    hook = discord.webhook()
    hook.deleted = True
    with pytest.raises(WebhookDead) as caught:
        WebhookClient().execute(_url(discord, hook), BODY)
    assert hook.requests == 1  # no retry
    assert hook.token not in str(caught.value)
    assert f"webhooks/{hook.id}/***" in str(caught.value)


def test_revoked_token_is_dead_too() -> None:
    transport, seen = _mock(
        [httpx.Response(401, json={"message": "Invalid Webhook Token", "code": 50027})]
    )
    with pytest.raises(WebhookDead):
        WebhookClient(transport=transport).execute(URL, BODY)
    assert len(seen) == 1


def test_invalid_body_is_rejected_not_retried(discord: FakeDiscord) -> None:
    hook = discord.webhook()
    with pytest.raises(Rejected) as caught:
        WebhookClient().execute(_url(discord, hook), {"content": "x" * 2001})
    assert caught.value.status == 400 and caught.value.code == 50035
    assert hook.requests == 1


def test_the_token_never_reaches_logs_or_errors(
    discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    hook = discord.webhook(limit=50)
    hook.fail_next(500)
    caplog.set_level(logging.DEBUG)
    client = WebhookClient(backoff_base_s=0.01)
    client.execute(_url(discord, hook), BODY)
    hook.fail_next(400)
    with pytest.raises(Rejected) as caught:
        client.execute(_url(discord, hook), BODY)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP Request" in logged  # httpx did log its requests…
    assert hook.token not in logged  # …without the token
    assert hook.token not in str(caught.value) and hook.token not in repr(caught.value)
    assert (
        redact(f"https://x/api/webhooks/1/{hook.token}?wait=true")
        == "https://x/api/webhooks/1/***?wait=true"
    )


def test_close_interrupts_a_wait(discord: FakeDiscord) -> None:
    hook = discord.webhook(limit=1, period_s=30)
    client = WebhookClient()
    client.execute(_url(discord, hook), BODY)
    threading.Timer(0.2, client.close).start()
    with pytest.raises(Unavailable, match="closed"):
        client.execute(_url(discord, hook), BODY)
    assert hook.requests == 1  # the wait for the 30 s bucket ended without a second request
