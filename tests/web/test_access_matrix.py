"""The access matrix over every layer of the API: each layer holds one record per owner
organisation and sensitivity; every role of both organisations (and the public) lists, reads by
id and reads through a bounding box, and gets exactly what the access rule allows."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, box

from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from lagesbild.services import records
from lagesbild.web.app import create_app

from .conftest import ORGS, ROLES, SENS, login, may_see


def _record(layer: str, tag: str, org: str, sens: str, i: int):
    lon, lat = 18.06 + 0.001 * i, 59.331
    common = {"id": tag, "organisation": org, "sensitivity": sens}
    small = box(lon, lat, lon + 0.0005, lat + 0.0005)
    return {
        "places": ({**common, "name": tag, "kind": "priority_place"}, small),
        "extents": (
            {
                "place": "Klara",
                "round": 2000 + i,
                "status": "listed",
                "organisation": org,
                "sensitivity": sens,
                "motivation": tag,
            },
            small,
        ),
        "cameras": (
            {
                **common,
                "operator": tag,
                "bearing": 90,
                "angle": 60,
                "range": 50,
                "lat": lat,
                "lon": lon,
            },
            None,
        ),
        "guard_areas": ({**common, "name": tag, "valid_from": "2023-01-01"}, small),
        "streets": ({**common, "name": tag}, LineString([(lon, lat), (lon + 0.001, lat)])),
        "activation_events": (
            {
                **common,
                "title": tag,
                "starts_at": "2023-06-01 18:00",
                "ends_at": "2023-06-01 22:00",
                "lat": lat,
                "lon": lon,
            },
            None,
        ),
        "measurements": (
            {**common, "place": "Klara", "measured_at": "2023-06-01", "metric": tag, "value": i},
            None,
        ),
        "survey_results": (
            {
                **common,
                "survey": tag,
                "year": 2023,
                "area": "Klara",
                "question": "q",
                "share": 0.3,
                "n": 100,
            },
            None,
        ),
        "roster": (
            {
                **common,
                "starts_at": "2023-06-01 18:00",
                "ends_at": "2023-06-01 23:00",
                "headcount": 2,
                "role": tag,
            },
            None,
        ),
    }[layer]


LAYERS = [
    "places",
    "extents",
    "cameras",
    "guard_areas",
    "streets",
    "activation_events",
    "measurements",
    "survey_results",
    "roster",
]
TAG_FIELD = {
    "places": "name",
    "extents": "motivation",
    "cameras": "operator",
    "guard_areas": "name",
    "streets": "name",
    "activation_events": "title",
    "measurements": "metric",
    "survey_results": "survey",
    "roster": "role",
}
SPATIAL = {"places", "extents", "cameras", "guard_areas", "streets", "activation_events"}


@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_follows_the_access_rule(app_store, layer):
    combos = [(org, sens) for org in ORGS for sens in SENS]
    rows = []
    for i, (org, sens) in enumerate(combos):
        rec, geom = _record(layer, f"{layer}-{org}-{sens}", org, sens, i)
        rows.append((i, rec, geom))
    s = write_records(app_store, layer, rows)
    assert s.stored == 6, s.rejected
    tags = {f"{layer}-{org}-{sens}": (org, sens) for org, sens in combos}
    field = TAG_FIELD[layer]
    with TestClient(create_app(app_store.url), base_url="https://testserver") as c:
        # every record's id, as the terminal sees them
        rows, _ = records.list_records(app_store, layer, SYSTEM, records.RecordFilter(limit=1000))
        all_ids = {r[field]: r["id"] for r in rows if r[field] in tags}
        assert len(all_ids) == 6
        everyone = [(None, None)] + [(f"{role}-{org}", org) for org in ORGS for role in ROLES]
        for username, org in everyone:
            c.cookies.clear()
            if username:
                login(c, username)
            expected = {t for t, (o, sens) in tags.items() if may_see(org, o, sens)}
            listed = c.get(f"/api/v1/{layer}?limit=1000").json()["features"]
            got = {f["properties"][field] for f in listed} & set(tags)
            assert got == expected, (layer, username)
            if layer in SPATIAL:
                boxed = c.get(
                    f"/api/v1/{layer}", params={"bbox": "18.0,59.3,18.2,59.4", "limit": 1000}
                ).json()["features"]
                assert {f["properties"][field] for f in boxed} & set(tags) == expected
            for tag, rid in all_ids.items():
                code = c.get(f"/api/v1/{layer}/{rid}").status_code
                assert code == (200 if tag in expected else 404), (layer, username, tag)
