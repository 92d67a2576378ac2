"""CBOR (RFC 8949) as ``--scan`` reads it: a Bluesky account's export (a CAR file: an AT Protocol repository, as
``com.atproto.sync.getRepo`` gives it, its records in DAG-CBOR) and IPFS's CAR files block by block; a CBOR file that
says it is one (the self-described tag, ``d9 d9 f7``, first) whole. Each text and byte string on a line of its own.

Read as bytes, CBOR lost a link in two: a short text's head is one byte, a letter for texts of 1 to 23 bytes (``e``
for five), glued to the value before it. A Bluesky post keeps each link's address in its facets, each followed by
the key ``$type`` (``e$type``: ``imgur.com/AbC1234e``), and shortens the link in its text: read as bytes, nearly
every link of an export was lost.

A CAR file (CARv1: its header's length as a varint, its header, a map of ``roots`` and ``version``; then sections,
each its length as a varint, a block's CID, the block) is read a section at a time; its blocks in DAG-CBOR (the
CID's codec ``0x71``) item by item, the others (raw, dag-pb, DAG-JSON) as they are. A CARv2 file (its pragma, then
where its CARv1 data is) is read as the CARv1 data it holds. Nothing is trusted: a section's length is bounded by
:data:`SECTION_MOST`; a string's by what holds it. A section that is not one (spoilt) makes the rest read as bytes,
and that is said; a file cut short gives what came before the cut, then stops as any input cut short does.
"""

from __future__ import annotations

from collections.abc import Iterator

from imgur_dl import snappy
from imgur_dl.errors import ScanError
from imgur_dl.reader import Pieces, Streamed, Taken, Whole

SELF_DESCRIBED = b"\xd9\xd9\xf7"  # tag 55799: "this is CBOR"
CAR_HEADER = b"\xa2eroots"  # a CARv1 header's first bytes: a map of two, its first key "roots" (DAG-CBOR's order)
CAR_V2 = b"\x0a\xa1gversion\x02"  # CARv2's pragma: its length, then {"version": 2}
SECTION_MOST = 64 * 1024 * 1024  # a CAR section's most (an AT Protocol block is 1 MiB at the most; IPFS's, 2)
MOST = 256 * 1024 * 1024  # a self-described CBOR file read whole up to this
_CAR_V2_HEADER = 40  # after its pragma: characteristics (16 bytes), then the data's offset, size, the index's offset
_DAG_CBOR = 0x71  # a CID's codec: the block is DAG-CBOR
_VARINT_MOST = 10  # bytes of a 64-bit LEB128 number
_CID_V0 = b"\x12\x20"  # a CIDv0 is a SHA-256 multihash alone: its code, its length (32)
_SEP = b"\n"


def is_car(head: bytes) -> bool:
    """Whether ``head`` opens a CAR file (v1: its header's length, then its header; or v2's pragma)."""
    if head.startswith(CAR_V2):
        return True
    length = 1 if head[:1] and head[0] < 0x80 else 2
    return head[length:length + len(CAR_HEADER)] == CAR_HEADER


def strings(data: bytes | memoryview) -> tuple[list[bytes], str | None]:
    """The text and byte strings of CBOR items one after another (an indefinite-length one's chunks joined), in
    order; and why the items stop before the end of ``data``, or are cut there (None where neither). An item's head
    says what follows it: its bytes (a string's; a number's, a float's are the head's), or the items inside it (an
    array's, a map's, a tag's), counted to tell where it ends."""
    walk = _Walk(memoryview(data))
    while walk.at < len(walk.view):
        if (stopped := walk.step()) is not None:
            return walk.pieces, stopped
    return walk.pieces, _CUT if walk.open_items.counts or walk.chunks is not None else None


class _Walk:
    """CBOR's items, an item's head at a time: the strings they hold so far."""

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.at = 0
        self.pieces: list[bytes] = []
        self.chunks: list[bytes] | None = None  # (an indefinite-length string's, while it is read)
        self.open_items = _Open()

    def step(self) -> str | None:
        """The next item's head, and a string's bytes after it; why the items stop there (None where they go on)."""
        head = self.view[self.at]
        major, info = head >> 5, head & 0x1F
        self.at += 1
        if info >= 28:
            return self._indefinite(head)
        argument = info
        if info >= 24:
            size = 1 << (info - 24)
            if self.at + size > len(self.view):
                return _CUT
            argument = int.from_bytes(self.view[self.at:self.at + size], "big")
            self.at += size
        if major in (2, 3):
            if argument > len(self.view) - self.at:
                return _CUT
            (self.chunks if self.chunks is not None else self.pieces).append(
                bytes(self.view[self.at:self.at + argument]))
            self.at += argument
            if self.chunks is None:
                self.open_items.done()
        elif self.chunks is not None:
            return "has a chunk of a string that is no string"
        elif major == 6:  # (a tag: the item it tags follows)
            self.open_items.open(1)
        elif major in (4, 5) and argument:
            self.open_items.open(argument * (2 if major == 5 else 1))
        else:
            self.open_items.done()
        return None

    def _indefinite(self, head: int) -> str | None:
        """An indefinite-length item's start (a string's, an array's, a map's), or the break that ends one."""
        if head == _BREAK and self.chunks is not None:
            self.pieces.append(b"".join(self.chunks))
            self.chunks = None
            self.open_items.done()
        elif head == _BREAK and self.open_items.indefinite():
            self.open_items.close()
        elif head in (0x5F, 0x7F) and self.chunks is None:
            self.chunks = []
        elif head in (0x9F, 0xBF) and self.chunks is None:
            self.open_items.open(-1)
        else:
            return f"has an item's head that is none there ({head:#04x})"
        return None


_BREAK = 0xFF  # what ends an indefinite-length item
_CUT = "is cut short inside an item"


class _Open:
    """The arrays, maps and tags an item is inside: how many items each has still to come (-1: until a break)."""

    def __init__(self) -> None:
        self.counts: list[int] = []

    def open(self, count: int) -> None:
        self.counts.append(count)

    def indefinite(self) -> bool:
        return bool(self.counts) and self.counts[-1] < 0

    def close(self) -> None:
        """An indefinite-length one ended (by a break): it is an item of the one it is inside."""
        self.counts.pop()
        self.done()

    def done(self) -> None:
        """An item ended: one fewer to come in the one it is inside, which may end with it."""
        while self.counts and self.counts[-1] > 0:
            self.counts[-1] -= 1
            if self.counts[-1]:
                return
            self.counts.pop()


def described(data: bytes) -> Whole:
    """A self-described CBOR file's strings, a line each; where its items stop, what came before (that is said)."""
    pieces, stopped = strings(data)
    return Whole(_SEP.join(pieces) + _SEP, cut=stopped)


class Car(Streamed):
    """A CAR file as text to scan: its DAG-CBOR blocks' strings, a line each; its other blocks as they are."""

    def text(self) -> Iterator[bytes]:
        file = self.input
        if file.take(len(CAR_V2)) == CAR_V2:  # (v2: its CARv1 data is where its header says)
            header = file.take(_CAR_V2_HEADER)
            offset = int.from_bytes(header[16:24], "little")
            size = int.from_bytes(header[24:32], "little")
            skipped = offset - len(CAR_V2) - _CAR_V2_HEADER
            if len(header) < _CAR_V2_HEADER or skipped < 0 or len(file.take(skipped)) < skipped:
                self.say("a CARv2 file whose header is not one, or cut short: not read")
                return
            file = Taken(Pieces(file.pieces(size)))  # (its index follows its data: not read)
        else:
            file.untake(len(CAR_V2))
        sections = 0
        while (length := _varint(file)) is not None:
            section = file.take(length) if 0 < length <= SECTION_MOST else b""
            if 0 < len(section) < length or (length < 0 and file.ended()):  # (the file ends inside a section)
                raise ScanError.stopped(self.name, f"the CAR file ends inside its section {sections + 1:,}: cut short")
            codec, cid = _cid(section) if sections else (_DAG_CBOR, 0)  # (its first section: its header)
            if cid is None or not section:  # (a length of none, or more than imgur-dl reads; no CID)
                self.say(f"a CAR file whose section {sections + 1:,} is not one: the rest read as bytes")
                yield from file.rest()
                return
            sections += 1
            block = memoryview(section)[cid:]
            pieces, stopped = strings(block) if codec == _DAG_CBOR else ([bytes(block)], None)
            if stopped is not None:  # (a block that is not the DAG-CBOR its CID says: read as it is)
                pieces.append(bytes(block))
            yield self.bound.add(_SEP.join(pieces) + _SEP, self.taken())


def _varint(file: Taken) -> int | None:
    """An unsigned LEB128 number (a section's length): -1 where it is none (cut, or longer than ten bytes); None
    where the file ends before one."""
    data = file.take(_VARINT_MOST)
    value, end = snappy.varint(data, 0, bits=64)
    file.untake(len(data) - end)
    return None if not data else value


def _cid(section: bytes) -> tuple[int, int | None]:
    """A section's CID: its codec, and where the block after it starts (None where it is no CID)."""
    if section.startswith(_CID_V0):
        return 0x70, 34  # (dag-pb's, with its SHA-256)
    numbers, at = [], 0
    for _ in range(4):  # (its version, codec, its multihash's code and length)
        value, at = snappy.varint(section, at, bits=64)
        numbers.append(value)
    version, codec, _, digest = numbers
    end = at + digest
    return (codec, end) if version == 1 and min(numbers) >= 0 and end <= len(section) else (0, None)
