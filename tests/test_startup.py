"""The start with the collector off (katana_sn_mcp.startup): back on once the server is
built, the start-up heap frozen, and the real entry point doing both."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from katana_sn_mcp import startup

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_gc() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if was else gc.disable)()
    startup._paused = False


def test_begin_switches_the_collector_off_and_done_back_on(fresh_gc) -> None:
    gc.enable()
    startup.begin()
    assert not gc.isenabled()
    startup.begin()  # a second begin changes nothing
    startup.done()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_done_without_begin_changes_nothing(fresh_gc) -> None:
    gc.enable()
    startup.done()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_collector_someone_else_switched_off_stays_off(fresh_gc) -> None:
    gc.disable()
    startup.begin()
    startup.done()
    assert not gc.isenabled() and gc.get_freeze_count() == 0


def test_the_served_process_runs_with_its_collector_on() -> None:
    """The real `serve` start: begin before the SDK, done once built (its debug line says
    so), then it serves; stdin closed ends it."""
    proc = subprocess.run(
        [sys.executable, "-m", "katana_sn_mcp", "--sandbox", "--no-journal",
         "--log-level", "DEBUG"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.stdout == ""
    frozen = [line for line in proc.stderr.splitlines() if "start-up heap frozen" in line]
    assert len(frozen) == 1, proc.stderr[-2000:]
    assert frozen[0].endswith("garbage collector on: True")
    assert int(frozen[0].split("frozen: ")[1].split()[0]) > 10_000


def test_other_commands_run_with_the_collector_on() -> None:
    """`doctor` (like `demo` and `journal`) is not a server: the collector is back on before
    it runs."""
    proc = subprocess.run(
        [sys.executable, "-m", "katana_sn_mcp", "doctor", "--sandbox", "--log-level", "DEBUG"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    frozen = [line for line in proc.stderr.splitlines() if "start-up heap frozen" in line]
    assert len(frozen) == 1 and frozen[0].endswith("garbage collector on: True"), proc.stderr


def test_a_refused_start_leaves_the_collector_on(fresh_gc, capsys) -> None:
    """A mistake on the command line exits before anything is built: the collector must not
    stay off in whoever called main (a test run, an embedding program)."""
    from katana_sn_mcp import cli

    gc.enable()
    with pytest.raises(SystemExit):
        cli.main(["serve", "--port", "0"])
    assert gc.isenabled()
    assert "--port" in capsys.readouterr().err
