"""The embedded sandbox Katana (an ASGI app), reached through the production KatanaClient
over `httpx.ASGITransport`, so `--sandbox` and the tests exercise the real HTTP code.

Names resolve on first use (PEP 562): the command line needs `sandbox.store`'s error type on
every start (`sandbox.errors`), and importing the ASGI app with it would cost every real-Katana start its
Starlette routes, seed data and rules."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from katana_sn_mcp.sandbox.app import Sandbox
    from katana_sn_mcp.sandbox.config import Fault, LoggedRequest, SandboxConfig, StoredSerial

__all__ = ["Fault", "LoggedRequest", "Sandbox", "SandboxConfig", "StoredSerial"]
_HOME = {"Sandbox": "app", "Fault": "config", "LoggedRequest": "config",
         "SandboxConfig": "config", "StoredSerial": "config"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
