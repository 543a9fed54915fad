"""Backup and restore: a round trip keeps every record (counts and checksums compared
independently of the backup's own manifest), on both backends and across them; a damaged
backup restores nothing; retention pseudonymises old free text with an audit entry."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box
from sqlalchemy import func, select

from lagesbild.accounts import add_user
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import LagesbildError, StoreError
from lagesbild.ingest.writer import write_records
from lagesbild.services.retention import MARK, apply_retention
from lagesbild.store.backup import backup, restore
from lagesbild.store.lifecycle import init_store
from lagesbild.store.schema import audit_log, crimes, metadata, observations


def _fill(store):
    write_records(
        store,
        "places",
        [
            (
                1,
                {"name": "Klara", "kind": "scene", "round": 2023, "status": "listed"},
                box(18.05, 59.32, 18.08, 59.34),
            )
        ],
    )
    write_records(
        store,
        "crimes",
        [
            (
                i,
                {
                    "id": str(i),
                    "occurred_at": f"2023-0{1 + i % 9}-02 21:{i % 60:02d}",
                    "category": "theft",
                    "lat": 59.33 + i * 1e-5,
                    "lon": 18.06,
                    "sensitivity": "restricted",
                },
                None,
            )
            for i in range(250)
        ],
    )
    old = (datetime.now(UTC) - timedelta(days=100)).strftime("%Y-%m-%d %H:%M")
    write_records(
        store,
        "observations",
        [
            (
                1,
                {
                    "id": "o1",
                    "occurred_at": old,
                    "category": "drug_sale",
                    "lat": 59.33,
                    "lon": 18.06,
                    "text": "Person i röd jacka säljer",
                },
                None,
            ),
            (
                2,
                {
                    "id": "o2",
                    "occurred_at": "2099-01-01 12:00",
                    "category": "litter",
                    "lat": 59.33,
                    "lon": 18.06,
                    "text": "Skräp",
                },
                None,
            ),
        ],
    )
    add_user(store, "anna", "password-1", "analyst", "Stadsdelsförvaltningen", actor=SYSTEM)


def _snapshot(store) -> dict[str, tuple[int, str]]:
    """Counts and a digest of every data table's rows, computed here (not by backup.py)."""
    out = {}
    with store.read() as conn:
        for name in (
            "organisations",
            "places",
            "extents",
            "crimes",
            "observations",
            "users",
            "assignments",
            "audit_log",
            "mapping_rounds",
        ):
            t = metadata.tables[name]
            rows = conn.execute(select(t).order_by(*t.primary_key.columns)).all()
            h = hashlib.sha256()
            for r in rows:
                h.update(repr([v.wkt if hasattr(v, "wkt") else v for v in r]).encode())
            out[name] = (len(rows), h.hexdigest())
    return out


def test_round_trip_keeps_every_record(store, tmp_path):
    _fill(store)
    before = _snapshot(store)
    path = tmp_path / "b.zip"
    manifest = backup(store, path)
    assert manifest["tables"]["crimes"]["rows"] == 250
    target = init_store(f"sqlite:///{tmp_path / 'restored.sqlite'}")
    restore(target, path)
    assert _snapshot(target) == before
    # ids continue after the restored ones (sequences reset on PostGIS)
    s = write_records(
        target,
        "crimes",
        [
            (
                1,
                {
                    "id": "new",
                    "occurred_at": "2023-05-05",
                    "category": "theft",
                    "lat": 59.33,
                    "lon": 18.06,
                },
                None,
            )
        ],
    )
    assert s.stored == 1
    target.dispose()


def test_restore_into_postgis_from_sqlite(sqlite_store, pg_url, tmp_path):
    _fill(sqlite_store)
    before = _snapshot(sqlite_store)
    backup(sqlite_store, tmp_path / "b.zip")
    target = init_store(pg_url)
    restore(target, tmp_path / "b.zip")
    assert _snapshot(target) == before
    with target.read() as conn:  # spatial queries work on the restored geometries
        n = conn.execute(
            select(func.count())
            .select_from(crimes)
            .where(
                func.ST_Intersects(
                    crimes.c.geom, func.ST_MakeEnvelope(18.0, 59.3, 18.1, 59.4, 4326)
                )
            )
        ).scalar()
    assert n == 250
    new_id = write_records(
        target,
        "crimes",
        [
            (
                1,
                {
                    "id": "n",
                    "occurred_at": "2023-05-05",
                    "category": "theft",
                    "lat": 59.33,
                    "lon": 18.06,
                },
                None,
            )
        ],
    )
    assert new_id.stored == 1
    target.dispose()


def test_damaged_backup_restores_nothing(sqlite_store, tmp_path):
    _fill(sqlite_store)
    good = tmp_path / "b.zip"
    backup(sqlite_store, good)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "crimes.jsonl":
                data = b"\n".join(data.splitlines()[:-1]) + b"\n"  # one row lost
            zout.writestr(item, data)
    target = init_store(f"sqlite:///{tmp_path / 't.sqlite'}")
    with pytest.raises(LagesbildError, match="does not match its manifest"):
        restore(target, bad)
    with target.read() as conn:
        assert conn.execute(select(func.count()).select_from(crimes)).scalar() == 0
        assert (
            conn.execute(
                select(func.count()).select_from(metadata.tables["organisations"])
            ).scalar()
            == 1
        )
    with pytest.raises(StoreError, match="already holds data"):
        restore(sqlite_store, good)
    (tmp_path / "x.zip").write_text("not a zip")
    with pytest.raises(LagesbildError, match="not a lagesbild backup"):
        restore(target, tmp_path / "x.zip")
    manifest = json.loads(zipfile.ZipFile(good).read("manifest.json"))
    assert manifest["format"] == "lagesbild-backup/1"


def test_retention_pseudonymises_old_text_with_an_audit_entry(store):
    _fill(store)
    assert apply_retention(store, 30, "pseudonymise", SYSTEM) == 1
    with store.read() as conn:
        texts = dict(conn.execute(select(observations.c.source_id, observations.c.text)).all())
        entry = conn.execute(
            select(audit_log.c.action, audit_log.c.detail).where(audit_log.c.action == "retention")
        ).one()
    assert texts == {"o1": MARK, "o2": "Skräp"}
    assert "1 record" in entry.detail
    assert apply_retention(store, 30, "delete", SYSTEM) == 0  # already pseudonymised
