"""Camera and guard coverage of a place (or its extent of a round): shares of its area and
street length inside camera fields of view and guard-designated areas valid on a day."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import shapely

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.i18n import text
from lagesbild.services import data
from lagesbild.services.analyse import resolve
from lagesbild.services.data import ExtentGeo, PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store


def coverage(
    store: Store, viewer: Viewer, place: PlaceGeo, extent: ExtentGeo | None, day: date
) -> AnalysisOutput:
    """Share of the place's (or, given, its extent's) area and street length inside camera
    fields of view and inside guard-designated areas valid on `day`; uncovered streets, longest
    first, in the store's projected CRS."""
    target = extent.geom if extent else place.geom
    round_ = str(extent.round) if extent else None
    what = f"the {round_} extent of {place.name}" if extent else place.name
    cams = data.cameras_on(store, viewer, day)
    sectors = an.camera_sectors(
        [(c["x"], c["y"], c["grid_bearing"], c["angle"], c["range_m"]) for c in cams]
    )
    # only what reaches the place is counted: the store holds the whole city's cameras
    sectors = _reaching(sectors, target)
    guards = _reaching(data.guard_areas_on(store, viewer, day), target)
    streets = data.streets_near(store, viewer, target)
    names = [s[0] for s in streets]
    lines = [s[1] for s in streets]
    cam = an.coverage(target, sectors, lines, street_names=names, label="cameras")
    grd = an.coverage(target, guards, lines, street_names=names, label="guard areas")
    notes = []
    if not sectors:
        notes.append(text("analyse.note.no_camera", "en", day=day, what=what))
    if not guards:
        notes.append(text("analyse.note.no_guard_area", "en", day=day, what=what))
    if not cam.street_length_m:
        notes.append(text("analyse.note.no_street", "en", what=what))
    summary = {
        "place": place.name,
        "round": round_,
        "date": day.isoformat(),
        "cameras": len(sectors),
        "guard_areas": len(guards),
        "camera_area_share": cam.area_share,
        "camera_street_share": _share(cam.street_share),
        "guard_area_share": grd.area_share,
        "guard_street_share": _share(grd.street_share),
        "area_ha": cam.area_ha,
        "street_length_m": cam.street_length_m,
    }
    rows, geoms = [], []
    for label, res in (("cameras", cam), ("guard areas", grd)):
        for seg in res.uncovered_records():
            rows.append(
                {"not_covered_by": label, **{k: v for k, v in seg.items() if k != "geometry"}}
            )
            geoms.append(seg.get("geometry"))
    return AnalysisOutput("coverage", summary, rows, geoms, notes)


def _reaching(polygons: list, target) -> list:
    """The polygons that share some area with `target` (touching its edge is not covering)."""
    return [g for g in polygons if shapely.intersects(g, target) and g.intersection(target).area]


def _share(value: float) -> float | None:
    """No figure (not NaN, printed "nan") for a share of nothing."""
    return None if math.isnan(value) else value


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`coverage` from the query as written (`query.COVERAGE`); without a date, today's in the
    store's time zone."""
    place = resolve.place(store, viewer, asked["place"])
    round_ = asked["round"]
    extent = resolve.extent(store, viewer, place, round_) if round_ else None
    on = asked["date"]
    day = resolve.day(on, "date") if on else datetime.now(store.tz).date()
    out = coverage(store, viewer, place, extent, day)
    return out.echo({"place": asked["place"], "round": round_, "date": day.isoformat()})
