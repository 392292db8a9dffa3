"""Settle writes the journal holds an intent for but no outcome (a host cancelled the
call, or the process was killed mid-request): re-read each resource and record where
things are now. That is not proof the interrupted call did it, and the line says so."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.errors import Answer, KatanaError
from katana_sn_mcp.present.answers import said as answer_said

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient

NOTE = ("the call ended without recording its outcome; this is where things are now, "
        "which does not prove what that call did")


async def reconcile(journal: Journal, client: KatanaClient,
                    pending: list[dict[str, Any]]) -> list[str]:
    """One sentence per pending intent (`journal.pending()`), reconciled or still pending."""
    said = []
    for intent in pending:
        req, wid, tool = intent.get("request") or {}, intent["write_id"], intent.get("tool", "")
        rtype, rid = req.get("resource_type"), req.get("resource_id")
        try:
            rows = await client.list_all(resource_type=rtype, resource_id=rid)
        except KatanaError as exc:
            said.append(f"{wid} ({tool} on {rtype} {rid}): still pending, the re-read failed "
                        f"({answer_said(Answer.of_error(exc))})")
            continue
        if tool == "create_serial_numbers":
            on = {r.serial_number for r in rows}
            wanted = req.get("serial_numbers") or []
            here = [s for s in wanted if s in on]
            journal.reconciled(wid, tool, on_resource_now=here,
                               not_on_resource_now=[s for s in wanted if s not in on], note=NOTE)
            said.append(f"{wid} (create on {rtype} {rid}): {len(here)} of {len(wanted)} strings "
                        "on it now")
        else:
            on_ids = {r.id for r in rows}
            wanted_ids = req.get("ids") or []
            still = [i for i in wanted_ids if i in on_ids]
            journal.reconciled(wid, tool, still_attached=still,
                               not_on_resource_now=[i for i in wanted_ids if i not in on_ids],
                               note=NOTE)
            said.append(f"{wid} (delete on {rtype} {rid}): {len(still)} of {len(wanted_ids)} "
                        "ids still on it")
    return said
