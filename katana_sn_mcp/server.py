"""The MCP face: tool signatures, annotations and result models. No Katana knowledge here:
each tool validates its arguments (through the schema), calls one operation, and turns a
whole-call failure into a ToolError whose text is the explanation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field, StringConstraints

from katana_sn_mcp import __version__, explain, operations
from katana_sn_mcp.app_state import AppState, state
from katana_sn_mcp.confirm import ConfirmDeletion, ask, can_elicit, precheck, progress_of
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.errors import KatanaError
from katana_sn_mcp.operations import DeletePlan
from katana_sn_mcp.operations.common import ReadType, WriteType
from katana_sn_mcp.operations.delete import planned_result
from katana_sn_mcp.prompt_library import register_prompts
from katana_sn_mcp.redact_mcp import RedactResults
from katana_sn_mcp.resources import register_resources
from katana_sn_mcp.results import CreateResult, DeleteResult, ListResult, VerifyResult
from katana_sn_mcp.strict_args import RejectUnknownArguments

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient

INSTRUCTIONS = """Manage serial numbers in Katana MRP.
- create_serial_numbers MINTS new strings on a ManufacturingOrder or PurchaseOrderRow, and
  TRANSFERS existing strings to a SalesOrderRow, StockTransferRow, StockAdjustmentRow or
  Production. A transfer of a string that exists nowhere fails (MISSING, or the whole call).
- A create can partly succeed: always read `failed` and `summary`, and tell the person.
- Katana answers 204 to every delete, so that answer confirms nothing; delete_serial_numbers
  re-reads the resource and reports what was really removed. Deletes need confirmation.
- verify_serial_numbers checks the truth on the list endpoint; finish writes with it."""

ResourceId = Annotated[int, Field(strict=True, ge=1, le=2147483647, description="Katana id of the resource")]
Serial = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=255, pattern=r"^\S(.*\S)?$")]
SerialId = Annotated[int, Field(strict=True, ge=1, le=2147483647)]


def _fail(exc: KatanaError, resource_type: str | None, resource_id: int | None,
          write: bool = False) -> ToolError:
    return ToolError(explain.error(exc, resource_type=resource_type, resource_id=resource_id,
                                   write=write))


def build_server(make_client: Callable[[], KatanaClient], journal: Journal | None = None) -> MCPServer:
    """`make_client()` returns a KatanaClient (real Katana or the sandbox transport). The
    HTTP transport's bearer token is checked in front of the app (http.BearerTokenGate)."""
    journal = journal or Journal(None)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[AppState]:
        app = AppState(make_client=make_client, journal=journal)
        try:
            yield app
        finally:
            await app.aclose()

    mcp = MCPServer("katana-sn-mcp", version=__version__, instructions=INSTRUCTIONS,
                    lifespan=lifespan)
    mcp.middleware.append(RedactResults())  # first: it sees every answer the rest produce
    mcp.middleware.append(RejectUnknownArguments(mcp))
    register_write_tools(mcp)
    register_read_tools(mcp)
    register_resources(mcp, journal)
    register_prompts(mcp)
    return mcp


WriteResult = TypeVar("WriteResult", CreateResult, DeleteResult)
JOURNALLED = {"katana_status", "outcome", "verified", "removed", "still_attached", "unknown",
              "summary"}


async def journalled(ctx: Context, tool: str, request: dict[str, Any],
                     work: Awaitable[WriteResult]) -> WriteResult:
    """Run one write and append its journal line: what was asked, Katana's status, the
    outcome. Whole-call failures change nothing (ambiguous ones come back as results) and
    become a ToolError whose text is the explanation."""
    try:
        result = await work
    except KatanaError as exc:
        state(ctx).journal.record(tool, request, katana_status=exc.status,
                                  outcome="not_applied", error=exc.katana_says())
        raise _fail(exc, request["resource_type"], request["resource_id"], write=True) from exc
    state(ctx).journal.record(tool, request, **result.model_dump(include=JOURNALLED))
    return result


def register_write_tools(mcp: MCPServer) -> None:
    @mcp.tool(title="Create serial numbers", annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=False,
        open_world_hint=True))
    async def create_serial_numbers(
        resource_type: Annotated[WriteType, Field(description="mint: ManufacturingOrder, "
                                 "PurchaseOrderRow; others transfer existing strings")],
        resource_id: ResourceId,
        serial_numbers: Annotated[list[Serial], Field(min_length=1, max_length=10000,
                                                      description="the serial-number strings")],
        ctx: Context,
        verify: Annotated[bool, Field(description="re-read where transfers landed")] = True,
    ) -> CreateResult:
        """Mint or transfer serial numbers on one Katana resource. Reports each string as
        succeeded or failed (with the reason), and confirms landings via the list endpoint."""
        request = {"resource_type": resource_type, "resource_id": resource_id,
                   "serial_numbers": serial_numbers}
        return await journalled(ctx, "create_serial_numbers", request, operations.create_serial_numbers(
            state(ctx).client, resource_type, resource_id, serial_numbers,
            verify=verify, progress=progress_of(ctx, "confirming landings")))

    @mcp.tool(title="Delete serial numbers", annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=True, idempotent_hint=True,
        open_world_hint=True))
    async def delete_serial_numbers(
        resource_type: Annotated[ReadType, Field(description="type of the resource the ids "
                                                 "are attached to")],
        resource_id: ResourceId,
        ids: Annotated[list[SerialId], Field(min_length=1, max_length=10000,
                                             description="serial-number ids (not strings)")],
        ctx: Context,
        plan: Annotated[DeletePlan, Resolve(precheck)],
        answer: Annotated[ElicitationResult[ConfirmDeletion], Resolve(ask)],
        confirm: Annotated[bool, Field(description="set true once the person has confirmed "
                                       "(only needed when the host cannot ask them)")] = False,
    ) -> DeleteResult:
        """Remove serial numbers from one resource. Checks which ids are really attached,
        asks for confirmation, deletes, then re-reads to report what was really removed."""
        request = {"resource_type": resource_type, "resource_id": resource_id, "ids": ids}
        if plan.attached and not (isinstance(answer, AcceptedElicitation) and answer.data.confirm):
            if can_elicit(ctx):
                word = "cancelled" if answer.action == "cancel" else "declined"
                return planned_result(plan, "declined", f"The person {word} the deletion, so "
                                      "nothing was deleted and nothing was sent to Katana.")
            return planned_result(plan, "planned", "Nothing deleted yet: this is the plan. "
                                  f"{plan.describe()} Ask the person to confirm, then call "
                                  "again with confirm=true.")
        return await journalled(ctx, "delete_serial_numbers", request, operations.execute_delete(
            state(ctx).client, plan, progress_of(ctx, "re-reading after the delete")))


def register_read_tools(mcp: MCPServer) -> None:
    @mcp.tool(title="List serial numbers", annotations=ToolAnnotations(
        read_only_hint=True, idempotent_hint=True, open_world_hint=True))
    async def list_serial_numbers(
        ctx: Context,
        resource_type: Annotated[ReadType | None, Field(description="only this type")] = None,
        resource_id: ResourceId | None = None,
        page: Annotated[int | None, Field(strict=True, ge=1, le=100000, description="one page of 250; "
                                          "omit to read every page")] = None,
    ) -> ListResult:
        """List serial numbers, optionally for one resource type and/or id."""
        try:
            return await operations.list_serial_numbers(
                state(ctx).client, resource_type, resource_id, page,
                progress_of(ctx, "listing"))
        except KatanaError as exc:
            raise _fail(exc, resource_type, resource_id) from exc

    @mcp.tool(title="Verify serial numbers", annotations=ToolAnnotations(
        read_only_hint=True, idempotent_hint=True, open_world_hint=True))
    async def verify_serial_numbers(
        resource_type: Annotated[ReadType, Field(description="type of the resource to check")],
        resource_id: ResourceId,
        ctx: Context,
        expect_attached: Annotated[list[Serial], Field(
            max_length=10000, description="strings that must be on the resource")] = [],  # noqa: B006
        expect_absent_ids: Annotated[list[SerialId], Field(
            max_length=10000, description="ids that must be gone from it")] = [],  # noqa: B006
    ) -> VerifyResult:
        """Check against Katana's list endpoint that strings are attached to a resource
        and/or that ids are gone from it. Per-item verdicts and `all_confirmed`."""
        try:
            return await operations.verify_serial_numbers(
                state(ctx).client, resource_type, resource_id, expect_attached,
                expect_absent_ids, progress_of(ctx, "verifying"))
        except KatanaError as exc:
            raise _fail(exc, resource_type, resource_id) from exc
