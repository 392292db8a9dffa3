"""`katana-sn-mcp doctor`: is this machine set up to reach Katana? Prints one line per
check and a verdict. Never prints the key, not even part of it. (The doctor never runs
the MCP server, so stdout is free to use.)"""

from __future__ import annotations

import argparse

import anyio
from pydantic import ValidationError

from katana_sn_mcp import redact
from katana_sn_mcp.katana.client import RetryPolicy
from katana_sn_mcp.katana.errors import KatanaError, TransportError
from katana_sn_mcp.present.errors import whole_call
from katana_sn_mcp.runtime import client_factory, sandbox_factory
from katana_sn_mcp.settings import Settings, setting_errors


def _line(ok: bool, what: str) -> str:
    return f"[{'ok' if ok else 'FAIL'}] {what}"


async def _probe(make_client) -> tuple[bool, str]:  # type: ignore[no-untyped-def]
    async with make_client() as client:
        try:
            rows, _ = await client.list_page(page=1, limit=1)
        except TransportError as exc:
            return False, f"Katana could not be reached: {exc.message}"
        except KatanaError as exc:
            return False, whole_call(exc).replace("\n", " ")
    return True, f"authenticated GET /serial_numbers answered ({len(rows)} row on page 1)"


def checks(args: argparse.Namespace, settings: Settings) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []
    once = RetryPolicy(attempts=1)
    if args.sandbox:
        from katana_sn_mcp.serve import make_sandbox

        out.append((True, "using the embedded sandbox Katana (--sandbox); no key needed"))
        factory = sandbox_factory(make_sandbox(args), settings, retry=once)
    else:
        has_key = settings.api_key is not None
        out.append((has_key, "KATANA_API_KEY is set" if has_key else
                    "KATANA_API_KEY is not set: set it to your Katana API key, or use --sandbox"))
        out.append((True, f"KATANA_BASE_URL is {settings.katana_base_url}"))
        if not has_key:
            return out
        factory = client_factory(settings, retry=once)
    out.append(anyio.run(_probe, factory))
    return out


def run_doctor(args: argparse.Namespace) -> int:
    try:
        results = checks(args, Settings())
    except ValidationError as exc:  # the same verdicts start-up gives, one line each
        results = [(False, line) for line in setting_errors(exc)]
    for ok, what in results:
        print(redact.text(_line(ok, what)))
    healthy = all(ok for ok, _ in results)
    print("Verdict: ready to serve." if healthy else "Verdict: NOT ready; fix the FAIL lines above.")
    return 0 if healthy else 1
