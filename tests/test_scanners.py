"""Several files scanned side by side, each in a process of its own (--scan-jobs)."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from multiprocessing import Pipe
from pathlib import Path
from typing import Any

import pytest

from imgur_dl import scanners
from imgur_dl.cli import Environment, main
from imgur_dl.scan import Scanner, scanned
from tests.conftest import command, needs_pids_limit, pids_limited, run_main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and POSIX signals")


def _links(prefix: str, count: int) -> list[str]:
    return [f"https://imgur.com/a/{prefix}{n:05d}" for n in range(count)]


def _export(folder: Path) -> dict[str, list[str]]:
    """A folder of files, some compressed, one cut short, one unreadable, a symlink: each file's links."""
    (folder / "sub").mkdir(parents=True)
    written = {"a.txt": _links("Aa", 900), "b.json.gz": _links("Bb", 700), "sub/c.txt": _links("Cc", 1200)}
    (folder / "a.txt").write_text("\n".join(f"see {link} now" for link in written["a.txt"]))
    (folder / "b.json.gz").write_bytes(gzip.compress("".join(f'{{"u": "{link}"}}\n'
                                                             for link in written["b.json.gz"]).encode()))
    (folder / "sub" / "c.txt").write_text(" ".join([*written["sub/c.txt"], *_links("Aa", 50)]))  # (50 repeats)
    cut = gzip.compress("".join(f"{link}\n" for link in _links("Dd", 400)).encode())
    (folder / "sub" / "d.gz").write_bytes(cut[:len(cut) // 2])  # (cut short: said, what came before counts)
    (folder / "sub" / "link").symlink_to(folder / "a.txt")  # (not followed: said)
    return written


def test_files_read_side_by_side_give_what_one_after_another_gives_and_say_it_alike(tmp_path: Path) -> None:
    written = _export(tmp_path / "export")
    (tmp_path / "e.txt").write_text(" ".join(_links("Ee", 300)))
    (tmp_path / "f-journal").write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + bytes(600))  # (said, not read)
    (tmp_path / "g" / "h").mkdir(parents=True)
    (tmp_path / "g" / "h" / "link").symlink_to(tmp_path / "e.txt")  # (said once g is read: after f-journal's)
    args = ("--scan", str(tmp_path / "export"), "--scan", str(tmp_path / "missing.txt"), "--scan",
            str(tmp_path / "e.txt"), "--scan", str(tmp_path / "f-journal"), "--scan", str(tmp_path / "g"), "-g")
    alone = run_main(*args, "--scan-jobs", "1")
    side = run_main(*args, "--scan-jobs", "3")
    assert (side.code, alone.code) == (2, 2), side  # (a file named that is not there: a usage error)
    assert side.err == alone.err, side  # what the files met, in the order they were named: read alike
    assert "cannot read on" in side.err and "missing.txt" in side.err  # (what the readers met ...)
    # ... and what this process met, between them: a folder's symlink said once the folder was read, before the
    # files named after it
    assert side.err.index("export: 1 symlink not followed") < side.err.index("journal, not read") \
        < side.err.index("g: 1 symlink not followed")
    out = side.out.splitlines()
    assert sorted(out) == sorted(alone.out.splitlines())
    assert len(out) == len(set(out))  # a link two files name is given once
    for name, links in written.items():  # each file's links in its order
        assert [link for link in out if link in set(links)] == links, name
    assert [link for link in out if "/Ee" in link] == _links("Ee", 300)


def test_readers_start_only_for_several_files_and_end_with_the_scan(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text(" ".join(_links(name.upper() + "x", 100)))
    before = set(_grandchildren(set()))
    one = scanned([str(tmp_path / "a.txt")], Scanner(), io.BytesIO(), processes=4)
    assert next(one).id == "Ax00000"
    assert _grandchildren(before) == []  # (one file: read in this process)
    one.close()
    scanner = Scanner()
    several = scanned([str(tmp_path)], scanner, io.BytesIO(), processes=2)
    found = [next(several)]
    assert 1 <= len(_grandchildren(before)) <= 2  # (readers, while the scan goes on)
    found += several
    assert len(found) == scanner.stats.targets == scanner.stats.links == 300
    assert scanner.stats.read == sum(path.stat().st_size for path in tmp_path.iterdir())
    assert _readers_gone(before)


def test_a_scan_read_side_by_side_says_nothing_more_under_python_s_development_mode(tmp_path: Path) -> None:
    # (Python's development mode, or -W default, as a developer has it: the readers' fork server left a file open as
    # it ended, and Python warned of it on the run's standard error: "sys:1: ResourceWarning: unclosed file".)
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text(" ".join(_links(name.upper() + "x", 10)))
    done = subprocess.run([*command(), "--scan", str(tmp_path), "-g", "--scan-jobs", "2"], capture_output=True,
                          text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONDEVMODE": "1"})
    assert (done.returncode, len(done.stdout.splitlines())) == (0, 30), done.stderr
    size = sum(path.stat().st_size for path in tmp_path.iterdir())
    assert done.stderr == f"imgur-dl: scanned {size:,} B: 30 Imgur links, 30 distinct targets\n"


def _fifo_writer(path: Path, data: bytes, done: threading.Event) -> threading.Thread:
    """A thread that writes ``data`` into the FIFO at ``path`` and holds it open until ``done``."""
    def write() -> None:
        with contextlib.suppress(BrokenPipeError), path.open("wb") as fifo:  # (a reader gone: nothing to write to)
            fifo.write(data)
            fifo.flush()
            done.wait(30)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def _fifos(folder: Path, count: int) -> Iterator[tuple[list[Path], threading.Event]]:
    """FIFOs whose writers send a link each and then hold them open (a file still being read) until released."""
    done = threading.Event()
    paths = []
    threads = []
    for n in range(count):
        path = folder / f"pipe{n}"
        os.mkfifo(path)
        paths.append(path)
        threads.append(_fifo_writer(path, f"https://imgur.com/a/Pipe{n:03d}\n".encode() * 2, done))
    try:
        yield paths, done
    finally:
        done.set()
        for path in paths:  # (a writer still waiting for its reader to open: let it go)
            with contextlib.suppress(OSError):
                os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        for thread in threads:
            thread.join(10)


def _holders(path: Path) -> set[int]:
    """The processes that have ``path`` open."""
    target = os.stat(path)
    held = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    st = os.stat(f"/proc/{pid}/fd/{fd}")
                    if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino) and int(pid) != os.getpid():
                        held.add(int(pid))
    return held


def _children() -> list[int]:
    with contextlib.suppress(OSError):
        return [int(pid) for pid in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()]
    return []


def _eventually(condition: Any, timeout: float = 10.0) -> bool:
    """Whether ``condition()`` holds within ``timeout`` seconds (looked at every few milliseconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def _readers_gone(before: set[int]) -> bool:
    """Whether every reader a scan started has ended (the fork server a run starts once stays)."""
    def gone() -> bool:
        return all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in _grandchildren(before))
    return _eventually(gone)


def _grandchildren(before: set[int]) -> list[int]:
    """The processes started by this one's children (a fork server's readers) since ``before``."""
    found = []
    for child in _children():
        with contextlib.suppress(OSError):
            found += [int(pid) for pid in Path(f"/proc/{child}/task/{child}/children").read_text().split()]
    return [pid for pid in found if pid not in before]


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return True


@pytest.mark.parametrize("how", ["ctrl-c", "killed"])
def test_a_run_ended_leaves_no_reader_behind(tmp_path: Path, how: str) -> None:
    # Ctrl-C at a terminal reaches the whole process group: the readers ignore it, the run ends them and says
    # what it found. A run killed outright (SIGKILL, the OOM killer) cannot end them: each ends itself.
    missing = tmp_path / "missing.txt"  # (its reader done before the others: said all the same)
    # (What Python's multiprocessing makes in the temporary folder, a killed run cannot remove: in one of the
    # test's own, with a short name, as the socket there needs one.)
    short = Path(tempfile.mkdtemp(prefix="mp"))
    with _fifos(tmp_path, 2) as (paths, _), contextlib.ExitStack() as left:
        left.callback(shutil.rmtree, short, ignore_errors=True)
        proc = subprocess.Popen([*command(), "--scan", str(missing), "--scan", str(paths[0]), "--scan", str(paths[1]),
                                 "-g", "--scan-jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, env={**os.environ, "TMPDIR": str(short)})
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()  # (a link read: the readers are reading)
            assert _eventually(lambda: all(_holders(path) for path in paths)), "the readers never opened the FIFOs"
            readers = set().union(*(_holders(path) for path in paths))
            if how == "ctrl-c":
                os.killpg(proc.pid, signal.SIGINT)
            else:
                os.kill(proc.pid, signal.SIGKILL)
            out, err = proc.communicate(timeout=10)
            assert _eventually(lambda: not any(Path(f"/proc/{pid}").exists() for pid in readers)), readers
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    if how == "ctrl-c":
        assert proc.returncode == 130, err
        printed = (first + out).splitlines()
        # What was read up to there is said, as for a scan of one file after another (each FIFO's link twice; a
        # target the Ctrl-C came between its finding and its printing is counted too).
        (said, scanned, ended) = err.splitlines()
        assert said == f"imgur-dl: error: cannot scan {missing}: No such file or directory", err
        fifos = len(printed) + (scanned.endswith("2 distinct targets") and len(printed) == 1)
        targets = f"{fifos} distinct target{'s' if fifos > 1 else ''}"
        assert scanned == f"imgur-dl: scanned {56 * fifos} B: {2 * fifos} Imgur links, {targets}", err
        assert ended == "imgur-dl: interrupted", err
    else:
        assert proc.returncode == -signal.SIGKILL


def test_what_the_readers_met_is_said_by_a_scan_interrupted_while_a_link_is_printed(tmp_path: Path) -> None:
    # Ctrl-C may come while the run prints a link, not only while it waits for the next: what the readers had met
    # up to there is said all the same. (The second FIFO is handed to the reader that was done with the missing
    # file: once its link is printed, that reader's error has been taken.)
    missing = tmp_path / "missing.txt"

    class Interrupted(io.StringIO):
        def write(self, text: str) -> int:
            if "Pipe" in text and "Pipe" in self.getvalue():
                raise KeyboardInterrupt
            return super().write(text)

    with _fifos(tmp_path, 2) as (paths, _):
        out, err = Interrupted(), io.StringIO()
        names = ["--scan", str(missing), "--scan", str(paths[0]), "--scan", str(paths[1])]
        code = main([*names, "-g", "--scan-jobs", "2"],
                    Environment(stdin=io.StringIO(), stdout=out, stderr=err, environ=dict(os.environ)))
    assert code == 130
    assert err.getvalue().splitlines() == [f"imgur-dl: error: cannot scan {missing}: No such file or directory",
                                           "imgur-dl: scanned 112 B: 4 Imgur links, 2 distinct targets",
                                           "imgur-dl: interrupted"], err.getvalue()


def test_what_a_file_met_is_said_in_its_place_when_a_later_file_was_done_first(tmp_path: Path) -> None:
    # The first file (a gzip file cut short, on a FIFO held open) is done after the second (missing): its error is
    # said first all the same, as one file after another says them, and the second's is said the moment it is done.
    fifo, missing, done = tmp_path / "first.gz", tmp_path / "missing.txt", threading.Event()
    os.mkfifo(fifo)
    writer = _fifo_writer(fifo, gzip.compress(b"https://imgur.com/a/Pipe000 " * 50)[:-20], done)
    scanner = Scanner()
    found: list[str] = []
    reading = threading.Thread(target=lambda: found.extend(t.id for t in scanned([str(fifo), str(missing)], scanner,
                                                                                  io.BytesIO(), processes=2)))
    reading.start()
    try:
        assert _eventually(lambda: len(scanner.errors) == 1), "the missing file was never said"
    finally:
        done.set()
        writer.join(10)
        reading.join(10)
    assert [str(e).split(":")[0] for e in scanner.errors] == [str(fifo), f"cannot scan {missing}"], scanner.errors
    assert found == ["Pipe000"]


def test_a_reader_that_dies_costs_its_file_alone(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text(" ".join(_links("Zz", 100)))
    with _fifos(tmp_path, 1) as (paths, _):
        proc = subprocess.Popen([*command(), "--scan", str(paths[0]), "--scan", str(tmp_path / "plain.txt"), "-g",
                                 "--scan-jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert _eventually(lambda: bool(_holders(paths[0]))), "the reader never opened the FIFO"
            (reader,) = _holders(paths[0])
            assert reader != proc.pid
            os.kill(reader, signal.SIGKILL)  # (as the OOM killer ends one)
            out, err = proc.communicate(timeout=10)
        finally:
            proc.kill()
    assert proc.returncode == 1, err
    assert set(out.splitlines()) >= set(_links("Zz", 100))
    assert f"imgur-dl: error: {paths[0]}: the process reading it ended (killed by signal 9); what was found " \
           "before still counts\n" in err, err


def _written(pid: int) -> int:
    """The bytes process ``pid`` has written (to files, pipes and sockets alike)."""
    return int(Path(f"/proc/{pid}/io").read_text().split("wchar:")[1].split()[0])


def _one_reader_killed(tmp_path: Path, *, as_it_waits: bool) -> tuple[list[str], Scanner]:
    """Two files read by one reader, killed (SIGKILL, as the OOM killer does) once it has sent what it found in the
    first and waits for the next: before it is handed the second, or (stopped meanwhile) after, before it reads it."""
    (tmp_path / "a.txt").write_text("no link here")  # (what the reader writes: its answer alone)
    (tmp_path / "b.txt").write_text("https://imgur.com/a/AbC1234")
    before = set(_grandchildren(set()))

    def paths() -> Iterator[Path]:
        yield tmp_path / "a.txt"
        assert _eventually(lambda: len(_grandchildren(before)) == 1)
        (reader,) = _grandchildren(before)
        assert _eventually(lambda: _written(reader) > 0), "the reader never answered"
        if not as_it_waits:
            os.kill(reader, signal.SIGSTOP)
            yield tmp_path / "b.txt"  # (handed to it: it cannot read it)
        os.kill(reader, signal.SIGKILL)
        assert _eventually(lambda: not Path(f"/proc/{reader}").exists())  # (every thread of it ended, and reaped)
        if as_it_waits:
            yield tmp_path / "b.txt"

    scanner = Scanner()
    return [target.id for target in scanners.side_by_side(paths(), scanner, 1)], scanner


def test_a_reader_that_dies_as_it_waits_costs_no_file(tmp_path: Path) -> None:
    found, scanner = _one_reader_killed(tmp_path, as_it_waits=True)
    assert found == ["AbC1234"]  # (read by another)
    assert scanner.errors == []


def test_a_reader_that_dies_before_it_reads_what_it_was_handed_costs_that_file_alone(tmp_path: Path) -> None:
    found, scanner = _one_reader_killed(tmp_path, as_it_waits=False)
    assert found == []
    assert [str(e) for e in scanner.errors] == [f"{tmp_path / 'b.txt'}: the process reading it ended (killed by "
                                                "signal 9); what was found before still counts"]


def test_a_scan_left_before_its_end_ends_its_readers(tmp_path: Path) -> None:
    # The Python API's caller may stop taking targets: the readers (two of them blocked on FIFOs) are ended.
    before = set(_grandchildren(set()))
    with _fifos(tmp_path, 3) as (paths, _):
        targets = scanners.side_by_side(iter(paths), Scanner(), 3)
        assert next(targets).id.startswith("Pipe")
        targets.close()
        assert _readers_gone(before)


def test_a_bug_a_reader_meets_is_that_file_s_error_or_with_debug_the_run_s(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # (The reader's own function, run here where the bug can be planted.)
    (tmp_path / "a.txt").write_text("imgur.com/a/AbC1234 imgur.com/a/XyZ9876")

    def spoilt(source: Any, name: str, **kwargs: Any) -> Any:
        raise IndexError("a bug")

    monkeypatch.setattr("imgur_dl.scan.opened", spoilt)
    mine, theirs = Pipe()
    with mine, theirs:
        done = scanners._read(theirs, tmp_path / "a.txt", debug=False)
        assert isinstance(done, scanners._Done)
        assert done.errors == [(f"{tmp_path / 'a.txt'}: unexpected IndexError (a bug; --debug shows it); what was "
                                "found before it still counts", 1)]
        bug = scanners._read(theirs, tmp_path / "a.txt", debug=True)
        assert isinstance(bug, scanners._Bug)
        assert "IndexError: a bug" in bug.traceback
        assert not mine.poll()


@pytest.mark.parametrize(("args", "said"), [
    (["--scan-jobs", "2", "imgur.com/a/AbC1234"], "--scan-jobs is for --scan (the files it reads at once)"),
    (["--scan-jobs", "0", "--scan", "x"], "argument --scan-jobs: must be at least 1: 0"),
    (["--scan-jobs", "1025", "--scan", "x"], "argument --scan-jobs: at most 1024: 1025"),
])
def test_scan_jobs_is_checked(args: list[str], said: str) -> None:
    result = run_main(*args)
    assert result.code == 2, result
    assert said in result.err, result


def _scanned_within(tmp_path: Path, within: list[str], jobs: int) -> list[str]:
    """A scan of six files by ``jobs`` readers, started by the command ``within`` begins with: every link given
    (exit 0), and the lines of its warning; its summary checked."""
    folder = tmp_path / "export"
    folder.mkdir()
    for n in range(6):
        (folder / f"{n}.txt").write_text(" ".join(_links(f"P{n}", 3)))
    run = subprocess.run([*within, sys.executable, "-m", "imgur_dl", "--scan", str(folder), "-g", "--scan-jobs",
                          str(jobs)], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert sorted(run.stdout.splitlines()) == sorted(link for n in range(6) for link in _links(f"P{n}", 3))
    *warning, summary = run.stderr.splitlines()
    assert summary == "imgur-dl: scanned 498 B: 18 Imgur links, 18 distinct targets", run.stderr
    return warning


@needs_pids_limit
@pytest.mark.parametrize("limit", [2, 8])
def test_a_scan_where_the_system_lets_no_more_processes_start_reads_with_fewer_or_alone(tmp_path: Path,
                                                                                          limit: int) -> None:
    # A container's pids limit: the run could not start its readers (its own fork refused, the fork server's, or a
    # reader's thread) and ended with "unexpected EOFError", or a fork server's traceback. It reads them with as many
    # as started, or one after another itself (2: no process but the run's may start), and says so.
    with pids_limited(limit) as within:
        warning = _scanned_within(tmp_path, within, 4)
    assert warning == [f"imgur-dl: warning: --scan-jobs 4: the system lets this run start no more readers (its limit "
                       f"of processes and threads: a pids limit, or ulimit -u): files read {how}" for how in
                       ["one after another", "1 at once", "2 at once", "3 at once"] if how in "".join(warning)]
    assert warning or limit > 2


@pytest.mark.parametrize("limit", [12, 20])
def test_a_scan_where_the_open_file_limit_leaves_room_for_few_readers_reads_with_fewer(tmp_path: Path,
                                                                                       limit: int) -> None:
    # Each reader holds pipes in the run (ulimit -n 256 on macOS): past the limit, the run ended with "unexpected
    # OSError: Too many open files". It reads with those that started, or alone, and names the limit it met.
    limited = (f"import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit})); "
               "os.execv(sys.executable, sys.argv[1:])")
    (warning,) = _scanned_within(tmp_path, [sys.executable, "-c", limited], 8)
    assert warning.startswith("imgur-dl: warning: --scan-jobs 8: the system lets this run start no more readers (its "
                              "limit of open files, ulimit -n): files read "), warning
