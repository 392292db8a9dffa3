"""`katana-sn-mcp journal`: what this server changed, for a person — recent writes as
lines or CSV, and `--reconcile` to settle writes that were interrupted. Never runs the MCP
server, so stdout is free to use.

With KATANA_SN_MCP_REDIS_URL set, the server's replicas all append to one journal in Redis
(each replica's file holds only its own writes), so this command reads that shared journal:
on any replica it shows every write. It says where it looked when it found nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from typing import Any

import anyio

from katana_sn_mcp import redact
from katana_sn_mcp.journal import COLUMNS, Journal
from katana_sn_mcp.journal import row as _row
from katana_sn_mcp.settings import Settings

# OWASP CSV injection: a cell a spreadsheet would read as a formula (or whose leading tab
# or CR some spreadsheets strip before doing so) gets a leading apostrophe, so it shows as
# text. Client-supplied text (the MCP client's self-declared name) reaches these cells.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class NoSharedJournal(RuntimeError):
    """The shared journal cannot be read (one line for a person, no secret in it)."""


def _journal(args: argparse.Namespace, settings: Settings) -> Journal:
    """The file journal, or with Redis configured, the shared journal every replica writes
    (under the hash of the Katana key in use, as the server itself keys it)."""
    journal = Journal(settings.journal_for(args.sandbox), katana=settings.katana_label(args.sandbox))
    url = settings.redis_url
    if not url:
        return journal
    from katana_sn_mcp.state.redis import RedisJournalStream, RedisUnavailable, check, namespace

    if args.sandbox:
        from katana_sn_mcp.sandbox import SandboxConfig

        key: str | None = SandboxConfig().api_key
    else:
        key = settings.api_key
    if not key:
        raise NoSharedJournal("the shared journal in Redis is kept per Katana account: set "
                              "KATANA_API_KEY (the key the server uses) to read it")
    try:
        check(url)
    except RedisUnavailable as exc:
        raise NoSharedJournal(f"the shared journal: {exc}") from None
    journal.stream = RedisJournalStream(url, namespace(key))
    return journal


def run_journal(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        journal = _journal(args, settings)
    except NoSharedJournal as exc:
        redact.say(f"katana-sn-mcp journal: {exc}")
        return 1
    if args.reconcile:
        return _reconcile(args, settings, journal)
    try:
        return _show(args, journal)
    except BrokenPipeError:  # `journal | head` stopped reading: end quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the exit's flush must not raise again
        return 0


def _show(args: argparse.Namespace, journal: Journal) -> int:
    tail = journal.all_recent()  # the tail, read once
    entries = tail[-args.limit:]
    if not entries:
        katana = "the sandbox" if journal.katana == "sandbox" else journal.katana
        redact.say(f"No writes to {katana} are recorded in {journal.where()}.")
    if args.csv:
        out = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        out.writeheader()
        for entry in entries:
            out.writerow({k: neutralise(v) for k, v in redact.value(_row(entry)).items()})
        sys.stdout.flush()
        return 0
    for e in map(_row, entries):
        where = f"{e['resource_type']} {e['resource_id']}" if e["resource_type"] else ""
        what = e["outcome"] or ""
        print(redact.text(f"{e['time']} {e['write_id']} {e['phase']:<10} {e['tool']} {where} "
                          f"{what} {e['summary'] or ''}".rstrip()))
    pending = journal.pending(entries=tail)
    if pending:
        print(f"{len(pending)} write(s) without a final outcome (interrupted, or still "
              "running): `katana-sn-mcp journal --reconcile` settles those no call can still "
              "be running.")
    sys.stdout.flush()  # here, so a closed pipe is caught above, not at exit
    return 0


def _reconcile(args: argparse.Namespace, settings: Settings, journal: Journal) -> int:
    from katana_sn_mcp.reconcile import reconcile
    from katana_sn_mcp.runtime import client_factory, sandbox_factory

    if args.sandbox:
        from katana_sn_mcp.serve import make_sandbox

        factory = sandbox_factory(make_sandbox(args), settings)
    else:
        factory = client_factory(settings)

    quiet = settings.katana_sn_mcp_call_deadline + settings.katana_timeout

    async def go() -> list[str]:
        async with factory() as client:
            return await reconcile(journal, client, journal.pending(quiet_s=quiet))

    lines = anyio.run(go)
    for line in lines or [f"nothing to reconcile in {journal.where()}: every write has an "
                          "outcome, or may still be running"]:
        print(redact.text(line))
    return 0
