"""Sign-in and tokens (web/security.py, accounts): throttling by one user-name normalisation and
by the guessing address only, no timing tell for unknown names, tokens of a disabled user gone
for good."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lagesbild import accounts
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError

from .conftest import PASSWORD, login

KELVIN = "analyti\u212aer"  # KELVIN SIGN: Python's lower() and casefold() make it 'k'


def test_a_look_alike_user_name_is_throttled_with_the_user(client, app_store):
    accounts.add_user(app_store, "analytiker", PASSWORD, "analyst", "polis")
    for _ in range(accounts.MAX_FAILURES):
        r = client.post("/api/v1/login", json={"username": KELVIN, "password": "wrong-pass"})
        assert r.status_code == 401
    # the failures count for the user the name finds, however it was written
    for name in (KELVIN, "analytiker", "ANALYTIKER"):
        r = client.post("/api/v1/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 429, name


def test_non_ascii_user_names_log_in_in_any_case(client, app_store):
    accounts.add_user(app_store, "Åsa", PASSWORD, "viewer", "soc")
    for name in ("Åsa", "åsa", "ÅSA"):
        r = client.post("/api/v1/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, (name, r.text)
        assert r.json()["username"] == "Åsa"
    with pytest.raises(ValidationError, match="taken"):  # a look-alike is the same name
        accounts.add_user(app_store, "åsa", PASSWORD, "viewer", "soc")


def test_disabling_a_user_revokes_their_tokens_for_good(client, app_store):
    csrf = login(client, "analyst-soc")
    token = client.post(
        "/api/v1/tokens", json={"name": "QGIS"}, headers={"X-CSRF-Token": csrf}
    ).json()["token"]
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json()["signed_in"] is True
    accounts.set_active(app_store, "analyst-soc", False, SYSTEM)
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    accounts.set_active(app_store, "analyst-soc", True, SYSTEM)
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    user = next(u for u in accounts.list_users(app_store) if u.username == "analyst-soc")
    assert all(t["revoked_at"] is not None for t in accounts.list_tokens(app_store, user))


def test_failed_log_ins_from_one_address_do_not_lock_the_user_out_elsewhere(app_store):
    """Five wrong passwords for a name locked that user out for 15 minutes from everywhere:
    anyone who knew a user name could keep them out. Now only the guessing address waits."""
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(app_store, "viewer-soc", "wrong-pass", "203.0.113.9")
    with pytest.raises(accounts.TooManyAttempts):  # the guesser waits, right password or not
        accounts.authenticate(app_store, "viewer-soc", PASSWORD, "203.0.113.9")
    user = accounts.authenticate(app_store, "viewer-soc", PASSWORD, "198.51.100.4")
    assert user.username == "viewer-soc"


def test_unknown_and_disabled_users_cost_a_hash_check_as_known_ones_do(app_store, monkeypatch):
    """A known name took an Argon2 check (0.6 s with the default cost) and an unknown name
    none (10 ms), so the answer time told which user names exist."""
    checked: list[str] = []
    real = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: checked.append(h) or real(h, p))
    accounts.set_active(app_store, "viewer-polis", False, SYSTEM)
    for name in ("viewer-soc", "no-such-user", "viewer-polis"):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(app_store, name, "wrong-pass", "203.0.113.9")
    assert len(checked) == 3 and all(h.startswith("$argon2") for h in checked)


def test_guessing_one_account_from_many_addresses_is_throttled_and_locked(app_store):
    """Issue 20: 15 wrong passwords for one account from 15 X-Forwarded-For addresses were all
    401. Now the account backs off, then locks (in the audit log, same words as a wrong
    password) until an administrator lifts the lock. The app is behind a proxy whose
    X-Forwarded-For is believed (`serve --forwarded-allow-ips`), so each try has its address."""
    from fastapi.testclient import TestClient
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from lagesbild.web.app import create_app

    app = ProxyHeadersMiddleware(create_app(app_store.url), trusted_hosts="*")
    with TestClient(app, base_url="https://testserver") as client:
        _guess_from_15_addresses(client)


def _guess_from_15_addresses(client) -> None:
    statuses = []
    for i in range(15):
        r = client.post(
            "/api/v1/login",
            json={"username": "viewer-soc", "password": "wrong-pass"},
            headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
        )
        statuses.append(r.status_code)
        assert r.json()["detail"] == "wrong user name or password"
    assert 429 in statuses, statuses
    assert statuses[: accounts.ACCOUNT_BACKOFF_AFTER] == [401] * accounts.ACCOUNT_BACKOFF_AFTER
    # the right password from yet another address waits too, until the lock is lifted
    r = client.post("/api/v1/login", json={"username": "viewer-soc", "password": PASSWORD})
    assert r.status_code == 429


def test_an_account_lock_is_audited_and_an_admin_lifts_it(app_store, monkeypatch):
    from lagesbild.domain.model import SYSTEM
    from lagesbild.store import audit

    clock = [accounts._now()]
    monkeypatch.setattr(accounts, "_now", lambda: clock[0])
    for i in range(accounts.ACCOUNT_LOCK_AT):
        clock[0] += timedelta(seconds=70)  # past every back-off: only the lock stops it
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(app_store, "viewer-soc", "wrong-pass", f"198.51.100.{i}")
    assert accounts.account_locked(app_store, "viewer-soc")
    with pytest.raises(accounts.TooManyAttempts, match="wrong user name or password"):
        accounts.authenticate(app_store, "viewer-soc", PASSWORD, "192.0.2.1")
    rows = audit.read(app_store, audit.AuditFilter(None, "lock", None, None, None, 10, 0))
    assert len(rows) == 1 and "viewer-soc" in rows[0]["detail"]
    accounts.unlock(app_store, "viewer-soc", SYSTEM)
    assert accounts.authenticate(app_store, "viewer-soc", PASSWORD, "192.0.2.1")
    rows = audit.read(app_store, audit.AuditFilter(None, "user", None, None, None, 10, 0))
    assert any("unlocked viewer-soc" in (r["detail"] or "") for r in rows)


def test_the_back_off_waits_after_the_last_failure(app_store, monkeypatch):
    clock = [accounts._now()]
    monkeypatch.setattr(accounts, "_now", lambda: clock[0])
    for i in range(accounts.ACCOUNT_BACKOFF_AFTER):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(app_store, "viewer-soc", "wrong-pass", f"198.51.100.{i}")
    with pytest.raises(accounts.TooManyAttempts):  # at once: wait 1 s
        accounts.authenticate(app_store, "viewer-soc", PASSWORD, "192.0.2.1")
    clock[0] += timedelta(seconds=1.5)
    assert accounts.authenticate(app_store, "viewer-soc", PASSWORD, "192.0.2.1")
