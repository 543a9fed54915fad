"""Security headers on every response: a Content Security Policy that allows only the app's own
scripts (and the configured tile server's images), no framing by other sites, no MIME
sniffing, no referrer to other sites, and HSTS when the app is reached over TLS."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request


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


class SecurityHeaders(BaseHTTPMiddleware):
    def __init__(self, app) -> None:
        super().__init__(app)
        self.csp = content_security_policy()

    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        h = response.headers
        h.setdefault("Content-Security-Policy", self.csp)
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        forwarded = request.headers.get("x-forwarded-proto", "")
        if request.url.scheme == "https" or forwarded == "https":
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.url.path.startswith("/api/") and "cache-control" not in h:
            h["Cache-Control"] = "no-store"  # API answers may hold restricted records
        return response
