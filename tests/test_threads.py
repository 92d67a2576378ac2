"""Room for threads: where the system lets too few be started, fewer downloads at once, said, and the run ends well."""

from __future__ import annotations

import resource
import threading
from pathlib import Path

import pytest

from imgur_dl import threads
from imgur_dl.threads import OWN, Bound, room, startable
from tests.conftest import files_under, run_main
from tests.standin import Imgur


def _never(count: int) -> int:
    pytest.fail("no thread is to be tried where the limit is far off")


@pytest.mark.parametrize("bound", [None, 10 * (64 + OWN), 96_369])  # (96,369: a user's ulimit -u on 12 GB)
def test_a_limit_far_off_costs_nothing(bound: int | None) -> None:
    assert room(64, pytest.fail, bound=None if bound is None else Bound(bound, "ulimit -u"), start=_never) == 64


@pytest.mark.parametrize(("startable_now", "allowed"), [(96, 64), (500, 64), (80, 48), (37, 5), (10, 1)])
def test_where_the_limit_is_near_the_threads_are_tried_and_fewer_run_if_need_be(startable_now: int,
                                                                                 allowed: int) -> None:
    said: list[str] = []
    tried: list[int] = []

    def start(count: int) -> int:
        tried.append(count)
        return min(count, startable_now)

    assert room(64, said.append, bound=Bound(100, "ulimit -u"), start=start) == allowed
    assert tried == [64 + OWN]
    assert said == ([] if allowed == 64 else [
        f"imgur-dl: warning: 64 downloads at once would start about 96 threads, and this process may start "
        f"{startable_now} (ulimit -u): {allowed} at once instead"])


@pytest.mark.parametrize(("processes", "space", "pids", "found"), [
    (None, None, None, None),
    (4096, None, None, Bound(4096, "ulimit -u")),
    (4096, 256 << 20, None, Bound(32, "ulimit -v: each thread's stack takes 8 MiB of it")),  # (as HPC clusters set)
    (4096, 256 << 20, 20, Bound(20, "a container's limit")),
    (None, 8 << 30, 512, Bound(512, "a container's limit"))])
def test_the_limit_that_bounds_the_threads_most_is_the_one_named(
        monkeypatch: pytest.MonkeyPatch, processes: int | None, space: int | None, pids: int | None,
        found: Bound | None) -> None:
    # A user told "ulimit -u" when their shell set "ulimit -v" would look in the wrong place.
    limits = {resource.RLIMIT_NPROC: processes, resource.RLIMIT_AS: space}
    infinite = resource.RLIM_INFINITY
    monkeypatch.setattr(resource, "getrlimit", lambda which: (limits.get(which) or infinite, infinite))
    monkeypatch.setattr(threads, "_pids_max", lambda: pids)
    assert threads.bound() == found


def test_the_threads_tried_are_started_and_all_end() -> None:
    before = threading.active_count()
    assert startable(20) == 20
    assert threading.active_count() == before


@pytest.mark.long  # (a second of a slow stand-in, mostly waited out)
def test_a_run_where_few_threads_can_be_started_saves_every_file(imgur: Imgur, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The system lets this process have 40 threads of imgur-dl's (as `ulimit -u 40` would, for a user whose
    # other processes take none): a run of 64 at once would be stopped when its pool could not grow.
    album = imgur.add_album("AbC1234", count=60, size=1_000)
    imgur.shaping.delay = 0.1  # (each answer a round trip away: downloads overlap, and the pool grows)
    start = threading.Thread.start
    before = set(threading.enumerate())  # (any a test before this one left: not this run's)

    def limited(thread: threading.Thread) -> None:
        ours = [t for t in threading.enumerate() if t.name.startswith("imgur-dl") and t not in before]
        if thread.name.startswith("imgur-dl") and len(ours) >= 40:
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", limited)
    monkeypatch.setattr(threads, "bound", lambda: Bound(40, "ulimit -u"))
    result = run_main("-j", "64", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "can't start new thread" not in result.err
    assert "may start 40 (ulimit -u): 8 at once instead" in result.err
    assert files_under(tmp_path / "AbC1234") == {f"{n:03d}-{image.id}.jpg": image.data
                                                 for n, image in enumerate(album.images, 1)}
