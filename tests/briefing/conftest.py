"""The demo scenario loaded once per module and backend (a load takes seconds)."""

from __future__ import annotations

import pytest

from lagesbild.demo.scenario import load_demo
from lagesbild.store.lifecycle import init_store


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def demo_store(request, tmp_path_factory):
    server = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('briefing') / 'store.sqlite'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database()
    store = init_store(url)
    load_demo(store)
    yield store
    store.dispose()
    if server is not None:
        server.drop_database(url.rsplit("/", 1)[1])
