"""Delete plans and DeleteFacts → what the model reads."""

from __future__ import annotations

from typing import Literal

from katana_sn_mcp.operations import DeleteFacts, DeletePlan
from katana_sn_mcp.present import words
from katana_sn_mcp.present.answers import said
from katana_sn_mcp.present.common import Presented, answer, ids, ids_line, ids_text, outcome_of, tail
from katana_sn_mcp.present.compress import plural
from katana_sn_mcp.results import DeleteResult

SHOWN_IN_QUESTION = 20


def describe_plan(plan: DeletePlan) -> str:
    """The question put to the person (and the plan shown when the host cannot ask)."""
    target = words.where(plan.resource_type, plan.resource_id)
    attached = plan.attached or {}
    shown = ", ".join(f"{i} ({s})" for i, s in list(attached.items())[:SHOWN_IN_QUESTION])
    more = f" and {len(attached) - SHOWN_IN_QUESTION} more" if len(attached) > SHOWN_IN_QUESTION else ""
    text = f"Delete {plural(len(attached), 'serial number')} from {target}: {shown}{more}."
    if plan.not_attached:
        group = ids(plan.not_attached)
        text += (f" {plural(len(plan.not_attached), 'requested id')} not on {target} will be "
                 f"left alone: {ids_text(group) if group else ''}.")
    return text


def present_unsent(plan: DeletePlan, why: Literal["planned", "declined", "cancelled", "none"]
                   ) -> Presented:
    """No DELETE sent: a plan awaiting confirmation, a declined one, or nothing to delete."""
    target = words.where(plan.resource_type, plan.resource_id)
    if why == "none":
        summary = (f"Nothing deleted: none of the {plural(len(plan.requested_ids), 'requested id')}"
                   f" is on {target}, so no delete was sent. find_serial_numbers says "
                   "where these ids are.")
    elif why == "planned":
        summary = (f"Nothing deleted yet; {target} was only read. {describe_plan(plan)} Ask the "
                   "person to confirm, then call again with confirm=true.")
    else:
        summary = (f"The person {why} the deletion, so no delete was sent; {target} was only "
                   "read.")
    result = DeleteResult(
        summary=summary, outcome="not_applied" if why == "none" else
        ("planned" if why == "planned" else "declined"), resource_type=plan.resource_type,
        resource_id=plan.resource_id, requested=len(plan.requested_ids),
        not_attached=ids(plan.not_attached) if why == "none" else None,
        delete_sent=False, verified=False)
    return Presented(result, summary, is_error=why == "none")


def present_delete(facts: DeleteFacts, result_id: str) -> Presented:
    plan = facts.confirmed
    target = words.where(plan.resource_type, plan.resource_id)
    by: dict[str, list[int]] = {}
    for i in plan.requested_ids:
        by.setdefault(facts.state(i), []).append(i)
    removed, still, unknown = by.get("removed", []), by.get("still_attached", []), by.get("unknown", [])
    absent, moved = by.get("not_attached", []), by.get("moved_before_delete", [])
    if facts.answer is None and not moved:
        return present_unsent(facts.before, "none")
    parts, steps = [], []
    if still:
        parts.append(f"{plural(len(still), 'id')} still on {target} after the delete.")
        steps.append("Send the delete again for the ids still attached, or check them with "
                     "verify_serial_numbers.")
    if unknown:
        failure = said(facts.reread_failure) if facts.reread_failure else "no re-read"
        parts.append(f"Whether {plural(len(unknown), 'id')} left {target} is unknown: re-reading "
                     f"it after the delete failed ({failure}).")
        steps.append("Run verify_serial_numbers with expect_absent_ids for those ids.")
    if moved:
        parts.append(f"{plural(len(moved), 'id')} left {target} between the confirmation and the "
                     "delete, so this call did not delete them.")
    if absent:
        parts.append(f"{plural(len(absent), 'id')} not on {target}, left alone.")
    if removed:
        parts.append(f"{plural(len(removed), 'serial number')} gone from {target}: on it just "
                     "before the delete and not after.")
    note = words.DELETE_NOTE if facts.answer is not None and facts.answer.status == 204 else None
    if facts.answer is None:
        summary = " ".join([*parts, "No delete was sent."])
        result = DeleteResult(summary=summary, outcome="not_applied",
                              resource_type=plan.resource_type, resource_id=plan.resource_id,
                              requested=len(plan.requested_ids), not_attached=ids(absent + moved),
                              delete_sent=False, verified=False)
        return Presented(result, summary, is_error=True)
    result = DeleteResult(
        summary=" ".join(parts),
        outcome=outcome_of(len(removed), len(still) + len(absent) + len(moved), len(unknown)),
        resource_type=plan.resource_type, resource_id=plan.resource_id,
        requested=len(plan.requested_ids), removed=ids(removed), not_attached=ids(absent + moved),
        still_attached=ids(still), unknown=ids(unknown), delete_sent=True,
        verified=facts.after is not None, katana=answer(facts.answer), note=note,
        next_steps=steps, result_id=result_id)
    text = "\n".join([result.summary, *ids_line("Gone", result.removed),
                      *ids_line("Still attached", result.still_attached),
                      *ids_line("Unknown", result.unknown),
                      *ids_line("Not on it", result.not_attached), *([note] if note else []),
                      *tail(result.katana, steps, result_id)])
    detail = {"result_id": result_id, "tool": "delete_serial_numbers",
              "resource_type": plan.resource_type, "resource_id": plan.resource_id,
              "katana": said(facts.answer),
              "items": [{"id": i, "state": facts.state(i),
                         "serial_number": (facts.before.attached or {}).get(i)}
                        for i in plan.requested_ids]}
    return Presented(result, text, is_error=result.outcome == "not_applied", detail=detail)
