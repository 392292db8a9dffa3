"""The HTTP edge of the OAuth resource server: who is calling, and may they do this.

Why not the SDK's `RequireAuthMiddleware`: it checks one scope list for the whole `/mcp`
endpoint, while a read-only token must be able to list serial numbers yet not delete them;
and it answers every verifier failure with the same 401, where an unreachable provider
should say so (503). So the gate is ours, built from the SDK's parts: its `AccessToken` and
`AuthenticatedUser` (session ownership and `get_access_token()` keep working), and its RFC
9728 metadata route.

The scope a request needs is read from its JSON-RPC body before anything else sees it: a
refused request reaches neither the MCP server nor Katana.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from katana_sn_mcp.http import OPEN_PATHS, BearerTokenGate, _header, _json
from katana_sn_mcp.oauth.issuer import IssuerUnreachable
from katana_sn_mcp.oauth.verifier import SCOPES, Caller, JwtVerifier, Refused
from katana_sn_mcp.tokens import CLAIM_KEY, PRINCIPAL_KEY, SCOPE_KEY, SessionQuota

READ, WRITE, DELETE = SCOPES
TOOL_SCOPES = {"list_serial_numbers": READ, "verify_serial_numbers": READ,
               "find_serial_numbers": READ, "create_serial_numbers": WRITE,
               "delete_serial_numbers": DELETE}
# Any valid token may open a session, ping and see the tools (so a host can show what a
# sign-in with more scopes would allow); everything else reads Katana or our records.
OPEN_METHODS = frozenset({"initialize", "ping", "tools/list", "server/discover",
                          "logging/setLevel", "subscriptions/listen"})
MAX_BODY = 4 * 1024 * 1024  # the SDK's own limit on a request body


def scope_for(message: Any) -> str | None:
    """The scope one JSON-RPC message needs; None for open methods and for responses
    (a client answering the server's question)."""
    if not isinstance(message, dict) or not isinstance(method := message.get("method"), str):
        return None
    if method in OPEN_METHODS or method.startswith("notifications/"):
        return None
    if method == "tools/call":
        params = message.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        # a tool missing from the table (one added later) needs the strictest scope, never read
        return TOOL_SCOPES.get(name, DELETE) if isinstance(name, str) else DELETE
    return READ  # resources, prompts, completion: what Katana or the journal holds


def scopes_needed(body: bytes) -> list[str]:
    """Every scope a request body needs (JSON-RPC batches included), in SCOPES order.
    A body that is not JSON needs none here: the SDK refuses it without reading Katana."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return []
    found = {scope_for(m) for m in (parsed if isinstance(parsed, list) else [parsed])}
    return [s for s in SCOPES if s in found]


def access_token(caller: Caller, token: str) -> AccessToken:
    """The SDK's view of the caller: (client, issuer, subject) identify the principal that
    owns a session. The token itself is not kept (`token=""`)."""
    del token
    return AccessToken(token="", client_id=caller.client_id, scopes=sorted(caller.scopes),
                       expires_at=caller.expires_at, subject=caller.subject,
                       claims={"iss": caller.claims.get("iss")})


class OAuthGate(BearerTokenGate):
    """Pure ASGI, like the static-token gate it extends (same open paths, same per-person
    session quota, keyed by the person here)."""

    def __init__(self, app: ASGIApp, verifier: JwtVerifier, metadata_url: str,
                 open_paths: frozenset[str], quota: SessionQuota | None = None) -> None:
        self.app, self.verifier, self.quota = app, verifier, quota
        self.metadata_url = metadata_url
        self.open_paths = OPEN_PATHS | open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        value = _header(scope, b"authorization")
        if value is None or value[:7].lower() != b"bearer " or not value[7:].strip():
            await self._challenge(scope, send, None)
            return
        try:
            caller = await self.verifier.check(value[7:].strip().decode("latin-1"))
        except Refused as exc:
            await self._challenge(scope, send, str(exc))
            return
        except IssuerUnreachable as exc:
            await self._unavailable(scope, send, str(exc))
            return
        if scope["type"] == "http" and scope["method"] == "POST":
            body = await _read_body(receive)
            if body is None:
                await _json(send, 413, {"error": "request_too_large", "error_description":
                                        f"request body over {MAX_BODY} bytes"})
                return
            missing = [s for s in scopes_needed(body) if s not in caller.scopes]
            if missing:
                await self._forbidden(send, missing)
                return
            receive = _replay(body, receive)
        state = scope.setdefault("state", {})
        state[SCOPE_KEY], state[CLAIM_KEY] = caller.person, caller.claim
        state[PRINCIPAL_KEY] = json.dumps(["oauth", caller.claims.get("iss"), caller.subject])
        user = AuthenticatedUser(access_token(caller, ""))
        scope["user"] = user
        reset = auth_context_var.set(user)  # get_access_token() inside the server
        try:
            if self.quota is None or scope["type"] != "http":
                await self.app(scope, receive, send)
            else:
                await self._counted(self.quota, caller.person, scope, receive, send)
        finally:
            auth_context_var.reset(reset)

    async def _challenge(self, scope: Scope, send: Send, problem: str | None) -> None:
        """RFC 6750 / RFC 9728: why, the metadata URL, and the scopes to ask for."""
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if problem is None:
            problem = ("sign in required: send 'Authorization: Bearer <access token>' from the "
                       "identity provider named in the resource metadata")
        # error= also without a token, as the SDK's own resource server and clients expect
        parts = ['error="invalid_token"', f'error_description="{problem}"',
                 f'resource_metadata="{self.metadata_url}"', f'scope="{" ".join(SCOPES)}"']
        await _json(send, 401, {"error": "invalid_token", "error_description": problem},
                    [(b"www-authenticate", ("Bearer " + ", ".join(parts)).encode())])

    async def _forbidden(self, send: Send, missing: list[str]) -> None:
        """The spec's step-up: the client may ask the person to grant `scope` and retry."""
        needed = " ".join(missing)
        why = f"this call needs the {needed} scope, which the access token does not carry"
        await _json(send, 403, {"error": "insufficient_scope", "error_description": why,
                                "scope": needed},
                    [(b"www-authenticate", (f'Bearer error="insufficient_scope", scope="{needed}", '
                                            f'resource_metadata="{self.metadata_url}", '
                                            f'error_description="{why}"').encode())])

    async def _unavailable(self, scope: Scope, send: Send, problem: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})
            return
        await _json(send, 503, {"error": "temporarily_unavailable", "error_description":
                                f"the access token cannot be checked: {problem}; try again "
                                "shortly"}, [(b"retry-after", b"10")])


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once, as the app expects it; then the client's own events (disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
