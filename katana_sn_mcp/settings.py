"""Configuration from the environment, validated once at start-up.

pydantic-settings gives us typed parsing and a `SecretStr` for the key, so the key can
never leak through a `repr`, a log line or a validation error message.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.katanamrp.com/v1"


def default_journal_path() -> Path:
    """Per-user location of the write journal (XDG state dir on Linux, ~/.local/state)."""
    import os

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "katana-sn-mcp" / "journal.jsonl"


class Settings(BaseSettings):
    """Everything the server reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    katana_api_key: SecretStr | None = Field(default=None, description="Katana API key")
    katana_base_url: str = Field(default=DEFAULT_BASE_URL)
    katana_timeout: float = Field(default=30.0, gt=0, le=300, description="seconds per request")
    katana_rate_limit: int = Field(default=60, ge=1, le=10000,
                                   description="requests per 60 s this key may make")
    katana_sn_mcp_journal: Path | None = Field(default=None, description="write journal path")
    katana_sn_mcp_token: SecretStr | None = Field(
        default=None, description="bearer token required by the HTTP transport"
    )

    @property
    def api_key(self) -> str | None:
        """The raw key, only for the Authorization header."""
        return self.katana_api_key.get_secret_value() if self.katana_api_key else None

    @property
    def journal_path(self) -> Path:
        return self.katana_sn_mcp_journal or default_journal_path()


class MissingApiKey(RuntimeError):
    """Raised when the server is started against real Katana without a key."""

    def __init__(self) -> None:
        super().__init__(
            "KATANA_API_KEY is not set. Set it to your Katana API key "
            "(Katana > Settings > API), or run `katana-sn-mcp --sandbox` to try the server "
            "against the embedded sandbox Katana without an account."
        )
