"""The generated situational picture of an operational briefing, as a JSON-safe dict.

For a place and the period since its previous briefing: counts by category against the previous
period of equal length (the engine's exact Poisson rate ratio and interval), notable events
(categories of severity 3, and categories not seen in the previous period), this period's hot
spots (Gi* from `services.analyse.hotspots`), observations by organisation, tonight's roster
and priority places, activation events tonight and the next days, and the action items open at
the briefing. The picture is stored with the briefing and kept unchanged once it is locked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lagesbild.briefing import figures
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.domain.taxonomy import DRUG_OFFENCE
from lagesbild.errors import ValidationError
from lagesbild.services import data
from lagesbild.services.analyse import ENFORCEMENT_CAVEAT, hotspots
from lagesbild.services.results import clean, geometries_to_wgs84
from lagesbild.store.engine import Store

SEVERE = 3
TONIGHT_ENDS = time(6, 0)  # the evening's roster runs into the night
AHEAD_DAYS = 3  # activation events "tonight and the next days"
HOT_CELLS = 5
PICTURE_VERSION = 1


def tonight(at: datetime, tz) -> tuple[datetime, datetime]:
    """From the briefing until 06:00 the next morning, local time."""
    local = at.astimezone(tz)
    end = datetime.combine(local.date() + timedelta(days=1), TONIGHT_ENDS, tz)
    return at, end


def notable_categories(store: Store, layer: str, rows: list[dict]) -> dict[str, str]:
    """{category: reason} of the categories whose records are notable: severity 3 ("severe"),
    or seen now but not in the previous period ("new")."""
    out: dict[str, str] = {}
    for r in rows:
        cat = store.taxonomy.get(layer, r["category"])
        if cat is not None and cat.severity >= SEVERE:
            out[r["category"]] = "severe"
        elif r["count_a"] == 0 and r["count_b"] > 0:
            out[r["category"]] = "new"
    return out


def _hot_spots(store: Store, viewer: Viewer, place: data.PlaceGeo, period: Period, layer: str):
    """Gi* over exactly the briefing's period, hot cells only."""
    first = period.start.astimezone(store.tz).date()
    last = (period.end - timedelta(seconds=1)).astimezone(store.tz).date()
    try:
        out = hotspots.hotspots(store, viewer, place, period, layer=layer)
    except ValidationError as exc:
        return {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "error": exc.message,
            "cells": [],
        }
    cells = []
    hot = [(row, geom) for row, geom in zip(out.rows, out.geometries or [], strict=False)]
    hot = [(row, geom) for row, geom in hot if str(row["class"]).startswith("hot")]
    # the centre of the cell as drawn on the map (WGS84), as the picture has always kept it
    drawn = geometries_to_wgs84(store.projector, [geom for _, geom in hot])
    for (row, _), geom in zip(hot, drawn, strict=True):
        c = geom.centroid
        if row.get("count"):  # a hot cell with nothing in it is its neighbours' shadow
            cells.append({**row, "lon": c.x, "lat": c.y})
    cells.sort(key=lambda r: -(r["z"] or 0))
    name_cells(store, viewer, cells[:HOT_CELLS])
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "summary": out.summary,
        "hot_cells": sum(v for k, v in out.summary.items() if k.startswith("cells_hot")),
        "cells": cells[:HOT_CELLS],
    }


STREET_WITHIN_M = 150  # a hot spot further from every street is named by its coordinates


def name_cells(store: Store, viewer: Viewer, cells: list[dict[str, Any]]) -> list[dict]:
    """Give each hot cell (``lat``, ``lon``) the name of the nearest street within
    `STREET_WITHIN_M` as ``street`` (None when none is that near), so a meeting hears a place,
    not coordinates. Pictures stored before kept no name: the pages name them when shown."""
    import shapely

    todo = [c for c in cells if "street" not in c and c.get("lat") is not None]
    if not todo:
        return cells
    points = [store.projector.to_projected(shapely.Point(c["lon"], c["lat"])) for c in todo]
    area = shapely.MultiPoint(points).buffer(STREET_WITHIN_M)
    streets = data.streets_near(store, viewer, area)
    for c, pt in zip(todo, points, strict=True):
        near = [(g.distance(pt), name) for name, g in streets]
        best = min(near, default=None)
        c["street"] = best[1] if best and best[0] <= STREET_WITHIN_M else None
    return cells


def _priorities(store: Store, viewer: Viewer, place_ids: list[int], day: date) -> list[dict]:
    from lagesbild.briefing import est

    return [p for p in est.priorities_on(store, viewer, day) if p["place_id"] in place_ids]


def generate(
    store: Store,
    viewer: Viewer,
    place: data.PlaceGeo,
    at: datetime,
    period_from: datetime,
    briefing_id: int | None = None,
) -> dict[str, Any]:
    """The picture of `place` for the period [period_from, at)."""
    if period_from >= at:
        raise ValidationError("period", "the period must end after it starts")
    now = Period(f"{period_from.isoformat()}..{at.isoformat()}", period_from, at)
    before = now.previous()
    counts, notable, new_categories, severe_categories = {}, [], {}, {}
    for layer in ("crimes", "observations"):
        rows = figures.category_rows(store, viewer, place, before, now, layer)
        counts[layer] = [r for r in rows if r["count_a"] or r["count_b"]]
        reasons = notable_categories(store, layer, rows)
        new_categories[layer] = sorted(c for c, why in reasons.items() if why == "new")
        severe_categories[layer] = sorted(c for c, why in reasons.items() if why == "severe")
        if reasons:
            for rec in figures.records_in(store, viewer, layer, place.id, now, sorted(reasons)):
                notable.append({**rec, "reason": reasons[rec["category"]]})
    notable.sort(key=lambda r: (r["occurred_at"], r["layer"], r["id"]))
    family = figures.family(store, viewer, place.id)
    night_start, night_end = tonight(at, store.tz)
    roster = figures.roster(store, viewer, night_start, night_end, family, briefing_id)
    notes = []
    if any(r["category"] == DRUG_OFFENCE for r in counts["crimes"]):
        notes.append(ENFORCEMENT_CAVEAT)
    picture = {
        "version": PICTURE_VERSION,
        "place": place.name,
        "place_id": place.id,
        "at": at,
        "period": {"from": now.start, "to": now.end, "days": now.days},
        "previous_period": {"from": before.start, "to": before.end, "days": before.days},
        "counts": counts,
        "totals": {
            layer: {
                "now": sum(r["count_b"] for r in rows),
                "before": sum(r["count_a"] for r in rows),
            }
            for layer, rows in counts.items()
        },
        "notable": notable,
        "new_categories": new_categories,
        "severe_categories": severe_categories,
        "hotspots": {
            layer: _hot_spots(store, viewer, place, now, layer)
            for layer in ("crimes", "observations")
        },
        "by_organisation": figures.observations_by_organisation(store, viewer, place.id, now),
        "roster": {
            "from": night_start,
            "to": night_end,
            "entries": roster,
            "organisations": len({r["organisation"] for r in roster}),
            "headcount": sum(r["headcount"] for r in roster),
        },
        "priorities": _priorities(store, viewer, family, at.astimezone(store.tz).date()),
        "activations": figures.activations(
            store, viewer, at, at + timedelta(days=AHEAD_DAYS), place
        ),
        "actions": figures.open_actions(store, viewer, family, at),
        "notes": notes,
        "generated_at": datetime.now(UTC),
    }
    return clean(picture)
