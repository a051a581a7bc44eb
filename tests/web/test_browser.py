"""End to end in a real headless browser: Debian's chromium driven by Playwright, against a real
uvicorn server (a thread of this process, loopback, free port) around the test's store.

Skipped when chromium or Playwright is missing, unless ``VIGIE_REQUIRE_BROWSER=1`` (CI), where
it fails instead. No browser is ever downloaded: Playwright launches /usr/bin/chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from report_seed import Seeded, build_app
from tests.apps import services_of

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _playwright() -> Any:
    reason = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install playwright)"
    if not reason and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        reason = "chromium is not installed (apt-get install -y chromium)"
    if reason:
        if os.environ.get("VIGIE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"VIGIE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture()
def server(seeded: Seeded) -> Iterator[tuple[str, Any]]:
    app = build_app(seeded.service)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


def _sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/incidents")
    assert "/login" in page.url
    page.get_by_label("Jeton").fill(token)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/incidents")


def test_edit_save_reload_conflict_and_other_club(server: tuple[str, Any], seeded: Seeded) -> None:
    sync_playwright = _playwright()
    base, app = server
    tokens = services_of(app).tokens
    alpha = tokens.create("captain", "alpha", "marie")[0]
    gamma = tokens.create("captain", "gamma", "bob")[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context()
            page = context.new_page()
            _sign_in(page, base, alpha)
            page.get_by_role("link", name=seeded.incident_id).click()
            page.wait_for_url(f"{base}/incidents/{seeded.incident_id}")
            assert page.locator("html").get_attribute("lang") == "fr"
            assert page.locator("svg.chart").count() == 1
            page.get_by_role("link", name="Ouvrir le rapport").click()
            page.wait_for_url(f"{base}/incidents/{seeded.incident_id}/report")
            # a second tab opens the same version before the first one saves
            second = context.new_page()
            second.goto(page.url)
            page.get_by_label("Cause racine").fill("Le pool de connexions était trop petit.")
            page.get_by_role("button", name="Enregistrer").click()
            page.wait_for_url("**/report?saved=2")
            assert page.get_by_role("status").inner_text() == "Version 2 enregistrée."
            page.reload()
            assert (
                page.get_by_label("Cause racine").input_value()
                == "Le pool de connexions était trop petit."
            )
            second.get_by_label("Cause racine").fill("Une panne DNS.")
            second.get_by_role("button", name="Enregistrer").click()
            alert = second.get_by_role("alert")
            alert.wait_for()
            assert "version 2" in alert.inner_text()
            assert second.get_by_label("Cause racine").input_value() == "Une panne DNS."
            page.reload()
            assert "trop petit" in page.get_by_label("Cause racine").input_value()
            # a captain of another club
            other = browser.new_context().new_page()
            _sign_in(other, base, gamma)
            answer = other.goto(f"{base}/incidents/{seeded.incident_id}/report")
            assert answer is not None and answer.status == 403
            assert "Accès refusé" in other.content() or "Forbidden" in other.content()
        finally:
            browser.close()


def test_docs_render_with_no_network(server: tuple[str, Any]) -> None:
    """Every request that is not to Vigie is refused: Swagger UI must still render."""
    sync_playwright = _playwright()
    base, _ = server
    outside: list[str] = []

    def only_vigie(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_context().new_page()
            page.route("**/*", only_vigie)
            page.goto(f"{base}/docs")
            page.locator(".opblock").first.wait_for(timeout=15000)  # the operations are listed
            assert page.locator(".opblock").count() >= 5
            assert "/api/v1/incidents" in page.locator("#swagger-ui").inner_text()
            assert outside == []
        finally:
            browser.close()


def test_captain_acknowledges_from_the_incident_page(
    server: tuple[str, Any], seeded: Seeded
) -> None:
    sync_playwright = _playwright()
    base, app = server
    tokens = services_of(app).tokens
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_context().new_page()
            _sign_in(page, base, tokens.create("captain", "alpha", "léa")[0])
            page.goto(f"{base}/incidents/{seeded.other_id}")
            page.get_by_role("button", name="Prendre en charge").click()
            page.wait_for_url("**?done=ack")
            assert "Pris en charge par léa." in page.content()
            page.get_by_label("Durée").select_option("4h")
            page.get_by_label("Pourquoi ?").fill("migration de la base")
            page.get_by_role("button", name="Mettre en sourdine").click()
            page.wait_for_url("**?done=silenced")
            page.get_by_role("button", name="Lever la sourdine").click()
            page.wait_for_url("**?done=unsilenced")
        finally:
            browser.close()
