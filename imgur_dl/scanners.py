"""Files scanned side by side, each in a process of its own.

Reading a file for links is Python code for every block, bound to one core
by the interpreter's lock: a folder of a year of Reddit dumps read one file
after another uses one core of sixteen. So each file is read in a process
of its own, as many at once as ``--scan-jobs`` allows. Each sends what it
finds in batches through a pipe of its own, and waits when the pipe is full:
a run that takes its targets slowly (downloading them) holds the readers
back, and nothing piles up in memory. The targets are taken in this process
as they come (a repeat across files dropped here), so each file's come in
its order and the files' mixed; what each met (a file cut short, a member
not read) is said where a scan of one file after another would say it.

A reader ignores Ctrl-C (the run ends them); each holds one end of a pipe
whose other end only this process holds, and ends itself when it closes: a
run killed outright leaves no reader behind.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from pathlib import Path

from imgur_dl.errors import ImgurDLError, ScanError
from imgur_dl.models import Kind, Target
from imgur_dl.scan import Scanner, Stats, scan_file
from imgur_dl.status import ExitStatus

ENDING = 5.0  # seconds a reader is given to end once told to, before it is killed
# The limits that can keep a reader from starting, as a person finds them.
PROCESSES = "the system lets this run start no more readers (its limit of processes and threads: a pids limit, or " \
    "ulimit -u)"
OPEN_FILES = "the system lets this run start no more readers (its limit of open files, ulimit -n)"
# A reader that ends as it starts, before a word: each imports the main module of the program that starts it again
# (multiprocessing's way), and a script's code not guarded by __name__ runs there, and ends it.
UNSTARTED = "a reader ended as it started (a program's main module, which each imports again, with code not guarded " \
    "by if __name__ == \"__main__\"?)"


def side_by_side(paths: Iterator[Path], scanner: Scanner, most: int) -> Iterator[Target]:
    """The new targets of the files at ``paths``, read by up to ``most`` processes at once; what each met added to
    ``scanner``'s as each is done, and its counts as they come."""
    with _Readers(scanner.debug, most) as readers:
        yield from readers.run(paths, scanner)


@dataclass(frozen=True)
class _Found:
    targets: list[tuple[str, str, str, str | None]]  # each one's kind, id, URL and extension (plain tuples: a
    #                                                   frozen dataclass is pickled by Python code, 4 times slower)
    read: int  # bytes read since the last message, links found (repeats too), and links left out as cut short
    links: int
    cut: int


@dataclass(frozen=True)
class _Done:
    errors: list[tuple[str, int]]  # each error's message and exit status
    warnings: list[str]
    found: _Found  # (the last of it)


@dataclass(frozen=True)
class _Bug:
    traceback: str  # (with --debug only: without, the scan says a bug as a file's error)


@dataclass(frozen=True)
class _NoRoom:
    """A reader could not start its thread (a pids limit): it reads nothing, and ends."""


class ReaderBug(Exception):
    """A bug a reader met, with ``--debug`` (without, the scan says it as that file's error): the run ends, its
    traceback shown."""


class _Met(ImgurDLError):
    """An error a reader met, as it said it."""

    def __init__(self, message: str, exit_status: ExitStatus) -> None:
        super().__init__(message)
        self.exit_status = exit_status


@dataclass
class _Reader:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    lifeline: Connection
    index: int = -1  # the file it reads (its place among them), and its path
    path: Path = Path()
    heard: bool = False  # it has sent a message: it started


class _Readers:
    def __init__(self, debug: bool, most: int) -> None:
        self.debug = debug
        self.most = self.wanted = most  # readers at once: at the most, and as asked
        self.readers: list[_Reader] = []
        # A fork server where there is one: its readers start in milliseconds, the modules a scan needs loaded
        # once (a process spawned loads them again, some 0.2 s each).
        if "forkserver" in multiprocessing.get_all_start_methods():
            self.context: ForkServerContext | SpawnContext = multiprocessing.get_context("forkserver")
            self.context.set_forkserver_preload(["imgur_dl.forkserved", "imgur_dl.scanners"])
        else:
            self.context = multiprocessing.get_context("spawn")

    def __enter__(self) -> _Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        for reader in self.readers:  # (told at once, all of them, then waited for)
            reader.lifeline.close()
        for reader in list(self.readers):
            self._end(reader)

    def _start(self) -> _Reader | str:
        """A new reader; or, where the system lets this run start no more (a container's pids limit, a low ``ulimit
        -u``; the open-file limit, for its pipes), the limit it meets, as a person finds it."""
        ends: list[Connection] = []
        try:
            conn, theirs = self.context.Pipe()
            ends += (conn, theirs)
            held, lifeline = self.context.Pipe(duplex=False)
            ends += (held, lifeline)
            process = self.context.Process(target=_serve, args=(theirs, held, self.debug), name="imgur-dl scan",
                                           daemon=True)
            process.start()
        except (OSError, EOFError) as exc:  # (EOF: the fork server's own fork was refused, and it ended)
            for end in ends:
                end.close()
            return OPEN_FILES if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE) else PROCESSES
        theirs.close()
        held.close()
        reader = _Reader(process, conn, lifeline)
        self.readers.append(reader)
        return reader

    def _fewer(self, scanner: Scanner, why: str) -> None:
        """No more readers than run now, for ``why`` (said the first time: where a reader ended as it started, the
        others, started alike, will)."""
        if self.most == self.wanted:
            scanner.warnings.append(f"--scan-jobs {self.most}: {why}: files read " + (
                f"{len(self.readers)} at once" if self.readers and why != UNSTARTED else "one after another"))
        self.most = min(self.most, len(self.readers))

    def _end(self, reader: _Reader) -> int:
        """Let go of ``reader``, and end its process (at once, or after :data:`ENDING` seconds); its exit status
        (a signal's number, negative)."""
        reader.lifeline.close()  # (its end: the reader ends itself)
        reader.conn.close()
        reader.process.join(ENDING)
        if reader.process.exitcode is None:
            reader.process.kill()
            reader.process.join()
        code = reader.process.exitcode or 0
        reader.process.close()
        self.readers.remove(reader)
        return code

    def run(self, paths: Iterator[Path], scanner: Scanner) -> Iterator[Target]:
        said = _Said(scanner)
        idle: list[_Reader] = []
        busy: dict[Connection, _Reader] = {}
        again: list[tuple[int, Path]] = []  # files handed to a reader that could not start: handed first
        numbered = enumerate(paths)
        item = next(numbered, None)
        while item is not None or busy:
            while item is not None and (idle or len(self.readers) < self.most):
                waited = bool(idle)
                reader = idle.pop() if waited else self._start()
                if isinstance(reader, str):
                    self._fewer(scanner, reader)
                    break
                index, path = item
                if not _handed(reader, path) and waited:  # (it ended as it waited, the OOM killer's choice, say:
                    self._end(reader)  #                    another reads the file. A new one: said below, as ended)
                    continue
                reader.index, reader.path = index, path
                said.handed(index)
                busy[reader.conn] = reader
                item = again.pop() if again else next(numbered, None)
            if not self.most:  # (no reader may start: the rest are read here, in turn)
                yield from _alone(itertools.chain([] if item is None else [item], again, numbered), scanner, said)
                return
            for conn in wait(list(busy)):
                reader = busy[conn]  # type: ignore[index]
                message = _heard(reader)
                if message is None:  # (it ended: killed, or out of memory, another taking its place; or as it started)
                    del busy[reader.conn]
                    code = self._end(reader)
                    if reader.heard or code != 1:
                        said.ended(reader, code)
                        continue
                    why = UNSTARTED  # (an exception, before a word: no more are started)
                elif isinstance(message, _NoRoom):
                    del busy[reader.conn]
                    self._end(reader)
                    why = PROCESSES
                else:
                    if isinstance(message, _Done):
                        del busy[reader.conn]
                        idle.append(reader)
                    yield from _taken(reader, message, said, scanner)
                    continue
                self._fewer(scanner, why)  # (its file handed again, first)
                again += [] if item is None else [item]
                item = reader.index, reader.path


def _heard(reader: _Reader) -> _Found | _Done | _Bug | _NoRoom | None:
    """What ``reader`` sent next; None where it has ended (reset: before it read what it was sent)."""
    try:
        message = reader.conn.recv()
    except (EOFError, ConnectionResetError):
        return None
    reader.heard = True
    return message  # type: ignore[no-any-return]


def _taken(reader: _Reader, message: _Found | _Done | _Bug, said: _Said, scanner: Scanner) -> Iterator[Target]:
    """The new targets of what ``reader`` sent; what its file met, once it is done, said in its place."""
    if isinstance(message, _Bug):
        raise ReaderBug(f"{reader.path}: a bug in the process that read it:\n{message.traceback}")
    if isinstance(message, _Done):
        said.done(reader.index, message)
        message = message.found
    scanner.stats.read += message.read
    scanner.stats.links += message.links
    scanner.stats.cut += message.cut
    for kind, name, url, ext in message.targets:
        target = Target(Kind(kind), name, url, ext)
        if scanner.found(target):
            yield target


def _alone(items: Iterator[tuple[int, Path]], scanner: Scanner, said: _Said) -> Iterator[Target]:
    """The files of ``items`` read in this process, one after another, what each met said in its place."""
    for index, path in items:
        said.handed(index)
        errors, warnings = len(scanner.errors), len(scanner.warnings)
        yield from scan_file(scanner, path)
        met, scanner.errors[errors:] = scanner.errors[errors:], []
        noted, scanner.warnings[warnings:] = scanner.warnings[warnings:], []
        said.put(index, met, noted)


class _Said:
    """What the readers met, put among what this process met (a folder's symlinks not followed, say) where a scan of
    one file after another would have said it, as each file is done: what a scan interrupted had met is in place
    whenever it is said."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self._marks: dict[int, tuple[int, int]] = {}  # a file not done yet (its place): where what it met goes

    def handed(self, index: int) -> None:
        """The file at ``index`` is handed to a reader (again, if one could not start: its place is kept)."""
        self._marks.setdefault(index, (len(self.scanner.errors), len(self.scanner.warnings)))

    def done(self, index: int, done: _Done) -> None:
        self.put(index, [_Met(message, ExitStatus(status)) for message, status in done.errors], done.warnings)

    def ended(self, reader: _Reader, code: int) -> None:
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        error = ScanError(f"{reader.path}: the process reading it ended ({how}); what was found before still counts")
        self.put(reader.index, [error], [])

    def put(self, index: int, errors: list[ImgurDLError], warnings: list[str]) -> None:
        """What the file at ``index`` met, put at its marks; those of the files after it (at or past them) moved on."""
        at_errors, at_warnings = self._marks.pop(index)
        self.scanner.errors[at_errors:at_errors] = errors
        self.scanner.warnings[at_warnings:at_warnings] = warnings
        for later, (e, w) in self._marks.items():
            if later > index:
                self._marks[later] = (e + len(errors), w + len(warnings))


def _handed(reader: _Reader, path: Path) -> bool:
    """Whether ``path`` was sent to ``reader``: not if it has ended."""
    try:
        reader.conn.send(str(path))
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def _serve(conn: Connection, lifeline: Connection, debug: bool) -> None:
    """A reader: the files it is handed, one at a time, until the run lets go of it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (Ctrl-C reaches the whole group: the run ends its readers)
    try:
        threading.Thread(target=_watch, args=(lifeline,), name="lifeline", daemon=True).start()
    except RuntimeError:  # (no thread may start: a pids limit)
        with contextlib.suppress(OSError):
            conn.send(_NoRoom())
        os._exit(0)
    try:
        while True:
            conn.send(_read(conn, Path(conn.recv()), debug))
    except (EOFError, OSError):  # (the run has let go of it, or ended)
        os._exit(0)


def _read(conn: Connection, path: Path, debug: bool) -> _Done | _Bug:
    """Read the file at ``path``, what it finds sent through ``conn`` before each read that may wait (and its
    counts with it: a run interrupted says what was read up to there); what it met."""
    batch: list[tuple[str, str, str, str | None]] = []
    sent = Stats()

    def found() -> _Found:
        stats = scanner.stats
        news = _Found(batch.copy(), stats.read - sent.read, stats.links - sent.links, stats.cut - sent.cut)
        sent.read, sent.links, sent.cut = stats.read, stats.links, stats.cut
        batch.clear()
        return news

    def send() -> None:
        if batch:
            conn.send(found())

    scanner = Scanner(debug=debug, reading=send)
    try:
        for target in scan_file(scanner, path):
            batch.append((target.kind.value, target.id, target.url, target.ext))
    except OSError:
        raise  # (a pipe the run let go of: the scan itself says its disk's errors)
    except Exception:  # (with --debug only: the run ends, as for a bug met in this process)  # noqa: BLE001
        return _Bug(traceback.format_exc())
    return _Done([(str(e), int(e.exit_status)) for e in scanner.errors], scanner.warnings, found())


def _watch(lifeline: Connection) -> None:
    """End this process once the run that started it lets go of its lifeline (or has ended: killed, say)."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os._exit(0)
