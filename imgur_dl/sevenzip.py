"""A 7-Zip archive's files, one after another, as ``--scan`` reads them (``.7z``: the form many dumps are shared in).

The format is 7-Zip's (its ``7zFormat.txt``; the coders' ids from its ``Methods.txt``): a signature header
(the signature, a version, and where the archive's header is, with its CRC-32), the files' data, packed, then the
header, at the end: what was packed where, how, and which file is which part of it. The header is itself packed as
a rule (an "encoded header": packed as the data is, its own packing described before it). The data is packed in
folders, each one stream of coders (:mod:`imgur_dl.coders`: LZMA2, as 7-Zip packs by default; LZMA; Deflate;
BZip2; Zstandard, with the extra; or stored, and a filter before LZMA: BCJ's, Delta's), and a folder holds one file
or, in a solid archive, many: their bytes one after another. Each file is read as a file of its own is (compressed
or not, a WARC file...: ``opened``), a line's end between two, and its CRC-32 checked.

Nothing in the archive is trusted: the header's size, counts and sizes are checked against what holds them; what a
folder makes is bounded as any compressed input's is. A folder packed in a way imgur-dl does not read (PPMd,
BCJ2, encrypted) is said, once for its files, and the others are read. A folder that stops decoding stops the file
being read, said, and the files after it in that folder with it (their bytes were packed after its); the next
folder is read. An archive cut short has no header (nor does one 7-Zip did not finish: its start header is still
zeros): its folders' text is read from the first as LZMA2's or LZMA's (7-Zip's ways; else its bytes as they are),
without the files' names, and that it was cut is said. An archive whose header is spoilt is said, and not read.

Its header is at its end: an archive of its own is read where it is, by offset (split in volumes, ``name.7z.001``
and on, all of them as one: :mod:`imgur_dl.volumes`); one in a pipe, compressed or inside another archive is read
whole into memory, up to :data:`MOST`.
"""

from __future__ import annotations

import lzma
import struct
import zlib
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, cast

from imgur_dl.archives import NAMELESS, Files, Opened
from imgur_dl.coders import (
    BROKEN,
    Coder,
    Folder,
    Spoilt,
    Unpacked,
    decoder,
    unread,
)
from imgur_dl.errors import ScanError, reason
from imgur_dl.reader import PIECE, Expansion, Source, Told

MAGIC = b"7z\xbc\xaf\x27\x1c"
MOST = 256 * 1024 * 1024  # an archive not of its own (in a pipe, compressed, in an archive) read whole up to this
HEADER_MOST = 256 * 1024 * 1024  # a header's most, as it is stored and as it unpacks (a million files' names: ~100 MB)
_START = struct.Struct("<6sBBIQQI")  # signature, version (major, minor), its CRC, the header's offset, size, CRC
# Packed bytes decoded at a time where the header is missing: what one call makes is lost where it fails (LZMA's stream
# has no end: it runs on into the next, and fails there), and each call costs its own
_RECOVERED_IN = 256
# The dictionary a folder is decoded with where the header (which says its own) is missing: as large as 7-Zip's
# largest by its levels (64 MiB, -mx9) and four times that, where its memory, taken as the text is decoded, stays
# bounded; a folder packed with a larger one stops decoding (said) where it first reaches back further.
_RECOVERED_DICTIONARY = 256 * 2**20
_ENCODINGS = 4  # headers encoded inside each other, at the most (7-Zip writes one)
# The header's property ids (7zFormat.txt).
(_END, _HEADER, _ARCHIVE_PROPERTIES, _ADDITIONAL_STREAMS, _MAIN_STREAMS, _FILES_INFO, _PACK_INFO, _UNPACK_INFO,
 _SUBSTREAMS, _SIZE, _CRC, _FOLDER, _CODERS_UNPACK_SIZE, _NUM_UNPACK_STREAM, _EMPTY_STREAM, _EMPTY_FILE, _ANTI,
 _NAME) = range(0x12)
_ENCODED_HEADER = 0x17
CUT = "cut short: its header, at its end, is missing"


class Cut(Spoilt):
    """The archive stops before its header."""


@dataclass(slots=True)
class _Entry:
    name: str
    folder: int  # the folder that holds its bytes
    size: int
    crc: int | None


class _Cursor:
    """The header's bytes, read in order; :class:`Spoilt` where they end first or say what cannot be."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise Spoilt("it ends inside a structure")
        self.at += size
        return self.data[self.at - size:self.at]

    def byte(self) -> int:
        return self.take(1)[0]

    def number(self) -> int:
        """A number in 7-Zip's form: the first byte's high bits set say how many bytes follow (little-endian), its
        other bits are the number's highest."""
        first = self.byte()
        mask, extra = 0x80, 0
        while extra < 8 and first & mask:
            mask >>= 1
            extra += 1
        low = int.from_bytes(self.take(extra), "little")
        return low | ((first & (mask - 1)) << (8 * extra)) if extra < 8 else low

    def count(self, each: float = 1) -> int:
        """A count of things, each taking at least ``each`` bytes of what is left (a count no header can hold is
        spoilt, before any list is made for it)."""
        count = self.number()
        if count * each > len(self.data) - self.at + 1:
            raise Spoilt(f"a count larger than its header holds ({count:,})")
        return count

    def bits(self, count: int) -> list[bool]:
        """``count`` bits, the first the highest of its byte."""
        data = self.take((count + 7) // 8)
        return [bool(data[i // 8] & (0x80 >> (i % 8))) for i in range(count)]

    def defined(self, count: int) -> list[bool]:
        """Which of ``count`` things something is given for: all, or as bits say."""
        return [True] * count if self.byte() else self.bits(count)

    def crcs(self, count: int) -> list[int | None]:
        defined = self.defined(count)
        return [int.from_bytes(self.take(4), "little") if is_so else None for is_so in defined]

    def expect(self, what: int) -> None:
        if (got := self.byte()) != what:
            raise Spoilt(f"property {got:#x} where {what:#x} should be")


@dataclass(slots=True)
class _Streams:
    folders: list[Folder]
    sizes: list[int]  # each file's bytes (the folders' streams, in their order)
    crcs: list[int | None]


def _streams(cursor: _Cursor, start: int) -> _Streams:
    """A StreamsInfo: the packed streams (``start``: where the first would be, at 0), the folders, and their files'
    sizes and CRC-32s."""
    pack_at, pack_sizes, folders = 0, list[int](), list[Folder]()
    sizes: list[int] | None = None
    crcs: list[int | None] | None = None
    while (what := cursor.byte()) != _END:
        if what == _PACK_INFO:
            pack_at, pack_sizes = _packed(cursor)
        elif what == _UNPACK_INFO:
            folders = _folders(cursor)
        elif what == _SUBSTREAMS:
            sizes, crcs = _substreams(cursor, folders)
        else:
            raise Spoilt(f"property {what:#x} in its streams")
    at = start + pack_at
    index = 0
    for folder in folders:
        folder.at = at
        for _ in folder.packed:
            if index >= len(pack_sizes):
                raise Spoilt("more folders than packed streams")
            folder.packed_size += pack_sizes[index]
            at += pack_sizes[index]
            index += 1
    if sizes is None:
        sizes, crcs = [folder.size for folder in folders], [folder.crc for folder in folders]
    return _Streams(folders, sizes, crcs or [None] * len(sizes))


def _packed(cursor: _Cursor) -> tuple[int, list[int]]:
    """A PackInfo: where the packed streams start (after the signature header), and each one's size."""
    at, count, sizes = cursor.number(), cursor.count(), []
    while (what := cursor.byte()) != _END:
        if what == _SIZE:
            sizes = [cursor.number() for _ in range(count)]
        elif what == _CRC:
            cursor.crcs(count)
        else:
            raise Spoilt(f"property {what:#x} in its packed streams")
    return at, sizes


def _folders(cursor: _Cursor) -> list[Folder]:
    """A CodersInfo: each folder's coders, how they are bound, what each makes, its CRC-32."""
    cursor.expect(_FOLDER)
    count = cursor.count(2)
    if cursor.byte():
        raise Spoilt("its folders are kept elsewhere, which 7-Zip itself never writes")
    folders = [_folder(cursor) for _ in range(count)]
    cursor.expect(_CODERS_UNPACK_SIZE)
    for folder in folders:
        folder.sizes = [cursor.number() for _ in range(sum(coder.outs for coder in folder.coders))]
    while (what := cursor.byte()) != _END:
        if what != _CRC:
            raise Spoilt(f"property {what:#x} in its folders")
        for folder, crc in zip(folders, cursor.crcs(len(folders)), strict=True):
            folder.crc = crc
    return folders


def _folder(cursor: _Cursor) -> Folder:
    coders = []
    for _ in range(cursor.count(2)):
        flags = cursor.byte()
        method = cursor.take(flags & 0x0F)
        ins, outs = (cursor.count(), cursor.count()) if flags & 0x10 else (1, 1)
        properties = cursor.take(cursor.count()) if flags & 0x20 else b""
        if flags & 0x80:
            raise Spoilt("a coder with alternatives, which the format no longer has")
        coders.append(Coder(method, properties, ins, outs))
    ins, outs = sum(coder.ins for coder in coders), sum(coder.outs for coder in coders)
    if not outs:
        raise Spoilt("a folder whose coders make nothing")
    binds = {}
    for _ in range(outs - 1):
        into, out = cursor.number(), cursor.number()
        binds[into] = out
    packed_count = ins - len(binds)
    if packed_count < 1:
        raise Spoilt("a folder with no packed stream")
    packed = [cursor.number() for _ in range(packed_count)] if packed_count > 1 else \
        [next((i for i in range(ins) if i not in binds), 0)]
    return Folder(coders, binds, packed)


def _substreams(cursor: _Cursor, folders: list[Folder]) -> tuple[list[int], list[int | None]]:
    """A SubStreamsInfo: how many files each folder holds, their sizes, their CRC-32s."""
    what = cursor.byte()
    if what == _NUM_UNPACK_STREAM:
        for folder in folders:
            folder.streams = cursor.count()  # (each file but a folder's last is given its size: a byte at the least)
        what = cursor.byte()
    sizes: list[int] = []
    for folder in folders:
        if folder.streams == 0:
            continue
        if folder.streams > 1 and what != _SIZE:
            raise Spoilt("a folder of several files whose sizes are not given")
        given = [cursor.number() for _ in range(folder.streams - 1)]
        if sum(given) > folder.size:
            raise Spoilt("a folder's files larger than the folder")
        sizes += [*given, folder.size - sum(given)]
    if what == _SIZE:
        what = cursor.byte()
    crcs: list[int | None] = []
    unknown = sum(folder.streams for folder in folders if not (folder.streams == 1 and folder.crc is not None))
    given_crcs = iter(cursor.crcs(unknown) if what == _CRC else [None] * unknown)
    if what == _CRC:
        what = cursor.byte()
    for folder in folders:
        if folder.streams == 1 and folder.crc is not None:
            crcs.append(folder.crc)
        else:
            crcs += [next(given_crcs) for _ in range(folder.streams)]
    while what != _END:  # (properties after these, which the format may add: passed over)
        cursor.take(cursor.count())
        what = cursor.byte()
    return sizes, crcs


def _files(cursor: _Cursor, streams: _Streams) -> list[_Entry]:
    """A FilesInfo: each file that has bytes, in order, with its name and its place in the folders."""
    count = cursor.count(2)  # (each file has a name: its last character, a zero, takes two bytes)
    empty = [False] * count
    names: list[str] = []
    while (what := cursor.byte()) != _END:
        data = _Cursor(cursor.take(cursor.count()))
        if what == _EMPTY_STREAM:
            empty = data.bits(count)
        elif what == _NAME:
            if data.byte():
                raise Spoilt("its names are kept elsewhere, which 7-Zip itself never writes")
            names = data.data[1:].decode("utf-16-le", "replace").split("\0")[:count]
    owners = [index for index, folder in enumerate(streams.folders) for _ in range(folder.streams)]
    full = [index for index in range(count) if not empty[index]]
    if len(full) != len(owners):
        raise Spoilt(f"{len(full):,} files with bytes, in {len(owners):,} streams")
    return [_Entry(names[index] if index < len(names) else "", owners[n], streams.sizes[n], streams.crcs[n])
            for n, index in enumerate(full)]


class _WrongCrc(ScanError):
    """A file's bytes are not what its CRC-32 says: the folder decodes on."""


class _File:
    """One file's bytes, of its folder's (``after``: the files packed after it there, lost with it where its folder
    stops decoding); its CRC-32 checked at its end."""

    def __init__(self, unpacked: Unpacked, entry: _Entry, name: str, after: int) -> None:
        self.unpacked = unpacked
        self.entry = entry
        self.name = name
        self.after = after
        self.left = entry.size
        self.crc = 0

    def read(self, size: int = -1, /) -> bytes:
        if self.left <= 0:  # (its end: its CRC-32 checked, once)
            wrong, self.left = self.left == 0 and self.entry.crc not in (None, self.crc), -1
            if wrong:
                raise _WrongCrc.stopped(self.name, "its CRC-32 is not what the archive says: spoilt")
            return b""
        try:
            data = self.unpacked.read(min(self.left, PIECE if size < 0 else size))
        except (*BROKEN, ScanError) as exc:
            lost = f"; the {self.after:,} files packed after it are lost with it" if self.after else ""
            raise ScanError.stopped(self.name, f"{exc.why if isinstance(exc, ScanError) else reason(exc)}{lost}") \
                from None
        self.left -= len(data)
        self.crc = zlib.crc32(data, self.crc)
        return data


class SevenZipFiles(Files):
    """The files of a 7-Zip archive (``archive``, read where it is asked), each read as a file of its own is."""

    unreadable = BROKEN

    def __init__(self, archive: Source, name: str, opened: Opened) -> None:
        super().__init__(name, opened)
        self.archive = archive
        self.bound = Expansion(name)
        self.folders, entries = index(archive)
        self._entries = iter(entries)
        # (The files of every folder a coder keeps from being read, by why: said once, all of them together, not a
        # line a folder, which would give up a whole archive packed so, as spoilt throughout.)
        whys = [unread(folder) for folder in self.folders]
        self._unread = Counter(why for entry in entries if (why := whys[entry.folder]) is not None)
        self._said: set[str] = set()  # (why folders are not read, said)
        self._folder: int | None = None  # the folder being read
        self._unpacked: Unpacked | None = None  # ... its bytes (None: they are not read)
        self._left = 0  # ... and its files not read yet

    def _next(self) -> IO[bytes] | None:
        while (entry := next(self._entries, None)) is not None:
            inner = entry.name or NAMELESS
            self._left -= 1
            if entry.folder != self._folder:
                folder = self.folders[entry.folder]
                self._folder, self._left = entry.folder, folder.streams - 1
                way = decoder(folder)
                self._unpacked = None if isinstance(way, str) else Unpacked(self.archive, folder, way, self.bound)
                if isinstance(way, str) and way not in self._said:
                    self._said.add(way)
                    self.inner = inner
                    others = self._unread.get(way, folder.streams) - 1
                    also = f" (and the {others:,} files packed with it)" if others else ""
                    raise ScanError.stopped(f"{self.name}: {inner}{also}", way)
            if self._unpacked is not None:
                self.inner = inner
                return cast(IO[bytes], _File(self._unpacked, entry, f"{self.name}: {inner}", self._left))
        return None

    def read(self, size: int, /) -> bytes:
        self.bound.check()  # (an archive that expands past its bound stops whole, as any compressed input does)
        return super().read(size)

    def _goes_on(self, exc: Exception) -> bool:
        if not isinstance(exc, _WrongCrc):
            self._unpacked = None  # (its folder stopped decoding: the files after it there are lost with it)
        return True  # (the next folder is read from where it is)


def index(archive: Source) -> tuple[list[Folder], list[_Entry]]:
    """The archive's folders and files, from its header (decoded where it is encoded); :class:`Spoilt` where it
    cannot be (:class:`Cut` where it is missing)."""
    start = archive.at(0, _START.size)
    if len(start) < _START.size:
        raise Cut(CUT)
    _, major, _, crc, offset, size, header_crc = _START.unpack(start)
    if start[8:] == bytes(_START.size - 8) and archive.size > _START.size:
        raise Cut(CUT)  # (its start header, as 7-Zip writes it until the archive is done: zeros; it was not)
    if major != 0:
        raise Spoilt(f"of a version imgur-dl does not read ({major})")
    if zlib.crc32(start[12:]) != crc:
        raise Spoilt("its signature header's CRC-32 is wrong")
    if size == 0:
        return [], []
    if size > HEADER_MOST:
        raise Spoilt(f"a header larger than imgur-dl reads ({size:,} bytes)")
    if _START.size + offset + size > archive.size:
        raise Cut(CUT)
    data = archive.at(_START.size + offset, size)
    if zlib.crc32(data) != header_crc:
        raise Spoilt("its header's CRC-32 is wrong")
    for _ in range(_ENCODINGS):
        cursor = _Cursor(data)
        what = cursor.byte()
        if what == _HEADER:
            return _header(cursor)
        if what != _ENCODED_HEADER:
            raise Spoilt(f"no header where it says one is (property {what:#x})")
        data = _decoded_header(archive, _streams(cursor, _START.size))
    raise Spoilt("a header encoded inside itself")


def _decoded_header(archive: Source, streams: _Streams) -> bytes:
    """An encoded header, decoded (its folder's size is bounded, and its CRC-32 checked)."""
    if len(streams.folders) != 1 or streams.folders[0].size > HEADER_MOST:
        raise Spoilt("an encoded header that is not one folder of a size imgur-dl reads")
    folder = streams.folders[0]
    way = decoder(folder)
    if isinstance(way, str):
        raise Spoilt(f"its header is {way}")
    unpacked, pieces = Unpacked(archive, folder, way, Expansion("")), []
    try:
        while piece := unpacked.read(16 * PIECE):
            pieces.append(piece)
    except (*BROKEN, ScanError) as exc:
        raise Spoilt(f"its header does not decode ({exc.why if isinstance(exc, ScanError) else reason(exc)})") \
            from None
    data = b"".join(pieces)
    if folder.crc is not None and zlib.crc32(data) != folder.crc:
        raise Spoilt("its header's CRC-32 is wrong")
    return data


def _header(cursor: _Cursor) -> tuple[list[Folder], list[_Entry]]:
    streams, entries = _Streams([], [], []), []
    while (what := cursor.byte()) != _END:
        if what == _ARCHIVE_PROPERTIES:
            while cursor.byte() != _END:
                cursor.take(cursor.count())
        elif what == _ADDITIONAL_STREAMS:
            _streams(cursor, _START.size)
        elif what == _MAIN_STREAMS:
            streams = _streams(cursor, _START.size)
        elif what == _FILES_INFO:
            entries = _files(cursor, streams)
        else:
            raise Spoilt(f"property {what:#x} in its header")
    return streams.folders, entries


class Recovered(Told):
    """The text of an archive cut short (its header, at its end, missing): its folders' packed streams one after
    another from the first, decoded as its first byte says 7-Zip packed them (LZMA2, its way since 2010: its
    first chunk's control byte, which resets its dictionary: 1 where it is stored, 0xE0 and more where it is packed;
    LZMA: a zero; its stream has no end, and the text of its last bytes may be lost with the stream after it), as far
    as they decode; else its bytes as they are (stored). That it was cut, and what
    of it was read, is said at its end."""

    def __init__(self, archive: Source, name: str, bound: Expansion) -> None:
        super().__init__(name, bound, None)
        self.archive = archive

    def text(self) -> Iterator[bytes]:
        try:
            why = yield from self._recovered()
        except OSError as exc:  # (the disk's error, reading it)
            raise ScanError.stopped(self.name, reason(exc)) from None
        raise ScanError.stopped(self.name, why)

    def _recovered(self) -> Generator[bytes, None, str]:
        """The text, as far as it is read; then why it stops there."""
        at, first = _START.size, self.archive.at(_START.size, 1)
        way = {"id": lzma.FILTER_LZMA2, "dict_size": _RECOVERED_DICTIONARY} if first == b"\x01" or first >= b"\xe0" \
            else {"id": lzma.FILTER_LZMA1, "dict_size": _RECOVERED_DICTIONARY, "lc": 3, "lp": 0, "pb": 2} \
            if first == b"\0" else None  # (LZMA's: 7-Zip's own settings)
        if way is None:  # (stored, or packed in a way not told from its first byte: its bytes as they are)
            while data := self.archive.at(at, PIECE):
                at += len(data)
                yield self.bound.add(data, self.archive.size)
            return f"{CUT}: its bytes before the cut were read as they are (the text of files stored so)"
        decoder, made, whole = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[way]), 0, 0
        stopped = None  # (why the packed bytes stop decoding, where they do)
        while stopped is None and (at < self.archive.size or not decoder.needs_input):
            data = b"" if not decoder.needs_input else self.archive.at(at, _RECOVERED_IN)
            at += len(data)
            try:
                out = decoder.decompress(data, PIECE)
            except lzma.LZMAError as exc:
                stopped = reason(exc)
                break
            made += len(out)
            yield self.bound.add(out, self.archive.size)
            if decoder.eof and made:  # (a folder's LZMA2 stream ends: the next folder's starts after it)
                at -= len(decoder.unused_data)
                decoder, made, whole = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[way]), 0, whole + 1
            elif decoder.eof:  # (an empty stream: no folder's)
                stopped = "a stream that makes nothing"
        if stopped is not None and not whole:  # (after a whole folder: the header's packed stream, or another way's)
            return f"{CUT}, and its packed bytes stop decoding ({stopped}): the text of its files before that was " \
                   "read, without their names"
        return f"{CUT}: the text of its files before the cut was read, without their names"
