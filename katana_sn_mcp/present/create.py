"""CreateFacts → what the model reads."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from katana_sn_mcp.operations import CreateFacts
from katana_sn_mcp.present import words
from katana_sn_mcp.present.answers import said
from katana_sn_mcp.present.budget import REASONS_SHOWN
from katana_sn_mcp.present.common import (
    Presented,
    answer,
    now_utc,
    outcome_of,
    reason,
    reason_lines,
    runs,
    runs_line,
    tail,
)
from katana_sn_mcp.present.compress import first_names, mixed_scripts, plural
from katana_sn_mcp.present.find import present_duplicates
from katana_sn_mcp.results import CreateResult, Reason


def _open_kind(facts: CreateFacts, serial: str) -> str:
    state = facts.state(serial)
    if state == "not_applied":
        return "NOT_APPLIED"
    if state == "not_seen":
        return "NOT_SEEN"
    if not facts.clear_answer:
        return "REREAD_FAILED"
    return "NOT_SEEN_AFTER_REPORT" if serial in facts.reported else "NOT_MENTIONED"


@dataclass
class Sorted:
    """The requested strings by what is known of them."""

    applied: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    open_: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _sort(facts: CreateFacts) -> Sorted:
    out = Sorted()
    for s in facts.requested:
        state = facts.state(s)
        if state == "applied":
            out.applied.append(s)
        elif state == "present":
            out.present.append(s)
        elif state == "refused":
            out.refused[facts.refused[s]].append(s)
        else:
            (out.refused if state == "not_applied" else out.open_)[_open_kind(facts, s)].append(s)
    return out


def _groups(facts: CreateFacts, by: Sorted, target: str) -> tuple[list[Reason], list[Reason]]:
    at = now_utc()
    reread = said(facts.reread_failure) if facts.reread_failure else None
    by_size = sorted(by.refused.items(), key=lambda kv: -len(kv[1]))
    if len(by_size) > REASONS_SHOWN:  # any number of codes Katana invents, bounded here
        rest = [s for _, items in by_size[REASONS_SHOWN - 1:] for s in items]
        by_size = [*by_size[:REASONS_SHOWN - 1], ("OTHER_REASONS", rest)]
    groups = len(by_size) + len(by.open_)
    not_applied = [
        reason(code[:60], items, words.create_open(code, target, reread, at)
               if code in ("NOT_APPLIED", "OTHER_REASONS")
               else words.create_reason(code[:60], facts.operation, target, bool(by.applied)),
               groups)
        for code, items in by_size]
    unknown = [reason(code, items, words.create_open(code, target, reread, at), groups)
               for code, items in sorted(by.open_.items(), key=lambda kv: -len(kv[1]))]
    return not_applied, unknown


def _summary(facts: CreateFacts, by: Sorted, not_applied: list[Reason], target: str,
             verb: str, unread_landing: bool) -> str:
    n_refused = sum(g.count for g in not_applied)
    parts = []
    if n_refused:
        codes = ", ".join(f"{g.reason} {g.count}" for g in not_applied)
        parts.append(f"{plural(n_refused, 'string')} NOT {verb} {target} ({codes}).")
    if by.open_:
        n_open = sum(len(v) for v in by.open_.values())
        parts.append(f"{plural(n_open, 'string')} with an unknown outcome.")
    if by.present:
        parts.append(f"{plural(len(by.present), 'string')} on {target} now, but whether this call "
                     "put them there cannot be told.")
    if by.applied:
        how = (" and confirmed by re-reading it" if facts.verified else
               ", landing not confirmed" if unread_landing else
               " by Katana's answer (not re-read)")
        parts.append(f"{plural(len(by.applied), 'string')} {verb} {target}{how}.")
    if not parts:
        parts.append(f"Nothing was {verb} {target}.")
    if facts.repeated:
        parts.append(f"{plural(facts.repeated, 'repeated string')} in the request sent once.")
    return " ".join(parts)


def present_create(facts: CreateFacts, result_id: str) -> Presented:
    target = words.where(facts.resource_type, facts.resource_id)
    verb = "minted on" if facts.operation == "mint" else "transferred to"
    by = _sort(facts)
    not_applied, unknown = _groups(facts, by, target)
    ids = [r.id if (r := facts.record(s)) else None for s in by.applied]
    unread_landing = facts.after is None and any(
        not facts.reported[s].landing_known for s in by.applied)
    failed = said(facts.reread_failure) if facts.reread_failure else None
    if unread_landing:
        steps = [words.landing_unread(failed)]
    else:
        steps = [words.reread_failed(target, failed)] if failed and by.applied else []
    lookalikes = [s for s in facts.requested if mixed_scripts(s)]
    if lookalikes:
        steps.append(words.lookalikes(len(lookalikes), first_names(lookalikes, 300)))
    if by.present:
        steps.append(words.present_note(target, now_utc()))
    dups, dup_lines = (present_duplicates(facts.duplicates, facts.resource_type, facts.resource_id)
                       if facts.duplicates else ([], []))
    if dups:  # named once, by where they are: the group keeps its exact count
        not_applied = [g.model_copy(update={"runs": [], "more_runs": 0}) if g.reason == "DUPLICATE"
                       else g for g in not_applied]
    if facts.locate_failure:
        steps.append(words.locate_failed(said(facts.locate_failure)))
    n_open = sum(len(v) for v in by.open_.values()) + len(by.present)
    result = CreateResult(
        summary=_summary(facts, by, not_applied, target, verb, unread_landing),
        outcome=outcome_of(len(by.applied), sum(g.count for g in not_applied), n_open),
        operation=facts.operation, resource_type=facts.resource_type,
        resource_id=facts.resource_id, requested=len(facts.requested), repeated=facts.repeated,
        applied=runs(by.applied, ids), present=runs(by.present), not_applied=not_applied,
        unknown=unknown, verified=facts.verified, duplicates_at=dups, katana=answer(facts.answer),
        next_steps=steps, result_id=result_id)
    text = "\n".join([result.summary, *runs_line(verb.split()[0].capitalize(), result.applied),
                      *runs_line(f"On {target} now", result.present),
                      *reason_lines(not_applied, frozenset({"DUPLICATE"} if dup_lines else ())),
                      *dup_lines, *reason_lines(unknown),
                      *tail(result.katana, steps, result_id)])
    return Presented(result, text, is_error=result.outcome == "not_applied",
                     detail=_detail(facts, result_id))


def _detail(facts: CreateFacts, result_id: str) -> dict:
    items = []
    for s in facts.requested:
        rec = facts.record(s)
        item: dict = {"serial_number": s, "state": facts.state(s)}
        if s in facts.refused:
            item["reason"] = facts.refused[s]
        if rec is not None and rec.id is not None:
            item["id"] = rec.id
        items.append(item)
    return {"result_id": result_id, "tool": "create_serial_numbers",
            "operation": facts.operation, "resource_type": facts.resource_type,
            "resource_id": facts.resource_id, "katana": said(facts.answer),
            "items": items}
