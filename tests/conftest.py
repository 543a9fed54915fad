"""Shared fixtures. Store tests run on both backends: `store_url` is parametrised over SQLite (a
temporary file) and PostGIS (a throwaway server the session starts, one database per test).

Outside CI a machine without PostgreSQL/PostGIS skips the PostGIS half; in CI (CI=true) that is
an error, so PostGIS tests can never silently not run there.
"""

from __future__ import annotations

import os

import pytest

from lagesbild.devtools.pgserver import PgServer, PgUnavailable

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2():
    """Argon2id at a low cost: the suite hashes hundreds of passwords. Production keeps the
    library's defaults (see lagesbild.accounts)."""
    from argon2 import PasswordHasher

    from lagesbild import accounts

    accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def pg_server():
    try:
        server = PgServer.start()
    except PgUnavailable as exc:
        if IN_CI:
            pytest.fail(f"PostGIS test server unavailable in CI: {exc}")
        pytest.skip(f"PostGIS test server unavailable: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(params=["sqlite", "postgis"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url):
    """An initialised, empty store on each backend."""
    from lagesbild.store.lifecycle import init_store

    s = init_store(store_url)
    yield s
    s.dispose()


@pytest.fixture
def sqlite_store(tmp_path):
    from lagesbild.store.lifecycle import init_store

    s = init_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield s
    s.dispose()
