"""A proposed scene boundary with a bootstrap interval of its area, or the comparison of two
stored extents of a place (area gained, lost and kept, the centroid shift)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.domain.taxonomy import GROUPS
from lagesbild.errors import ValidationError
from lagesbild.i18n import text
from lagesbild.services import data
from lagesbild.services.analyse import resolve
from lagesbild.services.data import ExtentGeo, PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

LAYERS = ("crimes", "observations")
COMPARED = ("area_a_ha", "area_b_ha", "gained_ha", "lost_ha", "kept_ha", "iou", "centroid_shift_m")


def compare(a: ExtentGeo, b: ExtentGeo) -> AnalysisOutput:
    """Two stored extents of a place: area gained, lost and kept, and the centroid shift."""
    if a.round == b.round:
        raise ValidationError("compare", f"give two different mapping rounds; got {a.round} twice")
    cmp = an.compare_extents(a.geom, b.geom)
    row: dict[str, Any] = {k: getattr(cmp, k) for k in COMPARED}
    row.update(round_a=a.round, round_b=b.round, status_a=a.status, status_b=b.status)
    notes = [
        text("analyse.note.not_listed", "en", round=e.round, status=e.status)
        for e in (a, b)
        if e.status != "listed"
    ]
    parts = (
        ("gained", b.geom.difference(a.geom)),
        ("lost", a.geom.difference(b.geom)),
        ("kept", a.geom.intersection(b.geom)),
    )
    rows = [{"part": n, "area_ha": g.area / 1e4} for n, g in parts]
    return AnalysisOutput("extent-compare", row, rows, [g for _, g in parts], notes)


def extent(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    period: Period,
    *,
    categories: Mapping[str, list[str] | None] | None = None,
    seed: int = 0,
) -> AnalysisOutput:
    """A proposed scene boundary from where crimes and observations of the `categories` (codes
    per layer, None: all) concentrate (DBSCAN, then a concave hull), with a bootstrap interval
    of its area. The boundary in the store's projected CRS."""
    xs, ys = [], []
    for layer, cats in (categories or dict.fromkeys(LAYERS)).items():
        pts = data.load_points(
            store,
            viewer,
            layer,
            period=period,
            categories=cats,
            bounds_wgs84=place.geom_wgs84.buffer(0.01).bounds,
        )
        xs.append(pts.x), ys.append(pts.y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    if len(x) < 10:
        raise ValidationError(
            "from/to", f"only {len(x)} points in the period; too few for an extent"
        )
    res = an.propose_extent(x, y, seed=seed)
    if not res.area_ha > 0:
        # all points at one spot or on one line: no boundary to propose, not a scene of 0 ha
        raise ValidationError(
            "from/to",
            f"the {len(x)} points in the period form no cluster with an area (they lie at one "
            "spot or along one line); widen the period or the category",
        )
    summary = {
        "place": place.name,
        "points": int(len(x)),
        "area_ha": res.area_ha,
        "ci_low_ha": res.ci_low_ha,
        "ci_high_ha": res.ci_high_ha,
    }
    return AnalysisOutput("extent", summary, [summary], [res.geometry], [])


def extent_categories(store: Store, category: str | None) -> dict[str, list[str] | None]:
    """The codes to load per layer: a group (or None, all) spans both layers, a single
    category code only the layer it belongs to."""
    if category is None:
        return dict.fromkeys(LAYERS)
    sel = category.strip().lower()
    if sel in GROUPS:
        return {layer: store.taxonomy.expand(layer, sel) for layer in LAYERS}
    found = {layer: [sel] for layer in LAYERS if store.taxonomy.get(layer, sel)}
    if not found:
        raise ValidationError(
            "category",
            f"unknown category {category!r}; expected a group ({', '.join(sorted(GROUPS))}), "
            f"a crime category ({', '.join(store.taxonomy.codes('crimes'))}) or an "
            f"observation category ({', '.join(store.taxonomy.codes('observations'))})",
        )
    return found


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`extent` (or the comparison of two rounds) from the query as written (`query.EXTENT`)."""
    place = resolve.place(store, viewer, asked["place"])
    rounds = asked["compare"]
    if rounds:
        if str(rounds[0]).strip() == str(rounds[1]).strip():
            raise ValidationError(
                "compare", f"give two different mapping rounds; got {rounds[0]} twice"
            )
        a, b = (resolve.extent(store, viewer, place, r) for r in rounds)
        return compare(a, b).echo({"place": asked["place"], "compare": list(rounds)})
    date_from, date_to, category = asked["date_from"], asked["date_to"], asked["category"]
    if not (date_from and date_to):
        raise ValidationError("from/to", "give --from and --to (or --compare ROUND_A ROUND_B)")
    period = resolve.window(store, date_from, date_to)
    cats = extent_categories(store, category)
    out = extent(store, viewer, place, period, categories=cats, seed=asked["seed"])
    return out.echo(
        {
            "place": asked["place"],
            "from": date_from,
            "to": date_to,
            "category": category,
            "seed": asked["seed"],
        }
    )
