"""A disk that fails once, anywhere: any one call imgur-dl makes of the file system fails (EIO, a full disk, no
permission), and the run keeps its promises. It names what failed in one line and ends as a run with failures
(never as a bug); nothing stands under a final name but the file it names, nothing is left hidden; and the next
run, on a disk that works, brings back whatever this one could not.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Outcome, run_main
from tests.standin import AlbumData, Image, Imgur

# What imgur-dl asks of the file system, through os (SQLite's own file calls are its own, in C).
CALLS = ("open", "write", "close", "replace", "rename", "link", "unlink", "fsync", "mkdir", "ftruncate", "pread",
         "fstat", "stat", "utime", "setxattr", "getxattr", "removexattr", "statvfs", "access", "lseek")
ERRORS = (errno.EIO, errno.ENOSPC, errno.EACCES)


class _Disk:
    """Counts the calls imgur-dl itself makes of ``os``'s file functions (other callers, the stand-in among them,
    are left alone), and fails one: the ``nth`` of ``name``, with ``error``."""

    def __init__(self, fail: tuple[str, int] | None = None, error: int = errno.EIO) -> None:
        self.fail, self.error = fail, error
        self.calls: dict[str, int] = {}

    def around(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if sys._getframe(1).f_globals.get("__name__", "").startswith("imgur_dl"):
                nth = self.calls[name] = self.calls.get(name, 0) + 1
                if self.fail == (name, nth):
                    raise OSError(self.error, os.strerror(self.error))
            return real(*args, **kwargs)
        return call


@contextlib.contextmanager
def _disk(disk: _Disk) -> Iterator[_Disk]:
    real = {name: getattr(os, name) for name in CALLS}
    for name, function in real.items():
        setattr(os, name, disk.around(name, function))
    try:
        yield disk
    finally:
        for name, function in real.items():
            setattr(os, name, function)


def _served(imgur: Imgur) -> tuple[AlbumData, Image]:
    """An album of three files and a lone image, the same for every example."""
    if "AbC1234" not in imgur.albums:
        imgur.add_album("AbC1234", count=3, size=30_000)
        imgur.add_image("SiNg123", size=20_000)
    return imgur.albums["AbC1234"], imgur.images["SiNg123"]


def _problems(out: Path, expected: dict[str, bytes], result: Outcome, *, unlink_failed: bool = False) -> list[str]:
    """What the run broke of its promises (``unlink_failed``: an unlink was made to fail, and what it was to remove
    may be there still: an album's journal, true of each file it names)."""
    said = result.err
    found = []
    # (2: a folder or an archive that cannot be used, said before any work)
    if "unexpected" in said or "Traceback" in said or result.code not in (0, 1, 2):
        found.append(f"exit {result.code}: {said}")
    for path in sorted(p for p in out.rglob("*") if p.is_file()) if out.exists() else []:
        name = str(path.relative_to(out))
        if path.name.startswith(".imgur-dl-journal-"):  # (kept only where its album.json was not written)
            album_id = path.name.removeprefix(".imgur-dl-journal-").removesuffix(".jsonl")
            if f"imgur-dl: error: {album_id}: cannot write " not in said and not unlink_failed:
                found.append(f"left hidden: {name}")
            for line in path.read_bytes().split():  # (each line whole, and true of the file it names)
                item = json.loads(line)
                named = str((path.parent / item["file"]).relative_to(out))
                if item["sha256"] != hashlib.sha256(expected[named]).hexdigest():
                    found.append(f"a journal's word untrue of {named}")
        elif path.name.startswith(".imgur-dl-"):
            if not path.name.endswith(".probe"):  # (a probe stays only where removing it failed)
                found.append(f"left hidden: {name}")
        elif name.endswith(".json"):
            json.loads(path.read_text())  # (whole, or not there)
        elif not name.endswith(".part") and path.read_bytes() != expected.get(name):
            found.append(f"not the file named: {name}")
    if result.code == 0 and any(not (out / name).is_file() for name in expected):
        found.append(f"exit 0 without every file: {said}")
    return found


def _names(album: AlbumData, single: Image, *, by_id: bool) -> dict[str, bytes]:
    """Each file's path in the output folder, and its bytes: named by id (the defaults), or by position alone
    (``--name '{num}.{ext}'``, names another post's file may have: the file is moved aside, then named)."""
    named = {f"AbC1234/00{n}-{i.id}.jpg" if by_id else f"AbC1234/{n}.jpg": i.data
             for n, i in enumerate(album.images, 1)}
    return {**named, "SiNg123.jpg" if by_id else "1.jpg": single.data}


def _held(album: AlbumData, *, by_id: bool) -> str:
    """The part file an earlier run left of the album's first file (at a name not made from ids, named by its id as
    well: only ever its own)."""
    first = album.images[0].id
    return f"AbC1234/001-{first}.jpg.part" if by_id else f"AbC1234/1 ({first}).jpg.part"


def _run(tmp: Path, expected: dict[str, bytes], *, held: str | None, by_id: bool) -> Outcome:
    out = tmp / "out"
    if held is not None:  # (an earlier run's part file, and a file it saved)
        (_, data), (second, saved) = list(expected.items())[:2]
        (out / "AbC1234").mkdir(parents=True)
        (out / held).write_bytes(data[:9_000])
        (out / second).write_bytes(saved)
    named = () if by_id else ("--name", "{num}.{ext}")
    return run_main("--write-metadata", "--xattrs", "--download-archive", str(tmp / "seen.sqlite"), *named, "-o",
                    str(out), "imgur.com/a/AbC1234", "https://i.imgur.com/SiNg123.jpg")


_CALLS_MADE: dict[tuple[str | None, bool], list[tuple[str, int]]] = {}


def _calls_made(tmp_path: Path, expected: dict[str, bytes], *, held: str | None,
                by_id: bool) -> list[tuple[str, int]]:
    """Each call a run makes on a disk that works, as (name, nth): the ones to fail."""
    if (held, by_id) not in _CALLS_MADE:
        with tempfile.TemporaryDirectory(dir=tmp_path) as tmp, _disk(_Disk()) as disk:
            assert _run(Path(tmp), expected, held=held, by_id=by_id).code == 0
        _CALLS_MADE[held, by_id] = [(name, nth) for name, count in sorted(disk.calls.items())
                                    for nth in range(1, count + 1)]
    return _CALLS_MADE[held, by_id]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resumed=st.booleans(), by_id=st.booleans(), error=st.sampled_from(ERRORS), data=st.data())
def test_any_one_failing_call_of_the_file_system_keeps_every_promise(
        imgur: Imgur, tmp_path: Path, resumed: bool, by_id: bool, error: int, data: st.DataObject) -> None:
    album, single = _served(imgur)
    expected, held = _names(album, single, by_id=by_id), _held(album, by_id=by_id) if resumed else None
    fail = data.draw(st.sampled_from(_calls_made(tmp_path, expected, held=held, by_id=by_id)), label="fail")
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        out = Path(tmp) / "out"
        with _disk(_Disk(fail, error)):
            result = _run(Path(tmp), expected, held=held, by_id=by_id)
        assert _problems(out, expected, result, unlink_failed=fail[0] == "unlink") == []
        again = _run(Path(tmp), expected, held=None, by_id=by_id)  # (on a disk that works)
        assert again.code == 0, again
        assert _problems(out, expected, again) == []
        assert not list(out.rglob("*.part"))
