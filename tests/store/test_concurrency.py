"""Writers at the same time on the multi-user store."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from lagesbild.ingest.bulk import sink
from lagesbild.ingest.writer import write_records
from lagesbild.store.lifecycle import init_store
from lagesbild.store.schema import crimes


def _crimes(offset: int, n: int):
    return [
        (
            i + 1,
            {
                "id": str(offset + i),
                "occurred_at": "2023-05-02 21:00",
                "category": "theft",
                "lat": 59.33 + i * 1e-6,
                "lon": 18.06,
            },
            None,
        )
        for i in range(n)
    ]


def test_two_large_imports_at_once_on_postgis_both_store_everything(pg_url, monkeypatch):
    """A large import locks its table and drops its foreign keys, which locks organisations;
    a second import that had read organisations then waited for the table: deadlock, and one
    import ended in a traceback. Imports now run one at a time on PostGIS."""
    store = init_store(pg_url)
    monkeypatch.setattr(sink, "DEFER_INDEXES_FROM", 10)  # "large" without a large file
    both_read = threading.Barrier(2)
    original = sink.Sink.defer_indexes

    def after_both_read(self, expected_rows):  # both have read organisations by now
        try:
            both_read.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass  # the other import waits for this one to end: as it should
        return original(self, expected_rows)

    monkeypatch.setattr(sink.Sink, "defer_indexes", after_both_read)
    errors: list[BaseException] = []

    def run(offset: int) -> None:
        try:
            write_records(store, "crimes", _crimes(offset, 500))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k * 1000,)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(crimes)).scalar() == 1000
    store.dispose()
