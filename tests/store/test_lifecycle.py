"""Creating, opening and upgrading stores on SQLite and PostGIS; clear errors for bad URLs,
unreachable servers and stores from a newer version."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from lagesbild.errors import StoreError, ValidationError
from lagesbild.geo.region import Region
from lagesbild.store.engine import StoreSettings, make_engine
from lagesbild.store.lifecycle import head_revision, init_store, open_store, upgrade
from lagesbild.store.migrations.env_filter import include_object
from lagesbild.store.schema import metadata


def test_init_then_open_keeps_settings(store_url):
    settings = StoreSettings(
        crs="EPSG:27700", region=Region.parse("-3,53,-1.5,54"), timezone="Europe/London"
    )
    init_store(store_url, settings).dispose()
    store = open_store(store_url)
    assert store.settings == settings
    assert store.projector.crs == "EPSG:27700"
    store.dispose()
    # init again without settings keeps them; with another CRS it refuses
    init_store(store_url).dispose()
    assert open_store(store_url).settings.crs == "EPSG:27700"
    with pytest.raises(StoreError, match="cannot be changed"):
        init_store(store_url, StoreSettings(crs="EPSG:3006"))


def test_default_settings(store):
    assert store.settings.crs == "EPSG:3006"
    assert store.settings.timezone == "Europe/Stockholm"
    assert str(store.settings.region) == "10,55,24.5,69.5"


def test_migrations_build_exactly_the_schema(store):
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_spatial_index_exists(store):
    with store.engine.connect() as conn:
        if store.backend == "sqlite":
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
            assert {"ix_crimes_bbox", "ix_observations_bbox", "rtree_places"} <= names
            assert "rtree_crimes" not in names  # points: a B-tree on (minx, miny), see 0005
        else:
            idx = conn.execute(
                text(
                    "SELECT indexdef FROM pg_indexes "
                    "WHERE tablename='crimes' AND indexname='ix_crimes_geom'"
                )
            ).scalar()
            assert "gist" in idx.lower()
            coltype = conn.execute(
                text("SELECT type FROM geometry_columns WHERE f_table_name='places'")
            ).scalar()
            assert coltype == "GEOMETRY"


def test_upgrade_a_store_made_by_the_first_migration(store_url):
    engine = make_engine(store_url)
    upgrade(engine, "0001")
    with engine.begin() as conn:  # data written by the old version must survive
        conn.execute(text("INSERT INTO store_settings (key, value) VALUES ('crs', 'EPSG:3006')"))
        conn.execute(
            text("INSERT INTO organisations (name, created_at) VALUES ('Polisen', :t)"),
            {"t": datetime(2023, 1, 1)},
        )
    assert "audit_log" not in inspect(engine).get_table_names()
    with pytest.raises(StoreError, match="older schema"):
        open_store(store_url)
    engine.dispose()
    store = init_store(store_url)
    assert "audit_log" in inspect(store.engine).get_table_names()
    with store.read() as conn:
        assert conn.execute(text("SELECT name FROM organisations WHERE name='Polisen'")).scalar()
        rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert rev == head_revision()
    store.dispose()


def test_store_from_a_newer_version_is_refused_untouched(store):
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer version of lagesbild"):
        open_store(store.url)
    with pytest.raises(StoreError, match="newer version of lagesbild"):
        init_store(store.url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999"


def test_missing_store_says_run_init(tmp_path):
    with pytest.raises(StoreError, match="lagesbild init"):
        open_store(f"sqlite:///{tmp_path / 'none.sqlite'}")


@pytest.mark.parametrize(
    "url, message",
    [
        ("not-a-url", "not a database URL"),
        ("mysql://u@h/db", "unsupported database"),
        ("sqlite:////no/such/folder/x.sqlite", "does not exist"),
        ("postgresql://u:secret@127.0.0.1:1/x", "cannot reach the database"),
    ],
)
def test_bad_urls_give_clear_errors(url, message):
    with pytest.raises(StoreError, match=message) as exc:
        init_store(url)
    assert "secret" not in str(exc.value)  # passwords never echoed


def test_invalid_settings_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    with pytest.raises(ValidationError, match="time zone"):
        init_store(url, StoreSettings(timezone="Mars/Olympus"))
    with pytest.raises(ValidationError, match="projected"):
        init_store(url, StoreSettings(crs="EPSG:4326"))


def test_sqlite_runs_in_wal_mode(sqlite_store):
    with sqlite_store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_timestamps_come_back_timezone_aware_utc(store):
    from lagesbild.store.schema import organisations

    t = datetime(2023, 6, 1, 21, 30, tzinfo=UTC)
    with store.write() as conn:
        conn.execute(organisations.insert().values(name="X", created_at=t))
    with store.read() as conn:
        got = conn.execute(organisations.select().where(organisations.c.name == "X")).first()
    assert got.created_at == t and got.created_at.tzinfo is not None


def test_engine_for_plain_postgres_url_uses_psycopg():
    eng = make_engine("postgresql://u:p@127.0.0.1:1/x")
    assert eng.dialect.driver == "psycopg"
    assert create_engine  # imported for readers: the engine is SQLAlchemy's own


def test_init_again_changes_only_the_settings_given(store_url):
    """`init --timezone X` on a store made with its own CRS and region keeps them (the region
    was reset to Sweden's, and a store with another CRS refused any change)."""
    manchester = Region.parse("-3,53,-1.5,54")
    init_store(store_url, StoreSettings("EPSG:27700", manchester, "Europe/London")).dispose()
    init_store(store_url, changes={"timezone": "Europe/Oslo"}).dispose()
    store = init_store(store_url, changes={"region": Region.parse("-3,53,-1.4,54")})
    assert store.settings.crs == "EPSG:27700"
    assert str(store.settings.region) == "-3,53,-1.4,54"
    assert store.settings.timezone == "Europe/Oslo"
    store.dispose()
    with pytest.raises(StoreError, match="cannot be changed"):
        init_store(store_url, changes={"crs": "EPSG:3006"})
    with pytest.raises(ValidationError, match="unknown time zone"):
        init_store(store_url, changes={"timezone": "Nowhere/Land"})
    store = open_store(store_url)
    assert store.settings.as_rows() == {
        "crs": "EPSG:27700",
        "region": "-3,53,-1.4,54",
        "timezone": "Europe/Oslo",
    }
    store.dispose()


def test_the_known_head_is_the_migrations_head():
    """`lifecycle.HEAD` lets a current store open without Alembic; it must name the scripts'
    head, or a store one migration behind would open as current."""
    from lagesbild.store.lifecycle import HEAD

    assert HEAD == head_revision()


def test_opening_a_current_store_needs_no_alembic(tmp_path):
    """Every CLI command opens the store: Alembic and its scripts are loaded only to upgrade,
    or to say why a store is older or newer."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'current.sqlite'}"
    init_store(url).dispose()
    code = (
        "import sys\nfrom lagesbild.store.lifecycle import open_store\n"
        f"open_store({url!r}).dispose()\nprint(sorted(m for m in sys.modules if 'alembic' in m))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
