"""Input for ``--scan``, compressed or not: recognised by its first bytes and decompressed as it is read.

zstd (with the long windows Reddit dumps use, pzstd's files, and those that
open with the dictionary their frames need: a ``.warc.zst``), gzip, xz,
bzip2 and LZMA's own ``.lzma`` (told by its header, as xz tells one: it has
no magic number); a ZIP archive's members one after another (a data export), each
compressed or not, and a tar archive's as it streams by
(:mod:`imgur_dl.archives`); a WARC file record
by record (:mod:`imgur_dl.warc`); text in UTF-16 with its byte-order mark, as
UTF-8. Where
the input cannot be read on (corrupt, cut short, expanding like a bomb),
reading stops with :class:`ScanError`, once everything decoded before that
point has been handed on; a gzip file's spoilt member, a zstd file's
spoilt frame, a bzip2 file's spoilt block or (where xz wrote their sizes) an
xz file's is said (:class:`FileStopped`) and reading goes on from the next
(:mod:`imgur_dl.members`, :mod:`imgur_dl.gzipped`,
:mod:`imgur_dl.zstdframes`, :mod:`imgur_dl.bzip2`, :mod:`imgur_dl.xzblocks`),
as a ZIP or tar archive's spoilt file is said
and its next file read. A zstd stream cut short (a dump whose download was
interrupted), where zstd's own reader ends in silence, is said to be: its
frames are read one by one. Firefox's session files
(mozlz4) are decoded whole (:mod:`imgur_dl.lz4block`), lz4's own frames one by one (:mod:`imgur_dl.lz4frames`).
A 7-Zip archive's files are read one after another (:mod:`imgur_dl.sevenzip`). RAR archives, lzip and compress
(``.Z``) are said to be what they are, not scanned as bytes; an
SQLite database is read as one (:mod:`imgur_dl.database`), a PDF file with
its object streams decompressed (:mod:`imgur_dl.pdf`), a LevelDB database's
tables and log as theirs (:mod:`imgur_dl.leveldb`; inside a ZIP or tar archive
too), an Apple binary property
list a string at a time (:mod:`imgur_dl.bplist`), a document's text (Word's,
PowerPoint's, OpenDocument's) as it shows it (:mod:`imgur_dl.office`), a
Chromium browser's session file a command at a time (:mod:`imgur_dl.snss`), a Python pickle a value at a time
(:mod:`imgur_dl.pickled`), a Bluesky account's export (a CAR file) and CBOR a string at a time (:mod:`imgur_dl.cbor`).
A file split in volumes (``dump.zst.001``, ``.002``...) is read from its first as the file it was cut from, whatever
it is (:mod:`imgur_dl.volumes`). What decompressing a file makes is read as the file it is (a ``.json.gz`` gzipped
again, an ``export.zip.gz``), inside up to :data:`LAYERS` others.
"""

from __future__ import annotations

import codecs
import functools
import io
import lzma
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol, cast

from imgur_dl import (
    arrow,
    avro,
    bplist,
    cbor,
    database,
    leveldb,
    lz4block,
    lz4frames,
    office,
    parquet,
    pdf,
    pgdump,
    pickled,
    sevenzip,
    snss,
    volumes,
    zstdframes,
    zstdlib,
)
from imgur_dl.archives import DEEPEST, TOO_DEEP, Files, Opened, TarFiles
from imgur_dl.arrow import Arrow
from imgur_dl.avro import Avro
from imgur_dl.bzip2 import Blocks
from imgur_dl.cbor import Car
from imgur_dl.coders import Spoilt
from imgur_dl.database import Database
from imgur_dl.errors import ScanError, UsageError, reason
from imgur_dl.gzipped import Gzip
from imgur_dl.lz4frames import Lz4
from imgur_dl.members import Members
from imgur_dl.parquet import Parquet
from imgur_dl.pdf import Pdf
from imgur_dl.pgdump import PgDump
from imgur_dl.pickled import Pickle
from imgur_dl.reader import (
    PIECE,
    Expansion,
    Held,
    OwnFile,
    Prefixed,
    Reader,
    Source,
    Then,
    Whole,
    peek,
)
from imgur_dl.sevenzip import SevenZipFiles
from imgur_dl.warc import Warc, is_warc
from imgur_dl.xzblocks import XzBlocks
from imgur_dl.zipstream import END_MOST, SPANNING, in_parts, parts_missing, zip_files
from imgur_dl.zstdframes import Zstd

MAGIC_SIZE = 16  # the first bytes that tell what a file is (an SQLite database needs the most)
_LZMA_HEADER, _LZMA_PROPERTIES = 13, 9 * 5 * 5  # an .lzma file's header; its first byte, (pb * 5 + lp) * 9 + lc
_LZMA_TRIAL = 4096  # the bytes of a file whose header is an .lzma file's decoded to tell it is one
_LZMA_TRIAL_MADE = 16 * 1024 * 1024  # ... and what they may make, at the most, while that is told
_LZMA_TEXT = 64  # ... and, in a file shorter than that cut short, the text they must make at the least
_TAR, _TAR_AT = b"ustar", 257  # a tar archive's magic number (POSIX's and GNU's), and where in its first block
_TAR_BLOCK, _TAR_SUM = 512, slice(148, 156)  # a tar header, and where in it its checksum is
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (zstdlib.MAGIC, "zstd"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
    (b"PK\x03\x04", "zip"),  # (a data export: Reddit's, Discord's, Google Takeout's)
    (b"PK\x05\x06", "zip"),  # (one with nothing in it)
    *((marker + b"PK\x03\x04", "zip") for marker in SPANNING),  # (one split in parts: zip -s, WinZip's)
    (sevenzip.MAGIC, "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (lz4frames.MAGIC, "lz4"),
    (b"\x02\x21\x4c\x18", "lz4-legacy"),  # (lz4 -l: the Linux kernel's)
    (lz4block.MOZLZ4_MAGIC, "mozlz4"),  # (Firefox's session files: open tabs, closed ones)
    (database.MAGIC, "sqlite"),  # (a browser's history: Firefox's places.sqlite, Chrome's History)
    *((magic, "sqlite-wal") for magic in database.WAL_MAGIC),
    (database.JOURNAL_MAGIC, "sqlite-journal"),
    *((b"LZIP" + version, "lzip") for version in (b"\x01", b"\x00")),  # ("LZIP", then its version: not text)
    (b"\x1f\x9d", "compress"),
)
# What decompressing a file may make that is read as a file of its own (:meth:`_Opening._nested`): all but an SQLite
# database (read as one where it is met) and LZMA's own format (told from text by decoding, where a file opens).
_NESTED = frozenset(kind for _, kind in _MAGIC) - {"sqlite"}
LAYERS = 3  # the compressed files one may be decompressed from, and be read (.gz.gz.gz.gz: a fourth is not)
# Formats recognised but not read: said, rather than scanned as bytes that hold no link anyone could find.
_UNREAD = {"rar": "a RAR archive", "lzip": "lzip-compressed",
           "lz4-legacy": "lz4-compressed in its legacy format (lz4 -l)",
           "compress": "compressed with compress (.Z)"}
_DICTIONARY_FRAME = b"\x5d\x2a\x4d\x18"  # the skippable zstd frame that holds the dictionary the frames after it need
_DICTIONARY = b"\x37\xa4\x30\xec"  # a zstd dictionary's own magic number
DICTIONARY_MOST = 16 * 2**20  # a WARC file's dictionary is 8 MiB at the most (readers may refuse more): twice that
_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_LOOK = 514  # bytes of a file looked at to tell its text's encoding (a byte-order mark, then 256 characters)
# What the readers raise for input they cannot read on (zstd's own error is added when it is used).
_UNREADABLE: tuple[type[Exception], ...] = (OSError, ValueError, zlib.error)


def opened(source: IO[bytes], name: str, *, depth: int = 0, warn: Callable[[str], None] | None = None,
           path: Path | None = None, layers: int = 0) -> Reader:
    """``source`` as text to read: decompressed when its first bytes say it is compressed, a ZIP archive's
    members one after another (``depth``: the archives it is inside), a WARC file's records with their bodies decoded
    (``warn``: told what could not be), an SQLite database's values (read from ``path``: the file ``source`` is,
    when it is one of its own). Its ``read`` gives what has arrived (a pipe is not waited on for a whole block),
    and raises :class:`ScanError` where it cannot go on. ``layers``: the compressed files ``source`` was decompressed
    from (a ``.json.gz`` gzipped again is one inside another)."""
    if path is not None and not _regular(source):  # (a pipe with a name, a FIFO or /dev/stdin: read as one without)
        path = None
    own = _own(source, path, name) if path is not None else None  # (its bytes where they are: its volumes', if split)
    if isinstance(own, volumes.Volumes):  # (read as the file they were cut from, whatever the first one's length)
        source, path = io.BufferedReader(volumes.Joined(own), PIECE), None
    try:
        head = peek(source, MAGIC_SIZE)
        kind = kind_of(head)
        if kind == "lzma":  # (LZMA's own format has no magic number: what its header holds must decode as well)
            head += peek(source, _LZMA_TRIAL)
            kind = "lzma" if _decodes_as_lzma(head) else None
    except OSError as exc:
        raise ScanError.stopped(name, reason(exc)) from None
    if kind is None and path is not None and (tables := _leveldb(source, path, name)) is not None:
        return tables
    if kind is None and own is not None and head.startswith(parquet.MAGIC):
        return Parquet(own, name, Expansion(name), warn=warn)  # (its pages where they are)
    if kind == "7z":
        return _seven_zip(source, head, name, _within(depth, warn), depth=depth, own=own)
    if kind in ("sqlite", "sqlite-wal", "sqlite-journal"):
        return _database(name, kind, path, Prefixed(head, source, name), inside=depth > 0, warn=warn)
    if kind == "zip":
        return zip_files(source, head, name, _within(depth, warn), depth=depth)
    if kind in _UNREAD:
        raise ScanError(f"{name} is {_UNREAD[kind]}, which imgur-dl does not read (it reads zstd, gzip, xz, lzma, "
                        "bzip2, lz4, ZIP and 7-Zip): extract it, then scan what it holds")
    raw = Prefixed(head, source, name, then_more=True)  # (what it is is told by its first piece, read whole)
    if kind == "mozlz4":
        return _contents(_mozlz4(raw, name), name, None, warn, depth=depth, layers=layers)
    if kind is None:
        return _contents(raw, name, None, warn, depth=depth, layers=layers)
    counted = _Counting(raw)
    return _contents(_decompressed(kind, counted, name, head), name, lambda: counted.count, warn, depth=depth,
                     layers=layers)


def _decompressed(kind: str, counted: _Counting, name: str, head: bytes) -> _Decoded:
    """The file ``counted`` (its first bytes ``head``), compressed as ``kind`` says, decompressed."""
    if kind == "gzip":  # (a .warc.gz too: a gzip member a record, one after another)
        return _Decoded(Members(counted, name, Gzip()), counted, name)
    if kind == "xz":
        return _Decoded(XzBlocks(counted, name), counted, name)  # (a block at a time, where it can be)
    if kind == "lz4":
        return _Decoded(Members(counted, name, Lz4()), counted, name)  # (a frame at a time: a spoilt one passed over)
    if kind == "bzip2":
        return _Decoded(Blocks(counted, name), counted, name)  # (a block at a time: a spoilt one passed over)
    if kind == "lzma":
        # (read as it streams, and closed with nothing to close: it asks read() alone of what it is given)
        alone = lzma.LZMAFile(cast(IO[bytes], counted), format=lzma.FORMAT_ALONE)  # noqa: SIM115
        return _Decoded(alone, counted, name, lzma.LZMAError, EOFError)
    return _zstd(counted, name, dictionary=head.startswith(_DICTIONARY_FRAME))


def _seven_zip(source: IO[bytes], head: bytes, name: str, opened: Opened, *, depth: int, own: Source | None) -> Reader:
    """A 7-Zip archive's files, one after another (:mod:`imgur_dl.sevenzip`): read where they are in a file of its
    own (``own``: with its later volumes, where it is the first of several), else (in a pipe, inside an archive:
    ``depth``) read whole into memory first, as its header is at its end; one cut short (no header) gives the text of
    its first folders, and that is said."""
    if depth > DEEPEST:
        raise ScanError(f"{name} is a 7-Zip archive {TOO_DEEP}: extract it, then scan what it holds")
    archive = own if own is not None else _held_seven_zip(source, head, name)
    try:
        return SevenZipFiles(archive, name, opened)
    except sevenzip.Cut:
        return sevenzip.Recovered(archive, name, Expansion(name))
    except Spoilt as exc:
        raise ScanError(f"{name}: a 7-Zip archive, not read: {exc}", str(exc)) from None
    except OSError as exc:  # (its header could not be read: the disk's error)
        raise ScanError.stopped(name, reason(exc)) from None


def _held_seven_zip(source: IO[bytes], head: bytes, name: str) -> Source:
    """A 7-Zip archive that is not a file of its own (a pipe, inside an archive), read whole into memory, up to
    :data:`imgur_dl.sevenzip.MOST`."""
    image = peek(Prefixed(head, source, name), sevenzip.MOST + 1)
    if len(image) > sevenzip.MOST:
        raise ScanError(f"{name} is a 7-Zip archive larger than imgur-dl reads whole ({sevenzip.MOST:,} bytes) where "
                        "it is not a file of its own (in a pipe, inside an archive): save it, then scan the file")
    return Held(image)


def _own(source: IO[bytes], path: Path, name: str) -> Source:
    """The bytes of the file ``source`` (at ``path``), read where they are asked: its own, or where it is the volume
    that a file split in several is read from (:mod:`imgur_dl.volumes`), theirs, as the one file they were cut from;
    another volume of one is said to be read with them, where the one they are read from is beside it."""
    if (read := volumes.read_with(path)) is not None:
        raise ScanError(f"{name} is a volume of a file split in several: it is read with the others when {read} is "
                        "scanned", "a volume of a file split in several, read with the others")
    try:
        parts = volumes.volumes(path)
        if len(parts) > 1:
            return volumes.Volumes(parts)
        own = OwnFile(source.fileno())
        # (A part that opens with no header of ZIP's, read on its own, would be a file's middle: no text. One that
        # does is read as far as it can be, whatever its end record says, as unzip reads it.)
        if path.suffix.lower() == ".zip" and own.at(0, 2) != b"PK" and \
                in_parts(own.at(max(0, own.size - END_MOST), END_MOST)):
            raise parts_missing(name)
    except OSError as exc:  # (a volume gone, or unreadable, since the folder was read)
        raise ScanError.stopped(name, reason(exc)) from None
    return own


def _regular(source: IO[bytes]) -> bool:
    """Whether ``source`` is a regular file, read where it is asked (not a pipe, even one with a name: a FIFO,
    ``/dev/stdin``)."""
    try:
        return stat.S_ISREG(os.fstat(source.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def _within(depth: int, warn: Callable[[str], None] | None) -> Opened:
    """How the files of an archive ``depth`` archives deep are read: as :func:`opened` reads one, one archive deeper
    (``warn``: told what could not be decoded)."""
    return functools.partial(opened, depth=depth + 1, warn=warn)


def _database(name: str, kind: str, path: Path | None, raw: Reader, *, inside: bool,
              warn: Callable[[str], None] | None) -> Reader:
    """An SQLite database's values, read as a database (:mod:`imgur_dl.database`): from its file, or (in a pipe,
    compressed, in an archive) read whole into memory, where it can be; its write-ahead log is read with it (where it
    can be), its journal not at all: either, on its own, is said and passed over."""
    if kind == "sqlite" and path is not None:
        return Database(path, name, warn)
    if kind == "sqlite":
        image = peek(raw, database.IN_MEMORY_MOST + 1) if database.IN_MEMORY else None  # (one more: to tell)
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
    return leveldb.reader(data, form, name)


def _mozlz4(raw: Reader, name: str) -> Reader:
    """Firefox's session file (mozlz4: its magic number, the size of what it holds, one LZ4 block), decoded whole:
    what it holds, then where decoding stopped, if it did."""
    header = len(lz4block.MOZLZ4_MAGIC) + 4
    head = peek(raw, header)
    size = int.from_bytes(head[len(lz4block.MOZLZ4_MAGIC):], "little")
    if len(head) < header or size > lz4block.MOZLZ4_MOST:
        why = "cut short" if len(head) < header else \
            f"it says it holds {size:,} bytes, more than imgur-dl reads of one ({lz4block.MOZLZ4_MOST:,})"
        raise ScanError(f"{name}: Firefox's lz4-compressed JSON (mozlz4), not read: {why}", why)
    most = size + size // 255 + 16  # (the largest block that makes that much: LZ4's bound)
    block = peek(raw, most + 1)  # (one more: to tell a block larger)
    decoded = lz4block.decoded(block, size) if len(block) <= most else \
        lz4block.Decoded(b"", "not an LZ4 block: larger than any that makes what its header says")
    return Then(decoded.data, ScanError.stopped(name, decoded.stopped) if decoded.stopped else None)


def _whole(raw: Reader, name: str, warn: Callable[[str], None] | None, *, what: str, most: int,
           read: Callable[[bytes], Whole]) -> Reader:
    """The file ``raw`` (``what`` it is) read whole and made text by ``read`` (that text, or why it cannot be read so);
    one that cannot be, or is larger than ``most`` bytes, is read as bytes, and that is said; one that stops short of
    its end gives its text, then stops there."""
    image = peek(raw, most + 1)  # (one more: to tell one larger)
    text, unread, cut = read(image) if len(image) <= most else \
        Whole(b"", f"larger than imgur-dl reads whole ({most:,} bytes)")
    if cut is not None:  # (what came before, then the stop, as any input cut short or spoilt)
        return Then(text, ScanError.stopped(name, f"{what} that {cut}"))
    if unread is None:
        return io.BytesIO(text)
    if warn is not None:
        warn(f"{name}: {what}, {unread}: read as bytes")
    return _Text(Prefixed(image, raw, name))


def _contents(reader: Reader, name: str, taken: Callable[[], int] | None, warn: Callable[[str], None] | None, *,
              depth: int, layers: int = 0) -> Reader:
    """A file's text, once decompressed: what its first piece says it is (:class:`_Opening`). ``taken``: how much of
    the file a compressed one has been read (None: it is the text itself)."""
    return _Opening(reader, name, taken, warn, depth=depth, layers=layers)


class _Opening:
    """A file's text as its first piece says to read it (of a pipe, what has arrived, not waited on past the few
    bytes that tell what a file is, and a tar archive's first header, read whole once its magic number is seen; of
    what a decoder made, its first 512 bytes, a tar's first header whatever its decoder gave first): a WARC
    file record by record (:mod:`imgur_dl.warc`), a tar archive's members one after another (its magic number is 257
    bytes in, and its header's checksum right, :func:`_is_tar`: a tar whose first piece is shorter than its magic
    number is read as text; so is one :data:`TOO_DEEP`), a compressed file or an archive as a file of its own is
    (:meth:`_nested`), anything else as :class:`_Text` reads it."""

    def __init__(self, reader: Reader, name: str, taken: Callable[[], int] | None,
                 warn: Callable[[str], None] | None, *, depth: int, layers: int = 0) -> None:
        self.reader = reader
        self.name = name
        self.taken = taken
        self.warn = warn
        self.depth = depth  # the archives it is inside
        self.layers = layers  # the compressed files it was decompressed from (:func:`opened`)
        self._chosen: Reader | None = None

    def read(self, size: int, /) -> bytes:
        if self._chosen is None:
            first = self.reader.read(size)
            # (A decoder that gives a few bytes at a time: enough to tell. What one made is a tar's first header
            # whole, as a pipe of text is not waited on for: a decoder's first piece may end before its magic number.)
            look = MAGIC_SIZE if self.taken is None else _TAR_BLOCK
            first, stopped = _filled(self.reader, first, look if first else 0)
            if stopped is None and first[_TAR_AT:_TAR_AT + len(_TAR)] == _TAR:  # (its header whole, to check)
                first, stopped = _filled(self.reader, first, _TAR_BLOCK)
            then = self.reader if stopped is None else _Stopped(stopped, self.reader)  # (what came first handed on)
            self._chosen = self._chosen_for(first, Prefixed(first, then, self.name))
        return self._chosen.read(size)

    def _chosen_for(self, first: bytes, rest: Reader) -> Reader:
        """How the file whose first piece is ``first`` (``rest``: all of it) is read."""
        if first.startswith(database.MAGIC):  # (compressed: no file of its own to read as a database)
            return _database(self.name, "sqlite", None, rest, inside=self.depth > 0, warn=self.warn)
        if kind_of(first) in _NESTED:
            return self._nested(rest)
        if is_warc(first):
            return Warc(rest, self.name, Expansion(self.name), taken=self.taken, warn=self.warn)
        streamed = next((kind for opens, kind in _STREAMED if opens(first)), None)
        if streamed is not None:
            return streamed(rest, self.name, Expansion(self.name), taken=self.taken, warn=self.warn)
        if first.startswith(parquet.MAGIC):  # (its footer, at its end, says where its pages are)
            return self._parquet(rest)
        if (whole := next((whole for whole in _WHOLE if whole.opens(first)), None)) is not None:
            return _whole(rest, self.name, self.warn, what=whole.what, most=whole.most(), read=whole.read)
        if _is_tar(first):
            return self._tar(rest)
        return _Text(rest)

    def _nested(self, rest: Reader) -> Reader:
        """What decompressing this file made, itself compressed or an archive (a ``.json.gz`` gzipped again, an
        ``export.zip.gz``), read as a file of its own is, in as many archives as this one (its ZIP's files as a
        ZIP's), its text bound to :data:`~imgur_dl.reader.MAX_RATIO` times what this one took (each layer's bound,
        multiplied, would let a bomb in one through); one inside more than :data:`LAYERS` others read as bytes,
        and that said."""
        if self.layers >= LAYERS:
            if self.warn is not None:
                self.warn(f"{self.name}: compressed {self.layers + 2} times over: what the innermost holds is not "
                          "read (decompress it, then scan the file)")
            return _Text(rest)
        inner = opened(io.BufferedReader(_Raw(rest)), self.name, depth=self.depth, warn=self.warn,
                       layers=self.layers + 1)
        return inner if self.taken is None else _Bounded(inner, self.name, self.taken)

    def _parquet(self, rest: Reader) -> Reader:
        """A Parquet file not of its own (in a pipe, compressed, in an archive), read whole into memory (where its
        footer is, at its end, says where its pages are); one too large is read as bytes, and that is said."""
        image = peek(rest, parquet.MOST + 1)  # (one more: to tell one larger)
        if len(image) <= parquet.MOST:
            return Parquet(Held(image), self.name, Expansion(self.name), warn=self.warn)
        if self.warn is not None:
            self.warn(f"{self.name}: a Parquet file larger than imgur-dl reads whole ({parquet.MOST:,} bytes) where it "
                      "is not a file of its own: read as bytes (decompress or extract it, then scan the file)")
        return _Text(Prefixed(image, rest, self.name))

    def _tar(self, rest: Reader) -> Reader:
        """A tar archive's members, one after another; one deeper than :data:`DEEPEST` read as text, which finds the
        links of what is not compressed inside it, and said to be (the rest would be lost without a word)."""
        if self.depth <= DEEPEST:
            return TarFiles(rest, self.name, _within(self.depth, self.warn))
        if self.warn is not None:
            self.warn(f"{self.name}: a tar archive {TOO_DEEP}, read as text: what is compressed inside it is not "
                      "read (extract it, then scan what it holds)")
        return _Text(rest)


def _filled(reader: Reader, first: bytes, need: int) -> tuple[bytes, ScanError | None]:
    """``first``, and what ``reader`` gives after it up to ``need`` bytes in all (fewer where it ends first), with
    what stopped it, where something did (what was read before is kept, to be handed on before that is said)."""
    try:
        while len(first) < need and (more := reader.read(need - len(first))):
            first += more
    except ScanError as exc:
        return first, exc
    return first, None


class _Stopped:
    """``reader``, whose reading stopped with ``stopped``: that said when it is next read, once, then ``reader`` read
    on (a spoilt member passed over reads on from the next: :class:`FileStopped`)."""

    def __init__(self, stopped: ScanError, reader: Reader) -> None:
        self.stopped: ScanError | None = stopped
        self.reader = reader

    def read(self, size: int, /) -> bytes:
        if self.stopped is not None:
            stopped, self.stopped = self.stopped, None
            raise stopped
        return self.reader.read(size)


def _is_tar(first: bytes) -> bool:
    """Whether a file's first bytes are a tar archive's first header: its magic number 257 bytes in, and its checksum
    that of its bytes (their sum, its own field counted as spaces; as unsigned or, as old tars wrote it, signed bytes:
    POSIX's ustar, as tarfile checks it). Text that holds "ustar" there (a note, an email) is text. A file that ends
    inside its first header is told by its magic number and a checksum's form (octal digits), and said cut short."""
    if first[_TAR_AT:_TAR_AT + len(_TAR)] != _TAR:
        return False
    field = first[_TAR_SUM].split(b"\0", 1)[0].strip()
    if not field or any(digit not in b"01234567" for digit in field):
        return False
    if len(first) < _TAR_BLOCK:
        return True
    rest = first[:_TAR_SUM.start] + b" " * 8 + first[_TAR_SUM.stop:_TAR_BLOCK]
    return int(field, 8) in (sum(rest), sum(byte - 256 * (byte > 127) for byte in rest))


class _Streamed(Protocol):
    def __call__(self, source: Reader, name: str, bound: Expansion, *, taken: Callable[[], int] | None,
                 warn: Callable[[str], None] | None) -> Reader: ...


def _opening(*magic: bytes) -> Callable[[bytes], bool]:
    """Whether a file's first bytes are one of ``magic``."""
    return lambda first: first.startswith(magic)


# Files read front to back as what their first bytes say they are, their text handed on as it is read.
_STREAMED: tuple[tuple[Callable[[bytes], bool], _Streamed], ...] = (
    (_opening(pdf.MAGIC), Pdf), (_opening(avro.MAGIC), Avro), (_opening(pgdump.MAGIC), PgDump),
    (_opening(arrow.MAGIC, arrow.STREAM), Arrow), (_opening(*pickled.MAGIC), Pickle),
    (cbor.is_car, Car),  # (a Bluesky account's export; IPFS's blocks)
)


class _Read(NamedTuple):
    """A file read whole (up to ``most()`` bytes) as what its first bytes say it is: ``what`` it is, and ``read``, what
    makes its text of it."""

    opens: Callable[[bytes], bool]
    what: str
    most: Callable[[], int]  # (read when a file is: a module's bound as it is then)
    read: Callable[[bytes], Whole]


_WHOLE = (_Read(_opening(cbor.SELF_DESCRIBED), "a CBOR file", lambda: cbor.MOST, cbor.described),
          _Read(_opening(bplist.MAGIC), "a binary property list", lambda: bplist.MOST, bplist.strings),
          _Read(_opening(snss.MAGIC), "a Chromium browser's session file", lambda: snss.MOST, snss.commands),
          _Read(office.is_document, "a document's text (Word's, PowerPoint's, OpenDocument's)", lambda: office.MOST,
                office.joined))


def kind_of(head: bytes) -> str | None:
    """What the first bytes of a file say it is ("gzip", "zip", ...); None for anything else (text, most likely)."""
    if len(head) >= len(zstdlib.SKIPPABLE) and zstdlib.skippable(head):
        return "zstd"  # a skippable frame first, as pzstd (zstd in parallel) writes its files
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), "lzma" if _lzma_alone(head) else None)


def _lzma_alone(head: bytes) -> bool:
    """Whether ``head`` opens a file in LZMA's own format (``.lzma``: ``xz --format=lzma``, 7-Zip's LZMA SDK), which
    has no magic number: a properties byte, then a dictionary's size of 2^n or 2^n + 2^(n-1) bytes (4 KiB at the
    least), then the size it holds, unknown (all ones) or under 2^38, as xz's decoder asks before it takes a file
    for one. (Text never opens so: such a dictionary's size holds a zero byte.)"""
    if len(head) < _LZMA_HEADER or head[0] >= _LZMA_PROPERTIES:
        return False
    dictionary, size = int.from_bytes(head[1:5], "little"), int.from_bytes(head[5:13], "little")
    third = dictionary // 3
    shaped = dictionary & (dictionary - 1) == 0 or (dictionary % 3 == 0 and third & (third - 1) == 0)
    return dictionary >= 4096 and shaped and (size == 2**64 - 1 or size < 2**38)


def _decodes_as_lzma(head: bytes) -> bool:
    """Whether the first bytes of a file whose header is an ``.lzma`` file's decode as one (a MongoDB dump's BSON
    opens with bytes that make such a header: a document's length, then its first field's type and name; so may a
    LevelDB log's): all of :data:`_LZMA_TRIAL` bytes; or, in a file shorter than that, to the stream's end, or to
    text (one cut short; bytes of another kind that decode until they run out make no text)."""
    decoder, made = lzma.LZMADecompressor(lzma.FORMAT_ALONE), []
    try:
        made.append(decoder.decompress(head, PIECE))
        size = len(made[-1])
        while not decoder.eof and not decoder.needs_input and size < _LZMA_TRIAL_MADE:
            made.append(decoder.decompress(b"", PIECE))
            size += len(made[-1])
    except lzma.LZMAError:
        return False
    if decoder.eof or len(head) >= MAGIC_SIZE + _LZMA_TRIAL or size >= _LZMA_TRIAL_MADE:
        return True
    text = b"".join(made)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(text)  # (a character cut in two at its end is no fault)
    except UnicodeDecodeError:
        return False
    return len(text) >= _LZMA_TEXT and b"\x00" not in text


def holds_files(reader: Reader) -> bool:
    """Whether ``reader`` (from :func:`opened`, once read from) gives an archive's files one after another (a ZIP's,
    a tar's): a line's number in what it gives is no one file's."""
    while isinstance(reader, _Opening | _Bounded) and (inner := _inner(reader)) is not None:
        reader = inner
    return isinstance(reader, Files)


def _inner(reader: _Opening | _Bounded) -> Reader | None:
    """What ``reader`` reads through: what it chose to read a file as (none yet), or what it bounds."""
    return reader._chosen if isinstance(reader, _Opening) else reader.reader


def as_file(reader: Reader, source: IO[bytes]) -> io.BufferedReader:
    """``reader`` as a binary file (for :class:`io.TextIOWrapper`: a list read a line at a time), which closes
    ``source``, the file ``reader`` reads, as it is closed."""
    return io.BufferedReader(_Raw(reader, source))


class _Raw(io.RawIOBase):
    """A :class:`Reader` as a raw binary stream: what it gives, in the pieces asked for."""

    def __init__(self, reader: Reader, source: IO[bytes] | None = None) -> None:
        self.reader = reader
        self.source = source  # (closed with it, where given)
        self._rest = b""

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._rest or self.reader.read(len(buffer))
        taken = min(len(data), len(buffer))
        buffer[:taken] = data[:taken]
        self._rest = data[taken:]
        return taken


def _zstd(counted: _Counting, name: str, *, dictionary: bool = False) -> _Decoded:
    """A zstd stream decoded; ``dictionary``: it opens with a dictionary frame (a ``.warc.zst``'s, as ArchiveTeam
    writes them), which its frames are decoded with."""
    decoder = zstdlib.decoder(window=zstdframes.WINDOW_MOST)
    if decoder is not None and dictionary:
        try:
            decoder = zstdlib.decoder(window=zstdframes.WINDOW_MOST, dictionary=_dictionary(counted, name, decoder))
        except zstdlib.Unusable as exc:  # (a dictionary that opens as one and is none)
            raise ScanError.stopped(name, f"its zstd dictionary cannot be used: {exc}") from None
    if decoder is None:
        raise UsageError(f"{name} is zstd-compressed: install imgur-dl[zstd] (the zstandard package) "
                         "to read it, or decompress it first (zstd -dc --long=31)")
    # (a frame at a time: one spoilt is passed over; what the dictionary frame took is where the first one starts)
    frames = Members(counted, name, Zstd(decoder), start=counted.count)
    return _Decoded(frames, counted, name, decoder.error)


def _dictionary(file: Reader, name: str, decoder: zstdlib.Decoder) -> bytes:
    """The dictionary a dictionary frame holds (a skippable frame with its own magic number: the Zstandard
    compression for WARC files, section "Dictionary frame format"), as it is or compressed with zstd (decoded by
    ``decoder``); read from ``file``, which is left at the frame's end."""
    header = peek(file, 8)
    size = int.from_bytes(header[4:], "little")
    if size > DICTIONARY_MOST:
        raise ScanError(f"{name} opens with a zstd dictionary of {size // 2**20} MiB, more than the "
                        f"{DICTIONARY_MOST // 2**20} MiB imgur-dl reads")
    data = peek(file, size)
    if len(data) < size:
        raise ScanError.stopped(name, "the file ends inside its zstd dictionary: it is cut short")
    if data.startswith(zstdlib.MAGIC):  # (compressed, as a zstd frame of its own)
        try:
            data = decoder.decompressed(data, DICTIONARY_MOST)
        except decoder.error as exc:
            raise ScanError.stopped(name, f"its zstd dictionary does not decompress: {decoder.why(exc)}") from None
    if not data.startswith(_DICTIONARY):
        raise ScanError.stopped(name, "its zstd dictionary frame holds no dictionary")
    return bytes(data)


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
    :data:`imgur_dl.reader.MAX_RATIO` times what it has read."""

    def __init__(self, reader: _Decompressing, counted: _Counting, name: str, *unreadable: type[Exception]) -> None:
        self.reader = reader
        self.counted = counted
        self.name = name
        self.unreadable = _UNREADABLE + unreadable
        self.expansion = Expansion(name)

    def read(self, size: int, /) -> bytes:
        self.expansion.check()
        try:
            # (One read of the compressed input at a time: what an error on a later read would cost is only
            # what that read gave, never what earlier reads had decoded.)
            data = self.reader.read1(min(size, PIECE))
        except self.unreadable as exc:
            raise ScanError.stopped(self.name, reason(exc)) from None
        return self.expansion.add(data, self.counted.count)


class _Bounded:
    """A reader whose text may expand no more than :data:`imgur_dl.reader.MAX_RATIO` times what ``taken`` says of
    the file it was decompressed from."""

    def __init__(self, reader: Reader, name: str, taken: Callable[[], int]) -> None:
        self.reader = reader
        self.taken = taken
        self.expansion = Expansion(name)

    def read(self, size: int, /) -> bytes:
        self.expansion.check()
        return self.expansion.add(self.reader.read(size), self.taken())


class _Counting:
    """The compressed input, counted as it is read."""

    def __init__(self, raw: Reader) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


