"""A ZIP's files compressed with bzip2, LZMA or Zstandard, read from each file's own header: on a pipe, cut short, or
(Zstandard, which zipfile reads from Python 3.14 only) whole."""

from __future__ import annotations

import bz2
import functools
import io
import lzma
import struct
import zipfile
import zlib
from dataclasses import dataclass

import pytest
import zstandard
from hypothesis import example, given, settings
from hypothesis import strategies as st

from imgur_dl import reader
from imgur_dl.scan import Scanner
from tests.conftest import ZSTD_LIBRARIES, linked_text, only_zstd, through_pipe, without_zstd

ZSTANDARD = 93
_EOS, _SIZES_AFTER = 0x2, 0x8  # flag bits: LZMA's end marker; the sizes after the data


class _Literals:
    """LZMA as an encoder that writes literals alone writes it, with no end marker (lc=3, lp=0, pb=2): its end is
    where its size says, as in a ZIP whose flags say it has none (liblzma's own encoder always writes one)."""

    def __init__(self) -> None:
        self.low, self.range, self.cache, self.pending = 0, 0xFFFFFFFF, 0, 1
        self.out = bytearray()

    def _shift(self) -> None:
        if self.low < 0xFF000000 or self.low >= 1 << 32:
            carry, byte = self.low >> 32, self.cache
            while self.pending:
                self.out.append((byte + carry) & 0xFF)
                byte, self.pending = 0xFF, self.pending - 1
            self.cache = (self.low >> 24) & 0xFF
        self.pending += 1
        self.low = (self.low & 0x00FFFFFF) << 8

    def _bit(self, probs: list[int], at: int, bit: int) -> None:
        bound = (self.range >> 11) * probs[at]
        if bit:
            self.low, self.range = self.low + bound, self.range - bound
            probs[at] -= probs[at] >> 5
        else:
            self.range = bound
            probs[at] += (2048 - probs[at]) >> 5
        while self.range < 1 << 24:
            self.range = (self.range << 8) & 0xFFFFFFFF
            self._shift()

    def packed(self, data: bytes) -> bytes:
        """The 5 bytes of properties, then the stream."""
        is_match, literals, previous = [1024] * 4, [[1024] * 0x300 for _ in range(8)], 0
        for at, byte in enumerate(data):
            self._bit(is_match, at & 3, 0)  # (state 0 throughout: literals alone)
            probs, symbol = literals[previous >> 5], 1
            for shift in range(7, -1, -1):
                bit = (byte >> shift) & 1
                self._bit(probs, symbol, bit)
                symbol = (symbol << 1) | bit
            previous = byte
        for _ in range(5):
            self._shift()
        return struct.pack("<BI", (2 * 5 + 0) * 9 + 3, 1 << 16) + bytes(self.out)


@functools.cache
def _compressed(method: str, data: bytes) -> tuple[int, bytes, int]:
    """``data`` compressed as a ZIP's file is with ``method``: its method number, its bytes, and its flags."""
    if method == "bzip2":
        return zipfile.ZIP_BZIP2, bz2.compress(data), 0
    if method == "LZMA":  # (as zipfile and 7-Zip write it: the SDK's version, the properties' size, the properties)
        packer = lzma.LZMACompressor(lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 16}])
        stream = packer.compress(data) + packer.flush()
        properties = struct.pack("<BI", (2 * 5 + 0) * 9 + 3, 1 << 16)
        return zipfile.ZIP_LZMA, struct.pack("<BBH", 9, 20, 5) + properties + stream, _EOS
    if method == "LZMA without its end marker":
        return zipfile.ZIP_LZMA, struct.pack("<BBH", 9, 20, 5) + _Literals().packed(data), 0
    if method == "Zstandard":
        return ZSTANDARD, zstandard.ZstdCompressor(level=3).compress(data), 0
    return zipfile.ZIP_DEFLATED, zlib.compress(data)[2:-4], 0


@dataclass
class _File:
    name: str
    data: bytes
    method: str


def _zip(files: list[_File], *, sizes_after: bool) -> bytes:
    """A ZIP archive of ``files``, each with its sizes in its header, or after its data (as a writer that streams
    writes them: in a descriptor with its signature), and its directory."""
    out, directory = bytearray(), bytearray()
    for file in files:
        method, packed, flags = _compressed(file.method, file.data)
        flags |= _SIZES_AFTER if sizes_after else 0
        crc, name = zlib.crc32(file.data), file.name.encode()
        sizes = (0, 0, 0) if sizes_after else (crc, len(packed), len(file.data))
        fields = (20, flags, method, 0, 0x21, *sizes, len(name), 0)
        directory += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields[:5], crc, len(packed),
                                 len(file.data), len(name), 0, 0, 0, 0, 0, len(out)) + name
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields) + name + packed
        if sizes_after:
            out += struct.pack("<4sIII", b"PK\x07\x08", crc, len(packed), len(file.data))
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(files), len(files), len(directory), len(out), 0)
    return bytes(out + directory + end)


def _found(data: bytes | io.BufferedIOBase, name: str = "export.zip") -> tuple[list[str], list[str]]:
    scanner = Scanner()
    found = [t.id for t in scanner.scan(data if isinstance(data, io.BufferedIOBase) else io.BytesIO(data), name)]
    return found, [str(e) for e in scanner.errors]


def _each(files: list[_File]) -> list[str]:
    return [t.id for t in Scanner().scan(io.BytesIO(b"\n".join(f.data for f in files)), "text")]


METHODS = ["bzip2", "LZMA", "LZMA without its end marker", "Zstandard"]


# (each way with its sizes in each file's header, and after each file where its stream tells its end: not LZMA's
# without its end marker, the next test's)
WAYS = [(method, after) for method in METHODS for after in (False, True) if not after or "end marker" not in method]
# (and Zstandard read by each library that reads it, alone)
READ = [(*way, library) for way in WAYS for library in (ZSTD_LIBRARIES if way[0] == "Zstandard" else (None,))]


def _way(way: tuple[str, bool] | tuple[str, bool, str | None]) -> str:
    return ", ".join((way[0], "sizes after each file" if way[1] else "sizes in each header", *filter(None, way[2:])))


@pytest.mark.parametrize(("method", "sizes_after", "library"), READ, ids=map(_way, READ))
def test_a_zip_on_a_pipe_is_read_however_its_files_are_compressed(method: str, sizes_after: bool, library: str | None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if library is not None:
        only_zstd(monkeypatch, library)
    files = [_File("a.txt", linked_text(0, 70_000), method), _File("b.txt", b"see imgur.com/a/XyZ9876 ", "stored"),
             _File("c.txt", linked_text(10_000, 3000), method)]
    packed = _zip(files, sizes_after=sizes_after)
    if method != "Zstandard":  # (zipfile reads the archive alike: it is as a ZIP's writer makes it)
        with zipfile.ZipFile(io.BytesIO(packed)) as archive:
            assert [archive.read(f.name) for f in files] == [f.data for f in files]
    assert _found(through_pipe(packed)) == (_each(files), [])
    assert _found(packed) == (_each(files), [])  # (whole: by its directory, or, Zstandard, from each file's header)


def test_a_file_whose_end_nothing_tells_stops_the_archive_on_a_pipe_in_one_line() -> None:
    files = [_File("a.txt", b"imgur.com/a/AbC1234\n", "stored"),
             _File("b.txt", linked_text(0, 2000), "LZMA without its end marker"),
             _File("c.txt", b"imgur.com/a/QwE5678", "stored")]
    assert _found(through_pipe(_zip(files, sizes_after=True))) == (["AbC1234"], [
        "export.zip: b.txt: cannot read on (compressed with LZMA (method 14), read from a whole archive only: save it "
        "whole, then scan it (its size is written after it: nothing after it can be found)); what was found before it "
        "still counts"])


@pytest.mark.parametrize(("method", "sizes_after"), WAYS[:-2], ids=map(_way, WAYS[:-2]))
def test_a_spoilt_file_is_one_line_and_the_archive_reads_on_where_its_size_is_known(method: str,
                                                                                      sizes_after: bool) -> None:
    files = [_File("a.txt", b"imgur.com/a/AbC1234\n", "stored"), _File("b.txt", linked_text(0, 50_000), method),
             _File("c.txt", b"imgur.com/a/QwE5678", "stored")]
    packed = bytearray(_zip(files, sizes_after=sizes_after))
    at = packed.index(b"b.txt") + 5 + 40  # (well inside its data)
    packed[at:at + 8] = bytes(8)
    found, errors = _found(through_pipe(bytes(packed)))
    assert found[0] == "AbC1234" and len(errors) == 1 and errors[0].startswith("export.zip: ")
    if sizes_after:  # (where it ends is not known: the archive ends there)
        assert found[-1] != "QwE5678" and "the archive's other files are read" not in errors[0], errors
    else:
        assert found[-1] == "QwE5678" and errors[0].startswith("export.zip: b.txt: cannot read on ("), errors
        assert errors[0].endswith("; what was found before it still counts; the archive's other files are read")
    # (whole, read by its directory: zipfile's decoders' errors, LZMA's own among them, said as one line as well)
    found, errors = _found(io.BytesIO(bytes(packed)))
    assert (found[0], found[-1], len(errors)) == ("AbC1234", "QwE5678", 1), errors
    assert errors[0].startswith("export.zip: b.txt: ") and errors[0].endswith("; the archive's other files are read")


def test_zstandard_without_a_library_that_reads_it_says_how_to_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    without_zstd(monkeypatch)
    files = [_File("a.txt", b"imgur.com/a/AbC1234\n", "stored"), _File("b.txt", linked_text(0, 2000), "Zstandard"),
             _File("c.txt", b"imgur.com/a/QwE5678", "stored")]
    said = ("export.zip: b.txt: cannot read on (compressed with Zstandard (method 93), read with the extra "
            "imgur-dl[zstd] (the zstandard package): install it, or extract it with a program that reads it (7-Zip's "
            "forks), then scan what it holds); what was found before it still counts")
    assert _found(through_pipe(_zip(files, sizes_after=False))) == (
        ["AbC1234", "QwE5678"], [f"{said}; the archive's other files are read"])
    if not hasattr(zipfile, "ZIP_ZSTANDARD"):  # (Python 3.14's zipfile reads it itself)
        assert _found(_zip(files, sizes_after=False)) == (
            ["AbC1234", "QwE5678"], [f"{said}; the archive's other files are read"])


@pytest.mark.usefixtures("zstd_library")
def test_a_zstandard_file_is_bounded_as_any_compressed_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "RATIO_AFTER", 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_RATIO", 100)
    files = [_File("a.txt", b"imgur.com/a/AbC1234 " + bytes(8 * 1024 * 1024), "Zstandard")]
    found, errors = _found(through_pipe(_zip(files, sizes_after=True)))
    assert found == ["AbC1234"] and len(errors) == 1 and "a decompression bomb?" in errors[0], errors


@given(st.lists(st.integers(0, 30_000), min_size=1, max_size=3), st.floats(0, 1), st.sampled_from(METHODS[:3]),
       st.booleans())
@example([20_000, 100], 0.5, "LZMA without its end marker", False)
@example([162, 521], 0.68359375, "bzip2", True)  # (bz2's decoder said it needed input while it held a whole block)
@example([56], 1.0, "LZMA without its end marker", False)  # (its last bytes decode to one more: it ends with its size)
@settings(max_examples=60)
def test_a_zip_cut_short_gives_every_link_before_the_cut(sizes: list[int], cut: float, method: str,
                                                          sizes_after: bool) -> None:
    sizes_after = sizes_after and method != "LZMA without its end marker"
    files = [_File(f"{n}.txt", linked_text(n * 10_000, size), method) for n, size in enumerate(sizes)]
    packed = _zip(files, sizes_after=sizes_after)
    at = int(cut * len(packed))
    left, start = [], 0  # (what the cut leaves of each file begun before it: as much as decodes)
    for file in files:
        start = packed.index(file.name.encode(), start) + len(file.name)
        if at < start:
            break
        data = _compressed(method, file.data)[1][:at - start]
        if method == "bzip2":
            decoder: bz2.BZ2Decompressor | lzma.LZMADecompressor = bz2.BZ2Decompressor()
        else:
            decoder = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 16}])
            data = data[9:]
        left.append(decoder.decompress(data)[:len(file.data)])
        start += 1
    found, errors = _found(through_pipe(packed[:at]))
    expected = _each([_File("", data, "") for data in left])
    assert found in (expected, expected[:-1]), (len(found), len(expected), errors)
    assert len(errors) == (0 if at == len(packed) or at < 4 else 1), errors


@given(st.lists(st.sampled_from([*METHODS, "deflated", "stored"]), min_size=1, max_size=3), st.booleans(),
       st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=4), st.floats(0.5, 1))
@settings(max_examples=40)
def test_a_zip_spoilt_anywhere_is_read_as_far_as_it_can_be_never_a_bug(methods: list[str], sizes_after: bool,
                                                                       spoil: list[tuple[float, int]],
                                                                       kept: float) -> None:
    files = [_File(f"{n}.txt", linked_text(n * 10_000, 5000), method) for n, method in enumerate(methods)]
    sizes_after = sizes_after and "LZMA without its end marker" not in methods
    packed = bytearray(_zip(files, sizes_after=sizes_after))
    for where, flip in spoil:
        packed[int(where * (len(packed) - 1))] ^= flip
    data = bytes(packed[:int(kept * len(packed))])
    for source in (through_pipe(data), io.BytesIO(data)):  # (from each file's header; by the directory, whole)
        _, errors = _found(source)  # (no exception but the scan's: at most a line a file, one for the archive)
        assert len(errors) <= len(files) + 1, errors
