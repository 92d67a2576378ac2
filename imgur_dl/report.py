"""What a run did, counted as it happens and told once at the end.

Albums and files are counted apart, failures wherever they happened (a URL
that named nothing, an album not found, a file that failed), and bytes as
they were moved over the network, resumed files included. One unit system
throughout: the binary one the progress bar uses (KiB, MiB, GiB).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imgur_dl.models import Origin, Result, Status
from imgur_dl.status import ExitStatus, worst
from imgur_dl.text import counted


@dataclass
class Tally:
    """Counts, not results: memory stays flat however long the run."""

    files: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    albums: int = 0  # albums whose files were started
    images: int = 0  # lone images (a direct link, an image post) started
    missing: int = 0  # URLs or posts that were not found, or empty
    failed_albums: int = 0  # URLs, posts or albums that gave no file for any other reason
    recovered: int = 0  # files saved from the Wayback Machine
    linked: int = 0  # saved files made hard links to an earlier copy (--dedupe)
    renamed: int = 0  # files found saved under their earlier place in the album's name, moved to their name now
    in_archive: int = 0  # listed posts skipped because the archive has them complete
    elsewhere: int = 0  # posts or albums another process has done, or failed (--share-work)
    held_back: int = 0  # of those, the ones it failed, held back for a time
    worst: ExitStatus = ExitStatus.SUCCESS  # of the albums' and URLs' own outcomes
    interrupted: bool = False
    ended_by: ExitStatus | None = None  # the signal's status when SIGTERM or SIGHUP ended it (not Ctrl-C)

    def add(self, result: Result) -> None:
        self.files[result.status] += 1
        saved = result.status is Status.SAVED  # (a file found saved says where it came from, and is not counted)
        self.recovered += saved and result.source is Origin.WAYBACK
        self.linked += saved and result.linked_to is not None
        self.renamed += result.renamed_from is not None

    def skipped(self, files: int) -> None:
        """Files the archive has (booked together)."""
        self.files[Status.SKIPPED] += files

    def started(self, is_album: bool) -> None:
        """An album (or a lone image) whose files are under way."""
        if is_album:
            self.albums += 1
        else:
            self.images += 1

    def file_failed(self) -> None:
        """A file that failed before it could be tried (the API's description of it was unusable)."""
        self.files[Status.FAILED] += 1

    def album_failed(self, status: ExitStatus) -> None:
        """A URL, post or album that gave no file at all."""
        self.note(status)
        if status is ExitStatus.NOT_FOUND:
            self.missing += 1
        else:
            self.failed_albums += 1

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return self.ended_by or ExitStatus.INTERRUPTED
        return worst([self.worst] + ([ExitStatus.FAILED] if self.files[Status.FAILED] else []))

    def note(self, status: ExitStatus) -> None:
        """An outcome that is not one file's: it may decide the exit status."""
        self.worst = worst([self.worst, status])


def summary(t: Tally, moved: int, seconds: float) -> str:
    """The one closing line: albums, then files, then bytes and time."""
    albums = [counted(t.albums, "album")] if t.albums or not t.images else []
    if t.images:
        albums.append(counted(t.images, "image"))
    if t.missing:
        albums.append(f"{t.missing} not found")
    if t.failed_albums:
        albums.append(f"{t.failed_albums} failed")
    if t.in_archive:
        albums.append(f"{counted(t.in_archive, 'listed post')} already in the archive")
    if t.elsewhere:
        held = f" ({t.held_back} failed there and held back: --fleet says why)" if t.held_back else ""
        albums.append(f"{t.elsewhere} claimed elsewhere{held}")
    notes = [f"{t.recovered} from the Wayback Machine"] if t.recovered else []
    if t.linked:
        notes.append(f"{t.linked} linked to an earlier copy")
    recovered = f" ({', '.join(notes)})" if notes else ""
    renamed = f" ({t.renamed} renamed to their place now)" if t.renamed else ""
    files = (f"files: {t.files[Status.SAVED]} saved{recovered}, {t.files[Status.SKIPPED]} skipped{renamed}, "
             f"{t.files[Status.FAILED]} failed")
    line = f"{', '.join(albums)}; {files}; {human(moved)} in {seconds:.1f}s"
    if t.interrupted:
        line = f"interrupted; {line}; run the same command again to finish"
    return "imgur-dl: " + line


def human(size: int) -> str:
    """Bytes in binary units, as the progress bar shows them (1,048,575 bytes are 1.0 MiB, not 1024.0 KiB)."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if round(value, 1) < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
