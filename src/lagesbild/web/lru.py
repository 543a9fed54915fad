"""A small bounded map for the web app's in-process caches (`cache`, `freshness`): its own
module, below both, so that neither has to import the other for it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class LRU:
    """A small thread-safe map that forgets the least recently used items beyond `size`."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, item: Any) -> None:
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The item, or compute it once: concurrent requests for the same key wait for the
        first one instead of all doing the same work (no thundering herd after a change)."""
        item = self.get(key)
        if item is not None:
            return item
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        try:
            with gate:
                item = self.get(key)
                if item is None:
                    self.put(key, compute())
                    item = self.get(key)
        finally:  # a request that fails (a user's mistake) must not leave its gate behind
            with self._lock:
                self._computing.pop(key, None)
        return item
