"""Words for a call that failed as a whole (a ToolError's text): what happened, whether
anything changed, what to do — then Katana's own answer, or why there was none."""

from __future__ import annotations

from katana_sn_mcp.katana.errors import (
    AuthError,
    BusinessRuleError,
    DeadlineExceeded,
    GateClosed,
    InvalidRequest,
    KatanaError,
    NotFoundError,
    NotSent,
    RateLimitedError,
    ServerError,
    SharedStateUnavailable,
    TransportError,
    UnstableRead,
)
from katana_sn_mcp.katana.models import katana_text
from katana_sn_mcp.present.answers import katana_says
from katana_sn_mcp.present.words import MINT_HINT

UNCHANGED = "Nothing was changed."


DETAILS_SHOWN = 10  # Katana may name every item of a 10,000-item body


def _validation(err: InvalidRequest) -> str:
    lines = []
    for d in err.details[:DETAILS_SHOWN]:
        line = f"{d.field}: {d.message}".rstrip(": ")
        allowed = d.info.get("allowedValues")
        if isinstance(allowed, list):
            line += f" (allowed values: {', '.join(map(str, allowed))})"
        elif "additionalProperty" in d.info:
            line += f" ('{d.info['additionalProperty']}')"
        lines.append(katana_text(line, 200))
    if len(err.details) > DETAILS_SHOWN:
        lines.append(f"and {len(err.details) - DETAILS_SHOWN:,} more")
    what = "; ".join(lines) if lines else err.message
    return f"Katana rejected the request as invalid, so nothing was changed: {what}."


def _business_rule(err: BusinessRuleError, target: str) -> str:
    low = err.message.lower()
    if "serial numbers not found" in low or "unknownserialnumber" in low.replace(" ", ""):
        return ("Katana refused the whole call because at least one string exists nowhere in "
                f"this account; a transfer only moves strings already minted. {UNCHANGED} None "
                f"moved to {target}. Mint the unknown strings first on {MINT_HINT} (or fix their "
                "spelling); find_serial_numbers says which strings exist and where.")
    if "is linked" in low and "updated on mo" in low:
        return (f"{target} is linked to a make-to-order manufacturing order, so Katana accepts "
                "serial numbers only on that manufacturing order. Nothing was changed. Add "
                "them to the linked manufacturing order instead.")
    return f"Katana refused the call for a business reason. {UNCHANGED}"


def _not_sent(err: KatanaError) -> str | None:
    """Requests that never left this process (or never reached Katana)."""
    if isinstance(err, GateClosed):
        return (f"Katana's rate limit for this key is used up: Katana asked to hold every "
                f"request for about {round(err.wait_s)} more seconds, longer than this call may "
                f"wait, so this request was not sent. {UNCHANGED} Try again after "
                f"{_clock(err.wait_s)}.")
    if isinstance(err, SharedStateUnavailable):
        return err.message  # it says what was not sent and what to do
    if isinstance(err, DeadlineExceeded):
        return ("The call's deadline passed while waiting for Katana's rate budget, so the "
                f"request was not sent. {UNCHANGED} Try again in a minute.")
    if isinstance(err, TransportError) and err.reason == "never_connected":
        return f"The request never reached Katana. {UNCHANGED}"
    return None


def _rate_limited(err: RateLimitedError, rate_limit: int) -> str:
    """Names the cause that ended the wait: Katana's wait longer than the time left, or
    the call's time running out while waiting (`RateLimitedError.gave_up`)."""
    paced = (f"Katana's rate limit for this key is used up (this server paces itself to "
             f"{rate_limit} requests per minute)")
    wait = f"about {round(err.retry_after or 0)} seconds"
    times = " each time it was sent" if err.sends > 1 else ""  # Katana's part says how often
    if err.gave_up == "deadline":
        return (f"{paced}: Katana refused the request each time it was sent, waiting between "
                "sends as it asked, until this call's time ran out, so nothing was changed. "
                f"Try again in a minute (after {_clock(60)}).")
    if err.gave_up == "wait_longer" and err.retry_after:
        left = round(err.time_left or 0)
        return (f"{paced}, and Katana asked to wait {wait}, longer than the {left} seconds "
                f"this call had left. Katana refused the request{times}, so nothing was "
                f"changed. Wait {wait} (until {_clock(err.retry_after)}) and try again.")
    if not err.retry_after:
        return (f"{paced}: Katana refused the request{times}, so nothing was changed. Try "
                f"again in a minute (after {_clock(60)}).")
    return (f"{paced}, and Katana asked to wait {wait}. Katana refused the request{times}, "
            f"so nothing was changed. Wait {wait} (until {_clock(err.retry_after)}) and try "
            "again.")


def _clock(seconds: float) -> str:
    """The wall-clock time `seconds` from now, as the model can tell a person."""
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%H:%M:%S UTC")


def whole_call(err: KatanaError, target: str | None = None, rate_limit: int = 60) -> str:
    """`target` is e.g. "ManufacturingOrder 1001"; `rate_limit` the configured budget."""
    target = target or "the resource"
    text = _not_sent(err)
    if text is not None:
        pass
    elif isinstance(err, NotFoundError):
        text = (f"Katana says {target} does not exist (or this API key cannot see it). "
                f"{UNCHANGED} Check the id and the resource_type: a sales order row id is not "
                "a sales order id, and a manufacturing order id is not its order number.")
    elif isinstance(err, InvalidRequest):
        text = _validation(err)
    elif isinstance(err, BusinessRuleError):
        text = _business_rule(err, target)
    elif isinstance(err, AuthError):
        text = ("Katana rejected the API key, so nothing was changed. Set a valid key in the "
                "KATANA_API_KEY environment variable of this server (Katana: Settings > API) "
                "and restart it.")
    elif isinstance(err, RateLimitedError):
        text = _rate_limited(err, rate_limit)
    elif isinstance(err, UnstableRead):
        text = ("The listing kept changing while its pages were read (someone is changing "
                f"{target} right now): no two of three reads in a row agreed, so it proves "
                "nothing. This read changed nothing. Try again in a moment.")
    elif isinstance(err, TransportError) and err.reason == "too_many_pages":
        text = (f"{target} has more serial numbers than one call reads, so this read proves "
                "nothing and changed nothing. list_serial_numbers reads them page by page.")
    elif isinstance(err, TransportError | ServerError):
        text = "This read failed; a read changes nothing. Try again in a moment."
    elif err.status is not None and 400 <= err.status < 500:
        text = f"Katana refused the request. {UNCHANGED}"
    else:
        text = "Katana's answer was not one this server knows."
    if own_words(err):  # the text above already says all there is
        return text
    return f"{text}\n({katana_says(err)})"


def own_words(err: KatanaError) -> bool:
    """Errors of this server's own making: Katana said nothing more about them."""
    return (isinstance(err, NotSent | UnstableRead)
            or (isinstance(err, TransportError) and err.reason == "too_many_pages"))


# -- a call refused or ended before Katana was asked ------------------------------------
INTERRUPTED = "unknown: the call ended before Katana's answer was recorded"
NOT_SENT = "Nothing was sent to Katana."
NOT_READ = "Nothing was read."


def lock_busy(target: str) -> str:
    return ("Another write through this server has been running for too long (its writes "
            f"go one at a time), so this one to {target} was not sent. {UNCHANGED} Try again "
            "shortly.")


def too_many(n: int, most: int) -> str:
    return f"{n:,} strings in one call; at most {most:,}. {NOT_SENT}"


def nothing_given(what: str) -> str:
    return f"No strings given: pass {what}. {NOT_SENT}"


def nothing_to_check(what: str) -> str:
    return f"Nothing to check: pass {what}. {NOT_READ}"


def bad_input(why: object, read: bool = False) -> str:
    """A range or cursor refused before anything was sent; `why` says which and why."""
    why = str(why).rstrip(".")
    return f"{why}. {NOT_READ if read else NOT_SENT}"


def aged_out(result_id: str, kept: int) -> str:
    return (f"Result {result_id} is not among the write results this server keeps (the last "
            f"{kept}). Where the server keeps a journal file, its outcome line with "
            f"write_id {result_id} lists every item; katana://journal/recent shows recent "
            "writes, one row each.")
