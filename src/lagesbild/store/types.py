"""Column types that behave the same on SQLite and PostgreSQL/PostGIS.

`Geometry` holds a Shapely geometry in WGS84. On PostGIS it is a real `geometry(Geometry,4326)`
column (so QGIS and GiST indexes work); on SQLite it is WKB in a BLOB, indexed by an R*Tree on the
bounding-box columns every spatial table carries. `UTCDateTime` stores instants in UTC and gives
back timezone-aware datetimes on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from sqlalchemy import DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, UserDefinedType


class _Typed(FunctionElement):
    inherit_cache = True

    def __init__(self, arg, type_):
        super().__init__(arg)
        self.type = type_


class _FromWKB(_Typed):
    inherit_cache = True
    name = "lb_from_wkb"


class _AsWKB(_Typed):
    inherit_cache = True
    name = "lb_as_wkb"


@compiles(_FromWKB)
def _from_wkb_default(element, compiler, **kw):  # SQLite: WKB is the stored form
    return compiler.process(element.clauses, **kw)


@compiles(_FromWKB, "postgresql")
def _from_wkb_pg(element, compiler, **kw):
    return f"ST_GeomFromWKB({compiler.process(element.clauses, **kw)}, 4326)"


@compiles(_AsWKB)
def _as_wkb_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_AsWKB, "postgresql")
def _as_wkb_pg(element, compiler, **kw):
    return f"ST_AsBinary({compiler.process(element.clauses, **kw)})"


class Geometry(UserDefinedType):
    """A WGS84 geometry; Python side is a Shapely geometry (or None)."""

    cache_ok = True

    def __init__(self, *args: Any, **kw: Any) -> None:
        # Reflection passes PostGIS's type modifiers (e.g. "Geometry", 4326); storage is fixed.
        super().__init__()

    def get_col_spec(self, **kw: Any) -> str:
        return "BLOB"

    def bind_expression(self, bindvalue):
        return _FromWKB(bindvalue, type_=self)

    def column_expression(self, col):
        return _AsWKB(col, type_=self)

    def bind_processor(self, dialect):
        def process(value):
            if value is None:
                return None
            if isinstance(value, (bytes, bytearray, memoryview)):
                return bytes(value)
            return shapely.to_wkb(value)

        return process

    def result_processor(self, dialect, coltype):
        def process(value):
            if value is None:
                return None
            return shapely.from_wkb(bytes(value))

        return process


def know_postgis_geometry() -> None:
    """Reflection on PostgreSQL (e.g. comparing migrations with the schema) then knows
    PostGIS's column type. Called where a PostgreSQL engine is made: importing SQLAlchemy's
    PostgreSQL dialect costs a SQLite command 20 ms of its start-up."""
    from sqlalchemy.dialects.postgresql.base import ischema_names

    ischema_names["geometry"] = Geometry


@compiles(Geometry, "postgresql")
def _geometry_pg(type_, compiler, **kw):
    return "geometry(Geometry,4326)"


class UTCDateTime(TypeDecorator):
    """Timezone-aware instants, stored as UTC. Naive values are refused: the caller must know
    the time zone (imports read local times in the store's zone)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; attach a time zone first")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
