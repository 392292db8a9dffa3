"""Delete serial numbers and report what really happened.

Katana answers 204 to every well-formed DELETE, so the answer proves nothing. We read the
resource first (which requested ids are really there?), send the DELETE only for those,
read again, and report per id: removed, not_attached or still_attached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from katana_sn_mcp import explain
from katana_sn_mcp.katana.errors import KatanaError, ServerError, TransportError
from katana_sn_mcp.operations.common import Progress, outcome_of, plural
from katana_sn_mcp.results import DeleteResult, NotAttached

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient


@dataclass
class DeletePlan:
    """The pre-check: which requested ids are on the resource right now."""

    resource_type: str
    resource_id: int
    requested_ids: list[int]
    attached: dict[int, str] = field(default_factory=dict)  # id -> serial string

    @property
    def not_attached(self) -> list[int]:
        return [i for i in self.requested_ids if i not in self.attached]

    def describe(self) -> str:
        where = explain.resource(self.resource_type, self.resource_id)
        shown = ", ".join(f"{i} ({s})" for i, s in list(self.attached.items())[:20])
        more = "" if len(self.attached) <= 20 else f" and {len(self.attached) - 20} more"
        text = f"Delete {plural(len(self.attached), 'serial number')} from {where}: {shown}{more}."
        if self.not_attached:
            text += (f" {plural(len(self.not_attached), 'requested id')} not on {where} "
                     f"will be left alone: {', '.join(map(str, self.not_attached))}.")
        return text


async def plan_delete(
    client: KatanaClient, resource_type: str, resource_id: int, ids: Sequence[int],
    progress: Progress | None = None,
) -> DeletePlan:
    rows = await client.list_all(
        resource_type=resource_type, resource_id=resource_id, on_page=progress
    )
    wanted = list(dict.fromkeys(ids))
    present = {r.id: r.serial_number for r in rows if r.id in set(wanted)}
    return DeletePlan(resource_type, resource_id, wanted, {i: present[i] for i in wanted
                                                            if i in present})


def planned_result(plan: DeletePlan, outcome: Literal["not_applied", "planned", "declined"],
                   summary: str) -> DeleteResult:
    """No DELETE sent: a plan awaiting confirmation, a declined one, or nothing to do."""
    return DeleteResult(
        summary=summary, outcome=outcome, resource_type=plan.resource_type,
        resource_id=plan.resource_id, requested_ids=plan.requested_ids,
        not_attached=[NotAttached(id=i) for i in plan.not_attached], delete_sent=False,
        verified=False, katana_note=explain.delete_caveat(),
        next_steps=[] if outcome == "not_applied" else [plan.describe()],
    )


async def execute_delete(
    client: KatanaClient, plan: DeletePlan, progress: Progress | None = None
) -> DeleteResult:
    where = explain.resource(plan.resource_type, plan.resource_id)
    if not plan.attached:
        return planned_result(plan, "not_applied", (
            f"Nothing deleted: none of the requested ids is on {where}, so no delete was sent. "
            "Check the ids with list_serial_numbers."))
    notes: list[str] = []
    targets = list(plan.attached)
    status: int | None = None
    try:
        status = await client.delete(plan.resource_type, plan.resource_id, targets)
    except (TransportError, ServerError):  # maybe applied: the re-read below decides
        notes.append(explain.ambiguous_write("delete request"))
    try:
        rows = await client.list_all(
            resource_type=plan.resource_type, resource_id=plan.resource_id, on_page=progress
        )
    except KatanaError as exc:
        notes.append(f"The delete was sent but re-reading failed ({exc.katana_says()}), so "
                     "whether the ids are gone is unknown. Run verify_serial_numbers with "
                     "expect_absent_ids.")
        return _result(plan, [], [], targets, False, notes)
    after = {r.id for r in rows}
    removed = [i for i in targets if i not in after]
    still = [i for i in targets if i in after]
    result = _result(plan, removed, still, [], True, notes)
    result.katana_status = status
    return result


def _result(plan: DeletePlan, removed: list[int], still: list[int], unknown: list[int],
            verified: bool, notes: list[str]) -> DeleteResult:
    where = explain.resource(plan.resource_type, plan.resource_id)
    parts = []
    if still:
        parts.append(f"{plural(len(still), 'id')} still attached to {where} after the delete: "
                     f"{', '.join(map(str, still))}.")
    if unknown:
        parts.append(f"Unknown whether {plural(len(unknown), 'id')} were removed: "
                     f"{', '.join(map(str, unknown))}.")
    if plan.not_attached:
        parts.append(f"{plural(len(plan.not_attached), 'id')} not on {where}, left alone: "
                     f"{', '.join(map(str, plan.not_attached))}.")
    if removed:
        parts.append(f"Removed {plural(len(removed), 'serial number')} from {where} (confirmed "
                     f"by re-reading): {', '.join(map(str, removed))}.")
    steps = notes + ([f"Retry the delete for ids {still} or check them with "
                      "verify_serial_numbers."] if still else [])
    return DeleteResult(
        summary=" ".join(parts), resource_type=plan.resource_type,
        outcome=outcome_of(len(removed), len(still) + len(plan.not_attached), len(unknown)),
        resource_id=plan.resource_id, requested_ids=plan.requested_ids, removed=removed,
        not_attached=[NotAttached(id=i) for i in plan.not_attached], still_attached=still,
        unknown=unknown, delete_sent=True, verified=verified,
        katana_note=explain.delete_caveat(), next_steps=steps,
    )
