"""Wiring: settings (+ optional sandbox) → a factory of KatanaClients sharing one pacer.

The sandbox is reached through the same KatanaClient as real Katana, only with an
`httpx.ASGITransport`, so `--sandbox` and the tests run the production HTTP code.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from katana_sn_mcp.katana.client import KatanaClient, RetryPolicy
from katana_sn_mcp.katana.pacing import Pacer
from katana_sn_mcp.settings import MissingApiKey, Settings

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
    """One pacer for the whole process, however many times the server's lifespan starts."""
    key = api_key or settings.api_key
    if not key:
        raise MissingApiKey()
    shared_pacer = pacer or Pacer(settings.katana_rate_limit, 60.0)

    def make() -> KatanaClient:
        return KatanaClient(
            key, base_url or settings.katana_base_url, timeout=settings.katana_timeout,
            transport=transport, pacer=shared_pacer, retry=retry,
        )

    return make


def sandbox_factory(sandbox: object, settings: Settings, **kw: object) -> Callable[[], KatanaClient]:
    """A client factory for the embedded sandbox (its own key, never the real one)."""
    transport = httpx.ASGITransport(app=sandbox)  # type: ignore[arg-type]
    key = sandbox.config.api_key  # type: ignore[attr-defined]
    return client_factory(settings, transport=transport, api_key=key,
                          base_url=SANDBOX_BASE_URL, **kw)  # type: ignore[arg-type]
