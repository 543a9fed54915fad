"""The place analysis page's default period follows the crimes, as the map's does: a field
report filed today must not move it to a year without crimes (an empty analysis)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from lagesbild.domain.model import SYSTEM
from lagesbild.services import data
from lagesbild.web.pages_analysis import default_period

from .conftest import login


def test_a_field_report_filed_today_does_not_move_the_analysis_default(client, app_store):
    caller = SimpleNamespace(viewer=SYSTEM)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(store=app_store)))
    last_crime = data.latest(app_store, caller.viewer, "crimes").astimezone(app_store.tz)
    expected = str(
        last_crime.year if (last_crime.month, last_crime.day) >= (12, 24) else last_crime.year - 1
    )
    assert default_period(request, caller) == expected
    csrf = login(client, "field_reporter-polis")
    now = datetime.now(app_store.tz)
    feature = {
        "type": "Feature",
        "properties": {
            "occurred_at": now.strftime("%Y-%m-%d %H:%M"),
            "category": "drug_use",
            "count": 1,
        },
        "geometry": {"type": "Point", "coordinates": [18.064, 59.332]},
    }
    r = client.post("/api/v1/observations", json=feature, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    assert data.latest(app_store, caller.viewer, "observations").year == now.year
    assert default_period(request, caller) == expected
