"""Reported crimes and field observations of the demo scenario, 2019-2024.

Crimes are drawn with *exact* counts per zone, category and year (`CRIME_COUNTS`), so that the
seed's pattern holds for every seed: in the Klara scene, drug offences and violent crimes inside
each round's extent fall from 2022 to 2023, while violent crimes per hectare rise about 1.85
times because the extent shrank from about 14.1 to 6.6 ha (268 violent crimes in 14.1 ha, then
232 in 6.6 ha). Drug offences at Odenplan/Observatorielunden fall after 2022 (it was delisted).

Offence codes are illustrative, in the style of the police's *brottskoder*; they are not the
official list. Sexual offences are `restricted` to the police.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString

from lagesbild.demo.geography import (
    GEOGRAPHY,
    ODENPLAN_POINT,
    SERGELS_TORG_POINT,
    STREETS,
    Triple,
)
from lagesbild.demo.sampling import PROJ, Hotspot, pick, sample_points, sample_times

YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
CATEGORIES = (
    "drug_offence",
    "violent_crime",
    "theft",
    "vandalism",
    "public_order",
    "weapons_offence",
    "other",
)

# zone -> category -> counts for YEARS (drug, violent, theft, vandalism, order, weapons, other).
# core = the 2023 extent; ring = the rest of the 2022 extent. See the module docstring.
CRIME_COUNTS: dict[str, dict[str, tuple[int, ...]]] = {
    "core": {
        "drug_offence": (470, 455, 440, 450, 430, 380),
        "violent_crime": (185, 170, 190, 200, 232, 215),
        "theft": (80, 55, 65, 75, 70, 68),
        "vandalism": (20, 16, 18, 20, 18, 17),
        "public_order": (38, 28, 33, 36, 32, 30),
        "weapons_offence": (10, 8, 11, 12, 10, 9),
        "other": (22, 20, 21, 22, 21, 20),
    },
    "ring": {
        "drug_offence": (250, 235, 210, 170, 60, 45),
        "violent_crime": (110, 95, 88, 68, 26, 24),
        "theft": (70, 48, 56, 60, 55, 52),
        "vandalism": (16, 13, 14, 15, 12, 11),
        "public_order": (16, 13, 14, 12, 9, 8),
        "weapons_offence": (5, 4, 5, 5, 3, 3),
        "other": (16, 14, 15, 16, 13, 12),
    },
    "klara_rest": {
        "drug_offence": (95, 90, 86, 82, 70, 62),
        "violent_crime": (80, 70, 75, 72, 70, 66),
        "theft": (120, 80, 100, 108, 104, 102),
        "vandalism": (28, 24, 26, 24, 23, 22),
        "public_order": (12, 10, 11, 11, 10, 10),
        "weapons_offence": (3, 2, 3, 3, 2, 2),
        "other": (30, 27, 28, 30, 28, 27),
    },
    "odenplan": {
        "drug_offence": (140, 150, 130, 110, 55, 40),
        "violent_crime": (45, 42, 44, 40, 34, 30),
        "theft": (45, 36, 40, 43, 41, 40),
        "vandalism": (12, 10, 10, 10, 9, 9),
        "public_order": (6, 5, 6, 5, 4, 4),
        "weapons_offence": (2, 2, 2, 2, 1, 1),
        "other": (12, 10, 11, 11, 10, 10),
    },
    "comparison": {
        "drug_offence": (120, 124, 128, 126, 122, 120),
        "violent_crime": (70, 62, 66, 68, 69, 66),
        "theft": (45, 34, 39, 42, 41, 40),
        "vandalism": (12, 12, 12, 11, 11, 11),
        "public_order": (6, 6, 6, 6, 6, 6),
        "weapons_offence": (2, 2, 3, 3, 2, 2),
        "other": (10, 10, 10, 10, 10, 10),
    },
}
# The background of the district and the city: a base per year, times a common trend.
_BACKGROUND_BASE = {
    "district_rest": {
        "drug_offence": 110,
        "violent_crime": 140,
        "theft": 200,
        "vandalism": 60,
        "public_order": 20,
        "weapons_offence": 6,
        "other": 45,
    },
    "city_rest": {
        "drug_offence": 100,
        "violent_crime": 150,
        "theft": 170,
        "vandalism": 60,
        "public_order": 20,
        "weapons_offence": 12,
        "other": 45,
    },
}
_BACKGROUND_TREND = (1.00, 0.86, 0.93, 0.96, 0.94, 0.92)
for _zone, _base in _BACKGROUND_BASE.items():
    CRIME_COUNTS[_zone] = {
        cat: tuple(round(v * f) for f in _BACKGROUND_TREND) for cat, v in _base.items()
    }

# Hot spots per zone: (lon, lat, sigma m, weight); the rest is spread uniformly.
_SERGEL = (*SERGELS_TORG_POINT, 45.0, 2.0)
_HOTSPOTS: dict[str, tuple[tuple[Hotspot, ...], float]] = {
    "core": ((_SERGEL, (18.0646, 59.3342, 30.0, 0.6)), 1.0),  # Plattan; top of Sergelgatan
    "ring": (((*SERGELS_TORG_POINT, 160.0, 1.0),), 1.0),
    "klara_rest": (((18.0595, 59.3308, 80.0, 1.0), (18.0635, 59.3357, 60.0, 0.7)), 1.0),
    "odenplan": (((*ODENPLAN_POINT, 60.0, 1.2), (18.0545, 59.3415, 70.0, 1.0)), 0.6),
    "comparison": (((18.0735, 59.3142, 60.0, 1.0),), 1.0),
    "district_rest": (
        (
            (18.0740, 59.3355, 150.0, 1.0),
            (18.0780, 59.3348, 120.0, 0.6),
            (18.0370, 59.3396, 150.0, 0.5),
            (18.0910, 59.3385, 150.0, 0.4),
            (18.0585, 59.3405, 120.0, 0.5),
        ),
        1.5,
    ),
    "city_rest": (
        (
            (18.0720, 59.3195, 250.0, 1.0),
            (18.0290, 59.3325, 250.0, 0.8),
            (17.9280, 59.3880, 400.0, 0.8),
            (17.9070, 59.2770, 400.0, 0.7),
            (18.0930, 59.2435, 400.0, 0.6),
            (18.0810, 59.2990, 250.0, 0.5),
            (18.0230, 59.3105, 250.0, 0.5),
            (17.9010, 59.3945, 400.0, 0.5),
        ),
        2.0,
    ),
}

# category -> ((code, weight, restricted), ...) and hour profile
_OFFENCES: dict[str, tuple[tuple[tuple[str, float, bool], ...], str]] = {
    "drug_offence": (
        (("5010", 5, False), ("5011", 3, False), ("5012", 2, False), ("5013", 0.3, False)),
        "evening",
    ),
    "violent_crime": (
        (
            ("0375", 4, False),
            ("0376", 2, False),
            ("9801", 1.5, False),
            ("0401", 2, False),
            ("0670", 0.6, True),
        ),
        "night",
    ),
    "theft": ((("0850", 3, False), ("0803", 4, False), ("0898", 1, False)), "day"),
    "vandalism": ((("1203", 3, False), ("1205", 1, False)), "night"),
    "public_order": ((("4001", 2, False), ("4002", 1, False)), "night"),
    "weapons_offence": ((("2301", 1, False), ("2302", 2, False)), "night"),
    "other": ((("9901", 1, False), ("9902", 1, False)), "day"),
}


class _PlaceText:
    """The nearest street (within 120 m), or the square or park the point lies in."""

    def __init__(self) -> None:
        self.names = list(STREETS)
        self.lines = [PROJ.to_projected(LineString(c)) for c in STREETS.values()]
        self.tree = shapely.STRtree(self.lines)
        self.areas = [
            ("Sergels torg", GEOGRAPHY.sergels_torg),
            ("Observatorielunden", GEOGRAPHY.odenplan),
            ("Medborgarplatsen", GEOGRAPHY.comparison),
        ]

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
        x, y = PROJ.lonlat_to_xy(lon, lat)
        pts = shapely.points(x, y)
        idx, dist = self.tree.query_nearest(
            pts, max_distance=120.0, return_distance=True, all_matches=False
        )
        out: list[str | None] = [None] * len(lon)
        for i, j in zip(idx[0], idx[1], strict=True):
            out[i] = self.names[j]
        for name, area in self.areas:
            for i in np.flatnonzero(shapely.contains_xy(area, lon, lat)):
                out[i] = name
        return out


def crime_records(rng: np.random.Generator) -> list[Triple]:
    """All crimes, ordered by time and numbered `demo-brott-000001` ..."""
    place_text = _PlaceText()
    rows: list[dict[str, Any]] = []
    for zone, by_cat in CRIME_COUNTS.items():
        hotspots, uniform = _HOTSPOTS[zone]
        for cat, counts in by_cat.items():
            codes, hours = _OFFENCES[cat]
            for year, n in zip(YEARS, counts, strict=True):
                lon, lat = sample_points(rng, GEOGRAPHY.zones[zone], n, hotspots, uniform)
                times = sample_times(rng, year, n, hours)
                texts = place_text(lon, lat)
                for k in range(n):
                    code, _, restricted = pick(rng, codes, [c[1] for c in codes])
                    delay = 0 if cat == "drug_offence" else int(rng.exponential(18 * 60))
                    rows.append(
                        {
                            "occurred_at": times[k],
                            "reported_at": times[k] + timedelta(minutes=delay),
                            "category": cat,
                            "offence_code": code,
                            "lat": float(lat[k]),
                            "lon": float(lon[k]),
                            "place_text": texts[k],
                            "organisation": "polis",
                            "sensitivity": "restricted" if restricted else "shared",
                        }
                    )
    rows.sort(key=lambda r: (r["occurred_at"], r["lon"], r["lat"]))
    return [(i, {"id": f"demo-brott-{i:06d}", **rec}, None) for i, rec in enumerate(rows, 1)]


# ------------------------------------------------------------------ field observations

OBS_YEARS = (2021, 2022, 2023, 2024)
OBS_CATEGORIES = (
    "drug_sale",
    "drug_use",
    "drug_litter",
    "violence",
    "threat",
    "disorder",
    "vulnerable_youth",
    "gathering",
    "litter",
    "lighting",
    "damage",
    "other",
)
# organisation -> (reports per year, first year, category weights in OBS_CATEGORIES order)
OBSERVERS: dict[str, tuple[int, int, tuple[float, ...]]] = {
    "mov": (520, 2021, (25, 20, 10, 6, 6, 15, 5, 8, 3, 1, 1, 0)),
    "ujour": (190, 2021, (8, 8, 2, 4, 5, 5, 45, 20, 0, 0, 0, 3)),
    "uppsok": (190, 2021, (15, 30, 10, 3, 4, 8, 20, 8, 0, 0, 0, 2)),
    "kuls": (150, 2022, (15, 15, 5, 8, 8, 20, 10, 15, 2, 0, 2, 0)),  # guards since summer 2022
    "sl": (280, 2021, (25, 20, 8, 8, 8, 18, 4, 8, 0, 0, 1, 0)),
    "jernhusen": (95, 2021, (20, 20, 10, 5, 5, 20, 3, 10, 4, 1, 2, 0)),
    "mtr": (75, 2021, (20, 25, 10, 5, 8, 20, 2, 8, 0, 0, 2, 0)),
    "polis": (95, 2021, (40, 20, 0, 15, 10, 10, 5, 0, 0, 0, 0, 0)),
    "tk": (80, 2021, (0, 0, 25, 0, 0, 0, 0, 0, 35, 25, 15, 0)),
    "cis": (60, 2021, (10, 10, 5, 3, 5, 20, 3, 15, 20, 4, 5, 0)),
}
_PEOPLE = {
    "drug_sale": (1, 4),
    "drug_use": (1, 3),
    "violence": (2, 5),
    "threat": (1, 3),
    "disorder": (1, 6),
    "vulnerable_youth": (1, 6),
    "gathering": (4, 20),
}
_TEXTS = {
    "drug_sale": (
        "Misstänkt försäljning {at}.",
        "Langning observerad {at}, flera köpare.",
        "Försäljning pågår {at}, personer byter plats när vakter närmar sig.",
    ),
    "drug_use": (
        "Öppet bruk {at}.",
        "Personer röker cannabis {at}.",
        "Injektionsbruk observerat {at}, kontakt med Uppsökarteamet.",
    ),
    "drug_litter": (
        "Sprutor och folieremsor {at}.",
        "Kanyler i rabatten {at}, anmält för sanering.",
        "Narkotikaskräp {at}.",
    ),
    "violence": (
        "Slagsmål {at}, polis tillkallad.",
        "Misshandel {at}, ambulans på plats.",
        "Bråk mellan två grupper {at}.",
    ),
    "threat": (
        "Hot mot ordningsvakt {at}.",
        "Trakasserier av förbipasserande {at}.",
        "Kvinna trakasserad {at}, följd till säker plats.",
    ),
    "disorder": (
        "Berusade personer stör {at}.",
        "Högljudd grupp {at}.",
        "Ordningsstörning {at}, avvisning.",
    ),
    "vulnerable_youth": (
        "Unga i riskmiljö {at}, samtal genomfört.",
        "Flickor 13-15 år i kontakt med äldre män {at}.",
        "Ungdomar utan vuxen sent {at}, kontakt med vårdnadshavare.",
    ),
    "gathering": (
        "Gruppering {at}.",
        "Större grupp unga samlas {at}.",
        "Grupp vuxna med missbruk samlas {at}.",
    ),
    "litter": ("Nedskräpning {at}.", "Överfulla papperskorgar {at}."),
    "lighting": ("Trasig belysning {at}.", "Släckt armatur {at}, felanmält."),
    "damage": ("Klotter {at}.", "Krossad glasruta {at}."),
    "other": ("Övrig iakttagelse {at}.",),
}
_SCENE_SPOTS = (
    "på Plattan",
    "i trappan mot T-Centralen",
    "vid Kulturhusets entré",
    "på Sergelgatan",
    "vid glasobelisken",
    "vid Drottninggatan",
)
_SCENE_CATEGORIES = {
    "drug_sale",
    "drug_use",
    "drug_litter",
    "violence",
    "threat",
    "disorder",
    "vulnerable_youth",
    "gathering",
}


def _obs_zone(rng: np.random.Generator, category: str, year: int) -> str:
    """Where a report of this kind lands: scene categories follow that year's extent."""
    scene = "scene_2022" if year <= 2022 else "core"
    if category in _SCENE_CATEGORIES:
        oden = 0.13 if year <= 2022 else 0.05
        return pick(
            rng, (scene, "klara_rest", "odenplan", "district_rest"), (0.70, 0.12, oden, 0.18 - oden)
        )
    return pick(rng, (scene, "klara_rest", "odenplan", "district_rest"), (0.35, 0.40, 0.10, 0.15))


def _zone_geometry(zone: str) -> tuple[object, tuple[Hotspot, ...], float]:
    if zone == "scene_2022":
        return GEOGRAPHY.scene_2022, (_SERGEL,), 1.0
    spots, uniform = _HOTSPOTS[zone]
    return GEOGRAPHY.zones[zone], spots, uniform


def _at(rng: np.random.Generator, zone: str) -> str:
    if zone in ("core", "scene_2022"):
        return pick(rng, _SCENE_SPOTS)
    if zone == "odenplan":
        return pick(rng, ("i Observatorielunden", "vid Odenplans uppgång", "vid Stadsbiblioteket"))
    return pick(rng, ("i området", "vid tunnelbaneuppgången", "i en port", "vid busshållplatsen"))


def observation_records(rng: np.random.Generator) -> list[Triple]:
    """Reports from the seed's organisations 2021-2024, mostly in the evening."""
    rows: list[dict[str, Any]] = []
    zones: list[str] = []
    for org, (per_year, first, weights) in OBSERVERS.items():
        for year in OBS_YEARS:
            if year < first:
                continue
            months = range(6, 13) if year == first == 2022 else None
            n = int(rng.poisson(per_year if months is None else per_year * 0.6))
            for when in sample_times(rng, year, n, "evening", months):
                cat = pick(rng, OBS_CATEGORIES, weights)
                zone = _obs_zone(rng, cat, year)
                people = _PEOPLE.get(cat)
                restricted = cat == "vulnerable_youth" and org in ("ujour", "uppsok")
                zones.append(zone)
                rows.append(
                    {
                        "occurred_at": when,
                        "category": cat,
                        "count": int(rng.integers(people[0], people[1] + 1)) if people else None,
                        "text": pick(rng, _TEXTS[cat]).format(at=_at(rng, zone)),
                        "organisation": org,
                        "sensitivity": "restricted" if restricted else "shared",
                    }
                )
    zone_arr = np.asarray(zones)
    for zone in sorted(set(zones)):  # one vectorised draw per zone
        idx = np.flatnonzero(zone_arr == zone)
        geom, spots, uniform = _zone_geometry(zone)
        lon, lat = sample_points(rng, geom, len(idx), spots, uniform)
        for i, x, y in zip(idx, lon, lat, strict=True):
            rows[i]["lat"], rows[i]["lon"] = float(y), float(x)
    rows.sort(key=lambda r: (r["occurred_at"], r["lon"], r["lat"], r["organisation"]))
    return [(i, {"id": f"demo-obs-{i:06d}", **rec}, None) for i, rec in enumerate(rows, 1)]
