"""Who is asking, for every request: an API token (`Authorization: Bearer lb_...`), a session
cookie, or nobody (the public). Cookie-authenticated changes must carry the session's CSRF token
(header `X-CSRF-Token` or form field `csrf_token`); token-authenticated clients need none,
since a browser never sends the token by itself.

Token and session look-ups are remembered while users, organisations, sessions and tokens are
unchanged (`ChangeWatch`'s auth counter, on SQLite; writes of records leave it alone): a revoked
token, an ended session or a disabled user is a change, so the next request reads the store
again; a session's expiry is checked on every request.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request, Response

from lagesbild.accounts import SESSION_HOURS, User, digest, session_record, token_user
from lagesbild.domain.model import PUBLIC_VIEWER, Viewer
from lagesbild.errors import AccessDenied, LagesbildError
from lagesbild.web.freshness import remembered

SESSION_COOKIE = "lagesbild_session"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class NotSignedIn(LagesbildError):
    http_status = 401


@dataclass(frozen=True)
class Caller:
    viewer: Viewer
    user: User | None
    csrf: str | None = None
    via: str = "public"  # "token", "session" or "public"


def remote_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def _key(kind: str, secret: str) -> tuple[str, str]:
    """A memo key that does not keep the secret itself in memory."""
    return kind, digest(secret)


async def identify(request: Request) -> Caller:
    store = request.app.state.store
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
        user = await remembered(
            request, _key("token", token), lambda: token_user(store, token), auth=True
        )
        if user is None:
            raise NotSignedIn("the API token is unknown or revoked")
        return Caller(user.viewer, user, None, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = await remembered(
            request, _key("session", cookie), lambda: session_record(store, cookie), auth=True
        )
        if found is not None and found[2] > datetime.now(UTC):
            user, csrf, _expires = found
            if request.method in UNSAFE:
                await _check_csrf(request, csrf)
            return Caller(user.viewer, user, csrf, "session")
    return Caller(PUBLIC_VIEWER, None)


async def _check_csrf(request: Request, csrf: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = form.get("csrf_token")
    if not sent or not hmac.compare_digest(str(sent), csrf):
        raise AccessDenied("missing or wrong CSRF token (send the X-CSRF-Token header)")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    loopback_http = request.url.scheme == "http" and request.url.hostname in (
        "127.0.0.1",
        "localhost",
        "::1",
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=not loopback_http,
        samesite="strict",
        path="/",
    )


def require_user(caller: Caller) -> User:
    if caller.user is None:
        raise NotSignedIn("sign in first (or send an API token)")
    return caller.user
