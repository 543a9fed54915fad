"""Creating, upgrading and opening stores, with the schema version checked on every open."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from lagesbild.errors import StoreError
from lagesbild.store.engine import (
    Store,
    StoreSettings,
    _describe,
    check_connection,
    database_url,
    make_engine,
    read_settings,
    read_taxonomy,
    sqlite_file,
)
from lagesbild.store.schema import organisations, store_settings

MIGRATIONS = Path(__file__).parent / "migrations"
# The migrations' head, so that opening a current store needs no Alembic (its import and the
# parsing of every migration script were ~0.1 s of each CLI command's start-up). Kept equal
# to the scripts' head by tests/store/test_lifecycle.py.
HEAD = "0013"


def _alembic_config(conn: Connection | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    walk = ScriptDirectory.from_config(_alembic_config()).walk_revisions()
    return {rev.revision for rev in walk}


def current_revision(conn: Connection) -> str | None:
    """The store's schema revision (None: not a lagesbild store), read as Alembic keeps it."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(found) > 1:  # branches: Alembic says what is wrong
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return found[0] if found else None


def _ensure_postgis(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return
    try:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except Exception as exc:  # noqa: BLE001 - the server's own message is the useful part
        raise StoreError(
            f"PostGIS is not available in this database: {str(getattr(exc, 'orig', exc)).strip()}",
            "install PostGIS (e.g. postgresql-15-postgis-3) "
            "or ask the DBA to CREATE EXTENSION postgis",
        ) from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        _check_not_newer(conn, engine.url)
        _ensure_postgis(conn)
        from alembic import command

        command.upgrade(_alembic_config(conn), revision)


def _check_not_newer(conn: Connection, url) -> None:
    rev = current_revision(conn)
    if rev is not None and rev not in known_revisions():
        raise StoreError(
            f"the store at {_describe(str(url))} was made by a newer version of lagesbild "
            f"(schema revision {rev})",
            "upgrade lagesbild (pip install -U lagesbild) to open it; nothing was changed",
        )


def init_store(
    url: str | None = None,
    settings: StoreSettings | None = None,
    organisation: str = "Stadsdelsförvaltningen",
    changes: dict[str, Any] | None = None,
) -> Store:
    """Create (or upgrade) the schema and fix the store's settings. Safe to run again: an
    existing store keeps its settings unless new ones are given. `settings` replaces all of
    them; `changes` (crs, region, timezone) only those it names, the others stay as stored."""
    url = database_url(url)
    if settings is not None:
        settings.validate()  # before anything is written
    if changes:
        replace(StoreSettings(), **changes).validate()
    engine = make_engine(url)
    check_connection(engine, url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            existing = {k: v for k, v in conn.execute(select(store_settings))}
            if settings is not None or changes or not existing:
                # `init --timezone X` on a store made with --region R keeps R (it was reset to
                # Sweden's, and a store with another CRS was refused a time zone)
                stored = StoreSettings.from_rows(existing) if existing else StoreSettings()
                wanted = (settings or replace(stored, **(changes or {}))).validate().as_rows()
                if existing and existing.get("crs") not in (None, wanted["crs"]):
                    raise StoreError(
                        f"this store's CRS is {existing['crs']}; it cannot be changed to "
                        f"{wanted['crs']} once data is stored",
                        "make a new store for another CRS",
                    )
                for key, value in wanted.items():
                    conn.execute(store_settings.delete().where(store_settings.c.key == key))
                    conn.execute(insert(store_settings).values(key=key, value=value))
            _ensure_default_organisation(conn, organisation)
        return open_store(url, _engine=engine)
    except Exception:
        engine.dispose()
        raise


def _ensure_default_organisation(conn: Connection, name: str) -> None:
    row = conn.execute(
        select(store_settings.c.value).where(store_settings.c.key == "default_organisation")
    ).first()
    if row:
        return
    org = conn.execute(select(organisations.c.id).where(organisations.c.name == name)).scalar()
    if org is None:
        org = conn.execute(
            insert(organisations).values(name=name, kind="district", created_at=datetime.now(UTC))
        ).inserted_primary_key[0]
    conn.execute(insert(store_settings).values(key="default_organisation", value=str(org)))


def open_store(url: str | None = None, _engine: Engine | None = None) -> Store:
    """Open an initialised store, refusing one that is missing, older or newer than this code."""
    url = database_url(url)
    missing = StoreError(
        f"no lagesbild store at {_describe(url)}", "run `lagesbild init` first (with the same --db)"
    )
    file = sqlite_file(url)
    if _engine is None and file is not None and not file.exists():
        raise missing  # before connecting, which would leave an empty file behind
    engine = _engine or make_engine(url)
    check_connection(engine, url)
    with engine.connect() as conn:
        rev = current_revision(conn)
        if rev is None:
            engine.dispose()
            raise missing
        if rev != HEAD:
            _check_not_newer(conn, url)
            engine.dispose()
            raise StoreError(
                f"the store at {_describe(url)} has an older schema (revision {rev})",
                "run `lagesbild init` to upgrade it in place",
            )
        settings = read_settings(conn)
        taxonomy = read_taxonomy(conn)
    return Store(engine, settings, url, taxonomy)
