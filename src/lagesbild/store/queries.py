"""Read services over the store used by the CLI, the web app and reports. Every read of a data
layer passes the viewer through `store.access.visible`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from lagesbild.domain.model import Viewer
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import LAYER_TABLES, extents, mapping_rounds, places


def layer_counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {
            layer: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for layer, table in LAYER_TABLES.items()
        }


@dataclass(frozen=True)
class ExtentSummary:
    round: int
    status: str
    area_ha: float
    criteria: str | None
    assessed_at: object | None


@dataclass(frozen=True)
class PlaceSummary:
    id: int
    name: str
    kind: str
    area_ha: float
    extents: dict[int, ExtentSummary] = field(default_factory=dict)


def place_summaries(store: Store, viewer: Viewer) -> tuple[list[int], list[PlaceSummary]]:
    """Places (visible to the viewer) with their area and their extents by mapping round."""
    with store.read() as conn:
        rounds = [r for (r,) in conn.execute(select(mapping_rounds.c.year).order_by("year"))]
        place_rows = conn.execute(
            select(places.c.id, places.c.name, places.c.kind, places.c.geom)
            .where(visible(places, viewer))
            .order_by(places.c.kind, places.c.name)
        ).all()
        extent_rows = conn.execute(
            select(
                extents.c.place_id,
                mapping_rounds.c.year,
                extents.c.status,
                extents.c.geom,
                extents.c.criteria,
                extents.c.assessed_at,
            )
            .join(mapping_rounds, mapping_rounds.c.id == extents.c.round_id)
            .where(visible(extents, viewer))
        ).all()
    by_place: dict[int, dict[int, ExtentSummary]] = {}
    for pid, year, status, geom, criteria, assessed_at in extent_rows:
        by_place.setdefault(pid, {})[year] = ExtentSummary(
            year, status, store.projector.area_ha(geom), criteria, assessed_at
        )
    summaries = [
        PlaceSummary(pid, name, kind, store.projector.area_ha(geom), by_place.get(pid, {}))
        for pid, name, kind, geom in place_rows
    ]
    return rounds, summaries


def extent_features(store: Store, viewer: Viewer, to_geojson) -> list[dict]:
    """Extents as GeoJSON features with place, round, status and area in hectares."""
    with store.read() as conn:
        rows = conn.execute(
            select(
                extents.c.id, places.c.name, mapping_rounds.c.year, extents.c.status, extents.c.geom
            )
            .join(places, places.c.id == extents.c.place_id)
            .join(mapping_rounds, mapping_rounds.c.id == extents.c.round_id)
            .where(visible(extents, viewer), visible(places, viewer))
            .order_by(mapping_rounds.c.year, places.c.name)
        ).all()
    return [
        {
            "type": "Feature",
            "id": eid,
            "geometry": to_geojson(geom),
            "properties": {
                "place": name,
                "round": year,
                "status": status,
                "area_ha": round(store.projector.area_ha(geom), 3),
            },
        }
        for eid, name, year, status, geom in rows
    ]
