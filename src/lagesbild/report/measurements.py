"""The place report's section per place measurement: the metric named in words, its monthly
chart (by group) and the change between the report's two periods with the interval that suits
its kind (`services.measurements.compare`)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period
from lagesbild.domain.taxonomy import Taxonomy
from lagesbild.i18n import text
from lagesbild.report.charts import COLOURS, _uri
from lagesbild.services import measurements as ms
from lagesbild.services.data import PlaceGeo
from lagesbild.store.engine import Store


def sections(
    store: Store, viewer: Viewer, place: PlaceGeo, before: Period, period: Period, lang: str
) -> list[dict[str, Any]]:
    """One section per metric and group measured at the place in either period."""
    out = []
    for code in ms.metrics_at(store, viewer, place.id):
        metric = store.taxonomy.metric_or_plain(code)
        values = ms.load(store, viewer, place.id, code)
        a_all = [v for v in values if before.start <= v.at < before.end]
        b_all = [v for v in values if period.start <= v.at < period.end]
        if not a_all and not b_all:
            continue
        groups = ms.groups_in(values)
        rows = []
        for g in groups:
            a = [v for v in a_all if v.group == g]
            b = [v for v in b_all if v.group == g]
            rows.append(
                {"group": ms.group_label(g, lang, store.taxonomy), **ms.compare(a, b, metric)}
            )
        shown = [v for v in values if before.start <= v.at < period.end]
        out.append(
            {
                "metric": code,
                "label": metric.label(lang),
                "kind": text(f"measure.kind.{metric.kind}", lang),
                "unit": metric.unit(lang),
                "summed": metric.summed,
                "rows": rows,
                "chart": _chart(shown, groups, metric, lang, store.taxonomy),
            }
        )
    return out


def _chart(values: list[ms.Value], groups: list, metric, lang: str, taxonomy: Taxonomy) -> str:
    fig, ax = plt.subplots(figsize=(6.2, 2.2))
    months = sorted({ms.month_of(v.at) for v in values})
    index = {m: i for i, m in enumerate(months)}
    for k, g in enumerate(groups):
        series = ms.per_month([v for v in values if v.group == g], metric)
        ax.plot(
            [index[m] for m in series],
            list(series.values()),
            "o-",
            ms=2.5,
            color=COLOURS[k % len(COLOURS)],
            label=ms.group_label(g, lang, taxonomy),
        )
    step = max(1, len(months) // 12)
    ax.set_xticks(list(range(len(months)))[::step])
    ax.set_xticklabels(months[::step], rotation=45, ha="right", fontsize=7)
    ax.set_title(f"{metric.label(lang)} ({text(f'measure.kind.{metric.kind}', lang)})", fontsize=8)
    ax.set_ylim(bottom=0)
    if len(groups) > 1:
        ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    return _uri(fig)
