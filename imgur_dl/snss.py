"""A Chromium browser's session files as text to scan: each tab's address and title on a line of its own.

Chrome, Edge, Brave and every Chromium browser keep their open tabs and
windows, and recently closed ones, in ``Sessions/Session_<time>`` and
``Sessions/Tabs_<time>`` (``Current Session``, ``Last Tabs`` ... before):
``SNSS``, a version, then commands one after another, each its size (two
bytes), its kind (one) and what it holds. A tab's page (a "navigation") is
held as Chromium's pickle writes one: its index, its address as a string
(its length in four bytes, its bytes, then zeros up to a multiple of four),
its title in UTF-16 the same way, and more (CCL's and artemis's readers of
the format, public). Read as bytes, an address whose length is a multiple
of four is followed at once by the title's length, whose first byte is a
letter or a digit for a title of 48 to 57, 65 to 90 or 97 to 122
characters: ``imgur.com/t/cats`` then ``Q`` (a title of 81), the tag
``catsQ``. Here each command is read apart, on a line of its own, and a
page's address and title each on theirs; the rest of each command (what
the page held, where it was come from) is read as it is.
"""

from __future__ import annotations

import re
import struct

from imgur_dl.reader import Whole

MAGIC = b"SNSS"
MOST = 256 * 1024 * 1024  # bytes of a session file read whole, at the most (larger: read as bytes)
_HEADER = 8  # the magic number and the version
# The kinds of command that hold a tab's page: in a session file (Session_*), and in a tabs file (Tabs_*). Either
# is read as one only when it is one whole (its sizes agree, its address has no byte below a space): a command of
# the other file's kind with that number (a window's bounds, an extension's id) never is.
_PAGES = (6, 1)
_SIZE = struct.Struct("<I")
_CONTROL = re.compile(rb"[\x00-\x1f]")  # (no address holds one)


def commands(data: bytes) -> Whole:
    """Each command of the session file ``data``, a line each, a page's address and title on lines of their own."""
    if not data.startswith(MAGIC) or len(data) < _HEADER:
        return Whole(b"", "cut short" if data.startswith(MAGIC) else "not a session file")
    text = bytearray()  # (not a list of pieces: a file of empty commands would take more than its size in those)
    at = _HEADER
    while at + 3 <= len(data):
        size = int.from_bytes(data[at:at + 2], "little")
        kind, payload = data[at + 2], data[at + 3:at + 2 + size]
        at += 2 + size
        page = _page(payload) if kind in _PAGES else None
        for piece in page if page is not None else (payload,):
            text += piece
            text += b"\n"
        text += b"\n"
    text += data[at:]  # (what is too short to be a command: as it is; one cut short, as a running browser leaves
    # its file, was read as what of it arrived)
    return Whole(bytes(text))


def _page(payload: bytes) -> tuple[bytes, bytes, bytes] | None:
    """A tab's page, as the pickle ``payload`` holds it: its address, its title (as UTF-8) and the rest; None when it
    is not one (its sizes do not agree)."""
    if len(payload) < 16 or _SIZE.unpack_from(payload)[0] != len(payload) - 4:
        return None
    address, at = _string(payload, 12, 1)  # (after the pickle's size, the tab's id and the page's index)
    if address is None or _CONTROL.search(address):
        return None
    title, at = _string(payload, at, 2)
    if title is None:
        return None
    return address, title.decode("utf-16-le", "replace").encode(), payload[at:]


def _string(payload: bytes, at: int, width: int) -> tuple[bytes | None, int]:
    """The string at ``at`` of ``payload`` (its length in characters of ``width`` bytes, then them, then zeros to a
    multiple of four) and where what follows it begins; None when it runs past the end."""
    if at + 4 > len(payload):
        return None, at
    length = _SIZE.unpack_from(payload, at)[0] * width
    end = at + 4 + length
    if end > len(payload):
        return None, at
    return payload[at + 4:end], end + -length % 4
