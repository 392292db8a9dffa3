"""One write's outcome from its counts: anything whose fate is unknown makes the whole
outcome unknown, whatever else was applied or refused (the journal and the summary lead
with it, so a model never reports "applied" over an item nobody can vouch for)."""

from __future__ import annotations

import pytest

from katana_sn_mcp.present.common import outcome_of


@pytest.mark.parametrize(("applied", "refused", "open_", "expected"), [
    (0, 0, 0, "not_applied"),
    (3, 0, 0, "applied"),
    (0, 2, 0, "not_applied"),
    (3, 2, 0, "partially_applied"),
    (0, 0, 1, "unknown"),
    (3, 0, 1, "unknown"),  # applied, and one unknown: unknown
    (0, 2, 1, "unknown"),  # refused, and one unknown: unknown
    (3, 2, 1, "unknown"),  # all three: unknown
    (9999, 9999, 1, "unknown"),
])
def test_anything_unknown_makes_the_outcome_unknown(applied: int, refused: int, open_: int,
                                                    expected: str) -> None:
    assert outcome_of(applied, refused, open_) == expected
