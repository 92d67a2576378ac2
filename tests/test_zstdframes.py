"""``--scan`` of a zstd file of many frames (a ``.warc.zst``: a frame a record, as ArchiveTeam writes them): a spoilt
frame is said and passed over, and reading goes on from the next one; a file cut short is said to be."""

from __future__ import annotations

import io
import random
import re

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgur_dl import zstdlib
from imgur_dl.errors import ScanError
from imgur_dl.scan import Scanner
from imgur_dl.zstdframes import CUT_SHORT, Zstd
from tests.conftest import SPOILS, ZSTD_LIBRARIES, members_read, only_zstd
from tests.test_warc import record, response, warc_zst


def _read(data: bytes, cuts: list[int] | None = None) -> tuple[bytes, list[ScanError]]:
    """All the text of the zstd file ``data`` (from a pipe, in pieces, with ``cuts``), and what was said, in turn."""
    decoder = zstdlib.decoder(window=2**31)
    assert decoder is not None
    return members_read(data, "x.zst", Zstd(decoder), cuts)


@st.composite
def frames_written(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """Frames as zstd writes them (one shot or streamed; with or without size and checksum; several blocks, raw and
    RLE ones), with skippable frames between (as pzstd writes its files): each frame and the text it holds."""
    frames = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.integers(0, 3)) == 0:
            payload = draw(st.binary(max_size=40))
            frames.append((b"\x5a\x2a\x4d\x18" + len(payload).to_bytes(4, "little") + payload, b""))
            continue
        size = draw(st.sampled_from([0, 1, 100, 5_000, 140_000]))  # (past 128 KiB: more than one block)
        data = random.Random(draw(st.integers(0, 2**32))).randbytes(size // 2) + bytes(size - size // 2)
        compressor = zstandard.ZstdCompressor(level=draw(st.sampled_from([1, 3])), write_checksum=draw(st.booleans()),
                                              write_content_size=draw(st.booleans()))
        if draw(st.booleans()):
            frames.append((compressor.compress(data), data))
        else:
            streamed = compressor.compressobj()
            frames.append((streamed.compress(data) + streamed.flush(), data))
    return frames


@pytest.mark.usefixtures("zstd_library")  # (the same library for every example)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(frames_written(), st.integers(0, 10**6), st.lists(st.integers(0, 10**6), max_size=4))
def test_a_file_cut_anywhere_gives_what_arrived_and_is_said_cut_short_inside_a_frame(
        frames: list[tuple[bytes, bytes]], where: int, cuts: list[int]) -> None:
    # zstd's own reader ends in silence where a stream is cut short inside a frame (a dump's download interrupted).
    stream = b"".join(frame for frame, _ in frames)
    assert _read(stream, cuts) == (b"".join(text for _, text in frames), [])
    cut = where % (len(stream) + 1)
    ends, at = {0}, 0
    for frame, _ in frames:
        at += len(frame)
        ends.add(at)
    text, said = _read(stream[:cut], cuts)
    whole = b"".join(t for n, (_, t) in enumerate(frames) if sum(len(f) for f, _ in frames[:n + 1]) <= cut)
    assert text.startswith(whole)
    assert [e.why for e in said] == ([] if cut in ends else [CUT_SHORT])


@pytest.mark.usefixtures("zstd_library")
def test_a_crawl_with_a_spoilt_frame_loses_that_record_alone() -> None:
    # A .warc.zst as ArchiveTeam writes them (its dictionary first, then a frame a record): before, the first spoilt
    # frame stopped the file, every record after it lost.
    pages = [b"<p>" + random.Random(n).randbytes(1500).hex().encode() + b" <a href='https://imgur.com/a/Zs%05d'>" % n
             for n in range(120)]
    records = [record(response(page, b"Content-Type: text/html")) for page in pages]
    crawl = bytearray(warc_zst(records, packed=True))
    at = crawl.find(b"\x28\xb5\x2f\xfd", crawl.find(b"\x28\xb5\x2f\xfd", 8 + int.from_bytes(crawl[4:8], "little")) + 1)
    for _ in range(39):  # (the 41st record's frame: the dictionary's own compressed frame is the first)
        at = crawl.find(b"\x28\xb5\x2f\xfd", at + 1)
    crawl[at + 200:at + 210] = bytes(10)
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(bytes(crawl)), "crawl.warc.zst")]
    lost = sorted(set(f"Zs{n:05d}" for n in range(120)) - set(found))
    assert len(lost) <= 1 and found == [f"Zs{n:05d}" for n in range(120) if f"Zs{n:05d}" not in lost]
    assert [str(e).split(" (")[0] for e in scanner.errors] == [f"crawl.warc.zst: its zstd frame from byte {at:,} "
                                                                "cannot be read on"]


@pytest.mark.usefixtures("zstd_library")
def test_what_is_no_frame_where_one_must_be_is_said() -> None:
    # A frame whose descriptor has its reserved bit set (RFC 8878, 3.1.1.1.1), and bytes that open as a skippable
    # frame's magic number does but are none (a ZIP's, written after the frames): no frame, said, read on after.
    frame = bytearray(zstandard.ZstdCompressor().compress(b"imgur.com/a/AbC1234"))
    frame[4] |= 0x08
    after = zstandard.ZstdCompressor().compress(b" imgur.com/a/XyZ9876")
    for spoilt in (bytes(frame), b"PK\x03\x04\x14\x00\x08\x08" + bytes(20)):
        text, said = _read(spoilt + after)
        assert text == b" imgur.com/a/XyZ9876" and [e.why for e in said] == ["not a zstd frame's header"]


@pytest.mark.usefixtures("zstd_library")
def test_a_file_cut_inside_a_skippable_frame_is_said_cut_short() -> None:
    frame = zstandard.ZstdCompressor().compress(b"imgur.com/a/AbC1234")
    skippable = b"\x50\x2a\x4d\x18" + (40).to_bytes(4, "little") + bytes(40)  # (as pzstd writes them, between)
    for cut in (2, 6, 20):  # (inside its magic number, its length, what it holds)
        assert [e.why for e in _read(frame + skippable[:cut])[1]] == [CUT_SHORT], cut
    assert _read(frame + skippable + frame) == (b"imgur.com/a/AbC1234" * 2, [])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames_written(), SPOILS, st.floats(0, 1), st.lists(st.integers(0, 10**6), max_size=4))
def test_either_library_reads_a_spoilt_zstd_file_alike(frames: list[tuple[bytes, bytes]],
                                                        spoil: list[tuple[float, int]], kept: float,
                                                        cuts: list[int]) -> None:
    # The standard library's compression.zstd (Python 3.14's) and zstandard (the extra) are both libzstd: a file read
    # with one gives what the other gives, and is said to go wrong at the same place, whatever is wrong with it. (Not
    # always in the same words: libzstd's for one spoilt block may differ with the memory its caller gives it, or its
    # version, "Data corruption detected" or "Destination buffer is too small", seen on Python 3.14 with Debian's.)
    data = bytearray(b"".join(frame for frame, _ in frames))
    for where, value in spoil:
        data[int(where * len(data))] = value
    data = data[:int(kept * len(data))]
    read = []
    for library in ZSTD_LIBRARIES:
        with pytest.MonkeyPatch.context() as patch:
            only_zstd(patch, library)
            decoder = zstdlib.decoder(window=2**31)
            assert decoder is not None
            streamed, why = [], None
            try:
                streamed.extend(decoder.stream(pieces_of(bytes(data), cuts)))
            except decoder.error:
                why = "went wrong"
            text, said = _read(bytes(data), cuts)
            read.append((text, [_WORDS.sub("(...)", str(e)) for e in said], b"".join(streamed), why))
    assert read[0] == read[1]


_WORDS = re.compile(r"\((?!not a zstd frame's header)[^()]*\)")  # (libzstd's words for what went wrong)


def pieces_of(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut where ``cuts`` say (each taken modulo its length, and one more), as a pipe's pieces come."""
    ends = sorted({cut % (len(data) + 1) for cut in cuts} | {len(data)})
    return [data[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]
