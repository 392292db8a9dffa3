"""Access-token validation: a JWT from the configured issuer, for this server, still valid.

PyJWT does the parsing and the signature check; this module only decides what is
acceptable. Only asymmetric algorithms are allowed, and the algorithm must fit the key the
token names: `none` and every HS* are refused before any key is looked at, which also
defeats the old trick of an HS256 token "signed" with the provider's public key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from katana_sn_mcp.oauth.issuer import IssuerUnreachable, KeySet

ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA")
TYPES = ("jwt", "at+jwt", "application/jwt", "application/at+jwt")  # RFC 9068 or plain
LEEWAY_S = 60
SCOPES = ("serials:read", "serials:write", "serials:delete")
FALLBACK_CLAIMS = ("email", "preferred_username", "sub")


class Refused(Exception):
    """Why a token is not accepted, in words safe to send back (no token, no claim value)."""


class BadSignature(Exception):
    """The signature did not verify with the cached key (worth one re-read of the keys)."""


@dataclass(frozen=True)
class Caller:
    """What the call sees of a token: who, through which claim, and the granted scopes."""

    person: str
    claim: str
    scopes: frozenset[str]
    subject: str
    client_id: str
    claims: dict[str, Any]
    expires_at: int | None


def scopes_of(claims: dict[str, Any]) -> frozenset[str]:
    """`scope` (RFC 9068, space-separated) and `scp` (Okta: a list; Entra: a string)."""
    found: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return frozenset(found)


def person_of(claims: dict[str, Any], preferred: str) -> tuple[str, str]:
    """(person, the claim that named them): the configured claim, then email,
    preferred_username and sub."""
    for name in dict.fromkeys((preferred, *FALLBACK_CLAIMS)):
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip(), name
    raise Refused("the token names no person (no sub claim)")


@dataclass
class JwtVerifier:
    """Validates bearer JWTs for `audience` (KATANA_SN_MCP_PUBLIC_URL) from `issuer`."""

    issuer: str
    audience: str
    keys: KeySet
    person_claim: str = "email"

    async def check(self, token: str) -> Caller:
        """The caller, or Refused with a reason; IssuerUnreachable when the keys are needed
        and cannot be read."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Refused("the bearer token is not a well-formed JWT") from None
        alg = header.get("alg")
        if alg not in ASYMMETRIC:
            raise Refused("the token's signing algorithm is not accepted (asymmetric keys only)")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in TYPES):
            raise Refused("the token's type is not an access token (typ JWT or at+jwt)")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise Refused("the token's key id is not a string")
        try:
            claims = self._decode(token, await self._key(kid, alg), alg)
        except BadSignature:  # maybe replaced under the same kid: one (rate-limited) re-read
            try:
                claims = self._decode(token, await self._key(kid, alg, doubt=True), alg)
            except BadSignature:
                raise Refused("the token's signature does not verify") from None
        person, claim = person_of(claims, self.person_claim)
        exp = claims.get("exp")
        return Caller(person=person, claim=claim, scopes=scopes_of(claims),
                      subject=str(claims.get("sub", person)),
                      client_id=str(claims.get("client_id") or claims.get("azp") or "oauth"),
                      claims=claims, expires_at=int(exp) if isinstance(exp, int | float) else None)

    async def _key(self, kid: str | None, alg: str, doubt: bool = False) -> jwt.PyJWK:
        key = await self.keys.key_for(kid, doubt=doubt)
        if key is None and kid is None and len(self.keys.keys) == 1:
            key = next(iter(self.keys.keys.values()))
        if key is None:
            raise Refused("the token is signed with a key the identity provider does not publish")
        if key.alg is not None and key.alg != alg:
            raise Refused("the token's algorithm does not match its key")
        return key.jwk

    def _decode(self, token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
        audiences = list(dict.fromkeys([self.audience, self.audience.rstrip("/"),
                                        self.audience.rstrip("/") + "/"]))
        try:
            return jwt.decode(token, key=key.key, algorithms=[alg], audience=audiences,
                              issuer=self.issuer, leeway=LEEWAY_S,
                              options={"require": ["exp", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise Refused("the token has expired; sign in again") from None
        except jwt.ImmatureSignatureError:
            raise Refused("the token is not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise Refused(f"the token is not issued for this server (aud must contain "
                          f"{self.audience})") from None
        except jwt.InvalidIssuerError:
            raise Refused(f"the token is not issued by {self.issuer}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Refused(f"the token has no {exc.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise BadSignature() from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Refused("the token cannot be verified") from None

    async def verify_token(self, token: str) -> Any:
        """The SDK's `TokenVerifier` protocol, for callers that want an `AccessToken`."""
        from katana_sn_mcp.oauth.gate import access_token

        try:
            return access_token(await self.check(token), token)
        except (Refused, IssuerUnreachable):
            return None

