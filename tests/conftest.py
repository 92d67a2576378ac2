"""Fixtures: a running stand-in for Imgur, and ways to run imgur-dl against it."""

from __future__ import annotations

import compileall
import contextlib
import fcntl
import gc
import importlib
import io
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import trustme
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import imgur_dl
from imgur_dl.bzip2 import Blocks
from imgur_dl.cli import Environment, main
from imgur_dl.clock import Clock
from imgur_dl.errors import FileStopped, ScanError
from imgur_dl.members import Codec, Members
from imgur_dl.scan import Scanner
from imgur_dl.xzblocks import XzBlocks
from tests.clock import FastClock
from tests.launcher import Launcher, launcher_at
from tests.postgres import Postgres
from tests.standin import Imgur

# Hypothesis times each example (200 ms at most) and how fast its data are made: timed tests, which on these
# noisy 2-core machines fail now and then with nothing wrong (one example of a size's property took 365 ms once,
# the suite beside another, and 1 ms when tried again). What a property asserts is checked; how fast is the
# benchmark's to say.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.fixture(scope="session", autouse=True)
def _ctrl_c_as_at_a_terminal() -> Iterator[None]:
    """Ctrl-C handled as Python handles it at a terminal, however the suite was started: a shell starts a
    job it puts in the background with Ctrl-C ignored, and the tests of Ctrl-C would then test nothing."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if before is not None:  # (None: set from outside Python; nothing to put back)
        signal.signal(signal.SIGINT, before)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "bundle.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def imgur(ca: trustme.CA, ca_bundle: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Imgur]:
    """A fresh stand-in, with this process's environment pointing at it."""
    server = Imgur(ca).start()
    for name, value in server.environ(ca_bundle).items():
        monkeypatch.setenv(name, value)
    for name in ("IMGUR_CLIENT_ID", "IMGUR_DL_OUTPUT", "IMGUR_DL_WORKERS", "IMGUR_DL_ARCHIVE", "IMGUR_ACCESS_TOKEN",
                 "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.stop()


# One PostgreSQL cluster for the whole run, shared by the test processes (each test makes its own
# database in it): started as the whole suite begins (or by the first test that needs it, when the run
# is a few tests), removed when the run ends. Likewise one launcher of imgur-dl processes for the whole
# suite (each test process starts its own when the run is a few tests).
_SHARED_POSTGRES = "IMGUR_DL_TESTS_POSTGRES"  # the folder they are described in
_early: list[threading.Thread] = []  # the cluster and the launcher being made
_late: list[threading.Thread] = []  # ... and removed
_launchers: list[Launcher] = []  # (the run's, in the run's own process)


def _memory_backed() -> str | None:
    """The machine's memory-backed folder (tmpfs), when it has one with room to spare.

    The suite writes thousands of small files, each fsynced by imgur-dl as it is
    for a user; on a disk that is seconds of the run's CPU, on tmpfs nothing.
    """
    shm = "/dev/shm"  # noqa: S108 - a parent for folders made by mkdtemp, not a file name to guess
    with contextlib.suppress(OSError):
        mounts = Path("/proc/mounts").read_text().splitlines()
        if any(line.split()[1:3] == [shm, "tmpfs"] for line in mounts if line.count(" ") >= 2):
            room = os.statvfs(shm)
            if room.f_bavail * room.f_frsize >= 2 << 30 and os.access(shm, os.W_OK):
                return shm
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # one of the run's test processes: the run itself set the scene
        return
    if sys.dont_write_bytecode:  # compiled once here, not again by each of the processes the run starts
        compileall.compile_dir(Path(imgur_dl.__file__).parent, quiet=1)
        _rewrite_tests_once(config)
    scratch = _memory_backed()
    if scratch and not os.environ.get("TMPDIR"):
        os.environ["TMPDIR"] = tempfile.tempdir = scratch  # for this process, its test processes and theirs
    place = Path(tempfile.mkdtemp(prefix="imgur-dl-tests-"))
    os.environ[_SHARED_POSTGRES] = str(place)
    if config.args_source is not pytest.Config.ArgsSource.ARGS:  # the whole suite: start them now
        for name, start in (("postgres", _start_postgres), ("launcher", _start_launcher)):
            lock = (place / f"{name}.lock").open("w")
            fcntl.flock(lock, fcntl.LOCK_EX)  # taken here: a test process that needs it waits for it
            _early.append(threading.Thread(target=start, args=(place, lock), daemon=True))
            _early[-1].start()


def _rewrite_tests_once(config: pytest.Config) -> None:
    """Each test module's asserts rewritten once, here, for every test process to read.

    pytest keeps a module it has rewritten only when bytecode may be written;
    otherwise each of the run's test processes rewrites every module again
    (about a second of CPU each). Done already for these very sources (a note
    of their sizes and times, beside the compiled modules), it is not done
    again: importing every test module here costs the run's start 0.4 s.
    """
    if not config.getoption("numprocesses", None):
        return
    folder = Path(__file__).parent
    note = folder / "__pycache__" / "rewritten.json"
    sources = sorted(folder.glob("*.py"))
    done = json.dumps([sys.implementation.cache_tag, pytest.__version__,
                       *([p.name, p.stat().st_mtime_ns, p.stat().st_size] for p in sources)])
    with contextlib.suppress(OSError):
        if note.read_text() == done:
            return
    sys.dont_write_bytecode = False
    try:
        for path in sources:
            if path.stem.startswith("test_"):
                importlib.import_module(f"tests.{path.stem}")
    finally:
        sys.dont_write_bytecode = True
    with contextlib.suppress(OSError):
        note.write_text(done)


def _start_postgres(place: Path, lock: IO[str]) -> None:
    with lock, contextlib.suppress(Exception):  # (a failure here is met again, and shown, by the first test)
        Postgres.sweep()  # (what an earlier run's test processes left running, ended without their teardown)
        (place / "postgres.json").write_text(json.dumps(Postgres.create().start().describe()))


def _start_launcher(place: Path, lock: IO[str]) -> None:
    with lock, contextlib.suppress(Exception):  # (likewise: each test process then starts its own)
        _launchers.append(Launcher.start(place, command()[0]))
        (place / "launcher.json").write_text(json.dumps(_launchers[0].describe()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``long`` (mostly waiting: on a lease, a timeout, a process) start first, one after another at
    the head of the first test process's share of the run (as the run first divides it): while that process waits,
    the others keep both cores busy with the rest. The same order in every test process, as the run requires."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers < 2:
        return
    long = [item for item in items if item.get_closest_marker("long")]
    items[:] = long + [item for item in items if not item.get_closest_marker("long")]


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collecting made (modules, the tests themselves) lives as long as the process: kept out of the
    collector's walks, each of which would otherwise go through all of it again (0.1 s of CPU a process)."""
    if hasattr(session.config, "workerinput"):
        gc.freeze()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's tests are over: its PostgreSQL cluster is removed while the run reports."""
    if not hasattr(session.config, "workerinput") and _SHARED_POSTGRES in os.environ:
        _late.append(threading.Thread(target=_remove_shared, args=(Path(os.environ.pop(_SHARED_POSTGRES)),)))
        _late[0].start()


def _remove_shared(place: Path) -> None:
    for thread in _early:
        thread.join()
    for launcher in _launchers:
        launcher.close()
    described = place / "postgres.json"
    if described.exists():
        Postgres.attach(json.loads(described.read_text())).remove()
    shutil.rmtree(place, ignore_errors=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        # A test process ends next, and the run waits for it: what it holds is let go without a last walk
        # of the collector through all of it (0.1 s or more a process, 0.01 s frozen).
        gc.freeze()
        return
    if _SHARED_POSTGRES in os.environ:  # (a run ended before its session did)
        _remove_shared(Path(os.environ.pop(_SHARED_POSTGRES)))
    for thread in _late:
        thread.join()


@contextlib.contextmanager
def _shared(name: str) -> Iterator[Path]:
    """Where the run's ``name`` (postgres, launcher) is described, under its lock: held by the run while it
    starts one, so a test process waits for it rather than start another."""
    with (Path(os.environ[_SHARED_POSTGRES]) / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield Path(lock.name).with_suffix(".json")


@pytest.fixture(scope="session")
def postgres() -> Postgres:
    """The run's PostgreSQL server (started by the run, or by whichever test process needs it first)."""
    with _shared("postgres") as described:
        if described.exists():
            return Postgres.attach(json.loads(described.read_text()))
        server = Postgres.create().start()
        described.write_text(json.dumps(server.describe()))
        return server


@pytest.fixture
def own_postgres(postgres: Postgres) -> Iterator[Postgres]:
    """A PostgreSQL server for one test alone (one that stops and starts it): a copy of the run's."""
    server = postgres.copy().start()
    yield server
    server.remove()


@dataclass
class ArchiveAt:
    """A download archive for one test, on one backend: where it is, and its rows."""

    location: str
    backend: str

    def rows(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        """``query``'s rows (``?`` placeholders, the SQL both backends speak)."""
        if self.backend == "postgres":
            import psycopg  # noqa: PLC0415

            with psycopg.connect(self.location, autocommit=True, client_encoding="UTF8") as db:
                cursor = db.execute(query.replace("?", "%s"), params)
                return [tuple(r) for r in cursor.fetchall()] if cursor.description else []
        with contextlib.closing(sqlite3.connect(self.location, isolation_level=None)) as db:
            return [tuple(r) for r in db.execute(query, params).fetchall()]


@pytest.fixture(params=["sqlite", "postgres"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> ArchiveAt:
    """An empty download archive: an SQLite file, and (as a second case) a PostgreSQL database."""
    if request.param == "postgres":
        server: Postgres = request.getfixturevalue("postgres")
        return ArchiveAt(server.new_database(), "postgres")
    return ArchiveAt(str(tmp_path / "seen.sqlite"), "sqlite")


@contextlib.contextmanager
def _fuse(backing: Path, mountpoint: Path, *flags: str) -> Iterator[Path]:
    """``backing`` seen at ``mountpoint`` through tests/fusefs.py (a real FUSE mount), unmounted after."""
    backing.mkdir()
    mountpoint.mkdir()
    # libfuse 3 named (mfusepy's FUSE_LIBRARY_NAME), as this file system is written for it and unmounted by its
    # fusermount3: else mfusepy takes libfuse 2 where that is installed beside it (and looks for it with gcc first).
    server = subprocess.Popen([sys.executable, "-m", "tests.fusefs", str(backing), str(mountpoint), *flags],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=Path(__file__).parent.parent, env={**os.environ, "FUSE_LIBRARY_NAME": "fuse3"})
    assert server.stdout is not None and server.stderr is not None
    if server.stdout.readline() != b"ready\n":
        server.kill()
        raise RuntimeError(f"the FUSE file system did not mount: {server.communicate()[1].decode()[-2000:]}")
    try:
        yield mountpoint
    finally:
        unmount = shutil.which("fusermount3") or "/usr/bin/fusermount3"  # (Debian's fuse3)
        if subprocess.run([unmount, "-u", str(mountpoint)], check=False, capture_output=True).returncode:
            subprocess.run([unmount, "-uz", str(mountpoint)], check=False, capture_output=True)  # (still in use)
        server.communicate(timeout=30)


@pytest.fixture
def unmappable(tmp_path: Path) -> Iterator[Path]:
    """A folder whose files cannot be mapped shared, as a network share's or WSL's ``/mnt/c``."""
    with _fuse(tmp_path / "backing", tmp_path / "unmappable") as mountpoint:
        yield mountpoint


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a disk mounted read-only (a snapshot, a backup disk): what is in ``tmp_path / "backing"``."""
    with _fuse(tmp_path / "backing", tmp_path / "read-only", "--read-only") as mountpoint:
        yield mountpoint


@pytest.fixture
def quota(tmp_path: Path) -> Iterator[Path]:
    """A folder under a disk quota of 250 kB (its user's: a shared machine's home folder)."""
    with _fuse(tmp_path / "backing", tmp_path / "quota", "--quota", "250000") as mountpoint:
        yield mountpoint


@pytest.fixture
def failing_write_back(tmp_path: Path) -> Iterator[Path]:
    """A folder whose file system takes writes, then fails to flush them (EIO from fsync and close), as an NFS
    server gone away or a USB stick pulled out."""
    with _fuse(tmp_path / "backing", tmp_path / "failing", "--failing-write-back") as mountpoint:
        yield mountpoint


@pytest.fixture
def failing_folder_flush(tmp_path: Path) -> Iterator[Path]:
    """A folder whose file system cannot flush the folders in it (EIO from their fsync; its own flush works), as a
    disk that fails to write back the names a folder holds."""
    with _fuse(tmp_path / "backing", tmp_path / "failing", "--failing-folder-flush") as mountpoint:
        yield mountpoint


@pytest.fixture
def bad_sector(tmp_path: Path) -> Iterator[Path]:
    """A folder whose files cannot be read past 64 KiB (EIO), as a disk's bad sector, or an NFS server gone away
    mid-file."""
    with _fuse(tmp_path / "backing", tmp_path / "bad-sector", "--failing-reads", str(64 * 1024)) as mountpoint:
        yield mountpoint


@dataclass
class PowerCut:
    """What a power cut would leave of a disk (tests/fusefs.py ``--power-cut``), read once it is unmounted."""

    record: Path

    def cut_short(self) -> list[str]:
        """The files a cut after the last write would leave cut short or empty (bytes never flushed), under a name
        not hidden: paths below the disk's top."""
        return list(json.loads((self.record / "unflushed.json").read_text(encoding="utf-8")))

    def commits(self) -> list[tuple[Path, dict[str, set[str]]]]:
        """At each commit of an SQLite database on the disk, in order: a copy of the database as it then stood
        (its file, beside its WAL journal), and the names a cut then would leave in each folder changed so far (a
        path below the disk's top, "/" the top itself; a folder not named: its names as they are)."""
        kept = sorted((p for p in self.record.iterdir() if p.is_dir()), key=lambda p: int(p.name))
        return [(next(p for p in commit.iterdir() if p.suffix == ".sqlite"),
                 {folder: set(names) for folder, names in
                  json.loads((commit / "names.json").read_text(encoding="utf-8")).items()})
                for commit in kept]


@contextlib.contextmanager
def power_cut_disk(tmp_path: Path) -> Iterator[tuple[Path, PowerCut]]:
    """A folder on a disk whose power may be cut, and (to read once the block ends, unmounted) what a cut at each
    commit of an SQLite database named ``*.sqlite`` on it, and after the last write, would leave."""
    record = tmp_path / "record"
    record.mkdir()
    with _fuse(tmp_path / "backing", tmp_path / "disk", "--power-cut", str(record)) as mountpoint:
        yield mountpoint, PowerCut(record)


@pytest.fixture
def short_names(tmp_path: Path) -> Iterator[Path]:
    """A folder whose names take 143 bytes at the most, as an encrypted home folder's (eCryptfs)."""
    with _fuse(tmp_path / "backing", tmp_path / "short", "--name-max", "143") as mountpoint:
        yield mountpoint


@pytest.fixture(params=["--no-times", "--no-fsync"])
def odd_share(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A folder that refuses what a share may: its files' times (one whose files another user owns), or fsync
    (VirtualBox's shared folders)."""
    with _fuse(tmp_path / "backing", tmp_path / "share", request.param) as mountpoint:
        yield mountpoint


@pytest.fixture
def linkless(tmp_path: Path) -> Iterator[Path]:
    """A folder that takes no hard links, as FAT, exFAT and many network shares."""
    with _fuse(tmp_path / "backing", tmp_path / "linkless", "--no-links") as mountpoint:
        yield mountpoint


@pytest.fixture
def lockless(tmp_path: Path) -> Iterator[Path]:
    """A folder that takes no locks (``ENOLCK``), as an NFS mount whose lock service is not running."""
    with _fuse(tmp_path / "backing", tmp_path / "lockless", "--no-locks") as mountpoint:
        yield mountpoint


@pytest.fixture
def case_insensitive(tmp_path: Path) -> Iterator[Path]:
    """A folder whose names are case-insensitive (and case-preserving), as on macOS, exFAT or WSL's ``/mnt/c``."""
    with _fuse(tmp_path / "backing", tmp_path / "case-insensitive", "--fold-case") as mountpoint:
        yield mountpoint


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    waits: list[float] = field(default_factory=list)  # every wait of the run, in seconds (in-process runs)

    def __str__(self) -> str:  # shown when an assertion fails
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"

    @property
    def errors(self) -> list[str]:
        """The lines of stderr that say an error (not warnings, not the summary)."""
        return [line for line in self.err.splitlines() if line.startswith("imgur-dl: error:")]


# What is said of a schema SQLite cannot read whose bytes are no UTF-8: SQLite's message, those bytes replaced, on
# Python 3.11 and later; a line saying it is lost on 3.10, which loses it.
UNREADABLE_SCHEMA = ("malformed database schema ({table}) - " if sys.version_info >= (3, 11) else
                     "SQLite's message of it, in bytes that are no UTF-8, is lost to this Python")


def run_main(*args: str, stdin: str | bytes = "", environ: dict[str, str] | None = None, tty: bool = False,
             clock: Clock | None = None) -> Outcome:
    """imgur-dl in this process, as a script sees it (or, with ``tty``, a person). ``stdin``: text, or bytes (read
    as a pipe's are, through a buffer: ``sys.stdin``'s).

    Its waits (backoffs, Retry-After, --limit-rate) take no real time: the
    clock notes them in ``Outcome.waits`` instead. A test of something that
    needs time to pass meanwhile (other requests finishing) passes a clock that lets some pass.
    """
    out, err = io.StringIO(), io.StringIO()
    clock = clock or FastClock()
    given = io.StringIO(stdin) if isinstance(stdin, str) else \
        io.TextIOWrapper(io.BufferedReader(io.BytesIO(stdin)), encoding="utf-8", errors="surrogateescape")
    env = Environment(stdin=given, stdout=out, stderr=err, stderr_isatty=tty,
                      environ=dict(os.environ, **(environ or {})), clock=clock)
    code = main(list(args), env)
    return Outcome(int(code), out.getvalue(), err.getvalue(), clock.waits if isinstance(clock, FastClock) else [])


def scanned(data: bytes | io.BufferedIOBase, name: str) -> tuple[set[str], list[str], list[str]]:
    """The ids ``data`` (named ``name``) names, the errors and the warnings its scan met (a bug raised, not said)."""
    scanner = Scanner(debug=True)
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    found = {target.id for target in scanner.scan(source, name)}  # type: ignore[arg-type]
    return found, [str(e) for e in scanner.errors], scanner.warnings


# A file spoilt: bytes set anywhere in it (where, as a part of its length; what), and a part of it kept.
SPOILS = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6)


def scanned_spoilt(data: bytes, spoil: list[tuple[float, int]], kept: float, name: str) -> None:
    """``data`` spoilt as ``spoil`` says and cut to ``kept`` of it, scanned: a bug is raised (debug), and a
    :class:`ScanError` must be said, not raised out of the scan."""
    spoilt = bytearray(data)
    for where, value in spoil:
        spoilt[int(where * len(spoilt))] = value
    try:
        scanned(bytes(spoilt[:int(kept * len(spoilt))]), name)
    except ScanError:
        pytest.fail("a ScanError raised out of the scan, where it is said")


def command() -> list[str]:
    """The installed console script when there is one, else the module."""
    script = shutil.which("imgur-dl", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "imgur_dl"]


@pytest.fixture(scope="session")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    """imgur-dl processes for the tests of several processes, signals and pipes, forked ready to run: by the
    run's launcher (one import of imgur-dl for the whole suite, not one a test process), or this process's."""
    with _shared("launcher") as described:
        shared = json.loads(described.read_text()) if described.exists() else None
    if shared is not None:
        yield Launcher(**shared)
        return
    with launcher_at(tmp_path_factory.mktemp("launcher"), command()[0]) as server:
        yield server


def run_process(*args: str, cwd: Path | None = None, timeout: float = 60, environ: dict[str, str] | None = None
                ) -> Outcome:
    done = subprocess.run([*command(), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False, env=dict(os.environ, **(environ or {})))
    return Outcome(done.returncode, done.stdout, done.stderr)


def writing_output(pid: int) -> Callable[[], bool]:
    """Whether process ``pid``'s main thread is waiting in a write to its standard output (a pipe nobody reads,
    full): the moment a run's main thread is held up while its workers go on (Linux's ``/proc/<pid>/syscall``:
    write, 1, on fd 1)."""
    return lambda: Path(f"/proc/{pid}/syscall").read_text().startswith("1 0x1 ")


def until(condition: Callable[[], bool], seconds: float = 15.0, every: float = 0.02) -> bool:
    """Whether ``condition`` comes true within ``seconds``, looked at every ``every`` seconds: for what only
    polling shows (the files on disk, another thread's progress)."""
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(every)
    return True


class Pieces(io.RawIOBase):
    """A pipe that gives what has arrived: the data in the pieces given."""

    def __init__(self, data: bytes, cuts: list[int]) -> None:
        self.parts = [data[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(data)], strict=True)]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.parts and not self.parts[0]:
            self.parts.pop(0)
        if not self.parts:
            return 0
        part = self.parts[0]
        taken = min(len(part), len(buffer))
        buffer[:taken], self.parts[0] = part[:taken], part[taken:]
        return taken


def through_pipe(data: bytes) -> io.BufferedReader:
    """``data`` as a pipe gives it: a piece of about 4 KiB at a time (the first of 1,000 bytes)."""
    return io.BufferedReader(Pieces(data, list(range(1000, len(data), 4099))))


def linked_text(first: int, size: int) -> bytes:
    """``size`` bytes of text with a link every 40 (a dump's density), each to its own album from ``first`` on."""
    return b"".join(b"https://imgur.com/a/A%06d x%08d\n" % (first + n, n) for n in range(size // 40 + 1))[:size]


def members_read(data: bytes, name: str, codec: Codec, cuts: list[int] | None = None) -> tuple[bytes, list[ScanError]]:
    """All the text of the compressed file ``data`` of ``codec``'s members (from a pipe, in pieces, with ``cuts``),
    a little at a time, and what was said as it was read, in turn."""
    return read_all(Members(io.BufferedReader(Pieces(data, cuts or [])), name, codec))


def read_all(reader: Members | Blocks | XzBlocks) -> tuple[bytes, list[ScanError]]:
    """All the text ``reader`` gives, a little at a time, and what it said as it was read, in turn."""
    out: list[bytes] = []
    said: list[ScanError] = []
    while True:
        try:
            piece = reader.read1(1000)
        except FileStopped as exc:
            said.append(exc)
            continue
        except ScanError as exc:
            said.append(exc)
            break
        if not piece:
            break
        out.append(piece)
    return b"".join(out), said


def in_volumes(data: bytes, folder: Path, name: str, cuts: list[int], digits: int = 3) -> list[Path]:
    """``data`` in volumes cut at ``cuts``, as 7-Zip's -v names them (``name.001``, ``.002``...)."""
    return cut_into(data, [folder / f"{name}.{n:0{digits}d}" for n in range(1, len(cuts) + 2)], cuts)


def cut_into(data: bytes, paths: list[Path], cuts: list[int]) -> list[Path]:
    """``paths`` (one more than ``cuts``), each written the next piece of ``data`` cut at ``cuts``."""
    ends = [0, *sorted(cuts), len(data)]
    for path, (start, end) in zip(paths, itertools.pairwise(ends), strict=True):
        path.write_bytes(data[start:end])
    return paths


def open_below(folder: Path) -> int:
    """How many of this process's descriptors are open on ``folder`` or below it (others' come and go meanwhile:
    the test process's other threads)."""
    return len(held_below(folder))


def held_below(folder: Path) -> list[str]:
    """What this process's descriptors are open on at ``folder`` or below it."""
    return [target for target in held_open() if Path(target).is_relative_to(folder)]


def held_open() -> list[str]:
    """What this process's descriptors are open on (a file's path, ``socket:[<inode>]``)."""
    held = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # (one closed since it was listed, the listing's own)
            held.append(os.readlink(f"/proc/self/fd/{fd}"))
    return held


def files_under(root: Path) -> dict[str, bytes]:
    """Every file below ``root``, by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# A container's pids limit, made for a test: cgroup v1's pids hierarchy, as these machines have it (root may make a
# group there). Where it cannot be made, the tests that need one say why they do not run.
PIDS_CGROUPS = Path("/sys/fs/cgroup/pids")
PIDS_LIMITABLE = os.geteuid() == 0 and os.access(PIDS_CGROUPS, os.W_OK)
needs_pids_limit = pytest.mark.skipif(not PIDS_LIMITABLE, reason="needs a pids cgroup of its own (root, cgroup v1)")


@contextlib.contextmanager
def pids_limited(limit: int) -> Iterator[list[str]]:
    """The start of a command that runs the rest in a cgroup of its own whose processes and threads may number
    ``limit`` at once (``pids.max``, as ``docker run --pids-limit`` sets); the group removed once they have ended."""
    group = PIDS_CGROUPS / f"imgur-dl-test-{os.getpid()}-{threading.get_ident()}-{limit}"
    group.mkdir()
    try:
        (group / "pids.max").write_text(str(limit))
        yield ["/bin/sh", "-c", f'echo $$ > "{group}/cgroup.procs" && exec "$0" "$@"']
    finally:
        deadline = time.monotonic() + 10
        while (group / "pids.current").read_text().strip() != "0" and time.monotonic() < deadline:
            time.sleep(0.01)  # (the last of its processes reaped a moment after the command's own end)
        group.rmdir()


# The libraries imgur-dl reads zstd with (imgur_dl.zstdlib): the standard library's compression.zstd (Python 3.14 and
# later; before, its backport, backports.zstd, which is the same module) and the zstandard package (the extra).
ZSTD_LIBRARIES = ("compression.zstd", "zstandard")


def standard_zstd() -> Any:
    """The standard library's compression.zstd, or its backport (the same module) before Python 3.14."""
    try:
        return importlib.import_module("compression.zstd")
    except ImportError:
        return importlib.import_module("backports.zstd")


def only_zstd(monkeypatch: pytest.MonkeyPatch, library: str) -> None:
    """zstd read with ``library`` (one of :data:`ZSTD_LIBRARIES`) alone, the other missing (an import of it fails)."""
    if library == "zstandard":
        monkeypatch.setitem(sys.modules, "compression.zstd", None)
    else:
        monkeypatch.setitem(sys.modules, "compression.zstd", standard_zstd())
        monkeypatch.setitem(sys.modules, "zstandard", None)


@pytest.fixture(params=ZSTD_LIBRARIES)
def zstd_library(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test runs with each library that reads zstd in turn, alone."""
    only_zstd(monkeypatch, request.param)
    return str(request.param)


def without_zstd(monkeypatch: pytest.MonkeyPatch) -> None:
    """No library that reads zstd, as on a Python before 3.14 without the extra imgur-dl[zstd] (an import fails)."""
    for name in ZSTD_LIBRARIES:
        monkeypatch.setitem(sys.modules, name, None)
