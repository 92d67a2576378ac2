"""imgur-dl as a process of its own, forked from an interpreter that has imported it already.

A test that needs imgur-dl in another process (several sharing an archive, a
signal, a pipe that closes, a process killed) would pay Python's start and
imports for each: about 0.2 s of CPU, most of what such a process costs the
suite. The launcher is a small server started once per test process: it
imports imgur-dl, then for each request forks a child that takes the
caller's standard streams, environment, folder and arguments and runs the
console script's ``run()``, ending through the interpreter's own exit (its
flush of standard output, its exit code) as the installed command does.

What a start from nothing would do differently is left to the tests that use
a real ``subprocess`` for it: the installed command and ``python -m`` (tests/
test_cli.py, tests/test_session.py), streams closed before the start, limits
set before it (tests/test_bounds.py, tests/test_faults.py) and terminals
(tests/test_first_run.py).

The launcher forks only while it has one thread; each child's exit status is
told on the request's connection (``pidfd`` tells the launcher when).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
_STREAMS = 3
_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}  # what a test sends imgur-dl to end it as a person would


@dataclass
class _Request:
    args: list[str]
    env: dict[str, str]
    cwd: str
    fds: list[int]


def _serve(path: str, owner: int) -> _Request:
    """Fork a child for each request; return only in a child, with its request. When the ``owner`` process ends
    without stopping the server (a test process ended by the test timeout, which gives no teardown, or killed),
    the server ends too, and so do the children it still has: nobody waits for them any more."""
    gone = os.pidfd_open(owner)  # (ProcessLookupError: gone already, and the server with it)
    # What the children import, each once here: imgur-dl, and what its optional parts (the archive's two
    # backends, --scan) bring in when a run uses them.
    for module in ("imgur_dl.cli", "imgur_dl.build", "imgur_dl.scan", "imgur_dl.archive_sqlite",
                   "imgur_dl.archive_postgres", "psycopg"):
        with contextlib.suppress(ImportError):  # (psycopg: the postgres extra, when it is installed)
            importlib.import_module(module)
    # What is here now lives as long as any child: kept out of the collector's reach, a child's exit does
    # not walk it (writing to every page, each then copied for that child: 0.13-0.19 s of CPU an exit,
    # 0.04 s frozen).
    gc.freeze()

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(gone, selectors.EVENT_READ)
    asking: set[socket.socket] = set()  # connections whose request has not come yet
    running: dict[int, tuple[int, socket.socket]] = {}  # a child's pidfd: its pid, the connection told its end
    while True:
        for key, _ in selector.select():
            if key.fd == gone:
                _end_with_owner(running)
            if key.fileobj is listener:
                connection, _ = listener.accept()
                asking.add(connection)
                selector.register(connection, selectors.EVENT_READ)
            elif key.fd in running:
                pid, connection = running.pop(key.fd)
                selector.unregister(key.fd)
                os.close(key.fd)
                _, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):  # (a caller that stopped waiting)
                    connection.sendall(f"{os.waitstatus_to_exitcode(status)}".encode())
                connection.close()
            else:
                connection = key.fileobj  # type: ignore[assignment]
                asking.discard(connection)
                selector.unregister(connection)
                message, fds, _, _ = socket.recv_fds(connection, 1 << 20, _STREAMS)
                if not message:  # the caller went away
                    connection.close()
                    continue
                # (Signals held across the fork: one sent to the child as soon as its pid is told would otherwise
                # land in the hooks Python runs in it after a fork, where the exception Ctrl-C raises is said and
                # dropped: logging's lock, taken before the fork and given back in those hooks, stayed held, and
                # the child's first thread to log waited for ever. The child takes them once it is the command.)
                signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
                pid = os.fork()
                if pid == 0:  # the child: nothing of the launcher's kept open
                    selector.close()
                    for other in (listener, connection, *asking, *(c for _, c in running.values())):
                        other.close()
                    for pidfd in (*running, gone):
                        os.close(pidfd)
                    asked = json.loads(message)
                    return _Request(asked["args"], asked["env"], asked["cwd"], fds)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
                for fd in fds:
                    os.close(fd)
                connection.sendall(f"{pid}".encode())
                pidfd = os.pidfd_open(pid)
                running[pidfd] = (pid, connection)
                selector.register(pidfd, selectors.EVENT_READ)


def _end_with_owner(running: dict[int, tuple[int, socket.socket]]) -> NoReturn:
    """The server's owner is gone: the children it still has end (nobody waits for them), then the server."""
    for pid, _ in running.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    os._exit(0)


def _stdio(fd: int, like: Any) -> io.TextIOWrapper:
    """A standard stream over ``fd`` as the interpreter makes one at its start (encoding, errors, buffering)."""
    writing = fd != 0
    unbuffered = writing and like.write_through
    raw = io.FileIO(fd, "wb" if writing else "rb", closefd=False)
    buffer: Any = raw if unbuffered else (io.BufferedWriter(raw) if writing else io.BufferedReader(raw))
    return io.TextIOWrapper(buffer, encoding=like.encoding, errors=like.errors, newline="\n",
                            line_buffering=not unbuffered and (raw.isatty() or fd == 2), write_through=unbuffered)


def _become(request: _Request) -> None:
    """In the child: take the caller's streams, environment and folder."""
    for fd, given in enumerate(request.fds):
        os.dup2(given, fd)
        os.close(given)
    sys.stdin, sys.stdout, sys.stderr = (_stdio(fd, like) for fd, like in enumerate(
        (sys.__stdin__, sys.__stdout__, sys.__stderr__)))
    os.environ.clear()
    os.environ.update(request.env)
    os.chdir(request.cwd)
    # Ctrl-C as a process started at a terminal has it, whatever the launcher's starter had (a shell's
    # background job starts with it ignored, and an ignored signal stays ignored through every start).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)  # (likewise: the suite may run under nohup)
    sys.argv = request.args
    sys.path[0] = str(Path(request.args[0]).parent)  # as for the console script, not this folder
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)  # (one that came since the fork lands now)


class Forked:
    """A child of the launcher, as much of :class:`subprocess.Popen` as the tests use."""

    def __init__(self, connection: socket.socket, pid: int, stdin: IO[Any] | None, stdout: IO[Any] | None,
                 stderr: IO[Any] | None) -> None:
        self._connection = connection
        self.pid = pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self._connection.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                self._status()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self._connection.settimeout(timeout)
            try:
                self._status()
            except TimeoutError:
                raise subprocess.TimeoutExpired(["imgur-dl"], timeout or 0) from None
        assert self.returncode is not None
        return self.returncode

    def _status(self) -> None:
        """The exit status, told by the launcher once the child has ended (raises while it has not)."""
        self.returncode = int(self._connection.recv(64))
        self._connection.close()

    def communicate(self, input: str | bytes | None = None, timeout: float | None = None
                    ) -> tuple[Any, Any]:
        """As :meth:`subprocess.Popen.communicate`: ``input`` written, both outputs read to their end, the exit."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                if input:
                    self.stdin.write(input)
                self.stdin.close()
        read: dict[IO[Any], list[bytes]] = {stream: [] for stream in (self.stdout, self.stderr) if stream is not None}
        with selectors.DefaultSelector() as selector:
            for stream in read:
                selector.register(stream, selectors.EVENT_READ)
            while selector.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(["imgur-dl"], timeout or 0)
                for key, _ in selector.select(left):
                    piece = os.read(key.fd, 1 << 16)
                    if piece:
                        read[key.fileobj].append(piece)  # type: ignore[index]
                    else:
                        selector.unregister(key.fileobj)
        out = [_joined(stream, read[stream]) if stream in read else None for stream in (self.stdout, self.stderr)]
        for stream in read:
            stream.close()
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return out[0], out[1]

    def send_signal(self, signal: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal)

    def terminate(self) -> None:
        self.send_signal(15)

    def kill(self) -> None:
        self.send_signal(9)


def _joined(stream: IO[Any], pieces: list[bytes]) -> str | bytes:
    data = b"".join(pieces)
    return data.decode() if isinstance(stream, io.TextIOBase) else data


class Launcher:
    """The server of one test process, and the way to ask it for a child."""

    def __init__(self, path: str, program: str, server: subprocess.Popen[bytes] | None = None) -> None:
        self._path = path  # the server's socket
        self._program = program  # the child's ``sys.argv[0]``
        self._server = server  # (None: another process's server, which that process stops)

    @classmethod
    def start(cls, folder: Path, program: str) -> Launcher:
        """A new server, its socket in ``folder``; stopped by :meth:`close`."""
        path = str(folder / "launcher.sock")
        server = subprocess.Popen([sys.executable, "-m", "tests.launcher", path, str(os.getpid())],
                                  stdin=DEVNULL, stdout=PIPE,
                                  cwd=Path(__file__).parent.parent)
        assert server.stdout is not None
        if server.stdout.readline() != b"ready\n":
            cls(path, program, server).close()
            raise RuntimeError("the launcher did not start")
        return cls(path, program, server)

    def describe(self) -> dict[str, str]:
        """Enough for another process to ask this server for children (``Launcher(**description)``)."""
        return {"path": self._path, "program": self._program}

    def close(self) -> None:
        if self._server is not None:
            self._server.kill()
            self._server.wait()
            if self._server.stdout is not None:  # (its "ready" line, read; closed here, not left to the collector)
                self._server.stdout.close()

    def spawn(self, args: Sequence[str], *, stdin: int | None = DEVNULL, stdout: int | None = PIPE,
              stderr: int | None = PIPE, text: bool = False, cwd: Path | str | None = None,
              env: Mapping[str, str] | None = None) -> Forked:
        """imgur-dl run with ``args``; streams as ``subprocess.Popen`` takes them."""
        with contextlib.ExitStack() as given:  # the child's ends, closed here once it has them
            ends: list[int] = []
            mine: list[IO[Any] | None] = []
            for fd, how in enumerate((stdin, stdout, stderr)):
                child, parent = _end(fd, how, given)
                ends.append(child)
                mine.append(None if parent is None else _opened(parent, writing=fd == 0, text=text))
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            connection.connect(self._path)
            request = {"args": [self._program, *args], "env": dict(os.environ if env is None else env),
                       "cwd": str(cwd or os.getcwd())}
            socket.send_fds(connection, [json.dumps(request).encode()], ends)
        pid = int(connection.recv(64))
        return Forked(connection, pid, *mine)


def _opened(fd: int, *, writing: bool, text: bool) -> IO[Any]:
    """The caller's end of a pipe, as ``subprocess.Popen`` gives it (text in UTF-8, or bytes unbuffered)."""
    mode = "w" if writing else "r"
    if text:
        return open(fd, mode, encoding="utf-8")
    return open(fd, mode + "b", buffering=0)


def _end(fd: int, how: int | None, given: contextlib.ExitStack) -> tuple[int, int | None]:
    """The child's end for its stream ``fd`` (closed with ``given``), and the caller's end of a pipe."""
    if how == PIPE:
        read, write = os.pipe()
        child, parent = (read, write) if fd == 0 else (write, read)
        given.callback(os.close, child)
        return child, parent
    if how == DEVNULL:
        null = os.open(os.devnull, os.O_RDWR)
        given.callback(os.close, null)
        return null, None
    return (fd if how is None else how), None


@contextlib.contextmanager
def launcher_at(folder: Path, program: str) -> Iterator[Launcher]:
    server = Launcher.start(folder, program)
    try:
        yield server
    finally:
        server.close()


def _skip_teardown(status: list[int]) -> None:
    """A child's last exit step, before the interpreter would take every module apart.

    That teardown is most of what a forked child costs (each object it frees is a
    page copied from the launcher: 35 ms of CPU a child), and Python promises no
    finalizer of what is still alive at exit. What a start from nothing is owed
    has been done by now: threads waited for, every other ``atexit`` callback run
    (this one was registered first, so it runs last); standard output and error
    are flushed here. A flush that fails, or an end other than ``sys.exit`` with a
    status, is left to the interpreter's own exit (its message, its status 120).
    """
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    if status:
        os._exit(status[0])


if __name__ == "__main__":
    ended: list[int] = []  # the status the child's sys.exit() gives, once it gives one
    atexit.register(_skip_teardown, ended)
    _become(_serve(sys.argv[1], int(sys.argv[2])))
    from imgur_dl.__main__ import run  # (the console script's: pyproject.toml's [project.scripts])

    try:
        run()
    except SystemExit as end:
        if end.code is None or isinstance(end.code, int):
            ended.append(int(end.code or 0))
        raise
