"""The embedded sandbox Katana: an ASGI app with Katana's serial-number semantics and quirks,
plus the switches tests need (behaviour era, envelopes, faults, a scaled rate window)."""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx

from katana_sn_mcp.sandbox import rules
from katana_sn_mcp.sandbox.config import Fault, LoggedRequest, SandboxConfig, StoredSerial
from katana_sn_mcp.sandbox.seed import seed
from katana_sn_mcp.sandbox.store import Store
from katana_sn_mcp.sandbox.wire import encode, error_body

# the stock endpoint and its alternate path (wire catalog §5.0)
STOCK_PATHS = frozenset({"/v1/serial_numbers_stock", "/v1/serial_numbers/serial_numbers_stock"})
HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.requests: list[LoggedRequest] = []
        self.handler_seconds = 0.0
        self.rate_limited = 0
        self._window: deque[float] = deque()
        self._faults: deque[Fault] = deque()
        self._churned = 0  # rows another program added (churn faults)
        self._late: list[LoggedRequest] = []  # writes Katana applies after the next request
        path = self.config.state_file
        if path is not None:  # a crashed save's temp file goes now, not never
            Store.discard_leftovers(path)
        if path is not None and path.exists():
            self.store = Store.load(path)
        else:
            self.store = Store()
            if self.config.seed:
                seed(self.store)
            self._save()

    # -- direct access for tests, benchmarks and the CLI ----------------------------
    def add_resource(self, resource_type: str, resource_id: int) -> None:
        self.store.resources.add((resource_type, resource_id))
        self._save()

    def mint(self, resource_type: str, resource_id: int, serials: Iterable[str]) -> list[int]:
        self.store.resources.add((resource_type, resource_id))
        qty = 0 if resource_type == "ManufacturingOrder" else 1
        ids = [self.store.add(s, resource_type, resource_id, qty).id for s in serials]
        self._save()
        return ids

    def serials_on(self, resource_type: str, resource_id: int) -> list[StoredSerial]:
        return self.store.on(resource_type, resource_id)

    def find(self, serial_number: str) -> StoredSerial | None:
        return self.store.find(serial_number)

    def spend(self, requests: int) -> None:
        """Another program on the same key spends `requests` of the rate window now: ours
        then meet 429s the pacer could not foresee."""
        self._window.extend([self.config.clock()] * requests)

    def inject(self, fault: Fault) -> None:
        self._faults.append(fault)

    def describe(self) -> str:
        lines = [f"Sandbox Katana ({self.config.mode} behaviour; it accepts the key "
                 f"'{self.config.api_key}'). Resources and their serial numbers:"]
        for rtype, rid in sorted(self.store.resources):
            serials = [r.serial_number for r in self.store.on(rtype, rid)]
            shown = ", ".join(serials[:6])
            if len(serials) > 6:
                shown += f", … ({len(serials)} in all)"
            linked = rtype == "SalesOrderRow" and rid in self.store.linked_rows
            note = " (linked to a make-to-order MO)" if linked else ""
            lines.append(f"  {rtype} {rid}{note}: {shown or 'no serial numbers'}")
        return "\n".join(lines)

    def _save(self) -> None:
        if self.config.state_file is not None:
            self.store.save(self.config.state_file)

    # -- ASGI -------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        entry = LoggedRequest(scope["method"], scope["path"], query, body, None)
        self.requests.append(entry)
        start = time.perf_counter()
        try:
            status, payload, extra = await self._respond(entry, headers, raw)
        finally:
            self.handler_seconds += time.perf_counter() - start
        entry.status = status
        content = payload if isinstance(payload, bytes) else (b"" if payload is None else encode(payload))
        ctype = b"text/html" if isinstance(payload, bytes) else b"application/json"
        out = [(k.encode(), str(v).encode()) for k, v in extra.items()]
        if content:
            out.append((b"content-type", ctype))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": content})
        late, self._late = self._late, []
        for write in late:  # the slow write lands only after the request that followed it
            self._route(write)

    async def _respond(self, entry: LoggedRequest, headers: dict, raw: bytes) -> tuple[int, Any, dict]:
        cfg = self.config
        if headers.get("authorization") != f"Bearer {cfg.api_key}":
            return 401, error_body(401, style=cfg.error_style), {}
        limited, rate_headers = self._rate(cfg.clock())
        if limited:
            self.rate_limited += 1
            return 429, error_body(429, style="flat"), rate_headers
        fault = self._take_fault(entry)
        if fault is not None and fault.kind == "delay":
            await anyio.sleep(fault.delay)
            fault = None
        if fault is not None and fault.kind == "churn":
            self._churn(fault, entry.query)
            fault = None
        if fault is not None and fault.kind == "status":
            if fault.retry_after is not None:
                rate_headers["retry-after"] = fault.retry_after
            style = "flat" if fault.status == 429 else cfg.error_style
            return fault.status, error_body(fault.status, style=style), rate_headers
        if fault is not None and fault.kind == "timeout_late":  # applied a moment later
            self._late.append(entry)
            self._fail(fault)
        if fault is not None and fault.kind.endswith("_before"):
            self._fail(fault)
            return fault.status, _fault_body(fault), rate_headers
        if raw and isinstance(entry.body, str):
            return 400, error_body(400, "Unexpected token in JSON", cfg.error_style), rate_headers
        status, payload, extra = self._route(entry)
        if fault is not None:  # an "_after" fault: applied, then the answer is lost
            self._fail(fault)
            return fault.status, _fault_body(fault), rate_headers
        return status, payload, {**rate_headers, **extra}

    def _route(self, entry: LoggedRequest) -> rules.Reply:
        cfg, store = self.config, self.store
        if entry.path == "/v1/serial_numbers":
            if entry.method == "GET":
                return rules.list_serials(store, cfg, entry.query)
            handler = {"POST": rules.create, "DELETE": rules.delete}.get(entry.method)
            if handler is None:
                return 405, error_body(405, style=cfg.error_style), {}
            reply = handler(store, cfg, entry.body)
            self._save()
            return reply
        if entry.path in STOCK_PATHS and entry.method == "GET":  # limit/page ignored
            return rules.stock(store)
        return 404, error_body(404, f"Endpoint \"{entry.method} {entry.path}\" not found.",
                               cfg.error_style), {}

    def _rate(self, now: float) -> tuple[bool, dict[str, Any]]:
        cfg, window = self.config, self._window
        while window and window[0] <= now - cfg.rate_window:
            window.popleft()
        limited = len(window) >= cfg.rate_limit
        if not limited:
            window.append(now)
        reset = (window[0] + cfg.rate_window) if window else now + cfg.rate_window
        headers: dict[str, Any] = {"x-ratelimit-limit": cfg.rate_limit,
                                   "x-ratelimit-remaining": max(0, cfg.rate_limit - len(window)),
                                   "x-ratelimit-reset": int(reset * 1000)}
        if limited:
            headers["retry-after"] = max(1, math.ceil(reset - now))
        return limited, headers

    def _take_fault(self, entry: LoggedRequest) -> Fault | None:
        for fault in self._faults:
            if fault.page is not None and entry.query.get("page", "1") != str(fault.page):
                continue
            if fault.method in (None, entry.method):
                fault.used += 1
                if fault.used >= fault.count:
                    self._faults.remove(fault)
                return fault
        return None

    def _churn(self, fault: Fault, query: dict[str, str]) -> None:
        """Another program changes the listed resource (see Fault): rows leave from its
        front and new ones arrive in front, so later rows move to earlier offsets or later."""
        rtype, rid = query.get("resource_type"), query.get("resource_id", "")
        if rtype is None or not rid.isdigit():
            return
        store, on = self.store, self.store.on(rtype, int(rid))
        store.remove(rtype, int(rid), [r.id for r in on[:fault.remove]])
        for _ in range(fault.add):
            self._churned += 1
            new_id = store.next_id if fault.add_last else 100000 + self._churned
            store.next_id += fault.add_last
            rec = StoredSerial(new_id, f"CHURN-{self._churned}", rtype, int(rid),
                               f"churn-{self._churned}", None, 1)
            store.records[rec.id] = rec
            store.by_serial[rec.serial_number] = rec.id
            store.by_resource.setdefault((rtype, int(rid)), {})[rec.id] = None
        self._save()

    @staticmethod
    def _fail(fault: Fault) -> None:
        """Drops and timeouts surface to the client exactly as httpx reports real ones."""
        if fault.kind.startswith("drop"):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if fault.kind.startswith("timeout"):
            raise httpx.ReadTimeout("timed out")


def _fault_body(fault: Fault) -> bytes | None:
    """A lost answer is a proxy's HTML page; a 204 fault is Katana's empty success."""
    return None if fault.kind.startswith("no_content") else HTML
