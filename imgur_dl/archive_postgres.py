"""The download archive on PostgreSQL, shared by processes on many machines (``pip install 'imgur-dl[postgres]'``).

``--download-archive postgresql://user:password@host/db`` (or
``postgres://``, or libpq's keywords and values; anything libpq takes, its ``PG*`` variables and
``~/.pgpass`` filling in what the URL leaves out), through psycopg 3. The
password goes to that server only and is never shown: :func:`imgur_dl.archive_place.redact` hides
it in every message.

The tables are made by the first process that needs them, under a
transaction-level advisory lock, so several starting at once are safe; a
version row in ``<table>_meta`` says which migrations are done. Leases are on
the server's clock (``now()``), so machines whose clocks disagree still agree
on whose claim has run out. A claim is ``INSERT … ON CONFLICT DO UPDATE …
WHERE … RETURNING``, its ids sorted so that two processes claiming the same
page lock its rows in the same order.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from imgur_dl.archive import Fleet, Holder, Item, Record, Release, Settle, foreign, kept_path, kept_text
from imgur_dl.archive_place import DEFAULT_TABLE, SECRET_KEYWORDS, redact, secret_spans, table_name
from imgur_dl.dbwatch import CALL_LIMIT, Cut, Watchdog
from imgur_dl.errors import ArchiveUnavailable, Cancelled, UsageError
from imgur_dl.models import Entry
from imgur_dl.text import decimal, hide_password, is_url, printable, unencoded

if TYPE_CHECKING:
    import psycopg
    import psycopg.sql

# psycopg's own warnings (a statement of a batch that failed: "error ignored terminating <psycopg.Pipeline ...>"),
# which Python prints on standard error as they are where a program sets no logging up: each failure is said once
# by imgur-dl, in its own words. (A program that sets logging up still has them.)
logging.getLogger("psycopg").addHandler(logging.NullHandler())

EXTRA = "pip install 'imgur-dl[postgres]'"
SCHEMA_VERSION = 1
CONNECT_TIMEOUT = 10  # seconds
# A connection that stops answering is found dead within about a minute: TCP keepalives while it waits for an
# answer, and while what was sent is not acknowledged (a network gone, or the server's machine), tcp_user_timeout
# (which would otherwise be the system's retransmissions, a quarter of an hour on Linux).
KEEPALIVES = {"keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10", "keepalives_count": "3",
              "tcp_user_timeout": "60000"}
CLOSE_WAIT = 1.0  # seconds closing waits for a call under way to let go of the connection
WAIT_SLICE = 0.1  # how often a call waiting for the connection looks whether the run is ending

# Each version's statements, in order; a new column is a new version with ADD COLUMN IF NOT EXISTS.
_MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, (
        """CREATE TABLE IF NOT EXISTS {archive} (
            kind   text NOT NULL,          -- 'image', 'album' or 'listing' (read to its end)
            id     text NOT NULL,
            album  text,                   -- the album an image was saved from
            path   text,                   -- where it was saved (on the machine that saved it)
            added  timestamptz NOT NULL DEFAULT now(),
            source text,                   -- 'imgur' or 'wayback'
            sha256 text,                   -- of the saved file (images)
            PRIMARY KEY (kind, id))""",
        "CREATE INDEX IF NOT EXISTS {sha256_index} ON {archive} (sha256) WHERE sha256 IS NOT NULL",
        """CREATE TABLE IF NOT EXISTS {claims} (
            kind    text NOT NULL,
            id      text NOT NULL,
            owner   text NOT NULL,         -- host:pid:nonce of the process that has it (or had it)
            state   text NOT NULL CHECK (state IN ('claimed', 'done', 'failed')),
            reason  text,                  -- why it failed
            expires timestamptz NOT NULL,  -- the lease's end (claimed), the hold's (failed)
            updated timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (kind, id))""",
        "CREATE INDEX IF NOT EXISTS {owner_index} ON {claims} (owner) WHERE state = 'claimed'",
    )),
)

RERUNS = 5  # tries of a transaction the server undid to break a deadlock
# What libpq reads from the environment of what imgur-dl would set otherwise (PGAPPNAME: a fleet naming each machine's
# connections, as psql's would be named).
_VARIABLES = {"connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME",
              "target_session_attrs": "PGTARGETSESSIONATTRS"}
# A store that writes connects only to a server that takes writes: of the hosts an address names (``db1,db2``), the
# one that is primary now; a standby (after a failover, the old primary) is passed over, as is a server set read-only
# (libpq's "target_session_attrs"). One that only reads (-g, --fleet) takes whichever answers first.
WRITABLE = {"target_session_attrs": "read-write"}


def _set_in_environment(keyword: str) -> bool:
    """Whether libpq takes ``keyword`` from a variable of the environment, set (:data:`_VARIABLES`)."""
    variable = _VARIABLES.get(keyword)
    return variable is not None and bool(os.environ.get(variable))


class _Rerun:
    """A transaction to run again (the server undid it to break a deadlock)."""


RERUN = _Rerun()
R = TypeVar("R")


def _secrets(location: str, parsed: Callable[[str], dict[str, Any]]) -> re.Pattern[str] | None:
    """What of ``location``'s passwords a message may repeat: each as given, percent-decoded, and as libpq reads it
    (``parsed``: psycopg's ``conninfo_to_dict``), which may differ from both (a URL's up to its first ``@``, a
    quoted value's without its quotes); the longest first. None: there is none."""
    from urllib.parse import unquote  # noqa: PLC0415

    given = [location[start:end] for start, end in secret_spans(location)]
    with contextlib.suppress(Exception):  # (one libpq cannot read: its message says so, with the text given)
        given += [str(parsed(location).get(keyword) or "") for keyword in SECRET_KEYWORDS]
    found = {*given, *(unquote(text) for text in given)} - {""}
    if not found:
        return None
    # Each where it stands as a word of its own: a password of "l" is no echo in "failed", and hidden there it would
    # garble the message and show by its gaps what the password is.
    return re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(text) for text in sorted(found, key=len, reverse=True))})(?!\w)")


class _Server:
    """The connection to the archive's server: one, made again when it was lost, used under a lock; every
    failure of the server's said in one line, with no password in it."""

    def __init__(self, url: str, give_up: Callable[[], bool] = lambda: False, *, writes: bool = True) -> None:
        import psycopg  # noqa: PLC0415 - the optional extra (the store found it there)
        import psycopg.conninfo  # noqa: PLC0415

        self._pg = psycopg
        self._url = url
        self._writes = writes
        self._secrets = _secrets(url, psycopg.conninfo.conninfo_to_dict)
        self._lock = threading.Lock()
        self._db: psycopg.Connection[Any] | None = None
        self._give_up = give_up
        self._watchdog = Watchdog(give_up)  # (a call the server never answers is cut: see imgur_dl.dbwatch)

    def _connect(self) -> psycopg.Connection[Any]:
        given = self._pg.conninfo.conninfo_to_dict(self._url)
        ours = {"connect_timeout": str(CONNECT_TIMEOUT), "application_name": "imgur-dl", **KEEPALIVES,
                **(WRITABLE if self._writes else {})}
        options = {k: v for k, v in ours.items() if k not in given and not _set_in_environment(k)}
        conninfo = self._pg.conninfo.make_conninfo(self._url, **options)
        db = self._pg.connect(conninfo, autocommit=True)
        # No statement prepared on the server (psycopg prepares one run five times): a pooler in front of it in
        # transaction mode, as PgBouncer before 1.21 is (Debian 12's 1.18), hands each transaction to any of its
        # connections, where "_pg3_0" is missing or already there (psycopg's "Prepared statements"; PgBouncer's FAQ).
        db.prepare_threshold = None
        # Text in the database's own encoding, whatever PGCLIENTENCODING says, so that what it cannot hold is
        # known before it is sent (archive.kept_path); in a SQL_ASCII database, which keeps bytes as they come, in
        # UTF-8 (in its own, psycopg would read every text back as bytes: psycopg#561).
        server = db.info.parameter_status("server_encoding")
        wanted = "UTF8" if server in (None, "SQL_ASCII") else server
        if db.info.parameter_status("client_encoding") != wanted:
            db.execute("SELECT set_config('client_encoding', %s, false)", (wanted,))
        return db

    @contextmanager
    def use(self, *, limit: bool = True) -> Iterator[psycopg.Connection[Any]]:
        """The connection (made again if it was lost), under the lock; any failure of the server's is
        :class:`ArchiveUnavailable`, and the connection is dropped so that the next call reconnects. A call cut
        because the run is ending (a signal came while the server did not answer) is :class:`Cancelled`.
        ``limit``: a call unanswered for :data:`CALL_LIMIT` is cut (False for one that may rightly take long)."""
        self._acquire()
        cut = None
        unsent = False
        try:
            if self._db is None or self._db.closed or self._db.broken or self._ended(self._db):
                unsent = True  # (until connected: a failure before then changed nothing on the server)
                self._db = self._connect()
                unsent = False
            self._watchdog.begin(self._db.fileno(), limit=limit)
            try:
                yield self._db
            finally:
                if (cut := self._watchdog.end()) is not None:  # (even answered as it was cut: not to be used again)
                    self._drop()
        except self._pg.Error as exc:  # (a bad statement of ours is a bug, and says so here too)
            read_only = isinstance(exc, self._pg.errors.ReadOnlySqlTransaction)
            if self._db is not None and (self._db.broken or isinstance(exc, self._pg.OperationalError)):
                self._drop()
            elif read_only:
                self._to_writable()
            if cut is Cut.GIVEN_UP:
                raise Cancelled("interrupted") from None
            refused = isinstance(exc, self._pg.errors.InsufficientPrivilege)  # (granted at the start: _lacking)
            raise ArchiveUnavailable(f"no answer within {CALL_LIMIT:g}s" if cut else self.why(exc), unsent=unsent,
                                     lasting=refused, trouble="takes no writes" if read_only else
                                     "refuses this run's user" if refused else "cannot be reached") from None
        finally:
            self._lock.release()

    def _to_writable(self) -> None:
        """After a write refused by a server that takes none now (made a standby, or set read-only, as a managed
        database is when its disk is nearly full): a connection to the one that does, where the address names it
        (WRITABLE); else the one there is, kept, as it still answers what the run looks up."""
        try:
            db = self._connect()
        except self._pg.Error:
            return
        self._drop()
        self._db = db

    def _ended(self, db: psycopg.Connection[Any]) -> bool:
        """Whether the server ended this connection while it was idle (``idle_session_timeout``, a pooler's
        ``client_idle_timeout``, an administrator): what it sent meanwhile, read without waiting. Such a connection
        is made again, not said to be unreachable: nothing was lost, and nothing is said."""
        try:
            for _ in range(2):  # (its last words, then the end of the stream: a read each)
                db.pgconn.consume_input()
        except self._pg.OperationalError:
            return True
        return db.pgconn.status != self._pg.pq.ConnStatus.OK

    def _acquire(self) -> None:
        """The lock, once the call before has let go of it (a stuck one is cut in time: see :meth:`use`); not
        waited for past a signal that ends the run."""
        while not self._lock.acquire(timeout=WAIT_SLICE):
            if self._give_up():
                raise Cancelled("interrupted")

    def _drop(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def run(self, work: Callable[[psycopg.Connection[Any]], R]) -> R:
        """``work`` as one transaction, run again at once (a few times) when the server undoes it to
        break a deadlock with another process's: rare, as every process locks rows in one order."""
        for _ in range(RERUNS - 1):
            done = self._once(work)
            if not isinstance(done, _Rerun):
                return done
        with self.use() as db, db.transaction():
            return work(db)

    def _once(self, work: Callable[[psycopg.Connection[Any]], R]) -> R | _Rerun:
        with self.use() as db:
            try:
                with db.transaction():
                    return work(db)
            except (self._pg.errors.DeadlockDetected, self._pg.errors.SerializationFailure):
                return RERUN

    def why(self, exc: Exception) -> str:
        """The first line of the server's or libpq's message, with no password in it."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        text = hide_password(text)  # (an address in it: libpq repeats its URI whole in some)
        return self._secrets.sub("***", text) if self._secrets else text

    def close(self) -> None:
        # A call still under way (one the server never answers, from a thread that is being let go of) keeps
        # the connection: the process is ending, and it goes with it.
        if not self._lock.acquire(timeout=CLOSE_WAIT):
            return
        try:
            self._drop()
            self._watchdog.close()
        finally:
            self._lock.release()


class PostgresStore:
    def __init__(self, location: str, table: str = DEFAULT_TABLE, give_up: Callable[[], bool] = lambda: False, *,
                 writes: bool = True, claims: bool = False) -> None:
        try:
            import psycopg  # noqa: PLC0415 - an optional extra
            import psycopg.conninfo  # noqa: PLC0415
            import psycopg.sql  # noqa: PLC0415
        except ImportError:
            raise UsageError(f"cannot use {redact(location)} as a download archive: PostgreSQL needs the postgres "
                             f"extra: {EXTRA}") from None
        self._pg = psycopg
        self.location = redact(location)
        if is_url(location) and (char := unencoded(location, "/")) is not None:  # (libpq ends the address there)
            raise UsageError(f"cannot use {self.location} as a download archive: its password holds {char} "
                             "unencoded: percent-encode it")
        try:
            psycopg.conninfo.conninfo_to_dict(location)
        except UnicodeDecodeError:  # (a character percent-encoded in another encoding: Latin-1's %E4 for "ä")
            raise UsageError(f"cannot use {self.location} as a download archive: it holds a percent-encoded byte "
                             "that is no UTF-8 text: percent-encode each character's UTF-8 (\"ä\" is %C3%A4)") from None
        except psycopg.Error:
            pass  # (one libpq cannot read: it says why as it connects, below)
        table = table_name(table)
        ident = psycopg.sql.Identifier
        self._names = {"archive": ident(table), "claims": ident(f"{table}_claims"), "meta": ident(f"{table}_meta"),
                       "sha256_index": ident(f"{table}_sha256"), "owner_index": ident(f"{table}_claims_owner")}
        self._server = _Server(location, give_up, writes=writes)  # (give_up: the run is ending; see imgur_dl.dbwatch)
        try:
            with self._server.use(limit=False) as db:  # (a migration may take long, and others wait on its lock)
                try:
                    _setup(db, table, self._q, self.location)
                except psycopg.errors.InsufficientPrivilege as exc:  # (PostgreSQL 15: CREATE on public, owner's)
                    raise UsageError(f"cannot use {self.location} as a download archive: {self._server.why(exc)} (its "
                                     "user needs CREATE on the schema to make the tables, the first time; then SELECT, "
                                     "INSERT and UPDATE on them)") from None
                if (why := _lacking(db, table, writes=writes, claims=claims)) is not None:
                    raise UsageError(f"cannot use {self.location} as a download archive: {why}")
        except BaseException as exc:
            self._server.close()  # (refused: its connection and watchdog let go of, for a program that goes on)
            if isinstance(exc, ArchiveUnavailable):
                raise UsageError(f"cannot use {self.location} as a download archive: {exc}") from None
            raise

    def _q(self, text: str) -> psycopg.sql.Composed:
        return self._pg.sql.SQL(text).format(**self._names)

    # -- the archive -------------------------------------------------------------------

    def has_many(self, kind: Entry, ids: Sequence[str]) -> set[str]:
        with self._server.use() as db:
            rows = db.execute(self._q("SELECT id FROM {archive} WHERE kind = %s AND id = ANY(%s)"),
                              (kind.value, list(ids))).fetchall()
        return {row[0] for row in rows}

    def last(self, kind: Entry, low: str, high: str) -> str | None:
        # (a range of the key's index, in the database's order of text; of the few rows in it, the greatest byte by
        # byte, whatever that order)
        with self._server.use() as db:
            row = db.execute(self._q('SELECT max(id COLLATE "C") FROM {archive} WHERE kind = %s AND id >= %s '
                                     "AND id < %s"), (kind.value, low, high)).fetchone()
        return str(row[0]) if row is not None and row[0] is not None else None

    def write(self, items: Sequence[Item]) -> None:
        # Rows in one order (kind, id) in every process, so two writers' locks never cross.
        records = sorted((r for r in items if isinstance(r, Record)), key=lambda r: (r.kind.value, r.id))
        settles = sorted((s for s in items if isinstance(s, Settle)), key=lambda s: (s.kind.value, s.id))
        releases = [r for r in items if isinstance(r, Release)]  # (after the settles: those are kept as settled)

        def work(db: psycopg.Connection[Any]) -> None:
            held = db.info.encoding  # (the database's own: see _Server._connect)
            with db.cursor() as cursor:
                if records:
                    cursor.executemany(self._q("INSERT INTO {archive} (kind, id, album, path, source, sha256) "
                                               "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"),
                                       [(r.kind.value, r.id, r.album, kept_path(r.path, held), r.source.value,
                                         r.sha256) for r in records])
                for item in settles:
                    if item.reason is None:  # done, whoever holds it now: the work is done
                        cursor.execute(self._q("UPDATE {claims} SET state = 'done', owner = %s, reason = NULL, "
                                               "expires = 'infinity', updated = now() WHERE kind = %s AND id = %s"),
                                       (item.owner, item.kind.value, item.id))
                    else:
                        cursor.execute(self._q("UPDATE {claims} SET state = 'failed', reason = %s, "
                                               "expires = now() + make_interval(secs => %s), updated = now() "
                                               "WHERE kind = %s AND id = %s AND owner = %s AND state = 'claimed'"),
                                       (kept_text(item.reason, held), item.hold, item.kind.value, item.id,
                                        item.owner))
                for release in releases:
                    cursor.execute(self._q(
                        "UPDATE {claims} SET state = 'failed', reason = %s, expires = now(), updated = now() "
                        "WHERE (kind, id) IN (SELECT kind, id FROM {claims} WHERE owner = %s AND state = 'claimed' "
                        "ORDER BY kind, id FOR UPDATE)"), (kept_text(release.reason, held), release.owner))

        self._server.run(work)

    def saved(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None, str | None]]:
        with self._server.use() as db:
            rows = db.execute(self._q("SELECT id, path, source, sha256 FROM {archive} WHERE kind = 'image' AND "
                                      "id = ANY(%s) AND path IS NOT NULL"), (list(ids),)).fetchall()
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def copies(self, sha256: str, skip: int, most: int) -> list[tuple[str, str]]:
        with self._server.use() as db:
            rows = db.execute(self._q("SELECT id, path FROM {archive} WHERE kind = 'image' AND sha256 = %s "
                                      "AND path IS NOT NULL ORDER BY added, id LIMIT %s OFFSET %s"),
                              (sha256, most, skip)).fetchall()
        return [(row[0], row[1]) for row in rows]

    # -- claims (--share-work) ---------------------------------------------------------------

    def claim(self, kind: Entry, ids: Sequence[str], owner: str, lease: float) -> set[str]:
        def work(db: psycopg.Connection[Any]) -> set[str]:
            rows = db.execute(self._q(
                "INSERT INTO {claims} AS c (kind, id, owner, state, expires) "
                "SELECT %s, i, %s, 'claimed', now() + make_interval(secs => %s) FROM unnest(%s::text[]) AS i "
                "ON CONFLICT (kind, id) DO UPDATE SET owner = EXCLUDED.owner, state = 'claimed', reason = NULL, "
                "expires = EXCLUDED.expires, updated = now() "
                "WHERE c.state <> 'done' AND (c.expires <= now() OR (c.owner = EXCLUDED.owner "
                "AND c.state = 'claimed')) RETURNING id"), (kind.value, owner, lease, sorted(set(ids)))).fetchall()
            return {row[0] for row in rows}

        return self._server.run(work)

    def holders(self, kind: Entry, ids: Sequence[str]) -> dict[str, Holder]:
        with self._server.use() as db:
            rows = db.execute(self._q("SELECT id, state, owner, reason, expires <= now() FROM {claims} "
                                      "WHERE kind = %s AND id = ANY(%s)"), (kind.value, list(ids))).fetchall()
        return {row[0]: Holder(row[1], row[2], row[3], bool(row[4])) for row in rows}

    # (This process's live claims are locked in (kind, id) order, as in every statement here that
    # takes many rows.)
    def renew(self, owner: str, lease: float) -> None:
        self._server.run(lambda db: db.execute(self._q(
            "UPDATE {claims} SET expires = now() + make_interval(secs => %s), updated = now() "
            "WHERE (kind, id) IN (SELECT kind, id FROM {claims} WHERE owner = %s AND state = 'claimed' "
            "ORDER BY kind, id FOR UPDATE)"), (lease, owner)))

    def fleet(self, most: int) -> Fleet:
        with self._server.use(limit=False) as db, db.transaction():  # one snapshot for every count (of millions)
            return _fleet(db, self._q, most)

    def close(self) -> None:
        self._server.close()


def _fleet(db: psycopg.Connection[Any], q: Callable[[str], psycopg.sql.Composed], most: int) -> Fleet:
    """What the claims say, and the archive's counts (:class:`Fleet`), in one snapshot (``db`` in a transaction not
    begun yet; ``q``: a statement naming the archive's tables); the newest ``most`` failures."""
    fleet = Fleet(most)
    db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    # Counts of millions may rightly take long: not cut by a timeout the user's role or the server sets for the
    # statements of applications (as pg_dump sets none for its reads); Ctrl-C ends it.
    db.execute("SET LOCAL statement_timeout = 0")
    db.execute("SET LOCAL lock_timeout = 0")
    counts = dict(db.execute(q("SELECT kind, count(*) FROM {archive} GROUP BY kind")).fetchall())
    fleet.images, fleet.albums = counts.get("image", 0), counts.get("album", 0)
    for owner, working, lapsed, done, failed, seen in db.execute(q(
            "SELECT owner, count(*) FILTER (WHERE state = 'claimed' AND expires > now()), "
            "count(*) FILTER (WHERE state = 'claimed' AND expires <= now()), "
            "count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed'), "
            "max(updated) FROM {claims} GROUP BY owner ORDER BY 6 DESC, owner")).fetchall():
        fleet.process(owner, working=working, lapsed=lapsed, done=done, failed=failed, last_seen=_iso(seen))
    for kind, item, owner, reason, updated, expires in db.execute(q(
            "SELECT kind, id, owner, reason, updated, expires FROM {claims} WHERE state = 'failed' "
            "ORDER BY updated DESC LIMIT %s"), (most,)).fetchall():
        fleet.failure(kind, item, by=owner, reason=reason, at=_iso(updated), retry_from=_iso(expires))
    return fleet


def _setup(db: psycopg.Connection[Any], table: str, q: Callable[[str], psycopg.sql.Composed], location: str) -> None:
    """Make or migrate the tables of the archive ``table`` (``q``: a statement naming them): one process at a time
    (an advisory lock), each version once."""
    from psycopg import sql  # noqa: PLC0415 - the optional extra (the store found it there)

    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"imgur-dl schema {table}",))

        def columns(name: str) -> list[str]:  # (of the table its unqualified name finds, as every query here)
            return [str(row[0]) for row in db.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT "
                "attisdropped ORDER BY attnum", (sql.Identifier(name).as_string(db),)).fetchall()]

        if (why := foreign(table, columns)) is not None:
            raise UsageError(f"cannot use {location} as a download archive: {why}")
        # Made only where it is missing: CREATE, even IF NOT EXISTS, wants the right to make tables in the schema,
        # which a user other than the one that made the archive may well not have (nor need).
        if not columns(f"{table}_meta"):
            db.execute(q("CREATE TABLE {meta} (key text PRIMARY KEY, value text NOT NULL)"))
        row = db.execute(q("SELECT value FROM {meta} WHERE key = 'schema'")).fetchone()
        written = str(row[0]) if row else "0"
        version = decimal(written)
        if version is None:  # (a row written by hand, or by another program)
            raise UsageError(f"cannot use {location} as a download archive: its table {table}_meta says its "
                             f"schema is {written!r}, which no imgur-dl writes")
        if version > SCHEMA_VERSION:
            raise UsageError(f"{location}: the archive was made by a newer imgur-dl (schema {version}); "
                             "upgrade imgur-dl to use it")
        # A table dropped by hand (to start the archive over) is made again: the version row says only which
        # migrations were done, and each is written to be done again (IF NOT EXISTS).
        missing = not (columns(table) and columns(f"{table}_claims"))
        if version == SCHEMA_VERSION and not missing:
            return
        for number, statements in _MIGRATIONS:
            if number > version or missing:
                for statement in statements:
                    db.execute(q(statement))
        db.execute(q("INSERT INTO {meta} (key, value) VALUES ('schema', %s) ON CONFLICT (key) "
                     "DO UPDATE SET value = EXCLUDED.value"), (str(SCHEMA_VERSION),))


def _lacking(db: psycopg.Connection[Any], table: str, *, writes: bool, claims: bool) -> str | None:
    """What the server's user may not do in the archive's tables that the run will (``writes``: record what it
    saves; ``claims``: claim its work, --share-work, or read the claims, --fleet), with the grants that would let
    it; None when it may do all.

    Asked as the run starts: a user granted too little (a fleet's, given SELECT alone) fetched everything, then
    waited for records the server would never take, and so did every run after it."""
    from psycopg import sql  # noqa: PLC0415 - the optional extra (the store found it there)

    wanted = [(table, "SELECT"), *([(table, "INSERT")] if writes else [])]
    if claims:  # (--share-work's, or --fleet's, which reads them)
        wanted += [(f"{table}_claims", right) for right in ("SELECT", "INSERT", "UPDATE")[:3 if writes else 1]]
    # (One question, however many rights: across a network to a fleet's server, a round trip each was the run's
    # start waiting.)
    rows = db.execute(
        "SELECT has_table_privilege(to_regclass(w.q), w.r), current_user FROM unnest(%s::text[], %s::text[]) "
        "WITH ORDINALITY AS w(q, r, i) ORDER BY w.i",
        ([sql.Identifier(name).as_string(db) for name, _ in wanted], [right for _, right in wanted])).fetchall()
    missing: dict[str, list[str]] = {}
    for (name, right), (held, _) in zip(wanted, rows, strict=True):
        if not held:
            missing.setdefault(name, []).append(right)
    if not missing:
        return None
    user = str(rows[0][1])
    lacks = " and ".join(f"{', '.join(rights)} on {name}" for name, rights in missing.items())
    grants = "; ".join(f"GRANT {', '.join(rights)} ON {name} TO {sql.Identifier(user).as_string(db)}"
                       for name, rights in missing.items())
    does = ("a run records there what it saves" + (", and claims its work (--share-work)" if claims else "")
            if writes else "what was saved is read there" + (", and what the fleet's claims say" if claims else ""))
    return printable(f"its user {user} lacks {lacks} ({grants}): {does}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
