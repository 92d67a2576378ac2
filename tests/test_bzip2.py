"""``--scan`` of a bzip2 file: each block found by its magic number (at any bit) and decoded on its own, so that a
spoilt block is said and passed over, and reading goes on from the next."""

from __future__ import annotations

import bz2
import io
import random
import re
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from imgur_dl import bzip2
from imgur_dl.bzip2 import BLOCK_MAGIC, END_MAGIC, Blocks, bits, marker
from imgur_dl.errors import FileStopped, ScanError
from imgur_dl.members import MOST_SPOILT
from imgur_dl.scan import Scanner
from tests.conftest import Pieces, read_all, run_main


def _read(data: bytes, cuts: list[int] | None = None) -> tuple[bytes, list[ScanError]]:
    """All the text of the bzip2 file ``data`` (from a pipe, in pieces, with ``cuts``), and what was said, in turn."""
    return read_all(Blocks(io.BufferedReader(Pieces(data, cuts or [])), "x.bz2"))


def _blocks(packed: bytes) -> list[tuple[int, int]]:
    """Where each block of the bzip2 file ``packed`` starts and ends, in bits (found as the reader finds them)."""
    found, at = [], 0
    while (next_one := marker(packed, at)) is not None:
        if found and found[-1][1] < 0:
            found[-1] = (found[-1][0], next_one[0])
        if next_one[1] == BLOCK_MAGIC:
            found.append((next_one[0], -1))
        at = next_one[0] + 48
    return found


def _text(n: int, size: int) -> bytes:
    """Text that bzip2 compresses about as it does a dump's (hex, with links): ``size`` bytes of it."""
    rng = random.Random(n)
    return b"".join(b"imgur.com/a/B%06d " % (n * 1000 + k) + rng.randbytes(40).hex().encode() + b"\n"
                    for k in range(size // 100 + 1))[:size]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40), st.integers(0, 7 * 40), st.sampled_from([BLOCK_MAGIC, END_MAGIC]))
def test_a_magic_number_is_found_at_any_bit(noise: bytes, shift: int, magic: int) -> None:
    bit = min(shift, 8 * len(noise))
    # ``noise`` with the magic number written in at its bit ``bit``, the bits around it kept.
    whole = int.from_bytes(noise + bytes(7), "big")
    size = 8 * (len(noise) + 7)
    whole &= ~(((1 << 48) - 1) << (size - bit - 48))
    whole |= magic << (size - bit - 48)
    data = whole.to_bytes(len(noise) + 7, "big")
    assert bits(data, bit, 48) == magic
    found = marker(data, 0)
    assert found is not None and found[0] <= bit  # (the noise may hold one before it, by chance)
    assert marker(data, bit) == (bit, magic)
    assert marker(data, bit + 1) is None or marker(data, bit + 1)[0] > bit  # type: ignore[index]
    assert marker(data[:(bit + 47) // 8], bit) is None  # (one not whole in hand yet is not found)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 9)), min_size=1, max_size=5), st.data(),
       st.lists(st.integers(0, 60_000), max_size=5))
def test_a_spoilt_block_loses_only_its_own_text(streams: list[tuple[int, int]], data: st.DataObject,
                                                cuts: list[int]) -> None:
    # Streams of one block each, as pbzip2 writes them (a stream a block), one spoilt inside its block (bytes
    # overwritten, not its magic numbers): its own text alone is lost, and what follows is on a line of its own.
    texts = [_text(n, size) for n, (size, _) in enumerate(streams)]
    packed = [bz2.compress(text, level) for text, (_, level) in zip(texts, streams, strict=True)]
    assert _read(b"".join(packed), cuts) == (b"".join(texts), [])
    spoilt = data.draw(st.integers(0, len(packed) - 1))
    block = bytearray(packed[spoilt])
    if len(block) <= 4 + 10 + 11 + 4:
        return  # (an empty stream: no block in it)
    new = data.draw(st.binary(min_size=1, max_size=4))
    at = data.draw(st.integers(4 + 10, len(block) - 11 - len(new)))  # (inside the block: past its magic and CRC,
    assume(new != bytes(block[at:at + len(new)]))  # before its stream's end)
    block[at:at + len(new)] = new
    text, said = _read(b"".join([*packed[:spoilt], bytes(block), *packed[spoilt + 1:]]), cuts)
    if not said:  # (a change that decodes to the same text: none was seen, but it is not ruled out)
        assert text == b"".join(texts)
        return
    before, after = b"".join(texts[:spoilt]), b"".join(texts[spoilt + 1:])
    assert text == before + (b"\n" if before and after else b"") + after
    assert [type(e) for e in said] == [FileStopped]
    start = len(b"".join(packed[:spoilt])) + 4  # (the block starts after its stream's header)
    assert str(said[0]).startswith(f"x.bz2: its bzip2 block from byte {start:,} cannot be read on (")


def test_the_blocks_of_one_stream_after_a_spoilt_one_are_read_whole() -> None:
    # One stream of many blocks (as bzip2 itself writes a dump): its blocks are not aligned to bytes. Each block
    # spoilt in turn, anywhere in it, loses that block's text alone. Before, the file stopped at the damage.
    text = _text(1, 460_000)
    packed = bz2.compress(text, 1)  # (blocks of 100 kB: five)
    blocks = _blocks(packed)
    assert len(blocks) == 5 and any(start % 8 for start, _ in blocks)
    texts = [bz2.decompress(bzip2.one_block(packed, start, end)) for start, end in blocks]
    assert b"".join(texts) == text
    rng = random.Random(2)
    for spoilt, (start, end) in enumerate(blocks):
        for _ in range(3):
            damaged = bytearray(packed)
            at = rng.randrange(start // 8 + 11, end // 8 - 1)
            damaged[at] ^= 1 << rng.randrange(8)
            got, said = _read(bytes(damaged))
            before, after = b"".join(texts[:spoilt]), b"".join(texts[spoilt + 1:])
            assert got == before + (b"\n" if before and after else b"") + after, (spoilt, at)
            assert [(type(e), e.why) for e in said] == [(FileStopped, "Invalid data stream")]
            assert f"its bzip2 block from byte {start // 8:,} cannot" in str(said[0])
    assert _read(packed, list(range(0, len(packed), 4099))) == (text, [])  # (from a pipe, in pieces)


def test_a_file_cut_short_gives_the_text_of_every_block_that_arrived_whole() -> None:
    # Every block whose bits all arrived, a cut just after one too (the next magic number begun, or not), then the
    # words that say the file is cut short. (Python's decoder, cut just after a block, gives 32 KiB of its text.)
    text = _text(3, 250_000)
    packed = bz2.compress(text, 1)
    blocks = _blocks(packed)
    texts = [bz2.decompress(bzip2.one_block(packed, start, end)) for start, end in blocks]
    ends = [end for _, end in blocks]
    for cut in sorted({*range(1, len(packed), 2503), *(end // 8 + k for end in ends for k in range(-1, 12))}):
        if cut >= len(packed) - 10:  # (the stream's end whole: tested below)
            continue
        got, said = _read(packed[:cut])
        whole = b"".join(t for t, end in zip(texts, ends, strict=True) if end <= 8 * cut)
        assert (len(got), got == whole) == (len(whole), True), cut  # (a failure's message: not the whole text)
        assert [e.why for e in said] == [bzip2.CUT_SHORT], cut
    for cut in range(len(packed) - 10, len(packed)):  # (inside the stream's end and its CRC)
        got, said = _read(packed[:cut])
        assert (got == text, [e.why for e in said]) == (True, [bzip2.CUT_SHORT]), cut


def test_streams_one_after_another_zeros_between_and_bytes_after() -> None:
    first, second = bz2.compress(b"imgur.com/a/AbC1234\n"), bz2.compress(b"imgur.com/a/XyZ9876")
    empty = bz2.compress(b"")  # (a stream of no block: its end right after its header)
    assert _read(first + empty + bytes(5000) + second) == (b"imgur.com/a/AbC1234\nimgur.com/a/XyZ9876", [])
    text, said = _read(first + b"written after it by mistake " + second)
    assert text == b"imgur.com/a/AbC1234\n\nimgur.com/a/XyZ9876"  # (what follows it on a line of its own)
    assert [e.why for e in said] == ["not a bzip2 stream's header"]
    text, said = _read(first + b"trailing bytes")
    assert text == b"imgur.com/a/AbC1234\n"
    assert [e.why for e in said] == ["not a bzip2 stream's header", "no bzip2 block follows the one spoilt at byte "
                                     f"{len(first):,}"]
    assert said[1].replaces is said[0]  # (one line of both, in a scan)


def test_a_spoilt_last_block_of_a_file_cut_short_is_said_and_so_is_the_cut() -> None:
    # Both, in turn: the block's damage, then the stream's end cut off after it.
    first, last = bz2.compress(b"imgur.com/a/AbC1234\n"), bytearray(bz2.compress(_text(1, 3000)))
    last[40] ^= 0x10
    text, said = _read(first + bytes(last[:-2]))  # (inside its end's CRC)
    assert text == b"imgur.com/a/AbC1234\n"
    assert [(type(e), e.why) for e in said] == [(FileStopped, "Invalid data stream"), (ScanError, bzip2.CUT_SHORT)]


def test_a_file_spoilt_throughout_is_given_up_in_one_line_more() -> None:
    streams = [bytearray(bz2.compress(b"imgur.com/a/AbC%04d " % n * 50)) for n in range(20)]
    for stream in streams:
        stream[20] ^= 1
    _, said = _read(b"".join(streams))
    assert len(said) == MOST_SPOILT + 1
    assert all(isinstance(e, FileStopped) for e in said[:-1]) and not isinstance(said[-1], FileStopped)
    assert str(said[-1]) == ("x.bz2: cannot read on (more than 10 of its bzip2 blocks cannot be read: spoilt "
                             "throughout?); what was found before it still counts")


def test_a_block_that_makes_much_text_is_given_as_it_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Held back until checked up to HOLD bytes; past it, given as it comes (memory bounded), its check said after.
    monkeypatch.setattr(bzip2, "HOLD", 10_000)
    text = b"imgur.com/a/AbC1234 " + b"x" * 300_000 + b" imgur.com/a/XyZ9876"
    packed = bz2.compress(text) + bz2.compress(b" imgur.com/a/QwE4567")
    assert _read(packed) == (text + b" imgur.com/a/QwE4567", [])
    reader = Blocks(io.BytesIO(packed), "x.bz2")
    assert len(reader.read1(100_000)) < 20_000  # (a piece at a time, not the block's text whole)
    damaged = bytearray(packed)
    damaged[14] ^= 0x80  # (its stored CRC: the text decodes, and the check fails at its end)
    got, said = _read(bytes(damaged))
    assert got.startswith(b"imgur.com/a/AbC1234 ") and got.endswith(b"\n imgur.com/a/QwE4567")
    assert [type(e) for e in said] == [FileStopped]


def test_a_block_whose_end_is_not_found_is_given_up_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # Bytes that open as a block and go on without a magic number: said, and the next block found after them,
    # with no more than the bound and a read's worth held.
    monkeypatch.setattr(bzip2, "MOST_BLOCK", 100_000)
    second = bz2.compress(b"imgur.com/a/XyZ9876")
    junk = bytes(random.Random(4).randbytes(1_000_000).replace(b"1AY&SY", b"xxxxxx"))
    opening = bz2.compress(b"imgur.com/a/AbC1234")[:14]  # (a header, a block's magic number and CRC)
    source = io.BytesIO(opening + junk + second)
    reader = Blocks(source, "x.bz2")
    with pytest.raises(FileStopped, match=r"from byte 4 cannot be read on \(no block's end within 100,000 bytes\)"):
        reader.read1(1000)
    assert len(reader.input.data) <= 100_000 + 64 * 1024
    assert reader.read1(1000) == b"imgur.com/a/XyZ9876"


def test_a_dump_spoilt_midway_gives_the_links_of_every_other_block(tmp_path: Path) -> None:
    # Before, the scan stopped at the damage: the links of the blocks after it were lost.
    links = [f"https://i.imgur.com/D{n:06d}.jpg" for n in range(6000)]
    text = "".join(f'{{"body": "{random.Random(n).randbytes(30).hex()} {link}"}}\n' for n, link in enumerate(links))
    packed = bytearray(bz2.compress(text.encode(), 1))
    start, end = _blocks(bytes(packed))[1]
    packed[(start + end) // 16] ^= 0x08
    (tmp_path / "RC_dump.bz2").write_bytes(packed)
    result = run_main("--scan", str(tmp_path / "RC_dump.bz2"), "-g")
    assert result.code == 1, result
    found = result.out.split()
    assert found[:300] == links[:300] and found[-300:] == links[-300:]
    assert not set(found) - set(links) and len(links) - 1000 < len(found) < len(links)  # (a block's worth lost)
    assert result.err.count("error:") == 1, result.err
    assert (f"RC_dump.bz2: its bzip2 block from byte {start // 8:,} cannot be read on (Invalid data stream); what "
            "was found before it still counts, and reading goes on from the next block") in result.err, result.err


def test_a_tar_whose_bzip2_is_spoilt_stops_at_once_in_one_line() -> None:
    # A .tar.bz2 is one stream of a tar's bytes: past a lost block they cannot be told apart.
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:bz2", compresslevel=1) as tar:
        for n in range(3):
            data = b"imgur.com/a/AbC%04d " % n + _text(n, 150_000)
            info = tarfile.TarInfo(f"{n}.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    packed = bytearray(out.getvalue())
    start, end = _blocks(bytes(packed))[1]
    packed[(start + end) // 16] ^= 0x08
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(bytes(packed)), "x.tar.bz2")]
    # (every link of the first block: it holds the first 100,000 bytes, less the header, before bzip2's own RLE)
    first = re.findall(rb"imgur\.com/a/(\w+)", (b"imgur.com/a/AbC0000 " + _text(0, 150_000))[:100_000 - 512])
    assert found[:len(first) - 1] == [link.decode() for link in first[:-1]]  # (the last may be cut by the block)
    assert "AbC0002" not in found
    assert len(scanner.errors) == 1 and not isinstance(scanner.errors[0], FileStopped), scanner.errors
