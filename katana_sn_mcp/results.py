"""Result models: what each tool returns (structured output → the tool's `outputSchema`).

Field names never claim more than happened: `removed` only lists ids that were on the
resource before and are gone after, read from the list endpoint, never the ids we asked for.
`summary` comes first so the JSON a model reads opens with the sentence to repeat.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def _compact(schema: dict[str, Any]) -> None:
    """Publish a lean schema: no per-property titles, and `type: [T, "null"]` instead of
    `anyOf`. Hosts that validate structured output (the SDK's client does, with jsonschema)
    spend most of a call's time descending `anyOf` branches; tools/list gets smaller too."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        branches = prop.get("anyOf")
        if branches and len(branches) == 2 and {"type": "null"} in branches:
            other = next(b for b in branches if b != {"type": "null"})
            if set(other) == {"type"} and isinstance(other["type"], str):
                del prop["anyOf"]
                prop["type"] = [other["type"], "null"]


class Result(BaseModel):
    model_config = ConfigDict(json_schema_extra=_compact)


Outcome = Literal["applied", "partially_applied", "not_applied", "unknown"]
Landing = Literal["reported", "confirmed", "unconfirmed"]


class CreatedItem(Result):
    serial_number: str
    id: int | None = Field(None, description="Katana serial-number id (use it to delete)")
    resource_type: str | None = None
    resource_id: int | None = None
    transaction_id: str | None = None
    landing: Landing = Field(
        description="reported: as Katana's answer said; confirmed: seen on the resource via "
        "the list endpoint; unconfirmed: Katana gave no landing data and it was not re-read"
    )


class FailedString(Result):
    serial_number: str
    reason: str = Field(description="Katana's reason code, e.g. DUPLICATE, MISSING")
    explanation: str


class CreateResult(Result):
    summary: str
    outcome: Outcome
    operation: Literal["mint", "transfer"]
    resource_type: str
    resource_id: int
    succeeded: list[CreatedItem] = Field(default_factory=list)
    failed: list[FailedString] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list, description="strings whose fate is unknown")
    verified: bool = Field(description="true when the list endpoint was read to check this")
    katana_status: int | None = Field(None, description="HTTP status of Katana's answer")
    next_steps: list[str] = Field(default_factory=list)


class NotAttached(Result):
    id: int
    found_on: str | None = Field(None, description="where the id is instead, when known")


class DeleteResult(Result):
    summary: str
    outcome: Outcome | Literal["planned", "declined"]
    resource_type: str
    resource_id: int
    requested_ids: list[int]
    removed: list[int] = Field(default_factory=list, description="was attached, now gone")
    not_attached: list[NotAttached] = Field(default_factory=list)
    still_attached: list[int] = Field(default_factory=list)
    unknown: list[int] = Field(default_factory=list)
    delete_sent: bool
    verified: bool = Field(description="true only when the list was re-read after the delete")
    katana_status: int | None = Field(None, description="HTTP status of Katana's answer")
    katana_note: str
    next_steps: list[str] = Field(default_factory=list)


class ListedSerial(Result):
    id: int | None
    serial_number: str
    resource_type: str | None
    resource_id: int | None
    transaction_id: str | None = None
    transaction_date: str | None = None
    quantity_change: int | None = None


class ListResult(Result):
    summary: str
    count: int
    complete: bool = Field(description="true when every matching row is included")
    next_page: int | None = None
    serial_numbers: list[ListedSerial]


class AttachedCheck(Result):
    serial_number: str
    verdict: Literal["attached", "not_attached"]
    id: int | None = None


class AbsentCheck(Result):
    id: int
    verdict: Literal["absent", "still_attached"]
    serial_number: str | None = None


class VerifyResult(Result):
    summary: str
    all_confirmed: bool
    resource_type: str
    resource_id: int
    attached_count: int = Field(description="serial numbers on the resource right now")
    expect_attached: list[AttachedCheck] = Field(default_factory=list)
    expect_absent: list[AbsentCheck] = Field(default_factory=list)
