"""The write journal: a record of every write that cannot lie or forget.

Each write gets an `intent` line *before* anything is sent and an `outcome` line after;
a call cancelled by the host or killed mid-request leaves an intent with no outcome,
which `reconcile` later settles by re-reading the resource. Every line names the Katana
it talked to (the base URL's host, never the key) so sandbox and real writes never mix.

Appends are one `write` of a whole line on an O_APPEND descriptor, then fsync. A crash
can leave a torn last line; the next append starts on a fresh line so the fragment never
swallows it, and readers skip what does not parse. Reading recent entries reads the
file's tail, not the whole file.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from katana_sn_mcp import redact

log = logging.getLogger(__name__)
TAIL_BYTES = 4 * 1024 * 1024  # how far back `recent` and `pending` look
STREAM_TAIL = 10_000  # entries read back from the shared (Redis) journal


# One line per entry for a person or a model: no request strings, no items (those stay in
# the file, which can hold 10,000 of each per write).
COLUMNS = ["time", "write_id", "phase", "katana", "tool", "resource_type", "resource_id",
           "outcome", "summary", "person", "client"]


def row(entry: dict[str, Any]) -> dict[str, Any]:
    req = entry.get("request") or {}
    return {"time": entry.get("time"), "write_id": entry.get("write_id"),
            "phase": entry.get("phase"), "katana": entry.get("katana"), "tool": entry.get("tool"),
            "resource_type": req.get("resource_type"), "resource_id": req.get("resource_id"),
            "outcome": entry.get("outcome"), "summary": entry.get("summary") or entry.get("note"),
            "person": entry.get("person"), "client": entry.get("client")}


class Journal:
    """`path=None` disables journalling (`--no-journal`). `katana` labels every line."""

    def __init__(self, path: Path | None, katana: str = "unknown", stream: Any = None) -> None:
        self.path = path
        self.katana = katana
        self.stream = stream  # with Redis: one journal for every replica (RedisJournalStream)
        self.tail_complete = True  # the last read saw every line (not cut at its window)

    def where(self) -> str:
        """Where this journal is read from, for a person (the file's path; never a URL)."""
        if self.stream is not None:
            return "the shared journal in Redis (KATANA_SN_MCP_REDIS_URL)"
        if self.path is None:
            return "nowhere: journalling is off"
        return f"the journal file {self.path}"

    def intent(self, tool: str, request: dict[str, Any], **who: Any) -> str:
        """Before a write is sent. Returns the id that ties the outcome line to it."""
        write_id = uuid.uuid4().hex[:12]
        self._append({"phase": "intent", "write_id": write_id, "tool": tool,
                      "request": request, **who})
        return write_id

    def outcome(self, write_id: str, tool: str, **facts: Any) -> None:
        self._append({"phase": "outcome", "write_id": write_id, "tool": tool, **facts})

    def _append(self, entry: dict[str, Any]) -> None:
        entry = redact.value({"time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                              **entry, "katana": self.katana})  # the label always wins
        if self.stream is not None:
            self.stream.append(entry)
        if self.path is None:
            return
        line = (json.dumps(entry, default=str, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # a torn last line: start ours on a fresh one
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:  # the write already happened in Katana; never fail the tool
            log.warning("could not append to the journal: %s", exc.strerror)

    def _tail(self) -> list[dict[str, Any]]:
        """This Katana's readable entries from the tail, oldest first; `tail_complete` says
        whether older lines lay beyond what was read."""
        self.tail_complete = True
        if self.stream is not None:
            entries = self.stream.recent(STREAM_TAIL)
            self.tail_complete = len(entries) < STREAM_TAIL
            return [e for e in entries if e.get("katana") == self.katana]
        if self.path is None or not self.path.exists():
            return []
        with self.path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            start = max(0, fh.tell() - TAIL_BYTES)
            self.tail_complete = start == 0
            fh.seek(start)
            data = fh.read()
        lines = data.split(b"\n")
        if start:
            lines = lines[1:]  # the first one is cut by the window
        entries = []
        for raw in lines:
            try:
                entry = json.loads(raw)
            except ValueError:
                continue  # a line torn by a crash
            if isinstance(entry, dict) and entry.get("katana", self.katana) == self.katana:
                entries.append(entry)  # only this Katana's: sandbox and real never mix
        return entries

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last `limit` readable entries, oldest first."""
        return self._tail()[-limit:]

    def all_recent(self) -> list[dict[str, Any]]:
        """Every readable entry of the tail, oldest first (see `tail_complete`)."""
        return self._tail()

    def pending(self, quiet_s: float = 0.0,
                entries: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Intents not yet reconciled whose call ended without an outcome ("interrupted"),
        or that have no outcome at all and are older than `quiet_s`: younger ones may
        belong to a call still running (on another replica, or beside this command).
        `entries`: lines already read from the tail, to avoid reading it again."""
        entries = self._tail() if entries is None else entries
        settled = {e.get("write_id") for e in entries if e.get("phase") == "reconciled" or (
            e.get("phase") == "outcome" and e.get("outcome") != "interrupted")}
        ended = {e.get("write_id") for e in entries if e.get("phase") == "outcome"}
        cutoff = (datetime.now(UTC) - timedelta(seconds=quiet_s)).isoformat(timespec="milliseconds")
        return [e for e in entries if e.get("phase") == "intent"
                and e.get("write_id") not in settled
                and (e.get("write_id") in ended or str(e.get("time", "")) <= cutoff)]

    def reconciled(self, write_id: str, tool: str, **facts: Any) -> None:
        self._append({"phase": "reconciled", "write_id": write_id, "tool": tool, **facts})
