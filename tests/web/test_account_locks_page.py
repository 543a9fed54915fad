"""An administrator lifts an account's lock in the browser (issue 20): the locked account is
listed on /accounts/locked, the unlock button lifts it, the audit log names the administrator;
no other role may see the page or lift a lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lagesbild import accounts
from lagesbild.store.schema import audit_log

from .conftest import PASSWORD, login


def _lock(store, monkeypatch, username: str) -> None:
    clock = [accounts._now() - timedelta(minutes=accounts.ACCOUNT_LOCK_AT + 1)]
    monkeypatch.setattr(accounts, "_now", lambda: clock[0])
    for i in range(accounts.ACCOUNT_LOCK_AT):
        clock[0] += timedelta(minutes=1)  # past every back-off: only the lock stops it
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(store, username, "wrong-pass", f"198.51.100.{i}")
    monkeypatch.undo()
    assert accounts.account_locked(store, username)


def test_an_admin_lifts_a_lock_in_the_browser(client, app_store, monkeypatch):
    _lock(app_store, monkeypatch, "analyst-soc")
    csrf = login(client, "admin-polis")
    assert 'href="/accounts/locked"' in client.get("/organisations").text
    page = client.get("/accounts/locked?lang=en").text
    assert "analyst-soc" in page.split('data-testid="locked-accounts"')[1]
    assert 'data-testid="unlock-admin-polis"' not in page  # only the locked are listed
    r = client.post(
        "/accounts/locked?lang=en",
        data={"username": "analyst-soc", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = client.get(r.headers["location"] + "&lang=en").text
    assert "analyst-soc is unlocked." in after and "No accounts are locked." in after
    assert not accounts.account_locked(app_store, "analyst-soc")
    assert accounts.authenticate(app_store, "analyst-soc", PASSWORD, "192.0.2.7")
    with app_store.read() as conn:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.detail == "unlocked analyst-soc")
        ).all()
    assert len(rows) == 1 and rows[0].username == "admin-polis"


def test_without_csrf_or_as_another_role_no_lock_is_lifted(client, app_store, monkeypatch):
    _lock(app_store, monkeypatch, "analyst-soc")
    csrf = login(client, "coordinator-polis")
    assert client.get("/accounts/locked").status_code == 403
    r = client.post("/accounts/locked", data={"username": "analyst-soc", "csrf_token": csrf})
    assert r.status_code == 403
    client.post("/api/v1/logout", headers={"x-csrf-token": csrf})
    login(client, "admin-polis")
    r = client.post("/accounts/locked", data={"username": "analyst-soc", "csrf_token": "x"})
    assert r.status_code == 403
    assert accounts.account_locked(app_store, "analyst-soc")
