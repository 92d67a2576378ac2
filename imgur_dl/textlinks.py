"""Imgur links in a block of text, in whatever dress they wear, undressed, and the targets they name.

A fast search for ``imgur`` finds the places worth a closer look; around
each, one expression takes the link in whatever dress it wears (plain,
Markdown, HTML attributes with entities, JSON with ``\\/`` or ``\\u002F``,
percent-encoded inside another link or as it is there), which is then
undressed and handed to :func:`imgur_dl.urls.parse_all`: only what that
accepts is ever returned, so nothing that is not an Imgur link can be.
Markup a page puts inside a long word (``<wbr>``, a hidden rest:
:mod:`imgur_dl.markup`) is left out first. Text in quoted-printable is read
a second time, decoded (:func:`read_twice`). How a file is read into blocks,
and which targets are new, is :mod:`imgur_dl.scan`'s.
"""

from __future__ import annotations

import binascii
import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from urllib.parse import unquote

from imgur_dl import markup
from imgur_dl.errors import UsageError
from imgur_dl.mail import quoted_beyond, rewritten
from imgur_dl.models import Kind, Target
from imgur_dl.urls import parse_all

MAX_LINK = 2048  # the longest link taken; a longer one is cut there (and then, most likely, refused)
BEFORE = 96  # bytes before "imgur" where a link's scheme may start (an encoded one is longest)

_REWRITING_MOST = 256  # bytes before "imgur" where a mail gateway's host is, when it rewrote the link

# '/' and ':' as text may write them: plain, JSON's "\/" and "\u002F" (as scripts in saved web pages hold
# their data, every '/' escaped; JavaScript's "\x2F" too; "\\/" where that JSON was written into a string again: a
# MySQL dump's JSON column, JSON inside JSON), percent-encoded (once or twice), HTML's numeric entities.
_SEP = rb"(?:/|\\+/|\\u002[fF]|\\x2[fF]|%(?:25)?2[fF]|&#0*47;|&#[xX]0*2[fF];)"
_COLON = rb"(?::|\\u003[aA]|\\x3[aA]|%(?:25)?3[aA]|&#0*58;|&#[xX]0*3[aA];)"
_BARE_LINK = (
    rb"(?:(?i:https?)" + _COLON + _SEP + _SEP + rb")?"
    rb"(?i:(?:www\.|m\.|i\.)?imgur\.(?:com|io))(?![A-Za-z0-9-]|\.[A-Za-z0-9])"
    rb"(?:" + _COLON + rb"(?:80|443)(?![0-9]))?"  # (the port, as the Wayback Machine's index writes it: ":80")
    rb"(?:" + _SEP + rb"(?:[A-Za-z0-9._~:/?#@!$&*+,;=%-]|\\+/|\\u002[fF]|\\x2[fF]|\\u0026|\\_)"  # (an '&' as Go and
    rb"{0," + str(MAX_LINK).encode() + rb"})?"  # .NET write one in JSON, "\u0026"; a '_' as Markdown escapes one, "\_")
)
# Not the middle of another word, host or path; but right after an escape that writes a character apart: JSON's
# "\n", "\t", ... and "\u<code>" ("Look:\n\nhttps://imgur.com/...", a Reddit dump's bodies; "\u003e" ends a tag in
# HTML as Go writes it in JSON; JavaScript's "\x3e"), or a character encoded in another link's query
# ("text=Look%0Ahttps%3A%2F%2F..."); '/' so written ("\u002F", "\x2F", "%2F") is still a path's. A link that begins
# with its scheme may follow anything but a '/' or a '%': "Look at this...https://...", Markdown's "__https://...__",
# a word it was glued to ("seehttps://..."), a marker byte of a format that writes a text right after it (pickle's
# first protocol: "Vhttps://..."): no host or path goes on into a scheme.
_LINK = re.compile(
    rb"(?:(?<![A-Za-z0-9._%/-])|(?<=\\[nrtbf])|(?<=\\u(?!002[fF])[0-9a-fA-F]{4})|(?<=\\x(?!2[fF])[0-9a-fA-F]{2})"
    rb"|(?<=%(?!2[fF])[0-9a-fA-F]{2})|(?<=%25(?!2[fF])[0-9a-fA-F]{2})|(?<=[A-Za-z0-9._-])(?=(?i:https?)" + _COLON
    + rb"))"
    + _BARE_LINK)
_WRAPPED_LINK = re.compile(_BARE_LINK)
# What wraps a link in a web archive's own (in lower case): the Wayback Machine's web/<time>[*][<modifier>_]/,
# archive.today's (archive.ph, .is, ...) with its newest/, oldest/ or a capture's time; and Discord's media proxy
# (external/<signature>/[<query>/]<scheme>/, the link after it without its "://": a chat export's embeds); Google's
# AMP viewer (google.com/amp/s/<link without its scheme>) and AMP cache (<host>.cdn.ampproject.org/<content type>/
# [s/]<link without its scheme>, as Google's "AMP Cache URL format" lays it out), as phones shared links; and the
# "//" of a link relative to its page's scheme. A link after one is taken whole, though another site's path is
# never where a link is taken from (but Amazon SES's: _TRACKER).
_WRAPPER = re.compile(
    rb"(?:(?<![a-z0-9._%/-])(?:https?://)?(?:"  # (the archive's own host: another site's path is no archive)
    rb"(?:(?:web|wayback)\.)?archive\.org/web/[0-9]{0,14}\*?(?:[a-z]{2}_)?/"
    rb"|archive\.(?:today|ph|is|li|vn|fo|md)/(?:newest/|oldest/|[0-9]{14}/|[0-9]{4}\.[0-9]{2}\.[0-9]{2}-[0-9]{6}/)?"
    rb"|(?:images-ext-[0-9]|media)\.discordapp\.net/external/[a-z0-9_-]{1,100}/(?:%3f[^/\s]{0,300}/)?https?/"
    rb"|(?:www\.)?google\.[a-z]{2,3}(?:\.[a-z]{2})?/amp/(?:s/)?"
    rb"|[a-z0-9-]{1,100}\.cdn\.ampproject\.org/[a-z]/(?:s/)?"
    rb")"
    # (And a link without its scheme, as HTML writes one, src="//i.imgur.com/...", and JSON "\/\/i.imgur.com\/...".)
    rb"|(?<![a-z0-9._%/:\\-])(?://|\\/\\/)"
    rb")\Z")
_WRAPPER_MOST = 512  # bytes a wrapper takes before the link, at the most
# The part of each wrapper's host found by a search in C, and how far before it the wrapper may start (its scheme
# and first labels): the expression is then tried from there, not at each of 512 places (64 us a link, not 11).
_WRAPPER_HOSTS = ((b"archive.", 16), (b"discordapp.net/", 24), (b"google.", 16), (b"ampproject.org/", 120))
# What Amazon SES's click tracking writes before a link, as e-mails sent through it carry their links: its host, or
# the sender's own domain for it (Reddit's "click.redditmail.com"), then L0/ or CL0/ and the link, encoded, then the
# rest of its own ("<host>/L0/https:%2F%2Fimgur.com%2Fa%2F.../1/<message>/<signature>"). Looked for only after "l0/".
_TRACKER = re.compile(rb"(?<![a-z0-9._%/-])(?:https?://)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/c?l0/\Z")
_SLASH = ord("/")
_ENCODED = re.compile(r"(?i)^(?:https?(?::|%(?:25)?3a))?%(?:25)?2f%(?:25)?2f|^(?:[a-z.]*imgur\.(?:com|io))%(?:25)?2f")
# A '/' encoded: a link written so whose path's own are, past its "//", ends at the first that is not (the rest of
# the link it was in: Amazon SES's click tracking writes its own after it, "https:%2F%2Fimgur.com%2Fa%2F.../1/...").
_ENCODED_SLASH = re.compile(r"(?i)%(?:25)?2f")
_TRAILING = ".,;:!?'\")]}>*"
_JSON_ESCAPE = re.compile(r"\\+/|(?i:\\u002f|\\u003a|\\x2f|\\x3a)|\\u0026|\\_")
# A link written with none of what an entity, an escape, an encoded character, a field's end or a character no link
# holds begins with: undressed, it is itself (but for what ends a sentence around it), unless another begins in it.
_PLAIN = re.compile(r"[^&+\\%,;\s\"'<>`{}|^\[\]]*")
_NOT_IN_A_LINK = re.compile(r"[\s\"'<>`{}|\\^\[\]]")
_UNESCAPED = {"\\/": "/", "\\u002f": "/", "\\u003a": ":", "\\x2f": "/", "\\x3a": ":", "\\u0026": "&", "\\_": "_"}
# Where a row of a CSV export, or links run together, go on to the next link: a ',' or ';' before a scheme or an
# Imgur host, or a scheme glued to the link before it (scraped text: "...AbC1234https://..."). (Not every ',':
# imgur.com/AbC1234,XyZ9876 is one link, of two images.)
_NEXT_LINK = re.compile(r"[,;]+(?=(?i:https?:|(?:www\.|m\.|i\.)?imgur\.(?:com|io)(?![a-z0-9-])))|(?<=.)(?=(?i:https?://))")
# Where a link that names nothing as it is may end: a field's end (not URL Defense's "__;<signature>!!", met where
# its host was cut by a line's wrapping), or an encoded character no Imgur id holds ("imgur.com/a/AbC1234%20").
_RUN_ON = re.compile(r",|(?<!__);|(?<=__);(?![A-Za-z0-9_-]*!!)|%")
# A field of a CSV row after a link, ',' between (a bookmark's folder, "imgur.com/AbC1234,Memes"; a title's first
# word; a count, ",12345"), reads as an image of Imgur's old form of several in one link ("imgur.com/AbC1234,XyZ98"):
# an image's id is random letters and digits, seldom a word or a number (one 5-character id in 40, one 7-character
# id in 220, is written so).
_FIELD_LIKE = re.compile(r"[A-Z]?[a-z]+|[0-9]+")
# The entities phpBB 3.0 writes for a '.' and a ':' in its posts' BBCode (its "bbcode_specialchars"; whoever reads its
# database writes them back: str_replace(array('&#58;', '&#46;'), array(':', '.'), ...)).
_PHPBB_ENTITY = re.compile(rb"&#(46|58);")
# XenForo's own BBCode for a link to Imgur a post was given: the tag and what the link named, an image's id or an
# album's ("[MEDIA=imgur]a/kaD578M[/MEDIA]", as its forums' users write them, and converters from other forums).
_XENFORO_MEDIA = re.compile(rb"(?i)(\[media=imgur\])((?:a/|gallery/)?[a-z0-9]{5,10}\[/media\])")
# From a URL Defense link's host to a place inside the link it wrote (version 3: "urldefense.com/v3/__<link>__;").
_INSIDE_V3 = re.compile(rb"urldefense(?:\.proofpoint)?\.com/v3/__[^\s\"'<>]*")
# A link as a page shows it, cut short: its end named by what may come of it is no link of its own (the
# "imgur.com/gallery/holid" of "holiday-AbC1234" names another post, "holid"); :mod:`imgur_dl.markup` knows how
# pages show one.
CUT = "\u2026"  # what a link found cut short ends with, as it is given out: no Imgur link holds one


def links(text: bytes, lower: bytes | None = None, *, rewritings: bool = True) -> list[str]:
    """Every Imgur link in ``text`` (one block), undressed, in order, then those a mail gateway rewrote, as they
    were (with ``rewritings``); repeats included (``lower``: the text in lower case, when it is at hand). A link
    shown cut short ends with :data:`CUT`."""
    lower = text.lower() if lower is None else lower
    if b"&#" in lower:  # (phpBB 3.0 keeps each '.' and ':' of a link in its posts as an entity: "imgur&#46;com")
        text, lower = (_PHPBB_ENTITY.sub(_character, part) for part in (text, lower))
    if b"[media=imgur]" in lower:  # (XenForo keeps a link to Imgur in its posts as its id alone)
        text, lower = (_XENFORO_MEDIA.sub(rb"\1https://imgur.com/\2", part) for part in (text, lower))
    text, lower = markup.removed(text, lower)  # (markup inside a word, a link's too: none of it)
    found, rewriting = [], False
    at = lower.find(b"imgur.")
    while at != -1:
        match = _link_at(text, lower, at)
        end = at + 6
        # (A gateway's rewriting names its own host shortly before a link it hides: looked for only there.)
        gateway = lower.rfind(b"urldefense", max(0, at - _REWRITING_MOST), at)
        rewriting = rewriting or gateway != -1
        if match is not None:
            start, end = match.span()
            if end - start >= MAX_LINK and (glued := lower.rfind(b"http", start + 1, end)) > at:
                end = glued  # (links glued together past the longest taken: the last, cut there, read again whole)
            # A link URL Defense wrote between "__" and "__;" (version 3) is read as it was written, below: what
            # is there runs into the gateway's own signature ("imgur.com/user/Name__;!!AbC"), no link's end.
            if gateway == -1 or not _INSIDE_V3.fullmatch(lower, gateway, start):
                pieces = undressed(text[start:end].decode("ascii", "replace"))
                if pieces and markup.shortened(lower, start, end):
                    pieces[-1] += CUT
                if pieces and markup.shown_cut_from(lower, start):
                    pieces[0] += CUT
                found.extend(pieces)
        at = lower.find(b"imgur.", end)
    for written in rewritten(text, lower) if rewriting and rewritings else ():
        found.extend(links(written, rewritings=False))  # (a rewriting inside it is undone already)
    return found


def _character(entity: re.Match[bytes]) -> bytes:
    return b"." if entity[1] == b"46" else b":"


def _link_at(text: bytes, lower: bytes, at: int) -> re.Match[bytes] | None:
    """The link whose host has ``imgur`` at ``at``, if one does: tried from its scheme, else from its host.

    Only a few anchored matches per place, so text full of the word costs
    little more than text without it.
    """
    if not lower.startswith((b"com", b"io"), at + 6):
        return None
    start = max(0, at - BEFORE)
    scheme = lower.rfind(b"http", start, at)
    end = min(len(text), at + MAX_LINK + BEFORE)
    starts = ((scheme,) if scheme != -1 else ()) + (at - 4, at - 2, at)
    for pos in starts:
        if pos < 0:
            continue
        match = _LINK.match(text, pos, end)
        if match is not None and match.end() > at:
            return match
    for pos in starts:  # (inside a web archive's link: web.archive.org/web/2015/https://imgur.com/a/...)
        # (Every wrapper ends with a '/': looked for only after one, i.stack.imgur.com's millions cost nothing.)
        if pos > 0 and lower[pos - 1] == _SLASH and (
                _WRAPPER.search(lower, _wrapper_from(lower, pos), pos)
                or (lower.endswith(b"l0/", 0, pos) and _TRACKER.search(lower, max(0, pos - _WRAPPER_MOST), pos))):
            match = _WRAPPED_LINK.match(text, pos, end)
            if match is not None and match.end() > at:
                return match
    return None


def _wrapper_from(lower: bytes, pos: int) -> int:
    """Where a wrapper that ends at ``pos`` may begin: before the nearest host of one, or the "//" (JSON's "\\/\\/")
    just before."""
    low = max(0, pos - _WRAPPER_MOST)
    starts = [at - room for host, room in _WRAPPER_HOSTS if (at := lower.rfind(host, low, pos)) != -1]
    return max(low, min(starts, default=pos - 4))


def undressed(token: str) -> list[str]:
    """The link written as ``token`` in some text, as a plain URL (entities, JSON's escapes and percent-encoding
    undone), or the links run together there (a row of a CSV export), each on its own."""
    if _PLAIN.fullmatch(token) and token.lower().find("http", 1) == -1:  # (most links: nothing :func:`_undone`
        return [link] if (link := _unsigned(token)) else []  # does changes them but its last step, a quarter of
    return _undone(token)  # a scan's time)


def _undone(token: str) -> list[str]:
    """:func:`undressed`, each step taken."""
    text = _JSON_ESCAPE.sub(lambda m: _UNESCAPED.get(m[0].lower(), "/"), html.unescape(token))
    for _ in range(2):  # once for a link inside another's query, once more for one inside that
        if not _ENCODED.search(text):
            break
        text = text.split("&", 1)[0]  # (a raw '&' ends the value the link was in)
        if (raw := text.find("/")) != -1 and len(_ENCODED_SLASH.findall(text, 0, raw)) > 2:
            text = text[:raw]
        text = unquote(text)
    # What the entities and escapes wrote, a character no link holds ends it: HTML escaped once more (Reddit's
    # "selftext_html", an RSS feed's description) writes an attribute's quote as "&quot;", the tag's end as "&gt;".
    text = _NOT_IN_A_LINK.split(text, 1)[0]
    # No Imgur path holds an '&' or a '+': one before any query ends the value of another link's query the link
    # was in, written as it is (Google's "url?q=https://imgur.com/a/...&sa=D"); a '+' is a space there, as a form
    # writes one (a search for a link and a word: "search?q=https%3A%2F%2Fimgur.com%2Fa%2F...+cats").
    end, query = min((at for at in (text.find("&"), text.find("+")) if at != -1), default=-1), text.find("?")
    if end != -1 and (query == -1 or end < query):
        text = text[:end]
    return [link for piece in _NEXT_LINK.split(text) if (link := _unsigned(piece))]


def _unsigned(text: str) -> str:
    """``text`` up to a ':' past its host's port, and without what ends a sentence around it."""
    # No Imgur link holds such a ':': Disqus's redirector writes its signature after the link it stands for, as
    # ':' and letters ("disq.us/url?url=https%3A%2F%2Fimgur.com%2Fa%2F...%3Aabc&cuid=...").
    if text.count(":") > ("://" in text):
        path = text.find("/", text.find("://") + 3 if "://" in text else 0)
        colon = text.find(":", path) if path != -1 else -1
        text = text if colon == -1 else text[:colon]
    return text.rstrip(_TRAILING)


def targets_in(text: bytes) -> Iterator[Target]:
    """The targets of every Imgur link in ``text`` that names one."""
    return _named(links(text))


def _named(found: Iterable[str]) -> Iterator[Target]:
    """The targets the links ``found`` name (a link that names none left out)."""
    for link in found:
        yield from targets_of(link)


def names_of(link: str) -> tuple[tuple[Kind, str], ...]:
    """What ``link`` names, whatever its dress."""
    return tuple((target.kind, target.id) for target in targets_of(link))


def targets_of(link: str) -> list[Target]:
    """What ``link`` names; if nothing, what it names up to where it may have run on (:data:`_RUN_ON`: a field of
    a CSV export ends, ``https://imgur.com/a/AbC1234,2019-05-01``), if that is a link apart. A link cut short
    (:data:`CUT`) names nothing: only a field before its cut may. Nor does Markdown's emphasis around it
    (``__https://imgur.com/a/AbC1234__``) when the link without it does. Nor does a CSV field glued to it by its
    ',' as an image of Imgur's old form of several in one link (:data:`_FIELD_LIKE`)."""
    candidates = [link, _RUN_ON.split(link, 1)[0]] if _RUN_ON.search(link) else [link]
    for candidate in [*candidates, link.rstrip("_")] if link.endswith("_") else candidates:
        if candidate.endswith(CUT):
            continue
        try:
            named = parse_all(candidate)
        except UsageError:
            continue
        if not any(_FIELD_LIKE.fullmatch(target.id) for target in named[1:]):
            return named
    return []


def read_twice(text: bytes, found: list[str], decoded: list[str], *, quoted: bool) -> list[str]:
    """The links of ``text`` read as it is (``found``) and as quoted-printable (``decoded``), each once.

    Quoted-printable (an email's body, as mbox and .eml files keep it) wraps its lines at 76 characters, a '='
    ending each, and writes a space there as '=20' and a '=' as '=3D': a link may be cut anywhere, or run into
    what follows. What the first reading found whole is not counted again. Where the text is quoted-printable
    beyond its links (``quoted``: its file has said so, or wrapped a line, by the end of ``text``; or it writes
    a "=3D" outside every link found as it is), a link found as it is that decoding reads another way
    ("imgur.com/search?q=3DS", a search for "S") is taken as decoded, and one that ends in the '=' of a wrapped
    line ("imgur.com/search?q=ca=", cut short) is left to the decoded reading; elsewhere each is taken as it is
    written (a search for "3DS").
    """
    whole: Counter[str] = Counter()  # links read alike both ways: found again as they are by the second reading
    # Where in ``found`` a link is that decoding reads another way, by what it then names (the two readings may
    # dress it apart: "https://=<line's end>imgur.com/search?q=3D0=20" is "imgur.com/search?q=3D0=20" as it is).
    # (Decoded, it is never itself: "search?q=3D0" found again by the second reading is another link, decoded
    # from "search?q=3D3D0".)
    twins: dict[tuple[tuple[Kind, str], ...], list[int]] = {}
    # What a link shown cut short reads as decoded, which is cut short too, though it may no longer look it (Bluesky
    # shows 13 characters of a link's path: "search?q=3D0..." is so, and "search?q=0..." is not): named nothing.
    shortened: Counter[tuple[tuple[Kind, str], ...]] = Counter()
    for at, link in enumerate(found):
        if "=" not in link or (read := binascii.a2b_qp(link.encode())) == link.encode():
            whole[link] += 1
            continue
        if link.endswith(CUT):
            shortened.update(named for twin in links(read.removesuffix(CUT.encode()))[:1] if (named := names_of(twin)))
            continue
        for twin in links(read, rewritings=False)[:1]:
            if named := names_of(twin):
                twins.setdefault(named, []).append(at)
    cut = {at for at, link in enumerate(found) if link.endswith("=")}
    quoted = quoted or (bool(twins) and quoted_beyond(text, found))
    kept: list[str | None] = list(found)
    for at in cut if quoted else ():
        kept[at] = None
    for link in decoded:
        if whole[link]:
            whole[link] -= 1
        elif (shortened or twins) and shortened[named := names_of(link)]:  # (named only where it is looked up)
            shortened[named] -= 1
        elif twins and (ats := twins.get(named)):
            # (A link found whole is its twin before one cut at a wrapped line's '=', whose reading decoded is cut
            # short too: "search?q=3D0=<line's end>0" reads "search?q=0", and is the decoded "search?q=00".)
            at = next((at for at in ats if at not in cut), ats[0])
            ats.remove(at)
            if quoted:
                kept[at] = link
        else:
            kept.append(link)
    return [link for link in kept if link is not None]


