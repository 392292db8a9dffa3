"""The sandbox's state: resources, serial records, their transactions; saved atomically.

The state file (`--sandbox-state FILE`) is written through one fixed temporary sibling,
`.FILE.tmp`, then renamed over FILE. A crash can leave that one temporary file, never a
half-written FILE; the next start removes it (and the randomly named `.FILE.*.tmp` files
earlier versions could orphan), so crashes do not pile up litter beside the user's file.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from katana_sn_mcp.sandbox.config import StoredSerial
from katana_sn_mcp.sandbox.errors import StateFileError


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    def __init__(self) -> None:
        self.resources: set[tuple[str, int]] = set()
        self.linked_rows: dict[int, int] = {}  # SalesOrderRow id -> make-to-order MO id
        self.records: dict[int, StoredSerial] = {}  # id order
        self.by_serial: dict[str, int] = {}
        self.by_resource: dict[tuple[str, int], dict[int, None]] = {}
        self.history: dict[int, list[dict[str, Any]]] = {}
        self.next_id = 886001

    # -- changes --------------------------------------------------------------------
    def add(self, serial: str, rtype: str, rid: int, qty: int) -> StoredSerial:
        rec = StoredSerial(self.next_id, serial, rtype, rid, str(uuid.uuid4()), now_iso(), qty)
        self.next_id += 1
        self.records[rec.id] = rec
        self.by_serial[serial] = rec.id
        self.by_resource.setdefault((rtype, rid), {})[rec.id] = None
        self._log(rec)
        return rec

    def move(self, rec: StoredSerial, rtype: str, rid: int, qty: int) -> None:
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

    def _log(self, rec: StoredSerial) -> None:
        self.history.setdefault(rec.id, []).append({
            "id": rec.transaction_id, "resource_id": rec.resource_id,
            "resource_type": rec.resource_type, "transaction_date": rec.transaction_date,
            "quantity_change": rec.quantity_change})

    # -- reads ----------------------------------------------------------------------
    def on(self, rtype: str, rid: int) -> list[StoredSerial]:
        return [self.records[i] for i in sorted(self.by_resource.get((rtype, rid), {}))]

    def find(self, serial: str) -> StoredSerial | None:
        i = self.by_serial.get(serial)
        return self.records.get(i) if i is not None else None

    # -- persistence ----------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {"resources": sorted(self.resources), "linked_rows": self.linked_rows,
                "records": [r.wire() for r in self.records.values()],
                "history": self.history, "next_id": self.next_id}

    @staticmethod
    def temp_path(path: Path) -> Path:
        """The one temporary file a save goes through (fixed, so a crash cannot leave a new
        one each time)."""
        return path.with_name(f".{path.name}.tmp")

    @classmethod
    def discard_leftovers(cls, path: Path) -> None:
        """Remove temporary files a crashed save left beside `path`. One process owns a state
        file, so at start nothing else can be writing them."""
        leftovers = [cls.temp_path(path), *path.parent.glob(f".{path.name}.*.tmp")]
        for tmp in leftovers:
            if tmp.is_file():
                tmp.unlink(missing_ok=True)

    def save(self, path: Path) -> None:
        """Write the fixed temp file beside the target, fsync, then atomically replace the
        target, so a crash leaves either the old file or the new one, never half of one."""
        tmp = self.temp_path(path)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.dump(), fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @staticmethod
    def check(path: Path) -> None:
        """Refuse, with one sentence, a state path the sandbox could not use: a folder, a file
        under something that is not a folder, a missing or read-only folder, or an existing
        file that is not a sandbox state. Run at start-up, before anything is served."""
        shown = str(path)
        if path.is_dir():
            raise StateFileError(f"--sandbox-state {shown} is a folder; give a file path in it, "
                                 f"e.g. {path / 'sandbox-state.json'}")
        parent = path.parent
        if not parent.exists():
            raise StateFileError(f"--sandbox-state {shown}: the folder {parent} does not exist; "
                                 "create it first")
        if not parent.is_dir():
            raise StateFileError(f"--sandbox-state {shown}: {parent} is a file, not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise StateFileError(f"--sandbox-state {shown}: the folder {parent} is not writable")
        if path.exists():
            Store.load(path)

    @classmethod
    def load(cls, path: Path) -> Store:
        """Read a saved state; anything else (not JSON, another program's JSON, unreadable)
        is a StateFileError rather than a KeyError deep in here."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls._from_raw(raw)
        except OSError as exc:
            raise StateFileError(f"--sandbox-state {path} cannot be read: "
                                 f"{exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise StateFileError(f"--sandbox-state {path} is not JSON, so not a sandbox state "
                                 "file; give a new path (the sandbox creates it) or delete "
                                 "this file") from None
        except (KeyError, TypeError, ValueError, AttributeError):
            raise StateFileError(f"--sandbox-state {path} is JSON but not a sandbox state file; "
                                 "give a new path (the sandbox creates it) or delete this "
                                 "file") from None

    @classmethod
    def _from_raw(cls, raw: Any) -> Store:
        store = cls()
        store.resources = {(str(t), int(i)) for t, i in raw["resources"]}
        store.linked_rows = {int(k): int(v) for k, v in raw["linked_rows"].items()}
        for r in raw["records"]:
            rec = StoredSerial(**r)
            if not (isinstance(rec.id, int) and isinstance(rec.serial_number, str)
                    and isinstance(rec.resource_type, str) and isinstance(rec.resource_id, int)):
                raise ValueError(f"malformed serial record {r!r}")
            store.records[rec.id] = rec
            store.by_serial[rec.serial_number] = rec.id
            store.by_resource.setdefault((rec.resource_type, rec.resource_id), {})[rec.id] = None
        store.history = {int(k): list(v) for k, v in raw["history"].items()}
        store.next_id = int(raw["next_id"])
        return store
