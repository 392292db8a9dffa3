"""The README stays true: its tool table matches tools/list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcp import Client

from katana_sn_mcp.runtime import client_factory
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings

pytestmark = pytest.mark.anyio
README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


async def test_readme_tool_table_matches_the_server() -> None:
    table = re.findall(r"^\| `([a-z_]+)` \|", README, flags=re.M)
    server = build_server(client_factory(Settings(), api_key="unused"))  # listing sends nothing
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    assert table == [t.name for t in tools]
    for tool in tools:
        row = next(line for line in README.splitlines() if line.startswith(f"| `{tool.name}` |"))
        a = tool.annotations
        assert ("read-only" in row and "not read-only" not in row) == bool(a.read_only_hint)
        assert ("destructive" in row and "not destructive" not in row) == bool(a.destructive_hint)


def test_readme_commands_are_the_ones_ci_runs() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    test_cmd = '.venv/bin/pip install -c constraints.txt -e ".[test]" && .venv/bin/python -m pytest'
    assert test_cmd in README and test_cmd in ci
    assert ".venv/bin/pip install -c constraints.txt -e . && .venv/bin/katana-sn-mcp --sandbox" in README
    assert ".venv/bin/katana-sn-mcp --sandbox" in README
