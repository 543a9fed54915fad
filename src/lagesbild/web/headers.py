"""Security headers on every response: a Content Security Policy that allows only the app's own
scripts (and the configured tile server's images), no framing by other sites, no MIME
sniffing, no referrer to other sites, and HSTS when the app is reached over TLS."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _tile_origin() -> str:
    url = os.environ.get("LAGESBILD_TILES", "")
    if not url:
        return ""
    parsed = urlparse(url.replace("{s}", "a"))
    host = parsed.netloc.replace("a.", "*.", 1) if "{s}" in url else parsed.netloc
    return f" {parsed.scheme}://{host}" if parsed.scheme and host else ""


def content_security_policy() -> str:
    tiles = _tile_origin()
    return (
        "default-src 'self'; "
        "script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; "  # Leaflet positions map panes with inline styles
        f"img-src 'self' data: blob:{tiles}; "
        "connect-src 'self'; "
        "worker-src 'self'; "
        "manifest-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


class SecurityHeaders:
    """A plain ASGI middleware: it adds headers to the response's start message and passes the
    body through untouched (Starlette's BaseHTTPMiddleware would copy every body through a
    stream, a cost that a 4 MB map layer under load makes visible)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.fixed = [
            (b"content-security-policy", content_security_policy().encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"geolocation=(self), camera=(), microphone=()"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        extra = list(self.fixed)
        forwarded = request.headers.get("x-forwarded-proto", "")
        if scope.get("scheme") == "https" or forwarded == "https":
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
                if api and "cache-control" not in headers:
                    # API answers may hold restricted records
                    headers.raw.append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, send_with_headers)
