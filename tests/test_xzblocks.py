"""``--scan`` of an xz file written in parallel (its block headers give their sizes, as ``xz -T`` and pixz write them):
each block decoded on its own, so that a spoilt block is said and passed over, and reading goes on from the next."""

from __future__ import annotations

import io
import lzma
import random
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgur_dl import xzblocks
from imgur_dl.errors import FileStopped, ScanError
from imgur_dl.xzblocks import XzBlocks
from tests.conftest import Pieces, read_all, run_main

_CHECK_SIZE = {lzma.CHECK_NONE: 0, lzma.CHECK_CRC32: 4, lzma.CHECK_CRC64: 8, lzma.CHECK_SHA256: 32}


def _read(data: bytes, cuts: list[int] | None = None) -> tuple[bytes, list[ScanError]]:
    """All the text of the xz file ``data`` (from a pipe, in pieces, with ``cuts``), and what was said, in turn."""
    return read_all(XzBlocks(io.BufferedReader(Pieces(data, cuts or [])), "x.xz"))


def _vli(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


def _vli_at(data: bytes, at: int) -> int:
    value, shift = 0, 0
    while True:
        value |= (data[at] & 0x7F) << shift
        if not data[at] & 0x80:
            return value
        at, shift = at + 1, shift + 7


def _parallel(texts: list[bytes], check: int = lzma.CHECK_CRC64) -> tuple[bytes, list[int]]:
    """One xz stream of a block a text, each block's header giving its sizes, as xz in parallel writes it (the
    .xz format, section 3.1); and where each block starts. Made from Python's own single-block streams."""
    blocks, records, starts = [], [], []
    for text in texts:
        one = lzma.compress(text, check=check)
        header = (one[12] + 1) * 4
        index_at = len(one) - 12 - (int.from_bytes(one[-8:-4], "little") + 1) * 4
        unpadded = _vli_at(one, index_at + 2)  # (the index's one record: after its indicator and its count)
        compressed = unpadded - header - _CHECK_SIZE[check]
        data = one[12 + header:12 + header + compressed]
        tail = one[12 + header + compressed:index_at]  # (its padding and check)
        content = bytes([0, 0xC0 | one[13] & 3]) + _vli(compressed) + _vli(len(text)) + one[14:17]  # (LZMA2's)
        size = (len(content) + 4 + 3) // 4 * 4
        content = bytes([size // 4 - 1]) + content[1:] + bytes(size - 4 - len(content))
        starts.append(12 + sum(len(b) for b in blocks))
        blocks.append(content + zlib.crc32(content).to_bytes(4, "little") + data + tail)
        records.append(_vli(size + compressed + _CHECK_SIZE[check]) + _vli(len(text)))
    index = b"\0" + _vli(len(texts)) + b"".join(records)
    index += bytes(-len(index) % 4)
    index += zlib.crc32(index).to_bytes(4, "little")
    flags = lzma.compress(b"", check=check)[6:8]
    backward = (len(index) // 4 - 1).to_bytes(4, "little")
    footer = zlib.crc32(backward + flags).to_bytes(4, "little") + backward + flags + b"YZ"
    stream = lzma.compress(b"", check=check)[:12] + b"".join(blocks) + index + footer
    assert lzma.decompress(stream) == b"".join(texts)  # (as liblzma itself reads it)
    return stream, starts


def _text(n: int, size: int) -> bytes:
    rng = random.Random(n)
    return b"".join(b"imgur.com/a/X%06d " % (n * 1000 + k) + rng.randbytes(30).hex().encode() + b"\n"
                    for k in range(size // 80 + 1))[:size]


_CHECKS = st.sampled_from([lzma.CHECK_CRC32, lzma.CHECK_CRC64, lzma.CHECK_SHA256])


@settings(max_examples=300)
@given(st.integers(0, 2**63 - 1), st.binary(max_size=12), st.binary(max_size=12))
def test_a_number_is_read_as_xz_writes_it_and_nothing_else_is_taken_for_one(value: int, before: bytes,
                                                                             after: bytes) -> None:
    # The .xz format's multibyte integers (section 1.2): seven bits a byte, least first, nine bytes at the most, and
    # no needless zero byte at the end (the one encoding of each number).
    written = _vli(value)
    assert xzblocks.vli(before + written + after, len(before)) == (value, len(written))
    assert xzblocks.vli(before + written[:-1], len(before)) is None  # (cut short)
    if len(written) < 9:
        assert xzblocks.vli(written[:-1] + bytes([written[-1] | 0x80, 0]), 0) is None  # (a needless zero byte)
    assert xzblocks.vli(b"\x80" * 9 + b"\x01", 0) is None  # (ten bytes: none)


@settings(max_examples=300)
@given(st.integers(1, 2**40), st.integers(0, 2**40), st.binary(min_size=3, max_size=3), st.binary(max_size=40),
       st.integers(0, 7))
def test_a_block_header_is_read_as_written_and_a_spoilt_one_is_none(compressed: int, uncompressed: int,
                                                                    filters: bytes, noise: bytes, flip: int) -> None:
    content = b"\xc0" + _vli(compressed) + _vli(uncompressed) + filters
    size = (len(content) + 1 + 4 + 3) // 4 * 4
    header = bytes([size // 4 - 1]) + content + bytes(size - 5 - len(content))
    header += zlib.crc32(header).to_bytes(4, "little")
    assert xzblocks.block_header(header + noise) == (size, compressed, uncompressed)
    spoilt = bytearray(header)
    spoilt[1 + flip % (size - 1)] ^= 1 << flip  # (a bit of it, its CRC32 kept)
    assert xzblocks.block_header(bytes(spoilt) + noise) is None
    assert xzblocks.block_header(header[:-1]) is None  # (not whole yet)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 6000), min_size=1, max_size=5), _CHECKS, st.data(),
       st.lists(st.integers(0, 40_000), max_size=5))
def test_a_spoilt_block_loses_only_its_own_text(sizes: list[int], check: int, data: st.DataObject,
                                                cuts: list[int]) -> None:
    texts = [_text(n, size) for n, size in enumerate(sizes)]
    stream, starts = _parallel(texts, check)
    assert _read(stream, cuts) == (b"".join(texts), [])
    spoilt = data.draw(st.integers(0, len(texts) - 1))
    header = (stream[starts[spoilt]] + 1) * 4
    index = len(stream) - 12 - (int.from_bytes(stream[-8:-4], "little") + 1) * 4  # (as the footer says)
    end = starts[spoilt + 1] if spoilt + 1 < len(starts) else index
    damaged = bytearray(stream)
    if data.draw(st.booleans()) or end - starts[spoilt] - header < 2:  # (its header)
        at = data.draw(st.integers(starts[spoilt] + 1, starts[spoilt] + header - 1))
    else:  # (its data or its check)
        at = data.draw(st.integers(starts[spoilt] + header, end - 1))
    damaged[at] ^= data.draw(st.integers(1, 255))
    text, said = _read(bytes(damaged), cuts)
    before, after = b"".join(texts[:spoilt]), b"".join(texts[spoilt + 1:])
    assert text == before + (b"\n" if before and after else b"") + after
    assert [type(e) for e in said] == [FileStopped], said
    assert str(said[0]).startswith(f"x.xz: its xz block from byte {starts[spoilt]:,} cannot be read on (")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=4), st.sampled_from(list(_CHECK_SIZE)), st.data())
def test_a_file_cut_short_gives_what_the_decoder_makes_of_what_arrived(sizes: list[int], check: int,
                                                                       data: st.DataObject) -> None:
    # As liblzma reading on makes of the bytes that arrived (a block cut short: its text as far as it was decoded,
    # a prefix of it), then the standard library's words for a file cut short.
    stream, _ = _parallel([_text(n, size) for n, size in enumerate(sizes)], check)
    cut = data.draw(st.integers(1, len(stream) - 1))
    text, said = _read(stream[:cut])
    assert text == lzma.LZMADecompressor().decompress(stream[:cut])
    assert [e.why for e in said] == [xzblocks.CUT_SHORT]


def test_streams_one_after_another_in_parallel_or_not() -> None:
    parallel, _ = _parallel([b"imgur.com/a/AbC1234\n", b"imgur.com/a/XyZ9876\n"])
    unchecked, _ = _parallel([b"imgur.com/a/AbC1234\n", b"imgur.com/a/XyZ9876\n"], lzma.CHECK_NONE)
    assert _read(unchecked) == (b"imgur.com/a/AbC1234\nimgur.com/a/XyZ9876\n", [])  # (a stream of no check)
    single = lzma.compress(b"imgur.com/a/QwE4567\n")  # (one block, no sizes: decoded as one stream)
    assert _read(parallel + bytes(8) + single + parallel) == (
        b"imgur.com/a/AbC1234\nimgur.com/a/XyZ9876\nimgur.com/a/QwE4567\n" * 1 +
        b"imgur.com/a/AbC1234\nimgur.com/a/XyZ9876\n", [])
    damaged = bytearray(single + parallel)
    damaged[len(single) // 2] ^= 0x40  # (a stream decoded as one stops where it is spoilt, as before)
    text, said = _read(bytes(damaged))
    assert b"QwE4567" not in text and [type(e) for e in said] == [ScanError]


def test_a_spoilt_index_is_said_after_every_block_s_text() -> None:
    stream, _ = _parallel([b"imgur.com/a/AbC1234\n", b"imgur.com/a/XyZ9876\n"])
    index = len(stream) - 12 - (int.from_bytes(stream[-8:-4], "little") + 1) * 4
    # Its count; a record; a record that is no number (its last byte a needless zero); its CRC.
    for at, value in ((index + 1, 3), (index + 3, 0x7F), (index + 2, 0x80), (len(stream) - 13, 0)):
        damaged = bytearray(stream)
        damaged[at] = value if damaged[at] != value else value + 1
        if value == 0x80:
            damaged[at + 1] = 0
        text, said = _read(bytes(damaged))
        assert text == b"imgur.com/a/AbC1234\nimgur.com/a/XyZ9876\n"
        assert [e.why for e in said] == ["its index is spoilt"], at - index


def test_a_spoilt_last_block_of_a_file_cut_short_is_said_and_so_is_the_cut() -> None:
    stream, starts = _parallel([b"imgur.com/a/AbC1234\n", _text(1, 3000)])
    damaged = bytearray(stream)
    damaged[starts[1] + 40] ^= 0x10
    text, said = _read(bytes(damaged[:-8]))  # (inside its footer)
    assert text == b"imgur.com/a/AbC1234\n"
    assert [(type(e), e.why) for e in said] == [(FileStopped, "Corrupt input data"), (ScanError, xzblocks.CUT_SHORT)]


def test_the_last_block_spoilt_in_its_header_leaves_the_stream_s_end_to_read_on_from() -> None:
    stream, starts = _parallel([b"imgur.com/a/AbC1234\n", _text(1, 5000)])
    damaged = bytearray(stream + lzma.compress(b"imgur.com/a/QwE4567"))
    damaged[starts[1] + 3] ^= 0x01
    text, said = _read(bytes(damaged))
    assert text == b"imgur.com/a/AbC1234\n\nimgur.com/a/QwE4567"
    assert [e.why for e in said] == ["its header is spoilt"]
    text, said = _read(bytes(damaged[:len(stream) - 30]))  # (and nothing after it: the file's end)
    assert text == b"imgur.com/a/AbC1234\n"
    assert [e.why for e in said] == ["its header is spoilt", f"no xz block follows the one spoilt at byte "
                                                             f"{starts[1]:,}"]
    assert said[1].replaces is said[0]  # (one line of both, in a scan)


def test_past_a_spoilt_header_the_next_block_is_found_wherever_it_starts() -> None:
    # Blocks are four-byte aligned: the next header is looked for at each fourth byte, whatever the spoilt block's
    # length (blocks of every length from 1 to 40 bytes of text, and so of every length in fours).
    lengths = set()
    for size in range(1, 41):
        stream, starts = _parallel([b"imgur.com/a/AbC1234\n", _text(size, size), b"imgur.com/a/XyZ9876\n"])
        lengths.add((starts[2] - starts[1]) % 16)
        damaged = bytearray(stream)
        damaged[starts[1] + 1] ^= 0x01  # (its flags: its CRC32 no longer right)
        assert _read(bytes(damaged))[0] == b"imgur.com/a/AbC1234\n\nimgur.com/a/XyZ9876\n", size
    assert lengths == {0, 4, 8, 12}


def test_a_block_that_makes_much_text_is_given_as_it_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xzblocks, "HOLD", 10_000)
    texts = [b"imgur.com/a/AbC1234 " + b"x" * 300_000, b" imgur.com/a/XyZ9876"]
    stream, starts = _parallel(texts)
    assert _read(stream) == (b"".join(texts), [])
    reader = XzBlocks(io.BytesIO(stream), "x.xz")
    assert len(reader.read1(100_000)) < 30_000  # (a piece at a time, not the block's text whole)
    damaged = bytearray(stream)
    damaged[starts[1] - 3] ^= 0x01  # (the first block's check: its text decodes, and the check fails at its end)
    text, said = _read(bytes(damaged))
    assert text.startswith(b"imgur.com/a/AbC1234 ") and text.endswith(b"\n imgur.com/a/XyZ9876")
    assert [type(e) for e in said] == [FileStopped]


def test_a_dump_written_in_parallel_spoilt_midway_gives_the_links_of_every_other_block(tmp_path: Path) -> None:
    # Before, the scan stopped at the damage: the links of the blocks after it were lost.
    links = [f"https://i.imgur.com/E{n:06d}.jpg" for n in range(3000)]
    lines = [f'{{"body": "{random.Random(n).randbytes(20).hex()} {link}"}}\n'.encode() for n, link in enumerate(links)]
    texts = [b"".join(lines[k:k + 500]) for k in range(0, 3000, 500)]  # (six blocks of 500 links)
    stream, starts = _parallel(texts)
    damaged = bytearray(stream)
    damaged[(starts[2] + starts[3]) // 2] ^= 0x08
    (tmp_path / "RC_dump.xz").write_bytes(damaged)
    result = run_main("--scan", str(tmp_path / "RC_dump.xz"), "-g")
    assert result.code == 1, result
    found = result.out.split()  # (compared so that a failure is told at once: not two lists of 2,500 diffed)
    assert (len(found), found == links[:1000] + links[1500:]) == (2500, True), (found[:3], found[-3:])
    assert result.err.count("error:") == 1, result.err
    assert (f"RC_dump.xz: its xz block from byte {starts[2]:,} cannot be read on (") in result.err, result.err


def test_a_file_xz_wrote_in_parallel_is_read_a_block_at_a_time(tmp_path: Path) -> None:
    # As xz itself writes one (-T2: its blocks' headers give their sizes; a CRC64 check): a spoilt block, said.
    text = b"".join(_text(n, 60_000) for n in range(6))
    xz = shutil.which("xz") or "/usr/bin/xz"  # (Debian's xz-utils)
    packed = subprocess.run([xz, "-T2", "--block-size=100KiB", "-c"], input=text, capture_output=True,
                            check=True).stdout
    assert _read(packed) == (text, [])
    header, compressed = (packed[12] + 1) * 4, _vli_at(packed, 14)  # (the first block's header gives its size)
    second = 12 + header + compressed + -compressed % 4 + _CHECK_SIZE[lzma.CHECK_CRC64]
    assert packed[13] & 0xC0 == 0xC0 and (packed[second] + 1) * 4 == header  # (both sizes given; a header there)
    damaged = bytearray(packed)
    damaged[second + 500] ^= 0x10
    got, said = _read(bytes(damaged))
    assert got.startswith(text[:100 * 1024] + b"\n") and got.endswith(text[200 * 1024:])
    assert [str(e).split(" cannot")[0] for e in said] == [f"x.xz: its xz block from byte {second:,}"]
