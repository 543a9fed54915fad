"""`lagesbild import` and `lagesbild export`: thin Typer commands over `ingest.service` and
`ingest.export`."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lagesbild.cli.options import DbOption, console, open_store_cli

PROGRESS_FROM = 5_000  # rows: smaller files get no progress bar
_REDRAW_S = 0.1  # the bar is redrawn by the import as it goes, at most this often


@contextmanager
def _progress(label: str, total: int | None, enabled: bool):
    """A progress callback with rows/s, shown only for files of more than a few thousand rows."""
    if not enabled:
        yield None
        return
    start = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # no redrawing thread: a big CSV is read in a forked process (`ingest.bulk.overlap`),
        # which a second thread would forbid
        auto_refresh=False,
    ) as bar:
        task = bar.add_task(label, total=total, rate="")

        shown = 0.0  # when the bar was last redrawn

        def update(done: int) -> None:
            nonlocal shown
            now = time.perf_counter()
            rate = done / max(now - start, 1e-9)
            bar.update(task, completed=done, rate=f"{rate:,.0f} rows/s")
            if now - shown >= _REDRAW_S:
                bar.refresh()
                shown = now

        yield update


def _organisation_id(store, organisation: str | None) -> int | None:
    if not organisation:
        return None
    from lagesbild.store.names import find_id
    from lagesbild.store.schema import organisations

    with store.read() as conn:
        return find_id(conn, organisations, organisation)


def import_command(
    layer: Annotated[
        str,
        typer.Argument(
            help="Layer: organisations, places, extents, crimes, "
            "observations, measurements, cameras, guard_areas, "
            "streets, activation_events, survey_results, "
            "roster."
        ),
    ],
    file: Annotated[Path, typer.Argument(help="CSV, GeoJSON, GeoPackage or zipped shapefile.")],
    crs: Annotated[
        str | None,
        typer.Option(
            "--crs", help="CRS of x/y columns (or of a GIS file without one), e.g. EPSG:3006."
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="CANONICAL=SOURCE column mapping; repeat for several columns."),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="Use a saved mapping profile (its --map, --crs and --offence-table)."),
    ] = None,
    save_profile: Annotated[
        str | None,
        typer.Option(help="Save this import's --map, --crs and --offence-table as a profile."),
    ] = None,
    offence_table: Annotated[
        Path | None,
        typer.Option(help="CSV offence_code,category that extends the default offence table."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Store nothing if any row is rejected.")
    ] = False,
    organisation: Annotated[
        str | None,
        typer.Option(help="Owner of rows without an organisation column (name or code)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Import FILE into LAYER. Valid rows are stored in one transaction; rejected rows are
    listed in FILE.rejected.csv. Importing the same file again adds nothing twice."""
    from lagesbild.cli.one_shot import bulk_work, leave_at_once
    from lagesbild.domain.model import SYSTEM
    from lagesbild.ingest.profiles import MappingProfile, load_profile, parse_map
    from lagesbild.ingest.profiles import save_profile as store_profile
    from lagesbild.ingest.service import ImportOptions, audit_import, import_file, open_file

    store = open_store_cli(db)
    try:
        mapping: dict[str, str] = {}
        table = str(offence_table.resolve()) if offence_table else None  # for any folder
        if profile:
            # with --organisation, that organisation's own profiles (saved in the web) too
            saved = load_profile(store, profile, _organisation_id(store, organisation))
            if saved.layer != layer.strip().lower():
                console.print(
                    f"[yellow]note:[/yellow] profile {profile!r} was saved for layer {saved.layer}"
                )
            mapping.update(saved.map)
            crs = crs or saved.crs
            table = table or saved.offence_table
        mapping.update(parse_map(map_))
        options = ImportOptions(
            mapping=mapping, crs=crs, strict=strict, organisation=organisation, offence_table=table
        )
        with bulk_work():
            source = open_file(store, layer, file, options)
            big = (
                source.count is None
                and file.stat().st_size > 400_000
                or (source.count or 0) > PROGRESS_FROM
            )
            with _progress(f"Importing {file.name}", source.count, big) as progress:
                result = import_file(
                    store, layer, file, options, source=source, on_progress=progress
                )
        audit_import(store, SYSTEM, result)  # the terminal's imports are logged as the web's
        if save_profile:
            store_profile(store, save_profile, MappingProfile(source.layer, mapping, crs, table))
            console.print(f"Saved mapping profile [bold]{save_profile}[/bold]")
    finally:
        store.dispose()
    s = result.summary
    console.print(f"{file} ({result.source}) -> {result.layer}")
    summary = Table("read", "stored", "updated", "duplicates", "rejected", title="Import")
    summary.add_row(
        *(f"{v:,}" for v in (s.read, s.stored, s.updated, s.duplicates, s.rejected_count))
    )
    console.print(summary)
    if result.ignored_columns:
        console.print(f"Ignored columns: {', '.join(result.ignored_columns)}")
    if result.report:
        console.print(
            f"[yellow]{s.rejected_count:,} rejected row(s)[/yellow] are listed in {result.report}"
        )
    leave_at_once()  # the store is closed and all is said: no tear-down (one_shot)


def export_command(
    layer: Annotated[str, typer.Argument(help="Layer to export (see lagesbild import --help).")],
    fmt: Annotated[str, typer.Option("--format", help="geojson, gpkg or csv.")] = "geojson",
    out: Annotated[
        Path, typer.Option("--out", help="The file to write (replaced if it exists).")
    ] = ...,  # type: ignore[assignment]
    place: Annotated[str | None, typer.Option(help="Only records in this place.")] = None,
    period: Annotated[
        str | None, typer.Option(help="2023, 2023-05 or 2023-01-01..2023-06-30 (local time).")
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="A category code or the group drug-related.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Export the records of LAYER (all of them: the terminal is the operator)."""
    from lagesbild.domain.model import SYSTEM
    from lagesbild.ingest.export import ExportFilter, export_layer

    store = open_store_cli(db)
    try:
        with _progress(f"Exporting {layer}", None, True) as progress:
            result = export_layer(
                store,
                layer,
                fmt,
                out,
                viewer=SYSTEM,
                filters=ExportFilter(place, period, category),
                on_progress=progress,
            )
    finally:
        store.dispose()
    console.print(
        f"Exported {result.count:,} {result.layer} record(s) to {result.path} ({result.format})"
    )
