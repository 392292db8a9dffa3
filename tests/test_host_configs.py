"""Every host configuration in the README parses and starts the right command."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SNIPPETS = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README, flags=re.S)]


def servers() -> list[dict]:
    found = []
    for snippet in SNIPPETS:
        group = snippet.get("mcpServers") or snippet.get("servers") or {}
        found.extend(group.values())
    return found


def test_every_json_snippet_parses_and_configures_the_server() -> None:
    assert len(SNIPPETS) == 6  # Claude Desktop, Cursor and VS Code, sandbox and real key each
    entries = servers()
    assert len(entries) == 6
    for entry in entries:
        command = [entry["command"], *entry["args"]]
        assert command[:2] in (["uvx", "katana-sn-mcp"], ["pipx", "run"])
        assert "katana-sn-mcp" in command
        if "--sandbox" in command:
            assert "env" not in entry
        else:
            assert set(entry["env"]) == {"KATANA_API_KEY"}


def test_vs_code_snippets_use_the_stdio_type_and_a_password_input() -> None:
    vscode = [s for s in SNIPPETS if "servers" in s]
    assert len(vscode) == 2 and all(e["type"] == "stdio" for s in vscode for e in s["servers"].values())
    real = next(s for s in vscode if "inputs" in s)
    assert real["inputs"][0]["password"] is True
    assert real["servers"]["katana-sn"]["env"]["KATANA_API_KEY"] == "${input:katana-api-key}"


def test_claude_code_commands_parse() -> None:
    lines = [ln for ln in README.splitlines() if ln.startswith("claude mcp add ")]
    assert len(lines) == 2
    for line in lines:
        argv = shlex.split(line)
        assert argv[:4] == ["claude", "mcp", "add", "katana-sn"]
        assert argv[argv.index("--") + 1:][:2] == ["uvx", "katana-sn-mcp"]
    assert "--sandbox" in lines[0] and "KATANA_API_KEY=" in lines[1]
