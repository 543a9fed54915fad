"""The statutory situational picture (*lägesbild*, lag 2023:196) for a whole municipality or
district: crime and insecurity by area and over time, the areas ranked by need, and an action
plan built from the strategic forum's goals and the action items."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import and_, or_, select

from lagesbild.briefing import est, forum
from lagesbild.briefing import figures as bfig
from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.errors import LagesbildError
from lagesbild.i18n import check_lang, label, section, text
from lagesbild.report import charts
from lagesbild.report.findings import no_data_sentence, sentences
from lagesbild.report.numbers import Figures
from lagesbild.report.place import days, no_data, periods
from lagesbild.services import data
from lagesbild.services.analyse import survey as surveys
from lagesbild.services.analyse.texts import ENFORCEMENT_CAVEAT
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import action_items, organisations

YEARS_BACK = 4


def done_actions(store: Store, viewer: Viewer, place_ids: list[int], start, end) -> list[dict]:
    t = action_items
    q = (
        select(t.c.id, t.c.text, organisations.c.name.label("responsible"), t.c.done_at)
        .join(organisations, organisations.c.id == t.c.responsible_org_id)
        .where(
            or_(t.c.place_id.in_(place_ids), t.c.place_id.is_(None)),
            and_(t.c.status == "done", t.c.done_at >= start, t.c.done_at < end),
            visible(t, viewer),
        )
        .order_by(t.c.done_at)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def _years(store, viewer, areas, first_year: int, last_year: int) -> dict[str, dict[int, dict]]:
    out: dict[str, dict[int, dict]] = {}
    for p in areas:
        ha = p.geom.area / 1e4
        for y in range(first_year, last_year + 1):
            period = Period(
                str(y),
                datetime(y, 1, 1, tzinfo=store.tz),
                datetime(y + 1, 1, 1, tzinfo=store.tz),
            )
            n = sum(data.count_in(store, viewer, "crimes", p.id, 0, period, None).values())
            out.setdefault(p.name, {})[y] = {"count": n, "per_ha": n / ha, "area_ha": ha}
    return out


def build(
    store: Store, viewer: Viewer, area: str, date_from: str, date_to: str, lang: str
) -> dict[str, Any]:
    lang = check_lang(lang)
    f = Figures(lang)
    d = data.find_place(store, viewer, area)
    first, last = days(store, date_from, date_to)
    now, before = periods(first, last, store.tz)
    areas = [p for p in est.areas(store, viewer, d) if p.kind in est.AREA_KINDS]
    # ranked over exactly the report's period and the one before it that the header names
    ranking = est.ranking(store, viewer, d, last, start=first)
    start = datetime.combine(first, time(), store.tz)
    missing, ends = no_data(store, viewer, start)
    # years after the last crime have no data: not shown as years of 0 crimes
    last_year = last.year if ends is None else min(last.year, ends.year)
    years = _years(store, viewer, areas, max(first.year - YEARS_BACK, 2000), last_year)
    survey = {}
    for p in areas:
        try:
            survey[p.name] = surveys.survey(store, viewer, p.name).rows
        except LagesbildError:
            continue
    family = bfig.family(store, viewer, d.id)
    end = datetime.combine(last + timedelta(days=1), time(), store.tz)
    dash = forum.dashboard(store, viewer, f"{last:%Y-%m}")
    names = bfig.place_names(store, viewer)
    family_names = {names.get(i) for i in family}
    goals = [g for g in dash["goals"] if g["place"] in family_names]
    open_now = bfig.open_actions(store, viewer, family, end)
    done = done_actions(store, viewer, family, start, end)
    ctx: dict[str, Any] = {
        "kind": "municipality",
        "lang": lang,
        "place": d.name,
        "first": first,
        "last": last,
        "period": now.label,
        "before": before.label,
        "ranking": ranking,
        "years": years,
        "survey": survey,
        "goals": goals,
        "open_actions": open_now,
        "done_actions": done,
        "caveat": ENFORCEMENT_CAVEAT[lang],
        "no_data": missing,
        "data_ends": ends if missing else None,
    }
    ctx["maps"] = {}
    if any(years.values()):
        ctx["maps"]["years"] = charts.area_years_chart(
            {a: {y: v["per_ha"] for y, v in ys.items()} for a, ys in years.items()},
            lang,
            text("chart.per_ha_year", lang),
            "/ ha",
        )
    if survey:
        ctx["maps"]["survey"] = charts.survey_chart(
            {a: rows for a, rows in survey.items()}, lang, ""
        )
    ctx["findings"] = _findings(ctx, f, lang)
    ctx["f"] = f
    return ctx


def _findings(ctx: dict[str, Any], f: Figures, lang: str) -> list[Markup]:
    s = section("town", lang)
    out = [no_data_sentence(ctx["data_ends"], lang)] if ctx["no_data"] else []
    for r in ctx["ranking"]["areas"]:
        k = f"rank|{r['place']}"
        out.append(
            Markup(s["area"]).format(
                area=r["place"],
                n=f(f"{k}|count_now", r["count_now"]),
                per_ha=f(f"{k}|per_ha", r["per_ha"], 1),
                ci=Markup("{}–{}").format(
                    f(f"{k}|per_ha_low", r["per_ha_low"], 1),
                    f(f"{k}|per_ha_high", r["per_ha_high"], 1),
                ),
                rr=f(f"{k}|rate_ratio", r["rate_ratio"], 2),
                rci=f.interval(k, r["ci_low"], r["ci_high"]),
                trend=label("trend", r["trend"], lang),
            )
        )
    for area, rows in ctx["survey"].items():
        with_city = [r for r in rows if r.get("city_share") is not None]
        if with_city:
            r = with_city[-1]
            out.append(
                Markup(sentences(lang)["survey"]).format(
                    year=r["year"],
                    area=area,
                    share=f(f"survey|{area}|{r['year']}|share", r["share"], 0, pct=True),
                    city=f(f"survey|{area}|{r['year']}|city_share", r["city_share"], 0, pct=True),
                )
            )
    for g in ctx["goals"]:
        status = label("goal_status", g.get("status"), lang)
        if "rate_ratio" in g and g.get("status") != "no data":  # no ratio against missing data
            k = f"goal|{g['id']}"
            out.append(
                Markup(s["goal_count"]).format(
                    title=g["title"],
                    b=f(f"{k}|current_count", g["current_count"]),
                    a=f(f"{k}|baseline_count", g["baseline_count"]),
                    base=g["baseline_period"],
                    rr=f(f"{k}|rate_ratio", g["rate_ratio"], 2),
                    ci=f.interval(k, g["ci_low"], g["ci_high"]),
                    target=f(f"{k}|target_ratio", g["target_ratio"], 2),
                    status=status,
                )
            )
        else:
            out.append(Markup(s["goal"]).format(title=g["title"], status=status))
    out.append(
        Markup(s["actions"]).format(
            open=f("actions|open", len(ctx["open_actions"])),
            done=f("actions|done", len(ctx["done_actions"])),
        )
    )
    return out
