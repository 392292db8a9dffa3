"""Saying many items in few bytes: runs of consecutive serials or ids, and capped lists
of names with an exact count of the rest."""

from __future__ import annotations

import re
from collections.abc import Sequence

from katana_sn_mcp.present.budget import (
    NAME_BYTES,
    NAMES_PER_REASON,
    RUN_BYTES,
    RUNS_SHOWN,
    cap,
    keeps_one,
    squeezed_out,
)

_NUMBERED = re.compile(r"^(.*?)(\d+)(\D*)$")


def _key(serial: str) -> tuple[str, int, int, str] | None:
    m = _NUMBERED.match(serial)
    if not m:
        return None
    return m.group(1), int(m.group(2)), len(m.group(2)), m.group(3)


def _follows(prev: str, cur: str) -> bool:
    a, b = _key(prev), _key(cur)
    if a is None or b is None or (a[0], a[3]) != (b[0], b[3]) or b[1] != a[1] + 1:
        return False
    return a[2] == b[2] or len(str(b[1])) == b[2]  # same width, or a natural carry 9 -> 10


def serial_runs(serials: Sequence[str]) -> list[list[str]]:
    """Consecutive strings in the given order (`SN-0001`, `SN-0002`, ...) grouped."""
    runs: list[list[str]] = []
    for s in serials:
        if runs and _follows(runs[-1][-1], s):
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


def id_runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def describe_ids(ids: Sequence[int]) -> str:
    return ", ".join(f"{a}…{b}" if b > a else str(a) for a, b in id_runs(ids))


def describe_runs(serials: Sequence[str], ids: Sequence[int | None] = (), byte_cap: int = RUN_BYTES,
                  most: int = RUNS_SHOWN,
                  ) -> tuple[list[tuple[str, str, int, list[tuple[int, int]] | None]], int]:
    """Up to `most` runs (and about `byte_cap` bytes) as (first, last, count, id runs or
    None), and how many runs were left out. Ids are given when every item of the run has
    one. At least one run, unless the result is squeezed to its counts."""
    id_of = dict(zip(serials, ids, strict=False))
    shown: list[tuple[str, str, int, list[tuple[int, int]] | None]] = []
    runs = serial_runs(serials)
    used = 0
    if squeezed_out():
        return [], len(runs)
    for run in runs[:max(1, cap(most))]:
        run_ids = [id_of.get(s) for s in run]
        spans = (id_runs([i for i in run_ids if i is not None])
                 if run_ids and all(i is not None for i in run_ids) else None)
        used += len(run[0].encode()) * (1 if len(run) == 1 else 2) + 24 * (1 + len(spans or ()))
        if (shown or not keeps_one(len(text_of(run)))) and used > cap(byte_cap):
            break
        shown.append((run[0], run[-1], len(run), spans))
    return shown, len(runs) - len(shown)


def text_of(run: Sequence[str]) -> str:
    return run[0] if len(run) == 1 else f"{run[0]}…{run[-1]}"


def run_text(first: str, last: str, count: int, ids: Sequence[Sequence[int]] | None) -> str:
    """`SN-0001…SN-1000 (1,000) id 5001…6000` — how a run reads in the text."""
    text = first if count == 1 else f"{first}…{last} ({count:,})"
    if ids:
        text += " id " + ", ".join(f"{a}…{b}" if b > a else str(a) for a, b in ids)
    return text


def first_names(items: Sequence[str], byte_cap: int = NAME_BYTES) -> list[str]:
    """The first items, at most NAMES_PER_REASON and `byte_cap` bytes (at least one, unless
    the result is squeezed to its counts)."""
    out: list[str] = []
    used = 0
    if squeezed_out():
        return out
    byte_cap = cap(byte_cap)
    for item in items[:max(1, cap(NAMES_PER_REASON))]:
        size = len(item.encode()) + 4
        if (out or not keeps_one(size)) and used + size > byte_cap:
            break
        out.append(item)
        used += size
    return out


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n:,} {many or word + 's'}"


def mixed_scripts(serial: str) -> bool:
    """True when Latin letters share the string with letters of another script (a Cyrillic
    'А' among Latin ones looks identical and makes a different serial in Katana)."""
    import unicodedata

    scripts = {unicodedata.name(c, "?").split(" ")[0] for c in serial if c.isalpha()}
    return "LATIN" in scripts and len(scripts) > 1
