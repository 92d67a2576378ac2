"""A ZIP archive read front to back, each file from its own header (APPNOTE.TXT 4.3.7), not from the directory at
the archive's end: one whose download was cut short (it has no directory), or one on a pipe.

A file's data follows its header. Its compressed size is in the header, or, where its flags say its sizes follow its
data (bit 3, as a writer that streams sets it), a compressed file's stream tells its own end (LZMA's where its flags
say it ends with an end marker: bit 1, as zipfile and 7-Zip write it), and a stored file's end is its descriptor's
signature where the size and CRC-32 after it are those of the bytes before. Files stored, deflated (as exports hold
them), or compressed with bzip2, LZMA or Zstandard (the last where this Python reads zstd: :mod:`zstdlib`) are read;
one compressed another way, or encrypted, is one line, and the archive reads on (where its size is known: one whose
size follows it stops the archive, in one line). A file not read to
its end (a ZIP too deep, a spoilt file inside it) is passed over: by its size, or, where that follows it, read through
to where it tells its own end, what that expands to bounded as what is read. Each file's
CRC-32 is checked, as zipfile checks it; the archive is whole once its directory, after its files, ends with its end
record. (:func:`zip_files` chooses the way: a whole ZIP in a file is read by its directory, as
:class:`~imgur_dl.archives.ZipFiles`.)
"""

from __future__ import annotations

import bz2
import lzma
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Protocol, cast

from imgur_dl import zstdlib
from imgur_dl.archives import (
    DEEPEST,
    ENCRYPTED,
    NAMELESS,
    READ_WHOLE,
    TOO_DEEP,
    ZSTANDARD,
    Files,
    Opened,
    ZipFiles,
    not_read,
    refused,
)
from imgur_dl.coders import BROKEN, LZMA, Coder, Decoder, Deflated, Spoilt, lzma_filter
from imgur_dl.errors import ScanError, reason
from imgur_dl.reader import PIECE, Expansion, Prefixed, Reader
from imgur_dl.zstdframes import WINDOW_MOST
from imgur_dl.zstdlib import Undecodable

_LOCAL = b"PK\x03\x04"  # a file's header
_DESCRIPTOR = b"PK\x07\x08"  # what a data descriptor starts with, when it does (APPNOTE.TXT 4.3.9.3)
# What an archive split in parts opens with before its first file's header (APPNOTE.TXT 8.5.3 and 8.5.4: the
# spanning signature; PKZIP's "PK00" where such an archive fits in one part): Info-ZIP's and WinZip's split archives.
SPANNING = (_DESCRIPTOR, b"PK00")
# What follows the last file: the directory's first header, or an end record (zip64's, its locator, the archive's).
_AFTER = (b"PK\x01\x02", b"PK\x06\x06", b"PK\x06\x07", b"PK\x05\x06")
_HEADER = struct.Struct("<4sHHHHHIIIHH")  # signature, version, flags, method, time, date, CRC, sizes, name, extra
_END_MARKED, _SIZES_AFTER, _UTF8 = 0x2, 0x8, 0x800  # flag bits (the first, LZMA's: its stream has an end marker)
_STORED, _DEFLATED, _BZIP2, _LZMA = 0, 8, 12, 14  # methods (APPNOTE.TXT 4.4.5; and ZSTANDARD)
_ZIP64 = 0x0001  # the extra field with 64-bit sizes (APPNOTE.TXT 4.5.3)
_FULL = 0xFFFFFFFF  # a size given in that field instead
_END = struct.Struct("<4sHHHHIIH")  # the end record, before its comment (APPNOTE.TXT 4.3.16)
END_MOST = _END.size + 0xFFFF  # with the longest comment
_DESCRIBED, _DESCRIBED_64 = struct.Struct("<III"), struct.Struct("<IQQ")  # a descriptor after its signature: CRC, sizes
_DESCRIPTOR_MOST = 4 + _DESCRIBED_64.size  # with its signature
CUT = "the archive stops before its end: cut short, or spoilt"


class _Cut(ScanError):
    """The archive ends, or is not a ZIP's, where a file's header or data should be: nothing after can be found."""


class _Input:
    """The archive's bytes in pieces, counted; those read past a deflated file's end handed back."""

    def __init__(self, source: Reader, name: str) -> None:
        self.source = source
        self.name = name
        self.back = b""
        self.count = 0

    def take(self, size: int) -> bytes:
        """Up to ``size`` bytes; where the archive ends first, it is cut short."""
        if not (data := self.take_or_end(size)):
            raise _Cut.stopped(self.name, CUT)
        return data

    def take_or_end(self, size: int) -> bytes:
        """Up to ``size`` bytes; none where the archive ends."""
        if self.back:
            data, self.back = self.back[:size], self.back[size:]
        else:
            data = self.source.read(size)
        self.count += len(data)
        return data

    def exactly(self, size: int) -> bytes:
        pieces, held = [], 0
        while held < size:
            pieces.append(data := self.take(size - held))
            held += len(data)
        return b"".join(pieces)

    def give_back(self, data: bytes) -> None:
        self.back = data + self.back
        self.count -= len(data)


@dataclass(frozen=True)
class _Header:
    """What a file's header says of it."""

    name: str
    flags: int
    method: int
    crc: int
    size: int | None  # compressed (None: its sizes follow it)
    zip64: bool  # its sizes (in a descriptor after it too) are 64-bit
    expanded: int | None = None  # its own size (None: it follows it)

    @classmethod
    def read(cls, archive: _Input) -> _Header:
        fields = _HEADER.unpack(_LOCAL + archive.exactly(_HEADER.size - 4))
        flags, method, crc, size, expanded = fields[2], fields[3], fields[6], fields[7], fields[8]
        name = archive.exactly(fields[9]).decode("utf-8" if flags & _UTF8 else "cp437", "replace")
        extra, zip64 = archive.exactly(fields[10]), False
        while len(extra) >= 4:
            kind, length = struct.unpack_from("<HH", extra)
            if kind == _ZIP64:  # (the file's size, then its compressed size, each where the header's is full)
                zip64 = True
                sizes = list(struct.unpack_from(f"<{min(length, len(extra) - 4) // 8}Q", extra, 4))
                if expanded == _FULL and sizes:
                    expanded = sizes.pop(0)
                size = sizes[0] if size == _FULL and sizes else size
            extra = extra[4 + length:]
        after = bool(flags & _SIZES_AFTER)
        return cls(name, flags, method, crc, None if after else size, zip64, None if after else expanded)

    @property
    def ends_itself(self) -> bool:
        """Whether its data tells where it ends: a compressed stream's end (LZMA's, where it has an end marker)."""
        if self.method == _LZMA:
            return bool(self.flags & _END_MARKED)
        return self.method in (_DEFLATED, _BZIP2, ZSTANDARD)

    @property
    def ends_with_size(self) -> int | None:
        """Where its data ends, of LZMA with no end marker: its own size (what its last bytes decode to past that is
        none of it); None for any other."""
        return None if self.method != _LZMA or self.ends_itself else self.expanded


def _read() -> frozenset[int]:
    """The methods read from a file's own header (Zstandard where this Python has a library that reads it)."""
    return frozenset({_STORED, _DEFLATED, _BZIP2, _LZMA, *((ZSTANDARD,) if zstdlib.present() else ())})


class _Unpacker(Decoder, Protocol):
    """A file's compressed bytes, decoded as they are fed; what it was given past its stream's end kept."""

    @property
    def unused_data(self) -> bytes: ...


class _Lzma:
    """A file's LZMA data (APPNOTE.TXT 5.8.8): the LZMA SDK's version (2 bytes) and its properties' size (2), the
    properties (5: as 7-Zip's for LZMA), then the LZMA stream."""

    def __init__(self) -> None:
        self.head = b""  # (until the properties are read)
        self.decoder: lzma.LZMADecompressor | None = None

    @property
    def needs_input(self) -> bool:
        return self.decoder is None or self.decoder.needs_input

    @property
    def eof(self) -> bool:
        return self.decoder is not None and self.decoder.eof

    @property
    def unused_data(self) -> bytes:
        return b"" if self.decoder is None else self.decoder.unused_data

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes:
        if self.decoder is None:
            self.head += data
            size = int.from_bytes(self.head[2:4], "little") + 4
            if len(self.head) < 4 or len(self.head) < size:
                return b""
            coder = Coder(LZMA, self.head[4:size], 1, 1)
            self.decoder = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[lzma_filter(coder)])
            data, self.head = self.head[size:], b""
        return self.decoder.decompress(data, max_length)


def _unpacker(method: int) -> _Unpacker | None:
    """What decodes a file compressed with ``method`` (one of :func:`_read`); None for one stored."""
    if method == _DEFLATED:
        return Deflated()
    if method == _BZIP2:
        return bz2.BZ2Decompressor()
    if method == _LZMA:
        return _Lzma()
    frames = zstdlib.decoder(window=WINDOW_MOST) if method == ZSTANDARD else None
    return None if frames is None else zstdlib.Decoding(frames, one=True)


class _File:
    """One file's data as it decompresses; at its end, its descriptor read and its CRC-32 checked."""

    def __init__(self, archive: _Input, header: _Header, name: str) -> None:
        self.archive = archive
        self.header = header
        self.name = name  # the archive's and the file's, as said
        self.left = header.size  # compressed bytes still to read (None: the compressed stream tells its end)
        self.unpacker = _unpacker(header.method)  # (None: stored)
        self.crc = 0
        self.done = False
        self.spoilt = False  # its compressed data could not be read: where it ends is not known
        self.held = bytearray()  # (a stored file's, whose size follows it: read, not yet handed on)
        self.given = 0  # (of such a file: its bytes handed on)
        self.made = 0  # (of LZMA with no end marker: what it made)

    @property
    def passable(self) -> bool:
        """Whether the archive can be read on past this file, however its reading stops: its size known, or its
        data whole to where it tells its own end (read through, unless encrypted)."""
        return self.header.size is not None or self.done or not (self.spoilt or self.header.flags & ENCRYPTED)

    def read(self, size: int, /) -> bytes:
        return self._read(size, check=True)

    def skip(self, expanded: Callable[[bytes], object]) -> None:
        """What is left of it passed over, to the next file's header (what its size holds past its compressed stream's
        end too); where its size is not known, read through to its end, what that gives ``expanded``."""
        while self.left:
            self._piece(PIECE)
        self.done = self.done or self.header.size is not None
        while not self.done:  # (its sizes after it: its compressed stream, or its descriptor, tells its end)
            expanded(self._read(PIECE, check=False))

    def _read(self, size: int, *, check: bool) -> bytes:
        if self.done:
            return b""
        data = self._unpacked(size) if self.unpacker is not None else \
            self._piece(size) if self.header.size is not None else self._sought(size)
        self.crc = zlib.crc32(data, self.crc)
        if not data:
            self._end(check=check)
        return data

    def _piece(self, size: int) -> bytes:
        if self.left == 0:
            return b""
        data = self.archive.take(size if self.left is None else min(size, self.left))
        if self.left is not None:
            self.left -= len(data)
        return data

    def _sought(self, size: int) -> bytes:
        """A stored file's bytes whose size follows them: up to its descriptor, found by its signature where the
        size and CRC-32 after it are those of the bytes before (as Apache Commons Compress finds one)."""
        if self.left == 0:
            return b""
        while len(self.held) < size + _DESCRIPTOR_MOST and (data := self.archive.take_or_end(PIECE)):
            self.held += data
        wide = self.header.zip64
        fields, whole = (_DESCRIBED_64, 1 << 64) if wide else (_DESCRIBED, 1 << 32)
        at = self.held.find(_DESCRIPTOR, 0, size + 4)
        running, upto = self.crc, 0  # (the CRC-32 of the bytes up to a place: each byte's taken once, however many)
        while at >= 0:
            if len(self.held) >= at + 4 + fields.size:
                crc, length, _ = fields.unpack_from(self.held, at + 4)
                if fits := length == (self.given + at) % whole:
                    running, upto = zlib.crc32(self.held[upto:at], running), at
                if fits and crc == running:
                    self.left = 0  # (its end found: its descriptor is read after it, as any file's)
                    self.archive.give_back(bytes(self.held[at:]))
                    self.held = self.held[:at]
                    break
            at = self.held.find(_DESCRIPTOR, at + 1, size + 4)
        if not self.held and self.left is None:  # (no descriptor after it: the archive's end lost, or spoilt)
            raise _Cut.stopped(self.archive.name, CUT)
        data, self.held = bytes(self.held[:size]), self.held[size:]
        self.given += len(data)
        return data

    def _unpacked(self, size: int) -> bytes:
        if (end := self.header.ends_with_size) is not None:
            size = min(size, end - self.made)
            if size <= 0:
                return b""
            self.made += len(data := self._unpacked_up_to(size))
            return data
        return self._unpacked_up_to(size)

    def _unpacked_up_to(self, size: int) -> bytes:
        assert self.unpacker is not None  # noqa: S101 - (a compressed file's)
        while not self.unpacker.eof:
            feed = b""
            if self.unpacker.needs_input:
                if held := self._decoded(b"", size):  # (bz2's decoder may say it needs input while it holds what it
                    return held  #                       made: that first, as the archive may end here, cut short)
                if not (feed := self._piece(PIECE)):  # (its size read, its stream not)
                    self.spoilt = True
                    raise Undecodable(f"its {'deflated' if self.header.method == _DEFLATED else 'compressed'} data "
                                      "ends before its stream does")
            if data := self._decoded(feed, size):
                return data
        return b""

    def _decoded(self, feed: bytes, size: int) -> bytes:
        assert self.unpacker is not None  # noqa: S101 - (a compressed file's)
        try:
            return self.unpacker.decompress(feed, max(size, 1))
        except (*BROKEN, Spoilt) as exc:
            self.spoilt = True
            raise Undecodable(reason(exc)) from None

    def _end(self, *, check: bool) -> None:
        self.done = True
        if self.left is None and self.unpacker is not None and self.unpacker.unused_data:
            self.archive.give_back(self.unpacker.unused_data)  # (the next file's: read past its stream's end)
        crc = self.header.crc
        if self.header.flags & _SIZES_AFTER:
            first = self.archive.exactly(4)
            rest = self.archive.exactly((16 if self.header.zip64 else 8) + (4 if first == _DESCRIPTOR else 0))
            crc = struct.unpack_from("<I", rest if first == _DESCRIPTOR else first)[0]
        if check and crc != self.crc:
            raise ScanError.stopped(self.name, "its CRC-32 is not that of its data: spoilt")


class StreamedZipFiles(Files):
    """The files of a ZIP archive read from their own headers, one after another; what they expand to is bounded
    as any compressed input's is."""

    unreadable = (Undecodable,)

    def __init__(self, source: Reader, name: str, opened: Opened) -> None:
        super().__init__(name, opened)
        self.archive = _Input(source, name)
        self.file: _File | None = None  # the one read last
        self.expansion = Expansion(name)

    def _next(self) -> IO[bytes] | None:
        if self.file is not None:
            self.file.skip(self._expanded)
        while (signature := self.archive.exactly(4)) == _LOCAL:
            header = _Header.read(self.archive)
            self.inner = header.name or NAMELESS
            self.file = _File(self.archive, header, f"{self.name}: {self.inner}")
            read = _read()
            if header.size is None and not (header.method == _STORED or (header.ends_itself and header.method in read)):
                raise _Cut.stopped(self.file.name, f"{not_read(header.method)} (its size is written after it: "
                                                   "nothing after it can be found)")  # (nothing tells where it ends)
            if (why := refused(header.flags, header.method, read)) is not None:
                raise ScanError.stopped(self.file.name, why)
            if not header.name.endswith("/"):
                return cast(IO[bytes], self.file)
            self.file.skip(self._expanded)
        self.file = None
        if signature not in _AFTER or not self._ends(signature):
            raise _Cut.stopped(self.name, CUT)
        return None

    def _expanded(self, data: bytes) -> None:
        """What a file passed over unread expands to, bounded as what is read is (a bomb is not read through)."""
        self.expansion.add(data, self.archive.count)
        self.expansion.check()

    def _ends(self, signature: bytes) -> bool:
        """Whether the archive's directory, read to its end (past the files), ends with its end record, or with it
        and then zeros alone: the padding to a whole block that libarchive writes on a pipe (``bsdtar --format zip
        -cf -`` pads to 10,240 bytes, as a tar)."""
        tail, self.archive.back = signature + self.archive.back, b""
        zeros = 0  # (the zeros after the tail, counted, not held: padding, or the tail's own last bytes)
        while data := self.archive.source.read(PIECE):  # (a directory of a million files: 100 MB, never held)
            if kept := data.rstrip(b"\0"):
                tail, zeros = (tail + bytes(min(zeros, END_MOST)) + kept)[-END_MOST:], len(data) - len(kept)
            else:
                zeros += len(data)
        tail += bytes(min(zeros, END_MOST))
        if (found := _last_end(tail)) is None:
            return False
        at, record = found
        end = at + _END.size + record[-1]  # (after its comment)
        return end <= len(tail) and not tail[end:].strip(b"\0")

    def _goes_on(self, exc: Exception) -> bool:
        return not isinstance(exc, _Cut) and not self.expansion.over and self.file is not None and self.file.passable

    def read(self, size: int, /) -> bytes:
        self.expansion.check()
        data = super().read(size)
        return data if self._current is None else self.expansion.add(data, self.archive.count)


def zip_files(source: IO[bytes], head: bytes, name: str, opened: Opened, *, depth: int) -> Reader:
    """A ZIP archive's members, read one after another (each may itself be compressed): by the directory at its end,
    or, where it has none (cut short), is read from a pipe (``head``: its first bytes, read from it) or is inside
    another archive (``depth``: how many), from each member's own header."""
    if depth > DEEPEST:
        raise ScanError(f"{name} is a ZIP archive {TOO_DEEP}: extract it, then scan what it holds")
    start = 4 if head.startswith(SPANNING) else 0  # (a split archive's marker: its first file's header after it)
    if depth or not source.seekable():  # (a file of an archive read as a ZIP: front to back, not by seeking in it)
        return StreamedZipFiles(Prefixed(head[start:], source, name), name, opened)
    try:
        size = source.seek(0, os.SEEK_END)
        source.seek(max(0, size - END_MOST))
        if in_parts(source.read(END_MOST)):  # (its directory's places are each part's: read from each file's header)
            if not head[start:].startswith(_LOCAL) or source.seek(start) != start:
                raise parts_missing(name)
            return StreamedZipFiles(source, name, opened)
        source.seek(0)
        archive = zipfile.ZipFile(source)
        if any(m.compress_type not in READ_WHOLE and m.compress_type in _read() for m in archive.infolist()):
            source.seek(start)  # (Zstandard before Python 3.14, which zipfile does not read: from each file's header)
            return StreamedZipFiles(source, name, opened)
        return ZipFiles(archive, name, size, opened)
    except zipfile.BadZipFile as exc:
        # (No directory, or one of an archive split in parts, whose places are each part's: each file's own header.)
        if not head[start:].startswith(_LOCAL) or source.seek(start) != start:
            raise ScanError.stopped(name, reason(exc)) from None
        return StreamedZipFiles(source, name, opened)
    except (OSError, ValueError, EOFError, NotImplementedError) as exc:  # (the last: a member that needs a version
        raise ScanError.stopped(name, reason(exc)) from None  # of ZIP zipfile does not read)


def in_parts(tail: bytes) -> bool:
    """Whether the ZIP archive whose last bytes are ``tail`` (:data:`END_MOST` of them) was split in parts (``zip
    -s``, WinZip's), as its end record, the last in it, says: its directory is on a part after the first."""
    if (found := _last_end(tail)) is None:
        return False
    disks: tuple[int, int] = found[1][1:3]  # (this part's number, its directory's part's)
    return any(0 < disk < 0xFFFF for disk in disks)  # (0xFFFF: zip64's, which says it in a record of its own)


def _last_end(tail: bytes) -> tuple[int, tuple[Any, ...]] | None:
    """Where the last end record in ``tail`` (an archive's last bytes) starts, and its fields; None where no whole
    one is there."""
    at = tail.rfind(_AFTER[-1])
    return (at, _END.unpack_from(tail, at)) if 0 <= at <= len(tail) - _END.size else None


def parts_missing(name: str) -> ScanError:
    """What is said of the last part of a ZIP archive split in parts, scanned without the parts before it."""
    return ScanError(f"{name} is the last part of a ZIP archive split in parts, and the parts before it are not "
                     "beside it (its name with .z01, .z02...): put them there, then scan it",
                     "the last part of a ZIP archive split in parts, without the others")
