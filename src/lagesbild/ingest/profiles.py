"""Saved mapping profiles for a recurring source (e.g. the police's monthly extract).

A profile is stored in the store itself, in `store_settings` under the key `profile:NAME`, as
JSON: `{"layer": "crimes", "map": {"occurred_at": "Brottsdatum", ...}, "crs": "EPSG:3006",
"offence_table": "/path/to/table.csv"}`. Keeping it in the store means every user of the store
(CLI and web app) gets the same profile.

Two kinds (issue 20): a *store-wide* profile (key `profile:NAME`, what `lagesbild import
--save-profile` writes: the terminal is the store's operator) and an *organisation's* profile
(key `op:ORG_ID:NAME`, what the web wizard saves for the user's organisation). A user sees their
organisation's profiles and the store-wide ones; an organisation's profile of the same name
wins over the store-wide one. `lagesbild import --profile NAME --organisation ORG` finds ORG's
profiles too.

Offence tables uploaded in the wizard are kept the same way, per organisation (key
`ot:ORG_ID:NAME`, the CSV's text); a profile names such a table as `saved:NAME`, while a
CLI profile names a file on the server.
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
ORG_PREFIX = "op:"  # short: the key column holds 64 characters
TABLE_PREFIX = "ot:"
SAVED_TABLE = "saved:"  # a profile's offence_table naming an organisation's saved table
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


def _key(name: str, organisation_id: int | None) -> str:
    name = _check_name(name)
    return PREFIX + name if organisation_id is None else f"{ORG_PREFIX}{organisation_id}:{name}"


def _put(store: Store, key: str, value: str) -> None:
    with store.write() as conn:
        conn.execute(delete(store_settings).where(store_settings.c.key == key))
        conn.execute(insert(store_settings).values(key=key, value=value))


def _get(store: Store, keys: list[str]) -> str | None:
    """The value of the first of `keys` that is set."""
    with store.read() as conn:
        found = dict(
            conn.execute(
                select(store_settings.c.key, store_settings.c.value).where(
                    store_settings.c.key.in_(keys)
                )
            ).all()
        )
    return next((found[k] for k in keys if k in found), None)


def _names(store: Store, prefix: str) -> list[str]:
    with store.read() as conn:
        keys = conn.execute(
            select(store_settings.c.key).where(store_settings.c.key.like(prefix + "%"))
        ).scalars()
        return [k[len(prefix) :] for k in keys]


def save_profile(
    store: Store, name: str, profile: MappingProfile, organisation_id: int | None = None
) -> None:
    """Save a profile store-wide (`organisation_id` None) or for one organisation."""
    _put(store, _key(name, organisation_id), json.dumps(asdict(profile)))


def load_profile(store: Store, name: str, organisation_id: int | None = None) -> MappingProfile:
    """The organisation's profile NAME, else the store-wide one."""
    keys = [_key(name, organisation_id)] if organisation_id is not None else []
    value = _get(store, [*keys, _key(name, None)])
    if value is None:
        known = ", ".join(list_profiles(store, organisation_id)) or "none saved yet"
        raise NotFound(
            f"no mapping profile {name!r} in this store (profiles: {known})",
            "save one with lagesbild import ... --save-profile NAME",
        )
    data = json.loads(value)
    return MappingProfile(
        data["layer"], dict(data.get("map") or {}), data.get("crs"), data.get("offence_table")
    )


def list_profiles(store: Store, organisation_id: int | None = None) -> list[str]:
    """The store-wide profiles and, given one, the organisation's (never another's)."""
    names = set(_names(store, PREFIX))
    if organisation_id is not None:
        names |= set(_names(store, f"{ORG_PREFIX}{organisation_id}:"))
    return sorted(names)


def save_offence_table(store: Store, name: str, table_text: str, organisation_id: int) -> None:
    """Keep an uploaded offence table (its CSV text) for the organisation."""
    _put(store, f"{TABLE_PREFIX}{organisation_id}:{_check_name(name)}", table_text)


def load_offence_table(store: Store, name: str, organisation_id: int) -> str:
    value = _get(store, [f"{TABLE_PREFIX}{organisation_id}:{_check_name(name)}"])
    if value is None:
        raise NotFound(f"no offence table {name!r} saved for the organisation")
    return value


def list_offence_tables(store: Store, organisation_id: int) -> list[str]:
    return sorted(_names(store, f"{TABLE_PREFIX}{organisation_id}:"))


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
