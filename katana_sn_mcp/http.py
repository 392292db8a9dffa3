"""Streamable HTTP transport for a shared, team-wide server.

Safe by default: binds to 127.0.0.1; refuses a non-local bind unless a bearer token is
configured; checks the token in constant time; keeps the SDK's Host/Origin (DNS-rebinding)
protection on everywhere, with an allow-list that actually works for a 0.0.0.0 bind.
`/health` (alive) and `/ready` (Redis reachable, Katana budget left) are open: they reveal
nothing but the version and a count. All sessions share the one Katana client and pacer
made in the server's lifespan.

Sessions cannot exhaust the server: the SDK bounds them in total and expires idle ones
(`HttpOptions`), and the gate bounds them per token (`tokens.SessionQuota`). Stateless
mode (`--stateless`, for replicas behind a load balancer without sticky sessions) holds
none at all.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from katana_sn_mcp import __version__, redact
from katana_sn_mcp.tokens import PRINCIPAL_KEY, SCOPE_KEY, SessionQuota, TokenBook

if TYPE_CHECKING:
    from katana_sn_mcp.oauth import OAuthSetup

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})
OPEN_PATHS = frozenset({"/health", "/ready"})
TOKEN_HELP = ("missing or wrong bearer token; set 'Authorization: Bearer <the value of "
              "KATANA_SN_MCP_TOKEN on the server>'")


class RefusedBind(RuntimeError):
    """A non-local bind without a token would put Katana write access on the network."""


def check_bind(host: str, token: str | TokenBook | None) -> None:
    if host not in LOCAL_HOSTS and not token:
        raise RefusedBind(
            f"Refusing to listen on {host}: anyone who can reach it could change Katana stock "
            "records. Set KATANA_SN_MCP_TOKEN to a long random secret (clients then send "
            "'Authorization: Bearer <token>'), or bind to 127.0.0.1."
        )


@dataclass(frozen=True)
class HttpOptions:
    """How the HTTP transport holds sessions. Stateless: none at all (any replica answers
    any request). Stateful: at most `max_sessions` in total and `per_token` per token name,
    each ended after `idle_s` without a request (the SDK's default, 30 minutes and 10,000
    sessions, lets abandoned sessions pile up to hundreds of megabytes)."""

    stateless: bool = False
    max_sessions: int = 500
    per_token: int = 50
    idle_s: float = 300.0


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope.get("headers", []) if k == name), None)


class BearerTokenGate:
    """Pure-ASGI wrapper: every HTTP/WebSocket request except the open paths must carry
    `Authorization: Bearer <token>` for a token in the book. A 401 says plainly what to
    send, and names no OAuth metadata. Lifespan events pass straight through: the SDK's
    session manager runs there.

    An accepted request carries the token's name in `scope["state"]` (for the journal) and
    as `scope["user"]`, so the SDK binds each session to the person who opened it."""

    def __init__(self, app: ASGIApp, token: str | TokenBook,
                 quota: SessionQuota | None = None) -> None:
        self.app = app
        self.book = token if isinstance(token, TokenBook) else TokenBook(token)
        self.quota = quota

    def _name(self, scope: Scope) -> str | None:
        value = _header(scope, b"authorization")
        if value is None or value[:7].lower() != b"bearer ":  # scheme is case-insensitive
            return None
        return self.book.lookup(value[7:])  # the token itself is compared exactly

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        name = self._name(scope)
        if name is None:
            await self._refuse(scope, send)
            return
        state = scope.setdefault("state", {})
        state[SCOPE_KEY], state[PRINCIPAL_KEY] = name, json.dumps(["token", name])
        scope["user"] = AuthenticatedUser(AccessToken(token="", client_id=f"token:{name}",
                                                      scopes=[], subject=name))
        if self.quota is None or scope["type"] != "http":
            await self.app(scope, receive, send)
        else:
            await self._counted(self.quota, name, scope, receive, send)

    async def _counted(self, quota: SessionQuota, name: str, scope: Scope, receive: Receive,
                       send: Send) -> None:
        """Refuse a new session over the token's quota; follow the ones it opens and ends."""
        sid = (_header(scope, b"mcp-session-id") or b"").decode("latin-1")
        if not sid and scope["method"] == "POST" and not quota.admit(name):
            await _json(send, 503, {"jsonrpc": "2.0", "id": None, "error": {
                "code": -32603, "message": f"Too many open sessions for this token (at most "
                f"{quota.per_token}); close unused ones or wait for them to expire"}})
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                opened = dict(message.get("headers", [])).get(b"mcp-session-id")
                if opened and not sid and message["status"] < 400:
                    quota.opened(name, opened.decode("latin-1"))
            await send(message)

        quota.begin(name, sid)
        try:
            await self.app(scope, receive, watch)
        finally:
            gone = scope["method"] == "DELETE" or (status[:1] == [404])
            quota.end(name, sid, gone=gone)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _json(send, 401, {"error": "invalid_token", "error_description": TOKEN_HELP},
                    [(b"www-authenticate",
                      f'Bearer error="invalid_token", error_description="{TOKEN_HELP}"'.encode())])


async def _json(send: Send, status: int, payload: dict[str, Any],
                extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *(extra or [])]})
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


def security_for(host: str, extra: list[str] | None = None) -> TransportSecuritySettings | None:
    """Localhost: the SDK's own protection (None turns it on). Elsewhere: an explicit
    allow-list, each name with any port (a port proves nothing against DNS rebinding,
    and a proxy or container may map it). `extra`: with OAuth, the public URL's host."""
    extra = [h for h in extra or [] if h not in LOCAL_HOSTS]
    if host in LOCAL_HOSTS and not extra:
        return None
    base = allowed_names(host) + (["127.0.0.1", "localhost", "[::1]"] if host in LOCAL_HOSTS else [])
    names = list(dict.fromkeys([*base, *extra]))
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


Readiness = Callable[[], Awaitable[dict[str, Any]]]


def add_health(mcp: MCPServer, ready: Readiness | None = None) -> None:
    @mcp.custom_route("/health", methods=["GET"])
    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "server": "katana-sn-mcp", "version": __version__})

    @mcp.custom_route("/ready", methods=["GET"])
    async def readiness(_: Request) -> JSONResponse:
        """For a load balancer: 503 while the shared store is unreachable (every call would
        fail), 200 with the Katana budget left otherwise (a spent budget only delays)."""
        facts = await ready() if ready is not None else {"status": "ready"}
        return JSONResponse(facts, status_code=200 if facts.get("status") == "ready" else 503)


def http_app(mcp: MCPServer, host: str, token: str | TokenBook | None, *,
             options: HttpOptions | None = None, ready: Readiness | None = None,
             oauth: OAuthSetup | None = None) -> ASGIApp:
    """`oauth`: the OAuth resource server (katana_sn_mcp.oauth) instead of a static token."""
    options = options or HttpOptions()
    add_health(mcp, ready)
    kw: dict[str, Any] = ({"stateless_http": True} if options.stateless else
                          {"max_sessions": options.max_sessions,
                           "session_idle_timeout": options.idle_s})
    extra = [oauth.public_host] if oauth is not None and oauth.public_host else []
    app = mcp.streamable_http_app(host=host, transport_security=security_for(host, extra), **kw)
    quota = None if options.stateless else SessionQuota(options.per_token, options.idle_s)
    if oauth is not None:
        from katana_sn_mcp.oauth import protect

        return protect(app, oauth, quota)
    if isinstance(token, TokenBook) and not token.configured:
        token = None
    if not token:
        return app
    return BearerTokenGate(app, token, quota)


def run_http(mcp: MCPServer, host: str, port: int, token: str | TokenBook | None, *,
             options: HttpOptions | None = None, ready: Readiness | None = None,
             oauth: OAuthSetup | None = None) -> None:
    """`token` is required positionally so a caller cannot forget it and serve openly."""
    import uvicorn

    if oauth is None:
        check_bind(host, token if not isinstance(token, TokenBook) or token.configured else None)
    port_free(host, port)  # before announcing: a port in use is one line and exit 2
    redact.say(startup_line(host, port))
    if oauth is not None:
        redact.say(f"katana-sn-mcp: OAuth on: accepting access tokens from {oauth.issuer} "
                   f"for {oauth.public_url}")
    # log_config=None: uvicorn keeps its hands off logging, so our root handler (which
    # redacts secrets) sees uvicorn's records too. uvicorn binds the socket itself: handing
    # it a pre-bound one cost every direct call ~40 ms (measured with bench/replicas.py).
    uvicorn.run(http_app(mcp, host, token, options=options, ready=ready, oauth=oauth), host=host,
                port=port, log_level="warning", log_config=None)


def port_free(host: str, port: int) -> None:
    """Bind once and let go, so "address already in use" stops start-up with one sentence
    instead of a "serving on" line followed by uvicorn's error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            redact.say(f"katana-sn-mcp: cannot listen on {host}:{port}: {exc.strerror}; pick "
                       "another --port")
            raise SystemExit(2) from None