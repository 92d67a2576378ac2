"""The C heap's free pages go back to the system as a long run goes."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from imgur_dl import build
from imgur_dl.heap import TRIM_EVERY, Trim, c_heap_release
from tests.clock import FastClock, StillClock
from tests.conftest import run_main
from tests.standin import Imgur


def test_the_heap_is_trimmed_at_most_once_a_period() -> None:
    clock, trims = StillClock(500.0), []
    trim = Trim(lambda: trims.append(clock.at), clock)
    for at in (0.0, 0.1, TRIM_EVERY - 0.01, TRIM_EVERY, TRIM_EVERY + 0.2, 2 * TRIM_EVERY, 2 * TRIM_EVERY + 0.1,
               10.0, 10.1):
        clock.at = 500.0 + at
        trim.file_booked()
    # the first file starts the period; a trim once a whole period has passed since the last (or the start)
    assert trims == [500.0 + TRIM_EVERY, 500.0 + 2 * TRIM_EVERY, 510.0]


def test_a_short_run_makes_no_trim_and_a_c_library_without_it_none_at_all() -> None:
    clock, trims = StillClock(500.0), []
    trim = Trim(lambda: trims.append(clock.at), clock)
    for _ in range(1000):
        trim.file_booked()  # no time passes
    assert trims == []
    without = Trim(None, clock)
    for _ in range(3):
        clock.at += 10
        without.file_booked()  # periods pass, with nothing to call: nothing happens


def _resident_kib() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_gives_freed_pages_back() -> None:
    release = c_heap_release()
    assert release is not None
    # 64 MB in blocks malloc serves from the heap (past pymalloc's 512 bytes, under mmap's threshold),
    # then most of them freed: whole free pages in the middle of the heap, which glibc keeps.
    blocks = [bytearray(4000) for _ in range(16_000)]
    blocks = blocks[::8]  # seven blocks of eight freed: runs of 28 kB, six whole pages each
    before = _resident_kib()
    release()
    assert before - _resident_kib() > 20_000


def test_a_long_run_trims_the_heap_as_it_goes(imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    monkeypatch.setattr(build, "c_heap_release", lambda: lambda: trims.append(1))
    imgur.add_album("AbC1234", count=12, size=2000)
    # --limit-rate makes the run take seconds of its clock, a file's worth each; a fiftieth of each
    # really passes, so that the files are booked one by one as they come, not several at one time.
    result = run_main("--limit-rate", "2K", "-j", "1", "-o", str(tmp_path), "imgur.com/a/AbC1234",
                      clock=FastClock(scale=0.02))
    assert result.code == 0, result
    assert len(trims) >= 3
