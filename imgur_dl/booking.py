"""What follows from each finished file, listed file or failed lookup, in the main thread: booked (album.json, the
download archive), counted, shown on the bar, and its failure said (Imgur's region block once, not once a file)."""

from __future__ import annotations

from imgur_dl.books import Books
from imgur_dl.heap import Trim
from imgur_dl.models import Archived, Failure, Result, Status
from imgur_dl.progress import Progress
from imgur_dl.readthrough import ReadThrough
from imgur_dl.report import Tally
from imgur_dl.status import ExitStatus
from imgur_dl.text import Once


class Booking:
    def __init__(self, books: Books, tally: Tally, progress: Progress, trim: Trim, *, wayback: bool,
                 through: ReadThrough | None = None) -> None:
        self.books = books
        self.tally = tally
        self.progress = progress
        self.trim = trim
        self.wayback = wayback  # files Imgur no longer serves are looked for in the Wayback Machine
        self.through = through  # where listings were read to their end: what of their posts failed, and how
        self._once = Once()

    def result(self, result: Result) -> Result:
        """Everything that follows from one finished file."""
        result, written = self.books.record(result)
        self.tally.add(result)
        if result.status is Status.FAILED:
            self.missed(result)
        if result.status is Status.SKIPPED:  # its bytes are there: the bar's share of the whole says so too
            self.progress.advance(result.bytes or result.job.media.sources[0].size or 0)
        self.progress.file_done()
        self.trim.file_booked()
        if result.region_blocked:
            self.region(result)
        elif result.status is Status.FAILED and not result.told:
            album = result.job.album
            self.progress.error(f"{album.id + '/' if album.is_album else ''}{result.job.media.id}: {result.error}")
        if not written:
            self.tally.note(ExitStatus.FAILED)  # (its files are counted; album.json is not one)
        return result

    def archived(self, archived: Archived) -> Archived:
        """Files the archive has, booked together: counted, and their share of the bar filled in at once."""
        if not self.books.archived(archived):
            self.tally.note(ExitStatus.FAILED)  # (album.json could not be written)
        self.tally.skipped(archived.count)
        self.progress.advance(archived.size)
        self.progress.file_done(archived.count)
        self.trim.file_booked()
        return archived

    def lookup_failed(self, failure: Failure) -> Failure:
        """A target that gave nothing (not found, refused, unreachable)."""
        if failure.message:
            self.progress.error(failure.message)
        self.tally.album_failed(failure.status)
        if self.through is not None and failure.listing is not None and failure.id is not None:
            self.through.missed(failure.listing, failure.id, None, gone=failure.status is ExitStatus.NOT_FOUND)
        return failure

    def missed(self, result: Result) -> None:
        """A listed post's file that failed: gone from Imgur (it says so; not kept from this region), or not."""
        listing = result.job.album.listing
        if self.through is not None and listing is not None:
            self.through.missed(listing.label, result.job.album.id, result.job.media.id,
                                gone=result.gone and not result.region_blocked)

    def region(self, result: Result) -> None:
        """Imgur blocks this region: said once, not once per file."""
        if self._once.first("region"):
            then = "looking for each file in the Wayback Machine" if self.wayback else "nothing is saved from here"
            self.progress.error(f"{result.job.media.id}: {result.error}; {then}")
