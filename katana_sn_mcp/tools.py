"""The five tools. Each validates its arguments (through the schema), then names what the
call skeleton (`calls.run`) runs: its operation and its presenter. Each flow reads top to
bottom here; no sentences are written here (they live in present/)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import AcceptedElicitation, Context, ElicitationResult, MCPServer, Resolve
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field, StringConstraints

from katana_sn_mcp import operations
from katana_sn_mcp.calls import Call, error, leave, run
from katana_sn_mcp.confirm import ConfirmDeletion, ask, can_elicit, precheck, progress_of
from katana_sn_mcp.operations import DeletePlan
from katana_sn_mcp.operations.common import ReadType, WriteType
from katana_sn_mcp.operations.find import RESOURCES_READ
from katana_sn_mcp.patterns import Matching
from katana_sn_mcp.present import errors as said
from katana_sn_mcp.present.budget import LIST_DEFAULT, LIST_MAX, MAX_ITEMS
from katana_sn_mcp.present.create import present_create
from katana_sn_mcp.present.delete import present_delete, present_unsent
from katana_sn_mcp.present.find import present_find
from katana_sn_mcp.present.read import BadCursor, present_page, present_verify, read_cursor
from katana_sn_mcp.ranges import BadRange, SerialRange, expand
from katana_sn_mcp.results import CreateResult, DeleteResult, FindResult, ListResult, VerifyResult

ResourceId = Annotated[int, Field(strict=True, ge=1, le=2147483647, description="Katana id of the resource")]
Serial = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=255),
                   Matching(r"^\S(.*\S)?$")]
SerialId = Annotated[int, Field(strict=True, ge=1, le=2147483647)]
Ranges = Annotated[list[SerialRange], Field(max_length=100, description=(
    "e.g. {prefix:'SN-',first:1,last:1000,width:4} is SN-0001…SN-1000"))]
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                        open_world_hint=True)
DELETE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True,
                         open_world_hint=True)
F = TypeVar("F", bound=Callable[..., Any])
READ = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)


def serials_of(serials: list[str], ranges: list[SerialRange], what: str) -> list[str]:
    try:
        out = expand(serials, ranges)
    except BadRange as exc:
        raise error(said.bad_input(exc)) from exc
    if len(out) > MAX_ITEMS:
        raise error(said.too_many(len(out), MAX_ITEMS))
    if not out and what:
        raise error(said.nothing_given(what))
    return out


def tool(mcp: MCPServer, title: str, annotations: ToolAnnotations) -> Callable[[F], F]:
    """`mcp.tool` with the docstring dedented: Python 3.13 dedents docstrings itself, 3.11
    and 3.12 do not, and the indentation would reach every host's tools/list."""
    def register(fn: F) -> F:
        mcp.tool(title=title, annotations=annotations,
                 description=inspect.cleandoc(fn.__doc__ or ""))(fn)
        return fn

    return register


def register_tools(mcp: MCPServer) -> None:
    register_write_tools(mcp)
    register_read_tools(mcp)


def register_write_tools(mcp: MCPServer) -> None:
    @tool(mcp, "Create serial numbers", WRITE)
    async def create_serial_numbers(
        resource_type: Annotated[WriteType, Field(description="mint: ManufacturingOrder, "
                                 "PurchaseOrderRow; others transfer existing strings")],
        resource_id: ResourceId,
        ctx: Context,
        serial_numbers: Annotated[list[Serial], Field(max_length=MAX_ITEMS,
                                                      description="the serial-number strings")] = [],  # noqa: B006
        serial_ranges: Ranges = [],  # noqa: B006
        verify: Annotated[bool, Field(strict=True,
                                      description="re-read the target after a transfer")] = True,
    ) -> Annotated[CallToolResult, CreateResult]:
        """Mint or transfer serial numbers on one Katana resource. Counts what was applied,
        groups what was not by Katana's reason, and re-reads the target after transfers."""
        serials = serials_of(serial_numbers, serial_ranges, "serial_numbers or serial_ranges")
        call = Call("create_serial_numbers", f"{resource_type} {resource_id}",
                    {"resource_type": resource_type, "resource_id": resource_id,
                     "serial_numbers": serials}, f"{resource_type}:{resource_id}")
        return await run(ctx, call, lambda app: operations.create_serial_numbers(
            app.client, resource_type, resource_id, serials, verify=verify,
            progress=progress_of(ctx, "re-reading the target")),
            lambda facts, write_id: present_create(facts, write_id or ""))

    @tool(mcp, "Delete serial numbers", DELETE)
    async def delete_serial_numbers(
        resource_type: Annotated[ReadType, Field(description="type of the resource holding "
                                                 "the ids")],
        resource_id: ResourceId,
        ids: Annotated[list[SerialId], Field(min_length=1, max_length=MAX_ITEMS,
                                             description="serial-number ids (not strings)")],
        ctx: Context,
        plan: Annotated[DeletePlan, Resolve(precheck)],
        answer: Annotated[ElicitationResult[ConfirmDeletion], Resolve(ask)],
        confirm: Annotated[bool, Field(strict=True, description="true once the person "
                                       "confirmed (only needed when the host cannot ask)")] = False,
    ) -> Annotated[CallToolResult, DeleteResult]:
        """Remove serial numbers from one resource. Katana's 204 confirms nothing, so this
        reads the resource just before and after the delete and reports what left it."""
        if plan.read and not plan.attached:
            return leave(lambda: present_unsent(plan, "none"))
        if not (isinstance(answer, AcceptedElicitation) and answer.data.confirm):
            if plan.read and can_elicit(ctx):
                return leave(lambda: present_unsent(
                    plan, "cancelled" if answer.action == "cancel" else "declined"))
            return leave(lambda: present_unsent(plan, "planned"))
        call = Call("delete_serial_numbers", f"{resource_type} {resource_id}",
                    {"resource_type": resource_type, "resource_id": resource_id,
                     "ids": plan.requested_ids}, f"{resource_type}:{resource_id}")
        return await run(ctx, call, lambda app: operations.execute_delete(
            app.client, plan, progress_of(ctx, "reading the resource")),
            lambda facts, write_id: present_delete(facts, write_id or ""))


def register_read_tools(mcp: MCPServer) -> None:
    @tool(mcp, "List serial numbers", READ)
    async def list_serial_numbers(
        ctx: Context,
        resource_type: Annotated[ReadType | None, Field(description="only this type")] = None,
        resource_id: ResourceId | None = None,
        limit: Annotated[int, Field(strict=True, ge=1, le=LIST_MAX,
                                    description="rows per page")] = LIST_DEFAULT,
        cursor: Annotated[str | None, Field(max_length=200, description="next_cursor of the "
                                            "previous page")] = None,
    ) -> Annotated[CallToolResult, ListResult]:
        """One page of serial numbers: rows for one resource_id, counts per resource otherwise.
        Pass next_cursor back for the next page."""
        try:
            place = read_cursor(cursor, resource_type, resource_id) if cursor else None
        except BadCursor as exc:
            raise error(said.bad_input(exc, read=True)) from exc
        page, limit, skip = place or (1, limit, 0)
        call = Call("list_serial_numbers",
                    f"{resource_type or 'any type'} {resource_id or ''}".strip())
        return await run(ctx, call, lambda app: operations.list_page(
            app.client, resource_type, resource_id, page, limit, place),
            lambda facts, _: present_page(facts, skip))

    @tool(mcp, "Verify serial numbers", READ)
    async def verify_serial_numbers(
        resource_type: Annotated[ReadType, Field(description="type of the resource to check")],
        resource_id: ResourceId,
        ctx: Context,
        expect_attached: Annotated[list[Serial], Field(
            max_length=MAX_ITEMS, description="strings that must be on the resource")] = [],  # noqa: B006
        expect_attached_ranges: Ranges = [],  # noqa: B006
        expect_absent_ids: Annotated[list[SerialId], Field(
            max_length=MAX_ITEMS, description="ids that must be gone from it")] = [],  # noqa: B006
    ) -> Annotated[CallToolResult, VerifyResult]:
        """Check on Katana's list endpoint that strings are on a resource and/or ids are gone
        from it. Counts what holds and names what does not."""
        serials = serials_of(expect_attached, expect_attached_ranges, "")
        if not serials and not expect_absent_ids:
            raise error(said.nothing_to_check(
                "expect_attached, expect_attached_ranges or expect_absent_ids"))
        call = Call("verify_serial_numbers", f"{resource_type} {resource_id}")
        return await run(ctx, call, lambda app: operations.verify_serial_numbers(
            app.client, resource_type, resource_id, serials, expect_absent_ids,
            progress_of(ctx, "verifying")), lambda facts, _: present_verify(facts))

    @tool(mcp, "Find serial numbers", READ)
    async def find_serial_numbers(
        ctx: Context,
        serial_numbers: Annotated[list[Serial], Field(max_length=MAX_ITEMS)] = [],  # noqa: B006
        ids: Annotated[list[SerialId], Field(max_length=MAX_ITEMS)] = [],  # noqa: B006
    ) -> Annotated[CallToolResult, FindResult]:
        """Where are these serial numbers now? Strings or ids, across the account: each
        one's resource, stock flag and history, and which exist nowhere."""
        serials = serials_of(serial_numbers, [], "")
        if not serials and not ids:
            raise error(said.nothing_to_check("serial_numbers or ids"))
        call = Call("find_serial_numbers", "the account")
        return await run(ctx, call, lambda app: operations.find_serial_numbers(
            app.client, serials, ids), lambda facts, _: present_find(facts, RESOURCES_READ))
