"""FindFacts → what the model reads: where each serial number is now, grouped by
resource, and its stock history, within the budget."""

from __future__ import annotations

from collections.abc import Sequence

from katana_sn_mcp.operations.find import FindFacts
from katana_sn_mcp.present.answers import said
from katana_sn_mcp.present.budget import cap, squeezed_out
from katana_sn_mcp.present.common import Presented, bounded, reason, reason_lines, runs, runs_line
from katana_sn_mcp.present.compress import first_names, plural
from katana_sn_mcp.results import FindResult, History, Names, Transaction, Where

PLACES_SHOWN = 20
HISTORIES_SHOWN = 10
TRANSACTIONS_SHOWN = 6

NOT_KNOWN = ("not in Katana's stock list, which names every serial number of the account: "
             "they exist nowhere (never minted, deleted, or spelled differently)")
NOT_LISTED = ("not in the account's listing, read to its end just now: they are on no "
              "resource (never minted, deleted, or spelled differently)")
ON_NO_RESOURCE = ("known to Katana, but on none of the resources of their transactions (read "
                  "just now): Katana keeps such a serial after its resource is deleted")
NOT_SEEN = ("not among the {n:,} rows of the account's listing read; where they are is "
            "unknown")
NOT_LOOKED_UP = ("known to Katana; their resources were not all read in this call (it reads "
                 "at most {n} resources): ask again for these alone")


def names(items: Sequence[str]) -> Names | None:
    return Names(count=len(items), first=first_names(items)) if items else None


def _line(label: str, group: Names | None, why: str) -> list[str]:
    if group is None:
        return []
    shown = ", ".join(group.first)
    listed = (f"{group.count:,}, all named" if len(group.first) == group.count
              else f"{group.count:,}; first {len(group.first):,} named")
    rest = f", and {group.count - len(group.first):,} more" if len(group.first) < group.count else ""
    return [f"{label} ({listed}): {shown}{rest} — {why}." if group.first
            else f"{label} ({group.count:,}; none named here, to fit) — {why}."]


def where_text(w: Where) -> str:
    return f"{w.resource_type} {w.resource_id}"


def present_find(facts: FindFacts, resources_cap: int) -> Presented:
    unknown = [s for s in facts.serials if s not in facts.now
               and (facts.stock is None or s not in facts.stock)]
    unknown += [f"id {i}" for i in facts.ids if facts.serial_of_id(i) is None]
    known = [s for s in facts.wanted if s not in facts.now and facts.stock is not None
             and s in facts.stock]
    unread = [s for s in known if s in facts.unread]
    nowhere = [s for s in known if s not in facts.unread]
    shown_places = 0 if squeezed_out() else max(1, cap(PLACES_SHOWN))
    places = _places(facts)
    where = [Where(resource_type=t, resource_id=i,
                   serials=runs(ss, [facts.now[s].id for s in ss]))  # type: ignore[arg-type]
             for (t, i), ss in places[:shown_places]]
    n_found = len(facts.now)
    total = len(facts.serials) + len([i for i in facts.ids if facts.serial_of_id(i) not in facts.serials])
    if facts.stock is not None:
        why_unknown, code = NOT_KNOWN, "NOT_KNOWN"
    elif facts.walk_complete:
        why_unknown, code = NOT_LISTED, "NOT_KNOWN"
    else:
        why_unknown, code = NOT_SEEN.format(n=facts.walked_rows or 0), "NOT_SEEN"
    groups = [(code, unknown, why_unknown), ("ON_NO_RESOURCE", nowhere, ON_NO_RESOURCE),
              ("NOT_LOOKED_UP", unread, NOT_LOOKED_UP.format(n=resources_cap))]
    not_found = [reason(c, items, why[0].upper() + why[1:] + ".", 3) for c, items, why in groups if items]
    histories = _histories(facts)
    summary = _summary(facts, n_found, total, places, unknown, nowhere, unread)
    result = FindResult(
        summary=summary, asked=total, found=n_found, where=where,
        more_places=max(0, len(places) - len(where)), not_found=not_found,
        history=histories[0], history_more=histories[1], stock_read=facts.stock is not None)
    lines = [summary]
    for w in where:
        lines += runs_line(f"On {where_text(w)} now", w.serials)
    if result.more_places:
        lines.append(f"On {plural(result.more_places, 'more resource')}, not shown: "
                     f"{n_found - sum(w.serials.count for w in where):,} strings.")
    lines += reason_lines(not_found)
    lines += [_history_line(h) for h in result.history]
    if result.history_more:
        lines.append(f"History of {plural(result.history_more, 'more serial number')} left out "
                     "to fit; ask for fewer strings to see it.")
    return Presented(result, "\n".join(lines))


def _summary(facts: FindFacts, n_found: int, total: int, places: list, unknown: list[str],
             nowhere: list[str], unread: list[str]) -> str:
    parts = [f"{n_found:,} of {plural(total, 'serial number')} asked found on a resource now"]
    if places:
        top = ", ".join(f"{len(ss):,} on {t} {i}" for (t, i), ss in places[:3])
        more = f", and more on {plural(len(places) - 3, 'other resource')}" if len(places) > 3 else ""
        parts[0] += f" ({top}{more})"
    if unknown and (facts.stock is not None or facts.walk_complete):  # else: not seen
        parts.append(f"{len(unknown):,} exist nowhere in this account" if len(unknown) > 1
                     else "1 exists nowhere in this account")
    if nowhere:
        parts.append(f"{len(nowhere):,} known to Katana but on no resource")
    if unread:
        parts.append(f"{len(unread):,} not looked up (resource cap)")
    if facts.stock is None:
        failed = said(facts.stock_failure) if facts.stock_failure else ""
        failed = bounded(failed, max(200, cap(600)))
        how = (f"Katana's stock list could not be read ({failed}), "
               f"so {facts.walked_rows:,} rows of the account's listing were read instead"
               + (" (all of them)" if facts.walk_complete else ""))
    else:
        how = (f"Read just now: Katana's stock list (one request) and "
               f"{plural(len(facts.read), 'resource')} on the list endpoint")
    return "; ".join(parts) + f". {how}."


def _histories(facts: FindFacts) -> tuple[list[History], int]:
    recs = [facts.stock[s] for s in facts.wanted if facts.stock and s in facts.stock]
    shown = cap(HISTORIES_SHOWN)  # secondary: may drop to none before names do
    keep = max(1, cap(TRANSACTIONS_SHOWN))
    out = [History(serial_number=r.serial_number, id=r.id, in_stock=r.in_stock,
                   transactions=len(r.transactions),
                   last=[Transaction(resource_type=t.resource_type, resource_id=t.resource_id,
                                     quantity_change=t.quantity_change, date=t.transaction_date)
                         for t in r.transactions[-keep:]])
           for r in recs[:shown]]
    return out, len(recs) - len(out)


def _history_line(h: History) -> str:
    stock = {True: "in stock", False: "not in stock", None: "stock unknown"}[h.in_stock]
    steps = "; ".join(
        f"{t.resource_type} {t.resource_id} {t.quantity_change:+d}" if t.quantity_change is not None
        else f"{t.resource_type} {t.resource_id}" for t in h.last)
    dated = [t.date for t in h.last if t.date]
    when = f" (latest dated {max(dated)[:19]})" if dated else ""
    earlier = f"{h.transactions - len(h.last):,} earlier, then " if h.transactions > len(h.last) else ""
    return (f"History of {h.serial_number} (id {h.id}): {stock}; "
            f"{plural(h.transactions, 'transaction')}: {earlier}{steps or 'none'}{when}.")


def _places(facts: FindFacts, skip: tuple[str, int] | None = None
            ) -> list[tuple[tuple[str, int], list[str]]]:
    by_place: dict[tuple[str, int], list[str]] = {}
    for s, row in facts.now.items():
        if row.resource_type is not None and row.resource_id is not None:
            by_place.setdefault((row.resource_type, row.resource_id), []).append(s)
    by_place.pop(skip, None)  # type: ignore[arg-type]
    return sorted(by_place.items(), key=lambda kv: -len(kv[1]))


def present_duplicates(facts: FindFacts, rtype: str, rid: int) -> tuple[list[Where], list[str]]:
    """A mint's DUPLICATE strings: which are on the target already, which elsewhere (named,
    capped), and which were not located — as read just now. The target comes first."""
    target = (rtype, rid)
    places = _places(facts)
    places.sort(key=lambda kv: kv[0] != target)  # stable: the target first, then by size
    shown = 0 if squeezed_out() else max(1, cap(PLACES_SHOWN // 4))
    where = [Where(resource_type=t, resource_id=i,
                   serials=runs(ss, [facts.now[s].id for s in ss]))  # type: ignore[arg-type]
             for (t, i), ss in places[:shown]]
    lines = []
    for w in where:
        here = (w.resource_type, w.resource_id) == target
        lines += runs_line(f"DUPLICATE, already on {where_text(w)}" if here
                           else f"DUPLICATE, on {where_text(w)} instead", w.serials)
    if len(places) > len(where):
        n = sum(len(ss) for _, ss in places[len(where):])
        lines.append(f"DUPLICATE on {plural(len(places) - len(where), 'more resource')}: "
                     f"{n:,} strings, not shown; find_serial_numbers lists where.")
    lines += _line("DUPLICATE not located", names([s for s in facts.wanted if s not in facts.now]),
                   "Katana has them, but their resources were not all read here; "
                   "find_serial_numbers looks them up")
    return where, lines
