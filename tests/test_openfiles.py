"""Room for open files: the soft limit raised as far as a run's downloads need, or fewer downloads at once, said."""

from __future__ import annotations

import os
import re
import resource
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from imgur_dl.folders import IDLE, Folders
from imgur_dl.openfiles import Limits, needed, room
from tests.conftest import command, files_under, open_below
from tests.standin import Imgur

UNLIMITED = -1


class _Process:
    """Limits as a process has them: ``cap`` is the bound the system keeps below the hard limit (macOS's
    kern.maxfilesperproc), past which raising the soft limit fails."""

    def __init__(self, soft: int, hard: int, cap: int | None = None) -> None:
        self.soft, self.hard, self.cap = soft, hard, cap
        self.written: list[tuple[int, int]] = []
        self.said: list[str] = []

    def limits(self) -> Limits:
        def write(soft: int, hard: int) -> None:
            self.written.append((soft, hard))
            if self.cap is not None and soft > self.cap:
                raise ValueError("not allowed to raise maximum limit")
            self.soft, self.hard = soft, hard

        return Limits(lambda: (self.soft, self.hard), write, UNLIMITED)

    def room(self, downloads: int) -> int:
        return room(downloads, self.limits(), self.said.append)


@pytest.mark.parametrize("soft", [needed(64), 100_000, UNLIMITED])
def test_a_limit_with_room_enough_is_left_as_it_is(soft: int) -> None:
    process = _Process(soft, UNLIMITED)
    assert process.room(64) == 64
    assert (process.written, process.said) == ([], [])


@pytest.mark.parametrize("hard", [4096, needed(128), UNLIMITED])
def test_a_soft_limit_too_low_is_raised_as_far_as_the_downloads_need(hard: int) -> None:
    process = _Process(256, hard)  # (macOS's default)
    assert process.room(128) == 128
    assert process.written == [(needed(128), hard)] and process.soft == needed(128) == 448
    assert process.said == []


@pytest.mark.parametrize(("process", "allowed"), [
    (_Process(150, 150), 28),  # (the hard limit is as low)
    (_Process(150, 200), 45),  # (raised to the hard limit: not far enough)
    (_Process(150, UNLIMITED, cap=100), 28),  # (the system refuses to raise it: as it was)
    (_Process(20, 20), 1),  # (one at a time, whatever little room there is)
])
def test_where_the_limit_cannot_be_raised_enough_fewer_run_at_once_and_that_is_said(process: _Process,
                                                                                  allowed: int) -> None:
    assert process.room(128) == allowed
    assert needed(allowed) <= max(process.soft, needed(1))
    assert process.said == [f"imgur-dl: warning: 128 downloads at once would hold about 448 files open, and this "
                            f"process may open {process.soft} (ulimit -n): {allowed} at once instead"]


def test_files_the_process_holds_open_already_are_counted() -> None:
    # A program that calls a run holding 900 files open of its 1,024 (a server's sockets): room for 20 at once.
    process = _Process(1024, 1024)
    limits = replace(process.limits(), open_now=lambda: 900)
    said: list[str] = []
    assert room(128, limits, said.append) == 20
    assert said == ["imgur-dl: warning: 128 downloads at once would hold about 1348 files open (900 of them open "
                    "already), and this process may open 1024 (ulimit -n): 20 at once instead"]


def test_no_limit_to_read_is_no_limit() -> None:
    assert room(128, None, pytest.fail) == 128


def _limited(files: int, *args: str) -> subprocess.CompletedProcess[str]:
    """imgur-dl run with ``args`` in a process that may open ``files`` files, its hard limit as low."""
    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          check=False, preexec_fn=low_limit)


@pytest.mark.long  # (a second of a slow stand-in, mostly waited out)
def test_a_process_with_little_room_for_open_files_saves_every_file(imgur: Imgur, tmp_path: Path) -> None:
    # Each connection slow enough that downloads pile up: 128 at once would need some 390 files open, past a
    # limit of 120, and each file opened past it would fail ("Too many open files").
    album = imgur.add_album("AbC1234", count=100, size=20_000)
    imgur.shaping.conn_rate = 200_000

    done = _limited(120, "-j", "128", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert done.returncode == 0, done.stderr
    assert "Too many open files" not in done.stderr
    # (what the process holds open as it starts, a few, counted too: 17 or 18 at once)
    said = re.search(r"imgur-dl: warning: 128 downloads at once would hold about (\d+) files open, and this process "
                     r"may open 120 \(ulimit -n\): (\d+) at once instead\n", done.stderr)
    assert said and 448 < int(said[1]) < 448 + 16 and 16 <= int(said[2]) <= 18, done.stderr
    assert files_under(tmp_path / "AbC1234") == {f"{n:03d}-{image.id}.jpg": image.data
                                                 for n, image in enumerate(album.images, 1)}


def test_folders_used_one_after_another_are_not_all_kept_open(tmp_path: Path) -> None:
    tree = Folders(tmp_path)
    for n in range(IDLE * 4):  # (a template's folder a file: a date, an id)
        with tree.using(tmp_path / "album" / f"{n:03d}") as fd:
            os.close(os.open("x.jpg", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    assert open_below(tmp_path / "album") == IDLE
    assert len(list((tmp_path / "album").glob("*/x.jpg"))) == IDLE * 4
    tree.close()
    assert open_below(tmp_path) == 0


def test_a_folder_in_use_stays_open_however_many_others_are_used_meanwhile(tmp_path: Path) -> None:
    tree = Folders(tmp_path)
    with tree.using(tmp_path / "held"):  # (used before, and idle since: held again, it is no longer idle)
        pass
    held = tree.hold(tmp_path / "held")
    kept = os.fstat(held)
    for n in range(IDLE * 2):
        with tree.using(tmp_path / f"other{n}"):
            pass
    assert (os.fstat(held).st_ino, os.fstat(held).st_dev) == (kept.st_ino, kept.st_dev)  # (not closed, not reused)
    with tree.using(tmp_path / "held") as again:
        assert again == held  # (one descriptor a folder, shared by its uses)
    tree.release(tmp_path / "held")
    tree.close()


def test_a_file_a_folder_over_a_long_run_fails_no_file(imgur: Imgur, tmp_path: Path) -> None:
    # Each file in a folder of its own (--name '{id}/...'): were every folder kept open for the run, the 101st
    # would find no room under a limit of 100 ("Too many open files").
    album = imgur.add_album("AbC1234", count=150, size=1_000)
    done = _limited(100, "-j", "8", "--name", "{id}/x.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert done.returncode == 0, done.stderr
    assert files_under(tmp_path / "AbC1234") == {f"{image.id}/x.jpg": image.data for image in album.images}


def test_a_folder_removed_while_held_is_made_again_and_let_go_of_once_no_file_is_written_there(tmp_path: Path) -> None:
    # Another process tidied away the empty folder it made (its album failed), or a clean-up script did, while two
    # files of this run were about to be written into it.
    tree = Folders(tmp_path)
    folder = tmp_path / "album"
    first, second = tree.hold(folder), tree.hold(folder)
    assert not tree.renewed(folder, first)  # (still there)
    folder.rmdir()
    assert tree.renewed(folder, first) and tree.renewed(folder, second)  # (the second finds it made again already)
    with tree.using(folder) as fd:
        assert fd != first and os.fstat(fd).st_ino == folder.stat().st_ino
    tree.release(folder)
    assert open_below(tmp_path) == 2  # (the removed one is still another file's, until it lets go)
    tree.release(folder)
    assert open_below(tmp_path) == 1  # (the new one, idle)
    tree.close()
    assert open_below(tmp_path) == 0
