"""Plain-language text for every outcome. Each explanation is written once, here.

The reader is an AI assistant that will repeat this to a person, so every text says what
happened, whether anything changed, and what to do next. Pure functions of plain values:
no MCP, no HTTP.
"""

from __future__ import annotations

from katana_sn_mcp.katana.errors import (
    AuthError,
    BusinessRuleError,
    KatanaError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    ValidationError,
)

MINT_HINT = "a manufacturing order (ManufacturingOrder) or purchase order row (PurchaseOrderRow)"


def resource(resource_type: str, resource_id: int) -> str:
    return f"{resource_type} {resource_id}"


# -- per-string failures inside a 200 -------------------------------------------------------
def failure_reason(reason: str, serial: str) -> str:
    """Why one string in a create call was refused. The rest of the call still applied."""
    rest = " This does not undo the other strings in the same call: those under `succeeded` were applied."
    if reason == "MISSING":
        return (
            f"'{serial}' exists nowhere in this Katana account, so there is nothing to transfer. "
            f"It must first be minted on {MINT_HINT}, or the spelling checked." + rest
        )
    if reason == "DUPLICATE":
        return (
            f"'{serial}' already exists (a mint needs a new string) or is already on this "
            "resource (a transfer), so Katana did not add it again. Nothing changed for it; "
            "list_serial_numbers shows where it is." + rest
        )
    if reason == "NOT_IN_STOCK":
        return (
            f"'{serial}' is not in stock (for example it is already on a sales order), so "
            "Katana would not move it. Nothing changed for it; check where it is with "
            "list_serial_numbers." + rest
        )
    if reason == "NOT_APPLIED":
        return (
            f"'{serial}' is not on the resource after the unanswered request, so it was not "
            "applied. It is safe to send it again."
        )
    return (
        f"Katana refused '{serial}' with the reason code {reason}. According to Katana nothing "
        "changed for it; check with verify_serial_numbers before trying again." + rest
    )


# -- whole-call failures ---------------------------------------------------------------------
def _validation(err: ValidationError) -> str:
    lines = []
    for d in err.details:
        line = f"{d.field}: {d.message}".rstrip(": ")
        allowed = d.info.get("allowedValues")
        if isinstance(allowed, list):
            line += f" (allowed values: {', '.join(map(str, allowed))})"
        elif "additionalProperty" in d.info:
            line += f" ('{d.info['additionalProperty']}')"
        lines.append(line)
    what = "; ".join(lines) if lines else err.message
    return f"Katana rejected the request as invalid, so nothing was changed. {what}."


def _business_rule(err: BusinessRuleError, where: str) -> str:
    msg = err.message
    low = msg.lower()
    if "serial numbers not found" in low or "unknownserialnumber" in low.replace(" ", ""):
        return (
            "Katana refused the whole call because at least one string exists nowhere in this "
            "account, and a transfer can only move strings that were already minted. Nothing "
            f"was changed: none of the strings moved to {where}. Mint the unknown strings first "
            f"on {MINT_HINT} (or fix their spelling), then transfer again; "
            "list_serial_numbers shows which strings exist."
        )
    if "is linked" in low and "updated on mo" in low:
        return (
            f"{where} is linked to a make-to-order manufacturing order, so Katana accepts serial "
            "numbers only on that manufacturing order. Nothing was changed. Add the serial "
            "numbers to the linked manufacturing order instead."
        )
    return f"Katana refused the call for a business reason: \"{msg}\". Nothing was changed."


def error(err: KatanaError, *, resource_type: str | None = None, resource_id: int | None = None,
          write: bool = False) -> str:
    """The explanation for a call that failed as a whole, followed by Katana's own words."""
    where = resource(resource_type, resource_id) if resource_type and resource_id else "the resource"
    if isinstance(err, NotFoundError):
        text = (
            f"{where} does not exist in this Katana account (or this API key cannot see it). "
            "Nothing was changed. Check the id and the resource_type: a sales order row id is "
            "not a sales order id, and a manufacturing order id is not its order number. If it "
            "does exist, Katana may not accept manual serial-number changes on it: check it in "
            "Katana's web app."
        )
    elif isinstance(err, ValidationError):
        text = _validation(err)
    elif isinstance(err, BusinessRuleError):
        text = _business_rule(err, where)
    elif isinstance(err, AuthError):
        text = (
            "Katana rejected the API key, so nothing was changed. Set a valid key in the "
            "KATANA_API_KEY environment variable of this server (in the MCP host's config; "
            "Katana: Settings > API) and restart it."
        )
    elif isinstance(err, RateLimitedError):
        wait = f"about {round(err.retry_after)} seconds" if err.retry_after else "a minute"
        text = (
            "Katana's rate limit (60 requests per minute for this key) is used up: Katana "
            "refused the request, so nothing was changed by this call, and waiting longer was "
            f"not worth holding the call open. Wait {wait} and try again."
        )
    elif isinstance(err, ServerError):
        text = (
            f"Katana had an internal error ({err.status}). "
            + (_maybe_changed() if write else "Nothing was changed by this read.")
            + " Try again in a moment."
        )
    elif isinstance(err, TransportError):
        text = f"No usable answer came from Katana ({err.message}). " + (
            _maybe_changed() if write and err.may_have_applied else "Nothing was changed."
        )
    else:
        text = f"Katana answered with an unexpected status. {_maybe_changed() if write else ''}"
    return f"{text.strip()}\n({err.katana_says()})"


def _maybe_changed() -> str:
    return (
        "The change may or may not have been applied: check with verify_serial_numbers "
        "before trying again."
    )


# -- notes reused by several results -----------------------------------------------------------
def delete_caveat() -> str:
    return (
        "Katana answers 204 No Content to every well-formed delete (a valid id, an unknown id "
        "or an id on another resource alike), so that answer confirms nothing. The facts "
        "here come from re-reading the resource's serial numbers before and after."
    )


def landing_unconfirmed(serial: str) -> str:
    return (
        f"Katana reported '{serial}' as moved but gave no landing data (transaction_id "
        "'undefined', resource_id null); it was not re-read. Confirm with verify_serial_numbers."
    )


def ambiguous_write(what: str) -> str:
    return (
        f"Katana gave no usable answer to the {what} (the connection dropped, timed out, or "
        "the body was not JSON), so it was not sent again. What is reported here was "
        "resolved by re-reading the resource's serial numbers."
    )
