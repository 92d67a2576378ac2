"""The CDN throttle, driven without threads or sleeps: a fake clock and explicit answers."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from imgur_dl.cancel import Cancel
from imgur_dl.errors import Cancelled
from imgur_dl.growth import PROBE_AFTER
from imgur_dl.throttle import CENSUS_WAIT, Census, Throttle, Ticket
from tests.clock import StillClock
from tests.conftest import until


def _fill(throttle: Throttle) -> list[Ticket]:
    tickets = []
    while (ticket := throttle.try_acquire()) is not None:
        tickets.append(ticket)
    return tickets


def _finish(throttle: Throttle, tickets: list[Ticket]) -> None:
    for ticket in tickets:
        throttle.succeeded(ticket)
        throttle.release(ticket)


def _answer_cleanly(throttle: Throttle, tickets: list[Ticket]) -> None:
    """Each of ``tickets`` accepted, then answered in full."""
    for ticket in tickets:
        throttle.accepted(ticket)
    _finish(throttle, tickets)


def _clean_rounds(throttle: Throttle, rounds: int) -> None:
    """``rounds`` times: as many requests as the limit lets in, each accepted and answered in full."""
    for _ in range(rounds):
        _answer_cleanly(throttle, _fill(throttle))


def _one_clean(throttle: Throttle) -> None:
    """One request, accepted and answered in full."""
    ticket = throttle.try_acquire()
    assert ticket is not None
    _answer_cleanly(throttle, [ticket])


def test_a_burst_of_refusals_cuts_the_limit_once_to_what_was_accepted() -> None:
    clock = StillClock()
    throttle = Throttle(32, Cancel(), clock, start=32)
    tickets = _fill(throttle)
    assert len(tickets) == 32
    ok, refused = tickets[:6], tickets[6:]  # a CDN that takes 6 at once
    # The first refusal arrives before any acceptance is known ...
    changes = [throttle.refused(refused[0], 1.0)]
    assert throttle.try_acquire() is None  # ... so nothing is sent until every answer of the burst is in
    for ticket in ok:
        throttle.accepted(ticket)
    changes += [throttle.refused(t, 1.0) for t in refused[1:]]
    for ticket in refused:
        throttle.release(ticket)
    assert changes == [True] + [False] * 25  # one cut, not 26
    # No global pause: the accepted six finish and six new requests go at once.
    _finish(throttle, ok)
    assert len(_fill(throttle)) == 6
    assert throttle.limit == 6


def test_a_request_answered_twice_counts_once_and_a_cut_goes_down_to_one_place_not_below() -> None:
    # (A request is answered when the CDN accepts or refuses it, and again when its place is given back.)
    census = Census()
    census.sent(0)
    census.sent(0)
    first = Ticket(0)
    assert census.answered(first) is False
    assert census.answered(first) is False  # (its second answer is not counted: the other is still out)
    assert census.answered(Ticket(0)) is True  # (the last of its generation)
    for limit, level in [(2, 0), (8, 1)]:  # (halved where nothing was accepted; else to what was)
        census.cut = (0, limit, 0.0)
        assert census.settle(0.0, level) == 1
        assert census.cut is None


def test_a_request_that_never_answers_holds_the_cut_only_so_long() -> None:
    clock = StillClock()
    throttle = Throttle(8, Cancel(), clock, start=8)
    tickets = _fill(throttle)
    throttle.accepted(tickets[0])
    throttle.accepted(tickets[1])
    throttle.refused(tickets[2], 1.0)  # five others stay silent (a stalled connection)
    throttle.release(tickets[2])
    assert throttle.try_acquire() is None
    assert throttle.limit == 8  # not cut yet: the silent five may still be accepted
    clock.at += CENSUS_WAIT
    assert throttle.try_acquire() is None  # cut now, to the two accepted, and seven are still out
    assert throttle.limit == 2
    for ticket in tickets[3:] + tickets[:2]:
        throttle.release(ticket)
    assert throttle.try_acquire() is not None


def test_refusals_before_any_acceptance_halve() -> None:
    throttle = Throttle(32, Cancel(), StillClock(), start=32)
    tickets = _fill(throttle)
    assert throttle.refused(tickets[0], 1.0) is True
    for ticket in tickets:
        throttle.release(ticket)  # (given back with no answer: connection errors)
    assert throttle.limit == 16


def test_growth_after_clean_rounds_and_no_probe_of_a_level_just_refused() -> None:
    clock = StillClock()
    throttle = Throttle(32, Cancel(), clock, start=32)
    first = _fill(throttle)
    for ticket in first[:6]:
        throttle.accepted(ticket)
    throttle.refused(first[6], 1.0)
    for ticket in first:
        throttle.release(ticket)
    assert throttle.limit == 6
    # Two rounds of clean answers (12) earn a seventh place ...
    _clean_rounds(throttle, 2)
    assert throttle.limit == 7
    # ... the seventh is refused: back to 6, and 6 it stays while that refusal is fresh.
    tickets = _fill(throttle)
    for ticket in tickets[:6]:
        throttle.accepted(ticket)
    assert throttle.refused(tickets[6], 1.0) is True
    throttle.release(tickets[6])
    _finish(throttle, tickets[:6])
    assert throttle.limit == 6
    _clean_rounds(throttle, 10)
    assert throttle.limit == 6
    # Later the CDN may have loosened: the throttle probes again.
    clock.at += PROBE_AFTER + 1
    _clean_rounds(throttle, 2)
    assert throttle.limit == 7


def test_answers_to_older_generations_neither_cut_nor_grow() -> None:
    clock = StillClock()
    throttle = Throttle(8, Cancel(), clock, start=8)
    old = _fill(throttle)
    for ticket in old[:4]:
        throttle.accepted(ticket)
    for ticket in old[4:]:
        throttle.refused(ticket, 1.0)
    assert throttle.limit == 4
    for ticket in old[:4]:
        throttle.succeeded(ticket)  # clean answers from before the cut do not count toward growth
        throttle.release(ticket)
    for ticket in old[4:]:
        throttle.release(ticket)
    assert throttle.limit == 4
    clock.at += PROBE_AFTER  # the refused level may be probed again: only the count of clean answers holds it
    _clean_rounds(throttle, 1)  # 4, the places all in use
    for _ in range(3):
        _one_clean(throttle)
    assert throttle.limit == 4  # 7 clean answers of its own generation: not yet 2 x 4 (the 4 before the cut
    _one_clean(throttle)  # count for nothing) ...
    assert throttle.limit == 5  # ... and the 8th grows it by one


def test_refused_at_one_everyone_waits_out_retry_after() -> None:
    clock = StillClock()
    throttle = Throttle(1, Cancel(), clock)
    ticket = throttle.try_acquire()
    assert ticket is not None
    assert throttle.refused(ticket, 2.0) is True
    throttle.release(ticket)
    assert throttle.try_acquire() is None  # paused
    clock.at += 2.0
    assert throttle.try_acquire() is not None


def test_grows_back_to_the_ceiling_when_nothing_is_refused() -> None:
    clock = StillClock()
    throttle = Throttle(8, Cancel(), clock, start=8)
    tickets = _fill(throttle)
    throttle.refused(tickets[0], 0.0)  # nothing accepted yet: halve
    for ticket in tickets:
        throttle.release(ticket)
    assert throttle.limit == 4
    clock.at += PROBE_AFTER + 1
    steps = []
    while throttle.limit < 8:
        tickets = _fill(throttle)
        _finish(throttle, tickets)
        steps.append(throttle.limit)
    assert steps[-1] == 8 and len(steps) <= 10


def test_never_more_than_the_limit_in_flight_across_threads() -> None:
    throttle = Throttle(3, Cancel())
    inside, peak, lock = 0, 0, threading.Lock()
    gate = threading.Barrier(3)

    def work() -> None:
        nonlocal inside, peak
        with throttle.slot():
            with lock:
                inside += 1
                peak = max(peak, inside)
            with contextlib.suppress(threading.BrokenBarrierError):
                gate.wait(timeout=0.5)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 3


# -- the slow start ----------------------------------------------------------------------

def test_a_run_starts_at_six_in_flight_and_grows_fourfold_each_full_round_to_the_ceiling() -> None:
    throttle = Throttle(64, Cancel(), StillClock())
    sizes = []
    for _ in range(4):
        tickets = _fill(throttle)
        sizes.append(len(tickets))
        for ticket in tickets:
            throttle.accepted(ticket)
        _finish(throttle, tickets)
    assert sizes == [6, 24, 64, 64]


@contextlib.contextmanager
def _waiting(throttle: Throttle, cancel: Cancel, count: int) -> Iterator[list[Ticket]]:
    """``count`` workers waiting for a place (each holds the one it gets until the block ends): the places had.

    At the end those still waiting are cancelled (when the test failed before the places came).
    """
    had: list[Ticket] = []
    leave = threading.Event()

    def worker() -> None:
        with contextlib.suppress(Cancelled), throttle.slot() as ticket:
            had.append(ticket)
            leave.wait(10)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    assert until(lambda: throttle.wanting + len(had) == count, every=0.001)
    try:
        yield had
    finally:
        leave.set()
        cancel.trip()
        for thread in threads:
            thread.join()


def test_with_more_waiting_than_places_the_window_grows_as_the_cdn_accepts() -> None:
    """A big album of big files: the window's requests accepted, their bodies still coming: more may start."""
    cancel = Cancel()
    throttle = Throttle(64, cancel, StillClock())
    first = _fill(throttle)
    with _waiting(throttle, cancel, 20) as had:
        for ticket in first[:-1]:
            throttle.accepted(ticket)
        assert throttle.limit == 6  # five of six accepted: not yet
        throttle.accepted(first[-1])
        assert throttle.limit == 24
        assert until(lambda: len(had) == 18, every=0.001)  # eighteen more in flight while the six bodies still come
        assert throttle.wanting == 2
        _finish(throttle, first)


def test_a_small_album_of_big_files_waits_for_the_bodies_before_more_start() -> None:
    """Four files left, six in flight: accepted is not enough; they start as bodies end, as a CDN's limit allows."""
    cancel = Cancel()
    throttle = Throttle(64, cancel, StillClock())
    first = _fill(throttle)
    with _waiting(throttle, cancel, 4) as had:
        for ticket in first:
            throttle.accepted(ticket)
        assert throttle.limit == 6 and throttle.wanting == 4 and not had
        _finish(throttle, first[:1])
        assert until(lambda: len(had) == 1, every=0.001)  # one body ended: one place, at six
        _finish(throttle, first[1:])
        assert throttle.limit == 24  # the whole window came in full: grown, as ever
        assert until(lambda: len(had) == 4, every=0.001)


def test_a_small_album_under_a_cdn_that_takes_six_never_has_more_in_flight() -> None:
    throttle = Throttle(64, Cancel(), StillClock())
    left, in_flight, peak = 10, [], 0
    while left or in_flight:
        while left and (ticket := throttle.try_acquire()) is not None:  # the workers take what they may
            in_flight.append(ticket)
            left -= 1
        peak = max(peak, len(in_flight))
        done = in_flight.pop(0)  # answers come one at a time
        throttle.accepted(done)
        _finish(throttle, [done])
    assert peak == 6


def test_places_never_all_in_use_open_no_more() -> None:
    throttle = Throttle(64, Cancel(), StillClock())
    for _ in range(100):  # files found one at a time: one in flight, each answered in full
        _clean_rounds_of_one(throttle)
    assert throttle.limit == 6


def _clean_rounds_of_one(throttle: Throttle) -> None:
    ticket = throttle.try_acquire()
    assert ticket is not None
    throttle.accepted(ticket)
    _finish(throttle, [ticket])


def test_a_refusal_ends_the_ramp_and_growth_goes_one_at_a_time() -> None:
    clock = StillClock()
    throttle = Throttle(64, Cancel(), clock)
    _clean_rounds(throttle, 1)
    tickets = _fill(throttle)
    assert len(tickets) == 24
    for ticket in tickets[:8]:  # a CDN that takes 8 at once
        throttle.accepted(ticket)
    for ticket in tickets[8:]:
        throttle.refused(ticket, 1.0)
        throttle.release(ticket)
    _finish(throttle, tickets[:8])
    assert throttle.limit == 8
    clock.at += PROBE_AFTER + 1  # (the refused level may be probed again)
    _clean_rounds(throttle, 2)  # sixteen clean answers at 8: one more, not twice as many
    assert throttle.limit == 9


def _timed_round(throttle: Throttle, clock: StillClock, wait: float) -> int:
    """As many requests as the limit lets in, each accepted ``wait`` seconds after its place was taken, then
    answered in full; how many there were."""
    tickets = _fill(throttle)
    clock.at += wait
    for ticket in tickets:
        throttle.accepted(ticket)
    _finish(throttle, tickets)
    return len(tickets)


def test_the_ramp_ends_where_requests_start_to_queue() -> None:
    clock = StillClock()
    throttle = Throttle(64, Cancel(), clock)
    assert _timed_round(throttle, clock, 0.010) == 6
    assert throttle.limit == 24
    assert _timed_round(throttle, clock, 0.020) == 24  # four times the places, twice the wait: a queue, or chance
    assert throttle.limit == 24  # the same places once more, to tell
    assert _timed_round(throttle, clock, 0.020) == 24  # still twice the wait: a queue
    assert throttle.limit == 6  # back to the places before it, and the ramp is over
    for _ in range(4):  # the waits still twice those where there was no queue: no slow growth either
        _timed_round(throttle, clock, 0.020)
    assert throttle.limit == 6
    for _ in range(2):  # back near them: one more place after twice the limit of clean answers
        _timed_round(throttle, clock, 0.011)
    assert throttle.limit == 7


def test_a_queue_met_at_the_ceiling_goes_back_to_the_places_before_it() -> None:
    clock = StillClock()
    throttle = Throttle(64, Cancel(), clock)
    assert _timed_round(throttle, clock, 0.010) == 6
    assert _timed_round(throttle, clock, 0.010) == 24
    assert throttle.limit == 64  # straight to the ceiling: a round there is checked as any other
    assert _timed_round(throttle, clock, 0.020) == 64
    assert throttle.limit == 64
    assert _timed_round(throttle, clock, 0.020) == 64  # twice the wait, twice running: a queue
    assert throttle.limit == 24


def test_a_queue_at_the_ceiling_is_found_with_its_places_never_all_in_use() -> None:
    clock = StillClock()
    throttle = Throttle(64, Cancel(), clock)
    _timed_round(throttle, clock, 0.010)
    _timed_round(throttle, clock, 0.010)
    assert throttle.limit == 64
    for _ in range(2):  # 64 answers each, never more than 16 in flight, each waiting twice as long
        for _ in range(4):
            tickets = [throttle.try_acquire() for _ in range(16)]
            clock.at += 0.020
            for ticket in tickets:
                assert ticket is not None
                throttle.accepted(ticket)
            _finish(throttle, [t for t in tickets if t is not None])
    assert throttle.limit == 24


def test_a_rise_that_does_not_hold_was_chance_and_the_ramp_goes_on() -> None:
    clock = StillClock()
    throttle = Throttle(64, Cancel(), clock)
    _timed_round(throttle, clock, 0.100)
    assert _timed_round(throttle, clock, 0.160) == 24
    assert throttle.limit == 24
    assert _timed_round(throttle, clock, 0.105) == 24
    assert throttle.limit == 64


def test_a_cdn_with_quick_and_slow_files_is_no_queue_and_is_ramped_to_the_ceiling() -> None:
    clock = StillClock()
    throttle = Throttle(64, Cancel(), clock)
    for places in (6, 24):
        tickets = _fill(throttle)
        assert len(tickets) == places
        clock.at += 0.020  # half the files come from the CDN's cache ...
        for ticket in tickets[::2]:
            throttle.accepted(ticket)
        clock.at += 0.280  # ... the others from further away
        for ticket in tickets[1::2]:
            throttle.accepted(ticket)
        _finish(throttle, tickets)
    assert throttle.limit == 64


def test_a_far_cdn_whose_answers_take_as_long_with_more_in_flight_is_ramped_to_the_ceiling() -> None:
    clock = StillClock()
    throttle = Throttle(64, Cancel(), clock)
    for places in (6, 24):
        assert _timed_round(throttle, clock, 0.150 + places / 10_000) == places  # (a little longer each round)
    assert throttle.limit == 64


def test_after_the_ramp_places_never_all_in_use_earn_no_more() -> None:
    throttle = Throttle(32, Cancel(), StillClock(), start=8)
    first = _fill(throttle)
    throttle.refused(first[0], 0.0)  # the ramp ends; nothing accepted yet: 4 places
    for ticket in first:
        throttle.release(ticket)
    assert throttle.limit == 4
    for _ in range(20):  # many clean answers, three in flight at the most
        tickets = [t for _ in range(3) if (t := throttle.try_acquire()) is not None]
        for ticket in tickets:
            throttle.accepted(ticket)
        _finish(throttle, tickets)
    assert throttle.limit == 4
    _clean_rounds(throttle, 2)  # the four places used: a fifth is earned
    assert throttle.limit == 5
