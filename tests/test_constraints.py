"""constraints.txt pins every runtime and test dependency, at the version the tests ran with."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REFRESH = 'refresh constraints.txt as "The two commands" in README.md says'


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt pins exact versions only: {line!r}"
            found[canonicalize_name(name)] = version
    return found


def resolved() -> dict[str, str]:
    """The installed distributions that pyproject's runtime and test requirements need
    (markers evaluated for this Python), name -> version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found: dict[str, str] = {}
    todo = [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]]
    todo = [r for r in todo if r.marker is None or r.marker.evaluate({"extra": ""})]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in found:
            continue
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            raise AssertionError(f"{req.name} is required but not installed; {REFRESH}") from None
        found[name] = dist.version
        for spec in dist.requires or []:
            sub = Requirement(spec)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in {"", *req.extras}):
                todo.append(sub)
    return found


def test_every_dependency_is_pinned_at_the_installed_version() -> None:
    needed = resolved()
    pinned = pins()
    missing = sorted(f"{n}=={v}" for n, v in needed.items() if n not in pinned)
    assert not missing, f"not in constraints.txt: {missing}; {REFRESH}"
    differ = sorted(f"{n}: installed {v}, pinned {pinned[n]}" for n, v in needed.items() if pinned[n] != v)
    assert not differ, f"{differ}; install with -c constraints.txt, or {REFRESH}"


def test_the_readme_commands_install_with_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count("/bin/pip install -c constraints.txt -e ") >= 2  # the two commands
