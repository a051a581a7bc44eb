"""What every page request passes: a signed-in principal, and for a form post, CSRF checks.

* :func:`page_principal` (a dependency of every page but the login): the token's principal, or
  a redirect to the login form (:class:`LoginRequired`, turned into a 303 by
  :func:`login_redirect`);
* :func:`checked_form` (a dependency of every page): a POST must come from Vigie's own origin
  (``Origin``, else ``Referer``; neither: refused) and carry the session's CSRF token in its
  ``csrf`` field. The session token is an HMAC of the session's credential with a secret drawn
  at start, so it needs no storage and dies with the session;
* the login form, which has no session yet, uses a double-submit cookie instead
  (:func:`login_csrf` / :func:`check_login_csrf`).

Club sites are hosted under the platform's domain (same-site), so ``SameSite`` cookies alone
do not stop a club page from posting a form to Vigie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from vigie.access.tokens import Principal
from vigie.api.auth import OptionalPrincipalDep, presented_token
from vigie.api.deps import Services, ServicesDep

CSRF_FIELD = "csrf"
LOGIN_CSRF_COOKIE = "vigie_login_csrf"
MAX_FORM_BYTES = 512 * 1024


class LoginRequired(Exception):
    """A page was asked for without a valid token: send the login form instead."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def login_redirect(request: Request, exc: Exception) -> Response:
    target = exc.target if isinstance(exc, LoginRequired) else "/incidents"
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def session_csrf(services: Services, credential: str) -> str:
    return hmac.new(services.session_secret, credential.encode(), hashlib.sha256).hexdigest()


def page_principal(
    request: Request, principal: OptionalPrincipalDep, services: ServicesDep
) -> Principal:
    if principal is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginRequired(request.url.path + query)
    request.state.csrf = session_csrf(services, presented_token(request))
    return principal


PagePrincipalDep = Annotated[Principal, Depends(page_principal)]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def check_origin(request: Request, services: Services) -> None:
    """403 unless the request comes from one of Vigie's own origins."""
    allowed = {_origin(str(request.base_url)), _origin(services.public_url)} - {""}
    origin = request.headers.get("origin") or _origin(request.headers.get("referer", ""))
    if origin.lower() not in allowed:
        raise HTTPException(403, "form posted from another site")


async def form_fields(request: Request) -> dict[str, str]:
    """The urlencoded body, last value per field (the body is cached for the handler)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "form too large")
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items()}


async def checked_form(
    request: Request, principal: PagePrincipalDep, services: ServicesDep
) -> Principal:
    if request.method == "POST":
        check_origin(request, services)
        sent = (await form_fields(request)).get(CSRF_FIELD, "")
        if not hmac.compare_digest(sent, session_csrf(services, presented_token(request))):
            raise HTTPException(403, "csrf: the form is stale or was not sent by Vigie")
    return principal


def login_csrf(request: Request) -> str:
    """The login form's token: the one its cookie already holds, else a new one."""
    current = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return current if len(current) == 43 else secrets.token_urlsafe(32)


async def check_login_csrf(request: Request, services: Services, sent: str) -> None:
    check_origin(request, services)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent, cookie):
        raise HTTPException(403, "csrf: the form is stale or was not sent by Vigie")
