"""LZ4's block format, decoded: Firefox's session files (``sessionstore.jsonlz4``, ``recovery.jsonlz4``: every open
tab's and closed tab's pages) are one block, after their own header (mozlz4).

A block is a run of sequences: a token (how many literal bytes follow, and
how long a match), the literals, then where the match starts, counted back
from the end of what is decoded (two bytes, little-endian), and the match
copied from there (it may overlap what it makes: a run). The last sequence
is literals only. Lengths of 15 and more go on in bytes of 255 until one is
less. (LZ4's "Block Format Description".) Nothing in a block is trusted: a
match that reaches back before the start, a length past the end of the block
or a block that makes more (or less) than its header said each end the
decoding there, with what was decoded before it kept.
"""

from __future__ import annotations

from dataclasses import dataclass

MOZLZ4_MAGIC = b"mozLz40\x00"
MOZLZ4_MOST = 256 * 1024 * 1024  # bytes a mozlz4 file may say it holds (a session of a few thousand tabs: ~50 MB)
_MIN_MATCH = 4


@dataclass(frozen=True, slots=True)
class Decoded:
    """What a block made, and why decoding stopped short (None: it did not)."""

    data: bytes
    stopped: str | None = None


def decoded(block: bytes, size: int, *, history: bytes = b"", exact: bool = True) -> Decoded:
    """The ``size`` bytes ``block`` makes (not ``exact``: ``size`` at the most), or what it made before it proved not
    to be such a block. ``history``: what was made before it, which its matches may copy from (a linked block of an
    lz4 frame)."""
    made = _decoded(block, size, history)
    if exact and made.stopped is None and len(made.data) != size:
        return _short(bytearray(made.data), f"{len(made.data):,} bytes where its header says {size:,}")
    return made


def _decoded(block: bytes, size: int, history: bytes) -> Decoded:
    """What ``block`` makes, ``size`` bytes at the most, its matches copying from ``history`` and what it makes."""
    out = bytearray(history)
    first = len(history)  # (where what the block makes starts in ``out``)
    made, size = first, size + first  # (len(out), kept as it grows: one call less a sequence)
    pos, end = 0, len(block)
    while pos < end:
        token = block[pos]
        pos += 1
        literals = token >> 4
        if literals == 15:
            literals, pos = _length(block, pos, 15)
        if literals:
            arrived = min(literals, end - pos)
            if made + max(arrived, 0) > size:
                return _short(out[first:], "more than its header says it holds")
            if literals < 0 or arrived < literals:  # (the literals that arrived are the data's all the same)
                return _short((out + block[pos:end] if literals > 0 else out)[first:], "cut short")
            out += block[pos:pos + literals]
            pos += literals
            made += literals
        if pos == end:  # (the last sequence: literals only)
            break
        if pos + 2 > end:
            return _short(out[first:], "cut short")
        offset = block[pos] | block[pos + 1] << 8
        match, pos = _length(block, pos + 2, token & 15)
        if match < 0:
            return _short(out[first:], "cut short")
        match += _MIN_MATCH
        if not 0 < offset <= made:
            return _short(out[first:], "a match before the start of the block")
        if made + match > size:
            return _short(out[first:], "more than its header says it holds")
        start = made - offset
        if match <= offset:
            out += out[start:start + match]
        else:  # (a run: what the match copies, it makes as it goes)
            out += (out[start:] * (match // offset + 1))[:match]
        made += match
    return Decoded(bytes(out[first:]))


def _length(block: bytes, pos: int, nibble: int) -> tuple[int, int]:
    """A length that begins as ``nibble`` (15: it goes on in the bytes from ``pos``), and where they end; -1 when the
    block ends first."""
    length = nibble
    if nibble == 15:
        while True:
            if pos >= len(block):
                return -1, pos
            more = block[pos]
            pos += 1
            length += more
            if more != 255:
                break
    return length, pos


def _short(out: bytearray, why: str) -> Decoded:
    return Decoded(bytes(out), f"not an LZ4 block: {why}")
