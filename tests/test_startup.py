"""The start without old-generation sweeps (katana_sn_mcp.startup): thresholds back once the
server is built, the start-up heap frozen, and the real entry point doing both."""

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
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)
    startup._saved = None


def test_begin_collects_only_the_young_generation_and_done_restores(fresh_gc) -> None:
    gc.set_threshold(700, 10, 10)
    startup.begin()
    assert gc.get_threshold() == startup.YOUNG_ONLY
    startup.begin()  # a second begin does not save the young-only thresholds as "before"
    startup.done()
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() > 0


def test_done_without_begin_changes_nothing(fresh_gc) -> None:
    gc.set_threshold(700, 10, 10)
    startup.done()
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_the_served_process_runs_with_its_usual_collector() -> None:
    """The real `serve` start: begin before the SDK, done once built (its debug line shows
    the thresholds in force), then it serves; stdin closed ends it."""
    proc = subprocess.run(
        [sys.executable, "-m", "katana_sn_mcp", "--sandbox", "--no-journal",
         "--log-level", "DEBUG"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.stdout == ""
    frozen = [line for line in proc.stderr.splitlines() if "start-up heap frozen" in line]
    assert len(frozen) == 1, proc.stderr[-2000:]
    assert f"collector thresholds {gc.get_threshold()}" in frozen[0]
    assert int(frozen[0].split("frozen: ")[1].split()[0]) > 10_000
