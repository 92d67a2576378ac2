"""A real PostgreSQL server for the tests, made in a temporary folder and stopped after.

Debian's ``postgresql`` package provides ``initdb`` and ``pg_ctl`` (under
``/usr/lib/postgresql/<version>/bin``). As root, the server runs as the
``postgres`` user, as PostgreSQL refuses to run as root. Connections come
over TCP on 127.0.0.1 with a password (SCRAM), as a fleet's machines would
reach a shared server. Durability is switched off: these clusters are thrown
away.
"""

from __future__ import annotations

import contextlib
import glob
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

USER = "postgres"  # the cluster's superuser (and, as root, the user the server runs as)


def _bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are: Debian's versioned folder, newest first, else the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's server (initdb, pg_ctl) is not installed: apt-get install postgresql")
    return Path(initdb).parent


def _owned(root: Path) -> Path:
    """``root``, marked as this process's (:meth:`Postgres.sweep`)."""
    (root / "owner").write_text(_identity(os.getpid()) or "")
    return root


def _free_port() -> int:
    """A port no one listens on now, below the range the system takes ports from for connections and for a port
    asked for as 0 (ip_local_port_range, 32768 and up by default): one of those, free when it was picked, was taken
    by another test's connection before the server listened on it ("Address already in use"), a test failed."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    picker = random.Random()
    for port in (picker.randrange(low // 2, low) for _ in range(100)) if low > 2048 else ():
        with socket.socket() as s, contextlib.suppress(OSError):  # (someone listens there: another)
            s.bind(("127.0.0.1", port))
            return port
    with socket.socket() as s:  # (no room below that range: one of it)
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stat(process: Path, field: int) -> str | None:
    """Field ``field`` (proc(5) counts from 1) of the process whose /proc folder this is (None once it is gone).
    Read after the name in parentheses, which may hold spaces and parentheses of its own."""
    try:
        return (process / "stat").read_text().rsplit(")", 1)[1].split()[field - 3]
    except (OSError, IndexError):
        return None


def _identity(pid: int) -> str | None:
    """The process ``pid`` told apart from any later one given its number: the number and when it started (None
    once it is gone)."""
    started = _stat(Path("/proc") / str(pid), 22)
    return None if started is None else f"{pid} {started}"


def _parent(process: Path) -> int | None:
    """The parent of the process whose /proc folder this is (None once it is gone)."""
    parent = _stat(process, 4)
    return None if parent is None else int(parent)


class Postgres:
    """One throwaway cluster: :meth:`create`, :meth:`start`, :meth:`url` of a fresh database, :meth:`remove`."""

    def __init__(self, root: Path, port: int, password: str) -> None:
        self.bindir = _bindir()
        self.root = root
        self.data = root / "data"
        self.port = port
        self.password = password
        self._as_postgres = os.geteuid() == 0
        self._databases = 0

    @classmethod
    def create(cls) -> Postgres:
        """A new cluster in a temporary folder (not started)."""
        server = cls(_owned(Path(tempfile.mkdtemp(prefix="imgur-dl-pg-"))), _free_port(), secrets.token_urlsafe(12))
        pwfile = server.root / "pw"
        pwfile.write_text(server.password + "\n")
        if server._as_postgres:
            shutil.chown(server.root, USER)
            shutil.chown(pwfile, USER)
        server._run("initdb", "-D", str(server.data), "-U", USER, "--pwfile", str(pwfile),
                    "--auth=scram-sha-256", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C")
        shutil.copytree(server.data, server.root / "pristine", symlinks=True)  # for copy(): 1 s of initdb saved
        return server

    def copy(self) -> Postgres:
        """A new cluster (not started) made from this one's data as initdb left it, same password."""
        server = type(self)(_owned(Path(tempfile.mkdtemp(prefix="imgur-dl-pg-"))), _free_port(), self.password)
        shutil.copytree(self.root / "pristine", server.data, symlinks=True)
        if server._as_postgres:
            for place in (server.root, *server.root.rglob("*")):
                shutil.chown(place, USER, USER)
        return server

    def describe(self) -> dict[str, str | int]:
        """Enough for another process to use this cluster (:meth:`attach`)."""
        return {"root": str(self.root), "port": self.port, "password": self.password}

    @classmethod
    def attach(cls, description: dict[str, str | int]) -> Postgres:
        return cls(Path(str(description["root"])), int(description["port"]), str(description["password"]))

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bindir / tool), *args]
        if self._as_postgres:
            argv = ["runuser", "-u", USER, "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, cwd=self.root, timeout=120)

    def start(self) -> Postgres:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """The server stopped where it stands (SIGSTOP to each of its processes), as a machine that hangs: its
        kernel still takes connections and acknowledges what is sent, and nothing answers. Thawed after."""
        main = int((self.data / "postmaster.pid").read_text().split()[0])
        processes = [main, *(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == main)]
        for pid in processes:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @classmethod
    def sweep(cls) -> None:
        """Remove the clusters a test process left when it ended without removing them (ended by the test timeout,
        which gives no teardown, or killed): each kept running, and holding its memory, until the machine
        restarted. One whose process still runs (another run's, at the same time) is left alone."""
        for root in Path(tempfile.gettempdir()).glob("imgur-dl-pg-*"):
            with contextlib.suppress(OSError, ValueError, IndexError):  # (no owner file, or one cut short: kept)
                owner = (root / "owner").read_text()
                if _identity(int(owner.split()[0])) != owner:
                    cls(root, 0, "").remove()

    def url(self, database: str = USER) -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self, encoding: str = "UTF8") -> str:
        """The URL of a database made for one test (empty: no tables yet), whose text is in ``encoding``."""
        import psycopg  # noqa: PLC0415 - tests that need a server have the extra

        self._databases += 1
        name = f"t{os.getpid()}_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name} ENCODING '{encoding}' TEMPLATE template0")
        return self.url(name)


class Relay:
    """A TCP relay on 127.0.0.1 in front of the server, as a network between a machine and its database is: once
    :meth:`lose_commit` is called, the answer to the next transaction that sends ``marker`` is lost. The relay
    passes the client's ``COMMIT`` on, and closes both ends the moment the server answers it: the server has
    committed, and the client never learns it (a link that drops at the worst time). :attr:`ended` is set once a
    connection the server closed is closed to its client too, and the client's system has taken that in (its
    acknowledgement came back): what the client reads now holds the server's last words and their end. (Gone from
    pg_stat_activity, a server process may not have closed its connection yet; and a close, even on 127.0.0.1, is
    not at the other end the moment it is made.)"""

    def __init__(self, port: int) -> None:
        self.port_to = port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._marker: bytes | None = None
        self.lost = threading.Event()  # an answer was lost
        self._sockets: list[socket.socket] = []
        self._pumps: list[threading.Thread] = []
        self._closed = False
        self.ended = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, name="relay", daemon=True)
        self._acceptor.start()

    def url(self, url: str) -> str:
        """``url`` (one of the server's) through the relay."""
        return url.replace(f"@127.0.0.1:{self.port_to}/", f"@127.0.0.1:{self.port}/")

    def lose_commit(self, marker: bytes) -> None:
        with self._lock:
            self._marker = marker

    def close(self) -> None:
        """Stop relaying, and only then let go of the descriptors: a thread still in accept() or recv() on one
        closed under it (Linux wakes neither) would go on with whatever socket takes its number next (a later
        test's stand-in, whose connections it took)."""
        with self._lock:
            self._closed = True
            sockets, self._sockets = self._sockets, []
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # (wakes the accept: EINVAL)
        self._acceptor.join()
        self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for pump in self._pumps:
            pump.join()
        for sock in sockets:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # (closed)
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.port_to))
            except OSError:  # (the server is gone: so is this connection)
                client.close()
                continue
            stage = [0]  # of this connection: 1 once the marked statement went by, 2 once its COMMIT did
            pumps = [threading.Thread(target=self._pump, args=(client, server, stage, True), daemon=True),
                     threading.Thread(target=self._pump, args=(server, client, stage, False), daemon=True)]
            with self._lock:
                if self._closed:  # (accepted as the relay was closed: closed with it, not left for the collector)
                    client.close()
                    server.close()
                    return
                self._sockets += [client, server]
                self._pumps += pumps
                for pump in pumps:
                    pump.start()

    def _pump(self, source: socket.socket, sink: socket.socket, stage: list[int], from_client: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                with self._lock:
                    if from_client and stage[0] == 0 and self._marker is not None and self._marker in data:
                        stage[0], self._marker = 1, None
                    elif from_client and stage[0] == 1 and b"COMMIT" in data:
                        stage[0] = 2  # (before it is passed on: its answer cannot come back first)
                    elif not from_client and stage[0] == 2:
                        self.lost.set()  # (before the client can see it)
                        for end in (source, sink):
                            end.shutdown(socket.SHUT_RDWR)
                        return
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
            if not from_client:
                deadline = time.monotonic() + 10
                while _tcp_state(sink) == _FIN_WAIT1 and time.monotonic() < deadline:
                    time.sleep(0.001)
                self.ended.set()


_FIN_WAIT1 = 4  # (Linux's tcp_states.h: a close sent, not yet acknowledged)


def _tcp_state(sock: socket.socket) -> int:
    """The state of ``sock``'s TCP connection, as Linux keeps it (the first byte of its TCP_INFO)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


class Bouncer:
    """PgBouncer (Debian's ``pgbouncer``) in front of the server, pooling in transaction mode, as a fleet's
    database often sits behind one: each transaction of a client may run on another of its server connections.
    Started in a temporary folder (as the ``postgres`` user when root: it refuses to run as root); :meth:`url`
    of a database reaches it through the pooler; :meth:`stop` ends it."""

    def __init__(self, server: Postgres, database: str) -> None:
        self.server = server
        self.database = database
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="imgur-dl-pgbouncer-"))
        (self.root / "users.txt").write_text(f'"{USER}" "{server.password}"\n')
        (self.root / "pgbouncer.ini").write_text(
            f"[databases]\n{database} = host=127.0.0.1 port={server.port} dbname={database}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = plain\nauth_file = {self.root / 'users.txt'}\npool_mode = transaction\n"
            f"logfile = {self.root / 'log'}\npidfile = {self.root / 'pid'}\n")
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            for place in (self.root, *self.root.iterdir()):
                shutil.chown(place, USER, USER)
        program = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        argv = [program, "-d", str(self.root / "pgbouncer.ini")]
        subprocess.run(["runuser", "-u", USER, "--", *argv] if self._as_postgres else argv, check=True,
                       capture_output=True, timeout=30)
        pause = threading.Event()
        for _ in range(500):  # (it listens a moment after -d returns: 10 s at the most)
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            pause.wait(0.02)
        raise RuntimeError(f"pgbouncer did not listen: {(self.root / 'log').read_text(errors='replace')[-500:]}")

    def url(self) -> str:
        return f"postgresql://{USER}:{self.server.password}@127.0.0.1:{self.port}/{self.database}"

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((self.root / "pid").read_text()), signal.SIGTERM)
        shutil.rmtree(self.root, ignore_errors=True)
