"""The analyses on stored data: load what the viewer may see (services.data), call the pure
functions of `lagesbild.analysis`, and shape an `AnalysisOutput`. The CLI (`lagesbild analyse`),
the API (`/api/v1/analyse/...`) and the reports all call these, so their numbers are the same."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import shapely

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period, between, parse_day, parse_period
from lagesbild.domain.taxonomy import DRUG_OFFENCE, GROUPS
from lagesbild.errors import NotFound, ValidationError
from lagesbild.services import data
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store
from lagesbild.store.schema import survey_results

ENFORCEMENT_CAVEAT = {
    "sv": "Narkotikabrott upptäcks mest genom polisens egen aktivitet: färre anmälningar kan "
    "betyda mindre polisiärt fokus, inte mindre brottslighet.",
    "en": "Drug offences are mostly found by police activity: fewer reports can mean less police "
    "focus, not less crime.",
}


def _categories(store: Store, layer: str, category: str | None) -> list[str] | None:
    return store.taxonomy.expand(layer, category) if category else None


# Work bounds for the grid analyses: memory grows with cells (x time slices for emerging), the
# Gi* stencil and the KDE's loop over offsets with the square of the reach in cells.
MAX_CELLS = 4_000_000
MAX_BINS = 20_000_000  # emerging: cells x time slices
MAX_REACH_CELLS = 100
MAX_REACH_M = 50_000.0  # beyond a city's scale the widened box no longer projects faithfully


def _check_cell(cell: float) -> None:
    if not (math.isfinite(cell) and cell > 0):
        raise ValidationError("cell", f"must be a positive number of metres; got {cell:g}")


def _check_reach(option: str, value: float | None, cell: float) -> None:
    """A Gi* distance band or KDE bandwidth: positive, finite and at most 100 cells (50 km)."""
    if value is None:
        return
    if not (math.isfinite(value) and value > 0):
        raise ValidationError(option, f"must be a positive number of metres; got {value:g}")
    limit = min(MAX_REACH_CELLS * cell, MAX_REACH_M)
    if value > limit:
        raise ValidationError(
            option,
            f"at most {limit:g} m ({MAX_REACH_CELLS} cells of {cell:g} m, and at most "
            f"{MAX_REACH_M / 1000:g} km); got {value:g}",
        )


def _grid(bbox: tuple[float, float, float, float], cell: float, slices: int = 1) -> an.Grid:
    """The analysis grid over `bbox`, refused when it would be too big to compute."""
    _check_cell(cell)
    grid = an.make_grid(bbox, cell)
    if grid.n_cells > MAX_CELLS:
        raise ValidationError(
            "cell",
            f"{grid.n_cells} cells of {cell:g} m is too many (at most {MAX_CELLS}); "
            "use a larger cell or a smaller place",
        )
    if grid.n_cells * slices > MAX_BINS:
        raise ValidationError(
            "cell",
            f"{grid.n_cells} cells x {slices} time slices is too many (at most {MAX_BINS}); "
            "use a larger cell, a smaller place, a shorter period or monthly slices",
        )
    return grid


# ---------------------------------------------------------------- indicators


def rate_rows(scope, area_a, area_b, counts_a, counts_b, period_a, period_b, cats) -> list[dict]:
    """Rows of `indicators` for one scope: per category the counts in A and B, per hectare, and
    the rate ratio B/A per hectare-day with its exact conditional interval and p-value. Public so
    that briefings (whose periods start at an hour, not a day) use the same figures."""
    rows = []
    for cat in cats:
        a, b = counts_a.get(cat, 0), counts_b.get(cat, 0)
        # exposure: hectare-days, so periods of different length and areas of different size
        # compare as rates per hectare and day
        exp_a, exp_b = area_a * period_a.days, area_b * period_b.days
        rr = an.rate_ratio(a, exp_a, b, exp_b, method="exact")
        rows.append(
            {
                "scope": scope,
                "category": cat,
                "period_a": period_a.label,
                "period_b": period_b.label,
                "count_a": a,
                "count_b": b,
                "area_a_ha": area_a,
                "area_b_ha": area_b,
                "per_ha_a": a / area_a if area_a else None,
                "per_ha_b": b / area_b if area_b else None,
                "rate_ratio": rr.ratio,
                "ci_low": rr.ci_low,
                "ci_high": rr.ci_high,
                "p_value": rr.p_value,
                "method": "exact conditional (Clopper-Pearson)",
            }
        )
    return rows


def indicators(
    store: Store,
    viewer: Viewer,
    place: str,
    period_a: str,
    period_b: str,
    category: str | None = None,
    layer: str = "crimes",
) -> AnalysisOutput:
    """Counts, area, count per hectare and the rate ratio B/A (95 % exact interval, p) per
    category for the place, each extent of it, the scene extent of each period's own mapping
    round, and the city."""
    pa, pb = (
        parse_period(period_a, store.tz, "period A"),
        parse_period(period_b, store.tz, "period B"),
    )
    data.point_table(layer)  # checked before the taxonomy, which knows no such layer either
    p = data.find_place(store, viewer, place)
    cats = _categories(store, layer, category) or store.taxonomy.codes(layer)
    rows: list[dict] = []

    def scope(label, place_id, round_a, round_b, area_a, area_b):
        ca = data.count_in(store, viewer, layer, place_id, round_a, pa, cats)
        cb = data.count_in(store, viewer, layer, place_id, round_b, pb, cats)
        rows.extend(rate_rows(label, area_a, area_b, ca, cb, pa, pb, cats))

    place_ha = p.geom.area / 1e4
    scope(f"place: {p.name}", p.id, 0, 0, place_ha, place_ha)
    extents = data.place_extents(store, viewer, p)
    for e in extents:
        scope(
            f"extent {e.round}", p.id, e.round_id, e.round_id, e.geom.area / 1e4, e.geom.area / 1e4
        )
    by_year = {e.round: e for e in extents}
    ea, eb = by_year.get(pa.start.year), by_year.get(pb.start.year)
    if ea and eb and ea.round != eb.round:
        scope(
            f"extent of each period's round ({ea.round} vs {eb.round})",
            p.id,
            ea.round_id,
            eb.round_id,
            ea.geom.area / 1e4,
            eb.geom.area / 1e4,
        )
    c = data.city(store, viewer)
    if c is not None and c.id != p.id:
        scope(f"city: {c.name}", c.id, 0, 0, c.geom.area / 1e4, c.geom.area / 1e4)

    notes, summary = (
        [],
        {"place": p.name, "layer": layer, "period_a": pa.label, "period_b": pb.label},
    )
    if layer == "crimes" and DRUG_OFFENCE in cats:
        hours_a = data.police_presence_hours(store, viewer, pa, p.id)
        hours_b = data.police_presence_hours(store, viewer, pb, p.id)
        summary["police_presence_hours_a"], summary["police_presence_hours_b"] = hours_a, hours_b
        notes.append(ENFORCEMENT_CAVEAT["en"])
        if hours_a is None or hours_b is None:
            notes.append(
                "No police presence is recorded for one or both periods, so a change in "
                "drug offences cannot be told apart from a change in police activity."
            )
        else:
            notes.append(f"Police presence: {hours_a:.0f} person-hours in A, {hours_b:.0f} in B.")
    return AnalysisOutput(
        "indicators",
        summary,
        rows,
        None,
        notes,
        {"place": place, "period": [period_a, period_b], "category": category, "layer": layer},
    )


# ---------------------------------------------------------------- hot spots


def _window(store: Store, date_from: str, date_to: str) -> Period:
    start = parse_period(date_from, store.tz, "from").start
    end = parse_period(date_to, store.tz, "to").end
    return between(start, end)


def _points_for(store, viewer, layer, place, period, category, cell: float, reach: float = 0.0):
    """Points in the place's box, widened by `reach` metres (a kernel's bandwidth: points just
    outside the grid still add to the density of its edge cells)."""
    cats = _categories(store, layer, category)
    if place:
        p = data.find_place(store, viewer, place)
        # the grid snaps outward to whole cells: load its box, widened by the reach
        grid_box = an.make_grid(p.geom.bounds, cell).bounds
        area = shapely.box(*grid_box).buffer(reach, join_style="mitre")
        pts = data.load_points(
            store,
            viewer,
            layer,
            period=period,
            categories=cats,
            bounds_wgs84=store.projector.to_wgs84(area).bounds,
        )
        return p, pts
    return None, data.load_points(store, viewer, layer, period=period, categories=cats)


def hotspots(
    store: Store,
    viewer: Viewer,
    place: str | None,
    date_from: str,
    date_to: str,
    *,
    layer: str = "crimes",
    category: str | None = None,
    cell: float = 50.0,
    method: str = "gistar",
    distance: float | None = None,
    bandwidth: float | None = None,
    window: Period | None = None,
) -> AnalysisOutput:
    """Gi* or quartic KDE on a grid aligned to multiples of `cell` over the place's box (or the
    points' box), zero cells included. `window`, when given, is the exact time window (e.g. a
    briefing's period, from 18:00 to 18:00) instead of the days `date_from`..`date_to`."""
    _check_cell(cell)
    if method not in ("gistar", "kde"):
        raise ValidationError("method", "expected gistar or kde")
    _check_reach("distance", distance, cell)
    _check_reach("bandwidth", bandwidth, cell)
    period = window or _window(store, date_from, date_to)
    # `is None`, not `or`: a bandwidth of 0 is refused above, never replaced by the default
    h = 3 * cell if bandwidth is None else bandwidth
    reach = h if method == "kde" else 0.0
    p, pts = _points_for(store, viewer, layer, place, period, category, cell, reach)
    if p is not None:
        bbox = p.geom.bounds
    elif len(pts):
        bbox = (pts.x.min(), pts.y.min(), pts.x.max(), pts.y.max())
    else:
        raise ValidationError("place", "no points in the period and no place to cover")
    grid = _grid(bbox, cell)
    inside = grid.cell_index(pts.x, pts.y) >= 0
    weights = pts.weights if layer == "observations" else None
    polys = data.to_wgs84_many(store, grid.cell_polygons())
    if method == "gistar":
        counts = an.bin_points(grid, pts.x, pts.y, weights)
        res = an.gi_star(counts, cell, distance=distance, grid=grid)
        rows = [
            {k: r[k] for k in ("x", "y", "count", "z", "p", "q", "class")} for r in res.to_records()
        ]
        summary = {
            "cells": grid.n_cells,
            "points": int(inside.sum()),
            **{f"cells_{k}": v for k, v in res.class_counts().items()},
        }
    else:
        # exact where it is cheap, binned (with its stated error bound) for big inputs; the
        # exact sum loops over (2 reach + 1)^2 cell offsets, each touching every cell
        offsets = (2 * math.ceil(h / cell + 0.5) + 1) ** 2
        exact = (
            len(pts) * grid.n_cells < 50_000_000
            and offsets * (grid.n_cells + len(pts)) < 500_000_000
        )
        res = an.kde_quartic(
            pts.x, pts.y, grid, h, weights=weights, method="exact" if exact else "binned"
        )
        cx, cy = (a.ravel() for a in grid.centres())
        counts = an.bin_points(grid, pts.x, pts.y, weights).ravel()
        dens = res.density.ravel()
        rows = [
            {
                "x": float(cx[k]),
                "y": float(cy[k]),
                "count": float(counts[k]),
                "density": float(dens[k]),
            }
            for k in range(grid.n_cells)
        ]
        summary = {
            "cells": grid.n_cells,
            "points": int(inside.sum()),
            "bandwidth_m": h,
            "max_density_per_ha": float(dens.max()) if dens.size else 0.0,
            "error_bound_per_ha": res.max_error_bound,
        }
    return AnalysisOutput(
        "hotspots",
        summary,
        rows,
        list(polys),
        [],
        {
            "place": place,
            "from": date_from,
            "to": date_to,
            "layer": layer,
            "category": category,
            "cell": cell,
            "method": method,
            "distance": distance,
            "bandwidth": bandwidth,
            "crs": store.settings.crs,
        },
    )


def emerging(
    store: Store,
    viewer: Viewer,
    place: str | None,
    date_from: str,
    date_to: str,
    *,
    layer: str = "crimes",
    category: str | None = None,
    cell: float = 100.0,
    slice_: str = "month",
    distance: float | None = None,
) -> AnalysisOutput:
    """Emerging hot spots: Gi* per time slice and a Mann-Kendall trend per cell."""
    _check_cell(cell)
    _check_reach("distance", distance, cell)
    period = _window(store, date_from, date_to)
    edges = _slices(period, slice_)
    if len(edges) < 4:
        raise ValidationError("slice", "at least 3 time slices are needed; widen the period")
    p, pts = _points_for(store, viewer, layer, place, period, category, cell)
    if p is None and len(pts) == 0:
        raise ValidationError("place", "no points in the period and no place to cover")
    bbox = p.geom.bounds if p else (pts.x.min(), pts.y.min(), pts.x.max(), pts.y.max())
    grid = _grid(bbox, cell, slices=len(edges) - 1)
    t = pts.times.astype("datetime64[s]").astype(np.int64)
    k = np.searchsorted(edges, t, side="right") - 1
    cube = np.zeros((len(edges) - 1, grid.ny, grid.nx))
    for s in range(len(edges) - 1):
        sel = k == s
        cube[s] = an.bin_points(grid, pts.x[sel], pts.y[sel])
    res = an.emerging_hot_spots(cube, cell, distance=distance, grid=grid)
    recs = res.to_records()
    polys = data.to_wgs84_many(store, grid.cell_polygons())
    return AnalysisOutput(
        "emerging",
        {"cells": grid.n_cells, "slices": len(edges) - 1, **res.category_counts()},
        recs,
        list(polys),
        [],
        {"place": place, "from": date_from, "to": date_to, "slice": slice_, "cell": cell},
    )


def _slices(period: Period, slice_: str) -> np.ndarray:
    """Slice edges as UTC epoch seconds: calendar months, or weeks from the start."""
    start, end = period.start, period.end
    edges = []
    if slice_ == "month":
        d = date(start.year, start.month, 1)
        while True:
            t = period.start.replace(year=d.year, month=d.month, day=1, hour=0, minute=0, second=0)
            if t >= end:
                break
            edges.append(max(t, start))
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    elif slice_ == "week":
        t = start
        while t < end:
            edges.append(t)
            t += timedelta(days=7)
    else:
        raise ValidationError("slice", "expected week or month")
    edges.append(end)
    return np.array([int(e.timestamp()) for e in edges], dtype=np.int64)


# ---------------------------------------------------------------- extent, coverage


def extent(
    store: Store,
    viewer: Viewer,
    place: str,
    date_from: str | None = None,
    date_to: str | None = None,
    *,
    category: str | None = "drug-related",
    compare: tuple[str, str] | None = None,
    seed: int = 0,
) -> AnalysisOutput:
    """A proposed scene boundary from where crimes and observations of `category` concentrate
    (DBSCAN, then a concave hull), with a bootstrap interval of its area; or, with `compare`,
    area gained, lost and kept and the centroid shift between two stored extents."""
    p = data.find_place(store, viewer, place)
    if compare:
        if str(compare[0]).strip() == str(compare[1]).strip():
            raise ValidationError(
                "compare", f"give two different mapping rounds; got {compare[0]} twice"
            )
        a, b = (data.find_extent(store, viewer, p, r) for r in compare)
        cmp = an.compare_extents(a.geom, b.geom)
        row = {
            k: getattr(cmp, k)
            for k in (
                "area_a_ha",
                "area_b_ha",
                "gained_ha",
                "lost_ha",
                "kept_ha",
                "iou",
                "centroid_shift_m",
            )
        }
        row.update(round_a=a.round, round_b=b.round, status_a=a.status, status_b=b.status)
        notes = [
            f"In round {e.round} the status was {e.status}, not listed: its extent is the area "
            "assessed, not an open drug scene of that round."
            for e in (a, b)
            if e.status != "listed"
        ]
        gained = b.geom.difference(a.geom)
        lost = a.geom.difference(b.geom)
        kept = a.geom.intersection(b.geom)
        rows = [
            {"part": n, "area_ha": g.area / 1e4}
            for n, g in (("gained", gained), ("lost", lost), ("kept", kept))
        ]
        geoms = [store.projector.to_wgs84(g) for g in (gained, lost, kept)]
        return AnalysisOutput(
            "extent-compare", row, rows, geoms, notes, {"place": place, "compare": list(compare)}
        )
    if not (date_from and date_to):
        raise ValidationError("from/to", "give --from and --to (or --compare ROUND_A ROUND_B)")
    period = _window(store, date_from, date_to)
    xs, ys = [], []
    for layer, cats in _extent_categories(store, category).items():
        pts = data.load_points(
            store,
            viewer,
            layer,
            period=period,
            categories=cats,
            bounds_wgs84=p.geom_wgs84.buffer(0.01).bounds,
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
        "place": p.name,
        "points": int(len(x)),
        "area_ha": res.area_ha,
        "ci_low_ha": res.ci_low_ha,
        "ci_high_ha": res.ci_high_ha,
    }
    return AnalysisOutput(
        "extent",
        summary,
        [summary],
        [store.projector.to_wgs84(res.geometry)],
        [],
        {"place": place, "from": date_from, "to": date_to, "category": category, "seed": seed},
    )


def _extent_categories(store: Store, category: str | None) -> dict[str, list[str] | None]:
    """The codes to load per layer: a group (or None, all) spans both layers, a single
    category code only the layer it belongs to."""
    layers = ("crimes", "observations")
    if category is None:
        return dict.fromkeys(layers)
    sel = category.strip().lower()
    if sel in GROUPS:
        return {layer: store.taxonomy.expand(layer, sel) for layer in layers}
    found = {layer: [sel] for layer in layers if store.taxonomy.get(layer, sel)}
    if not found:
        raise ValidationError(
            "category",
            f"unknown category {category!r}; expected a group ({', '.join(sorted(GROUPS))}), "
            f"a crime category ({', '.join(store.taxonomy.codes('crimes'))}) or an "
            f"observation category ({', '.join(store.taxonomy.codes('observations'))})",
        )
    return found


def coverage(
    store: Store, viewer: Viewer, place: str, round_: str | None = None, on: str | None = None
) -> AnalysisOutput:
    """Share of the place's (or its extent's) area and street length inside camera fields of
    view and inside guard-designated areas valid on a date; uncovered streets, longest first."""
    p = data.find_place(store, viewer, place)
    target = data.find_extent(store, viewer, p, round_).geom if round_ else p.geom
    what = f"the {round_} extent of {p.name}" if round_ else p.name
    day = parse_day(on, "date") if on else date.today()
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
        notes.append(f"On {day}, no camera you may see has any of {what} in its field of view.")
    if not guards:
        notes.append(f"On {day}, no guard-designated area you may see overlaps {what}.")
    if not cam.street_length_m:
        notes.append(f"There is no street (of the streets layer) in {what}: no street shares.")
    summary = {
        "place": p.name,
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
            geoms.append(
                store.projector.to_wgs84(seg["geometry"])
                if seg.get("geometry") is not None
                else None
            )
    return AnalysisOutput(
        "coverage",
        summary,
        rows,
        geoms,
        notes,
        {"place": place, "round": round_, "date": day.isoformat()},
    )


def _reaching(polygons: list, target) -> list:
    """The polygons that share some area with `target` (touching its edge is not covering)."""
    return [g for g in polygons if shapely.intersects(g, target) and g.intersection(target).area]


def _share(value: float) -> float | None:
    """No figure (not NaN, printed "nan") for a share of nothing."""
    return None if math.isnan(value) else value


# ---------------------------------------------------------------- displacement, effects, survey


def displacement(
    store: Store,
    viewer: Viewer,
    place: str,
    buffer_m: float,
    control: str,
    before: str,
    after: str,
    *,
    category: str | None = None,
    layer: str = "crimes",
) -> AnalysisOutput:
    """Weighted displacement quotient (Bowers & Johnson 2003): target, a buffer ring around it,
    and a control area, before and after."""
    if not (math.isfinite(buffer_m) and buffer_m > 0):
        raise ValidationError("buffer", f"must be a positive number of metres; got {buffer_m:g}")
    pb, pa = parse_period(before, store.tz, "before"), parse_period(after, store.tz, "after")
    target = data.find_place(store, viewer, place)
    ctrl = data.find_place(store, viewer, control)
    zone = target.geom.buffer(buffer_m)
    ring = zone.difference(target.geom)
    # Bowers & Johnson: the control must not overlap the target or the buffer, else it shares
    # their counts; the usual practice is to leave the overlap out of the control, and say so
    notes: list[str] = []
    overlap = ctrl.geom.intersection(zone).area
    control_geom = ctrl.geom
    if overlap > 1e-6 * ctrl.geom.area:
        control_geom = ctrl.geom.difference(zone)
        if control_geom.area <= 1e-6 * ctrl.geom.area:
            raise ValidationError(
                "control",
                f"{ctrl.name} lies within {target.name} and its {buffer_m:g} m buffer; "
                "choose a control area apart from them",
            )
        notes.append(
            f"The control area {ctrl.name} overlaps {target.name} or its {buffer_m:g} m "
            f"buffer; the overlap ({overlap / 1e4:.2f} of {ctrl.geom.area / 1e4:.2f} ha) is "
            "left out of the control, which must not contain them (Bowers & Johnson 2003)."
        )
    cats = _categories(store, layer, category)

    def n(geom, period):
        box = store.projector.to_wgs84(geom).bounds
        pts = data.load_points(
            store, viewer, layer, period=period, categories=cats, bounds_wgs84=box
        )
        return int(an.count_in_polygons(pts.x, pts.y, [geom])[0]) if len(pts) else 0

    counts = [
        n(target.geom, pb),
        n(target.geom, pa),
        n(ring, pb),
        n(ring, pa),
        n(control_geom, pb),
        n(control_geom, pa),
    ]
    if counts[4] == 0 or counts[5] == 0:
        raise ValidationError(
            "control",
            f"{ctrl.name} has no records you may see before or after "
            "(the quotient divides by them); choose a larger control area",
        )
    res = an.weighted_displacement_quotient(*counts)
    row = {k: v for k, v in res.__dict__.items()}
    return AnalysisOutput(
        "displacement",
        row,
        [row],
        None,
        notes,
        {
            "place": place,
            "buffer": buffer_m,
            "control": control,
            "before": before,
            "after": after,
            "category": category,
        },
    )


def effect(
    store: Store,
    viewer: Viewer,
    place: str,
    intervention: str,
    *,
    control: str | None = None,
    category: str | None = None,
    layer: str = "crimes",
    date_from: str | None = None,
    date_to: str | None = None,
    slice_: str = "month",
) -> AnalysisOutput:
    """Interrupted time series (segmented Poisson regression with seasonality) on monthly or
    weekly counts, and difference-in-differences against a control area."""
    at = parse_period(intervention, store.tz, "intervention").start
    start = parse_period(date_from, store.tz, "from").start if date_from else _add_years(at, -2)
    end = parse_period(date_to, store.tz, "to").end if date_to else _add_years(at, 2)
    period = between(start, end)
    edges = _slices(period, slice_)
    cats = _categories(store, layer, category)

    def series(pl):
        pts = data.load_points(
            store, viewer, layer, period=period, categories=cats, within=(pl.id, 0)
        )
        t = pts.times.astype(np.int64)
        return np.bincount(np.searchsorted(edges, t, side="right") - 1, minlength=len(edges) - 1)[
            : len(edges) - 1
        ].astype(float)

    target = data.find_place(store, viewer, place)
    y = series(target)
    k = int(np.searchsorted(edges, int(at.timestamp()), side="left"))
    if k < 3 or k > len(y) - 3:
        raise ValidationError("intervention", "needs at least 3 slices before and after it")
    if y[:k].sum() < 5 or y[k:].sum() < 5:
        raise ValidationError(
            "place",
            f"too few records to fit a time series ({int(y[:k].sum())} before and "
            f"{int(y[k:].sum())} after the intervention that you may see; at least 5 each)",
        )
    its = an.interrupted_time_series(
        y,
        k,
        period=12 if slice_ == "month" else 52,
        seasonality="fourier" if len(y) >= 24 else "none",
    )
    summary = {
        "place": target.name,
        "slices": len(y),
        "intervention_index": k,
        "level_change_rr": its.level_change[0],
        "level_change_low": its.level_change[1],
        "level_change_high": its.level_change[2],
        "trend_change_rr": its.trend_change[0],
        "trend_change_low": its.trend_change[1],
        "trend_change_high": its.trend_change[2],
    }
    rows = [
        {
            "slice_start": datetime.fromtimestamp(int(edges[i]), store.tz).date().isoformat(),
            "count": float(y[i]),
            "counterfactual": float(its.counterfactual[i]),
        }
        for i in range(len(y))
    ]
    notes: list[str] = []
    if control:
        c = data.find_place(store, viewer, control)
        yc = series(c)
        summary["control"] = c.name
    if control and (yc[:k].sum() == 0 or yc[k:].sum() == 0):
        # the DiD's interaction has no finite estimate when a control period has no records
        notes.append(
            f"No difference-in-differences: {c.name} has {int(yc[:k].sum())} records before "
            f"and {int(yc[k:].sum())} after the intervention that you may see (it needs some "
            "in both); choose a larger control area or a longer period."
        )
    elif control:
        post = (np.arange(len(y)) >= k).astype(float)
        # one row per place and slice: the interaction is the DiD rate ratio
        did = an.difference_in_differences(
            np.concatenate([y, yc]),
            np.r_[np.ones(len(y)), np.zeros(len(yc))],
            np.concatenate([post, post]),
        )
        summary.update(
            did_rate_ratio=did.rate_ratio,
            did_low=did.ci_low,
            did_high=did.ci_high,
            did_p=did.p_value,
        )
    return AnalysisOutput(
        "effect",
        summary,
        rows,
        None,
        notes,
        {
            "place": place,
            "intervention": intervention,
            "control": control,
            "category": category,
            "slice": slice_,
        },
    )


def _add_years(t: datetime, years: int) -> datetime:
    """The same date `years` on; 29 February becomes 28 February in a common year."""
    try:
        return t.replace(year=t.year + years)
    except ValueError:
        return t.replace(year=t.year + years, day=28)


def survey(store: Store, viewer: Viewer, area: str, question: str | None = None) -> AnalysisOutput:
    """Shares with Wilson intervals by year for the area and the city, and whether the gap is
    significant (two-proportion z test, Newcombe interval of the difference)."""
    from sqlalchemy import select

    from lagesbild.store.access import visible

    t = survey_results
    with store.read() as conn:
        q = select(t.c.year, t.c.area, t.c.question, t.c.share, t.c.n).where(visible(t, viewer))
        rows = conn.execute(q).all()
    if question:  # a plain substring in any case (in SQL, % and _ would be wildcards)
        needle = question.strip().casefold()
        rows = [r for r in rows if needle in r.question.casefold()]
    wanted = area.strip().casefold()
    mine = [r for r in rows if r.area.casefold() == wanted]
    if not mine:
        raise NotFound(
            f"no survey results for area {area!r}"
            + (f" and question {question!r}" if question else "")
        )
    questions = sorted({r.question for r in mine})
    exact = [q for q in questions if question and q.casefold() == question.strip().casefold()]
    if exact:  # "Otrygg" is that question, even if "Otrygg kväll" contains it too
        questions = exact[:1]
        mine = [r for r in mine if r.question == questions[0]]
    if len(questions) > 1:
        raise ValidationError(
            "question", "several questions match; give one of: " + "; ".join(questions)
        )
    qtext = questions[0]
    notes = []
    if wanted == "city":
        city = {}  # the city against itself is no comparison
        notes.append("These are the city's own figures; there is no city average to compare.")
    else:
        city = {r.year: r for r in rows if r.area == "city" and r.question == qtext}
    out = []
    for r in sorted(mine, key=lambda r: r.year):
        # share x n, not rounded: a survey's share is weighted, and the interval must be that
        # of the share shown
        wi = an.wilson_interval(r.share * r.n, r.n)
        rec = {
            "year": r.year,
            "area": r.area,
            "share": r.share,
            "n": r.n,
            "ci_low": wi.ci_low,
            "ci_high": wi.ci_high,
        }
        if r.year in city:
            c = city[r.year]
            ci = an.wilson_interval(c.share * c.n, c.n)
            cmp = an.compare_shares(r.share * r.n, r.n, c.share * c.n, c.n)
            rec.update(
                city_share=c.share,
                city_n=c.n,
                city_ci_low=ci.ci_low,
                city_ci_high=ci.ci_high,
                difference=cmp.difference,
                diff_ci_low=cmp.ci_low,
                diff_ci_high=cmp.ci_high,
                p_value=cmp.p_value,
                significant=cmp.significant,
            )
        out.append(rec)
    return AnalysisOutput(
        "survey",
        {"area": area, "question": qtext, "years": len(out)},
        out,
        None,
        notes,
        {"area": area, "question": question},
    )
