"""A set of 64-bit hashes in one flat array: every path a run gives out, without an object for each.

A Python set of ints keeps a 32-byte int object and a slot of 16 bytes or
more for each, and ints made one at a time through a long run pin the
memory they were made in long after the objects made beside them are gone:
through a 30,000-file album the set of its paths' hashes cost about 3.5 MB
of peak memory (docs/benchmarks.md, "Paths given out, kept in one array").
Here each hash is 8 bytes in an array kept at most half full (open
addressing, linear probing), and nothing else is allocated for it.
"""

from __future__ import annotations

from array import array

_EMPTY = 0  # an empty slot
_UNSIGNED = (1 << 64) - 1
_FIRST = 64  # slots to start with (512 bytes: a run of one image needs no more)
# A key's first slot is taken from the top bits of the key times this (2**64 over the golden ratio: Knuth's
# multiplicative hashing), which every bit of the key moves: keys alike in their low bits do not pile up.
_SPREAD = 0x9E3779B97F4A7C15


class HashSet:
    """Membership of 64-bit hashes (Python's ``hash()``, signed); two that fall together are one. One thread adds;
    any may ask."""

    def __init__(self) -> None:
        self._slots = _slots(_FIRST)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, value: int) -> bool:
        key = _key(value)
        return self._slots[_probe(self._slots, key)] == key

    def add(self, value: int) -> bool:
        """Add ``value``; whether it was not there before."""
        if 2 * (self._count + 1) > len(self._slots):
            self._grow()
        key = _key(value)
        at = _probe(self._slots, key)
        if self._slots[at] == key:
            return False
        self._slots[at] = key
        self._count += 1
        return True

    def _grow(self) -> None:
        # (the larger array filled before it is put in place: a thread that reads as one adds finds every value
        # added before, in one array or the other)
        slots = _slots(2 * len(self._slots))
        for key in self._slots:
            if key != _EMPTY:
                slots[_probe(slots, key)] = key
        self._slots = slots


def _slots(count: int) -> array[int]:
    return array("Q", bytes(8 * count))


def _key(value: int) -> int:
    """``value`` as an unsigned 64-bit key; 0 marks an empty slot, so a hash of 0 is kept as 1 (two hashes
    that fall together cost a path an id in its name, as any two alike do)."""
    return (value & _UNSIGNED) or 1


def _probe(slots: array[int], key: int) -> int:
    """Where ``key`` is in ``slots``, or the empty slot where it would go (slots: a power of two, never
    full)."""
    mask = len(slots) - 1
    at = ((key * _SPREAD) & _UNSIGNED) >> (65 - len(slots).bit_length())
    while slots[at] != _EMPTY and slots[at] != key:
        at = (at + 1) & mask
    return at
