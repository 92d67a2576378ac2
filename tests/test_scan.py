"""--scan: Imgur links in any text, compressed or not, found while downloads run; hostile inputs bounded."""

from __future__ import annotations

import base64
import bz2
import codecs
import contextlib
import errno
import functools
import gc
import gzip
import io
import itertools
import json
import lzma
import os
import quopri
import random
import re
import sqlite3
import string
import struct
import subprocess
import tarfile
import threading
import tracemalloc
import zipfile
import zlib
from pathlib import Path
from typing import Any

import lz4.block
import lz4.frame
import pytest
import zstandard
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from imgur_dl import (
    archives,
    bplist,
    compressed,
    database,
    errors,
    lz4block,
    lz4frames,
    mail,
    markup,
    pdf,
    reader,
    scan,
    textlinks,
    zipstream,
)
from imgur_dl.lz4frames import Lz4
from imgur_dl.members import Members
from imgur_dl.models import Kind
from imgur_dl.reader import PIECE
from imgur_dl.scan import Scanner, scanned
from imgur_dl.textlinks import links, targets_in
from tests.conftest import (
    SPOILS,
    Pieces,
    command,
    files_under,
    linked_text,
    run_main,
    through_pipe,
    without_zstd,
)
from tests.launcher import Launcher
from tests.standin import Imgur

DRESSES = [
    (b"see https://imgur.com/a/AbC1234. ok", "https://imgur.com/a/AbC1234"),
    (b"[url=http&#58;//imgur&#46;com/a/AbC1234:3k2j1x]x[/url:3k2j1x]", "http://imgur.com/a/AbC1234"),  # (phpBB 3.0)
    (b"look [MEDIA=imgur]a/AbC1234[/MEDIA]!", "https://imgur.com/a/AbC1234"),  # (XenForo)
    (b"[holiday](https://imgur.com/gallery/trip-AbC1234)", "https://imgur.com/gallery/trip-AbC1234"),
    (b"<https://i.imgur.com/XyZ9876.jpg>", "https://i.imgur.com/XyZ9876.jpg"),
    (b"(i.imgur.com/XyZ9876h.jpg),", "i.imgur.com/XyZ9876h.jpg"),
    (b"imgur.com/a/AbC1234!", "imgur.com/a/AbC1234"),
    (b"'https://imgur.com/a/AbC1234'", "https://imgur.com/a/AbC1234"),
    (b'"https://imgur.com/a/AbC1234"]', "https://imgur.com/a/AbC1234"),
    (b'<a href="https://imgur.com/search?q=red&amp;panda=1">x</a>', "https://imgur.com/search?q=red&panda=1"),
    (b'<a href="https:&#x2F;&#x2F;imgur.com&#x2F;a&#x2F;AbC1234">', "https://imgur.com/a/AbC1234"),
    (b'<a href="https:&#47;&#47;imgur.com&#47;a&#47;AbC1234">', "https://imgur.com/a/AbC1234"),
    (b'{"url": "https:\\/\\/i.imgur.com\\/XyZ9876.png"}', "https://i.imgur.com/XyZ9876.png"),
    # That JSON written into a string again: a MySQL dump's JSON column (its '\' doubled), JSON inside JSON.
    (rb"""INSERT INTO `meta` VALUES (11,'{\"pic\":\"https:\\/\\/i.imgur.com\\/XyZ9876.gif\"}');""",
     "https://i.imgur.com/XyZ9876.gif"),
    (rb'{"cached": "{\"url\":\"https:\\\/\\\/imgur.com\\\/a\\\/AbC1234\"}"}', "https://imgur.com/a/AbC1234"),
    # As scripts in saved web pages hold their data (serialize-javascript escapes every '/').
    (b'{"url":"https:\\u002F\\u002Fi.imgur.com\\u002FXyZ9876.png"}', "https://i.imgur.com/XyZ9876.png"),
    (b'"https\\u003a\\u002f\\u002fimgur.com\\u002fa\\u002fAbC1234"', "https://imgur.com/a/AbC1234"),
    (b"https://out.reddit.com/t3_abc?url=https%3A%2F%2Fimgur.com%2Fa%2FAbC1234&token=AQAA",
     "https://imgur.com/a/AbC1234"),
    (b"https://www.reddit.com/media?url=https%253A%252F%252Fi.imgur.com%252FXyZ9876.jpg",
     "https://i.imgur.com/XyZ9876.jpg"),
    (b"*https://imgur.com/a/AbC1234*", "https://imgur.com/a/AbC1234"),
    # Inside another link's query as it is, not encoded (Google Docs' links): the next '&' ends it.
    (b"https://www.google.com/url?q=https://imgur.com/a/AbC1234&sa=D&source=editors", "https://imgur.com/a/AbC1234"),
    (b"https://imgur.com/search?q=red&panda=1&qs=x", "https://imgur.com/search?q=red&panda=1&qs=x"),
    # A search for a link and a word, in a browser's history: a '+' is a space there, as a form writes one.
    (b"https://www.google.com/search?q=https%3A%2F%2Fimgur.com%2Fa%2FAbC1234+cats&hl=en", "https://imgur.com/a/AbC1234"),
    (b"https://duckduckgo.com/?q=i.imgur.com/XyZ9876.jpg+source", "i.imgur.com/XyZ9876.jpg"),
    (b"https://imgur.com/search?q=red+panda", "https://imgur.com/search?q=red+panda"),
    (b"HTTPS://Imgur.com/a/AbC1234", "HTTPS://Imgur.com/a/AbC1234"),
    # With the port the Wayback Machine's index writes (a CDX line: key, time, the original URL, ...).
    (b"com,imgur,i)/xyz9876.jpeg 20150102030405 http://i.imgur.com:80/XyZ9876.jpeg image/jpeg 200",
     "http://i.imgur.com:80/XyZ9876.jpeg"),
    (b"https://imgur.com:443/a/AbC1234", "https://imgur.com:443/a/AbC1234"),
    # Inside a web archive's own link: the Wayback Machine's (any time, a wildcard, a modifier), archive.today's.
    (b"https://web.archive.org/web/20150102030405/https://imgur.com/a/AbC1234", "https://imgur.com/a/AbC1234"),
    (b"https://web.archive.org/web/20150102030405id_/http://i.imgur.com:80/XyZ9876.jpeg",
     "http://i.imgur.com:80/XyZ9876.jpeg"),
    (b"(web.archive.org/web/2019*/i.imgur.com/XyZ9876.jpg)", "i.imgur.com/XyZ9876.jpg"),
    (b"http://wayback.archive.org/web/*/imgur.com/gallery/AbC1234*", "imgur.com/gallery/AbC1234"),
    (b"https://archive.ph/newest/https://imgur.com/a/AbC1234", "https://imgur.com/a/AbC1234"),
    (b'"https://archive.is/2019.01.01-000000/https://imgur.com/a/AbC1234"', "https://imgur.com/a/AbC1234"),
    (b"archive.today/https://i.imgur.com/XyZ9876.png", "https://i.imgur.com/XyZ9876.png"),
    # Relative to the page's scheme, as HTML and CSS write them.
    (b'<img src="//i.imgur.com/XyZ9876.jpg">', "i.imgur.com/XyZ9876.jpg"),
    (b"background: url(//imgur.com/a/AbC1234)", "imgur.com/a/AbC1234"),
    (b"[img]//i.imgur.com/XyZ9876.gif[/img]", "i.imgur.com/XyZ9876.gif"),
    # HTML escaped once more: Reddit's "selftext_html" and "body_html", an RSS feed's description.
    (b'&lt;a href=&quot;https://imgur.com/a/AbC1234&quot;&gt;my album&lt;/a&gt;', "https://imgur.com/a/AbC1234"),
    (b'&lt;img src=&quot;https://i.imgur.com/XyZ9876.jpg&quot;/&gt;', "https://i.imgur.com/XyZ9876.jpg"),
    (b"&lt;a href=&#39;https://imgur.com/gallery/AbC1234&#39;&gt;", "https://imgur.com/gallery/AbC1234"),
    (b"url=https%3A%2F%2Fimgur.com%2Fa%2FAbC1234%22%3E%3C%2Fa%3E", "https://imgur.com/a/AbC1234"),
    # Tracked by the service that sent an e-mail (Amazon SES's click tracking: its host or the sender's own, L0/ or
    # CL0/, the link encoded, then the rest of the tracker's own link), in Gmail's own redirect too.
    (b'<a href="https://kbbm6lps.r.us-west-2.awstrack.me/L0/https:%2F%2Fi.imgur.com%2FXyZ9876.jpg/1/0101016d68ab2c22-'
     b'9fe2b45f-000000/mrQDW4TDCxkh-dChXN9uFjM7ng0=129">', "https://i.imgur.com/XyZ9876.jpg"),
    (b"https://click.redditmail.com/CL0/https:%2F%2Fimgur.com%2Fgallery%2FAbC1234%3Futm_source=x/1/0100018516049010-"
     b"d6d334e3-000000/C9SA6ev9fQNg=279", "https://imgur.com/gallery/AbC1234?utm_source=x"),
    (b"https://www.google.com/url?q=https://abc.r.us-east-1.awstrack.me/L0/https:%252F%252Fimgur.com%252Fa%252F"
     b"AbC1234/1/0100&source=gmail", "https://imgur.com/a/AbC1234"),
    (b"go to https%3A%2F%2Fimgur.com/a/AbC1234 now", "https://imgur.com/a/AbC1234"),  # (its "//" alone encoded)
    # Discord's media proxy, as a chat export's embeds give their images.
    (b'"proxyUrl": "https://images-ext-1.discordapp.net/external/Ab-Cd_Ef12/https/i.imgur.com/XyZ9876.png"',
     "i.imgur.com/XyZ9876.png"),
    (b"https://images-ext-2.discordapp.net/external/Ab-Cd/%3Fwidth%3D100/https/imgur.com/a/AbC1234",
     "imgur.com/a/AbC1234"),
    # Several images in one link, an old form of Imgur's.
    (b"pics: http://imgur.com/AbC1234,XyZ9876,QwE56.", "http://imgur.com/AbC1234,XyZ9876,QwE56"),
    # Disqus's redirector (a blog's comments, exported), its signature after the link.
    (b'<a href="https://disq.us/url?url=https%3A%2F%2Fimgur.com%2Fa%2FAbC1234%3AXyZab-Cd_e&amp;cuid=123">',
     "https://imgur.com/a/AbC1234"),
    # Google's AMP viewer and cache, as phones shared links (a Reddit comment's, a chat's).
    (b"https://www.google.com/amp/s/imgur.com/gallery/AbC1234", "imgur.com/gallery/AbC1234"),
    (b"https://imgur-com.cdn.ampproject.org/c/s/imgur.com/a/AbC1234?amp_js_v=0.1", "imgur.com/a/AbC1234?amp_js_v=0.1"),
    (b"(https://i-imgur-com.cdn.ampproject.org/i/s/i.imgur.com/XyZ9876.jpg)", "i.imgur.com/XyZ9876.jpg"),
    # Right after an escape in JSON: a Reddit dump's bodies ("Look:\n\n<link>"), HTML as Go writes it in JSON
    # ("\u003e" for '>'), and a character encoded in another link's query (a share link's text).
    (rb'{"selftext":"Look:\n\nhttps://imgur.com/a/AbC1234"}', "https://imgur.com/a/AbC1234"),
    (rb'{"body":"mine:\r\ni.imgur.com/XyZ9876.jpg\tok"}', "i.imgur.com/XyZ9876.jpg"),
    (rb'{"content":"\u003cp\u003ehttps://imgur.com/gallery/AbC1234\u003c/p\u003e"}', "https://imgur.com/gallery/AbC1234"),
    (rb'"a\u00a0imgur.com/a/AbC1234"', "imgur.com/a/AbC1234"),
    # Relative to the page's scheme, in JSON; an '&' as Go and .NET write one in JSON.
    (rb'{"src":"\/\/i.imgur.com\/XyZ9876.jpg"}', "i.imgur.com/XyZ9876.jpg"),
    (rb'{"u":"https://i.imgur.com/XyZ9876_d.webp?maxwidth=520\u0026shape=thumb"}',
     "https://i.imgur.com/XyZ9876_d.webp?maxwidth=520&shape=thumb"),
    # JavaScript's own escapes, in a saved page's scripts.
    (rb'var u = "https:\x2F\x2Fimgur.com\x2Fa\x2FAbC1234";', "https://imgur.com/a/AbC1234"),
    (rb"'\x3cp\x3ehttps\x3a\x2f\x2fi.imgur.com\x2fXyZ9876.jpg\x3c/p\x3e'", "https://i.imgur.com/XyZ9876.jpg"),
    (b"https://twitter.com/intent/tweet?text=Look%0Ahttps%3A%2F%2Fimgur.com%2Fa%2FAbC1234&via=x",
     "https://imgur.com/a/AbC1234"),
    (b"https://example.com/share?t=Look%250Ahttps%253A%252F%252Fimgur.com%252Fa%252FAbC1234", "https://imgur.com/a/AbC1234"),
    # A link that begins with its scheme, after punctuation with no space between.
    (b"Look at this...https://imgur.com/a/AbC1234", "https://imgur.com/a/AbC1234"),
    (b"1.https://i.imgur.com/XyZ9876.jpg 2.https://example.com", "https://i.imgur.com/XyZ9876.jpg"),
    # A '_' escaped, as Markdown's writers escape one in text (Reddit's editor, pages saved as Markdown).
    (rb"See https://imgur.com/t/funny\_cats for more", "https://imgur.com/t/funny_cats"),
    (rb"[pic](https://i.imgur.com/XyZ9876\_d.jpg?maxwidth=640)", "https://i.imgur.com/XyZ9876_d.jpg?maxwidth=640"),
    # The preview imgur.com's own pages show (saved, or scraped).
    (b'<img src="https://i.imgur.com/XyZ9876_d.webp?maxwidth=520&amp;shape=thumb&amp;fidelity=high" alt="">',
     "https://i.imgur.com/XyZ9876_d.webp?maxwidth=520&shape=thumb&fidelity=high"),
]


@pytest.mark.parametrize(("text", "link"), DRESSES)
def test_a_link_in_any_dress_is_found_undressed(text: bytes, link: str) -> None:
    assert list(links(text)) == [link]
    assert len(list(targets_in(text))) == link.count(",") + 1  # (one target, or one an image it lists)


# Pieces of a plain link, and what makes a link other than plain, each where it takes effect (an encoded link at a
# token's start, a field's end before a host, a scheme glued on): one of these amid plain pieces, or none (each as
# likely as any other: given a choice of one or none, the search takes none most of the time).
_PLAIN_PIECES = st.sampled_from(["https://", "imgur.com/", "i.imgur.io/", "a/", "gallery/", "AbC1234", "x-y_z", ".",
                                 ":", "/", "?", "=", "#", "!", ")", "__", "~", "é", "HTTP", "h"])
_DRESS = st.sampled_from([
    "", "&amp;", "&", "\\/", "\\\\/", "\\u002F", "\\_", "imgur.com%2Fa%2FAbC1234", "https%3A%2F%2Fimgur.com%2Fa", "%",
    ",imgur.com/", ";https://imgur.com", ",", ";", "https://", "http://", "xhttps://", "'", '"', " ", "\t", "<", ">",
    "`", "{", "}", "|", "^", "[", "]", "\\", "\u00a0", "+"])


@settings(max_examples=300)
@given(st.lists(_PLAIN_PIECES, max_size=6), _DRESS, st.lists(_PLAIN_PIECES, max_size=6))
def test_a_plain_link_is_undressed_as_every_step_would_undress_it(before: list[str], dress: str,
                                                                  after: list[str]) -> None:
    token = "".join(before) + dress + "".join(after)
    assert textlinks.undressed(token) == textlinks._undone(token)


@pytest.mark.parametrize(("text", "named"), [
    # A row of a CSV export: a link, then the next field, with nothing but a ',' (or ';') between.
    (b"17,https://imgur.com/a/AbC1234,2019-05-01,my album\n", ["AbC1234"]),
    (b"17;https://i.imgur.com/XyZ9876.jpg;cat\n", ["XyZ9876"]),
    (b"id,imgur.com/gallery/AbC1234,\n", ["AbC1234"]),
    # Links run together, a row's fields or a list joined by hand.
    (b"imgur.com/a/AbC1234,imgur.com/a/QwE5678", ["AbC1234", "QwE5678"]),
    (b"https://imgur.com/a/AbC1234,https://i.imgur.com/XyZ9876.jpg", ["AbC1234", "XyZ9876"]),
    (b"https://imgur.com/a/AbC1234;https://imgur.com/gallery/QwE5678;", ["AbC1234", "QwE5678"]),
    (b"https://imgur.com/a/AbC1234,,https://i.imgur.com/XyZ9876.jpg,http://example.com/x", ["AbC1234", "XyZ9876"]),
    (b"https%3A%2F%2Fimgur.com%2Fa%2FAbC1234%2Chttps%3A%2F%2Fimgur.com%2Fa%2FQwE5678", ["AbC1234", "QwE5678"]),
    # Links glued together (scraped text), and one with an encoded space kept after it.
    (b"https://imgur.com/a/AbC1234https://imgur.com/a/QwE5678", ["AbC1234", "QwE5678"]),
    (b"see imgur.com/a/AbC1234http://i.imgur.com/XyZ9876.jpg.", ["AbC1234", "XyZ9876"]),
    # A scheme glued to a word before it, or to the byte a format writes a text after (pickle's first protocol: a
    # string is "V", its text, a line's end; read so, such a file gave no link).
    (b"look:seehttps://imgur.com/a/AbC1234 2https://i.imgur.com/XyZ9876.jpg", ["AbC1234", "XyZ9876"]),
    (b"(lp0\n(dp1\nVurl\np2\nVhttps://imgur.com/a/AbC1234\np3\nsa.", ["AbC1234"]),
    (b"https://imgur.com/a/AbC1234%20 and https://imgur.com/a/QwE5678%0A", ["AbC1234", "QwE5678"]),
    (b"https://imgur.com/search?q=red%20panda", ["red panda"]),  # (a search's query is the search's)
    # Markdown's emphasis by underscores, around a link or after it (a user's name may end with one).
    (b"__https://imgur.com/a/AbC1234__ and _https://i.imgur.com/XyZ9876.jpg_", ["AbC1234", "XyZ9876"]),
    (b"https://imgur.com/user/bob_ and imgur.com/user/bob__", ["bob_", "bob__"]),
    # Several images in one link, an old form of Imgur's, in a row too; a field glued by its ',' is no image (a
    # bookmark's folder, a page's title in a history's rows, a count), as an image's random id seldom is a word.
    (b"http://imgur.com/Ab1Cd,Ef2Gh,Ij3Kl", ["Ab1Cd", "Ef2Gh", "Ij3Kl"]),
    (b"1,Funny cat,https://imgur.com/AbC1234,Memes,2020\n", ["AbC1234"]),
    (b"https://imgur.com/AbC1234,Hello world - Imgur,3\n", ["AbC1234"]),
    (b"imgur.com/AbC1234,12345\nimgur.com/XyZ9876,funny\n", ["AbC1234", "XyZ9876"]),
    (b"3,http://imgur.com/AbC1234,XyZ9876,4", ["AbC1234"]),
    (b"3,http://imgur.com/AbC1234,XyZ9876,https://imgur.com/a/QwE5678", ["AbC1234", "XyZ9876", "QwE5678"]),
])
def test_each_link_of_a_row_is_found(text: bytes, named: list[str]) -> None:
    assert [t.id for t in targets_in(text)] == named


@pytest.mark.parametrize("text", [
    b"notimgur.com/a/AbC1234", b"https://example.com/imgur.com/a/AbC1234", b"imgur.com.evil.com/a/AbC1234",
    b"https://imgur.community/a/AbC1234", b"xyzimgur.com/a/AbC1234", b"the imgur app", b"imgur.com",
    b"https://imgur.com:8080/a/AbC1234", b"https://example.com/archive.org/web/2015/https://imgur.com/a/AbC1234",
    b"https://notarchive.org/web/2015/https://imgur.com/a/AbC1234", b"https://archive.ph.evil/https://imgur.com/a/AbC1234",
    b"https://example.com//imgur.com/a/AbC1234", b"file:///imgur.com/a/AbC1234",
    b"https://example.com/amp/s/imgur.com/a/AbC1234", b"https://cdn.ampproject.org.evil/c/s/imgur.com/a/AbC1234",
    rb'"https:\/\/example.com\u002Fimgur.com\/a\/AbC1234"', b"https://example.com/x?u=example.com%2Fimgur.com%2Fa%2FAbC1234",
    rb"x\zimgur.com/a/AbC1234", rb"https://example.com\x2Fimgur.com\x2Fa\x2FAbC1234",
    rb'"x\/\/imgur.com\/a\/AbC1234"', rb'"https:\/\/example.com\/\/imgur.com\/a\/AbC1234"',
    b'<link rel="icon" href="//i.imgur.com/favicon.ico">', b"// @icon https://imgur.com/favicon.ico",
])
def test_what_is_not_an_imgur_link_is_never_taken(text: bytes) -> None:
    assert list(targets_in(text)) == []


def test_each_target_once_in_first_seen_order() -> None:
    text = (b"imgur.com/gallery/AbC1234 https://imgur.com/a/AbC1234 i.imgur.com/XyZ9876h.jpg "
            b"https://i.imgur.com/XyZ9876.jpg imgur.com/XyZ9876 imgur.com/t/Cats imgur.com/t/cats imgur.com/r/pics")
    scanner = Scanner()
    found = [(t.kind, t.id) for t in scanner.scan(io.BytesIO(text), "notes")]
    assert found == [(Kind.GALLERY, "AbC1234"), (Kind.IMAGE, "XyZ9876"), (Kind.TAG, "Cats"), (Kind.SUBREDDIT, "pics")]
    assert (scanner.stats.links, scanner.stats.targets) == (8, 4)


def _reddit_dump(count: int, every: int = 3) -> tuple[bytes, list[str]]:
    """Newline-delimited JSON like a Reddit dump's submissions: every ``every``th links an Imgur album."""
    rnd = random.Random(7)
    lines, ids = [], []
    for n in range(count):
        post = {"id": f"t3_{n}", "subreddit": "pics", "title": "x" * rnd.randrange(50, 300),
                "selftext": "", "url": f"https://example.com/{n}"}
        if n % every == 0:
            album = f"A{n:06d}"
            ids.append(album)
            post["url"] = f"https://imgur.com/a/{album}"
            post["media"] = {"oembed": {"url": f"https:\\/\\/imgur.com\\/a\\/{album}"}}
        lines.append(json.dumps(post))
    return ("\n".join(lines) + "\n").encode(), ids


def _zstd(data: bytes, window_log: int = 28) -> bytes:
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=window_log, enable_ldm=True)
    return zstandard.ZstdCompressor(compression_params=params).compress(data)


def _pzstd(data: bytes) -> bytes:
    """As pzstd (zstd in parallel) writes: each frame after a skippable frame that gives its size."""
    frames = [_zstd(data[:len(data) // 2]), _zstd(data[len(data) // 2:])]
    return b"".join(b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + len(f).to_bytes(4, "little") + f
                    for f in frames)


@pytest.mark.parametrize("pack", [  # (each at its quickest level: the format is what is tested)
    lambda d: d, lambda d: gzip.compress(d, 1), lambda d: lzma.compress(d, preset=0), lambda d: bz2.compress(d, 1),
    _zstd, _pzstd,
], ids=["plain", "gzip", "xz", "bzip2", "zstd-long", "pzstd"])
def test_compressed_input_is_recognised_by_its_first_bytes(pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dump, ids = _reddit_dump(3000)
    path = tmp_path / "dump.txt"  # the name says nothing: the bytes do
    path.write_bytes(pack(dump))
    scanner = Scanner()
    with path.open("rb") as source:
        assert [t.id for t in scanner.scan(source, "dump")] == ids
    assert scanner.stats.read == len(dump)
    assert not scanner.errors


def test_a_link_across_block_boundaries_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "BLOCK", 4096)
    text = b"".join(b"x" * (4096 - 10 + n) + b" https://imgur.com/a/A%06d " % n for n in range(50))
    assert [t.id for t in Scanner().scan(io.BytesIO(text), "t")] == [f"A{n:06d}" for n in range(50)]


def test_an_endless_line_binary_garbage_and_invalid_utf8_are_read_in_bounded_memory() -> None:
    garbage = random.Random(1).randbytes(3_000_000)
    text = b"\xff\xfe" + garbage.replace(b"imgur", b"xxxxx") + b"x" * 5_000_000 + b" imgur.com/a/AbC1234 \xc3\x28"
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(text), "junk")] == ["AbC1234"]
    assert not scanner.errors


def test_text_read_block_after_block_is_let_go_of_as_it_is_read() -> None:
    # Each word that looked like a link and named nothing ("https://imgur.com/", a link cut by a wrapped line) left a
    # reference cycle, its error held by the frame it was raised again in: the collector's rare full pass alone let
    # go of it, and of every frame below it meanwhile, the blocks of text read among them. A mailbox of 100 MB in
    # quoted-printable held 410 MB by its end; 38 MB after.
    text = b"see https://imgur.com/ and https://imgur.com/a/AbC1234 in the wrapped li=\r\nne\r\n" * 1000
    gc.collect()
    gc.disable()
    try:
        assert [t.id for t in Scanner().scan(io.BytesIO(text), "mbox")] == ["AbC1234"]
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_what_a_scan_keeps_of_each_file_it_could_not_read_to_its_end_is_its_words(tmp_path: Path) -> None:
    # Each error, kept to be said once the scan is done, held the frames it was raised through: the file's decoders
    # and last block of text, 150 KB or more each (3,000 files cut short held 460 MB to the run's end; 28 MB after).
    packed = gzip.compress(b"".join(b"https://imgur.com/a/AbC1234 line %d\n" % n for n in range(600)))
    for n in range(8):
        (tmp_path / f"{n}.txt.gz").write_bytes(packed[:len(packed) // 2])
    scanner = Scanner()
    gc.collect()
    tracemalloc.start()
    try:
        assert [t.id for t in scanned([str(tmp_path)], scanner, io.BytesIO())] == ["AbC1234"]
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(scanner.errors) == 8
    assert held < 80_000, held  # (the 8 lines, and what the scan itself keeps: its one target's hash)


@pytest.mark.usefixtures("zstd_library")
def test_a_decompression_bomb_ends_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "RATIO_AFTER", 4 * 1024 * 1024)
    bomb = b"imgur.com/a/AbC1234 " + bytes(16 * 1024 * 1024)  # 16 MiB from a few KB
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(_zstd(bomb, 23)), "bomb.zst")]
    assert found == ["AbC1234"]  # what came before still counts
    assert scanner.stats.read <= 6 * 1024 * 1024  # stopped soon after the bound, not at the end
    assert [str(e) for e in scanner.errors] == [
        "bomb.zst: stopped after 4 MiB: it expands more than 1000 times (a decompression bomb?)"]


def test_a_corrupt_archive_ends_with_one_line(tmp_path: Path) -> None:
    data = gzip.compress(b"imgur.com/a/AbC1234 " + random.Random(2).randbytes(3_000_000).replace(b"imgur", b"x"), 1)
    (tmp_path / "broken.gz").write_bytes(data[:len(data) // 2])
    result = run_main("--scan", str(tmp_path / "broken.gz"), "-g")
    assert result.code == 1, result
    assert result.out == "https://imgur.com/a/AbC1234\n"
    errors = [line for line in result.err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "broken.gz: cannot read on" in errors[0]


_PACKS = [lambda d: gzip.compress(d, 1), lambda d: lzma.compress(d, preset=0), lambda d: bz2.compress(d, 1),
          lambda d: _zstd(d, 23)]
_UNPACKERS = [lambda: zlib.decompressobj(31), lzma.LZMADecompressor, bz2.BZ2Decompressor,
              lambda: zstandard.ZstdDecompressor().decompressobj()]


def _numbered_dump(count: int) -> tuple[bytes, list[str]]:
    ids = [f"Im{n:05d}" for n in range(count)]
    return b"".join(b"see https://i.imgur.com/%s.jpg now\n" % i.encode() for i in ids), ids


@pytest.mark.parametrize(("pack", "unpack"), list(zip(_PACKS, _UNPACKERS, strict=True)),
                         ids=["gzip", "xz", "bzip2", "zstd"])
def test_a_dump_cut_short_gives_every_link_that_arrived_whole_and_says_so(pack, unpack,  # type: ignore[no-untyped-def]
                                                                          tmp_path: Path) -> None:
    dump, ids = _numbered_dump(12_000)
    packed = pack(dump)
    cut = packed[:len(packed) * 2 // 3]  # a download interrupted
    arrived = unpack().decompress(cut)  # all that any reader can make of it
    whole = [line.split(b"/")[-1][:7].decode() for line in arrived.split(b"\n")[:-1]]
    assert 0 < len(whole) < len(ids)
    (tmp_path / "dump").write_bytes(cut)
    result = run_main("--scan", str(tmp_path / "dump"), "-g")
    assert result.code == 1, result
    found = [line.split("/")[-1][:7] for line in result.out.splitlines()]
    # Every link that arrived whole is found; none that was cut short (it would name another image).
    assert (found[:len(whole)] == whole, len(found) - len(whole)) in ((True, 0), (True, 1))
    assert not set(found) - set(ids)
    errors = [line for line in result.err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "dump: cannot read on (" in errors[0], result.err
    if unpack is _UNPACKERS[-1]:
        assert "the zstd stream ends inside a frame: the file is cut short" in errors[0]


@pytest.mark.usefixtures("zstd_library")
@pytest.mark.parametrize("spoil", ["garbage after", "corrupt"])
def test_a_zstd_dump_that_goes_bad_gives_what_came_before(tmp_path: Path, spoil: str) -> None:
    dump, ids = _numbered_dump(12_000)
    params = zstandard.ZstdCompressionParameters.from_level(1, write_checksum=True)
    packed = bytearray(zstandard.ZstdCompressor(compression_params=params).compress(dump))
    if spoil == "garbage after":
        packed += b"not zstd at all"
    else:
        packed[-200:-100] = bytes(100)  # near the end: most of the dump came through
    (tmp_path / "dump.zst").write_bytes(packed)
    result = run_main("--scan", str(tmp_path / "dump.zst"), "-g")
    assert result.code == 1, result
    assert "unexpected" not in result.err
    # One line for the frame, or what comes after it, that does not decode, and for no frame following it (it was
    # two, the first saying that reading goes on from the next frame).
    assert len(result.errors) == 1 and "dump.zst: its zstd frame from byte " in result.errors[0], result.err
    assert "), and no frame follows it; what was found before it still counts" in result.errors[0]
    found = [line.split("/")[-1][:7] for line in result.out.splitlines()]
    assert found == ids[:len(found)]  # (compared whole: a list of thousands in a failure's message is no help)
    assert len(found) == len(ids) if spoil == "garbage after" else len(found) > 1000


def test_a_spoilt_gzip_of_one_member_in_a_zip_is_one_line_and_the_zip_reads_on(tmp_path: Path) -> None:
    # An export of files, one of them a .json.gz spoilt midway: said once (it was two lines, the first promising a
    # next member), the archive's other files read.
    packed = bytearray(gzip.compress("".join(f"https://imgur.com/a/AbC{n:04d}\n" for n in range(3000)).encode()))
    packed[len(packed) // 2] ^= 0x55
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("a.txt", "see https://imgur.com/a/QwE4567\n")
        archive.writestr("b.json.gz", bytes(packed))
        archive.writestr("c.txt", "and https://imgur.com/a/XyZ9876\n")
    result = run_main("--scan", str(tmp_path / "export.zip"), "-g")
    assert result.code == 1, result
    assert result.errors == [f"imgur-dl: error: {tmp_path / 'export.zip'}: b.json.gz: its gzip member from byte 0 "
                             "cannot be read on (incorrect data check), and no member follows it; what was found "
                             "before it still counts; the archive's other files are read"], result.err
    assert {"https://imgur.com/a/QwE4567", "https://imgur.com/a/XyZ9876"} <= set(result.out.splitlines())


def test_a_file_that_fails_at_its_first_read_is_one_line() -> None:
    result = run_main("--scan", "/proc/self/mem", "-g")  # (opens, then every read at its start fails: EIO)
    assert result.code == 1, result
    assert "imgur-dl: error: /proc/self/mem: cannot read on (Input/output error)" in result.err
    assert "unexpected" not in result.err


def _zipped(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _second_encrypted(zipped: bytes) -> bytes:
    """``zipped`` with its second file's flag saying it is encrypted, in its own header and in the directory (where
    zip writes it)."""
    locked = bytearray(zipped)
    for at in (locked.index(b"PK\x03\x04", 1), locked.index(b"PK\x01\x02", locked.index(b"PK\x01\x02") + 1)):
        locked[at + (6 if locked[at + 2:at + 4] == b"\x03\x04" else 8)] |= 1
    return bytes(locked)


def test_a_zip_export_is_read_member_by_member(tmp_path: Path) -> None:
    # As a data export comes (Reddit's, Discord's, Google Takeout's): files of text, some compressed, in folders.
    dump, ids = _numbered_dump(3000)
    half = len(dump) // 2
    (tmp_path / "export.zip").write_bytes(_zipped({"README.txt": b"no links", "posts.csv": dump[:half],
                                                   "old/": b"", "old/comments.csv.gz": gzip.compress(dump[half:])}))
    scanner = Scanner()
    with (tmp_path / "export.zip").open("rb") as source:
        assert [t.id for t in scanner.scan(source, "export.zip")] == ids  # (it held no link anyone could find)
    assert not scanner.errors
    assert scanner.stats.read == len(dump) + len(b"no links") + 3  # (and a line's end after each file)


def test_a_zip_member_left_without_a_name_is_read_as_the_others(tmp_path: Path) -> None:
    # (Python before 3.12 cannot say whether such a member is a folder: ZipInfo.is_dir raises IndexError, as it
    # writes one too.)
    class Unnamed(zipfile.ZipInfo):
        def is_dir(self) -> bool:
            return False

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", b"imgur.com/a/AbC1234")
        archive.writestr(Unnamed(""), b"imgur.com/a/XyZ9876")
        archive.writestr("b.txt", b"imgur.com/a/QwE5678")
    (tmp_path / "export.zip").write_bytes(out.getvalue())
    result = run_main("--scan", str(tmp_path / "export.zip"), "-g")
    assert (result.code, result.out.split()) == (0, ["https://imgur.com/a/AbC1234", "https://imgur.com/a/XyZ9876",
                                                     "https://imgur.com/a/QwE5678"]), result
    # One that cannot be read is named in words, not as nothing ("export.zip: : cannot read on"), read by the
    # archive's directory or from a pipe.
    locked = _second_encrypted(out.getvalue())
    for opened in (io.BytesIO, through_pipe):
        scanner = Scanner()
        assert [t.id for t in scanner.scan(opened(locked), "export.zip")] == ["AbC1234", "QwE5678"]
        assert [str(e) for e in scanner.errors] == ["export.zip: (a file with no name): cannot read on (encrypted: its "
                                                    "password is needed to read it); what was found before it still "
                                                    "counts; the archive's other files are read"]


def test_a_bug_met_reading_one_file_costs_that_file_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = scan.opened

    def opened(source: Any, name: str, **kwargs: Any) -> Any:
        if name.endswith("b.bad"):
            raise RuntimeError("a bug")
        return real(source, name, **kwargs)

    monkeypatch.setattr(scan, "opened", opened)
    names = []
    for name, link in [("a.txt", "imgur.com/a/AbC1234"), ("b.bad", "imgur.com/a/XyZ9876"),
                       ("c.txt", "imgur.com/a/QwE5678")]:
        (tmp_path / name).write_text(link)
        names += ["--scan", str(tmp_path / name)]
    names += ["--scan-jobs", "1"]  # (read in this process, where the bug is planted: tests/test_scanners.py reads
    result = run_main(*names, "-g")  # them side by side)
    assert (result.code, result.out.split()) == (1, ["https://imgur.com/a/AbC1234", "https://imgur.com/a/QwE5678"])
    assert result.errors == [f"imgur-dl: error: {tmp_path / 'b.bad'}: unexpected RuntimeError (a bug; --debug shows "
                             "it); what was found before it still counts"], result
    with pytest.raises(RuntimeError, match="a bug"):  # (--debug: the whole of it, as a bug anywhere else)
        run_main("--debug", *names, "-g")


def test_a_scan_interrupted_says_what_it_met_and_read_up_to_there(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = scan.opened

    def opened(source: Any, name: str, **kwargs: Any) -> Any:
        if name.endswith("c.txt"):
            raise KeyboardInterrupt  # (Ctrl-C, as it lands while the third file is read)
        return real(source, name, **kwargs)

    monkeypatch.setattr(scan, "opened", opened)
    (tmp_path / "b.txt").write_text("imgur.com/a/AbC1234")
    (tmp_path / "c.txt").write_text("imgur.com/a/XyZ9876")
    result = run_main(*(arg for name in ("a.txt", "b.txt", "c.txt") for arg in ("--scan", str(tmp_path / name))), "-g",
                      "--scan-jobs", "1")  # (in this process, where Ctrl-C is planted)
    assert (result.code, result.out) == (130, "https://imgur.com/a/AbC1234\n"), result
    assert result.err.splitlines() == [  # (a file that could not be opened, found before: said all the same)
        f"imgur-dl: error: cannot scan {tmp_path / 'a.txt'}: No such file or directory",
        "imgur-dl: scanned 19 B: 1 Imgur link, 1 distinct target", "imgur-dl: interrupted"], result


def test_a_folder_is_every_file_below_it(tmp_path: Path) -> None:
    # An export unpacked: files in folders, some compressed; a symlink in it is not followed (a loop, or a file
    # from outside it).
    (tmp_path / "export" / "posts" / "2023").mkdir(parents=True)
    (tmp_path / "export" / "README.txt").write_bytes(b"see https://imgur.com/a/AbC1234\n")
    (tmp_path / "export" / "posts" / "2023" / "a.json.gz").write_bytes(gzip.compress(b'{"u": "imgur.com/a/XyZ9876"}'))
    (tmp_path / "outside.txt").write_bytes(b"https://imgur.com/a/QwE1234\n")
    (tmp_path / "export" / "posts" / "outside.txt").symlink_to(tmp_path / "outside.txt")
    (tmp_path / "export" / "posts" / "loop").symlink_to(tmp_path / "export")
    os.mkfifo(tmp_path / "export" / "posts" / "2023" / "fifo")  # (no writer: read, it would wait for ever)
    result = run_main("--scan", str(tmp_path / "export"), "-g")
    assert result.code == 0, result
    assert sorted(result.out.splitlines()) == ["https://imgur.com/a/AbC1234", "https://imgur.com/a/XyZ9876"]
    assert "scanned" in result.err and "error" not in result.err
    # What was left is said, once: a symlink to a file, one to a folder, the FIFO.
    assert f"imgur-dl: warning: {tmp_path / 'export'}: 2 symlinks not followed and 1 FIFO, socket or device not " \
           "read\n" in result.err


def test_a_folder_a_thousand_deep_is_read_to_its_bottom(tmp_path: Path) -> None:
    # An export unpacked into folders nested 1,100 deep (2 bytes a level: well within a path's length). Python
    # before 3.12 walks a folder by calling itself for each one below: the run ended in "unexpected
    # RecursionError", every link of the input lost. (Made, and taken away, a folder at a time through each one's
    # descriptor: os.makedirs and shutil.rmtree call themselves too.)
    deep = 1_100
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "z.txt").write_bytes(b"https://imgur.com/a/XyZ9876\n")
    folder = os.open(tmp_path / "export", os.O_RDONLY)
    for _ in range(deep):
        os.mkdir("a", dir_fd=folder)
        below = os.open("a", os.O_RDONLY, dir_fd=folder)
        os.close(folder)
        folder = below
    note = os.open("note.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder)
    os.write(note, b"https://imgur.com/a/AbC1234\n")
    os.close(note)
    try:
        result = run_main("--scan", str(tmp_path / "export"), "-g", "--scan-jobs", "1")  # (one after another ...
        assert result.code == 0, result
        assert result.out == "https://imgur.com/a/XyZ9876\nhttps://imgur.com/a/AbC1234\n"  # (... its own files first)
    finally:
        os.unlink("note.txt", dir_fd=folder)
        for _ in range(deep):
            above = os.open("..", os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            os.rmdir("a", dir_fd=above)
            folder = above
        os.close(folder)


def test_a_folder_scanned_leaves_out_the_output_folder_below_it(imgur: Imgur, tmp_path: Path) -> None:
    # `imgur-dl --scan ~/Downloads -o ~/Downloads/imgur`, run again: the album.json files saved there name every
    # file, each of which would be fetched again as an image of its own.
    album = imgur.add_album("AbC1234", count=2)
    other = imgur.add_album("XyZ9876", count=1)
    (tmp_path / "notes.txt").write_text("https://imgur.com/a/AbC1234\n")
    (tmp_path / "old").mkdir()  # (a folder beside it: read)
    (tmp_path / "old" / "more.txt").write_text("https://imgur.com/a/XyZ9876\n")
    args = ("--write-metadata", "--scan", str(tmp_path), "-o", str(tmp_path / "imgur"))
    assert run_main(*args).code == 0
    again = run_main(*args)
    assert again.code == 0, again
    assert "2 albums; files: 0 saved, 3 skipped" in again.err
    assert sorted(files_under(tmp_path / "imgur")) == ["AbC1234/001-" + album.images[0].id + ".jpg",
                                                        "AbC1234/002-" + album.images[1].id + ".jpg",
                                                        "AbC1234/album.json",
                                                        "XyZ9876/001-" + other.images[0].id + ".jpg",
                                                        "XyZ9876/album.json"]


def test_a_folder_scanned_leaves_out_the_run_s_own_archive(imgur: Imgur, tmp_path: Path) -> None:
    # `imgur-dl --scan ~/Downloads --download-archive ~/Downloads/imgur.sqlite`, nightly: the archive was read for
    # links at each run, all of it (it names none), and closing it let go of the locks SQLite held on it.
    imgur.add_album("AbC1234", count=1)
    notes = tmp_path / "notes.txt"
    notes.write_text("https://imgur.com/a/AbC1234\n")
    seen = tmp_path / "seen.sqlite"
    args = ("--download-archive", str(seen), "-o", str(tmp_path / "out"))
    assert run_main("--scan", str(notes), *args).code == 0
    again = run_main("--scan", str(tmp_path), *args)
    assert again.code == 0 and "imgur-dl: scanned 28 B: 1 Imgur link" in again.err, again
    named = run_main("--scan", str(seen), "--scan", str(notes), *args)  # (named as it is: said)
    assert named.code == 0 and f"imgur-dl: warning: {seen}: the download archive of this run: not scanned\n" \
        in named.err and "scanned 28 B" in named.err, named


def test_the_files_of_a_zip_are_not_run_together() -> None:
    # One file ends with a link and no line's end; the next starts with one: two links, not one refused.
    zipped = _zipped({"a.txt": b"see https://imgur.com/a/AbC1234", "b.txt": b"https://imgur.com/a/XyZ9876 too"})
    assert [t.id for t in Scanner().scan(io.BytesIO(zipped), "t.zip")] == ["AbC1234", "XyZ9876"]


@pytest.mark.parametrize(("data", "says"), [
    (_zipped({"o.zip": _zipped({"inner.7z": b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(50)})}),
     "t: o.zip: inner.7z is a 7-Zip archive inside an archive inside another: extract it"),
    (b"Rar!\x1a\x07\x01\x00" + bytes(50), "t is a RAR archive, which imgur-dl does not read"),
    (b"\x02\x21\x4c\x18" + bytes(50), "t is lz4-compressed in its legacy format (lz4 -l), which imgur-dl does not "
                                      "read"),
    (b"LZIP\x01\x0c" + bytes(50), "t is lzip-compressed, which imgur-dl does not read"),
    (b"\x1f\x9d\x90" + bytes(50), "t is compressed with compress (.Z), which imgur-dl does not read"),
    (_zipped({"o.zip": _zipped({"inner.zip": _zipped({"a.txt": b"imgur.com/a/AbC1234"})})}),
     "t: o.zip: inner.zip is a ZIP archive inside an archive inside another: extract it"),
], ids=["7z-in-zip-in-zip", "rar", "lz4-legacy", "lzip", "compress", "zip-in-zip-in-zip"])
def test_an_archive_that_is_not_read_is_said_to_be(data: bytes, says: str) -> None:
    scanner = Scanner()
    assert list(scanner.scan(io.BytesIO(data), "t")) == []
    assert [str(e) for e in scanner.errors] == [str(scanner.errors[0])] and says in str(scanner.errors[0])


@pytest.mark.parametrize("piped", [False, True], ids=["file", "pipe"])
def test_an_lzma_file_is_read_and_one_cut_short_gives_what_its_decoder_made_of_it(piped: bool) -> None:
    # LZMA's own format (.lzma: `xz --format=lzma`, `lzma`, 7-Zip's SDK) has no magic number: read as bytes, a dump
    # kept so gave no link at all, and said nothing.
    text = b"".join(b'{"body": "see https://imgur.com/a/A%06d"}\n' % n for n in range(3000))
    packed = lzma.compress(text, format=lzma.FORMAT_ALONE)
    scanner = Scanner()
    found = [t.id for t in scanner.scan(through_pipe(packed) if piped else io.BytesIO(packed), "dump.lzma")]
    assert found == [f"A{n:06d}" for n in range(3000)] and scanner.errors == []
    cut = packed[:len(packed) // 2]
    made = lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(cut)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(through_pipe(cut) if piped else io.BytesIO(cut), "dump.lzma")] in (
        [f"A{n:06d}" for n in range(made.count(b"\n"))], [f"A{n:06d}" for n in range(made.count(b"\n") + 1)])
    assert [str(e) for e in scanner.errors] == ["dump.lzma: cannot read on (Compressed file ended before the "
                                                "end-of-stream marker was reached); what was found before it still "
                                                "counts"]


def test_a_short_file_whose_bytes_decode_as_lzma_until_they_run_out_is_read_as_bytes() -> None:
    # An .lzma file's header (its properties, a dictionary of 64 KiB, its size unknown), then bytes that LZMA's
    # decoder takes, making what is no text, until they run out (a LevelDB log spoilt by the property test of its
    # reader did so): it was read as a cut .lzma file, and its link lost.
    header = bytes([0x5D]) + (1 << 16).to_bytes(4, "little") + (2**64 - 1).to_bytes(8, "little") + b"\x00"
    data = header + bytes.fromhex("06f039c94816473976474b10") + b" https://imgur.com/a/AbC1234 "
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(data), "000007.log")] == ["AbC1234"]
    assert scanner.errors == []


@pytest.mark.parametrize("link", [b"https://imgur.com/a/F%06d", b"http://i.imgur.com/F%06d.jpg"])
def test_links_glued_together_past_the_longest_link_taken_are_each_found(link: bytes) -> None:
    # As a column of text is kept in an Arrow file (Feather's, a Hugging Face data set's cache): its values one right
    # after another. Read as one link of 2048 bytes at the most, such a run gave its first 76 and lost the rest.
    text = b"".join(link % n for n in range(3000))
    assert [t.id for t in targets_in(text)] == [f"F{n:06d}" for n in range(3000)]


def _database_file(path: Path) -> bytes:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE history(url TEXT)")
        db.executemany("INSERT INTO history VALUES (?)", [(f"https://imgur.com/a/S{n:06d}",) for n in range(100)])
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["sqlite", "parquet"])
@pytest.mark.parametrize("pipe", ["fifo", "stdin"])
def test_a_file_read_where_it_is_that_comes_through_a_pipe_with_a_name_is_read_from_the_pipe(
        tmp_path: Path, launcher: Launcher, kind: str, pipe: str) -> None:
    # A database's or a Parquet file's reader reads a file of its own where it is (SQLite by its path, Parquet's pages
    # by their offsets): given a named pipe (mkfifo; /dev/stdin with a pipe behind it), the SQLite database gave no
    # link in silence, or the scan waited for ever on a second open of the pipe; Parquet's was a bug's line.
    data = _database_file(tmp_path / "history.sqlite") if kind == "sqlite" else \
        (Path(__file__).parent / "data" / "parquet" / "duckdb.parquet").read_bytes()
    if pipe == "fifo":
        fifo = tmp_path / "in.fifo"
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(data,), daemon=True)
        writer.start()
        scan = launcher.spawn(["--scan", str(fifo), "-g"])
        out, err = scan.communicate(timeout=30)
        writer.join(5)
    else:
        scan = launcher.spawn(["--scan", "/dev/stdin", "-g"], stdin=subprocess.PIPE)
        out, err = scan.communicate(data, timeout=30)
    if kind == "sqlite" and not database.IN_MEMORY:  # (Python 3.10 reads no database from a pipe: said, at once)
        assert scan.wait() == 1 and b"read from a file of its own only before Python 3.11" in err
        return
    assert scan.wait() == 0, err
    assert len(out.splitlines()) == (100 if kind == "sqlite" else 300), err


def _bson(*fields: tuple[str, int | str | bytes]) -> bytes:
    """A BSON document (bsonspec.org: its length, then each field's type, name and value, then a zero byte) of 32-bit
    integers, strings and ObjectIds (12 bytes), as a MongoDB dump (mongodump's ``<collection>.bson``) holds them, one
    after another."""
    body = b""
    for name, value in fields:
        if isinstance(value, int):
            body += b"\x10" + name.encode() + b"\x00" + struct.pack("<i", value)
        elif isinstance(value, bytes):
            body += b"\x07" + name.encode() + b"\x00" + value
        else:
            encoded = value.encode() + b"\x00"
            body += b"\x02" + name.encode() + b"\x00" + struct.pack("<i", len(encoded)) + encoded
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


@pytest.mark.parametrize("first", [_bson(("_id", 5)), _bson(("_id", 0), ("url", "x")),
                                   _bson(("_id", b"\x65\x10" + bytes(10)), ("url", "x"))],
                         ids=["id-alone", "id-then-text", "object-id"])
def test_a_mongodb_dump_is_read_as_bytes_not_taken_for_an_lzma_file(first: bytes) -> None:
    # A document's length, then its first field's type and name, make what an .lzma file's header may be: such a
    # dump was read as one, and gave no link ("Input format not supported by decoder"). Its bytes must decode too.
    dump = first + b"".join(_bson(("_id", n), ("url", f"https://imgur.com/a/B{n:06d}")) for n in range(2000))
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(dump), "comments.bson")] == [f"B{n:06d}" for n in range(2000)]
    assert scanner.errors == []


def test_a_tar_archive_inside_two_others_is_read_as_text_and_said_to_be() -> None:
    # Its text gives the links of what is not compressed inside it; what is (a .json.gz) is not read: that is said,
    # as a ZIP so deep is, not lost without a word.
    inner = _tarred({"a.txt": b"see https://imgur.com/a/AbC1234\n",
                     "b.json.gz": gzip.compress(b'{"url": "https://imgur.com/a/XyZ9876"}')}, mode="w")
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(_zipped({"o.zip": _zipped({"t.tar": inner})})), "t.zip")] == [
        "AbC1234"]
    assert (scanner.warnings, scanner.errors) == (["t.zip: o.zip: t.tar: a tar archive inside an archive inside "
                                                   "another, read as text: what is compressed inside it is not read "
                                                   "(extract it, then scan what it holds)"], [])
    scanner = Scanner()  # (on its own, every file of it is read, and nothing is said)
    assert [t.id for t in scanner.scan(io.BytesIO(inner), "t.tar")] == ["AbC1234", "XyZ9876"]
    assert (scanner.warnings, scanner.errors) == ([], [])


_WRAPS = {"gz": lambda d: gzip.compress(d, 1), "xz": lambda d: lzma.compress(d, preset=0),
          "bz2": lambda d: bz2.compress(d, 1), "zst": lambda d: _zstd(d, 20),
          "zip": lambda d: _zipped({"inner.jsonl": d}), "tgz": lambda d: _tarred({"inner.jsonl": d})}


@pytest.mark.parametrize(("inner", "outer"), [("gz", "gz"), ("gz", "bz2"), ("xz", "zst"), ("zst", "xz"),
                                              ("zip", "gz"), ("zip", "xz"), ("zst", "gz"),
                                              ("tgz", "zst")])
def test_a_compressed_file_compressed_again_is_read_as_one(inner: str, outer: str) -> None:
    # A dump gzipped twice (a server's gzip of a .gz, saved as it came), an export.zip.gz: what decompressing made is
    # read as the file it is, whole and from a pipe. (Before, it was scanned as bytes: no link, and not a word.)
    text = linked_text(0, 40_000)
    packed = _WRAPS[outer](_WRAPS[inner](text))
    for source in (io.BytesIO(packed), through_pipe(packed)):
        scanner = Scanner()
        found = [t.id for t in scanner.scan(source, f"dump.{inner}.{outer}")]
        assert (len(found), found[0], found[-1]) == (1_001, "A000000", "A001000")
        assert found == [f"A{n:06d}" for n in range(1_001)]
        assert (scanner.errors, scanner.warnings) == ([], [])


# (and in pieces each: gzip's members and zstd's frames, one spoilt read on from the next)
_PIECES = {**_WRAPS, "gz2": lambda d: gzip.compress(d[:99]) + gzip.compress(d[99:]), "zst2": _pzstd}


@given(st.lists(st.sampled_from(sorted(_PIECES)), min_size=2, max_size=3), SPOILS, st.floats(0.05, 1), st.booleans())
@example(["zst", "gz2"], [(0.05, 255)], 1.0, False)  # (its first member spoilt: said without end, as it was looked at)
@settings(max_examples=40)
def test_a_compressed_file_inside_another_spoilt_anywhere_ends_and_is_never_a_bug(
        wraps: list[str], spoil: list[tuple[float, int]], kept: float, piped: bool) -> None:
    # (What stopped each layer said; no exception but the scan's own, and no reading without end.)
    packed = functools.reduce(lambda data, wrap: _PIECES[wrap](data), wraps, linked_text(0, 3000))
    spoilt = bytearray(packed)
    for where, value in spoil:
        spoilt[int(where * len(spoilt))] = value
    data = bytes(spoilt[:max(1, int(kept * len(spoilt)))])
    scanner = Scanner(debug=True)  # (a bug raises)
    list(scanner.scan(through_pipe(data) if piped else io.BytesIO(data), "dump.jsonl"))
    assert len(scanner.errors) < 50, scanner.errors  # (each layer says what stopped it, not the same without end)


def test_a_small_tarball_in_pzstds_frames_is_told_from_the_few_bytes_its_first_frame_makes() -> None:
    # Its first frame holds half the .tar.gz: decompressed, a few bytes of the tar's header, short of its magic number
    # (257 bytes in). It must be told a tar all the same, not read as text (which found nothing in its .gz).
    tgz = _tarred({"notes.txt.gz": gzip.compress(b"see https://imgur.com/a/AbC1234\n")})
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(_pzstd(tgz)), "backup.tgz.zst")] == ["AbC1234"]
    assert (scanner.errors, scanner.warnings) == ([], [])


def test_a_file_compressed_more_times_over_than_read_is_said_to_be() -> None:
    # Four layers are read; a fifth is said, not scanned as bytes in silence (nor followed without end).
    text = b"see https://imgur.com/a/AbC1234\n"
    fifth = "dump.gz: compressed 5 times over: what the innermost holds is not read (decompress it, then scan the file)"
    for times, found, said in ((4, ["AbC1234"], []), (5, [], [fifth])):
        packed = functools.reduce(lambda data, _: gzip.compress(data), range(times), text)
        scanner = Scanner()
        assert [t.id for t in scanner.scan(io.BytesIO(packed), "dump.gz")] == found
        assert (scanner.warnings, scanner.errors) == (said, [])


def test_a_bomb_inside_a_compressed_file_is_bound_by_what_the_outer_one_took(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each layer alone expands under the bound (the inner gzip some 180 times, the outer under 20), together some
    # 3,000 times: stopped as a bomb is, after what came before it was handed on.
    monkeypatch.setattr(reader, "RATIO_AFTER", 1024 * 1024)
    pattern = random.Random(1).randbytes(2000)
    packed = gzip.compress(gzip.compress(b"imgur.com/a/AbC1234 " + pattern * 4200, 9), 9)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(packed), "bomb.gz")] == ["AbC1234"]
    assert [str(e) for e in scanner.errors] == [
        "bomb.gz: stopped after 2 MiB: it expands more than 1000 times (a decompression bomb?)"]


@pytest.mark.parametrize("outer", ["tgz", "zip"])
def test_an_archive_inside_another_is_read_file_by_file(outer: str) -> None:
    # Exports kept in a backup's tarball (or ZIP): each read as it streams by, a compressed file in it decompressed, a
    # tar inside a ZIP too. What cannot be read in one (an encrypted file, its end cut off) is one line, and the
    # files after it are read. (Before, a ZIP there was passed over in a line, and a tar read as text.)
    takeout = _zipped({"a.txt": b"imgur.com/a/AbC1234", "b.json.gz": gzip.compress(b"imgur.com/a/XyZ9876"),
                       "c.txt": b"imgur.com/a/QwE5678"})
    locked = _second_encrypted(takeout)  # (b.json.gz)
    crawl = _tarred({"d.txt": b"imgur.com/a/RtY1234", "e.txt.xz": lzma.compress(b"imgur.com/a/UiO5678")}, "w")
    members = {"takeout.zip": locked, "cut.zip": takeout[:60], "crawl.tar": crawl,
               "notes.txt": b"imgur.com/a/PaS9012"}
    backup = _tarred(members) if outer == "tgz" else _zipped(members)
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(backup), f"backup.{outer}")]
    assert found == ["AbC1234", "QwE5678", "RtY1234", "UiO5678", "PaS9012"]
    assert [str(e) for e in scanner.errors] == [
        f"backup.{outer}: takeout.zip: b.json.gz: cannot read on (encrypted: its password is needed to read it); what "
        "was found before it still counts; the archive's other files are read",
        f"backup.{outer}: cut.zip: cannot read on (the archive stops before its end: cut short, or spoilt); what was "
        "found before it still counts; the archive's other files are read"]
    assert scanner.warnings == []


def _mozlz4(data: bytes) -> bytes:
    """As Firefox writes its session files: its magic number, then the size and one LZ4 block (as lz4's own block
    compressor writes them, the size first)."""
    return b"mozLz40\x00" + lz4.block.compress(data)


def test_a_firefox_session_file_gives_the_links_of_its_tabs(tmp_path: Path) -> None:
    # sessionstore.jsonlz4 (and recovery.jsonlz4 while Firefox runs): each window's tabs, each tab's pages.
    session = {"version": ["sessionrestore", 1], "windows": [{"tabs": [
        {"entries": [{"url": "https://imgur.com/a/AbC1234", "title": "Imgur"},
                     {"url": "https://i.imgur.com/XyZ9876.jpg", "title": "XyZ9876.jpg (640\u00d7480)"}]},
        {"entries": [{"url": "https://example.com/"}]}]}],
        "_closedWindows": [{"tabs": [{"entries": [{"url": "https://imgur.com/gallery/trip-QwE5678"}]}]}]}
    (tmp_path / "sessionstore.jsonlz4").write_bytes(_mozlz4(json.dumps(session).encode()))
    result = run_main("--scan", str(tmp_path / "sessionstore.jsonlz4"), "-g")
    assert result.code == 0, result
    assert result.out.splitlines() == ["https://imgur.com/a/AbC1234", "https://i.imgur.com/XyZ9876.jpg",
                                       "https://imgur.com/gallery/QwE5678"]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000) | st.lists(st.sampled_from([b"a", b"imgur", b"https://imgur.com/a/AbC1234 ",
                                                             b"\x00" * 40, b'"url":']), max_size=400).map(b"".join),
       st.sampled_from(["default", "high_compression", "fast"]))
def test_an_lz4_block_decodes_to_what_lz4_compressed(data: bytes, mode: str) -> None:
    block = lz4.block.compress(data, mode=mode, store_size=False)
    assert lz4block.decoded(block, len(data)) == lz4block.Decoded(data)
    if data:  # Cut short, what it made before is kept, and nothing that is not the data's.
        cut = lz4block.decoded(block[:len(block) // 2], len(data))
        assert cut.stopped is not None and data.startswith(cut.data)


_LZ4_TEXT = st.binary(max_size=3000) | st.lists(
    st.sampled_from([b"a", b"imgur", b"https://imgur.com/a/AbC1234 ", b"\x00" * 40, b'"url":', os.urandom(300)]),
    max_size=2000).map(b"".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LZ4_TEXT, min_size=1, max_size=3), st.booleans(), st.sampled_from([4, 5, 6, 7]), st.booleans(),
       st.booleans(), st.booleans(), st.integers(0, 16))
def test_lz4_frames_decode_to_what_lz4_compressed_however_they_were_made(texts: list[bytes], linked: bool,
                                                                         block_size: int, block_checksum: bool,
                                                                         content_checksum: bool, sized: bool,
                                                                         level: int) -> None:
    # As the lz4 command and its library write them: blocks that stand alone or copy from the ones before, of 64 KiB
    # to 4 MiB, with checksums or not, their size told or not; frames one after another, a skippable frame between.
    frames = [lz4.frame.compress(text, block_size=block_size, block_linked=linked, block_checksum=block_checksum,
                                 content_checksum=content_checksum, store_size=sized, compression_level=level)
              for text in texts]
    skippable = b"\x5a\x2a\x4d\x18" + (5).to_bytes(4, "little") + b"skip!"
    packed = skippable.join(frames)
    for source in (io.BytesIO(packed), through_pipe(packed)):
        assert b"".join(iter(functools.partial(Members(source, "t.lz4", Lz4()).read1, PIECE), b"")) == b"".join(texts)


def test_an_lz4_file_is_read_a_frame_at_a_time_and_a_spoilt_or_cut_one_is_said() -> None:
    first, second = (b"".join(b"see https://imgur.com/a/A%06d\n" % n for n in range(start, start + 3000))
                     for start in (0, 3000))
    packed = lz4.frame.compress(first) + lz4.frame.compress(second)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(packed), "dump.lz4")] == [f"A{n:06d}" for n in range(6000)]
    assert scanner.errors == []
    spoilt = bytearray(packed)
    spoilt[15:19] = (2**31 - 1).to_bytes(4, "little")  # (the first frame's first block: a size past any block's)
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(bytes(spoilt)), "dump.lz4")]
    assert found[-3000:] == [f"A{n:06d}" for n in range(3000, 6000)]  # (the next frame, whole)
    assert len(scanner.errors) == 1 and "dump.lz4: its lz4 frame from byte 0 cannot be read on" in str(
        scanner.errors[0]), scanner.errors
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(packed[:-100]), "dump.lz4")]  # (in the last frame's last block)
    assert found == [f"A{n:06d}" for n in range(len(found))] and 3000 < len(found) < 6000  # (its whole blocks)
    assert [str(e) for e in scanner.errors] == ["dump.lz4: cannot read on (the lz4 stream ends inside a frame: the "
                                                "file is cut short); what was found before it still counts"]


def _lz4_frame(flags: int, *blocks: bytes, more: bytes = b"") -> bytes:
    """An lz4 frame of ``blocks`` (each a block's data), its descriptor's flags ``flags`` (``more``: the fields they
    add), blocks of 64 KiB at the most."""
    return (lz4frames.MAGIC + bytes([flags, 0x40]) + more + b"\x00" + b"".join(len(b).to_bytes(4, "little") + b
                                                                        for b in blocks) + bytes(4))


@pytest.mark.parametrize(("frame", "made"), [
    # A linked block's match copies from the blocks before it, however small each is ...
    (_lz4_frame(0x40, b"\x20ab", b"\x20cd", b"\x00\x04\x00\x10!"), b"abcdabcd!"),
    # ... one that stands alone, from none: its match is not what it says, and the frame is spoilt there.
    (_lz4_frame(0x60, b"\x20ab", b"\x20cd", b"\x00\x04\x00\x10!"), b"abcd"),
    # Its content's size and a dictionary's id follow its flags, where they say so.
    (_lz4_frame(0x49, b"\x20ab", more=(2).to_bytes(8, "little") + b"\x01\x02\x03\x04"), b"ab"),
    # Its flags' reserved bit set, or its version not 01: no frame.
    (_lz4_frame(0x42, b"\x20ab"), b""),
    (_lz4_frame(0x80, b"\x20ab"), b""),
], ids=["linked", "independent", "size-and-dictionary", "reserved-bit", "version"])
def test_an_lz4_frame_is_read_as_its_descriptor_says(frame: bytes, made: bytes) -> None:
    members = Members(io.BytesIO(frame), "t.lz4", Lz4())
    given = []
    with contextlib.suppress(errors.ScanError):
        while piece := members.read1(PIECE):
            given.append(piece)
    assert b"".join(given) == made


def test_a_block_of_lz4_data_that_opens_with_no_frame_is_spoilt() -> None:
    # (as a pg_dump's block of lz4-compressed data is read: no look for a frame's magic number first)
    with pytest.raises(lz4frames.Spoilt, match="not an lz4 frame's descriptor"):
        Lz4().decoder().feed(b"\x00\x22\x4d\x18\x60\x40\x00", PIECE)


@pytest.mark.parametrize(("frame", "says"), [
    (b"\x04\x22\x4d\x18\x60\x40\x00" + (70_000).to_bytes(4, "little") + bytes(70_000),
     "a block of 70,000 bytes, in a frame whose blocks are 65,536 at most"),
    (b"\x04\x22\x4d\x18\x60\x40\x00" + (5).to_bytes(4, "little") + b"\x50hell" + bytes(4),
     "not an LZ4 block: cut short"),
    (b"\x04\x22\x4d\x18\x60\x40\x00" + (3).to_bytes(4, "little") + b"\x00\x05\x00" + bytes(4),
     "not an LZ4 block: a match before the start of the block"),
], ids=["block-too-large", "block-cut", "match-before-start"])
def test_an_lz4_frame_that_is_not_what_it_says_is_one_line(frame: bytes, says: str) -> None:
    scanner = Scanner()
    after = lz4.frame.compress(b"https://imgur.com/a/AbC1234")
    assert [t.id for t in scanner.scan(io.BytesIO(frame + after), "t.lz4")] == ["AbC1234"]
    assert len(scanner.errors) == 1 and says in str(scanner.errors[0]), scanner.errors


@pytest.mark.parametrize(("body", "says"), [
    (lz4.block.compress(b"https://imgur.com/a/AbC1234 " + os.urandom(3000))[:-30], "not an LZ4 block: cut short"),
    (b"\x10\x00\x00\x00" + bytes([0x1F, ord("x"), 0x05, 0x00, 0x0B]), "not an LZ4 block: a match before the start"),
    (b"\x05\x00\x00\x00" + bytes([0x1F, ord("x"), 0x01, 0x00, 0xFF, 0xFF, 0x00]),
     "not an LZ4 block: more than its header says it holds"),
    (b"\x10\x00\x00\x00" + bytes([0x50]) + b"hello", "not an LZ4 block: 5 bytes where its header says 16"),
    ((300 * 2**20).to_bytes(4, "little") + bytes(100), "it says it holds 314,572,800 bytes, more than imgur-dl reads"),
    (b"\x01\x00\x00\x00" + bytes(100), "larger than any that makes what its header says"),
    (b"\x01\x00", "Firefox's lz4-compressed JSON (mozlz4), not read: cut short"),
], ids=["cut", "before-start", "too-much", "too-little", "too-large", "block-too-large", "header-cut"])
def test_a_session_file_that_is_not_what_it_says_is_one_line(body: bytes, says: str) -> None:
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(b"mozLz40\x00" + body), "recovery.jsonlz4")]
    assert len(scanner.errors) == 1 and says in str(scanner.errors[0]), scanner.errors
    assert found == (["AbC1234"] if says.endswith("cut short") and len(body) > 10 else [])


@pytest.mark.parametrize("piped", [False, True], ids=["file", "pipe"])
def test_a_zip_on_a_pipe_is_read_and_an_encrypted_member_and_a_zip_bomb_are_one_line_each(
        monkeypatch: pytest.MonkeyPatch, piped: bool) -> None:
    # A ZIP on a pipe is read from each file's own header, front to back, as one cut short (no directory) is.
    opened = through_pipe if piped else io.BytesIO
    zipped = _zipped({"a.txt": b"see imgur.com/a/AbC1234 ", "b.txt": b"imgur.com/a/XyZ9876 ",
                      "c.txt": b"imgur.com/a/QwE5678"})
    if piped:
        pipe = subprocess.run([*command(), "--scan", "-", "-g"], input=zipped, capture_output=True, check=False)
        assert (pipe.returncode, pipe.stdout.split()) == (0, [b"https://imgur.com/a/AbC1234", b"https://imgur.com/a/"
                                                              b"XyZ9876", b"https://imgur.com/a/QwE5678"]), pipe.stderr
    # The second member encrypted (its flag set where zip writes it): the first still counts.
    locked = _second_encrypted(zipped)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(opened(locked), "locked.zip")] == ["AbC1234", "QwE5678"]
    assert [str(e) for e in scanner.errors] == ["locked.zip: b.txt: cannot read on (encrypted: its password is needed "
                                                "to read it); what was found before it still counts; the archive's "
                                                "other files are read"]
    # Members that expand past the bound (counted against the archive's own size: members may overlap; on a pipe,
    # against what has been read of it).
    monkeypatch.setattr(reader, "RATIO_AFTER", 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_RATIO", 100)  # (zeros deflate about 1,000 times: past this at once)
    bomb = _zipped({"a.txt": b"imgur.com/a/AbC1234 " + bytes(4 * 1024 * 1024), "b.txt": bytes(4 * 1024 * 1024)})
    scanner = Scanner()
    assert [t.id for t in scanner.scan(opened(bomb), "bomb.zip")] == ["AbC1234"]
    assert [str(e) for e in scanner.errors] == [f"bomb.zip: stopped after {1 if piped else 2} MiB: it expands more "
                                                "than 100 times (a decompression bomb?)"]


@pytest.mark.parametrize("piped", [False, True], ids=["file", "pipe"])
@pytest.mark.parametrize(("method", "named"), [(9, "with Deflate64 (method 9)"), (98, "with PPMd (method 98)"),
                                               (77, "in a way of its own (method 77)")])
def test_a_zip_file_compressed_in_a_way_not_read_is_named_and_the_others_are_read(piped: bool, method: int,
                                                                                  named: str) -> None:
    # (Windows writes a file over 2 GiB with Deflate64; 7-Zip may use PPMd. zipfile reads neither: "That compression
    # method is not supported", it said, naming neither.)
    zipped = bytearray(_zipped({"a.txt": b"imgur.com/a/AbC1234\n", "b.txt": b"imgur.com/a/XyZ9876 " * 50,
                                "c.txt": b"imgur.com/a/QwE5678"}))
    header, entry = zipped.index(b"PK\x03\x04", 1), zipped.index(b"PK\x01\x02", zipped.index(b"PK\x01\x02") + 1)
    struct.pack_into("<H", zipped, header + 8, method)  # (b.txt's, in its header and the directory)
    struct.pack_into("<H", zipped, entry + 10, method)
    scanner = Scanner()
    assert [t.id for t in scanner.scan((through_pipe if piped else io.BytesIO)(bytes(zipped)), "big.zip")] == [
        "AbC1234", "QwE5678"]
    assert [str(e) for e in scanner.errors] == [
        f"big.zip: b.txt: cannot read on (compressed {named}, which imgur-dl does not read: extract it with a program "
        "that does (7-Zip), then scan what it holds); what was found before it still counts; the archive's other files "
        "are read"]


def test_a_zip_of_a_version_zipfile_does_not_read_is_one_line_and_the_scan_goes_on(tmp_path: Path) -> None:
    # Its central directory says a member needs ZIP 6.4 to extract (zipfile reads up to 6.3).
    zipped = bytearray(_zipped({"a.txt": b"see imgur.com/a/AbC1234 "}))
    needs = zipped.index(b"PK\x01\x02") + 6  # (the member's "version needed to extract")
    zipped[needs:needs + 2] = (64).to_bytes(2, "little")
    (tmp_path / "export.zip").write_bytes(zipped)
    (tmp_path / "notes.txt").write_text("https://imgur.com/a/QwE5678")
    result = run_main("--scan", str(tmp_path / "export.zip"), "--scan", str(tmp_path / "notes.txt"), "-g")
    assert (result.code, result.out) == (1, "https://imgur.com/a/QwE5678\n"), result
    assert result.err.count("imgur-dl: error:") == 1, result.err
    assert f"imgur-dl: error: {tmp_path / 'export.zip'}: cannot read on (zip file version 6.4); what was found " \
           "before it still counts\n" in result.err, result.err


def test_a_file_of_an_archive_that_cannot_be_read_to_its_end_leaves_the_others_to_read(tmp_path: Path) -> None:
    # An export with one file spoilt (its gzip cut short, or its ZIP data), one encrypted, one in a form not read:
    # each is one error line, and every other file of the archive is read (before, the first stopped the archive).
    cut = gzip.compress(b"see imgur.com/a/AbC1234 " + bytes(range(256)) * 400, mtime=0)[:300]
    members = {"1.json.gz": cut, "2.txt": b"imgur.com/a/QwE5678 ", "3.rar": b"Rar!\x1a\x07\x01\x00" + bytes(40),
               "4.txt": b"imgur.com/gallery/XyZ9876 " + b"imgur.com/t/cats " * 1000, "5.txt": b"imgur.com/user/Some"}
    zipped = bytearray(_zipped(members))
    deflated = zipped.index(b"4.txt") + len(b"4.txt") + 4  # (4.txt's deflated data, past its first bytes)
    zipped[deflated:deflated + 4] = b"\xff" * 4
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(bytes(zipped)), "export.zip")]
    assert found == ["AbC1234", "QwE5678", "Some"]  # (4.txt's spoilt from its start: nothing of it)
    said = [str(e) for e in scanner.errors]
    assert [line.split(" (")[0] for line in said] == ["export.zip: 1.json.gz: cannot read on", "export.zip: 3.rar is a "
                                                      "RAR archive, which imgur-dl does not read",
                                                      "export.zip: 4.txt: cannot read on"], said
    assert all(line.endswith("; the archive's other files are read") for line in said)
    tarred = io.BytesIO()
    with tarfile.open(fileobj=tarred, mode="w") as archive:
        for name, data in members.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(tarred.getvalue()), "export.tar")] == [
        "AbC1234", "QwE5678", "XyZ9876", "cats", "Some"]
    assert len(scanner.errors) == 2  # (its 4.txt whole: no deflated data of the ZIP's to spoil)
    # An archive whose files are all spoilt: a line for each of the first ten, then one for the archive.
    many = bytearray(_zipped({f"{n}.txt": b"imgur.com/a/AbC1234 " * 100 for n in range(50)}))
    for at in range(len(many)):
        if many[at:at + 4] == b"PK\x03\x04":
            many[at + 30 + len(b"0.txt") + 2:at + 30 + len(b"0.txt") + 6] = b"\xff" * 4  # (each file's deflated data)
    scanner = Scanner()
    list(scanner.scan(io.BytesIO(bytes(many)), "many.zip"))
    assert len(scanner.errors) == archives.FILES_STOPPED_MOST + 1
    assert str(scanner.errors[-1]) == ("many.zip: cannot read on (more than 10 of its files could not be read to their "
                                       "end: spoilt throughout?); what was found before it still counts")
    # The stream beneath the archive failing as a file is read stops it too, in one line: no line for that file.
    failing = io.BufferedReader(_Failing(tarred.getvalue(), tarred.getvalue().index(b"imgur.com/a/QwE5678")))
    scanner = Scanner()
    assert [t.id for t in scanner.scan(failing, "export.tar")] == ["AbC1234"]
    assert [str(e) for e in scanner.errors] == ["export.tar: 1.json.gz: cannot read on (Compressed file ended before "
                                                "the end-of-stream marker was reached); what was found before it still "
                                                "counts; the archive's other files are read", "export.tar: cannot read "
                                                "on (Input/output error); what was found before it still counts"]
    # The archive's own stream spoilt stops it, in one line, as before.
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(tarred.getvalue()[:1500]), "export.tar")] == ["AbC1234"]
    assert [str(e).split(" (")[0] for e in scanner.errors] == ["export.tar: 1.json.gz: cannot read on",
                                                              "export.tar: cannot read on"]


class _Failing(io.RawIOBase):
    """A file whose reading fails past ``at`` bytes (a disk's bad sector, a network share gone)."""

    def __init__(self, data: bytes, at: int) -> None:
        self.data, self.at, self.position = data, at, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.at:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        taken = min(len(buffer), self.at - self.position)
        buffer[:taken] = self.data[self.position:self.position + taken]
        self.position += taken
        return taken


class _Dribble(io.RawIOBase):
    """A pipe that gives one byte a read."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.data:
            return 0
        buffer[0], self.data = self.data[0], self.data[1:]
        return 1


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_text_with_its_byte_order_mark_is_scanned(encoding: str) -> None:
    # As Notepad's "Unicode" and PowerShell's ">" save a list: every other byte of each link a NUL.
    dump, ids = _numbered_dump(300)
    text = "\ufeff".encode(encoding) + dump.decode().replace("\n", "\r\n").encode(encoding)
    for packed in (text, gzip.compress(text, 1), _zipped({"links.txt": text})):
        scanner = Scanner()
        assert [t.id for t in scanner.scan(io.BytesIO(packed), "t")] == ids
        assert not scanner.errors
    scanner = Scanner()
    nine = text[:2 + 9 * len("see https://i.imgur.com/Im00000.jpg now\r\n".encode(encoding))]  # (nine lines)
    assert [t.id for t in scanner.scan(io.BufferedReader(_Dribble(nine)), "t")] == ids[:9]


def test_zstd_without_the_extra_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dump.zst").write_bytes(_zstd(b"imgur.com/a/AbC1234"))
    without_zstd(monkeypatch)
    result = run_main("--scan", str(tmp_path / "dump.zst"), "-g")
    assert result.code == 2, result
    assert "install imgur-dl[zstd]" in result.err


# -- properties ---------------------------------------------------------------------------------

_ID = st.text("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=7, max_size=7)
_LINKS = st.one_of(
    _ID.map(lambda i: f"https://imgur.com/a/{i}"), _ID.map(lambda i: f"imgur.com/gallery/{i}"),
    _ID.map(lambda i: f"https://i.imgur.com/{i}.jpg"), _ID.map(lambda i: f"http://www.imgur.com/{i}"),
    st.from_regex(r"[A-Za-z0-9_]{2,20}", fullmatch=True).map(lambda n: f"https://imgur.com/user/{n}"),
)
_TEXT = st.text(max_size=200).filter(lambda t: "imgur" not in t.lower())
_SEPARATORS = st.sampled_from([" ", "\n", "\t", "(", ")", '"', "'", "<", ">", "[", "]", ", ", ". "])
PROPERTIES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1))
@example("LZIP is a compressor")
@example("Rar! and 7z are not read")
@example("SQLite format 3 is its header")
def test_text_is_never_taken_for_a_compressed_file_or_an_archive(text: str) -> None:
    # Every magic number holds a control character or a byte no UTF-8 text has (an .lzma file's dictionary size,
    # 2^n or 2^n + 2^(n-1) bytes and at least 4 KiB, a zero byte); but bzip2's: "BZh", then its level.
    assume(not text.startswith("BZh"))
    assert compressed.kind_of(text.encode()[:compressed.MAGIC_SIZE]) is None


def test_text_that_opens_as_a_format_s_name_is_read_as_text() -> None:
    # (lzip's magic number is "LZIP", then its version, 1 or 0: a note about it is no lzip file.)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(b"LZIP is a compressor; see imgur.com/a/AbC1234\n"), "t")] == [
        "AbC1234"]
    assert scanner.errors == []


@pytest.mark.parametrize("size", [300, 2000])
def test_text_that_holds_ustar_where_a_tar_archive_s_magic_number_is_is_read_as_text(size: int) -> None:
    # ("ustar" 257 bytes in is a tar archive's magic number; an email or notes may hold it there: read as a tar, it
    # gave no link and "cannot read on (truncated header)". A tar's first header is told by its checksum too.)
    text = (b"x" * 257 + b"ustar see https://imgur.com/a/AbC1234 ").ljust(size, b".")
    scanner = Scanner()
    assert ([t.id for t in scanner.scan(io.BytesIO(text), "notes.txt")], scanner.errors) == (["AbC1234"], [])


def test_an_lzma_file_is_told_by_its_header_as_xz_tells_one() -> None:
    def head(properties: int = 0x5D, dictionary: int = 1 << 23, size: int = 2**64 - 1) -> bytes:
        return bytes([properties]) + dictionary.to_bytes(4, "little") + size.to_bytes(8, "little") + b"\x00\x2b\x9a"

    assert [compressed.kind_of(head(dictionary=d)) for d in (1 << 12, 1 << 26, 3 << 20, 1 << 31)] == ["lzma"] * 4
    assert compressed.kind_of(head(size=12_345)) == "lzma"
    assert [compressed.kind_of(h) for h in (head(properties=225), head(dictionary=5 << 20), head(dictionary=1 << 11),
                                             head(size=2**38), head()[:12])] == [None] * 5


@PROPERTIES
@given(_TEXT, _SEPARATORS, _LINKS, _SEPARATORS, _TEXT)
def test_random_text_around_a_link_finds_exactly_that_link(before: str, left: str, link: str, right: str,
                                                           after: str) -> None:
    text = f"{before}{left}{link}{right}{after}".encode("utf-8", "surrogatepass")
    assert list(links(text)) == [link]


@PROPERTIES
@given(st.lists(st.tuples(st.sampled_from(range(len(DRESSES))), st.binary(max_size=200)), min_size=1, max_size=12),
       st.booleans(), st.integers(40, 3000), st.lists(st.integers(0, 10**5), max_size=8))
@example([(19, b""), (0, b"")], True, 40, [])  # (a search in quoted-printable, "=3D" its only mark in its block)
@example([(2, bytes(10) + b"    "), (9, b" "), (28, b"\t    "), (0, b"ustar")], True, 40, [])  # ("ustar" 257 in)
def test_text_gives_the_same_links_wherever_its_blocks_end(dressed: list[tuple[int, bytes]], quoted: bool,
                                                            block: int, cuts: list[int]) -> None:
    # Links in every dress, amid anything, as it is or as an email keeps it (quoted-printable): read whole, in blocks
    # of any size or through a pipe's pieces, the same links. (A piece of a message with no soft line break held
    # "url=3Dhttps%3A%2F%2Fimgur.com..." unread: found in 1 of 50 such texts read in small pieces.)
    text = b"".join(b" " + filler.replace(b"imgur", b"") + b" " + DRESSES[n][0] for n, filler in dressed)
    data = b"Content-Transfer-Encoding: quoted-printable\n\n" + quopri.encodestring(text) if quoted else text
    whole = sorted(t.id for t in Scanner().scan(io.BytesIO(data), "notes"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        piped = io.BufferedReader(Pieces(data, [c % (len(data) + 1) for c in cuts]))
        assert sorted(t.id for t in Scanner().scan(piped, "notes")) == whole


@PROPERTIES
@given(st.lists(st.tuples(_LINKS, st.sampled_from([",", ";", ",,", ", "]),
                          st.sampled_from(["", "2019-05-01,", "x;", "17,", "a b,", "Memes,", "Hello world,",
                                           "12345,"])), min_size=1, max_size=6))
@example([("https://imgur.com/user/__", ",", "2019-05-01,")])  # (a name ending as URL Defense's "__;" does)
@example([("https://imgur.com/user/__", ";", "x;")])
def test_a_row_of_links_and_fields_gives_every_link(row: list[tuple[str, str, str]]) -> None:
    """Links, each followed by a ',' or ';' and maybe by another field, as a CSV export's rows have them."""
    text = "".join(link + separator + field for link, separator, field in row).encode()
    assert [t.id for t in targets_in(text)] == [t.id for link, _, _ in row for t in targets_in(link.encode())]


@pytest.mark.parametrize(("dump", "named"), [
    # phpBB 3.0 keeps a BBCode's '.' and ':' as entities, and a tag's uid after a ':' (its message_parser's
    # "bbcode_specialchars"): a dump of its posts table, as mysqldump writes one.
    (b"INSERT INTO `phpbb_posts` VALUES (7,2,'see [url=http&#58;//imgur&#46;com/a/AbC1234:3k2j1x]my "
     b"album[/url:3k2j1x] and [img:3k2j1x]http&#58;//i&#46;imgur&#46;com/XyZ9876&#46;jpg[/img:3k2j1x]\\n"
     b"[url:3k2j1x]https&#58;//imgur&#46;com/user/SomeName[/url:3k2j1x]','3k2j1x');\n",
     [("album", "AbC1234"), ("image", "XyZ9876"), ("user", "SomeName")]),
    # XenForo keeps a link to Imgur a post was given as its own BBCode, the id alone (an album's after "a/"), as
    # its forums' users write it too, and converters from other forums (a vBulletin one's tests: "[MEDIA=imgur]
    # tIoAL6n[/MEDIA]").
    (b"INSERT INTO `xf_post` VALUES (11,3,'Look [MEDIA=imgur]kaD578M[/MEDIA] and the rest: "
     b"[MEDIA=imgur]a/AbC1234[/MEDIA]\\n[media=imgur]gallery/XyZ9876[/media] [MEDIA=youtube]dQw4w9WgXcQ"
     b"[/MEDIA]',1);\n",
     [("image", "kaD578M"), ("album", "AbC1234"), ("gallery", "XyZ9876")]),
])
def test_a_forum_database_s_links_are_found(dump: bytes, named: list[tuple[str, str]]) -> None:
    # (Before, no link was found in either dump.)
    assert [(t.kind.value, t.id) for t in targets_in(dump)] == named


@PROPERTIES
@given(_TEXT, _ID, st.sampled_from(["", "a/", "gallery/"]), st.sampled_from(["MEDIA", "media", "Media"]), _TEXT)
def test_a_link_xenforo_keeps_names_what_it_names(before: str, id_: str, kind: str, tag: str, after: str) -> None:
    text = f"{before} [{tag}=imgur]{kind}{id_}[/{tag}] {after}".encode("utf-8", "surrogatepass")
    assert [t.id for t in targets_in(text)] == [t.id for t in targets_in(f"https://imgur.com/{kind}{id_}".encode())]


@PROPERTIES
@given(_TEXT, _LINKS, st.booleans(), st.from_regex(r"[a-z0-9]{8}", fullmatch=True), _TEXT)
def test_a_link_phpbb_keeps_names_what_it_names(before: str, link: str, tagged: bool, uid: str, after: str) -> None:
    kept = link.replace(".", "&#46;").replace(":", "&#58;")
    written = f"[url={kept}:{uid}]x[/url:{uid}]" if tagged else f"[url:{uid}]{kept}[/url:{uid}]"
    text = f"{before} {written} {after}".encode("utf-8", "surrogatepass")
    assert [t.id for t in targets_in(text)] == [t.id for t in targets_in(link.encode())]


@PROPERTIES
@given(_TEXT, st.sampled_from(["https://imgur.com/user/", "imgur.com/t/", "https://imgur.com/user/bob/favorites/"]),
       st.from_regex(r"[A-Za-z0-9]{1,8}(_[A-Za-z0-9]{1,8}){1,3}_?", fullmatch=True), _TEXT)
def test_a_link_written_as_markdown_escapes_it_names_what_it_names(before: str, path: str, name: str,
                                                                   after: str) -> None:
    """Markdown's writers escape each '_' of text, a link's too ("imgur.com/user/Some\\_Name"): read as written,
    the link named another user, "Some" (and "imgur.com/t/funny\\_cats" all of the tag "funny")."""
    link = path + name
    escaped = link.replace("_", "\\_")
    text = f"{before} {escaped} {after}\n[{escaped}]({link})".encode("utf-8", "surrogatepass")
    assert [t.id for t in targets_in(text)] == [t.id for t in targets_in(link.encode())] * 3


@PROPERTIES
@given(_TEXT, st.sampled_from(["\n", "\r\n", "\t", " ", "\u00a0", "<p>", "\n\n> ", "\u201c", "("]), _LINKS,
       st.sampled_from(["\n", "\t", " ", "</p>", "\u201d", ")", "\u00a0"]), _TEXT, st.booleans(), st.booleans())
def test_a_link_in_text_written_as_json_is_found_whatever_is_escaped_around_it(
        before: str, left: str, link: str, right: str, after: str, ascii_only: bool, as_go: bool) -> None:
    """A body in a JSON export (a Reddit dump's, a chat's): each control character, non-ASCII character (and, as
    Go writes JSON, each '<', '>' and '&') around the link escaped."""
    value = json.dumps({"body": f"{before}{left}{link}{right}{after}"}, ensure_ascii=ascii_only)
    if as_go:
        value = value.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert list(links(value.encode("utf-8", "surrogatepass"))) == [link]


@pytest.mark.parametrize(("text", "named", "cut"), [
    # Twitter's display_url: as the tweet shows the link, cut short, beside the link whole (expanded_url).
    ('"display_url":"imgur.com/gallery/holid\u2026","expanded_url":"https://imgur.com/gallery/holiday-AbC1234"',
     ["AbC1234"], 1),
    ('"display_url":"imgur.com/gallery/holid\\u2026","expanded_url":"https:\\/\\/imgur.com\\/gallery\\/AbC1234"',
     ["AbC1234"], 1),
    ("RT: look at i.imgur.com/XyZ9876.jp\u2026", [], 1),
    ("see imgur.com/a/AbC12\u2026 and imgur.com/a/QwE5678...", ["QwE5678"], 1),
    # Mastodon's: the first 30 characters shown, in a span of class "ellipsis"; the href whole.
    ('<a href="https://imgur.com/gallery/my-cat-AbC1234" rel="nofollow noopener"><span class="invisible">https://'
     '</span><span class="ellipsis">imgur.com/gallery/my-cat-AbC12</span><span class="invisible">34</span></a>',
     ["AbC1234"], 1),
    ('"content":"<p><a href=\\"https://imgur.com/gallery/my-cat-AbC1234\\"><span class=\\"invisible\\">https://'
     '</span><span class=\\"ellipsis\\">imgur.com/gallery/my-cat-AbC12</span></a></p>"', ["AbC1234"], 1),
    ("&lt;span class=&quot;ellipsis&quot;&gt;imgur.com/gallery/my-cat-AbC12&lt;/span&gt;", [], 1),
    # ... and one short enough to be shown whole is taken.
    ('<span class="invisible">https://</span><span class="">imgur.com/a/AbC1234</span>', ["AbC1234"], 0),
    # A forum's: phpBB's post (as its database keeps it too), its first 39 characters, " ... " and its last 10; in
    # a dump of its posts as JSON, and HTML escaped once more. Prose with an ellipsis after a link is no display.
    ('<!-- m --><a class="postlink" href="https://imgur.com/gallery/when-my-friend-saw-this-AbC1234">https://imgur.'
     'com/gallery/when-my-frien ... is-AbC1234</a><!-- m -->', ["AbC1234"], 1),
    ('"post_text":"<a class=\\"postlink\\" href=\\"https:\\/\\/imgur.com\\/gallery\\/when-my-friend-saw-this-'
     'AbC1234\\">https:\\/\\/imgur.com\\/gallery\\/when-my-frien ... is-AbC1234<\\/a>"', ["AbC1234"], 1),
    ("&lt;a href=&quot;https://example.com/&quot;&gt;https://imgur.com/gallery/when-my-frien ... is-AbC1234&lt;/a&gt;",
     [], 1),
    ("see https://imgur.com/a/AbC1234 ... and https://imgur.com/a/QwE5678 ... wow", ["AbC1234", "QwE5678"], 0),
    # Hacker News's (a comment's "text" from its API): the first 60 characters and "...".
    ('"text":"Here: <a href=\\"https:&#x2F;&#x2F;imgur.com&#x2F;gallery&#x2F;so-this-happened-when-my-friend-saw-'
     'this-AbC1234\\" rel=\\"nofollow\\">https:&#x2F;&#x2F;imgur.com&#x2F;gallery&#x2F;so-this-happened-when-my-frien'
     '...</a>"', ["AbC1234"], 1),
    ('<a href="https://example.com/">imgur.com/a/AbC1234...</a> and imgur.com/a/QwE5678... <a>', ["QwE5678"], 1),
    # Bluesky's (a post's record): its host, 13 characters more and "...", the link whole in the post's facet.
    ('{"$type":"app.bsky.feed.post","text":"mine: imgur.com/user/SomeNam... and imgur.com/t/funny_cats...","facets":'
     '[{"features":[{"$type":"app.bsky.richtext.facet#link","uri":"https://imgur.com/user/SomeName/posts"}]},'
     '{"features":[{"$type":"app.bsky.richtext.facet#link","uri":"https://imgur.com/t/funny_cats_and_dogs"}]}]}',
     ["SomeName", "funny_cats_and_dogs"], 2),
])
def test_a_link_shown_cut_short_is_left_out(text: str, named: list[str], cut: int) -> None:
    """A page's display of a link too long for it, cut short: what is left names another post ("holid")."""
    for block in range(40, len(text) + 8):  # (wherever a block ends: the span and the link may be read apart)
        scanner = Scanner()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(scan, "BLOCK", block)
            assert [t.id for t in scanner.scan(io.BytesIO(text.encode()), "export")] == named, block
        assert scanner.stats.cut == cut


# Markup a page puts inside a long word, a link's too: 4chan's comments a <wbr> every so many characters of one (its
# pages, and its API's "com", which scripts reading it strip before taking links), Facebook's pages one between a
# long link's pieces; Twitter's pages hide the rest of a long link in a span of class "invisible" (its title and
# data-expanded-url whole). Read as written, the link ended at the '<': "AbC12", another album.
@pytest.mark.parametrize(("text", "named"), [
    # 4chan's API (JSON as PHP writes it: every '/' escaped) and its page.
    (rb'{"no":1234,"com":"Album: https:\/\/imgur.com\/a\/AbC12<wbr>34<br>more"}', ["AbC1234"]),
    (b'<blockquote class="postMessage" id="m1234">pic:https://i.imgur.com/XyZ98<wbr>76.jpg<br>ok</blockquote>',
     ["XyZ9876"]),
    (b"https://imgur.com/gallery/my-holiday-pictures-from-the-<wbr>lake-AbC1234", ["AbC1234"]),
    # Facebook's page: the link whole in its href (through Facebook's redirector), the text in pieces.
    (b'<a href="https://l.facebook.com/l.php?u=https%3A%2F%2Fimgur.com%2Fa%2FAbC1234&amp;h=AT0"><span>https://imgur.'
     b'com/a/AbC12</span><wbr /><span class="word_break"></span>34</a>', ["AbC1234"]),
    (rb'"<span>https:\/\/imgur.com\/a\/AbC12<\/span><wbr \/><span class=\"word_break\"><\/span>34"', ["AbC1234"]),
    # As Go writes it in JSON; HTML escaped once more; in capitals; in the host.
    (rb'"https://imgur.com/a/AbC12\u003cwbr\u003e34"', ["AbC1234"]),
    (b"&lt;p&gt;https://imgur.com/a/AbC12&lt;wbr&gt;34&lt;/p&gt;", ["AbC1234"]),
    (b"https://imgur.com/a/AbC12<WBR/>34", ["AbC1234"]),
    (b"https://i.img<wbr>ur.com/XyZ9876.jpg", ["XyZ9876"]),
    # Twitter's page (a link through t.co, whole in its title), its display alone, and as its timeline's JSON held it.
    (b'<a href="https://t.co/AbCdEf123" rel="nofollow noopener" dir="ltr" data-expanded-url="https://imgur.com/'
     b'gallery/holiday-AbC1234" class="twitter-timeline-link" target="_blank" title="https://imgur.com/gallery/'
     b'holiday-AbC1234" >'
     b'<span class="tco-ellipsis"></span><span class="invisible">https://</span><span class="js-display-url">imgur.com/'
     b'gallery/holid</span><span class="invisible">ay-AbC1234</span><span class="tco-ellipsis"><span class="invisible">'
     b"&nbsp;</span>\xe2\x80\xa6</span></a>", ["AbC1234"]),
    (b'<span class="js-display-url">imgur.com/a/AbC12</span><span class="invisible">34</span>', ["AbC1234"]),
    (rb'"items_html":"<span class=\"js-display-url\">imgur.com\/a\/AbC12<\/span><span class=\"invisible\">34<\/span>"',
     ["AbC1234"]),
    (b'<span class="js-display-url">imgur.com/a/AbC1234</span><span class="invisible"></span><span>', ["AbC1234"]),
])
def test_a_link_a_page_breaks_is_found_whole(text: bytes, named: list[str]) -> None:
    for block in range(8, len(text) + 8):  # (wherever a block ends: in the break, or right after it)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(scan, "BLOCK", block)
            assert [t.id for t in Scanner().scan(io.BytesIO(text), "thread.json")] == named, block


_BREAKS = st.sampled_from(["<wbr>", "<wbr/>", "<wbr />", "<WBR>", "\\u003cwbr\\u003e", "&lt;wbr&gt;",
                           '</span><wbr /><span class="word_break"></span>',
                           '<\\/span><wbr \\/><span class=\\"word_break\\"><\\/span>',
                           '</span><span class="invisible">', '<\\/span><span class=\\"invisible\\">',
                           "&lt;/span&gt;&lt;span class=&quot;invisible&quot;&gt;"])
_UNBROKEN = _TEXT.filter(lambda t: "wbr" not in t.lower())


@PROPERTIES
@given(_UNBROKEN, _SEPARATORS, _LINKS, st.lists(st.tuples(st.integers(1, 200), _BREAKS), max_size=4), _SEPARATORS,
       _UNBROKEN, st.integers(8, 400), st.lists(st.integers(0, 10**4), max_size=8))
def test_a_link_broken_anywhere_is_found_whole_wherever_blocks_end(
        before: str, left: str, link: str, pieces: list[tuple[int, str]], right: str, after: str, block: int,
        cuts: list[int]) -> None:
    broken = link
    for at, piece in sorted(((at % (len(link) - 1)) + 1, piece) for at, piece in pieces)[::-1]:
        broken = broken[:at] + piece + broken[at:]
    data = f"{before}{left}{broken}{right}{after}".encode("utf-8", "surrogatepass")
    named = [t.id for t in targets_in(link.encode())]
    assert [t.id for t in targets_in(data)] == named
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        piped = io.BufferedReader(Pieces(data, [c % (len(data) + 1) for c in cuts]))
        assert [t.id for t in Scanner().scan(piped, "thread.json")] == named


@PROPERTIES
@given(st.lists(st.one_of(_BREAKS.map(str.encode), st.binary(max_size=12),
                          st.sampled_from([b"wbr", b"WBR", b"invisible", b"<", b"&lt;", b"\\u003c", b"</span>", b">",
                                           b" /"])),
                max_size=30))
def test_breaks_are_taken_out_as_one_expression_over_the_whole_text_would(parts: list[bytes]) -> None:
    joined, room = b"".join(parts), b" " * 300 * len(parts)
    for text in (joined, room + joined, joined + room):  # (anchors dense, and sparse)
        assert markup.removed(text, text.lower()) == (markup.BREAK.sub(b"", text), markup.BREAK.sub(b"", text.lower()))


@PROPERTIES
@given(st.from_regex(r"[a-z]{1,9}(-[a-z]{1,9}){2,6}", fullmatch=True), _ID,
       st.sampled_from([(39, 10), (32, 19), (54, 10), (60, 0)]), st.booleans(), st.booleans(), st.integers(8, 400),
       st.lists(st.integers(0, 10**4), max_size=8))
def test_a_link_a_forum_shows_shortened_names_nothing_wherever_blocks_end(
        slug: str, post: str, kept: tuple[int, int], linked: bool, escaped: bool, block: int, cuts: list[int]) -> None:
    """phpBB, Discuz! and HESK show a link longer than 55, 65 or 70 characters as its beginning, " ... " and its
    end, Hacker News one longer than 60 as its beginning and "...", the text of a link to it whole: the beginning
    is another post ("when-my-frien": "frien")."""
    url = f"https://imgur.com/gallery/{slug}-{post}"
    head, tail = kept
    assume(len(url) > head + tail + 5)
    href = url if linked else "https://example.com/"
    shown = f"{url[:head]} ... {url[-tail:]}" if tail else f"{url[:head]}..."
    if escaped:  # (as Hacker News writes each '/' of a comment's text)
        href, shown = href.replace("/", "&#x2F;"), shown.replace("/", "&#x2F;")
    data = f'<p>Look: <a class="postlink" href="{href}">{shown}</a> ok</p>'.encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        piped = io.BufferedReader(Pieces(data, [c % (len(data) + 1) for c in cuts]))
        assert [t.id for t in Scanner().scan(piped, "forum.html")] == [t.id for t in targets_in(href.encode())]


@PROPERTIES
@given(st.sampled_from(["https://imgur.com/user/{}/posts", "https://imgur.com/t/{}", "https://imgur.com/user/{}",
                        "https://imgur.com/search?q={}"]), st.from_regex(r"[A-Za-z0-9_]{2,30}", fullmatch=True),
       st.integers(8, 400))
@example("https://imgur.com/search?q={}", "3D0", 8)  # (a search for "3D0" was a search for "0" too: "=3D" read as '=')
@example("https://imgur.com/search?q={}", "3D0000", 8)  # (shown "search?q=3D0...", 13 characters: "q=0..." is 11)
def test_a_link_bluesky_shows_shortened_names_nothing(form: str, name: str, block: int) -> None:
    """Bluesky's app writes a link into a post's text as its host, 13 characters more and "...", when the rest is
    longer than 15 (the link whole in the post's facet): "imgur.com/user/SomeNam..." named another user."""
    url = form.format(name)
    rest = url.removeprefix("https://imgur.com")
    shown = f"imgur.com{rest[:13]}..." if len(rest) > 15 else f"imgur.com{rest}"
    record = {"text": f"mine: {shown}", "facets": [{"features": [{"uri": url}]}]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        found = Scanner().scan(io.BytesIO(json.dumps(record).encode()), "posts.json")
        assert [t.id for t in found] == [t.id for t in targets_in(url.encode())]


def test_a_scan_says_how_many_links_it_left_out_cut_short(tmp_path: Path) -> None:
    export = tmp_path / "tweets.js"
    export.write_text('"display_url":"imgur.com/gallery/holid\u2026","expanded_url":"https://imgur.com/gallery/'
                      'holiday-AbC1234"\n"display_url":"imgur.com/gallery/a-dog-\u2026"\n', encoding="utf-8")
    result = run_main("--scan", str(export), "-g")
    assert result.code == 0, result
    assert result.out == "https://imgur.com/gallery/AbC1234\n"
    assert result.err.endswith("1 Imgur link, 1 distinct target; 2 links left out: cut short, as a page shows them\n")


@PROPERTIES
@given(st.binary(max_size=500) | _TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_text_alone_finds_nothing(text: bytes) -> None:
    if b"imgur" in text.lower():
        return
    assert list(targets_in(text)) == []


# -- end to end -------------------------------------------------------------------------------

def test_scan_downloads_every_linked_file_byte_exact(imgur: Imgur, tmp_path: Path) -> None:
    first = imgur.add_album("AbC1234", count=2, title="one")
    second = imgur.add_album("DeF5678", count=1)
    lone = imgur.add_image("XyZ9876")
    notes = tmp_path / "notes.md"
    notes.write_text("# saved\n- [one](https://imgur.com/a/AbC1234), again: imgur.com/gallery/AbC1234\n"
                     '- <a href="https://imgur.com/a/DeF5678">two</a>\n- ![x](https://i.imgur.com/XyZ9876h.jpg).\n')
    out = tmp_path / "out"
    result = run_main("--scan", str(notes), "-o", str(out))
    assert result.code == 0, result
    want = {f"AbC1234 - one/00{n}-{i.id}.jpg": i.data for n, i in enumerate(first.images, 1)}
    want |= {f"DeF5678/001-{second.images[0].id}.jpg": second.images[0].data, "XyZ9876.jpg": lone.data}
    assert files_under(out) == want
    assert f"imgur-dl: scanned {notes.stat().st_size} B: 4 Imgur links, 3 distinct targets" in result.err
    assert len(imgur.requests_to("api.imgur.com", "/post/v1/albums/AbC1234")) == 1


@pytest.mark.parametrize(("name", "why"), [("gone.md", "No such file or directory"),
                                           ("x" * 300, "File name too long")])  # (past what a name may be)
def test_a_file_that_cannot_be_scanned_is_said_before_the_summary_which_stays_last(imgur: Imgur, tmp_path: Path,
                                                                                  name: str, why: str) -> None:
    imgur.add_album("AbC1234", count=1)
    (tmp_path / "notes.md").write_text("https://imgur.com/a/AbC1234\n")
    result = run_main("--scan", str(tmp_path / name), "--scan", str(tmp_path / "notes.md"), "-o", str(tmp_path))
    assert result.code == 2, result  # the other file is still read and fetched
    error, scanned, summary = result.err.splitlines()
    assert error == f"imgur-dl: error: cannot scan {tmp_path / name}: {why}"
    assert scanned == "imgur-dl: scanned 28 B: 1 Imgur link, 1 distinct target"
    assert summary.startswith("imgur-dl: 1 album; files: 1 saved, 0 skipped, 0 failed; ")


def test_a_choice_of_posts_a_scan_had_no_listing_for_is_said_to_have_chosen_nothing(imgur: Imgur,
                                                                                     tmp_path: Path) -> None:
    # (--since with no listing on the command line is refused at once; a scan finds its targets as it reads)
    album = imgur.add_album("AbC1234", count=1)
    (tmp_path / "notes.md").write_text("https://imgur.com/a/AbC1234\n")
    result = run_main("--since", "2024-01-01", "--range", "1-5", "--scan", str(tmp_path / "notes.md"),
                      "-o", str(tmp_path / "out"))
    assert result.code == 0, result
    assert ("imgur-dl: --range and --since chose nothing: the scan found no listing (a user's posts or favorites, "
            "a tag, a subreddit, a search), and an album is always fetched whole") in result.err.splitlines()
    assert result.err.splitlines()[-1].startswith("imgur-dl: 1 album; files: 1 saved")  # (the summary, last)
    assert len(files_under(tmp_path / "out")) == len(album.images)
    imgur.add_listing("user", "Miguenzo", [imgur.add_image("Im00001", in_gallery=True)])
    (tmp_path / "notes.md").write_text("https://imgur.com/user/Miguenzo\nhttps://imgur.com/a/AbC1234\n")
    listed = run_main("--since", "2024-01-01", "--scan", str(tmp_path / "notes.md"), "-o", str(tmp_path / "out"))
    assert "chose nothing" not in listed.err, listed  # (the listing chose; an album found after it changes nothing)


def test_a_crawls_links_to_listings_can_be_left_unread(imgur: Imgur, tmp_path: Path) -> None:
    # A crawl of imgur.com's own pages links each post's uploader and tags from every page: read, a tag is every
    # post ever tagged so. With --no-listings the posts and images are fetched, the listings counted.
    imgur.add_album("AbC1234", count=2)
    imgur.add_listing("tag", "funny", [imgur.add_album(f"Fun{n:04d}", count=1) for n in range(3)])
    imgur.add_listing("user", "Miguenzo", [imgur.add_image("Im00001", in_gallery=True)])
    (tmp_path / "page.html").write_text('<a href="https://imgur.com/t/funny">funny</a> <a href="/user/x">'
                                        '<a href="https://imgur.com/user/Miguenzo">Miguenzo</a> '
                                        '<img src="https://i.imgur.com/Im00001.jpg"> https://imgur.com/a/AbC1234')
    result = run_main("--no-listings", "--scan", str(tmp_path / "page.html"), "-o", str(tmp_path / "out"))
    assert result.code == 0, result
    assert "imgur-dl: scanned 190 B: 4 Imgur links, 4 distinct targets (2 of them listings, left unread: " \
           "--no-listings)" in result.err.splitlines()
    assert not any("funny" in path or "Miguenzo" in path for _, _, path, _ in imgur.log), imgur.log
    assert len(files_under(tmp_path / "out")) == 3  # (the album's two files, the image)
    # A listing given on the command line is read all the same: it was asked for.
    given = run_main("--no-listings", "--scan", str(tmp_path / "page.html"), "imgur.com/t/funny",
                     "-o", str(tmp_path / "again"))
    assert given.code == 0, given
    assert len(files_under(tmp_path / "again")) == 3 + 3  # (the tag's three posts, then the scan's three files)
    assert "(1 of them a listing, left unread: --no-listings)" in given.err  # (the user's; the tag was given)
    assert run_main("--no-listings", "imgur.com/t/funny").err == \
        "imgur-dl: error: --no-listings is for --scan (the links it finds to listings); a listing given is read\n"


def test_scan_and_get_urls_gives_each_target_in_its_one_plain_form() -> None:
    # Whatever form a link was found in, -g gives the one URL of what it names (listings too, a script reads it).
    text = ("http://m.imgur.com/user/Some_One/posts ; imgur.com/user/Some_One/favorites/oldest ; "
            "https://imgur.com/user/Some_One/favorites/folder/42/cats ; https://imgur.com/t/cute_cats/top/week ; "
            "imgur.com/r/aww ; https://imgur.com/search/score?q=red+panda ; imgur.com/gallery/trip-AbC1234 ; "
            "i.imgur.com/XyZ9876h.jpg ; imgur.com/QwE5678 ; http://imgur.com/account/favorites")
    result = run_main("--scan", "-", "-g", stdin=text)
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "https://imgur.com/user/Some_One", "https://imgur.com/user/Some_One/favorites",
        "https://imgur.com/user/Some_One/favorites/folder/42", "https://imgur.com/t/cute_cats",
        "https://imgur.com/r/aww", "https://imgur.com/search?q=red+panda", "https://imgur.com/gallery/AbC1234",
        "https://i.imgur.com/XyZ9876.jpg", "https://imgur.com/QwE5678", "https://imgur.com/user/me/favorites"]


def test_scan_and_get_urls_is_a_link_extractor_that_asks_nothing(imgur: Imgur, tmp_path: Path) -> None:
    dump, ids = _reddit_dump(300)
    result = run_main("--scan", "-", "-g", "imgur.com/a/A000000", stdin=dump.decode())
    assert result.code == 0, result
    assert result.out.splitlines() == [f"https://imgur.com/a/{i}" for i in ids]
    assert imgur.log == []


def test_downloads_start_while_the_scan_is_still_reading(imgur: Imgur, tmp_path: Path, launcher: Launcher) -> None:
    imgur.add_album("AbC1234", count=1)
    process = launcher.spawn(["-q", "--scan", "-", "-o", str(tmp_path)], stdin=subprocess.PIPE, stdout=None,
                             stderr=None)
    assert process.stdin is not None
    process.stdin.write(b"first: https://imgur.com/a/AbC1234\n")
    process.stdin.flush()  # and the input stays open: more may come
    try:
        assert imgur.wait_until(lambda s: bool(s.requests_to("i.imgur.com")), timeout=10)
    finally:
        process.stdin.close()
        process.wait(timeout=20)
    assert process.returncode == 0
    assert len(files_under(tmp_path)) == 1


def test_links_in_an_email_kept_as_it_was_sent_are_found() -> None:
    # An mbox (Gmail's Takeout) or .eml: a part in quoted-printable, its HTML's attributes '=3D', its lines
    # wrapped with '=' mid-link; beside it a part of plain text, and no link found twice.
    message = (b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            b'<p>Our trip, in pictures: <a href=3D"https://imgur.com/a/AbC1234">the album=\r\n</a> and the best=20\r\n'
            b'one https://i.imgur.com/XyZ98=\r\n76.jpg</p>\r\n'
            b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nthe album: https://imgur.com/a/AbC1234 again\r\n")
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(message), "mail.eml")] == ["AbC1234", "XyZ9876"]
    assert (scanner.stats.links, scanner.stats.targets) == (3, 2)
    # A part in base64, as other senders write theirs.
    html = b"<p>" + b"Our trip, in pictures: " * 12 + b'<a href="https://imgur.com/a/QwE1234">album</a></p>'
    message = (b"Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(html).replace(b"\n", b"\r\n") + b"\r\n--b--\r\n")
    assert [t.id for t in Scanner().scan(io.BytesIO(message), "mail.eml")] == ["QwE1234"]


@PROPERTIES
@given(_TEXT, _LINKS, _TEXT, st.integers(0, 80), st.sampled_from([b"\n", b"\r\n"]), st.integers(40, 300))
def test_a_link_in_quoted_printable_is_found_wherever_its_lines_break(
        before: str, link: str, after: str, shift: int, newline: bytes, block: int) -> None:
    # As an email's body is kept in mbox and .eml files: lines of at most 76 characters, each wrapped one
    # ending in '='; a link cut anywhere, even where a block of the input ends.
    text = f"{'x' * shift}{before} {link} {after}\n".encode("utf-8", "surrogatepass")
    wrapped = quopri.encodestring(text).replace(b"\n", newline)
    want = [t.id for t in targets_in(link.encode())]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        assert [t.id for t in Scanner().scan(io.BytesIO(wrapped), "mail")] == want


_QUERY = st.from_regex(r"(3D|3d)?[A-Za-z0-9_]{1,20}", fullmatch=True)
_PLAIN = st.text(max_size=80).filter(lambda t: "imgur" not in t.lower() and "=" not in t)


@settings(PROPERTIES, max_examples=50)  # (half its queries begin "3D" or "3d": fifty are plenty)
@given(_PLAIN, _QUERY, _PLAIN, st.sampled_from(["{}", "<{}>", '"{}"', "[search]({})", '<a href="{}">x</a>']))
@example("Search: ", "3DS", " and more", "{}")
def test_a_search_link_is_read_as_it_is_written_where_nothing_is_quoted_printable(before: str, query: str,
                                                                                  after: str, dress: str) -> None:
    # A search for "3DS" (Nintendo's): its "=3D" is how quoted-printable writes a '=', and the text was read again
    # decoded: a search for "S" too.
    text = f"{before} {dress.format(f'https://imgur.com/search?q={query}')} {after}\n".encode("utf-8", "surrogatepass")
    assert [t.id for t in Scanner().scan(io.BytesIO(text), "notes.md")] == [query]


def test_a_link_writing_3d_in_its_own_query_is_no_mark_of_quoted_printable() -> None:
    # The second link's "=3D" (its "qs" a word that begins so; decoded, "=00" its NUL) was taken for quoted-printable
    # around the first: a search for "3D0" read as one for "0".
    text = b" https://imgur.com/search?q=3D0  https://imgur.com/search?q=00&qs=3D0 \n"
    assert sorted(t.id for t in Scanner().scan(io.BytesIO(text), "notes.txt")) == ["00", "3D0"]


def test_a_link_decoded_to_what_another_is_as_written_is_a_link_of_its_own() -> None:
    # Quoted-printable: searches for "0" (each written "q=3D0"), then one for "3D0" ("q=3D3D0") cut by a wrapped
    # line: decoded, it read as the first two did as written, and was taken for one of them, found already.
    message = (b"x" * 90 + b"=\n https://imgur.com/search?q=3D0  https://imgur.com/search?q=3D0  https://im=\n"
               b"gur.com/search?q=3D3D0=20\n")
    assert sorted(t.id for t in Scanner().scan(io.BytesIO(message), "mail.eml")) == ["0", "3D0"]


@settings(PROPERTIES, max_examples=50)
@given(_PLAIN, _QUERY, _PLAIN, st.sampled_from(["{}", '<a href="{}">x</a>']), st.sampled_from([b"\n", b"\r\n"]),
       st.booleans())
def test_a_search_link_in_quoted_printable_is_read_decoded(before: str, query: str, after: str, dress: str,
                                                          newline: bytes, wrapped: bool) -> None:
    # As an email's body keeps it: its '=' written "=3D" (a search for "3Dcats" was read beside the one for "cats");
    # the text wrapped somewhere (its first line longer than 76 characters), or holding another '=' of its own.
    link = f"https://imgur.com/search?q={query}"
    text = f"{'x' * 80 if wrapped else 'a=b'} {before} {dress.format(link)} {after}\n".encode("utf-8", "surrogatepass")
    message = quopri.encodestring(text).replace(b"\n", newline)
    assert [t.id for t in Scanner().scan(io.BytesIO(message), "mail.eml")] == [query]


_NAMED = st.from_regex(r"(3D|3d|20|09|3D3D)?[A-Za-z0-9_]{1,12}", fullmatch=True)
_ANY_LINK = st.one_of(  # (a name, a query, as quoted-printable's "=3D", "=20", "=09" would begin one)
    _NAMED.map("https://imgur.com/search?q={}".format), _NAMED.map("imgur.com/t/{}".format),
    _NAMED.map("https://imgur.com/user/{}".format), _ID.map("https://imgur.com/a/{}".format),
    st.tuples(_ID, _NAMED).map(lambda pair: "https://imgur.com/gallery/{}?ref={}".format(*pair)),
    st.tuples(_NAMED, _NAMED).map(lambda pair: "https://imgur.com/search?q={}&qs={}".format(*pair)),
)
_WORD = st.text(st.characters(codec="utf-8", exclude_characters='=<>"()[]'), max_size=30).filter(
    lambda t: "imgur" not in t.lower())


@PROPERTIES
@given(st.lists(st.tuples(_WORD, _ANY_LINK, st.sampled_from(["{}", "<{}>", '"{}"', "[x]({})", '<a href="{}">x</a>'])),
                min_size=1, max_size=4),
       st.booleans(), st.integers(40, 500), st.lists(st.integers(0, 10**5), max_size=6))
# (The first link wrapped after "q=3D0", the second written "q=3D0=20": the first, cut, took the second's place.)
@example([("00\x80\x80\x80\x80\x80\x80\x80", "https://imgur.com/search?q=00", "{}"),
          ("", "https://imgur.com/search?q=0", "{}")], True, 40, [])
def test_links_are_read_alike_as_written_and_as_an_email_keeps_them(parts: list[tuple[str, str, str]], quoted: bool,
                                                                    block: int, cuts: list[int]) -> None:
    # Links written as they are, or in an email's quoted-printable below the header that says so (wrapped anywhere,
    # a '=' written "=3D"), in blocks of any size, through a pipe's pieces: what each names, nothing else. (Two
    # ways to go wrong were found so, each with a test above: another link's "=3D" taken for quoted-printable, and
    # a link decoded to what another was as written taken for that one.)
    text = "".join(f"{word} {dress.format(link)} " for word, link, dress in parts) + "\n"
    want = {t.id.lower() for _, link, _ in parts for t in targets_in(link.encode())}  # (a search's words: any case)
    data = text.encode("utf-8", "surrogatepass")
    if quoted:
        data = b"Content-Transfer-Encoding: quoted-printable\n\n" + quopri.encodestring(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        piped = io.BufferedReader(Pieces(data, [c % (len(data) + 1) for c in cuts]))
        assert {t.id.lower() for t in Scanner().scan(piped, "mail")} == want


def test_binary_data_is_not_read_as_quoted_printable() -> None:
    # A picture's bytes hold a soft line break by chance ("=" then a line's end): read as quoted-printable, what
    # is around it was joined into a link that is not there.
    picture = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01 imgu=\nr.com/a/AbC1234 \xff\xd9\x00"
    assert list(Scanner().scan(io.BytesIO(picture), "photo.jpg")) == []


@PROPERTIES
@given(_TEXT, _LINKS, _TEXT, st.sampled_from([b"\n", b"\r\n"]), st.integers(0, 120), st.integers(40, 1200))
def test_a_link_in_an_email_body_in_base64_is_found(before: str, link: str, after: str, newline: bytes,
                                                    pad: int, block: int) -> None:
    # As MIME wraps it (mbox and .eml keep some bodies so): 76 characters a line, below a header that says it;
    # wherever a block of the input ends (inside the body, the link in it cut in two).
    body = f"{'x' * (200 + pad)}{before} {link} {after}".encode("utf-8", "surrogatepass")
    message = (b"Content-Transfer-Encoding: base64" + newline + newline
            + base64.encodebytes(body).replace(b"\n", newline) + b"--boundary--" + newline)
    want = [t.id for t in targets_in(link.encode())]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        assert [t.id for t in Scanner().scan(io.BytesIO(message), "mail")] == want


@PROPERTIES
@given(_LINKS, st.integers(250, 3000), st.integers(250, 3000), st.sampled_from([b"\n", b"\r\n"]),
       st.sampled_from([b"image/jpeg", b"text/csv"]), st.integers(40, 2000),
       st.lists(st.integers(0, 20_000), max_size=8))
def test_each_part_in_base64_of_a_message_is_read_wherever_a_block_ends(
        link: str, before: int, attached: int, newline: bytes, kind: bytes, block: int, cuts: list[int]) -> None:
    # As Gmail's Takeout keeps a message: its HTML in base64, an attachment in base64 after it; a block may end
    # anywhere in either (the HTML's last line, padded with '=', is no soft line break), and a pipe gives it in
    # pieces of any size. (A body of fewer than four lines is not read decoded: such short runs are too often
    # something else.)
    html = b"<p>" + b"x" * before + b'<img src="' + link.encode() + b'"></p>'
    part = b"--b" + newline + b"Content-Type: %s" + newline + b"Content-Transfer-Encoding: base64" + newline * 2
    message = b"".join([
        b"From 1@xxx Mon Jan 01 00:00:00 2024", newline, b"Content-Type: multipart/mixed; boundary=b", newline * 2,
        part % b"text/html", base64.encodebytes(html).replace(b"\n", newline),
        part % kind, base64.encodebytes(b"\xff" * attached + b"https://imgur.com/a/AtT1234").replace(b"\n", newline),
        b"--b--", newline])
    found = [t.id for t in targets_in(link.encode())]
    found += ["AtT1234"] if kind == b"text/csv" else []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        piped = io.BufferedReader(Pieces(message, [c % (len(message) + 1) for c in cuts]))
        assert [t.id for t in Scanner().scan(piped, "Takeout.mbox")] == found


def test_a_picture_s_header_cut_before_its_encoding_still_keeps_the_picture_unread() -> None:
    # A picture attached holds, in its bytes, what reads as a link: not a link of the mail's. Wherever the input
    # arrives cut (here: between the part's Content-Type and its Content-Transfer-Encoding), it stays a picture's.
    picture = base64.encodebytes(b"\xff\xd8" + b"\x00" * 300 + b"https://imgur.com/a/AtT1234" + b"\x00" * 300)
    message = (b"From 1@xxx Mon Jan 01 00:00:00 2024\nContent-Type: multipart/mixed; boundary=b\n\n"
               b"--b\nContent-Type: text/plain\n\nsee https://imgur.com/a/AbC1234\n"
               b"--b\nContent-Type: image/jpeg\nContent-Transfer-Encoding: base64\n\n" + picture + b"--b--\n")
    for cut in range(len(message)):
        piped = io.BufferedReader(Pieces(message, [cut]))
        assert [t.id for t in Scanner().scan(piped, "Takeout.mbox")] == ["AbC1234"], cut


@PROPERTIES
@given(st.floats(0, 1), st.integers(40, 5000))
def test_a_mailbox_cut_short_gives_the_links_of_every_body_that_arrived(where: float, block: int) -> None:
    # A Takeout download interrupted: the HTML in base64 of each message that arrived whole is read (a body that
    # reaches where the file ends was kept with what follows: it is read all the same).
    messages, ends = [], []
    for n in range(30):
        html = b"<p>" + b"lorem ipsum " * (n * 13 % 200 + 20) + b'<img src="https://i.imgur.com/Ml%05d.jpg"></p>' % n
        messages.append(b"From %d@xxx Mon Jan 01 00:00:00 2024\nContent-Type: multipart/alternative; boundary=b\n\n"
                        b"--b\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n" % n
                        + base64.encodebytes(html))
        ends.append(sum(map(len, messages)))
        messages.append(b"--b--\n\n")
    packed = gzip.compress(b"".join(messages), mtime=0)
    cut = packed[:int(len(packed) * where)]
    arrived = len(zlib.decompressobj(31).decompress(cut))
    whole = [f"Ml{n:05d}" for n, end in enumerate(ends) if end <= arrived]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        found = [t.id for t in Scanner().scan(io.BytesIO(cut), "Takeout.mbox.gz")]
    assert found[:len(whole)] == whole and len(found) - len(whole) in (0, 1)


@PROPERTIES
@given(_LINKS, st.binary(max_size=300), st.binary(max_size=300), st.integers(40, 2000),
       st.lists(st.integers(0, 5000), max_size=6))
def test_a_link_windows_wrote_in_utf16_inside_a_file_is_found(link: str, before: bytes, after: bytes, block: int,
                                                              cuts: list[int]) -> None:
    # Text inside a binary file as Windows writes it (an Outlook .msg's body, an old Word document): two bytes a
    # character, little-endian, no byte-order mark; at either alignment, wherever a block ends.
    data = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + before  # (a compound file's magic, as a .msg begins)
            + " see ".encode("utf-16-le") + link.encode("utf-16-le") + " now ".encode("utf-16-le") + after)
    want = [t.id for t in targets_in(link.encode())]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        piped = io.BufferedReader(Pieces(data, [c % (len(data) + 1) for c in cuts]))
        found = [t.id for t in Scanner().scan(piped, "message.msg")]
    assert found[-len(want):] == want and not set(found[:-len(want)]) - set(want)  # (the file's own bytes name none)


# A character past U+00FF, as may stand right after a link in text: a closing quote, a dash, CJK. (Not "…", which
# says the link before it is shown cut short: it is no link then.)
_WIDE_AFTER = st.characters(min_codepoint=0x100, max_codepoint=0xFFFF, blacklist_categories=("Cs",),
                            blacklist_characters="\u2026")


@PROPERTIES
@given(_LINKS, _WIDE_AFTER, st.binary(max_size=300), st.binary(max_size=300), st.integers(40, 2000))
def test_a_link_in_a_pdf_s_text_string_is_read_whatever_follows_it(link: str, after: str, before: bytes,
                                                                  rest: bytes, block: int) -> None:
    # A PDF writes each text string that is not all Latin-1 as UTF-16 big-endian, its byte-order mark first (an
    # Acrobat comment, an outline's titles). Read as little-endian, the character after the link took its last
    # character: "imgur.com/user/Bobby" and a closing quote gave another user, "Bobb".
    data = (b"%PDF-1.7\n" + before + b"\n1 0 obj << /Type /Annot /Contents (\xfe\xff"
            + f"see {link}{after} it".encode("utf-16-be") + b") >> endobj\n" + rest)
    want = [t.id for t in targets_in(link.encode())]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        found = [t.id for t in Scanner().scan(io.BytesIO(data), "comments.pdf")]
    assert found[-len(want):] == want and not set(found[:-len(want)]) - set(want)


@PROPERTIES
@given(_LINKS, _WIDE_AFTER, st.binary(max_size=300), st.binary(max_size=300))
def test_a_link_windows_wrote_in_utf16_is_read_whole_whatever_follows_it(link: str, after: str, before: bytes,
                                                                        rest: bytes) -> None:
    # Little-endian, with no byte-order mark (an Outlook message's body): a closing quote after the link, or CJK,
    # is no part of it.
    data = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + before + f"see {link}{after} now".encode("utf-16-le") + rest)
    want = [t.id for t in targets_in(link.encode())]
    found = [t.id for t in Scanner().scan(io.BytesIO(data), "message.msg")]
    assert found[-len(want):] == want and not set(found[:-len(want)]) - set(want)


def test_a_closing_quote_after_a_link_in_a_pdf_comment_names_no_other_user(tmp_path: Path) -> None:
    (tmp_path / "comments.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Annot /Contents (\xfe\xff"
                                            + "see https://imgur.com/user/Bobby\u2019s album".encode("utf-16-be")
                                            + b") >> endobj\n%%EOF\n")
    result = run_main("--scan", str(tmp_path / "comments.pdf"), "-g")
    assert result.out == "https://imgur.com/user/Bobby\n", result


def _message(n: int, kind: str, dress: str, pad: int) -> bytes:
    """A message of a mailbox whose one link is ``imgur.com/a/Ml<n>``, in a part of type ``kind``, ``dress``ed."""
    link = b"https://imgur.com/a/Ml%05d" % n
    text = b"w " * pad + b" " + link + b" end\n"
    part = {"base64": b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"x" * 250 + text),
            "quoted": b"Content-Transfer-Encoding: quoted-printable\n\n" + quopri.encodestring(text),
            "defended": b"\n" + _defended(link.decode(), 2 + pad % 2, []).encode() + b" ok\n",
            "plain": b"\n" + text}[dress]
    return (b"From %d@xxx Mon Jan 01 00:00:00 2024\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
            % n + kind.encode() + b"\n" + part + b"--b--\n\n")


@PROPERTIES
@given(st.lists(st.tuples(st.sampled_from(["text/html", "text/plain", "image/png", "application/pdf"]),
                          st.sampled_from(["base64", "quoted", "defended", "plain"]), st.integers(0, 600)),
                min_size=1, max_size=10),
       st.integers(40, 5000), st.sampled_from([600, 256 * 1024]), st.lists(st.integers(0, 10**5), max_size=8))
def test_a_mailbox_gives_the_same_links_wherever_its_blocks_end(
        messages: list[tuple[str, str, int]], block: int, carry: int, cuts: list[int]) -> None:
    # Read whole, in blocks of any size, through a pipe's pieces of any size, a body longer than is read again or
    # not: the same links. (19,664 such mailboxes read by the code before the reading of parts across blocks: in
    # 12,559 of them, blocks lost links that the whole gave.)
    data = b"".join(_message(n, *m) for n, m in enumerate(messages))
    whole = sorted(t.id for t in Scanner().scan(io.BytesIO(data), "Takeout.mbox"))  # (each link once: decoded
    assert whole == [f"Ml{n:05d}" for n, (kind, dress, _) in enumerate(messages)  # text's come after the plain)
                     if (kind, dress) != ("image/png", "base64")]  # (a picture's bytes are not decoded)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        patch.setattr(mail, "BASE64_CARRY", carry)
        piped = io.BufferedReader(Pieces(data, [c % (len(data) + 1) for c in cuts]))
        assert sorted(t.id for t in Scanner().scan(piped, "Takeout.mbox")) == whole


@PROPERTIES
@given(_LINKS, st.integers(0, 160), st.sampled_from([b"\n", b"\r\n"]), st.integers(40, 400),
       st.lists(st.integers(0, 5000), max_size=6))
def test_a_short_body_in_base64_below_its_header_is_found(link: str, pad: int, newline: bytes, block: int,
                                                          cuts: list[int]) -> None:
    # An email whose HTML is a sentence and a link: one to three lines of base64, right below the header that says
    # so (shorter runs of such lines elsewhere are too often something else to be read so).
    html = b'<div dir="ltr">' + b"x" * pad + b' <a href="' + link.encode() + b'">it</a></div>'
    message = (b"--b" + newline + b"Content-Type: text/html; charset=UTF-8" + newline
               + b"Content-Transfer-Encoding: base64" + newline * 2 + base64.encodebytes(html).replace(b"\n", newline)
               + b"--b--" + newline)
    want = [t.id for t in targets_in(link.encode())]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", block)
        piped = io.BufferedReader(Pieces(message, [c % (len(message) + 1) for c in cuts]))
        assert [t.id for t in Scanner().scan(piped, "mail.eml")] == want


def test_a_body_in_base64_longer_than_is_read_again_is_read_as_it_comes() -> None:
    # An attachment of megabytes: its header left many blocks behind, its lines are still read decoded.
    body = b"x" * 13_000 + b" https://imgur.com/a/LoNg123 " + b"x" * 2_000
    message = b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(body) + b"--boundary--\n"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "BLOCK", 4096)
        patch.setattr(mail, "BASE64_CARRY", 1024)
        assert [t.id for t in Scanner().scan(io.BytesIO(message), "mail")] == ["LoNg123"]


_RUN_LETTERS = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def _defended(link: str, version: int, marked: list[bool]) -> str:
    """``link`` as Proofpoint's URL Defense rewrites it, in the forms its own decoder (URLDefenseDecode.py) reads:
    version 2 percent-encodes it with '-' for '%' and '_' for '/'; version 3 gives some characters apart (every
    '%', '*' and '_', and those ``marked`` of the others that are not letters, digits or '.'), base64-encoded, a
    '*' in their place ("**" and a letter for a run)."""
    if version == 2:
        body = "".join(c if c.isascii() and (c.isalnum() or c in ".~") else "_" if c == "/" else f"-{ord(c):02X}"
                       for c in link)
        return f"https://urldefense.proofpoint.com/v2/url?u={body}&d=DwMFaQ&c=euGZstcaTDllvimEN8b7jXrwqOf-v5A_CdpgnVfi"
    kept, given = [], []
    for c, mark in zip(link, itertools.cycle(marked or [False])):
        kept.append("*" if c in "%*_" or (mark and not c.isalnum() and c != ".") else c)
        given.extend(c if kept[-1] == "*" else "")
    text = re.sub(r"\*{2,65}", lambda m: "**" + _RUN_LETTERS[len(m[0]) - 2], "".join(kept))
    encoded = base64.urlsafe_b64encode("".join(given).encode()).decode().rstrip("=")
    return f"https://urldefense.com/v3/__{text}__;{encoded}!!ACWV5N9M2RV99hQ!pQx9Gq$"


@PROPERTIES
@given(_TEXT, _SEPARATORS, _LINKS, st.sampled_from([2, 3]), st.lists(st.booleans(), max_size=12), _SEPARATORS,
       _TEXT, st.booleans())
# (Its host cut by a soft line break, the link it wrote, read as it is there, ran on into its "__;" and was taken
# for a row's field: a user "00__".)
@example("00\x80\x80\x80\x80\x80\x80", " ", "https://imgur.com/user/00", 3, [], " ", "", True)
def test_a_link_a_mail_gateway_rewrote_is_found_as_it_was(before: str, left: str, link: str, version: int,
                                                           marked: list[bool], right: str, after: str,
                                                           quoted: bool) -> None:
    # Proofpoint's URL Defense rewrites every link of every message a company or a university lets in; a mailbox
    # exported from there holds no link as it was written. In the message as it was kept too (quoted-printable).
    text = f"{before}{left}{_defended(link, version, marked)}{right}{after}".encode("utf-8", "surrogatepass")
    message = b"Content-Transfer-Encoding: quoted-printable\n\n" + quopri.encodestring(text) if quoted else text
    want = [t.id for t in targets_in(link.encode())]
    assert [t.id for t in Scanner().scan(io.BytesIO(message), "mail.eml")] == want


def test_a_link_rewritten_twice_is_found_and_a_rewriting_that_does_not_say_gives_none() -> None:
    # A message forwarded from one gateway's company to another's: rewritten again. And a version 3 link whose
    # characters given apart are fewer than its marks: what it stood for is not known.
    twice = _defended(_defended("https://imgur.com/a/AbC1234", 2, []), 3, [])
    assert [t.id for t in Scanner().scan(io.BytesIO(twice.encode()), "mail")] == ["AbC1234"]
    short = "https://urldefense.com/v3/__https://imgur.com/a/AbC12**B__;NA!!x$"  # (three marked, one given)
    assert list(Scanner().scan(io.BytesIO(short.encode()), "mail")) == []


_FUZZ_TEXT = b"see https://imgur.com/a/AbC1234 and i.imgur.com/XyZ9876.jpg " * 20


def _fuzz_zip(data: bytes) -> bytes:
    return _zipped({"a.txt": data, "b.json.gz": gzip.compress(data, mtime=0)})


def _fuzz_dictionary(data: bytes) -> bytes:
    trained = zstandard.train_dictionary(1024, [data[i:i + 200] for i in range(0, len(data), 50)] * 10)
    raw = trained.as_bytes()
    return (b"\x5d\x2a\x4d\x18" + len(raw).to_bytes(4, "little") + raw +
            zstandard.ZstdCompressor(dict_data=trained).compress(data))


_PACKED = {"gzip": gzip.compress(_FUZZ_TEXT, mtime=0), "bzip2": bz2.compress(_FUZZ_TEXT),
           "xz": lzma.compress(_FUZZ_TEXT), "zstd": zstandard.ZstdCompressor().compress(_FUZZ_TEXT),
           "zip": _fuzz_zip(_FUZZ_TEXT), "utf-16": b"\xff\xfe" + _FUZZ_TEXT.decode().encode("utf-16-le")}
_PACKED["zstd with its dictionary"] = _fuzz_dictionary(_FUZZ_TEXT)


def _tarred(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


_PACKED["tar"] = _tarred({"a.txt": _FUZZ_TEXT, "b.json.gz": gzip.compress(_FUZZ_TEXT, mtime=0)}, "w")


def test_a_tar_archive_is_read_member_by_member_compressed_or_not(launcher: Launcher) -> None:
    # A .tgz export (Google Takeout offers one; a crawl's WARC files bundled): each member read as a file of its
    # own is, a compressed one decompressed (its links were bytes no one could find), and none run together.
    from tests.test_warc import record, response  # noqa: PLC0415 - a crawl's record, as those tests write them
    crawl = gzip.compress(record(response(gzip.compress(b"<a href='https://imgur.com/a/WaRc123'>"),
                                          b"Content-Encoding: gzip")))
    export = _tarred({"Takeout/notes.md": b"see https://imgur.com/a/AbC1234",
                      "Takeout/data.json.gz": gzip.compress(b'{"u": "https://i.imgur.com/XyZ9876.jpg"}'),
                      "crawl/x.warc.gz": crawl, "Takeout/more.md": b"XyZ9876 is not a link; QwE4567"})
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(export), "export.tgz")] == ["AbC1234", "XyZ9876", "WaRc123"]
    assert scanner.errors == []
    plain = _tarred({"a.txt": b"imgur.com/a/AbC1234", "b.txt.xz": lzma.compress(b"imgur.com/gallery/QwE4567")}, "w")
    assert [t.id for t in Scanner().scan(io.BytesIO(plain), "x.tar")] == ["AbC1234", "QwE4567"]
    piped = launcher.spawn(["--scan", "-", "-g"], stdin=subprocess.PIPE)  # (from a pipe too, as it streams by)
    out, err = piped.communicate(plain, timeout=30)
    assert out.split() == [b"https://imgur.com/a/AbC1234", b"https://imgur.com/gallery/QwE4567"], err
    cut = Scanner()
    assert [t.id for t in cut.scan(io.BytesIO(plain[:1024 + 512 + 10]), "cut.tar")] == ["AbC1234"]
    assert [str(e) for e in cut.errors] == ["cut.tar: cannot read on (unexpected end of data); what was found "
                                            "before it still counts"]


@pytest.mark.parametrize(("where", "stopped"), [
    ("at the end of a file", True), ("inside the next file's header", True), ("a header spoilt", True),
    ("between its two blocks of zeros", False), ("whole", False)])
def test_a_tar_archive_that_stops_where_a_header_should_be_says_so(where: str, stopped: bool) -> None:
    # tarfile itself ends such an archive without a word: an export whose download was cut off at one of its
    # files' ends, or inside the header after it, looked read whole.
    members = {f"{n}.txt": b"https://imgur.com/a/AbC%04d\n" % n * 40 for n in range(3)}  # (1,120 B: 3 blocks each)
    whole = _tarred(members, "w")
    second = 2 * 512 * 4  # (where the third file's header starts)
    data = {"at the end of a file": whole[:second], "inside the next file's header": whole[:second + 100],
            "a header spoilt": whole[:second] + b"x" * 512 + whole[second + 512:],
            "between its two blocks of zeros": whole[:3 * 512 * 4 + 512], "whole": whole}[where]
    # (also from a pipe, in pieces after a first one long enough to tell a tar archive by)
    for source in (io.BytesIO(data), Pieces(data, list(range(600, len(data), 97)))):
        scanner = Scanner()
        found = [t.id for t in scanner.scan(io.BufferedReader(source) if isinstance(source, Pieces) else source,
                                            "export.tar")]
        assert found == (["AbC0000", "AbC0001"] if stopped else ["AbC0000", "AbC0001", "AbC0002"])
        assert [str(e) for e in scanner.errors] == (
            ["export.tar: cannot read on (the archive stops before its end: cut short, or spoilt); what was found "
             "before it still counts"] if stopped else [])


_MEMBERS = st.lists(st.tuples(st.sampled_from(["file", "dir", "symlink"]), st.integers(0, 1500), st.booleans()),
                    min_size=1, max_size=4)


@PROPERTIES
@given(_MEMBERS, st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]),
       st.floats(0, 1))
def test_a_tar_archive_is_said_cut_short_wherever_it_is_cut_before_its_end(
        members: list[tuple[str, int, bool]], form: int, cut: float) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=form) as tar:
        for n, (kind, size, long_name) in enumerate(members):
            info = tarfile.TarInfo(f"{n}-" + ("n" * 120 if long_name and form != tarfile.USTAR_FORMAT else "x"))
            data = (b"https://imgur.com/a/AbC%04d " % n * 60)[:size]
            info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE}[kind]
            info.size = len(data) if kind == "file" else 0
            info.linkname = "0-x" if kind == "symlink" else ""
            tar.addfile(info, io.BytesIO(data) if kind == "file" else None)
    whole = out.getvalue()
    with tarfile.open(fileobj=io.BytesIO(whole), mode="r|") as read:
        last = list(read)[-1]
    end = last.offset_data + -(-last.size // 512) * 512  # (where the block of zeros that ends it starts)
    whole_scan = Scanner()
    list(whole_scan.scan(io.BytesIO(whole), "export.tar"))
    assert whole_scan.errors == []
    at = int(cut * (end + 512))
    cut_scan = Scanner()
    list(cut_scan.scan(io.BytesIO(whole[:at]), "export.tar"))
    # (cut before the magic number 257 bytes in is whole: not a tar archive, as far as anything can tell: text)
    assert (cut_scan.errors != []) == (262 <= at < end + 512), (at, end, cut_scan.errors)


@PROPERTIES
@given(st.lists(st.integers(0, 40_000), min_size=1, max_size=3), st.floats(0, 1),
       st.sampled_from(["w", "w:gz", "w:xz"]))
def test_a_tar_archive_cut_short_gives_every_link_before_the_cut(sizes: list[int], cut: float, mode: str) -> None:
    # An export or a dump whose download was cut off: the links of its text up to the cut all count. tarfile drops
    # what it had read of the file for the read that fails (a MiB: a whole file here, ~25,000 links of a dump).
    members = {f"{n}.txt": linked_text(n * 10_000, size) for n, size in enumerate(sizes)}
    packed = _tarred(members, mode)
    plain = _tarred(members, "w")
    at = int(cut * len(packed))  # (compressed: where the cut falls in the plain archive is what can be decoded)
    if mode == "w":
        decoded = plain[:at]
    else:
        decoder = zlib.decompressobj(31) if mode == "w:gz" else lzma.LZMADecompressor()
        decoded = decoder.decompress(packed[:at])
    # What the cut leaves of each file (after its header, from where its data starts), a line's end between two.
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r|") as tar:
        starts = [m.offset_data for m in tar]
    left = [data[:max(0, len(decoded) - start)] for start, data in zip(starts, members.values(), strict=True)
            if len(decoded) >= start]
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(packed[:at]), "export.tar")]
    expected = [t.id for t in Scanner().scan(io.BytesIO(b"\n".join(left)), "text")]
    # (the text's last link when the cut falls inside it, at its end there, and not when the file stops in it)
    assert found in (expected, expected[:-1]), (len(found), len(expected))


class _Pipe(io.RawIOBase):
    """Where a ZIP written to a pipe goes (zipfile then writes each file's sizes after its data)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.data += data
        return len(data)


@PROPERTIES
@given(st.lists(st.integers(0, 20_000), min_size=1, max_size=3), st.floats(0, 1),
       st.sampled_from(["stored", "deflated", "stored to a pipe", "deflated to a pipe"]), st.booleans())
def test_a_zip_cut_short_gives_every_link_before_the_cut(sizes: list[int], cut: float, form: str,
                                                          piped: bool) -> None:
    # A Takeout or Discord export whose download was cut off has no directory (it is at the end): each file is
    # read from its own header, up to the cut. ("File is not a zip file", and not one link, before.)
    members = {f"{n}.txt": linked_text(n * 10_000, size) for n, size in enumerate(sizes)}
    out = _Pipe() if form.endswith("to a pipe") else io.BytesIO()
    method = zipfile.ZIP_STORED if form.startswith("stored") else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    packed = bytes(out.data if isinstance(out, _Pipe) else out.getvalue())
    at = int(cut * len(packed))
    left = []  # what the cut leaves of each file begun before it
    for info in zipfile.ZipFile(io.BytesIO(packed)).infolist():
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        if at >= start:
            data = packed[start:min(at, start + info.compress_size)]
            left.append(data if form.startswith("stored") else zlib.decompressobj(-15).decompress(data))
    scanner = Scanner()
    found = [t.id for t in scanner.scan(through_pipe(packed[:at]) if piped else io.BytesIO(packed[:at]), "export.zip")]
    expected = [t.id for t in Scanner().scan(io.BytesIO(b"\n".join(left)), "text")]
    assert found in (expected, expected[:-1]), (len(found), len(expected), scanner.errors)
    assert [str(e) for e in scanner.errors] == ([] if at == len(packed) or at < 4 else [
        "export.zip: cannot read on (the archive stops before its end: cut short, or spoilt); what was found before "
        "it still counts"])


@pytest.mark.parametrize(("form", "found", "says"), [
    # Stored, its size after it (as zipfile writes to a pipe): its end found by its descriptor, whose signature,
    # where it is in the data, is not followed by the data's size and CRC-32.
    ("stored to a pipe", ["AbC1234", "XyZ9876", "QwE5678"], None),
    ("stored to a pipe, its descriptor spoilt", ["AbC1234"], "cannot read on (the archive stops before its end: "
                                                             "cut short, or spoilt); what was found before it still "
                                                             "counts"),
    ("bzip2", ["AbC1234", "XyZ9876", "QwE5678"], None),  # (tests/test_zipmethods.py: each way a file is compressed)
    ("spoilt", ["AbC1234", "XyZ9876", "QwE5678"], "b.txt: cannot read on (its CRC-32 is not that of its data: "
                                                  "spoilt); what was found before it still counts; the archive's "
                                                  "other files are read"),
    # Deflated, its stated size past its stream's end (a writer that pads): what lies between is no file's.
    ("deflated, padded after its stream", ["AbC1234", "XyZ9876", "QwE5678"], None)])
def test_a_zip_on_a_pipe_says_what_it_cannot_read_in_one_line(form: str, found: list[str], says: str | None) -> None:
    members = {"a.txt": b"imgur.com/a/AbC1234 PK\x07\x08\x00\x00\x00\x00\x14\x00\x00\x00 ",
               "b.txt": b"imgur.com/a/XyZ9876 xx", "c.txt": b"imgur.com/a/QwE5678"}
    out = _Pipe() if form.startswith("stored to a pipe") else io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data, zipfile.ZIP_BZIP2 if form == "bzip2" and name == "b.txt" else
                             zipfile.ZIP_DEFLATED if form.startswith("deflated") else None)
    packed = bytearray(out.data if isinstance(out, _Pipe) else out.getvalue())
    if form.endswith("padded after its stream"):
        padding = b"imgur.com/a/ZzZ0000 " * 4000  # (more than a piece read at once)
        size, named, extra = struct.unpack_from("<I4xHH", packed, 18)  # (a.txt's, in its own header)
        struct.pack_into("<I", packed, 18, size + len(padding))
        packed[30 + named + extra + size:30 + named + extra + size] = padding
    if form == "spoilt":
        packed[packed.index(b" xx") + 1] ^= 0x01
    if form.endswith("its descriptor spoilt"):
        packed[packed.index(b"PK\x07\x08", packed.index(b"PK\x07\x08") + 1) + 4] ^= 0x01  # (a.txt's CRC-32)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(through_pipe(bytes(packed)), "export.zip")] == found
    assert [str(e) for e in scanner.errors] == ([] if says is None else [f"export.zip: {says}"])


def _streamed(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED, *, zip64: bool = False,
              piped: bool = True) -> bytes:
    """A ZIP as a writer that streams writes it (to a pipe: each file's sizes after its data) or not; zip64's if
    asked, its extra after an extended timestamp's (both in each file's header, as Info-ZIP's ``zip -fz`` has them)."""
    out = _Pipe() if piped else io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            if zip64:
                info.extra = struct.pack("<HHBI", 0x5455, 5, 1, 1_700_000_000)  # ("UT": its time)
            with archive.open(info, "w", force_zip64=zip64) as file:
                file.write(data)
    return bytes(out.data if isinstance(out, _Pipe) else out.getvalue())


@pytest.mark.parametrize("piped", [True, False], ids=["sizes after each file", "sizes in each header"])
def test_a_zip64_archive_is_read_from_its_files_own_headers(piped: bool) -> None:
    texts = [linked_text(0, 3000), linked_text(10_000, 3000)]
    packed = _streamed({"a.txt": texts[0], "b.txt": texts[1]}, zip64=True, piped=piped)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(through_pipe(packed), "export.zip")] == [
        t.id for t in Scanner().scan(io.BytesIO(b"\n".join(texts)), "text")]
    assert scanner.errors == []


def test_a_zip_streamed_to_a_pipe_is_read_whole_from_one() -> None:
    # A stored file longer than a read (its descriptor found in a later one); a ZIP inside, whose own ZIP is passed
    # over unread (deflated, its size after it: read through to its stream's end); the files after each.
    stored = _streamed({"a.txt": b"imgur.com/a/AbC1234 " + b"." * (2 * scan.BLOCK + 1000) + b" imgur.com/a/XyZ9876",
                        "b.txt": b"imgur.com/a/QwE5678"}, zipfile.ZIP_STORED)
    inner = _streamed({"deep.zip": _streamed({"c.txt": b"imgur.com/a/RtY1234 " * 500}),
                       "d.txt": b"imgur.com/a/UiO5678"})
    packed = _streamed({"stored.zip": stored, "inner.zip": inner, "e.txt": b"imgur.com/a/PaS9012"})
    scanner = Scanner()
    assert [t.id for t in scanner.scan(through_pipe(packed), "backup.zip")] == [
        "AbC1234", "XyZ9876", "QwE5678", "UiO5678", "PaS9012"]
    assert [str(e) for e in scanner.errors] == [
        "backup.zip: inner.zip: deep.zip is a ZIP archive inside an archive inside another: extract it, then scan what "
        "it holds; the archive's other files are read"]


def test_a_zip_streamed_to_a_pipe_whose_deflated_data_is_spoilt_stops_there_in_one_line() -> None:
    # Its size after it, its stream spoilt: where it ends, and so where the next file starts, cannot be known.
    packed = bytearray(_streamed({"a.txt": b"imgur.com/a/AbC1234\n", "b.txt": linked_text(0, 200_000),
                                  "c.txt": b"imgur.com/a/QwE5678"}))
    packed[packed.index(b"b.txt") + 7] ^= 0xFF  # (its first block's header)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(through_pipe(bytes(packed)), "export.zip")] == ["AbC1234"]
    assert len(scanner.errors) == 1 and str(scanner.errors[0]).startswith("export.zip: cannot read on (Error -3 ")


def test_a_zip_passed_over_unread_is_bounded_as_one_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # What a file whose size follows it expands to as it is read through to its end, unread (a ZIP too deep), counts
    # against its archive's bound: a bomb there stops that archive in one line, and its own archive reads on.
    monkeypatch.setattr(reader, "RATIO_AFTER", 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_RATIO", 100)
    deep = _streamed({"z.txt": bytes(8 * 1024 * 1024)}, zipfile.ZIP_STORED, piped=False)  # (8 KiB deflated)
    inner = _streamed({"a.txt": b"imgur.com/a/AbC1234\n", "deep.zip": deep, "d.txt": b"imgur.com/a/UiO5678"})
    scanner = Scanner()
    assert [t.id for t in scanner.scan(through_pipe(_streamed({"inner.zip": inner, "e.txt": b"imgur.com/a/PaS9012"})),
                                       "backup.zip")] == ["AbC1234", "PaS9012"]
    assert [str(e) for e in scanner.errors] == [
        "backup.zip: inner.zip: deep.zip is a ZIP archive inside an archive inside another: extract it, then scan what "
        "it holds; the archive's other files are read",
        "backup.zip: inner.zip: stopped after 1 MiB: it expands more than 100 times (a decompression bomb?); the "
        "archive's other files are read"]


def test_a_zip_cut_short_inside_a_files_descriptor_gives_that_files_links() -> None:
    packed = _streamed({"a.txt": b"imgur.com/a/AbC1234\n", "b.txt": b"imgur.com/a/XyZ9876"}, zipfile.ZIP_STORED)
    at = packed.index(b"PK\x07\x08")
    for cut in range(at, at + 17):  # (its signature, CRC-32 and sizes; then the next file's header)
        scanner = Scanner()
        assert [t.id for t in scanner.scan(through_pipe(packed[:cut]), "export.zip")] == ["AbC1234"], cut
        assert [str(e) for e in scanner.errors] == [
            f"export.zip: cannot read on ({zipstream.CUT}); what was found before it still counts"], cut


@pytest.mark.parametrize("comment", [b"", b"made by a test\x00"])
@pytest.mark.parametrize(("after", "whole"), [
    ("nothing", True),
    ("zeros to a block of 10,240 bytes", True),  # (libarchive's on a pipe: `bsdtar --format zip -cf - dir | ...`)
    ("zeros past a comment's reach", True),  # (a larger block: `bsdtar -b 400`)
    ("zeros, then a byte that is not", False)])
def test_a_zip_on_a_pipe_padded_after_its_end_record_is_whole(comment: bytes, after: str, whole: bool) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", b"imgur.com/a/AbC1234")
        archive.writestr("b.txt", b"imgur.com/a/XyZ9876")
        archive.comment = comment
    packed = out.getvalue()
    packed += {"nothing": b"", "zeros to a block of 10,240 bytes": bytes(-len(packed) % 10_240),
               "zeros past a comment's reach": bytes(400 * 512),
               "zeros, then a byte that is not": bytes(99) + b"x"}[after]
    scanner = Scanner()
    assert [t.id for t in scanner.scan(through_pipe(packed), "export.zip")] == ["AbC1234", "XyZ9876"]
    assert [str(e) for e in scanner.errors] == ([] if whole else [
        f"export.zip: cannot read on ({zipstream.CUT}); what was found before it still counts"])


def test_a_stored_file_full_of_false_descriptors_is_read_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # A descriptor's signature every 12 bytes, each followed by its own place as the size (and a wrong CRC-32): each
    # byte's CRC-32 is taken once, not once for each place it comes before (200 KB took 1.7 GB of it: hostile data).
    body = bytearray()
    while len(body) < 200_000:
        body += b"PK\x07\x08\x01\x00\x00\x00" + len(body).to_bytes(4, "little")
    out = _Pipe()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.bin", bytes(body))
        archive.writestr("b.txt", b"imgur.com/a/QwE5678")
    taken, crc32 = [0], zlib.crc32

    def counted(data: Any, value: int = 0) -> int:
        taken[0] += len(data)
        return crc32(data, value)

    monkeypatch.setattr(zlib, "crc32", counted)
    scanner = Scanner()
    assert [t.id for t in scanner.scan(through_pipe(bytes(out.data)), "export.zip")] == ["QwE5678"]
    assert scanner.errors == [] and taken[0] < 3 * len(body), taken


def _read_without_a_crash(source: io.RawIOBase | io.BytesIO) -> None:
    """``source`` scanned to its end: what could not be read is a scan error, nothing else."""
    scanner = Scanner()
    for _ in scanner.scan(source, "dump"):
        pass
    assert all(isinstance(error, compressed.ScanError) for error in scanner.errors), scanner.errors


# The first bytes of every kind of file a scan tells apart (compressed, archived, a database, a property list, a
# WARC file, a PDF, a mailbox, text with a byte-order mark).
_BEGINNINGS = sorted({magic for magic, _ in compressed._MAGIC} | {
    bplist.MAGIC, pdf.MAGIC, b"WARC/1.0\r\n", b"From ", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE})


@PROPERTIES
@given(st.sampled_from(_BEGINNINGS), st.binary(max_size=300), st.none() | st.lists(st.integers(1, 300), max_size=3))
# Found so: a database of 16 bytes, read whole (its header's mode bytes written to where there were none).
@example(database.MAGIC, b"", None)
def test_bytes_that_only_begin_as_a_kind_of_file_are_scanned_without_a_crash(beginning: bytes, rest: bytes,
                                                                             cuts: list[int] | None) -> None:
    data = beginning + rest  # (a file, or a pipe that gives it in pieces)
    _read_without_a_crash(io.BytesIO(data) if cuts is None else Pieces(data, [c for c in cuts if c < len(data)]))


@PROPERTIES
@given(st.sampled_from(_BEGINNINGS), st.binary(max_size=300), st.sampled_from(["zip", "tar", "gzip"]),
       st.sampled_from(["a.txt", "places.sqlite", "x.gz", "Bookmarks.plist", "a.warc", "000003.log", "CURRENT"]))
def test_a_file_that_only_begins_as_a_kind_of_file_inside_another_is_scanned_without_a_crash(
        beginning: bytes, rest: bytes, outer: str, name: str) -> None:
    inner = beginning + rest  # (read as an archive's file, or out of a compressed one: whole, from memory)
    data = _zipped({name: inner}) if outer == "zip" else _tarred({name: inner}, "w") if outer == "tar" else \
        gzip.compress(inner, mtime=0)
    _read_without_a_crash(io.BytesIO(data))


@PROPERTIES
@given(st.sampled_from(sorted(_PACKED)), st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=8)),
                                                  max_size=5), st.integers(0, 10**6))
# Found so: corrupt deflate data in a gzip file ("invalid distance too far back": zlib's own error, which
# ended the whole run as unexpected), and a dictionary frame whose dictionary is none.
@example("gzip", [(122, b"\x08\x18")], 42)
@example("zstd with its dictionary", [(12, b"\x00" * 5)], 1017)
# A ZIP whose member's place, in its central directory, is before the archive's start: zipfile's ValueError
# ("negative seek value") on opening it ended the whole run as unexpected.
@example("zip", [(1061, b"\x01\x00\x00\x00\x00\x00")], 3934)
# ... and one whose directory says a member needs a version of ZIP zipfile does not read (6.4): its
# NotImplementedError on opening the archive, likewise.
@example("zip", [(11235, b"\x00\x00@")], 175014)
def test_compressed_input_spoilt_anywhere_is_read_without_a_crash(kind: str, spoils: list[tuple[int, bytes]],
                                                                  cut: int) -> None:
    data = bytearray(_PACKED[kind])
    for place, new in spoils:
        at = place % (len(data) + 1)
        data[at:at + len(new)] = new
    _read_without_a_crash(io.BytesIO(bytes(data[:cut % (len(data) + 1)])))


def test_a_file_that_cannot_be_read_to_its_end_gives_what_came_before_and_a_list_nothing(imgur: Imgur,
                                                                                        bad_sector: Path) -> None:
    # A read that fails (EIO) 64 KiB into the file: --scan keeps the links before it and says where it stopped;
    # -i, whose list is read whole before the first request, does nothing and says why.
    written = [f"https://i.imgur.com/Ab{n:05d}.jpg" for n in range(4_000)]  # (32 bytes a line: 128,000 bytes)
    dump = bad_sector / "links.txt"
    dump.write_text("".join(f"{link}\n" for link in written))
    scanned = run_main("--scan", str(dump), "-g")
    assert scanned.code == 1, scanned
    assert scanned.err.splitlines()[0] == (f"imgur-dl: error: {dump}: cannot read on (Input/output error); what was "
                                           "found before it still counts")
    found = scanned.out.splitlines()
    assert 1_000 < len(found) <= 64 * 1024 // 32 and found == written[:len(found)]
    listed = run_main("-i", str(dump), "-g")
    assert (listed.code, listed.out, listed.err) == (
        2, "", f"imgur-dl: error: cannot read URLs from {dump}: Input/output error\n"), listed
    assert imgur.log == []
