"""Configuration from the environment, validated once at start-up.

A pydantic model gives us typed parsing and a `SecretStr` for the key, so the key can never
leak through a `repr`, a log line or a validation error message. The environment is read by
`Settings.__init__` (a variable per field, its name in any case), which is all this server
used of pydantic-settings; that library's import (its cloud, dotenv and CLI sources) cost
every start ~15 ms and 1.2 MiB.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_BASE_URL = "https://api.katanamrp.com/v1"


# Set by Claude Desktop from the bundle's form (manifest.json `user_config`), where a person may
# leave them empty; an empty one means "not set", as if the variable were absent.
HOST_OPTIONAL = ("katana_api_key", "katana_base_url", "katana_sn_mcp_journal")
SANDBOX_ENV = "KATANA_SN_MCP_SANDBOX"
# What some Claude Desktop versions pass for an option left empty: the manifest's own
# placeholder, unsubstituted. No real value looks like this.
_PLACEHOLDER = re.compile(r"\$\{user_config\.[A-Za-z0-9_]+\}")


def left_unset(value: Any) -> bool:
    """An unsubstituted `${user_config.x}` placeholder: what a host sent for an option the
    person left empty, never a value anyone typed."""
    return isinstance(value, str) and bool(_PLACEHOLDER.fullmatch(value))


def env_sandbox(environ: dict[str, str] | None = None) -> bool:
    """KATANA_SN_MCP_SANDBOX: the same as --sandbox when true; the bundle's form sets it.
    Raises ValueError with the one line to show for a value that is not a yes or a no."""
    import os

    raw = (os.environ if environ is None else environ).get(SANDBOX_ENV, "")
    if raw == "" or left_unset(raw):
        return False
    try:
        return TypeAdapter(bool).validate_python(raw.strip())
    except ValidationError:
        raise ValueError(f"{SANDBOX_ENV} must be true or false (or 1/0, yes/no, on/off)") from None


def default_journal_path() -> Path:
    """Per-user location of the write journal (XDG state dir on Linux, ~/.local/state)."""
    import os

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "katana-sn-mcp" / "journal.jsonl"


def secret_problem(raw: str) -> str | None:
    """Why a key or token cannot be sent in an `Authorization` header; never the value.
    Surrounding whitespace is refused, not stripped: a pasted key with a stray newline
    may also be cut short, and the person should look at what they pasted."""
    if not raw:
        return "is empty"
    if raw != raw.strip():
        return ("starts or ends with whitespace (a space, tab or newline, often from "
                "copy-paste); remove it")
    if any(c.isspace() for c in raw):
        return "contains whitespace; a key is one unbroken token"
    if not raw.isascii() or not raw.isprintable():
        return ("contains a non-ASCII or control character (a pasted dash or quote?); "
                "copy the key again from Katana")
    return None


def base_url_problem(raw: str) -> str | None:
    """Why a base URL is unusable; never echoes it, since it might carry credentials."""
    try:
        url = urlsplit(raw)
        port = url.port  # raises ValueError for a port outside 0..65535 or not a number
    except ValueError:
        return "is not a valid URL (check the port: 1-65535)"
    if url.scheme not in ("http", "https") or not url.hostname:
        return "must be an http:// or https:// URL with a host name, e.g. " + DEFAULT_BASE_URL
    if url.username is not None or url.password is not None:
        return ("must not contain a user name or password (user:pass@); the API key is sent "
                "in the Authorization header")
    if port == 0:
        return "has port 0; use a port between 1 and 65535"
    return None


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def oauth_url_problem(raw: str) -> str | None:
    """Why an issuer or public URL cannot carry tokens: tokens are bearer secrets, so
    cleartext http:// is accepted only on this machine (tests, a local provider)."""
    if (problem := base_url_problem(raw)) is not None:
        return problem
    url = urlsplit(raw)
    if url.scheme != "https" and url.hostname not in LOOPBACK:
        return "must be an https:// URL (http:// only on 127.0.0.1, localhost or ::1)"
    if url.query or url.fragment:
        return "must not carry a query (?) or a fragment (#)"
    return None


def _raw(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class Settings(BaseModel):
    """Everything the server reads from the environment: each field from the variable of
    its name (KATANA_API_KEY for `katana_api_key`, any case); keyword arguments win."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    def __init__(self, **values: Any) -> None:
        import os

        fields = type(self).model_fields
        environ = {k.lower(): v for k, v in os.environ.items() if k.lower() in fields}
        super().__init__(**{**environ, **values})

    katana_api_key: SecretStr | None = Field(default=None, description="Katana API key")
    katana_base_url: str = Field(default=DEFAULT_BASE_URL)
    katana_timeout: float = Field(default=30.0, gt=0, le=300, description="seconds per request")
    katana_rate_limit: int = Field(default=60, ge=1, le=10000,
                                   description="requests per 60 s this key may make")
    katana_sn_mcp_journal: Path | None = Field(default=None, description="write journal path")
    katana_sn_mcp_call_deadline: float = Field(
        default=120.0, gt=0, le=3600,
        description="seconds a tool call may take before it stops starting Katana requests")
    katana_sn_mcp_token: SecretStr | None = Field(
        default=None, description="bearer token required by the HTTP transport"
    )

    @model_validator(mode="before")
    @classmethod
    def _host_left_empty(cls, data: Any) -> Any:
        """Drop what a host sent for an option the person left empty (see `left_unset`), so
        the default applies: an empty journal would otherwise be the current folder, an
        empty base URL an invalid URL, and a placeholder would be sent to Katana as the key."""
        if not isinstance(data, dict):
            return data
        return {k: v for k, v in data.items()
                if not (left_unset(_raw(v)) or (k in HOST_OPTIONAL and _raw(v) == ""))}

    @field_validator("katana_api_key", "katana_sn_mcp_token", mode="before")
    @classmethod
    def _printable_token(cls, value: Any) -> Any:
        raw = _raw(value)
        if isinstance(raw, str) and (problem := secret_problem(raw)):
            raise ValueError(problem)
        return value

    @field_validator("katana_base_url", mode="before")
    @classmethod
    def _usable_url(cls, value: Any) -> Any:
        if isinstance(value, str) and (problem := base_url_problem(value)):
            raise ValueError(problem)
        return value

    @property
    def api_key(self) -> str | None:
        """The raw key, only for the Authorization header."""
        return self.katana_api_key.get_secret_value() if self.katana_api_key else None

    @property
    def journal_path(self) -> Path:
        """KATANA_SN_MCP_JOURNAL may name a folder (the bundle's form picks one): the
        journal is then `journal.jsonl` inside it."""
        chosen = self.katana_sn_mcp_journal
        if chosen is not None and chosen.is_dir():
            return chosen / "journal.jsonl"
        return chosen or default_journal_path()

    def journal_for(self, sandbox: bool) -> Path:
        """The sandbox's fake writes never share a file with real ones by default."""
        chosen = self.katana_sn_mcp_journal
        if sandbox and (chosen is None or chosen.is_dir()):
            return self.journal_path.with_name("sandbox-journal.jsonl")
        return self.journal_path

    def katana_label(self, sandbox: bool) -> str:
        """Which Katana a journal line is about: the base URL's host, never the key."""
        return "sandbox" if sandbox else (urlsplit(self.katana_base_url).hostname or "unknown")

    # -- team deployment: replicas sharing one Katana budget (README "Team deployment") --
    katana_sn_mcp_redis_url: SecretStr | None = Field(
        default=None, description="redis:// URL of the store replicas share (budget, locks, "
        "results, journal); a secret, since it may carry a password")
    katana_rate_window: float = Field(default=60.0, gt=0, le=3600,
                                      description="seconds of Katana's rate window")
    katana_sn_mcp_tokens_file: Path | None = Field(
        default=None, description="file of `name:sha256hex` lines, one per person")
    katana_sn_mcp_max_sessions: int = Field(default=500, ge=1, le=100000,
                                            description="open HTTP sessions, in total")
    katana_sn_mcp_max_sessions_per_token: int = Field(default=50, ge=1, le=100000,
                                                      description="open HTTP sessions per token")
    katana_sn_mcp_session_idle: float = Field(default=300.0, gt=0, le=86400,
                                              description="seconds before an idle session ends")
    katana_sn_mcp_state_key: SecretStr | None = Field(
        default=None, description="secret every replica shares to seal the confirmation "
        "round trip (2026-07-28 protocol), so its retry may land on any replica")

    @field_validator("katana_sn_mcp_state_key", mode="before")
    @classmethod
    def _long_state_key(cls, value: Any) -> Any:
        raw = _raw(value)
        if isinstance(raw, str):
            from katana_sn_mcp.tokens import weak_token_problem

            problem = secret_problem(raw) or weak_token_problem(raw)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("katana_sn_mcp_redis_url", mode="before")
    @classmethod
    def _redis_scheme(cls, value: Any) -> Any:
        raw = _raw(value)
        if isinstance(raw, str) and not raw.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL, e.g. "
                             "redis://127.0.0.1:6379/0")
        return value

    @property
    def redis_url(self) -> str | None:
        """The raw URL, only for connecting."""
        url = self.katana_sn_mcp_redis_url
        return url.get_secret_value() if url else None

    # -- OAuth 2.1 resource server (README "Connect Claude's apps (OAuth connector)") --
    katana_sn_mcp_oauth_issuer: str | None = Field(
        default=None, description="the identity provider's issuer URL; turns OAuth on (HTTP only)")
    katana_sn_mcp_public_url: str | None = Field(
        default=None, description="the MCP endpoint as clients reach it, e.g. "
        "https://mcp.example.com/mcp: the resource and the audience tokens must carry")
    katana_sn_mcp_oauth_person_claim: str = Field(
        default="email", min_length=1, max_length=100,
        description="the token claim that names the person in the journal")

    @field_validator("katana_sn_mcp_oauth_issuer", "katana_sn_mcp_public_url", mode="before")
    @classmethod
    def _oauth_url(cls, value: Any) -> Any:
        if isinstance(value, str) and (problem := oauth_url_problem(value)):
            raise ValueError(problem)
        return value


class MissingApiKey(RuntimeError):
    """Raised when the server is started against real Katana without a key."""

    def __init__(self) -> None:
        super().__init__(
            "KATANA_API_KEY is not set. Set it to your Katana API key "
            "(Katana > Settings > API), or run `katana-sn-mcp --sandbox` (or set "
            f"{SANDBOX_ENV}=true; in Claude Desktop, the extension's Sandbox switch) to try "
            "the server against the embedded sandbox Katana without an account."
        )


def setting_errors(exc: Any) -> list[str]:
    """One sentence per bad variable, from a pydantic ValidationError: the variable's name
    and what is wrong, never the value (pydantic's own text would include it)."""
    lines = []
    for err in exc.errors():
        name = str(err["loc"][0]).upper() if err["loc"] else "configuration"
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{name} {msg}" if err["type"] == "value_error" else f"{name}: {msg}")
    return lines


def register_secrets() -> None:
    """Hand every configured secret to the redactor before anything can print it, straight
    from the environment so that even a value the settings refuse is never shown."""
    import os

    from katana_sn_mcp import redact
    from katana_sn_mcp.tokens import MIN_LENGTH

    # A token shorter than MIN_LENGTH is refused on every bind, so it never guards
    # anything; redacting it would only cut ordinary words ("Katana") out of the output,
    # the refusal itself included.
    token = os.environ.get("KATANA_SN_MCP_TOKEN")
    redact.register(os.environ.get("KATANA_API_KEY"),
                    token if token and len(token) >= MIN_LENGTH else None,
                    os.environ.get("KATANA_SN_MCP_STATE_KEY"))
    redact.register_url(os.environ.get("KATANA_BASE_URL"))
    redact.register_url(os.environ.get("KATANA_SN_MCP_REDIS_URL"))
