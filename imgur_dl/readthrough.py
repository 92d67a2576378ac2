"""Where a listing was last read to its end, every post of it in the archive: where ``--break-on-existing`` stops.

A nightly sync stops at what the archive has; but "the first post the archive
has" is not "where the archive has everything after": a first sync of a large
account killed, cut short by the API's budget or by a page that kept failing,
leaves its newest posts in the archive and the older ones not, and a post
whose file failed is missing among saved ones. Stopping at the first saved
post would leave the rest for ever, each run exiting 0.

So a run with a download archive that reads a listing to its end (an empty
page, a page with nothing new, or the most pages one listing is read), and
finds at its end every post it passed in the archive (or gone from Imgur: a
post, or a file of it, that Imgur says is no more, 404 or removed, which no
later run would get), records where that read began: the listing's newest
post then, in an archive row of kind ``listing`` whose id says the listing (a
hash of it), when, the post and the one after it then (``<32 hex digits><UTC
time>/<post>/<next post>``; its ``album`` column names the listing for
people: ``user/<name>``). ``--break-on-existing`` stops at the post the latest
such row names, where the post that followed it then follows it still: all
after it is in the archive. Above it, posts the archive has are passed over
(no lookup: a page costs one request) and the others taken, so a sync after
one that ended early reads on to where a run last read the listing whole, and
the next stops at the first page again. Only the latest row counts, and only
where its post is followed as it was: a favorite of long ago favorited again
comes first in the listing, and is no place to stop; nor is the very post a
read began at, favorited again above favorites made since. A listing no run
has read whole so (an archive from before these rows, a post that keeps
failing otherwise, a file Imgur keeps from this region) is read to its end
each time, a request a page, and what failed is tried again. (Rows are only added: a database user granted
SELECT and INSERT on the archive, as a fleet's may be, records them too.)
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import quote, unquote

from imgur_dl.archive import Archive, Record
from imgur_dl.models import Entry, Listing

# A listing's rows are found in a range of the archive's key, in any order a database keeps text in: an id begins
# with hexadecimal digits and the time in decimal ones, which every collation orders as bytes do (no letter's case,
# no punctuation, among them), so the ids between a prefix and the next are those that begin with it, however the
# database compares.
_NEXT = dict(zip("0123456789abcdef", "123456789abcdefg", strict=True))


def prefix(listing: Listing) -> str:
    """What the archive's ids of ``listing``'s rows begin with: the first 128 bits of its label's SHA-256."""
    return hashlib.sha256(listing.label.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def key(listing: Listing, at: float, top: str, after: str) -> str:
    """The archive's id for "``listing`` was read to its end from ``top``, ``after`` following it" (``""``: none),
    recorded at ``at`` (seconds since the epoch, UTC to the microsecond): a later row's is the greater. (No space, no
    control byte: the posts' ids escaped as in a URL.)"""
    when = datetime.fromtimestamp(at, timezone.utc).strftime("%Y%m%d%H%M%S%f")
    return f"{prefix(listing)}{when}/{_escaped(top)}/{_escaped(after)}"


def _escaped(post_id: str) -> str:
    return quote(post_id, safe="", errors="surrogatepass")


def label(listing: Listing) -> str:
    """The listing's label as its row says it for people (its ``album`` column): escaped as in a URL, but its ``/``
    and spaces (a search's words), so that any archive's text may hold it and no control byte is printed."""
    return quote(listing.label, safe="/ ", errors="surrogatepass")


def posts_of(found: str) -> tuple[str, str]:
    """The posts a row's id (:func:`key`) names: where the read began, and the one that followed it (whatever a row
    made by hand says, no error)."""
    top, _, after = found.partition("/")[2].partition("/")
    return unquote(top, errors="surrogatepass"), unquote(after, errors="surrogatepass")


@dataclass
class Read:
    """One listing as a run reads it: the post it began at and the one after it, and each post it took, with what
    the archive records it as once it is saved (its album, or its one image). Those it passed over are in the
    archive already; where it left one out that is not (``--range``, ``--since``), the read is not whole, and nothing
    more is kept of it."""

    listing: Listing
    top: str | None = None
    after: str | None = None
    whole: bool = True
    taken: list[tuple[str, Entry, str]] = field(default_factory=list)

    def past(self, post_id: str) -> None:
        """The post ``post_id`` passed, whatever became of it (or reached: where an earlier read began)."""
        if self.top is None:
            self.top = post_id
        elif self.after is None:
            self.after = post_id

    def took(self, post_id: str, entry: Entry, archive_id: str) -> None:
        """The post ``post_id`` taken: the archive has it once it is saved, as ``entry`` ``archive_id``."""
        if self.whole:
            self.taken.append((post_id, entry, archive_id))

    def left_out(self) -> None:
        """A post the archive does not have left out: this read cannot say the listing is all saved."""
        self.whole = False
        self.taken = []


class ReadThrough:
    """The records of listings read to their end, for one run: looked up as a listing is begun (the planner's
    thread), added at the run's end (its main thread) for each listing read whole whose every post the archive then
    has, or Imgur has no more. ``calendar``: the time each row says."""

    def __init__(self, archive: Archive, *, records: bool, calendar: Callable[[], float]) -> None:
        self.archive = archive
        self.records = records  # the run saves files (not -g), so what it read may be recorded
        self.calendar = calendar
        self._whole: list[Read] = []
        self._lock = threading.Lock()
        self._gone: set[tuple[str, str, str | None]] = set()  # (listing, post, file or None: the post) no more
        self._failed: set[tuple[str, str]] = set()  # (listing, post) of which something failed otherwise

    def read_from(self, listing: Listing) -> tuple[str, str] | None:
        """The post a run last read ``listing`` to its end from, and the one that followed it then (``""``: none);
        None where no run did: one query."""
        begins = prefix(listing)
        found = self.archive.last(Entry.LISTING, begins, begins[:-1] + _NEXT[begins[-1]])
        return posts_of(found) if found is not None and found.startswith(begins) else None

    def ended(self, read: Read) -> None:
        """``read`` went to the listing's end, or to the post a run last read it to its end from."""
        if self.records and read.top is not None and read.whole:
            with self._lock:
                self._whole.append(read)

    def missed(self, listing: str, post_id: str, item: str | None, *, gone: bool) -> None:
        """The post ``post_id`` of ``listing`` (its label), or its file ``item``, failed: ``gone`` from Imgur (it
        says so: 404, removed), or otherwise (a file Imgur says gone that the Wayback Machine could not bring back
        is still gone). From the run's main thread."""
        if gone:
            self._gone.add((listing, post_id, item))
        elif (listing, post_id, item) not in self._gone:
            self._failed.add((listing, post_id))

    def record(self) -> None:
        """Once every file of the run is in and its records added: each listing read whole whose every post the
        archive has, or Imgur has no more, recorded as read to its end from where its read began. Done by the
        archive's writer once it has written the run's records (never where one was left unrecorded): not waited
        for, but as the archive's closing waits for its last records (a server that hangs holds no run for ever)."""
        with self._lock:
            whole, self._whole = self._whole, []
        if whole:
            self.archive.then(None, lambda: self._settle(whole))

    def _settle(self, whole: list[Read]) -> None:
        """Each of ``whole`` recorded where the archive has every post it took, or Imgur has them no more (from the
        archive's writer: the run has booked its last file)."""
        gone = {(listing, post_id) for listing, post_id, _ in self._gone} - self._failed
        for read in whole:
            listed = read.listing.label
            if read.top is not None and all((listed, post_id) in gone for post_id in self._missing(read)):
                self.archive.add(Record(Entry.LISTING, key(read.listing, self.calendar(), read.top, read.after or ""),
                                        album=label(read.listing)))

    def _missing(self, read: Read) -> list[str]:
        """The posts ``read`` took that the archive does not have (all of them, where it cannot be reached)."""
        found = {entry: self.archive.has_many(entry, [item for _, kind, item in read.taken if kind is entry])
                 for entry in (Entry.ALBUM, Entry.IMAGE)}
        return [post_id for post_id, entry, item in read.taken if item not in found[entry]]
