"""Text that reaches a terminal, a pipe or a file name is made harmless here.

Ids, titles, error details, list lines and URLs come from servers and input
files. Written raw, an escape sequence in any of them could clear the
screen, retitle the window or hide a line; a character the stream's encoding
lacks would end the run. :func:`printable` escapes the first, :func:`writer`
the second. Both are applied where text leaves the program (the progress
display, stdout, the CLI's own error line), not where messages are
composed, so no path can forget them.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import threading
from collections.abc import Callable
from typing import TextIO, cast

ERROR_PREFIX = "imgur-dl: error: "
WARNING_PREFIX = "imgur-dl: warning: "

# C0 and C1 controls, DEL, and the invisible characters that reorder or hide
# text on a terminal (bidirectional overrides and isolates, line and
# paragraph separators, zero-width joiners, the byte-order mark), and lone
# surrogates, which no encoding can write.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")


# Where a URL's password starts: after its user's name and a colon (``scheme://user:``, or ``user:`` opening a
# word; not ``scheme:`` before its ``//``), and what ends a word.
_USER = re.compile(r"(?<=//)[^/?#\s:]*:|(?<!\S)[^/?#\s:]*:(?!//)")
_SPACE = re.compile(r"\s")


# A URL's scheme and ``//`` at the start of what was given where a path goes (two letters at least: ``C://`` is
# a Windows drive).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


def is_url(text: str) -> bool:
    """Whether ``text`` starts as a URL does (``https://``, ``mysql://``): no path on this machine."""
    return _SCHEME.match(text) is not None


def unwrapped(text: str) -> str:
    """``text`` without the spaces and quotes around it, as a value is pasted or an env file writes one (docker's
    ``--env-file`` keeps the quotes)."""
    return text.strip().strip("'\"").strip()


def decimal(text: str | None) -> int | None:
    """``text`` as the whole number it writes in ASCII digits alone, of 18 at most (a header's or an answer's count
    or size: no more is real, and past 4,300 digits ``int`` refuses one); None for anything else."""
    return int(text) if text is not None and text.isascii() and text.isdigit() and len(text) < 19 else None


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless there is one: ``1 file``, ``0 files``, ``2 listed posts``."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def joined(words: list[str]) -> str:
    """``words`` as a sentence lists them: ``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)


def hide_password(text: str, *, whole: bool = False) -> str:
    """``text`` with the password of a URL in it shown as ``***``: a secret typed into a link, a proxy's or a
    database's address is never repeated in a message or a row of output. ``whole``: ``text`` is one value (a
    link, an archive's or a proxy's address), in which a space is no word's end (see :func:`passwords`)."""
    return masked(text, passwords(text, whole=whole)) if "@" in text else text


# A password written as libpq's keywords write one (``password=…``, the client key's ``sslpassword=…``) and not hidden
# already (the value ``***`` and no more, as a message may quote it: a password that only starts so, ``***xyz``, is
# one): the rest of the line.
# (Where a value a person quoted and escaped ends cannot be told once a message has quoted it again, as repr does:
# nothing of it is shown.)
_KEYWORD_PASSWORD = re.compile(r"(?i)(?<![a-z_])((?:ssl)?password\s*=\s*)(?!\*\*\*(?:[\s'\"]|$)).*")


# A URL's user, up to its password: in a line, that password may hold a space (a word's end elsewhere).
_URL_USER = re.compile(_SCHEME.pattern + r"[^/?#\s:@]*:")


def without_secrets(message: str) -> str:
    """``message`` (a line) with every password in it shown as ``***``: a URL's (as :func:`hide_password` finds
    them; and from a URL's user to the line's last ``@``, a password with a space in it), and one written as a
    database's keyword (``password=…``): a line nothing said can make repeat one."""
    if "@" in message:
        last = message.rfind("@")
        message = masked(message, passwords(message) + [(user.end(), last) for user in _URL_USER.finditer(message)
                                                       if user.end() < last])
    return _KEYWORD_PASSWORD.sub(r"\1***", message) if "assword" in message else message


def passwords(text: str, *, whole: bool = False) -> list[tuple[int, int]]:
    """Where the passwords written into the URLs in ``text`` are (start, end): each from its user's colon to the
    last ``@`` of its word (of ``text``, when ``whole``), whatever it holds. That is the password as a person means
    it, and more than any one program takes: urlsplit's ends at a ``/``, ``?`` or ``#``, libpq's at the first
    ``@``, and no program's holds a space, which people write all the same (each program then says it cannot
    read the URL, which is shown). An ``@`` further on, in a path or query (``host:5432/db?user=me@corp``), is
    taken for the password's end too: written so, it cannot be told from one, and a secret is never shown."""
    found: list[tuple[int, int]] = []
    at, last = -1, text.rfind("@")
    while at < last and (user := _USER.search(text, at + 1)) is not None:
        start = user.end()
        space = None if whole else _SPACE.search(text, start)
        stop = space.start() if space else len(text)
        at = text.rfind("@", start, stop)
        if at < 0:  # (none in this word: on from its end)
            at = stop - 1
            continue
        found.append((start, at))
    return found


def unencoded(text: str, ends: str) -> str | None:
    """The first of the characters ``ends`` that a password written into ``text``, one URL, holds unencoded, where
    the program reading the URL ends its address (or, a space, refuses it: every program), with the way the URL
    must write it (``'?' (%3F)``); None when it holds none."""
    for start, end in passwords(text, whole=True):
        for char in text[start:end]:
            if char in ends or char.isspace():
                return f"{char!r} ({''.join(f'%{byte:02X}' for byte in char.encode())})"
    return None


def masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each of ``spans`` (start, end; in any order) shown as ``***``, those that overlap or touch as
    one."""
    kept: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if start > at or not kept:  # (a place of its own)
            kept.append(text[at:start] + "***")
        at = max(at, end)
    return "".join(kept) + text[at:]


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept as Python keeps it (surrogateescape)
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control or invisible character written as ``\\xNN``/``\\uNNNN``."""
    return _UNPRINTABLE.sub(_escape, str(text))


def utf16_marked(head: bytes) -> bool:
    """Whether a file starting with ``head`` is UTF-16 by its byte-order mark (as Windows PowerShell's ``>``
    writes one)."""
    return head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def escaped(text: str, encoding: str) -> str:
    """``text`` with each character ``encoding`` cannot write as its backslash escape (``\\u732b``)."""
    return text.encode(encoding, "backslashreplace").decode(encoding)


def writer(stream: TextIO) -> Callable[[str], None]:
    """A function that writes one line of already-printable text to ``stream``, in any encoding.

    Characters the stream cannot encode are written as backslash escapes
    instead of raising :class:`UnicodeEncodeError` halfway through a run.
    """
    try:
        encoding = codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name
    except LookupError:
        encoding = "ascii"
    lossless = encoding.startswith("utf")

    def write(line: str) -> None:
        if not lossless:
            line = escaped(line, encoding)
        stream.write(line + "\n")
        stream.flush()

    return write


class Shown(io.TextIOBase):
    """The stream for people (stderr), which never ends a run: what cannot be written there (its disk full, its
    reader gone, ``2>&1 | head -1``) is dropped. A run's files matter more than its lines."""

    # (None: there is no stderr at all, as under pythonw; every line is dropped. Set on the class too: one whose making
    # a signal cut short, before its stream was given, is flushed as it is put away, and drops the line in silence.)
    _stream: TextIO | None = None

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__()
        self._stream = stream

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        if self._stream is not None:
            with contextlib.suppress(OSError, ValueError):  # (ValueError: a closed file object)
                self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self._stream.flush()

    def isatty(self) -> bool:
        try:
            return self._stream is not None and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        if self._stream is None:
            raise io.UnsupportedOperation("no stderr")
        return self._stream.fileno()

    def writable(self) -> bool:
        return True


def shown(stream: TextIO | None) -> TextIO:
    """``stream`` as a :class:`Shown` (once); None (no stderr at all) as one that drops every line."""
    return stream if isinstance(stream, Shown) else cast("TextIO", Shown(stream))


class Once:
    """Says whether a key is new: a problem met by many files or albums is told once. Thread-safe."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def forget(self, key: str) -> None:
        """``key`` is new again (a problem that went away and may come back)."""
        with self._lock:
            self._seen.discard(key)
