"""The `lagesbild` command line. Every command takes `--db URL` (or LAGESBILD_DB); a user's
mistake ends as one clear line on stderr and a non-zero exit, never as a traceback.

Each module holds one family of commands; they are registered here, explicitly, in the order
`lagesbild --help` lists them. A command's module is imported only when that command is looked
up (run, or listed by `--help`): importing all of them (the analyses, SciPy, Arrow, Alembic)
cost ~0.9 s of every command's start-up."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from lagesbild import __version__
from lagesbild.cli.options import DbOption, console, err_console
from lagesbild.errors import LagesbildError

if TYPE_CHECKING:  # only named in annotations: importing click costs every command 20 ms
    import click

# name -> (module in lagesbild.cli, attribute, whether it is a Typer group), in --help's order
_COMMANDS: dict[str, tuple[str, str, bool]] = {
    "init": ("setup", "init", False),
    "info": ("setup", "info", False),
    "places": ("setup", "places", False),
    "demo": ("setup", "demo", False),
    "serve": ("setup", "serve", False),
    "audit": ("admin", "audit_command", False),
    "backup": ("admin", "backup_command", False),
    "restore": ("admin", "restore_command", False),
    "retention": ("admin", "retention_command", False),
    "import": ("data", "import_command", False),
    "export": ("data", "export_command", False),
    "report": ("report", "report", False),
    "user": ("admin", "user_app", True),
    "category": ("admin", "category_app", True),
    "analyse": ("analyse", "app", True),
    "briefing": ("briefing", "briefing_app", True),
    "week": ("week", "week_app", True),
    "goals": ("goals", "goals_app", True),
}


def _quit_while_loading(signum: int, frame: object) -> None:
    # as in __main__: the command has done nothing yet, and a C extension interrupted in its
    # import prints its own traceback, so leave at once, as a Ctrl-C later does (130)
    os._exit(130)


def _import_quietly(module: str) -> Any:
    """Import a command's module with Ctrl-C ending the process quietly meanwhile."""
    if threading.current_thread() is not threading.main_thread():
        return importlib.import_module(module)
    before = signal.signal(signal.SIGINT, _quit_while_loading)
    try:
        return importlib.import_module(module)
    finally:
        signal.signal(signal.SIGINT, before)


def _load(name: str) -> click.Command:
    """The click command `name`, its module imported now."""
    module, attr, is_group = _COMMANDS[name]
    target = getattr(_import_quietly(f"lagesbild.cli.{module}"), attr)
    # built as the eager registration built it: under a parent without completion options
    parent = typer.Typer(add_completion=False)
    if is_group:
        parent.add_typer(target, name=name)
    else:
        parent.command(name)(target)
    return typer.main.get_group(parent).commands[name]


class _LazyCommands(MutableMapping):
    """The group's commands: every name known at once, each command built on first use."""

    def __init__(self, names: list[str]) -> None:
        self._names = names
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in self._names:
                raise KeyError(name)
            self._loaded[name] = _load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        if name not in self._names:
            self._names.append(name)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._loaded.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


class _LazyGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lazy = _LazyCommands(list(_COMMANDS))
        for name, command in self.commands.items():
            lazy[name] = command
        self.commands = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # the names only: listing loads nothing


app = typer.Typer(
    cls=_LazyGroup,
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


def main() -> None:
    try:
        app()  # click handles its own usage errors (exit 2) and Ctrl-C
    except LagesbildError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"  {exc.hint}", highlight=False)
        sys.exit(2)
