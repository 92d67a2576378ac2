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

from imgur_dl.answers import Post
from imgur_dl.api import ImgurApi
from imgur_dl.archive import Archive
from imgur_dl.choice import Choice
from imgur_dl.errors import BudgetSpentError, ImgurDLError, NotFoundError
from imgur_dl.models import Candidate, Entry, Failure, Kind, Listing, Target
from imgur_dl.status import ExitStatus

# Pages read of one listing at the most (60 posts a page: 600,000 posts).
MAX_PAGES = 10_000


class Verdict(Enum):
    """What becomes of one listed post."""

    TAKE = "take"
    SKIP = "skip"
    STOP = "stop"  # nothing later in this listing is wanted


class Pages:
    """Reads listings, page by page, for one run; counts the posts it skipped because the archive has them."""

    def __init__(self, api: ImgurApi, choice: Choice, archive: Archive | None, *, say: Callable[[str], None],
                 budget: Callable[[str, BudgetSpentError], Failure]) -> None:
        self.api = api
        self.choice = choice
        self.archive = archive
        self.say = say
        self.budget = budget  # the failure that says the API's budget is spent (said once a run)
        self.in_archive = 0  # listed posts skipped because the archive has them complete

    def posts(self, target: Target) -> Iterator[list[Candidate | Failure]]:
        """The chosen posts of a listing, with their positions, page by page.

        A post seen before in this listing is not taken again, and a page with
        nothing new ends the listing (a server that answers every page alike
        cannot make it endless); past :data:`MAX_PAGES`, it ends, and says so.
        """
        listing = Listing(target.kind, target.id)
        position = 0
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            posts = self._page(target, page)
            if isinstance(posts, Failure):
                yield [replace(posts, url=target.url, listing=listing.label)]
                return
            fresh = [post for post in dict((p.id, p) for p in posts).values() if post.id not in seen]
            if not fresh:
                return  # past the end (an empty page), or nothing new
            seen.update(post.id for post in fresh)
            known = archived(self.archive, fresh)
            chosen: list[Candidate | Failure] = []
            for post in fresh:
                position += 1
                verdict = self._choose(target, post, position, post.id in known)
                if verdict is Verdict.STOP:
                    yield chosen
                    return
                if verdict is Verdict.TAKE:
                    chosen.append(_candidate(post, listing, position))
            yield chosen
        self.say(f"imgur-dl: {target.url}: stopped after {MAX_PAGES} pages ({position} posts), the most "
                 "one listing is read")

    def _page(self, target: Target, page: int) -> list[Post] | Failure:
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

    def _choose(self, target: Target, post: Post, position: int, archived: bool) -> Verdict:
        if self.choice.past_end(position):
            return Verdict.STOP
        if self.choice.older(post.created_at):
            # A user's posts come newest first: nothing later is newer.
            return Verdict.STOP if target.kind is Kind.USER else Verdict.SKIP
        if not self.choice.wants(position):
            return Verdict.SKIP
        if archived:
            self.in_archive += 1
            if self.choice.break_on_existing:
                self.say(f"imgur-dl: {target.url}: post {post.id} is in the archive; "
                         "reading no further (--break-on-existing)")
                return Verdict.STOP
            return Verdict.SKIP
        return Verdict.TAKE


def _candidate(post: Post, listing: Listing, position: int) -> Candidate:
    """A listed post to start: an image post as listed, an album post to look up."""
    if post.ready is not None:
        return Candidate((Entry.IMAGE, post.id), Target(Kind.IMAGE, post.id, f"imgur.com/{post.id}"), listing,
                         position, post.created_at, ready=post.ready)
    kind, url = (Kind.ALBUM, f"imgur.com/a/{post.id}") if post.is_album else (Kind.IMAGE, f"imgur.com/{post.id}")
    entry = Entry.ALBUM if post.is_album else Entry.IMAGE
    return Candidate((entry, post.id), Target(kind, post.id, url), listing, position, post.created_at)


def archived(archive: Archive | None, posts: list[Post]) -> set[str]:
    """The posts of a page that ``archive`` has complete, by post id: two queries a page."""
    if archive is None:
        return set()
    images = {post.ready.media[0].id if post.ready else post.id: post.id for post in posts if not post.is_album}
    albums = [post.id for post in posts if post.is_album]
    found = archive.has_many(Entry.ALBUM, albums)
    return found | {images[i] for i in archive.has_many(Entry.IMAGE, images)}
