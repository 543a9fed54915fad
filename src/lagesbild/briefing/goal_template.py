"""The place partnership's four goals as a template a coordinator applies to a place: each goal
with the indicators that speak to it (whole and clean: syringes, litter, broken lights; safe:
violent crime, and the safety survey; welcoming: footfall, people observed by group; art and
culture: the activation events). Applying adds one forum goal per indicator that has data at
the place; the coordinator edits them afterwards (`goals edit`) or edits a copy of the template
(`goals template show > F.json`, `goals template apply --file F.json`).

Evidence that is no goal indicator (the survey, the activation events) is listed as such, so
the meeting sees it belongs to the goal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from lagesbild.briefing import forum
from lagesbild.domain.model import SYSTEM, WRITE_ROLES, Viewer
from lagesbild.errors import AccessDenied, ValidationError
from lagesbild.store.engine import Store

PARTNERSHIP: list[dict[str, Any]] = [
    {
        "key": "whole_clean",
        "sv": "Platsen är hel och ren",
        "en": "The square is whole and clean",
        "indicators": [
            {"indicator": "measurements:syringes_collected", "change": -0.3},
            {"indicator": "measurements:litter", "change": -0.3},
            {"indicator": "measurements:broken_lights", "change": -0.3},
        ],
        "evidence": [],
    },
    {
        "key": "safe",
        "sv": "Platsen är trygg",
        "en": "The square is safe",
        "indicators": [{"indicator": "crimes:violent_crime", "change": -0.2}],
        "evidence": ["survey"],
    },
    {
        "key": "welcoming",
        "sv": "Platsen är välkomnande för alla",
        "en": "The square is welcoming to everyone",
        "indicators": [
            {"indicator": "measurements:footfall", "change": 0.1},
            {"indicator": "measurements:people_observed:girls_13_18", "change": 0.3},
        ],
        "evidence": [],
    },
    {
        "key": "art_culture",
        "sv": "Platsen är känd som en öppen konst- och kulturscen",
        "en": "The square is known as an open art and culture scene",
        "indicators": [],
        "evidence": ["activation_events"],
    },
]


def load_template(path: str | None) -> list[dict[str, Any]]:
    """The built-in template, or an edited copy of it (JSON, the same shape)."""
    if path is None:
        return PARTNERSHIP
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError("file", f"cannot read the template {path}: {exc}") from None
    if not isinstance(raw, list) or not all(
        isinstance(g, dict) and {"key", "sv", "en", "indicators"} <= set(g) for g in raw
    ):
        raise ValidationError(
            "file", "expected a list of goals with key, sv, en and indicators (see template show)"
        )
    return raw


def apply(
    store: Store,
    viewer: Viewer,
    place: str,
    baseline: str,
    *,
    deadline: date | None = None,
    lang: str = "sv",
    template: list[dict[str, Any]] | None = None,
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """Add the template's goals for `place`: one per indicator with a baseline there. Returns
    per indicator the goal id, or why it was left out; `dry_run` adds nothing and says which
    would be made (`made`) and which left out (the page's preview)."""
    if viewer != SYSTEM and viewer.role not in WRITE_ROLES:
        raise AccessDenied("your role may not add goals")
    out = []
    for goal in template or PARTNERSHIP:
        title = goal["sv"] if lang == "sv" else goal["en"]
        for ind in goal["indicators"]:
            row = {"goal": goal["key"], "indicator": ind["indicator"]}
            try:
                row["id"] = forum.add_goal(
                    store,
                    viewer,
                    f"{title}: {_indicator_words(store, ind['indicator'], lang)}",
                    place,
                    ind["indicator"],
                    baseline_period=baseline,
                    target_change=ind.get("change"),
                    deadline=deadline,
                    dry_run=dry_run,
                )
                row["made"] = True
            except ValidationError as exc:  # e.g. no litter measured at this place
                row["skipped"] = exc.message
                row["skipped_field"] = exc.field
            out.append(row)
        for ev in goal.get("evidence", []):
            out.append({"goal": goal["key"], "evidence": ev})
    return out


def _indicator_words(store: Store, indicator: str, lang: str) -> str:
    from lagesbild.services.measurements import group_label

    layer, _, rest = indicator.partition(":")
    if layer == "measurements":
        code, _, group = rest.partition(":")
        words = store.taxonomy.metric(code).label(lang)
        return f"{words} ({group_label(group, lang, store.taxonomy)})" if group else words
    cat = store.taxonomy.get(layer, rest)
    return cat.label(lang) if cat else indicator


def edit(
    store: Store,
    viewer: Viewer,
    goal_id: int,
    *,
    title: str | None = None,
    change: float | None = None,
    target: float | None = None,
    deadline: date | None = None,
) -> None:
    """Change a goal's title, target (a change or a value) or deadline; the baseline stays.
    The CLI's names for `forum.update_goal` (the page's), where a deadline left out is kept."""
    forum.update_goal(
        store,
        viewer,
        goal_id,
        title=title,
        target_change=change,
        target_value=target,
        deadline=forum.KEEP if deadline is None else deadline,
    )
