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
from lagesbild.store.audit import AuditFilter
from lagesbild.store.audit import read as audit_read
from lagesbild.store.backup import backup, restore
from lagesbild.store.lifecycle import init_store
from lagesbild.store.schema import audit_log, cameras, crimes, metadata, observations


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


def _snapshot(store, restored: bool = False) -> dict[str, tuple[int, str]]:
    """Counts and a digest of every data table's rows, computed here (not by backup.py).
    `restored`: leave out the audit entry that the restore itself wrote, the last one."""
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
            if restored and name == "audit_log":
                assert rows[-1].layer == "backup" and rows[-1].action == "import"
                rows = rows[:-1]
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
    assert _snapshot(target, restored=True) == before
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
    assert _snapshot(target, restored=True) == before
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
    # a dry run counts and changes nothing, nor writes an entry
    assert apply_retention(store, 30, "delete", SYSTEM, dry_run=True) == 1
    with store.read() as conn:
        retention = select(func.count()).where(audit_log.c.action == "retention")
        assert conn.execute(retention).scalar_one() == 0
        assert MARK not in {t for (t,) in conn.execute(select(observations.c.text))}
    assert apply_retention(store, 30, "pseudonymise", SYSTEM) == 1
    with store.read() as conn:
        texts = dict(conn.execute(select(observations.c.source_id, observations.c.text)).all())
        entry = conn.execute(
            select(audit_log.c.action, audit_log.c.detail).where(audit_log.c.action == "retention")
        ).one()
    assert texts == {"o1": MARK, "o2": "Skräp"}
    assert "1 record" in entry.detail
    assert apply_retention(store, 30, "delete", SYSTEM) == 0  # already pseudonymised


def test_backup_to_a_folder_is_refused_and_leaves_nothing(sqlite_store, tmp_path):
    with pytest.raises(LagesbildError, match="is a folder"):
        backup(sqlite_store, tmp_path)
    with pytest.raises(LagesbildError, match="does not exist"):
        backup(sqlite_store, tmp_path / "no" / "b.zip")
    assert sorted(p.name for p in tmp_path.parent.iterdir() if p.name.endswith(".part")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "store.sqlite",
        "store.sqlite-shm",
        "store.sqlite-wal",
    ]


def _rewrite(src, dst, change) -> None:
    """Copy backup `src` to `dst`, with `change(name, data) -> data | None` per member."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            data = change(item, zin.read(item))
            if data is not None:
                zout.writestr(item, data)


def _bad_time(name: str, data: bytes) -> bytes:
    """A crime whose time is not a time, with the manifest's checksum made to fit."""
    if name == "crimes.jsonl":
        lines = data.decode().splitlines()
        row = json.loads(lines[0])
        row["occurred_at"] = "yesterday"
        lines[0] = json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return ("\n".join(lines) + "\n").encode()
    if name == "manifest.json":
        return data  # fixed below by _with_checksums
    return data


def _with_checksums(path) -> None:
    """Recompute the manifest of a backup whose rows were changed on purpose."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    manifest = json.loads(members["manifest.json"])
    for name, data in members.items():
        if name.endswith(".jsonl"):
            h = hashlib.sha256()
            lines = data.splitlines()
            for line in lines:
                h.update(line)
            manifest["tables"][name[:-6]] = {"rows": len(lines), "sha256": h.hexdigest()}
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


@pytest.mark.parametrize(
    "damage, message",
    [
        ("flipped", "is damaged"),
        ("bad_json", "places.jsonl, row 2: not a row of places"),
        ("bad_time", "crimes.jsonl, row 1: not a row of crimes"),
        ("orphan", "do not fit this store"),
        ("no_revision", "manifest.json is damaged"),
        ("other_schema", "tables this store does not have: briefings_v9"),
    ],
)
def test_damaged_backups_give_one_clear_error_and_restore_nothing(
    sqlite_store, tmp_path, damage, message
):
    """Each was a traceback (zlib.error, JSONDecodeError, ValueError, KeyError, IntegrityError)
    or, for a table the store does not have, its rows were dropped without a word."""
    _fill(sqlite_store)
    good = tmp_path / "b.zip"
    backup(sqlite_store, good)
    bad = tmp_path / "bad.zip"
    if damage == "flipped":  # one byte of compressed data
        with zipfile.ZipFile(good) as z:
            info = z.getinfo("crimes.jsonl")
        data = bytearray(good.read_bytes())
        data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF
        bad.write_bytes(bytes(data))
    elif damage == "bad_json":
        _rewrite(good, bad, lambda n, d: d + b"{not json\n" if n == "places.jsonl" else d)
        _with_checksums(bad)
    elif damage == "bad_time":
        _rewrite(good, bad, _bad_time)
        _with_checksums(bad)
    elif damage == "orphan":  # a crime whose owner organisation is not in the backup

        def orphan(n, d):
            if n != "crimes.jsonl":
                return d
            row = json.loads(d.splitlines()[0])
            row["owner_org_id"] = 999
            return json.dumps(row).encode() + b"\n" + b"\n".join(d.splitlines()[1:]) + b"\n"

        _rewrite(good, bad, orphan)
        _with_checksums(bad)
    elif damage == "no_revision":
        _rewrite(
            good,
            bad,
            lambda n, d: (
                json.dumps({"format": "lagesbild-backup/1"}).encode() if n == "manifest.json" else d
            ),
        )
    else:
        _rewrite(good, bad, lambda n, d: d)
        with zipfile.ZipFile(bad, "a") as z:
            z.writestr("briefings_v9.jsonl", b"")
        _with_checksums(bad)
    target = init_store(f"sqlite:///{tmp_path / 't.sqlite'}")
    with pytest.raises(LagesbildError, match=message):
        restore(target, bad)
    with target.read() as conn:
        for name in ("crimes", "places", "audit_log"):
            t = metadata.tables[name]
            assert conn.execute(select(func.count()).select_from(t)).scalar() == 0
    target.dispose()


def test_restore_refuses_a_store_with_any_records(sqlite_store, tmp_path):
    """Only places, crimes, observations and users were looked at: a target holding cameras
    (or any other layer) had them deleted by the restore without a word."""
    _fill(sqlite_store)
    backup(sqlite_store, tmp_path / "b.zip")
    target = init_store(f"sqlite:///{tmp_path / 't.sqlite'}")
    write_records(
        target,
        "cameras",
        [
            (
                1,
                {
                    "id": "c1",
                    "lat": 59.33,
                    "lon": 18.06,
                    "operator": "Polisen",
                    "bearing": 90,
                    "angle": 60,
                    "range": 40,
                },
                None,
            )
        ],
    )
    with pytest.raises(StoreError, match="already holds data .*cameras"):
        restore(target, tmp_path / "b.zip")
    with target.read() as conn:
        assert conn.execute(select(func.count()).select_from(cameras)).scalar() == 1
    target.dispose()


def test_backup_and_restore_are_in_the_audit_log(store, tmp_path):
    """A backup copies every restricted record and password hash: it is an export."""
    _fill(store)
    backup(store, tmp_path / "b.zip")
    rows = audit_read(store, AuditFilter(action="export", layer="backup"))
    assert len(rows) == 1 and "b.zip" in rows[0]["detail"]
    target = init_store(f"sqlite:///{tmp_path / 't.sqlite'}")
    restore(target, tmp_path / "b.zip")
    last = audit_read(target, AuditFilter(limit=1))[0]
    assert (last["action"], last["layer"]) == ("import", "backup")
    assert "restored b.zip" in last["detail"]
    target.dispose()
