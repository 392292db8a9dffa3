"""`patterns.Matching` accepts exactly what pydantic's own Rust-regex `pattern=` accepted
(the oracle, used here only), for every pattern the tools publish, and refuses with
pydantic's own error."""

from __future__ import annotations

from typing import Annotated

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter, ValidationError

from katana_sn_mcp.patterns import Matching
from tests.conftest import TOOL_NAMES

pytestmark = pytest.mark.anyio
PUBLISHED = [r"^\S(.*\S)?$", r"^(\S.*)?$", r"^(.*\S)?$"]
TEXT = st.text(st.sampled_from(list("ab -\t\n\r\u00a0\u2028\u3000\x1c\x1f\x85\u200b\ufeffé")),
               max_size=8)


def accepts(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        assert exc.errors()[0]["type"] == "string_pattern_mismatch"
        return False
    return True


@pytest.mark.parametrize("pattern", PUBLISHED)
@settings(max_examples=300, deadline=None)
@given(value=TEXT)
@example(value="SN-1\n")  # `$` in Python would let this through; fullmatch does not
@example(value="")
def test_matching_accepts_what_the_rust_regex_accepts(pattern: str, value: str) -> None:
    ours = TypeAdapter(Annotated[str, Matching(pattern)])
    oracle = TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])
    assert accepts(ours, value) == accepts(oracle, value)


def test_a_miss_reads_as_pydantics_own_error() -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Annotated[str, Matching(r"^\S(.*\S)?$")]).validate_python(" SN-1")
    oracle = TypeAdapter(Annotated[str, StringConstraints(pattern=r"^\S(.*\S)?$")])
    with pytest.raises(ValidationError) as expected:
        oracle.validate_python(" SN-1")
    assert caught.value.errors()[0]["msg"] == expected.value.errors()[0]["msg"]


def test_the_pattern_is_published_in_the_schema() -> None:
    schema = TypeAdapter(Annotated[str, Matching(r"^(\S.*)?$")]).json_schema()
    assert schema == {"type": "string", "pattern": r"^(\S.*)?$"}


def test_an_unanchored_pattern_is_refused() -> None:
    with pytest.raises(ValueError):
        Matching(r"\S+")


async def test_every_tool_publishes_only_these_patterns() -> None:
    """A new pattern in a tool needs its row in PUBLISHED, checked against the oracle."""
    from mcp import Client

    from katana_sn_mcp.server import build_server

    async with Client(build_server(lambda: None)) as client:  # type: ignore[arg-type]
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == TOOL_NAMES
    found: set[str] = set()

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.add(node["pattern"])
            for child in node.values():
                collect(child)
        elif isinstance(node, list):
            for child in node:
                collect(child)

    for tool in tools:
        collect(tool.input_schema)
    assert found == set(PUBLISHED)
