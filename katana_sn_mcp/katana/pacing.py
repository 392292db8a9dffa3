"""One process-wide pacer that keeps every Katana request under the account's rate limit.

Katana allows 60 requests per 60 s per key. pyrate-limiter provides the sliding-window
log (so no 60-second window ever holds more than `limit` requests, which a leaky bucket
does not guarantee); on top we honour what Katana itself reports in
`X-Ratelimit-Remaining` / `X-Ratelimit-Reset` (epoch milliseconds), since other programs
may be spending the same key's budget.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio
from pyrate_limiter import InMemoryBucket, Limiter, Rate


class Pacer:
    """Shared by all tool calls (one per process, held by the KatanaClient)."""

    def __init__(self, limit: int = 60, window_s: float = 60.0, max_gate_s: float = 120.0, *,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = anyio.sleep):
        self._clock, self._sleep = clock, sleep
        self.limit = limit
        self.window_s = window_s
        self.max_gate_s = max_gate_s
        self._limiter = Limiter(InMemoryBucket([Rate(limit, int(window_s * 1000))]), buffer_ms=5)
        self._gate_until = 0.0  # wall-clock seconds; closed while Katana says 0 remaining
        self.acquired = 0

    async def acquire(self) -> None:
        """Wait until one more request fits in the window (and any server-side gate opened)."""
        await self._limiter.try_acquire_async("katana")
        wait = self._gate_until - self._clock()
        if wait > 0:
            await self._sleep(min(wait, self.max_gate_s))
        self.acquired += 1

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
            self._gate_until = max(self._gate_until, reset_s)

    def hold_for(self, seconds: float) -> None:
        """After a 429, keep everyone back for Retry-After seconds."""
        self._gate_until = max(self._gate_until, self._clock() + seconds)
