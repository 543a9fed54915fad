"""The report's short generated text: one sentence per finding, each stating its number (through
`Figures`, so the printed number is the engine's), in Swedish or English. A change is called
certain only when its 95 % interval lies wholly on one side of 1."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup

from lagesbild.briefing import fmt
from lagesbild.report.numbers import Figures

S = {
    "sv": {
        "cat": (
            "{label} i {place}: {b} under perioden mot {a} perioden före, kvot {rr} "
            "(95 % KI {ci}): {verdict}."
        ),
        "down": "en säker minskning",
        "no_data": "inga uppgifter för perioden",
        "data_ends": (
            "Inga brott finns registrerade efter {day}: perioden saknar uppgifter, och dess "
            "tal är inte en minskning."
        ),
        "no_crimes": "Inga brott finns registrerade: perioden saknar uppgifter.",
        "incomplete": "ofullständiga uppgifter, ingen bedömning",
        "data_partial": (
            "Brott finns registrerade till och med {day}, före periodens sista dag {last}: "
            "periodens tal är ofullständiga och ges ingen bedömning."
        ),
        "up": "en säker ökning",
        "flat": "ingen säker förändring",
        "area": "{place} omfattar {ha} hektar.",
        "extent": (
            "Scenens utbredning var {ha_a} ha i kartläggningen {ra} och {ha_b} ha i {rb}: "
            "{lost} ha föll bort och {gained} ha tillkom."
        ),
        "per_ha": (
            "Räknat per hektar av respektive års utbredning: {label} {a} och {b} per hektar, "
            "kvot {rr} (95 % KI {ci})."
        ),
        "hot": "{n99} rutor om 50 m var heta punkter på 99 %-nivån och {n95} på 95 %-nivån (Gi*).",
        "survey": "Trygghetsmätningen {year}: {share} i {area} mot {city} i staden.",
        "cov": (
            "Kamerorna täcker {cam} av ytan och {cams} av gatorna; förordnandeområden för "
            "ordningsvakter täcker {grd} av ytan."
        ),
        "effect": (
            "Efter {event} ({date}) ändrades nivån med kvoten {rr} (95 % KI {ci}) och trenden "
            "med {trr} per månad (95 % KI {tci})."
        ),
        "did": "Mot {control}: skillnad-i-skillnader-kvot {did} (95 % KI {ci}).",
        "police": "Polisens närvaro: {a} personaltimmar perioden före och {b} under perioden.",
        "no_police": "Ingen polisnärvaro finns registrerad, så en förändring i narkotikabrott "
        "kan inte skiljas från en förändring i polisens aktivitet.",
    },
    "en": {
        "cat": (
            "{label} in {place}: {b} in the period against {a} in the period before, ratio {rr} "
            "(95 % CI {ci}): {verdict}."
        ),
        "down": "a certain decrease",
        "no_data": "no data for the period",
        "data_ends": (
            "No crimes are recorded after {day}: the period has no data, and its figures are "
            "not a decrease."
        ),
        "no_crimes": "No crimes are recorded: the period has no data.",
        "incomplete": "incomplete data, no verdict",
        "data_partial": (
            "Crimes are recorded up to {day}, before the period's last day {last}: the "
            "period's figures are incomplete and get no verdict."
        ),
        "up": "a certain increase",
        "flat": "no certain change",
        "area": "{place} covers {ha} hectares.",
        "extent": (
            "The scene's extent was {ha_a} ha in the {ra} mapping and {ha_b} ha in {rb}: "
            "{lost} ha dropped out and {gained} ha were added."
        ),
        "per_ha": (
            "Per hectare of each year's extent: {label} {a} and {b} per hectare, ratio {rr} "
            "(95 % CI {ci})."
        ),
        "hot": "{n99} cells of 50 m were hot spots at 99 % and {n95} at 95 % (Gi*).",
        "survey": "Safety survey {year}: {share} in {area} against {city} in the city.",
        "cov": (
            "Cameras cover {cam} of the area and {cams} of the streets; guard-designated areas "
            "cover {grd} of the area."
        ),
        "effect": (
            "After {event} ({date}) the level changed by a ratio of {rr} (95 % CI {ci}) and the "
            "trend by {trr} per month (95 % CI {tci})."
        ),
        "did": "Against {control}: difference-in-differences ratio {did} (95 % CI {ci}).",
        "police": "Police presence: {a} person-hours in the period before and {b} in the period.",
        "no_police": "No police presence is recorded, so a change in drug offences cannot be "
        "told apart from a change in police activity.",
    },
}


def no_data_sentence(ends, lang: str) -> Markup:
    """Why the period's crime figures are not counts: the store's crimes end before it
    (`ends`, the last day) or none is recorded (`ends` None)."""
    if ends is None:
        return Markup(S[lang]["no_crimes"])
    return Markup(S[lang]["data_ends"]).format(day=ends.isoformat())


def verdict(row: dict, lang: str, no_data: bool = False, incomplete: bool = False) -> str:
    """What a rate ratio says; `no_data` when the store's records end before the period (a
    count of 0 there is missing data, not a fall), `incomplete` when they end within it (its
    count lacks the days after, which would read as a fall)."""
    s = S[lang]
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
    s = S[lang]
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
            label = fmt.category("crimes", cat, lang).capitalize()
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
                    label=fmt.category("crimes", "violent_crime", lang),
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
        return Markup(S[lang]["no_police"])
    return Markup(S[lang]["police"]).format(
        a=f("ind|summary|police_presence_hours_a", a), b=f("ind|summary|police_presence_hours_b", b)
    )
