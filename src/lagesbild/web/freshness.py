"""Knowing cheaply that nothing has changed, so that repeated requests skip the database.

On SQLite, `PRAGMA data_version` on a connection of its own (which never writes) changes
whenever any other connection, in this process or another one (a second worker, `lagesbild
import`), commits a change to the database; reading it costs microseconds. `ChangeWatch.memo`
keeps an answer read from the store (an API token's user, a table's data version) together
with the value the pragma had *before* the answer was read, and returns it only while the
pragma still has that value. That is exact, not a time-to-live: a revoked token, a disabled
user or a new record is seen by the very next request. The pragma is database-wide, so any
write (an audit entry, a log-in) makes every memo re-read once; that only costs what the
lookups cost without the memo.

Token and session look-ups are remembered against a narrower counter (`auth=True`): the
`auth_version` row that SQLite triggers move only when users, organisations, sessions or API
tokens change (migration 0013), so that a stream of writes of records (field reports) does
not make every request read its token again; a revoked token or a disabled user still moves
it, from any process.

PostgreSQL has no such counter, so there `memo` always reads (the server runs queries in
parallel in its own processes; the cost that made this worth it is SQLite's in-process work).
A store file replaced under a running server (not what `lagesbild restore` does: it writes
through SQL) is not seen; restart the server after that.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from lagesbild.store.engine import Store
from lagesbild.web.lru import LRU

T = TypeVar("T")
SCOPE_KEY = "lagesbild.generation"
AUTH_SCOPE_KEY = "lagesbild.auth_generation"


class ChangeWatch:
    def __init__(self, store: Store, size: int = 4096) -> None:
        self._lock = threading.Lock()
        self._memo = LRU(size)  # key: (generation when read, value)
        self._con: sqlite3.Connection | None = None
        path = store.engine.url.database if store.backend == "sqlite" else None
        if path and path != ":memory:" and not path.startswith("file:"):
            # autocommit: the pragma's read ends with the statement, so no snapshot is held
            # open (which would keep SQLite from checkpointing the write-ahead log)
            self._con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def generation(self) -> int | None:
        """A number that changes whenever the database may have changed; None: unknown."""
        if self._con is None:
            return None
        with self._lock:
            return self._con.execute("PRAGMA data_version").fetchall()[0][0]

    def auth_generation(self) -> int | None:
        """A number that changes whenever users, organisations, sessions or tokens may have
        changed (the triggers' counter), paired with nothing else; None: unknown."""
        if self._con is None:
            return None
        with self._lock:
            try:
                row = self._con.execute("SELECT n FROM auth_version WHERE id = 1").fetchone()
            except sqlite3.Error:  # a store from before migration 0013: the whole database's
                row = None
            if row is None:
                return None
            return -1 - row[0]  # never equal to a data_version (those are positive)

    def generation_of(self, request, auth: bool = False) -> int | None:
        """The generation as read at its first use in this request: one read per request
        (a request's memos are then consistent with each other, as of that moment)."""
        key, read = (AUTH_SCOPE_KEY, self.auth_generation) if auth else (SCOPE_KEY, self.generation)
        if key not in request.scope:
            request.scope[key] = read()
        return request.scope[key]

    def memo(self, key: Hashable, read: Callable[[], T], request=None, auth: bool = False) -> T:
        """`read()`, or its earlier result if the database (with `auth`: its users, sessions
        and tokens) has not changed since (since the start of `request`, when given)."""
        if request is None:
            before = self.auth_generation() if auth else self.generation()
        else:
            before = self.generation_of(request, auth)
        if before is None:
            return read()
        hit = self._memo.get(key)
        if hit is not None and hit[0] == before:
            return hit[1]
        value = read()
        self._memo.put(key, (before, value))
        return value

    def fresh(self, key: Hashable, request, auth: bool = False) -> tuple[bool, object]:
        """(True, the remembered value) if the database has not changed since it was read,
        else (False, None); never reads the store."""
        hit = self._memo.get(key)
        before = self.generation_of(request, auth)
        if before is not None and hit is not None and hit[0] == before:
            return True, hit[1]
        return False, None

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


async def remembered(request, key: Hashable, read: Callable[[], T], auth: bool = False) -> T:
    """`ChangeWatch.memo` for async code: the remembered value without leaving the event loop,
    or `read()` in the thread pool (it queries the store). `auth`: a look-up of who is asking,
    kept while users, sessions and tokens are unchanged."""
    watch: ChangeWatch = request.app.state.watch
    ok, value = watch.fresh(key, request, auth)
    if ok:
        return value  # type: ignore[return-value]
    return await run_in_threadpool(watch.memo, key, read, request, auth)
