"""What the access review of the web app found, each checked against the real app: a guessed
user name cannot lock its user out, log-in time does not tell which user names exist, map
clusters and long listings of restricted records are audited record by record, and field
reports take the store's region."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lagesbild import accounts
from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from lagesbild.store.schema import audit_log, crimes

from .conftest import PASSWORD, login

# ------------------------------------------------------------------ log-in


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


# ------------------------------------------------------------------ audit of restricted records


def _opened(store, username: str, layer: str) -> list[int]:
    """The record ids the audit log says the user opened in the layer (single records or
    listings)."""
    with store.read() as conn:
        rows = conn.execute(
            select(audit_log.c.record_id, audit_log.c.detail).where(
                audit_log.c.username == username,
                audit_log.c.action == "open",
                audit_log.c.layer == layer,
            )
        ).all()
    ids: list[int] = []
    for record_id, detail in rows:
        if record_id is not None:
            ids.append(record_id)
        elif detail:
            ids += [int(n) for n in re.findall(r"\d+", detail.split(":", 1)[1])]
    return ids


def _restricted_crime(store, org: str) -> int:
    with store.read() as conn:
        return conn.execute(
            select(crimes.c.id).where(crimes.c.source_key.contains(f"cri-{org}-restricted"))
        ).scalar_one()


def test_map_clusters_showing_restricted_records_are_audited(client, app_store):
    """The map's clusters put restricted records on the map (a cluster of one is the record,
    with its id) and were written nowhere; now each view is audited as a listing is, also when
    served again from the cache."""
    restricted = _restricted_crime(app_store, "polis")
    view = "/map/points.geojson?layer=crimes&from=2023-01-01&to=2023-12-31&zoom=20"
    login(client, "analyst-polis")
    fc = client.get(view).json()
    assert any(restricted in f["properties"].get("ids", []) for f in fc["features"])
    assert _opened(app_store, "analyst-polis", "crimes") == [restricted]
    client.get(view)  # the same view again, from the cache
    assert _opened(app_store, "analyst-polis", "crimes") == [restricted, restricted]
    client.post("/api/v1/logout")
    login(client, "analyst-soc")  # sees its own restricted crime, not the police's
    client.get(view)
    assert _opened(app_store, "analyst-soc", "crimes") == [_restricted_crime(app_store, "soc")]


def test_a_long_listing_of_restricted_records_names_every_one_in_the_audit_log(client, app_store):
    """A listing named only its first 50 restricted records; who saw the others could not be
    answered."""
    rows = [
        (
            n,
            {
                "id": f"extra-{n}",
                "occurred_at": "2023-06-01 12:00",
                "category": "theft",
                "lat": 59.332,
                "lon": 18.062,
                "organisation": "polis",
                "sensitivity": "restricted",
            },
            None,
        )
        for n in range(120)
    ]
    assert write_records(app_store, "crimes", rows).stored == 120
    login(client, "analyst-polis")
    listed = client.get("/api/v1/crimes?limit=1000").json()["features"]
    restricted = sorted(f["id"] for f in listed if f["properties"]["sensitivity"] == "restricted")
    assert len(restricted) == 121
    assert sorted(_opened(app_store, "analyst-polis", "crimes")) == restricted


def test_a_web_export_says_from_where_in_the_audit_log(client, app_store):
    """Every other audit entry of a web request has the client's address; exports had none."""
    login(client, "analyst-polis")
    assert client.get("/api/v1/exports/crimes?format=csv").status_code == 200
    with app_store.read() as conn:
        remote = conn.execute(
            select(audit_log.c.remote).where(audit_log.c.action == "export")
        ).scalar_one()
    assert remote == "testclient"
