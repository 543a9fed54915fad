"""The follow-up report for one place and period: the data of each section, each figure from
`services.analyse` (indicators, extent comparison, hot spots, coverage, effect, survey) or from
the pure functions of `lagesbild.analysis` (rates per hectare with Garwood intervals), and the
charts and maps drawn from them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from lagesbild import analysis as an
from lagesbild.briefing import figures as bfig
from lagesbild.briefing import fmt
from lagesbild.briefing.est import previous_start
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.report import charts, findings
from lagesbild.report.numbers import Figures
from lagesbild.services import analyse as svc
from lagesbild.services import data
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


def period_strings(first: date, last: date) -> tuple[str, str]:
    """The report's period and the one before it (`est.previous_start`), as `analyse`
    periods. Rates are per hectare-day, so periods of unequal length still compare."""
    start = previous_start(first, last + timedelta(days=1))
    return f"{first}..{last}", f"{start}..{first - timedelta(days=1)}"


def comparison_area(store: Store, viewer: Viewer, exclude: int) -> str | None:
    with store.read() as conn:
        return conn.execute(
            select(places.c.name)
            .where(
                places.c.kind == "comparison_area", places.c.id != exclude, visible(places, viewer)
            )
            .order_by(places.c.id)
        ).scalar()


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


def _effect(store, viewer, place, first: date, last: date, events: list[dict], control):
    """ITS (and DiD against the comparison area) at the first activation event that leaves
    three months on each side inside the period."""
    for e in events:
        start = datetime.fromisoformat(str(e["starts_at"])).astimezone(store.tz).date()
        if start < first:
            continue
        try:
            out = svc.effect(
                store,
                viewer,
                place.name,
                start.isoformat(),
                control=control,
                date_from=first.isoformat(),
                date_to=last.isoformat(),
            )
        except (ValidationError, ValueError):
            continue
        return e, out
    return None, None


def build(
    store: Store, viewer: Viewer, place: str, date_from: str, date_to: str, lang: str
) -> dict[str, Any]:
    lang = fmt.check_lang(lang)
    f = Figures(lang)
    p = data.find_place(store, viewer, place)
    first, last = days(store, date_from, date_to)
    now_s, before_s = period_strings(first, last)
    ind = svc.indicators(store, viewer, p.name, before_s, now_s)
    rows = ind.rows
    place_scope = f"place: {p.name}"
    place_rows = [r for r in rows if r["scope"] == place_scope and (r["count_a"] or r["count_b"])]
    # rates per hectare in the period with their exact intervals, per scope and key category
    rates = []
    for r in rows:
        if r["category"] in KEY_CATEGORIES and not r["scope"].startswith("city"):
            pi_a = an.poisson_interval(r["count_a"], r["area_a_ha"])
            pi_b = an.poisson_interval(r["count_b"], r["area_b_ha"])
            rates.append({**r, "pi_a": pi_a, "pi_b": pi_b})
    ext = data.place_extents(store, viewer, p)
    extents = [(e.round, e.status, e.geom, e.geom.area / 1e4) for e in ext]
    compare = None
    if len(ext) >= 2:
        compare = svc.extent(
            store, viewer, p.name, compare=(str(ext[-2].round), str(ext[-1].round))
        ).summary
    hot = svc.hotspots(store, viewer, p.name, first.isoformat(), last.isoformat())
    hot_cells = [
        store.projector.to_projected(g)
        for r, g in zip(hot.rows, hot.geometries or [], strict=False)
        if str(r["class"]).startswith("hot")
    ]
    streets = data.streets_near(store, viewer, p.geom.buffer(100))
    survey, question = {}, ""
    for area in survey_areas(store, viewer, p):
        try:
            res = svc.survey(store, viewer, area)
        except LagesbildError:
            continue
        survey[area], question = res.rows, res.summary["question"]
    cov = svc.coverage(store, viewer, p.name, str(ext[-1].round) if ext else None, last.isoformat())
    period = Period(
        now_s, *(datetime.combine(d, time(), store.tz) for d in (first, last + timedelta(days=1)))
    )
    events = bfig.activations(store, viewer, period.start, period.end, p)
    control = comparison_area(store, viewer, p.id)
    event, effect = _effect(store, viewer, p, first, last, events, control)
    ctx: dict[str, Any] = {
        "kind": "place",
        "lang": lang,
        "place": p.name,
        "place_kind": p.kind,
        "first": first,
        "last": last,
        "period": now_s,
        "before": before_s,
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
        "effect": effect,
        "control": control,
        "caveat": svc.ENFORCEMENT_CAVEAT[lang],
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
    if effect is not None:
        months = [r["slice_start"][:7] for r in effect.rows]
        ctx["maps"]["effect"] = charts.its_chart(
            months,
            [r["count"] for r in effect.rows],
            [r["counterfactual"] for r in effect.rows],
            effect.summary["intervention_index"],
            lang,
            event["title"],
        )
    ctx["findings"] = findings.place_findings(ctx, f)
    ctx["f"] = f
    return ctx
