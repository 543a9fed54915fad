"""A big CSV read and checked in a second process (ingest.bulk.overlap) stores exactly what one
process stores: the same summary, the same rejects on the same lines, the same rows; an error
in the reading process reaches the caller and leaves the store unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from lagesbild.errors import LagesbildError, ValidationError
from lagesbild.ingest import columns
from lagesbild.ingest.bulk import overlap, pipeline
from lagesbild.ingest.service import import_file
from lagesbild.store.schema import assignments, crimes

from .conftest import write_places_geojson

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _csv(path, n: int = 3000):
    lines = ["id,occurred_at,category,lat,lon,place_text"]
    for i in range(n):
        lat, lon = 59.3326 + (i % 7) * 0.0004, 18.0649 + (i % 5) * 0.0004
        if i % 97 == 5:
            lines.append(f"B{i},2023-02-30 10:00,theft,{lat},{lon},x")  # no such day: rejected
        elif i % 89 == 3:
            lines.append(f"W{i},2023-05-01,theft,{lat}")  # too few fields: unreadable
        elif i % 83 == 1:
            lines.append(f"T{i},2023-05-01T21:30:00+02:00,THEFT,{lat},{lon},")  # row by row
        else:
            lines.append(f"K{i},2023-{1 + i % 12:02d}-11 0{i % 10}:15,theft,{lat},{lon},Klara")
    path.write_text("\n".join(lines) + "\n")
    return path


def _snapshot(store):
    with store.read() as conn:
        rows = [
            tuple(v for k, v in r._mapping.items() if k not in ("id", "created_at", "updated_at"))
            for r in conn.execute(select(crimes).order_by(crimes.c.source_key))
        ]
        n = conn.execute(select(func.count()).select_from(assignments)).scalar_one()
    return rows, n


def _force(monkeypatch, on: bool, used: list):
    monkeypatch.setattr(columns, "BLOCK", 16 << 10)  # many chunks
    monkeypatch.setattr(overlap, "PARALLEL_FROM_BYTES", 0 if on else 1 << 60)
    monkeypatch.setattr(overlap, "available", lambda: on)
    real = overlap.prepared_in_child
    monkeypatch.setattr(overlap, "prepared_in_child", lambda *a: used.append(1) or real(*a))


def _run(store, path):
    result = import_file(store, "crimes", path)
    summary = result.summary
    return summary.as_dict(), [(r.line, r.reason) for r in summary.rejected], _snapshot(store)


def test_second_process_stores_what_one_process_stores(store, tmp_path, monkeypatch):
    import_file(store, "places", write_places_geojson(tmp_path / "places.geojson"))
    path = _csv(tmp_path / "crimes.csv")
    used: list = []
    _force(monkeypatch, False, used)
    alone = _run(store, path)
    assert not used
    with store.write() as conn:
        conn.execute(assignments.delete().where(assignments.c.layer == "crimes"))
        conn.execute(crimes.delete())
    _force(monkeypatch, True, used)
    both = _run(store, path)
    assert used  # the second process read the file
    assert both == alone
    assert alone[0]["rejected"] > 50 and alone[0]["stored"] > 2500 and alone[2][1] > 0
    lines = [line for line, _ in both[1]]
    assert lines == sorted(lines) and 7 in lines  # row 5 of the data is line 7
    again = import_file(store, "crimes", path).summary  # a re-import, also read by the child
    assert (again.stored, again.updated, again.duplicates) == (0, 0, alone[0]["stored"])


def test_an_error_in_the_reading_process_reaches_the_caller(store, tmp_path, monkeypatch):
    path = _csv(tmp_path / "crimes.csv")
    used: list = []
    _force(monkeypatch, True, used)
    real = pipeline._prepare
    calls = []

    def failing(ctx, spec, sink, index, cols):
        calls.append(1)  # counted in the child's copy
        if len(calls) == 3:
            raise ValidationError("occurred_at", "broken on purpose")
        return real(ctx, spec, sink, index, cols)

    monkeypatch.setattr(pipeline, "_prepare", failing)
    with pytest.raises(LagesbildError, match="occurred_at: broken on purpose"):
        import_file(store, "crimes", path)
    assert used and not calls  # prepared in the child only
    assert _snapshot(store) == ([], 0)


def test_the_import_command_reads_a_big_csv_in_a_second_process(tmp_path, monkeypatch):
    """`lagesbild import` shows its progress bar without a redrawing thread: a second thread
    would keep the reading process from being forked (`overlap.available`)."""
    from typer.testing import CliRunner

    from lagesbild.cli import app
    from lagesbild.store.lifecycle import init_store

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    init_store(url).dispose()
    path = _csv(tmp_path / "crimes.csv", n=12_000)  # big enough for a progress bar
    used: list = []
    real_check = overlap.available
    _force(monkeypatch, True, used)
    monkeypatch.setattr(overlap, "available", real_check)  # the thread check as it is
    monkeypatch.setattr(overlap, "_free_core", lambda cores: True)  # whatever else runs here
    res = CliRunner().invoke(app, ["import", "crimes", str(path), "--db", url])
    assert res.exit_code == 0, res.output
    assert path.stat().st_size > 400_000  # the bar was shown (`import_command`)
    assert used  # forked: no other thread was running
    assert "stored" in res.output


def test_a_busy_machine_has_no_core_for_the_reading_process(monkeypatch):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    monkeypatch.setattr(overlap, "_running_tasks", lambda: 1)  # this process alone
    assert overlap._free_core(2)
    monkeypatch.setattr(overlap, "_running_tasks", lambda: 2)  # and one more: 2 cores full
    assert not overlap._free_core(2) and overlap._free_core(3)
    monkeypatch.undo()
    if not os.path.exists("/proc/loadavg") or cores > 16:
        return  # a spinning process for each other core only where that is a few
    spinning = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores - 1)
    ]
    try:
        time.sleep(0.3)  # all of them running
        assert not overlap._free_core(cores)
        assert not overlap.available()
    finally:
        for p in spinning:
            p.kill()
            p.wait()


def test_real_chunks_are_pickled_without_the_memo_and_read_back_equal(store, tmp_path, monkeypatch):
    """The reading process pickles each chunk with the pickler's memo off (`overlap._dump`):
    no MEMOIZE in the pickle, and every chunk of a real import (rows checked by column, rows
    built one by one, rejects) reads back equal, none of them left to the fallback."""
    import pickle
    import pickletools

    import numpy as np

    write_places_geojson(tmp_path / "places.geojson")
    import_file(store, "places", tmp_path / "places.geojson")
    prepared = []
    real_store = pipeline._store
    monkeypatch.setattr(
        pipeline,
        "_store",
        lambda sink, spec, index, prep, *a: (
            prepared.append(prep) or real_store(sink, spec, index, prep, *a)
        ),
    )
    _force(monkeypatch, False, [])
    _run(store, _csv(tmp_path / "c.csv"))
    assert len(prepared) > 5
    fallback = []
    real_dump = pickle.dump
    monkeypatch.setattr(pickle, "dump", lambda *a, **k: fallback.append(1) or real_dump(*a, **k))
    for prep in prepared:
        path = tmp_path / "chunk.pickle"
        with open(path, "wb") as fh:
            overlap._dump(prep, fh)
        data = path.read_bytes()
        assert "MEMOIZE" not in {op.name for op, _, _ in pickletools.genops(data)}
        back = pickle.loads(data)
        assert back.rows == prep.rows and back.keys == prep.keys
        assert [r.line for r in back.rejected] == [r.line for r in prep.rejected]
        assert np.array_equal(back.lon, prep.lon, equal_nan=True)
    assert fallback == []
    assert any(prep.rejected for prep in prepared)


def test_a_chunk_with_a_cycle_is_pickled_with_the_memo(tmp_path):
    """The memo-less pickler refuses a cycle; `_dump` then writes the chunk again, whole,
    with the memo (the file holds the second writing only)."""
    import pickle

    cyclic: list = [1, "x"]
    cyclic.append(cyclic)
    path = tmp_path / "chunk.pickle"
    with open(path, "wb") as fh:
        overlap._dump({"rows": [("a", 1)] * 100, "c": cyclic}, fh)
    back = pickle.loads(path.read_bytes())
    assert back["rows"] == [("a", 1)] * 100
    assert back["c"][2] is back["c"]
