"""A bounded load test of field reporting, on loopback only: N concurrent reporters post field
observations with an idempotency key each; a failed or timed-out request is retried with the
same key, as a phone would. Optionally the server is killed with SIGKILL half-way and started
again. Afterwards every acknowledged report must be stored exactly once.

Used by `benchmarks/load_field_reports.py` (200 reporters for 60 s, figures for the note) and by
a small test in tests/reliability (a few reporters for a few seconds, correctness only).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx
import numpy as np

from lagesbild.accounts import add_user, create_token, find_user, get_user
from lagesbild.store.engine import Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`lagesbild serve` in its own process group (uvicorn's workers die with it)."""

    def __init__(self, url: str, workers: int = 1) -> None:
        self.url, self.workers, self.port = url, workers, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "LAGESBILD_DB": self.url}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lagesbild",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode()[-2000:])
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class LoadResult:
    sent: int = 0  # requests sent, retries included
    acknowledged: set[str] = field(default_factory=set)  # keys the server answered 200/201 to
    status: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    killed_at: float | None = None

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.status.items() if code >= 500)

    def percentiles(self) -> dict[str, float]:
        if not self.latencies:
            return {}
        a = np.asarray(self.latencies) * 1000
        return {f"p{q}": float(np.percentile(a, q)) for q in (50, 95, 99)}


def reporter_tokens(store: Store, n_users: int = 10) -> list[str]:
    """API tokens of field reporters (tokens need no CSRF and no log-in throttle)."""
    tokens = []
    for i in range(n_users):
        name = f"load-reporter-{i}"
        with store.read() as conn:
            row = find_user(conn, name)
        user = (
            get_user(store, row.id)
            if row
            else add_user(store, name, "load-test-password", "field_reporter", _default_org(store))
        )
        tokens.append(create_token(store, user, "load test")[1])
    return tokens


def _default_org(store: Store) -> str:
    from sqlalchemy import select

    from lagesbild.store.schema import organisations, store_settings

    with store.read() as conn:
        oid = conn.execute(
            select(store_settings.c.value).where(store_settings.c.key == "default_organisation")
        ).scalar_one()
        return conn.execute(
            select(organisations.c.name).where(organisations.c.id == int(oid))
        ).scalar_one()


def _report(rng: np.random.Generator) -> dict:
    return {
        "type": "Feature",
        "properties": {
            "occurred_at": "2024-11-26T21:00:00+01:00",
            "category": "drug_use",
            "count": int(rng.integers(1, 5)),
            "text": "Lasttest",
        },
        "geometry": {
            "type": "Point",
            "coordinates": [
                18.0649 + float(rng.normal(0, 0.001)),
                59.3326 + float(rng.normal(0, 0.0005)),
            ],
        },
    }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, whether the server closes the connection) of one HTTP/1.1 response, its body
    read and dropped (Content-Length or chunked)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    fields = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip().lower()
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, fields.get("connection") == "close"


class _TransportFailed(Exception):
    """No answer from the server (refused, reset, timed out): the same key is sent again."""


class _HttpxSender:
    """Reports through httpx, as a phone's HTTP library would send them."""

    def __init__(self, base: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        self.client = httpx.AsyncClient(base_url=base, timeout=10, headers=headers)

    async def post(self, key: str, body: dict) -> int:
        try:
            r = await self.client.post(
                "/api/v1/observations", json=body, headers={"Idempotency-Key": key}
            )
        except httpx.TransportError:
            raise _TransportFailed from None
        return r.status_code

    async def close(self) -> None:
        await self.client.aclose()


class _SocketSender:
    """The same requests written as HTTP/1.1 on a plain keep-alive socket: httpx's machinery
    cost ~1.5 ms of the load generator's CPU per request, and so took half a core from the
    server it measures on a 2-core machine (issue 20)."""

    def __init__(self, base: str, token: str) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port, self.token = int(port), token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, key: str, body: dict) -> int:
        data = json.dumps(body).encode()
        request = (
            f"POST /api/v1/observations HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nIdempotency-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode() + data
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(request)
            status, closing = await asyncio.wait_for(_read_response(self.reader), 10)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
            self._drop()
            raise _TransportFailed from None
        if closing:
            self._drop()
        return status

    def _drop(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def close(self) -> None:
        self._drop()


async def _reporter(
    i: int,
    sender: _HttpxSender | _SocketSender,
    until: float,
    res: LoadResult,
    run: str,
    max_requests: int | None,
) -> None:
    rng = np.random.default_rng(i)
    n = 0
    try:
        while time.time() < until and (max_requests is None or n < max_requests):
            key = f"{run}-{i}-{n}"
            n += 1
            body = _report(rng)
            for _attempt in range(50):  # retry the same key until the server answers
                t0 = time.perf_counter()
                res.sent += 1
                try:
                    status = await sender.post(key, body)
                except _TransportFailed:
                    res.transport_errors += 1
                    await asyncio.sleep(0.5)
                    if time.time() > until + 30:
                        break
                    continue
                res.latencies.append(time.perf_counter() - t0)
                res.status[status] = res.status.get(status, 0) + 1
                if status in (200, 201):
                    res.acknowledged.add(key)
                    break
                if status < 500:
                    break  # a 4xx is the client's problem; not retried
                await asyncio.sleep(0.2)
    finally:
        await sender.close()


async def _run(
    server: Server,
    tokens: list[str],
    reporters: int,
    seconds: float,
    kill_after: float | None,
    max_requests: int | None,
    lean: bool = False,
) -> LoadResult:
    res, run = LoadResult(), uuid.uuid4().hex[:8]
    until = time.time() + seconds
    sender = _SocketSender if lean else _HttpxSender
    tasks = [
        asyncio.create_task(
            _reporter(
                i, sender(server.base, tokens[i % len(tokens)]), until, res, run, max_requests
            )
        )
        for i in range(reporters)
    ]
    if kill_after is not None:
        await asyncio.sleep(kill_after)
        server.kill()
        res.killed_at = time.time()
        await asyncio.to_thread(server.start)
    await asyncio.gather(*tasks)
    return res


def run_load(
    server: Server,
    tokens: list[str],
    reporters: int,
    seconds: float,
    kill_after: float | None = None,
    max_requests: int | None = None,
    lean: bool = False,
) -> LoadResult:
    """`lean`: plain sockets instead of httpx (`_SocketSender`), for throughput figures."""
    return asyncio.run(_run(server, tokens, reporters, seconds, kill_after, max_requests, lean))


def stored_keys(store: Store) -> dict[str, int]:
    """How many times each idempotency key is stored (must be 1 for every acknowledged key)."""
    from sqlalchemy import func, select

    from lagesbild.store.schema import observations as obs

    with store.read() as conn:
        rows = conn.execute(
            select(obs.c.source_id, func.count())
            .where(obs.c.source_id.like("idem:%"))
            .group_by(obs.c.source_id)
        ).all()
    # "idem:<organisation>:<key>" (a user's key is scoped to their organisation), "idem:<key>"
    return {sid.split(":")[-1]: n for sid, n in rows}
