"""`katana-sn-mcp serve`: build the server for real Katana or the sandbox, and run it
over stdio (the default) or streamable HTTP."""

from __future__ import annotations

import argparse
import sys

from katana_sn_mcp import redact
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
    secret = None
    if args.http:
        from katana_sn_mcp.http import RefusedBind, check_bind

        token = settings.katana_sn_mcp_token
        secret = token.get_secret_value() if token else None
        try:
            check_bind(args.host, secret)
        except RefusedBind as exc:
            redact.say(f"katana-sn-mcp: {exc}")
            sys.exit(2)
    if args.sandbox:
        sandbox = make_sandbox(args)
        redact.say(sandbox.describe())  # type: ignore[attr-defined]
        factory = sandbox_factory(sandbox, settings)
    else:
        factory = client_factory(settings)  # raises MissingApiKey before anything starts
    server = build_server(factory, journal)
    if args.http:
        from katana_sn_mcp.http import run_http

        run_http(server, args.host, args.port, secret)
    else:
        server.run()
