"""OAuth 2.1 resource server for `serve --http` (README "Connect Claude's apps (OAuth
connector)"): on when KATANA_SN_MCP_OAUTH_ISSUER is set. This project issues no tokens:
it validates the ones the company's identity provider issues.

Imported only when OAuth is on, so a stdio start never loads PyJWT or cryptography.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from mcp.server.auth.routes import build_resource_metadata_url
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from katana_sn_mcp.oauth.issuer import IssuerUnreachable, KeySet, discover
from katana_sn_mcp.oauth.verifier import SCOPES, JwtVerifier
from katana_sn_mcp.tokens import SessionQuota

ROOT_METADATA = "/.well-known/oauth-protected-resource"


class OAuthSetupError(RuntimeError):
    """OAuth cannot start: a missing or conflicting setting, or an unreachable provider.
    One line, for stderr."""


@dataclass
class OAuthSetup:
    issuer: str  # exactly as the provider's metadata spells it (tokens' iss must match)
    public_url: str
    verifier: JwtVerifier

    @property
    def metadata_url(self) -> str:
        return str(build_resource_metadata_url(AnyHttpUrl(self.public_url)))

    @property
    def public_host(self) -> str | None:
        return urlsplit(self.public_url).hostname


def prepare(issuer: str, public_url: str | None, person_claim: str, *,
            static_tokens: bool) -> OAuthSetup:
    """Check the settings and read the provider's metadata and keys now, so a mistake or
    an unreachable provider stops start-up with one line instead of failing every call."""
    if static_tokens:
        raise OAuthSetupError(
            "KATANA_SN_MCP_OAUTH_ISSUER is set together with KATANA_SN_MCP_TOKEN or "
            "KATANA_SN_MCP_TOKENS_FILE; use one way of signing in: unset the token variables "
            "(OAuth names each person) or unset KATANA_SN_MCP_OAUTH_ISSUER")
    if not public_url:
        raise OAuthSetupError(
            "KATANA_SN_MCP_OAUTH_ISSUER is set but KATANA_SN_MCP_PUBLIC_URL is not; set it to "
            "the MCP endpoint as clients reach it, e.g. https://mcp.example.com/mcp (tokens "
            "must be issued for exactly that audience)")
    try:
        meta = discover(issuer)
        keys = KeySet(meta["jwks_uri"])
        keys.load_now()
    except IssuerUnreachable as exc:
        raise OAuthSetupError(f"the OAuth issuer cannot be used: {exc}; check "
                              "KATANA_SN_MCP_OAUTH_ISSUER and that the provider is up") from None
    named = str(meta["issuer"])
    return OAuthSetup(named, public_url, JwtVerifier(named, public_url, keys, person_claim))


def metadata(setup: OAuthSetup) -> dict[str, object]:
    """RFC 9728 protected resource metadata. Written out here rather than through the
    SDK's route, whose URL type adds a trailing slash to a path-less issuer, and RFC 8414
    compares issuers as exact strings."""
    return {"resource": setup.public_url, "authorization_servers": [setup.issuer],
            "scopes_supported": list(SCOPES), "bearer_methods_supported": ["header"],
            "resource_name": "katana-sn-mcp"}


def protect(app: Starlette, setup: OAuthSetup, quota: SessionQuota | None) -> ASGIApp:
    """Serve the metadata (path form, RFC 9728 §3.1, and the root form older clients try)
    and put the gate in front of everything but those and /health, /ready."""
    from katana_sn_mcp.oauth.gate import OAuthGate

    document = metadata(setup)

    async def handle(_: Request) -> Response:
        return JSONResponse(document, headers={"Cache-Control": "public, max-age=3600",
                                               "Access-Control-Allow-Origin": "*"})

    paths = {urlsplit(setup.metadata_url).path, ROOT_METADATA}
    app.router.routes[:0] = [Route(p, handle, methods=["GET"]) for p in sorted(paths)]
    return OAuthGate(app, setup.verifier, setup.metadata_url, frozenset(paths), quota)
