"""The pieces every presenter shares: a presented result, groups, the text rendering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from katana_sn_mcp.katana.errors import Answer
from katana_sn_mcp.present.answers import said
from katana_sn_mcp.present.budget import NAME_BYTES, NAMES_PER_REASON, WHY_BYTES, cap, squeezed_out
from katana_sn_mcp.present.compress import describe_runs, id_runs, run_text
from katana_sn_mcp.results import Ids, KatanaAnswer, Outcome, Reason, Result, Run, Runs

IDS_SHOWN = 50


@dataclass
class Presented:
    """Everything a tool call returns: the structured result, the text block a model reads,
    whether it is an error for the host, and the full detail kept behind `result_id`."""

    result: Result
    text: str
    is_error: bool = False
    detail: dict[str, Any] | None = field(default=None)


def now_utc() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S UTC")


def runs(serials: Sequence[str], ids: Sequence[int | None] = ()) -> Runs | None:
    if not serials:
        return None
    shown, more = describe_runs(serials, ids)
    return Runs(count=len(serials), more_runs=more, runs=[
        Run(first=a, last=b if n > 1 else None, count=n,
            ids=[list(p) for p in spans] if spans else None)
        for a, b, n, spans in shown])


def reason(code: str, items: Sequence[str] | Sequence[int], why: str, groups: int = 1) -> Reason:
    """`groups`: how many reason groups share the result's NAME_BYTES. Strings come as runs
    of consecutive serials, ids as [first, last] integer pairs."""
    cut = bounded(why, max(160, cap(WHY_BYTES)))
    if items and isinstance(items[0], int):
        spans = id_runs([int(i) for i in items])
        shown = 0 if squeezed_out() else max(1, cap(IDS_SHOWN // max(1, groups)))
        return Reason(reason=code, count=len(items), why=cut, runs=[
            Run(first=str(a), last=str(b) if b > a else None, count=b - a + 1, ids=[[a, b]])
            for a, b in spans[:shown]])
    found, _ = describe_runs([str(i) for i in items], (), NAME_BYTES // max(1, groups),
                             NAMES_PER_REASON)
    return Reason(reason=code, count=len(items), why=cut,
                  runs=[Run(first=a, last=b if n > 1 else None, count=n) for a, b, n, _ in found])


def bounded(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-8 bytes, marked with "…" where it was cut."""
    raw = text.encode()
    return text if len(raw) <= limit else raw[:limit].decode(errors="ignore") + "…"


def ids(values: Sequence[int]) -> Ids | None:
    if not values:
        return None
    spans = [[a, b] for a, b in id_runs(values)]
    shown = 0 if squeezed_out() else max(1, cap(IDS_SHOWN))
    return Ids(count=len(values), ids=spans[:shown], more=max(0, len(spans) - shown))


def ids_text(group: Ids) -> str:
    return ", ".join(f"{a}…{b}" if b > a else str(a) for a, b in group.ids)


def answer(a: Answer) -> KatanaAnswer:
    return KatanaAnswer(status=a.status, sends=a.sends, says=bounded(said(a), max(200, cap(700))))


def runs_line(label: str, group: Runs | None) -> list[str]:
    if group is None:
        return []
    if not group.runs:
        return [f"{label} ({group.count:,}; runs left out to fit)"]
    more = (f"; and {group.more_runs:,} more runs, not shown" if group.more_runs
            else " (all runs shown)" if len(group.runs) > 1 else "")
    shown = "; ".join(run_text(r.first, r.last or r.first, r.count, r.ids) for r in group.runs)
    return [f"{label} ({group.count:,}): {shown}{more}"]


def reason_lines(groups: Sequence[Reason], named_below: frozenset[str] = frozenset()) -> list[str]:
    """`named_below`: reasons whose strings the next lines name by where they are."""
    return [f"{g.reason} ({g.count:,}, named below by where they are now). {g.why}"
            if g.reason in named_below else f"{g.reason} {_group(g)}. {g.why}" for g in groups]


def _run(r: Run) -> str:
    """A failed run: `SN-0001…SN-0800 (800)`, or for ids `886002…886005`."""
    if r.count == 1:
        return r.first
    is_ids = bool(r.ids) and str(r.ids[0][0]) == r.first  # type: ignore[index]
    return f"{r.first}…{r.last}" + ("" if is_ids else f" ({r.count:,})")


def _group(g: Reason) -> str:
    """`(800, all named): SN-0001…SN-0800 (800)` — runs, and a word saying whether the
    list is complete; what is left out is counted exactly, never implied by a range."""
    shown = "; ".join(_run(r) for r in g.runs)
    named = sum(r.count for r in g.runs)
    if not shown:
        return f"({g.count:,}; none named here, to fit)"
    if named >= g.count:
        return f"({g.count:,}, all named): {shown}"
    return f"({g.count:,}; {named:,} named): {shown}; and {g.count - named:,} more, not named"


def ids_line(label: str, group: Ids | None) -> list[str]:
    if group is None:
        return []
    if not group.ids:
        return [f"{label} ({group.count:,}; ids left out to fit)"]
    more = (f"; and {group.more:,} more ranges, not shown" if group.more
            else " (all shown)" if len(group.ids) > 1 else "")
    return [f"{label} ({group.count:,}): {ids_text(group)}{more}"]


def tail(katana: KatanaAnswer | None, steps: Sequence[str], result_id: str | None) -> list[str]:
    lines = [f"{katana.says}."] if katana else []
    lines += [f"Next: {s}" for s in steps]
    if result_id:
        lines.append(f"Every item: katana://results/{result_id}")
    return lines


def outcome_of(applied: int, refused: int, open_: int) -> Outcome:
    """One write's outcome from its counts: anything open makes it unknown."""
    if open_:
        return "unknown"
    if applied:
        return "partially_applied" if refused else "applied"
    return "not_applied"
