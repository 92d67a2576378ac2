"""From what the user named to albums: URL -> posts -> albums.

An album, gallery post or image URL is one album. A listing (a user's posts
or favorites, a folder, a tag, a subreddit, a search) is read page by page,
while the albums of earlier posts download: an image post comes complete in
the listing (:mod:`imgur_dl.pages`), an album post is looked up, a few ahead,
in the resolver pool.
``--range``, ``--since`` and the download archive choose posts before any
lookup, so a nightly sync of a large account costs a page or two.

Runs in the main thread; it yields, in order, each album or the reason one
could not be had, and never raises for anything a server sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from imgur_dl import threads
from imgur_dl.ahead import InOrder, done, gathered
from imgur_dl.answers import album_from_link
from imgur_dl.api import ImgurApi
from imgur_dl.archive import Archive
from imgur_dl.choice import Choice
from imgur_dl.errors import ApiClosedError, BudgetSpentError, EmptyAlbumError, ImgurDLError, NotFoundError, bug
from imgur_dl.models import Album, Candidate, Elsewhere, Entry, Failure, Kind, Listing, Target
from imgur_dl.pages import Pages
from imgur_dl.readthrough import ReadThrough
from imgur_dl.share import Sharing
from imgur_dl.status import ExitStatus
from imgur_dl.text import Once
from imgur_dl.wayback import Wayback

# Album lookups ahead of the one being started: twice the lookups at once, so
# none waits for the run to take the one before.
AHEAD = 32
# With --share-work, fewer: a claim taken early is work no other process can start.
AHEAD_SHARED = 2
# With --share-work, URLs already read that are looked for among the claims in one query, at the most
# (a rerun of a finished million-line list costs ten thousand queries, not two million).
CLAIM_BATCH = 100
# A spent API budget that Imgur's headers say comes back later than this (its budgets are hourly and daily: a
# header's value may say any time, or none a number can hold) is said to, not counted out in minutes.
TWO_DAYS = 2 * 24 * 3600.0

_Outcome = Album | Failure | Elsewhere


class Planner:
    def __init__(self, api: ImgurApi, resolver: ThreadPoolExecutor, *, choice: Choice | None = None,
                 archive: Archive | None = None, wayback: Wayback | None = None, prefer_gif: bool = False,
                 debug: bool = False, say: Callable[[str], None] = lambda _m: None,
                 sharing: Sharing | None = None, through: ReadThrough | None = None) -> None:
        self.api = api
        self.resolver = resolver
        self.choice = choice or Choice()
        self.archive = archive
        self.wayback = wayback
        self.prefer_gif = prefer_gif
        self.debug = debug
        self.say = say
        self.sharing = sharing
        self._once_keys = Once()
        self.pages = Pages(api, self.choice, archive, say=say, budget=self._budget, through=through)
        self._ahead: InOrder[_Outcome] | None = None
        self._closed = False

    def albums(self, targets: Iterable[Target]) -> InOrder[_Outcome]:
        """Every album the targets name, in order, looked up a few ahead (targets and pages drawn in a thread)."""
        self._ahead = InOrder(self._work(targets), AHEAD if self.sharing is None else AHEAD_SHARED)
        return self._ahead

    @property
    def in_archive(self) -> int:
        """Listed posts skipped because the archive has them complete."""
        return self.pages.in_archive

    def close(self, *, wait: bool = True) -> None:
        """Stop looking up (the lookups not yet started are dropped)."""
        self._closed = True
        if self._ahead is not None:
            self._ahead.stop()
        self.resolver.shutdown(wait=wait, cancel_futures=True)

    # -- what to look up ---------------------------------------------------------

    def _work(self, targets: Iterable[Target]) -> Iterator[Future[_Outcome]]:
        """A future outcome per album-to-be: lookups in the pool, listed images at once
        (with --share-work, only what this process claimed, and at the end what others left)."""
        sharing = self.sharing
        for batch in self._batches(targets):
            yield from map(self._start, batch if sharing is None else sharing.split(batch))
        if sharing is not None:
            yield from map(self._start, sharing.leftovers())

    def _start(self, item: Candidate | Failure | Elsewhere) -> Future[_Outcome]:
        if not isinstance(item, Candidate):
            return done(item)
        if item.ready is not None:
            claim = item.key if self.sharing is not None else None
            return done(replace(item.ready, listing=item.listing, position=item.position, posted=item.posted,
                                claim=claim))
        try:
            return self.resolver.submit(self._lookup, item)
        except RuntimeError:  # (one more thread refused by the system, a pids limit; or the pool shut down)
            if self._closed:
                raise
            raise threads.NoThread(threads.NO_THREAD) from None

    def _batches(self, targets: Iterable[Target]) -> Iterator[list[Candidate | Failure]]:
        """What to look up: URLs' albums, or a listing's chosen posts, a page at a time.

        With --share-work, the URLs already read (up to :data:`CLAIM_BATCH`) go together, so those
        done elsewhere are found in one query per batch, not one per line (the rest is claimed a
        few at a time, :mod:`imgur_dl.share`).
        """
        runs = gathered(targets, CLAIM_BATCH) if self.sharing is not None else ([t] for t in targets)
        for run in runs:
            urls: list[Candidate | Failure] = []
            for target in run:
                if not target.kind.is_listing:
                    entry = Entry.IMAGE if target.kind is Kind.IMAGE else Entry.ALBUM
                    urls.append(Candidate((entry, target.id), target))
                    continue
                if urls:
                    yield urls
                    urls = []
                yield from self.pages.posts(target)
            if urls:
                yield urls

    def _once(self, message: str, key: str | None = None) -> str:
        """``message`` the first time (per ``key``), '' after: the same problem is said once."""
        return message if self._once_keys.first(key or message) else ""

    def _budget(self, label: str, spent: BudgetSpentError) -> Failure:
        back_in = spent.back_in
        later = "in an hour" if back_in is None else f"in {max(1, round(back_in / 60))} minutes" \
            if back_in < TWO_DAYS else "in more than two days, Imgur says"
        return Failure(ExitStatus.FAILED, self._once(f"{label}: Imgur's API budget for this client is spent; "
                                                     "asking no more, finishing what is already known "
                                                     f"(try again {later})", key="budget"))

    # -- one lookup (in a resolver thread) -------------------------------------------

    def _lookup(self, item: Candidate) -> _Outcome:
        listing = item.listing
        outcome = self._resolve(item.target, listing)
        if isinstance(outcome, Failure):
            if self.sharing is not None:
                self.sharing.settle(item.key, outcome.message or "not looked up",
                                    gone=outcome.status is ExitStatus.NOT_FOUND)
            return replace(outcome, url=item.target.url, id=item.target.id, listing=listing.label if listing else None)
        claim = item.key if self.sharing is not None else None
        if listing is None:
            return replace(outcome, claim=claim)
        return replace(outcome, listing=listing, position=item.position, posted=item.posted, claim=claim)

    def _resolve(self, target: Target, listing: Listing | None) -> Album | Failure:
        name = target.url if listing is None else f"{listing.label} post {target.id}"
        try:
            return self._album_or_gone(target, listing, name)
        except BudgetSpentError as exc:
            return self._budget(name, exc)
        except ApiClosedError as exc:
            return Failure(ExitStatus.FAILED, self._once(f"{exc}; nothing can be looked up"))
        except ImgurDLError as exc:  # RegionBlockedError among them: one line, as any other
            return Failure(ExitStatus.FAILED, f"{name}: {exc}")
        except Exception as exc:  # a bug; it must not cost the other albums
            if self.debug:
                raise
            return Failure(ExitStatus.FAILED, f"{name}: {bug(exc)}")

    def _album_or_gone(self, target: Target, listing: Listing | None, name: str) -> Album | Failure:
        """``target``'s album; or, where Imgur knows it no more, what the Wayback Machine brings back of it (asked
        here, inside :meth:`_resolve`'s guard: a bug met there costs this URL alone, as one met asking Imgur)."""
        try:
            return self.api.resolve(target)
        except EmptyAlbumError as exc:
            return Failure(ExitStatus.NOT_FOUND, f"{name}: {exc}")
        except NotFoundError:
            pass
        if self.wayback is not None and listing is None:
            return from_wayback(target, self.wayback, prefer_gif=self.prefer_gif)
        return Failure(ExitStatus.NOT_FOUND, f"{name}: not found (no such album or image, or it is no longer public)")


def from_wayback(target: Target, archive: Wayback, *, prefer_gif: bool) -> Album | Failure:
    """A target Imgur's API no longer knows, from what the Wayback Machine holds, when that is reliable."""
    gone = f"{target.url}: not found on Imgur"
    if target.kind is not Kind.IMAGE:
        return Failure(ExitStatus.NOT_FOUND, f"{gone}; the Wayback Machine cannot bring back a whole album "
                                             "or post reliably (only files whose direct links are known)")
    try:
        ext = archive.find_extension(target.id)
    except ImgurDLError as exc:
        return Failure(ExitStatus.NOT_FOUND, f"{gone}; the Wayback Machine could not be asked ({exc})")
    if ext is None:
        return Failure(ExitStatus.NOT_FOUND, f"{gone}, and the Wayback Machine has no capture of its file")
    return album_from_link(replace(target, ext=ext), prefer_gif=prefer_gif)
