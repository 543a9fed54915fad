"""Indicators: counts, area, count per hectare and the rate ratio B/A per category, for a place,
each extent of it, the scene extent of each period's own mapping round, and the city."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.domain.taxonomy import DRUG_OFFENCE
from lagesbild.i18n import text
from lagesbild.services import data
from lagesbild.services.analyse import resolve
from lagesbild.services.data import PlaceGeo
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

PLACE, EXTENT, ROUNDS, CITY = "place", "extent", "rounds", "city"


class Scope(str):
    """What a row of `indicators` is about. It is the label the row shows and serialises
    ("place: Klara", "extent 2023", "extent of each period's round (2022 vs 2023)",
    "city: Stockholm") and carries `kind` (place, extent, rounds, city), `place_id` and the
    mapping `rounds` it compares, and the place's `name`, so callers pick rows by these, never
    by parsing the label."""

    kind: str
    place_id: int
    name: str
    rounds: tuple[int, ...]

    def __new__(cls, label: str, kind: str, place: PlaceGeo, rounds: tuple[int, ...] = ()) -> Scope:
        self = super().__new__(cls, label)
        self.kind, self.place_id, self.name = kind, place.id, place.name
        self.rounds = tuple(rounds)
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # copy and pickle keep the fields
        return (_scope, (str(self), self.kind, self.place_id, self.name, self.rounds))


def _scope(label: str, kind: str, place_id: int, name: str, rounds: tuple[int, ...]) -> Scope:
    s = str.__new__(Scope, label)
    s.kind, s.place_id, s.name, s.rounds = kind, place_id, name, rounds
    return s


def _rate_rows(scope, area_a, area_b, counts_a, counts_b, period_a, period_b, cats) -> list[dict]:
    """Per category the counts in A and B, per hectare, and the rate ratio B/A per hectare-day
    with its exact conditional interval and p-value."""
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


def place_rows(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    period_a: Period,
    period_b: Period,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
) -> list[dict]:
    """The place's own rows of `indicators` (every code of the layer without `categories`).
    Briefings call this with their periods between instants (18:00 to 18:00)."""
    cats = list(categories) if categories else store.taxonomy.codes(layer)
    a = data.count_in(store, viewer, layer, place.id, 0, period_a, cats)
    b = data.count_in(store, viewer, layer, place.id, 0, period_b, cats)
    ha = place.geom.area / 1e4
    scope = Scope(f"place: {place.name}", PLACE, place)
    return _rate_rows(scope, ha, ha, a, b, period_a, period_b, cats)


def indicators(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    period_a: Period,
    period_b: Period,
    *,
    layer: str = "crimes",
    categories: Sequence[str] | None = None,
) -> AnalysisOutput:
    """Counts, area, count per hectare and the rate ratio B/A (95 % exact interval, p) per
    category for the place, each extent of it, the scene extent of each period's own mapping
    round, and the city. `categories` None: every code of the layer."""
    pa, pb, p = period_a, period_b, place
    cats = list(categories) if categories else store.taxonomy.codes(layer)
    rows = place_rows(store, viewer, p, pa, pb, layer, cats)

    def scope(label, place_id, round_a, round_b, area_a, area_b):
        ca = data.count_in(store, viewer, layer, place_id, round_a, pa, cats)
        cb = data.count_in(store, viewer, layer, place_id, round_b, pb, cats)
        rows.extend(_rate_rows(label, area_a, area_b, ca, cb, pa, pb, cats))

    extents = data.place_extents(store, viewer, p)
    for e in extents:
        ha = e.geom.area / 1e4
        scope(
            Scope(f"extent {e.round}", EXTENT, p, (e.round,)),
            p.id,
            e.round_id,
            e.round_id,
            ha,
            ha,
        )
    by_year = {e.round: e for e in extents}
    ea, eb = by_year.get(pa.start.year), by_year.get(pb.start.year)
    if ea and eb and ea.round != eb.round:
        label = f"extent of each period's round ({ea.round} vs {eb.round})"
        scope(
            Scope(label, ROUNDS, p, (ea.round, eb.round)),
            p.id,
            ea.round_id,
            eb.round_id,
            ea.geom.area / 1e4,
            eb.geom.area / 1e4,
        )
    c = data.city(store, viewer)
    if c is not None and c.id != p.id:
        ha = c.geom.area / 1e4
        scope(Scope(f"city: {c.name}", CITY, c), c.id, 0, 0, ha, ha)

    summary: dict[str, Any] = {
        "place": p.name,
        "layer": layer,
        "period_a": pa.label,
        "period_b": pb.label,
    }
    presence, notes = caveats(store, viewer, p, pa, pb, layer, cats)
    summary.update(presence)
    return AnalysisOutput("indicators", summary, rows, None, notes)


def caveats(
    store: Store,
    viewer: Viewer,
    place: PlaceGeo,
    period_a: Period,
    period_b: Period,
    layer: str,
    categories: Sequence[str],
) -> tuple[dict[str, float | None], list[str]]:
    """For drug offences, which police activity finds: the police presence in each period
    (person-hours on the roster) and the notes that say what a change may mean."""
    if layer != "crimes" or DRUG_OFFENCE not in categories:
        return {}, []
    hours_a = data.police_presence_hours(store, viewer, period_a, place.id)
    hours_b = data.police_presence_hours(store, viewer, period_b, place.id)
    notes = [text("analyse.caveat.enforcement", "en")]
    if hours_a is None or hours_b is None:
        notes.append(text("analyse.note.no_police_presence", "en"))
    else:
        notes.append(text("analyse.note.police_presence", "en", hours_a=hours_a, hours_b=hours_b))
    return {"police_presence_hours_a": hours_a, "police_presence_hours_b": hours_b}, notes


def rows_of(rows: list[dict], kind: str) -> list[dict]:
    """The rows whose scope is of `kind` (PLACE, EXTENT, ROUNDS, CITY)."""
    return [r for r in rows if getattr(r["scope"], "kind", None) == kind]


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`indicators` from the query as written (`query.INDICATORS`)."""
    period_a, period_b = asked["period"]
    pa = resolve.period(store, period_a, "period A")
    pb = resolve.period(store, period_b, "period B")
    layer = resolve.layer(asked["layer"])  # checked before the taxonomy, which knows no layer
    place = resolve.place(store, viewer, asked["place"])
    cats = resolve.categories(store, layer, asked["category"])
    out = indicators(store, viewer, place, pa, pb, layer=layer, categories=cats)
    return out.echo(
        {
            "place": asked["place"],
            "period": [period_a, period_b],
            "category": asked["category"],
            "layer": layer,
        }
    )
