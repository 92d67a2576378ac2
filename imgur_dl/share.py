"""``--share-work``: processes given the same input divide it, through claims kept in the shared archive.

Before a post or album is looked up, it is claimed: a row in the archive's
claims table, taken in one statement that only one process can win (the
database's own unique key decides). A claim is a lease: this process renews
all of its own every third of ``--lease``, and one that runs out (its
process was killed, its machine lost power) may be taken by any other. An
item finished is *done* for good (a later run, or another machine, skips
it); one that failed is given back with its reason, for another process or
the next run to try: at once, or after a day when Imgur said it is gone.

An item another process has under way is set aside and looked at again now
and then; once every input is read, this process waits for the ones still
set aside: each ends done elsewhere (reported as ``claimed elsewhere``), or
its lease runs out and this process takes it over. So every process ends
only when all of the input is done, by it or by others; or, when the archive
stops answering for a whole lease meanwhile, with what is still set aside
failed here (its outcome cannot be learnt; the next run settles it), and the
rest of the input failed without asking the archive again.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import TypeGuard

from imgur_dl import threads
from imgur_dl.archive import Archive, Holder, Release, Settle
from imgur_dl.cancel import Cancel
from imgur_dl.clock import Clock
from imgur_dl.errors import ArchiveUnavailable, Cancelled
from imgur_dl.models import Candidate, Elsewhere, Entry, Failure
from imgur_dl.status import ExitStatus
from imgur_dl.text import Once, escaped, printable

FIRST_WAIT = 0.05  # seconds before set-aside items are looked at again, doubling while nothing changes
GONE_HOLD = 24 * 3600.0  # a post Imgur says is gone is not asked for again by the fleet for a day
CLAIM_GROUP = 2  # items claimed in one statement: about the lookups a process starts ahead
RENEWER_WAIT = 1.0  # seconds closing waits for the renewer to end (it is between calls, or in one)
Key = tuple[Entry, str]


def owner_name() -> str:
    """This process, as the claims name it: host, pid, and a nonce (pids are reused); in ASCII, which any
    archive's text holds (a host's name is any bytes)."""
    return f"{escaped(socket.gethostname(), 'ascii')}:{os.getpid()}:{secrets.token_hex(3)}"


class Claims:
    """The archive's claims, as this process asks for them: taking them, who holds what, its own renewed (a thread
    of its own); and since when the archive has not answered. ``may_hold``: a claim was won (or its answer was
    lost), so there are claims to renew and, at the end, to give back."""

    def __init__(self, archive: Archive, *, owner: str, lease: float, clock: Clock,
                 say_once: Callable[[str], None]) -> None:
        self.archive = archive
        self.owner = owner
        self.lease = lease
        self.clock = clock
        self.may_hold = False
        self._say_once = say_once
        self._unreachable_since: float | None = None  # when the archive last stopped answering (None: it answers)
        self._lasting: ArchiveUnavailable | None = None  # its last answer, where asking again is no use
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew_all, name="imgur-dl-lease", daemon=True)
        threads.start(self._renewer)

    def take(self, keys: Iterable[Key]) -> dict[Entry, set[str]] | None:
        """The ids of ``keys`` this process now holds, by kind; None when the archive cannot be asked."""
        try:
            taken = {kind: self.archive.store.claim(kind, ids, self.owner, self.lease)
                     for kind, ids in _by_kind(keys).items()}
        except ArchiveUnavailable as exc:
            self.may_hold = self.may_hold or not exc.unsent  # (a claim may have been taken as its answer was lost)
            self._heard(exc)
            if not exc.lasting:  # (else given up at once, and said so)
                self._say_once(f"cannot claim work: the download archive ({self.archive.location}) {exc.trouble} "
                               f"({exc}); waiting up to {self.lease:g}s (--lease) for it to answer")
            return None
        self._heard(None)
        self.may_hold = self.may_hold or any(taken.values())
        return taken

    def holders(self, keys: list[Key]) -> dict[Key, Holder] | None:
        """Who holds each of ``keys`` (one query per kind); None when the archive cannot be asked."""
        holders: dict[Key, Holder] = {}
        try:
            for kind, ids in _by_kind(keys).items():
                holders.update(((kind, i), h) for i, h in self.archive.store.holders(kind, ids).items())
        except ArchiveUnavailable as exc:
            self._heard(exc)
            return None
        self._heard(None)
        return holders

    @property
    def silent_for(self) -> float:
        """Seconds since the archive last stopped answering (0 while it answers)."""
        return 0.0 if self._unreachable_since is None else self.clock.now() - self._unreachable_since

    @property
    def hopeless(self) -> bool:
        """Whether to ask the archive no more: it said what it would say again (it refused this run's user; its file
        is damaged), or has not answered for a lease."""
        return self._lasting is not None or self.silent_for >= self.lease

    def silence(self) -> str:
        """Why the archive was asked no more, in words that follow its name."""
        if self._lasting is not None:
            return f"{self._lasting.trouble} ({self._lasting})"
        return f"has not answered for {self.silent_for:.0f}s"

    def _heard(self, failure: ArchiveUnavailable | None) -> None:
        """The archive answered (``failure`` None), or could not (how)."""
        self._lasting = failure if failure is not None and failure.lasting else None
        if failure is None:
            self._unreachable_since = None
        elif self._unreachable_since is None:
            self._unreachable_since = self.clock.now()

    def stop(self) -> None:
        """Renew no more; the renewer is waited for a moment at most (one in a call a server never answers is cut
        in time: dbwatch)."""
        self._stop.set()
        self._renewer.join(RENEWER_WAIT)

    def _renew_all(self) -> None:
        try:
            self._renewing()
        except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback from this thread
            self._say_once(f"unexpected {type(exc).__name__} renewing this process's claims: {printable(exc)} (a "
                           f"bug); others may take them over once their lease ({self.lease:g}s) runs out")

    def _renewing(self) -> None:
        while not self.clock.wait(self._stop, self.lease / 3):
            if not self.may_hold:
                continue
            try:
                self.archive.store.renew(self.owner, self.lease)
            except Cancelled:  # (the run is ending, and the server does not answer: nothing more to renew)
                return
            except ArchiveUnavailable as exc:
                self._say_once(f"cannot renew this process's claims ({exc}); others may take them over "
                               f"once their lease ({self.lease:g}s) runs out")


class Sharing:
    """This process's share of the work: what it takes, what it leaves to others, what it gives back."""

    def __init__(self, archive: Archive, *, lease: float, cancel: Cancel, error: Callable[[str], None],
                 say: Callable[[str], None] = lambda _: None, owner: str | None = None,
                 clock: Clock | None = None) -> None:
        self.archive = archive
        self.say = say  # a line for people (not with --quiet)
        # Leases run on the database server's clock, which is real time whatever clock the run was
        # given: renewals and looks at others' work wait on real time.
        self.clock = clock or Clock()
        self.lease = lease
        self.cancel = cancel
        self.error = error  # a problem, said even with --quiet
        self.owner = owner or owner_name()
        # How often set-aside items are looked at again: soon at first (most end within moments), less
        # often while nothing changes, never as seldom as a quarter of the lease.
        self.most_wait = min(lease / 4, 0.5)
        self._wait = FIRST_WAIT
        self._aside: dict[Key, Candidate] = {}
        self._last_look = self.clock.now()
        self._given_up = False  # the archive was silent for a whole lease: it is not asked again in this run
        self._once = Once()
        self.claims = Claims(archive, owner=self.owner, lease=lease, clock=self.clock, say_once=self._say_once)

    # -- in the thread that reads the input ------------------------------------------------

    def split(self, batch: Sequence[Candidate | Failure]) -> Iterator[Candidate | Failure | Elsewhere]:
        """The items of one page (or of the input lines read so far) this process may work on, and the
        others' final word. What is done or held back elsewhere is found for the whole batch in one
        query; the rest is claimed :data:`CLAIM_GROUP` at a time, as the run comes for it, so no
        process holds much it has not started."""
        yield from (f for f in batch if isinstance(f, Failure))
        items = [c for c in batch if isinstance(c, Candidate)]
        if items and not self._given_up:
            items = yield from self._unsettled(items)
        for start in range(0, len(items), CLAIM_GROUP):
            group = items[start:start + CLAIM_GROUP]
            taken = None if self._given_up else self._claim_patiently(group)
            if taken is None:  # (the archive is gone: the rest fails unasked, each call could take a minute)
                yield from map(_unclaimed, items[start:])
                break
            left = {c.key: c for c in group if c.key[1] not in taken.get(c.key[0], ())}
            yield from (c for c in group if c.key not in left)
            self._aside.update(left)
            yield from self._look(list(left))
        if self._aside and not self._given_up and self.clock.now() - self._last_look >= self.most_wait:
            yield from self._look(list(self._aside))

    def _unsettled(self, items: list[Candidate]) -> Generator[Elsewhere, None, list[Candidate]]:
        """Yield the final word on items done or held back elsewhere; return the others."""
        holders = self.claims.holders([c.key for c in items])
        if holders is None:
            return items  # (the claims will say what is wrong)
        rest = []
        for candidate in items:
            holder = holders.get(candidate.key)
            if not _final(holder):
                rest.append(candidate)
            elif holder.owner != self.owner:
                yield _elsewhere(candidate, holder)
        return rest

    def leftovers(self) -> Iterator[Candidate | Elsewhere | Failure]:
        """After the input: wait for what others had under way, taking over what they drop. Not for ever when the
        archive cannot be reached: once it has not answered for a lease (the time after which a claim no one
        renews is anyone's), what is still set aside fails here, for the next run to settle."""
        waiting = False
        while self._aside:
            before = len(self._aside)
            if not self._given_up:
                yield from self._look(list(self._aside))
            if self._aside and not waiting:  # (a wait of up to a lease, which a person would take for a hang)
                waiting = True
                what = ("1 post another process has" if len(self._aside) == 1 else
                        f"{len(self._aside)} posts other processes have")
                self.say(f"imgur-dl: waiting for {what} under way (taken over here should that process stop)")
            if self._aside and (self._given_up or self.claims.hopeless):
                self._given_up = True
                aside, self._aside = list(self._aside.values()), {}
                what, they, them = (("a post another process had", "it", "it") if len(aside) == 1 else
                                    (f"{len(aside)} posts other processes had", "they", "them"))
                self._say_once(f"gave up waiting for {what} under way: the download archive "
                               f"({self.archive.location}) {self.claims.silence()}, so how {they} ended is not "
                               f"known; run the same command again to finish {them}")
                yield from map(_unclaimed, aside)
                return
            if self._aside:
                self._wait = FIRST_WAIT if len(self._aside) < before else min(self._wait * 2, self.most_wait)
                self.cancel.sleep(self._wait, self.clock)

    def _claim_patiently(self, items: list[Candidate]) -> dict[Entry, set[str]] | None:
        """Claims for ``items``, asked again while the archive does not answer (a server restarting), until it
        has been silent for a lease, or at once where it would say the same again; None then (this run asks it no
        more)."""
        wait = FIRST_WAIT
        while (taken := self.claims.take(c.key for c in items)) is None and not self.claims.hopeless:
            self.cancel.sleep(wait, self.clock)
            wait = min(wait * 2, self.most_wait)
        if taken is None:
            self._given_up = True
            self._say_once(f"gave up claiming work: the download archive ({self.archive.location}) "
                           f"{self.claims.silence()}; the rest of the input fails here, unasked (run the same command "
                           "again to finish it)")
        return taken

    def _look(self, keys: list[Key]) -> Iterator[Candidate | Elsewhere]:
        """Settle what can be of the set-aside ``keys``: done or failed elsewhere, or free to take over."""
        self._last_look = self.clock.now()
        holders = self.claims.holders(keys)
        if holders is None:
            return  # looked at again later
        free = []
        for key in keys:
            holder = holders.get(key)
            if _final(holder):
                candidate = self._aside.pop(key)
                if holder.owner != self.owner:  # (an item named twice, done by this process: nothing to say)
                    yield _elsewhere(candidate, holder)
            elif holder is None or holder.open:
                free.append(self._aside[key])
        if free:
            taken = self.claims.take(c.key for c in free) or {}
            for candidate in free:
                if candidate.key[1] in taken.get(candidate.key[0], ()):
                    del self._aside[candidate.key]
                    yield candidate

    # -- from the run ----------------------------------------------------------------------------

    def settle(self, key: Key, reason: str | None, *, gone: bool = False) -> None:
        """``key`` is done (``reason`` None), or given back with why (``gone``: not tried again for a day)."""
        self.archive.add(Settle(key[0], key[1], self.owner, reason, GONE_HOLD if gone else 0.0))

    def close(self, *, interrupted: bool) -> None:
        """Stop renewing, and give back whatever this process still holds: written by the archive's writer after
        the claims settled so far, within the archive's close (what it cannot write runs out with its lease)."""
        self.claims.stop()
        if self.claims.may_hold:  # (one that never won a claim has nothing to give back, nor to wait on the archive)
            self.archive.add(Release(self.owner, "interrupted" if interrupted else "left unfinished"))

    def _say_once(self, message: str) -> None:
        if self._once.first(message.split("(", 1)[0]):
            self.error(message)


def _elsewhere(candidate: Candidate, holder: Holder) -> Elsewhere:
    """What another process's final word on ``candidate`` is, as the run says it."""
    return Elsewhere(candidate.target.url, candidate.key[1], holder.owner,
                     candidate.listing.label if candidate.listing else None,
                     holder.reason if holder.state == "failed" else None)


def _unclaimed(candidate: Candidate) -> Failure:
    """``candidate`` failed here, unclaimed (the archive could not be asked), for the next run to finish."""
    listing = candidate.listing.label if candidate.listing else None
    return Failure(ExitStatus.FAILED, "", candidate.target.url, candidate.key[1], listing)


def _final(holder: Holder | None) -> TypeGuard[Holder]:
    """Another word would change nothing: done, or failed and held back (not free to take, not under way)."""
    return holder is not None and not holder.open and holder.state != "claimed"


def _by_kind(keys: Iterable[Key]) -> dict[Entry, list[str]]:
    """The ids of ``keys``, by kind (the store is asked one kind at a time)."""
    ids: dict[Entry, list[str]] = {}
    for kind, item in keys:
        ids.setdefault(kind, []).append(item)
    return ids
