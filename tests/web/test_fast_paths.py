"""What makes repeated API requests cheap must not make them wrong: look-ups remembered while
the database is unchanged (tokens, sessions, data versions) see a change made elsewhere (another
worker, the CLI) at the very next request; cached answers go out gzip only to clients that
accept it; security and cache headers stay as they were."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lagesbild import accounts
from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from lagesbild.services import records
from lagesbild.store.schema import crimes
from lagesbild.web import security
from lagesbild.web.freshness import ChangeWatch

from .conftest import login

LAYER = "/api/v1/crimes?limit=1000"
INDICATORS = "/api/v1/analyse/indicators?place=Klara&period=2022&period=2023"


def _token(store, username: str) -> tuple[accounts.User, int, dict[str, str]]:
    with store.read() as conn:
        user = accounts.get_user(store, accounts.find_user(conn, username).id)
    tid, token = accounts.create_token(store, user, "test")
    return user, tid, {"Authorization": f"Bearer {token}"}


def test_change_watch_rereads_after_any_commit_elsewhere(store):
    watch = ChangeWatch(store)
    reads = []

    def read():
        reads.append(1)
        return len(reads)

    assert watch.memo("k", read) == 1
    unchanged = watch.memo("k", read)
    write_records(store, "organisations", [(1, {"name": "Räddningstjänsten", "code": "rtj"}, None)])
    changed = watch.memo("k", read)
    if store.backend == "sqlite":
        assert (unchanged, changed) == (1, 2)
    else:  # no change counter on PostgreSQL: every call reads
        assert (unchanged, changed) == (2, 3)
    watch.close()


def test_change_watch_sees_a_commit_from_another_process(sqlite_store):
    watch = ChangeWatch(sqlite_store)
    before = watch.generation()
    assert watch.generation() == before
    path = sqlite_store.engine.url.database
    sql = "INSERT INTO store_settings VALUES ('written_by', 'another process')"
    code = f"import sqlite3; c = sqlite3.connect({path!r}); c.execute({sql!r}); c.commit()"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert watch.generation() != before
    watch.close()


def test_token_revoked_elsewhere_is_refused_at_once(client, app_store):
    user, tid, auth = _token(app_store, "analyst-polis")
    for _ in range(2):  # the second answer comes from the remembered look-up
        assert client.get("/api/v1/me", headers=auth).json()["username"] == "analyst-polis"
    accounts.revoke_token(app_store, user, tid)  # as the CLI or another worker would
    assert client.get("/api/v1/me", headers=auth).status_code == 401
    assert client.get(LAYER, headers=auth).status_code == 401


def test_disabled_user_loses_token_and_session_at_once(client, app_store):
    _user, _tid, auth = _token(app_store, "coordinator-soc")
    login(client, "coordinator-soc")
    assert client.get("/api/v1/me").json()["signed_in"]
    assert client.get(LAYER, headers=auth).status_code == 200
    accounts.set_active(app_store, "coordinator-soc", False, SYSTEM)
    assert client.get(LAYER, headers=auth).status_code == 401
    assert client.get("/api/v1/me").json() == {"signed_in": False}


def test_remembered_session_still_expires(client, monkeypatch):
    login(client, "viewer-polis")
    assert client.get("/api/v1/me").json()["signed_in"]
    assert client.get("/api/v1/me").json()["signed_in"]  # remembered

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(UTC) + timedelta(hours=accounts.SESSION_HOURS, minutes=1)

    monkeypatch.setattr(security, "datetime", Later)
    assert client.get("/api/v1/me").json() == {"signed_in": False}


def test_etags_change_with_records_written_or_changed_elsewhere(client, app_store):
    _user, _tid, auth = _token(app_store, "analyst-polis")
    first = client.get(LAYER, headers=auth)
    ind = client.get(INDICATORS, headers=auth)
    etag, ind_etag = first.headers["etag"], ind.headers["etag"]
    assert client.get(LAYER, headers={**auth, "If-None-Match": etag}).status_code == 304
    # a new record, written by another connection (an import in another process)
    row = {
        "id": "elsewhere",
        "occurred_at": "2023-05-02 21:30",
        "category": "theft",
        "lat": 59.332,
        "lon": 18.062,
        "organisation": "polis",
    }
    assert write_records(app_store, "crimes", [(1, row, None)]).stored == 1
    added = client.get(LAYER, headers={**auth, "If-None-Match": etag})
    assert added.status_code == 200
    assert added.json()["numberMatched"] == first.json()["numberMatched"] + 1
    assert client.get(INDICATORS, headers={**auth, "If-None-Match": ind_etag}).status_code == 200
    # a changed record: same count, same largest id, only its time of change differs
    with app_store.read() as conn:
        rid = conn.execute(select(crimes.c.id).where(crimes.c.source_id == "elsewhere")).scalar()
    records.update_record(app_store, "crimes", rid, SYSTEM, {"category": "vandalism"})
    changed = client.get(LAYER, headers={**auth, "If-None-Match": added.headers["etag"]})
    assert changed.status_code == 200 and '"vandalism"' in changed.text


def test_cached_layer_goes_out_gzip_only_to_clients_that_accept_it(client):
    login(client, "analyst-polis")
    gz = client.get(LAYER, headers={"Accept-Encoding": "gzip"})
    plain = client.get(LAYER, headers={"Accept-Encoding": "identity"})
    assert gz.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gz.json() == plain.json() and gz.json()["numberReturned"] > 0
    for r in (gz, plain):
        assert r.headers["vary"] == "Accept-Encoding"
        assert r.headers["etag"] == gz.headers["etag"]
        # revalidate every time (never reused blindly), and only by this browser
        assert r.headers["cache-control"] == "private, no-cache"
        assert r.headers["x-content-type-options"] == "nosniff"


def test_headers_on_pages_and_plain_http(app_store):
    from fastapi.testclient import TestClient

    from lagesbild.web.app import create_app

    with TestClient(create_app(app_store.url), base_url="http://testserver") as c:
        page = c.get("/health")
        api = c.get("/api/v1/me")
        forwarded = c.get("/api/v1/me", headers={"X-Forwarded-Proto": "https"})
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "cache-control" not in page.headers  # only API answers are no-store by force
    assert api.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in api.headers
    assert forwarded.headers["strict-transport-security"].startswith("max-age=")


def test_map_view_is_cached_per_audience_and_fresh_after_a_change(client, app_store):
    view = "/map/points.geojson?layer=crimes&from=2023-01-01&to=2023-12-31&zoom=20"
    login(client, "analyst-polis")
    first = client.get(view)
    assert first.headers["content-type"] == "application/geo+json"
    assert first.headers["cache-control"] == "private, no-cache"
    ids = {i for f in first.json()["features"] for i in f["properties"].get("ids", [])}
    assert client.get(view, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    row = {
        "id": "new-on-map",
        "occurred_at": "2023-05-03 21:30",
        "category": "theft",
        "lat": 59.3335,
        "lon": 18.0655,
        "organisation": "polis",
    }
    assert write_records(app_store, "crimes", [(1, row, None)]).stored == 1
    after = client.get(view, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["numberMatched"] == first.json()["numberMatched"] + 1
    # the other organisation asks for the same view: its own answer, without polis' restricted
    client.cookies.clear()
    login(client, "analyst-soc")
    other = client.get(view, headers={"If-None-Match": after.headers["etag"]})
    assert other.status_code == 200
    other_ids = {i for f in other.json()["features"] for i in f["properties"].get("ids", [])}
    assert other.headers["etag"] != after.headers["etag"]
    assert other.json()["numberMatched"] == after.json()["numberMatched"]  # a restricted each
    assert len(ids - other_ids) == 1  # polis' restricted crime is not in soc's answer


def test_clustering_loaded_points_equals_asking_the_store_for_the_view(app_store):
    """A new map view clusters points loaded once; the answer must be what loading only the
    view's points from the store (its bounding-box filter) gives."""
    from lagesbild.services import pages

    viewer = accounts.get_user(app_store, 1).viewer
    loaded = pages.map_points(app_store, viewer, "crimes", None, None)
    for box in [(18.0605, 59.331, 18.0615, 59.3321), (18.0, 59.0, 18.1, 59.5), (0, 0, 1, 1)]:
        for zoom in (8.0, 14.0, 18.5, 22.0):
            direct = pages.clustered_points(app_store, viewer, "crimes", None, None, box, zoom)
            assert pages.cluster(app_store, loaded.within(box), box, zoom) == direct
    assert pages.cluster(app_store, loaded, None, 20.0)["numberMatched"] == len(loaded.points)


def test_a_write_of_records_keeps_the_token_remembered_a_change_of_tokens_does_not(
    client, app_store, monkeypatch
):
    """The token look-up is remembered against the auth counter (migration 0013): records
    written (a field report, an import) leave it; a token revoked by another process (raw SQL,
    as a second worker or the CLI would) is refused at the next request."""
    user, tid, auth = _token(app_store, "analyst-polis")
    reads = []
    real = security.token_user
    monkeypatch.setattr(security, "token_user", lambda *a: reads.append(1) or real(*a))
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    crime = {"id": "new-1", "occurred_at": "2024-01-01 10:00", "category": "theft"}
    crime |= {"lon": 18.06, "lat": 59.33, "organisation": "polis", "sensitivity": "shared"}
    assert write_records(app_store, "crimes", [(1, crime, None)]).stored == 1
    for _ in range(3):
        assert client.get("/api/v1/me", headers=auth).status_code == 200
    sqlite = app_store.backend == "sqlite"
    assert len(reads) == (1 if sqlite else 4)  # the record's write left the look-up alone
    # organisations are watched (a user's organisation name): read again once
    write_records(app_store, "organisations", [(9, {"name": "Kommunen", "code": "kom"}, None)])
    for _ in range(2):
        assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert len(reads) == (2 if sqlite else 6)
    if not sqlite:
        return
    path = app_store.engine.url.database
    sql = f"UPDATE api_tokens SET revoked_at = '2024-01-01 00:00:00' WHERE id = {tid}"
    code = f"import sqlite3; c = sqlite3.connect({path!r}); c.execute({sql!r}); c.commit()"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert client.get("/api/v1/me", headers=auth).status_code == 401
