"""Ranges in: `{prefix, first, last, width, suffix}` expands on the server, so an assistant
asks for 1,000 serials in one short call instead of writing every string out.

`SN-0001`…`SN-1000` is `{"prefix": "SN-", "first": 1, "last": 1000, "width": 4}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from katana_sn_mcp.patterns import Matching
from katana_sn_mcp.present.budget import MAX_ITEMS


class SerialRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefix: Annotated[str, Matching(r"^(\S.*)?$")] = Field("", max_length=200,
                                                           description="e.g. 'SN-'")
    first: int = Field(ge=0)
    last: int = Field(ge=0, description="included")
    width: int = Field(0, ge=0, le=30, description="zero-pad to this many digits")
    suffix: Annotated[str, Matching(r"^(.*\S)?$")] = Field("", max_length=200,
                                                           description="after the number")


class BadRange(ValueError):
    """A range that cannot be expanded; the message says why, naming the range."""


def expand(serials: Sequence[str], ranges: Sequence[SerialRange]) -> list[str]:
    """The strings given, then each range's, in order. Checked before anything is sent."""
    out = list(serials)
    for n, r in enumerate(ranges, 1):
        name = f"range {n} ({r.prefix}{r.first}…{r.last}{r.suffix})"
        if r.first > r.last:
            raise BadRange(f"{name}: first ({r.first}) is greater than last ({r.last}).")
        if r.width and len(str(r.last)) > r.width:
            raise BadRange(f"{name}: width {r.width} is too small for {r.last} "
                           f"({len(str(r.last))} digits).")
        if len(out) + (r.last - r.first + 1) > MAX_ITEMS:
            raise BadRange(f"{name}: the call would hold more than {MAX_ITEMS:,} strings; "
                           "split it into several calls.")
        longest = len(r.prefix) + max(r.width, len(str(r.last))) + len(r.suffix)
        if longest > 255:
            raise BadRange(f"{name}: its strings would be {longest} characters; Katana allows 255.")
        if r.prefix != r.prefix.lstrip() or r.suffix != r.suffix.rstrip():
            raise BadRange(f"{name}: its strings would start or end with whitespace.")
        out += [f"{r.prefix}{i:0{r.width}d}{r.suffix}" for i in range(r.first, r.last + 1)]
    return out
