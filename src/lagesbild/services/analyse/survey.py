"""Survey shares by year with Wilson intervals for an area and the city, and whether the gap is
significant (two-proportion z test, Newcombe interval of the difference)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from lagesbild import analysis as an
from lagesbild.domain.model import Viewer
from lagesbild.errors import NotFound, ValidationError
from lagesbild.i18n import text
from lagesbild.services.analyse.query import SURVEY
from lagesbild.services.results import AnalysisOutput
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import survey_results


def _compared(r, city: dict, deff: float) -> dict[str, Any]:
    # share x n, not rounded: a survey's share is weighted, and the interval must be that
    # of the share shown; the intervals and the test on the effective sample n / deff
    wi = an.wilson_interval(r.share * r.n, r.n, design_effect=deff)
    rec = {
        "year": r.year,
        "area": r.area,
        "share": r.share,
        "n": r.n,
        "n_eff": wi.n,
        "design_effect": deff,
        "ci_low": wi.ci_low,
        "ci_high": wi.ci_high,
    }
    if r.year in city:
        c = city[r.year]
        ci = an.wilson_interval(c.share * c.n, c.n, design_effect=deff)
        cmp = an.compare_shares(r.share * r.n, r.n, c.share * c.n, c.n, design_effect=deff)
        rec.update(
            city_share=c.share,
            city_n=c.n,
            city_ci_low=ci.ci_low,
            city_ci_high=ci.ci_high,
            difference=cmp.difference,
            diff_ci_low=cmp.ci_low,
            diff_ci_high=cmp.ci_high,
            p_value=cmp.p_value,
            significant=cmp.significant,
        )
    return rec


def survey(
    store: Store,
    viewer: Viewer,
    area: str,
    question: str | None = None,
    *,
    design_effect: float | None = None,
) -> AnalysisOutput:
    """The survey results of `area` (its name as in the survey, or "city") for the question
    (a part of its text, in any case; None when the area has one question) by year. A weighted
    survey's `design_effect` D (Kish's n / n_eff of its weights, `an.kish_design_effect`;
    None: a simple random sample, D = 1) widens the intervals and weakens the test of the
    area and the city alike: each uses the effective sample n / D."""
    deff = 1.0 if design_effect is None else float(design_effect)
    t = survey_results
    with store.read() as conn:
        q = select(t.c.year, t.c.area, t.c.question, t.c.share, t.c.n).where(visible(t, viewer))
        rows = conn.execute(q).all()
    if question:  # a plain substring in any case (in SQL, % and _ would be wildcards)
        needle = question.strip().casefold()
        rows = [r for r in rows if needle in r.question.casefold()]
    wanted = area.strip().casefold()
    mine = [r for r in rows if r.area.casefold() == wanted]
    if not mine:
        raise NotFound(
            f"no survey results for area {area!r}"
            + (f" and question {question!r}" if question else "")
        )
    questions = sorted({r.question for r in mine})
    exact = [q for q in questions if question and q.casefold() == question.strip().casefold()]
    if exact:  # "Otrygg" is that question, even if "Otrygg kväll" contains it too
        questions = exact[:1]
        mine = [r for r in mine if r.question == questions[0]]
    if len(questions) > 1:
        raise ValidationError(
            "question", "several questions match; give one of: " + "; ".join(questions)
        )
    qtext = questions[0]
    notes = []
    if wanted == "city":
        city = {}  # the city against itself is no comparison
        notes.append(text("analyse.note.city_itself", "en"))
    else:
        city = {r.year: r for r in rows if r.area == "city" and r.question == qtext}
    out = [_compared(r, city, deff) for r in sorted(mine, key=lambda r: r.year)]
    summary = {
        "area": area,
        "question": qtext,
        "years": len(out),
        "design_effect": deff,
        "design": "given" if design_effect is not None else "simple random sample",
    }
    return AnalysisOutput("survey", summary, out, None, notes)


def run(store: Store, viewer: Viewer, asked: Mapping[str, Any]) -> AnalysisOutput:
    """`survey` from the query as written (`query.SURVEY`)."""
    out = survey(store, viewer, **SURVEY.options(asked))
    return out.echo(SURVEY.echo(asked))
