"""CreateFacts → what the model reads."""

from __future__ import annotations

from collections import defaultdict

from katana_sn_mcp.operations import CreateFacts
from katana_sn_mcp.present import words
from katana_sn_mcp.present.common import (
    Presented,
    answer,
    now_utc,
    reason,
    reason_lines,
    runs,
    runs_line,
    tail,
)
from katana_sn_mcp.present.compress import plural
from katana_sn_mcp.results import CreateResult, Outcome


def _open_kind(facts: CreateFacts, serial: str) -> str:
    state = facts.state(serial)
    if state == "not_applied":
        return "NOT_APPLIED"
    if state == "not_seen":
        return "NOT_SEEN"
    if not facts.clear_answer:
        return "REREAD_FAILED"
    return "NOT_SEEN_AFTER_REPORT" if serial in facts.reported else "NOT_MENTIONED"


def outcome_of(applied: int, refused: int, open_: int) -> Outcome:
    if open_:
        return "unknown"
    if applied:
        return "partially_applied" if refused else "applied"
    return "not_applied"


def present_create(facts: CreateFacts, result_id: str) -> Presented:
    target = words.where(facts.resource_type, facts.resource_id)
    verb = "minted on" if facts.operation == "mint" else "transferred to"
    said, at = facts.answer.sentence(), now_utc()
    reread = facts.reread_failure.sentence() if facts.reread_failure else None
    applied, present = [], []
    refused: dict[str, list[str]] = defaultdict(list)
    open_: dict[str, list[str]] = defaultdict(list)
    for s in facts.requested:
        state = facts.state(s)
        if state == "applied":
            applied.append(s)
        elif state == "present":
            present.append(s)
        elif state == "refused":
            refused[facts.refused[s]].append(s)
        else:
            (refused if state == "not_applied" else open_)[_open_kind(facts, s)].append(s)
    by_size = sorted(refused.items(), key=lambda kv: -len(kv[1]))
    not_applied = [
        reason(code, items, words.create_open(code, said, target, reread, at) if code ==
               "NOT_APPLIED" else words.create_reason(code, facts.operation, target, bool(applied)))
        for code, items in by_size]
    unknown = [reason(code, items, words.create_open(code, said, target, reread, at))
               for code, items in sorted(open_.items(), key=lambda kv: -len(kv[1]))]
    ids = [r.id if (r := facts.record(s)) else None for s in applied]
    unread_landing = (facts.after is None and any(
        not facts.reported[s].landing_known for s in applied))
    n_refused = sum(len(v) for v in refused.values())
    n_open = sum(len(v) for v in open_.values()) + len(present)
    parts = []
    if n_refused:
        codes = ", ".join(f"{g.reason} {g.count}" for g in not_applied)
        parts.append(f"{plural(n_refused, 'string')} NOT {verb} {target} ({codes}).")
    if open_:
        parts.append(f"{plural(n_open - len(present), 'string')} with an unknown outcome.")
    if present:
        parts.append(f"{plural(len(present), 'string')} on {target} now, but whether this call "
                     "put them there cannot be told.")
    if applied:
        how = (" and confirmed by re-reading it" if facts.verified else
               ", landing not confirmed" if unread_landing else "")
        parts.append(f"{plural(len(applied), 'string')} {verb} {target}{how}.")
    if not parts:
        parts.append(f"Nothing was {verb} {target}.")
    if facts.repeated:
        parts.append(f"{plural(facts.repeated, 'repeated string')} in the request sent once.")
    steps = [words.landing_unread()] if unread_landing else []
    if present:
        steps.append(words.present_note(said, target, at))
    result = CreateResult(
        summary=" ".join(parts), outcome=outcome_of(len(applied), n_refused, n_open),
        operation=facts.operation, resource_type=facts.resource_type,
        resource_id=facts.resource_id, requested=len(facts.requested), repeated=facts.repeated,
        applied=runs(applied, ids), present=runs(present), not_applied=not_applied,
        unknown=unknown, verified=facts.verified, katana=answer(facts.answer),
        next_steps=steps, result_id=result_id)
    text = "\n".join([result.summary, *runs_line(verb.split()[0].capitalize(), result.applied),
                      *runs_line(f"On {target} now", result.present),
                      *reason_lines(not_applied), *reason_lines(unknown),
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
            "resource_id": facts.resource_id, "katana": facts.answer.sentence(),
            "items": items}
