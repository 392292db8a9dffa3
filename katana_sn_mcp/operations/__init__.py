"""The use cases (create, delete, list, verify), free of MCP so they are plain to test and
reusable from the CLI. Each returns a result model; whole-call failures raise KatanaError."""

from katana_sn_mcp.operations.create import create_serial_numbers
from katana_sn_mcp.operations.delete import DeletePlan, execute_delete, plan_delete
from katana_sn_mcp.operations.read import list_serial_numbers, verify_serial_numbers

__all__ = [
    "DeletePlan",
    "create_serial_numbers",
    "execute_delete",
    "list_serial_numbers",
    "plan_delete",
    "verify_serial_numbers",
]
