"""`lagesbild serve --forwarded-allow-ips` (issue 20): X-Forwarded-For is believed only from
the proxies named; by default from nobody. Served for real: the setting is uvicorn's."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest

from tests.web.pages.conftest import serving

PASSWORD = "guess-me-not-1"


@pytest.fixture
def env(tmp_path) -> dict:
    env = {**os.environ, "LAGESBILD_DB": f"sqlite:///{tmp_path / 's.sqlite'}"}
    add = ["user", "add", "kim", "--role", "viewer", "--organisation", "Polisen"]
    for args in (["init", "--organisation", "Polisen"], [*add, "--password", PASSWORD]):
        r = subprocess.run(
            [sys.executable, "-m", "lagesbild", *args], env=env, capture_output=True, text=True
        )
        assert r.returncode == 0, r.stdout + r.stderr
    return env


def _guess(url: str) -> list[tuple[int, str]]:
    out = []
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(15):
            r = c.post(
                "/api/v1/login",
                json={"username": "kim", "password": "wrong-pass"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            out.append((r.status_code, r.json()["detail"]))
    return out


@pytest.mark.parametrize("trusted", [False, True])
def test_fifteen_addresses_get_429_before_the_end(env, trusted):
    extra = ("--forwarded-allow-ips", "127.0.0.1") if trusted else ()
    with serving(env, *extra) as url:
        answers = _guess(url)
    statuses = [s for s, _ in answers]
    assert statuses[-1] == 429 and statuses[0] == 401, answers
    throttled_here = "too many failed log-ins for this user from here; try again in 15 minutes"
    if trusted:  # 15 addresses: the account's own back-off and lock, in a wrong password's words
        assert {d for _, d in answers} == {"wrong user name or password"}
    else:  # X-Forwarded-For not believed: one address, its own limit after five
        assert statuses[:5] == [401] * 5 and answers[5] == (429, throttled_here)


def test_an_admin_lifts_a_lock_at_the_terminal(env, monkeypatch):
    """`lagesbild user unlock NAME`: the locked account signs in again at once."""
    from lagesbild import accounts
    from lagesbild.store.lifecycle import open_store

    store = open_store(env["LAGESBILD_DB"])
    clock = [accounts._now()]
    monkeypatch.setattr(accounts, "_now", lambda: clock[0])
    try:
        for i in range(accounts.ACCOUNT_LOCK_AT):
            clock[0] += timedelta(minutes=1)  # past every back-off: only the lock stops it
            with pytest.raises(accounts.LoginFailed):
                accounts.authenticate(store, "kim", "wrong-pass", f"198.51.100.{i}")
        assert accounts.account_locked(store, "kim")
        r = subprocess.run(
            [sys.executable, "-m", "lagesbild", "user", "unlock", "kim"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "unlocked kim" in r.stdout
        assert not accounts.account_locked(store, "kim")
        assert accounts.authenticate(store, "kim", PASSWORD, "192.0.2.7").username == "kim"
    finally:
        store.dispose()
