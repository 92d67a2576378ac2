"""What the command line and its lists name: each distinct target, kept packed until the run comes for it.

A list of a million links is read to its end before anything is asked (a
line that names nothing is said at once, and the exit status tells of it),
and the run then takes its targets one at a time. Held as objects, a
target and the key that keeps out its repeats cost some 270 bytes each
(a million links, 270 MB before the first file); here a target is the text
it was given as, in one buffer with the others, and its key 8 bytes in a
:class:`~imgur_dl.hashset.HashSet`: some 60 bytes each. It is read again
when the run comes for it, and names what it named the first time. (Two
whose keys hash alike would be one: for ten million links, a chance of
about one in 370,000.)
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from imgur_dl import listings, urls
from imgur_dl.hashset import HashSet
from imgur_dl.models import Target


class Given:
    """The distinct targets given, in the order given; iterating gives each as a :class:`Target`."""

    def __init__(self) -> None:
        self._text = bytearray()  # each target's URL as given, in UTF-8 (any surrogate as it was)
        self._ends = array("Q")  # where each one's text ends
        self._seen = HashSet()  # (kind, id) of each, hashed: a repeat is dropped
        self.listings = 0  # of them, listings (a user's posts, a tag, a search ...)
        self.needs_token: Target | None = None  # the first that only your own access token can list

    def add(self, target: Target) -> bool:
        """Keep ``target`` unless one naming the same was given before; whether it was kept."""
        if not self._seen.add(hash((target.kind.value, target.id))):
            return False
        self._text += target.url.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._text))
        if target.kind.is_listing:
            self.listings += 1
            if self.needs_token is None and listings.needs_token(target):
                self.needs_token = target
        return True

    def __len__(self) -> int:
        return len(self._ends)

    def __iter__(self) -> Iterator[Target]:
        start = 0
        for end in self._ends:
            yield urls.parse(self._text[start:end].decode("utf-8", "surrogatepass"))
            start = end
