"""Context layers of the demo scenario: place measurements, summer place activation on Sergels
torg and the city's safety survey (trygghetsmätning).

Survey shares follow the seed's chart: the share who say drug dealing affects the area to a
great extent is far above the city average at Sergels torg and in Klara, and falls from 2021.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from lagesbild.demo.geography import (
    DISTRICT_ORG,
    KLARA,
    SCENE,
    SERGELS_TORG,
    SERGELS_TORG_POINT,
    Triple,
)
from lagesbild.demo.sampling import TZ

# ------------------------------------------------------------------ measurements


def _month_starts(first_year: int, last_year: int) -> list[date]:
    return [date(y, m, 1) for y in range(first_year, last_year + 1) for m in range(1, 13)]


def _summer(month: int) -> float:
    """1 in July, 0 in January: a smooth seasonal curve."""
    return 0.5 - 0.5 * math.cos(2 * math.pi * (month - 1) / 12)


def measurement_records(rng: np.random.Generator) -> list[Triple]:
    rows: list[dict[str, Any]] = []
    # Syringes collected per month in the scene by the traffic office's cleaning (falling).
    for d in _month_starts(2019, 2024):
        trend = {2019: 310, 2020: 300, 2021: 270, 2022: 240, 2023: 170, 2024: 140}[d.year]
        rows.append(
            {
                "id": f"demo-matning-sprutor-{d:%Y-%m}",
                "place": SCENE,
                "measured_at": datetime(d.year, d.month, 1, tzinfo=TZ),
                "metric": "syringes_collected",
                "value": float(rng.poisson(trend * (0.8 + 0.4 * _summer(d.month)))),
                "unit": "st",
                "method": "Sprutinsamling vid städning, summa per månad",
                "organisation": "tk",
            }
        )
    # Footfall on Plattan: average people per day and month, from a counting sensor.
    for d in _month_starts(2021, 2024):
        level = {2021: 38000, 2022: 44000, 2023: 47000, 2024: 48000}[d.year]
        value = level * (0.8 + 0.35 * _summer(d.month)) * rng.normal(1.0, 0.03)
        rows.append(
            {
                "id": f"demo-matning-flode-{d:%Y-%m}",
                "place": SERGELS_TORG,
                "measured_at": datetime(d.year, d.month, 1, tzinfo=TZ),
                "metric": "footfall",
                "value": float(round(value, -2)),
                "unit": "personer/dygn",
                "method": "Automatisk räknare på Plattan, medel per dygn",
                "organisation": "cis",
                "sensitivity": "public",
            }
        )
    # Broken lights reported in Klara per month.
    for d in _month_starts(2021, 2024):
        rows.append(
            {
                "id": f"demo-matning-belysning-{d:%Y-%m}",
                "place": KLARA,
                "measured_at": datetime(d.year, d.month, 1, tzinfo=TZ),
                "metric": "broken_lights",
                "value": float(rng.poisson(9 - 4 * _summer(d.month))),
                "unit": "st",
                "method": "Felanmälningar, summa per månad",
                "organisation": "tk",
            }
        )
    rows += _place_observations(rng)
    return [(i, rec, None) for i, rec in enumerate(rows, start=1)]


def _place_observations(rng: np.random.Generator) -> list[dict[str, Any]]:
    """Systematic place observations on Sergels torg (the SLU Movium study, summers 2022-23):
    people present by group, Wednesdays and Saturdays at 15 and 20."""
    rows = []
    for year in (2022, 2023):
        day = date(year, 6, 1)
        while day <= date(year, 8, 31):
            if day.weekday() in (2, 5):
                for hour in (15, 20):
                    when = datetime(day.year, day.month, day.day, hour, tzinfo=TZ)
                    total = rng.poisson(260 if hour == 15 else 190)
                    # More girls stay on the square when the park and stage are there (2023).
                    girls = rng.poisson((9 if year == 2023 else 5) * (1.3 if hour == 15 else 1))
                    for group, value in (("all", total), ("girls_13_18", girls)):
                        rows.append(
                            {
                                "id": f"demo-platsobs-{when:%Y%m%d%H}-{group}",
                                "place": SERGELS_TORG,
                                "measured_at": when,
                                "metric": "people_observed",
                                "group": group,
                                "value": float(value),
                                "unit": "personer",
                                "method": "Systematisk platsobservation (SLU Movium), 30 min",
                                "organisation": DISTRICT_ORG,
                            }
                        )
            day += timedelta(days=1)
    return rows


# ------------------------------------------------------------------ place activation

_STAGE = ("dans", "cirkus", "musik", "poesi", "teater", "open mic", "barnföreställning")


def activation_event_records(rng: np.random.Generator) -> list[Triple]:
    """A temporary park every summer from the 2019 pilot, the stage from summer 2022, art and
    clean-up days."""
    lon0, lat0 = SERGELS_TORG_POINT
    rows: list[dict[str, Any]] = []

    def add(key: str, title: str, kind: str, start: datetime, end: datetime, org: str) -> None:
        rows.append(
            {
                "id": f"demo-aktivering-{key}",
                "title": title,
                "kind": kind,
                "starts_at": start,
                "ends_at": end,
                "place": SERGELS_TORG,
                "lat": round(lat0 + rng.uniform(-0.0003, 0.0003), 6),
                "lon": round(lon0 + rng.uniform(-0.0008, 0.0008), 6),
                "organisation": org,
                "sensitivity": "public",
            }
        )

    for year in range(2019, 2025):
        title = (
            "Pilot: sommarpark på Plattan" if year == 2019 else "Tillfällig park på Sergels torg"
        )
        add(
            f"park-{year}",
            title,
            "temporary_park",
            datetime(year, 6, 1, 8, tzinfo=TZ),
            datetime(year, 8, 31, 22, tzinfo=TZ),
            DISTRICT_ORG,
        )
        if year >= 2021:
            add(
                f"konst-{year}",
                f"Konstinstallation på Plattan {year}",
                "art",
                datetime(year, 5, 15, 0, tzinfo=TZ),
                datetime(year, 9, 15, 23, tzinfo=TZ),
                DISTRICT_ORG,
            )
        for month, day in ((5, 10), (9, 20)):
            add(
                f"stad-{year}-{month}",
                "Gemensam städdag med fastighetsägarna",
                "cleanup",
                datetime(year, month, day, 9, tzinfo=TZ),
                datetime(year, month, day, 15, tzinfo=TZ),
                "cis",
            )
        if year < 2022:
            continue
        day = date(year, 6, 16)
        while day <= date(year, 8, 20):  # the stage: Thursday to Saturday evenings
            if day.weekday() in (3, 4, 5):
                genre = _STAGE[int(rng.integers(len(_STAGE)))]
                start = datetime(day.year, day.month, day.day, 18, tzinfo=TZ)
                add(
                    f"scen-{day:%Y%m%d}",
                    f"Scenkonst på Plattan: {genre}",
                    "performing_arts",
                    start,
                    start + timedelta(hours=2),
                    "kuls",
                )
            day += timedelta(days=1)
    return [(i, rec, None) for i, rec in enumerate(rows, start=1)]


# ------------------------------------------------------------------ safety survey

SURVEY = "Stockholms stads trygghetsmätning"
QUESTION = "Andel som anser att narkotikahandel påverkar området i stor utsträckning"
SURVEY_YEARS = tuple(range(2017, 2024))
SURVEY_SHARES: dict[str, tuple[float, ...]] = {
    SERGELS_TORG: (0.52, 0.55, 0.54, 0.50, 0.47, 0.41, 0.33),
    KLARA: (0.38, 0.41, 0.40, 0.37, 0.35, 0.31, 0.25),
    "city": (0.072, 0.074, 0.077, 0.075, 0.078, 0.074, 0.070),
}
SURVEY_N = {SERGELS_TORG: 310, KLARA: 420, "city": 24500}


def wilson(share: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a share from `n` respondents (95 % by default)."""
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def survey_records() -> list[Triple]:
    rows = []
    for area, shares in SURVEY_SHARES.items():
        for year, share in zip(SURVEY_YEARS, shares, strict=True):
            n = SURVEY_N[area] + 7 * (year - 2017)
            low, high = wilson(share, n)
            rows.append(
                {
                    "id": f"demo-enkat-{year}-{area.lower().replace(' ', '-')}",
                    "survey": SURVEY,
                    "year": year,
                    "area": area,
                    "question": QUESTION,
                    "share": share,
                    "n": n,
                    "ci_low": round(low, 4),
                    "ci_high": round(high, 4),
                    "organisation": DISTRICT_ORG,
                    "sensitivity": "public",
                }
            )
    return [(i, rec, None) for i, rec in enumerate(rows, start=1)]
