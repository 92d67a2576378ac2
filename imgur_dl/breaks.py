"""Markup that only says where a long word may break (HTML's ``<wbr>``): no character of the text it is in.

4chan's comments (its pages and its API's ``com``) put one every so many
characters of a long word, a link's too: ``https://imgur.com/a/AbC12<wbr>34``;
Facebook's pages one between a long link's pieces,
``https://imgur.com/a/AbC12</span><wbr /><span class="word_break"></span>34``.
Read as written, such a link ends at the ``<`` and names another album
(``AbC12``); read as the page shows it, it is whole. Each is matched as HTML
writes it, in JSON (``<\\/span>``, ``\\"``; Go's ``\\u003c``) and HTML
escaped once more (``&lt;wbr&gt;``), in any case.
"""

from __future__ import annotations

import re

_LT = rb"(?:<|\\u003c|&lt;)"
_GT = rb"(?:>|\\u003e|&gt;)"
_SLASH = rb"(?:/|\\/)"
_QUOTE = rb'(?:"|\\"|&quot;|\\u0022)'
_WBR = _LT + rb"wbr ?" + _SLASH + rb"?" + _GT
_WORD_BREAK = (_LT + _SLASH + rb"span" + _GT + _WBR + _LT + rb"span class=" + _QUOTE + rb"word_break" + _QUOTE + _GT
               + _LT + _SLASH + rb"span" + _GT)
BREAK = re.compile(rb"(?i)" + _WORD_BREAK + rb"|" + _WBR)
LONGEST = 128  # bytes, more than the longest a break is written in
_LEAD = 32  # bytes, more than a break holds before its "wbr"
# What may be the beginning of one at the end of a text read so far (the rest to come): from a '<', '&' or '\' on,
# only what a break is written with.
_BEGUN = re.compile(rb'(?i)[<&\\][a-z0-9_<>&;\\/" =]*\Z')


def removed(text: bytes, lower: bytes) -> tuple[bytes, bytes]:
    """``text`` and ``lower`` (``text`` in lower case) without their breaks. (Each is looked for around a "wbr"
    found by a search in C: a 4chan thread's thousands cost little more than text without one.)"""
    kept, last = [], 0
    at = lower.find(b"wbr")
    while at != -1:
        match = BREAK.search(lower, max(last, at - _LEAD), at + LONGEST)
        if match is not None and match.start() <= at:
            kept.append((last, match.start()))
            last = match.end()
        at = lower.find(b"wbr", max(at + 3, last))
    kept.append((last, len(text)))
    return b"".join(text[a:b] for a, b in kept), b"".join(lower[a:b] for a, b in kept)


def within(text: bytes, at: int) -> int | None:
    """Where the break that holds the byte at ``at`` begins (or what may begin one at ``text``'s end, the rest
    to come), if one does."""
    for match in BREAK.finditer(text, max(0, at - LONGEST), at + LONGEST):
        if match.start() <= at < match.end():
            return match.start()
    begun = _BEGUN.search(text, max(0, len(text) - LONGEST))
    return begun.start() if begun is not None and begun.start() <= at else None
