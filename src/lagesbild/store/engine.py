"""Opening a store: one database URL (`--db` / `LAGESBILD_DB`) selects SQLite or PostGIS.

`Store` carries the engine and the store's own settings (projected CRS, region, time zone).
Reads and writes go through `store.read()` / `store.write()`; on SQLite a write transaction
starts with BEGIN IMMEDIATE so that concurrent writers wait for the lock (busy timeout)
instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import functools
import os
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    NoSuchModuleError,
    OperationalError,
)

from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from lagesbild.errors import StoreError, ValidationError
from lagesbild.geo.crs import Projector
from lagesbild.geo.region import SWEDEN, Region
from lagesbild.store.schema import store_settings
from lagesbild.store.types import know_postgis_geometry

DEFAULT_URL = "sqlite:///lagesbild.sqlite"
ENV_DB = "LAGESBILD_DB"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(ENV_DB) or DEFAULT_URL


@dataclass(frozen=True)
class StoreSettings:
    """A store's own settings, fixed at `lagesbild init` and shown by `lagesbild info`."""

    crs: str = "EPSG:3006"
    region: Region = SWEDEN
    timezone: str = "Europe/Stockholm"

    def validate(self) -> StoreSettings:
        Projector(self.crs)  # raises on unknown or unprojected CRS
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("timezone", f"unknown time zone {self.timezone!r}") from None
        return self

    def as_rows(self) -> dict[str, str]:
        return {"crs": self.crs, "region": str(self.region), "timezone": self.timezone}

    @classmethod
    def from_rows(cls, rows: dict[str, str]) -> StoreSettings:
        return cls(
            crs=rows.get("crs", "EPSG:3006"),
            region=Region.parse(rows["region"]) if "region" in rows else SWEDEN,
            timezone=rows.get("timezone", "Europe/Stockholm"),
        )


def _describe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def make_engine(url: str) -> Engine:
    """An engine for the URL, with clear errors for a URL that cannot be used."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"not a database URL: {url!r}",
            "use sqlite:///path/to/file.sqlite or postgresql://user:pass@host/dbname",
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend in ("postgresql", "postgres"):
        know_postgis_geometry()
        parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            # JIT compilation costs tens of milliseconds per query and pays off only for long
            # analytical queries; lagesbild's queries are short. The pool keeps as many
            # connections as a worker's thread pool runs requests at once (40): with 10 kept,
            # every connection past them was closed when returned and opened again for the next
            # request (a new server process each), under 100 concurrent field reports
            # 146 -> about 172 acknowledged/s (bench_field_reports, PostGIS, quiet machine).
            engine = create_engine(
                parsed,
                pool_size=30,
                max_overflow=10,
                connect_args={"options": "-c jit=off"},
            )
        except (NoSuchModuleError, ArgumentError) as exc:
            raise StoreError(f"cannot use database URL {_describe(url)}: {exc}") from None
        _ping_when_idle(engine)
        return engine
    raise StoreError(
        f"unsupported database {backend!r} in {_describe(url)}",
        "lagesbild stores data in SQLite (sqlite:///file) or PostgreSQL/PostGIS (postgresql://...)",
    )


PING_AFTER_IDLE_S = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled PostgreSQL connection before use only when it lay idle for a while (a
    server restarted or a firewall's timeout meanwhile), not at every checkout as
    `pool_pre_ping` does: that was a round trip more per request, and a field report took two
    (issue 20). A connection used moments ago that still died (the server restarted under
    load) fails its statement once; SQLAlchemy then drops every connection of the pool made
    before, and the client's retry gets a new one."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record) -> None:
        record.info["lagesbild_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("lagesbild_idle_since")
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection is gone")  # the pool opens another


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases, in-memory ones or a bad URL)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    return Path(path).expanduser()


def _sqlite_engine(parsed) -> Engine:
    path = parsed.database
    if path and path != ":memory:":
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise StoreError(f"folder {parent} for the SQLite store does not exist")
    engine = create_engine(parsed, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's begin event below decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # Only takes effect on a new, empty file (before WAL is on): 16 KiB pages store and index
        # bulk imports ~15 % faster than the default 4 KiB (benchmarks/bench_import.py).
        cur.execute("PRAGMA page_size=16384")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()
        # SQLite's own lower() folds A-Z only: 'Östermalm' would not find 'östermalm', nor a
        # log-in name match what Python folded. Python's, as PostgreSQL's, folds all of Unicode.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("lagesbild_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


# SQLite store URL -> the lock its writers in this process take in turn (Store._writer)
_SQLITE_WRITERS: dict[str, threading.RLock] = {}


class Store:
    """An opened, initialised store. Build it with `open_store` or `init_store`."""

    def __init__(
        self,
        engine: Engine,
        settings: StoreSettings,
        url: str,
        taxonomy: Taxonomy = DEFAULT_TAXONOMY,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.url = url
        self.tz = ZoneInfo(settings.timezone)
        self.taxonomy: Taxonomy = taxonomy

    @functools.cached_property
    def projector(self) -> Projector:
        """Made at its first use: pyproj's import and transformers are 0.1 s of opening a
        store, which every command does and most never project anything."""
        return Projector(self.settings.crs)

    @property
    def backend(self) -> str:
        return "postgis" if self.engine.dialect.name == "postgresql" else "sqlite"

    @property
    def display_url(self) -> str:
        return _describe(self.url)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _translate_errors(self.url), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self, serial: str | None = None, shared: bool = False) -> Iterator[Connection]:
        """One transaction: everything in the block is stored, or nothing is.

        `serial` names a kind of write that runs one at a time. On SQLite every write does
        (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock, taken before the
        block reads anything, makes a second import wait for the first: two large imports
        each locked their table and then the other's referenced tables, and one was aborted
        as a deadlock. `shared`: a small write that may run beside others of its kind (field
        reports) but not beside a `serial` one (an import), which waits for it and which it
        waits for."""
        with _translate_errors(self.url), self._writer(), self.engine.connect() as conn:
            conn = conn.execution_options(lagesbild_write=True)
            with conn.begin():
                if serial and conn.dialect.name == "postgresql":
                    key = zlib.crc32(f"lagesbild:{serial}".encode())
                    lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
                    conn.execute(text(f"SELECT {lock}(:k)"), {"k": key})
                yield conn

    def _writer(self):
        """On SQLite, this process's writers queue here, one at a time, before BEGIN IMMEDIATE.
        SQLite's own wait for its write lock sleeps and polls (up to 100 ms a time): under 100
        concurrent field reports most of a worker's time went to threads sleeping in that
        poll while the lock was free (py-spy, issue 20). Other processes still meet the file
        lock and its busy timeout. Re-entrant: a write inside a write of the same thread
        waits for nothing here."""
        if self.engine.dialect.name != "sqlite":
            return nullcontext()
        return _SQLITE_WRITERS.setdefault(self.url, threading.RLock())

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _translate_errors(url: str) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        if (
            "could not translate host" in str(exc)
            or "Connection refused" in str(exc)
            or ("connection" in str(exc).lower() and "failed" in str(exc).lower())
        ):
            raise StoreError(
                f"cannot reach the database at {_describe(url)}",
                "check that the server runs and the URL (host, port, user, password) is right",
            ) from None
        if "unable to open database file" in str(exc):
            raise StoreError(f"cannot open the SQLite file of {_describe(url)}") from None
        raise


def read_taxonomy(conn: Connection) -> Taxonomy:
    """The default taxonomy plus the categories this deployment added (`lagesbild category`)."""
    import json

    from lagesbild.domain.taxonomy import with_extra

    raw = conn.execute(
        select(store_settings.c.value).where(store_settings.c.key == "taxonomy")
    ).scalar()
    return with_extra(json.loads(raw)) if raw else DEFAULT_TAXONOMY


def read_settings(conn: Connection) -> StoreSettings:
    rows = {k: v for k, v in conn.execute(select(store_settings.c.key, store_settings.c.value))}
    return StoreSettings.from_rows(rows)


def check_connection(engine: Engine, url: str) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        msg = str(exc.orig if hasattr(exc, "orig") else exc).strip().splitlines()[0]
        raise StoreError(
            f"cannot reach the database at {_describe(url)}: {msg}",
            "check that the server runs and the URL (host, port, user, password) is right",
        ) from None
