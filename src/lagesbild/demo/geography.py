"""The demo scenario's geography: organisations, places and extents, streets, cameras and the
guard-designated area of Norra innerstaden, Stockholm, as canonical records.

Coordinates are WGS84 (lon, lat), drawn by hand along the real streets, rounded to 1e-4 degrees
(about 6 by 11 metres): plausible, not surveyed. The Klara scene's 2022 extent (about 14 ha)
holds its 2023 extent (about 6.6 ha), which holds Sergels torg (about 1.8 ha).

Every function returns `(line, record, geometry)` triples for `ingest.writer.write_records`,
the same path a file import takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import shapely
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

Triple = tuple[int, dict[str, Any], BaseGeometry | None]
Coords = Sequence[tuple[float, float]]

SERGELS_TORG_POINT = (18.0649, 59.3326)
ODENPLAN_POINT = (18.0500, 59.3430)

# Names of the places (the `place` column of other layers refers to these).
CITY = "Stockholm"
DISTRICT = "Norra innerstaden"
KLARA = "Klara"
SCENE = "Sergels torg/Klara"
SERGELS_TORG = "Sergels torg"
ODENPLAN = "Odenplan/Observatorielunden"
COMPARISON = "Medborgarplatsen"

# ------------------------------------------------------------------ polygons (lon, lat)

SERGELS_TORG_COORDS: Coords = [
    (18.0636, 59.3322),
    (18.0663, 59.3321),
    (18.0667, 59.3326),
    (18.0663, 59.3331),
    (18.0637, 59.3331),
    (18.0633, 59.3327),
]
# Plattan, Sergelgatan up to Hötorget and the nearest blocks of Drottninggatan and Hamngatan.
SCENE_2022_COORDS: Coords = [
    (18.0615, 59.3315),
    (18.0650, 59.3313),
    (18.0680, 59.3316),
    (18.0686, 59.3325),
    (18.0679, 59.3338),
    (18.0658, 59.3351),
    (18.0633, 59.3352),
    (18.0618, 59.3339),
    (18.0611, 59.3325),
]
# The 2023 round: drawn in to Plattan and Sergelgatan.
SCENE_2023_COORDS: Coords = [
    (18.0630, 59.3318),
    (18.0667, 59.3318),
    (18.0674, 59.3325),
    (18.0666, 59.3335),
    (18.0655, 59.3348),
    (18.0639, 59.3348),
    (18.0629, 59.3335),
]
# Klaraområdet: Vasagatan to Malmskillnadsgatan, Tegelbacken/Strömgatan to north of Kungsgatan.
KLARA_COORDS: Coords = [
    (18.0581, 59.3303),
    (18.0695, 59.3302),
    (18.0717, 59.3322),
    (18.0699, 59.3367),
    (18.0604, 59.3381),
    (18.0568, 59.3340),
]
# The guards' area: Klara except its north-western blocks towards Kungsbron.
GUARD_AREA_COORDS: Coords = [
    (18.0584, 59.3304),
    (18.0694, 59.3303),
    (18.0715, 59.3322),
    (18.0698, 59.3364),
    (18.0628, 59.3372),
    (18.0588, 59.3341),
]
ODENPLAN_COORDS: Coords = [
    (18.0480, 59.3422),
    (18.0510, 59.3418),
    (18.0540, 59.3405),
    (18.0575, 59.3410),
    (18.0572, 59.3432),
    (18.0510, 59.3442),
    (18.0478, 59.3437),
]
ODENPLAN_EXTENT_COORDS: Coords = [
    (18.0490, 59.3425),
    (18.0535, 59.3410),
    (18.0565, 59.3414),
    (18.0562, 59.3430),
    (18.0505, 59.3438),
]
COMPARISON_COORDS: Coords = [
    (18.0705, 59.3130),
    (18.0770, 59.3130),
    (18.0775, 59.3155),
    (18.0710, 59.3158),
]
DISTRICT_COORDS: Coords = [
    (18.0300, 59.3420),
    (18.0380, 59.3510),
    (18.0580, 59.3570),
    (18.0950, 59.3540),
    (18.1150, 59.3440),
    (18.1050, 59.3330),
    (18.0850, 59.3290),
    (18.0680, 59.3270),
    (18.0550, 59.3285),
    (18.0420, 59.3320),
    (18.0330, 59.3360),
]
# Stockholms stad, roughly: Hässelby and Kista in the north-west to Farsta and Skarpnäck in the
# south-east (about 225 km2, water included).
CITY_COORDS: Coords = [
    (17.80, 59.36), (17.84, 59.39), (17.90, 59.425), (17.95, 59.42), (17.98, 59.39),
    (18.03, 59.365), (18.08, 59.36), (18.13, 59.35), (18.17, 59.33), (18.14, 59.30),
    (18.15, 59.26), (18.10, 59.235), (18.04, 59.24), (17.98, 59.26), (17.89, 59.27),
    (17.92, 59.30), (17.96, 59.32), (17.90, 59.34), (17.84, 59.345),
]  # fmt: skip

# ------------------------------------------------------------------ organisations

# The district administration (Norra innerstadens stadsdelsförvaltning) is the store's default
# organisation, made by `lagesbild init` (default name "Stadsdelsförvaltningen"); records without
# an organisation belong to it. The demo reuses it rather than adding a second district.
DISTRICT_ORG: str | None = None

# (code, name, kind, parent code)
ORGANISATIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("polis", "Polisen, lokalpolisområde Norrmalm", "police", None),
    ("sof", "Socialförvaltningen", "social_services", None),
    ("uppsok", "Socialförvaltningen, Uppsökarteamet", "social_services", "sof"),
    ("ujour", "Socialförvaltningen, Ungdomsjouren", "social_services", "sof"),
    ("tk", "Trafikkontoret", "city", None),
    ("slk", "Stadsledningskontoret, säkerhetsenheten", "city", None),
    ("mov", "Stadens mobila ordningsvakter", "guards", "slk"),
    ("kuls", "Kulturhuset Stadsteatern", "culture", None),
    ("sl", "Trafikförvaltningen (SL)", "transit", None),
    ("jernhusen", "Jernhusen", "property_owner", None),
    ("mtr", "MTR", "transit", None),
    ("cis", "City i Samverkan", "business", None),
    ("lst", "Länsstyrelsen i Stockholm", "county", None),
    ("vasakronan", "Vasakronan", "property_owner", None),
    ("amf", "AMF Fastigheter", "property_owner", None),
    ("afa", "Afa Fastigheter", "property_owner", None),
    ("axfast", "Axfast", "property_owner", None),
    ("stena", "Stena Fastigheter", "property_owner", None),
    ("galo", "Gålöstiftelsen", "property_owner", None),
)


def organisation_records() -> list[Triple]:
    """The seed's organisations besides the district administration (the store's default)."""
    recs = [
        {"name": name, "code": code, "kind": kind, "parent": parent}
        for code, name, kind, parent in ORGANISATIONS
    ]
    return [(i, rec, None) for i, rec in enumerate(recs, start=1)]


# ------------------------------------------------------------------ places and extents


@dataclass(frozen=True)
class Geography:
    """The polygons of the scenario (WGS84) and the disjoint zones the generator fills."""

    @cached_property
    def city(self) -> Polygon:
        return Polygon(CITY_COORDS)

    @cached_property
    def district(self) -> Polygon:
        return Polygon(DISTRICT_COORDS)

    @cached_property
    def klara(self) -> Polygon:
        return Polygon(KLARA_COORDS)

    @cached_property
    def sergels_torg(self) -> Polygon:
        return Polygon(SERGELS_TORG_COORDS)

    @cached_property
    def scene_2022(self) -> Polygon:
        return Polygon(SCENE_2022_COORDS)

    @cached_property
    def scene_2023(self) -> Polygon:
        return Polygon(SCENE_2023_COORDS)

    @cached_property
    def odenplan(self) -> Polygon:
        return Polygon(ODENPLAN_COORDS)

    @cached_property
    def comparison(self) -> Polygon:
        return Polygon(COMPARISON_COORDS)

    @cached_property
    def zones(self) -> dict[str, BaseGeometry]:
        """Disjoint zones: counts drawn per zone add up to exact counts per place and extent."""
        zones = {
            "core": self.scene_2023,
            "ring": self.scene_2022.difference(self.scene_2023),
            "klara_rest": self.klara.difference(self.scene_2022),
            "odenplan": self.odenplan,
            "district_rest": self.district.difference(self.klara).difference(self.odenplan),
            "comparison": self.comparison,
            "city_rest": self.city.difference(self.district).difference(self.comparison),
        }
        for geom in zones.values():
            shapely.prepare(geom)
        return zones


GEOGRAPHY = Geography()

_CRITERIA_2022 = (
    "Öppen försäljning och öppet bruk av narkotika dagligen på Plattan, i trapporna mot "
    "T-Centralen, på Sergelgatan och på angränsande delar av Drottninggatan och Hamngatan. "
    "Platsen är geografiskt beständig och skapar otrygghet för boende, besökare och näringsidkare."
)
_CRITERIA_2023 = (
    "Öppen försäljning och öppet bruk av narkotika kvarstår dagligen på Plattan och Sergelgatan. "
    "Aktiviteten på Drottninggatan och Hamngatan har minskat och ingår inte längre i utbredningen. "
    "Kriterierna för en öppen drogscen är fortsatt uppfyllda."
)
_ODENPLAN_2022 = (
    "Försäljning och bruk av narkotika förekommer regelbundet i Observatorielunden och vid "
    "Odenplans uppgångar, främst kvällstid. Kriterierna för en öppen drogscen är uppfyllda."
)
_ODENPLAN_2023 = (
    "Försäljning och bruk förekommer sporadiskt men inte längre öppet och regelbundet. "
    "Kriterierna för en öppen drogscen bedöms inte längre vara uppfyllda. Platsen bevakas."
)
ASSESSED_BY = "Samverkan Stockholm Regionen (Länsstyrelsen, Polisen, kommunerna)"


def place_records() -> list[Triple]:
    """Parents before children: the city, the district, Klara and the places within."""
    rows: list[tuple[dict[str, Any], Coords]] = [
        ({"name": CITY, "code": "stockholm", "kind": "city"}, CITY_COORDS),
        (
            {"name": DISTRICT, "code": "norra-innerstaden", "kind": "district", "parent": CITY},
            DISTRICT_COORDS,
        ),
        (
            {"name": KLARA, "code": "klara", "kind": "priority_place", "parent": DISTRICT},
            KLARA_COORDS,
        ),
        # The scene's own boundary is the union of its extents (the 2022 one holds 2023's).
        (
            {"name": SCENE, "code": "klara-scen", "kind": "scene", "parent": KLARA},
            SCENE_2022_COORDS,
        ),
        (
            {
                "name": SERGELS_TORG,
                "code": "sergels-torg",
                "kind": "priority_place",
                "parent": KLARA,
            },
            SERGELS_TORG_COORDS,
        ),
        (
            {"name": ODENPLAN, "code": "odenplan", "kind": "priority_place", "parent": DISTRICT},
            ODENPLAN_COORDS,
        ),
        (
            {
                "name": COMPARISON,
                "code": "medborgarplatsen",
                "kind": "comparison_area",
                "parent": CITY,
            },
            COMPARISON_COORDS,
        ),
    ]
    return [
        (i, {**rec, "organisation": DISTRICT_ORG, "sensitivity": "public"}, Polygon(coords))
        for i, (rec, coords) in enumerate(rows, start=1)
    ]


def extent_records() -> list[Triple]:
    """Mapping rounds 2022 and 2023 (assessed in Q1 of each year)."""
    # the checklist's codes (docs: "The mapping round's criteria"); the text is the motivation
    every = "open_selling;open_use;recurring;stable_place;visible;insecurity"
    rows = [
        (SCENE, 2022, "listed", date(2022, 3, 15), every, _CRITERIA_2022, SCENE_2022_COORDS),
        (SCENE, 2023, "listed", date(2023, 3, 14), every, _CRITERIA_2023, SCENE_2023_COORDS),
        (
            ODENPLAN,
            2022,
            "listed",
            date(2022, 3, 15),
            every,
            _ODENPLAN_2022,
            ODENPLAN_EXTENT_COORDS,
        ),
        (
            ODENPLAN,
            2023,
            "delisted",
            date(2023, 3, 14),
            "stable_place",
            _ODENPLAN_2023,
            ODENPLAN_EXTENT_COORDS,
        ),
    ]
    return [
        (
            i,
            {
                "place": place,
                "round": year,
                "status": status,
                "assessed_at": assessed,
                "assessed_by": ASSESSED_BY,
                "criteria": criteria,
                "motivation": motivation,
                "organisation": "lst",
                "sensitivity": "public",
            },
            Polygon(coords),
        )
        for i, (place, year, status, assessed, criteria, motivation, coords) in enumerate(
            rows, start=1
        )
    ]


# ------------------------------------------------------------------ streets

STREETS: dict[str, Coords] = {
    "Drottninggatan": [
        (18.0655, 59.3298),
        (18.0633, 59.3326),
        (18.0592, 59.3380),
        (18.0555, 59.3412),
    ],
    "Vasagatan": [(18.0612, 59.3298), (18.0585, 59.3330), (18.0560, 59.3385)],
    "Sveavägen": [(18.0668, 59.3333), (18.0630, 59.3380), (18.0590, 59.3430), (18.0560, 59.3480)],
    "Sergelgatan": [(18.0652, 59.3332), (18.0641, 59.3352)],
    "Klarabergsgatan": [(18.0575, 59.3318), (18.0633, 59.3327)],
    "Hamngatan": [(18.0667, 59.3324), (18.0705, 59.3323), (18.0745, 59.3325)],
    "Mäster Samuelsgatan": [(18.0590, 59.3331), (18.0660, 59.3339), (18.0730, 59.3348)],
    "Kungsgatan": [(18.0555, 59.3338), (18.0640, 59.3350), (18.0745, 59.3362)],
    "Malmskillnadsgatan": [(18.0690, 59.3320), (18.0680, 59.3345), (18.0660, 59.3380)],
    "Olof Palmes gata": [(18.0600, 59.3355), (18.0640, 59.3360)],
    "Odengatan": [(18.0440, 59.3440), (18.0500, 59.3432), (18.0600, 59.3450)],
    "Karlbergsvägen": [(18.0370, 59.3445), (18.0490, 59.3430)],
}


def street_records() -> list[Triple]:
    return [
        (
            i,
            {
                "id": f"demo-gata-{i:02d}",
                "name": name,
                "organisation": "tk",
                "sensitivity": "public",
            },
            LineString(coords),
        )
        for i, (name, coords) in enumerate(STREETS.items(), start=1)
    ]


# ------------------------------------------------------------------ cameras and guards

LEGAL_BASIS = "Kamerabevakningslagen (2018:1200)"

# (lon, lat, bearing, angle, range m): the police's fixed cameras around Plattan, looking in.
POLICE_CAMERAS: tuple[tuple[float, float, float, float, float], ...] = (
    (18.0637, 59.3331, 125.0, 75.0, 110.0),  # north-west corner, towards the roundabout
    (18.0663, 59.3331, 235.0, 75.0, 110.0),  # north-east, towards Drottninggatan
    (18.0640, 59.3321, 45.0, 80.0, 90.0),  # Kulturhuset, west entrance
    (18.0660, 59.3321, 315.0, 80.0, 90.0),  # Kulturhuset, east
    (18.0650, 59.3332, 180.0, 100.0, 70.0),  # top of Sergelgatan, down over Plattan
    (18.0667, 59.3326, 270.0, 60.0, 120.0),  # the glass obelisk, along the square
)
# Trafikförvaltningen's cameras at the metro entrances (for the coverage picture).
TRANSIT_CAMERAS: tuple[tuple[float, float, float, float, float], ...] = (
    (18.0634, 59.3324, 90.0, 60.0, 40.0),
    (18.0617, 59.3318, 60.0, 70.0, 50.0),
)


def camera_records() -> list[Triple]:
    rows = [("polis", "Polisen", date(2019, 3, 1), cam) for cam in POLICE_CAMERAS]
    rows += [("sl", "Trafikförvaltningen (SL)", date(2020, 9, 1), cam) for cam in TRANSIT_CAMERAS]
    out = []
    for i, (org, operator, active_from, (lon, lat, bearing, angle, reach)) in enumerate(
        rows, start=1
    ):
        out.append(
            (
                i,
                {
                    "id": f"demo-kamera-{i:02d}",
                    "operator": operator,
                    "lat": lat,
                    "lon": lon,
                    "bearing": bearing,
                    "angle": angle,
                    "range": reach,
                    "legal_basis": LEGAL_BASIS,
                    "active_from": active_from,
                    "organisation": org,
                    "sensitivity": "shared",
                },
                None,
            )
        )
    return out


def guard_area_records() -> list[Triple]:
    """The police's decisions designating Klara (and Odenplan) for security guards."""
    klara = Polygon(GUARD_AREA_COORDS)
    rows = [
        (
            "Förordnandeområde Klara 2019-2021",
            date(2019, 7, 1),
            date(2021, 6, 30),
            "Polismyndigheten A123.456/2019",
            klara,
        ),
        (
            "Förordnandeområde Klara",
            date(2021, 7, 1),
            None,
            "Polismyndigheten A234.567/2021",
            klara,
        ),
        (
            "Förordnandeområde Odenplan/Observatorielunden",
            date(2020, 5, 1),
            None,
            "Polismyndigheten A345.678/2020",
            Polygon(ODENPLAN_EXTENT_COORDS),
        ),
    ]
    return [
        (
            i,
            {
                "id": f"demo-ordningsvakter-{i:02d}",
                "name": name,
                "valid_from": start,
                "valid_to": end,
                "decision": decision,
                "organisation": "polis",
                "sensitivity": "public",
            },
            geom,
        )
        for i, (name, start, end, decision, geom) in enumerate(rows, start=1)
    ]
