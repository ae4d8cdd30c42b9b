"""Encoded frames for the view, with the neighbours of the frame in view prepared
ahead in a background thread, so stepping through frames pays no encoding time.
That thread (also the lossless upgrades') runs at the lowest CPU priority: the
user's clicks and frame switches come first."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor

from .._threads import lower_priority

Encoded = tuple[bytes, str]


class EncodedFrames:
    """An LRU of encoded frames keyed by anything hashable, bounded by their bytes
    (``budget``; the newest one is kept whatever its size)."""

    def __init__(self, budget: int = 64 << 20) -> None:
        self.budget = budget
        self._bytes = 0
        self._cache: OrderedDict[Hashable, Encoded] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="sam2j-prefetch", initializer=lower_priority
        )
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, make: Callable[[], Encoded]) -> Encoded:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        value = make()
        self._put(key, value)
        return value

    def _put(self, key: Hashable, value: Encoded) -> None:
        with self._lock:
            old = self._cache.pop(key, None)
            self._bytes += len(value[0]) - (len(old[0]) if old else 0)
            self._cache[key] = value
            while self._bytes > self.budget and len(self._cache) > 1:
                _, (data, _) = self._cache.popitem(last=False)
                self._bytes -= len(data)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._cache

    def clear(self) -> None:
        """Forget every encoded frame (what they show changed)."""
        with self._lock:
            self._cache.clear()
            self._bytes = 0

    def run(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn`` on the encoder thread (after the jobs queued before it); errors
        are dropped (work nobody waits for: the next frame change retries)."""

        def job() -> None:
            with contextlib.suppress(Exception):
                fn(*args)

        with contextlib.suppress(RuntimeError):  # closed: the widget is gone
            self._pool.submit(job)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
