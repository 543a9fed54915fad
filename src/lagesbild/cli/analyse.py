"""`lagesbild analyse ...`: the analyses on stored data, as the terminal operator sees it.
Each prints a readable summary and, with `--out F`, writes the full result as GeoJSON, CSV or
JSON by the file's extension."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lagesbild.cli.options import DbOption, console, open_store_cli
from lagesbild.domain.model import SYSTEM
from lagesbild.services import analyse as svc
from lagesbild.services.results import AnalysisOutput, write_output

app = typer.Typer(
    help="Figures and maps from the stored data: rates, hot spots, extents, "
    "coverage, displacement, effects, surveys.",
    no_args_is_help=True,
)

Out = Annotated[
    str | None, typer.Option("--out", help="Write the full result: .geojson, .csv or .json")
]
Place = Annotated[str, typer.Option("--place", help="Place name, code or id")]
Category = Annotated[
    str | None, typer.Option("--category", help="Category code or group, e.g. drug-related")
]
Layer = Annotated[str, typer.Option("--layer", help="crimes or observations")]


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 1e4 else f"{v:.4g}"
    return "" if v is None else str(v)


def _show(
    out: AnalysisOutput, path: str | None, columns: list[str] | None = None, top: int = 30
) -> None:
    summary = Table("figure", "value", title=f"analyse {out.name}", show_header=False)
    for k, v in out.summary.items():
        summary.add_row(k, _fmt(v))
    console.print(summary)
    if columns and out.rows:
        t = Table(*columns)
        for r in out.rows[:top]:
            t.add_row(*[_fmt(r.get(c)) for c in columns])
        console.print(t)
        if len(out.rows) > top:
            console.print(f"... {len(out.rows) - top} more rows (use --out)")
    for note in out.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    if path:
        written = write_output(out, path)
        console.print(f"wrote {written} ({len(out.rows)} rows)")


@app.command()
def indicators(
    place: Place,
    period: Annotated[
        list[str],
        typer.Option(
            "--period", help="Two periods A then B: 2022, 2023-05 or 2023-01-01..2023-06-30"
        ),
    ],
    category: Category = None,
    layer: Layer = "crimes",
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Counts, area, count per hectare and the rate ratio B/A with its 95 % interval and p-value,
    for the place, its extents and the city."""
    if len(period) != 2:
        raise typer.BadParameter("give --period twice: A then B", param_hint="--period")
    store = open_store_cli(db)
    res = svc.indicators(store, SYSTEM, place, period[0], period[1], category, layer)
    rows = [r for r in res.rows if r["count_a"] or r["count_b"]]
    res_view = AnalysisOutput(res.name, res.summary, rows, None, res.notes, res.parameters)
    _show(
        res_view,
        None,
        [
            "scope",
            "category",
            "count_a",
            "count_b",
            "per_ha_a",
            "per_ha_b",
            "rate_ratio",
            "ci_low",
            "ci_high",
            "p_value",
        ],
        top=60,
    )
    if out:
        write_output(res, out)
        console.print(f"wrote {out}")


@app.command()
def hotspots(
    date_from: Annotated[str, typer.Option("--from", help="First day (or month/year)")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (or month/year), included")],
    place: Annotated[
        str | None, typer.Option("--place", help="Place whose box the grid covers")
    ] = None,
    layer: Layer = "crimes",
    category: Category = None,
    cell: Annotated[float, typer.Option("--cell", help="Cell size in metres")] = 50.0,
    method: Annotated[str, typer.Option("--method", help="gistar or kde")] = "gistar",
    distance: Annotated[
        float | None,
        typer.Option("--distance", help="Gi* band in metres (default: the 8 neighbours)"),
    ] = None,
    bandwidth: Annotated[
        float | None,
        typer.Option("--bandwidth", help="KDE bandwidth in metres (default 3 cells)"),
    ] = None,
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Hot spots on a grid: Getis-Ord Gi* (z, p, BH q, hot/cold class) or quartic kernel density."""
    store = open_store_cli(db)
    res = svc.hotspots(
        store,
        SYSTEM,
        place,
        date_from,
        date_to,
        layer=layer,
        category=category,
        cell=cell,
        method=method,
        distance=distance,
        bandwidth=bandwidth,
    )
    key = "z" if method == "gistar" else "density"
    res_sorted = sorted(res.rows, key=lambda r: -(r.get(key) or 0))
    cols = (
        ["x", "y", "count", "z", "p", "q", "class"]
        if method == "gistar"
        else ["x", "y", "count", "density"]
    )
    _show(AnalysisOutput(res.name, res.summary, res_sorted, None), None, cols, top=10)
    if out:
        write_output(res, out)
        console.print(f"wrote {out} ({len(res.rows)} cells)")


@app.command()
def emerging(
    date_from: Annotated[str, typer.Option("--from")],
    date_to: Annotated[str, typer.Option("--to")],
    place: Annotated[str | None, typer.Option("--place")] = None,
    layer: Layer = "crimes",
    category: Category = None,
    cell: Annotated[float, typer.Option("--cell", help="Cell size in metres")] = 100.0,
    slice_: Annotated[str, typer.Option("--slice", help="week or month")] = "month",
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Emerging hot spots: Gi* per time slice and a Mann-Kendall trend per cell."""
    store = open_store_cli(db)
    _show(
        svc.emerging(
            store,
            SYSTEM,
            place,
            date_from,
            date_to,
            layer=layer,
            category=category,
            cell=cell,
            slice_=slice_,
        ),
        out,
    )


@app.command()
def extent(
    place: Place,
    date_from: Annotated[str | None, typer.Option("--from")] = None,
    date_to: Annotated[str | None, typer.Option("--to")] = None,
    category: Annotated[str, typer.Option("--category")] = "drug-related",
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option("--compare", help="Two mapping rounds, e.g. --compare 2022 2023"),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap")] = 0,
    out: Out = None,
    db: DbOption = None,
) -> None:
    """A proposed scene boundary with its area (bootstrap interval), or the comparison of two
    stored extents: area gained, lost, kept and the centroid shift."""
    store = open_store_cli(db)
    _show(
        svc.extent(
            store, SYSTEM, place, date_from, date_to, category=category, compare=compare, seed=seed
        ),
        out,
    )


@app.command()
def coverage(
    place: Place,
    round_: Annotated[
        str | None, typer.Option("--round", help="Use the place's extent of this round")
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--date", help="Cameras and guard areas valid on this day (default today)"),
    ] = None,
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Camera and guard coverage of the area and the street length; uncovered streets."""
    store = open_store_cli(db)
    _show(
        svc.coverage(store, SYSTEM, place, round_, on),
        out,
        ["not_covered_by", "name", "length_m"],
        15,
    )


@app.command()
def displacement(
    place: Place,
    buffer: Annotated[float, typer.Option("--buffer", help="Buffer ring width in metres")],
    control: Annotated[str, typer.Option("--control", help="Control area (a place)")],
    before: Annotated[str, typer.Option("--before", help="Period before")],
    after: Annotated[str, typer.Option("--after", help="Period after")],
    category: Category = None,
    layer: Layer = "crimes",
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Weighted displacement quotient (Bowers & Johnson 2003) with its parts."""
    store = open_store_cli(db)
    _show(
        svc.displacement(
            store, SYSTEM, place, buffer, control, before, after, category=category, layer=layer
        ),
        out,
    )


@app.command()
def effect(
    place: Place,
    intervention: Annotated[str, typer.Option("--intervention", help="Date of the intervention")],
    control: Annotated[str | None, typer.Option("--control", help="Comparison area")] = None,
    category: Category = None,
    layer: Layer = "crimes",
    date_from: Annotated[str | None, typer.Option("--from")] = None,
    date_to: Annotated[str | None, typer.Option("--to")] = None,
    slice_: Annotated[str, typer.Option("--slice", help="month or week")] = "month",
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Interrupted time series (segmented Poisson regression) and difference-in-differences."""
    store = open_store_cli(db)
    _show(
        svc.effect(
            store,
            SYSTEM,
            place,
            intervention,
            control=control,
            category=category,
            layer=layer,
            date_from=date_from,
            date_to=date_to,
            slice_=slice_,
        ),
        out,
    )


@app.command()
def survey(
    area: Annotated[str, typer.Option("--area", help="Place name (as in the survey results)")],
    question: Annotated[
        str | None, typer.Option("--question", help="The question (or a part of it)")
    ] = None,
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Survey shares by year with Wilson intervals, against the city average."""
    store = open_store_cli(db)
    _show(
        svc.survey(store, SYSTEM, area, question),
        out,
        [
            "year",
            "share",
            "ci_low",
            "ci_high",
            "city_share",
            "difference",
            "p_value",
            "significant",
        ],
    )
