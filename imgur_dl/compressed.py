"""Input for ``--scan``, compressed or not: recognised by its first bytes and decompressed as it is read.

zstd (with the long windows Reddit dumps use, pzstd's files, and those that
open with the dictionary their frames need: a ``.warc.zst``), gzip, xz and
bzip2; a ZIP archive's members one after another (a data export), each
compressed or not, and a tar archive's as it streams by; a WARC file record
by record (:mod:`imgur_dl.warc`); text in UTF-16 with its byte-order mark, as
UTF-8. Where
the input cannot be read on (corrupt, cut short, expanding like a bomb),
reading stops with :class:`ScanError`, once everything decoded before that
point has been handed on; a gzip file's spoilt member, or a zstd file's
spoilt frame, is said (:class:`FileStopped`) and reading goes on from the
next (:mod:`imgur_dl.members`, :mod:`imgur_dl.gzipped`,
:mod:`imgur_dl.zstdframes`), as a ZIP or tar archive's spoilt file is said
and its next file read. A zstd stream cut short (a dump whose download was
interrupted), where zstd's own reader ends in silence, is said to be: its
frames are read one by one. Firefox's session files
(mozlz4) are decoded whole (:mod:`imgur_dl.lz4block`). Archives of other kinds
(7-Zip, RAR) and lz4's own frames are said to be what they are, not scanned as bytes; an
SQLite database is read as one (:mod:`imgur_dl.database`), a PDF file with
its object streams decompressed (:mod:`imgur_dl.pdf`), a LevelDB database's
tables and log as theirs (:mod:`imgur_dl.leveldb`; inside a ZIP or tar archive
too), an Apple binary property
list a string at a time (:mod:`imgur_dl.bplist`), a document's text (Word's,
PowerPoint's, OpenDocument's) as it shows it (:mod:`imgur_dl.office`), a
Chromium browser's session file a command at a time (:mod:`imgur_dl.snss`).
"""

from __future__ import annotations

import bz2
import codecs
import collections
import io
import lzma
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO, Protocol, cast

from imgur_dl import bplist, database, leveldb, lz4block, office, pdf, snss, zstdframes
from imgur_dl.database import Database
from imgur_dl.errors import FileStopped, ScanError, UsageError
from imgur_dl.gzipped import Gzip
from imgur_dl.members import Members
from imgur_dl.pdf import Pdf
from imgur_dl.reader import Reader, Whole
from imgur_dl.warc import Warc, is_warc
from imgur_dl.zstdframes import Zstd

# A stream that expands past this many times its compressed size, once it is this large, is a bomb.
MAX_RATIO = 1000
RATIO_AFTER = 64 * 1024 * 1024
# zstd: the largest window accepted (Reddit dumps are made with --long=31).
ZSTD_WINDOW = 2**31
# The most text asked of a decompressing reader at once: each read takes one piece of the compressed input, and
# gives what it makes of it (for gzip, ~50 KB of text); asked for more, the standard library's readers set aside
# that much memory every time (an mmap and its page faults: a quarter more time for a gzip input).
_PIECE = 64 * 1024

MAGIC_SIZE = 16  # the first bytes that tell what a file is (an SQLite database needs the most)
_WARC_LOOK = 6  # ... and, decompressed, whether it is a WARC file ("WARC/1")
_TAR, _TAR_AT = b"ustar", 257  # a tar archive's magic number (POSIX's and GNU's), and where in its first block
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (zstdframes.MAGIC, "zstd"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
    (b"PK\x03\x04", "zip"),  # (a data export: Reddit's, Discord's, Google Takeout's)
    (b"PK\x05\x06", "zip"),  # (one with nothing in it)
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (lz4block.MOZLZ4_MAGIC, "mozlz4"),  # (Firefox's session files: open tabs, closed ones)
    (database.MAGIC, "sqlite"),  # (a browser's history: Firefox's places.sqlite, Chrome's History)
    *((magic, "sqlite-wal") for magic in database.WAL_MAGIC),
    (database.JOURNAL_MAGIC, "sqlite-journal"),
)
# Formats recognised but not read: said, rather than scanned as bytes that hold no link anyone could find.
_UNREAD = {"7z": "a 7-Zip archive", "rar": "a RAR archive", "lz4": "lz4-compressed"}
_DICTIONARY_FRAME = b"\x5d\x2a\x4d\x18"  # the skippable zstd frame that holds the dictionary the frames after it need
_DICTIONARY = b"\x37\xa4\x30\xec"  # a zstd dictionary's own magic number
DICTIONARY_MOST = 16 * 2**20  # a WARC file's dictionary is 8 MiB at the most (readers may refuse more): twice that
_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_LOOK = 514  # bytes of a file looked at to tell its text's encoding (a byte-order mark, then 256 characters)
# What the readers raise for input they cannot read on (zstd's own error is added when it is used).
_UNREADABLE: tuple[type[Exception], ...] = (OSError, EOFError, lzma.LZMAError, ValueError, zlib.error)


def opened(source: IO[bytes], name: str, *, inside: bool = False, warn: Callable[[str], None] | None = None,
           path: Path | None = None) -> Reader:
    """``source`` as text to read: decompressed when its first bytes say it is compressed, a ZIP archive's
    members one after another (``inside``: this is one of them), a WARC file's records with their bodies decoded
    (``warn``: told what could not be), an SQLite database's values (read from ``path``: the file ``source`` is,
    when it is one of its own). Its ``read`` gives what has arrived (a pipe is not waited on for a whole block),
    and raises :class:`ScanError` where it cannot go on."""
    try:
        head = _peek(source, MAGIC_SIZE)
    except OSError as exc:
        raise ScanError.stopped(name, _why(exc)) from None
    kind = kind_of(head)
    if kind is None and path is not None and (tables := _leveldb(source, path, name)) is not None:
        return tables
    if kind in ("sqlite", "sqlite-wal", "sqlite-journal"):
        return _database(name, kind, path, _Prefixed(head, source, name), inside=inside, warn=warn)
    if kind == "zip":
        return _zip(source, name, inside=inside, warn=warn)
    if kind in _UNREAD:
        raise ScanError(f"{name} is {_UNREAD[kind]}, which imgur-dl does not read (it reads zstd, gzip, xz, bzip2 "
                        "and ZIP): extract it, then scan what it holds")
    raw = _Prefixed(head, source, name, then_more=True)  # (what it is is told by its first piece, read whole)
    if kind == "mozlz4":
        return _contents(_mozlz4(raw, name), name, None, warn, inside=inside)
    if kind is None:
        return _contents(raw, name, None, warn, inside=inside)
    counted = _Counting(raw)
    file = cast(BinaryIO, counted)  # (the readers below call only read())
    if kind == "gzip":  # (a .warc.gz too: a gzip member a record, one after another)
        decoded = _Decoded(Members(counted, name, Gzip()), counted, name)
    elif kind == "xz":
        decoded = _Decoded(lzma.LZMAFile(file), counted, name)  # noqa: SIM115 - closed with its source
    elif kind == "bzip2":
        decoded = _Decoded(bz2.BZ2File(file), counted, name)
    else:
        decoded = _zstd(file, counted, name, dictionary=head.startswith(_DICTIONARY_FRAME))
    return _contents(decoded, name, lambda: counted.count, warn, inside=inside)


def _database(name: str, kind: str, path: Path | None, raw: Reader, *, inside: bool,
              warn: Callable[[str], None] | None) -> Reader:
    """An SQLite database's values, read as a database (:mod:`imgur_dl.database`): from its file, or (in a pipe,
    compressed, in an archive) read whole into memory, where it can be; its write-ahead log is read with it (where it
    can be), its journal not at all: either, on its own, is said and passed over."""
    if kind == "sqlite" and path is not None:
        return Database(path, name, warn)
    if kind == "sqlite":
        image = _peek(raw, database.IN_MEMORY_MOST + 1) if database.IN_MEMORY else None  # (one more: to tell)
        if image is not None and len(image) <= database.IN_MEMORY_MOST:
            return Database(image, name, warn)
        why = f"larger than {database.IN_MEMORY_MOST // 2**20} MiB" if database.IN_MEMORY else \
            "read from a file of its own only before Python 3.11"
        if not inside:
            raise ScanError(f"{name} is an SQLite database (a browser's history?), in a pipe or compressed and {why}: "
                            "extract it, then scan the file", f"an SQLite database {why}: extract it first")
        if warn is not None:
            warn(f"{name}: an SQLite database (a browser's history?), {why}: not read (extract it and scan the file)")
        return io.BytesIO()
    if warn is not None:
        warn(f"{name}: an SQLite database's journal, not read" if kind == "sqlite-journal" else
             f"{name}: an SQLite database's write-ahead log: read with its database, not on its own"
             if database.IN_MEMORY and path is not None else
             f"{name}: an SQLite database's write-ahead log, not read (Python 3.11 and later read it with its "
             "database, from files of their own)")
    return io.BytesIO()


def _leveldb(source: IO[bytes], path: Path, name: str) -> Reader | None:
    """The file ``source`` (at ``path``) read as a LevelDB database's table or log (:mod:`imgur_dl.leveldb`),
    whole; None when it is neither (or larger than :data:`imgur_dl.leveldb.MOST`: read as bytes). Its last bytes
    are read where they are, leaving the file where it was read to."""
    try:
        size = os.fstat(source.fileno()).st_size
        tail = os.pread(source.fileno(), len(leveldb.TABLE_MAGIC), max(0, size - len(leveldb.TABLE_MAGIC)))
        form = leveldb.kind_of(path, tail)
        data = os.pread(source.fileno(), size, 0) if form is not None and size <= leveldb.MOST else None
    except (OSError, ValueError):  # (no file of its own to read so: read as bytes, its error said there)
        return None
    if form is None or data is None:
        return None
    return _leveldb_text(data, form, name)


def _leveldb_text(data: bytes, form: str, name: str) -> Reader:
    """What the LevelDB ``form`` (a table or a log) ``data`` holds, then where reading it stopped, if it did."""
    read = leveldb.table(data) if form == "table" else leveldb.log(data)
    why = f"a LevelDB {form}: {read.stopped}" if read.stopped else None
    return _Then(read.text, ScanError.stopped(name, why) if why else None)


def _mozlz4(raw: Reader, name: str) -> Reader:
    """Firefox's session file (mozlz4: its magic number, the size of what it holds, one LZ4 block), decoded whole:
    what it holds, then where decoding stopped, if it did."""
    header = len(lz4block.MOZLZ4_MAGIC) + 4
    head = _peek(raw, header)
    size = int.from_bytes(head[len(lz4block.MOZLZ4_MAGIC):], "little")
    if len(head) < header or size > lz4block.MOZLZ4_MOST:
        why = "cut short" if len(head) < header else \
            f"it says it holds {size:,} bytes, more than imgur-dl reads of one ({lz4block.MOZLZ4_MOST:,})"
        raise ScanError(f"{name}: Firefox's lz4-compressed JSON (mozlz4), not read: {why}", why)
    most = size + size // 255 + 16  # (the largest block that makes that much: LZ4's bound)
    block = _peek(raw, most + 1)  # (one more: to tell a block larger)
    decoded = lz4block.decoded(block, size) if len(block) <= most else \
        lz4block.Decoded(b"", "not an LZ4 block: larger than any that makes what its header says")
    return _Then(decoded.data, ScanError.stopped(name, decoded.stopped) if decoded.stopped else None)


def _whole(raw: Reader, name: str, warn: Callable[[str], None] | None, *, what: str, most: int,
           read: Callable[[bytes], Whole]) -> Reader:
    """The file ``raw`` (``what`` it is) read whole and made text by ``read`` (that text, or why it cannot be read so);
    one that cannot be, or is larger than ``most`` bytes, is read as bytes, and that is said."""
    image = _peek(raw, most + 1)  # (one more: to tell one larger)
    text, unread = read(image) if len(image) <= most else (b"", f"larger than imgur-dl reads whole ({most:,} bytes)")
    if unread is None:
        return io.BytesIO(text)
    if warn is not None:
        warn(f"{name}: {what}, {unread}: read as bytes")
    return _Text(_Prefixed(image, raw, name))


class _Then:
    """``data``, then ``error`` (if any) once it is all read."""

    def __init__(self, data: bytes, error: ScanError | None) -> None:
        self.data = memoryview(data)
        self.error = error

    def read(self, size: int, /) -> bytes:
        data, self.data = bytes(self.data[:size]), self.data[size:]
        if not data and self.error is not None:
            raise self.error
        return data


def _contents(reader: Reader, name: str, taken: Callable[[], int] | None, warn: Callable[[str], None] | None, *,
              inside: bool) -> Reader:
    """A file's text, once decompressed: what its first piece says it is (:class:`_Opening`). ``taken``: how much of
    the file a compressed one has been read (None: it is the text itself)."""
    return _Opening(reader, name, taken, warn, inside=inside)


class _Opening:
    """A file's text as its first piece says to read it (of a pipe, what has arrived, not waited on past the few
    bytes that tell a WARC file): a WARC file record by record (:mod:`imgur_dl.warc`), a tar
    archive's members one after another (not one inside another archive's: its magic number is 257 bytes in, and a
    tar whose first piece is shorter is read as text), anything else as :class:`_Text` reads it."""

    def __init__(self, reader: Reader, name: str, taken: Callable[[], int] | None,
                 warn: Callable[[str], None] | None, *, inside: bool) -> None:
        self.reader = reader
        self.name = name
        self.taken = taken
        self.warn = warn
        self.inside = inside
        self._chosen: Reader | None = None

    def read(self, size: int, /) -> bytes:
        if self._chosen is None:
            first = self.reader.read(size)
            if first and len(first) < _WARC_LOOK:  # (a decoder that gives a byte at a time: enough to tell)
                first += _peek(self.reader, _WARC_LOOK - len(first))
            rest = _Prefixed(first, self.reader, self.name)
            if first.startswith(database.MAGIC):  # (compressed: no file of its own to read as a database)
                self._chosen = _database(self.name, "sqlite", None, rest, inside=self.inside, warn=self.warn)
            elif is_warc(first):
                self._chosen = Warc(rest, self.name, _Expansion(self.name), taken=self.taken, warn=self.warn)
            elif first.startswith(pdf.MAGIC):
                self._chosen = Pdf(rest, self.name, _Expansion(self.name), taken=self.taken, warn=self.warn)
            elif first.startswith(bplist.MAGIC):
                self._chosen = _whole(rest, self.name, self.warn, what="a binary property list", most=bplist.MOST,
                                      read=bplist.strings)
            elif first.startswith(snss.MAGIC):
                self._chosen = _whole(rest, self.name, self.warn, what="a Chromium browser's session file",
                                      most=snss.MOST, read=snss.commands)
            elif office.is_document(first):
                self._chosen = _whole(rest, self.name, self.warn, most=office.MOST, read=office.joined,
                                      what="a document's text (Word's, PowerPoint's, OpenDocument's)")
            elif not self.inside and first[_TAR_AT:_TAR_AT + len(_TAR)] == _TAR:
                self._chosen = _TarMembers(rest, self.name, self.warn)
            else:
                self._chosen = _Text(rest)
        return self._chosen.read(size)


class _Files:
    """An archive's files, one after another, each as :func:`opened` reads a file (compressed or not), a line's end
    between two. A file that cannot be read to its end (damaged, encrypted, cut short) is :class:`FileStopped`, and
    the next read goes on with the next file, where the archive lets it (:meth:`_goes_on`); what the archive itself
    cannot be read on for (:attr:`unreadable`) stops it, in one line."""

    unreadable: tuple[type[Exception], ...] = ()

    def __init__(self, name: str, warn: Callable[[str], None] | None) -> None:
        self.name = name
        self.warn = warn
        self._current: Reader | None = None
        self.inner = ""  # the name in the archive of the file read last
        self.files_stopped = 0  # files that could not be read to their end
        # (what a file's reading, or the archive's, stops with)
        self._stopping: tuple[type[Exception], ...] = (ScanError, *self.unreadable)
        self.databases: set[PurePosixPath] = set()  # the folders with a LevelDB database's CURRENT file, so far

    def _next(self) -> IO[bytes] | None:
        """The next file to read (its name in the archive in :attr:`inner`); None after the last."""
        raise NotImplementedError

    def _goes_on(self, exc: Exception) -> bool:
        """Whether the archive can be read on past a file that stopped with ``exc``."""
        raise NotImplementedError

    def read(self, size: int, /) -> bytes:
        try:
            if self._current is None:
                file = self._next()
                if file is None:
                    return b""
                self._current = self._opened(file, self.inner)
            data = self._current.read(size)
        except self._stopping as exc:  # (encrypted, corrupt, cut short, not what it says it is)
            if isinstance(exc, FileStopped) and self._goes_on(exc):
                raise  # (a part of the file spoilt, which itself reads on after it: a .warc.gz's member)
            self._current = None
            self.files_stopped += 1
            if self.files_stopped > FILES_STOPPED_MOST:  # (an archive spoilt throughout: a line for it, not each file)
                raise ScanError.stopped(self.name, f"more than {FILES_STOPPED_MOST} of its files could not be read to "
                                                   "their end: spoilt throughout?") from None
            if not self._goes_on(exc):  # (the archive's own stream: it ends here, a spoilt part of it too)
                if isinstance(exc, ScanError) and not isinstance(exc, FileStopped):
                    raise
                raise ScanError.stopped(self.name, exc.why if isinstance(exc, ScanError) else _why(exc)) from None
            stopped = exc if isinstance(exc, ScanError) else ScanError.stopped(f"{self.name}: {self.inner}", _why(exc))
            raise FileStopped(f"{stopped}; the archive's other files are read", stopped.why) from None
        if not data:
            self._current = None
            return b"\n"  # (between two files: the last line of one is not the first of the next)
        return data

    def _opened(self, file: IO[bytes], inner: str) -> Reader:
        """The archive's file ``inner`` as :func:`opened` reads a file; a LevelDB table (named so, and ending with
        its magic number or beside its database's CURRENT file) or log (named so, beside it) read as one, whole."""
        name, path = f"{self.name}: {inner}", PurePosixPath(inner)
        if path.name == "CURRENT":
            self.databases.add(path.parent)
        form = leveldb.named(path)
        beside = path.parent in self.databases
        if form is None or (form == "log" and not beside):
            return opened(file, name, inside=True, warn=self.warn)
        data = _peek(file, leveldb.MOST + 1)  # (one more: to tell one larger)
        if len(data) <= leveldb.MOST and (beside or data.endswith(leveldb.TABLE_MAGIC)):
            return _leveldb_text(data, form, name)
        return opened(cast(IO[bytes], _Prefixed(data, file, name)), name, inside=True, warn=self.warn)


class _TarMembers(_Files):
    """A tar archive's files, read as the archive streams by (a ``.json.gz``, a ``.warc.gz`` decompressed).

    tarfile ends an archive, without a word, where a header should be and is not: the input cut short at a file's
    end or inside the next one's header, or anything but a header there. An archive ends with a block of zeros
    there; one that does not is said to be cut short (its files before that point still count).
    """

    unreadable = (tarfile.TarError, OSError, EOFError, zlib.error)

    def __init__(self, reader: Reader, name: str, warn: Callable[[str], None] | None) -> None:
        super().__init__(name, warn)
        self.tail = _Tail(reader)
        self.end: int | None = 0  # where the next header starts, after the last member's data (None: not known)
        try:
            self.tar = tarfile.open(fileobj=cast(IO[bytes], self.tail), mode="r|")  # noqa: SIM115 - read as it goes
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ScanError.stopped(name, _why(exc)) from None

    def _next(self) -> IO[bytes] | None:
        while (member := self.tar.next()) is not None:
            # (a sparse file's size is what it expands to, not what the archive holds of it: not known)
            self.end = None if member.issparse() else \
                member.offset_data + -(-member.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
            file = self.tar.extractfile(member) if member.isfile() else None
            if file is not None:
                self.inner = member.name
                return file
        if self.end is not None and self.tail.at(self.end, tarfile.BLOCKSIZE) != bytes(tarfile.BLOCKSIZE):
            raise tarfile.ReadError("the archive stops before its end: cut short, or spoilt")
        return None

    def _goes_on(self, exc: Exception) -> bool:
        # (A file's own reading stopped, its text damaged, while the archive's stream is whole: tarfile skips what is
        # left of it. Anything tarfile itself raises, or the stream beneath failing, is the archive's end.)
        return isinstance(exc, ScanError) and not self.tail.broken


class _Tail:
    """A reader's bytes as they go by, counted, at least the last :data:`_TAIL` of them kept (the pieces read, not
    copied): what tarfile read last, beyond the blocks it hands on."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.count = 0
        self.kept: collections.deque[bytes] = collections.deque()
        self.held = 0  # bytes in kept
        self.broken = False  # the reader failed: nothing more of the archive can be read

    def read(self, size: int, /) -> bytes:
        try:
            data = self.reader.read(size)
        except Exception:
            self.broken = True
            raise
        self.count += len(data)
        self.kept.append(data)
        self.held += len(data)
        while self.held - len(self.kept[0]) >= _TAIL:
            self.held -= len(self.kept.popleft())
        return data

    def at(self, position: int, size: int) -> bytes | None:
        """The bytes read from ``position`` on, at most ``size`` (None: no longer kept)."""
        start = self.count - self.held
        return b"".join(self.kept)[position - start:position - start + size] if position >= start else None


# What a tar archive's reader asks of its input at a time is a record (20 blocks): the block after the last member
# is in the last two it read.
_TAIL = 2 * tarfile.RECORDSIZE + tarfile.BLOCKSIZE


def kind_of(head: bytes) -> str | None:
    """What the first bytes of a file say it is ("gzip", "zip", ...); None for anything else (text, most likely)."""
    if len(head) >= len(zstdframes.SKIPPABLE) and zstdframes.skippable(head):
        return "zstd"  # a skippable frame first, as pzstd (zstd in parallel) writes its files
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def holds_files(reader: Reader) -> bool:
    """Whether ``reader`` (from :func:`opened`, once read from) gives an archive's files one after another (a ZIP's,
    a tar's): a line's number in what it gives is no one file's."""
    return isinstance(reader._chosen if isinstance(reader, _Opening) else reader, _Files)


def as_file(reader: Reader) -> io.BufferedReader:
    """``reader`` as a binary file (for :class:`io.TextIOWrapper`: a list read a line at a time)."""
    return io.BufferedReader(_Raw(reader))


class _Raw(io.RawIOBase):
    """A :class:`Reader` as a raw binary stream: what it gives, in the pieces asked for."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._rest or self.reader.read(len(buffer))
        taken = min(len(data), len(buffer))
        buffer[:taken] = data[:taken]
        self._rest = data[taken:]
        return taken


def _zstd(file: BinaryIO, counted: _Counting, name: str, *, dictionary: bool = False) -> _Decoded:
    """A zstd stream decoded; ``dictionary``: it opens with a dictionary frame (a ``.warc.zst``'s, as ArchiveTeam
    writes them), which its frames are decoded with."""
    try:
        import zstandard  # noqa: PLC0415 - an optional extra
    except ImportError:
        raise UsageError(f"{name} is zstd-compressed: install imgur-dl[zstd] (the zstandard package) "
                         "to read it, or decompress it first (zstd -dc --long=31)") from None
    trained = zstandard.ZstdCompressionDict(_dictionary(file, name, zstandard),
                                            dict_type=zstandard.DICT_TYPE_FULLDICT) if dictionary else None
    try:
        # (no dict_data at all without one: zstandard before 0.16 takes no None for it)
        decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_WINDOW) if trained is None else \
            zstandard.ZstdDecompressor(dict_data=trained, max_window_size=ZSTD_WINDOW)
    except zstandard.ZstdError as exc:  # (a dictionary that opens as one and is none)
        raise ScanError.stopped(name, f"its zstd dictionary cannot be used: {exc}") from None
    # (a frame at a time: one spoilt is passed over; what the dictionary frame took is where the first one starts)
    frames = Members(counted, name, Zstd(decompressor, zstandard.ZstdError), start=counted.count)
    return _Decoded(frames, counted, name, zstandard.ZstdError)


def _dictionary(file: BinaryIO, name: str, zstandard: Any) -> bytes:
    """The dictionary a dictionary frame holds (a skippable frame with its own magic number: the Zstandard
    compression for WARC files, section "Dictionary frame format"), as it is or compressed with zstd; read from
    ``file``, which is left at the frame's end."""
    header = _peek(file, 8)
    size = int.from_bytes(header[4:], "little")
    if size > DICTIONARY_MOST:
        raise ScanError(f"{name} opens with a zstd dictionary of {size // 2**20} MiB, more than the "
                        f"{DICTIONARY_MOST // 2**20} MiB imgur-dl reads")
    data = _peek(file, size)
    if len(data) < size:
        raise ScanError.stopped(name, "the file ends inside its zstd dictionary: it is cut short")
    if data.startswith(zstdframes.MAGIC):  # (compressed, as a zstd frame of its own)
        try:
            data = zstandard.ZstdDecompressor(max_window_size=ZSTD_WINDOW).decompress(
                data, max_output_size=DICTIONARY_MOST)
        except zstandard.ZstdError as exc:
            raise ScanError.stopped(name, f"its zstd dictionary does not decompress: {exc}") from None
    if not data.startswith(_DICTIONARY):
        raise ScanError.stopped(name, "its zstd dictionary frame holds no dictionary")
    return bytes(data)


def _zip(source: IO[bytes], name: str, *, inside: bool, warn: Callable[[str], None] | None) -> Reader:
    """A ZIP archive's members, read one after another (each may itself be compressed)."""
    if inside:
        raise ScanError(f"{name} is a ZIP archive inside another archive: extract it, then scan what it holds")
    try:
        if source.seekable():
            size = source.seek(0, os.SEEK_END)
            source.seek(0)
            return _Members(zipfile.ZipFile(source), name, size, warn)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise ScanError.stopped(name, _why(exc)) from None
    raise ScanError(f"{name} is a ZIP archive, which is read from a file, not a pipe: save it, then scan the file")


_ENCRYPTED = 0x1  # a ZIP file's general purpose flag: its data is encrypted (APPNOTE.TXT 4.4.4)
FILES_STOPPED_MOST = 10  # files of one archive that may not be read to their end, each said, before it is given up


class _Members(_Files):
    """The files of a ZIP archive; what they expand to is bounded as any compressed input's is."""

    unreadable = (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error)

    def __init__(self, archive: zipfile.ZipFile, name: str, size: int, warn: Callable[[str], None] | None) -> None:
        super().__init__(name, warn)
        self.archive = archive
        self.size = size  # the archive's, whatever its members say of theirs (they may overlap, as in a bomb)
        self._members = iter([m for m in archive.infolist() if not m.is_dir()])
        # (every folder's CURRENT is known before any file is read: a log is read as one wherever it comes)
        self.databases = {PurePosixPath(m.filename).parent for m in archive.infolist()
                          if PurePosixPath(m.filename).name == "CURRENT"}
        self.expansion = _Expansion(name)

    def _next(self) -> IO[bytes] | None:
        member = next(self._members, None)
        if member is None:
            return None
        self.inner = member.filename
        if member.flag_bits & _ENCRYPTED:  # (zipfile's own words name its whole record)
            raise ScanError.stopped(f"{self.name}: {self.inner}", "encrypted: its password is needed to read it")
        return self.archive.open(member)

    def _goes_on(self, exc: Exception) -> bool:
        return True  # (each file is read apart from the others, by its own offset in the archive)

    def read(self, size: int, /) -> bytes:
        self.expansion.check()
        data = super().read(size)
        return data if self._current is None else self.expansion.add(data, self.size)  # (a file's, not a line end)


class _Expansion:
    """What a compressed input has expanded to, against what it took: once past :data:`RATIO_AFTER` and
    :data:`MAX_RATIO` times that, the read that went past is handed on (nothing decoded is lost) and the next
    one stops."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.out = 0
        self._over: ScanError | None = None

    def check(self) -> None:
        if self._over is not None:
            raise self._over

    def add(self, data: bytes, taken: int) -> bytes:
        self.out += len(data)
        if self.out > RATIO_AFTER and self.out > MAX_RATIO * max(1, taken):
            why = f"it expands more than {MAX_RATIO} times (a decompression bomb?)"
            self._over = ScanError(f"{self.name}: stopped after {self.out // 2**20} MiB: {why}", why)
        return data


def _why(exc: BaseException) -> str:
    """An error's reason in words: the system's for an OSError, else its message, else its kind."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class _Text:
    """A file's text as the scan reads it: UTF-16 with its byte-order mark (as Notepad's "Unicode" and
    PowerShell's ``>`` write it, where every other byte of a link is a NUL) turned into UTF-8 as it is read, so
    its links are found; anything else as it is."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._decoder: codecs.IncrementalDecoder | None = None
        self._looked = False

    def read(self, size: int, /) -> bytes:
        data = self.reader.read(size)
        if not self._looked:
            while len(data) < 2 and (more := self.reader.read(size)):  # (a pipe may give one byte at first)
                data += more
            while data[:2] in _BOMS and len(data) < _LOOK and (more := self.reader.read(size)):
                data += more  # (only a file that opens as UTF-16 does is waited on for more to tell)
            self._looked = True
            if _utf16(data):
                self._decoder = codecs.getincrementaldecoder("utf-16")("replace")
        if self._decoder is None:
            return data
        while True:  # (never b"" before the end: half a character gives nothing yet)
            text = self._decoder.decode(data, not data)
            if text or not data:
                return text.encode("utf-8")
            data = self.reader.read(size)


def _utf16(head: bytes) -> bool:
    """Whether text that starts with ``head`` is UTF-16: its byte-order mark, then characters whose high bytes are
    often NUL (a link, a space, a line's end: ASCII), as they are not in bytes of some other kind that open alike."""
    if head[:2] == codecs.BOM_UTF16_LE:
        high = head[3:_LOOK:2]
    elif head[:2] == codecs.BOM_UTF16_BE:
        high = head[2:_LOOK:2]
    else:
        return False
    return high.count(0) * 16 >= len(high) > 0


class _Decompressing(Protocol):
    def read1(self, size: int, /) -> bytes: ...


class _Decoded:
    """A decompressing reader that hands on what it decoded before it stopped, and refuses to expand past
    :data:`MAX_RATIO` times what it has read."""

    def __init__(self, reader: _Decompressing, counted: _Counting, name: str,
                 unreadable: type[Exception] | None = None) -> None:
        self.reader = reader
        self.counted = counted
        self.name = name
        self.unreadable = _UNREADABLE + ((unreadable,) if unreadable is not None else ())
        self.expansion = _Expansion(name)

    def read(self, size: int, /) -> bytes:
        self.expansion.check()
        try:
            # (One read of the compressed input at a time: what an error on a later read would cost is only
            # what that read gave, never what earlier reads had decoded.)
            data = self.reader.read1(min(size, _PIECE))
        except self.unreadable as exc:
            raise ScanError.stopped(self.name, _why(exc)) from None
        return self.expansion.add(data, self.counted.count)


class _Counting:
    """The compressed input, counted as it is read."""

    def __init__(self, raw: Reader) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def readable(self) -> bool:
        return True


def _peek(source: Reader, size: int) -> bytes:
    """``size`` bytes of ``source`` (fewer where it ends first), read a piece at a time (a decompressing reader asked
    for much sets that much aside) and joined once (a pipe's small pieces are not copied again at each)."""
    pieces, held = [], 0
    while held < size and (data := source.read(min(16 * _PIECE, size - held))):
        pieces.append(data)
        held += len(data)
    return b"".join(pieces)


class _Prefixed:
    """``head`` (already read) followed by the rest of ``source``."""

    def __init__(self, head: bytes, source: Reader, name: str, *, then_more: bool = False) -> None:
        self.head = head
        self.source = source
        self.name = name
        self.then_more = then_more  # the first read gives the head and what has arrived after it, together

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:  # (all of it)
            data, self.head = self.head, b""
            return data + b"".join(iter(lambda: self._more(_PIECE), b""))
        if self.head:
            data, self.head = self.head[:size], self.head[size:]
            if self.then_more and 0 < len(data) < size:
                data += self._more(size - len(data))  # (and what has arrived after it: one piece, as read whole)
            return data
        return self._more(size)

    def _more(self, size: int) -> bytes:
        read1 = getattr(self.source, "read1", None)  # a pipe: what has arrived, not a whole block
        try:
            return read1(size) if read1 is not None else self.source.read(size)
        except OSError as exc:
            raise ScanError.stopped(self.name, _why(exc)) from None

    def readable(self) -> bool:
        return True
