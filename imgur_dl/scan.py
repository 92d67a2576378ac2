"""``--scan``: every Imgur link in any text (notes, pages, exports, Reddit dumps), as targets, while reading.

The input is read in blocks, as bytes: a line of any length, binary data or
invalid UTF-8 cost nothing more than the block in hand. Compressed input,
ZIP archives and UTF-16 text are read as :mod:`imgur_dl.compressed` reads
them. In each block the links are found as :mod:`imgur_dl.textlinks` finds
them, and no block is cut in a link or in a word markup runs on. Text in
quoted-printable, and bodies in base64 (an email as it was sent), are read
a second time, decoded, as :mod:`imgur_dl.mail` finds them; so is text in
UTF-16 inside a file.

Each target comes once, in first-seen order; memory grows only with the
number of distinct targets (a 64-bit hash of each one's key), never with the
input's size.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from imgur_dl import markup, volumes
from imgur_dl.compressed import opened
from imgur_dl.errors import FileStopped, ImgurDLError, ScanError, UsageError, bug, reason
from imgur_dl.hashset import HashSet
from imgur_dl.mail import Base64Bodies, Quoting, line_end, quoted_printable
from imgur_dl.models import Kind, Target
from imgur_dl.text import counted
from imgur_dl.textlinks import BEFORE, CUT, MAX_LINK, links, read_twice, targets_of

BLOCK = 1024 * 1024  # bytes read at a time
_WIDE_IMGUR = "imgur.".encode("utf-16-le")  # as Windows writes text inside its files
# UTF-16 big-endian text's byte-order mark, then a first character of ASCII: how a PDF writes each of its text
# strings that is not all Latin-1 (ISO 32000-1, 7.9.2.2: an Acrobat comment's text, an outline's titles). Looked for
# this far before a link written so.
_BIG_ENDIAN = re.compile(rb"\xfe\xff\x00[\x20-\x7e]")
_BIG_ENDIAN_BACK = 4096


@dataclass
class Stats:
    """What a scan read and found."""

    read: int = 0  # bytes of (decompressed) text
    links: int = 0  # Imgur links found, repeats included
    targets: int = 0  # distinct targets among them
    cut: int = 0  # links found as a page shows them, cut short (CUT), left out


class _Behind:
    """The last bytes of a file's text already looked at (:data:`_BIG_ENDIAN_BACK` of them): where the byte-order
    mark of the UTF-16 text a link is in may stand, when the link came in the next block."""

    def __init__(self) -> None:
        self.text = b""

    def add(self, text: bytes) -> None:
        self.text = (self.text + text[-_BIG_ENDIAN_BACK:])[-_BIG_ENDIAN_BACK:]


def _utf16(text: bytes, lower: bytes, behind: bytes = b"") -> Iterator[bytes]:
    """``text`` read as UTF-16, once for each alignment it has an Imgur link in, as UTF-8; nothing when it has none
    (a NUL byte in it is looked for first: text in one byte a character has none). Little-endian, as Windows writes
    text inside its files (an Outlook message, an old Word document); big-endian where a byte-order mark written so
    opens the text a link is in (:func:`_big_endian`; ``behind``: the text before ``text``, where it may stand).
    Read in the other order, a character past U+00FF right after a link takes the link's last character with it:
    ``imgur.com/user/Bobby`` and a closing quote (U+2019) read as another user's, ``Bobb``."""
    if b"\x00" not in text or _WIDE_IMGUR not in lower:
        return
    at, alignments = lower.find(_WIDE_IMGUR), dict[int, int]()  # (each alignment's first link)
    while at != -1 and len(alignments) < 2:
        alignments.setdefault(at % 2, at)
        at = lower.find(_WIDE_IMGUR, at + 1)
    for alignment, first in sorted(alignments.items()):
        if _big_endian(behind, text, first):
            wide = text[1 - alignment:].decode("utf-16-be", "replace")
        else:
            wide = text[alignment:].decode("utf-16-le", "replace")
        yield wide.encode("utf-8", "replace")


def _big_endian(behind: bytes, text: bytes, at: int) -> bool:
    """Whether the UTF-16 text whose "imgur." is at ``at`` in ``text`` (``behind``: what came before ``text``) is
    big-endian: a byte-order mark written so (then a character of ASCII) stands up to :data:`_BIG_ENDIAN_BACK` bytes
    before it, at its characters' alignment (its "i" is a character's second byte: an odd number of bytes after the
    mark's start)."""
    before = (behind + text[max(0, at - _BIG_ENDIAN_BACK):at])[-_BIG_ENDIAN_BACK:]
    return any((len(before) - mark.start()) % 2 for mark in _BIG_ENDIAN.finditer(before))


def key(target: Target) -> tuple[str, str]:
    """What makes two targets one: /a/X and /gallery/X are one post; a direct link and its page are one image."""
    if target.kind in (Kind.ALBUM, Kind.GALLERY):
        return "post", target.id
    return target.kind.value, target.id.lower() if target.kind.is_listing else target.id


@dataclass
class Scanner:
    """Reads sources one after another and yields each new target as soon as it is read.

    A source that cannot be read to its end stops there: what it gave still
    counts, and the reason is kept in :attr:`errors` (with the exit status it
    calls for), to be told once the run is done. So does one whose reading
    meets a bug: it costs that source, not the scan of the others (but with
    ``debug``, where it ends the run as a bug anywhere else does).
    """

    seen: HashSet = field(default_factory=HashSet)  # the keys of the targets given out, hashed: 16 bytes each
    stats: Stats = field(default_factory=Stats)
    errors: list[ImgurDLError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what was read, but not all of it as it was meant
    debug: bool = False
    # Called before each block of a source is read, every target found before it given out: a read may wait (a
    # pipe), and what was found is then passed on first.
    reading: Callable[[], None] | None = None

    def take(self, target: Target) -> bool:
        """Whether ``target`` is new (given on the command line, say): it is not yielded again."""
        return self.seen.add(hash(key(target)))

    def found(self, target: Target) -> bool:
        """Whether ``target``, found, is new: then counted among the distinct targets, and to be given out."""
        if not self.take(target):
            return False
        self.stats.targets += 1
        return True

    def scan(self, source: BinaryIO, name: str, path: Path | None = None) -> Iterator[Target]:
        """The new targets of ``source`` (``path``: the file it is, when it is one of its own)."""
        try:
            yield from self._scan(source, name, path)
        except ImgurDLError as exc:
            self._said(exc)
        except Exception as exc:  # a bug, met in what one file holds: it must not cost the others
            if self.debug:
                raise
            self._said(ScanError(f"{name}: {bug(exc)}; what was found before it still counts"))

    def _said(self, exc: ImgurDLError) -> None:
        """``exc`` among what the scan met: in place of the line it says again with more, if that was the last.
        Kept for its words alone, to be said once the scan is done: not with the frames it was raised through (its
        traceback, the error it was raised while handling), which hold the decoders and the last block of text of
        the file it stopped, each 150 KB or more (3,000 files cut short held 460 MB to the run's end)."""
        exc.__traceback__ = exc.__context__ = exc.__cause__ = None
        if isinstance(exc, ScanError) and self.errors and self.errors[-1] is exc.replaces:
            self.errors[-1] = exc
        else:
            self.errors.append(exc)
        if isinstance(exc, ScanError):
            exc.replaces = None  # (what it replaces, kept no longer: it was looked for as the last said)

    def _scan(self, source: BinaryIO, name: str, path: Path | None) -> Iterator[Target]:
        stream = opened(source, name, warn=self.warnings.append, path=path)
        # (An email's bodies in base64, decoded; whether the file is quoted-printable, as an email's body may be.)
        carry, bodies, quoting, behind = b"", Base64Bodies(_cut), Quoting(), _Behind()
        pieces: list[bytes] = []  # read since the text was last looked at
        waiting = 0  # bytes to read before looking again (an email's part carried waits for as much again)
        while True:
            if self.reading is not None:
                self.reading()
            try:
                block = stream.read(BLOCK)  # (whatever has arrived, from a pipe: not a whole block)
            except ScanError as exc:  # (the input cannot be read on: what was read still counts, but for what may
                text = carry + b"".join(pieces)  # be a link cut short, naming another image)
                head = text[:_cut(text)]
                bodies.ending()
                yield from self._new(head, head.lower(), bodies, quoting, behind)
                if not isinstance(exc, FileStopped):
                    raise
                self._said(exc)  # (one file of an archive: the archive goes on with its next)
                carry, pieces, waiting, bodies, quoting, behind = b"", [], 0, Base64Bodies(_cut), Quoting(), _Behind()
                continue
            if not block:
                break
            self.stats.read += len(block)
            pieces.append(block)
            waiting -= len(block)
            if waiting > 0:  # (a pipe's small pieces: the part is not looked through again at each one)
                continue
            text = carry + b"".join(pieces)
            pieces.clear()
            safe = _cut(text)
            head = text[:safe]
            lower = head.lower()
            cut = bodies.cut(lower)  # (an email's part cut short is read whole with the next block)
            if cut < safe:
                head, lower = head[:cut], lower[:cut]
            # (What has arrived is looked at now: a pipe may pause.)
            yield from self._new(head, lower, bodies, quoting, behind)
            carry = text[cut:]
            waiting = len(carry) if cut < safe else 0
        text = carry + b"".join(pieces)
        bodies.ending()
        yield from self._new(text, text.lower(), bodies, quoting, behind)

    def _new(self, text: bytes, lower: bytes, bodies: Base64Bodies, quoting: Quoting,
             behind: _Behind) -> Iterator[Target]:
        """The new targets in ``text`` (``lower``: in lower case; ``bodies``: its email's bodies in base64;
        ``quoting``: whether its file has shown itself quoted-printable; ``behind``: what came before it)."""
        found = links(text, lower)
        decoded = quoted_printable(text)
        quoted = quoting.shown(text, lower, marked=decoded is not None)
        if decoded is not None:
            found = read_twice(text, found, links(decoded), quoted=quoted)
        for body in bodies.decoded(text, lower):
            found.extend(links(body))
        for wide in _utf16(text, lower, behind.text):
            found.extend(links(wide))
        behind.add(text)
        for link in found:
            named = targets_of(link)
            self.stats.cut += not named and link.endswith(CUT)
            for target in named:
                self.stats.links += 1
                if self.found(target):
                    yield target


def scanned(names: list[str], scanner: Scanner, stdin: BinaryIO, *, output: Path | None = None,
            archive: Path | None = None, processes: int = 1) -> Iterator[Target]:
    """The new targets of each named file in turn ('-': ``stdin``; a folder: every file below it, but for the
    ``output`` folder, where the run saves); a file that cannot be opened is noted. The run's own ``archive`` file
    (and its journal's) is not read, nor said to be where a folder holds it: it names no link, may be large, and
    a descriptor of it closed would let go of the locks SQLite holds on it in this process.

    With more than one file and ``processes`` over one (and standard input not among them), the files are read
    side by side, each in a process of its own (:mod:`imgur_dl.scanners`): their targets come as they are found,
    each file's in its order."""
    paths = _paths(names, scanner, output, archive)
    if processes > 1 and "-" not in names:
        first = list(itertools.islice(paths, 2))
        paths = itertools.chain(first, paths)
        if len(first) > 1:
            from imgur_dl.scanners import side_by_side  # noqa: PLC0415 - only a scan of several files needs it

            yield from side_by_side((path for path in paths if path is not None), scanner, processes)
            return
    for path in paths:
        yield from scanner.scan(stdin, "standard input") if path is None else scan_file(scanner, path)


def processes() -> int:
    """The cores this process may use: the readers a scan of several files starts at the most, by default."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # (not on macOS)
        return os.cpu_count() or 1


def scan_file(scanner: Scanner, path: Path) -> Iterator[Target]:
    """The new targets of the file at ``path``; one that cannot be opened is noted."""
    try:
        source = path.open("rb")
    except OSError as exc:
        scanner.errors.append(UsageError(f"cannot scan {path}: {reason(exc)}"))
        return
    with source:
        yield from scanner.scan(source, str(path), path)


def _paths(names: list[str], scanner: Scanner, output: Path | None, archive: Path | None) -> Iterator[Path | None]:
    """Each file ``names`` name, in turn (None: standard input), as :func:`scanned` reads them."""
    own = _own_files(archive)
    for name in names:
        if name == "-":
            yield None
            continue
        for path in _files(Path(name), scanner, output):
            if path.name in own and path.resolve() == own[path.name]:
                if path == Path(name):  # (named as it is: said)
                    scanner.warnings.append(f"{path}: the download archive of this run: not scanned")
                continue
            yield path


def _own_files(archive: Path | None) -> dict[str, Path]:
    """The archive file's and its journal's paths (resolved), by name."""
    if archive is None:
        return {}
    base = archive.resolve()
    return {base.name + suffix: base.with_name(base.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")}


def _files(path: Path, scanner: Scanner, output: Path | None) -> Iterator[Path]:
    """``path``, or when it is a folder (an export, unpacked) every regular file below it, a folder at a time in
    name order; a symlink below it is not followed (no loop, nothing from outside), nor is a FIFO, socket or
    device read (a FIFO would wait for a writer): how many of each were left is said once the folder is read. A
    folder that cannot be read is noted. The ``output`` folder below it is left out: its album.json files name
    every file saved there, and each would be fetched again as an image of its own."""
    # (os.path's tests here, not pathlib's: they answer False, where pathlib before Python 3.14 raises, for a path
    # longer than the system takes; such a file is then said not to open, a folder's not to be listed.)
    if not os.path.isdir(path):  # noqa: PTH112
        yield path
        return

    def unreadable(exc: OSError) -> None:
        scanner.errors.append(UsageError(f"cannot scan {exc.filename}: {reason(exc)}"))

    skip = output.resolve() if output is not None else None
    symlinks = others = 0  # what below it is not read: symlinks (to a file or a folder), and files of no content
    for folder, folders, files in _walk(str(path), unreadable):
        symlinks += sum(os.path.islink(Path(folder) / f) for f in folders)  # noqa: PTH114 - (listed with folders)
        folders[:] = sorted(f for f in folders if skip is None or (Path(folder) / f).resolve() != skip)
        for name in sorted(files):
            file = Path(folder) / name
            if volumes.read_with(file) is not None:
                continue  # (a later volume of a file split in several, its first beside it: read with that one)
            if os.path.islink(file):  # noqa: PTH114
                symlinks += 1
            elif os.path.isfile(file):  # noqa: PTH113
                yield file
            else:
                others += 1
    left = [counted(symlinks, "symlink") + " not followed"] if symlinks else []
    left += [counted(others, "FIFO, socket or device", "FIFOs, sockets or devices") + " not read"] if others else []
    if left:
        scanner.warnings.append(f"{path}: {' and '.join(left)}")


def _walk(top: str, onerror: Callable[[OSError], None]) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top, onerror=onerror)``, top down, symlinks not followed, as Python 3.12 and later walk: with a
    stack of folders to read, not a call a folder. (Before 3.12 ``os.walk`` called itself for each folder below:
    a tree a thousand folders deep, as an export unpacked can be, ended the run with RecursionError.) The folders
    left in the list yielded, in its order, are read next."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            onerror(exc)
            continue
        folders: list[str] = []
        files: list[str] = []
        for entry in entries:
            try:
                is_folder = entry.is_dir()
            except OSError:  # (as os.walk takes it: not a folder)
                is_folder = False
            (folders if is_folder else files).append(entry.name)
        yield folder, folders, files
        stack += [below for name in reversed(folders)
                  if not os.path.islink(below := os.path.join(folder, name))]  # noqa: PTH114, PTH118


def _cut(text: bytes) -> int:
    """Where ``text`` can be cut without cutting a link: after its last separator (no link holds one).

    Without one, what is far enough from the end to hold no link that goes on
    past it is taken, so what is kept for the next block stays bounded.
    """
    cut = _after_separator(text, len(text))
    # (Nor inside a word markup runs on, "imgur.com/a/AbC12<wbr>" | "34", or may: "imgur.com/a/AbC12<wb"; nor
    # between a link and what says it is shown shortened: "imgur.com/gallery/when-my-frien" | " ... is-AbC1234</a>",
    # "...ellipsis\">" | "imgur.com/gallery/my-cat-AbC12".)
    while cut and (start := markup.held(text, cut - 1)) is not None:
        cut = _after_separator(text, start)
    if cut or len(text) <= 2 * (MAX_LINK + BEFORE):
        return cut
    cut = len(text) - MAX_LINK - BEFORE
    last = text.lower().rfind(b"imgur", max(0, cut - MAX_LINK), cut)
    return max(0, last - BEFORE) if last != -1 else cut


def _after_separator(text: bytes, end: int) -> int:
    """Past the last separator before ``end`` (0 when there is none)."""
    return max(line_end(text, end), *(text.rfind(sep, 0, end) + 1 for sep in (b" ", b"\t", b'"', b"<", b">")))
