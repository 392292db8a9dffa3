"""The one-process backends: an asyncio lock per resource, a bounded dict of results."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from katana_sn_mcp.state import LockUnavailable


class MemoryLocks:
    def __init__(self, wait_s: float = 120.0) -> None:
        self.wait_s = wait_s
        self._locks: dict[str, anyio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, anyio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            with anyio.move_on_after(self.wait_s) as scope:
                await lock.acquire()
            if scope.cancelled_caught:
                raise LockUnavailable(key)
            try:
                yield
            finally:
                lock.release()
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # forget idle resources: memory stays flat
                del self._users[key], self._locks[key]


class MemoryResults:
    def __init__(self, capacity: int = 200) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def put(self, result_id: str, detail: dict[str, Any]) -> None:
        self._items[result_id] = detail
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    async def get(self, result_id: str) -> dict[str, Any] | None:
        return self._items.get(result_id)
