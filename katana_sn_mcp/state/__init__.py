"""What replicas must share, as small interfaces; which backend serves them is wiring.

One process: `memory.py` (locks and a bounded dict in this process). Several replicas:
`redis.py` (the same interfaces over Redis). The code asks for "the lock" or "the result
store", never for a backend.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol


class WriteLocks(Protocol):
    """Serialises writes to one Katana resource, so a before/after comparison around one
    write cannot be confused by another write of ours to the same resource."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held for the whole pre-read → write → re-read of one resource. Keys look like
        `ManufacturingOrder:1001`. A lock that cannot be had within its wait raises
        `LockUnavailable`."""
        ...


class ResultStore(Protocol):
    """The full per-item detail of recent write results, read back as
    `katana://results/{result_id}`. Bounded: the oldest are dropped first."""

    capacity: int

    async def put(self, result_id: str, detail: dict[str, Any]) -> None: ...

    async def get(self, result_id: str) -> dict[str, Any] | None:
        """None when unknown or aged out."""
        ...


class LockUnavailable(RuntimeError):
    """Another write to the same resource held the lock for longer than we may wait."""
