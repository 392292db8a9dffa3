"""Result models: what each tool returns as `structuredContent` (and its `outputSchema`).

Sized for a model: items are counted exactly, uniform successes come as runs of
consecutive serials or ids, failures and unknowns are grouped by reason with one
explanation and the first names. The full per-item detail sits behind `result_id`
(`katana://results/{result_id}`). Field names never claim more than happened.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def _compact(schema: dict[str, Any]) -> None:
    """Publish a lean schema: no titles, no defaults, and `type: [T, "null"]` instead of
    `anyOf`. Hosts that validate structured output spend most of a call's time descending
    `anyOf` branches; tools/list gets smaller too. A field whose default is None is left out
    of the structured result when None (results are dumped with `exclude_defaults`), so it
    is published as its type alone: it is never null."""
    schema.pop("title", None)
    schema.pop("description", None)  # the class docstring: for maintainers, not hosts
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        prop.pop("description", None)  # field docs live here and in the README, not in tools/list
        omitted_when_none = "default" in prop and prop["default"] is None
        prop.pop("default", None)
        branches = prop.get("anyOf")
        if branches and len(branches) == 2 and {"type": "null"} in branches:
            other = next(b for b in branches if b != {"type": "null"})
            if omitted_when_none:
                del prop["anyOf"]
                prop.update(other)
            elif set(other) == {"type"} and isinstance(other["type"], str):
                del prop["anyOf"]
                prop["type"] = [other["type"], "null"]


class Result(BaseModel):
    model_config = ConfigDict(json_schema_extra=_compact)


def _compact_part(schema: dict[str, Any]) -> None:
    _compact(schema)
    schema.pop("required", None)


class Part(Result):
    """A part of a result (a nested object): published without `required`, to keep
    tools/list small; the top-level result lists its required fields."""

    model_config = ConfigDict(json_schema_extra=_compact_part)


Outcome = Literal["applied", "partially_applied", "not_applied", "unknown"]


class Run(Part):
    """Consecutive serials `first`…`last` (`count` of them; `last` left out when the run is
    one serial), and their ids as [first, last] pairs of consecutive ids, when every one has
    an id."""

    first: str
    last: str | None = None
    count: int
    ids: list[list[int]] | None = None


class Runs(Part):
    """Items of one kind: the exact count, and the first runs of consecutive serials."""

    count: int
    runs: list[Run]
    more_runs: int = 0


class Reason(Part):
    """Items that did not land (or whose fate is open), for one reason: the exact count, the
    first of them as runs of consecutive serials (ids: `first`/`last` are the ids as text,
    `ids` the integers), and one explanation. count minus the runs' counts: not named."""

    reason: str
    count: int
    runs: list[Run] = Field(default_factory=list)
    why: str


class KatanaAnswer(Part):
    status: int | None = Field(description="null: no answer")
    sends: int
    says: str


class Where(Part):
    """Serial numbers seen on one resource by the list endpoint, just now."""

    resource_type: str
    resource_id: int
    serials: Runs


class CreateResult(Result):
    summary: str
    outcome: Outcome
    operation: Literal["mint", "transfer"]
    resource_type: str
    resource_id: int
    requested: int
    repeated: int = Field(0, description="strings given more than once, sent once")
    applied: Runs | None = None
    present: Runs | None = Field(None, description="on the target now; this call's part untold")
    not_applied: list[Reason] = Field(default_factory=list)
    unknown: list[Reason] = Field(default_factory=list)
    verified: bool
    duplicates_at: list[Where] = Field(default_factory=list, description=(
        "where a mint's DUPLICATE strings are now, this resource first (read just now)"))
    katana: KatanaAnswer
    next_steps: list[str] = Field(default_factory=list)
    result_id: str = Field(description="full per-string detail: katana://results/{result_id}")


class Ids(Part):
    count: int
    ids: list[list[int]] = Field(description="[first, last] runs of consecutive ids")
    more: int = Field(0, description="runs not shown")


class DeleteResult(Result):
    summary: str
    outcome: Outcome | Literal["planned", "declined"]
    resource_type: str
    resource_id: int
    requested: int
    removed: Ids | None = Field(None, description="on the resource just before, gone after")
    not_attached: Ids | None = Field(None, description="not on the resource: left alone")
    still_attached: Ids | None = None
    unknown: Ids | None = None
    delete_sent: bool
    verified: bool
    katana: KatanaAnswer | None = None
    note: str | None = None
    next_steps: list[str] = Field(default_factory=list)
    result_id: str | None = None


class ResourceCount(Part):
    """Rows of one resource among this page's rows (not the resource's total)."""

    resource_type: str | None
    resource_id: int | None
    on_this_page: int


class ListResult(Result):
    summary: str
    resource_type: str | None
    resource_id: int | None
    count: int
    total: int | None = Field(description="rows matching, when Katana says")
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    by_resource: list[ResourceCount] = Field(default_factory=list)
    next_cursor: str | None = None


class VerifyResult(Result):
    summary: str
    all_confirmed: bool
    resource_type: str
    resource_id: int
    on_resource: int
    checked: int
    holding: int
    failed: list[Reason] = Field(default_factory=list)
    not_expected: Reason | None = Field(None, description="on it, not among expect_attached")


class Names(Part):
    """Items named up to a cap; `count` is exact."""

    count: int
    first: list[str]


class Transaction(Part):
    resource_type: str | None
    resource_id: int | None
    quantity_change: int | None
    date: str | None = Field(description="null: a reservation not yet stamped")


class History(Part):
    serial_number: str
    id: int | None
    in_stock: bool | None = Field(description="Katana's flag; not the sum of the changes")
    transactions: int
    last: list[Transaction] = Field(description="latest last")


class FindResult(Result):
    summary: str
    asked: int
    found: int = Field(description="seen on a resource just now")
    where: list[Where] = Field(default_factory=list)
    more_places: int = 0
    not_found: list[Reason] = Field(default_factory=list, description=(
        "NOT_KNOWN: exist nowhere; NOT_SEEN: not among the rows read; ON_NO_RESOURCE: known, "
        "on none of its transactions' resources; NOT_LOOKED_UP: resources not all read"))
    history: list[History] = Field(default_factory=list)
    history_more: int = 0
    stock_read: bool = Field(description="false: the stock list failed (the summary quotes "
                             "Katana) and the listing was walked instead")

