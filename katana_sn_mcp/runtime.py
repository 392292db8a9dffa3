"""Wiring: settings (+ optional sandbox) → a factory of KatanaClients sharing one pacer,
and the shared state (write locks, recent results, journal stream) from one place.

Without `KATANA_SN_MCP_REDIS_URL` everything lives in this process; with it, the rate
budget, the gate, the locks, the results and the journal are shared through Redis, so
replicas behind a load balancer behave as one server. The sandbox is reached through the
same KatanaClient as real Katana, only with an `httpx.ASGITransport`, so `--sandbox` and
the tests run the production HTTP code. The HTTP stack (and Redis) is imported inside the
factories, on first use, to keep start-up at the SDK's own floor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from katana_sn_mcp.settings import MissingApiKey, Settings

if TYPE_CHECKING:
    import httpx

    from katana_sn_mcp.katana.client import KatanaClient, RetryPolicy
    from katana_sn_mcp.katana.pacing import Pacer
    from katana_sn_mcp.state import ResultStore, WriteLocks
    from katana_sn_mcp.state.redis import RedisJournalStream

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

        if shared["pacer"] is None:
            shared["pacer"] = make_pacer(settings, key)
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


def make_pacer(settings: Settings, api_key: str) -> Pacer:
    """The pacer alone (for commands that hold no locks or results)."""
    return make_shared_state(settings, api_key)[0]


def make_shared_state(
    settings: Settings, api_key: str,
) -> tuple[Pacer, WriteLocks, ResultStore, RedisJournalStream | None]:
    """(pacer, write locks, result store, journal stream or None): in memory without
    KATANA_SN_MCP_REDIS_URL; with it, in Redis through one connection pool, under a hash
    of `api_key` (the sandbox's with --sandbox), so every replica using that Katana account
    spends one budget."""
    from katana_sn_mcp.katana.pacing import Pacer
    from katana_sn_mcp.present.budget import RECENT_RESULTS

    limit, window = settings.katana_rate_limit, settings.katana_rate_window
    url = settings.redis_url
    if not url:
        from katana_sn_mcp.state.memory import MemoryLocks, MemoryResults

        return Pacer(limit, window), MemoryLocks(), MemoryResults(RECENT_RESULTS), None
    from katana_sn_mcp.state.redis import (
        RedisBudget,
        RedisJournalStream,
        RedisLocks,
        RedisResults,
        connect,
        namespace,
    )

    ns, client = namespace(api_key), connect(url)  # connections open on first use
    return (Pacer(limit, window, shared=RedisBudget(client, ns, limit, window)),
            RedisLocks(client, ns), RedisResults(client, ns, RECENT_RESULTS),
            RedisJournalStream(url, ns))


def require_redis(settings: Settings) -> None:
    """At start-up: when Redis is configured it must answer (raises RedisUnavailable).
    Its URL is a secret: `settings.register_secrets` registered it already."""
    url = settings.redis_url
    if url:
        from katana_sn_mcp.state.redis import check

        check(url)


def readiness(pacer: Pacer, settings: Settings) -> Callable[[], Awaitable[dict[str, Any]]]:
    """The `/ready` check: is the shared store there, and how much Katana budget is left
    in the current window (for all replicas together when shared)."""
    from katana_sn_mcp.katana.pacing import SharedStateUnavailable

    async def ready() -> dict[str, Any]:
        store = "redis" if pacer.shared is not None else "memory"
        try:
            left = await pacer.remaining()
        except SharedStateUnavailable:
            return {"status": "not_ready", "shared_store": store,
                    "reason": "the shared store (Redis) cannot be reached"}
        return {"status": "ready", "shared_store": store, "katana_budget_remaining": left,
                "katana_budget_limit": pacer.limit, "katana_window_s": pacer.window_s}

    return ready
