"""Confirmation before deleting, in both MCP protocol eras.

Resolvers run before the tool body: `precheck` reads the resource (so the person is asked
about the ids that are really there), `ask` elicits a yes/no when the host can, and falls
back to the tool's explicit `confirm` argument when it cannot. With `confirm=true` and no
way to ask, nothing is read here: the delete reads the resource itself, under its lock,
right before sending.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from mcp.server.mcpserver import Context, Elicit, Resolve
from pydantic import BaseModel, Field

from katana_sn_mcp import progress, redact
from katana_sn_mcp.app_state import state
from katana_sn_mcp.calls import error
from katana_sn_mcp.katana.errors import KatanaError
from katana_sn_mcp.operations import DeletePlan, plan_delete, unread_plan
from katana_sn_mcp.present.delete import describe_plan
from katana_sn_mcp.present.errors import whole_call
from katana_sn_mcp.tokens import principal


class ConfirmDeletion(BaseModel):
    confirm: bool = Field(description="Delete these serial numbers from Katana now?")


def can_elicit(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    return caps is not None and caps.elicitation is not None


def progress_of(ctx: Context, what: str) -> Any:
    """Each page read is a progress notification of this call (`progress_mcp`), counted
    with the rest of the call's, so the count only grows across check, question and delete."""
    return progress.pages(what)


async def precheck(resource_type: str, resource_id: int, ids: list[int], ctx: Context,
                   confirm: bool = False) -> DeletePlan:
    if confirm is True and not can_elicit(ctx):
        return unread_plan(resource_type, resource_id, ids)
    app = state(ctx)
    try:
        return await plan_delete(app.client, resource_type, resource_id, ids,
                                 progress_of(ctx, "checking what is attached"))
    except KatanaError as exc:
        raise error(whole_call(exc, f"{resource_type} {resource_id}", app.rate_limit)) from exc


async def ask(
    plan: Annotated[DeletePlan, Resolve(precheck)], confirm: bool, ctx: Context
) -> ConfirmDeletion | Elicit[ConfirmDeletion]:
    if plan.read and not plan.attached:
        return ConfirmDeletion(confirm=False)  # nothing would be deleted: nothing to ask
    if plan.read and can_elicit(ctx):
        # redacted: this question goes to the client outside any tool result
        return Elicit(redact.text(describe_plan(plan) + " This cannot be undone."), ConfirmDeletion)
    return ConfirmDeletion(confirm=confirm is True)


def bound_person(ctx: Any) -> str | None:
    """Whom a sealed confirmation (2026-07-28 `requestState`) belongs to: the person the
    HTTP edge authenticated (a token's name, or OAuth's issuer and subject), else the SDK's
    own binding. The SDK's default reads `get_access_token()`, which the static-token gate
    never set, so an answer captured from one person's delete could be replayed by another;
    bound here, the replay is refused ("Invalid or expired requestState")."""
    from mcp.server.request_state import authenticated_principal

    return principal(getattr(ctx, "request", None)) or authenticated_principal(ctx)


def confirmation_security(state_key: str | None) -> Any:
    """The SDK's request-state protection with the person bound in: under the shared
    KATANA_SN_MCP_STATE_KEY (replicas), or a key of this process's own."""
    from mcp.server.request_state import RequestStateSecurity

    return RequestStateSecurity(keys=[state_key or os.urandom(32)], bind_principal=bound_person)
