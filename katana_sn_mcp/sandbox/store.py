"""The sandbox's state: resources, serial records, their transactions; saved atomically."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from katana_sn_mcp.sandbox.config import SerialRecord


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    def __init__(self) -> None:
        self.resources: set[tuple[str, int]] = set()
        self.linked_rows: dict[int, int] = {}  # SalesOrderRow id -> make-to-order MO id
        self.records: dict[int, SerialRecord] = {}  # id order
        self.by_serial: dict[str, int] = {}
        self.by_resource: dict[tuple[str, int], dict[int, None]] = {}
        self.history: dict[int, list[dict[str, Any]]] = {}
        self.next_id = 886001

    # -- changes --------------------------------------------------------------------
    def add(self, serial: str, rtype: str, rid: int, qty: int) -> SerialRecord:
        rec = SerialRecord(self.next_id, serial, rtype, rid, str(uuid.uuid4()), now_iso(), qty)
        self.next_id += 1
        self.records[rec.id] = rec
        self.by_serial[serial] = rec.id
        self.by_resource.setdefault((rtype, rid), {})[rec.id] = None
        self._log(rec)
        return rec

    def move(self, rec: SerialRecord, rtype: str, rid: int, qty: int) -> None:
        self.by_resource.get((rec.resource_type, rec.resource_id), {}).pop(rec.id, None)
        rec.resource_type, rec.resource_id, rec.quantity_change = rtype, rid, qty
        rec.transaction_id, rec.transaction_date = str(uuid.uuid4()), now_iso()
        self.by_resource.setdefault((rtype, rid), {})[rec.id] = None
        self._log(rec)

    def remove(self, rid_type: str, rid: int, ids: list[int]) -> None:
        on = self.by_resource.get((rid_type, rid), {})
        for i in ids:
            if i in on:
                del on[i]
                rec = self.records.pop(i)
                del self.by_serial[rec.serial_number]

    def _log(self, rec: SerialRecord) -> None:
        self.history.setdefault(rec.id, []).append({
            "id": rec.transaction_id, "resource_id": rec.resource_id,
            "resource_type": rec.resource_type, "transaction_date": rec.transaction_date,
            "quantity_change": rec.quantity_change})

    # -- reads ----------------------------------------------------------------------
    def on(self, rtype: str, rid: int) -> list[SerialRecord]:
        return [self.records[i] for i in sorted(self.by_resource.get((rtype, rid), {}))]

    def find(self, serial: str) -> SerialRecord | None:
        i = self.by_serial.get(serial)
        return self.records.get(i) if i is not None else None

    # -- persistence ----------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {"resources": sorted(self.resources), "linked_rows": self.linked_rows,
                "records": [r.wire() for r in self.records.values()],
                "history": self.history, "next_id": self.next_id}

    def save(self, path: Path) -> None:
        """Write to a temp file beside the target, fsync, then atomically replace it, so a
        crash leaves either the old file or the new one, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.dump(), fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Store:
        raw = json.loads(path.read_text(encoding="utf-8"))
        store = cls()
        store.resources = {(t, i) for t, i in raw["resources"]}
        store.linked_rows = {int(k): v for k, v in raw["linked_rows"].items()}
        for r in raw["records"]:
            rec = SerialRecord(**r)
            store.records[rec.id] = rec
            store.by_serial[rec.serial_number] = rec.id
            store.by_resource.setdefault((rec.resource_type, rec.resource_id), {})[rec.id] = None
        store.history = {int(k): v for k, v in raw["history"].items()}
        store.next_id = raw["next_id"]
        return store
