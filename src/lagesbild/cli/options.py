"""What every command shares: the `--db` option, the consoles and opening the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from lagesbild.store.engine import Store

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="LAGESBILD_DB",
        help="Database URL: sqlite:///file.sqlite (default "
        "./lagesbild.sqlite) or postgresql://user:pass@host/db (PostGIS).",
    ),
]


def open_store_cli(db: str | None) -> Store:
    # imported here: `lagesbild --help` and `--version` answer without loading the store
    from lagesbild.store.lifecycle import open_store

    return open_store(db)
