"""A replica killed with SIGKILL in the middle of a write: its lock expires, the shared
journal (Redis stream) holds its intent, and the next replica to start settles it by
re-reading the resource — real processes, real Redis."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
import redis
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.replicas import TOKEN, free_port, katana, redis_server, replica_env, wait_http
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.state.redis import RedisJournalStream, namespace
from tests.test_replicas import LIMIT, WINDOW

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]


def start(env: dict[str, str], tmp: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "katana_sn_mcp", "serve", "--http", "--port",
                             str(port), "--stateless"], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=(tmp / f"{name}.err").open("wb"),
                            env={**env, "KATANA_SN_MCP_JOURNAL": str(tmp / f"{name}.jsonl")})
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", proc)
    return proc, url


def client(url: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"},
                              timeout=httpx2.Timeout(60))
    return Client(streamable_http_client(f"{url}/mcp", http_client=http))


async def test_a_replica_killed_mid_write_is_settled_by_the_next_one(tmp_path: Path) -> None:
    with ExitStack() as stack:
        redis_url, _ = stack.enter_context(redis_server(tmp_path))
        base = stack.enter_context(katana(LIMIT, WINDOW, tmp_path))
        # a call lasts 7 s at most: its deadline, then one request's timeout
        env = replica_env(base, redis_url, LIMIT, WINDOW, KATANA_SN_MCP_CALL_DEADLINE="2",
                          KATANA_TIMEOUT="5")
        httpx.post(base.removesuffix("/v1") + "/_fault",
                   json={"kind": "delay", "method": "POST", "delay": 2.0})
        a, a_url = start(env, tmp_path, "a")
        stack.callback(lambda: (a.kill(), a.wait(10)))

        async def create_then_die() -> None:
            async with anyio.create_task_group() as tg:
                async def call() -> None:
                    try:
                        async with client(a_url) as c:
                            await c.call_tool("create_serial_numbers", {
                                "resource_type": "ManufacturingOrder", "resource_id": 1003,
                                "serial_numbers": ["KILLED-1"]})
                    except BaseException as exc:  # the replica died under the call
                        if isinstance(exc, anyio.get_cancelled_exc_class()):
                            raise

                tg.start_soon(call)
                await anyio.sleep(1.0)  # the POST is in flight at Katana
                a.kill()  # SIGKILL: no outcome line, no lock release
                await anyio.sleep(1.5)  # Katana applies it anyway
                tg.cancel_scope.cancel()

        await create_then_die()
        stream = RedisJournalStream(redis_url, namespace("sandbox-key"))
        shared = Journal(None, katana="api.katanamrp.com", stream=stream)
        shared.katana = next(e["katana"] for e in stream.recent(10))
        assert [e["phase"] for e in shared.recent()] == ["intent"]
        await anyio.sleep(5)  # past the 7 s a live call could still be writing
        b, b_url = start(env, tmp_path, "b")
        stack.callback(lambda: (b.terminate(), b.wait(10)))
        async with client(b_url) as c:  # a session start runs the reconciliation
            await c.list_tools()
        deadline = time.monotonic() + 10
        while shared.recent()[-1]["phase"] != "reconciled" and time.monotonic() < deadline:
            await anyio.sleep(0.2)
        last = shared.recent()[-1]
        assert last["phase"] == "reconciled" and last["on_resource_now"] == ["KILLED-1"]
        locks = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 40
        while locks.keys("*:lock:*") and time.monotonic() < deadline:
            await anyio.sleep(0.5)  # the dead replica's lock expires by its TTL
        assert not locks.keys("*:lock:*")
        async with client(b_url) as c:  # and the dead replica's lock has not stuck
            r = await c.call_tool("create_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1003,
                "serial_numbers": ["AFTER-1"]})
        assert not r.is_error
