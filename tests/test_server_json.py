"""server.json is a valid MCP registry entry and agrees with the package and README."""

import json
import re
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
    assert [p["version"] for p in ENTRY["packages"]] == [__version__]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in pyproject


def test_readme_carries_the_mcp_name_marker() -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"<!-- mcp-name: {re.escape(ENTRY['name'])} -->", readme)


def test_the_key_is_required_and_secret() -> None:
    env = {e["name"]: e for e in ENTRY["packages"][0]["environmentVariables"]}
    assert env["KATANA_API_KEY"]["isRequired"] and env["KATANA_API_KEY"]["isSecret"]
    assert not env["KATANA_BASE_URL"]["isRequired"]
