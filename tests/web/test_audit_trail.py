"""The audit trail of web reads: listings, OGC opens, map clusters and exports of restricted
records are written record by record, with the client's address."""

from __future__ import annotations

import re

from sqlalchemy import select

from lagesbild.ingest.writer import write_records
from lagesbild.store.schema import audit_log, crimes

from .conftest import login


def _open_entries(store) -> list:
    with store.read() as conn:
        return conn.execute(
            select(audit_log.c.record_id, audit_log.c.detail, audit_log.c.remote).where(
                audit_log.c.action == "open"
            )
        ).all()


def test_listings_and_ogc_opens_say_from_where_in_the_audit_log(client, app_store):
    login(client, "analyst-polis")
    client.get("/api/v1/crimes")  # lists a restricted crime
    client.get("/api/v1/crimes")  # the same answer again, from the cache
    fc = client.get("/ogc/collections/crimes/items").json()
    rid = next(f["id"] for f in fc["features"] if f["properties"]["sensitivity"] == "restricted")
    assert client.get(f"/ogc/collections/crimes/items/{rid}").status_code == 200
    entries = _open_entries(app_store)
    assert any(e.record_id == rid for e in entries)
    assert sum(1 for e in entries if (e.detail or "").startswith("listed")) == 3
    assert all(e.remote == "testclient" for e in entries), entries


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
