"""Signed list cursors: a `next_cursor` is trusted only if this deployment made it.

A cursor says where the next page starts (Katana page, its size, rows of it already
shown), which listing it belongs to (resource type and id), and what the previous page
saw at the seam: the id of the last row shown, Katana's total when it sent one, and
whether the walk has already seen the listing move. Unsigned, it was trusted as given: an
edited cursor reached Katana with page 0, -1 or 10^18 and a limit of 10^6, and a forged one
made a 601-row resource end "That is all of them." after 250 rows. So each cursor carries
an HMAC-SHA256 tag, and everything in it is bounded again when it comes back; anything
else is refused in one sentence before any request is made.

The key is per deployment. Replicas that share `KATANA_SN_MCP_STATE_KEY` (the secret that
already seals the confirmation round trip) derive the same key from it, so a cursor made by
one is accepted by another; without it the key is random per process, and a cursor from
another replica or from before a restart is refused (the refusal says to start again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from katana_sn_mcp.present.budget import LIST_MAX
from katana_sn_mcp.present.words import CURSOR_NOT_OURS as NOT_OURS
from katana_sn_mcp.present.words import CURSOR_OTHER_LISTING as OTHER_LISTING

VERSION = 1
MAX_ROWS = 100_000  # how deep a cursor walk may go, as deep as list_all reads
_MAX_ID = 2147483647
_TAG_BYTES = 16  # 128 bits of HMAC-SHA256: unforgeable, and the cursor stays short
_DOMAIN = b"katana-sn-mcp list cursor"
_key = hmac.new(secrets.token_bytes(32), _DOMAIN, hashlib.sha256).digest()


def last_page(limit: int) -> int:
    """The deepest page of `limit` rows a cursor may point to."""
    return -(-MAX_ROWS // limit)


def use_key(secret: str) -> None:
    """Sign with a key derived from the deployment's shared secret (see the module doc)."""
    global _key
    _key = hmac.new(secret.encode(), _DOMAIN, hashlib.sha256).digest()


class BadCursor(ValueError):
    """A cursor this deployment did not make, or one from another listing."""


@dataclass(frozen=True)
class Place:
    """Where a cursor resumes. `after_id`: the id of the last row shown before it, found
    at offset `(page - 1) * limit + skip - 1` when nothing moved. `total`: Katana's total
    as the previous page saw it (None when Katana sent none). `moved`: a page before this
    one already saw the listing move, so the walk cannot end by claiming it saw all."""

    page: int
    limit: int
    skip: int
    rtype: str | None
    rid: int | None
    after_id: int | None = None
    total: int | None = None
    moved: bool = False

    def __iter__(self) -> Any:  # `page, limit, skip = read_cursor(...)` keeps working
        return iter((self.page, self.limit, self.skip))

    @property
    def seam(self) -> int:
        """The offset of the last row shown before this place (-1: none)."""
        return (self.page - 1) * self.limit + self.skip - 1


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(body: bytes) -> bytes:
    return hmac.new(_key, body, hashlib.sha256).digest()[:_TAG_BYTES]


def make(place: Place) -> str:
    body = json.dumps([VERSION, place.rtype, place.rid, place.page, place.limit, place.skip,
                       place.after_id, place.total, int(place.moved)],
                      separators=(",", ":")).encode()
    return f"{_b64(body)}.{_b64(_tag(body))}"




def read(cursor: str, rtype: str | None, rid: int | None) -> Place:
    """The place a cursor resumes at, after its tag and bounds are checked and it is found
    to belong to this listing; BadCursor (one sentence) otherwise."""
    try:
        body_text, tag_text = cursor.split(".")
        body, tag = _unb64(body_text), _unb64(tag_text)
    except (ValueError, binascii.Error):
        raise BadCursor(NOT_OURS) from None
    if not hmac.compare_digest(tag, _tag(body)):
        raise BadCursor(NOT_OURS)
    place = _bounded(body)
    if place is None:  # signed by us, yet out of bounds: never sent to Katana
        raise BadCursor(NOT_OURS)
    if (place.rtype, place.rid) != (rtype, rid):
        raise BadCursor(OTHER_LISTING)
    return place


def _int(value: Any, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _bounded(body: bytes) -> Place | None:
    try:
        version, rtype, rid, page, limit, skip, after_id, total, moved = json.loads(body)
    except (ValueError, TypeError):
        return None
    ok = (version == VERSION and (rtype is None or isinstance(rtype, str))
          and (rid is None or _int(rid, 1, _MAX_ID)) and _int(limit, 1, LIST_MAX)
          and _int(page, 1, last_page(limit)) and _int(skip, 0, limit - 1)
          and (after_id is None or _int(after_id, 1, _MAX_ID)) and (total is None or _int(total, 0, 10**9))
          and moved in (0, 1) and (page, skip) != (1, 0))
    if not ok:
        return None
    return Place(page, limit, skip, rtype, rid, after_id, total, bool(moved))
