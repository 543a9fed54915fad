"""`lagesbild analyse ...`: the analyses on stored data, as the terminal operator sees it. One
command per query of `services.analyse.query`, its options generated from the query's fields
(the API's parameters come from the same fields). Each prints a readable summary and, with
`--out F`, writes the full result as GeoJSON, CSV or JSON by the file's extension."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from lagesbild.cli.options import DbOption, console, open_store_cli
from lagesbild.domain.model import SYSTEM
from lagesbild.services import analyse
from lagesbild.services.analyse import query as spec
from lagesbild.services.results import AnalysisOutput, write_output

app = typer.Typer(
    help="Figures and maps from the stored data: rates, hot spots, extents, "
    "coverage, displacement, effects, surveys.",
    no_args_is_help=True,
)

Out = Annotated[
    str | None, typer.Option("--out", help="Write the full result: .geojson, .csv or .json")
]


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


INDICATOR_COLUMNS = [
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
]


def _indicators(res: AnalysisOutput, path: str | None, asked: dict[str, Any]) -> None:
    rows = [r for r in res.rows if r["count_a"] or r["count_b"]]
    view = AnalysisOutput(res.name, res.summary, rows, None, res.notes, res.parameters)
    _show(view, None, INDICATOR_COLUMNS, top=60)
    if path:
        write_output(res, path)
        console.print(f"wrote {path}")


def _hotspots(res: AnalysisOutput, path: str | None, asked: dict[str, Any]) -> None:
    gistar = asked["method"] == "gistar"
    key = "z" if gistar else "density"
    ranked = sorted(res.rows, key=lambda r: -(r.get(key) or 0))
    cols = ["x", "y", "count", "z", "p", "q", "class"] if gistar else ["x", "y", "count", "density"]
    _show(AnalysisOutput(res.name, res.summary, ranked, None), None, cols, top=10)
    if path:
        write_output(res, path)
        console.print(f"wrote {path} ({len(res.rows)} cells)")


def _lisa(res: AnalysisOutput, path: str | None, asked: dict[str, Any]) -> None:
    # the strongest first: the smallest p, then the largest |z|
    ranked = sorted(
        res.rows, key=lambda r: (r["p"] if r["p"] is not None else 2, -abs(r["z"] or 0))
    )
    cols = ["x", "y", "count", "i", "z", "p", "q", "quadrant"]
    _show(AnalysisOutput(res.name, res.summary, ranked, None), None, cols, top=10)
    if path:
        write_output(res, path)
        console.print(f"wrote {path} ({len(res.rows)} cells)")


def _table(columns: list[str] | None = None, top: int = 30):
    def show(res: AnalysisOutput, path: str | None, asked: dict[str, Any]) -> None:
        _show(res, path, columns, top)

    return show


SURVEY_COLUMNS = [
    "year",
    "share",
    "ci_low",
    "ci_high",
    "city_share",
    "difference",
    "p_value",
    "significant",
]
SHOW: dict[str, Callable[[AnalysisOutput, str | None, dict[str, Any]], None]] = {
    "indicators": _indicators,
    "hotspots": _hotspots,
    "emerging": _table(),
    "extent": _table(),
    "coverage": _table(["not_covered_by", "name", "length_m"], 15),
    "displacement": _table(),
    "effect": _table(),
    "survey": _table(SURVEY_COLUMNS),
    "lisa": _lisa,
    "nearrepeat": _table(
        [
            "distance_from",
            "distance_to",
            "days_from",
            "days_to",
            "observed",
            "expected",
            "ratio",
            "p",
        ],
        20,
    ),
    "pattern": _table(["r", "k", "l", "l_low", "l_high", "l_mean"], 20),
    "pai": _table(["map", "area_share", "hot_cells", "hits", "events", "hit_rate", "pai", "pei"]),
}


def _annotation(f: spec.Field) -> Any:
    """The field as a Typer option: its type (a list when repeated, a pair of values), its
    option name and its help. Bounds and choices are applied by the query itself
    (`Query.complete`), whose message names the option and the allowed range, in the same words
    as the analyses' other refusals (click's own range message would differ)."""
    kind: Any = f.type
    if f.repeat:
        kind = list[f.type]  # type: ignore[valid-type]
    elif f.pair:
        kind = tuple[f.type, f.type]  # type: ignore[valid-type]
    if not f.required and f.default is None:
        kind = kind | None
    return Annotated[kind, typer.Option(f.option, help=f.text("en") or None)]


def command(q: spec.Query, show: Callable[[AnalysisOutput, str | None, dict[str, Any]], None]):
    """`lagesbild analyse {q.name}`: a function whose signature Typer reads (one option per
    field, then --out and --db) and which answers through `services.analyse.answer`."""

    def run(**values: Any) -> None:
        path, db = values.pop("out"), values.pop("db")
        for f in q.fields:
            if f.repeat and len(values[f.name]) != f.repeat:
                raise typer.BadParameter(f"give {f.option} twice: A then B", param_hint=f.option)
        q.complete(values)  # the declared bounds and choices: a wrong option needs no store
        store = open_store_cli(db)
        show(analyse.answer(q, store, SYSTEM, values), path, values)

    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(
            f.name,
            kw,
            annotation=_annotation(f),
            default=inspect.Parameter.empty if f.required else f.default,
        )
        for f in q.fields
    ]
    params += [
        inspect.Parameter("out", kw, annotation=Out, default=None),
        inspect.Parameter("db", kw, annotation=DbOption, default=None),
    ]
    run.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    run.__name__ = run.__qualname__ = q.name
    run.__doc__ = q.text("en")
    return run


for _query in spec.QUERIES.values():
    app.command(name=_query.name)(command(_query, SHOW[_query.name]))
