"""A scan as a run takes it (``--scan``, and :func:`imgur_dl.links_in` and ``imgur_dl.download(scan=...)``): the targets
of every Imgur link in the files named, after those given (each once), found as the files are read; and what it met,
in lines for stderr, once it is over or interrupted."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from imgur_dl import threads
from imgur_dl.archive_place import is_postgres
from imgur_dl.defaults import DEFAULT_SCAN_JOBS
from imgur_dl.models import Target
from imgur_dl.options import Options
from imgur_dl.scan import Scanner, processes, scanned
from imgur_dl.status import ExitStatus, worst
from imgur_dl.tally import Tally
from imgur_dl.text import ERROR_PREFIX, WARNING_PREFIX, printable, without_secrets


@dataclass
class Scan:
    """A scan under way: its targets as they are found (those given first), and what it met."""

    scanner: Scanner
    tally: Tally
    targets: Generator[Target, None, None]  # (closed, its readers end: the run is over, or given up)

    def met(self) -> list[str]:
        """What the files' reading met, a line each for stderr (errors, then warnings): once the scan is over, or up
        to where it was interrupted (its readers add to the lists as they come: they are copied first)."""
        return [printable(ERROR_PREFIX + without_secrets(str(error))) for error in list(self.scanner.errors)] + \
            [printable(WARNING_PREFIX + warning) for warning in list(self.scanner.warnings)]

    def summary(self, choosing: list[str]) -> list[str]:
        """What the scan read and found, and whether ``choosing`` (--range, --since) chose nothing."""
        return self.tally.lines(self.scanner.stats, choosing)

    @property
    def exit_status(self) -> ExitStatus:
        """What the files' reading calls for (a file that could not be read, one cut short)."""
        return worst([error.exit_status for error in self.scanner.errors])


def scanning(names: list[str], given: Iterable[Target], options: Options, stdin: BinaryIO) -> Scan:
    """The scan of the files ``names`` name ('-': ``stdin``; a folder: every file below it), ``given``'s targets
    first (and not again), read side by side by up to ``--scan-jobs`` processes; with ``options.get_urls``, a link
    extractor on its own (no download needs the room, no output folder is left out)."""
    scanner = Scanner(debug=options.debug)
    for target in given:
        scanner.take(target)
    output = None if options.get_urls else options.output  # (-g saves nothing: no folder of its to leave out)
    archive = None if options.archive is None or is_postgres(options.archive) else Path(options.archive)
    jobs = options.scan_jobs or min(processes(), DEFAULT_SCAN_JOBS)
    if not options.get_urls:  # (-g asks nothing of Imgur: no thread of the run's needs the room)
        jobs, fewer = threads.readers(jobs, options.workers, bound=threads.bound())
        scanner.warnings += [] if fewer is None else [fewer]
    tally = Tally(options.no_listings)
    found = scanned(names, scanner, stdin, output=output, archive=archive, processes=jobs)
    return Scan(scanner, tally, tally.targets(given, found))
