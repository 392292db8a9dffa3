"""Streamable HTTP transport for a shared, team-wide server.

Safe by default: binds to 127.0.0.1, where the SDK's Host/Origin (DNS-rebinding)
protection is on; refuses a non-local bind unless a bearer token is configured; checks
the token in constant time. `/health` is open (it reveals nothing but the version).
All sessions share the one Katana client and pacer made in the server's lifespan.
"""

from __future__ import annotations

import hmac
import os

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from katana_sn_mcp import __version__

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SCOPE = "katana-sn-mcp"


class RefusedBind(RuntimeError):
    """A non-local bind without a token would put Katana write access on the network."""


class StaticToken(TokenVerifier):
    """One shared bearer token (KATANA_SN_MCP_TOKEN), compared in constant time."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._secret):
            return AccessToken(token="[redacted]", client_id="katana-sn-mcp-user", scopes=[SCOPE])
        return None


def check_bind(host: str, token: str | None) -> None:
    if host not in LOCAL_HOSTS and not token:
        raise RefusedBind(
            f"Refusing to listen on {host}: anyone who can reach it could change Katana stock "
            "records. Set KATANA_SN_MCP_TOKEN to a long random secret (clients then send "
            "'Authorization: Bearer <token>'), or bind to 127.0.0.1."
        )


def auth_for(token: str | None, host: str, port: int) -> dict[str, object] | None:
    """The MCPServer keyword arguments that put every MCP request behind the token."""
    if not token:
        return None
    shown = f"[{host}]" if ":" in host else host
    return {
        "token_verifier": StaticToken(token),
        "auth": AuthSettings(issuer_url=AnyHttpUrl("https://auth.invalid"),  # unused here
                             resource_server_url=AnyHttpUrl(f"http://{shown}:{port}/mcp"),
                             validate_token_resource=False, required_scopes=[SCOPE]),
    }


def security_for(host: str) -> TransportSecuritySettings | None:
    """Localhost: the SDK's own protection (None turns it on). Elsewhere: an explicit
    allowlist of the bind host plus KATANA_SN_MCP_ALLOWED_HOSTS (comma-separated)."""
    if host in LOCAL_HOSTS:
        return None
    extra = [h.strip() for h in os.environ.get("KATANA_SN_MCP_ALLOWED_HOSTS", "").split(",")]
    hosts = [h for h in [host, *extra] if h and h != "0.0.0.0"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[v for h in hosts for v in (h, f"{h}:*")],
        allowed_origins=[v for h in hosts for v in (f"http://{h}", f"https://{h}",
                                                    f"http://{h}:*", f"https://{h}:*")],
    )


def add_health(mcp: MCPServer) -> None:
    @mcp.custom_route("/health", methods=["GET"])
    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "server": "katana-sn-mcp", "version": __version__})


def http_app(mcp: MCPServer, host: str) -> Starlette:
    add_health(mcp)
    return mcp.streamable_http_app(host=host, transport_security=security_for(host))


def run_http(mcp: MCPServer, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(http_app(mcp, host), host=host, port=port, log_level="warning")
