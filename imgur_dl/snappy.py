"""Snappy's raw format, decoded: how LevelDB compresses the blocks of its tables (a browser's local storage and
IndexedDB, an Electron app's: :mod:`imgur_dl.leveldb`).

A block opens with the length it makes (a varint), then elements, each
opened by a tag byte whose low two bits say which: literal bytes (their
count less one in the tag's other six bits, or, past 59, in the 1 to 4
bytes after it), or a copy of what was decoded before, from an offset back
(one, two or four bytes after the tag) of a length the tag holds (a copy may
overlap what it makes: a run). (Snappy's "format_description.txt".) Nothing
in a block is trusted: an offset before the start, an element cut short, or
more (or less) than the block said it makes each end the decoding there,
with what was decoded before it kept.
"""

from __future__ import annotations

from imgur_dl.lz4block import Decoded

MOST = 256 * 1024 * 1024  # bytes a block may say it makes (LevelDB's hold a few KiB, a large value's a few MiB)


def decoded(block: bytes) -> Decoded:
    """What ``block`` makes, or what it made before it proved not to be a block of Snappy's."""
    size, pos = varint(block, 0)
    if size < 0:
        return Decoded(b"", "not a Snappy block: its length is cut short")
    if size > MOST:
        return Decoded(b"", f"not a Snappy block: it says it makes more than {MOST // 2**20} MiB")
    made = _elements(block, pos, size)
    if made.stopped is None and len(made.data) != size:
        return _short(bytearray(made.data), "less than its length says it makes")
    return made


def _elements(block: bytes, pos: int, size: int) -> Decoded:
    """What the elements of ``block`` from ``pos`` make, ``size`` bytes at the most."""
    out, end, made = bytearray(), len(block), 0  # (made: len(out), kept as it grows)
    while pos < end:
        tag = block[pos]
        kind = tag & 3
        if kind == 0:
            length, pos = (tag >> 2) + 1, pos + 1
            if length > 60:  # (its length in the bytes after its tag)
                length, pos = _literal_length(block, pos, tag >> 2)
            if length < 0 or made + length > size:
                return _short(out, "cut short" if length < 0 else "more than its length says it makes")
            out += block[pos:pos + length]  # (the literals that arrived, if the block ends first, are its all the same)
            if pos + length > end:
                return _short(out, "cut short")
            pos += length
            made += length
            continue
        if kind == 1 and pos + 2 <= end:  # (the most common: its length 4 to 11, its offset's high 3 bits in its tag)
            offset, length, pos = (tag >> 5) << 8 | block[pos + 1], 4 + (tag >> 2 & 7), pos + 2
        else:
            offset, length, pos = _copy(block, pos, tag)
        if not 0 < offset <= made:
            return _short(out, "cut short" if offset < 0 else "a copy from before the start of the block")
        if made + length > size:
            return _short(out, "more than its length says it makes")
        start = made - offset
        if length <= offset:
            out += out[start:start + length]
        else:  # (a run: what it copies it makes as it goes)
            out += (out[start:] * (length // offset + 1))[:length]
        made += length
    return Decoded(bytes(out))


def _copy(block: bytes, pos: int, tag: int) -> tuple[int, int, int]:
    """The copy whose tag is at ``pos``: its offset (-1: cut short), length, and where it ends."""
    width = (1, 2, 4)[(tag & 3) - 1]
    if pos + 1 + width > len(block):
        return -1, 0, len(block)
    offset = int.from_bytes(block[pos + 1:pos + 1 + width], "little")
    if tag & 3 == 1:  # (a short one: its length 4 to 11, and the offset's high 3 bits, in the tag)
        return (tag >> 5) << 8 | offset, 4 + (tag >> 2 & 7), pos + 1 + width
    return offset, 1 + (tag >> 2), pos + 1 + width


def varint(data: bytes, pos: int, *, bits: int = 32) -> tuple[int, int]:
    """The varint at ``pos`` (seven bits a byte, the low ones first) and where it ends; -1 when it is cut short or
    longer than ``bits`` need."""
    value = 0
    for shift in range(0, bits + 6, 7):
        if pos >= len(data):
            return -1, pos
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
    return -1, pos


def _literal_length(block: bytes, pos: int, upper: int) -> tuple[int, int]:
    """A literal's length, from its tag's upper six bits (``upper``) and, past 59, the bytes after it."""
    if upper < 60:
        return upper + 1, pos
    width = upper - 59
    if pos + width > len(block):
        return -1, pos
    return int.from_bytes(block[pos:pos + width], "little") + 1, pos + width


def _short(out: bytearray, why: str) -> Decoded:
    return Decoded(bytes(out), f"not a Snappy block: {why}")
