"""The fast path of `write_records` for the big point layers (crimes, observations).

Rows arrive in chunks of columns (`ingest.columns`): from Arrow's CSV reader for a CSV file, or
made from any reader's records. Each chunk is validated column-wise with Arrow compute and numpy;
every row that the column-wise checks do not pass goes through the layer's own `build`
(ingest.layers), so rejects carry the same reasons and the rules stay written once.

New rows are inserted with the driver's own bulk call on the connection of the caller's
transaction: on SQLite, multi-row `INSERT ... ON CONFLICT(source_key) DO NOTHING` with numbered
parameters (the bookkeeping columns, the same for every row, are written once in the statement);
on PostgreSQL, `COPY` in the binary format (encoded from Arrow by pgpq) into a temporary table
and one `INSERT ... SELECT ... ON CONFLICT DO NOTHING`; an import that holds the table (a big
one into a small table) COPYs each chunk straight into it until a key conflicts, and a re-import
looks up a whole chunk's keys and compares its rows in one join. Those COPYs and look-ups run in
a thread of their own while the next chunk is read (`Sink.send`). On SQLite, when the table had
rows before the import, each chunk's stored rows are read first (one query) and only the new
rows are offered to the insert. Rows that met a stored key (a re-import, an overlapping extract)
are then compared with the stored row: equal ones are duplicates (on SQLite compared as stored,
without a build), the others are compared and updated through SQLAlchemy (`update_one`).
Assignment to places and extents is done per chunk (store.assign), so memory stays bounded by
the chunk size, not the file. An import more than twice the layer's size drops its secondary
indexes and builds them again at the end (`Sink.defer_indexes`). A big CSV is read and checked
in a forked second process while this one writes, when a core is free for it (`overlap`).

All of it is inside the caller's one write transaction, so a crash or Ctrl-C leaves the store as
it was.

The package: `sink` (the driver's side: inserts, the comparison of rows met again, deferred
indexes), `parsers` (column-wise parsing and checks), `pipeline` (chunks, row-by-row builds
of what the column-wise checks leave, `write_bulk`) and `overlap` (the second process).
"""

from lagesbild.ingest.bulk.pipeline import write_bulk

BULK_LAYERS = frozenset({"crimes", "observations"})
ENABLED = True  # tests switch it off to compare with the row-by-row path

__all__ = ["BULK_LAYERS", "ENABLED", "write_bulk"]
