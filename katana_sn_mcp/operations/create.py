"""Create (mint or transfer) serial numbers and establish, per string, what is known.

Facts only, no sentences. A 200 carries `successful` and `failed`; a transfer's record may
come back with `transaction_id: "undefined"` and `resource_id: null`, so after a transfer
(or whenever the landing is unknown) the target is re-read. When Katana's answer does not
say what happened (no answer, a 5xx, a 204, an unreadable body) the POST is never re-sent:
the re-read says where strings are *now*, which is all it can say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from katana_sn_mcp.katana.errors import Answer, KatanaError, ServerError, TransportError
from katana_sn_mcp.katana.models import SerialRecord
from katana_sn_mcp.operations.common import MINT_TYPES, Progress, read_back
from katana_sn_mcp.operations.find import FindFacts, find_serial_numbers

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient

# applied: Katana said so (and, if re-read, it is there). present: found on the target
# after an answer that did not say what happened — maybe this call, maybe earlier.
# refused: Katana named a reason. not_applied: Katana answered an error and the re-read
# shows it absent. not_seen: no answer and not visible yet — Katana may still apply it.
# unknown: nothing can be said (the re-read failed, or Katana was silent about it).
ItemState = Literal["applied", "present", "refused", "not_applied", "not_seen", "unknown"]


GATEWAY_STATUS = frozenset({502, 504})  # answered by a proxy, not by Katana itself
LOCATE_RESOURCES = 4  # resources read to say where a mint's duplicates are


@dataclass
class CreateFacts:
    operation: Literal["mint", "transfer"]
    resource_type: str
    resource_id: int
    requested: list[str]  # unique, in the order given
    repeated: int  # strings given more than once, collapsed
    answer: Answer
    reported: dict[str, SerialRecord] = field(default_factory=dict)  # Katana's `successful`
    refused: dict[str, str] = field(default_factory=dict)  # serial -> Katana's reason code
    clear_answer: bool = True  # False: the answer did not say what happened to each string
    after: dict[str, SerialRecord] | None = None  # the target re-read afterwards
    reread_failure: Answer | None = None
    duplicates: FindFacts | None = None  # where a mint's DUPLICATE strings are now
    locate_failure: Answer | None = None

    @property
    def verified(self) -> bool:
        return self.after is not None

    def state(self, serial: str) -> ItemState:
        seen = self.after is not None and serial in self.after
        if self.clear_answer:
            if serial in self.refused:
                return "refused"
            if serial not in self.reported:
                return "unknown"  # Katana's 200 did not mention it
            return "applied" if self.after is None or seen else "unknown"
        if self.after is None:
            return "unknown"
        if seen:
            return "present"
        # Katana finished with an error status: it is not there. Without an answer, with a
        # gateway's 502/504 (Katana behind it may still be working) or with a 2xx that
        # said nothing, it may still land: not seen *yet*.
        status = self.answer.status
        answered_error = status is not None and status >= 400 and status not in GATEWAY_STATUS
        return "not_applied" if answered_error else "not_seen"

    def record(self, serial: str) -> SerialRecord | None:
        """Where the string is, from the re-read if there was one, else Katana's answer."""
        if self.after is not None:
            return self.after.get(serial)
        return self.reported.get(serial)


async def create_serial_numbers(
    client: KatanaClient,
    resource_type: str,
    resource_id: int,
    serial_numbers: Sequence[str],
    *,
    verify: bool = True,
    progress: Progress | None = None,
) -> CreateFacts:
    """Raises KatanaError only when Katana refused the whole call (nothing applied) or the
    request surely never left; every other outcome is in the facts."""
    requested = list(dict.fromkeys(serial_numbers))
    facts = CreateFacts(
        operation="mint" if resource_type in MINT_TYPES else "transfer",
        resource_type=resource_type, resource_id=resource_id, requested=requested,
        repeated=len(serial_numbers) - len(requested), answer=Answer())
    try:
        response = await client.create(resource_type, resource_id, requested)
    except (TransportError, ServerError) as exc:
        if isinstance(exc, TransportError) and not exc.may_have_applied:
            raise
        facts.answer, facts.clear_answer = Answer.of_error(exc), False
        await _reread(client, facts, progress)
        return facts
    facts.answer = Answer(status=response.status, sends=response.sends)
    if response.no_content:
        facts.clear_answer = False
        await _reread(client, facts, progress)
        return facts
    facts.reported = {r.serial_number: r for r in response.successful}
    facts.refused = {f.serial_number: f.reason for f in response.failed}
    must_check = facts.operation == "transfer" or any(
        not r.landing_known for r in response.successful)
    if facts.reported and verify and must_check:
        await _reread(client, facts, progress)
    await _locate_duplicates(client, facts)
    return facts


async def _locate_duplicates(client: KatanaClient, facts: CreateFacts) -> None:
    """A mint's DUPLICATE strings exist somewhere: say where (one stock-list request, then
    at most LOCATE_RESOURCES resources read), so the reader need not ask."""
    dup = [s for s in facts.requested if facts.refused.get(s) == "DUPLICATE"]
    if facts.operation != "mint" or not dup:
        return
    try:
        facts.duplicates = await find_serial_numbers(client, dup, (), LOCATE_RESOURCES)
    except KatanaError as exc:
        facts.locate_failure = Answer.of_error(exc)


async def _reread(client: KatanaClient, facts: CreateFacts, progress: Progress | None) -> None:
    rows = await read_back(client, facts.resource_type, facts.resource_id, progress)
    if isinstance(rows, Answer):
        facts.reread_failure = rows
    else:
        facts.after = {r.serial_number: r for r in rows}
