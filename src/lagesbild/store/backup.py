"""Backup and restore of a whole store, the same on SQLite and PostGIS (and across them).

A backup is a zip: `manifest.json` (schema revision, settings, per table the row count and a
SHA-256 over its rows) and one JSON-lines file per table (geometries as WKB hex, times as ISO
8601 UTC). It is read in one transaction, so it is a consistent snapshot while the app keeps
writing: WAL readers on SQLite and a REPEATABLE READ snapshot on PostgreSQL both see the store
as of the first read. Restore goes into an empty, freshly initialised store, in one
transaction, and checks every count and checksum before it commits.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from base64 import b64decode, b64encode
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import Date, Integer, Table, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, IntegrityError, StatementError

from lagesbild.domain.model import SYSTEM, Viewer
from lagesbild.errors import LagesbildError, StoreError
from lagesbild.store import audit
from lagesbild.store.engine import Store
from lagesbild.store.lifecycle import current_revision
from lagesbild.store.schema import metadata
from lagesbild.store.types import Geometry, UTCDateTime

FORMAT = "lagesbild-backup/1"
# State that only makes sense on the running server: not carried across. `auth_version` is the
# counter that remembered log-ins are checked against; the target store keeps its own (SQLite's
# triggers bump it as the restore writes users and tokens).
SKIP = {"web_sessions", "login_attempts", "rate_events", "auth_version"}
BATCH = 5000


def _tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in SKIP]


def _encode(value: Any, coltype) -> Any:
    if value is None:
        return None
    if isinstance(coltype, Geometry):
        return shapely.to_wkb(value, hex=True)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"b64": b64encode(bytes(value)).decode()}
    return value


def _decode(value: Any, coltype) -> Any:
    if value is None:
        return None
    if isinstance(coltype, Geometry):
        return shapely.from_wkb(bytes.fromhex(value))
    if isinstance(coltype, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(coltype, Date):
        return date.fromisoformat(value)
    if isinstance(value, dict) and "b64" in value:
        return b64decode(value["b64"])
    return value


def _line(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _rows(conn: Connection, table: Table) -> Iterator[dict]:
    pk = list(table.primary_key.columns)
    last = None
    while True:  # keyset pages in primary-key order: the same order on every backend
        q = select(table).order_by(*pk).limit(BATCH)
        if last is not None and len(pk) == 1:
            q = q.where(pk[0] > last)
        elif last is not None:
            q = q.offset(last)
        page = conn.execute(q).mappings().all()
        if not page:
            return
        for r in page:
            yield {c.name: _encode(r[c.name], c.type) for c in table.columns}
        last = page[-1][pk[0].name] if len(pk) == 1 else (last or 0) + len(page)


def backup(store: Store, out: str | Path, progress=None, actor: Viewer = SYSTEM) -> dict:
    """Write a consistent backup of the store to `out` (a .zip). Returns the manifest. The
    backup holds every record, restricted ones and password hashes too: it is written to the
    audit log as an export."""
    out = Path(out)
    if out.is_dir():
        raise LagesbildError(
            f"{out} is a folder; give the backup file's name", f"e.g. --out {out / 'lagesbild.zip'}"
        )
    if not out.parent.is_dir():
        raise LagesbildError(f"folder {out.parent} does not exist")
    tmp = out.with_suffix(out.suffix + ".part")
    manifest: dict[str, Any] = {"format": FORMAT, "tables": {}}
    try:
        _write_backup(store, tmp, manifest, progress)
        tmp.replace(out)  # a backup file is complete or absent, never half-written
    except OSError as exc:
        raise LagesbildError(f"cannot write the backup {out}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    total = sum(t["rows"] for t in manifest["tables"].values())
    with store.write() as conn:
        audit.record(conn, actor, "export", "backup", None, f"{out.name}: {total} rows")
    return manifest


def _write_backup(store: Store, tmp: Path, manifest: dict[str, Any], progress) -> None:
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            manifest["revision"] = current_revision(conn)
            manifest["backend"] = store.backend
            manifest["settings"] = store.settings.as_rows()
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for table in _tables():
                    digest, count = hashlib.sha256(), 0
                    with zf.open(f"{table.name}.jsonl", "w") as fh:
                        for row in _rows(conn, table):
                            line = _line(row)
                            digest.update(line.encode())
                            fh.write(line.encode() + b"\n")
                            count += 1
                    manifest["tables"][table.name] = {"rows": count, "sha256": digest.hexdigest()}
                    if progress:
                        progress(table.name, count)
                zf.writestr("manifest.json", json.dumps(manifest, indent=1))


def read_manifest(path: str | Path) -> dict:
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
    except FileNotFoundError:
        raise LagesbildError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError):
        raise LagesbildError(
            f"{path}: not a lagesbild backup (expected a zip with manifest.json)"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise LagesbildError(f"{path}: unknown backup format {found!r}", f"expected {FORMAT}")
    tables = manifest.get("tables")
    if (
        not isinstance(manifest.get("revision"), str)
        or not isinstance(tables, dict)
        or not all(
            isinstance(t, dict)
            and isinstance(t.get("rows"), int)
            and isinstance(t.get("sha256"), str)
            for t in tables.values()
        )
    ):
        raise LagesbildError(
            f"{path}: manifest.json is damaged",
            "expected a schema revision and, per table, its rows and sha256",
        )
    return manifest


def restore(store: Store, path: str | Path, progress=None, actor: Viewer = SYSTEM) -> dict:
    """Restore a backup into this (empty, initialised) store, all or nothing."""
    manifest = read_manifest(path)
    with store.engine.connect() as conn:
        rev = current_revision(conn)
    if manifest["revision"] != rev:
        raise StoreError(
            f"the backup has schema revision {manifest['revision']}, this store {rev}",
            "restore into a store of the same lagesbild version",
        )
    unknown = sorted(set(manifest["tables"]) - {t.name for t in _tables()})
    if unknown:  # rows this schema has no place for would be dropped without a word
        raise StoreError(
            f"{path}: the backup holds tables this store does not have: {', '.join(unknown)}",
            "restore into a store of the lagesbild version that wrote the backup",
        )
    with store.write() as conn:
        _check_empty(conn)
        for table in reversed(_tables()):  # children first: what `init` made (settings, org)
            conn.execute(table.delete())
        with zipfile.ZipFile(path) as zf:
            for table in _tables():
                count = _restore_table(conn, zf, table, manifest, path)
                if progress:
                    progress(table.name, count)
        _reset_sequences(conn)
        total = sum(t["rows"] for t in manifest["tables"].values())
        audit.record(
            conn, actor, "import", "backup", None, f"restored {Path(path).name}: {total} rows"
        )
    return manifest


def _intact(zf: zipfile.ZipFile, member: str) -> bool:
    """Whether a member reads to its end with its CRC as the zip file recorded it."""
    try:
        with zf.open(member) as fh:
            while fh.read(1 << 20):
                pass
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return False
    return True


def _restore_table(conn: Connection, zf: zipfile.ZipFile, table: Table, manifest, path) -> int:
    """Insert the rows of one table from the backup; any damage raises (and the caller's
    transaction restores nothing)."""
    empty = {"rows": 0, "sha256": hashlib.sha256().hexdigest()}
    expected = manifest["tables"].get(table.name, empty)
    member = f"{table.name}.jsonl"
    digest, count, batch = hashlib.sha256(), 0, []
    try:
        if member in zf.namelist():
            with zf.open(member) as fh:
                for raw in fh:
                    digest.update(raw.rstrip(b"\n"))
                    row = json.loads(raw)
                    batch.append({c.name: _decode(row.get(c.name), c.type) for c in table.columns})
                    count += 1
                    if len(batch) >= BATCH:
                        conn.execute(insert(table), batch)
                        batch = []
        if batch:
            conn.execute(insert(table), batch)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise LagesbildError(f"{path}: {member} is damaged ({exc}); nothing restored") from None
    except (ValueError, TypeError, AttributeError) as exc:  # JSON, WKB hex, times, dates
        if not _intact(zf, member):  # a damaged member can inflate to text that is no row
            raise LagesbildError(f"{path}: {member} is damaged; nothing restored") from None
        raise LagesbildError(
            f"{path}: {member}, row {count + 1}: not a row of {table.name} ({exc}); "
            "nothing restored"
        ) from None
    except (IntegrityError, DataError, StatementError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise LagesbildError(
            f"{path}: the rows of {member} do not fit this store ({reason}); nothing restored"
        ) from None
    if count != expected["rows"] or digest.hexdigest() != expected["sha256"]:
        raise LagesbildError(
            f"{path}: table {table.name} does not match its manifest "
            f"({count} rows read, {expected['rows']} expected); nothing restored"
        )
    return count


def _check_empty(conn: Connection) -> None:
    """Refuse a store that holds anything `init` did not put there (its settings and one
    organisation): restore replaces every table, so such records would be lost."""
    for table in _tables():
        allowed = {"store_settings": None, "organisations": 1}.get(table.name, 0)
        if allowed is None:
            continue
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if n > allowed:
            raise StoreError(
                f"the target store already holds data ({n} rows in {table.name}); "
                "restore needs an empty store",
                "run `lagesbild init` on a new database and restore into that",
            )


def _reset_sequences(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues from the largest id by itself
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                    f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
                )
            )
