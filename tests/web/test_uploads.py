"""Bounded uploads (issue 20): every request body is capped by LAGESBILD_MAX_UPLOAD_MB; past the
cap the answer is 413, as soon as it is passed, and nothing of the file is kept."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request

from lagesbild.web.uploads import BodyLimit

from .conftest import login

ROWS = "id,occurred_at,category,lat,lon\n" + "".join(
    f"u{i},2023-05-01 21:30,theft,59.332,18.06\n" for i in range(200)
)


def _temp_uploads() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("lagesbild-import-*")}


def test_a_body_over_the_cap_is_413_before_it_is_read(client, monkeypatch):
    monkeypatch.setenv("LAGESBILD_MAX_UPLOAD_MB", "0.001")  # 1 KiB
    login(client, "analyst-polis")
    before = _temp_uploads()
    r = client.post(
        "/api/v1/imports/crimes", files={"file": ("police.csv", ROWS.encode(), "text/csv")}
    )
    assert r.status_code == 413, r.text
    assert "MB" in r.json()["detail"]
    assert _temp_uploads() == before  # no partial file left behind


def test_a_chunked_body_is_stopped_as_soon_as_it_passes_the_cap(monkeypatch):
    """No Content-Length: the body is counted as it arrives and the app's reading stops at
    the chunk that passes the cap (the ASGI receive is asked no further)."""
    monkeypatch.setenv("LAGESBILD_MAX_UPLOAD_MB", "0.01")  # 10 KiB
    inner = FastAPI()

    @inner.post("/up")
    async def up(request: Request) -> dict:
        n = 0
        async for chunk in request.stream():
            n += len(chunk)
        return {"n": n}

    pulled: list[int] = []
    sent: list[dict] = []

    async def receive():
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": len(pulled) < 1000}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/up",
        "raw_path": b"/up",
        "query_string": b"",
        "headers": [],
        "root_path": "",
        "scheme": "http",
        "server": ("t", 80),
        "client": ("1.2.3.4", 1),
        "http_version": "1.1",
    }
    anyio.run(BodyLimit(inner), scope, receive, send)
    assert sent[0]["status"] == 413, sent
    assert len(pulled) == 11  # 11 KiB: the first chunk past 10 KiB


def test_a_file_under_the_cap_is_imported(client, monkeypatch):
    monkeypatch.setenv("LAGESBILD_MAX_UPLOAD_MB", "1")
    csrf = login(client, "analyst-polis")
    r = client.post(
        "/api/v1/imports/crimes",
        files={"file": ("police.csv", ROWS.encode(), "text/csv")},
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 200
    assert r.json()["file"] == "police.csv"


def test_the_import_page_is_capped_too(client, monkeypatch):
    monkeypatch.setenv("LAGESBILD_MAX_UPLOAD_MB", "0.001")
    csrf = login(client, "analyst-polis")
    r = client.post(
        "/import",
        data={"layer": "crimes", "csrf_token": csrf},
        files={"file": ("police.csv", ROWS.encode(), "text/csv")},
    )
    assert r.status_code == 413


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_a_300_mb_upload_is_413_and_the_server_stays_small(tmp_path):
    """The issue's contract, from outside: a served process, a 300 MB multipart body streamed
    (with and without Content-Length); the server's resident memory grows < 100 MiB."""
    from tests.web.pages.conftest import serving

    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    env = {**os.environ, "LAGESBILD_DB": db}
    add = ["user", "add", "imp", "--role", "analyst", "--organisation", "Polisen"]
    for args in (["init", "--organisation", "Polisen"], [*add, "--password", "import-pass-1"]):
        r = subprocess.run(
            [sys.executable, "-m", "lagesbild", *args], env=env, capture_output=True, text=True
        )
        assert r.returncode == 0, r.stdout + r.stderr
    with serving(env) as url:
        pid = int(
            subprocess.run(
                ["pgrep", "-n", "-f", f"lagesbild serve --port {url.rsplit(':', 1)[1]}"],
                capture_output=True,
                text=True,
            ).stdout.split()[0]
        )
        with httpx.Client(base_url=url, timeout=120) as c:
            r = c.post("/api/v1/login", json={"username": "imp", "password": "import-pass-1"})
            assert r.status_code == 200, r.text
            csrf = r.json()["csrf_token"]
            base = _rss_mib(pid)
            head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
            size = 300 << 20

            def body():
                yield head
                block = b"id,occurred_at,category,lat,lon\n" * 32768  # ~1 MiB
                for _ in range(size // len(block)):
                    yield block
                yield b"\r\n--b--\r\n"

            for declared in (True, False):
                headers = {"content-type": "multipart/form-data; boundary=b", "x-csrf-token": csrf}
                if declared:
                    headers["content-length"] = str(len(head) + size // (1 << 20) * (1 << 20))
                started = time.monotonic()
                try:
                    r = c.post("/api/v1/imports/crimes", content=body(), headers=headers)
                    status = r.status_code
                except httpx.TransportError:  # the server closed while the client still sent
                    status = None
                assert status in (413, None)
                assert time.monotonic() - started < 60
                grown = _rss_mib(pid) - base
                print(f"declared={declared} status={status} rss growth {grown:.1f} MiB")
                assert grown < 100
