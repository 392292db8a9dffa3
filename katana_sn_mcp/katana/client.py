"""KatanaClient: the only code that speaks HTTP to Katana (or to the sandbox, same code).

One `httpx.AsyncClient` per process with Bearer auth, a versioned User-Agent, the shared
pacer and retries. Retries follow one rule: never re-send a request that Katana may have
applied. GET and DELETE are idempotent and retried on 429, 502/503/504 and transport errors;
POST is retried only when Katana surely did not apply it (429, or a connection that never
opened).

A 429 is ridden out, not counted: Katana applied nothing, so the request is re-sent after
the wait Katana asked for (Retry-After, held by the pacer for every caller) as often as it
takes, until the call's deadline. Other programs on the same key can keep Katana stricter
than our pacer for a while; a fixed number of attempts then failed calls that had most of
their time left. It gives up only when Katana's wait is longer than the time left, or the
deadline passes while waiting, and says which (`RateLimitedError.gave_up`).
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from katana_sn_mcp import __version__, progress
from katana_sn_mcp.katana.errors import (
    Answer,
    DeadlineExceeded,
    GateClosed,
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

if TYPE_CHECKING:  # tenacity is imported on the first failed request (see _request)
    from tenacity import RetryCallState

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
GET_RETRYABLE_STATUS = RETRYABLE_STATUS | {500}  # a read changes nothing: 500 is worth a retry
PageCallback = Callable[[int, int], Awaitable[None]]
# The current tool call's deadline (time.monotonic()); no request is *started* after it.
deadline: ContextVar[float | None] = ContextVar("katana_call_deadline", default=None)
# When the request now being retried was first sent (monotonic), for calls with no deadline.
_request_started: ContextVar[float] = ContextVar("katana_request_started", default=0.0)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # total tries, the first included (1: never retry, not even a 429)
    backoff_initial: float = 0.5  # seconds; exponential with jitter from here
    backoff_max: float = 8.0
    max_retry_after: float = 60.0  # with no call deadline, a longer hold is reported, not waited
    rate_limited_for: float = 120.0  # how long 429s are ridden out when no call deadline is set


def _unique(ids: list[int | None]) -> bool:
    known = [i for i in ids if i is not None]
    return len(known) == len(set(known))


def _system_trust() -> ssl.SSLContext:
    """TLS verified against the operating system's trust store (truststore), as pip and uv
    do: a company's TLS-inspecting proxy CA, installed on the machine, is trusted here too,
    and no CA bundle is parsed at start-up (certifi's costs ~30 ms and 1.6 MiB on every
    first call; the system store is consulted at the handshake)."""
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


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
        self._started = _request_started
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": f"katana-sn-mcp/{__version__}",
            },
            timeout=timeout,
            transport=transport,
            verify=True if transport is not None else _system_trust(),
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

    async def row_at(self, offset: int, *, resource_type: str | None = None,
                     resource_id: int | None = None) -> SerialRecord | None:
        """The row at one offset of a listing (page `offset + 1` of size 1), None past its
        end: the seam check of a cursor walk, one small request."""
        rows, _, _ = await self._page(resource_type, resource_id, offset + 1, 1)
        return rows[0] if rows else None

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
        """Every row matching the filters, from a read that held still.

        Katana pages by offset, so a row added or removed on an early page while later
        pages are read shifts the rows after it: one is then seen twice or not at all, and
        "not attached" or "removed" would be claimed of a row that is there. So:
        - rows on one page only (the pages after it empty) are one answer, one moment:
          trusted as they are;
        - with `X-Pagination` on every page, the read is trusted when the total stayed
          the same on every page, equals the rows read, and no id came twice (any single
          add or remove changes the total). Not caught: an add and a remove in the same
          gap between two pages, which keep the total; reading twice to catch that would
          double every long read under a limit of 60 requests a minute;
        - without a total (whether Katana sends one on /serial_numbers is unknown), a
          multi-page read is trusted only when the next full read returns the same ids in
          the same order: a shift while either read ran makes them differ.
        At most three reads; if none is trusted, UnstableRead: the listing changed while it
        was read, and absence cannot be proven from it.
        """
        previous: list[int | None] | None = None
        pages_read = 0

        async def progress(_page: int, rows: int) -> None:
            nonlocal pages_read
            pages_read += 1  # progress only ever grows, across reads too
            if on_page is not None:
                await on_page(pages_read, rows)

        for _ in range(3):
            rows, filled, consistent = await self._read_pages(resource_type, resource_id,
                                                              progress)
            if filled == 1 or consistent is True:
                return rows
            ids = [r.id for r in rows] if consistent is None else None
            if ids is not None and ids == previous:
                return rows
            previous = ids
        raise UnstableRead("the listing changed while its pages were read")

    async def _read_pages(
        self, resource_type: str | None, resource_id: int | None, on_page: PageCallback,
        max_pages: int = 400,
    ) -> tuple[list[SerialRecord], int, bool | None]:
        """(rows, pages with rows, consistent): see list_all. `consistent` is True when
        Katana's total held and matches, False when it did not (or an id came twice), None
        when Katana sent no total and only a second read can tell."""
        rows: list[SerialRecord] = []
        totals: set[int | None] = set()
        for page in range(1, max_pages + 1):
            batch, last, total = await self._page(resource_type, resource_id, page, PAGE_SIZE)
            rows.extend(batch)
            totals.add(total)
            await on_page(page, len(rows))
            if last or len(batch) < PAGE_SIZE:
                break
        else:
            raise TransportError(f"the listing did not end after {max_pages} pages "
                                 f"({max_pages * PAGE_SIZE:,} rows)", may_have_applied=False,
                                 reason="too_many_pages", status=200)
        filled = page if rows and len(batch) else page - 1  # the last page may be empty
        unique = _unique([r.id for r in rows])
        consistent = (None if totals == {None} and unique else
                      totals == {len(rows)} and unique)
        return rows, max(1, filled), consistent

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
            return self._ride_out(exc)
        if method == "POST":  # never re-send what Katana may have applied
            return isinstance(exc, TransportError) and not exc.may_have_applied
        if isinstance(exc, ServerError):
            return exc.status in (GET_RETRYABLE_STATUS if method == "GET" else RETRYABLE_STATUS)
        return isinstance(exc, TransportError)

    def _ride_out(self, exc: RateLimitedError) -> bool:
        """Whether a 429 is worth waiting out: Katana's wait fits in the time left (the
        call's deadline; without one, at most `max_retry_after`). When it does not, the
        error records why (`gave_up`), for the words the caller reads."""
        if self.retry.attempts <= 1:
            return False
        wait = exc.retry_after or 0.0
        left = max(0.0, self._end() - time.monotonic())
        if deadline.get() is None:
            left = min(left, self.retry.max_retry_after)
        if left <= 0:
            exc.gave_up, exc.time_left = "deadline", 0.0
            return False
        if wait >= left:
            exc.gave_up, exc.time_left = "wait_longer", left
            if exc.retry_after is not None:
                self.pacer.hold_for(wait)  # binding on every call, this one has no time
            return False
        return True

    def _end(self) -> float:
        """When this call's requests must have started (monotonic): its deadline, or, with
        none set, `rate_limited_for` after the request began."""
        end = deadline.get()
        if end is None:
            end = self._started.get() + self.retry.rate_limited_for
        return end

    def _stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError):
            return False  # bounded by the deadline (_ride_out), not by a count
        return state.attempt_number >= self.retry.attempts

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            self.pacer.hold_for(exc.retry_after)
            return 0.0  # the pacer holds every caller back, this one included
        from tenacity.wait import wait_exponential_jitter

        backoff = wait_exponential_jitter(
            multiplier=self.retry.backoff_initial, jitter=self.retry.backoff_initial,
            max=self.retry.backoff_max,
        )
        return backoff(state)

    async def _note_retry(self, state: RetryCallState) -> None:
        """Each re-send is a step the host hears of at once (katana_sn_mcp.progress): Katana's
        status (None when it never answered), the wait before the re-send, the attempt."""
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            wait = exc.retry_after  # held by the pacer, not by tenacity's sleep
        await progress.note("retry", status=getattr(exc, "status", None), wait_s=wait,
                            attempt=state.attempt_number + 1)

    async def _request(self, method: str, path: str, **kw: Any) -> tuple[httpx.Response, Any, int]:
        """The response, its parsed JSON body (None when empty) and how many times the
        request was sent, after retries. A raised error carries the send count too.

        The first send runs on its own; only a failure brings in tenacity (its import is
        ~5 ms and 0.4 MiB that a call that succeeds, nearly every call, never needs), and
        that failure becomes tenacity's first attempt, so every retry decision is made by
        the same rules in the same order as if tenacity had sent it."""
        self._started.set(time.monotonic())
        try:
            response, payload = await self._attempt(method, path, **kw)
            return response, payload, 1
        except NotSent:
            raise
        except KatanaError as exc:
            first = exc
        return await self._retry(method, path, first, **kw)

    async def _retry(self, method: str, path: str, first: KatanaError,
                     **kw: Any) -> tuple[httpx.Response, Any, int]:
        """Retries after `first`, the first send's error, under tenacity's rules."""
        from tenacity import AsyncRetrying, retry_if_exception

        retrying = AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception(lambda e: self._should_retry(method, e)),
            before_sleep=self._note_retry,
            reraise=True,
        )
        sends, answered = 0, first  # answered: the last error of a request that was sent
        try:
            async for attempt in retrying:
                with attempt:
                    sends = attempt.retry_state.attempt_number
                    if sends == 1:
                        raise first  # already sent: tenacity judges it as its first attempt
                    try:
                        response, payload = await self._attempt(method, path, **kw)
                    except NotSent:
                        raise
                    except KatanaError as exc:
                        answered = exc
                        raise
                    return response, payload, sends
        except NotSent as exc:
            # a retry could not be sent: what Katana said to the last one sent is the fact
            answered.sends = sends - 1
            if isinstance(answered, RateLimitedError):  # riding out 429s, time ran out
                if isinstance(exc, GateClosed):  # another answer asked for a longer hold
                    answered.gave_up = "wait_longer"
                    answered.time_left = max(0.0, self._end() - time.monotonic())
                    answered.retry_after = max(answered.retry_after or 0.0, exc.wait_s)
                else:
                    answered.gave_up = "deadline"
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
        end = deadline.get()
        if end is None:  # a longer hold fails now, not later
            return await self.pacer.acquire(max_wait=self.retry.max_retry_after)
        longest = max(0.0, end - time.monotonic())  # a hold past the deadline fails now
        slot = None
        with anyio.move_on_after(max(0.0, end - time.monotonic())):
            slot = await self.pacer.acquire(max_wait=longest)
        if slot is None or time.monotonic() > end:  # a place it took stays counted: harmless
            raise DeadlineExceeded("the call's deadline passed before the request was sent")
        return slot
