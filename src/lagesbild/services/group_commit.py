"""Group commit: writes that arrive together share one transaction.

A field report is one row, but alone it paid a whole transaction: on SQLite the process's
write lock, BEGIN IMMEDIATE and the commit; on PostgreSQL about 17 round trips, among them the
import lock that makes every writer of every worker wait in line. Under 100 concurrent
reporters most of them wait for that lock anyway, so the first in line (the leader) takes
everything that is waiting and writes it in one transaction (`ingest.writer.write_together`
says how one caller's error stays its own); the others find their answer when the lock comes
to them.

The classic leader/follower scheme of database logs. A caller is answered only after the
transaction that holds its rows has committed, so an acknowledged report is stored, exactly
as before. No thread waits for a timer: a lone report is written at once, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_GROUP = 64  # one transaction's callers: bounds a leader's wait and a savepoint chain


@dataclass
class _Slot(Generic[Item]):
    item: Item
    done: bool = False
    result: object = None


class GroupCommit(Generic[Item, Result]):
    """`submit(item)` runs `write([items...])` for the items waiting together; `write`
    returns one result per item, in order (an exception object is raised to its caller
    alone). If `write` itself raises, each item of the group is written alone, so that one
    caller's unforeseen failure is not everybody's."""

    def __init__(
        self, write: Callable[[list[Item]], list[Result | BaseException]], limit: int = MAX_GROUP
    ) -> None:
        self._write, self._limit = write, limit
        self._pending: list[_Slot[Item]] = []
        self._mutex = threading.Lock()  # guards _pending only, held for microseconds
        self._leader = threading.Lock()  # held while a group is written

    def submit(self, item: Item) -> Result:
        slot = _Slot(item)
        with self._mutex:
            self._pending.append(slot)
        while not slot.done:
            with self._leader:
                if slot.done:  # a leader before us wrote it
                    break
                with self._mutex:
                    group = self._pending[: self._limit]
                    del self._pending[: self._limit]
                self._write_group(group)
        if isinstance(slot.result, BaseException):
            raise slot.result
        return slot.result  # type: ignore[return-value]

    def run_together(self, items: list[Item]) -> list[Result | BaseException]:
        """Write these items as one group now, with the same fallback as `submit`; one answer
        per item, an exception as its object."""
        group = [_Slot(item) for item in items]
        with self._leader:
            self._write_group(group)
        return [slot.result for slot in group]  # type: ignore[misc]

    def _write_group(self, group: list[_Slot[Item]]) -> None:
        try:
            try:
                results = self._write([s.item for s in group])
            except Exception:
                if len(group) == 1:
                    raise
                results = [self._alone(s.item) for s in group]
        except BaseException as exc:  # a lone item's failure, or Ctrl-C: its caller's
            results = [exc] * len(group)
        for slot, result in zip(group, results, strict=True):
            slot.result, slot.done = result, True

    def _alone(self, item: Item) -> Result | BaseException:
        try:
            return self._write([item])[0]
        except Exception as exc:
            return exc
