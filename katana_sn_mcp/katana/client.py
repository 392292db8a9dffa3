"""KatanaClient: the only code that speaks HTTP to Katana (or to the sandbox, same code).

One `httpx.AsyncClient` per process with Bearer auth, a versioned User-Agent, the shared
pacer and retries. Retries follow one rule: never re-send a request that Katana may have
applied. GET and DELETE are idempotent and retried on 429, 502/503/504 and transport errors;
POST is retried only when Katana surely did not apply it (429, or a connection that never
opened).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from katana_sn_mcp import __version__
from katana_sn_mcp.katana.errors import (
    Answer,
    DeadlineExceeded,
    KatanaError,
    NotSent,
    RateLimitedError,
    ServerError,
    TransportError,
    UnstableRead,
    error_from_response,
    error_from_transport,
)
from katana_sn_mcp.katana.models import (
    PAGE_SIZE,
    CreateResponse,
    SerialRecord,
    StockRecord,
    page_meta,
    parse_list,
    parse_stock,
)
from katana_sn_mcp.katana.pacing import Pacer

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
GET_RETRYABLE_STATUS = RETRYABLE_STATUS | {500}  # a read changes nothing: 500 is worth a retry
PageCallback = Callable[[int, int], Awaitable[None]]
# The current tool call's deadline (time.monotonic()); no request is *started* after it.
deadline: ContextVar[float | None] = ContextVar("katana_call_deadline", default=None)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # total tries, the first included
    backoff_initial: float = 0.5  # seconds; exponential with jitter from here
    backoff_max: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is reported, not waited for


class KatanaClient:
    """Async client for GET/POST/DELETE /serial_numbers."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        pacer: Pacer | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.pacer = pacer or Pacer()
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": f"katana-sn-mcp/{__version__}",
            },
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> KatanaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the four calls -------------------------------------------------------------
    async def create(
        self, resource_type: str, resource_id: int, serial_numbers: Sequence[str]
    ) -> CreateResponse:
        body = {
            "resource_type": resource_type,
            "resource_id": resource_id,
            "serial_numbers": list(serial_numbers),
        }
        response, payload, sends = await self._request("POST", "serial_numbers", json=body)
        if response.status_code == 204 or payload is None:
            return CreateResponse(no_content=True, status=response.status_code, sends=sends)
        try:
            parsed = CreateResponse.model_validate(payload)
        except ValueError as exc:  # a 2xx we cannot read: Katana answered, but what?
            error = TransportError(f"unreadable create body: {str(exc)[:200]}",
                                   may_have_applied=True, status=response.status_code,
                                   reason="unreadable_body")
            error.sends = sends
            raise error from exc
        parsed.status, parsed.sends = response.status_code, sends
        return parsed

    async def delete(self, resource_type: str, resource_id: int, ids: Sequence[int]) -> Answer:
        """Katana's answer (204). It confirms nothing: Katana answers 204 for any ids."""
        body = {"resource_type": resource_type, "resource_id": resource_id, "ids": list(ids)}
        response, _, sends = await self._request("DELETE", "serial_numbers", json=body)
        return Answer(status=response.status_code, sends=sends)

    async def list_page(
        self,
        *,
        resource_type: str | None = None,
        resource_id: int | None = None,
        page: int = 1,
        limit: int = PAGE_SIZE,
    ) -> tuple[list[SerialRecord], int | None]:
        """One page, and the total row count when Katana's `X-Pagination` gives it."""
        rows, _, total = await self._page(resource_type, resource_id, page, limit)
        return rows, total

    async def stock(self) -> list[StockRecord]:
        """Every serial number of the account with its stock flag and transactions, from
        `GET /serial_numbers_stock`: one unpaged answer (Katana ignores `limit`)."""
        response, payload, _ = await self._request("GET", "serial_numbers_stock")
        try:
            return parse_stock(payload)
        except ValueError as exc:
            raise TransportError(f"unreadable stock body: {exc}", may_have_applied=False,
                                 reason="unreadable_body", status=response.status_code) from exc

    async def list_all(
        self, *, resource_type: str | None = None, resource_id: int | None = None,
        on_page: PageCallback | None = None,
    ) -> list[SerialRecord]:
        """Every row matching the filters, from a read that held still. Katana pages by
        offset, so a row added or removed on an early page while later pages are read
        shifts rows: one is seen twice or not at all. A read is trusted when no id repeats
        and the total Katana reports stayed equal to the rows read; otherwise it is read
        again, and a second unstable read raises UnstableRead (absence cannot be proven)."""
        for _ in range(2):
            rows, stable = await self._read_pages(resource_type, resource_id, on_page)
            if stable:
                return rows
        raise UnstableRead("the listing changed while its pages were read, twice")

    async def _read_pages(
        self, resource_type: str | None, resource_id: int | None, on_page: PageCallback | None,
        max_pages: int = 400,
    ) -> tuple[list[SerialRecord], bool]:
        rows: list[SerialRecord] = []
        totals: set[int | None] = set()
        for page in range(1, max_pages + 1):
            batch, last, total = await self._page(resource_type, resource_id, page, PAGE_SIZE)
            rows.extend(batch)
            totals.add(total)
            if on_page is not None:
                await on_page(page, len(rows))
            if last or len(batch) < PAGE_SIZE:
                break
        else:
            raise TransportError(f"the listing did not end after {max_pages} pages "
                                 f"({max_pages * PAGE_SIZE:,} rows)", may_have_applied=False,
                                 reason="too_many_pages", status=200)
        ids = [r.id for r in rows if r.id is not None]
        stable = len(ids) == len(set(ids)) and (
            page == 1 or totals == {len(rows)} or totals == {None})
        return rows, stable

    async def _page(
        self, resource_type: str | None, resource_id: int | None, page: int, limit: int
    ) -> tuple[list[SerialRecord], bool, int | None]:
        params: dict[str, Any] = {"limit": limit, "page": page}
        if resource_type is not None:
            params["resource_type"] = resource_type
        if resource_id is not None:
            params["resource_id"] = resource_id
        response, payload, _ = await self._request("GET", "serial_numbers", params=params)
        try:
            rows = parse_list(payload)
        except ValueError as exc:
            raise TransportError(f"unreadable list body: {exc}", may_have_applied=False,
                                 reason="unreadable_body", status=response.status_code) from exc
        last, total = page_meta(response.headers.get("x-pagination"))
        return rows, last, total

    # -- plumbing -----------------------------------------------------------------------
    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise TransportError(
                f"Katana answered {response.status_code} with a body that is not JSON",
                may_have_applied=response.request.method != "GET",
                status=response.status_code, reason="unreadable_body",
            ) from exc

    def _should_retry(self, method: str, exc: BaseException) -> bool:
        if isinstance(exc, RateLimitedError):
            wait = exc.retry_after or 0.0
            if wait > self.retry.max_retry_after:
                self.pacer.hold_for(wait)  # too long for this call, but binding on every call
                return False
            return True
        if method == "POST":  # never re-send what Katana may have applied
            return isinstance(exc, TransportError) and not exc.may_have_applied
        if isinstance(exc, ServerError):
            return exc.status in (GET_RETRYABLE_STATUS if method == "GET" else RETRYABLE_STATUS)
        return isinstance(exc, TransportError)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            self.pacer.hold_for(exc.retry_after)
            return 0.0  # the pacer holds every caller back, this one included
        backoff = wait_exponential_jitter(
            multiplier=self.retry.backoff_initial, jitter=self.retry.backoff_initial,
            max=self.retry.backoff_max,
        )
        return backoff(state)

    async def _request(self, method: str, path: str, **kw: Any) -> tuple[httpx.Response, Any, int]:
        """The response, its parsed JSON body (None when empty) and how many times the
        request was sent, after retries. A raised error carries the send count too."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: self._should_retry(method, e)),
            reraise=True,
        )
        sends, answered = 0, None  # answered: the last error of a request that was sent
        try:
            async for attempt in retrying:
                with attempt:
                    sends = attempt.retry_state.attempt_number
                    try:
                        response, payload = await self._attempt(method, path, **kw)
                    except NotSent:
                        raise
                    except KatanaError as exc:
                        answered = exc
                        raise
                    return response, payload, sends
        except NotSent as exc:
            if answered is None:
                raise
            # a retry could not be sent: what Katana said to the last one sent is the fact
            answered.sends = sends - 1
            raise answered from exc
        except KatanaError as exc:
            exc.sends = sends
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, method: str, path: str, **kw: Any) -> tuple[httpx.Response, Any]:
        slot = await self._acquire_before_deadline()
        self.requests_sent += 1
        try:
            response = await self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            log.warning("%s /%s failed: %s", method, path, type(exc).__name__)
            raise error_from_transport(exc) from exc
        finally:  # Katana counted it on arrival, by now at the latest (even if cancelled)
            with anyio.CancelScope(shield=True):
                await self.pacer.settle(slot)
        self.pacer.observe(response.headers)
        log.debug("%s /%s -> %s", method, path, response.status_code)
        if response.is_success:
            # parsed inside the attempt: an unreadable answer is retried like a dropped
            # one where that is safe (never for a POST that may have been applied)
            return response, (self._json(response) if response.content else None)
        error: KatanaError = error_from_response(response)
        raise error

    async def _acquire_before_deadline(self) -> str:
        """Wait for the rate budget, but never past the call's deadline: a request that
        cannot start in time is not sent at all, and the caller says so. Returns the
        request's slot in the budget."""
        longest = self.retry.max_retry_after  # a longer hold fails now, not later
        end = deadline.get()
        if end is None:
            return await self.pacer.acquire(max_wait=longest)
        slot = None
        with anyio.move_on_after(max(0.0, end - time.monotonic())):
            slot = await self.pacer.acquire(max_wait=longest)
        if slot is None or time.monotonic() > end:  # a place it took stays counted: harmless
            raise DeadlineExceeded("the call's deadline passed before the request was sent")
        return slot
