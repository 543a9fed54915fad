"""Setting up and looking at a store: `init`, `info`, `demo`, `places`, and `serve`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lagesbild import __version__
from lagesbild.cli.options import DbOption, console, open_store_cli


def init(
    db: DbOption = None,
    crs: Annotated[
        str | None,
        typer.Option(
            help="Projected CRS for lengths and areas, e.g. EPSG:3006 (default) or EPSG:27700."
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help="Box that coordinates must fall in: minlon,minlat,maxlon,maxlat (default Sweden)."
        ),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Time zone of local times (default Europe/Stockholm).")
    ] = None,
    organisation: Annotated[
        str, typer.Option(help="Name of the organisation that owns records imported without one.")
    ] = "Stadsdelsförvaltningen",
) -> None:
    """Create the store (or upgrade an older one in place) and fix its settings."""
    from lagesbild.geo.region import Region
    from lagesbild.store.lifecycle import init_store

    given = {"crs": crs, "region": Region.parse(region) if region else None, "timezone": timezone}
    # only what is given changes: the other settings of an existing store stay as they are
    store = init_store(db, None, organisation, {k: v for k, v in given.items() if v})
    console.print(f"[green]Store ready[/green] at {store.display_url} ({store.backend})")
    _print_settings(store)
    store.dispose()


def _print_settings(store) -> None:
    from lagesbild.store.lifecycle import head_revision

    console.print(f"  projected CRS: {store.settings.crs}")
    console.print(f"  region:        {store.settings.region}")
    console.print(f"  time zone:     {store.settings.timezone}")
    console.print(f"  schema:        revision {head_revision()}")


def info(db: DbOption = None) -> None:
    """Show the store's backend, settings and how many records each layer holds."""
    from lagesbild.store.queries import layer_counts

    store = open_store_cli(db)
    console.print(f"lagesbild {__version__}, store {store.display_url} ({store.backend})")
    _print_settings(store)
    table = Table("layer", "records", title="Records")
    for layer, n in layer_counts(store).items():
        table.add_row(layer, str(n))
    console.print(table)
    store.dispose()


def places(
    db: DbOption = None,
    lang: Annotated[str, typer.Option(help="sv or en")] = "sv",
) -> None:
    """Each place with its kind, its area in hectares and, per mapping round, its extent's area
    and status."""
    from lagesbild.domain.model import SYSTEM
    from lagesbild.i18n import Translator, check_lang
    from lagesbild.i18n.format import num
    from lagesbild.store.queries import place_summaries

    t = Translator(check_lang(lang))

    store = open_store_cli(db)
    rounds, rows = place_summaries(store, SYSTEM)
    table = Table(
        t("place.name"),
        t("place.kind"),
        f"{t('place.area')} (ha)",
        *[str(y) for y in rounds],  # a mapping round: its extent's hectares and status
        title=t("places.title"),
    )
    for column in table.columns[:2]:  # names wrap rather than lose their end
        column.overflow = "fold"
    for p in rows:
        cells = []
        for y in rounds:
            e = p.extents.get(y)
            if e is None:
                cells.append("-")
            else:
                cells.append(f"{num(e.area_ha, t.lang, 2)} ha {t.code('extent_status', e.status)}")
        table.add_row(p.name, t.code("place_kind", p.kind), num(p.area_ha, t.lang, 2), *cells)
    console.print(table)
    store.dispose()


def demo(
    db: DbOption = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the generator (same seed, same data).")
    ] = 20240308,
) -> None:
    """Load the demo scenario of the seed report (Klara/Sergels torg, Odenplan, Norra
    innerstaden). Loading it again changes nothing."""
    from lagesbild.demo.scenario import load_demo

    store = open_store_cli(db)
    summaries = load_demo(store, seed=seed, console=console)
    table = Table(
        "layer", "read", "stored", "updated", "unchanged", "rejected", title="Demo scenario"
    )
    for s in summaries:
        table.add_row(
            s.layer,
            str(s.read),
            str(s.stored),
            str(s.updated),
            str(s.duplicates),
            str(s.rejected_count),
        )
    console.print(table)
    store.dispose()


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Addresses of reverse proxies whose X-Forwarded-For is believed, comma-"
            "separated, or '*' (default: none; the client is the connecting address).",
        ),
    ] = None,
) -> None:
    """Serve the web application."""
    import uvicorn

    from lagesbild.store.engine import database_url

    store = open_store_cli(db)  # fail here, with a clear line, before the server starts
    store.dispose()
    import os

    os.environ["LAGESBILD_DB"] = database_url(db)
    console.print(f"Serving lagesbild on http://{host}:{port} (store {store.display_url})")
    uvicorn.run(
        "lagesbild.web.app:server_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: a local proxy
        # (or anyone on the host) could then pick the address that log-in throttling and the
        # residents' rate limit count. Believed only from the proxies named here.
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips or None,
    )
