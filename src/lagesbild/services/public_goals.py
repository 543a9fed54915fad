"""The public goals' counts as cells of the one public table (`services.public.public_figures`).

A public goal (sensitivity ``public``) is shown without sign-in, and it counts shared records as
well (`store.access.counted_for`), so its counts go through the same suppression as the public
counts. To the public it is counted by fixed periods only: calendar months and calendar years
in the store's zone. A moving 12-month window (``month=`` moved by one) would let a caller take
one window from the next and learn the month that came in less the month that went out; with
fixed years the windows never partly overlap, and every month, year and baseline of every
public goal is suppressed in one table, so the answer for one year never undoes another.

Cells, for goal ``g``: ``("goal", g, "month", "YYYY-MM")``, ``("goal", g, "year", Y)`` (the sum
of its months, and the sum of the public per-category counts of the goal's categories at its
place that year) and ``("goal", g, "baseline")`` (the sum of its months when the baseline
period is made of whole months). A month or year with no record of the layer before or after
it is None ("no data"), not 0.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select

from lagesbild.domain.model import PUBLIC_VIEWER, Sensitivity
from lagesbild.domain.periods import parse_period
from lagesbild.errors import LagesbildError
from lagesbild.services.disclosure import Table
from lagesbild.store.access import counted_for, visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import assignments, crimes, goals, observations, places

POINTS = {"crimes": crimes, "observations": observations}


def public_goal_rows(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(goals, places.c.name.label("place"))
            .join(places, places.c.id == goals.c.place_id)
            .where(goals.c.sensitivity == Sensitivity.PUBLIC.value)
            .order_by(goals.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def _layer_and_codes(store: Store, indicator: str) -> tuple[str, list[str]] | None:
    layer, _, cat = (indicator or "").strip().lower().partition(":")
    if layer not in POINTS:
        return None  # a status goal: no count
    try:
        codes = (store.taxonomy.expand(layer, cat) if cat else None) or store.taxonomy.codes(layer)
    except LagesbildError:
        return None
    return layer, list(codes)


def month_label(t: datetime, tz) -> str:
    return f"{t.astimezone(tz):%Y-%m}"


def add_goals(store: Store, t: Table) -> None:
    """Each public count goal's month, year and baseline cells, with their relations."""
    tz = store.tz
    with store.read() as conn:
        public_places = set(
            conn.execute(select(places.c.name).where(visible(places, PUBLIC_VIEWER))).scalars()
        )
    for g in public_goal_rows(store):
        found = _layer_and_codes(store, g["indicator"])
        if found is None:
            continue
        layer, codes = found
        table = POINTS[layer]
        who = counted_for(g["sensitivity"], g["owner_org_id"])
        with store.read() as conn:
            span = conn.execute(
                select(func.min(table.c.occurred_at), func.max(table.c.occurred_at)).where(
                    visible(table, who)
                )
            ).one()
            times = (
                conn.execute(
                    select(table.c.occurred_at)
                    .join(
                        assignments,
                        and_(assignments.c.record_id == table.c.id, assignments.c.layer == layer),
                    )
                    .where(
                        assignments.c.place_id == g["place_id"],
                        assignments.c.round_id == 0,
                        table.c.category.in_(codes),
                        visible(table, who),
                    )
                )
                .scalars()
                .all()
            )
            by_month: dict[str, int] = {}
            for when in times:
                lab = month_label(when, tz)
                by_month[lab] = by_month.get(lab, 0) + 1
        if span[0] is None:
            continue
        first, last = span[0].astimezone(tz), span[1].astimezone(tz)
        gid = g["id"]
        for y in range(first.year, last.year + 1):
            months = []
            for m in range(1, 13):
                lab = f"{y}-{m:02d}"
                # no record of the layer anywhere up to / from this month: no data
                has_data = (y, m) >= (first.year, first.month) and (y, m) <= (last.year, last.month)
                t.add(("goal", gid, "month", lab), by_month.get(lab, 0) if has_data else None)
                months.append(("goal", gid, "month", lab))
            year_total = sum(t.cells[k] or 0 for k in months)
            t.add(("goal", gid, "year", y), year_total)
            t.relate(("goal", gid, "year", y), months)
            if g["place"] in public_places:  # the same records as the per-category counts
                parts = [k for c in codes if (k := ("count", g["place"], y, layer, c)) in t.cells]
                if sum(t.cells[k] or 0 for k in parts) == year_total:
                    t.relate(("goal", gid, "year", y), parts)
        _baseline(store, t, g, times, first, last)


def _baseline(store: Store, t: Table, g: dict, times: list, first, last) -> None:
    gid = g["id"]
    try:
        p = parse_period(g["baseline_period"] or "", store.tz)
    except LagesbildError:
        return
    start, end = p.start.astimezone(store.tz), p.end.astimezone(store.tz)
    labels = []
    y, m = start.year, start.month
    while (y, m) < (end.year, end.month):
        labels.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    whole = start.day == 1 and end.day == 1 and start.hour == 0 and end.hour == 0
    value = sum(1 for when in times if p.start <= when < p.end)
    if end.date() <= date(first.year, first.month, 1) or start > last:
        value = None
    t.add(("goal", gid, "baseline"), value)
    keys = [("goal", gid, "month", lab) for lab in labels]
    if whole and all(k in t.cells for k in keys):
        t.relate(("goal", gid, "baseline"), keys)
