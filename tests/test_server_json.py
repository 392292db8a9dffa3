"""server.json is a valid MCP registry entry and agrees with the package and README."""

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from jsonschema import Draft7Validator

from katana_sn_mcp import __version__

ROOT = Path(__file__).resolve().parents[1]
ENTRY = json.loads((ROOT / "server.json").read_text())


def test_server_json_validates_against_the_registry_schema() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "server.schema.json").read_text())
    errors = sorted(Draft7Validator(schema).iter_errors(ENTRY), key=str)
    assert errors == []


def test_versions_match_the_package() -> None:
    assert ENTRY["version"] == __version__
    assert [p["version"] for p in ENTRY["packages"]] == [__version__, __version__]


def test_the_packages_are_the_pypi_package_and_the_release_bundle() -> None:
    pypi, mcpb = ENTRY["packages"]
    assert (pypi["registryType"], pypi["identifier"]) == ("pypi", "katana-sn-mcp")
    assert mcpb["registryType"] == "mcpb" and mcpb["transport"] == {"type": "stdio"}
    assert mcpb["identifier"] == ("https://github.com/katana-sn-mcp/katana-sn-mcp/releases/"
                                  f"download/v{__version__}/katana-sn-mcp-{__version__}.mcpb")
    # The registry requires the bundle's SHA-256, known only once the release bundle is
    # built: `scripts/release.py sha256` writes it into the published copy, never here.
    assert "fileSha256" not in mcpb


def release(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "release.py"), "--root",
                           str(root), *args], capture_output=True, text=True, timeout=60)


def fake_bundle(where: Path, version: str) -> Path:
    bundle = where / f"katana-sn-mcp-{version}.mcpb"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"version": version}))
    return bundle


def test_the_release_script_writes_the_bundles_hash(tmp_path: Path) -> None:
    shutil.copy(ROOT / "server.json", tmp_path / "server.json")
    bundle = fake_bundle(tmp_path, __version__)
    proc = release(tmp_path, "sha256", str(bundle))
    assert proc.returncode == 0, proc.stderr
    written = json.loads((tmp_path / "server.json").read_text())
    mcpb = written["packages"][1]
    assert mcpb["fileSha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    schema = json.loads((ROOT / "tests" / "data" / "server.schema.json").read_text())
    assert list(Draft7Validator(schema).iter_errors(written)) == []
    del mcpb["fileSha256"]
    assert written == ENTRY  # nothing else changed


def test_the_release_script_refuses_a_bundle_of_another_version(tmp_path: Path) -> None:
    shutil.copy(ROOT / "server.json", tmp_path / "server.json")
    proc = release(tmp_path, "sha256", str(fake_bundle(tmp_path, "0.0.1")))
    assert proc.returncode != 0 and "0.0.1" in proc.stderr
    assert json.loads((tmp_path / "server.json").read_text()) == ENTRY


def test_readme_carries_the_mcp_name_marker() -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"<!-- mcp-name: {re.escape(ENTRY['name'])} -->", readme)


def test_the_key_is_required_and_secret() -> None:
    env = {e["name"]: e for e in ENTRY["packages"][0]["environmentVariables"]}
    assert env["KATANA_API_KEY"]["isRequired"] and env["KATANA_API_KEY"]["isSecret"]
    assert not env["KATANA_BASE_URL"]["isRequired"]
