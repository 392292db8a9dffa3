"""`katana-sn-mcp serve`: build the server for real Katana or the sandbox, and run it
over stdio (the default) or streamable HTTP."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from katana_sn_mcp import redact, startup
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.runtime import (
    client_factory,
    make_shared_state,
    readiness,
    require_redis,
    sandbox_factory,
)
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import MissingApiKey, Settings


def make_sandbox(args: argparse.Namespace) -> object:
    from katana_sn_mcp.sandbox import Sandbox, SandboxConfig

    return Sandbox(SandboxConfig(mode=args.sandbox_mode, state_file=args.sandbox_state))


def start_oauth(settings: Settings) -> Any:
    """OAuth on (HTTP only): the provider read now; any problem is one line and exit 2.
    Imported here only, so a stdio start never loads the JWT stack."""
    from katana_sn_mcp.oauth import OAuthSetupError, prepare

    try:
        return prepare(settings.katana_sn_mcp_oauth_issuer or "", settings.katana_sn_mcp_public_url,
                       settings.katana_sn_mcp_oauth_person_claim,
                       static_tokens=bool(settings.katana_sn_mcp_token
                                          or settings.katana_sn_mcp_tokens_file))
    except OAuthSetupError as exc:
        redact.say(f"katana-sn-mcp: {exc}")
        sys.exit(2)


def serve(args: argparse.Namespace) -> None:
    settings = Settings()
    journal = Journal(None if args.no_journal else settings.journal_for(args.sandbox),
                      katana=settings.katana_label(args.sandbox))
    book = oauth = None
    if args.http and settings.katana_sn_mcp_oauth_issuer:
        oauth = start_oauth(settings)
    elif args.http:
        from katana_sn_mcp.http import LOCAL_HOSTS, RefusedBind, check_bind
        from katana_sn_mcp.tokens import TokensFileError, book_for

        token = settings.katana_sn_mcp_token
        secret = token.get_secret_value() if token else None
        try:
            book = book_for(secret, settings.katana_sn_mcp_tokens_file,
                            local=args.host in LOCAL_HOSTS)
            check_bind(args.host, book if book.configured else None)
        except (RefusedBind, TokensFileError) as exc:
            redact.say(f"katana-sn-mcp: {exc}")
            sys.exit(2)
    if settings.redis_url:  # Redis configured: reachable now, or one line and exit 2
        from katana_sn_mcp.state.redis import RedisUnavailable

        try:
            require_redis(settings)
        except RedisUnavailable as exc:
            redact.say(f"katana-sn-mcp: {exc}")
            sys.exit(2)
    if args.sandbox:
        sandbox = make_sandbox(args)
        redact.say(sandbox.describe())  # type: ignore[attr-defined]
        key = sandbox.config.api_key  # type: ignore[attr-defined]
        pacer, locks, results, stream = make_shared_state(settings, key)
        factory = sandbox_factory(sandbox, settings, pacer=pacer)
    else:
        if not settings.api_key:
            raise MissingApiKey()  # before anything starts
        key = settings.api_key
        pacer, locks, results, stream = make_shared_state(settings, key)
        factory = client_factory(settings, pacer=pacer)
    if journal.path is not None:  # --no-journal: neither the file nor the shared stream
        journal.stream = stream
    state_key = settings.katana_sn_mcp_state_key
    server = build_server(factory, journal, locks=locks, results=results,
                          state_key=state_key.get_secret_value() if state_key else None,
                          rate_limit=settings.katana_rate_limit,
                          deadline_s=settings.katana_sn_mcp_call_deadline,
                          request_timeout_s=settings.katana_timeout)
    startup.done()  # built: the start-up heap is frozen, the collector back to its thresholds
    if args.http:
        from katana_sn_mcp.http import HttpOptions, run_http

        options = HttpOptions(stateless=getattr(args, "stateless", False),
                              max_sessions=settings.katana_sn_mcp_max_sessions,
                              per_token=settings.katana_sn_mcp_max_sessions_per_token,
                              idle_s=settings.katana_sn_mcp_session_idle)
        run_http(server, args.host, args.port, book, options=options,
                 ready=readiness(pacer, settings), oauth=oauth)
    else:
        server.run()
