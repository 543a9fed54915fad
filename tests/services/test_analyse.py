"""The analyses on stored data, checked against independent references on the same data:
Shapely counts and statsmodels for indicators, esda for Gi*, a brute-force kernel sum for KDE,
statsmodels for Wilson intervals; and the same in a store set up with another CRS."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from lagesbild.domain.model import PUBLIC_VIEWER, SYSTEM
from lagesbild.geo.region import Region
from lagesbild.ingest.writer import write_records
from lagesbild.services.results import write_output
from lagesbild.store.engine import StoreSettings
from lagesbild.store.lifecycle import init_store
from tests.services import asked as analyse
from tests.services.surveys import write_survey

BIG = box(18.055, 59.329, 18.070, 59.336)
SMALL = box(18.058, 59.331, 18.064, 59.334)
CITY = box(17.9, 59.25, 18.2, 59.4)


def _crimes(rng, n, year, category="violent_crime", bounds=(18.052, 59.327, 18.073, 59.338)):
    lon = rng.uniform(bounds[0], bounds[2], n)
    lat = rng.uniform(bounds[1], bounds[3], n)
    day = rng.integers(0, 365, n)
    return [
        {
            "id": f"{year}-{category}-{i}",
            "occurred_at": f"{year}-01-01 12:00",
            "category": category,
            "lat": float(lat[i]),
            "lon": float(lon[i]),
            "sensitivity": "shared",
            "reported_at": None,
            "offence_code": None,
            "_day": int(day[i]),
        }
        for i in range(n)
    ]


@pytest.fixture
def scene(store):
    rng = np.random.default_rng(7)
    write_records(
        store,
        "places",
        [
            (
                1,
                {
                    "name": "Scen",
                    "kind": "scene",
                    "round": 2022,
                    "status": "listed",
                    "sensitivity": "public",
                },
                BIG,
            ),
            (
                2,
                {
                    "name": "Scen",
                    "kind": "scene",
                    "round": 2023,
                    "status": "listed",
                    "sensitivity": "public",
                },
                SMALL,
            ),
            (3, {"name": "Staden", "kind": "city", "sensitivity": "public"}, CITY),
        ],
    )
    recs = (
        _crimes(rng, 300, 2022) + _crimes(rng, 260, 2023) + _crimes(rng, 80, 2023, "drug_offence")
    )
    for r in recs:
        r.pop("_day")
    s = write_records(store, "crimes", [(i, r, None) for i, r in enumerate(recs)])
    assert s.stored == len(recs)
    return store, recs


def _inside(recs, poly, year, category="violent_crime"):
    return sum(
        1
        for r in recs
        if r["category"] == category
        and r["occurred_at"].startswith(str(year))
        and poly.contains(Point(r["lon"], r["lat"]))
    )


def test_indicators_match_shapely_counts_and_statsmodels(scene):
    from scipy.stats import binomtest
    from statsmodels.stats.rates import test_poisson_2indep

    store, recs = scene
    out = analyse.indicators(store, SYSTEM, "Scen", "2022", "2023", "violent_crime")
    rows = {r["scope"]: r for r in out.rows}
    per_round = rows["extent of each period's round (2022 vs 2023)"]
    a, b = _inside(recs, BIG, 2022), _inside(recs, SMALL, 2023)
    assert (per_round["count_a"], per_round["count_b"]) == (a, b)
    ha_a, ha_b = store.projector.area_ha(BIG), store.projector.area_ha(SMALL)
    assert per_round["per_ha_b"] == pytest.approx(b / ha_b)
    exp_a, exp_b = ha_a * 365, ha_b * 365
    # exact conditional interval: b given a+b is binomial; its Clopper-Pearson interval mapped
    # to the rate ratio (closed form, computed by scipy)
    pi = binomtest(b, a + b).proportion_ci(0.95, method="exact")
    ci = tuple(q / (1 - q) * exp_a / exp_b for q in (pi.low, pi.high))
    p = test_poisson_2indep(b, exp_b, a, exp_a, method="exact-cond", compare="ratio").pvalue
    assert per_round["rate_ratio"] == pytest.approx((b / exp_b) / (a / exp_a))
    assert (per_round["ci_low"], per_round["ci_high"]) == pytest.approx(ci, rel=1e-6)
    assert per_round["p_value"] == pytest.approx(p, rel=1e-6)
    city = rows["city: Staden"]
    assert city["count_a"] == sum(1 for r in recs if r["occurred_at"].startswith("2022"))


def test_drug_offences_carry_the_enforcement_caveat(scene):
    store, _ = scene
    out = analyse.indicators(store, SYSTEM, "Scen", "2022", "2023", "drug-related")
    assert any("police activity" in n for n in out.notes)
    assert any("No police presence is recorded" in n for n in out.notes)
    assert out.summary["police_presence_hours_a"] is None


def test_the_public_counts_nothing_it_may_not_see(scene):
    store, _ = scene
    out = analyse.indicators(store, PUBLIC_VIEWER, "Scen", "2022", "2023", "violent_crime")
    assert all(r["count_a"] == 0 and r["count_b"] == 0 for r in out.rows)


def test_hotspots_gistar_grid_and_z_against_esda(scene, tmp_path):
    from esda.getisord import G_Local
    from libpysal.weights import lat2W

    store, recs = scene
    out = analyse.hotspots(store, SYSTEM, "Scen", "2022-01-01", "2023-12-31", cell=100)
    path = write_output(out, tmp_path / "h.geojson")
    fc = json.loads(path.read_text())
    props = [f["properties"] for f in fc["features"]]
    assert {"x", "y", "count", "z", "p", "q", "class"} <= set(props[0])
    xs, ys = sorted({p["x"] for p in props}), sorted({p["y"] for p in props})
    assert all(((x - 50) / 100).is_integer() for x in xs)  # cells aligned to multiples of 100 m
    assert len(props) == len(xs) * len(ys)  # zero cells included
    # every stored point inside the grid is counted once (projected independently here)
    to_xy = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
    xy = np.array([to_xy.transform(r["lon"], r["lat"]) for r in recs])
    inside = (
        (xy[:, 0] >= xs[0] - 50)
        & (xy[:, 0] < xs[-1] + 50)
        & (xy[:, 1] >= ys[0] - 50)
        & (xy[:, 1] < ys[-1] + 50)
    )
    assert sum(p["count"] for p in props) == inside.sum() > 0
    counts = np.array(
        [[next(p["count"] for p in props if p["x"] == x and p["y"] == y) for x in xs] for y in ys]
    )
    z = np.array(
        [[next(p["z"] for p in props if p["x"] == x and p["y"] == y) for x in xs] for y in ys]
    )
    w = lat2W(len(ys), len(xs), rook=False)
    ref = G_Local(counts.ravel(), w, star=True, transform="B", permutations=0)
    np.testing.assert_allclose(z.ravel(), ref.Zs, atol=1e-6)
    # the cell polygon is in WGS84 around the centre
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    assert 18 < lon < 18.2 and 59.2 < lat < 59.5


def test_kde_density_equals_a_brute_force_sum(scene):
    store, recs = scene
    out = analyse.hotspots(
        store, SYSTEM, "Scen", "2023-01-01", "2023-12-31", cell=100, method="kde", bandwidth=150
    )
    to_xy = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
    pts = np.array(
        [to_xy.transform(r["lon"], r["lat"]) for r in recs if r["occurred_at"].startswith("2023")]
    )
    h = 150.0
    assert out.summary["points"] > 0
    for row in out.rows[::7]:  # every stored 2023 point within h of the centre counts
        d = np.hypot(pts[:, 0] - row["x"], pts[:, 1] - row["y"])
        dens = np.sum(3 / (math.pi * h * h) * (1 - (d[d < h] / h) ** 2) ** 2) * 10_000
        assert row["density"] == pytest.approx(dens, rel=1e-9, abs=1e-9)


def test_survey_wilson_against_statsmodels(store):
    from statsmodels.stats.proportion import proportion_confint

    write_records(store, "places", [(1, {"name": "Klara", "kind": "priority_place"}, BIG)])
    write_survey(
        store,
        [
            (2022, "Klara", 0.31, 420),
            (2022, "city", 0.074, 9000),
            (2023, "Klara", "25 %", 400),
            (2023, "city", 0.07, 9100),
        ],
    )
    out = analyse.survey(store, SYSTEM, "Klara", "narkotika")
    r23 = out.rows[1]
    lo, hi = proportion_confint(100, 400, method="wilson")
    assert (r23["share"], r23["ci_low"], r23["ci_high"]) == pytest.approx((0.25, lo, hi))
    assert r23["significant"] is True and r23["city_share"] == pytest.approx(0.07)


def test_hotspots_in_a_british_national_grid_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'london.sqlite'}"
    store = init_store(
        url,
        StoreSettings(
            crs="EPSG:27700", region=Region.parse("-1,51,1,52"), timezone="Europe/London"
        ),
    )
    rng = np.random.default_rng(3)
    x = rng.normal(530_000, 150, 400)  # around Trafalgar Square, in the file's own CRS
    y = rng.normal(180_400, 150, 400)
    s = write_records(
        store,
        "crimes",
        [
            (
                i,
                {
                    "id": str(i),
                    "occurred_at": "2023-03-01 20:00",
                    "category": "theft",
                    "x": x[i],
                    "y": y[i],
                },
                None,
            )
            for i in range(400)
        ],
        crs="EPSG:27700",
    )
    assert s.stored == 400
    out = analyse.hotspots(store, SYSTEM, None, "2023", "2023", cell=50)
    assert sum(r["count"] for r in out.rows) == 400
    assert all(
        ((r["x"] - 25) / 50).is_integer() and ((r["y"] - 25) / 50).is_integer() for r in out.rows
    )
    hot = [r for r in out.rows if r["class"].startswith("hot")]
    centre = min(hot, key=lambda r: math.hypot(r["x"] - 530_000, r["y"] - 180_400))
    assert math.hypot(centre["x"] - 530_000, centre["y"] - 180_400) < 100
    store.dispose()
