"""The place partnership's template applied from `/goals` (issue 23): a coordinator chooses a
place, a baseline period and a deadline, sees which goals would be made and which left out
(and why: e.g. no syringes measured at that exact place), then applies it. The same
`briefing.goal_template.apply` as `lagesbild goals template apply`, first as a dry run."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lagesbild.briefing import goal_template
from lagesbild.errors import NotFound, ValidationError
from lagesbild.i18n import Translator
from lagesbild.web.briefing_pages import _form
from lagesbild.web.lang import lang_of
from lagesbild.web.meeting_views import indicator_label
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.pages_goals import GOAL_ROLES, _context, _day

router = APIRouter(include_in_schema=False)


@router.post("/goals/template", response_class=HTMLResponse)
@page
async def template_apply(request: Request, caller: CallerDep):
    need(caller, GOAL_ROLES)
    store = request.app.state.store
    t = Translator(lang_of(request), store.tz)
    form = await _form(request)
    values = {k: (form.get(k) or "").strip() for k in ("place", "baseline", "deadline")}
    errors: dict[str, str] = {}
    for k in ("place", "baseline"):
        if not values[k]:
            errors[k] = t("err.required")
    deadline = _day(values, "deadline", errors)
    if errors.get("deadline"):
        errors["deadline"] = t(errors["deadline"])
    rows: list[dict] = []
    apply = form.get("step") == "apply"
    if not errors:
        try:
            rows = goal_template.apply(
                store, caller.viewer, values["place"], values["baseline"],
                deadline=deadline, lang=t.lang, dry_run=not apply,
            )  # fmt: skip
        except NotFound:
            errors["place"] = t("briefing.err.place")
        except ValidationError as exc:
            errors[exc.field if exc.field in values else "baseline"] = exc.message
    goals = {g["key"]: g[t.lang] for g in goal_template.PARTNERSHIP}
    for r in rows:
        r["goal_words"] = goals.get(r["goal"], r["goal"])
        if r.get("skipped_field") == "baseline" and r["indicator"].startswith("measurements:"):
            r["skipped"] = _no_values(store, caller, t, r["indicator"], values["baseline"])
        r["words"] = (
            indicator_label(store.taxonomy, r["indicator"], t)
            if "indicator" in r
            else t("measure2.template.evidence." + r["evidence"])
        )
    ctx = _context(request, caller, None)
    ctx["template"] = {
        "values": values,
        "errors": errors,
        "rows": rows,
        "applied": apply and not errors,
        "made": sum(1 for r in rows if r.get("made")),
    }
    return render(request, caller, "goals.html", ctx, 400 if errors else 200)


def _no_values(store, caller, t: Translator, indicator: str, baseline: str) -> str:
    """Why a measurement goal was left out, in the page's language: the metric has no values
    at the place in the baseline period, and where it is measured (the service's reason is
    English, for the CLI and the API)."""
    from lagesbild.briefing.goal_measurements import measured_at

    code = indicator.split(":")[1]
    # the row names the indicator in the column beside: not again here
    words = t("measure2.template.no_values", period=baseline)
    elsewhere = measured_at(store, caller.viewer, code)
    return words + (
        t("measure2.template.measured_at", places=", ".join(elsewhere)) if elsewhere else ""
    )
