"""Streamable HTTP transport for a shared, team-wide server.

Safe by default: binds to 127.0.0.1; refuses a non-local bind unless a bearer token is
configured; checks the token in constant time; keeps the SDK's Host/Origin (DNS-rebinding)
protection on everywhere, with an allow-list that actually works for a 0.0.0.0 bind.
`/health` is open (it reveals nothing but the version). All sessions share the one
Katana client and pacer made in the server's lifespan.
"""

from __future__ import annotations

import hmac
import json
import os
import socket

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from katana_sn_mcp import __version__, redact

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})
OPEN_PATHS = frozenset({"/health"})
TOKEN_HELP = ("missing or wrong bearer token; set 'Authorization: Bearer <the value of "
              "KATANA_SN_MCP_TOKEN on the server>'")


class RefusedBind(RuntimeError):
    """A non-local bind without a token would put Katana write access on the network."""


def check_bind(host: str, token: str | None) -> None:
    if host not in LOCAL_HOSTS and not token:
        raise RefusedBind(
            f"Refusing to listen on {host}: anyone who can reach it could change Katana stock "
            "records. Set KATANA_SN_MCP_TOKEN to a long random secret (clients then send "
            "'Authorization: Bearer <token>'), or bind to 127.0.0.1."
        )


class BearerTokenGate:
    """Pure-ASGI wrapper: every HTTP/WebSocket request except `/health` must carry
    `Authorization: Bearer <token>`. A 401 says plainly what to send, and names no OAuth
    metadata. Lifespan events pass straight through: the SDK's session manager runs there."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"bearer {token}".encode()

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                # scheme is case-insensitive; the token itself is compared exactly
                given = value[:7].lower() + value[7:]
                return hmac.compare_digest(given, self._expected)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS
                or self._authorized(scope)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"error": "invalid_token", "error_description": TOKEN_HELP}).encode()
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate",
             f'Bearer error="invalid_token", error_description="{TOKEN_HELP}"'.encode()),
        ]})
        await send({"type": "http.response.body", "body": body})


def allowed_names(host: str) -> list[str]:
    """The Host names clients may use. All interfaces: loopback names, this machine's
    hostname and FQDN, plus KATANA_SN_MCP_ALLOWED_HOSTS; a specific address: itself plus
    those extras. Without this, a 0.0.0.0 bind leaves the SDK's allow-list empty and every
    MCP request is answered 421."""
    extra = [h.strip() for h in os.environ.get("KATANA_SN_MCP_ALLOWED_HOSTS", "").split(",")]
    if host in ALL_INTERFACES:
        base = ["localhost", "127.0.0.1", "::1", socket.gethostname(), socket.getfqdn()]
    else:
        base = [host]
    names: list[str] = []
    for h in [*base, *extra]:
        h = f"[{h}]" if h.count(":") > 1 and not h.startswith("[") else h  # bare IPv6
        if h and h not in names:
            names.append(h)
    return names


def security_for(host: str) -> TransportSecuritySettings | None:
    """Localhost: the SDK's own protection (None turns it on). Elsewhere: an explicit
    allow-list, each name with any port (a port proves nothing against DNS rebinding,
    and a proxy or container may map it)."""
    if host in LOCAL_HOSTS:
        return None
    names = allowed_names(host)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[v for h in names for v in (h, f"{h}:*")],
        allowed_origins=[v for h in names for v in (f"http://{h}", f"https://{h}",
                                                    f"http://{h}:*", f"https://{h}:*")],
    )


def startup_line(host: str, port: int) -> str:
    """What an operator needs to connect a client: the URL(s) and the Host names accepted.
    Goes to stderr (stdout is not ours to use); never contains the token."""
    if host in LOCAL_HOSTS:
        shown = "[::1]" if host == "::1" else host
        return f"katana-sn-mcp: serving MCP on http://{shown}:{port}/mcp (this machine only)"
    names = allowed_names(host)
    first = socket.gethostname() if host in ALL_INTERFACES else names[0]
    urls = [f"http://{u}:{port}/mcp" for u in dict.fromkeys([first, names[0]])]
    return (f"katana-sn-mcp: serving MCP on {' and '.join(urls)} (accepting Host: "
            f"{', '.join(names)}; add more with KATANA_SN_MCP_ALLOWED_HOSTS)")


def add_health(mcp: MCPServer) -> None:
    @mcp.custom_route("/health", methods=["GET"])
    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "server": "katana-sn-mcp", "version": __version__})


def http_app(mcp: MCPServer, host: str, token: str | None) -> ASGIApp:
    add_health(mcp)
    app = mcp.streamable_http_app(host=host, transport_security=security_for(host))
    return BearerTokenGate(app, token) if token else app


def run_http(mcp: MCPServer, host: str, port: int, token: str | None) -> None:
    """`token` is required positionally so a caller cannot forget it and serve openly."""
    import uvicorn

    check_bind(host, token)
    redact.say(startup_line(host, port))
    # log_config=None: uvicorn keeps its hands off logging, so our root handler (which
    # redacts secrets) sees uvicorn's records too.
    uvicorn.run(http_app(mcp, host, token), host=host, port=port, log_level="warning",
                log_config=None)
