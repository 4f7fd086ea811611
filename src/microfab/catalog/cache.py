"""Generated geometry, kept by (template id, template version, parameters).

The same parameters give the same geometry, so a preview followed by an order, or two customers
typing the same name, build it once. Bounded (least recently used goes first).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from microfab.catalog.model import ParamValue

T = TypeVar("T")
DEFAULT_SIZE = 256
"""A phone grip's mesh is ~50 kB: 256 of them are ~13 MB."""


def cache_key(template_id: str, version: int, values: Mapping[str, ParamValue]) -> str:
    """A stable key: parameters sorted, numbers written the same way every time."""
    return f"{template_id}@{version}:" + json.dumps(values, sort_keys=True, ensure_ascii=False)


class LruCache(Generic[T]):
    """A thread-safe least-recently-used cache; ``get_or_make`` builds what is missing."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: str, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
        value = make()  # outside the lock: two callers may build the same thing once each
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
