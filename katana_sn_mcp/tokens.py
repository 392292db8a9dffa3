"""Who is calling: per-person bearer tokens, and how many sessions each may hold.

A team server needs to say who made a change, and to revoke one person without
re-keying everyone. `KATANA_SN_MCP_TOKENS_FILE` lists one `name:sha256hex` line per
person (the SHA-256 of their token, made with `printf %s "$token" | sha256sum`), so the
file holds no usable secret; it is re-read when its modification time changes, so adding
or revoking someone needs no restart. The single `KATANA_SN_MCP_TOKEN` still works beside
it, under the name `team`.

The name of the token that authenticated a request is put in the ASGI scope
(`scope["state"]["katana_sn_mcp.token_name"]`), which a tool reads back through
`caller_name(ctx.request_context.request)`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
SCOPE_KEY = "katana_sn_mcp.token_name"  # the person: a token's name, or OAuth's claim value
CLAIM_KEY = "katana_sn_mcp.person_claim"  # OAuth: which token claim named the person
PRINCIPAL_KEY = "katana_sn_mcp.principal"  # who a sealed confirmation is bound to
SINGLE_NAME = "team"
MIN_LENGTH = 32
_LINE = re.compile(r"^(?P<name>[A-Za-z0-9._@+-]{1,64})\s*:\s*(?P<hash>[0-9a-fA-F]{64})$")


def weak_token_problem(token: str) -> str | None:
    """Why a token is too weak to put Katana write access on a network; never the value."""
    if not token.strip():
        return "is empty or only whitespace"
    if len(token) < MIN_LENGTH:
        return (f"is shorter than {MIN_LENGTH} characters, short enough to guess; make one "
                "with `openssl rand -hex 32`")
    return None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokensFileError(RuntimeError):
    """A token or the tokens file cannot be used at start-up (names the variable or the
    line, never a value)."""


def book_for(single: str | None, path: Path | None, *, local: bool) -> TokenBook:
    """The start-up check and the book: on every bind, loopback included, the single token
    must be long enough to resist guessing. Length matters on loopback too: the token is
    redacted out of every answer, so a short one that is an ordinary word (`Katana`) would
    be cut out of result text and links (`[redacted]://results/…`). (File tokens are only
    hashes here: the README says how to make long ones.) `local` no longer changes the
    rule; it is kept for the callers that say where they bind."""
    del local
    if single is not None and (problem := weak_token_problem(single)):
        raise TokensFileError(f"KATANA_SN_MCP_TOKEN {problem}")
    return TokenBook(single, path)


def parse(text: str) -> tuple[dict[str, str], list[int]]:
    """{sha256hex: name} and the numbers of the lines that are not `name:sha256hex`.
    Blank lines and `#` comments are allowed."""
    entries: dict[str, str] = {}
    bad: list[int] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            bad.append(number)
            continue
        entries[match["hash"].lower()] = match["name"]
    return entries, bad


class TokenBook:
    """The accepted tokens: the single token and the file's, the file re-read on change.

    A presented token is hashed and compared against every hash in constant time, so
    neither timing nor the file reveals a token."""

    def __init__(self, single: str | None = None, path: Path | None = None) -> None:
        self._single = single.encode() if single else None
        self.path = path
        self._entries: dict[str, str] = {}
        self._stamp: tuple[float, int] | None = None
        if path is not None:
            self._load(strict=True)

    def _load(self, strict: bool = False) -> None:
        assert self.path is not None
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime, stat.st_size)
            if stamp == self._stamp:
                return
            entries, bad = parse(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            if strict:
                raise TokensFileError(f"KATANA_SN_MCP_TOKENS_FILE cannot be read "
                                      f"({type(exc).__name__})") from exc
            log.warning("tokens file unreadable (%s): no per-person token is accepted until "
                        "it is fixed", type(exc).__name__)
            self._entries, self._stamp = {}, None  # fail closed: revocation must hold
            return
        if bad and strict:
            raise TokensFileError(f"KATANA_SN_MCP_TOKENS_FILE line(s) {bad} are not "
                                  "`name:sha256hex` (hex of `printf %s \"$token\" | sha256sum`)")
        if bad:
            log.warning("tokens file: ignoring line(s) %s (not `name:sha256hex`)", bad)
        self._entries, self._stamp = entries, stamp
        log.info("tokens file loaded: %d name(s)", len(set(entries.values())))

    @property
    def configured(self) -> bool:
        return self._single is not None or self.path is not None

    def lookup(self, presented: bytes) -> str | None:
        """The name for a presented token, or None. Checks every entry (constant time)."""
        if self.path is not None:
            self._load()
        found: str | None = None
        if self._single is not None and hmac.compare_digest(presented, self._single):
            found = SINGLE_NAME
        given = hashlib.sha256(presented).hexdigest()
        for known, name in self._entries.items():
            if hmac.compare_digest(given, known) and found is None:
                found = name
        return found


def _state(request: object | None) -> dict[str, object]:
    scope = getattr(request, "scope", None)
    state = scope.get("state") if isinstance(scope, dict) else None
    return state if isinstance(state, dict) else {}


def caller_name(request: object | None) -> str | None:
    """The person behind the HTTP request of a tool call (`ctx.request_context.request`):
    the token's name, or with OAuth the claim that names them; None over stdio or
    without tokens."""
    value = _state(request).get(SCOPE_KEY)
    return value if isinstance(value, str) else None


def person_claim(request: object | None) -> dict[str, str]:
    """With OAuth, `{"person_claim": <claim>}` for the journal; otherwise nothing."""
    value = _state(request).get(CLAIM_KEY)
    return {"person_claim": value} if isinstance(value, str) else {}


def principal(request: object | None) -> str | None:
    """Who the request was authenticated as, for binding a confirmation to that person."""
    value = _state(request).get(PRINCIPAL_KEY)
    return value if isinstance(value, str) else None


@dataclass
class SessionQuota:
    """Open stateful sessions per token name, so one token holder cannot take the whole
    session table (the SDK bounds the total). A session counts from its opening answer
    until it is deleted, answered 404 (expired on the server), or idle for `idle_s` with
    no request in flight, which mirrors the SDK's own idle expiry."""

    per_token: int
    idle_s: float
    clock: Callable[[], float] = time.monotonic
    _open: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # name→sid→[inflight, seen]

    def _prune(self, name: str) -> dict[str, list[float]]:
        sessions = self._open.setdefault(name, {})
        cutoff = self.clock() - self.idle_s
        for sid in [s for s, (inflight, seen) in sessions.items() if not inflight and seen < cutoff]:
            del sessions[sid]
        if not sessions:
            del self._open[name]
            return {}
        return sessions

    def admit(self, name: str) -> bool:
        return len(self._prune(name)) < self.per_token

    def opened(self, name: str, sid: str) -> None:
        self._open.setdefault(name, {})[sid] = [0, self.clock()]

    def begin(self, name: str, sid: str) -> None:
        entry = self._open.get(name, {}).get(sid)
        if entry is not None:
            entry[0] += 1

    def end(self, name: str, sid: str, gone: bool) -> None:
        sessions = self._open.get(name, {})
        entry = sessions.get(sid)
        if entry is None:
            return
        if gone:
            del sessions[sid]
            return
        entry[0] = max(0, entry[0] - 1)
        entry[1] = self.clock()
