"""A small thread-safe LRU with a weight budget: the result cache and the postings cache.

Entries are evicted oldest-first once their weights add up past ``capacity``; the newest entry
always stays, however heavy, so a budget too small for one posting list still ranks correctly
(it just re-reads). A capacity of 0 keeps only that newest entry; ``None`` weighs every entry 1.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, capacity: int, weigh: Callable[[V], int] | None = None) -> None:
        self.capacity = max(0, int(capacity))
        self._weigh = weigh or (lambda _value: 1)
        self._data: OrderedDict[K, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._weight -= self._weigh(old)
            self._data[key] = value
            self._weight += self._weigh(value)
            while self._weight > self.capacity and len(self._data) > 1:
                _, evicted = self._data.popitem(last=False)
                self._weight -= self._weigh(evicted)

    def __len__(self) -> int:
        return len(self._data)

    @property
    def weight(self) -> int:
        return self._weight
