"""From what the user named to albums: URL -> posts -> albums.

An album, gallery post or image URL is one album. A listing (a user's posts
or favorites, a folder, a tag, a subreddit, a search) is read page by page,
while the albums of earlier posts download: an image post comes complete in
the listing, an album post is looked up, a few ahead, in the resolver pool.
``--range``, ``--since`` and the download archive choose posts before any
lookup, so a nightly sync of a large account costs a page or two.

Runs in the main thread; it yields, in order, each album or the reason one
could not be had, and never raises for anything a server sent.
"""

from __future__ import annotations

import collections
import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from imgur_dl.answers import Post, album_from_link
from imgur_dl.api import ImgurApi
from imgur_dl.archive import Archive
from imgur_dl.choice import Choice
from imgur_dl.errors import (
    BudgetSpentError,
    Cancelled,
    EmptyAlbumError,
    ImgurDLError,
    NetworkError,
    NotFoundError,
)
from imgur_dl.models import Album, Kind, Listing, Target
from imgur_dl.status import ExitStatus
from imgur_dl.wayback import Wayback

# Album lookups ahead of the one being started: enough to hide the API's
# latency behind downloads, few enough to stay clear of its rate limits.
AHEAD = 8
# Pages read of one listing at the most (60 posts a page: 600,000 posts).
MAX_PAGES = 10_000


@dataclass(frozen=True)
class Failure:
    """Why one target or post gave no album."""

    status: ExitStatus
    message: str  # '' when an earlier failure already said it
    url: str = ""  # the URL (or post) that gave nothing
    id: str | None = None  # its album or image id, when known
    listing: str | None = None  # the listing it was in


_Outcome = Album | Failure


class Planner:
    def __init__(self, api: ImgurApi, resolver: ThreadPoolExecutor, *, choice: Choice | None = None,
                 archive: Archive | None = None, wayback: Wayback | None = None, prefer_gif: bool = False,
                 debug: bool = False, say: Callable[[str], None] = lambda _m: None) -> None:
        self.api = api
        self.resolver = resolver
        self.choice = choice or Choice()
        self.archive = archive
        self.wayback = wayback
        self.prefer_gif = prefer_gif
        self.debug = debug
        self.say = say
        self.in_archive = 0  # listed posts skipped because the archive has them complete
        self._lock = threading.Lock()
        self._said: set[str] = set()

    def albums(self, targets: list[Target]) -> Iterator[_Outcome]:
        """Every album the targets name, in order, looked up a few ahead."""
        ahead: collections.deque[Future[_Outcome]] = collections.deque()
        work = self._work(targets)
        for item in itertools.islice(work, AHEAD):
            ahead.append(item)
        while ahead:
            outcome = ahead.popleft().result()
            for item in itertools.islice(work, 1):
                ahead.append(item)
            yield outcome

    # -- what to look up ---------------------------------------------------------

    def _work(self, targets: list[Target]) -> Iterator[Future[_Outcome]]:
        """A future outcome per album-to-be: lookups in the pool, listed images at once."""
        for target in targets:
            if not target.kind.is_listing:
                yield self.resolver.submit(self._lookup, target, None, 0, "")
                continue
            listing = Listing(target.kind, target.id)
            for position, post in self._posts(target):
                if isinstance(post, Failure):
                    yield _done(post)
                elif post.image is not None:
                    yield _done(replace(post.image, listing=listing, position=position, posted=post.created_at))
                else:
                    yield self.resolver.submit(self._lookup, Target(Kind.ALBUM, post.id, f"imgur.com/a/{post.id}"),
                                               listing, position, post.created_at)

    def _posts(self, target: Target) -> Iterator[tuple[int, Post | Failure]]:
        """The chosen posts of a listing, with their positions, page by page."""
        position = 0
        for page in range(MAX_PAGES):
            posts = self._page(target, page)
            if isinstance(posts, Failure):
                yield position, replace(posts, url=target.url, listing=Listing(target.kind, target.id).label)
                return
            if not posts:
                return  # past the end: an empty page
            for post in posts:
                position += 1
                verdict = self._choose(target, post, position)
                if verdict == "stop":
                    return
                if verdict == "take":
                    yield position, post

    def _page(self, target: Target, page: int) -> list[Post] | Failure:
        if self.api.spent:
            return self._budget(target.url)
        try:
            return self.api.listing_page(target, page)
        except BudgetSpentError:
            return self._budget(target.url)
        except NotFoundError:
            if page:
                return []
            return Failure(ExitStatus.NOT_FOUND, f"{target.url}: not found (no such user, tag, subreddit "
                                                 "or folder, or it is not public)")
        except Cancelled:
            raise
        except ImgurDLError as exc:
            return Failure(ExitStatus.FAILED, f"{target.url}: page {page + 1}: {exc}; "
                                              "stopped reading this listing there")

    def _choose(self, target: Target, post: Post, position: int) -> str:
        """'take', 'skip' or 'stop' (nothing later in this listing is wanted)."""
        if self.choice.past_end(position):
            return "stop"
        if self.choice.since and post.created_at and post.created_at < self.choice.since:
            # A user's posts come newest first: nothing later is newer.
            return "stop" if target.kind is Kind.USER else "skip"
        if not self.choice.wants(position):
            return "skip"
        if self._archived(post):
            self.in_archive += 1
            if self.choice.break_on_existing:
                self.say(f"imgur-dl: {target.url}: post {post.id} is in the archive; "
                         "reading no further (--break-on-existing)")
                return "stop"
            return "skip"
        return "take"

    def _archived(self, post: Post) -> bool:
        if self.archive is None:
            return False
        if post.image is not None:
            return self.archive.has(post.image.media[0].id)
        return self.archive.has_album(post.id)

    def _once(self, message: str, key: str | None = None) -> str:
        """``message`` the first time (per ``key``), '' after: the same problem is said once."""
        with self._lock:  # (lookups run in several threads)
            if (key or message) in self._said:
                return ""
            self._said.add(key or message)
            return message

    def _budget(self, label: str) -> Failure:
        return Failure(ExitStatus.FAILED, self._once(f"{label}: Imgur's API budget for this client is spent; "
                                                     "asking no more, finishing what is already known "
                                                     "(try again in an hour)", key="budget"))

    # -- one lookup (in a resolver thread) -------------------------------------------

    def _lookup(self, target: Target, listing: Listing | None, position: int, posted: str) -> _Outcome:
        outcome = self._resolve(target, listing)
        if isinstance(outcome, Failure):
            return replace(outcome, url=target.url, id=target.id, listing=listing.label if listing else None)
        return outcome if listing is None else replace(outcome, listing=listing, position=position, posted=posted)

    def _resolve(self, target: Target, listing: Listing | None) -> _Outcome:
        name = target.url if listing is None else f"{listing.label} post {target.id}"
        try:
            album = self.api.resolve(target)
        except EmptyAlbumError as exc:
            return Failure(ExitStatus.NOT_FOUND, f"{name}: {exc}")
        except NotFoundError:
            if self.wayback is not None and listing is None:
                return self._from_archive(target, self.wayback)
            return Failure(ExitStatus.NOT_FOUND, f"{name}: not found (no such album or image, "
                                                 "or it is no longer public)")
        except BudgetSpentError:
            return self._budget(name)
        except NetworkError as exc:
            return Failure(ExitStatus.FAILED, self._once(f"{exc}; nothing can be looked up"))
        except Cancelled:
            raise
        except ImgurDLError as exc:  # RegionBlockedError among them: one line, as any other
            return Failure(ExitStatus.FAILED, f"{name}: {exc}")
        except Exception as exc:  # a bug; it must not cost the other albums
            if self.debug:
                raise
            return Failure(ExitStatus.FAILED, f"{name}: unexpected {type(exc).__name__} (a bug; --debug shows it)")
        return album

    def _from_archive(self, target: Target, archive: Wayback) -> _Outcome:
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
        return album_from_link(replace(target, ext=ext), prefer_gif=self.prefer_gif)


def _done(outcome: _Outcome) -> Future[_Outcome]:
    future: Future[_Outcome] = Future()
    future.set_result(outcome)
    return future
