"""The CLI's commands and options and the API's parameters are contracts: code may move, what a
user can type or send stays. `surface.json` was recorded before the one-house redesign; a
change to the surface is a change to that file, made on purpose in the same commit."""

from __future__ import annotations

import json
from pathlib import Path

from lagesbild.web.app import create_app

from .surface import api_surface, cli_surface

RECORDED = json.loads((Path(__file__).parent / "surface.json").read_text(encoding="utf-8"))


def test_every_cli_command_keeps_its_options():
    now = cli_surface()
    assert sorted(now) == sorted(RECORDED["cli"])
    was = RECORDED["cli"]
    changed = {cmd: (was[cmd], now[cmd]) for cmd in now if now[cmd] != was[cmd]}
    assert changed == {}


def test_every_api_operation_keeps_its_parameters(tmp_path):
    now = api_surface(create_app(f"sqlite:///{tmp_path / 's.sqlite'}").openapi())
    assert sorted(now) == sorted(RECORDED["api"])
    was = RECORDED["api"]
    changed = {op: (was[op], now[op]) for op in now if now[op] != was[op]}
    assert changed == {}
