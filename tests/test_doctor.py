"""`katana-sn-mcp doctor` gives a clear verdict and never prints the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk-doctor-secret-987654321"


def doctor(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KATANA_")}
    return subprocess.run([sys.executable, "-m", "katana_sn_mcp", "doctor", *args],
                          env={**base, "PYTHONPATH": str(ROOT), **env}, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_doctor_on_the_sandbox_passes() -> None:
    proc = doctor("--sandbox")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok] authenticated GET /serial_numbers answered" in proc.stdout
    assert "Verdict: ready to serve." in proc.stdout


def test_doctor_without_a_key_names_the_variable() -> None:
    proc = doctor()
    assert proc.returncode == 1
    assert "[FAIL] KATANA_API_KEY is not set" in proc.stdout and "--sandbox" in proc.stdout


def test_doctor_with_an_unreachable_host_fails_and_never_shows_the_key() -> None:
    proc = doctor(KATANA_API_KEY=SECRET, KATANA_BASE_URL="http://127.0.0.1:9/v1",
                  KATANA_TIMEOUT="2")
    assert proc.returncode == 1
    assert "[ok] KATANA_API_KEY is set" in proc.stdout
    assert "[FAIL] Katana could not be reached" in proc.stdout
    assert "NOT ready" in proc.stdout
    assert SECRET not in proc.stdout + proc.stderr
