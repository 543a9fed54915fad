"""PostgreSQL pool: a connection is pinged before use only after lying idle
(`store.engine._ping_when_idle`), so a dead one is replaced then; one that dies while in
steady use fails a single statement, and the pool recovers for the next."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from lagesbild.errors import StoreError
from lagesbild.store import engine as engine_module
from lagesbild.store.lifecycle import init_store


def _backend_pid(store) -> int:
    with store.read() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_an_idle_connection_that_died_is_replaced_before_use(pg_url, monkeypatch):
    store = init_store(pg_url)
    first = _backend_pid(store)
    _terminate(pg_url, first)
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 0.0)  # "idle long enough"
    second = _backend_pid(store)  # no error: the ping found it dead, the pool opened another
    assert second != first
    store.dispose()


def test_a_busy_connection_is_not_pinged_and_recovers_after_one_failure(pg_url, monkeypatch):
    store = init_store(pg_url)
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 3600.0)  # never idle long enough
    pings = []
    real = store.engine.dialect.do_ping
    monkeypatch.setattr(store.engine.dialect, "do_ping", lambda c: pings.append(1) or real(c))
    first = _backend_pid(store)
    for _ in range(5):
        assert _backend_pid(store) == first
    assert pings == []  # no round trip spent on pings while in use
    _terminate(pg_url, first)
    with pytest.raises((OperationalError, StoreError)):
        _backend_pid(store)
    assert _backend_pid(store) != first  # the next request gets a live connection
    store.dispose()
