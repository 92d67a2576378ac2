"""A listing read page by page: the posts ``--range``, ``--since`` and the archive choose, in order.

A user's posts or favorites, a folder, a tag, a subreddit or a search: each
page is asked for when the posts before it are under way
(:mod:`imgur_dl.planner` draws them), and an image post comes complete in
its page while an album post is left to look up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from enum import Enum

from imgur_dl.answers import Post, Unlisted
from imgur_dl.api import ImgurApi
from imgur_dl.archive import Archive
from imgur_dl.choice import Choice
from imgur_dl.errors import BudgetSpentError, ImgurDLError, NotFoundError
from imgur_dl.models import Candidate, Entry, Failure, Kind, Listing, Target
from imgur_dl.readthrough import Read, ReadThrough
from imgur_dl.status import ExitStatus
from imgur_dl.text import Once

# Pages read of one listing at the most (60 posts a page: 600,000 posts).
MAX_PAGES = 10_000


class Verdict(Enum):
    """What becomes of one listed post."""

    TAKE = "take"
    SKIP = "skip"
    STOP = "stop"  # nothing later in this listing is wanted
    REACHED = "reached"  # an earlier run read the listing to its end from here: all later is in the archive


class Pages:
    """Reads listings, page by page, for one run; counts the posts it skipped because the archive has them."""

    def __init__(self, api: ImgurApi, choice: Choice, archive: Archive | None, *, say: Callable[[str], None],
                 budget: Callable[[str, BudgetSpentError], Failure], through: ReadThrough | None = None) -> None:
        self.api = api
        self.choice = choice
        self.archive = archive
        self.through = through  # where listings were read to their end (with an archive)
        self.say = say
        self.budget = budget  # the failure that says the API's budget is spent (said once a run)
        self.in_archive = 0  # listed posts skipped because the archive has them complete
        self._once = Once()  # (listings whose first post in the archive is said to be read past)

    def posts(self, target: Target) -> Iterator[list[Candidate | Failure]]:
        """The chosen posts of a listing, with their positions, page by page.

        A post seen before in this listing is not taken again, and a page with
        nothing new ends the listing (a server that answers every page alike
        cannot make it endless); past :data:`MAX_PAGES`, it ends, and says so.
        A listing read to its end (or, with ``--break-on-existing``, to where
        an earlier run read it to its end from; or to the most read of one)
        is told to :attr:`through`.
        """
        listing = Listing(target.kind, target.id)
        read = Read(listing) if self.through is not None else None
        read_from = self.through.read_from(listing) \
            if self.through is not None and self.choice.break_on_existing else None
        pages = _Pages(self, target)
        position = 0
        for _ in range(MAX_PAGES):
            fresh = pages.next()
            if isinstance(fresh, Failure):
                yield [replace(fresh, url=target.url, listing=listing.label)]
                return
            usable = [post for post in fresh if isinstance(post, Post)]
            if not usable:
                if read is not None and fresh:
                    read.left_out()  # (an unusable item among posts seen before)
                self._ended(read)  # (past the end: an empty page, or nothing new)
                return
            known = archived(self.archive, usable)
            chosen: list[Candidate | Failure] = []
            for n, post in enumerate(fresh):
                position += 1
                if isinstance(post, Unlisted):
                    said = self._unlisted(target.url, listing, post, position, page=pages.page, read=read)
                    if isinstance(said, Verdict):  # (STOP)
                        yield chosen
                        return
                    chosen.extend(said)
                    continue
                reached = read_from is not None and post.id == read_from[0] and _following(
                    fresh, n, pages) == read_from[1]
                verdict = self._choose(target, post, position, post.id in known, reached)
                if verdict is Verdict.REACHED and read is not None and read.top is not None:
                    read.past(post.id)  # (the post after where this read began, where that one is the first)
                    self._ended(read)
                if verdict in (Verdict.STOP, Verdict.REACHED):
                    yield chosen
                    return
                if read is not None:
                    _passed(read, post, verdict, post.id in known)
                if verdict is Verdict.TAKE:
                    chosen.append(_candidate(post, listing, position))
            yield chosen
        self.say(f"imgur-dl: {target.url}: stopped after {MAX_PAGES} pages ({position} posts), the most "
                 "one listing is read")
        self._ended(read)  # (as far as any run reads it: a sync that stops above would read it all again each time)

    def _ended(self, read: Read | None) -> None:
        if self.through is not None and read is not None:
            self.through.ended(read)

    def _page(self, target: Target, page: int) -> list[Post | Unlisted] | Failure:
        try:
            return self.api.listing_page(target, page)
        except BudgetSpentError as exc:
            return self.budget(target.url, exc)
        except NotFoundError:
            if page:
                return []
            return Failure(ExitStatus.NOT_FOUND, f"{target.url}: not found (no such user, tag, subreddit "
                                                 "or folder, or it is not public)")
        except ImgurDLError as exc:
            return Failure(ExitStatus.FAILED, f"{target.url}: page {page + 1}: {exc}; "
                                              "stopped reading this listing there")

    def _unlisted(self, url: str, listing: Listing, item: Unlisted, position: int, *, page: int,
                  read: Read | None) -> list[Failure] | Verdict:
        """An unusable item at ``position``, of page ``page`` (from 1): said where it is chosen; the read cannot say
        the listing is all saved (it may be a post no run saved). :attr:`Verdict.STOP` where nothing is wanted from
        here on."""
        if self.choice.past_end(position):
            return Verdict.STOP
        if read is not None:
            read.left_out()
        if not self.choice.wants(position):
            return []
        return [Failure(ExitStatus.FAILED, f"{url}: page {page}/item {item.index}: {item.why}", url=url,
                        listing=listing.label)]

    def _choose(self, target: Target, post: Post, position: int, archived: bool, reached: bool) -> Verdict:
        if self.choice.past_end(position):
            return Verdict.STOP
        if self.choice.older(post.created_at):
            # A user's posts come newest first: nothing later is newer.
            return Verdict.STOP if target.kind is Kind.USER else Verdict.SKIP
        if not self.choice.wants(position):
            return Verdict.SKIP
        if reached:
            self.in_archive += 1
            self.say(f"imgur-dl: {target.url}: post {post.id} and every later one are in the archive, as a run "
                     "that read this listing to its end found; reading no further (--break-on-existing)")
            return Verdict.REACHED
        if archived:
            self.in_archive += 1
            if self.choice.break_on_existing and self._once.first(target.url):
                self.say(f"imgur-dl: {target.url}: post {post.id} is in the archive, but not every later one is "
                         "known to be; reading on to where a run last read this listing to its end "
                         "(--break-on-existing)")
            return Verdict.SKIP
        return Verdict.TAKE


class _Pages:
    """A listing's pages in turn, each as its posts not seen before in the listing (none: its end) and its unusable
    items, in order; and the first such post of the next page, looked at before its turn (where the post a sync stops
    at is the last of a page: the page is asked for once)."""

    def __init__(self, pages: Pages, target: Target) -> None:
        self.pages = pages
        self.target = target
        self.page = 0  # the next page's number (from 0; once read, the page's number from 1)
        self._seen: set[str] = set()
        self._next: list[Post | Unlisted] | Failure | None = None  # the next page, asked for already

    def next(self) -> list[Post | Unlisted] | Failure:
        """The next page's posts not seen before, and its unusable items; or why it could not be read."""
        got = self._next if self._next is not None else self.pages._page(self.target, self.page)
        self._next = None
        self.page += 1
        if isinstance(got, Failure):
            return got
        return self._fresh(got)

    def following(self) -> str | None:
        """The id of the first post of the next page not seen before (``""``: none, the listing ends); None where
        that page could not be read (it is said in its turn), or begins with an unusable item."""
        if self._next is None:
            self._next = self.pages._page(self.target, self.page)
        if isinstance(self._next, Failure):
            return None
        first = next((post for post in self._next if isinstance(post, Unlisted) or post.id not in self._seen), None)
        return "" if first is None else None if isinstance(first, Unlisted) else first.id

    def _fresh(self, got: list[Post | Unlisted]) -> list[Post | Unlisted]:
        fresh: list[Post | Unlisted] = []
        for post in got:
            if isinstance(post, Post):
                if post.id in self._seen:
                    continue
                self._seen.add(post.id)
            fresh.append(post)
        return fresh


def _following(fresh: list[Post | Unlisted], n: int, pages: _Pages) -> str | None:
    """The id of the post after ``fresh[n]`` (``""``: none; None: not known, an unusable item)."""
    if n + 1 < len(fresh):
        after = fresh[n + 1]
        return None if isinstance(after, Unlisted) else after.id
    return pages.following()


def _candidate(post: Post, listing: Listing, position: int) -> Candidate:
    """A listed post to start: an image post as listed, an album post to look up."""
    if post.ready is not None:
        return Candidate((Entry.IMAGE, post.id), Target(Kind.IMAGE, post.id, f"imgur.com/{post.id}"), listing,
                         position, post.created_at, ready=post.ready)
    kind, url = (Kind.ALBUM, f"imgur.com/a/{post.id}") if post.is_album else (Kind.IMAGE, f"imgur.com/{post.id}")
    entry = Entry.ALBUM if post.is_album else Entry.IMAGE
    return Candidate((entry, post.id), Target(kind, post.id, url), listing, position, post.created_at)


def _passed(read: Read, post: Post, verdict: Verdict, archived: bool) -> None:
    """``post`` passed by ``read``: taken, passed over as the archive has it, or left out."""
    read.past(post.id)
    if verdict is Verdict.TAKE:
        read.took(post.id, *_entry(post))
    elif not archived:
        read.left_out()


def _entry(post: Post) -> tuple[Entry, str]:
    """What the archive records ``post`` as once it is saved: its album, or its one image."""
    if post.is_album:
        return Entry.ALBUM, post.id
    return Entry.IMAGE, post.ready.media[0].id if post.ready else post.id


def archived(archive: Archive | None, posts: list[Post]) -> set[str]:
    """The posts of a page that ``archive`` has complete, by post id: two queries a page."""
    if archive is None:
        return set()
    entries = {post.id: _entry(post) for post in posts}
    found = {kind: archive.has_many(kind, [item for entry, item in entries.values() if entry is kind])
             for kind in (Entry.ALBUM, Entry.IMAGE)}
    return {post_id for post_id, (kind, item) in entries.items() if item in found[kind]}
