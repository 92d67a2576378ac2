"""The download threads: one started only when every thread is busy, and every job's outcome given back."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from imgur_dl import workers
from imgur_dl.workers import Workers


def test_a_job_handed_in_as_another_ends_runs_in_that_one_s_thread() -> None:
    # As a run does: a file ended, its place is free, and the next is handed in from the very callback that gives
    # out the one that ended (here in the thread that ran it, the closest the two can be). Python's
    # ThreadPoolExecutor counts that thread idle only after the callback, and starts one more each time: 64 here.
    pool = Workers(64, "test")
    chained = threading.Event()
    ran_in: set[str] = set()

    def job() -> None:
        ran_in.add(threading.current_thread().name)

    def next_one(left: int) -> None:
        if not left:
            chained.set()
            return
        pool.submit(job).add_done_callback(lambda _: next_one(left - 1))

    next_one(200)
    assert chained.wait(30)
    assert pool.threads == 1 and ran_in == {"test_1"}
    pool.shutdown()
    assert pool.threads == 0


def test_threads_are_started_as_jobs_wait_and_never_past_the_most() -> None:
    pool = Workers(3, "test")
    release = threading.Event()
    running = threading.Semaphore(0)

    def held(n: int) -> int:
        running.release()
        assert release.wait(30)
        return n

    futures = [pool.submit(held, n) for n in range(5)]
    for _ in range(3):
        assert running.acquire(timeout=30)
    assert pool.threads == 3  # (five waiting: three started, the most)
    release.set()
    assert [f.result(timeout=30) for f in futures] == list(range(5))
    pool.shutdown()
    assert pool.threads == 0


def test_an_error_in_a_job_is_its_future_s_and_the_thread_goes_on() -> None:
    pool = Workers(1, "test")

    def fails() -> None:
        raise OSError("no room")

    failed = pool.submit(fails)
    assert isinstance(failed.exception(timeout=30), OSError)
    assert pool.submit(lambda: 7).result(timeout=30) == 7
    pool.shutdown()


def test_shutting_down_cancels_what_waits_and_lets_what_runs_end() -> None:
    pool = Workers(1, "test")
    started, release = threading.Event(), threading.Event()

    def running() -> str:
        started.set()
        assert release.wait(30)
        return "ended"

    first = pool.submit(running)
    assert started.wait(30)
    waiting: list[Future[int]] = [pool.submit(lambda: 1) for _ in range(3)]
    pool.shutdown(wait=False, cancel_futures=True)
    assert all(f.cancelled() for f in waiting)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(lambda: 2)
    release.set()
    pool.shutdown(wait=True)  # (again, to wait: as a run does once a signal ended it)
    assert first.result(timeout=0) == "ended" and pool.threads == 0


def test_idle_threads_end_as_the_pool_is_shut_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "IDLE_LOOK", 60.0)  # (no look of their own meanwhile: woken by the shutdown)
    pool = Workers(2, "test")
    assert pool.submit(lambda: 1).result(timeout=30) == 1
    ended = threading.Event()
    threading.Thread(target=lambda: (pool.shutdown(wait=True), ended.set()), daemon=True).start()
    assert ended.wait(20) and pool.threads == 0


@pytest.mark.long
def test_a_program_that_lets_go_of_a_pool_still_ends() -> None:
    # A Python program that leaves a run half done (a generator it lets go of at its end) is not held at its exit
    # by threads waiting for work, as it is not with the standard library's pool.
    program = ("from imgur_dl.workers import Workers\n"
               "pool = Workers(4, 'left')\n"
               "print(pool.submit(sum, [1, 2]).result(), flush=True)\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=30,
                          cwd=Path(__file__).parent.parent, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "3\n", "")
