"""The pacer's sliding-window log: never more than `limit` requests in any window, and no
request held back once there is room."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from katana_sn_mcp.katana.window import SlidingWindowLog


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(1, 8), window=st.sampled_from([1.0, 2.5, 60.0]),
       gaps=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=60),
       settle=st.lists(st.floats(0, 2, allow_nan=False), min_size=1, max_size=60))
def test_no_window_ever_holds_more_than_the_limit(limit, window, gaps, settle) -> None:
    """Requests arrive after random gaps, wait as the log says, and are re-stamped when
    their answer comes back; every stamp a window could count is checked."""
    clock = Clock()
    log = SlidingWindowLog(limit, window, clock)
    counted: dict[str, float] = {}  # slot -> latest stamp (what Katana may have counted)
    for n, gap in enumerate(gaps):
        clock.now += gap
        wait = log.wait_s()
        assert wait >= 0
        clock.now += wait
        assert log.wait_s() == 0  # after the wait it asked for, the request fits
        log.take(f"s{n}")
        counted[f"s{n}"] = clock.now
        answer = settle[n % len(settle)] if n % 3 == 0 else 0.0  # some answers come late
        if answer:
            clock.now += answer
            log.restamp(f"s{n}")
            counted[f"s{n}"] = clock.now
    stamps = sorted(counted.values())
    for i, start in enumerate(stamps):  # windows beginning at each stamp hold the most
        inside = [s for s in stamps[i:] if s < start + window]
        assert len(inside) <= limit


def test_a_full_window_waits_exactly_until_its_oldest_stamp_ages_out() -> None:
    clock = Clock()
    log = SlidingWindowLog(2, 60.0, clock)
    log.take("a")
    clock.now += 10
    log.take("b")
    assert log.wait_s() == pytest.approx(50.0)
    clock.now += 50
    assert log.wait_s() == 0
    assert log.used() == 1  # "a" aged out; "b" still counts


def test_an_answer_back_late_moves_its_place_later_never_earlier() -> None:
    clock = Clock()
    log = SlidingWindowLog(1, 60.0, clock)
    log.take("a")
    clock.now += 5
    log.restamp("a")  # Katana may have counted it only now
    clock.now += 58
    assert log.wait_s() == pytest.approx(2.0)  # 60 s after the answer, not after departure
    clock.now -= 60  # a clock stepped back before the stamp: it stays where it was
    log.restamp("a")
    assert log.wait_s() == pytest.approx(62.0)  # still 60 s after the answer at 1005


def test_a_slot_that_aged_out_is_not_brought_back() -> None:
    clock = Clock()
    log = SlidingWindowLog(1, 1.0, clock)
    log.take("a")
    clock.now += 2
    assert log.used() == 0
    log.restamp("a")
    assert log.used() == 0


def test_a_window_that_admits_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLog(0, 60.0, Clock())
