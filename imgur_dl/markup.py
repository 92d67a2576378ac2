"""Markup pages write inside a link's text, and around a link's text cut short: read as written, either makes a
link name another post.

Inside, no character of the text (left out before links are looked for):
4chan's comments (its pages and its API's ``com``) put a ``<wbr>`` every so
many characters of a long word, a link's too:
``https://imgur.com/a/AbC12<wbr>34``; Facebook's pages one between a long
link's pieces, ``...AbC12</span><wbr /><span class="word_break"></span>34``;
Twitter's pages show a long link's first characters and hide the rest in a
span of class ``invisible`` (copied, the link is whole; Mastodon's do the
same): ``imgur.com/gallery/holid</span><span class="invisible">ay-AbC1234``.
Read as written, such a link ends at the ``<`` and names another album
(``AbC12``, ``holid``).

Around: Twitter's ``display_url`` ends a link it shows cut short with ``…``
(``imgur.com/gallery/holid…``, its ``expanded_url`` beside it whole);
Mastodon shows the first 30 characters of one in a span of class
``ellipsis`` (the rest in another, hidden; its href whole); forums show a
long link shortened, as the text of a link to it whole: phpBB its first 39
characters, `` ... `` and its last 10
(``https://imgur.com/gallery/when-my-frien ... is-AbC1234</a>``: ``frien``
is another post); Discuz! 32 and 19, HESK 54 and 10; Hacker News its first
60 and ``...``. Bluesky's app writes one into a post's text as its host, 13
characters more and ``...`` (``imgur.com/user/SomeNam...``), the link whole
in the post's facet.

Each is matched as HTML writes it, in JSON (``<\\/span>``, ``\\"``; Go's
``\\u003c``) and HTML escaped once more (``&lt;wbr&gt;``), in any case.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator

_LT = rb"(?:<|\\u003c|&lt;)"
_GT = rb"(?:>|\\u003e|&gt;)"
_SLASH = rb"(?:/|\\/)"
_QUOTE = rb'(?:"|\\"|&quot;|\\u0022)'
_END_SPAN = _LT + _SLASH + rb"span" + _GT
_WBR = _LT + rb"wbr ?" + _SLASH + rb"?" + _GT
_WORD_BREAK = _END_SPAN + _WBR + _LT + rb"span class=" + _QUOTE + rb"word_break" + _QUOTE + _GT + _END_SPAN
_HIDDEN_REST = _END_SPAN + _LT + rb"span class=" + _QUOTE + rb"invisible" + _QUOTE + _GT
BREAK = re.compile(rb"(?i)" + _WORD_BREAK + rb"|" + _WBR + rb"|" + _HIDDEN_REST)
ANCHORS = (b"wbr", b"invisible")  # what each holds, in lower case: text without either has none
_LEAD = 64  # bytes, more than one holds before its anchor
_SPARSE = 256  # bytes a text has for each anchor, at least, for each to be looked at on its own
# What follows a link shown shortened: " ... ", its end and the end of the link whose text it is (or, after its
# "...", that end right away: as Hacker News shows a link's first 60 characters).
_END_A = _LT + _SLASH + rb"a" + _GT
_SHORTENED = re.compile(rb"(?i) \.\.\. [^\s<>\"']{1,64}?" + _END_A)
_ENDS_LINK = re.compile(rb"(?i)" + _END_A)
_ELLIPSIS_AFTER = ("\u2026".encode(), b"\\u2026")  # (Twitter's display_url; "\u2026" as JSON may escape it)
_ELLIPSIS_SPAN = rb"ellipsis" + _QUOTE + _GT  # (Mastodon's span, before the link: in lower case)
_SHOWN_FROM = re.compile(_ELLIPSIS_SPAN + rb"\Z")
_ELLIPSIS = re.compile(rb"(?i)" + _ELLIPSIS_SPAN)
# Bluesky's app writes a link into a post's text as its host, the first 13 characters of the rest and "..." (the
# link whole in the post's facet): "imgur.com/user/SomeNam..." names another user.
_BLUESKY = re.compile(rb"(?:www\.|m\.|i\.)?imgur\.(?:com|io)/\S{12}\.\.\.")
LONGEST = 128  # bytes, more than the longest of either is written in
_MARKS = (b"<", b"&", b"\\")  # what markup inside a link begins with, and the end of a link (a shortened one its text)
# What may be the beginning of either at the end of a text read so far (the rest to come): from a '<', '&' or '\'
# on, only what markup inside a link is written with; a space and up to three dots, or " ... " and a shortened
# link's end so far. (Mastodon's span, its '>' not yet read, is the first: "<span class=\"ellipsis\"".)
_BEGUN = (re.compile(rb'(?i)[<&\\][a-z0-9_<>&;\\/" =]*\Z'), re.compile(rb" (?:\.{0,3}|\.\.\. \S{0,80})\Z"))


def removed(text: bytes, lower: bytes) -> tuple[bytes, bytes]:
    """``text`` and ``lower`` (``text`` in lower case) without markup inside their words (as they are, the same
    objects, when they have none)."""
    firsts = [lower.find(anchor) for anchor in ANCHORS]
    if max(firsts) == -1:
        return text, lower
    spans = _spans(lower, firsts)
    if spans is None:  # (anchors dense: one expression over the whole text costs less)
        spans = [match.span() for match in BREAK.finditer(lower)]
    kept = list(zip([0, *(end for _, end in spans)], [*(start for start, _ in spans), len(text)], strict=True))
    return b"".join(text[a:b] for a, b in kept), b"".join(lower[a:b] for a, b in kept)


def _spans(lower: bytes, firsts: list[int]) -> list[tuple[int, int]] | None:
    """Where markup is inside ``lower``'s words, looked for around each anchor found by a search in C (from
    ``firsts``, where each anchor is first): a 4chan thread's thousands cost little more than text without one.
    None when anchors come more often than one in :data:`_SPARSE` bytes."""
    spans: list[tuple[int, int]] = []
    most = len(lower) // _SPARSE
    for count, at in enumerate(heapq.merge(*(_found(lower, a, at) for a, at in zip(ANCHORS, firsts, strict=True)))):
        if count > most:
            return None
        last = spans[-1][1] if spans else 0
        if at < last:
            continue
        match = BREAK.search(lower, max(last, at - _LEAD), at + LONGEST)
        if match is not None and match.start() <= at:
            spans.append(match.span())
    return spans


def _found(lower: bytes, anchor: bytes, at: int) -> Iterator[int]:
    """Each place ``anchor`` is in ``lower``, from ``at``, its first (-1: none)."""
    while at != -1:
        yield at
        at = lower.find(anchor, at + len(anchor))


def shortened(lower: bytes, start: int, end: int) -> bool:
    """Whether the link found at ``lower[start:end]`` (in lower case) is shown with its end cut off: before an
    ellipsis, as the text of a link to it whole, or in a Bluesky post's text."""
    return lower.startswith(_ELLIPSIS_AFTER, end) or _SHORTENED.match(lower, end) is not None or (
        lower.endswith(b"...", start, end) and (
            _ENDS_LINK.match(lower, end) is not None or _BLUESKY.fullmatch(lower, start, end) is not None))


def shown_cut_from(lower: bytes, start: int) -> bool:
    """Whether the link found at ``lower[start:]`` (in lower case) is shown cut short by what comes before it
    (Mastodon's span of class "ellipsis")."""
    return _SHOWN_FROM.search(lower, max(0, start - 32), start) is not None


def held(text: bytes, at: int) -> int | None:
    """Where the markup that holds the byte at ``at`` begins, inside a link or after a shortened one (or what
    may begin some at ``text``'s end, the rest to come), if any does: a block is not cut there."""
    near, tail = text[max(0, at - LONGEST):at + LONGEST], text[-LONGEST:]
    if not any(mark in near or mark in tail for mark in _MARKS) and b" ..." not in tail and \
            not text.endswith((b" ", b" .", b" ..")) and b"ellipsis" not in near.lower():
        return None  # (no character any of it begins with: most of the time, looked at in C)
    for whole in (BREAK, _SHORTENED, _ELLIPSIS):
        for match in whole.finditer(text, max(0, at - LONGEST), at + LONGEST):
            if match.start() <= at < match.end():
                return match.start()
    starts = [found.start() for begun in _BEGUN if (found := begun.search(text, max(0, len(text) - LONGEST)))]
    return min((start for start in starts if start <= at), default=None)
