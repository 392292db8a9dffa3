"""Release chores that keep the four copies of the version and the bundle's listing true.

    python scripts/release.py version 0.2.0      set the version everywhere it is written
    python scripts/release.py listing            rewrite manifest.json's tools and prompts
                                                 from what the server answers
    python scripts/release.py sha256 dist/katana-sn-mcp-0.2.0.mcpb
                                                 write the bundle's SHA-256 into server.json

Why a script: the version lives in katana_sn_mcp/__init__.py (pyproject reads it), but
server.json and manifest.json are plain JSON read by other programs, so they carry copies;
tests/test_version.py fails when a copy differs. The bundle's hash can only be known once the
release bundle is built, so server.json in the repository carries none: `sha256` fills it in
for the copy that is published, from the very file that is uploaded to the release.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path
from string import Template
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RELEASES = "https://github.com/katana-sn-mcp/katana-sn-mcp/releases/download"


def bundle_url(version: str) -> str:
    """Where the release bundle is downloaded from (server.json's mcpb identifier)."""
    return f"{RELEASES}/v{version}/katana-sn-mcp-{version}.mcpb"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def current_version(root: Path) -> str:
    init = root / "katana_sn_mcp" / "__init__.py"
    found = re.search(r'^__version__ = "([^"]+)"$', init.read_text(), flags=re.M)
    if not found:
        sys.exit(f"no __version__ line in {init}")
    return found.group(1)


def set_version(root: Path, version: str) -> None:
    if not re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?", version):
        sys.exit(f"not a release version: {version!r} (e.g. 0.2.0)")
    old = current_version(root)
    init, readme = root / "katana_sn_mcp" / "__init__.py", root / "README.md"
    init.write_text(init.read_text().replace(f'__version__ = "{old}"', f'__version__ = "{version}"'))
    entry = json.loads((root / "server.json").read_text())
    entry["version"] = version
    for package in entry["packages"]:
        package["version"] = version
        if package["registryType"] == "mcpb":
            package["identifier"] = bundle_url(version)
            package.pop("fileSha256", None)  # belongs to the old bundle
    _write_json(root / "server.json", entry)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["version"] = version
    _write_json(root / "manifest.json", manifest)
    text = readme.read_text()
    for name in ("katana_sn_mcp-{}-py3-none-any.whl", "katana-sn-mcp-{}.mcpb"):
        text = text.replace(name.format(old), name.format(version))
    readme.write_text(text)
    print(f"{old} -> {version}: __init__.py, server.json, manifest.json, README file names")


async def _server_listing() -> tuple[list[Any], list[Any]]:
    from mcp import Client

    from katana_sn_mcp.journal import Journal
    from katana_sn_mcp.runtime import sandbox_factory
    from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
    from katana_sn_mcp.server import build_server
    from katana_sn_mcp.settings import Settings

    server = build_server(sandbox_factory(Sandbox(SandboxConfig()), Settings()),
                          Journal(None, katana="sandbox"))
    async with Client(server) as client:
        return (await client.list_tools()).tools, (await client.list_prompts()).prompts


def one_line(text: str | None) -> str:
    """The install screen shows a description as one paragraph."""
    return " ".join((text or "").split())


def prompt_text(root: Path, name: str, arguments: list[str]) -> str:
    """prompts/<name>.md with its `$argument` placeholders in the manifest's form."""
    source = Template((root / "prompts" / f"{name}.md").read_text(encoding="utf-8"))
    return source.substitute({a: "${arguments." + a + "}" for a in arguments})


def listing(root: Path) -> None:
    import anyio

    sys.path.insert(0, str(ROOT))
    tools, prompts = anyio.run(_server_listing)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["tools"] = [{"name": t.name, "description": one_line(t.description)} for t in tools]
    manifest["prompts"] = []
    for p in prompts:
        args = [a.name for a in p.arguments or []]
        manifest["prompts"].append({"name": p.name, "description": one_line(p.description),
                                    "arguments": args, "text": prompt_text(root, p.name, args)})
    _write_json(root / "manifest.json", manifest)
    print(f"manifest.json: {len(tools)} tools, {len(prompts)} prompts")


def fill_sha256(root: Path, bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        packed = json.loads(archive.read("manifest.json"))["version"]
    entry = json.loads((root / "server.json").read_text())
    if packed != entry["version"]:
        sys.exit(f"{bundle} is version {packed}, server.json is {entry['version']}: "
                 "rebuild the bundle from this checkout")
    package = next(p for p in entry["packages"] if p["registryType"] == "mcpb")
    if not package["identifier"].endswith("/" + bundle.name):
        sys.exit(f"server.json downloads {package['identifier']}; upload {bundle.name} under "
                 "that name, or rename it")
    package["fileSha256"] = hashlib.sha256(bundle.read_bytes()).hexdigest()
    _write_json(root / "server.json", entry)
    print(f"server.json: fileSha256 {package['fileSha256']} ({bundle.name})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout to change (default: this one)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="set the version everywhere").add_argument("version")
    sub.add_parser("listing", help="rewrite manifest.json's tools and prompts")
    sub.add_parser("sha256", help="write the bundle's hash into server.json").add_argument(
        "bundle", type=Path)
    args = parser.parse_args(argv)
    if args.command == "version":
        set_version(args.root, args.version)
    elif args.command == "listing":
        listing(args.root)
    else:
        fill_sha256(args.root, args.bundle)


if __name__ == "__main__":
    main()
