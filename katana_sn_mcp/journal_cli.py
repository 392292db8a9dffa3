"""`katana-sn-mcp journal`: what this server changed, for a person — recent writes as
lines or CSV, and `--reconcile` to settle writes that were interrupted. Never runs the MCP
server, so stdout is free to use."""

from __future__ import annotations

import argparse
import csv
import sys

import anyio

from katana_sn_mcp import redact
from katana_sn_mcp.journal import COLUMNS, Journal
from katana_sn_mcp.journal import row as _row
from katana_sn_mcp.settings import Settings


def run_journal(args: argparse.Namespace) -> int:
    settings = Settings()
    journal = Journal(settings.journal_for(args.sandbox), katana=settings.katana_label(args.sandbox))
    if args.reconcile:
        return _reconcile(args, settings, journal)
    tail = journal.recent(10**9)  # the tail, read once
    entries = tail[-args.limit:]
    if args.csv:
        out = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        out.writeheader()
        for entry in entries:
            out.writerow(redact.value(_row(entry)))
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
    for line in lines or ["nothing to reconcile: every write has an outcome, or may still "
                          "be running"]:
        print(redact.text(line))
    return 0
