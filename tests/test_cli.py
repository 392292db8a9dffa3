"""The command line walked as a person types it: each mistake is one line on stderr and exit 2
(never a usage block or a traceback), the documented command lines keep working, and Ctrl-C
stops the stdio server.

Every test runs `python -m katana_sn_mcp ...` as a process, like the console script, with
stdin closed (a server given no client reads end-of-file and stops)."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from katana_sn_mcp import __version__

ROOT = Path(__file__).resolve().parents[1]
PROG = "katana-sn-mcp"


def env(**extra: str) -> dict[str, str]:
    """No KATANA_* from the developer's shell: a test must not depend on a real key."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("KATANA_")}
    return {**base, "PYTHONPATH": str(ROOT), **extra}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "katana_sn_mcp", *args], env=env(),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          cwd=ROOT)


def refused(proc: subprocess.CompletedProcess[str], *phrases: str) -> str:
    """Exit 2, nothing on stdout (for `serve` it is the protocol channel), exactly one line
    on stderr that contains each phrase, no traceback. Returns that line."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    return lines[0]


# -- version and help -------------------------------------------------------------------

def test_version_prints_the_package_version() -> None:
    proc = run("--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"{PROG} {__version__}\n", "")


def test_help_describes_every_command() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for line in ("serve     run the MCP server (the default command)",
                 "demo      run a scripted session against the sandbox",
                 "doctor    check the settings and that Katana answers"):
        assert line in proc.stdout, line


@pytest.mark.parametrize(("command", "defaults"), [
    ("serve", ["(default: 127.0.0.1)", "(default: 8765)", "(default: seeds)",
               "(default: WARNING)", "Ctrl-C"]),
    ("demo", ["(default: seeds)", "(default: WARNING)", "Needs no key"]),
    ("doctor", ["(default: seeds)", "(default: WARNING)", "Exits 0 when ready"]),
])
def test_each_command_has_its_own_help_with_defaults(command: str, defaults: list[str]) -> None:
    proc = run(command, "--help")
    assert proc.returncode == 0 and proc.stdout.startswith(f"usage: {PROG} {command}")
    text = " ".join(proc.stdout.split())  # help wraps to the terminal width
    for phrase in defaults:
        assert phrase in text, phrase
    assert "(default: None)" not in text and "(default: False)" not in text


def test_the_readme_command_line_block_matches_the_parser() -> None:
    """The README's usage lines name, per command, exactly the options that command takes."""
    from katana_sn_mcp.cli import parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Command line", 1)[1].split("```", 2)[1]
    usage: dict[str, set[str]] = {}
    command = "serve"
    for line in block.splitlines():
        if line.startswith(PROG):
            words = line.split()
            command = words[1] if len(words) > 1 and words[1] in ("demo", "doctor", "journal") else "serve"
        if "--version" in line or "--help" in line:
            continue
        usage.setdefault(command, set()).update(re.findall(r"--[a-z][a-z-]+", line))
    sub = next(a for a in parser()._actions if a.dest == "command")
    for name, cmd in sub.choices.items():  # type: ignore[union-attr]
        options = {o for a in cmd._actions for o in a.option_strings if o.startswith("--")}
        assert usage[name] == options - {"--help"}, name


# -- options that belong to another command ----------------------------------------------

@pytest.mark.parametrize(("argv", "named"), [
    (["doctor", "--http", "--host", "0.0.0.0"], "--http, --host are options of `serve`"),
    (["demo", "--http"], "--http is an option of `serve`"),
    (["demo", "--sandbox-state", "state.json"], "--sandbox-state is an option of `doctor / journal / serve`"),
    (["doctor", "--no-journal"], "--no-journal is an option of `serve`"),
])
def test_an_option_of_another_command_is_refused(argv: list[str], named: str) -> None:
    """`doctor --http --host 0.0.0.0` used to say "ready" for a bind it never checked."""
    refused(run(*argv), f"{PROG} {argv[0]}: error: {named}, not of `{argv[0]}`")


@pytest.mark.parametrize(("argv", "named"), [
    (["--sandbox", "--port", "9000"], "--port applies only with --http"),
    (["serve", "--sandbox", "--host", "0.0.0.0"], "--host applies only with --http"),
    (["serve", "--sandbox", "--stateless"], "--stateless applies only with --http"),
    (["--sandbox-mode", "current"], "--sandbox-mode applies only with --sandbox"),
    (["doctor", "--sandbox-state", "state.json"], "--sandbox-state applies only with --sandbox"),
])
def test_an_option_that_would_be_ignored_is_refused(argv: list[str], named: str) -> None:
    """`--port 9000` without --http used to start a stdio server and ignore the port."""
    refused(run(*argv), named)


@pytest.mark.parametrize("argv", [["--limit", "5", "journal"], ["--sandbox", "--sandbox-state", "demo", "doctor"]])
def test_the_command_may_follow_options_and_a_value_is_never_a_command(argv: list[str]) -> None:
    from katana_sn_mcp.cli import parse

    args = parse(argv)
    assert args.command == argv[-1]


def test_a_mistyped_command_is_one_line() -> None:
    refused(run("serv"), "invalid choice: 'serv'", "serve")


# -- ports ---------------------------------------------------------------------------------

@pytest.mark.parametrize("port", ["99999", "0", "abc", "-1", "8_765", "65536"])
@pytest.mark.parametrize("command", [[], ["serve"]])
def test_a_bad_port_is_one_line_and_exit_2(command: list[str], port: str) -> None:
    line = refused(run(*command, "--sandbox", "--http", "--port", port),
                   "--port", "1 to 65535", repr(port))
    assert line.startswith(f"{PROG} serve: error:")


# -- the sandbox state file ----------------------------------------------------------------

def test_a_state_file_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    refused(run("--sandbox", "--sandbox-state", str(tmp_path)), str(tmp_path), "is a folder")


@pytest.mark.parametrize(("content", "says"), [
    ("not json at all\n", "is not JSON"),
    ("", "is not JSON"),
    ('{"servers": {}}', "is JSON but not a sandbox state file"),
    ("[1, 2, 3]", "is JSON but not a sandbox state file"),
    ('{"resources": [], "linked_rows": {}, "records": [{"id": "x"}], "history": {}, '
     '"next_id": 1}', "is JSON but not a sandbox state file"),
])
@pytest.mark.parametrize("command", [[], ["doctor"]])
def test_a_state_file_that_is_not_the_sandboxs_is_refused_and_left_alone(
        tmp_path: Path, command: list[str], content: str, says: str) -> None:
    """Someone points --sandbox-state at the wrong file: refuse it, never overwrite it."""
    state = tmp_path / "settings.json"
    state.write_text(content, encoding="utf-8")
    refused(run(*command, "--sandbox", "--sandbox-state", str(state)), str(state), says)
    assert state.read_text(encoding="utf-8") == content


def test_a_state_file_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    state = tmp_path / "notes.txt" / "state.json"
    refused(run("--sandbox", "--sandbox-state", str(state)), "notes.txt is a file, not a folder")


def test_a_state_file_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "no-such-folder" / "state.json"
    refused(run("serve", "--sandbox", "--sandbox-state", str(state)),
            "no-such-folder does not exist")
    assert not state.parent.exists()


def test_a_good_state_file_is_created_then_reused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    for _ in range(2):
        proc = run("doctor", "--sandbox", "--sandbox-state", str(state))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Verdict: ready to serve." in proc.stdout
    assert json.loads(state.read_text())["next_id"] > 0


CRASH_MID_SAVE = """
import os, signal, sys
from pathlib import Path
from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
sandbox = Sandbox(SandboxConfig(state_file=Path(sys.argv[1])))
os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # killed between write and rename
sandbox.mint("ManufacturingOrder", 1003, ["LOST-1"])
"""


def test_a_crash_mid_save_leaves_the_old_state_and_no_temp_file(tmp_path: Path) -> None:
    """kill -9 between writing the temp file and renaming it: the state file is the old one,
    and the next start removes the temp file (and old random-named ones)."""
    state = tmp_path / "state.json"
    assert run("doctor", "--sandbox", "--sandbox-state", str(state)).returncode == 0
    before = state.read_text()
    crash = subprocess.run([sys.executable, "-c", CRASH_MID_SAVE, str(state)], env=env(),
                           capture_output=True, text=True, timeout=60)
    assert crash.returncode == -signal.SIGKILL, crash.stderr
    assert state.read_text() == before  # whole, and the old one
    assert (tmp_path / ".state.json.tmp").exists()  # the crash did leave its temp file
    (tmp_path / ".state.json.k2j3h4.tmp").write_text("{")  # as mkstemp-era saves left them
    (tmp_path / ".other.json.tmp").write_text("{")  # not ours: must stay
    proc = run("doctor", "--sandbox", "--sandbox-state", str(state))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.tmp", "state.json"]
    assert "LOST-1" not in state.read_text()


# -- the command lines the README and the hosts use keep working ----------------------------

@pytest.mark.parametrize("argv", [
    ["--sandbox", "--no-journal"],
    ["serve", "--sandbox", "--no-journal"],
    ["--sandbox", "--sandbox-mode", "current", "--no-journal"],
    ["--log-level", "DEBUG", "--sandbox", "--no-journal"],
])
def test_serve_is_the_default_command_and_stdout_stays_clean(argv: list[str]) -> None:
    """With stdin closed the stdio server starts, reads end-of-file and stops: exit 0, and
    nothing on stdout but protocol (here: nothing)."""
    proc = run(*argv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert "Sandbox Katana" in proc.stderr


@pytest.mark.parametrize("argv", [["doctor", "--sandbox"], ["--sandbox", "doctor"],
                                  ["doctor", "--sandbox", "--sandbox-mode", "current"]])
def test_doctor_command_lines(argv: list[str]) -> None:
    proc = run(*argv)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Verdict: ready to serve." in proc.stdout


# -- Ctrl-C -------------------------------------------------------------------------------

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "test", "version": "1"}}}


def _interrupt(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    """SIGINT, as Ctrl-C sends it; the process must be gone within 10 s (a liveness check)."""
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the stdio server was still running 10 s after Ctrl-C")
    assert proc.stderr is not None
    return code, proc.stderr.read().decode("utf-8", "replace")


def _started(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the start-up banner (the sandbox's description ends with this row)."""
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    seen = b""
    while b"StockTransferRow" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.readline()
    time.sleep(0.5)  # into the read loop


def test_ctrl_c_stops_the_stdio_server_while_a_host_holds_stdin_open() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "katana_sn_mcp", "--sandbox", "--no-journal"],
                            env=env(), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        _started(proc)
        proc.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        proc.stdin.flush()
        assert b'"id":1' in proc.stdout.readline()  # a live session, as a host would have
        code, err = _interrupt(proc)
    finally:
        proc.stdin.close()
    assert code == 130
    assert "Traceback" not in err


def test_ctrl_c_stops_the_stdio_server_started_at_a_terminal() -> None:
    """At a terminal (stdin a tty), the case a person sees: it used to wait for Enter."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "katana_sn_mcp", "--sandbox",
                                 "--no-journal"], env=env(), cwd=ROOT, stdin=follower,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _started(proc)
        code, err = _interrupt(proc)
    finally:
        os.close(leader)
        os.close(follower)
    assert code == 130
    assert "Traceback" not in err


def test_a_port_already_in_use_is_one_line_and_exit_2() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "katana_sn_mcp", "serve", "--sandbox",
                               "--no-journal", "--http", "--port", str(port)],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1] == (
        f"katana-sn-mcp: cannot listen on 127.0.0.1:{port}: Address already in use; pick "
        "another --port")
    assert "serving MCP" not in proc.stderr and "Traceback" not in proc.stderr
