"""`katana-sn-mcp serve`: build the server for real Katana or the sandbox, and run it."""

from __future__ import annotations

import argparse
import sys

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.runtime import client_factory, sandbox_factory
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings


def make_sandbox(args: argparse.Namespace) -> object:
    from katana_sn_mcp.sandbox import Sandbox, SandboxConfig

    return Sandbox(SandboxConfig(mode=args.sandbox_mode, state_file=args.sandbox_state))


def serve(args: argparse.Namespace) -> None:
    settings = Settings()
    journal = Journal(None if args.no_journal else settings.journal_path)
    if args.sandbox:
        sandbox = make_sandbox(args)
        sys.stderr.write(sandbox.describe() + "\n")  # type: ignore[attr-defined]
        factory = sandbox_factory(sandbox, settings)
    else:
        factory = client_factory(settings)  # raises MissingApiKey before anything starts
    server = build_server(factory, journal)
    if args.http:
        from katana_sn_mcp.http import run_http

        run_http(server, settings, host=args.host, port=args.port)
    else:
        server.run()
