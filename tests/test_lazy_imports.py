"""What a start and a successful call do not load: tenacity comes in with the first failed
request only, and the retry after it still follows the same rules (tests/test_errors.py
pins those rules; here, only when the library arrives)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = """
import sys, anyio
from katana_sn_mcp.katana.client import RetryPolicy
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
from katana_sn_mcp.sandbox.config import Fault
from katana_sn_mcp.settings import Settings

sandbox = Sandbox(SandboxConfig())
make = sandbox_factory(sandbox, Settings(), retry=RetryPolicy(backoff_initial=0.001))

async def main():
    async with make() as client:
        await client.list_page(resource_type="ManufacturingOrder", resource_id=1001)
        print("after a success", "tenacity" in sys.modules, len(sandbox.requests))
        sandbox.inject(Fault(kind="status", status=503, method="GET"))
        await client.list_page(resource_type="ManufacturingOrder", resource_id=1001)
        print("after a 503 and its retry", "tenacity" in sys.modules, len(sandbox.requests))

anyio.run(main)
"""


def test_tenacity_arrives_with_the_first_failed_request() -> None:
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert out.stdout.splitlines() == ["after a success False 1",
                                       "after a 503 and its retry True 3"], out.stderr[-2000:]
