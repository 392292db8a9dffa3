"""The Katana key never leaves the process, whatever Katana or a proxy echoes back.

Every tool (enumerated from tools/list, so a new one is covered automatically), every
resource and prompt is driven against an echoing Katana in every error shape, in both MCP
eras; the key must appear in no result, no journal line and no log record at DEBUG.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from katana_sn_mcp import redact
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.redact_mcp import RedactResults
from katana_sn_mcp.runtime import SANDBOX_BASE_URL, client_factory
from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from tests.conftest import FAST_RETRY
from tests.echo_katana import SHAPES, EchoKatana

pytestmark = pytest.mark.anyio
SECRET = "ksk_live_Zq8mR2vT9xW4pL7nB3cF6hJ1"
FORMS = [SECRET, SECRET.lower(), base64.b64encode(SECRET.encode()).decode().rstrip("=")]
STATUSES = [400, 401, 404, 422, 429, 500, 502, 200]
CASES = [(shape, status) for shape, status in zip(SHAPES, cycle(STATUSES), strict=False)]


def assert_clean(where: str, text: str) -> None:
    for form in FORMS:
        assert form not in text, f"the key leaked into {where}: …{text[:300]}…"


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The server's own logging set-up at DEBUG, into a buffer; with the secret registered."""
    redact.forget_all()
    redact.register(SECRET)
    buf = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = redact.install_logging("DEBUG", buf)
    yield buf
    root.removeHandler(handler)
    root.setLevel(level)
    redact.forget_all()


def arguments(tool: Any, serial: str, serial_id: int) -> dict[str, Any]:
    """Valid arguments for any tool, from its input schema: known names get real seed data
    (so a DELETE is really sent), anything new gets a value of its schema type."""
    known: dict[str, Any] = {
        "resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [serial_id],
        "serial_numbers": [serial, "ECHO-NEW-1"], "expect_attached": [serial],
        "expect_absent_ids": [serial_id], "confirm": True, "verify": True, "limit": 10,
        "serial_ranges": [{"prefix": "ECHO-R-", "first": 1, "last": 2}],
        "expect_attached_ranges": [{"prefix": "ECHO-R-", "first": 1, "last": 2}]}
    by_type = {"integer": 1, "string": "x", "boolean": True, "array": ["x"], "number": 1}
    args = {}
    required = set(tool.input_schema.get("required", []))
    for name, schema in tool.input_schema.get("properties", {}).items():
        if name not in required and name not in known:
            continue  # an optional argument left out: the tool's default
        kind = schema.get("type", "string")
        args[name] = known.get(name, by_type.get(kind if isinstance(kind, str) else kind[0]))
    return args


async def everything_a_client_can_read(client: Client, sandbox: Sandbox) -> list[tuple[str, str]]:
    seed = sandbox.serials_on("ManufacturingOrder", 1001)[0]
    seen: list[tuple[str, str]] = []
    result_ids = ["000000000000"]  # one unknown id too: its "aged out" answer is an exit
    for tool in (await client.list_tools()).tools:
        result = await client.call_tool(tool.name, arguments(tool, seed.serial_number, seed.id))
        seen.append((f"tool {tool.name}", json.dumps(result.model_dump(mode="json"))))
        result_ids += [rid] if (rid := (result.structured_content or {}).get("result_id")) else []
    uris = [str(r.uri) for r in (await client.list_resources()).resources]
    templates = (await client.list_resource_templates()).resource_templates
    uris += [t.uri_template.format(resource_type="ManufacturingOrder", resource_id=1001,
                                   result_id=rid) for t in templates for rid in result_ids]
    for uri in uris:
        try:
            seen.append((f"resource {uri}", json.dumps((await client.read_resource(uri)).model_dump(
                mode="json"))))
        except Exception as exc:  # an MCP error answer: its text is what the model sees
            seen.append((f"resource error {uri}", str(exc)))
    for prompt in (await client.list_prompts()).prompts:
        args = {a.name: "1001" for a in prompt.arguments or []}
        seen.append((f"prompt {prompt.name}", json.dumps((await client.get_prompt(
            prompt.name, args)).model_dump(mode="json"))))
    return seen


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize(("shape", "status"), CASES)
async def test_no_echo_of_the_key_reaches_a_result_the_journal_or_a_log(
    tmp_path: Path, logs: io.StringIO, era: str, method: str, shape: str, status: int
) -> None:
    sandbox = Sandbox(SandboxConfig(api_key=SECRET))
    echo = EchoKatana(sandbox, method, shape, status)
    factory = client_factory(Settings(), transport=httpx.ASGITransport(app=echo),
                             api_key=SECRET, base_url=SANDBOX_BASE_URL, retry=FAST_RETRY)
    journal = tmp_path / "journal.jsonl"
    async with Client(build_server(factory, Journal(journal)), mode=era) as client:
        seen = await everything_a_client_can_read(client, sandbox)
    assert echo.echoed > 0, "the echoing Katana was never reached"
    for where, text in seen:
        assert_clean(where, text)
    assert_clean("the journal", journal.read_text() if journal.exists() else "")
    assert "serial_numbers" in logs.getvalue()  # DEBUG logging ran
    assert_clean("the log", logs.getvalue())


async def test_every_answer_passes_the_one_redaction_point_first(tmp_path: Path) -> None:
    server = build_server(client_factory(Settings(), api_key=SECRET), Journal(None))
    ours = [m for m in server.middleware if type(m).__module__.startswith("katana_sn_mcp")]
    assert isinstance(ours[0], RedactResults)


@pytest.mark.parametrize("text", [
    f"Authorization: Bearer {SECRET}", f'{{"authorization":"{SECRET}"}}', SECRET.upper(),
    f"b'Bearer {SECRET} '", base64.b64encode(f"Bearer {SECRET}".encode()).decode(),
    "Proxy-Authorization: Basic dXNlcjpwYXNz", "x-api-key=abcdef0123456789",
])
def test_redaction_cuts_the_value_and_its_encodings(logs: io.StringIO, text: str) -> None:
    out = redact.text(f"before {text} after")
    assert out.startswith("before ") and out.endswith(" after") and "[redacted]" in out
    assert_clean("redacted text", out)
    assert "dXNlcjpwYXNz" not in out and "abcdef0123456789" not in out


def test_placeholders_and_variable_names_survive_redaction(logs: io.StringIO) -> None:
    kept = ("KATANA_API_KEY: starts or ends with whitespace; clients send "
            "'Authorization: Bearer <token>'")
    assert redact.text(kept) == kept


def test_a_log_record_with_the_key_in_its_arguments_and_traceback_is_redacted(
    logs: io.StringIO
) -> None:
    try:
        raise RuntimeError(f"Illegal header value b'Bearer {SECRET} '")
    except RuntimeError:
        logging.getLogger("httpx").exception("request to %s failed", f"key={SECRET}")
    out = logs.getvalue()
    assert "Illegal header value" in out and "Traceback" in out
    assert_clean("a log record", out)
