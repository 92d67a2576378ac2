"""Room for threads: where the system lets too few be started, fewer downloads at once, said, and the run ends well."""

from __future__ import annotations

import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from imgur_dl import threads
from imgur_dl.threads import OWN, Bound, room, startable
from tests.conftest import files_under, needs_pids_limit, pids_limited, run_main
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


@pytest.mark.parametrize(("jobs", "bound", "allowed"), [
    (1, Bound(30, "ulimit -u"), 1), (8, None, 8), (8, Bound(10 * (64 + OWN), "ulimit -u"), 8),
    (8, Bound(140, "a container's limit"), 8), (8, Bound(110, "a container's limit"), 6),
    (8, Bound(30, "a container's limit"), 1)])
def test_a_scan_s_readers_leave_the_downloads_their_threads(jobs: int, bound: Bound | None, allowed: int) -> None:
    # Each reader takes two of what a pids limit counts (its process, its thread): where the downloads' 96 threads
    # and the readers do not fit, fewer read at once; one, in the run's own process.
    fits, said = threads.readers(jobs, 64, bound=bound)
    assert fits == allowed
    how = "one after another, in this process" if allowed == 1 else f"{allowed} at once"
    assert said == (None if allowed == jobs else f"--scan-jobs {jobs}: this process may start {bound.threads} threads "
                    f"({bound.by}), which the downloads need: files read {how}")  # type: ignore[union-attr]


_POOL = """
import threading
from imgur_dl.workers import NoThread, Workers
release = threading.Event()
pool = Workers(8, "imgur-dl")
try:
    futures = [pool.submit(release.wait, 10) for _ in range(8)]
except NoThread as exc:
    print("none:", exc)
else:
    release.set()
    print(sum(future.result() for future in futures), "done by", pool.most)
"""


@needs_pids_limit
@pytest.mark.parametrize(("limit", "said"), [(1, "none: the system lets this run start no more threads (a pids limit,"
                                                  " or ulimit -u)"), (4, "8 done by 3")])
def test_a_pool_that_may_start_no_more_threads_keeps_to_those_it_has(limit: int, said: str) -> None:
    # Eight jobs, each waiting until the last is handed in, where the process may have 4 threads: 3 of the pool's
    # start, and take the other jobs in turn. Where none may start, one error that says so, not "can't start new
    # thread" from deep inside a run.
    with pids_limited(limit) as within:
        run = subprocess.run([*within, sys.executable, "-c", _POOL], capture_output=True, text=True, timeout=60,
                             check=False)
    assert (run.returncode, run.stdout.strip(), run.stderr) == (0, said, "")


@needs_pids_limit
@pytest.mark.parametrize("limit", [12, 40])
def test_a_scan_that_downloads_where_few_processes_may_start_saves_every_file(imgur: Imgur, tmp_path: Path,
                                                                              limit: int) -> None:
    # A folder of exports scanned and fetched in a container with a low pids limit: its readers took what the
    # run's threads needed, and the run ended with "unexpected RuntimeError: can't start new thread".
    album = imgur.add_album("AbC1234", count=12, size=1_000)
    single = imgur.add_image("SiNg123", size=700)
    (tmp_path / "export").mkdir()
    for n in range(6):
        (tmp_path / "export" / f"{n}.txt").write_text("see https://imgur.com/a/AbC1234 and i.imgur.com/SiNg123.jpg")
    with pids_limited(limit) as within:
        run = subprocess.run([*within, sys.executable, "-m", "imgur_dl", "-o", str(tmp_path / "out"), "--scan",
                              str(tmp_path / "export"), "--scan-jobs", "4"], capture_output=True, text=True,
                             timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert f"--scan-jobs 4: this process may start {limit} threads (a container's limit), which the downloads " \
           "need: files read one after another, in this process" in run.stderr
    assert "unexpected" not in run.stderr
    assert files_under(tmp_path / "out") == {**{f"AbC1234/{n:03d}-{image.id}.jpg": image.data
                                                for n, image in enumerate(album.images, 1)},
                                             "SiNg123.jpg": single.data}


@needs_pids_limit
@pytest.mark.parametrize("given", [["-i", "LIST"], ["--download-archive", "ARCHIVE", "imgur.com/a/AbC1234"]])
def test_a_run_that_may_start_no_thread_at_all_says_so_in_one_line(imgur: Imgur, tmp_path: Path,
                                                                    given: list[str]) -> None:
    # The first thread the run needs (the list's reader, the archive's writer, a lookup's) is refused: one line.
    imgur.add_album("AbC1234", count=2)
    (tmp_path / "list.txt").write_text("https://imgur.com/a/AbC1234\n")
    args = [{"LIST": str(tmp_path / "list.txt"), "ARCHIVE": str(tmp_path / "seen.sqlite")}.get(a, a) for a in given]
    with pids_limited(1) as within:
        run = subprocess.run([*within, sys.executable, "-m", "imgur_dl", "-q", "-o", str(tmp_path / "out"), *args],
                             capture_output=True, text=True, timeout=60, check=False)
    assert (run.returncode, run.stderr) == (1, "imgur-dl: error: the system lets this run start no more threads (a "
                                               "pids limit, or ulimit -u)\n")
    assert not (tmp_path / "out").exists() or files_under(tmp_path / "out") == {}


@needs_pids_limit
@pytest.mark.parametrize("limit", [5, 7])
def test_lookups_the_system_lets_start_no_thread_for_end_the_run_in_one_line(imgur: Imgur, tmp_path: Path,
                                                                             limit: int) -> None:
    # A list of albums, looked up several at once: a lookup's thread refused ended the run with "unexpected
    # RuntimeError: can't start new thread".
    albums = [imgur.add_album(f"Al{n}1234", count=1) for n in range(6)]
    (tmp_path / "list.txt").write_text("".join(f"https://imgur.com/a/{album.id}\n" for album in albums))
    with pids_limited(limit) as within:
        run = subprocess.run([*within, sys.executable, "-m", "imgur_dl", "-q", "-o", str(tmp_path / "out"), "-i",
                              str(tmp_path / "list.txt")], capture_output=True, text=True, timeout=60, check=False)
    assert "unexpected" not in run.stderr
    assert (run.returncode, run.stderr) == (1, "imgur-dl: error: the system lets this run start no more threads (a "
                                               "pids limit, or ulimit -u)\n") or run.returncode == 0, run.stderr
