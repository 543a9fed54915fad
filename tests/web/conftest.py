"""A store with two organisations, a user per role in each, and records of every sensitivity,
served by the real app through FastAPI's TestClient (httpx, no socket)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from lagesbild.accounts import add_user
from lagesbild.ingest.writer import write_records
from lagesbild.web.app import create_app

PASSWORD = "correct-horse-1"
ROLES = ("admin", "coordinator", "analyst", "field_reporter", "viewer")
ORGS = {"polis": "Polisen", "soc": "Socialtjänsten"}
SENS = ("public", "shared", "restricted")
# (layer, id, org, sensitivity, lon, lat): a grid of records, one of each combination.
POINTS = [
    (layer, f"{layer[:3]}-{org}-{sens}", org, sens, 18.060 + 0.001 * i, 59.331 + 0.0005 * j)
    for layer in ("crimes", "observations")
    for i, org in enumerate(ORGS)
    for j, sens in enumerate(SENS)
]


def fill(store) -> None:
    write_records(
        store,
        "organisations",
        [(i, {"name": n, "code": c}, None) for i, (c, n) in enumerate(ORGS.items())],
    )
    write_records(
        store,
        "places",
        [
            (
                1,
                {
                    "name": "Klara",
                    "kind": "scene",
                    "round": 2023,
                    "status": "listed",
                    "sensitivity": "public",
                },
                box(18.055, 59.329, 18.070, 59.336),
            ),
        ],
    )
    for layer in ("crimes", "observations"):
        rows = [
            (
                n,
                {
                    "id": rid,
                    "occurred_at": "2023-05-01 21:30",
                    "category": "theft" if layer == "crimes" else "drug_sale",
                    "lat": lat,
                    "lon": lon,
                    "organisation": org,
                    "sensitivity": sens,
                },
                None,
            )
            for n, (lay, rid, org, sens, lon, lat) in enumerate(POINTS)
            if lay == layer
        ]
        s = write_records(store, layer, rows)
        assert s.stored == 6, s.rejected
    for code in ORGS:
        for role in ROLES:
            add_user(store, f"{role}-{code}", PASSWORD, role, code)


@pytest.fixture
def app_store(store):
    fill(store)
    return store


@pytest.fixture
def client(app_store):
    with TestClient(create_app(app_store.url), base_url="https://testserver") as c:
        yield c


def login(client: TestClient, username: str) -> str:
    r = client.post("/api/v1/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def may_see(viewer_org: str | None, record_org: str, sens: str) -> bool:
    """The access rule, written out independently of store.access."""
    if viewer_org is None:
        return sens == "public"
    return sens in ("public", "shared") or record_org == viewer_org
