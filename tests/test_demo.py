"""`katana-sn-mcp demo` end to end, as a newcomer runs it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_the_scripted_session_and_prints_the_answers() -> None:
    proc = subprocess.run([sys.executable, "-m", "katana_sn_mcp", "demo"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "1,000 strings minted on ManufacturingOrder 1003 by Katana's answer (not re-read)." in out
    assert "DEMO-0001…DEMO-1000 (1,000)" in out
    assert "MISSING (1, all named): DEMO-404" in out and "exist nowhere" in out
    assert "2 strings transferred to SalesOrderRow 3001 and confirmed by re-reading it" in out
    assert "Not on it (1): 886008" in out and "confirms nothing" in out
    assert "2 of 3 expected are on SalesOrderRow 3001" in out
    assert "NOT_ATTACHED (1, all named): DEMO-404" in out
    assert "1 of 1 id expected gone is gone from ManufacturingOrder 1001" in out
    assert "Confirmed: every expectation holds" in out


def test_demo_in_current_mode_shows_the_whole_call_refusal() -> None:
    proc = subprocess.run([sys.executable, "-m", "katana_sn_mcp", "demo", "--sandbox-mode",
                           "current"], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "refused the whole call" in proc.stdout and "Nothing was changed" in proc.stdout


def test_readme_shows_the_demos_real_output() -> None:
    import re

    proc = subprocess.run([sys.executable, "-m", "katana_sn_mcp", "demo"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"## Demo output.*?```text\n(.*?)```", readme, flags=re.S)
    assert shown is not None
    ids = re.compile(r"katana://results/[0-9a-f]{12}")  # random per run
    assert ids.sub("katana://results/<id>", shown.group(1)) == ids.sub(
        "katana://results/<id>", proc.stdout)


def test_demo_piped_into_a_reader_that_leaves_early_ends_quietly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "katana_sn_mcp", "demo"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err
