"""The one-process backends: one account-wide write lock, a bounded dict of results."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from katana_sn_mcp.state import LockUnavailable


class MemoryLocks:
    """`WriteLocks` in one process: every key maps to the one account lock (why: the
    `WriteLocks` docstring), so memory stays flat whatever the number of resources."""

    def __init__(self, wait_s: float = 120.0) -> None:
        self.wait_s = wait_s
        self._lock = anyio.Lock()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        with anyio.move_on_after(self.wait_s) as scope:
            await self._lock.acquire()
        if scope.cancelled_caught:
            raise LockUnavailable(key)
        try:
            yield
        finally:
            self._lock.release()


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
