"""The weighted displacement quotient (Bowers & Johnson 2003): a target, a buffer ring around
it and a control area, before and after."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import ValidationError
from lagesbild.i18n import text
from lagesbild.services import data
from lagesbild.services.analyse import resolve
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store


def check_buffer(buffer_m: float) -> None:
    if not (math.isfinite(buffer_m) and buffer_m > 0):
        raise ValidationError("buffer", f"must be a positive number of metres; got {buffer_m:g}")


def displacement(
    store: Store,
    viewer: Viewer,
    target: PlaceGeo,
    buffer_m: float,
    control: PlaceGeo,
    before: Period,
    after: Period,
    *,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
) -> AnalysisOutput:
    """WDQ of `target`, the ring `buffer_m` metres wide around it and `control` (less any
    overlap with the target and ring, which the control must not contain)."""
    check_buffer(buffer_m)
    zone = target.geom.buffer(buffer_m)
    ring = zone.difference(target.geom)
    # Bowers & Johnson: the control must not overlap the target or the buffer, else it shares
    # their counts; the usual practice is to leave the overlap out of the control, and say so
    notes: list[str] = []
    overlap = control.geom.intersection(zone).area
    control_geom = control.geom
    if overlap > 1e-6 * control.geom.area:
        control_geom = control.geom.difference(zone)
        if control_geom.area <= 1e-6 * control.geom.area:
            raise ValidationError(
                "control",
                f"{control.name} lies within {target.name} and its {buffer_m:g} m buffer; "
                "choose a control area apart from them",
            )
        ha = control.geom.area / 1e4
        notes.append(
            text(
                "analyse.note.control_overlap",
                "en",
                control=control.name,
                target=target.name,
                buffer_m=buffer_m,
                overlap_ha=overlap / 1e4,
                ha=ha,
            )
        )
    cats = None if categories is None else list(categories)

    def n(geom, period):
        box = store.projector.to_wgs84(geom).bounds
        pts = data.load_points(
            store, viewer, layer, period=period, categories=cats, bounds_wgs84=box
        )
        return int(an.count_in_polygons(pts.x, pts.y, [geom])[0]) if len(pts) else 0

    counts = [
        n(target.geom, before),
        n(target.geom, after),
        n(ring, before),
        n(ring, after),
        n(control_geom, before),
        n(control_geom, after),
    ]
    if counts[4] == 0 or counts[5] == 0:
        raise ValidationError(
            "control",
            f"{control.name} has no records you may see before or after "
            "(the quotient divides by them); choose a larger control area",
        )
    res = an.weighted_displacement_quotient(*counts)
    row = dict(res.__dict__)
    return AnalysisOutput("displacement", row, [row], None, notes)


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`displacement` from the query as written (`query.DISPLACEMENT`)."""
    buffer_m = asked["buffer"]
    check_buffer(buffer_m)
    before = resolve.period(store, asked["before"], "before")
    after = resolve.period(store, asked["after"], "after")
    target = resolve.place(store, viewer, asked["place"])
    control = resolve.place(store, viewer, asked["control"])
    cats = resolve.categories(store, asked["layer"], asked["category"])
    out = displacement(
        store,
        viewer,
        target,
        buffer_m,
        control,
        before,
        after,
        layer=asked["layer"],
        categories=cats,
    )
    return out.echo(
        {
            "place": asked["place"],
            "buffer": buffer_m,
            "control": asked["control"],
            "before": asked["before"],
            "after": asked["after"],
            "category": asked["category"],
        }
    )
