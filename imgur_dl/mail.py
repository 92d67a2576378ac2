"""Email as it was sent (an mbox from Gmail's Takeout or Thunderbird, a .eml): the text a plain reading misses.

A body in quoted-printable wraps its lines at 76 characters with a ``=``
ending each (a link cut anywhere) and writes ``=`` as ``=3D``; a body in
base64 is lines of one alphabet. Both are read decoded, besides as they are.
:mod:`imgur_dl.scan` reads its input in blocks: a block is never cut at a
soft line break, and a part that a block's end cuts (its header, or a body
in base64 begun up to :data:`BASE64_CARRY` bytes before) is read with the
next block, whole, from its header on. A longer body (an attachment) is
decoded block after block, what may be a link going on held back for the
next. A body the header says is a picture, a video or a sound is not
decoded: it holds no text.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import enum
import html
import re
import string
from collections.abc import Callable, Iterator
from urllib.parse import unquote

__all__ = ["BASE64_CARRY", "Base64Bodies", "Quoting", "line_end", "quoted_beyond", "quoted_printable",
           "rewritten"]

# What marks text as quoted-printable: a soft line break (the line goes on), a space or tab at a line's end, a '='
# (rare in other text, and read twice when it is there: a piece of a message with none of the others, as a pipe
# may give, still holds "url=3Dhttps%3A...").
_SOFT_BREAK = rb"=(?:20|09)?\r*\n"
_QUOTED_PRINTABLE = re.compile(_SOFT_BREAK + rb"|=3D")
_WRAPPED = re.compile(_SOFT_BREAK)
# A body in base64, as MIME wraps it: lines of its alphabet alone (76 characters, as a rule), the last one shorter
# and maybe padded; four lines at least (shorter runs of such lines are too often something else, and hold little).
_BASE64 = re.compile(rb"(?m)(?:^[A-Za-z0-9+/]{40,100}\r?\n){3,}(?:^[A-Za-z0-9+/]{0,100}={0,2}\r?\n)")
# ... and a shorter one, one to three lines, right below a header that says it is in base64 (an email whose HTML is a
# sentence and a link).
_SHORT = re.compile(rb"(?i:content-transfer-encoding:[ \t]*base64)[ \t]*\r?\n(?:[^\r\n][^\n]*\n){0,20}?\r?\n"
                    rb"((?:[A-Za-z0-9+/]{1,100}={0,2}\r?\n){1,3})(?![A-Za-z0-9+/])")
_MORE = re.compile(rb"(?:[A-Za-z0-9+/]{1,100}={0,2}(?:\r?\n|\Z))*")  # the lines of a body begun before
_BASE64_TEXT = b"abcdefghijklmnopqrstuvwxyz0123456789+/\r\n"  # what such a body is made of (in lower case)
# A body in base64 cut by a block's end is read with the next block, whole, when it began up to this many bytes
# before (an email's HTML: Gmail clips a message at 102 KB); a longer one is read as it comes.
BASE64_CARRY = 256 * 1024
HEADER_MOST = 1024  # bytes of a part's header looked at, back from its body
_HEADER_START = (b"\n\n", b"\n\r\n", b"\n--")  # what comes before a part's header: a blank line, a boundary
_BLANK = re.compile(rb"\n\r?\n")
# A header's fields up to where a block's text ends (a field's last line maybe cut short), and a part's field.
_FIELDS = re.compile(rb"(?m)^(?:(?:[a-z0-9-]+:|[ \t])[^\n]*(?:\n|\Z))+\Z")
_PART = re.compile(rb"(?m)^content-(?:type|transfer-encoding):")
_MEDIA = re.compile(rb"(?m)^content-type:[ \t]*(?:image|video|audio)/")


# Links rewritten by Proofpoint's URL Defense, as a company's or a university's mail gateway rewrites every link of
# every message it lets in (the forms as Proofpoint's own decoder reads them, URLDefenseDecode.py, linked from its
# help page "How do I decode a rewritten URL?"). Version 2 puts the link in the query (u=), '%' written '-' and '/'
# written '_'; version 3 writes it between "__" and "__;", some characters replaced by '*' (a run of them by "**"
# and a letter for its length) and given after the ';' in base64. (Version 1 percent-encodes it in the query: read
# as any link inside another's is.)
# Each is read where "urldefense" is, a bounded piece at each (text made of such pieces cost seconds a MiB when
# each looked thousands of bytes ahead for its end).
_DEFENSE = re.compile(rb"(?i:urldefense(?:\.proofpoint)?\.com/v([23])/)")
_V2_LINK = re.compile(rb"url\?u=([^&\s\"'<>]{1,2048})")
_V3_GIVEN = re.compile(rb"([A-Za-z0-9_-]{0,2048})!")
_NOT_IN_A_LINK = re.compile(rb"[\s\"'<>]")
_LINK_MOST = 2048  # bytes of a rewritten link, at the most
_V2_ESCAPES = bytes.maketrans(b"-_", b"%/")
_V3_MARK = re.compile(r"\*(\*.)?")
_V3_RUNS = {c: n for n, c in enumerate(string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_", 2)}
_REWRITTEN_MOST = 3  # rewritten links inside rewritten links undone, at the most (a message forwarded, rewritten again)


class Going(enum.Enum):
    """What goes on past a block's cut, its header left behind."""

    NOTHING = "nothing"
    TEXT = "text"  # a body in base64, to be decoded
    MEDIA = "media"  # a body in base64 that is a picture, a video or a sound


def rewritten(text: bytes, lower: bytes) -> Iterator[bytes]:
    """Each link of ``text`` (``lower``: in lower case) that Proofpoint's URL Defense rewrote, as it was."""
    at = lower.find(b"urldefense")
    while at != -1:
        link, end = _as_written(text, at)
        for _ in range(_REWRITTEN_MOST - 1):  # (one rewritten again: undone again)
            inner = link.lower().find(b"urldefense")
            if inner == -1 or not (unwrapped := _as_written(link, inner)[0]):
                break
            link = unwrapped
        if link:
            yield link
        at = lower.find(b"urldefense", max(end, at + 10))  # (none looked for inside one read)


def _as_written(text: bytes, at: int) -> tuple[bytes, int]:
    """The link the URL Defense link at ``at`` stands for (empty when it does not say, or is none), and where what
    was read of it ends."""
    form = _DEFENSE.match(text, at)
    if form is None:
        return b"", at
    if form[1] == b"2":
        query = _V2_LINK.match(text, form.end())
        if query is None:
            return b"", form.end()
        return html.unescape(unquote(query[1].translate(_V2_ESCAPES).decode("ascii", "replace"))).encode(), query.end()
    start = form.end() + 2  # (past its "__")
    end = text.find(b"__;", start, start + _LINK_MOST)
    given = _V3_GIVEN.match(text, end + 3) if end != -1 and text.startswith(b"__", form.end()) else None
    if given is None or _NOT_IN_A_LINK.search(text, start, end):
        return b"", form.end()
    try:
        chars = base64.urlsafe_b64decode(given[1] + b"==").decode("utf-8")
    except (ValueError, UnicodeDecodeError):  # (binascii.Error is a ValueError)
        return b"", given.end()
    taken = 0

    def put(mark: re.Match[str]) -> str:
        nonlocal taken
        size = _V3_RUNS.get(mark[1][-1], 0) if mark[1] else 1
        taken += size
        return chars[taken - size:taken]

    link = _V3_MARK.sub(put, unquote(text[start:end].decode("ascii", "replace")))
    return b"" if taken > len(chars) else link.encode(), given.end()  # (more marks than characters: it does not say)


def quoted_printable(text: bytes) -> bytes | None:
    """``text`` decoded as quoted-printable, when it looks so; else None. (Text with a NUL byte in it is none:
    quoted-printable writes one as "=00". Binary data, a picture's, holds a soft line break by chance: a block of
    it was decoded and read again for nothing, about a third of what reading it costs.)"""
    return binascii.a2b_qp(text) if b"\x00" not in text and _QUOTED_PRINTABLE.search(text) else None


class Quoting:
    """Whether a file has shown itself quoted-printable: a part's header that says so, or a line wrapped as it
    wraps them (read a block at a time: from the block that shows it on)."""

    def __init__(self) -> None:
        self._shown = False

    def shown(self, text: bytes, lower: bytes, *, marked: bool) -> bool:
        """Whether the file has, up to the end of ``text`` (its next block; ``lower``: in lower case; ``marked``:
        whether it holds a mark of quoted-printable, :func:`quoted_printable`'s, a line it wraps among them)."""
        self._shown = (self._shown or b"quoted-printable" in lower
                       or (marked and _WRAPPED.search(text) is not None))
        return self._shown


def quoted_beyond(text: bytes, links: list[str]) -> bool:
    """Whether ``text`` writes a '=' as quoted-printable does, "=3D", outside ``links`` (all it holds as they are)."""
    return text.count(b"=3D") > sum(link.count("=3D") for link in links)


class Base64Bodies:
    """The bodies in base64 of text read a block at a time, decoded, but for pictures, videos and sounds.

    Each block's text is cut where :meth:`cut` says, then read
    (:meth:`decoded`); the last is read after :meth:`ending`. A body longer
    than is read again whole goes on being decoded block after block, the end
    of what was decoded held back from where a link may go on into what
    follows (``safe_end``: where decoded text may be cut without cutting a
    link), and read with it.
    """

    def __init__(self, safe_end: Callable[[bytes], int]) -> None:
        self._safe_end = safe_end
        self._going = Going.NOTHING  # what the text in hand begins with
        self._going_on = Going.NOTHING  # what goes on past its cut
        self._held = b""  # the decoded end of a body that goes on, not read yet
        self._mail: bool | None = None  # whether the text in hand holds the word "base64" (None: not looked)

    def cut(self, lower: bytes) -> int:
        """Where to cut a block's text (``lower``: in lower case, up to where it was to be cut)."""
        self._mail = b"base64" in lower
        cut, self._going_on = _base64_cut(lower, self._going, mail=self._mail)
        return cut

    def ending(self) -> None:
        """The text to be read next is the last: nothing goes on past it."""
        self._going_on, self._mail = Going.NOTHING, None

    def decoded(self, text: bytes, lower: bytes) -> Iterator[bytes]:
        """The bodies of ``text`` (``lower``: in lower case), the text cut where :meth:`cut` said.

        Looked for only where the word "base64" is, or a body goes on from an
        earlier block: looking everywhere cost five times the whole scan of
        text that has none.
        """
        going, self._going = self._going, self._going_on
        held = self._going is Going.TEXT  # (a body that reaches the text's end goes on: its end is held back)
        at = 0
        if going is not Going.NOTHING:  # (the text begins with the rest of a body: all of it, as a rule)
            more = None if _all_body(lower) else _MORE.match(text)
            at = len(text) if more is None else more.end()
            if going is Going.TEXT:
                yield from self._decode(text[:at], held=held and at == len(text))
        elif not (b"base64" in lower if self._mail is None else self._mail):
            return
        for run in _BASE64.finditer(text, at):
            if not _media(lower, run.start()):
                yield from self._decode(run[0], held=held and run.end() == len(text))
        while (at := lower.find(b"content-transfer-encoding:", at)) != -1:  # (a search in C, a match at each)
            short = _SHORT.match(text, at)
            at += 26
            if short is not None and not _media(lower, short.start(1)):
                with contextlib.suppress(binascii.Error):
                    yield binascii.a2b_base64(short[1])

    def _decode(self, lines: bytes, *, held: bool) -> Iterator[bytes]:
        """``lines`` decoded, after what was held back; its end held back too (``held``) from where a link may
        go on."""
        before, self._held = self._held, b""
        try:
            data = before + binascii.a2b_base64(lines)
        except binascii.Error:
            return
        if held:
            end = self._safe_end(data)
            data, self._held = data[:end], data[end:]
        yield data


def _base64_cut(lower: bytes, going: Going, *, mail: bool) -> tuple[int, Going]:
    """Where to cut ``lower`` (a block's text in lower case, up to where it was to be cut) so that a part of an
    email that may go on past its end, a body in base64 or a header, is read whole with what follows, from its
    header on; and what goes on past that cut without its header (``going``: what ``lower`` begins with;
    ``mail``: it says "base64")."""
    cut = len(lower)
    if going is not Going.NOTHING and _all_body(lower):  # (the rest of a body, and more to come)
        return cut, going
    if going is not Going.NOTHING or mail:
        low = max(0, cut - BASE64_CARRY)
        if low and _all_body(lower, low):  # (begun further back than is read again)
            word = lower.rfind(b"base64", 0, low)
            blank = _BLANK.search(lower, word) if word != -1 else None
            if blank is None:  # (begun in an earlier block)
                return cut, going
            return cut, Going.MEDIA if _media(lower, blank.end()) else Going.TEXT
        body = low + len(lower[low:cut].rstrip(_BASE64_TEXT))  # where what may be a body begins
        word = lower.rfind(b"base64", max(0, body - HEADER_MOST), min(body + 6, cut)) if body < cut else -1
        if word != -1:
            return _header(lower, word), Going.NOTHING  # (its header read again, with its body whole)
        if body == 0:  # (all of it goes on with what began before)
            return cut, going
    if lower.find(b"content-", max(0, cut - HEADER_MOST), cut) != -1:  # (maybe cut inside a part's header)
        fields = _FIELDS.search(lower, max(0, cut - HEADER_MOST), cut)
        if fields is not None and _PART.search(lower, fields.start(), cut):
            return fields.start(), Going.NOTHING
    return cut, Going.NOTHING


def line_end(text: bytes, end: int | None = None) -> int:
    """Past the last line's end before ``end`` that is not quoted-printable's soft line break (``=`` before it:
    the line goes on, and so may a link); 0 when there is none."""
    end = len(text) if end is None else end
    while (at := text.rfind(b"\n", 0, end)) != -1:
        if not text[max(0, at - 8):at].rstrip(b"\r").endswith(b"="):
            return at + 1
        end = at
    return 0


def _all_body(lower: bytes, start: int = 0) -> bool:
    """Whether ``lower`` from ``start`` on is all lines of base64 (a body's, but for its padding)."""
    return not lower[start:].translate(None, _BASE64_TEXT)


def _header(lower: bytes, at: int) -> int:
    """Where the header holding ``at`` begins: a line's start, after a blank line or a boundary, or as far back
    as :data:`HEADER_MOST` allows."""
    start = max(lower.rfind(before, max(0, at - HEADER_MOST - 3), at) + 1 for before in _HEADER_START)
    return start if start >= at - HEADER_MOST else line_end(lower, max(0, at - HEADER_MOST))


def _media(lower: bytes, body: int) -> bool:
    """Whether the header just before ``body`` (a part's body's first byte) says it is a picture, a video or a
    sound."""
    end = max(0, body - 2)  # (before the blank line that ends the header)
    return _MEDIA.search(lower, _header(lower, end), end) is not None
