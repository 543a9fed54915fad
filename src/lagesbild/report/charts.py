"""Charts and maps for the reports, drawn by matplotlib from the data at report time (no tiles,
no internet): extents per mapping round with their hectares, the survey chart of an area against
the city, monthly counts with the interrupted-time-series counterfactual, counts per area and
year. Each returns a PNG as a `data:` URI, so one HTML file (and its PDF) carries everything."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from shapely.geometry.base import BaseGeometry  # noqa: E402

from lagesbild.i18n import format as fmt  # noqa: E402
from lagesbild.i18n import label, text  # noqa: E402

DPI = 130
COLOURS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#4d4d4d")
plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 9})


def _uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _polys(geom: BaseGeometry):
    if geom.geom_type == "Polygon":
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]


def _draw(ax, geom: BaseGeometry, **kw) -> None:
    for poly in _polys(geom):
        x, y = poly.exterior.xy
        ax.fill(x, y, **kw)


def extent_maps(
    place_name: str,
    place_geom: BaseGeometry,
    extents: Sequence[tuple[int, str, BaseGeometry, float]],
    streets: Sequence[tuple[str, BaseGeometry]],
    lang: str,
    hot_cells: Sequence[BaseGeometry] = (),
) -> str:
    """One small map per mapping round: the place's boundary, the round's extent with its
    hectares and status, the streets; projected metres, a 100 m scale bar."""
    n = max(1, len(extents))
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.4), squeeze=False)
    minx, miny, maxx, maxy = place_geom.bounds
    for ext in extents:
        bx = ext[2].bounds
        minx, miny = min(minx, bx[0]), min(miny, bx[1])
        maxx, maxy = max(maxx, bx[2]), max(maxy, bx[3])
    pad = 0.05 * max(maxx - minx, maxy - miny)
    items = list(extents) or [(None, "", None, 0.0)]
    for ax, (year, status, geom, ha) in zip(axes[0], items, strict=True):
        for _, line in streets:
            x, y = line.xy if line.geom_type == "LineString" else ([], [])
            ax.plot(x, y, color="#999", lw=0.8, zorder=1)
        _draw(ax, place_geom, facecolor="none", edgecolor="#333", lw=1.0, ls="--", zorder=2)
        for cell in hot_cells:
            _draw(ax, cell, facecolor="#fdae61", edgecolor="none", alpha=0.7, zorder=2)
        if geom is not None:
            _draw(ax, geom, facecolor="#b2182b", edgecolor="#67001f", alpha=0.45, lw=1.2, zorder=3)
            title = f"{year}: {fmt.ha(ha, lang)} ({label('extent_status', status, lang)})"
        else:
            title = place_name
        ax.set_title(title)
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        x0, y0 = minx, miny - pad * 0.6
        ax.plot([x0, x0 + 100], [y0, y0], color="k", lw=2)
        ax.text(x0 + 50, y0 + pad * 0.15, "100 m", ha="center", fontsize=7)
    fig.suptitle(place_name, fontsize=9)
    return _uri(fig)


def survey_chart(series: dict[str, list[dict]], lang: str, title: str) -> str:
    """Shares by year with Wilson 95 % intervals: each area against the city average."""
    fig, ax = plt.subplots(figsize=(6.2, 2.6))
    city_done = False
    for k, (area, rows) in enumerate(series.items()):
        years = [r["year"] for r in rows]
        ax.plot(years, [100 * r["share"] for r in rows], "o-", color=COLOURS[k], label=area)
        ax.fill_between(
            years,
            [100 * r["ci_low"] for r in rows],
            [100 * r["ci_high"] for r in rows],
            color=COLOURS[k],
            alpha=0.15,
        )
        city = [r for r in rows if r.get("city_share") is not None]
        if city and not city_done:
            cy = [r["year"] for r in city]
            ax.plot(
                cy,
                [100 * r["city_share"] for r in city],
                "s--",
                color="#4d4d4d",
                label=text("chart.city_average", lang),
            )
            ax.fill_between(
                cy,
                [100 * r["city_ci_low"] for r in city],
                [100 * r["city_ci_high"] for r in city],
                color="#4d4d4d",
                alpha=0.12,
            )
            city_done = True
    ax.set_ylabel("%")
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    return _uri(fig)


def its_chart(
    months: list[str],
    counts: list[float],
    counterfactual: list[float],
    intervention_index: int,
    lang: str,
    title: str,
) -> str:
    """Monthly counts, the ITS model's counterfactual after the intervention, and its start."""
    fig, ax = plt.subplots(figsize=(6.2, 2.4))
    x = range(len(counts))
    ax.bar(x, counts, color="#92c5de", label=text("chart.count_per_month", lang))
    ax.plot(
        list(x)[intervention_index:],
        counterfactual[intervention_index:],
        "k--",
        label=text("chart.without", lang),
    )
    ax.axvline(intervention_index - 0.5, color="#b2182b", lw=1)
    ax.set_xticks(list(x)[:: max(1, len(months) // 12)])
    ax.set_xticklabels(months[:: max(1, len(months) // 12)], rotation=45, ha="right", fontsize=7)
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return _uri(fig)


def area_years_chart(
    series: dict[str, dict[int, float]], lang: str, title: str, ylabel: str
) -> str:
    """A line per area across years (e.g. crimes per hectare)."""
    fig, ax = plt.subplots(figsize=(6.2, 2.6))
    for k, (area, by_year) in enumerate(series.items()):
        years = sorted(by_year)
        ax.plot(
            years, [by_year[y] for y in years], "o-", color=COLOURS[k % len(COLOURS)], label=area
        )
    ax.set_title(title, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _uri(fig)
