"""Long calls keep a host waiting: progress notifications at a steady cadence.

Driven by an independent host, the official MCP TypeScript SDK client (tests/ts/), with the
request timeout most hosts use (60 s) restarted on each progress notification
(`resetTimeoutOnProgress`). The call is the one the issue measured: deleting 1,000 of
10,001 serial numbers at Katana's real budget of 60 requests a minute, which must read the
resource before and after (83 requests), so it cannot finish in under a minute."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from katana_sn_mcp.sandbox import Fault, Sandbox, SandboxConfig
from tests.conftest import make_harness

TS = Path(__file__).parent / "ts"
BIN = Path(sys.executable).parent / "katana-sn-mcp"


def need_ts_sdk() -> None:
    if (TS / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir() and shutil.which("node"):
        return
    why = "the MCP TypeScript SDK is not installed: run `npm ci --prefix tests/ts` (.ci/run does)"
    if os.environ.get("KATANA_SN_MCP_TEST_TS") == "required":
        pytest.fail(why)
    pytest.skip(why)


def ts_call(timeout_ms: int, tool: str, args: dict, server: list[str]) -> dict:
    need_ts_sdk()
    proc = subprocess.run(["node", str(TS / "long_call.mjs"), str(timeout_ms), "true", tool,
                           json.dumps(args), "--", *server],
                          capture_output=True, text=True, timeout=300, cwd=TS,
                          env={**os.environ, "KATANA_SN_MCP_JOURNAL": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_64_second_delete_finishes_under_a_60_second_timeout_that_resets_on_progress(
        tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    sandbox = Sandbox(SandboxConfig(state_file=state))
    ids = sandbox.mint("ManufacturingOrder", 1003, [f"LONG-{i:05d}" for i in range(10_001)])
    doomed = ids[::10][:1000]
    out = ts_call(60_000, "delete_serial_numbers",
                  {"resource_type": "ManufacturingOrder", "resource_id": 1003, "ids": doomed,
                   "confirm": True},
                  [str(BIN), "--sandbox", "--sandbox-state", str(state), "--no-journal"])
    assert "error" not in out, out
    assert out["is_error"] is False
    assert out["structured"]["removed"]["count"] == 1000
    assert out["elapsed_ms"] > 60_000  # it really outlasted the host's timeout
    # a steady cadence (a heartbeat every 5 s), not a gap that only just fits: without the
    # heartbeat the wait for the rate budget alone was a 59.7 s silence
    assert out["gaps_ms_max"] < 15_000 and out["progress_increasing"], out
    assert "waiting for Katana's rate budget (N s into this call)" in out["heartbeats"], out


@pytest.mark.anyio
async def test_a_call_waiting_on_katana_sends_a_heartbeat_with_a_count_that_only_grows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read held up by Katana (a 1.2 s delay fault on every list page) gets heartbeats
    between its page notifications, saying how long the call has run."""
    from katana_sn_mcp import progress_mcp

    monkeypatch.setattr(progress_mcp, "HEARTBEAT_S", 0.25)
    h = make_harness(tmp_path)
    h.sandbox.mint("ManufacturingOrder", 1003, [f"H-{i}" for i in range(300)])
    h.sandbox.inject(Fault(kind="delay", method="GET", delay=0.6, count=2))
    seen: list[tuple[float, str]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        seen.append((value, message or ""))

    async with h.client() as client:
        r = await client.call_tool("verify_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "expect_attached": ["H-1"]}, progress_callback=on_progress)
    assert not r.is_error
    values = [v for v, _ in seen]
    assert values == sorted(set(values)) and values[0] == 1
    assert any("s into this call" in m for _, m in seen), seen
    assert any("page 2, 300 rows read" in m for _, m in seen), seen
    await anyio.sleep(0.6)  # no heartbeat outlives its call
    assert [v for v, _ in seen] == values


@pytest.mark.anyio
async def test_each_re_send_is_told_to_the_host_with_katanas_answer(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.sandbox.inject(Fault(kind="status", method="GET", status=503, count=1))
    h.sandbox.inject(Fault(kind="drop_before", method="GET", count=1))
    seen: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        seen.append(message or "")

    async with h.client() as client:
        r = await client.call_tool("verify_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1001,
            "expect_absent_ids": [1]}, progress_callback=on_progress)
    assert not r.is_error
    assert seen[:2] == ["Katana answered 503; sending again (attempt 2)",
                        "Katana gave no answer; sending again (attempt 3)"]
