"""The analyses asked for as a person writes them (place names, periods as text), through
`services.analyse.answer`, the one path of the CLI and the API: the text is resolved once, the
analysis runs on the domain objects, the request is echoed and the geometries come in WGS84.
The positional forms are those the tests have always used."""

from __future__ import annotations

from typing import Any

from lagesbild.services.analyse import ENFORCEMENT_CAVEAT, QUERIES, RUNS, answer

__all__ = [
    "ENFORCEMENT_CAVEAT",
    "coverage",
    "displacement",
    "effect",
    "emerging",
    "extent",
    "hotspots",
    "indicators",
    "survey",
]


def indicators(store, viewer, place, period_a, period_b, category=None, layer="crimes"):
    values = {"place": place, "period": [period_a, period_b], "category": category}
    return answer("indicators", store, viewer, {**values, "layer": layer})


def hotspots(store, viewer, place, date_from, date_to, **options: Any):
    values = {"place": place, "date_from": date_from, "date_to": date_to, **options}
    return answer("hotspots", store, viewer, values)


def emerging(store, viewer, place, date_from, date_to, *, distance=None, slice_="month", **kw):
    # `distance` is the service's, not the query's: asked of the analysis directly
    q = QUERIES["emerging"]
    values = q.complete(
        {"place": place, "date_from": date_from, "date_to": date_to, "slice": slice_, **kw}
    )
    return RUNS["emerging"](store, viewer, {**values, "distance": distance}).in_wgs84(
        store.projector
    )


def extent(store, viewer, place, date_from=None, date_to=None, **options: Any):
    values = {"place": place, "date_from": date_from, "date_to": date_to, **options}
    return answer("extent", store, viewer, values)


def coverage(store, viewer, place, round_=None, on=None):
    return answer("coverage", store, viewer, {"place": place, "round": round_, "date": on})


def displacement(store, viewer, place, buffer_m, control, before, after, **options: Any):
    values = {"place": place, "buffer": buffer_m, "control": control, "before": before}
    return answer("displacement", store, viewer, {**values, "after": after, **options})


def effect(store, viewer, place, intervention, *, slice_="month", **options: Any):
    values = {"place": place, "intervention": intervention, "slice": slice_, **options}
    return answer("effect", store, viewer, values)


def survey(store, viewer, area, question=None):
    return answer("survey", store, viewer, {"area": area, "question": question})
