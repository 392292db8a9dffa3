"""Create (mint or transfer) serial numbers, and find out where they really landed.

A 200 carries `successful` and `failed`; a transfer's record may come back with
`transaction_id: "undefined"` and `resource_id: null`. So after a transfer, or whenever the
landing is unknown, we re-read the target. If Katana gives no usable answer (timeout,
dropped connection, non-JSON, 5xx) the POST is never re-sent: the listing decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from katana_sn_mcp import explain
from katana_sn_mcp.katana.errors import KatanaError, ServerError, TransportError
from katana_sn_mcp.katana.models import CreateResponse, SerialRecord
from katana_sn_mcp.operations.common import MINT_TYPES, Progress, outcome_of, plural
from katana_sn_mcp.results import CreatedItem, CreateResult, FailedString, Landing

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient


def _item(rec: SerialRecord, landing: Landing) -> CreatedItem:
    return CreatedItem(
        serial_number=rec.serial_number, id=rec.id, resource_type=rec.resource_type,
        resource_id=rec.resource_id, transaction_id=rec.transaction_id, landing=landing,
    )


def _failed(serial: str, reason: str) -> FailedString:
    return FailedString(
        serial_number=serial, reason=reason, explanation=explain.failure_reason(reason, serial)
    )


async def create_serial_numbers(
    client: KatanaClient,
    resource_type: str,
    resource_id: int,
    serial_numbers: Sequence[str],
    *,
    verify: bool = True,
    progress: Progress | None = None,
) -> CreateResult:
    operation = "mint" if resource_type in MINT_TYPES else "transfer"
    serials = list(dict.fromkeys(serial_numbers))
    base = {"operation": operation, "resource_type": resource_type, "resource_id": resource_id}
    try:
        response = await client.create(resource_type, resource_id, serials)
    except (TransportError, ServerError) as exc:
        if isinstance(exc, TransportError) and not exc.may_have_applied:
            raise
        return await _resolve_unanswered(client, serials, base, exc, progress)
    if response.no_content:  # Katana recorded nothing it would tell us about: look.
        return await _resolve_unanswered(client, serials, base, None, progress)
    result = await _from_response(client, response, base, verify, progress)
    result.katana_status = response.status
    return result


async def _from_response(
    client: KatanaClient, response: CreateResponse, base: dict, verify: bool,
    progress: Progress | None,
) -> CreateResult:
    succeeded = [_item(r, "reported" if r.landing_known else "unconfirmed")
                 for r in response.successful]
    failed = [_failed(f.serial_number, f.reason) for f in response.failed]
    unknown: list[str] = []
    verified, notes = False, []
    must_check = base["operation"] == "transfer" or any(i.landing != "reported" for i in succeeded)
    if succeeded and verify and must_check:
        try:
            rows = await client.list_all(
                resource_type=base["resource_type"], resource_id=base["resource_id"],
                on_page=progress,
            )
        except KatanaError as exc:
            notes.append(f"Landing could not be re-read ({exc.katana_says()}); "
                         "confirm with verify_serial_numbers.")
        else:
            verified = True
            on_target = {r.serial_number: r for r in rows}
            confirmed = [_item(on_target[i.serial_number], "confirmed")
                         for i in succeeded if i.serial_number in on_target]
            unknown = [i.serial_number for i in succeeded if i.serial_number not in on_target]
            succeeded = confirmed
    notes += [explain.landing_unconfirmed(i.serial_number)
              for i in succeeded if i.landing == "unconfirmed"]
    return _result(base, succeeded, failed, unknown, verified, notes)


async def _resolve_unanswered(
    client: KatanaClient, serials: list[str], base: dict, exc: KatanaError | None,
    progress: Progress | None,
) -> CreateResult:
    """No usable answer: the listing decides, string by string. Nothing is re-sent."""
    notes = [explain.ambiguous_write("create request") if exc else
             "Katana answered 204 with no body, so the resource was re-read to see what happened."]
    try:
        rows = await client.list_all(
            resource_type=base["resource_type"], resource_id=base["resource_id"], on_page=progress
        )
    except KatanaError as list_exc:
        notes.append(f"Re-reading failed too ({list_exc.katana_says()}); the outcome is unknown. "
                     "Run verify_serial_numbers before sending anything again.")
        return _result(base, [], [], serials, False, notes)
    on_target = {r.serial_number: r for r in rows}
    succeeded = [_item(on_target[s], "confirmed") for s in serials if s in on_target]
    failed = [_failed(s, "NOT_APPLIED") for s in serials if s not in on_target]
    return _result(base, succeeded, failed, [], True, notes)


def _result(base: dict, succeeded: list[CreatedItem], failed: list[FailedString],
            unknown: list[str], verified: bool, notes: list[str]) -> CreateResult:
    where = explain.resource(base["resource_type"], base["resource_id"])
    verb = "minted on" if base["operation"] == "mint" else "transferred to"
    parts: list[str] = []
    if failed:
        reasons = ", ".join(f"{f.serial_number} ({f.reason})" for f in failed)
        parts.append(f"{plural(len(failed), 'string')} NOT {verb} {where}: {reasons}.")
    if unknown:
        parts.append(f"{plural(len(unknown), 'string')} reported by Katana as applied but NOT "
                     f"seen on {where} when re-read, so unconfirmed: {', '.join(unknown)}.")
    unconfirmed = [i for i in succeeded if i.landing == "unconfirmed"]
    if unconfirmed:
        parts.append(f"Katana reported {plural(len(unconfirmed), 'string')} as {verb} {where} "
                     "but gave no landing data, and it has not been confirmed: "
                     f"{', '.join(i.serial_number for i in unconfirmed)}.")
    if len(succeeded) > len(unconfirmed):
        how = " and confirmed via the list endpoint" if verified else ""
        parts.append(f"{plural(len(succeeded) - len(unconfirmed), 'string')} {verb} {where}{how}.")
    if not parts:
        parts.append(f"Nothing was {verb} {where}.")
    steps = [f.explanation for f in failed[:3]] + notes
    if unknown:
        steps.append("Run verify_serial_numbers with expect_attached for the unconfirmed strings.")
    return CreateResult(
        summary=" ".join(parts),
        outcome=outcome_of(len(succeeded), len(failed), len(unknown)),
        succeeded=succeeded, failed=failed, unknown=unknown, verified=verified,
        next_steps=steps, **base,
    )
