"""The follow-up report for one place and period: the data of each section, each figure from
`services.analyse` (indicators, extent comparison, hot spots, coverage, effect, survey) or from
the pure functions of `lagesbild.analysis` (rates per hectare with Garwood intervals), and the
charts and maps drawn from them. The place is looked up once and its period made once; every
section takes those objects."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lagesbild import analysis as an
from lagesbild.briefing import figures as bfig
from lagesbild.briefing.est import previous_start
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.i18n import format as fmt
from lagesbild.i18n import text
from lagesbild.report import charts, findings
from lagesbild.report.measurements import sections as measurement_sections
from lagesbild.report.numbers import Figures
from lagesbild.services import data
from lagesbild.services.analyse import (
    CAVEAT,
    coverage,
    effect,
    extent,
    hotspots,
    indicators,
    resolve,
)
from lagesbild.services.analyse import survey as surveys
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import places, survey_results

KEY_CATEGORIES = ("drug_offence", "violent_crime")


def days(store: Store, date_from: str, date_to: str) -> tuple[date, date]:
    """The first and last day of the report (each may be a year, month or day)."""
    from lagesbild.domain.periods import parse_period

    a = parse_period(date_from, store.tz, "from").start.date()
    b = (parse_period(date_to, store.tz, "to").end - timedelta(hours=12)).date()
    if b < a:
        raise ValidationError("to", "must not be before from")
    return a, b


def no_data(store: Store, viewer: Viewer, start: datetime) -> tuple[bool, date | None]:
    """Whether a period from `start` has no crime data: no crime is recorded at all, or the
    last is before `start` (a count of 0 there is missing data, not a fall); and the local day
    of the last crime when there is one."""
    last = data.latest(store, viewer, "crimes")
    if last is None:
        return True, None
    return last < start, last.astimezone(store.tz).date()


def periods(first: date, last: date, tz: ZoneInfo) -> tuple[Period, Period]:
    """The report's period (its days `first`..`last`) and the one before it
    (`est.previous_start`), labelled as `analyse` writes periods. Rates are per hectare-day, so
    periods of unequal length still compare."""
    start = previous_start(first, last + timedelta(days=1))
    before_last = first - timedelta(days=1)
    return _days(first, last, tz), _days(start, before_last, tz)


def _days(first: date, last: date, tz: ZoneInfo) -> Period:
    """The days `first`..`last` (both included) from midnight to midnight, local time."""
    start, end = (datetime.combine(d, time(), tz) for d in (first, last + timedelta(days=1)))
    return Period(f"{first}..{last}", start, end)


def comparison_area(store: Store, viewer: Viewer, exclude: int) -> data.PlaceGeo | None:
    """The first comparison area the viewer may see, other than the place itself."""
    with store.read() as conn:
        row = conn.execute(
            select(*data.PLACE_COLUMNS)
            .where(
                places.c.kind == "comparison_area", places.c.id != exclude, visible(places, viewer)
            )
            .order_by(places.c.id)
        ).first()
    return data.place_geo(store, row) if row else None


def survey_areas(store: Store, viewer: Viewer, place: data.PlaceGeo) -> list[str]:
    """Survey areas for the place: its own name, else areas named inside it (e.g. Sergels
    torg for "Sergels torg/Klara"), else the areas of places below it."""
    with store.read() as conn:
        names = sorted(
            set(
                conn.execute(
                    select(survey_results.c.area).where(
                        visible(survey_results, viewer), survey_results.c.area != "city"
                    )
                ).scalars()
            )
        )
    low = place.name.lower()
    if place.name in names:
        return [place.name]
    inside = [n for n in names if n.lower() in low]
    if inside:
        return inside
    below = set(
        bfig.place_names(store, viewer).get(i) for i in bfig.family(store, viewer, place.id)
    )
    return [n for n in names if n in below]


def _effect(store, viewer, place, period: Period, events: list[dict], control):
    """ITS (and DiD against the comparison area) at the first activation event that leaves
    three months on each side inside the period."""
    for e in events:
        start = datetime.fromisoformat(str(e["starts_at"])).astimezone(store.tz).date()
        if start < period.start.date():
            continue
        at = datetime.combine(start, time(), store.tz)
        try:
            out = effect.effect(store, viewer, place, at, period, control=control)
        except (ValidationError, ValueError):
            continue
        return e, out
    return None, None


def build(
    store: Store, viewer: Viewer, place: str, date_from: str, date_to: str, lang: str
) -> dict[str, Any]:
    lang = fmt.check_lang(lang)
    f = Figures(lang)
    p = resolve.place(store, viewer, place)  # the one look-up: every section takes `p`
    first, last = days(store, date_from, date_to)
    period, before = periods(first, last, store.tz)
    ind = indicators.indicators(store, viewer, p, before, period)
    rows = ind.rows
    place_rows = [
        r for r in indicators.rows_of(rows, indicators.PLACE) if r["count_a"] or r["count_b"]
    ]
    # rates per hectare in the period with their exact intervals, per scope and key category
    rates = []
    for r in rows:
        if r["category"] in KEY_CATEGORIES and r["scope"].kind != indicators.CITY:
            pi_a = an.poisson_interval(r["count_a"], r["area_a_ha"])
            pi_b = an.poisson_interval(r["count_b"], r["area_b_ha"])
            rates.append({**r, "pi_a": pi_a, "pi_b": pi_b})
    ext = data.place_extents(store, viewer, p)
    extents = [(e.round, e.status, e.geom, e.geom.area / 1e4) for e in ext]
    compare = None
    if len(ext) >= 2:
        compare = extent.compare(ext[-2], ext[-1]).summary
    hot = hotspots.hotspots(store, viewer, p, period)
    hot_cells = [  # in the projected CRS, as the map draws them
        g
        for r, g in zip(hot.rows, hot.geometries or [], strict=False)
        if str(r["class"]).startswith("hot")
    ]
    streets = data.streets_near(store, viewer, p.geom.buffer(100))
    survey, question = {}, ""
    for area in survey_areas(store, viewer, p):
        try:
            res = surveys.survey(store, viewer, area)
        except LagesbildError:
            continue
        survey[area], question = res.rows, res.summary["question"]
    cov = coverage.coverage(store, viewer, p, ext[-1] if ext else None, last)
    events = bfig.activations(store, viewer, period.start, period.end, p)
    control = comparison_area(store, viewer, p.id)
    event, its = _effect(store, viewer, p, period, events, control)
    ctx: dict[str, Any] = {
        "kind": "place",
        "lang": lang,
        "place": p.name,
        "place_kind": p.kind,
        "first": first,
        "last": last,
        "period": period.label,
        "before": before.label,
        "area_ha": p.geom.area / 1e4,
        "indicators": ind,
        "place_rows": place_rows,
        "rates": rates,
        "extents": [(y, s, ha) for y, s, _, ha in extents],
        "compare": compare,
        "hot": hot.summary,
        "survey": survey,
        "coverage": cov,
        "uncovered": sorted(
            ({**r, "row": i} for i, r in enumerate(cov.rows)),
            key=lambda r: -(r.get("length_m") or 0),
        )[:8],
        "events": events,
        "effect_event": event,
        "effect": its,
        "control": control.name if control else None,
        "caveat": text(CAVEAT, lang),
    }
    ctx["no_data"], ends = no_data(store, viewer, period.start)
    ctx["data_ends"] = ends if ctx["no_data"] else None
    # the records end within the period: its counts lack the days after
    ctx["data_incomplete"] = ends if not ctx["no_data"] and ends and ends < last else None
    ctx["maps"] = {
        "extents": charts.extent_maps(p.name, p.geom, extents, streets, lang, hot_cells),
    }
    if survey:
        ctx["maps"]["survey"] = charts.survey_chart(survey, lang, question)
    if its is not None:
        months = [r["slice_start"][:7] for r in its.rows]
        ctx["maps"]["effect"] = charts.its_chart(
            months,
            [r["count"] for r in its.rows],
            [r["counterfactual"] for r in its.rows],
            its.summary["intervention_index"],
            lang,
            event["title"],
        )
    ctx["measurements"] = measurement_sections(store, viewer, p, before, period, lang)
    ctx["findings"] = findings.place_findings(ctx, f)
    ctx["f"] = f
    return ctx
