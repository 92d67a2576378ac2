"""Retry-After parsing, backoff, and the throttle that narrows and widens the pool."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from email.utils import formatdate

import pytest
import requests

from imgur_dl import __version__
from imgur_dl.session import Cancel, RetryPolicy, Throttle, retry_after


def _answer(value: str | None) -> requests.Response:
    response = requests.Response()
    if value is not None:
        response.headers["Retry-After"] = value
    return response


@pytest.mark.parametrize(("value", "seconds"), [("7", 7.0), ("0", 0.0), (None, None), ("soon", None), ("", None)])
def test_retry_after_in_seconds(value: str | None, seconds: float | None) -> None:
    assert retry_after(_answer(value)) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0
    assert retry_after(_answer(formatdate(now + 30, usegmt=True)), now=now) == pytest.approx(30, abs=1)
    assert retry_after(_answer(formatdate(now - 30, usegmt=True)), now=now) == 0.0


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0, max_wait=60.0)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        waits = {policy.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered
    assert policy.server_wait(3600, 1) == 60.0  # a Retry-After beyond the cap is capped
    assert policy.server_wait(2, 1) == 2


def test_throttle_halves_once_per_pause_then_ramps_back_to_the_ceiling() -> None:
    throttle = Throttle(8, Cancel())
    held = [throttle.slot() for _ in range(8)]
    for slot in held:
        slot.__enter__()
    assert throttle.refused(0.0) is True  # 8 in flight: the limit halves
    assert throttle.limit == 4
    assert throttle.refused(0.0) is True  # the pause (0 s) is over: a new one halves again
    assert throttle.limit == 2
    for slot in held:
        slot.__exit__(None, None, None)
    steps = []
    while throttle.limit < 8:
        throttle.succeeded()
        steps.append(throttle.limit)
    assert steps[-1] == 8
    assert len(steps) == sum(2 * n for n in range(2, 8))  # one more slot per two rounds of clean answers


def test_throttle_never_lets_more_than_the_limit_in() -> None:
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


def test_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "imgur_dl", "--version"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0
    assert done.stdout.strip() == f"imgur-dl {__version__}"
