"""The pacing of requests to a service with a limit a minute (the Wayback Machine's index), on a clock that only moves
when it is waited on."""

from __future__ import annotations

import pytest

from imgur_dl.cancel import Cancel
from imgur_dl.errors import Cancelled
from imgur_dl.pacing import MOST_PAUSE, SILENCE, Pacing
from tests.clock import StillClock


def _paced(per_minute: float = 24) -> tuple[Pacing, StillClock, Cancel]:
    clock = StillClock()
    cancel = Cancel(clock)
    return Pacing(per_minute, cancel, clock.now), clock, cancel


def test_the_first_request_starts_at_once_and_the_others_a_gap_apart() -> None:
    pacing, clock, _ = _paced(24)
    for _ in range(4):
        pacing.take()
    assert clock.waits == [2.5, 2.5, 2.5]


def test_time_that_passed_anyway_counts_toward_the_gap() -> None:
    pacing, clock, _ = _paced(24)
    pacing.take()
    clock.at += 2.0  # (the answer took two seconds)
    pacing.take()
    clock.at += 3.0
    pacing.take()
    assert clock.waits == [pytest.approx(0.5)]


@pytest.mark.parametrize(("asked", "pause"), [(None, SILENCE), (7.0, 7.0), (0.0, 0.0), (86_400.0, MOST_PAUSE)])
def test_a_refusal_stops_the_next_request_for_what_it_asked_or_a_minute(asked: float | None, pause: float) -> None:
    pacing, clock, _ = _paced(24)
    pacing.take()
    assert pacing.refused(asked) == pause
    pacing.take()
    assert clock.waits == [max(pause, 2.5)]


def test_a_shorter_refusal_does_not_cut_a_longer_pause_short() -> None:
    pacing, clock, _ = _paced(24)
    pacing.refused(None)
    pacing.refused(5.0)  # (another thread's request, refused meanwhile, with a Retry-After)
    pacing.take()
    assert clock.waits == [SILENCE]


def test_a_refusal_while_a_request_waits_for_its_turn_holds_it_too() -> None:
    # The waiting thread looks again when its turn comes: a refusal meanwhile (another thread's) holds it too.
    pacing, clock, _ = _paced(24)
    pacing.take()
    clock.meanwhile.append(lambda: pacing.refused(None))
    pacing.take()
    assert clock.waits == [2.5, SILENCE]


def test_a_cancelled_run_waits_no_more() -> None:
    pacing, _, cancel = _paced(24)
    pacing.refused(None)
    cancel.trip()
    with pytest.raises(Cancelled):
        pacing.take()
