"""The sliding-window log one process keeps of its own Katana requests.

At most `limit` stamps fall inside any `window_s`: a request may leave when fewer than
`limit` stamps are younger than one window, and otherwise waits until the oldest of the
newest `limit` ages out. A log, not a leaky bucket: a bucket lets a burst of 60 and then one
a second, 119 in a sliding minute, where Katana allows 60.

Why not pyrate-limiter here, which keeps the replicas' shared log in Redis
(`state/redis.py`): its package import loads its SQLite, Postgres and multiprocessing
back-ends too, 11 ms and 2 MiB on every start, for a sorted list. The pacer's own clock and
sleep drive this log, so a test's virtual time moves the window and the gate alike.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable

Stamp = tuple[float, str]  # (seconds on the pacer's clock, slot)


class SlidingWindowLog:
    """Not thread-safe, and need not be: every caller runs on the one event loop, and no
    caller awaits between `wait_s` returning 0 and `take`."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a window needs limit >= 1 and window_s > 0")
        self.limit, self.window_s, self._clock = limit, window_s, clock
        self._stamps: list[Stamp] = []  # oldest first

    def _prune(self, now: float) -> None:
        cut = 0
        while cut < len(self._stamps) and self._stamps[cut][0] <= now - self.window_s:
            cut += 1
        del self._stamps[:cut]

    def wait_s(self) -> float:
        """Seconds until one more request fits (0: it fits now)."""
        now = self._clock()
        self._prune(now)
        if len(self._stamps) < self.limit:
            return 0.0
        return self._stamps[len(self._stamps) - self.limit][0] + self.window_s - now

    def take(self, slot: str) -> None:
        """Count a request leaving now as `slot`."""
        insort(self._stamps, (self._clock(), slot))

    def restamp(self, slot: str) -> None:
        """Move `slot` to now, when its answer is back: Katana counted it on arrival, by now
        at the latest, so it keeps its place a full window after this. Never earlier, and
        a slot already aged out of the log is not brought back."""
        now = self._clock()
        for i in range(len(self._stamps) - 1, -1, -1):
            stamp, name = self._stamps[i]
            if name == slot:
                if now > stamp:
                    del self._stamps[i]
                    insort(self._stamps, (now, slot))
                return

    def used(self) -> int:
        """Requests counted in the current window."""
        self._prune(self._clock())
        return len(self._stamps)
