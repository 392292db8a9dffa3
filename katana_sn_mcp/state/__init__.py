"""What replicas must share, as small interfaces; which backend serves them is wiring.

One process: `memory.py` (locks and a bounded dict in this process). Several replicas:
`redis.py` (the same interfaces over Redis). The code asks for "the lock" or "the result
store", never for a backend.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

# Every write of ours takes this one lock, whatever resource it names (see WriteLocks).
ACCOUNT_KEY = "account"


class WriteLocks(Protocol):
    """Serialises every write of ours to the Katana account, so a before/after comparison
    around one write cannot be confused by another write of ours.

    The lock is account-wide, not per resource: a transfer (POST to its target) also
    moves serial numbers off their *source* resource, which its request does not name, so
    a lock on the target alone let a delete on the source read "attached" before and
    "gone" after and claim `removed` for an id the transfer had moved. Writes are few and
    short next to Katana's 60 requests a minute, so one lock costs little. Reads take no
    lock. The lock is not re-entrant: a holder must not ask for it again."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held for the whole pre-read → write → re-read of one write. `key` names the
        resource the caller writes (`ManufacturingOrder:1001`), for log lines and the
        `LockUnavailable` message; every key maps to the one account lock. A lock that
        cannot be had within its wait raises `LockUnavailable`."""
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
    """Another write of ours held the account's write lock for longer than we may wait."""
