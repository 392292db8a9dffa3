"""The size budgets of what a host receives, in one place.

Measured on everything a tool result carries (all content blocks + `structuredContent`,
in UTF-8 bytes). Claude Code refuses a tool result over 25,000 tokens and warns above
10,000; 8 KB keeps any result well inside both, whatever the batch size.

The caps below make a typical result fit on the first try; the call skeleton
(`calls.leave`) measures the final result and, when it is still too big (many reason
codes, long Katana words, 255-character serials), presents it again at a tighter
`squeeze` level: every cap is halved per level, so fewer names are shown and counts stay
exact.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

RESULT_BYTES = 8 * 1024  # every tool's result and every error, at any n up to MAX_ITEMS
SMALL_RESULT_BYTES = 1800  # a 3-string create or a 2-id delete
MAX_ITEMS = 10_000  # strings or ids in one call (after range expansion)
REASONS_SHOWN = 6  # reason groups named in one result; the rest become OTHER_REASONS
NAMES_PER_REASON = 50  # failures / unknowns named per reason; the rest are counted
NAME_BYTES = 1500  # names of failures / unknowns, shared by all reasons of one result
RUNS_SHOWN = 20  # runs of consecutive serials shown per group; the rest are counted
RUN_BYTES = 700  # ...and at most this many bytes of runs per group
WHY_BYTES = 400  # an explanation quoting Katana's own words is cut here
LIST_DEFAULT = 100  # rows in one list_serial_numbers page
LIST_MAX = 250  # Katana's own page maximum
RECENT_RESULTS = 50  # full write results kept for katana://results/{id}
SQUEEZE_MAX = 8  # at this level every name list may be empty; counts remain

_squeeze: ContextVar[int] = ContextVar("result_squeeze", default=0)


def cap(n: int) -> int:
    """A cap at the current squeeze level (halved per level)."""
    return n >> _squeeze.get()


def level() -> int:
    return _squeeze.get()


def keeps_one(size: int) -> bool:
    """Whether a name list keeps its first item of `size` bytes whatever its cap: always,
    until the last levels before SQUEEZE_MAX, where only short names (≤ 64 bytes) stay."""
    return _squeeze.get() < SQUEEZE_MAX - 2 or size <= 64


def squeezed_out() -> bool:
    """True at the last level: a name list may then be empty (its count still says all)."""
    return _squeeze.get() >= SQUEEZE_MAX


@contextmanager
def squeeze(level: int) -> Iterator[None]:
    token = _squeeze.set(level)
    try:
        yield
    finally:
        _squeeze.reset(token)


def result_bytes(result: Any) -> int:
    """What every budget here is measured in: the bytes a host receives for one result,
    every content block (text and links) plus the structured content, as JSON."""
    import json

    blocks = sum(len(json.dumps(c.model_dump(mode="json", exclude_none=True)).encode())
                 for c in result.content)
    return blocks + len(json.dumps(result.structured_content or {}).encode())
