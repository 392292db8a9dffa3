"""The use cases (create, delete, list, verify, find), free of MCP and of sentences: each
returns facts (what Katana answered, what was read back); `present/` words them."""

from katana_sn_mcp.operations.create import CreateFacts, create_serial_numbers
from katana_sn_mcp.operations.delete import (
    DeleteFacts,
    DeletePlan,
    execute_delete,
    plan_delete,
    unread_plan,
)
from katana_sn_mcp.operations.find import FindFacts, find_serial_numbers
from katana_sn_mcp.operations.read import PageFacts, VerifyFacts, list_page, verify_serial_numbers

__all__ = [
    "CreateFacts",
    "DeleteFacts",
    "DeletePlan",
    "FindFacts",
    "PageFacts",
    "VerifyFacts",
    "create_serial_numbers",
    "execute_delete",
    "find_serial_numbers",
    "list_page",
    "plan_delete",
    "unread_plan",
    "verify_serial_numbers",
]
