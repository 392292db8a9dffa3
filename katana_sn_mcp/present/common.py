"""The pieces every presenter shares: a presented result, groups, the text rendering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from katana_sn_mcp.katana.errors import Answer
from katana_sn_mcp.present.budget import NAME_BYTES, WHY_BYTES
from katana_sn_mcp.present.compress import describe_runs, first_names, id_runs
from katana_sn_mcp.results import Ids, KatanaAnswer, Outcome, Reason, Result, Runs

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
    return Runs(count=len(serials), runs=shown, more_runs=more)


def reason(code: str, items: Sequence[str], why: str, groups: int = 1) -> Reason:
    """`groups`: how many reason groups share the result's NAME_BYTES."""
    cut = why if len(why.encode()) <= WHY_BYTES else why.encode()[:WHY_BYTES].decode(errors="ignore") + "…"
    return Reason(reason=code, count=len(items), first=first_names(items, NAME_BYTES // max(1, groups)),
                  why=cut)


def ids(values: Sequence[int]) -> Ids | None:
    if not values:
        return None
    spans = [f"{a}…{b}" if b > a else str(a) for a, b in id_runs(values)]
    return Ids(count=len(values), ids=spans[:IDS_SHOWN], more=max(0, len(spans) - IDS_SHOWN))


def answer(a: Answer) -> KatanaAnswer:
    return KatanaAnswer(status=a.status, sends=a.sends, says=a.sentence())


def runs_line(label: str, group: Runs | None) -> list[str]:
    if group is None:
        return []
    more = f"; {group.more_runs} more runs" if group.more_runs else ""
    return [f"{label} ({group.count}): {'; '.join(group.runs)}{more}"]


def reason_lines(groups: Sequence[Reason]) -> list[str]:
    lines = []
    for g in groups:
        rest = f", and {g.count - len(g.first)} more" if g.count > len(g.first) else ""
        lines.append(f"{g.reason} ({g.count}): {', '.join(g.first)}{rest}. {g.why}")
    return lines


def ids_line(label: str, group: Ids | None) -> list[str]:
    if group is None:
        return []
    more = f", and {group.more} more ranges" if group.more else ""
    return [f"{label} ({group.count}): {', '.join(group.ids)}{more}"]


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
