"""Where a listing was last read to its end, every post of it in the archive: where ``--break-on-existing`` stops.

A nightly sync stops at what the archive has; but "the first post the archive
has" is not "where the archive has everything after": a first sync of a large
account killed, cut short by the API's budget or by a page that kept failing,
leaves its newest posts in the archive and the older ones not, and a post
whose file failed is missing among saved ones. Stopping at the first saved
post would leave the rest for ever, each run exiting 0.

So a run with a download archive that reads a listing to its end (an empty
page, or a page with nothing new), and finds at its end every post it passed
in the archive (or gone from Imgur: a post, or a file of it, that Imgur says
is no more, 404 or removed, which no later run would get), records where that
read began: the listing's newest post then (an archive row of kind
``listing``, its id the listing's label and the post's,
``user/<name>/<post id>``). ``--break-on-existing`` stops at such a post,
where all after it is in the archive; above it, posts the archive has are
passed over (no lookup: a page costs one request) and the others taken, so a
sync after one that ended early reads on to where a run last read the listing
whole, and the next stops at the first page again. A listing no run has read
whole so (an archive from before these records, a post that keeps failing
otherwise, a file Imgur keeps from this region) is read to its end each
time, a request a page, and what failed is tried again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from imgur_dl.archive import Archive, Record
from imgur_dl.models import Entry, Listing


def key(listing: Listing, post_id: str) -> str:
    """The archive's id for "``listing`` was read to its end from ``post_id``" (no space, no control byte: a
    search's words, any title's letters, escaped as in a URL)."""
    return quote(f"{listing.label}/{post_id}", safe="/")


@dataclass
class Read:
    """One listing as a run reads it: the post it began at, and each post it took, with what the archive records it
    as once it is saved (its album, or its one image). Those it passed over are in the archive already; where it
    left one out that is not (``--range``, ``--since``), the read is not whole, and nothing more is kept of it."""

    listing: Listing
    top: str | None = None
    whole: bool = True
    taken: list[tuple[str, Entry, str]] = field(default_factory=list)

    def past(self, post_id: str) -> None:
        """The post ``post_id`` passed, whatever became of it."""
        if self.top is None:
            self.top = post_id

    def took(self, post_id: str, entry: Entry, archive_id: str) -> None:
        """The post ``post_id`` taken: the archive has it once it is saved, as ``entry`` ``archive_id``."""
        if self.whole:
            self.taken.append((post_id, entry, archive_id))

    def left_out(self) -> None:
        """A post the archive does not have left out: this read cannot say the listing is all saved."""
        self.whole = False
        self.taken = []


class ReadThrough:
    """The records of listings read to their end, for one run: looked up as pages are read (the planner's thread),
    added at the run's end (its main thread) for each listing read whole whose every post the archive then has, or
    Imgur has no more."""

    def __init__(self, archive: Archive, *, records: bool) -> None:
        self.archive = archive
        self.records = records  # the run saves files (not -g), so what it read may be recorded
        self._whole: list[Read] = []
        self._lock = threading.Lock()
        self._gone: set[tuple[str, str, str | None]] = set()  # (listing, post, file or None: the post) no more
        self._failed: set[tuple[str, str]] = set()  # (listing, post) of which something failed otherwise

    def reached(self, listing: Listing, post_ids: Iterable[str]) -> set[str]:
        """Which of ``post_ids`` (a page's) a run read ``listing`` to its end from: one query."""
        ids = {key(listing, post_id): post_id for post_id in post_ids}
        return {ids[found] for found in self.archive.has_many(Entry.LISTING, ids)}

    def ended(self, read: Read) -> None:
        """``read`` went to the listing's end, or to a post an earlier read to its end began at."""
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
        archive has (its records written first), or Imgur has no more, recorded as read to its end from where its
        read began."""
        with self._lock:
            whole, self._whole = self._whole, []
        if not whole:
            return
        self.archive.flush()
        gone = {(listing, post_id) for listing, post_id, _ in self._gone} - self._failed
        for read in whole:
            label = read.listing.label
            if read.top is not None and all((label, post_id) in gone for post_id in self._missing(read)):
                self.archive.add(Record(Entry.LISTING, key(read.listing, read.top)))

    def _missing(self, read: Read) -> list[str]:
        """The posts ``read`` took that the archive does not have (all of them, where it cannot be reached)."""
        found = {entry: self.archive.has_many(entry, [item for _, kind, item in read.taken if kind is entry])
                 for entry in (Entry.ALBUM, Entry.IMAGE)}
        return [post_id for post_id, entry, item in read.taken if item not in found[entry]]
