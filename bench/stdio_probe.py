"""Spawn an MCP server over stdio the way a host does and measure it with raw JSON-RPC:
time to `initialize` + `tools/list`, then (optionally) to the first tool result, the
tools/list size, and the process's VmHWM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Probe:
    seconds: float  # spawn -> initialize + tools/list answered
    tools_list_bytes: int
    vm_hwm_kib: int
    first_result_s: float | None = None  # spawn -> first tools/call answered, when asked for


def _send(proc: subprocess.Popen, msg: dict) -> None:
    proc.stdin.write((json.dumps(msg) + "\n").encode())
    proc.stdin.flush()


def _read(proc: subprocess.Popen, want_id: int) -> bytes:
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("server closed stdout: " + proc.stderr.read().decode()[-2000:])
        if json.loads(line).get("id") == want_id:
            return line


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def probe(argv: list[str], env: dict[str, str] | None = None,
          call: tuple[str, dict] | None = None) -> Probe:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *argv], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=ROOT)
    try:
        _send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"}}})
        _read(proc, 1)
        _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        listing = _read(proc, 2)
        elapsed = time.perf_counter() - start
        first = None
        if call is not None:
            _send(proc, {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                         "params": {"name": call[0], "arguments": call[1]}})
            answer = json.loads(_read(proc, 3))
            first = time.perf_counter() - start
            if "error" in answer or answer["result"].get("isError"):
                raise RuntimeError(f"{call[0]} failed: {str(answer)[:500]}")
        hwm = vm_hwm_kib(proc.pid)
        return Probe(elapsed, len(listing), hwm, first)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
