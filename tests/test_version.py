"""One version, and packages ready for PyPI.

The version is written once, in katana_sn_mcp/__init__.py (pyproject.toml reads it through
[tool.hatch.version]); server.json and manifest.json are plain JSON that other programs read,
so they carry copies, set together by `python scripts/release.py version X.Y.Z`. The wheel and
sdist are built as a release builds them (`python -m build`) and checked as PyPI checks them
(`twine check`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from katana_sn_mcp import __version__

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "release.py"


def versions(root: Path) -> dict[str, str]:
    """Every place a version is written in the checkout at `root`."""
    server = json.loads((root / "server.json").read_text())
    init = (root / "katana_sn_mcp" / "__init__.py").read_text()
    found = {"__init__.py": init.split('__version__ = "', 1)[1].split('"', 1)[0],
             "server.json version": server["version"],
             "manifest.json": json.loads((root / "manifest.json").read_text())["version"]}
    for package in server["packages"]:
        found[f"server.json {package['registryType']} package"] = package["version"]
    return found


def test_the_version_is_written_once_and_copied_the_same_everywhere() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "katana_sn_mcp/__init__.py"
    assert set(versions(ROOT).values()) == {__version__}, versions(ROOT)


def test_the_command_line_says_the_same_version() -> None:
    for argv in ([sys.executable, "-m", "katana_sn_mcp", "--version"],
                 [shutil.which("katana-sn-mcp", path=str(Path(sys.executable).parent)) or "",
                  "--version"]):
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert (proc.returncode, proc.stdout) == (0, f"katana-sn-mcp {__version__}\n"), argv


def test_the_release_script_sets_every_copy(tmp_path: Path) -> None:
    for name in ("katana_sn_mcp/__init__.py", "server.json", "manifest.json", "README.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    subprocess.run([sys.executable, str(SCRIPT), "--root", str(tmp_path), "version", "9.8.7"],
                   check=True, capture_output=True, timeout=60)
    assert set(versions(tmp_path).values()) == {"9.8.7"}
    mcpb = next(p for p in json.loads((tmp_path / "server.json").read_text())["packages"]
                if p["registryType"] == "mcpb")
    assert mcpb["identifier"].endswith("/v9.8.7/katana-sn-mcp-9.8.7.mcpb")
    readme = (tmp_path / "README.md").read_text()
    assert "katana_sn_mcp-9.8.7-py3-none-any.whl" in readme and "katana-sn-mcp-9.8.7.mcpb" in readme
    assert f"-{__version__}-py3-none-any.whl" not in readme and f"-{__version__}.mcpb" not in readme


def test_the_readmes_build_command_names_this_version() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"npx -y @anthropic-ai/mcpb pack . dist/katana-sn-mcp-{__version__}.mcpb\n" in readme


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build`: the sdist, then the wheel built from that sdist, as PyPI gets them."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_the_wheel_and_sdist_carry_the_version_and_pass_twine_check(dists: Path) -> None:
    names = sorted(p.name for p in dists.iterdir())
    assert names == [f"katana_sn_mcp-{__version__}-py3-none-any.whl",
                     f"katana_sn_mcp-{__version__}.tar.gz"]
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict",
                           *map(str, dists.iterdir())], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.count("PASSED") == 2, proc.stdout + proc.stderr


def test_the_sdist_holds_the_source_and_nothing_else(dists: Path) -> None:
    with tarfile.open(dists / f"katana_sn_mcp-{__version__}.tar.gz") as sdist:
        names = [n.split("/", 1)[1] for n in sdist.getnames() if "/" in n]
    tops = {n.split("/", 1)[0] for n in names}
    # PKG-INFO is the metadata; hatchling always adds the .gitignore it selected files by
    assert tops == {"katana_sn_mcp", "prompts", "README.md", "LICENSE", "pyproject.toml",
                    "PKG-INFO", ".gitignore"}, tops
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_ships_the_prompts_and_the_console_script(dists: Path) -> None:
    with zipfile.ZipFile(dists / f"katana_sn_mcp-{__version__}-py3-none-any.whl") as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"katana_sn_mcp-{__version__}.dist-info/METADATA").decode()
        scripts = wheel.read(f"katana_sn_mcp-{__version__}.dist-info/entry_points.txt").decode()
    prompts = {f"katana_sn_mcp/prompt_files/{p.name}" for p in (ROOT / "prompts").glob("*.md")}
    assert prompts <= names
    assert f"\nVersion: {__version__}\n" in metadata and "mcp-name: io.github.katana-sn-mcp" in metadata
    assert "katana-sn-mcp = katana_sn_mcp.cli:main" in scripts
