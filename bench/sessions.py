"""Memory under abandoned HTTP sessions: open N sessions (initialize, then walk away) on a
stateful server and report the server's peak memory (VmHWM) and how many sessions it
accepted. Sessions are bounded per token and in total, so memory stays flat.

    .venv/bin/python bench/sessions.py [--sessions 10000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.replicas import TOKEN, free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {},
    "clientInfo": {"name": "abandoner", "version": "1"}}}


def vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def abandon(sessions: int) -> dict[str, Any]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATANA")}
    env.update(PYTHONPATH=str(ROOT), KATANA_SN_MCP_TOKEN=TOKEN)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "katana_sn_mcp", "serve", "--sandbox", "--no-journal",
             "--http", "--port", str(port)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=(Path(tmp) / "err").open("wb"))
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/health", proc)
            before = vm_hwm_mib(proc.pid)
            headers = {"Authorization": f"Bearer {TOKEN}",
                       "Accept": "application/json, text/event-stream"}
            statuses: Counter[int] = Counter()
            with httpx.Client(headers=headers, timeout=30) as http:
                for _ in range(sessions):
                    statuses[http.post(f"{url}/mcp", json=INIT).status_code] += 1
            after = vm_hwm_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    return {"sessions_opened": sessions, "answers": dict(statuses),
            "vm_hwm_before_mib": round(before, 1), "vm_hwm_after_mib": round(after, 1)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10_000)
    print(abandon(ap.parse_args().sessions))
