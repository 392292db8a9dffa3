"""The README's team-deployment recipe, run as written: its shell blocks and its nginx
site, read from the README itself, on this machine's redis-server and nginx, with the
README's ports (6379, 8771, 8772, 8765) and `/etc/nginx/conf.d`. Only the placeholder key
is filled in, and KATANA_BASE_URL points at a sandbox Katana (there is no real one here).

It changes the machine (packages, an nginx site), so it runs where CI runs it: as root with
CI=true, or with KATANA_SN_MCP_TEST_RECIPE=1. Elsewhere it is skipped and says why."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.replicas import katana, wait_http
from katana_sn_mcp.state.redis import namespace
from tests.conftest import text

ROOT = Path(__file__).resolve().parents[1]
KEY = "sandbox-key"
pytestmark = pytest.mark.anyio


def section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Team deployment")
    return readme[start:readme.index("\n## ", start + 3)]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", section(), flags=re.S)


@pytest.fixture
def recipe_env(tmp_path: Path) -> dict[str, str]:
    wanted = os.environ.get("KATANA_SN_MCP_TEST_RECIPE") == "1" or os.environ.get("CI")
    if not wanted:
        pytest.skip("runs the README's machine-wide recipe (apt-get, /etc/nginx): "
                    "set KATANA_SN_MCP_TEST_RECIPE=1, or CI=true as root")
    if os.geteuid() != 0:
        pytest.fail("the README's recipe is written for root (or sudo): run CI as root")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KATANA", "VIRTUAL_ENV"))}
    env["KATANA_SN_MCP_JOURNAL"] = str(tmp_path / "journal.jsonl")
    env["DEBIAN_FRONTEND"] = "noninteractive"
    return env


def as_written(block: str, **fill: str) -> str:
    """The block with only its `...` placeholders filled in."""
    for name, value in fill.items():
        block, n = re.subn(rf"^export {name}=\.\.\.", f"export {name}={value}", block, flags=re.M)
        assert n == 1, f"the recipe no longer sets {name}=..."
    return block


def until_closed(*ports: int, timeout: float = 15) -> None:
    """Wait until nothing listens on `ports` (the next run of this test reuses them)."""
    deadline = time.monotonic() + timeout
    while any(_listening(port) for port in ports):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still listening on {ports}")
        time.sleep(0.1)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def deployed(recipe_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """Runs the recipe; yields the token it generated. Afterwards stops the replicas,
    removes the nginx site and the sandbox account's keys from Redis."""
    start, site, check = blocks("bash")[0], blocks("nginx")[0], blocks("bash")[1]
    where = re.search(r"Put the proxy in `(/etc/nginx/[^`]+)`", section())
    assert where, "the README no longer says where the nginx site goes"
    conf = Path(where.group(1))
    token_file = tmp_path / "token"
    with katana(60, 60.0, tmp_path) as base:
        env = {**recipe_env, "KATANA_BASE_URL": base}
        script = as_written(start, KATANA_API_KEY=KEY) + f'\necho "$KATANA_SN_MCP_TOKEN" > {token_file}\n'
        shell = subprocess.Popen(["bash", "-ec", script], cwd=ROOT, env=env,
                                 start_new_session=True, stdin=subprocess.DEVNULL,
                                 stdout=(tmp_path / "recipe.out").open("wb"),
                                 stderr=subprocess.STDOUT)
        try:
            said = tmp_path / "recipe.out"
            assert shell.wait(600) == 0, said.read_text()[-3000:]
            for port in (8771, 8772):  # a person types the next block after they started
                try:
                    wait_http(f"http://127.0.0.1:{port}/health", timeout=60)
                except TimeoutError:
                    pytest.fail(f"no replica on {port}; the recipe said:\n{said.read_text()[-3000:]}")
            conf.write_text(site)
            out = subprocess.run(["bash", "-ec", check], cwd=ROOT, env=env, text=True,
                                 capture_output=True, timeout=120)
            assert out.returncode == 0, out.stderr
            ready = json.loads(out.stdout.strip().splitlines()[-1])
            assert ready["status"] == "ready" and ready["katana_budget_remaining"] == 60
            yield token_file.read_text().strip()
        finally:
            os.killpg(shell.pid, signal.SIGTERM)  # the replicas the recipe started
            until_closed(8771, 8772)
            conf.unlink(missing_ok=True)
            subprocess.run(["nginx", "-s", "reload"], capture_output=True)
            subprocess.run(["bash", "-c", f"redis-cli --scan --pattern '{namespace(KEY)}:*' "
                            "| xargs -r redis-cli del"], capture_output=True)


async def test_the_team_recipe_runs_as_written_and_serves_through_nginx(deployed: str) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {deployed}"},
                              timeout=httpx2.Timeout(60))
    async with Client(streamable_http_client("http://127.0.0.1:8765/mcp", http_client=http),
                      mode="legacy") as client:
        minted = await client.call_tool("create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "serial_numbers": ["RECIPE-1", "RECIPE-2"]})
        assert not minted.is_error, text(minted)
        verified = await client.call_tool("verify_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "expect_attached": ["RECIPE-1", "RECIPE-2"]})
        assert verified.structured_content["all_confirmed"], text(verified)
    without = httpx.post("http://127.0.0.1:8765/mcp", json={})
    assert without.status_code == 401  # the proxy passes the replicas' token check through
