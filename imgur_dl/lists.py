"""The lists ``-i`` reads URLs from: a file (plain, UTF-16, or compressed; an archive's files one after
another) or standard input, a line at a time, each line's place kept for the error that names it."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from imgur_dl.errors import ScanError, UsageError, reason
from imgur_dl.text import utf16_marked


def _one_file() -> bool:
    return False


@dataclass
class Listed:
    """A list URLs are read from: its name, the number of the line last read, whether it is an archive's files
    one after another (a ZIP or tar of lists, whose lines are no one file's: known once it is read from), and whether
    it is compressed (its text is known to be whole only once it is read to its end: gzip's CRC-32 is after its
    data, and what a spoilt stream decodes to before it is any bytes)."""

    name: str
    line: int = 0
    several: Callable[[], bool] = _one_file
    compressed: bool = False

    def where(self) -> str:
        """Where the line last read is, as compilers and grep say it: ``list.txt:12: ``."""
        return f"{self.name}: " if self.several() else f"{self.name}:{self.line}: "


def read_list(name: str, stdin: TextIO) -> tuple[Listed, Iterator[str]]:
    """A list (a file, or stdin for '-'), and its URLs as it is read."""
    listed = Listed("(standard input)" if name == "-" else name)
    return listed, _urls(name, stdin, listed)


def _urls(name: str, stdin: TextIO, listed: Listed) -> Iterator[str]:
    """URLs from a file (or stdin for '-'), as it is read: one a line, blank lines and '#' comments ignored;
    ``listed`` told where each is."""
    try:
        # (a list file is closed once read, by the with; standard input is left open)
        handle = _standard_input(stdin, listed) if name == "-" else \
            _open_list(Path(name).open("rb"), name, listed)  # noqa: SIM115
        with contextlib.nullcontext(handle) if name == "-" else handle:
            yield from list_lines(handle, name, listed)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read URLs from {name}: {reason(exc)}") from None
    except ScanError as exc:  # (a compressed list that is corrupt or cut short: not to be taken for the whole list)
        raise UsageError(f"cannot read URLs from {name}: {exc.why}") from None


def _standard_input(stdin: TextIO, listed: Listed) -> TextIO:
    """Standard input as a list: as it is, or, where its first bytes say it is compressed (``curl -s URL |``, ``<
    list.gz``), decompressed as a list file is (``listed`` told so)."""
    from imgur_dl import compressed  # noqa: PLC0415 - only a list needs it

    raw = getattr(stdin, "buffer", None)  # (a program's own stream may have none: read as it is)
    if not isinstance(raw, io.BufferedReader):
        return stdin
    head = raw.peek(compressed.MAGIC_SIZE)[:compressed.MAGIC_SIZE]
    if compressed.kind_of(head) is None:
        return stdin
    return _open_list(raw, "-", listed)


def _open_list(raw: io.BufferedReader, name: str, listed: Listed) -> TextIO:
    """A list file (or standard input, ``-``) as text: UTF-8 (a byte-order mark dropped), or UTF-16 when it starts
    with that mark (Windows PowerShell's ``>`` writes it); compressed (a list of a million links, as they are passed
    around: ``.gz``, ``.zst``), read as ``--scan`` reads it. Bytes that are not UTF-8 are kept as they are, to be
    refused with the one line holding them. ``listed`` told whether it is compressed, and whether it is an archive's
    files one after another (known once read from)."""
    from imgur_dl import compressed  # noqa: PLC0415 - only a list needs it

    kind = compressed.kind_of(raw.peek(compressed.MAGIC_SIZE)[:compressed.MAGIC_SIZE])
    if kind is not None and kind.startswith("sqlite"):
        raw.close()
        raise UsageError(f"cannot read URLs from {name}: an SQLite database (a browser's history?), not a list: "
                         f"--scan {name} finds the links in it")
    if kind is not None:
        try:
            reader = compressed.opened(raw, "standard input" if name == "-" else name)
        except BaseException:
            raw.close()
            raise
        listed.several, listed.compressed = lambda: compressed.holds_files(reader), True
        return io.TextIOWrapper(compressed.as_file(reader, raw), encoding="utf-8-sig", errors="surrogateescape")
    wide = utf16_marked(raw.peek(2))
    return io.TextIOWrapper(raw, encoding="utf-16" if wide else "utf-8-sig", errors="surrogateescape")


MAX_LIST_LINE = 64 * 1024  # characters: a URL is far shorter; a longer line is not a list's (/dev/zero, a binary)


def list_lines(handle: TextIO, name: str, listed: Listed) -> Iterator[str]:
    """The URLs of a list, a line at a time (``listed.line``: the number of the line each is on): what is held is
    one line, however long the list (or endless)."""
    for number, line in enumerate(iter(lambda: handle.readline(MAX_LIST_LINE + 2), ""), 1):
        listed.line = number
        if len(line.rstrip("\r\n")) > MAX_LIST_LINE:
            raise UsageError(f"cannot read URLs from {name}: line {number:,} is longer than {MAX_LIST_LINE:,} "
                             "characters (not a list of URLs)")
        # Binary data: one line, not a line of "not a URL" for each of its lines. (A NUL further down spoils only its
        # own line, as any byte that is not UTF-8 does.)
        if number == 1 and "\0" in line:
            raise UsageError(f"cannot read URLs from {name}: its first line holds a NUL byte (not a list of URLs: "
                             "a binary file?)")
        if number == 1 and line.startswith("WARC/") and _is_warc(line):  # (a line of "not a URL" a line)
            raise UsageError(f"cannot read URLs from {name}: it is a WARC file (a web crawl), not a list of URLs: "
                             "--scan reads the links in it")
        for part in (line.removeprefix("\ufeff") if number == 1 else line).splitlines():  # (a BOM, piped in)
            text = part.split(" #", 1)[0].strip()
            if text and not text.startswith("#"):
                yield text


def _is_warc(line: str) -> bool:
    from imgur_dl.warc import is_warc  # noqa: PLC0415 - only a list that may be a WARC file needs it

    return is_warc(line.encode("utf-8", "surrogateescape"))
