"""JSON decoded as :func:`json.loads` does, but with one list turned into results as it is read.

An album's answer is one object whose ``media`` list may hold 100,000
items. Decoded whole, every item's dictionary lives until the last one is
made, beside the text: a few times the answer's size. Here the top-level
object is walked key by key with the standard decoder, and each item of the
named list is handed to ``convert`` as soon as it is decoded and let go, so
only the results are kept. Anything else decodes as :func:`json.loads`
would, and what it refuses is refused here too (:class:`ValueError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def loads(text: str, key: str, convert: Callable[[object, int], object]) -> object:
    """``json.loads(text)``, the list at ``key`` of a top-level object converted item by item
    (``convert(item, position)``, positions from 1)."""
    try:
        return _top(text, key, convert)
    except IndexError:
        raise ValueError("unexpected end of the JSON text") from None


def _top(text: str, key: str, convert: Callable[[object, int], object]) -> object:
    i = _skip(text, 0)
    if not text.startswith("{", i):
        return json.loads(text)  # not an object: nothing to convert
    result: dict[str, object] = {}
    i = _skip(text, i + 1)
    if text[i] != "}":
        while True:
            if text[i] != '"':
                raise ValueError(f"a key was expected at {i}")
            name, i = _DECODER.raw_decode(text, i)
            i = _skip(text, i)
            if text[i] != ":":
                raise ValueError(f"':' was expected at {i}")
            i = _skip(text, i + 1)
            if name == key and text[i] == "[":
                result[name], i = _list(text, i, convert)
            else:
                result[name], i = _DECODER.raw_decode(text, i)
            i = _skip(text, i)
            if text[i] == "}":
                break
            if text[i] != ",":
                raise ValueError(f"',' or '}}' was expected at {i}")
            i = _skip(text, i + 1)
    if _skip(text, i + 1) != len(text):
        raise ValueError(f"extra data after the object, at {i + 1}")
    return result


def _list(text: str, i: int, convert: Callable[[object, int], object]) -> tuple[list[object], int]:
    """The list starting at ``text[i]`` ('['), its items converted; and where it ends."""
    items: list[object] = []
    i = _skip(text, i + 1)
    if text[i] == "]":
        return items, i + 1
    while True:
        item, i = _DECODER.raw_decode(text, i)
        items.append(convert(item, len(items) + 1))
        del item
        i = _skip(text, i)
        if text[i] == "]":
            return items, i + 1
        if text[i] != ",":
            raise ValueError(f"',' or ']' was expected at {i}")
        i = _skip(text, i + 1)


def _skip(text: str, i: int) -> int:
    """Past the white space JSON allows, from ``i``."""
    match = _SPACE.match(text, i)
    return match.end() if match else i
