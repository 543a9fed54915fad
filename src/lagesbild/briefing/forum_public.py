"""The goals dashboard as the public (no sign-in) gets it: fixed calendar years, every count
from the one public table (`services.public.public_figures`, suppressed together with the public
counts), nothing derived from a suppressed count.

- without ``month=``: the last calendar year with public crime counts that has ended (the data's,
  not the clock's);
- ``month=``: the public's window is the calendar year; a month that is not December stands for
  the last full year before it (``2024-06`` gives 2023), so two reachable windows never partly
  overlap (see `services.public_goals`). ``current_period`` says which year was used.
- counts (``baseline_count``, ``current_count``, ``baseline_value``, ``trend.counts``): a
  number, ``"<5"``, ``">=5"`` or ``"*"`` (`services.disclosure`), or None for no data;
- derived figures (``rate_ratio``, ``ci_low``, ``ci_high``, ``p_value``, ``target_ratio``,
  ``progress``, a ``target_value`` computed from the baseline, ``status``; the trend's
  ``direction`` and its Mann-Kendall ``tau``, ``z`` and ``p_value``, which the public gets in
  ``trend_test`` beside ``trend`` so that ``trend`` holds counts only) are None when any count
  they come from is suppressed, and the goal (or its trend) then carries
  ``"suppressed": true``. A target value set by hand of 1-4 is sent as ``"<5"`` as well: the
  contract is that no count-like figure is 1-4.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import parse_period
from lagesbild.services.disclosure import shown
from lagesbild.services.public import layer_years, public_figures
from lagesbild.store.engine import Store

DERIVED = ("rate_ratio", "ci_low", "ci_high", "p_value", "target_ratio", "progress")


def fixed_year_end(store: Store, month: str | date | None) -> date:
    """The last day of the calendar year the public's window covers. By default the last year
    with public crime counts, if it has ended (a default from the clock alone showed "no data"
    once the imports stopped, as the signed-in default, which follows the data, does not)."""
    if month is None:
        today = date.today()
        last = layer_years(store).get("crimes", (None, None))[1]
        year = today.year - 1 if last is None else min(last, today.year - 1)
        return date(year, 12, 31)
    if isinstance(month, date):
        end = month
    else:
        period = parse_period(str(month), store.tz, "month")
        end = date.fromordinal(period.end.date().toordinal() - 1)
    year = end.year if end.month == 12 and end.day == 31 else end.year - 1
    return date(year, 12, 31)


def public_dashboard(store: Store, viewer: Viewer, month: str | date | None, compute) -> dict:
    """`compute(store, viewer, end)` is the signed-in dashboard (`forum.dashboard`)."""
    end = fixed_year_end(store, month)
    dash = compute(store, viewer, end)
    figures = public_figures(store)
    for item in dash["goals"]:
        if str(item.get("indicator", "")).startswith("measurements:"):
            _measurement_goal(item)
            continue
        if "baseline_count" not in item:  # a status goal, or one that could not be computed
            for k in ("baseline_value", "target_value"):
                if isinstance(item.get(k), (int, float)):
                    item[k] = shown(int(item[k]))
            continue
        _count_goal(item, figures, end.year)
    return dash


def _measurement_goal(item: dict[str, Any]) -> None:
    """Its figures are suppressed where they are computed (`briefing.goal_measurements`). A
    target set by hand on a count or a mean of counts follows the same rule, and so does the
    baseline stored with the goal where no figures were computed ("no data", "cannot
    compute"); shares (0-1) are not counts."""
    if item.get("kind") == "share":
        return
    keys = ("target_value",) if "trend" in item else ("target_value", "baseline_value")
    for k in keys:
        item[k] = shown(item.get(k))


def _count_goal(item: dict[str, Any], figures: dict, year: int) -> None:
    gid = item["id"]
    base = figures.get(("goal", gid, "baseline"))
    current = figures.get(("goal", gid, "year", year))
    item["baseline_count"] = base
    item["baseline_value"] = base
    item["current_count"] = current
    item["current_period"] = f"{year}-01-01..{year}-12-31"
    hidden = isinstance(base, str) or isinstance(current, str)
    if hidden or base is None or current is None:
        for k in DERIVED:
            item[k] = None
        if hidden:
            item["status"] = "suppressed"
            item["suppressed"] = True
    tv = item.get("target_value")
    if item.get("target_change") is not None:  # computed from the baseline
        item["target_value"] = None if isinstance(base, str) else tv
    if isinstance(item.get("target_value"), (int, float)):
        item["target_value"] = shown(int(round(item["target_value"])))
    trend = item.get("trend") or {}
    labels = trend.get("months") or []
    counts = [figures.get(("goal", gid, "month", lab)) for lab in labels]
    trend["counts"] = counts
    # the test statistics beside the trend, not in it: under "trend" only counts (the
    # contract reads every number there as a count, and a p-value of 1.0 is not one)
    test = {k: trend.pop(k, None) for k in ("tau", "z", "p_value")}
    item["trend_test"] = test
    if any(isinstance(c, str) for c in counts):
        trend["direction"] = None
        item["trend_test"] = dict.fromkeys(test)
        trend["suppressed"] = True
        item["suppressed"] = True
    item.setdefault("suppressed", False)
