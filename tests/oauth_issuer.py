"""A small identity provider for the OAuth refusal tests: real HTTP on loopback, serving
discovery metadata and a JWKS of real keys (made with `cryptography`), and minting tokens
of every kind with PyJWT. It counts JWKS fetches and can be taken down."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


@dataclass
class Key:
    kid: str
    alg: str
    private: Any

    @classmethod
    def rsa(cls, kid: str) -> Key:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> Key:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        algo = RSAAlgorithm if self.alg.startswith("RS") else ECAlgorithm
        out = json.loads(algo.to_jwk(self.private.public_key()))
        return {**out, "kid": self.kid, "use": "sig", "alg": self.alg}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass
class Issuer:
    url: str = ""
    path: str = ""  # a Keycloak-style issuer path, e.g. /realms/team
    keys: list[Key] = field(default_factory=list)
    jwks_fetches: int = 0
    down: bool = False
    rfc8414_only: bool = False

    def token(self, audience: str | list[str], scope: str | None = "serials:read", *,
              key: Key | None = None, typ: str | None = "at+jwt", lifetime: int = 300,
              **claims: Any) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.url, "aud": audience, "sub": "u-123", "iat": now,
                                "exp": now + lifetime, "client_id": "claude",
                                "email": "ada@example.com"}
        if scope is not None:
            body["scope"] = scope
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        headers = {"kid": key.kid, **({"typ": typ} if typ else {})}
        return jwt.encode(body, key.private, algorithm=key.alg, headers=headers)

    def metadata(self) -> dict[str, Any]:
        return {"issuer": self.url, "jwks_uri": f"{self.url}/jwks",
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token", "response_types_supported": ["code"]}


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(claims)}."


def hs256_with(secret: bytes, claims: dict[str, Any], kid: str) -> str:
    """The classic confusion attack: HMAC keyed with the provider's *public* key."""
    head = unsigned(claims, {"alg": "HS256", "typ": "JWT", "kid": kid})[:-1]
    sig = hmac.new(secret, head.encode(), hashlib.sha256).digest()
    return head + "." + base64.urlsafe_b64encode(sig).decode().rstrip("=")


@contextmanager
def running_issuer(path: str = "", rfc8414_only: bool = False) -> Iterator[Issuer]:
    issuer = Issuer(path=path, keys=[Key.rsa("key-1"), Key.ec("key-ec")], rfc8414_only=rfc8414_only)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if issuer.down:
                self.send_response(503)
                self.end_headers()
                return
            base = issuer.path
            oidc = f"{base}/.well-known/openid-configuration"
            rfc = f"/.well-known/oauth-authorization-server{base}"
            if (self.path == oidc and not issuer.rfc8414_only) or self.path == rfc:
                self._send(issuer.metadata())
            elif self.path == f"{base}/jwks":
                issuer.jwks_fetches += 1
                self._send({"keys": [k.jwk() for k in issuer.keys]})
            else:
                self.send_response(404)
                self.end_headers()

        def _send(self, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
