"""The write journal: one JSON line per create/delete, so "what did you change today?"
has an answer that does not depend on the assistant's memory.

Each entry is written with a single `write` on a file opened in append mode and then
fsynced, so a crash can at worst leave a torn *last* line, never damage earlier ones;
the reader skips a line that does not parse.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from katana_sn_mcp import redact

log = logging.getLogger(__name__)


class Journal:
    """`path=None` disables journalling (`--no-journal`)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def record(self, tool: str, request: dict[str, Any], **facts: Any) -> None:
        if self.path is None:
            return
        entry = redact.value({"time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                              "tool": tool, "request": request, **facts})
        line = (json.dumps(entry, default=str, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:  # the write already happened in Katana; never fail the tool
            log.warning("could not append to the journal %s: %s", self.path, exc)

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last `limit` readable entries, oldest first."""
        if self.path is None or not self.path.exists():
            return []
        entries = []
        with self.path.open(encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                try:
                    entries.append(json.loads(raw))
                except json.JSONDecodeError:
                    continue  # a line torn by a crash
        return entries[-limit:]
