"""Wiring: settings (+ optional sandbox) → a factory of KatanaClients sharing one pacer.

The sandbox is reached through the same KatanaClient as real Katana, only with an
`httpx.ASGITransport`, so `--sandbox` and the tests run the production HTTP code.
The HTTP stack is imported inside the factory, on first use, to keep start-up at the
SDK's own floor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from katana_sn_mcp.settings import MissingApiKey, Settings

if TYPE_CHECKING:
    import httpx

    from katana_sn_mcp.katana.client import KatanaClient, RetryPolicy
    from katana_sn_mcp.katana.pacing import Pacer

SANDBOX_BASE_URL = "http://sandbox.katana.invalid/v1"


def client_factory(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    pacer: Pacer | None = None,
    retry: RetryPolicy | None = None,
) -> Callable[[], KatanaClient]:
    """One pacer for the whole process, however many clients the factory makes."""
    key = api_key or settings.api_key
    if not key:
        raise MissingApiKey()
    shared: dict[str, Any] = {"pacer": pacer}

    def make() -> KatanaClient:
        from katana_sn_mcp.katana.client import KatanaClient
        from katana_sn_mcp.katana.pacing import Pacer

        if shared["pacer"] is None:
            shared["pacer"] = Pacer(settings.katana_rate_limit, 60.0)
        return KatanaClient(
            key, base_url or settings.katana_base_url, timeout=settings.katana_timeout,
            transport=transport, pacer=shared["pacer"], retry=retry,
        )

    return make


def sandbox_factory(sandbox: Any, settings: Settings, **kw: Any) -> Callable[[], KatanaClient]:
    """A client factory for the embedded sandbox (its own key, never the real one)."""
    import httpx

    return client_factory(settings, transport=httpx.ASGITransport(app=sandbox),
                          api_key=sandbox.config.api_key, base_url=SANDBOX_BASE_URL, **kw)
