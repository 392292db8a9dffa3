"""Every explanation the model reads, each written once and each true wherever it appears.

A sentence names a cause only from the fact that carries it: Katana's status and words
(`present.answers.said`), or what a re-read showed. Per-item reasons are explained once per
reason, never once per string.
"""

from __future__ import annotations

MINT_HINT = "a manufacturing order (ManufacturingOrder) or purchase order row (PurchaseOrderRow)"


# A cursor page whose seam moved (katana_sn_mcp.cursors), and a walk that moved earlier.
LISTING_MOVED = ("The listing changed since the previous page (rows were added or removed), so "
                 "rows may be skipped or repeated from here; list again without a cursor for "
                 "a consistent read.")
WALK_MOVED = ("the listing changed during this walk, so rows may have been skipped or "
              "repeated; list again without a cursor for a consistent read.")
EMPTY_READ = ("holds no serial numbers at all — also what Katana answers for an id that "
              "does not exist or a wrong resource_type, so check the id and the type.")


def where(resource_type: str, resource_id: int) -> str:
    return f"{resource_type} {resource_id}"


def create_reason(reason: str, operation: str, target: str, others_applied: bool) -> str:
    """Why strings Katana named in `failed` were refused (its 200 said so: nothing changed
    for them)."""
    rest = " The strings reported applied in this call are not undone by it." if others_applied else ""
    if reason == "MISSING":
        return ("They exist nowhere in this Katana account, so there is nothing to transfer. "
                f"Mint them first on {MINT_HINT}, or check the spelling." + rest)
    if reason == "DUPLICATE" and operation == "mint":
        return ("Katana already has these strings, so it did not mint them again; nothing "
                "changed for them." + rest)
    if reason == "DUPLICATE":
        return f"They are already on {target}, so nothing changed for them." + rest
    if reason == "NOT_IN_STOCK":
        return ("Katana says they are not in stock (for example already on a sales order), "
                "so it did not move them; nothing changed for them." + rest)
    return (f"Katana refused them with the reason code {reason}; by Katana's answer nothing "
            "changed for them. Check with verify_serial_numbers before trying again." + rest)


def create_open(kind: str, target: str, reread: str | None, at: str) -> str:
    """Strings whose fate Katana's answer (said once, in `katana.says`) did not settle, by
    what the re-read showed."""
    if kind == "NOT_APPLIED":
        return (f"Katana answered with an error, and a re-read of {target} at {at} shows them "
                "absent: not applied. They can be sent again.")
    if kind == "NOT_SEEN":
        return (f"A re-read of {target} at {at} does not show them yet, but Katana may still "
                "apply a request it got: do not send them again until verify_serial_numbers, "
                "run a minute later, still shows them absent.")
    if kind == "REREAD_FAILED":
        return (f"Katana's answer did not settle them, and re-reading {target} failed too "
                f"({reread}), so whether they landed is unknown. Check with "
                "verify_serial_numbers before sending anything again.")
    if kind == "OTHER_REASONS":
        return ("Katana refused these with several other reason codes; by its answer nothing "
                "changed for them. The reason of each is in the full result.")
    if kind == "NOT_SEEN_AFTER_REPORT":
        return (f"Katana reported them applied, but a re-read of {target} at {at} does not show "
                "them there. Check with verify_serial_numbers.")
    return ("Katana's answer named neither success nor failure for them. Check with "
            "verify_serial_numbers.")


def present_note(target: str, at: str) -> str:
    return f"Do not send them again: a re-read of {target} at {at} shows them on it."


def landing_unread(reread_failed: str | None) -> str:
    """`reread_failed`: why re-reading the target failed; None when verify=false skipped it."""
    why = (f"re-reading the target failed ({reread_failed})" if reread_failed
           else "verify=false skipped the re-read")
    return ("Katana reported the transfer but gave no landing data (transaction_id "
            f"'undefined', resource_id null), and {why}: confirm with verify_serial_numbers.")


def reread_failed(target: str, why: str) -> str:
    return (f"Re-reading {target} to confirm failed ({why}): confirm with "
            "verify_serial_numbers.")


DELETE_NOTE = ("Katana answers 204 to every well-formed delete, whatever the ids, so its answer "
               "confirms nothing; what is reported here comes from reading the resource just "
               "before and after the delete.")


def lookalikes(count: int, first: list[str]) -> str:
    verb = "string mixes" if count == 1 else "strings mix"
    return (f"{count:,} {verb} Latin letters with look-alike letters from another "
            f"script (e.g. Cyrillic 'А'), so they differ from what a person would type: "
            f"{', '.join(first)}. Check them before relying on them.")


def locate_failed(why: str) -> str:
    return (f"Where the DUPLICATE strings are could not be read ({why}); find_serial_numbers "
            "looks them up.")


# A list cursor refused (katana_sn_mcp.cursors), before anything is read.
CURSOR_NOT_OURS = (
    "next_cursor is not one this server returned, or it was changed or cut short (cursors "
    "also lapse when the server restarts); pass next_cursor back exactly as returned, or list "
    "again without a cursor")
CURSOR_OTHER_LISTING = (
    "this next_cursor belongs to a listing with other filters; pass the same resource_type "
    "and resource_id as the call that returned it")
