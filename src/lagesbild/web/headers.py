"""Security headers on every response: a Content Security Policy that allows only the app's own
scripts (and the configured tile server's images), no framing by other sites, no MIME
sniffing, no referrer to other sites, and HSTS when the app is reached over TLS. Also where
the basemap comes from (`LAGESBILD_TILES`), and HEAD answered on every GET route."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TILES_ENV = "LAGESBILD_TILES"
TILES_ATTRIBUTION_ENV = "LAGESBILD_TILES_ATTRIBUTION"
# The basemap by default: OpenStreetMap's standard raster tiles, fetched by the browser.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


def tile_template() -> str | None:
    """The tile URL template the maps use: `LAGESBILD_TILES`, OpenStreetMap when it is unset,
    none when it is `none` (the layers show on a plain background)."""
    url = os.environ.get(TILES_ENV, "").strip()
    if url.lower() in ("none", "off"):
        return None
    return url or OSM_TILES


def tile_attribution() -> str:
    """The basemap's attribution: `LAGESBILD_TILES_ATTRIBUTION`, OpenStreetMap's for its tiles."""
    own = os.environ.get(TILES_ATTRIBUTION_ENV, "")
    if own:
        return own
    return OSM_ATTRIBUTION if tile_template() == OSM_TILES else ""


def tile_config() -> dict[str, str | None]:
    """What a map page's script needs of the basemap."""
    return {"tiles": tile_template(), "attribution": tile_attribution()}


def _tile_origin() -> str:
    url = tile_template()
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
        head = scope["method"] == "HEAD"
        if head:  # answered as the GET it asks about, without the body
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            if head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
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
