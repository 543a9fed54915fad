"""The demo scenario on both backends: idempotent loading and the seed report's patterns.

The store is loaded twice once per backend (module-scoped: a load takes seconds), and the
patterns are checked independently of the store's own computations: areas with pyproj's
geodesic `Geod`, counts with Shapely point-in-polygon on the generated records, camera sectors
built here in EPSG:3006.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import shapely
from argon2 import PasswordHasher
from pyproj import Geod, Transformer
from shapely.geometry import Polygon
from sqlalchemy import func, select

from lagesbild.demo import geography as geo
from lagesbild.demo.scenario import DEFAULT_SEED, Scenario, generate, load_demo
from lagesbild.domain.model import Role, parse_criteria
from lagesbild.ingest.writer import WriteSummary
from lagesbild.store.engine import Store
from lagesbild.store.lifecycle import init_store
from lagesbild.store.schema import (
    action_items,
    assignments,
    briefings,
    cameras,
    crimes,
    decisions,
    extents,
    goals,
    guard_areas,
    mapping_rounds,
    metadata,
    places,
    roster_entries,
    survey_results,
    users,
)

TZ = ZoneInfo("Europe/Stockholm")
GEOD = Geod(ellps="WGS84")
TO_3006 = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
COUNTED = [t for t in metadata.sorted_tables if t.name not in ("store_settings", "audit_log")]


@dataclass
class Loaded:
    store: Store
    first: list[WriteSummary]
    second: list[WriteSummary]
    counts_first: dict[str, int]
    counts_second: dict[str, int]
    hashes_first: dict[str, str]
    hashes_second: dict[str, str]


def _counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in COUNTED
        }


def _hashes(store: Store) -> dict[str, str]:
    with store.read() as conn:
        return dict(conn.execute(select(users.c.username, users.c.password_hash)).all())


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def loaded(request, tmp_path_factory):
    server = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'store.sqlite'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database()
    store = init_store(url)
    first = load_demo(store)
    counts_first, hashes_first = _counts(store), _hashes(store)
    second = load_demo(store)
    yield Loaded(store, first, second, counts_first, _counts(store), hashes_first, _hashes(store))
    store.dispose()
    if server is not None:
        server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate(DEFAULT_SEED)


def _geodesic_ha(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 10_000


def _extents(store: Store, place: str) -> dict[int, tuple[str, object, object]]:
    """{round year: (status, polygon, round id)} of a place."""
    with store.read() as conn:
        rows = conn.execute(
            select(mapping_rounds.c.year, extents.c.status, extents.c.geom, mapping_rounds.c.id)
            .join(mapping_rounds, mapping_rounds.c.id == extents.c.round_id)
            .join(places, places.c.id == extents.c.place_id)
            .where(places.c.name == place)
        ).all()
    return {year: (status, geom, rid) for year, status, geom, rid in rows}


def _year(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)


# ------------------------------------------------------------------ loading


def test_first_load_stores_everything_without_rejections(loaded):
    for s in loaded.first:
        assert s.rejected_count == 0, (s.layer, s.rejected[:3])
        assert s.stored == s.read > 0, s.as_dict()
    by_layer = {s.layer: s.read for s in loaded.first}
    assert 10_000 <= by_layer["crimes"] <= 20_000
    assert 5_000 <= by_layer["observations"] <= 10_000


def test_loading_twice_changes_nothing(loaded):
    for s in loaded.second:
        assert (s.stored, s.updated, s.rejected_count) == (0, 0, 0), s.as_dict()
        assert s.duplicates == s.read
    assert loaded.counts_second == loaded.counts_first
    assert loaded.hashes_second == loaded.hashes_first  # passwords are not re-hashed


def test_generation_is_deterministic(scenario):
    again = generate(DEFAULT_SEED)
    assert again.records("crimes") == scenario.records("crimes")
    assert again.records("observations") == scenario.records("observations")
    other = generate(DEFAULT_SEED + 1)
    assert other.records("crimes") != scenario.records("crimes")


# ------------------------------------------------------------------ places and extents


def test_klara_scene_extent_shrinks_between_rounds(loaded):
    ext = _extents(loaded.store, geo.SCENE)
    assert ext[2022][0] == ext[2023][0] == "listed"
    ha22, ha23 = _geodesic_ha(ext[2022][1]), _geodesic_ha(ext[2023][1])
    assert 12 < ha22 < 16 and 5 < ha23 < 8
    assert ha23 < 0.6 * ha22
    for _, geom, _ in ext.values():  # the store's projected area agrees with the geodesic one
        assert loaded.store.projector.area_ha(geom) == pytest.approx(_geodesic_ha(geom), rel=1e-3)
    with loaded.store.read() as conn:
        criteria = conn.execute(
            select(extents.c.criteria, extents.c.motivation, extents.c.assessed_at)
        ).all()
    # the checklist as codes, the assessors' own words as the motivation
    assert all(
        parse_criteria(codes) and text and assessed.month <= 3 for codes, text, assessed in criteria
    )
    every = "open_selling;open_use;recurring;stable_place;visible;insecurity"
    assert sorted(c for c, _, _ in criteria) == [every, every, every, "stable_place"]


def test_odenplan_is_delisted_in_2023_but_still_a_priority_place(loaded, scenario):
    ext = _extents(loaded.store, geo.ODENPLAN)
    assert ext[2022][0] == "listed" and ext[2023][0] == "delisted"
    with loaded.store.read() as conn:
        kinds = dict(conn.execute(select(places.c.name, places.c.kind)).all())
    assert kinds[geo.ODENPLAN] == "priority_place"
    assert kinds[geo.SCENE] == "scene" and kinds[geo.KLARA] == "priority_place"
    assert {"comparison_area", "district", "city"} <= set(kinds.values())
    drugs = _count_inside(scenario, geo.GEOGRAPHY.odenplan, "drug_offence")
    assert drugs[2023] < 0.6 * drugs[2022] and drugs[2024] < drugs[2023]


# ------------------------------------------------------------------ crimes


def _count_inside(scenario: Scenario, polygon, category: str) -> dict[int, int]:
    recs = [r for r in scenario.records("crimes") if r["category"] == category]
    lon = np.array([r["lon"] for r in recs])
    lat = np.array([r["lat"] for r in recs])
    years = np.array([r["occurred_at"].year for r in recs])
    inside = shapely.contains_xy(polygon, lon, lat)
    return {int(y): int((inside & (years == y)).sum()) for y in range(2019, 2025)}


def _assigned(store: Store, place: str, round_id: int, category: str, year: int) -> int:
    start, end = _year(year)
    with store.read() as conn:
        return conn.execute(
            select(func.count())
            .select_from(assignments)
            .join(crimes, crimes.c.id == assignments.c.record_id)
            .join(places, places.c.id == assignments.c.place_id)
            .where(
                assignments.c.layer == "crimes",
                places.c.name == place,
                assignments.c.round_id == round_id,
                crimes.c.category == category,
                crimes.c.occurred_at >= start,
                crimes.c.occurred_at < end,
            )
        ).scalar_one()


def test_scene_crimes_fall_but_violence_per_hectare_nearly_doubles(loaded, scenario):
    ext = _extents(loaded.store, geo.SCENE)
    counts: dict[tuple[str, int], int] = {}
    for year in (2022, 2023):
        _, polygon, round_id = ext[year]
        for cat in ("drug_offence", "violent_crime"):
            counts[cat, year] = _count_inside(scenario, polygon, cat)[year]
            # the store's assignments (STRtree at import) give the same counts
            assert _assigned(loaded.store, geo.SCENE, round_id, cat, year) == counts[cat, year]
    assert counts["drug_offence", 2023] < counts["drug_offence", 2022]
    assert counts["violent_crime", 2023] < counts["violent_crime", 2022]
    per_ha = {y: counts["violent_crime", y] / _geodesic_ha(ext[y][1]) for y in (2022, 2023)}
    assert 1.6 <= per_ha[2023] / per_ha[2022] <= 2.1


def test_crimes_concentrate_at_sergels_torg(scenario):
    recs = scenario.records("crimes")
    lon = np.array([r["lon"] for r in recs])
    lat = np.array([r["lat"] for r in recs])
    density = {}
    for name, poly in (
        ("torg", geo.GEOGRAPHY.sergels_torg),
        ("klara", geo.GEOGRAPHY.klara),
        ("district", geo.GEOGRAPHY.district),
        ("city", geo.GEOGRAPHY.city),
    ):
        density[name] = shapely.contains_xy(poly, lon, lat).sum() / _geodesic_ha(poly)
    assert density["torg"] > 2 * density["klara"] > 4 * density["district"]
    assert density["district"] > density["city"]
    assert any(r["sensitivity"] == "restricted" for r in recs)
    assert all(r["offence_code"] for r in recs)


# ------------------------------------------------------------------ cameras and guards


def _sector(x: float, y: float, bearing: float, angle: float, reach: float) -> Polygon:
    phis = np.radians(np.linspace(bearing - angle / 2, bearing + angle / 2, 91))
    return Polygon([(x, y), *zip(x + reach * np.sin(phis), y + reach * np.cos(phis), strict=True)])


def _to_3006(geom):
    return shapely.transform(geom, lambda c: np.column_stack(TO_3006.transform(c[:, 0], c[:, 1])))


def test_police_cameras_cover_most_of_sergels_torg(loaded):
    with loaded.store.read() as conn:
        cams = conn.execute(select(cameras).where(cameras.c.operator == "Polisen")).mappings().all()
        torg = conn.execute(
            select(places.c.geom).where(places.c.name == geo.SERGELS_TORG)
        ).scalar_one()
    assert len(cams) >= 4
    assert all(c["active_from"].year == 2019 for c in cams)
    assert all(c["legal_basis"] == "Kamerabevakningslagen (2018:1200)" for c in cams)
    sectors = []
    for c in cams:
        x, y = TO_3006.transform(c["geom"].x, c["geom"].y)
        sectors.append(_sector(x, y, c["bearing"], c["angle"], c["range_m"]))
    square = _to_3006(torg)
    share = shapely.union_all(sectors).intersection(square).area / square.area
    assert share > 0.5


def test_guards_are_authorised_in_most_of_klara(loaded):
    with loaded.store.read() as conn:
        areas = (
            conn.execute(
                select(guard_areas.c.geom).where(
                    guard_areas.c.valid_to.is_(None), guard_areas.c.name.like("%Klara%")
                )
            )
            .scalars()
            .all()
        )
    klara = _to_3006(geo.GEOGRAPHY.klara)
    covered = shapely.union_all([_to_3006(a) for a in areas]).intersection(klara).area
    assert covered / klara.area > 0.5


# ------------------------------------------------------------------ context and meetings


def test_survey_klara_and_sergels_torg_above_city_and_falling(loaded):
    with loaded.store.read() as conn:
        rows = conn.execute(
            select(survey_results.c.area, survey_results.c.year, survey_results.c.share)
        ).all()
    share = {(a, y): s for a, y, s in rows}
    years = sorted({y for _, y in share})
    assert years[0] <= 2017 and years[-1] >= 2023
    for area in (geo.KLARA, geo.SERGELS_TORG):
        assert all(share[area, y] > 2 * share["city", y] for y in years)
        assert share[area, 2023] < share[area, 2021]


def test_observations_are_mostly_evening_with_restricted_youth_reports(scenario):
    obs = scenario.records("observations")
    evening = sum(1 for r in obs if r["occurred_at"].hour >= 17 or r["occurred_at"].hour < 1)
    assert evening > 0.5 * len(obs)
    restricted = [r for r in obs if r["sensitivity"] == "restricted"]
    assert restricted and {r["category"] for r in restricted} == {"vulnerable_youth"}
    assert len({r["organisation"] for r in obs}) >= 8


def test_briefings_twice_a_week_with_police_on_the_roster(loaded):
    with loaded.store.read() as conn:
        times = conn.execute(select(briefings.c.id, briefings.c.at)).all()
        police = (
            conn.execute(
                select(roster_entries.c.briefing_id).where(
                    roster_entries.c.briefing_id.is_not(None), roster_entries.c.role.like("Yttre%")
                )
            )
            .scalars()
            .all()
        )
        statuses = set(conn.execute(select(action_items.c.status)).scalars())
        n_decisions = conn.execute(select(func.count()).select_from(decisions)).scalar_one()
        titles = set(conn.execute(select(goals.c.title)).scalars())
    local = [at.astimezone(TZ) for _, at in times]
    assert len(local) >= 10
    assert {t.weekday() for t in local} == {1, 3} and {t.hour for t in local} == {18}
    assert set(police) == {bid for bid, _ in times}
    assert {"open", "done"} <= statuses and n_decisions > 0
    assert "Våldsbrotten i Klara ska minska med 20 % från 2022" in titles
    assert "Klara ska inte längre vara en öppen drogscen" in titles


def test_each_role_has_a_user_with_the_demo_password(loaded):
    with loaded.store.read() as conn:
        rows = conn.execute(select(users.c.username, users.c.role, users.c.password_hash)).all()
    assert {role for _, role, _ in rows} == {r.value for r in Role}
    hasher = PasswordHasher()
    assert all(hasher.verify(h, "demo") for _, _, h in rows)
