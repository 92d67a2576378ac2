"""``--download-archive``: a record of every finished image and album, shared by runs, processes and machines.

An id found there is not downloaded again, whatever the output folder. A
run knows only :class:`Archive`: lookups go straight to the backend, while
records are written by a thread of their own, a batch per transaction, so
the collector never waits on a disk or a network. When the backend cannot
be reached, records wait in memory and are written once it is back; what
never could be is said, and the next run records it (its files are there).
:func:`open_archive` picks the backend from the location the user gave: an
SQLite file (:mod:`imgur_dl.archive_sqlite`) or a PostgreSQL URL
(:mod:`imgur_dl.archive_postgres`).

The same backends keep the claims of ``--share-work`` (:mod:`imgur_dl.share`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol, TypeGuard, TypeVar

from imgur_dl import threads
from imgur_dl.archive_place import DEFAULT_TABLE, is_postgres
from imgur_dl.clock import Clock
from imgur_dl.errors import ArchiveUnavailable, Cancelled
from imgur_dl.models import Entry, Origin
from imgur_dl.text import Once, counted, escaped, joined, printable

__all__ = ["Archive", "Entry", "Fleet", "Holder", "Item", "Record", "Release", "Settle", "Store", "open_archive",
           "open_store"]

# Records written per transaction, at the most.
BATCH = 1000
# Records kept in memory while the backend is away; past this, files are still saved, and
# the next run records them (as files already present).
MOST_PENDING = 200_000
# How long closing waits for the backend to take the last records (after Ctrl-C: a moment).
CLOSE_WAIT = 30.0
CLOSE_WAIT_INTERRUPTED = 2.0
CLOSE_SLICE = 0.1  # how often closing looks whether it should wait less (a signal came)
SLOW = 2.0  # closing has waited this long for a backend that has not answered: said
# After a write, records gather this long before the next (unless a batch is full, the run is closing,
# someone waits for them, or a claim is settled, which other processes may be waiting for): a transaction,
# and its sync to disk, a second rather than one every few files.
GATHER = 1.0
MOST_LISTED = 1000  # the processes and the failures --fleet lists, of each the newest (all are counted)
# Why a claim whose files were saved where their names could not be made to last is given back, not done.
UNSURE = "its files were saved, but their folder could not be flushed to its disk"
COPIES = 32  # earlier copies of a picture asked for at once (--dedupe): the first that is whole serves
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Record:
    """One finished image or album."""

    kind: Entry
    id: str
    album: str | None = None  # the album an image was saved from
    path: str | None = None  # where it was saved
    source: Origin = Origin.IMGUR
    sha256: str | None = None  # of the saved file

    @staticmethod
    def now() -> str:
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def kept_path(path: str | None, encoding: str) -> str | None:
    """``path`` as an archive whose text is in ``encoding`` keeps it: as it is, or None where it cannot hold it (a
    folder's name of bytes that are no text here, ``-o $'\\xff'``; a title in Japanese, in a LATIN1 database). Such
    a file is recorded all the same; only --dedupe cannot find it again."""
    if path is None:
        return None
    try:
        path.encode(encoding)
    except UnicodeEncodeError:
        return None
    return path


def kept_text(text: str | None, encoding: str) -> str | None:
    """Text said of an item (why it failed: the server's own words among it) as an archive whose text is in
    ``encoding`` keeps it: a control character (a NUL, which PostgreSQL's text cannot hold; a terminal's escape, for
    whoever reads the table) and what the encoding cannot hold written as backslash escapes."""
    return None if text is None else escaped(printable(text), encoding)


@dataclass(frozen=True, slots=True)
class Settle:
    """A claimed post or album, finished (``reason`` None), or given back with why (``--share-work``)."""

    kind: Entry
    id: str
    owner: str
    reason: str | None = None
    hold: float = 0.0  # given back: seconds before any process may take it again


@dataclass(frozen=True, slots=True)
class Release:
    """Every claim ``owner`` still holds, given back with why: the process ends before its work does
    (``--share-work``)."""

    owner: str
    reason: str


@dataclass(frozen=True, slots=True)
class After:
    """What to do once every record added before it is written (for ``key``, an album or lone image: not where one
    of its records was left unrecorded; None: for no one of them)."""

    key: str | None
    then: Callable[[], None]


Item = Record | Settle | Release  # what the writer writes, in the order it was added
_Queued = Item | After  # ... or does


@dataclass(frozen=True, slots=True)
class Holder:
    """Who has a claimed item, and whether another process may take it now."""

    state: str  # "claimed", "done" or "failed"
    owner: str
    reason: str | None
    open: bool  # its lease has run out (claimed), or its hold has (failed)


@dataclass
class Fleet:
    """Everything the claims say: per process (those last heard from first), and the failures with why (newest
    first); of each, the newest ``most`` listed, and all counted."""

    most: int
    images: int = 0
    albums: int = 0
    working: int = 0
    lapsed: int = 0
    done: int = 0
    failed: int = 0
    heard: int = 0  # processes in all
    processes: list[dict[str, object]] = field(default_factory=list)
    failures: list[dict[str, object]] = field(default_factory=list)

    def process(self, owner: str, *, working: int, lapsed: int, done: int, failed: int, last_seen: str) -> None:
        """One process's claims: under way, run out, done, failed; and when it was last heard from (given those last
        heard from first)."""
        self.heard += 1
        self.working, self.lapsed = self.working + working, self.lapsed + lapsed
        self.done, self.failed = self.done + done, self.failed + failed
        if len(self.processes) < self.most:
            self.processes.append({"owner": owner, "working": working, "lapsed": lapsed, "done": done,
                                   "failed": failed, "last_seen": last_seen})

    def failure(self, kind: str, item: str, *, by: str, reason: str | None, at: str, retry_from: str) -> None:
        """One failed item: who failed it, why, when, and from when it may be tried again (given newest first)."""
        self.failures.append({"kind": kind, "id": item, "by": by, "reason": reason, "at": at,
                              "retry_from": retry_from})

    def as_json(self) -> dict[str, object]:
        """What ``--fleet`` prints."""
        return {"archive": {"images": self.images, "albums": self.albums},
                "claims": {"working": self.working, "lapsed": self.lapsed, "done": self.done, "failed": self.failed},
                "processes_in_all": self.heard, "processes": self.processes, "failures": self.failures}


class Store(Protocol):
    """What a backend does. Each method is one short transaction; a backend that cannot be
    reached raises :class:`ArchiveUnavailable` (never with a password in its message)."""

    location: str  # as people may see it

    def has_many(self, kind: Entry, ids: Sequence[str]) -> set[str]: ...
    def last(self, kind: Entry, low: str, high: str) -> str | None: ...
    def write(self, items: Sequence[Item]) -> None: ...
    def copies(self, sha256: str, skip: int, most: int) -> list[tuple[str, str]]: ...
    def saved(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None, str | None]]: ...
    def claim(self, kind: Entry, ids: Sequence[str], owner: str, lease: float) -> set[str]: ...
    def holders(self, kind: Entry, ids: Sequence[str]) -> dict[str, Holder]: ...
    def renew(self, owner: str, lease: float) -> None: ...
    def fleet(self, most: int) -> Fleet: ...
    def close(self) -> None: ...


def _as_they_are(paths: list[str]) -> tuple[set[str], str]:
    """The names of what is recorded taken as they are (an archive no download writes through)."""
    return set(), ""


class Archive:
    """A backend, and the thread that writes to it. Safe to call from several threads."""

    def __init__(self, store: Store, *, say: Callable[[str], None], error: Callable[[str], None],
                 clock: Clock | None = None, give_up: Callable[[], bool] = lambda: False,
                 durable: Callable[[list[str]], tuple[set[str], str]] = _as_they_are) -> None:
        self.store = store
        self.error = error  # a problem, said even with --quiet
        self.lost = 0  # (once closed) finished files and albums left unrecorded: the run did not do all it was asked
        self._writes = _Writer(store, say=say, error=error, clock=clock or Clock(), give_up=give_up, durable=durable)

    @property
    def location(self) -> str:
        return self.store.location

    def has_many(self, kind: Entry, ids: Collection[str]) -> set[str]:
        """Which of ``ids`` the archive holds; none while it cannot be reached (said once)."""
        return self._answer(lambda: self.store.has_many(kind, list(dict.fromkeys(ids))), set()) if ids else set()

    def last(self, kind: Entry, low: str, high: str) -> str | None:
        """The greatest id of ``kind`` the archive holds from ``low`` up to ``high`` (not that): a range of its key,
        as the database orders text; the greatest compared byte by byte. None where it has none, or while it cannot
        be reached (said once)."""
        return self._answer(lambda: self.store.last(kind, low, high), None)

    def saved(self, ids: Collection[str]) -> dict[str, tuple[str, str | None, str | None]]:
        """Where each of the images ``ids`` the archive has was saved, where its bytes came from and their SHA-256
        (path, source, sha256), for those saved with a path; none while it cannot be reached (said once)."""
        return self._answer(lambda: self.store.saved(list(dict.fromkeys(ids))), {}) if ids else {}

    def _answer(self, ask: Callable[[], _T], nothing: _T) -> _T:
        """``ask()``'s answer from the backend; ``nothing`` while it cannot be reached (said once)."""
        try:
            return ask()
        except ArchiveUnavailable as exc:
            self._writes.unreachable(exc)
            return nothing

    def copies(self, sha256: str) -> Iterator[tuple[str, str]]:
        """(image id, path) of each saved image with this SHA-256, oldest first (this run's included), asked for
        :data:`COPIES` at a time as they are used: a picture reposted thousands of times brings the few its first
        whole copy is found among, not thousands of rows. None more once the run is ending and the backend does
        not answer (the file is no link then, and recorded all the same)."""
        try:
            self._writes.flush()
            skip = 0
            while page := self.store.copies(sha256, skip, COPIES):
                yield from page
                skip += len(page)
        except Cancelled:
            return
        except ArchiveUnavailable as exc:
            self._writes.unreachable(exc)

    def add(self, item: Item) -> None:
        """Record a finished image or album, or settle or release claims: written soon, in order, by the writer."""
        self._writes.add(item)

    def flush(self) -> None:
        """Wait until every record so far is written (or the backend is found away); Cancelled as the run ends."""
        self._writes.flush()

    def then(self, key: str | None, action: Callable[[], None]) -> None:
        """``action()``, from the writer's thread, once every record added so far is written: never where they are
        not, nor where one of ``key``'s (if given), or any for want of room, was left unrecorded, nor once the run is
        over."""
        self._writes.add(After(key, action))

    def close(self, *, interrupted: bool = False, hurry: Callable[[], bool] = lambda: False) -> None:
        """Write what is left (waiting a while for an absent backend: less after an interruption, or once
        ``hurry()`` says one came meanwhile), say what could not be, and close."""
        lost = self._writes.finish(interrupted=interrupted, hurry=hurry)
        del lost[Entry.LISTING]  # (a listing not said read to its end is read to its end again: no file is lost)
        self.lost = lost.total()
        if self.lost:
            self.error(_unrecorded(lost, self.location, lasting=self._writes.lasting))
        self._writes.letting_go.let_go()


class _Writer:
    """The thread that writes what a run records to the backend, in order, a batch at a time: gathered for a moment
    after each write (:data:`GATHER`), at once when someone waits for them; a backend away is tried again, more
    slowly each time, until it is back or the run ends. Before a batch is written, what it records is made to last
    (:class:`_Durable`).
    """

    def __init__(self, store: Store, *, say: Callable[[str], None], error: Callable[[str], None], clock: Clock,
                 give_up: Callable[[], bool], durable: Callable[[list[str]], tuple[set[str], str]]) -> None:
        self.store = store
        self.durable = _Durable(durable, error)
        self.say = say  # a note for people
        self.error = error
        self.clock = clock
        self.give_up = give_up  # the run is ending (a signal came): a wait for the writer ends
        self._pending: deque[_Queued] = deque()
        self._cond = threading.Condition()
        self._closing = False
        self._stop = threading.Event()  # the writer gives up (closing took too long)
        self._acting = threading.Lock()  # held while what is to be done after records are written is done
        self._down = False  # the last write failed: the backend is away
        self.lasting = False  # ... and will say the same asked again (its user refused; its file damaged)
        self._dropped: Counter[Entry] = Counter()  # records past MOST_PENDING, of each kind
        self._flushing = 0  # callers of flush() waiting: no gathering meanwhile
        self._settles = 0  # claims settled waiting to be written (other processes may wait on them): no gathering
        self._written = -GATHER  # when the last write ended (on the clock)
        self._once = Once()
        self.letting_go = _LetGo(store.close)
        self.thread = self.letting_go.thread(self._write_all)
        threads.start(self.thread, failing=store.close)  # (none: nothing written yet, the run ends before it began)

    def add(self, item: _Queued) -> None:
        with self._cond:
            if len(self._pending) >= MOST_PENDING:
                if isinstance(item, Record):  # (a claim not settled runs out: another takes it)
                    self._dropped[item.kind] += 1
                return
            self._pending.append(item)
            settle = isinstance(item, (Settle, Release))  # (other processes may be waiting to hear of it: no gathering)
            self._settles += settle
            if settle or len(self._pending) in (1, BATCH):  # (the writer waits for the first; it gathers up to a batch)
                self._cond.notify_all()

    def flush(self) -> None:
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._pending and not self._down and self.thread.is_alive():
                    self._cond.wait(CLOSE_SLICE)
                    if self.give_up():
                        raise Cancelled("interrupted")
            finally:
                self._flushing -= 1

    def finish(self, *, interrupted: bool, hurry: Callable[[], bool]) -> Counter[Entry]:
        """Write what is left, waiting for the backend as :func:`_wait_for` does; the records that could not be."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if not self.lasting:
            _wait_for(self.thread, lambda: interrupted or hurry(), lambda: self._down,
                      lambda most: self._once.first("waiting") and self.say(_waiting(most, self.store.location)))
        self._stop.set()
        if self._acting.acquire(timeout=CLOSE_SLICE):  # (what it was doing done: nothing is done after the run)
            self._acting.release()
        self.thread.join(CLOSE_SLICE)  # (one in a call to a backend that never answers is left to it: a daemon)
        with self._cond:
            return self._dropped + Counter(item.kind for item in self._pending if isinstance(item, Record))

    def unreachable(self, exc: ArchiveUnavailable) -> None:
        if self._once.first("unreachable"):
            self.error(f"the download archive ({self.store.location}) {exc.trouble} ({exc}); finished "
                       "files are kept and recorded once it can take them")

    def _write_all(self) -> None:
        try:
            self._writing()
        except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback (its records are said lost)
            self.error(f"unexpected {type(exc).__name__} writing to the download archive ({self.store.location}): "
                       f"{printable(exc)} (a bug); nothing more is recorded in this run")

    def _writing(self) -> None:
        wait = 0.5
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                while (left := self._gathering()) > 0:
                    self._cond.wait(left)
                if not self._pending:
                    return
                batch = [self._pending[n] for n in range(min(BATCH, len(self._pending)))]
            batch = self._lasting(batch)
            written = self._write(stored) if (stored := [item for item in batch if not isinstance(item, After)]) \
                else True
            with self._cond:
                self._written = self.clock.now()
                if written:
                    for _ in batch:
                        self._pending.popleft()
                    self._settles -= sum(isinstance(item, (Settle, Release)) for item in batch)
                self._cond.notify_all()
            if written:
                self._act([item for item in batch if isinstance(item, After)])
                wait = 0.5
                continue
            # (No more tries once the run is ending and the backend would say the same again, or closing gave up.)
            if (self._closing and self.lasting) or self.clock.wait(self._stop, wait):
                return
            wait = min(wait * 2, 5.0)

    def _act(self, after: list[After]) -> None:
        """What is to be done now that the records before it are written: not once closing gave up on the writer (the
        run is over), nor where one of its records was left unrecorded, nor once any was dropped (whose, is not
        kept)."""
        for item in after:
            with self._acting:
                if not self._stop.is_set() and item.key not in self.durable.unsure and not self._dropped:
                    item.then()

    def _gathering(self) -> float:
        """How much longer records may gather before the next write (0: write now). Under the condition."""
        if len(self._pending) >= BATCH or self._closing or self._flushing or self._settles:
            return 0.0
        return max(self._written + GATHER - self.clock.now(), 0.0)

    def _lasting(self, batch: list[_Queued]) -> list[_Queued]:
        """``batch``, but for the records whose names could not be made to last (:class:`_Durable`), taken out of
        what is pending (counted unrecorded)."""
        kept, dropped = self.durable.lasting(batch)
        if dropped:
            with self._cond:
                for _ in batch:
                    self._pending.popleft()
                self._pending.extendleft(reversed(kept))
                self._dropped.update(item.kind for item in dropped)
        return kept

    def _write(self, batch: list[Item]) -> bool:
        try:
            self.store.write(batch)
        except Cancelled:  # (the server did not answer as the run ends: written later, or said lost at the close)
            return False
        except ArchiveUnavailable as exc:
            with self._cond:
                self._down, self.lasting = True, exc.lasting
                self._cond.notify_all()
            self.unreachable(exc)
            return False
        if self._down:
            self._down = self.lasting = False
            self._once.forget("unreachable")
            self.say(f"imgur-dl: the download archive ({self.store.location}) is back; recording again")
        return True


class _LetGo:
    """The backend closed once the run lets go of it and its writer has ended: as the run does, or, where the writer
    is in a call the backend has not answered (a server that hangs), by the writer as it ends; a program that goes on
    gets the connection back once the server answers."""

    def __init__(self, close: Callable[[], None]) -> None:
        self._close = close
        self._lock = threading.Lock()
        self._ended = False  # the writer has ended
        self._let_go = False  # the run has let go of the backend

    def thread(self, work: Callable[[], None]) -> threading.Thread:
        """The writer's thread, doing ``work``; once it is done, the writer has ended."""
        def run() -> None:
            try:
                work()
            finally:
                with self._lock:
                    self._ended = True
                    close = self._let_go
                if close:
                    self._close()
        return threading.Thread(target=run, name="imgur-dl-archive", daemon=True)

    def let_go(self) -> None:
        """The run lets go of the backend: closed now, or as its writer ends."""
        with self._lock:
            self._let_go = True
            close = self._ended
        if close:
            self._close()


class _Durable:
    """The names of what a batch records made to last first: ``durable`` (the folders that hold them flushed to
    their disk, :func:`imgur_dl.folders.flush_names`) gives back those it could not, and why. A record, which every
    later run and the whole fleet trust, never outlives in a power cut the name of the file it speaks of: such a
    record is dropped (said once, and counted as unrecorded), and so is its album's (an album's record says all of
    its files are recorded); what they were saved for, if claimed, is not said done to the fleet but given back.
    The next run finds the files in place, and records them then."""

    def __init__(self, durable: Callable[[list[str]], tuple[set[str], str]], error: Callable[[str], None]) -> None:
        self.durable = durable
        self.error = error
        self.unsure: set[str] = set()  # ids of images and albums left unrecorded for want of a flush
        self._once = Once()

    def lasting(self, batch: list[_Queued]) -> tuple[list[_Queued], list[Record]]:
        """What of ``batch`` is to be written (its settles of what was left unrecorded given back, not done), and
        the records dropped from it."""
        unsure, why = self.durable([item.path for item in batch if isinstance(item, Record) and item.path is not None])
        if unsure:
            if self._once.first("durable"):
                self.error(f"{why}; the files saved there are left unrecorded (a power cut could take their names)")
            self.unsure.update(key for item in batch if isinstance(item, Record) and item.path in unsure
                               for key in (item.id, item.album) if key is not None)
        if not self.unsure:
            return batch, []

        def gone(item: _Queued) -> TypeGuard[Record]:
            return isinstance(item, Record) and (item.path in unsure or (item.kind is Entry.ALBUM and
                                                                          item.id in self.unsure))

        kept: list[_Queued] = []
        dropped: list[Record] = []
        for item in batch:
            if gone(item):
                dropped.append(item)
            elif isinstance(item, Settle) and item.reason is None and item.id in self.unsure:
                kept.append(replace(item, reason=UNSURE))
            else:
                kept.append(item)
        return kept, dropped


def _waiting(most: float, location: str) -> str:
    return (f"imgur-dl: waiting up to {most:g}s for the download archive ({location}) to take the last records "
            "(Ctrl-C to stop waiting)")


def _unrecorded(lost: Counter[Entry], location: str, *, lasting: bool) -> str:
    what = joined([counted(lost[kind], f"finished {noun}") for kind, noun in ((Entry.IMAGE, "file"),
                                                                               (Entry.ALBUM, "album")) if lost[kind]])
    them = "it" if lost.total() == 1 else "them"
    when = (f"a later run records {them}, once the archive takes records again (above)" if lasting else
            f"the next run records {them}")
    return f"{what} could not be recorded in the download archive ({location}); {when} (the files are in place)"


def _wait_for(writer: threading.Thread, hurried: Callable[[], bool], down: Callable[[], bool],
              waiting: Callable[[float], object]) -> None:
    """Wait for the archive's ``writer`` to end: :data:`CLOSE_WAIT` at most, :data:`CLOSE_WAIT_INTERRUPTED` once
    ``hurried()``, looking again every :data:`CLOSE_SLICE`; ``waiting(most)`` when the backend is ``down()``, or
    slow to answer (a server that takes connections and says nothing), and the wait is not hurried."""
    started = time.monotonic()
    while writer.is_alive():
        hurry = hurried()
        most = CLOSE_WAIT_INTERRUPTED if hurry else CLOSE_WAIT
        if (left := started + most - time.monotonic()) <= 0:
            return
        writer.join(min(left, CLOSE_SLICE))
        if not hurry and writer.is_alive() and (down() or time.monotonic() - started > SLOW):
            waiting(most)


# The columns of the archive's two tables as imgur-dl first made them, in either backend (later ones are added in
# place): a table already there without them is another program's.
ARCHIVE_COLUMNS = ("kind", "id", "album", "path", "added")
CLAIM_COLUMNS = ("kind", "id", "owner", "state", "reason", "expires", "updated")


def foreign(table: str, columns_of: Callable[[str], Sequence[str]]) -> str | None:
    """Why the archive's tables (``table`` and its claims), as ``columns_of`` finds them (no columns: not there),
    are not imgur-dl's; None when they may be used.

    Asked before anything is made or changed: a file or database another program keeps its own ``archive`` in
    (gallery-dl's download archive is one) is left as it was, and no file is fetched for a run that could not
    record it.
    """
    for name, ours in ((table, ARCHIVE_COLUMNS), (f"{table}_claims", CLAIM_COLUMNS)):
        columns = list(columns_of(name))
        if columns and not set(ours) <= set(columns):
            shown = ", ".join(column[:40] for column in columns[:8]) + (", ..." if len(columns) > 8 else "")
            whose = ", as gallery-dl keeps its download archive" if columns == ["entry"] else ""
            return (f"its table {name} was not made by imgur-dl (its columns: {shown}{whose}): give imgur-dl a file "
                    "or database of its own, or another table with --archive-table")
    return None


def open_store(location: str | Path, table: str = DEFAULT_TABLE, give_up: Callable[[], bool] = lambda: False, *,
               writes: bool = True, claims: bool = False) -> Store:
    """The backend at ``location``: a PostgreSQL database (:func:`is_postgres`), else an SQLite file.

    ``give_up()``: the run is ending (a signal came), and a call its server does not answer is not waited for.
    ``writes``: the run records what it does (not so for -g and --fleet, which a standby serves as well);
    ``claims``: and claims its work (--share-work), or, reading only, reads the claims (--fleet). A store that may
    not do what it is opened for is refused as it opens.
    """
    if is_postgres(location):
        from imgur_dl.archive_postgres import PostgresStore  # noqa: PLC0415 - an optional extra

        return PostgresStore(str(location), table, give_up, writes=writes, claims=claims)
    from imgur_dl.archive_sqlite import SqliteStore  # noqa: PLC0415 - the backend is chosen here

    return SqliteStore(Path(location), table, writes=writes)


def open_archive(location: str | Path, *, table: str = DEFAULT_TABLE, say: Callable[[str], None],
                 error: Callable[[str], None], give_up: Callable[[], bool] = lambda: False,
                 writes: bool = True, claims: bool = False,
                 durable: Callable[[list[str]], tuple[set[str], str]] = _as_they_are) -> Archive:
    """The archive at ``location`` (:func:`open_store`), with its writer (``durable``: see :class:`_Writer`)."""
    return Archive(open_store(location, table, give_up, writes=writes, claims=claims), say=say, error=error,
                   give_up=give_up, durable=durable)
