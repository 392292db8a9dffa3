"""KatanaClient: the only code that speaks HTTP to Katana (or to the sandbox, same code).

One `httpx.AsyncClient` per process with Bearer auth, a versioned User-Agent, the shared
pacer and retries. Retries follow one rule: never re-send a request that Katana may have
applied. GET and DELETE are idempotent and retried on 429, 502/503/504 and transport errors;
POST is retried only when Katana surely did not apply it (429, or a connection that never
opened).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from katana_sn_mcp import __version__
from katana_sn_mcp.katana.errors import (
    KatanaError,
    RateLimitedError,
    ServerError,
    TransportError,
    error_from_response,
    error_from_transport,
)
from katana_sn_mcp.katana.models import (
    PAGE_SIZE,
    CreateResponse,
    SerialRecord,
    is_last_page,
    parse_list,
)
from katana_sn_mcp.katana.pacing import Pacer

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
PageCallback = Callable[[int, int], Awaitable[None]]


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
        response, payload = await self._request("POST", "serial_numbers", json=body)
        if response.status_code == 204 or payload is None:
            return CreateResponse(no_content=True, status=response.status_code)
        try:
            parsed = CreateResponse.model_validate(payload)
        except ValueError as exc:  # a 2xx we cannot read: treat like no answer at all
            raise TransportError(f"unreadable create body: {str(exc)[:200]}",
                                 may_have_applied=True, status=response.status_code) from exc
        parsed.status = response.status_code
        return parsed

    async def delete(self, resource_type: str, resource_id: int, ids: Sequence[int]) -> int:
        """Returns the status (204). It confirms nothing: Katana answers 204 for any ids."""
        body = {"resource_type": resource_type, "resource_id": resource_id, "ids": list(ids)}
        response, _ = await self._request("DELETE", "serial_numbers", json=body)
        return response.status_code

    async def list_page(
        self,
        *,
        resource_type: str | None = None,
        resource_id: int | None = None,
        page: int = 1,
        limit: int = PAGE_SIZE,
    ) -> list[SerialRecord]:
        rows, _ = await self._page(resource_type, resource_id, page, limit)
        return rows

    async def list_leading(
        self, *, resource_type: str | None = None, resource_id: int | None = None,
        on_page: PageCallback | None = None, max_pages: int = 400,
    ) -> tuple[list[SerialRecord], int, bool]:
        """Pages of 250 until a short page, or until the `X-Pagination` header says this was
        the last one (saving a request when the total is a multiple of 250), or until
        `max_pages`. Returns the rows, the pages read, and whether that was everything."""
        rows: list[SerialRecord] = []
        for page in range(1, max_pages + 1):
            batch, last = await self._page(resource_type, resource_id, page, PAGE_SIZE)
            rows.extend(batch)
            if on_page is not None:
                await on_page(page, len(rows))
            if last or len(batch) < PAGE_SIZE:
                return rows, page, True
        return rows, max_pages, False

    async def list_all(
        self, *, resource_type: str | None = None, resource_id: int | None = None,
        on_page: PageCallback | None = None,
    ) -> list[SerialRecord]:
        """Every row matching the filters (verification depends on seeing them all)."""
        rows, pages, complete = await self.list_leading(
            resource_type=resource_type, resource_id=resource_id, on_page=on_page)
        if not complete:
            raise TransportError(f"listing did not end after {pages} pages",
                                 may_have_applied=False)
        return rows

    async def _page(
        self, resource_type: str | None, resource_id: int | None, page: int, limit: int
    ) -> tuple[list[SerialRecord], bool]:
        params: dict[str, Any] = {"limit": limit, "page": page}
        if resource_type is not None:
            params["resource_type"] = resource_type
        if resource_id is not None:
            params["resource_id"] = resource_id
        response, payload = await self._request("GET", "serial_numbers", params=params)
        try:
            rows = parse_list(payload)
        except ValueError as exc:
            raise TransportError(f"unreadable list body: {exc}", may_have_applied=False) from exc
        return rows, is_last_page(response.headers.get("x-pagination"))

    # -- plumbing -----------------------------------------------------------------------
    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            snippet = response.text[:120].replace("\n", " ")
            raise TransportError(
                f"Katana answered {response.status_code} with a body that is not JSON: {snippet!r}",
                may_have_applied=response.request.method != "GET",
                status=response.status_code,
            ) from exc

    def _should_retry(self, method: str, exc: BaseException) -> bool:
        if isinstance(exc, RateLimitedError):
            wait = exc.retry_after or 0.0
            return wait <= self.retry.max_retry_after
        if method == "POST":
            return isinstance(exc, TransportError) and not exc.may_have_applied
        if isinstance(exc, ServerError):
            return exc.status in RETRYABLE_STATUS
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

    async def _request(self, method: str, path: str, **kw: Any) -> tuple[httpx.Response, Any]:
        """The response and its parsed JSON body (None when empty), after retries."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: self._should_retry(method, e)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(method, path, **kw)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, method: str, path: str, **kw: Any) -> tuple[httpx.Response, Any]:
        await self.pacer.acquire()
        self.requests_sent += 1
        try:
            response = await self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            log.warning("%s /%s failed: %s", method, path, type(exc).__name__)
            raise error_from_transport(exc) from exc
        self.pacer.observe(response.headers)
        log.debug("%s /%s -> %s", method, path, response.status_code)
        if response.is_success:
            # parsed inside the attempt: an unreadable answer is retried like a dropped
            # one where that is safe (never for a POST that may have been applied)
            return response, (self._json(response) if response.content else None)
        error: KatanaError = error_from_response(response)
        raise error
