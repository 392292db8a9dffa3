"""One exception type per kind of Katana failure, built from a response or a transport error.

The kinds matter more than the status codes: Katana has answered "resource does not exist"
with 422 `No entity found` and later with 404, and business rules come back as 422 with a
bare message. Callers branch on the class; `present/errors.py` turns each into words.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from katana_sn_mcp.katana.models import ErrorBody, ValidationDetail

if TYPE_CHECKING:  # httpx is imported on first use, keeping it off the start-up path
    import httpx


class KatanaError(Exception):
    """Base class. `status`/`message` are Katana's own, for the record; `sends` is how many
    times the request went out (set by the client after its retries)."""

    kind = "unexpected"

    def __init__(self, message: str, *, status: int | None = None, body: ErrorBody | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body or ErrorBody(message=message)
        self.sends = 1

    @property
    def details(self) -> list[ValidationDetail]:
        return self.body.details


class AuthError(KatanaError):
    kind = "auth"


class NotFoundError(KatanaError):
    """404, or 422 `No entity found`: the target resource does not exist."""

    kind = "not_found"


class InvalidRequest(KatanaError):
    """422 with Ajv details (request body) or 400 (query parameter)."""

    kind = "validation"


class BusinessRuleError(KatanaError):
    """422 with a message only: Katana refused the whole call for a domain reason."""

    kind = "business_rule"


class RateLimitedError(KatanaError):
    """429: Katana refused (and applied nothing). When the client stops riding them out,
    `gave_up` says why: "wait_longer" (Katana's wait, `retry_after`, was longer than the
    `time_left` of the call) or "deadline" (the call's time ran out while waiting)."""

    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.gave_up: str | None = None
        self.time_left: float | None = None


class ServerError(KatanaError):
    kind = "server"


class TransportError(KatanaError):
    """No usable answer. `reason` says which: "timeout", "dropped" (the connection closed
    mid-request), "never_connected", or "unreadable_body" (Katana answered `status` with a
    body we could not read). `may_have_applied` is False only when the request surely never
    left."""

    kind = "transport"

    def __init__(self, message: str, *, may_have_applied: bool, reason: str = "dropped",
                 **kw: Any):
        super().__init__(message, **kw)
        self.may_have_applied = may_have_applied
        self.reason = reason


class NotSent(KatanaError):
    """This request never left this process: nothing about it reached Katana."""

    def __init__(self, message: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.sends = 0


class DeadlineExceeded(NotSent):
    """The tool call's deadline passed before this request could be sent (waiting for the
    rate budget or between retries). The request was not sent."""

    kind = "deadline"


class GateClosed(NotSent):
    """Katana asked (in a 429's Retry-After, or `X-Ratelimit-Remaining: 0`) to hold every
    request for longer than this call may wait, so this request was not sent."""

    kind = "gate"

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"Katana asked to hold all requests for about {round(wait_s)} more seconds")
        self.wait_s = wait_s


class SharedStateUnavailable(NotSent):
    """The shared store (Redis) that holds the rate budget, the gate or the write locks
    could not be reached, so the request was NOT sent: sending it without the budget
    could push every replica of this server over Katana's limit."""

    kind = "shared_state"


class UnstableRead(KatanaError):
    """A multi-page listing changed while it was read (rows shifted between pages), twice
    in a row; absence cannot be proven from it."""

    kind = "unstable"


@dataclass(frozen=True)
class Answer:
    """What Katana answered one request, after retries: the one fact every sentence,
    `katana_status` and journal outcome about it is derived from (worded by
    `present.answers.said`)."""

    status: int | None = None  # None: Katana never answered
    sends: int = 1
    no_answer: str | None = None  # see TransportError.reason; None when Katana answered
    name: str | None = None
    message: str | None = None

    @classmethod
    def of_error(cls, exc: KatanaError) -> Answer:
        reason = exc.reason if isinstance(exc, TransportError) else None
        if isinstance(exc, NotSent | UnstableRead):
            reason = exc.kind
        return cls(status=exc.status, sends=exc.sends, no_answer=reason, name=exc.body.name,
                   message=exc.body.message or None)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as integer seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_from_response(response: httpx.Response) -> KatanaError:
    """Classify a non-2xx response."""
    try:
        payload: Any = response.json()
    except ValueError:
        payload = response.text
    body = ErrorBody.parse(payload)
    status = response.status_code
    message = body.message or response.reason_phrase or f"HTTP {status}"
    kw: dict[str, Any] = {"status": status, "body": body}
    if status == 401 or status == 403:
        return AuthError(message, **kw)
    if status == 404 or (status == 422 and "no entity found" in message.lower()):
        return NotFoundError(message, **kw)
    if status == 429:
        return RateLimitedError(
            message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kw
        )
    if status in (400, 422) and (body.details or body.code == "VALIDATION_FAILED"):
        return InvalidRequest(message, **kw)
    if status == 422:
        return BusinessRuleError(message, **kw)
    if status == 400:
        return InvalidRequest(message, **kw)
    if status >= 500:
        return ServerError(message, **kw)
    return KatanaError(message, **kw)


def error_from_transport(exc: httpx.HTTPError) -> TransportError:
    """A connect failure never reached Katana; anything later may have been applied."""
    import httpx

    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    if isinstance(exc, httpx.TimeoutException) and not never_sent:
        reason = "timeout"
    else:
        reason = "never_connected" if never_sent else "dropped"
    what = type(exc).__name__
    return TransportError(f"{what}: {exc}" if str(exc) else what, may_have_applied=not never_sent,
                          reason=reason)
