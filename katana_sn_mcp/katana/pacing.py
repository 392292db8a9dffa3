"""The pacer that keeps every Katana request under the account's rate limit.

Katana allows 60 requests per 60 s per key. The pacer keeps a sliding-window log
(`window.SlidingWindowLog`: no 60-second window ever holds more than `limit` requests,
which a leaky bucket does not guarantee); on top we honour what Katana itself reports in
`X-Ratelimit-Remaining` / `X-Ratelimit-Reset` (epoch milliseconds) and `Retry-After`,
since other programs may be spending the same key's budget.

Katana counts a request when it *arrives*; we can only stamp it when it *leaves*, and the
two differ by however long the send took (an event loop busy with other calls, a slow
network). So each request's entry is stamped twice: when it leaves, which holds its
place, and again when its answer is back (`settle`), the latest moment Katana can have
counted it. A place is freed a full window after that, so the window here always covers
Katana's: with three replicas under load, stamping on departure alone let a request in
up to a few hundred ms early, and Katana answered 429 (measured with bench/replicas.py).

One process keeps both in memory. Replicas behind a load balancer must share them, or
each believes it owns the whole budget: then the pacer is given a `SharedBudget`
(`katana_sn_mcp.state.redis.RedisBudget`), which holds the sliding window and the gate in
one place for all of them. This module knows nothing of Redis: only the interface.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import anyio

from katana_sn_mcp import progress
from katana_sn_mcp.katana.errors import GateClosed, SharedStateUnavailable
from katana_sn_mcp.katana.window import SlidingWindowLog

__all__ = ["Pacer", "SharedBudget", "SharedStateUnavailable"]

log = logging.getLogger(__name__)


class SharedBudget(Protocol):
    """The rate budget and the Retry-After gate, held outside this process.

    Every method raises `SharedStateUnavailable` when the store cannot be reached."""

    async def take(self, slot: str) -> None:
        """Wait until one more request fits in the shared window, and count it as `slot`."""
        ...

    async def settle(self, slot: str) -> None:
        """Move `slot`'s entry to now: its answer is back (see the module docstring)."""
        ...

    async def gate_until(self) -> float:
        """Wall-clock seconds until which Katana told any replica to hold back (0: open)."""
        ...

    async def close_gate(self, until: float) -> None:
        """Hold every replica back until `until` (never shortens a longer hold)."""
        ...

    async def remaining(self) -> int:
        """Requests left in the current window, for the readiness check."""
        ...


class Pacer:
    """Shared by all tool calls (one per process, held by the KatanaClient)."""

    def __init__(self, limit: int = 60, window_s: float = 60.0, max_gate_s: float = 120.0, *,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
                 shared: SharedBudget | None = None):
        self._clock, self._sleep = clock, sleep
        self.limit = limit
        self.window_s = window_s
        self.max_gate_s = max_gate_s
        self.shared = shared
        self._window = SlidingWindowLog(limit, window_s, clock)
        self._gate_until = 0.0  # wall-clock seconds; closed while Katana says 0 remaining
        self._pushes: set[asyncio.Task[None]] = set()
        self.acquired = 0

    async def acquire(self, max_wait: float | None = None) -> str:
        """Wait until one more request fits in the window (and any server-side gate opened).
        Returns the request's slot, for `settle` once its answer is back. Raises
        `GateClosed` at once when Katana asked to hold requests longer than `max_wait`
        (as seen by this process or, with a shared budget, by any replica). With a shared
        budget, raises `SharedStateUnavailable` rather than send a request the other
        replicas do not know about."""
        self._refuse_longer_than(self._gate_until, max_wait)
        progress.phase("rate_wait")  # what a heartbeat says while this waits
        slot = f"katana:{uuid.uuid4().hex}"
        if self.shared is not None:
            await self._acquire_shared(self.shared, slot, max_wait)
        else:
            await self._take_local(slot)
        self.acquired += 1
        progress.phase("request")
        return slot

    def _refuse_longer_than(self, until: float, max_wait: float | None) -> None:
        wait = until - self._clock()
        if max_wait is not None and wait > max_wait:
            raise GateClosed(wait)

    async def settle(self, slot: str) -> None:
        """The request in `slot` has its answer (or failed): Katana counted it by now at the
        latest, so its entry moves to now. Never raises: an entry that cannot be moved
        stays stamped at departure, which is what it was before."""
        if self.shared is None:
            self._window.restamp(slot)
            return
        try:
            await self.shared.settle(slot)
        except SharedStateUnavailable as exc:
            log.warning("could not re-stamp a request in the shared budget: %s", exc)

    async def _take_local(self, slot: str) -> None:
        """Wait for room in the window, then for the gate, and count the request only when
        both allow it: no await lies between the last check and the count, so two calls on
        this event loop can never take the same last place."""
        while True:
            while (wait := self._window.wait_s()) > 0:
                await self._sleep(wait)
            await self._wait_for_local_gate()
            if self._window.wait_s() <= 0:  # the window may have filled while the gate was shut
                self._window.take(slot)
                return

    async def _wait_for_local_gate(self) -> None:
        """Sleep until the gate opens, re-reading it after each sleep: another call may have
        seen a later Reset or Retry-After meanwhile. Never longer than max_gate_s in all."""
        waited = 0.0
        while waited < self.max_gate_s and (wait := self._gate_until - self._clock()) > 0:
            step = min(wait, self.max_gate_s - waited)
            await self._sleep(step)
            waited += step

    async def _acquire_shared(self, shared: SharedBudget, slot: str,
                              max_wait: float | None) -> None:
        """Gate first (read from the store, re-read after each sleep, since another replica
        may have extended it meanwhile), then the shared window. A request is counted in
        the window when it is about to leave, not before a long sleep, so the window's
        timestamps stay true (waiting for the gate after the window made 429s more
        frequent, measured with bench/replicas.py)."""
        await self._wait_for_gate(shared, max_wait)
        await shared.take(slot)

    async def _wait_for_gate(self, shared: SharedBudget, max_wait: float | None) -> None:
        waited = 0.0
        while waited < self.max_gate_s:
            until = max(self._gate_until, await shared.gate_until())
            if not waited:  # another replica may have been told to hold far longer
                self._refuse_longer_than(until, max_wait)
            wait = until - self._clock()
            if wait <= 0:
                return
            step = min(wait, self.max_gate_s - waited)
            await self._sleep(step)
            waited += step

    def observe(self, headers: object) -> None:
        """Close the gate until Reset when Katana says the budget is spent."""
        get = getattr(headers, "get", None)
        if get is None:
            return
        remaining, reset = get("x-ratelimit-remaining"), get("x-ratelimit-reset")
        try:
            left = int(remaining) if remaining is not None else None
            reset_s = int(reset) / 1000.0 if reset is not None else None
        except ValueError:
            return
        if left == 0 and reset_s is not None and reset_s > self._clock():
            self._close(reset_s)

    def hold_for(self, seconds: float) -> None:
        """After a 429, keep everyone back for Retry-After seconds."""
        self._close(self._clock() + seconds)

    def _close(self, until: float) -> None:
        """Closes the local gate now; with a shared budget, also tells the other replicas,
        in the background (the callers of observe/hold_for are synchronous)."""
        self._gate_until = max(self._gate_until, until)
        if self.shared is not None:
            self._spawn(self.shared.close_gate(until))

    def _spawn(self, push: Coroutine[Any, Any, None]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(push)
        except RuntimeError:  # no loop (a synchronous caller): the local gate still holds
            push.close()
            return
        self._pushes.add(task)
        task.add_done_callback(self._pushed)

    def _pushed(self, task: asyncio.Task[None]) -> None:
        self._pushes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not share Katana's rate-limit gate: %s", task.exception())

    async def remaining(self) -> int:
        """Requests this process may still send in the current window (readiness)."""
        if self._gate_until > self._clock():
            return 0
        if self.shared is not None:
            if await self.shared.gate_until() > self._clock():
                return 0
            return await self.shared.remaining()
        return max(0, self.limit - self._window.used())
