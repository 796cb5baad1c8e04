"""A small thread-safe, least-recently-used, process-wide memo of derived values.

For values that are expensive to derive and cheap to recognise: the H3 cover of a boundary
set, its point-in-area index, a stored dataset read back (keyed by its SHA-256). Keys must
name everything the value depends on; values are shared and must be treated as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class Memo:
    """Keep up to ``max_entries`` values by key, dropping the least recently used first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """Return the value of ``key``, building (and keeping) it with ``build()`` if absent.

        Two threads asking for the same missing key may both build it; the first value kept
        wins. Exceptions from ``build`` propagate and nothing is kept.
        """
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[return-value]
        value = build()
        with self._lock:
            value = self._entries.setdefault(key, value)  # type: ignore[assignment]
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
