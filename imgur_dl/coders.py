"""A 7-Zip archive's folders (:mod:`imgur_dl.sevenzip`): the coders each is packed with, as its header describes
them, and its bytes decoded by them, as they are asked for.

The coders' ids are 7-Zip's (its ``Methods.txt``). Read: LZMA2 (7-Zip's own way, by default), LZMA, Deflate, BZip2,
stored; and before LZMA or LZMA2, the filters liblzma has (BCJ's for x86, ARM, ARM Thumb, PowerPC, SPARC and IA-64;
Delta's), as one chain of coders, each fed by the next; Zstandard (7-Zip's forks', py7zr's) with the extra
``imgur-dl[zstd]``. Others (PPMd, BCJ2, Deflate64; AES: encrypted) are named, for the folder to be said and passed
over.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from dataclasses import dataclass, field
from typing import Protocol

from imgur_dl import zstdlib
from imgur_dl.archives import LOCKED
from imgur_dl.errors import ScanError, reason
from imgur_dl.reader import PIECE, Expansion, Source
from imgur_dl.zstdframes import WINDOW_MOST

DICTIONARY_MOST = 1536 * 2**20  # the largest dictionary 7-Zip makes (its memory is taken as it fills, not at once)


BROKEN = (lzma.LZMAError, zlib.error, OSError, EOFError, zstdlib.Undecodable)  # what the decoders raise on bad data
# Coders (Methods.txt): a filter before LZMA (liblzma's raw filters), and the packers read.
LZMA, LZMA2, _COPY, _DEFLATE, _BZIP2 = b"\x03\x01\x01", b"\x21", b"\x00", b"\x04\x01\x08", b"\x04\x02\x02"
_FILTERS = {b"\x03": lzma.FILTER_DELTA, b"\x04": lzma.FILTER_X86, b"\x05": lzma.FILTER_POWERPC,
            b"\x06": lzma.FILTER_IA64, b"\x07": lzma.FILTER_ARM, b"\x08": lzma.FILTER_ARMTHUMB,
            b"\x09": lzma.FILTER_SPARC, b"\x03\x03\x01\x03": lzma.FILTER_X86, b"\x03\x03\x02\x05": lzma.FILTER_POWERPC,
            b"\x03\x03\x04\x01": lzma.FILTER_IA64, b"\x03\x03\x05\x01": lzma.FILTER_ARM,
            b"\x03\x03\x07\x01": lzma.FILTER_ARMTHUMB, b"\x03\x03\x08\x05": lzma.FILTER_SPARC}
_ZSTD = b"\x04\xf7\x11\x01"  # (7-Zip's forks', py7zr's)
_NAMED = {b"\x03\x04\x01": "PPMd", b"\x03\x03\x01\x1b": "BCJ2", b"\x04\x01\x09": "Deflate64",
          b"\x04\xf7\x11\x02": "Brotli", b"\x04\xf7\x11\x04": "LZ4",
          b"\x0a": "ARM64's filter", b"\x0b": "RISC-V's filter"}
_AES = b"\x06\xf1\x07\x01"
_NOT_READ = "which imgur-dl does not read: extract it with 7-Zip, then scan what it holds"
SHORT = "its folder makes less than the archive says: cut short, or spoilt"


class Spoilt(Exception):
    """The header is not what the format says, where it says so."""


@dataclass(slots=True)
class Coder:
    method: bytes
    properties: bytes
    ins: int
    outs: int


@dataclass(slots=True)
class Folder:
    coders: list[Coder]
    binds: dict[int, int]  # a coder's in stream: the out stream that feeds it
    packed: list[int]  # the in streams fed by the packed streams, in their order
    sizes: list[int] = field(default_factory=list)  # what each out stream makes
    crc: int | None = None
    streams: int = 1  # the files' bytes it holds, one after another
    at: int = 0  # where its packed stream starts in the archive
    packed_size: int = 0

    @property
    def size(self) -> int:
        """What it makes: its out stream that feeds no other coder's."""
        bound = set(self.binds.values())
        return next((size for index, size in enumerate(self.sizes) if index not in bound), 0)


class Decoder(Protocol):
    """Compressed bytes (a folder's, packed), decoded as they are fed, as zlib's, bz2's and lzma's decoders are."""

    @property
    def needs_input(self) -> bool: ...

    @property
    def eof(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes: ...


class _Stored:
    """A folder's bytes stored as they are."""

    def __init__(self) -> None:
        self.held = b""
        self.eof = False

    @property
    def needs_input(self) -> bool:
        return not self.held

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes:
        self.held += data
        size = len(self.held) if max_length < 0 else max_length
        out, self.held = self.held[:size], self.held[size:]
        return out


class Deflated:
    """Bytes deflated (a raw Deflate stream: a 7-Zip folder's, a ZIP file's): zlib's decoder, with what it did not
    take kept for it."""

    def __init__(self) -> None:
        self.decoder = zlib.decompressobj(-15)

    @property
    def needs_input(self) -> bool:
        return not self.decoder.unconsumed_tail

    @property
    def eof(self) -> bool:
        return self.decoder.eof

    @property
    def unused_data(self) -> bytes:
        return self.decoder.unused_data

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes:
        return self.decoder.decompress(self.decoder.unconsumed_tail + data, max(0, max_length))


def unread(folder: Folder) -> str | None:
    """Why ``folder`` is not read, where a coder of it says so (encrypted; a coder imgur-dl does not read, or one
    that needs an extra not installed); None where none does."""
    coders = folder.coders
    if any(coder.method == _AES for coder in coders):
        return LOCKED
    read = (*_FILTERS, LZMA, LZMA2, _COPY, _DEFLATE, _BZIP2, _ZSTD)
    if named := next((_NAMED.get(coder.method, f"a coder of its own (id {coder.method.hex()})")
                      for coder in coders if coder.method not in read), None):
        return f"packed with {named}, {_NOT_READ}"
    if any(coder.method == _ZSTD for coder in coders) and not zstdlib.present():
        return "packed with Zstandard, read with the extra imgur-dl[zstd] (the zstandard package): install it, or " \
               "extract it with a program that reads it (py7zr, 7-Zip's forks), then scan what it holds"
    return None


def decoder(folder: Folder) -> Decoder | str:
    """What decodes ``folder``; or why it is not read (:func:`unread`; its coders joined in a way imgur-dl does not
    read; spoilt)."""
    if (why := unread(folder)) is not None:
        return why
    coders = folder.coders
    chain = _chain(folder) if all(coder.ins == coder.outs == 1 for coder in coders) else None
    if chain is None:
        return f"packed by coders joined in a way {_NOT_READ}"
    chain = [coder for coder in chain if coder.method != _COPY]
    if not chain:
        return _Stored()
    last = chain[-1]  # (the one that reads the packed stream)
    if last.method in (_DEFLATE, _BZIP2) and len(chain) == 1:
        return Deflated() if last.method == _DEFLATE else bz2.BZ2Decompressor()
    if last.method == _ZSTD and len(chain) == 1 and (frames := zstdlib.decoder(window=WINDOW_MOST)) is not None:
        return zstdlib.Decoding(frames)
    if last.method not in (LZMA, LZMA2) or any(coder.method not in _FILTERS for coder in chain[:-1]):
        return f"packed by coders joined in a way {_NOT_READ}"
    try:
        return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[*map(_filter, chain[:-1]), lzma_filter(last)])
    except (lzma.LZMAError, ValueError, Spoilt) as exc:
        return f"spoilt: its coders' properties are not theirs ({reason(exc)})"


def _chain(folder: Folder) -> list[Coder] | None:
    """The folder's coders from the one that makes its bytes to the one that reads the packed stream; None where they
    are not one chain."""
    chain, seen = [], set()
    coder = next((index for index in range(len(folder.coders)) if index not in folder.binds.values()), None)
    while coder is not None and coder not in seen and 0 <= coder < len(folder.coders):
        seen.add(coder)
        chain.append(folder.coders[coder])
        if coder not in folder.binds:
            return chain if [coder] == folder.packed else None
        coder = folder.binds[coder]
    return None


def _filter(coder: Coder) -> dict[str, int]:
    """A filter before LZMA, as liblzma is given it."""
    kind = _FILTERS[coder.method]
    if kind == lzma.FILTER_DELTA:
        return {"id": kind, "dist": coder.properties[0] + 1 if coder.properties else 1}
    start = int.from_bytes(coder.properties[:4], "little") if len(coder.properties) >= 4 else 0
    return {"id": kind, "start_offset": start}


def lzma_filter(coder: Coder) -> dict[str, int]:
    """LZMA's or LZMA2's properties, as liblzma is given them."""
    if coder.method == LZMA2:
        if len(coder.properties) != 1 or coder.properties[0] > 40:
            raise Spoilt("LZMA2's properties are not LZMA2's")
        bits = coder.properties[0]
        size = 0xFFFFFFFF if bits == 40 else (2 | (bits & 1)) << (bits // 2 + 11)
        return {"id": lzma.FILTER_LZMA2, "dict_size": min(size, DICTIONARY_MOST)}
    if len(coder.properties) != 5 or coder.properties[0] >= 9 * 5 * 5:
        raise Spoilt("LZMA's properties are not LZMA's")
    settings, size = coder.properties[0], int.from_bytes(coder.properties[1:], "little")
    return {"id": lzma.FILTER_LZMA1, "lc": settings % 9, "lp": settings // 9 % 5, "pb": settings // 45,
            "dict_size": min(max(size, 4096), DICTIONARY_MOST)}


class Unpacked:
    """A folder's bytes, as they are decoded: from its packed stream, where it is in the archive, never past what the
    folder says it makes; bounded as any compressed input's expansion is (against the archive's size)."""

    def __init__(self, archive: Source, folder: Folder, decoder: Decoder, bound: Expansion) -> None:
        self.archive = archive
        self.folder = folder
        self.decoder = decoder
        self.bound = bound
        self.read_at = folder.at  # the next packed byte
        self.made = 0

    def read(self, size: int) -> bytes:
        """Up to ``size`` of its next bytes (none once it has made all it says); ScanError where it makes less."""
        left, end = self.folder.size - self.made, self.folder.at + self.folder.packed_size
        while left > 0:
            data = b""
            if self.decoder.eof:
                raise ScanError(SHORT)
            if self.decoder.needs_input:
                if self.read_at >= end:
                    raise ScanError(SHORT)
                if not (data := self.archive.at(self.read_at, min(PIECE, end - self.read_at))):
                    raise ScanError("the archive stops before its end: cut short")
                self.read_at += len(data)
            out = self.decoder.decompress(data, min(size, left))
            if out:
                self.made += len(out)
                return self.bound.add(out, self.archive.size)
            if not data:  # (nothing more without more input, and none taken)
                raise ScanError(SHORT)
        return b""


