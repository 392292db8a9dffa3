"""The embedded sandbox Katana (an ASGI app), reached through the production KatanaClient
over `httpx.ASGITransport`, so `--sandbox` and the tests exercise the real HTTP code."""

from katana_sn_mcp.sandbox.app import Sandbox
from katana_sn_mcp.sandbox.config import Fault, LoggedRequest, SandboxConfig, StoredSerial

__all__ = ["Fault", "LoggedRequest", "Sandbox", "SandboxConfig", "StoredSerial"]
