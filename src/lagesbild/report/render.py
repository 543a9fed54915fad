"""The report as HTML (print styles, charts embedded) and PDF (WeasyPrint, the same HTML)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lagesbild.briefing import fmt
from lagesbild.briefing.render import environment, write_document
from lagesbild.domain.model import SHARED_AUDIENCE, Viewer
from lagesbild.store.engine import Store

HERE = Path(__file__).parent

LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Uppföljning",
        "municipal_title": "Lägesbild över brottslighet och otrygghet",
        "period": "Period",
        "compared_with": "jämförs med",
        "summary": "Sammanfattning",
        "caveat": "Observera",
        "extent": "Den öppna drogscenens utbredning per kartläggning",
        "map_note": "Streckad linje: platsens gräns. Röd yta: scenens utbredning det året. "
        "Orange rutor: heta punkter (Gi*) för anmälda brott under perioden. Grå: gator.",
        "round": "Kartläggning",
        "status": "Status",
        "hectares": "Hektar",
        "crimes": "Anmälda brott",
        "category": "Kategori",
        "before": "Perioden före",
        "now": "Perioden",
        "per_ha": "Per hektar",
        "ratio": "Kvot",
        "ci": "KI",
        "rates": "Takt per hektar med osäkerhet",
        "scope": "Område",
        "rates_note": "Intervall: exakta Poisson-intervall (Garwood) för antal per hektar; kvoten "
        "är takten per hektar och dag under perioden delad med perioden före (exakt villkorligt "
        "test).",
        "survey": "Trygghetsmätningen: platsen mot staden",
        "area": "Område",
        "year": "År",
        "share": "Andel",
        "city": "Staden",
        "coverage": "Kameror och ordningsvakter",
        "coverage_of": "Täckning av",
        "streets": "gata",
        "cameras": "kameror",
        "guard_areas": "förordnandeområden",
        "area_share": "Andel av ytan",
        "street_share": "Andel av gatorna",
        "uncovered": "Gator utan täckning",
        "street": "Gata",
        "not_covered_by": "Saknar",
        "activation": "Platsaktivering och uppskattad effekt",
        "events_in_period": "aktiviteter under perioden",
        "when": "När",
        "event": "Aktivitet",
        "kind": "Slag",
        "effect_note": "Avbruten tidsserie (segmenterad Poisson-regression) på anmälda brott per "
        "månad; streckad linje: modellens förlopp utan insatsen.",
        "no_effect": "Effekten kunde inte skattas: det behövs minst tre månader före och efter "
        "en aktivitet inom perioden.",
        "generated": "Skapad",
        "shared_only": "Räknar offentliga och delade uppgifter; begränsade uppgifter ingår inte.",
        "areas": "Områden",
        "ranking": "Områden rangordnade efter behov",
        "rank": "Plats",
        "trend": "Trend",
        "need": "Behov",
        "no_ranking": "Inget område rangordnas: perioden saknar uppgifter om brott.",
        "ranking_method": "Nivå: anmälda brott per hektar under perioden, exakt Poisson-intervall "
        "(95 %); trend: kvoten per dag mot perioden före (lika många kalendermånader, annars "
        "dagar), exakt 95 %-intervall; behov = nivå × trend när p < 0,05, annars nivå.",
        "over_time": "Brott per område och år",
        "per_ha_year": "Anmälda brott per hektar och år",
        "action_plan": "Åtgärdsplan",
        "goals": "Mål",
        "goal": "Mål",
        "deadline": "Senast",
        "progress": "Läge",
        "actions_open": "Pågående åtgärder",
        "actions_done": "Genomförda åtgärder under perioden",
        "responsible": "Ansvarig",
        "due": "Klart senast",
        "law": "Enligt lagen (2023:196) om kommuners ansvar för brottsförebyggande arbete ska "
        "kommunen ta fram en lägesbild över brottsligheten och otryggheten, uppdatera den "
        "regelbundet och besluta en åtgärdsplan utifrån den.",
        "cameras_": "kameror",
        "guard areas": "förordnandeområden",
        "rising": "ökande",
        "falling": "minskande",
        "stable": "ingen säker förändring",
        "met": "uppnått",
        "on track": "i rätt riktning",
        "not yet": "ej uppnått",
        "no target": "inget mål",
        "no data": "inga uppgifter för perioden",
        "cannot compute": "kan inte beräknas",
        "observations": "Observationer",
    },
    "en": {
        "title": "Follow-up",
        "municipal_title": "Situational picture of crime and insecurity",
        "period": "Period",
        "compared_with": "compared with",
        "summary": "Summary",
        "caveat": "Note",
        "extent": "The open drug scene's extent per mapping round",
        "map_note": "Dashed line: the place's boundary. Red: the scene's extent that year. "
        "Orange cells: hot spots (Gi*) of reported crime in the period. Grey: streets.",
        "round": "Mapping round",
        "status": "Status",
        "hectares": "Hectares",
        "crimes": "Reported crimes",
        "category": "Category",
        "before": "Period before",
        "now": "Period",
        "per_ha": "Per hectare",
        "ratio": "Ratio",
        "ci": "CI",
        "rates": "Rates per hectare with uncertainty",
        "scope": "Area",
        "rates_note": "Intervals: exact Poisson (Garwood) intervals of the count per hectare; the "
        "ratio is the rate per hectare and day in the period divided by the period before "
        "(exact conditional test).",
        "survey": "Safety survey: the place against the city",
        "area": "Area",
        "year": "Year",
        "share": "Share",
        "city": "City",
        "coverage": "Cameras and security guards",
        "coverage_of": "Coverage of",
        "streets": "of street",
        "cameras": "cameras",
        "guard_areas": "guard-designated areas",
        "area_share": "Share of area",
        "street_share": "Share of streets",
        "uncovered": "Streets not covered",
        "street": "Street",
        "not_covered_by": "Not covered by",
        "activation": "Place activation and its estimated effect",
        "events_in_period": "activation events in the period",
        "when": "When",
        "event": "Event",
        "kind": "Kind",
        "effect_note": "Interrupted time series (segmented Poisson regression) on reported crimes "
        "per month; dashed line: the model's course without the intervention.",
        "no_effect": "The effect could not be estimated: it needs at least three months before and "
        "after an event inside the period.",
        "generated": "Generated",
        "shared_only": "Counts public and shared records; restricted records are not included.",
        "areas": "Areas",
        "ranking": "Areas ranked by need",
        "rank": "Rank",
        "trend": "Trend",
        "need": "Need",
        "no_ranking": "No area is ranked: the period has no crime data.",
        "ranking_method": "Level: reported crimes per hectare in the period, exact Poisson 95 % "
        "interval; trend: rate ratio per day against the period before (as many calendar "
        "months, else days), exact 95 % interval; need = level × trend when p < 0.05, else "
        "level.",
        "over_time": "Crime by area and year",
        "per_ha_year": "Reported crimes per hectare and year",
        "action_plan": "Action plan",
        "goals": "Goals",
        "goal": "Goal",
        "deadline": "Deadline",
        "progress": "Status",
        "actions_open": "Ongoing action items",
        "actions_done": "Action items done in the period",
        "responsible": "Responsible",
        "due": "Due",
        "law": "Under the Act (2023:196) on municipalities' responsibility for crime prevention, "
        "the municipality must produce a situational picture of crime and insecurity, update it "
        "regularly and adopt an action plan based on it.",
        "cameras_": "cameras",
        "guard areas": "guard-designated areas",
        "rising": "rising",
        "falling": "falling",
        "stable": "no certain change",
        "met": "met",
        "on track": "on track",
        "not yet": "not yet",
        "no target": "no target",
        "no data": "no data for the period",
        "cannot compute": "cannot be computed",
        "observations": "Observations",
    },
}


def render(store: Store, ctx: dict[str, Any], template: str, viewer: Viewer) -> str:
    lang = ctx["lang"]
    ctx["shared_only"] = viewer is SHARED_AUDIENCE  # the footer says what it counts
    env = environment(HERE / "templates")
    return env.get_template(template).render(
        r=ctx,
        f=ctx["f"],
        t=LABELS[lang],
        lang=lang,
        when=lambda v: fmt.when(v, store.tz, lang),
        generated=datetime.now(UTC).astimezone(store.tz).strftime("%Y-%m-%d %H:%M"),
    )


def place_report(
    store: Store, viewer: Viewer, place: str, date_from: str, date_to: str, lang: str = "sv"
) -> tuple[str, dict[str, Any]]:
    """The HTML of the place report and its context (with `f.values`, every printed figure)."""
    from lagesbild.report import place as build

    ctx = build.build(store, viewer, place, date_from, date_to, lang)
    return render(store, ctx, "place.html", viewer), ctx


def municipality_report(
    store: Store, viewer: Viewer, area: str, date_from: str, date_to: str, lang: str = "sv"
) -> tuple[str, dict[str, Any]]:
    from lagesbild.report import municipality as build

    ctx = build.build(store, viewer, area, date_from, date_to, lang)
    return render(store, ctx, "municipality.html", viewer), ctx


def write(html: str, out: str | Path) -> Path:
    return write_document(html, out)
