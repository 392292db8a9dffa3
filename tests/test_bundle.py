"""The Claude Desktop bundle (.mcpb): packed by the official CLI, unpacked, and started the way
Claude Desktop starts a `uv` bundle.

The manifest's `mcp_config` is filled in as the host fills it in (`${__dirname}` is the
unpacked folder, each `${user_config.x}` the person's answer, an option left empty as "" or,
in some Desktop versions, as its own unsubstituted placeholder) and run with `uv` from PyPI
(Claude Desktop runs its own copy of uv), which builds the environment from the bundle's
pyproject.toml. The server then answers a real MCP stdio client, against the embedded
sandbox and against a Katana stand-in served over real HTTP on loopback, and the API key
is looked for in everything the process wrote.

CI packs the bundle once (`.ci/run`) and passes it as KATANA_SN_MCP_BUNDLE; without it the
bundle is packed here with `npx -y @anthropic-ai/mcpb pack`. Under CI a missing npx is a
failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from katana_sn_mcp import __version__
from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
from katana_sn_mcp.settings import SANDBOX_ENV, Settings
from tests.conftest import TOOL_NAMES
from tests.echo_katana import EchoKatana
from tests.serving import serving

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
BUNDLE_ENV = "KATANA_SN_MCP_BUNDLE"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MAX_BYTES = 1024 * 1024
SHIPPED = {"katana_sn_mcp", "prompts", "pyproject.toml", "README.md", "LICENSE", "manifest.json",
           "icon.png"}
SECRET = "ksk_live_Bundl3K3yN0tSh0wn_42"
TOOLS = TOOL_NAMES

pytestmark = pytest.mark.anyio


# --- the bundle: packed with the official CLI (or CI's), unpacked once per module ---------

@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get(BUNDLE_ENV)
    if given:
        assert Path(given).is_file(), f"{BUNDLE_ENV}={given} is not a file"
        return Path(given)
    npx = shutil.which("npx")
    if npx is None:
        message = "npx (Node.js) is not installed, so the bundle cannot be packed with the official CLI"
        if IN_CI:
            pytest.fail(message + f"; CI must install Node or pass the packed bundle as {BUNDLE_ENV}")
        pytest.skip(message)
    out = tmp_path_factory.mktemp("packed") / f"katana-sn-mcp-{__version__}.mcpb"
    proc = subprocess.run([npx, "-y", "@anthropic-ai/mcpb", "pack", str(ROOT), str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and out.is_file(), proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def unpacked(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle as Claude Desktop installs it: extracted into a folder of its own."""
    where = tmp_path_factory.mktemp("installed") / "katana-sn-mcp"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(where)
    return where


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One package cache for every start in this module: the first start downloads the
    dependencies from PyPI, the others reuse them (as Desktop's uv does)."""
    return tmp_path_factory.mktemp("uv-cache")


def test_the_bundle_is_small_and_holds_only_the_server(bundle: Path) -> None:
    assert bundle.stat().st_size <= MAX_BYTES, f"{bundle.stat().st_size} bytes"
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        packed_manifest = json.loads(archive.read("manifest.json"))
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == SHIPPED, f"unexpected: {tops - SHIPPED}, missing: {SHIPPED - tops}"
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".mcpb"))]
    prompts = {f"prompts/{p.name}" for p in (ROOT / "prompts").glob("*.md")}
    package = {p.relative_to(ROOT).as_posix() for p in (ROOT / "katana_sn_mcp").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert prompts | package <= set(names), sorted(prompts | package - set(names))
    assert packed_manifest == MANIFEST  # the bundle carries this checkout's manifest


# --- starting it as the host does -------------------------------------------------------

def host_command(dirname: Path, answers: dict[str, Any], empty: str) -> tuple[str, list[str], dict[str, str]]:
    """The manifest's mcp_config with Desktop's substitutions: `${__dirname}` and each
    `${user_config.x}`; an option left empty becomes "" (empty="blank") or stays the literal
    placeholder (empty="placeholder"), the two forms Desktop versions send."""
    config = MANIFEST["server"]["mcp_config"]

    def fill(text: str) -> str:
        text = text.replace("${__dirname}", str(dirname))
        for key in MANIFEST["user_config"]:
            placeholder = "${user_config." + key + "}"
            if placeholder not in text:
                continue
            value = answers.get(key)
            if value is None:
                text = text.replace(placeholder, placeholder if empty == "placeholder" else "")
            else:
                text = text.replace(placeholder, str(value).lower() if isinstance(value, bool)
                                    else str(value))
        return text

    return (config["command"], [fill(a) for a in config.get("args", [])],
            {k: fill(v) for k, v in config.get("env", {}).items()})


def uv_binary() -> str:
    """`uv` from PyPI (a test extra), where Claude Desktop would run its own bundled copy."""
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert found, "uv is not installed: install the test extras"
    return found


def launch(unpacked: Path, uv_cache: Path, answers: dict[str, Any], *, empty: str = "blank",
           state: Path | None = None) -> tuple[list[str], dict[str, str]]:
    command, args, env = host_command(unpacked, answers, empty)
    assert command == "uv", "a uv bundle is started by the host's uv"
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("KATANA_", "VIRTUAL_ENV", "UV_", "PYTHON"))}
    base.update(UV_NATIVE_TLS="1", UV_CACHE_DIR=str(uv_cache))
    if state is not None:  # where a default journal lands, so nothing is written to ~
        base["XDG_STATE_HOME"] = str(state)
    return [uv_binary(), *args], {**base, **env}


@dataclass
class Session:
    """What one run of the bundled server wrote: every JSON-RPC message read from its stdout
    (the raw protocol channel), its stderr, and the tool results."""
    stdout: list[str] = field(default_factory=list)
    stderr: str = ""
    results: list[Any] = field(default_factory=list)

    def everything(self) -> str:
        return "\n".join([*self.stdout, self.stderr, *(json.dumps(r) for r in self.results)])


@asynccontextmanager
async def started(argv: list[str], env: dict[str, str], errlog: Path,
                  session: Session) -> AsyncIterator[ClientSession]:
    """A real MCP stdio client on the spawned process; every message it reads is kept."""
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    with errlog.open("w+") as err:
        async with stdio_client(params, errlog=err) as (read, write):
            send, tapped = anyio.create_memory_object_stream[Any](100)

            async def tap() -> None:
                async with send:
                    async for item in read:
                        message = getattr(item, "message", None)
                        session.stdout.append(message.model_dump_json() if message else repr(item))
                        await send.send(item)

            async with anyio.create_task_group() as tg:
                tg.start_soon(tap)
                async with ClientSession(tapped, write) as client:
                    with anyio.fail_after(300):  # the first start installs from PyPI
                        await client.initialize()
                    yield client
                tg.cancel_scope.cancel()
        err.seek(0)
        session.stderr = err.read()


async def call(client: ClientSession, session: Session, tool: str, args: dict[str, Any]) -> Any:
    with anyio.fail_after(120):
        result = (await client.call_tool(tool, args)).model_dump(mode="json", by_alias=True)
    session.results.append(result)
    return result


async def test_the_bundle_started_as_the_host_does_answers_from_the_sandbox(
    unpacked: Path, uv_cache: Path, tmp_path: Path
) -> None:
    """The person turned the Sandbox switch on, typed no key and picked a journal folder;
    this Desktop passes the empty key as its unsubstituted placeholder."""
    journal = tmp_path / "journal-folder"
    journal.mkdir()
    argv, env = launch(unpacked, uv_cache, {"sandbox": True, "journal_folder": journal,
                                            "katana_base_url": ""}, empty="placeholder")
    assert env["KATANA_API_KEY"] == "${user_config.katana_api_key}"
    session = Session()
    async with started(argv, env, tmp_path / "stderr.txt", session) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        made = await call(client, session, "create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "serial_numbers": ["BUNDLE-1", "BUNDLE-2"]})
    assert tools == TOOLS
    assert made["isError"] is False, made
    assert made["structuredContent"]["summary"] == (
        "2 strings minted on ManufacturingOrder 1003 by Katana's answer (not re-read).")
    assert "Sandbox Katana" in session.stderr and "Traceback" not in session.stderr
    written = (journal / "sandbox-journal.jsonl").read_text()  # the folder the person chose
    assert "BUNDLE-1" in written


@pytest.fixture
def katana_over_http() -> Iterator[tuple[str, Sandbox]]:
    """A Katana stand-in on loopback over real HTTP: the sandbox's Katana, accepting only
    SECRET as the key, whose DELETE answers echo the request's headers (the key) back."""
    sandbox = Sandbox(SandboxConfig(api_key=SECRET))
    with serving(EchoKatana(sandbox, method="DELETE", shape="bare_key", status=400)) as url:
        yield f"{url}/v1", sandbox


async def test_the_bundle_sends_the_forms_key_to_katana_and_never_shows_it(
    unpacked: Path, uv_cache: Path, tmp_path: Path, katana_over_http: tuple[str, Sandbox]
) -> None:
    """The person typed their key (a sensitive field: KATANA_API_KEY) and Katana's address,
    left the Sandbox off and the journal folder empty; this Desktop passes it as ""."""
    url, sandbox = katana_over_http
    argv, env = launch(unpacked, uv_cache, {"katana_api_key": SECRET, "katana_base_url": url,
                                            "sandbox": False}, state=tmp_path / "state")
    assert env["KATANA_API_KEY"] == SECRET and env["KATANA_SN_MCP_JOURNAL"] == ""
    session = Session()
    async with started(argv, env, tmp_path / "stderr.txt", session) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        made = await call(client, session, "create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "serial_numbers": ["HTTP-1"]})
        listed = await call(client, session, "list_serial_numbers", {"resource_id": 1003})
        [[serial_id, *_]] = listed["structuredContent"]["rows"]
        echoed = await call(client, session, "delete_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003, "ids": [serial_id],
            "confirm": True})
    assert tools == TOOLS
    assert made["isError"] is False and "HTTP-1" in json.dumps(listed)
    # the sandbox answers 401 to any key but SECRET: every request carried the form's key
    assert sandbox.requests and all(r.status != 401 for r in sandbox.requests)
    assert "[redacted]" in json.dumps(echoed)  # Katana's echo of the key was relayed, cut
    journal = tmp_path / "state" / "katana-sn-mcp" / "journal.jsonl"  # the default place
    assert "HTTP-1" in journal.read_text()
    assert len(session.stdout) >= 5  # initialize, tools/list and three calls, as read
    for where, text in [("stdout/results/stderr", session.everything()),
                        ("journal", journal.read_text())]:
        assert SECRET not in text, where


# --- a bad form: one line in Desktop's log, no traceback, a non-zero exit ---------------

BAD = [
    ({"sandbox": False}, "blank", "KATANA_API_KEY is not set"),
    ({"sandbox": False}, "placeholder", "KATANA_API_KEY is not set"),
    ({"katana_api_key": SECRET + " ", "sandbox": False}, "blank", "KATANA_API_KEY starts or ends with whitespace"),
    ({"katana_api_key": "ksk live key", "sandbox": False}, "blank", "KATANA_API_KEY contains whitespace"),
    ({"katana_api_key": SECRET, "katana_base_url": "api.katanamrp.com/v1"}, "blank",
     "KATANA_BASE_URL must be an http:// or https:// URL"),
    ({"katana_api_key": SECRET, "katana_base_url": "not a url at all"}, "blank",
     "KATANA_BASE_URL must be an http:// or https:// URL"),
]


@pytest.mark.parametrize(("answers", "empty", "line"), BAD)
def test_a_bad_form_is_one_line_in_the_log_and_no_traceback(
    answers: dict[str, Any], empty: str, line: str, unpacked: Path, uv_cache: Path, tmp_path: Path
) -> None:
    argv, env = launch(unpacked, uv_cache, answers, empty=empty, state=tmp_path)
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode != 0 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and line in lines[0], proc.stderr
    assert lines[0].startswith("katana-sn-mcp")
    assert SECRET not in proc.stderr and "ksk live key" not in proc.stderr


# --- the manifest itself ------------------------------------------------------------------

def test_the_form_feeds_the_variables_the_server_reads() -> None:
    config, form = MANIFEST["server"], MANIFEST["user_config"]
    env = config["mcp_config"]["env"]
    read = {name.upper() for name in Settings.model_fields} | {SANDBOX_ENV}
    assert set(env) <= read, set(env) - read
    assert env == {"KATANA_API_KEY": "${user_config.katana_api_key}",
                   "KATANA_BASE_URL": "${user_config.katana_base_url}",
                   SANDBOX_ENV: "${user_config.sandbox}",
                   "KATANA_SN_MCP_JOURNAL": "${user_config.journal_folder}"}
    key = form["katana_api_key"]
    assert key["type"] == "string" and key["sensitive"] is True
    assert key["required"] is False  # the Sandbox needs no key
    assert form["sandbox"]["type"] == "boolean" and form["sandbox"]["default"] is False
    assert form["katana_base_url"]["default"] == Settings.model_fields["katana_base_url"].default
    assert form["journal_folder"]["type"] == "directory"
    assert config["type"] == "uv" and MANIFEST["manifest_version"] == "0.4"
    assert (ROOT / config["entry_point"]).is_file()


def test_the_manifest_declares_what_an_installer_shows() -> None:
    assert MANIFEST["version"] == __version__
    assert MANIFEST["license"] == "MIT"
    assert MANIFEST["privacy_policies"] == ["https://katanamrp.com/privacy-policy/"]
    assert MANIFEST["compatibility"] == {"platforms": ["darwin", "win32", "linux"],
                                         "runtimes": {"python": ">=3.11"}}
    icon = (ROOT / MANIFEST["icon"]).read_bytes()
    assert icon.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(icon[16:20], "big"), int.from_bytes(icon[20:24], "big")
    assert (width, height) == (512, 512)  # the size Claude Desktop recommends


async def test_the_install_screen_lists_what_the_server_answers(tmp_path: Path) -> None:
    """manifest.json's tools and prompts are tools/list's and prompts/list's (names and
    descriptions, in one paragraph; prompts with their arguments and text). After changing a
    tool or prompt: `python scripts/release.py listing` rewrites them."""
    from string import Template

    from mcp import Client

    from tests.conftest import make_harness

    async with Client(make_harness(tmp_path).server) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts

    def one_line(text: str | None) -> str:
        return " ".join((text or "").split())

    assert MANIFEST["tools"] == [{"name": t.name, "description": one_line(t.description)}
                                 for t in tools]
    expected = []
    for p in prompts:
        args = [a.name for a in p.arguments or []]
        source = Template((ROOT / "prompts" / f"{p.name}.md").read_text(encoding="utf-8"))
        text = source.substitute({a: "${arguments." + a + "}" for a in args})
        expected.append({"name": p.name, "description": one_line(p.description),
                         "arguments": args, "text": text})
    assert MANIFEST["prompts"] == expected
    assert "tools_generated" not in MANIFEST and "prompts_generated" not in MANIFEST


# --- the switch and the empty fields, on the installed package (no uv, fast) -------------

def run_here(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KATANA_")}
    return subprocess.run([sys.executable, "-m", "katana_sn_mcp"], env={**base, **env},
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("value", ["true", "1", "yes", "on", "True"])
def test_the_sandbox_switch_is_the_same_as_the_flag(value: str, tmp_path: Path) -> None:
    proc = run_here({SANDBOX_ENV: value, "KATANA_API_KEY": "", "KATANA_SN_MCP_JOURNAL": "",
                     "XDG_STATE_HOME": str(tmp_path)})
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    assert "Sandbox Katana" in proc.stderr


@pytest.mark.parametrize("value", ["false", "0", "no", "off", "", "${user_config.sandbox}"])
def test_the_sandbox_switch_off_or_left_empty_needs_the_key(value: str) -> None:
    proc = run_here({SANDBOX_ENV: value, "KATANA_API_KEY": ""})
    assert proc.returncode == 2
    assert proc.stderr.startswith("katana-sn-mcp: KATANA_API_KEY is not set.")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_sandbox_switch_that_is_neither_yes_nor_no_is_one_line() -> None:
    proc = run_here({SANDBOX_ENV: "maybe"})
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.strip().splitlines()
    assert f"{SANDBOX_ENV} must be true or false" in line and "Traceback" not in proc.stderr
