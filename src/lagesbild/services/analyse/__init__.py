"""The analyses on stored data: load what the viewer may see (`services.data`), call the pure
functions of `lagesbild.analysis`, and shape an `AnalysisOutput`. The CLI (`lagesbild analyse`),
the API (`/api/v1/analyse/...`), the pages, the reports and the briefings all call these, so
their numbers are the same.

One module per analysis (`indicators`, `hotspots`, `emerging`, `extent`, `coverage`,
`displacement`, `effect`, `survey`, `lisa`, `nearrepeat`, `pattern`, `pai`), each with the
analysis itself, which takes domain objects (a `PlaceGeo` with its boundary in the projected
CRS, a `Period` of aware instants, category codes) and returns its result in the projected
CRS, and `run`, which resolves a query as written once (`resolve`) and echoes it. `query`
declares each analysis's fields; `answer` is the one path of the edges: the text values of a
query in, the result in WGS84 out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lagesbild import i18n
from lagesbild.domain.model import Viewer
from lagesbild.services.analyse import (
    coverage,
    displacement,
    effect,
    emerging,
    extent,
    hotspots,
    indicators,
    lisa,
    nearrepeat,
    pai,
    pattern,
    survey,
)
from lagesbild.services.analyse.query import QUERIES, Query
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.engine import Store

__all__ = ["CAVEAT", "ENFORCEMENT_CAVEAT", "QUERIES", "RUNS", "answer"]

# the caveat the indicators note (in English) and the reports and pages show in their reader's
# language: the catalogue's key, and its text in both languages
CAVEAT = "analyse.caveat.enforcement"
ENFORCEMENT_CAVEAT: dict[str, str] = {lang: i18n.text(CAVEAT, lang) for lang in i18n.LANGS}

RUNS: dict[str, Callable[[Store, Viewer, Mapping[str, Any]], AnalysisOutput]] = {
    "indicators": indicators.run,
    "hotspots": hotspots.run,
    "emerging": emerging.run,
    "extent": extent.run,
    "coverage": coverage.run,
    "displacement": displacement.run,
    "effect": effect.run,
    "survey": survey.run,
    "lisa": lisa.run,
    "nearrepeat": nearrepeat.run,
    "pattern": pattern.run,
    "pai": pai.run,
}


def answer(
    query: Query | str, store: Store, viewer: Viewer, values: Mapping[str, Any]
) -> AnalysisOutput:
    """An analysis asked for in text (`values` by field name; those left out take their
    defaults), resolved once, with the request echoed and the geometries in WGS84: what the
    CLI, the API and the pages show and write."""
    q = QUERIES[query] if isinstance(query, str) else query
    out = RUNS[q.name](store, viewer, q.complete(values))
    return out.in_wgs84(store.projector)
