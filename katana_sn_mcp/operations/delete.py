"""Delete serial numbers, and establish per id what really happened. Facts only.

Katana answers 204 to every well-formed DELETE, so the answer proves nothing. Under the
account-wide write lock (so no other write of ours, a transfer off this resource included,
can interleave) we read
the resource just before the DELETE, send it only for the confirmed ids that are there,
and read again: `removed` means "on the resource just before, not on it after".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from katana_sn_mcp.katana.errors import Answer, ServerError, TransportError
from katana_sn_mcp.operations.common import Progress, read_back

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient

IdState = Literal["removed", "not_attached", "moved_before_delete", "still_attached", "unknown"]


@dataclass
class DeletePlan:
    """Which requested ids are on the resource. `attached` is None for a plan not read yet
    (the ids were confirmed up front with `confirm=true`; the read happens under the lock)."""

    resource_type: str
    resource_id: int
    requested_ids: list[int]  # unique, in the order given
    repeated: int = 0
    attached: dict[int, str] | None = field(default_factory=dict)  # id -> serial string

    @property
    def read(self) -> bool:
        return self.attached is not None

    @property
    def not_attached(self) -> list[int]:
        return [i for i in self.requested_ids if self.attached is not None
                and i not in self.attached]


def unread_plan(resource_type: str, resource_id: int, ids: Sequence[int]) -> DeletePlan:
    wanted = list(dict.fromkeys(ids))
    return DeletePlan(resource_type, resource_id, wanted, len(ids) - len(wanted), None)


async def plan_delete(
    client: KatanaClient, resource_type: str, resource_id: int, ids: Sequence[int],
    progress: Progress | None = None,
) -> DeletePlan:
    plan = unread_plan(resource_type, resource_id, ids)
    rows = await client.list_all(resource_type=resource_type, resource_id=resource_id,
                                 on_page=progress)
    present = {r.id: r.serial_number for r in rows if r.id is not None}
    plan.attached = {i: present[i] for i in plan.requested_ids if i in present}
    return plan


@dataclass
class DeleteFacts:
    confirmed: DeletePlan  # what the person agreed to
    before: DeletePlan  # the check made just before the DELETE, under the lock
    answer: Answer | None = None  # None: no DELETE was sent
    after: set[int] | None = None  # ids on the resource after the DELETE
    reread_failure: Answer | None = None

    @cached_property
    def targets(self) -> list[int]:
        """Confirmed ids that were on the resource just before the DELETE: the ids sent."""
        ok = self.confirmed.attached
        return [i for i in (self.before.attached or {}) if ok is None or i in ok]

    @cached_property
    def _targeted(self) -> set[int]:
        return set(self.targets)

    def state(self, id_: int) -> IdState:
        if id_ not in self._targeted:
            was = self.confirmed.attached is not None and id_ in self.confirmed.attached
            return "moved_before_delete" if was else "not_attached"
        if self.after is None:
            return "unknown"
        return "still_attached" if id_ in self.after else "removed"


async def execute_delete(
    client: KatanaClient, confirmed: DeletePlan, progress: Progress | None = None,
) -> DeleteFacts:
    """Run under the account-wide write lock (the call skeleton holds it). Raises KatanaError
    only when nothing was deleted: the check just before the DELETE failed, Katana refused
    the DELETE, or it was never sent."""
    before = await plan_delete(client, confirmed.resource_type, confirmed.resource_id,
                               confirmed.requested_ids, progress)
    facts = DeleteFacts(confirmed=confirmed, before=before)
    if not facts.targets:
        return facts
    try:
        facts.answer = await client.delete(confirmed.resource_type,
                                           confirmed.resource_id, facts.targets)
    except (TransportError, ServerError) as exc:  # maybe applied: the re-read decides
        if isinstance(exc, TransportError) and not exc.may_have_applied:
            raise
        facts.answer = Answer.of_error(exc)
    rows = await read_back(client, confirmed.resource_type, confirmed.resource_id, progress)
    if isinstance(rows, Answer):
        facts.reread_failure = rows
    else:
        facts.after = {r.id for r in rows if r.id is not None}
    return facts
