"""The meetings' maps as GeoJSON (WGS84): a place's outline and its streets (named, so the map
reads without background tiles), a briefing's hot spots labelled by the nearest street, and a
week's priorities (a drawn point or small area, else the place's outline).

Every feature carries ``kind`` (place, street, hotspot, priority, event) for the page's styling;
everything is read with the viewer's access (`services.data`, `briefing.est`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely

from lagesbild.briefing import est, picture
from lagesbild.domain.model import Viewer
from lagesbild.services import data
from lagesbild.store.engine import Store

STREETS_AROUND_M = 300
POINT_AREA_M = 30  # a priority drawn as a point is shown as a circle of this radius


def feature(geom, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props}


def place_features(store: Store, viewer: Viewer, place: data.PlaceGeo) -> list[dict]:
    """The place's outline and the streets in and around it."""
    out = [feature(place.geom_wgs84, kind="place", name=place.name)]
    for name, geom in data.streets_near(store, viewer, place.geom.buffer(STREETS_AROUND_M)):
        out.append(feature(store.projector.to_wgs84(geom), kind="street", name=name))
    return out


HOT_SHOWN = 3  # hot cells per layer on the briefing's map and in its list, the same ones


def hot_cells(store: Store, viewer: Viewer, pic: dict[str, Any]) -> dict[str, list[dict]]:
    """The picture's hot cells with something in them, per layer, the strongest first and
    each named by its nearest street (pictures stored before the names were kept are named
    now): what the briefing's map numbers and its list names, so that "1" on the map is the
    list's first."""
    out = {}
    for layer in ("crimes", "observations"):
        cells = [dict(c) for c in (pic.get("hotspots", {}).get(layer) or {}).get("cells") or []]
        named = picture.name_cells(store, viewer, [c for c in cells if c.get("count")])
        out[layer] = named[:HOT_SHOWN]
    return out


def hotspot_features(store: Store, viewer: Viewer, pic: dict[str, Any]) -> list[dict]:
    """The picture's hot cells (both layers, `hot_cells`) as points with their rank."""
    return [
        feature(
            shapely.Point(c["lon"], c["lat"]),
            kind="hotspot",
            layer=layer,
            rank=rank,
            street=c.get("street"),
            z=c.get("z"),
            count=c.get("count"),
        )
        for layer, cells in hot_cells(store, viewer, pic).items()
        for rank, c in enumerate(cells, 1)
    ]


def priority_geometry(store: Store, row: dict[str, Any]):
    """A priority's shape on the map (WGS84): the drawn area, a drawn point as a small circle
    (a layer of areas needs no marker icons), else the place's outline."""
    if row.get("drawn") is None:
        return shapely.geometry.shape(row["geometry"]) if row.get("geometry") else None
    g = shapely.geometry.shape(row["drawn"])
    if g.geom_type == "Point":
        return store.projector.to_wgs84(store.projector.to_projected(g).buffer(POINT_AREA_M))
    return g


def priority_features(store: Store, viewer: Viewer, day: date) -> list[dict]:
    out = []
    for r in est.priorities_on(store, viewer, day):
        geom = priority_geometry(store, r)
        if geom is None:
            continue
        out.append(
            feature(
                geom,
                kind="priority",
                id=r["id"],
                place=r["place"],
                organisation=r["organisation"],
                note=r.get("note"),
                week_start=str(r["week_start"]),
                drawn=r.get("drawn") is not None,
            )
        )
    return out


def priorities_layer(store: Store, viewer: Viewer, day: date) -> dict[str, Any]:
    """The shared map's "this week's priority places": the priorities of the week `day` falls
    in and those the weekly meeting has already set for the week after (it decides the coming
    week), one feature per drawn spot or per place, with the organisations and notes; the
    place's label names the ISO week, so next week's are told apart."""
    from datetime import timedelta

    by_key: dict[tuple, dict] = {}
    monday = est.week_start(day)
    for d in (monday, monday + timedelta(days=7)):
        for f in priority_features(store, viewer, d):
            p = f["properties"]
            iso = date.fromisoformat(p["week_start"]).isocalendar()
            key = (p["week_start"], p["id"] if p["drawn"] else p["place"])
            item = by_key.setdefault(
                key,
                {
                    "type": "Feature",
                    "geometry": f["geometry"],
                    "properties": {
                        "place": p["place"],
                        "week": f"{iso.year}-W{iso.week:02d}",
                        "label": f"{p['place']} ({iso.year}-W{iso.week:02d})",
                        "week_start": p["week_start"],
                        "organisations": [],
                        "notes": [],
                    },
                },
            )
            item["properties"]["organisations"].append(p["organisation"])
            if p.get("note"):
                item["properties"]["notes"].append(p["note"])
    return {"type": "FeatureCollection", "features": list(by_key.values())}
