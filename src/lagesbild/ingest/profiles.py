"""Saved mapping profiles for a recurring source (e.g. the police's monthly extract).

A profile is stored in the store itself, in `store_settings` under the key `profile:NAME`, as
JSON: `{"layer": "crimes", "map": {"occurred_at": "Brottsdatum", ...}, "crs": "EPSG:3006",
"offence_table": "/path/to/table.csv"}`. Keeping it in the store means every user of the store
(CLI and web app) gets the same profile.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from sqlalchemy import delete, insert, select

from lagesbild.errors import LagesbildError, NotFound
from lagesbild.store.engine import Store
from lagesbild.store.schema import store_settings

PREFIX = "profile:"
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,50}$")


@dataclass(frozen=True)
class MappingProfile:
    layer: str
    map: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    offence_table: str | None = None


def _check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise LagesbildError(
            f"profile name {name!r} is not allowed",
            "use letters, digits, '.', '-' or '_' (at most 50)",
        )
    return name


def save_profile(store: Store, name: str, profile: MappingProfile) -> None:
    key = PREFIX + _check_name(name)
    with store.write() as conn:
        conn.execute(delete(store_settings).where(store_settings.c.key == key))
        conn.execute(insert(store_settings).values(key=key, value=json.dumps(asdict(profile))))


def load_profile(store: Store, name: str) -> MappingProfile:
    key = PREFIX + _check_name(name)
    with store.read() as conn:
        value = conn.execute(
            select(store_settings.c.value).where(store_settings.c.key == key)
        ).scalar()
    if value is None:
        known = ", ".join(list_profiles(store)) or "none saved yet"
        raise NotFound(
            f"no mapping profile {name!r} in this store (profiles: {known})",
            "save one with lagesbild import ... --save-profile NAME",
        )
    data = json.loads(value)
    return MappingProfile(
        data["layer"], dict(data.get("map") or {}), data.get("crs"), data.get("offence_table")
    )


def list_profiles(store: Store) -> list[str]:
    with store.read() as conn:
        keys = conn.execute(
            select(store_settings.c.key).where(store_settings.c.key.like(PREFIX + "%"))
        ).scalars()
        return sorted(k[len(PREFIX) :] for k in keys)


def parse_map(items: list[str] | None) -> dict[str, str]:
    """`canonical=Source` pairs of `--map` to a dict."""
    out: dict[str, str] = {}
    for item in items or []:
        target, sep, source = item.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise LagesbildError(
                f"--map {item!r} is not CANONICAL=SOURCE", "e.g. --map occurred_at=Brottsdatum"
            )
        out[target.strip().lower()] = source.strip()
    return out
