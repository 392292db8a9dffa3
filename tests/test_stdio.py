"""The stdio entry point, spawned as a host would spawn it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import TOOL_NAMES

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]


def params(*args: str, **env: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "katana_sn_mcp", *args],
                                 env={"PYTHONPATH": str(ROOT), **env}, cwd=str(ROOT))


async def test_spawned_sandbox_server_lists_tools_and_mints(tmp_path: Path, era: str) -> None:
    state = tmp_path / "sandbox.json"
    async with Client(params("--sandbox", "--sandbox-state", str(state), "--no-journal"),
                      mode=era) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert tools == TOOL_NAMES
        r = await client.call_tool("create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "serial_numbers": ["STDIO-1"]})
        assert not r.is_error
        assert r.structured_content["applied"] == {"count": 1, "runs": [
            {"first": "STDIO-1", "count": 1, "ids": [[886010, 886010]]}]}
    assert "STDIO-1" in state.read_text()  # the sandbox's state survived the process


def test_missing_key_is_a_clear_start_up_error_on_stderr() -> None:
    env = {k: v for k, v in os.environ.items() if k != "KATANA_API_KEY"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "katana_sn_mcp"], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "KATANA_API_KEY" in proc.stderr and "--sandbox" in proc.stderr


async def test_the_key_never_reaches_stderr_even_at_debug_level(tmp_path: Path) -> None:
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    secret = "sk-live-do-not-log-0123456789"
    errlog = (tmp_path / "stderr.txt").open("w+")
    p = params("--log-level", "DEBUG", "--no-journal", KATANA_API_KEY=secret,
               KATANA_BASE_URL="http://127.0.0.1:9/v1", KATANA_TIMEOUT="2")
    async with stdio_client(p, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            r = await session.call_tool("list_serial_numbers", {"resource_id": 1})
    assert r.is_error and "The request never reached Katana" in r.content[0].text
    assert secret not in r.content[0].text
    errlog.seek(0)
    logged = errlog.read()
    assert "serial_numbers" in logged  # debug logging was on and did log the calls
    assert secret not in logged


def test_a_malformed_setting_is_named_on_stderr_without_a_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KATANA_TIMEOUT": "soon",
           "KATANA_API_KEY": "sk-never-shown-42"}
    proc = subprocess.run([sys.executable, "-m", "katana_sn_mcp"], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "KATANA_TIMEOUT" in proc.stderr and "Traceback" not in proc.stderr
    assert "sk-never-shown-42" not in proc.stderr


@pytest.mark.parametrize("mode", ["seeds", "current"])
def test_sandbox_start_up_describes_its_contents_on_stderr_only(mode: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "katana_sn_mcp", "--sandbox", "--sandbox-mode",
                           mode, "--no-journal"], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)  # EOF on stdin: the server exits
    assert proc.returncode == 0
    assert proc.stdout == ""  # stdout is the protocol channel
    assert f"Sandbox Katana ({mode} behaviour" in proc.stderr
    assert "ManufacturingOrder 1001: SN-1001-001" in proc.stderr
    assert "SalesOrderRow 3002 (linked to a make-to-order MO)" in proc.stderr
