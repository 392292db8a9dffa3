"""The journal cannot lie or forget: an intent before every write, one outcome after,
interrupted writes reconciled at the next start, torn lines never swallowing the next
entry, sandbox and real Katana never mixed, no filesystem paths shown to clients."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.pacing import Pacer
from katana_sn_mcp.sandbox import Fault
from tests.conftest import make_harness

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
MINT = {"resource_type": "ManufacturingOrder", "resource_id": 1003, "serial_numbers": ["J-1"]}


def lines(path: Path) -> list[dict]:
    return [json.loads(raw) for raw in path.read_text().splitlines() if raw.startswith("{")]


async def test_every_write_has_an_intent_then_one_outcome(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    r = await h.call("create_serial_numbers", MINT)
    intent, outcome = lines(h.journal_path)
    assert (intent["phase"], outcome["phase"]) == ("intent", "outcome")
    assert intent["write_id"] == outcome["write_id"] == r.structured_content["result_id"]
    assert intent["request"]["serial_numbers"] == ["J-1"] and intent["katana"] == "unknown"
    assert outcome["outcome"] == "applied" and outcome["items"][0]["state"] == "applied"


async def test_a_create_cancelled_mid_post_is_reconciled_at_the_next_start(tmp_path) -> None:
    h = make_harness(tmp_path, era="legacy")
    h.sandbox.inject(Fault(kind="delay", method="POST", delay=0.5))
    async with h.client() as client:
        with anyio.move_on_after(0.1):
            await client.call_tool("create_serial_numbers", MINT)
        await anyio.sleep(0.8)  # the sandbox applies the POST meanwhile
    phases = [(e["phase"], e.get("outcome")) for e in lines(h.journal_path)]
    assert phases == [("intent", None), ("outcome", "interrupted")]
    async with h.client() as client:  # the next start settles it by re-reading
        await client.list_tools()
    last = lines(h.journal_path)[-1]
    landed = ["J-1"] if h.sandbox.find("J-1") else []  # what the re-read saw is the truth
    assert last["phase"] == "reconciled" and last["on_resource_now"] == landed
    assert "does not prove" in last["note"]


def test_a_torn_last_line_never_swallows_the_next_entry(tmp_path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.outcome("aaa", "create_serial_numbers", outcome="applied")
    with path.open("ab") as fh:
        fh.write(b'{"phase": "outcome", "write_id": "torn", "tool": "cre')  # a crash mid-append
    for n in range(3):
        journal.outcome(f"after{n}", "create_serial_numbers", outcome="applied")
    assert [e["write_id"] for e in journal.recent()] == ["aaa", "after0", "after1", "after2"]


WRITER = """
import sys
from pathlib import Path
from katana_sn_mcp.journal import Journal
j = Journal(Path(sys.argv[1]))
n = 0
while True:
    n += 1
    wid = f"{sys.argv[2]}-{n}"
    j.outcome(wid, "create_serial_numbers", outcome="applied", items=["x" * 40] * 200)
    print(wid, flush=True)
"""


def test_kill_9_during_a_stream_of_writes_loses_no_acknowledged_entry(tmp_path) -> None:
    path = tmp_path / "journal.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    acknowledged: list[str] = []
    rng = random.Random(7)
    for kill in range(50):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"k{kill}"],
                                stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        for _ in range(rng.randint(1, 6)):
            acknowledged.append(proc.stdout.readline().strip())
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    found = {e["write_id"] for e in Journal(path).recent(100_000)}
    assert set(acknowledged) <= found
    assert len(acknowledged) >= 50


async def test_sandbox_and_real_katana_never_share_journal_lines(tmp_path) -> None:
    path = tmp_path / "journal.jsonl"
    Journal(path, katana="sandbox").outcome("fake", "create_serial_numbers", outcome="applied")
    real = Journal(path, katana="api.katanamrp.com")
    real.outcome("real", "create_serial_numbers", outcome="applied")
    assert [e["write_id"] for e in real.recent()] == ["real"]


async def test_the_journal_resource_shows_entries_not_paths(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    await h.call("create_serial_numbers", MINT)
    async with h.client() as client:
        body = (await client.read_resource("katana://journal/recent")).contents[0].text
    assert str(tmp_path) not in body and "journal.jsonl" not in body
    shown = json.loads(body)
    phase = shown["columns"].index("phase")
    assert [r[phase] for r in shown["rows"]] == ["intent", "outcome"]


async def test_the_journal_resource_stays_within_a_results_budget(tmp_path) -> None:
    """The file keeps every string and item; the resource a model reads, one row each."""
    from katana_sn_mcp.present.budget import RESULT_BYTES

    # 63 writes: not a test of Katana's limit nor of our pacer
    h = make_harness(tmp_path, rate_limit=10**6, pacer=Pacer(10**6, 60.0))
    for n in range(3):
        await h.call("create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "serial_ranges": [{"prefix": f"BIG{n}-", "first": 1, "last": 10000, "width": 5}]})
    for n in range(60):
        await h.call("create_serial_numbers", {**MINT, "serial_numbers": [f"SMALL-{n}"]})
    async with h.client() as client:
        body = (await client.read_resource("katana://journal/recent")).contents[0].text
    shown = json.loads(body)
    assert len(body.encode()) <= RESULT_BYTES and shown["rows"]
    # at most the newest 100 lines shown; every other line (126 in all) counted, truly
    assert len(shown["rows"]) <= 100
    assert len(shown["rows"]) + shown["older_not_shown"] == 2 * 63
    assert "older_not_shown_at_least" not in shown
    assert h.journal_path.stat().st_size > 3 * 10000 * 5  # the file holds every string


async def test_the_journal_command_shows_and_exports_recent_writes(tmp_path) -> None:
    path = tmp_path / "journal.jsonl"
    Journal(path, katana="sandbox").intent("create_serial_numbers", MINT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KATANA_SN_MCP_JOURNAL": str(path)}
    run = [sys.executable, "-m", "katana_sn_mcp", "journal", "--sandbox"]
    shown = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert "create_serial_numbers ManufacturingOrder 1003" in shown.stdout
    assert "1 write(s) without a final outcome (interrupted, or still running)" in shown.stdout
    exported = subprocess.run([*run, "--csv"], env=env, capture_output=True, text=True, timeout=60)
    assert exported.stdout.splitlines()[0].startswith("time,write_id,phase,katana,tool")
    fresh = subprocess.run([*run, "--reconcile"], env=env, capture_output=True, text=True,
                           timeout=60)  # a call may still be running it: not settled yet
    assert "nothing to reconcile" in fresh.stdout and "reconciled" not in path.read_text()
    quick = {**env, "KATANA_SN_MCP_CALL_DEADLINE": "0.2", "KATANA_TIMEOUT": "0.2"}
    time.sleep(0.5)  # past any call that could still be running it
    settled = subprocess.run([*run, "--reconcile"], env=quick, capture_output=True, text=True,
                             timeout=60)
    assert "(create on ManufacturingOrder 1003): 0 of 1 strings on it now" in settled.stdout
