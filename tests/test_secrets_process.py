"""Secrets at the process boundary: a spawned server against an echoing Katana over real
HTTP, and misconfigured secrets refused at start-up without ever being shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mcp import StdioServerParameters

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
SECRET = "ksk_live_Proc3ssN0tL3aked_77"


class Echo(BaseHTTPRequestHandler):
    """Answers every request 500 with the request's headers in the message."""

    def _echo(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps({"error": {"statusCode": 500, "name": "InternalServerError",
                                     "message": f"upstream failed; headers: {dict(self.headers)}"}})
        self.send_response(500)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = do_DELETE = _echo

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


async def test_a_spawned_server_at_debug_never_writes_the_key(tmp_path: Path, echo_url: str) -> None:
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    journal = tmp_path / "journal.jsonl"
    env = {"PYTHONPATH": str(ROOT), "KATANA_API_KEY": SECRET, "KATANA_BASE_URL": echo_url,
           "KATANA_SN_MCP_JOURNAL": str(journal)}
    params = StdioServerParameters(command=sys.executable, cwd=str(ROOT), env=env,
                                   args=["-m", "katana_sn_mcp", "--log-level", "DEBUG"])
    errlog = (tmp_path / "stderr.txt").open("w+")
    texts = []
    async with stdio_client(params, errlog=errlog) as (read, write), \
            ClientSession(read, write) as client:
        await client.initialize()
        calls = {"create_serial_numbers": {"resource_type": "SalesOrderRow", "resource_id": 1,
                                           "serial_numbers": ["A"]},
                 "delete_serial_numbers": {"resource_type": "SalesOrderRow", "resource_id": 1,
                                           "ids": [1], "confirm": True},
                 "list_serial_numbers": {"resource_id": 1},
                 "verify_serial_numbers": {"resource_type": "SalesOrderRow", "resource_id": 1,
                                           "expect_absent_ids": [1]}}
        for name, args in calls.items():
            texts.append(json.dumps((await client.call_tool(name, args)).model_dump(mode="json")))
    errlog.seek(0)
    stderr = errlog.read()
    assert "upstream failed; headers" in "".join(texts)  # Katana's words are relayed...
    assert "[redacted]" in "".join(texts)  # ...with the key cut out
    assert "serial_numbers" in stderr  # debug logging ran
    for where, text in [("results", "".join(texts)), ("stderr", stderr),
                        ("journal", journal.read_text())]:
        assert SECRET not in text, where


BAD = [
    ("KATANA_API_KEY", SECRET + " ", "whitespace"),
    ("KATANA_API_KEY", SECRET + "\n", "whitespace"),
    ("KATANA_API_KEY", SECRET + "\t", "whitespace"),
    ("KATANA_API_KEY", SECRET.replace("_", "–"), "non-ASCII"),
    ("KATANA_BASE_URL", f"https://admin:{SECRET}@api.katanamrp.com/v1", "user name or password"),
    ("KATANA_BASE_URL", "https://api.katanamrp.com:99999/v1", "port"),
    ("KATANA_BASE_URL", "api.katanamrp.com/v1", "http:// or https://"),
    ("KATANA_SN_MCP_TOKEN", f"{SECRET} ", "whitespace"),
    ("KATANA_SN_MCP_STATE_KEY", "k3y-tiny", "shorter than 32 characters"),
]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KATANA_")}
    env = {"KATANA_API_KEY": "ksk_live_good_key_123", **env}
    return subprocess.run([sys.executable, "-m", "katana_sn_mcp", *args],
                          env={**base, "PYTHONPATH": str(ROOT), **env}, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("name", "value", "why"), BAD)
def test_a_misconfigured_secret_is_refused_at_start_up_by_name_never_by_value(
    name: str, value: str, why: str
) -> None:
    proc = run(**{name: value})
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and why in lines[0], proc.stderr
    assert SECRET not in proc.stderr
    if name != "KATANA_BASE_URL" or "@" in value:
        assert value.strip() not in proc.stderr


@pytest.mark.parametrize(("name", "value", "why"), BAD)
def test_doctor_gives_the_same_verdict_without_a_traceback(name: str, value: str, why: str) -> None:
    proc = run("doctor", **{name: value})
    assert proc.returncode == 1
    assert f"[FAIL] {name}" in proc.stdout and why in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    if name != "KATANA_BASE_URL" or "@" in value:
        assert value.strip() not in proc.stdout
