"""The words of a progress notification: what the call is doing, from the facts noted in
`katana_sn_mcp.progress`. A host shows them to the person while the call runs."""

from __future__ import annotations

from typing import Any


def progress_message(kind: str, facts: dict[str, Any], elapsed_s: float | None = None) -> str:
    """One line. With `elapsed_s` (a heartbeat), the line also says how long the call has run."""
    if kind == "page":
        text = f"{facts['what']}: page {facts['pages']}, {facts['rows']:,} rows read"
    elif kind == "rate_wait":
        text = "waiting for Katana's rate budget"
    elif kind == "retry":
        answer = (f"Katana answered {facts['status']}" if facts["status"] is not None
                  else "Katana gave no answer")
        wait = round(facts["wait_s"])
        when = f" in about {wait} s" if wait >= 1 else ""
        text = f"{answer}; sending again{when} (attempt {facts['attempt']})"
    elif kind == "request":
        text = "waiting for Katana's answer"
    else:
        text = "working"
    return text if elapsed_s is None else f"{text} ({round(elapsed_s)} s into this call)"
