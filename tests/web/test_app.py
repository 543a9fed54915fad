"""The web app on a real store: built by the factory, called through httpx's ASGI transport,
and once as a real server process on a free port."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from shapely.geometry import box

from lagesbild.ingest.writer import write_records
from lagesbild.web.app import create_app


@pytest.fixture
def filled_store(store):
    write_records(
        store,
        "places",
        [
            (
                2,
                {
                    "name": "Sergels torg/Klara",
                    "kind": "scene",
                    "round": 2022,
                    "status": "listed",
                    "sensitivity": "public",
                },
                box(18.058, 59.330, 18.070, 59.336),
            ),
            (
                3,
                {
                    "name": "Sergels torg/Klara",
                    "kind": "scene",
                    "round": 2023,
                    "status": "listed",
                    "sensitivity": "public",
                },
                box(18.060, 59.331, 18.066, 59.334),
            ),
            (
                4,
                {"name": "Hemligt", "kind": "priority_place", "sensitivity": "restricted"},
                box(18.04, 59.34, 18.05, 59.345),
            ),
        ],
    )
    return store


async def _get(url: str, path: str) -> httpx.Response:
    app = create_app(url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path)


@pytest.mark.anyio
async def test_health(filled_store):
    r = await _get(filled_store.url, "/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["backend"] == filled_store.backend


@pytest.mark.anyio
async def test_places_page_lists_public_places_with_hectares(filled_store):
    r = await _get(filled_store.url, "/")
    assert r.status_code == 200
    html = r.text
    assert "Sergels torg/Klara" in html and "Hemligt" not in html
    ha_2023 = filled_store.projector.area_ha(box(18.060, 59.331, 18.066, 59.334))
    assert f"{ha_2023:.1f}".replace(".", ",") + " ha" in html  # Swedish decimal comma
    r_en = await _get(filled_store.url, "/?lang=en")
    assert f"{ha_2023:.1f} ha" in r_en.text and "Places and extent" in r_en.text


@pytest.mark.anyio
async def test_extents_geojson_is_rfc7946(filled_store):
    r = await _get(filled_store.url, "/api/v1/extents.geojson")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and "crs" not in fc
    assert [f["properties"]["round"] for f in fc["features"]] == [2022, 2023]
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    assert 18 < lon < 18.1 and 59.3 < lat < 59.4  # lon, lat order


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_a_real_server(sqlite_store):
    port = _free_port()
    env = {**os.environ, "LAGESBILD_DB": sqlite_store.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lagesbild", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.time() < deadline, "server did not come up"
                time.sleep(0.2)
        assert r.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/static/leaflet/leaflet.js").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_on_a_missing_store_says_what_to_do(tmp_path):
    env = {**os.environ, "LAGESBILD_DB": f"sqlite:///{tmp_path / 'none.sqlite'}"}
    r = subprocess.run(
        [sys.executable, "-m", "lagesbild", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0 and "lagesbild init" in r.stderr and "Traceback" not in r.stderr


def test_the_server_app_tunes_the_collector_and_an_embedded_app_does_not(sqlite_store, monkeypatch):
    import gc

    from fastapi.testclient import TestClient

    from lagesbild.web.app import GC_THRESHOLD, server_app

    before = gc.get_threshold()
    monkeypatch.setenv("LAGESBILD_DB", sqlite_store.url)
    try:
        with TestClient(create_app(sqlite_store.url)) as client:
            assert client.get("/health").status_code == 200
            assert gc.get_threshold() == before
        with TestClient(server_app()) as client:
            assert client.get("/health").status_code == 200
            assert gc.get_threshold() == GC_THRESHOLD
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
