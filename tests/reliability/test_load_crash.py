"""Field reporting under concurrent load with a SIGKILL of the server in the middle: every
acknowledged report is stored exactly once, no 5xx, the store opens without repair. A small,
bounded version of benchmarks/load_field_reports.py (loopback only)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from lagesbild.devtools.loadtest import Server, reporter_tokens, run_load, stored_keys
from lagesbild.store.lifecycle import init_store, open_store


@pytest.mark.parametrize(
    "backend, workers, lean",
    [("sqlite", 1, False), ("postgis", 2, False), ("sqlite", 1, True), ("postgis", 2, True)],
    ids=["sqlite-httpx", "postgis-httpx", "sqlite-lean", "postgis-lean"],
)
def test_acknowledged_reports_survive_a_kill_exactly_once(
    request, tmp_path, backend, workers, lean
):
    """Reports written together (the group commit) and the benchmark's lean client too: a
    group cut off by the kill was never acknowledged, and is retried with the same keys."""
    # SQLite has one writer: one app process; PostGIS is served by several, as in production.
    if backend == "sqlite":
        store_url = f"sqlite:///{tmp_path / 'load.sqlite'}"
    else:
        store_url = request.getfixturevalue("pg_url")
    store = init_store(store_url)
    tokens = reporter_tokens(store, 4)
    server = Server(store_url, workers=workers)
    server.start()
    try:
        res = run_load(server, tokens, reporters=16, seconds=6, kill_after=2.5, lean=lean)
    finally:
        server.stop()
    assert res.killed_at is not None and len(res.acknowledged) > 20
    assert res.server_errors == 0, res.status
    reopened = open_store(store_url)  # opens without repair
    if reopened.backend == "sqlite":
        with reopened.read() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    stored = stored_keys(reopened)
    missing = res.acknowledged - stored.keys()
    assert not missing, f"{len(missing)} acknowledged reports lost"
    assert all(n == 1 for n in stored.values())
    reopened.dispose()
    store.dispose()


def test_passwords_and_tokens_never_reach_the_logs(sqlite_store):
    import httpx

    from lagesbild.accounts import add_user

    add_user(sqlite_store, "loggy", "a-very-secret-pw", "analyst", "Stadsdelsförvaltningen")
    server = Server(sqlite_store.url)
    server.start()
    try:
        with httpx.Client(base_url=server.base) as c:
            c.post("/api/v1/login", json={"username": "loggy", "password": "wrong-secret-pw"})
            r = c.post("/api/v1/login", json={"username": "loggy", "password": "a-very-secret-pw"})
            csrf = r.json()["csrf_token"]
            token = c.post(
                "/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}
            ).json()["token"]
            c.get("/api/v1/crimes", headers={"Authorization": f"Bearer {token}"})
            c.get(f"/api/v1/crimes?token={token}")  # a careless client puts it in the URL
    finally:
        server.stop()
    log = server.proc.stderr.read().decode()
    for secret in ("a-very-secret-pw", "wrong-secret-pw", token, csrf):
        assert secret not in log
