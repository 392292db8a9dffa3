"""Command line: `katana-sn-mcp [serve] [--sandbox ...]`, plus `demo` and `doctor`.

Logs go to stderr only: in stdio mode stdout is the MCP protocol channel.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger("katana_sn_mcp")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="katana-sn-mcp", description=(
        "MCP server for Katana MRP serial numbers. Needs KATANA_API_KEY, or --sandbox."))
    p.add_argument("command", nargs="?", default="serve", choices=["serve", "demo", "doctor"])
    p.add_argument("--sandbox", action="store_true",
                   help="use the embedded sandbox Katana instead of the real API")
    p.add_argument("--sandbox-mode", choices=["seeds", "current"], default="seeds",
                   help="sandbox behaviour: 'seeds' (200+MISSING, 422 No entity found) or "
                   "'current' (404, whole-call 422, Production accepted)")
    p.add_argument("--sandbox-state", type=Path, metavar="FILE",
                   help="keep the sandbox's state in FILE across restarts")
    p.add_argument("--no-journal", action="store_true", help="do not write the write journal")
    p.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--log-level", default="WARNING",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


def main(argv: list[str] | None = None) -> None:
    from katana_sn_mcp import redact
    from katana_sn_mcp.settings import register_secrets

    register_secrets()  # first: nothing below may print a secret
    args = parser().parse_args(argv)
    redact.install_logging(args.log_level)
    from pydantic import ValidationError

    from katana_sn_mcp.settings import MissingApiKey, setting_errors

    try:
        if args.command == "serve":
            from katana_sn_mcp.serve import serve

            serve(args)
        elif args.command == "demo":
            from katana_sn_mcp.demo import run_demo

            run_demo(args)
        else:
            from katana_sn_mcp.doctor import run_doctor

            sys.exit(run_doctor(args))
    except MissingApiKey as exc:
        redact.say(f"katana-sn-mcp: {exc}")
        sys.exit(2)
    except ValidationError as exc:  # a malformed environment variable, named plainly
        for line in setting_errors(exc):
            redact.say(f"katana-sn-mcp: {line}")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
