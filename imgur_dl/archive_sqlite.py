"""The download archive in an SQLite file: imgur-dl's embedded default.

Several imgur-dl processes on one machine may share one file: SQLite
serialises the writers (WAL journal, a generous busy timeout), every write is
one short transaction, and a claim (``--share-work``) is one ``INSERT … ON
CONFLICT DO UPDATE … WHERE`` per id inside one ``BEGIN IMMEDIATE``, so two
processes can never both take an item. Leases are on this machine's clock.

A WAL journal keeps its index in a file mapped shared, which some file
systems cannot do (network shares, WSL's ``/mnt/c``, exFAT under FUSE: there
SQLite answers "disk I/O error"). In a folder where a file cannot be mapped
shared, the archive keeps a rollback journal instead (an archive switched to
WAL elsewhere is switched back, under the one lock that needs no shared
memory); every process that opens it there decides alike.

A run writes to it, and is refused at once where this user cannot write the
file (another user's, or on a read-only disk). ``-g`` and ``--fleet`` only
read it: as any process does where the file is this user's (kept from
writing, ``query_only``), else for reading alone, and never where SQLite would
make, beside another user's file, journal files its owner could not write.
"""

from __future__ import annotations

import mmap
import os
import shlex
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from imgur_dl import sqlitesaid
from imgur_dl.archive import Fleet, Holder, Item, Record, Release, foreign, kept_path, kept_text
from imgur_dl.archive_place import DEFAULT_TABLE, table_name
from imgur_dl.dates import iso
from imgur_dl.errors import ArchiveUnavailable, UsageError
from imgur_dl.infolder import NO_FSYNC, hold, let_go
from imgur_dl.leftovers import probe_name
from imgur_dl.models import Entry

# Columns added since the first release, each migrated in place: (name, type).
_ADDED = (("source", "TEXT"), ("sha256", "TEXT"))
BUSY_TIMEOUT = 60.0  # seconds another process may hold the write lock
_SQLITE_CORRUPT = 11  # (sqlite3.SQLITE_CORRUPT from Python 3.11)
# Ids per query: well under SQLite's limit of bound parameters (999 in old builds).
BATCH = 500
ROWS = 100  # records per INSERT: seven values each, under the same limit
FOREVER = 1e18  # a done claim's "expires"
_TEXT = "utf-8"  # what SQLite keeps text in (a lone surrogate, from bytes that are no text, it cannot)


def _schema(table: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS "{table}" (
            id    TEXT NOT NULL,
            kind  TEXT NOT NULL,           -- 'image', 'album' or 'listing' (read to its end)
            album TEXT,                    -- the album an image was saved from
            path  TEXT,                    -- where it was saved
            added TEXT NOT NULL,           -- UTC, ISO 8601
            source TEXT,                   -- 'imgur' or 'wayback' (where the bytes came from)
            sha256 TEXT,                   -- of the saved file (images)
            PRIMARY KEY (kind, id))""",
        f"""CREATE TABLE IF NOT EXISTS "{table}_claims" (
            kind    TEXT NOT NULL,
            id      TEXT NOT NULL,
            owner   TEXT NOT NULL,         -- host:pid:nonce of the process that has it (or had it)
            state   TEXT NOT NULL,         -- 'claimed', 'done' or 'failed'
            reason  TEXT,                  -- why it failed
            expires REAL NOT NULL,         -- unix time: the lease's (claimed) or the hold's (failed) end
            updated REAL NOT NULL,
            PRIMARY KEY (kind, id))""",
    ]


def _damaged(exc: sqlite3.Error | UnicodeDecodeError) -> bool:
    """Whether SQLite found the file damaged (SQLITE_CORRUPT, its extended codes too: a page overwritten, a disk
    that lost what it was told was written, a schema it cannot read)."""
    if sqlitesaid.schema_unreadable(exc):
        return True
    code = getattr(exc, "sqlite_errorcode", None)  # (Python 3.11 and later; before, SQLite's own words for it)
    return code & 0xFF == _SQLITE_CORRUPT if code is not None else str(exc) == "database disk image is malformed"


def _said(exc: sqlite3.Error | UnicodeDecodeError, path: Path) -> str:
    """SQLite's words for ``exc``; for a damaged file, with what to do."""
    if not _damaged(exc):
        return sqlitesaid.words(exc)
    # (A journal left by a process that was killed goes with it: one left behind would be read into the new file.)
    return (f"{sqlitesaid.words(exc)}: the file is damaged; move it aside, with its -wal or -journal file if one is "
            "left, and a run makes a new one (the files saved where they are named are found whole, and recorded "
            f"there, not fetched again): mv {shlex.quote(str(path))} {shlex.quote(str(path) + '.damaged')}")


def _fleet(db: sqlite3.Connection, t: str, most: int) -> Fleet:
    """What the claims of the archive ``t`` say, and its counts (:class:`Fleet`); the newest ``most`` failures."""
    now = time.time()
    fleet = Fleet(most)
    counts = dict(db.execute(f"SELECT kind, count(*) FROM \"{t}\" GROUP BY kind").fetchall())
    fleet.images, fleet.albums = counts.get("image", 0), counts.get("album", 0)
    for owner, working, lapsed, done, failed, seen in db.execute(
            f"SELECT owner, sum(state = 'claimed' AND expires > ?), sum(state = 'claimed' AND expires <= ?),"
            f" sum(state = 'done'), sum(state = 'failed'), max(updated) FROM \"{t}_claims\" "
            "GROUP BY owner ORDER BY 6 DESC, owner", (now, now)):
        fleet.process(owner, working=working, lapsed=lapsed, done=done, failed=failed, last_seen=iso(seen))
    for kind, item, owner, reason, updated, expires in db.execute(
            f"SELECT kind, id, owner, reason, updated, expires FROM \"{t}_claims\" WHERE state = 'failed' "
            "ORDER BY updated DESC LIMIT ?", (most,)):
        fleet.failure(kind, item, by=owner, reason=reason, at=iso(updated), retry_from=iso(expires))
    return fleet


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _in(db: sqlite3.Connection, kind: Entry, ids: Sequence[str], query: str, *first: object
        ) -> Iterator[tuple[object, ...]]:
    """Rows of ``query`` (with ``{marks}`` for the ids; ``first``, the values of any ``?`` before its kind's), a
    batch of ids at a time."""
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        yield from db.execute(query.format(marks=",".join("?" * len(batch))), (*first, kind.value, *batch))


class SqliteStore:
    def __init__(self, path: Path, table: str = DEFAULT_TABLE, *, writes: bool = True) -> None:
        self.path = path
        self.location = str(path)
        self.table = table_name(table)
        self._lock = threading.Lock()
        owned = writes or _owned(path)  # (opened as a run opens it; else for reading alone)
        # (SQLite says "unable to open database file" or "attempt to write a readonly database" of each)
        refused = _unwritable(path) if writes else None if owned else _unreadable(path)
        if (unfit := unfit_place(path) or refused) is not None:
            raise UsageError(f"cannot use {path} as a download archive: {unfit}")
        try:
            # (Asked from the threads that read listings and look albums up, written by the archive's
            # writer, renewed by the lease's: one connection, one lock.)
            self._db = _connected(path, owned=owned)
        except sqlitesaid.ERRORS as exc:
            raise UsageError(f"cannot use {path} as a download archive: {_said(exc, path)}") from None
        try:
            why = _prepared(self._db, self.table, path.parent) if writes else \
                _looked_at(self._db, self.table, path.parent if owned else None)
        except sqlitesaid.ERRORS as exc:
            why = _said(exc, path)
        if why is not None:
            self._db.close()
            raise UsageError(f"cannot use {path} as a download archive: {why}")

    @contextmanager
    def _use(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; a write is one ``BEGIN IMMEDIATE`` transaction."""
        with self._lock:
            try:
                if write:
                    self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                finally:
                    if self._db.in_transaction:
                        self._db.execute("COMMIT" if write else "ROLLBACK")
            except sqlitesaid.ERRORS as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise ArchiveUnavailable(_said(exc, self.path), trouble="cannot be used",  # (a file: nothing to reach)
                                         lasting=_damaged(exc)) from None

    def has_many(self, kind: Entry, ids: Sequence[str]) -> set[str]:
        # The ids found come back in one row a query, not in a row each (:func:`_joined`).
        found: set[str] = set()
        with self._use() as db:
            for (joined,) in _in(db, kind, ids, f"SELECT {_JOINED} FROM \"{self.table}\" "
                                                "WHERE kind = ? AND id IN ({marks}) AND instr(id, ' ') = 0"):
                found.update(_joined(joined))
        return found

    def last(self, kind: Entry, low: str, high: str) -> str | None:
        with self._use() as db:  # (a range of the key's index: text compared byte by byte here)
            row = db.execute(f"SELECT max(id) FROM \"{self.table}\" WHERE kind = ? AND id >= ? AND id < ?",
                             (kind.value, low, high)).fetchone()
        return str(row[0]) if row is not None and row[0] is not None else None

    def write(self, items: Sequence[Item]) -> None:
        now = time.time()
        t = self.table
        records = [(r.id, r.kind.value, r.album, kept_path(r.path, _TEXT), Record.now(), r.source.value, r.sha256)
                   for r in items if isinstance(r, Record)]
        with self._use(write=True) as db:
            # Many records a statement, not one each: each statement lets go of the interpreter's lock and
            # waits to take it back, up to 5 ms while the workers are busy, and the write lock every other
            # process waits on is held meanwhile (1,000 records took seconds, one statement each).
            for start in range(0, len(records), ROWS):
                rows = records[start:start + ROWS]
                db.execute(f"INSERT OR IGNORE INTO \"{t}\" (id, kind, album, path, added, source, sha256) VALUES "
                           + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows)), [v for row in rows for v in row])
            for item in items:
                if isinstance(item, Record):
                    continue
                if isinstance(item, Release):  # (in the order added: after the claims settled before it)
                    db.execute(f"UPDATE \"{t}_claims\" SET state = 'failed', reason = ?, expires = ?, updated = ? "
                               "WHERE owner = ? AND state = 'claimed'",
                               (kept_text(item.reason, _TEXT), now, now, item.owner))
                elif item.reason is None:  # done, whoever holds it now: the work is done
                    db.execute(f"UPDATE \"{t}_claims\" SET state = 'done', owner = ?, reason = NULL, expires = ?, "
                               "updated = ? WHERE kind = ? AND id = ?",
                               (item.owner, FOREVER, now, item.kind.value, item.id))
                else:
                    db.execute(f"UPDATE \"{t}_claims\" SET state = 'failed', reason = ?, expires = ?, updated = ? "
                               "WHERE kind = ? AND id = ? AND owner = ? AND state = 'claimed'",
                               (kept_text(item.reason, _TEXT), now + item.hold, now, item.kind.value, item.id,
                                item.owner))

    def saved(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None, str | None]]:
        with self._use() as db:
            return {str(row[0]): (str(row[1]), _text(row[2]), _text(row[3])) for row in _in(
                db, Entry.IMAGE, ids, f"SELECT id, path, source, sha256 FROM \"{self.table}\" WHERE kind = ? AND id "
                "IN ({marks}) AND path IS NOT NULL")}

    def copies(self, sha256: str, skip: int, most: int) -> list[tuple[str, str]]:
        with self._use() as db:
            return [(row[0], row[1]) for row in db.execute(
                f"SELECT id, path FROM \"{self.table}\" WHERE kind = 'image' AND sha256 = ? AND path IS NOT NULL "
                "ORDER BY added, rowid LIMIT ? OFFSET ?", (sha256, most, skip))]

    # -- claims (--share-work) ---------------------------------------------------------

    def claim(self, kind: Entry, ids: Sequence[str], owner: str, lease: float) -> set[str]:
        now = time.time()
        wanted = sorted(set(ids))
        taken: set[str] = set()
        with self._use(write=True) as db:
            # (Many ids a statement, and those taken read back joined in one row: a statement or a row each
            # lets go of the interpreter's lock and waits to take it back, with the write lock held.)
            for start in range(0, len(wanted), ROWS):
                part = wanted[start:start + ROWS]
                db.execute(
                    f"INSERT INTO \"{self.table}_claims\" AS c (kind, id, owner, state, expires, updated) VALUES "
                    + ", ".join(["(?, ?, ?, 'claimed', ?, ?)"] * len(part))
                    + " ON CONFLICT (kind, id) DO UPDATE SET owner = excluded.owner, state = 'claimed', "
                    "reason = NULL, expires = excluded.expires, updated = excluded.updated "
                    "WHERE c.state <> 'done' AND (c.expires <= ? OR (c.owner = excluded.owner "
                    "AND c.state = 'claimed'))",
                    [*(v for item in part for v in (kind.value, item, owner, now + lease, now)), now])
                # What this statement took is what holds this owner's claim stamped with this moment.
                (joined,) = db.execute(
                    f"SELECT {_JOINED} FROM \"{self.table}_claims\" WHERE kind = ? AND owner = ? AND state = 'claimed' "
                    f"AND updated = ? AND id IN ({','.join('?' * len(part))}) AND instr(id, ' ') = 0",
                    (kind.value, owner, now, *part)).fetchone()
                taken.update(_joined(joined))
        return taken

    def holders(self, kind: Entry, ids: Sequence[str]) -> dict[str, Holder]:
        now = time.time()
        with self._use() as db:
            # (Whether a claim has run out, as claim() decides it: in SQL, whatever a person wrote into the row.)
            rows = _in(db, kind, ids, f"SELECT id, state, owner, reason, expires <= ? FROM \"{self.table}_claims\" "
                                  "WHERE kind = ? AND id IN ({marks})", now)
            return {str(r[0]): Holder(str(r[1]), str(r[2]), None if r[3] is None else str(r[3]), bool(r[4]))
                    for r in rows}

    def renew(self, owner: str, lease: float) -> None:
        now = time.time()
        with self._use(write=True) as db:
            db.execute(f"UPDATE \"{self.table}_claims\" SET expires = ?, updated = ? WHERE owner = ? "
                       "AND state = 'claimed'", (now + lease, now, owner))

    def fleet(self, most: int) -> Fleet:
        with self._use() as db:
            return _fleet(db, self.table, most)

    def close(self) -> None:
        with self._lock:
            self._db.close()


# The ids a query found, joined by spaces into one row (read back with :func:`_joined`).
_JOINED = "group_concat(id, ' ')"


def _joined(value: object) -> list[str]:
    """The ids of a :data:`_JOINED` column (None: none found).

    One row a query, not one an id: fetching a row lets go of the interpreter's lock and waits to take it
    back, and while another thread is busy (decoding an answer, downloading) that wait is up to 5 ms a row.
    The queries join no id with a space in it (none that Imgur gives: ``instr(id, ' ') = 0``), so each
    piece is a whole id asked for; asked for, such an id is not found.
    """
    return str(value).split(" ") if value is not None else []


def _unwritable(path: Path) -> str | None:
    """Why a run cannot record in the archive file at ``path`` (this user may not write it, or its disk is
    read-only), asked before anything is fetched; None when it can, or when it is not there yet. (Asked of the
    system, not by opening the file: a descriptor of it closed would let go of every lock SQLite holds on it in
    this process, another store's of the same file among them.)"""
    if not os.path.exists(path) or os.access(path, os.W_OK):  # noqa: PTH110
        return None  # (not there: SQLite makes it, or says why not)
    if _read_only_disk(path.parent):
        return "its disk is read-only, and a run records there what it saves (-g and --fleet read it)"
    return "this user cannot write it, and a run records there what it saves"


def _unreadable(path: Path) -> str | None:
    """Why the archive file at ``path``, which this user may not write (not :func:`_owned`), cannot be read for -g
    or --fleet, None when it can. Read by a user who cannot write it, an archive in WAL mode would have SQLite make
    files beside it (its ``-wal`` and ``-shm``) that its owner's runs could then not write: from then on, none would
    record anything. (On a read-only disk, no file can be made: it is read as a file that cannot change.)"""
    if not os.path.isfile(path) or _read_only_disk(path.parent):  # noqa: PTH113
        return None
    try:
        with path.open("rb") as file:
            wal = file.read(20)[18:20] == b"\x02\x02"  # (the header's "file format" bytes: 2 for WAL)
    except OSError:
        return None  # (SQLite says why)
    if not wal:
        return None
    return ("this user cannot write it, and reading it would leave files beside it that its owner could not write "
            "(SQLite's for its WAL journal): read it as its owner, or read a copy")


def _read_only_disk(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _owned(path: Path) -> bool:
    """Whether this user may write the archive file at ``path`` (on a disk that is not read-only)."""
    return os.access(path, os.W_OK) and not _read_only_disk(path.parent)


def _connected(path: Path, *, owned: bool) -> sqlite3.Connection:
    """A connection to the archive file at ``path``. One that only reads (-g, --fleet) is opened as any other where
    this user may write the file (``owned``), so that it takes its WAL journal's files away as it closes
    (:func:`_looked_at` then keeps it from writing); else for reading alone. On a read-only disk (a snapshot, a
    backup), where no journal file can be made, as a file that cannot change (SQLite's "immutable"), unless a WAL
    journal holding records is there whole (a snapshot of an archive in use), which SQLite then reads as it is."""
    if owned:
        return sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
    frozen = _read_only_disk(path.parent) and not (_size(f"{path}-wal") and _size(f"{path}-shm"))
    uri = f"file:{quote(os.fsencode(os.path.abspath(path)))}?mode=ro"  # noqa: PTH100
    return sqlite3.connect(uri + ("&immutable=1" if frozen else ""), uri=True, timeout=BUSY_TIMEOUT,
                           isolation_level=None, check_same_thread=False)


def _size(name: str) -> int:
    """The size of the file ``name`` (0 where there is none)."""
    try:
        return os.stat(name).st_size  # noqa: PTH116
    except OSError:
        return 0


def unfit_place(path: Path) -> str | None:
    """Why no archive file can be at ``path``, where that is plain to see (a folder there, or none to hold it);
    None otherwise. (No folder is made for it: a path mistyped in a nightly job would start an empty archive.)"""
    mode = _mode(path)
    if mode is not None and stat.S_ISDIR(mode):
        return "it is a folder (give the archive's file)"
    if mode is not None and not stat.S_ISREG(mode):
        return "it is no file but a device, a FIFO or a socket (give the archive's file)"
    folder = path.parent
    if (there := _mode(folder)) is None or not stat.S_ISDIR(there):
        return f"{folder} is not a folder" if there is not None else f"there is no folder {folder}"
    return None


def _mode(path: Path) -> int | None:
    """The mode of what stands at ``path`` (through a symlink, as SQLite opens it); None where nothing does, or the
    path is none the system takes (longer than it takes, a NUL): SQLite then says it cannot open it. (One look,
    not os.path's one a question.)"""
    try:
        return path.stat().st_mode
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Offered:
    """What the file system of the archive's folder offers SQLite."""

    maps_shared: bool  # a file mapped shared, as the WAL journal's index needs (not on network shares, WSL's /mnt/c)
    flushes: bool  # fsync, as each commit asks (not on VirtualBox's shared folders: EINVAL)


def offered(folder: Path) -> Offered:
    """What a file in ``folder`` can be asked for (a file made to find out: one of no name where the file system
    makes such, else one named and held as a run's own left files are, removed once asked); all of it when no file
    can be made there: opening the archive will say why."""
    try:
        fd, name = _probe(folder)
    except OSError:
        return Offered(maps_shared=True, flushes=True)
    try:
        return Offered(maps_shared=_maps_shared(fd), flushes=_flushes(fd))
    finally:
        let_go(fd)
        if name is not None:
            with suppress(OSError):
                name.unlink()


def _probe(folder: Path) -> tuple[int, Path | None]:
    """A file in ``folder`` to ask things of, and its name: none where the file system makes a file of no name
    (Linux's O_TMPFILE: nothing is left, whenever the run is killed); else one a run killed meanwhile leaves for the
    next run writing there to remove (:func:`imgur_dl.leftovers.sweep`)."""
    with suppress(OSError, AttributeError):  # (not on every file system, nor outside Linux)
        return os.open(folder, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600), None
    name = folder / probe_name()
    fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    hold(fd)
    return fd, name


def _maps_shared(fd: int) -> bool:
    try:
        os.ftruncate(fd, mmap.PAGESIZE)
        with mmap.mmap(fd, mmap.PAGESIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE):
            return True
    except (OSError, ValueError):  # (ENODEV; EINVAL where the size cannot even be set, as on WSL's 9p)
        return False


def _flushes(fd: int) -> bool:
    try:
        os.fsync(fd)
    except OSError as exc:
        return exc.errno not in NO_FSYNC  # (another failure is not the file system's way: SQLite will say it)
    return True


def _prepared(db: sqlite3.Connection, table: str, folder: Path) -> str | None:
    """:func:`_prepare` as what the file system of ``folder`` offers wants it."""
    place = offered(folder)
    if not place.flushes:  # (SQLite asks for none then: the file system can keep nothing surer)
        db.execute("PRAGMA synchronous=OFF")
    return _prepare(db, table, wal=place.maps_shared)


def _looked_at(db: sqlite3.Connection, table: str, folder: Path | None) -> str | None:
    """Why the file's tables are another program's, None when they may be read, writing no record (-g, --fleet).
    A table missing (a file no run has recorded in yet) is read as empty: made for this connection alone.
    ``folder``: where the file is, when this user may write it: a WAL journal is switched back there where a file
    cannot be mapped shared, as a run switches it (see above), or SQLite could not read it ("disk I/O error")."""
    if folder is not None and not offered(folder).maps_shared:
        why = _prepare(db, table, wal=False, make=False)
    else:
        why = foreign(table, lambda name: _columns(db, name))
    if why is not None:
        return why
    for name, statement in zip((table, f"{table}_claims"), _schema(table), strict=True):
        if not _columns(db, name):  # (the claims of an archive an earlier release made, before --share-work)
            db.execute(statement.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE", 1))
    db.execute("PRAGMA query_only=ON")  # (nothing written through it from here on)
    return None


def _prepare(db: sqlite3.Connection, table: str, *, wal: bool, make: bool = True) -> str | None:
    """Switch to WAL (``wal``; else to a rollback journal) and make the tables (unless not ``make``), waiting while
    another process does the same; or, changing nothing, why the file's tables are another program's
    (:func:`imgur_dl.archive.foreign`).

    Changing the journal mode answers "database is locked" at once rather
    than waiting out the busy timeout, so two imgur-dl processes starting
    on a new archive together need this loop.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while not (tried := _try_prepare(db, table, wal, make))[0]:
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("database is locked")
        time.sleep(0.05)
    return tried[1]


def _try_prepare(db: sqlite3.Connection, t: str, wal: bool, make: bool) -> tuple[bool, str | None]:
    """(False, None) while another process holds the file; (True, why) when its tables are another program's;
    (True, None) once ready (``make``: its tables made too)."""
    try:
        if not wal:
            # Exclusive locking reads a WAL archive without the shared index (sqlite.org/wal.html, "Use of WAL
            # without shared-memory"), so one made elsewhere can be switched back; released at the next read.
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
        if (why := foreign(t, lambda name: _columns(db, name))) is not None:
            return True, why
        if wal:
            db.execute("PRAGMA journal_mode=WAL")
        else:
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA locking_mode=NORMAL")
        if not make:
            return True, None
        for statement in _schema(t):
            db.execute(statement)
        columns = _columns(db, t)
        for name, kind in _ADDED:  # an archive from an earlier release
            if name not in columns:
                db.execute(f"ALTER TABLE \"{t}\" ADD COLUMN {name} {kind}")
        db.execute(f"CREATE INDEX IF NOT EXISTS \"{t}_sha256\" ON \"{t}\" (sha256)")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False, None
    return True, None


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    """``table``'s columns, in order (none: there is no such table)."""
    return [str(row[1]) for row in db.execute(f"PRAGMA table_info(\"{table}\")")]

