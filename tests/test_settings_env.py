"""Settings read the environment: one variable per field, its name in any case; a keyword
argument wins over the environment; a bad value is a ValidationError naming the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from katana_sn_mcp.settings import Settings


def test_each_field_comes_from_its_variable_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATANA_RATE_LIMIT", "45")
    monkeypatch.setenv("katana_timeout", "12.5")
    monkeypatch.setenv("KATANA_API_KEY", "ksk_env_key_1234567890")
    monkeypatch.setenv("SOMETHING_ELSE", "ignored")
    s = Settings()
    assert (s.katana_rate_limit, s.katana_timeout, s.api_key) == (45, 12.5, "ksk_env_key_1234567890")
    assert Settings(katana_rate_limit=7).katana_rate_limit == 7


def test_a_bad_value_names_its_field_never_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATANA_TIMEOUT", "soon")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert [e["loc"] for e in caught.value.errors()] == [("katana_timeout",)]
