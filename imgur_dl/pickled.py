"""A Python pickle (protocol 2 to 5: the ``PROTO`` opcode first) as ``--scan`` reads it: each text and bytes value it
holds on a line of its own.

Read as bytes, a pickle of protocol 2 or 3 (Python 2's, and Python 3's before 3.8: a scraper's cache, ``shelve``'s
values, a pandas frame of those years) lost a link in two: each text is followed by the opcode that keeps it in the
memo, ``q`` and its index, glued to its last character (``imgur.com/AbC1234q``). Its opcodes are read here by the
standard library's :func:`pickletools.genops`, which walks them one by one without running any: nothing is imported,
nothing called, no object made. A file of pickles one after another (``pickle.dump`` called again and again, as a
log of records is kept) is read to its end; what follows a pickle that is not one (spoilt, another format) is read
as bytes, and that is said; one cut short stops there, as any input cut short does. A value longer than
:data:`VALUE_MOST` is not read.
"""

from __future__ import annotations

import pickletools
from collections.abc import Iterator
from typing import IO, cast

from imgur_dl.errors import ScanError
from imgur_dl.reader import Streamed, Taken

MAGIC = tuple(b"\x80" + bytes([protocol]) for protocol in range(2, 6))  # PROTO, and the protocol's number
VALUE_MOST = 256 * 1024 * 1024  # the longest value read (pickle's own limit is 2**63: a length claimed, not held)
_SEP = b"\n"


class Damaged(ValueError):
    """A value longer than imgur-dl reads, or the file ends inside one."""


class Pickle(Streamed):
    """A file of pickles as text to scan: their text and bytes values, a value a line (genops's arguments: the
    modules and names of the classes it names too)."""

    def text(self) -> Iterator[bytes]:
        pickles = 0
        try:
            while not self.input.ended():
                for _, value, _ in pickletools.genops(cast(IO[bytes], _Opcodes(self.input))):
                    if isinstance(value, str):
                        yield self.bound.add(value.encode("utf-8", "surrogatepass") + _SEP, self.taken())
                    elif isinstance(value, (bytes, bytearray)):
                        yield self.bound.add(bytes(value) + _SEP, self.taken())
                pickles += 1
        except ValueError as exc:  # (genops's word for opcodes that are not a pickle's, and for a file cut short)
            where = f"after its {pickles:,} pickles whole" if pickles else "in its first pickle"
            if self.input.ended():
                raise ScanError.stopped(self.name, f"the pickle ends {where} ({exc}): cut short") from None
            self.say(f"a Python pickle that stops being one {where} ({exc}): the rest read as bytes")
            yield from self.input.rest()


class _Opcodes:
    """What genops reads a pickle with: its opcodes and their values' bytes, and the lines of its text opcodes
    (protocol 0's), each bounded by :data:`VALUE_MOST`."""

    def __init__(self, file: Taken) -> None:
        self.file = file

    def read(self, size: int = -1, /) -> bytes:
        if not 0 <= size <= VALUE_MOST:
            raise Damaged(f"a value of {size:,} bytes, longer than imgur-dl reads")
        return self.file.take(size)

    def tell(self) -> int:  # (where genops says an opcode is)
        return self.file.count - len(self.file.held) + self.file.at

    def readline(self) -> bytes:
        line = self.file.line(VALUE_MOST)
        if not line.endswith(b"\n") and len(line) >= VALUE_MOST:
            raise Damaged(f"a line longer than imgur-dl reads ({VALUE_MOST:,} bytes)")
        return line
