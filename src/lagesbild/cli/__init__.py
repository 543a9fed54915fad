"""The `lagesbild` command line. Every command takes `--db URL` (or LAGESBILD_DB); a user's
mistake ends as one clear line on stderr and a non-zero exit, never as a traceback.

Each module holds one family of commands; they are registered here, explicitly, in the order
`lagesbild --help` lists them."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from lagesbild import __version__
from lagesbild.cli import admin, analyse, briefing, data, goals, report, setup, week
from lagesbild.cli.options import DbOption, console, err_console
from lagesbild.errors import LagesbildError

app = typer.Typer(
    name="lagesbild",
    help="A shared situational picture (lägesbild) of open drug scenes and priority places.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    # eager: `lagesbild --version` answers on its own, without a command
    if value:
        console.print(f"lagesbild {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: DbOption = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_show_version, is_eager=True
        ),
    ] = False,
) -> None:
    if db:  # `lagesbild --db URL COMMAND` works as well as `lagesbild COMMAND --db URL`
        os.environ["LAGESBILD_DB"] = db


for name, command in (
    ("init", setup.init),
    ("info", setup.info),
    ("places", setup.places),
    ("demo", setup.demo),
    ("serve", setup.serve),
    ("audit", admin.audit_command),
    ("backup", admin.backup_command),
    ("restore", admin.restore_command),
    ("retention", admin.retention_command),
    ("import", data.import_command),
    ("export", data.export_command),
    ("report", report.report),
):
    app.command(name)(command)
for name, group in (
    ("user", admin.user_app),
    ("category", admin.category_app),
    ("analyse", analyse.app),
    ("briefing", briefing.briefing_app),
    ("week", week.week_app),
    ("goals", goals.goals_app),
):
    app.add_typer(group, name=name)


def main() -> None:
    try:
        app()  # click handles its own usage errors (exit 2) and Ctrl-C
    except LagesbildError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"  {exc.hint}", highlight=False)
        sys.exit(2)
