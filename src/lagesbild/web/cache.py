"""Fast map layers: an ETag per (layer, query, what the caller may see, data version), and a
small in-process cache of the serialised answer. The data version (row count, largest id,
latest change) is read from the store on every request, so every process answers the same and
a cached answer is never stale; a client that sends the ETag back gets 304 Not Modified."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from sqlalchemy import func, select

from lagesbild.domain.model import SYSTEM, Viewer
from lagesbild.store.engine import Store


class ResponseCache:
    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, tuple[bytes, list[int]]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, list[int]] | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, body: bytes, restricted_ids: list[int]) -> None:
        with self._lock:
            self._items[key] = (body, restricted_ids)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def data_version(store: Store, table) -> str:
    cols = [func.count(), func.max(table.c.id)]
    if "updated_at" in table.c:
        cols.append(func.max(table.c.updated_at))
    with store.read() as conn:
        return "/".join(str(v) for v in conn.execute(select(*cols)).one())


def store_version(store: Store, tables: tuple[str, ...]) -> str:
    """The data versions of several tables, read in one transaction."""
    from lagesbild.store.schema import metadata

    parts = []
    with store.read() as conn:
        for name in tables:
            t = metadata.tables[name]
            cols = [func.count(), func.max(t.c.id)]
            if "updated_at" in t.c:
                cols.append(func.max(t.c.updated_at))
            parts.append("/".join(str(v) for v in conn.execute(select(*cols)).one()))
    return "|".join(parts)


def audience(viewer: Viewer) -> str:
    """Who sees the same records: the access rule depends only on this."""
    if viewer == SYSTEM:
        return "system"
    return "public" if viewer.is_public else f"org:{viewer.organisation_id}"


def cache_key(layer: str, query: list[tuple[str, str]], viewer: Viewer, version: str) -> str:
    raw = f"{layer}|{audience(viewer)}|{sorted(query)}|{version}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
