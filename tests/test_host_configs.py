"""Every host configuration in the README starts a working server, exactly as written.

Each JSON block and `claude mcp add` line of "## Connect a host" is launched as a host would
launch it: its command, args and env (the clone path replaced by this checkout's), over stdio,
through initialize and tools/list. The wheel forms (`uvx --from`, `pipx run --spec`) are run
the same way against a wheel built from this checkout.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from katana_sn_mcp import __version__
from tests.conftest import TOOL_NAMES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = "/path/to/katana-sn-mcp/.venv/bin/katana-sn-mcp"
DUMMY_KEY = "dummy-key-for-the-host-config-test"
TOOLS = TOOL_NAMES
VERSION = __version__  # the one version source (pyproject reads it: [tool.hatch.version])


def section() -> str:
    """'## Connect a host' up to the next '## ', without the team HTTP subsection."""
    start = README.index("## Connect a host\n")
    end = README.index("\n## ", start + 1)
    text = README[start:end]
    team = re.search(r"### A shared HTTP server for a team\n.*?(?=\n### |\Z)", text, flags=re.S)
    return text.replace(team.group(0), "") if team else text


SECTION = section()
JSON_BLOCKS = re.findall(r"```json\n(.*?)```", SECTION, flags=re.S)
SNIPPETS = [json.loads(b) for b in JSON_BLOCKS]
CLAUDE_LINES = [ln for ln in SECTION.splitlines() if ln.startswith("claude mcp add ")]
BASH = "\n".join(re.findall(r"```bash\n(.*?)```", SECTION, flags=re.S)).splitlines()


def bin_tool(name: str) -> str:
    """An executable of this venv (the tests run inside it), as `.venv/bin/<name>`."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not in {Path(sys.executable).parent}: install the test extras"
    return found


def entries() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for snippet in SNIPPETS:
        group = snippet.get("mcpServers") or snippet.get("servers") or {}
        found.extend(group.items())
    return found


def claude_entries() -> list[tuple[str, dict[str, Any]]]:
    """`claude mcp add <name> [--env K=V]... -- <command> [args...]`, parsed as the CLI does."""
    found = []
    for line in CLAUDE_LINES:
        argv = shlex.split(line)
        cut = argv.index("--")
        name, options, command = argv[3], argv[4:cut], argv[cut + 1:]
        assert not name.startswith("-"), f"the name must come right after `add`: {line}"
        env = {}
        for flag, value in zip(options[::2], options[1::2], strict=True):
            assert flag in ("--env", "-e"), line
            key, _, val = value.partition("=")
            env[key] = val
        found.append((name, {"command": command[0], "args": command[1:], "env": env}))
    return found


def launchable(entry: dict[str, Any]) -> StdioServerParameters:
    """What a host spawns for this entry, with the clone path and the key placeholder filled in."""
    command = entry["command"]
    assert command == PLACEHOLDER, f"snippets start the clone's executable, not {command!r}"
    env = dict(entry.get("env", {}))
    if env:
        assert set(env) == {"KATANA_API_KEY"}
        env["KATANA_API_KEY"] = DUMMY_KEY  # the placeholder or VS Code's ${input:...}
        env["KATANA_BASE_URL"] = "http://127.0.0.1:9/v1"  # nothing may reach out while listing
    return StdioServerParameters(command=bin_tool("katana-sn-mcp"), args=list(entry.get("args", [])),
                                 env=env)


async def handshake(params: StdioServerParameters) -> None:
    """initialize (the handshake hosts use today) then tools/list, within a deadline."""
    with anyio.fail_after(120):
        async with Client(params, mode="legacy") as client:
            assert client.server_info.name
            tools = {t.name for t in (await client.list_tools()).tools}
    assert tools == TOOLS


def test_every_host_has_a_sandbox_and_a_real_key_variant() -> None:
    assert len(SNIPPETS) == 6  # Claude Desktop, Cursor and VS Code, sandbox and real key each
    names = [name for name, _ in entries()]
    assert names == ["katana-sn-sandbox", "katana-sn"] * 3
    for name, entry in entries():
        sandbox = "--sandbox" in entry["args"]
        assert sandbox == (name == "katana-sn-sandbox")
        assert ("env" in entry) == (not sandbox)


def test_vs_code_snippets_use_the_stdio_type_and_a_password_input() -> None:
    vscode = [s for s in SNIPPETS if "servers" in s]
    assert len(vscode) == 2 and all(e["type"] == "stdio" for s in vscode for e in s["servers"].values())
    real = next(s for s in vscode if "inputs" in s)
    assert real["inputs"][0]["password"] is True
    key = real["inputs"][0]["id"]
    assert real["servers"]["katana-sn"]["env"]["KATANA_API_KEY"] == f"${{input:{key}}}"


def test_claude_code_lines_can_both_be_added() -> None:
    assert len(CLAUDE_LINES) == 2
    names = [name for name, _ in claude_entries()]
    assert names == ["katana-sn-sandbox", "katana-sn"]  # different names: no conflict
    sandbox, real = (entry for _, entry in claude_entries())
    assert sandbox["args"] == ["--sandbox"] and not sandbox["env"]
    assert real["args"] == [] and set(real["env"]) == {"KATANA_API_KEY"}


def test_the_windows_note_names_the_scripts_executable() -> None:
    assert r"\\.venv\\Scripts\\katana-sn-mcp.exe" in SECTION
    assert f"Replace `{PLACEHOLDER.removesuffix('/.venv/bin/katana-sn-mcp')}`" in SECTION


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(JSON_BLOCKS)))  # one server per block (asserted above)
async def test_each_json_snippet_starts_and_lists_tools(index: int) -> None:
    _, entry = entries()[index]
    await handshake(launchable(entry))


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(CLAUDE_LINES)))
async def test_each_claude_mcp_add_line_starts_and_lists_tools(index: int) -> None:
    _, entry = claude_entries()[index]
    await handshake(launchable(entry))


def test_the_debugging_command_shows_the_sandbox_and_ends_at_end_of_input() -> None:
    """"Run the snippet's command yourself": it reports on stderr and Ctrl-D (EOF) ends it."""
    found = re.search(rf"`({re.escape(PLACEHOLDER)} [^`]*)` prints", SECTION)
    assert found, "the Debugging subsection shows the command to run by hand"
    argv = [bin_tool("katana-sn-mcp"), *shlex.split(found.group(1))[1:]]
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "Sandbox Katana" in proc.stderr and "Traceback" not in proc.stderr


# --- The wheel forms: what `uvx` / `pipx run` will do once published, run today from a wheel.

WHEEL = f"dist/katana_sn_mcp-{VERSION}-py3-none-any.whl"


def wheel_lines() -> tuple[str, list[list[str]]]:
    build = [ln for ln in BASH if "pip wheel" in ln]
    runs = [shlex.split(ln) for ln in BASH if WHEEL in ln]
    assert build == [".venv/bin/python -m pip wheel --no-deps -w dist ."], build
    assert [r[0] for r in runs] == ["uvx", "pipx"], f"README names {WHEEL} for both"
    return build[0], runs


def test_the_published_forms_name_the_package_and_its_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "katana-sn-mcp" and "katana-sn-mcp" in project["scripts"]
    assert "uvx katana-sn-mcp --sandbox" in BASH and "pipx run katana-sn-mcp --sandbox" in BASH
    wheel_lines()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's build line, run in a scratch folder (so the checkout gets no dist/)."""
    work = tmp_path_factory.mktemp("wheel")
    build, _ = wheel_lines()
    argv = shlex.split(build)
    argv[0], argv[-1] = sys.executable, str(ROOT)
    subprocess.run(argv, cwd=work, check=True, capture_output=True, timeout=300)
    assert (work / WHEEL).is_file(), sorted(p.name for p in (work / "dist").iterdir())
    return work


@pytest.mark.anyio
@pytest.mark.parametrize("tool", ["uvx", "pipx"])
async def test_the_wheel_runs_through_uvx_and_pipx(tool: str, built: Path) -> None:
    _, runs = wheel_lines()
    argv = next(r for r in runs if r[0] == tool)
    scratch = built / f"{tool}-home"
    # Typed in a terminal: the person's whole environment (proxy and CA settings included),
    # with scratch caches so nothing from an earlier run is reused.
    env = {**os.environ, "UV_CACHE_DIR": str(scratch / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never",
           "PIPX_HOME": str(scratch / "pipx"), "PIPX_BIN_DIR": str(scratch / "pipx-bin")}
    await handshake(StdioServerParameters(command=bin_tool(tool), args=argv[1:], env=env,
                                          cwd=str(built)))
