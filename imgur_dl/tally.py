"""What a scan's targets came to, said once it is over: the listings among them (the first one met, those left
unread with --no-listings), and the scan's counts in a line."""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imgur_dl.choice import A_LISTING
from imgur_dl.report import human
from imgur_dl.text import counted, joined

if TYPE_CHECKING:
    from imgur_dl.models import Target
    from imgur_dl.scan import Stats


@dataclass
class Tally:
    """The listings among a scan's targets, counted as they go by."""

    no_listings: bool  # listings found are counted, not fetched
    listed: bool = False  # a listing is among the targets (--range and --since choose nothing without one)
    unread: int = 0  # listings found and left alone (--no-listings)

    def targets(self, given: Iterable[Target], found: Iterable[Target]) -> Generator[Target, None, None]:
        """Those ``given``, then those ``found`` (with --no-listings, their listings counted, not given), noted."""
        for target in itertools.chain(given, self._posts_only(found) if self.no_listings else found):
            self.listed = self.listed or target.kind.is_listing
            yield target

    def _posts_only(self, found: Iterable[Target]) -> Iterator[Target]:
        for target in found:
            if target.kind.is_listing:
                self.unread += 1
            else:
                yield target

    def lines(self, stats: Stats, choosing: list[str]) -> list[str]:
        """What the scan read and found, and (known only now: a scan's targets are found as it reads) whether
        ``choosing`` (--range, --since) chose nothing."""
        unread = self.unread
        left = f" ({unread} of them {'a listing' if unread == 1 else 'listings'}, left unread: --no-listings)" \
            if unread else ""
        them = "it" if stats.cut == 1 else "them"
        cut = f"; {counted(stats.cut, 'link')} left out: cut short, as a page shows {them}" if stats.cut else ""
        said = [f"imgur-dl: scanned {human(stats.read)}: {counted(stats.links, 'Imgur link')}, "
                f"{counted(stats.targets, 'distinct target')}{left}{cut}"]
        nothing = self.chose_nothing(choosing)
        return said if nothing is None else [*said, nothing]

    def chose_nothing(self, choosing: list[str]) -> str | None:
        """Where ``choosing`` (--range, --since) chose nothing, as no listing was among the targets, a line saying
        so; else None."""
        if not choosing or self.listed:
            return None
        found_none = "left the listings it found unread (--no-listings)" if self.unread else f"found no {A_LISTING}"
        return (f"imgur-dl: {joined(choosing)} chose nothing: the scan {found_none}, and an album is always fetched "
                "whole")
