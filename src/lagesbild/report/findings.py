"""The report's short generated text: one sentence per finding, each stating its number (through
`Figures`, so the printed number is the engine's), in Swedish or English. A change is called
certain only when its 95 % interval lies wholly on one side of 1."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup

from lagesbild.i18n import category, section
from lagesbild.report.numbers import Figures


def sentences(lang: str) -> dict[str, str]:
    """The findings' sentence templates in `lang` (catalogue keys `finding.*`)."""
    return section("finding", lang)


def no_data_sentence(ends, lang: str) -> Markup:
    """Why the period's crime figures are not counts: the store's crimes end before it
    (`ends`, the last day) or none is recorded (`ends` None)."""
    if ends is None:
        return Markup(sentences(lang)["no_crimes"])
    return Markup(sentences(lang)["data_ends"]).format(day=ends.isoformat())


def verdict(row: dict, lang: str, no_data: bool = False, incomplete: bool = False) -> str:
    """What a rate ratio says; `no_data` when the store's records end before the period (a
    count of 0 there is missing data, not a fall), `incomplete` when they end within it (its
    count lacks the days after, which would read as a fall)."""
    s = sentences(lang)
    if no_data:
        return s["no_data"]
    if incomplete:
        return s["incomplete"]
    if row["ci_high"] is not None and row["ci_high"] < 1:
        return s["down"]
    if row["ci_low"] is not None and row["ci_low"] > 1:
        return s["up"]
    return s["flat"]


def _cat_sentence(
    f: Figures,
    s,
    row: dict,
    place: str,
    lang: str,
    label: str,
    no_data: bool = False,
    incomplete: bool = False,
) -> Markup:
    key = f"ind|{row['scope']}|{row['category']}"
    return Markup(s["cat"]).format(
        label=label,
        place=place,
        a=f(f"{key}|count_a", row["count_a"]),
        b=f(f"{key}|count_b", row["count_b"]),
        rr=f(f"{key}|rate_ratio", row["rate_ratio"], 2),
        ci=f.interval(key, row["ci_low"], row["ci_high"]),
        verdict=verdict(row, lang, no_data, incomplete),
    )


def place_findings(ctx: dict[str, Any], f: Figures) -> list[Markup]:
    lang = ctx["lang"]
    s = sentences(lang)
    out = [Markup(s["area"]).format(place=ctx["place"], ha=f("place|area_ha", ctx["area_ha"], 1))]
    rows = ctx["indicators"].rows
    missing = ctx.get("no_data", False)
    partial = ctx.get("data_incomplete")
    if missing:
        out.append(no_data_sentence(ctx.get("data_ends"), lang))
    elif partial:
        out.append(
            Markup(s["data_partial"]).format(day=partial.isoformat(), last=ctx["last"].isoformat())
        )
    for cat in ("drug_offence", "violent_crime"):
        row = next((r for r in rows if r["scope"].kind == "place" and r["category"] == cat), None)
        if row is not None:
            label = category("crimes", cat, lang).capitalize()
            out.append(_cat_sentence(f, s, row, ctx["place"], lang, label, missing, bool(partial)))
    cmp = ctx["compare"]
    if cmp:
        out.append(
            Markup(s["extent"]).format(
                ha_a=f("cmp|area_a_ha", cmp["area_a_ha"], 1),
                ha_b=f("cmp|area_b_ha", cmp["area_b_ha"], 1),
                ra=cmp["round_a"],
                rb=cmp["round_b"],
                lost=f("cmp|lost_ha", cmp["lost_ha"], 1),
                gained=f("cmp|gained_ha", cmp["gained_ha"], 1),
            )
        )
    for r in rows:
        if r["scope"].kind == "rounds" and r["category"] == "violent_crime":
            key = f"ind|{r['scope']}|{r['category']}"
            out.append(
                Markup(s["per_ha"]).format(
                    label=category("crimes", "violent_crime", lang),
                    a=f(f"{key}|per_ha_a", r["per_ha_a"], 1),
                    b=f(f"{key}|per_ha_b", r["per_ha_b"], 1),
                    rr=f(f"{key}|rate_ratio", r["rate_ratio"], 2),
                    ci=f.interval(key, r["ci_low"], r["ci_high"]),
                )
            )
    hot = ctx["hot"]
    out.append(
        Markup(s["hot"]).format(
            n99=f("hot|cells_hot_99", hot.get("cells_hot_99", 0)),
            n95=f("hot|cells_hot_95", hot.get("cells_hot_95", 0)),
        )
    )
    for area, srows in ctx["survey"].items():
        with_city = [r for r in srows if r.get("city_share") is not None]
        if with_city:
            r = with_city[-1]
            out.append(
                Markup(s["survey"]).format(
                    year=r["year"],
                    area=area,
                    share=f(f"survey|{area}|{r['year']}|share", r["share"], 0, pct=True),
                    city=f(f"survey|{area}|{r['year']}|city_share", r["city_share"], 0, pct=True),
                )
            )
    cov = ctx["coverage"].summary
    out.append(
        Markup(s["cov"]).format(
            cam=f("cov|camera_area_share", cov["camera_area_share"], 0, pct=True),
            cams=f("cov|camera_street_share", cov["camera_street_share"], 0, pct=True),
            grd=f("cov|guard_area_share", cov["guard_area_share"], 0, pct=True),
        )
    )
    eff = ctx["effect"]
    if eff is not None:
        e = eff.summary
        ev = ctx["effect_event"]
        out.append(
            Markup(s["effect"]).format(
                event=ev["title"],
                date=str(datetime.fromisoformat(str(ev["starts_at"])).date()),
                rr=f("effect|level_change_rr", e["level_change_rr"], 2),
                ci=Markup("{}–{}").format(
                    f("effect|level_change_low", e["level_change_low"], 2),
                    f("effect|level_change_high", e["level_change_high"], 2),
                ),
                trr=f("effect|trend_change_rr", e["trend_change_rr"], 3),
                tci=Markup("{}–{}").format(
                    f("effect|trend_change_low", e["trend_change_low"], 3),
                    f("effect|trend_change_high", e["trend_change_high"], 3),
                ),
            )
        )
        if "did_rate_ratio" in e:
            out.append(
                Markup(s["did"]).format(
                    control=e["control"],
                    did=f("effect|did_rate_ratio", e["did_rate_ratio"], 2),
                    ci=Markup("{}–{}").format(
                        f("effect|did_low", e["did_low"], 2), f("effect|did_high", e["did_high"], 2)
                    ),
                )
            )
    out.append(police_sentence(ctx["indicators"].summary, f, lang))
    return out


def police_sentence(summary: dict, f: Figures, lang: str) -> Markup:
    a, b = summary.get("police_presence_hours_a"), summary.get("police_presence_hours_b")
    if a is None or b is None:
        return Markup(sentences(lang)["no_police"])
    return Markup(sentences(lang)["police"]).format(
        a=f("ind|summary|police_presence_hours_a", a), b=f("ind|summary|police_presence_hours_b", b)
    )
