"""The public surface as data: every CLI command's options and arguments, and every API
operation's parameters. A redesign may move code, not change what a user can type or send."""

from __future__ import annotations

from typing import Any


def cli_surface() -> dict[str, list[str]]:
    """`command path -> sorted option names and argument names`, for every (sub)command."""
    import typer

    from lagesbild.cli import app

    out: dict[str, list[str]] = {}

    # duck-typed: Typer may bring its own copy of click
    def walk(cmd: Any, path: str) -> None:
        names = []
        for p in cmd.params:
            if p.param_type_name == "option":
                names.extend(p.opts + p.secondary_opts)
            else:
                names.append(f"<{p.name}>")
        out[path] = sorted(names)
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "lagesbild")
    return out


def api_surface(doc: dict) -> dict[str, list[str]]:
    """`METHOD path -> sorted 'in:name:required'` from an OpenAPI document."""
    out: dict[str, list[str]] = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete", "head"):
                continue
            params = [
                f"{p['in']}:{p['name']}:{bool(p.get('required'))}" for p in op.get("parameters", [])
            ]
            out[f"{method.upper()} {path}"] = sorted(params)
    return out
