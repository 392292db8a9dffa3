"""The identity provider as this server sees it: its metadata and its signing keys.

Discovery follows OpenID Connect first (`<issuer>/.well-known/openid-configuration`), then
RFC 8414 (`https://host/.well-known/oauth-authorization-server/<issuer path>`), so issuers
with a path (Keycloak's `/realms/<name>`, Entra's `/<tenant>/v2.0`) work.

Keys: the JWKS is fetched with httpx and parsed by PyJWT (`PyJWKSet`). PyJWT's own
`PyJWKClient` is not used because it fetches synchronously (blocking the event loop) and
re-fetches for *every* unknown `kid`, which lets anyone with forged tokens make this server
hammer the provider. Here an unknown `kid` re-fetches at most once per `refetch_s`, all
concurrent requests share that one fetch, and the whole set is refreshed every `max_age_s`
anyway; a rotated key is therefore accepted within `refetch_s` (10 s) of its publication
(at once, if no unknown `kid` came in the 10 s before).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import jwt

log = logging.getLogger(__name__)
TIMEOUT_S = 10.0


class IssuerUnreachable(RuntimeError):
    """The provider's metadata or keys cannot be read (network, HTTP status, bad JSON).
    The message names the URL and what went wrong, never a token."""


def discovery_urls(issuer: str) -> list[str]:
    base = issuer.rstrip("/")
    url = urlsplit(base)
    path = url.path
    return [f"{base}/.well-known/openid-configuration",
            f"{url.scheme}://{url.netloc}/.well-known/oauth-authorization-server{path}"]


def _get_json(client: httpx.Client, url: str) -> dict[str, Any]:
    try:
        r = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise IssuerUnreachable(f"{url} cannot be reached ({type(exc).__name__})") from None
    if r.status_code != 200:
        raise IssuerUnreachable(f"{url} answered HTTP {r.status_code}")
    try:
        data = r.json()
    except ValueError:
        raise IssuerUnreachable(f"{url} did not answer JSON") from None
    if not isinstance(data, dict):
        raise IssuerUnreachable(f"{url} did not answer a JSON object")
    return data


def discover(issuer: str, client: httpx.Client | None = None) -> dict[str, Any]:
    """The provider's metadata. Its `issuer` must be the configured one (a trailing slash
    aside), as RFC 8414 §3.3 requires: otherwise tokens could never match."""
    own = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
    problems = []
    try:
        for url in discovery_urls(issuer):
            try:
                meta = _get_json(own, url)
            except IssuerUnreachable as exc:
                problems.append(str(exc))
                continue
            named = str(meta.get("issuer", ""))
            if named.rstrip("/") != issuer.rstrip("/"):
                raise IssuerUnreachable(f"{url} names issuer {named!r}, not the configured one; "
                                        "set KATANA_SN_MCP_OAUTH_ISSUER to exactly that value")
            if not isinstance(meta.get("jwks_uri"), str):
                raise IssuerUnreachable(f"{url} publishes no jwks_uri (signing keys)")
            return meta
    finally:
        if client is None:
            own.close()
    raise IssuerUnreachable("; ".join(problems))


@dataclass(frozen=True)
class SigningKey:
    """A published key and the algorithm it declares (`alg`), if any."""

    jwk: jwt.PyJWK
    alg: str | None


def parse_keys(data: dict[str, Any]) -> dict[str | None, SigningKey]:
    """Signing keys by `kid`; keys PyJWT cannot use (unknown kty, encryption keys,
    symmetric keys) are left out rather than failing the whole set."""
    keys: dict[str | None, SigningKey] = {}
    for raw in data.get("keys", []) if isinstance(data.get("keys"), list) else []:
        if not isinstance(raw, dict) or raw.get("use", "sig") != "sig" or raw.get("kty") == "oct":
            continue
        try:
            alg = raw.get("alg")
            keys[raw.get("kid")] = SigningKey(jwt.PyJWK.from_dict(raw),
                                              alg if isinstance(alg, str) else None)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return keys


@dataclass
class KeySet:
    """The provider's signing keys, cached; see the module docstring for the refresh rules."""

    jwks_uri: str
    refetch_s: float = 10.0
    max_age_s: float = 300.0
    clock: Callable[[], float] = time.monotonic
    keys: dict[str | None, SigningKey] = field(default_factory=dict)
    fetched_at: float | None = None  # last attempt, successful or not
    refetched_at: float | None = None  # last fetch an unknown kid caused (rate-limited)
    fetches: int = 0
    _lock: anyio.Lock | None = None

    def load_now(self) -> None:
        """At start-up, synchronously: unreachable is one clear line there."""
        with httpx.Client(timeout=TIMEOUT_S) as client:
            self._install(_get_json(client, self.jwks_uri))

    def _install(self, data: dict[str, Any]) -> None:
        self.keys = parse_keys(data)
        self.fetched_at = self.clock()
        self.fetches += 1

    async def _fetch(self) -> None:
        self.fetched_at = self.clock()  # failures count too: a dead provider is not hammered
        self.fetches += 1
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            try:
                r = await client.get(self.jwks_uri, headers={"Accept": "application/json"})
                data = r.json() if r.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                data = None
        if not isinstance(data, dict):
            raise IssuerUnreachable(f"the identity provider's signing keys ({self.jwks_uri}) "
                                    "cannot be read right now")
        self.keys = parse_keys(data)

    async def key_for(self, kid: str | None, *, doubt: bool = False) -> SigningKey | None:
        """The key a token names, re-fetching when it is unknown or in doubt (a signature
        that did not verify: the provider may have replaced the key under the same kid),
        both rate-limited, or when the set is old. None: the provider does not publish it.
        Raises IssuerUnreachable only when a fetch was needed and failed."""
        self._lock = self._lock or anyio.Lock()
        now = self.clock()
        stale = self.fetched_at is None or now - self.fetched_at >= self.max_age_s
        if kid in self.keys and not stale and not doubt:
            return self.keys[kid]
        async with self._lock:  # concurrent requests share one fetch
            now = self.clock()
            stale = self.fetched_at is None or now - self.fetched_at >= self.max_age_s
            unknown = (kid not in self.keys or doubt) and (
                self.refetched_at is None or now - self.refetched_at >= self.refetch_s)
            if stale or unknown:
                if unknown:
                    self.refetched_at = now
                try:
                    await self._fetch()
                except IssuerUnreachable:
                    if kid in self.keys:
                        log.warning("identity provider keys could not be refreshed; using the "
                                    "cached ones")
                        return self.keys[kid]
                    raise
        return self.keys.get(kid)
