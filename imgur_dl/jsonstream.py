"""JSON decoded as :func:`json.loads` decodes bytes, as they arrive, one list's items handed on as they are read.

An album's answer is one object whose ``media`` list may hold 100,000
items: tens of megabytes of text. Read whole and decoded whole, the answer's
bytes, its text and every item's dictionary live at once. Here the answer is
decoded as its chunks arrive: the top-level object is walked key by key with
the standard decoder over a window of text that grows at the end as chunks
come and is let go of at the front as values are read, and each item of the
named list is handed to a collector as soon as it is decoded, so only what
the collector keeps of it is kept. Anything else decodes as :func:`json.loads`
would (the encoding found as it finds it), and what it refuses is refused
here too (:class:`ValueError`).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

_WHITE = " \t\n\r"
_SPACE = re.compile(f"[{_WHITE}]*")
_NUMBER_TAIL = re.compile(r"[0-9.eE+-]*")  # what may still follow a number's digits
_DECODER = json.JSONDecoder()
_KEEP = 64 * 1024  # text already read that is let go of once there is this much of it
# Characters no JSON text may hold raw, where the decoder may stop at them: in a string, or between tokens (the
# white space \t, \n and \r is skipped before any token, never stopped at). Text read later cannot mend them.
_NEVER = frozenset(map(chr, range(0x20)))
# How far past where the decoder stopped it may have looked: the longest word it reads (``-Infinity``), with room
# to spare. Stopped further back from the end of what has arrived, and not at a string still open ('"'), it
# stopped at what no later text can mend (a page of HTML: at its first '<').
_REACH = 16


class Collector(Protocol):
    """Where the items of the named list go, each as soon as it is decoded."""

    def add(self, item: object, position: int) -> None:
        """Take one item (``position`` from 1); raising ends the decoding."""


def load(chunks: Iterable[bytes], key: str | None = None, collector: Callable[[], Collector] | None = None) -> object:
    """``json.loads(b"".join(chunks))``, read as the chunks come, except that the list at ``key`` of a
    top-level object is a new ``collector()`` given each of its items in turn, not a list (without ``key``,
    nothing is collected: the text is only refused as soon as it cannot be JSON)."""
    window = _Window(iter(chunks))
    first, i = _char(window, 0)
    if first != "{":
        value, i = _value(window, i)
    else:
        value, i = _object(window, i, key, collector)
    _end(window, i)
    return value


class _Window:
    """The answer's text as it arrives: read on at the end, let go of at the front."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._decoder: codecs.IncrementalDecoder | None = None
        self._head = b""  # the first bytes, until there are enough to tell the encoding from
        self.text = ""
        self.ended = False

    def more(self, at_least: int = 1) -> bool:
        """Read on until ``at_least`` more characters are held (fewer at the end); False when none came."""
        parts: list[str] = []
        held = 0
        while not self.ended and held < at_least:
            chunk = next(self._chunks, None)
            part = self._decoded(chunk if chunk is not None else b"", final=chunk is None)
            self.ended = chunk is None
            parts.append(part)
            held += len(part)
        if held:
            self.text = "".join([self.text, *parts])
        return held > 0

    def drop(self, i: int) -> int:
        """Let go of the text before ``i`` (when there is enough of it); ``i``'s place in what is kept."""
        if i < _KEEP:
            return i
        self.text = self.text[i:]
        return 0

    def _decoded(self, chunk: bytes, *, final: bool) -> str:
        if self._decoder is None:
            self._head += chunk
            if len(self._head) < 4 and not final:  # json.detect_encoding looks at the first four bytes
                return ""
            self._decoder = codecs.getincrementaldecoder(json.detect_encoding(self._head))("surrogatepass")
            chunk, self._head = self._head, b""
        return self._decoder.decode(chunk, final)


def _skip(window: _Window, i: int) -> int:
    """Past the white space from ``i``, reading on as it needs: where the next character is, or the
    text's length when only white space was left."""
    while True:
        match = _SPACE.match(window.text, i)  # (never None: it matches the empty string too)
        i = match.end() if match else i
        if i < len(window.text) or not window.more():
            return i


def _char(window: _Window, i: int) -> tuple[str, int]:
    """The first character at or past ``i`` that is not white space, and where it is."""
    i = _skip(window, i)
    if i == len(window.text):
        raise ValueError("unexpected end of the JSON text")
    return window.text[i], i


def _value(window: _Window, i: int) -> tuple[object, int]:
    """The value starting at ``text[i]``, and where it ends; read on until it is whole."""
    while True:
        try:
            value, end = _DECODER.raw_decode(window.text, i)
        except json.JSONDecodeError as exc:
            # Read on (doubling what is held: a long value costs O(n)), unless no later text can mend it: the
            # decoder stopped at a raw control character that has arrived, or at what lies well before the end
            # of what has arrived and opens no string.
            if _unmendable(window.text, exc.pos) or not window.more(max(len(window.text) - i, 1)):
                raise
            continue
        if window.ended or not _may_go_on(value, window.text, end) or not window.more():
            return value, end


def _unmendable(text: str, stop: int) -> bool:
    """Where the decoder stopped, at ``stop``, nothing the text goes on with can change what it met there."""
    met = text[stop:stop + 1]
    return met in _NEVER or (stop + _REACH < len(text) and met != '"')


def _may_go_on(value: object, text: str, end: int) -> bool:
    """A number whose text runs to the end of what has arrived may go on in the next chunk ("12" of
    "1234", "1.5" of "1.5e3"); any other value ends where its own text says."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and bool(_NUMBER_TAIL.fullmatch(text, end))


def _object(window: _Window, i: int, key: str | None,
            collector: Callable[[], Collector] | None) -> tuple[object, int]:
    """The top-level object starting at ``text[i]`` ('{'), ``key``'s list collected; and where it ends."""
    result: dict[str, object] = {}
    char, i = _char(window, i + 1)
    if char == "}":
        return result, i + 1
    while True:
        if window.text[i] != '"':
            raise ValueError("a key was expected")
        name, i = _value(window, i)
        char, i = _char(window, i)
        if char != ":":
            raise ValueError("':' was expected")
        char, i = _char(window, i + 1)
        if collector is not None and name == key and char == "[":
            result[str(name)], i = _list(window, i, collector())
        else:
            result[str(name)], i = _value(window, i)
        ended, i = _after(window, i, "}")
        if ended:
            return result, i


def _list(window: _Window, i: int, into: Collector) -> tuple[Collector, int]:
    """The list starting at ``text[i]`` ('['), its items given to ``into``; and where it ends."""
    char, i = _char(window, i + 1)
    if char == "]":
        return into, i + 1
    position = 0
    while True:
        item, i = _value(window, i)
        position += 1
        into.add(item, position)
        del item
        ended, i = _after(window, i, "]")
        if ended:
            return into, i


def _after(window: _Window, i: int, close: str) -> tuple[bool, int]:
    """Past a member or an item ending at ``i``: (True, past the ``close`` that ends them) or (False, where
    the next one starts). What was read before it is let go of."""
    i = window.drop(i)
    text = window.text
    if text.startswith(",", i):  # the next one found without a search when at most one space follows the comma
        start = i + 2 if text.startswith(" ", i + 1) else i + 1  # (as JSON is mostly written)
        if start < len(text) and text[start] not in _WHITE:
            return False, start
    char, i = _char(window, i)
    if char == close:
        return True, i + 1
    if char != ",":
        raise ValueError(f"',' or '{close}' was expected")
    return False, _char(window, i + 1)[1]


def _end(window: _Window, i: int) -> None:
    """Nothing but white space is left past ``i``."""
    if _skip(window, i) < len(window.text):
        raise ValueError("extra data after the JSON value")
