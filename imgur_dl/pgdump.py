"""A PostgreSQL database's dump in pg_dump's custom format (``pg_dump -Fc``, the form PostgreSQL's manual gives for
backups; ``PGDMP`` its first bytes) as ``--scan`` reads it: the text of its table of contents (each object's
definition, comments among them), then each table's data and each large object, decompressed.

Read as bytes, such a dump gave its definitions' links and none of its tables': their data is compressed, a table
at a time (with zlib, unless asked otherwise). The format is pg_dump's own (``pg_backup_archiver.c``'s ``ReadHead``
and ``ReadToc``, ``pg_backup_custom.c``, ``compress_io.c``): a header (the format's version, the size of its
integers and offsets, how its data is compressed), the table of contents (how many entries, then each entry's
fields, which versions add to), then the data, a block after another: its type and its entry's id, then its data in
chunks, each its length and its bytes, the last of length 0. A block of large objects holds each object's id and its
data so, until an id of 0. An integer is a sign byte, then its bytes, least significant first; a string its length
(-1: none), then its bytes. The data of a block is one stream, compressed as the header says: with zlib (before
version 1.15, any level but 0), lz4 or zstd (PostgreSQL 16 and later), or not at all.

Versions 1.12 (PostgreSQL 9.0) to 1.16 (17 and 18) are read. Nothing in the file is trusted: a length is read
through a piece at a time, never held whole; what the data expands to is bounded as any compressed input's is; a
block whose data does not decompress is said and passed over (its chunks tell where it ends), and so is zstd's
where the extra that reads it is not installed; the file ending inside anything is said, once all read before it
counts. A dump that cannot be read so (another version; damaged) is read as bytes, and that is said, with what reads
it: ``pg_restore -f - DUMP`` writes it as the SQL that makes the database again.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Generator, Iterator
from typing import Protocol

from imgur_dl import zstdlib
from imgur_dl.errors import ScanError
from imgur_dl.lz4frames import Lz4
from imgur_dl.reader import PIECE, Bound, Reader, Streamed, Taken
from imgur_dl.zstdframes import WINDOW_MOST, Zstd

MAGIC = b"PGDMP"
_OLDEST, _NEWEST = (1, 12), (1, 16)  # the versions read (K_VERS_1_12 .. K_VERS_1_16, and their revisions)
# The header's format: custom; or tar, or directory, whose table of contents (toc.dat) is a file of its own, as each
# table's data is (in a tar archive, or a folder: read as such), each entry naming its data's file.
_CUSTOM, _TAR, _DIRECTORY = 1, 3, 5
_DATA, _LARGE_OBJECTS = 1, 3  # a block's types (BLK_DATA, BLK_BLOBS)
_NONE, _ZLIB, _LZ4, _ZSTD = 0, 1, 2, 3  # how the data is compressed (pg_compress_algorithm)
_OFFSET_FLAGS = (1, 2, 3)  # where an entry's data is: not said, said, it has none (K_OFFSET_*)
_SEP = b"\n"  # after each string and each stream of data (no link runs on from one into the next)
RESTORE = "pg_restore -f - DUMP | imgur-dl --scan - reads it whole"
_Text = Generator[bytes, None, "str | None"]  # text given; then, where it stopped short, why: _CUT, or the damage
_CUT = "cut short"  # (the file ends first)


class _Decoder(Protocol):
    def feed(self, data: bytes, size: int, /) -> tuple[bytes, int, bool]:
        """What ``data`` makes (about ``size`` bytes at the most), how many of its bytes it took, and whether the
        stream ended there."""
        ...


class PgDump(Streamed):
    """A dump in pg_dump's custom format as text to scan (a :class:`imgur_dl.reader.Reader`). ``taken``: how much of
    the file has been read (when it is compressed as a whole; else what this has read of it); ``warn``: told of
    what could not be read (blocks that do not decompress, data this does not decompress, a version not read)."""

    def __init__(self, source: Reader, name: str, bound: Bound, *, taken: Callable[[], int] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        super().__init__(source, name, bound, taken=taken, warn=warn)
        self.fields = _Fields(self.input)
        self.offset_size = 4
        self.version = (0, 0)
        self.form = _CUSTOM
        self.data = _Compression(_NONE)
        self.blocks = 0  # blocks of data read
        self.spoilt = 0  # ... that did not decompress to their end

    def text(self) -> Iterator[bytes]:
        unread = self._head()
        if unread is not None:  # (its definitions' links are found in its bytes, and all where it is not compressed)
            self.say(f"a PostgreSQL dump (pg_dump -Fc) {unread}: read as bytes ({RESTORE})")
            yield from self.input.rest()
            return
        stop = yield from self._toc()
        if stop is None:
            stop = yield from self._blocks()
        self._tell()
        if stop == _CUT:
            raise ScanError.stopped(self.name, "the PostgreSQL dump ends inside what it holds: cut short")
        if stop is not None:
            self.say(f"a PostgreSQL dump (pg_dump -Fc) damaged {stop}: the rest was read as bytes ({RESTORE}, as far "
                      "as it can)")
            yield from self.input.rest()

    def _head(self) -> str | None:
        """The header read (its version, sizes, compression); why the dump is not read past it, where it is not."""
        head = self.input.take(len(MAGIC) + 6)
        if len(head) < len(MAGIC) + 6:
            return "cut short in its header"
        major, minor, _revision, self.fields.int_size, self.offset_size, form = head[len(MAGIC):]
        self.version = (major, minor)
        if not _OLDEST <= self.version <= _NEWEST:
            return f"of version {major}.{minor}, which imgur-dl does not read"
        self.form = form
        if form not in (_CUSTOM, _TAR, _DIRECTORY) or not 1 <= self.fields.int_size <= 8 or \
                not 1 <= self.offset_size <= 16:
            return "whose header is damaged"
        if self.version >= (1, 15):
            algorithm = self.input.take(1)
            compression = algorithm[0] if algorithm else -1
        else:  # (a level: any but 0 is zlib's)
            level = self.fields.integer()
            compression = -1 if level is None else _ZLIB if level else _NONE
        if compression not in (_NONE, _ZLIB, _LZ4, _ZSTD):
            return "cut short in its header" if compression == -1 else "whose header is damaged"
        stamp = [self.fields.integer() for _ in range(7)]  # (when it was made: its seconds ... whether in summer time)
        names = [self.fields.passed() for _ in range(3)]  # (the database's name, its server's version, pg_dump's)
        if None in stamp or not all(names):
            return "cut short in its header"
        self.data = _Compression(compression)
        return None

    def _toc(self) -> _Text:
        """The text of each entry of the table of contents (its strings, a line's end after each)."""
        if (count := self.fields.integer()) is None:
            return _CUT
        for entry in range(max(count, 0)):
            if (stop := (yield from self._entry())) is not None:
                return stop if stop == _CUT else f"{stop} (its entry {entry + 1:,} of {count:,})"
        return None

    def _entry(self) -> _Text:
        """One entry of the table of contents: its strings' text (``ReadToc``'s fields, as the version has them)."""
        fields = self.fields
        whole = fields.integer() is not None and fields.integer() is not None  # (its id; whether it has data)
        for field in _fields(self.version):
            whole = whole and ((fields.integer() is not None) if field is int else (yield from fields.string()) is None)
        dependency: int | None = 0
        while whole and (dependency := fields.integer()) is not None and dependency >= 0:  # (ids it needs, then none)
            whole = fields.passed(dependency)
        if not whole or dependency is None:
            return _CUT
        if self.form != _CUSTOM:  # (the name of its data's file)
            return None if fields.passed() else _CUT
        flag = self.input.take(1 + self.offset_size)  # (where its data is in the file)
        if len(flag) < 1 + self.offset_size:
            return _CUT
        return None if flag[0] in _OFFSET_FLAGS else "in its table of contents"

    def _blocks(self) -> _Text:
        """Each block's data, decompressed, one after another to the file's end."""
        while kind := self.input.take(1):
            if kind[0] not in (_DATA, _LARGE_OBJECTS):
                return f"after {self.blocks:,} of its blocks of data"
            if self.fields.integer() is None:  # (the entry it is the data of)
                return _CUT
            self.blocks += 1
            if (stop := (yield from (self._data() if kind[0] == _DATA else self._large_objects()))) is not None:
                return stop if stop == _CUT else f"{stop} (its block of data {self.blocks:,})"
        return None

    def _large_objects(self) -> _Text:
        """A block of large objects: each one's id and its data, until an id of 0."""
        while (large_object := self.fields.integer()) is not None and large_object != 0:
            if (stop := (yield from self._data())) is not None:
                return stop
        return _CUT if large_object is None else None

    def _data(self) -> _Text:
        """One stream of data, its chunks decompressed as the header says (what follows its end passed over)."""
        decoder = self.data.decoder()
        ended = decoder is None  # (zstd's, without what reads it, is passed over)
        while (length := self.fields.integer()) is not None and length > 0:
            for piece in self.input.pieces(length):
                length -= len(piece)
                if decoder is not None:
                    decoder, ended = yield from self._decoded(decoder, piece)
            if length:
                return _CUT
        yield _SEP
        if length is None or length < 0:
            return _CUT if length is None else "in the length of a chunk of its data"
        if not ended and self.data.algorithm != _NONE:  # (not compressed, it ends where its chunks do)
            self.spoilt += 1
        return None

    def _decoded(self, decoder: _Decoder, piece: bytes) -> Generator[bytes, None, tuple[_Decoder | None, bool]]:
        """What ``piece`` of a stream makes, as it is made (the bound looked at between two); then the decoder for
        the rest of the stream (None: it is spoilt, or has ended, and what follows is not read), and whether it has
        ended."""
        ended = False
        while piece and not ended:
            try:
                out, used, ended = decoder.feed(piece, PIECE)
            except self.data.errors:
                return None, False
            yield self.bound.add(out, self.taken())
            piece = piece[used:]
        return (None if ended else decoder), ended

    def _tell(self) -> None:
        if self.data.unread is not None and self.blocks:
            self.say(f"a PostgreSQL dump (pg_dump -Fc) whose data is {self.data.unread}: its {self.blocks:,} blocks of "
                      f"data were not read ({RESTORE})")
        if self.spoilt:
            self.say(f"{self.spoilt:,} of its {self.blocks:,} blocks of data could not be decompressed to their end "
                      "(a damaged dump?): what they gave counts")


class _Fields:
    """The fields of a dump as pg_dump writes them, read from ``source``: an integer (a sign byte, then its
    ``int_size`` bytes, least significant first), a string (its length, -1 for none, then its bytes)."""

    def __init__(self, source: Taken) -> None:
        self.input = source
        self.int_size = 4  # (as the header says)

    def integer(self) -> int | None:
        """An integer; None where the file ends first."""
        data = self.input.take(1 + self.int_size)
        if len(data) < 1 + self.int_size:
            return None
        value = int.from_bytes(data[1:], "little")
        return -value if data[0] else value

    def string(self) -> _Text:
        """A string's text (none for a null one), a line's end after it."""
        if (length := self.integer()) is None:
            return _CUT
        given = 0
        for piece in self.input.pieces(length):
            given += len(piece)
            yield piece
        if given < length:
            return _CUT
        yield _SEP
        return None

    def passed(self, length: int | None = None) -> bool:
        """A string passed over (``length``: its length, read already); False where the file ends first."""
        if length is None and (length := self.integer()) is None:
            return False
        return sum(map(len, self.input.pieces(length))) >= length


class _Compression:
    """How a dump's data is compressed (its header's ``algorithm``), and a decoder of each stream of it, where it
    can be read."""

    def __init__(self, algorithm: int) -> None:
        self.algorithm = algorithm
        self.zstd: Zstd | None = None  # (zstd's decoder, where the data is so compressed and it can be read)
        self.errors: tuple[type[Exception], ...] = (zlib.error,)  # what a decoder raises where data does not decode
        self.unread: str | None = None  # why the data is not decompressed (None: it is)
        if algorithm == _LZ4:
            self.errors += Lz4.errors
        elif algorithm == _ZSTD:
            decoder = zstdlib.decoder(window=WINDOW_MOST)  # (a dump is read without one, where it needs none)
            if decoder is None:
                self.unread = "zstd-compressed, and the zstandard package is not installed (imgur-dl[zstd])"
                return
            self.zstd = Zstd(decoder)
            self.errors += self.zstd.errors

    def decoder(self) -> _Decoder | None:
        """A decoder of one stream of data; None where it is not decompressed."""
        if self.algorithm == _ZLIB:
            return _Inflating()
        if self.algorithm == _LZ4:
            return Lz4().decoder()
        if self.zstd is not None:
            return self.zstd.decoder()
        return None if self.unread is not None else _Stored()


def _fields(version: tuple[int, int]) -> tuple[type, ...]:
    """The fields of an entry of the table of contents after its id and whether it has data, each a string (str) or
    an integer (int): its table's oid, its oid, tag, kind, section, definition, drop statement, copy statement,
    schema, tablespace, table access method (from 1.14), relkind (from 1.16), owner, and whether a table has oids."""
    return (str, str, str, str, int, str, str, str, str, str, *((str,) if version >= (1, 14) else ()),
            *((int,) if version >= (1, 16) else ()), str, str)


class _Stored:
    """Data not compressed: it is what it is."""

    def feed(self, data: bytes, size: int, /) -> tuple[bytes, int, bool]:
        return data, len(data), False


class _Inflating:
    """zlib's stream (what pg_dump's gzip compression writes in a custom dump: ``deflateInit``'s)."""

    def __init__(self) -> None:
        self.inflater = zlib.decompressobj()

    def feed(self, data: bytes, size: int, /) -> tuple[bytes, int, bool]:
        out = self.inflater.decompress(data, size)
        return out, len(data) - len(self.inflater.unconsumed_tail) - len(self.inflater.unused_data), self.inflater.eof
