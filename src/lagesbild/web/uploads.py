"""Bounded request bodies: every upload is capped (`LAGESBILD_MAX_UPLOAD_MB`, default 200).

`BodyLimit` is an ASGI middleware in front of the whole app. A request that declares a larger
`Content-Length` is answered 413 before a byte of its body is read; one that does not declare
it (chunked) is counted as it arrives and stopped with 413 as soon as it passes the cap. The
multipart parser spools file parts to anonymous temporary files (1 MB in memory at most), so a
body stopped half-way leaves nothing behind, and memory stays flat whatever the size.

`save_upload` then copies an `UploadFile` in chunks to a file of the handler's own temporary
folder (again capped: a defence in depth should the middleware be bypassed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs

import orjson
from fastapi import HTTPException, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lagesbild.i18n import DEFAULT_LANG, LANGS, text

DEFAULT_MAX_MB = 200
CHUNK = 1 << 20
BODY_METHODS = {"POST", "PUT", "PATCH"}


def max_upload_bytes() -> int:
    """The cap in bytes, read from the environment on each request (so a test or an operator
    can change it without rebuilding the app)."""
    raw = os.environ.get("LAGESBILD_MAX_UPLOAD_MB", "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return max(0, int(mb * (1 << 20)))


class UploadTooLarge(HTTPException):
    def __init__(self, cap: int, lang: str = "en") -> None:
        super().__init__(413, too_large_message(cap, lang))


def too_large_message(cap: int, lang: str = "en") -> str:
    return text("intake.too_large", lang, mb=f"{cap / (1 << 20):g}")


def _lang(scope: Scope) -> str:
    """`?lang=` or the `lang` cookie, else English for the API and Swedish for the pages."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    cookies = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"cookie"), "")
    found = [*query.get("lang", []), *re.findall(r"(?:^|;\s*)lang=(\w+)", cookies)]
    for value in found:
        if value in LANGS:
            return value
    return "en" if scope.get("path", "").startswith("/api/") else DEFAULT_LANG


class BodyLimit:
    """Caps every request body at `max_upload_bytes()`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        cap = max_upload_bytes()
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _refuse(scope, send, cap)
            return
        seen = 0
        started = False
        over = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    over = True
                    raise UploadTooLarge(cap, _lang(scope))
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            # the cap passed somewhere the app did not turn into a 413 itself
            if over and not started:
                await _refuse(scope, send, cap)
                return
            raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, send: Send, cap: int) -> None:
    body = orjson.dumps({"detail": too_large_message(cap, _lang(scope))})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def save_upload(upload: UploadFile, dest: Path) -> int:
    """Copy an uploaded file to `dest` in chunks; 413 (and `dest` removed) past the cap."""
    cap = max_upload_bytes()
    written = 0
    try:
        with open(dest, "wb") as fh:
            while chunk := await upload.read(CHUNK):
                written += len(chunk)
                if written > cap:
                    raise UploadTooLarge(cap)
                fh.write(chunk)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return written
