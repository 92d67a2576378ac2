"""Property-based tests: whatever the input, parsers and sanitisers keep their promises.

Random input never raises anything but the project's own errors; sanitised
names stay inside the output folder; printed text carries no control byte.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import math
import os
import random
import re
import string
import tracemalloc
import unicodedata
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg
import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict

from imgur_dl import (
    answers,
    credentials,
    dates,
    earlier,
    hashset,
    hosts,
    journal,
    jsonstream,
    output,
    readthrough,
    sniff,
    urls,
)
from imgur_dl.archive_place import conninfo, is_postgres, redact
from imgur_dl.archive_postgres import _Server
from imgur_dl.choice import parse_range, parse_since, since_seconds
from imgur_dl.cli import Environment, _targets
from imgur_dl.errors import ImgurDLError, NotMediaError, RemovedError, UsageError
from imgur_dl.given import Given
from imgur_dl.hashset import HashSet
from imgur_dl.hosts import OffsiteError
from imgur_dl.lists import Listed, list_lines, read_list
from imgur_dl.models import Album, Filed, Job, Kind, Listing, Media, Result, Source, Status, Target
from imgur_dl.naming import (
    FIELDS,
    MAX_COMPONENT_BYTES,
    GivenNames,
    Namer,
    Template,
    _printable,
    _treated,
    disambiguate,
    kept_apart,
    sanitize,
    truncate_name,
)
from imgur_dl.packed import PackedMedia
from imgur_dl.parser import build_parser
from imgur_dl.scan import Scanner
from imgur_dl.text import decimal, hide_password, masked, printable, without_secrets
from tests.conftest import run_main

EXAMPLES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_json: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=40,
)
_KEYS = ["id", "media", "is_album", "title", "description", "created_at", "url", "ext", "mime_type", "size",
         "metadata", "is_animated", "width", "height", "images", "link", "type", "animated", "mp4", "mp4_size",
         "datetime", "data", "errors", "error", "detail", "status", "message"]
# Answers shaped like Imgur's, with any value at any key.
_imgurish: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2**40) | st.sampled_from(["AbC1234", "gif", "jpeg", "", "x/y"])
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=8),
    max_leaves=60,
)
_TARGET = Target(Kind.ALBUM, "AbC1234", "imgur.com/a/AbC1234")
_any = st.none() | st.booleans() | st.integers(-5, 2**40) | st.text(max_size=12)
# Answers close to real ones, so the paths that build albums are exercised too, with any value anywhere.
_v1_like: st.SearchStrategy[Any] = st.fixed_dictionaries(
    {"id": st.sampled_from(["AbC1234", "TcBmP", "x/y", ""]) | _any,
     "media": st.lists(st.fixed_dictionaries(
         {"id": st.sampled_from(["XyZ9876", "a_b", "../x"]) | _any,
          "ext": st.sampled_from(["jpeg", "gif", "MP4", "x/../y", "\x1b[2J"]) | _any,
          "url": st.sampled_from(["https://i.imgur.com/XyZ9876.jpeg", "file:///etc/passwd"]) | _any,
          "size": _any, "width": _any, "height": _any, "mime_type": _any,
          "metadata": st.fixed_dictionaries({"is_animated": _any, "title": _any})}), max_size=4) | _any},
    optional={"is_album": _any, "title": _any, "created_at": _any})


def _unprintable(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


@EXAMPLES
@given(st.text())
def test_url_parser_answers_a_target_or_a_usage_error(text: str) -> None:
    try:
        target = urls.parse(text)
    except UsageError:
        return
    assert re.fullmatch(r"[A-Za-z0-9]{5}|[A-Za-z0-9]{7}", target.id)


@EXAMPLES
@given(st.text(alphabet="imgur.com/AbC12345,XyZ:[]()", max_size=40) | st.text())
def test_a_link_of_several_images_answers_targets_or_a_usage_error(text: str) -> None:
    try:
        targets = urls.parse_all(text)
    except UsageError:
        return
    assert targets and all(re.fullmatch(r"[A-Za-z0-9]{5}|[A-Za-z0-9]{7}", t.id) for t in targets)
    assert len(targets) == 1 or all(t.kind is Kind.IMAGE and urls.parse(t.url) == t for t in targets)


@EXAMPLES
@given(st.sampled_from(["", "https://", "http://", "HTTPS://"]),
       st.sampled_from(["imgur.com", "i.imgur.com", "m.imgur.io", "www.imgur.com", "imgur.com:443", "evil.com"]),
       st.text(alphabet="/aA1bcdefg.-?#%_ejt", max_size=30))
def test_url_parser_on_imgur_like_urls(scheme: str, host: str, path: str) -> None:
    try:
        target = urls.parse(scheme + host + "/" + path)
    except UsageError:
        return
    assert target.ext is None or re.fullmatch(r"[a-z0-9]{1,5}", target.ext)


@EXAMPLES
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30))
@example("pa ss")  # (a space: the link is still one link, its password not shown)
@example("x@evil.example/a/QqQqQqQ")  # (an address of its own in it: the link is read after its last '@')
def test_a_link_with_a_password_in_it_is_read_and_the_password_never_shown(password: str) -> None:
    link = f"https://me:{password}@imgur.com/a/AbC1234"
    assume(password.strip() == password)  # (the link is one line's text, taken without the spaces around it)
    target = urls.parse(link)
    assert (target.kind, target.id, target.url) == (Kind.ALBUM, "AbC1234", "https://me:***@imgur.com/a/AbC1234")


def _generally(text: str) -> Target | None:
    """What the general way of reading a link finds (None: a usage error)."""
    try:
        return urls._parse(text)
    except UsageError:
        return None


def test_the_usual_forms_read_in_one_match_name_what_the_general_way_finds() -> None:
    # Every combination of the parts that tell the forms apart (9,072 links).
    for parts in itertools.product(
            ["", "https://", "HTTPS://", "ftp://"],
            ["imgur.com", "i.imgur.com", "m.imgur.com", "IMGUR.com", "imgur.com.", "i.imgur.com:80", "evil.com"],
            ["/", "/a/", "/gallery/", "/t/cats/", "/a/title-", "//"],
            ["AbC1234", "AbC12", "AbC123", "AbC12345", "about", "Store"],
            ["", "/", "h.png", ".jpg", ".toolong", "?q=1", "#top", "/embed", "."]):
        text = "".join(parts)
        quick = urls._quick(text)
        assert quick is None or quick == _generally(text), text


@EXAMPLES
@given(st.sampled_from(["", "https://", "http://"]), st.sampled_from(["imgur.com/", "i.imgur.com/", "imgur.com/a/"]),
       st.text(alphabet="aBz19-./_h", max_size=12))
def test_links_of_any_id_read_in_one_match_name_what_the_general_way_finds(scheme: str, host: str, rest: str) -> None:
    text = scheme + host + rest
    quick = urls._quick(text)
    assert quick is None or quick == _generally(text)


def test_the_usual_forms_are_read_in_one_match() -> None:
    for text in ("https://imgur.com/a/AbC1234", "imgur.com/gallery/AbC1234", "https://i.imgur.com/AbC1234h.jpg",
                 "http://m.imgur.com/AbC12/", "https://www.imgur.com/AbC1234"):
        assert urls._quick(text) == urls.parse(text)
        assert urls._quick(text) is not None


# The file-system encodings a locale may give names: UTF-8 (almost all), ISO-8859-1, EUC-JP and Shift_JIS (which
# write two characters as ASCII), GB18030 (whose four bytes may be UTF-8's two: "\xa9"), and the C locale's ASCII
# where Python is told not to take it for UTF-8.
_NAME_ENCODINGS = st.sampled_from(["utf-8", "iso8859-1", "euc_jp", "shift_jis", "gb18030", "ascii"])


@EXAMPLES
@given(st.text(), _NAME_ENCODINGS)
@example("\xa9" * 200, "gb18030")
@example("\u203ex", "shift_jis")  # (written "~x": a name a shell takes for a home folder's, and so "_~x")
def test_sanitized_names_are_one_safe_component(text: str, encoding: str) -> None:
    name = sanitize(text, encoding=encoding)
    assert name and name not in (".", "..")
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not _unprintable(name)
    assert len(name.encode(encoding)) <= MAX_COMPONENT_BYTES  # (written in it: no character it cannot write)
    assert name.encode(encoding).decode(encoding) == name  # (what is checked here is what the disk is given)
    assert not name.startswith(".") and not name.endswith((".", " "))
    assert not name.casefold().endswith(".part")  # (beside "x", "x.part" is where "x" is written)


@EXAMPLES
@given(st.text(st.characters(max_codepoint=0x7F)))
def test_a_name_of_plain_ascii_comes_out_as_if_it_had_had_the_whole_treatment(text: str) -> None:
    # (Printable ASCII skips the Unicode steps, which would only have joined its runs of spaces: a tab or a
    # control character among it must still be treated, not passed on as printable.)
    assert sanitize(text) == sanitize(_printable(text))


@EXAMPLES
@given(st.text(max_size=60), _NAME_ENCODINGS)
@example("\xa5", "euc_jp")  # (written "\\", which is no character of a name: "_")
def test_a_name_an_encoding_can_write_is_the_name_utf_8_gives(text: str, encoding: str) -> None:
    # (60 characters are 240 bytes at the most in any of them: none is cut short)
    named = sanitize(text)
    assert (sanitize(text, encoding=encoding) == named) == (named.encode(encoding, "replace").decode(encoding) == named)


# Names near the edge of the ones sanitize gives back as they came: devices, dots and spaces at either end, runs
# of spaces, a part file's suffix, characters IGNORECASE alone would take for ASCII letters ("\u212a" for "k").
_NEAR_PLAIN = st.lists(st.sampled_from(["a", "Z", "0", "_", ".", "-", " ", "  ", "CON", "lpt1", "Aux", "~", "\t", ":",
                                        "pArt", "/", "\u212a", "\u017f", "\u0131", "\xe9"]), max_size=6).map("".join)


@given(st.text(), st.integers(-300, 300))
@example("abc", -1)  # (no room at all: nothing, where the bytes but the last were kept)
def test_a_name_cut_to_a_length_is_a_prefix_of_it_no_longer(text: str, most: int) -> None:
    cut = truncate_name(text, most, "utf-8")
    assert text.startswith(cut) and len(cut.encode()) <= max(most, 0)


@EXAMPLES
@given(_NEAR_PLAIN | st.text(), st.integers(1, 12) | st.just(MAX_COMPONENT_BYTES))
@example("a  b", MAX_COMPONENT_BYTES)
@example("com1", MAX_COMPONENT_BYTES)
@example("Lpt9.jpg", MAX_COMPONENT_BYTES)
@example("\u212aa", MAX_COMPONENT_BYTES)
@example("a.", MAX_COMPONENT_BYTES)
@example("a ", MAX_COMPONENT_BYTES)
@example("abc", 2)
@example("a.part", MAX_COMPONENT_BYTES)
@example("a.PaRt", MAX_COMPONENT_BYTES)
def test_a_name_given_back_as_it_came_is_what_the_whole_treatment_makes_of_it(text: str, max_bytes: int) -> None:
    assert sanitize(text, max_bytes) == _treated(text, max_bytes)


@EXAMPLES
@given(st.dictionaries(st.sampled_from(sorted(FIELDS)), st.text(max_size=300)), st.text(min_size=1, max_size=60),
       st.sampled_from([MAX_COMPONENT_BYTES, 143, 64]))  # (most file systems; eCryptfs; the least taken)
@example({"id": "0\xa1\U00010000" * 4}, "0\xa1\U00010000" * 6, 64)  # (an id's tag counted in bytes, not characters)
# (a name's "suffix" past the room beside an id's tag: a template's text after its last dot, not an extension)
@example({"id": "000000" + "\xa1" * 3 + "\U00010000" * 2}, "0.00000000" + "\xa1" * 6 + "\U00010000" * 4, 64)
def test_rendered_paths_stay_inside_the_output_folder(values: dict[str, str], template: str, most: int) -> None:
    root = Path("/out")
    try:
        tpl = Template(template)
    except UsageError:
        return
    media = Media(id=values.get("id", "AbC1234"), index=1, title=values.get("title", ""), description="",
                  mime_type="", width=1, height=1, animated=False, created_at=values.get("date", ""),
                  sources=(Source("https://i.imgur.com/x.jpg", "jpg", None),))
    album = Album(id=values.get("album_id", "AbC1234"), title=values.get("album_title", ""), description="",
                  url="", created_at="", is_album=True, media=(media,))
    path = Namer(root, tpl, tpl, most).path(album, media, "jpg")  # (a template taken renders: no usage error now)
    assert path.is_relative_to(root) and ".." not in path.parts
    assert all(len(p.encode()) <= most and not _unprintable(p) for p in path.relative_to(root).parts)
    assert len((path.name + ".part").encode()) <= most  # (its part file's name too)
    apart = kept_apart(path, media.id, most)
    assert len((apart.name + ".part").encode()) <= most and apart.parent == path.parent


# A template as people write them: fields, each with a format or none, between literal text.
_SPECS = ["", "03d", "04", ">5", "<3", "^9", "_>10", ".3", "x", "+d", ",", "s", ">3s", "%Y"]
_template_text = st.lists(st.tuples(st.sampled_from(sorted(FIELDS)), st.sampled_from(_SPECS),
                                    st.sampled_from(["", " - ", "/", "_", "."])), min_size=1, max_size=4).map(
    lambda pieces: "".join("{" + field + (":" + spec if spec else "") + "}" + after for field, spec, after in pieces))


@EXAMPLES
@given(_template_text, st.sampled_from([None, Kind.USER, Kind.TAG]), st.booleans(), st.text(max_size=20),
       st.text(max_size=20), st.text(max_size=20))
@example("{position:03d}-{id}", None, True, "", "", "")
def test_a_template_taken_at_the_start_names_every_file_of_every_post(
        text: str, listed: Kind | None, is_album: bool, title: str, name: str, date: str) -> None:
    # A template is checked before anything is fetched (a format that does not fit its field is a usage error
    # then): one taken names each file of any post, from a listing or not, titled or not. ({position:03d} once
    # failed every album not from a listing: its position, a listing's alone, is no number there.)
    try:
        template = Template(text)
    except UsageError:
        return
    media = Media(id="AbC1234", index=1, title=title, description="", mime_type="", width=1, height=1,
                  animated=False, created_at=date, sources=(Source("https://i.imgur.com/x.jpg", "jpg", None),),
                  name=name)
    album = Album(id="XyZ9876", title=title, description="", url="", created_at=date, is_album=is_album,
                  media=(media,), listing=None if listed is None else Listing(listed, "someone"),
                  position=0 if listed is None else 7)
    path = Namer(Path("/out"), template, template, MAX_COMPONENT_BYTES).path(album, media, "jpg")
    assert path.is_relative_to("/out") and path != Path("/out")


# A v3 listing's item as Imgur gives one (a gallery album, or a gallery image in full), with any value anywhere.
_v3_item: st.SearchStrategy[Any] = st.fixed_dictionaries(
    {"id": st.sampled_from(["AbC1234", "XyZ9876", "x/y"]) | _any},
    optional={"is_album": st.booleans() | _any, "datetime": st.integers(-(2**40), 2**40) | _any,
              "type": st.sampled_from(["image/jpeg", "image/gif", "video/mp4"]) | _any,
              "link": st.sampled_from(["https://i.imgur.com/AbC1234.gif", "https://i.imgur.com/x"]) | _any,
              "animated": st.booleans() | _any, "mp4": st.just("https://i.imgur.com/AbC1234.mp4") | _any,
              "size": _any})
_page = st.lists(_v3_item | _v1_like, max_size=3)
_LISTINGS = st.sampled_from([kind for kind in Kind if kind.is_listing])


@EXAMPLES
@given(_LISTINGS, st.booleans(), _json | _page | st.fixed_dictionaries({"items": _page}))
@example(Kind.USER, True, [{"id": "AbC1234", "media": [{"id": "XyZ9876", "ext": None, "url": None, "size": None,
                                                        "width": None, "height": None, "mime_type": None,
                                                        "metadata": {"is_animated": None, "title": None}}]}])
def test_a_listing_page_gives_posts_or_its_own_error(kind: Kind, v1: bool, data: Any) -> None:
    try:
        posts = answers.listing_page(data, kind, prefer_gif=False, v1=v1)
    except ImgurDLError:
        return
    items = data.get("items") if kind is Kind.TAG and isinstance(data, dict) else data
    assert isinstance(items, list) and len(posts) == len(items)
    # An unusable item is named by its place alone, and a page of nothing else is no page.
    unlisted = [post for post in posts if isinstance(post, answers.Unlisted)]
    assert [post.index for post in unlisted] == [n for n, post in enumerate(posts, 1) if post in unlisted]
    assert not posts or len(unlisted) < len(posts)
    for post in posts:
        if isinstance(post, answers.Unlisted):
            assert post.why.startswith("unusable answer from the API (") and post.why.isprintable()
            continue
        assert re.fullmatch(r"[A-Za-z0-9]{1,32}", post.id)
        # An album post is its own album; a post of one image is that image (gallery-dl takes a non-album post's
        # id for its image's: where an answer gives the two apart, the image is named by its own id).
        assert post.ready is None or (post.ready.media and (
            post.ready.id == post.id or (not post.ready.is_album and post.ready.id == post.ready.media[0].id)))


@EXAMPLES
@given(_LISTINGS, st.lists(st.tuples(st.from_regex(r"[A-Za-z0-9]{5,7}", fullmatch=True), st.booleans()), max_size=4))
def test_a_whole_v3_listing_page_gives_each_of_its_posts_in_order(kind: Kind, items: list[tuple[str, bool]]) -> None:
    page = [{"id": post_id, "is_album": is_album, "datetime": 1715949296, "type": "image/jpeg",
             "link": f"https://i.imgur.com/{post_id}.jpeg"} for post_id, is_album in items]
    posts = answers.listing_page({"items": page} if kind is Kind.TAG else page, kind, prefer_gif=False)
    assert [(post.id, post.is_album) for post in posts if isinstance(post, answers.Post)] == items
    for post in posts:
        assert isinstance(post, answers.Post)
        assert post.created_at == "2024-05-17T12:34:56Z"
        # An image post comes whole; an album, and a favorites folder's every post, is looked up.
        assert (post.ready is None) == (post.is_album or kind is Kind.FOLDER)
        assert post.ready is None or [s.url for s in post.ready.media[0].sources] == \
            [f"https://i.imgur.com/{post.id}.jpeg"]


@EXAMPLES
@given(_json | _imgurish | _v1_like)
@example({"errors": [{"status": "Not Found"}]})  # (an error with no detail: its status is what it says)
def test_api_answer_parser_raises_only_its_own_errors(data: Any) -> None:
    for parse in (lambda: answers.album_from_v1(data, _TARGET, prefer_gif=False),
                  lambda: answers.album_from_v3(data, prefer_gif=True),
                  lambda: answers.image_from_v3(data, prefer_gif=False)):
        try:
            album = parse()
        except ImgurDLError:
            continue
        assert album.media
        for media in album.media:
            assert re.fullmatch(r"[A-Za-z0-9]{1,32}", media.id)
            assert all(re.fullmatch(r"[a-z0-9]{1,5}", s.ext) for s in media.sources)
    assert isinstance(answers.error_message(data), str)


@EXAMPLES
@given(st.text(alphabet=" #\t\r\n\x0b\x1c\u2028\u0085abcé/:", max_size=120))
def test_a_list_read_a_line_at_a_time_gives_what_reading_it_whole_did(text: str) -> None:
    whole = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    listed = Listed("list")
    read = [(listed.line, line) for line in list_lines(io.StringIO(text, newline=None), "list", listed)]
    assert [line for _, line in read] == [line for line in whole if line and not line.startswith("#")]
    newlines = io.StringIO(text, newline=None).read().split("\n")  # (where each line starts: \r, \r\n and \n end one)
    assert all(line in newlines[number - 1] for number, line in read)


_SPELLINGS = st.sampled_from(sorted(answers.MEDIA_EXTS | {"jpeg", "gifv", "JPEG", "Jpg", ".png", ". gif", "exe"}))


@EXAMPLES
@given(_SPELLINGS | _SPELLINGS.map(str.upper) | _SPELLINGS.map(lambda e: f".{e}") | st.text(max_size=8) | st.none()
       | st.integers(), st.sampled_from(["", "image/jpeg", "VIDEO/MP4", "text/html"]))
def test_an_extension_looked_up_is_the_one_worked_out(value: object, mime: str) -> None:
    ext = urls.served_ext(value) if isinstance(value, str) else ""
    expected = ext if ext in answers.MEDIA_EXTS else answers._MIME_EXT.get(mime.lower(), "bin")
    assert answers._ext(value, mime) == expected


@EXAMPLES
@given(st.text())
def test_printable_text_has_no_control_characters(text: str) -> None:
    out = printable(text)
    assert not _unprintable(out)
    assert "\u202e" not in out and "\u2028" not in out


@EXAMPLES
@given(st.text(max_size=80) | st.from_regex(r"(https?|ftp)://(i\.)?imgur\.com(:\d{1,5})?/[!-~]{0,30}"))
def test_media_urls_are_https_on_the_cdn_or_refused(url: str) -> None:
    try:
        checked = hosts.media_url(url)
    except OffsiteError:
        return
    assert checked.startswith("https://i.imgur.com/")
    assert not _unprintable(checked) and " " not in checked


@EXAMPLES
@given(st.text(max_size=60) | st.from_regex(r"(https?:)?(//(i\.)?imgur\.com(:\d{1,5})?)?(\.\./|\./|/)*[!-~]{0,20}",
                                            fullmatch=True),
       st.sampled_from(["https://i.imgur.com/AbCdEfG.jpg", "https://i.imgur.com/a/b/AbCdEfG.jpg"]))
def test_a_redirect_leads_to_https_on_the_cdn_or_is_refused(location: str, base: str) -> None:
    try:
        target = hosts.redirect_target(base, location)
    except OffsiteError:
        return
    assert target.startswith("https://i.imgur.com/") and "/../" not in target + "/"
    assert not _unprintable(target) and " " not in target


@EXAMPLES
@given(st.from_regex(r"https://i\.imgur\.com/[A-Za-z0-9]{1,70}\.[A-Za-z0-9]{1,20}\n?", fullmatch=True)
       | st.text(max_size=80))
def test_a_plain_cdn_link_passed_as_it_is_is_what_every_check_makes_of_it(url: str) -> None:
    try:
        checked = hosts._checked(url, hosts.MEDIA_HOSTS)
    except OffsiteError:
        checked = None
    if hosts._PLAIN_CDN_LINK.fullmatch(url):
        assert hosts.media_url(url) == checked == url


@EXAMPLES
@given(st.binary(max_size=80), st.text(max_size=30), st.sampled_from(["jpg", "png", "gif", "mp4", "webm", "bin"]),
       st.none() | st.tuples(st.integers(0, 5000), st.integers(0, 5000)))
def test_sniffing_raises_only_not_media(head: bytes, ctype: str, ext: str, dims: tuple[int, int] | None) -> None:
    with contextlib.suppress(NotMediaError, RemovedError):
        sniff.check(head, ctype, ext, dims)


_MAGIC = st.sampled_from([b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\0\0\0\0WEBP",
                          b"\0\0\0\x18ftypmp42", b"\x1a\x45\xdf\xa3", b"<!doctype html>", b'{\n  "id": "AbC1234"'])


@EXAMPLES
@given(_MAGIC, st.binary(max_size=60), st.sampled_from(["jpg", "png", "gif", "mp4", "webm", "bin"]))
def test_a_file_taken_as_saved_whole_is_one_a_download_of_it_would_have_kept(magic: bytes, rest: bytes,
                                                                           ext: str) -> None:
    # A file of no size the API gives, found at its name, is taken for it only where it starts as a picture or a
    # video of its kind does: never where the answer of those very bytes would have been refused, nor where no
    # format tells what it is (a document at its name).
    head = (magic + rest)[:sniff.HEAD]
    if sniff.starts_as(head, ext):
        assert sniff.check(head, "", ext, None) is None
        assert sniff.detect(head) not in (None, "html")
    if sniff.detect(head) is None:
        assert not sniff.starts_as(head, ext)


_LOWER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
# Passwords share no character with the rest of the URL (all lower-case), so finding one in the redacted
# URL can only mean it was left there.
_SECRET = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Ll", "Cc"), blacklist_characters="%"),
                  min_size=4, max_size=30)


@given(st.sampled_from(["postgresql", "postgres", "POSTGRESQL"]), _LOWER, _SECRET, _LOWER, _LOWER,
       st.lists(st.tuples(_LOWER.filter(lambda key: not key.endswith("password")), _LOWER), max_size=3),
       st.sampled_from([None, "password", "sslpassword"]))
def test_a_password_in_an_archive_url_is_never_shown(scheme: str, user: str, password: str, host: str, db: str,
                                                    params: list[tuple[str, str]], in_query: str | None) -> None:
    secret = quote(password, safe="")
    query = "&".join(f"{k}={v}" for k, v in params)
    if in_query:  # (the login's, or the client key's: sslpassword)
        url = f"{scheme}://{user}@{host}/{db}?{in_query}={secret}" + (f"&{query}" if query else "")
    else:
        url = f"{scheme}://{user}:{secret}@{host}/{db}" + (f"?{query}" if query else "")
    shown = redact(url)
    assert password not in shown and secret not in shown
    assert shown.startswith(f"{scheme}://{user}")
    assert shown.endswith(query)


# A password as urlsplit reads one: anything but the characters that end the address (it may hold an @ or a :).
_TYPED_SECRET = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Ll", "Cc", "Zs", "Zl", "Zp"),
                                               blacklist_characters="/?#\\[]"), min_size=4, max_size=30)


@given(st.sampled_from(["https://", "http://", "", "postgresql://", "socks5://"]), _LOWER | st.just("a@b"),
       _TYPED_SECRET, st.sampled_from(["imgur.com", "i.imgur.com:443", "127.0.0.1:8080", "db"]),
       st.sampled_from(["", "/", "/a/abcdefg", "/x?password=&y#z@w"]), st.text(alphabet="abc ", max_size=8))
@example("https://", "a@b", "000\u2100", "imgur.com", "", "")  # ('\u2100': "a/c" to Unicode)
def test_a_password_typed_into_a_link_is_never_shown(scheme: str, user: str, password: str, host: str, rest: str,
                                                     around: str) -> None:
    url = f"{scheme}{user}:{password}@{host}{rest}"
    try:
        parts = urlsplit(url if scheme else "https://" + url)
    except ValueError:  # (a character Unicode reads as one that ends the address, '℀' as "a/c": no program takes it)
        assert not password.isascii()
    else:
        assert parts.password == password  # (what a program reading the link would take for its password)
    # (An @ further on, in a path or a fragment, is taken for the password's end: it cannot be told from one.)
    hidden = f"{user}:{password}@{host}{rest.rpartition('@')[0]}@" if "@" in rest else f"{user}:{password}@"
    for text, shown in ((url, hide_password(url)), (f"{around} {url}", hide_password(f"{around} {url}"))):
        assert password not in shown
        assert shown == text.replace(hidden, f"{user}:***@")  # (the rest as it was)


# A password as people write one into an address, whatever it holds: what ends an address for other programs
# ('/', '?', '#'), '@' and ':', a quote, a space; none of the letters the rest of the address is made of.
_WRITTEN_SECRET = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Ll", "Cc")), min_size=1, max_size=30)


@given(st.sampled_from(["postgresql://", "postgres://", "http://", "https://", ""]), _LOWER, _WRITTEN_SECRET,
       st.sampled_from(["db", "db:5432", "127.0.0.1:8080"]), st.sampled_from(["", "/", "/db", "/db?sslmode=require"]))
@example("postgresql://", "u", "pa?ss#w:x", "db", "/db")  # (libpq's password: "pa?ss#w:x"; urlsplit's: none)
@example("postgresql://", "u", "P@SS@", "db", "/db")  # (libpq's: "P"; the person's: all of it)
@example("https://", "u", "@/@/", "db", "/db")  # (an @ before a '/' in it: not the host's)
@example("postgresql://", "u", "PA SS", "db", "/db")  # (no program's: each says so, and is shown)
@example("postgresql://", "u", "//", "db", "")  # (not a scheme's '//')
@example("postgresql://", "u", "%80", "db", "")  # (a byte that is no UTF-8: libpq's is none)
def test_a_password_written_as_it_is_into_an_address_is_never_shown(scheme: str, user: str, password: str,
                                                                    host: str, rest: str) -> None:
    # (With no scheme, 'u://@db' is a URL of the scheme 'u', whose address holds no password: read so.)
    assume(scheme or not password.startswith("//"))
    url = f"{scheme}{user}:{password}@{host}{rest}"
    assert hide_password(url, whole=True) == f"{scheme}{user}:***@{host}{rest}"
    if scheme.startswith("postgres"):
        assert redact(url) == f"{scheme}{user}:***@{host}{rest}"
        libpq = _libpq_password(url)
        said = _Server(url).why(Exception(f'not "{password}", "{libpq}" nor "{unquote(password)}"'))
        assert not [seen for seen in (password, libpq, unquote(password)) if seen and _shown(seen, said)], said


@given(_LOWER, _WRITTEN_SECRET, st.booleans(), st.sampled_from(["password", "sslpassword"]))
@example("u", "it's", True, "password")
@example("u", "A://B", False, "password")  # (a URL's mark in a value: still keywords and values)
@example("a", " ", False, "password")  # (hidden where it is repeated, not in every space of the message)
def test_a_password_among_keywords_and_values_is_never_shown(user: str, password: str, quoted: bool,
                                                             keyword: str) -> None:
    location = f"host=db user={user} {keyword}={_written(password, quoted)} dbname=imgur"
    assert is_postgres(location)
    assert redact(location) == f"host=db user={user} {keyword}=*** dbname=imgur"
    assert conninfo_to_dict(location)[keyword] == password  # (as libpq reads it)
    said = _Server(location).why(Exception(f'password "{password}" was refused'))
    assert not _shown(password, said), said


@given(_LOWER, _WRITTEN_SECRET, st.booleans(), st.sampled_from(["password", "sslpassword"]), st.booleans(),
       st.sampled_from(["argument --lease: not a number of seconds: {}", "{} is no archive", "{}"]))
@example("u", "it's", True, "password", True, "{}")  # (quoted and escaped, then quoted again by repr)
@example("a", "0\xa0", False, "password", False, "{}")  # (a space in a URL's password: no word's end there)
@example("a", "***xyz", False, "password", False, "{}")  # (one that starts as a hidden one does: it was shown)
def test_an_error_line_never_shows_a_password_whatever_option_it_was_given_to(
        user: str, password: str, quoted: bool, keyword: str, as_repr: bool, line: str) -> None:
    location = f"host=db user={user} {keyword}={_written(password, quoted)} dbname=imgur"
    url = f"postgresql://{user}:{password}@db/imgur"  # (as a person writes it: whatever it holds)
    text = line.format(repr(location) if as_repr else location)
    cut = text.index(f" {keyword}=") + len(keyword) + 2
    # (the rest of the line: the value's end cannot be told; but where the value is ``***``, as hidden already, and
    # no more: then what follows it is said, as of an address whose password was hidden before it was quoted)
    hidden = _written(password, quoted) == "***"
    assert without_secrets(text) == (text if hidden else text[:cut] + "***")
    text = line.format(repr(url) if as_repr else url)
    start = text.index(f"//{user}:") + len(user) + 3
    assert without_secrets(text) == text[:start] + "***" + text[text.rindex("@"):]


def _shown(secret: str, said: str) -> bool:
    """Whether ``secret`` stands in ``said`` as a word of its own, where a message repeats one (a quoted value, a
    URL's): a password "on" inside "connection" is none, and hiding it there would show it by the gaps."""
    return re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", said.replace("***", "\0")) is not None


def _written(value: str, quoted: bool) -> str:
    """``value`` as a person writes it among keywords and values: in quotes, or bare; a backslash before each
    character that would end it (and before each backslash)."""
    return "'{}'".format(re.sub(r"([\\'])", r"\\\1", value)) if quoted else re.sub(r"([\\'\s])", r"\\\1", value)


def _libpq_password(location: str) -> str:
    """The password libpq reads in ``location`` ('' for none, or one it cannot read)."""
    try:
        return str(conninfo_to_dict(location).get("password") or "")
    except (psycopg.ProgrammingError, UnicodeDecodeError):  # (%80: a byte that is no UTF-8)
        return ""


@given(st.text())
def test_redacting_any_text_gives_text(text: str) -> None:
    assert isinstance(redact(text), str)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20)
_TOP = st.dictionaries(st.sampled_from(["media", "id", ""]) | st.text(max_size=4), _JSON_VALUES, max_size=5)


@settings(EXAMPLES)
@given(document=st.dictionaries(st.text(max_size=6), _JSON_VALUES, max_size=5),
       listed=st.lists(st.sampled_from(sorted(string.ascii_letters)), unique=True, max_size=3))
def test_a_document_written_an_element_at_a_time_reads_as_it_was_and_looks_as_json_writes_it(
        document: dict[str, Any], listed: list[str], tmp_path_factory: Any) -> None:
    # album.json is written as json.dumps(..., indent=2) writes it, its items (an iterator) one at a time, never as
    # one text: the same bytes, whatever the values (text that no encoding writes, characters a terminal would
    # hide, nesting).
    whole = {**document, **{key: [document, None] * (n + 1) for n, key in enumerate(listed)}}
    streamed = {key: iter(value) if key in listed else value for key, value in whole.items()}
    folder = tmp_path_factory.getbasetemp() / "streamed"
    folder.mkdir(exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        output.write_json(fd, "a.json", streamed)
    finally:
        os.close(fd)
    written = (folder / "a.json").read_bytes()
    assert json.loads(written) == json.loads(json.dumps(whole))  # (NaN aside: none is drawn)
    expected = output._INVISIBLE.sub(lambda m: f"\\u{ord(m[0]):04x}",
                                     json.dumps(whole, ensure_ascii=False, indent=2)) + "\n"
    assert written == expected.encode("utf-8", "backslashreplace")


_ALBUM_IDS = st.from_regex(r"[A-Za-z0-9]{5,7}", fullmatch=True)


@settings(EXAMPLES)
@given(_ALBUM_IDS, _ALBUM_IDS, st.dictionaries(st.text(max_size=6), _JSON_VALUES, max_size=3),
       st.sampled_from([None, 0, 2, 4, "\t"]), st.sampled_from([(", ", ": "), (",", ":"), (" , ", " : ")]),
       st.booleans())
def test_an_album_s_metadata_is_told_from_any_other_file_by_its_start(
        album_id: str, other_id: str, rest: dict[str, Any], indent: int | str | None, separators: tuple[str, str],
        ascii_only: bool) -> None:
    # Written by this program, or again by a tool that keeps its first key (jq, json.dump), an album's metadata is
    # told as that album's; another album's is not, nor what is no such JSON object.
    rest.pop("id", None)
    for album, written in ((album_id, True), (other_id, album_id == other_id)):
        document = json.dumps({"id": album, **rest}, indent=indent, separators=separators, ensure_ascii=ascii_only)
        assert output.is_metadata_of(document.encode()[:output.METADATA_HEAD], album_id) is written
    assert not output.is_metadata_of(json.dumps([{"id": album_id}]).encode(), album_id)
    assert not output.is_metadata_of(json.dumps({"title": album_id, "id": album_id}).encode(), album_id)
    assert not output.is_metadata_of(json.dumps({"id": album_id + "x"}).encode(), album_id)


class _Items(list[object]):
    """A collector that keeps each item as it was given, with its position."""

    def add(self, item: object, position: int) -> None:
        self.append(("parsed", position, item))


class _Count:
    """A collector that keeps nothing but how many items came."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, item: object, position: int) -> None:
        self.count = position


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` in chunks, cut at ``cuts`` (as a network hands an answer over)."""
    at = sorted({min(cut, len(data)) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *at], [*at, len(data)], strict=True)]


_CUTS = st.lists(st.integers(0, 400), max_size=8)
_ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32"])


# How JSON is laid out: as json.dumps does by default, compact (as APIs send it), or spaced all round.
_SEPARATORS = st.sampled_from([None, (",", ":"), (" , ", " : "), (",\t", ":\r\n")])


@given(_TOP, st.sampled_from([None, 0, 2]), _SEPARATORS, _ENCODINGS, _CUTS)
def test_an_answer_decoded_as_it_is_read_is_what_json_loads_makes(answer: dict[str, Any], indent: int | None,
                                                                  separators: tuple[str, str] | None,
                                                                  encoding: str, cuts: list[int]) -> None:
    data = json.dumps(answer, indent=indent, separators=separators, ensure_ascii=False).encode(encoding,
                                                                                             "surrogatepass")
    got = jsonstream.load(_split(data, cuts), "media", _Items)
    want = json.loads(data)
    assert jsonstream.load(_split(data, cuts)) == want  # (nothing collected: any other answer of the API)
    if isinstance(want.get("media"), list):
        want["media"] = [("parsed", n, item) for n, item in enumerate(want["media"], 1)]
    assert got == want


@given(_TOP.map(json.dumps).flatmap(lambda t: st.tuples(st.just(t), st.integers(0, len(t)), st.text(max_size=2)))
       | st.tuples(st.text(max_size=30), st.just(0), st.just("")), _CUTS)
def test_an_answer_decoded_as_it_is_read_is_refused_when_json_refuses_it(case: tuple[str, int, str],
                                                                         cuts: list[int]) -> None:
    text, at, noise = case
    text = text[:at] + noise + text[at + 1:]  # a valid answer with a character changed, or any text
    data = text.encode("utf-8", "surrogatepass")
    try:
        json.loads(data)
    except ValueError:
        for items in (("media", _Items), ()):
            with contextlib.suppress(ValueError):
                jsonstream.load(_split(data, cuts), *items)
                raise AssertionError(f"decoded what json.loads refuses: {text!r}") from None
    else:
        jsonstream.load(_split(data, cuts), "media", _Items)
        jsonstream.load(_split(data, cuts))


def test_a_number_cut_between_chunks_is_read_whole() -> None:
    got = jsonstream.load([b'{"media": [12', b'34, 1.', b"25, 1.5e", b"3, -", b'2], "n": 5', b"6}"], "media", _Items)
    assert got == {"media": [("parsed", 1, 1234), ("parsed", 2, 1.25), ("parsed", 3, 1500.0), ("parsed", 4, -2)],
                   "n": 56}


def test_a_long_answer_is_let_go_of_as_it_is_read() -> None:
    """What is held while an answer is read stays near the chunk size, however long the answer."""
    item = {"id": "AbC1234", "url": "https://i.imgur.com/AbC1234.jpg", "title": "x" * 200}
    data = json.dumps({"id": "A", "media": [item] * 5_000}).encode()
    chunks = (data[at:at + 32 * 1024] for at in range(0, len(data), 32 * 1024))
    tracemalloc.start()
    try:
        got = jsonstream.load(chunks, "media", _Count)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(got, dict)
    assert got["media"].count == 5_000
    assert len(data) > 1_200_000
    assert peak < 400_000  # (the answer's text alone would be 1.2 MB)


_SOURCES = st.builds(Source, url=st.text(max_size=40), ext=st.sampled_from(["jpg", "mp4", "gif", ""]),
                     size=st.none() | st.integers(0, 2**70))


@st.composite
def _media(draw: st.DrawFn) -> Media:
    media_id = draw(st.text(max_size=10) | st.text("a\n", max_size=3))  # (ids are kept apart, newline-ended)
    sources = draw(st.lists(_SOURCES, min_size=1, max_size=3))
    if draw(st.booleans()):  # the CDN's usual URL for it (kept as id and extension only)
        sources[0] = Source(f"{hosts.IMAGE_ROOT}/{media_id}.{sources[0].ext}", sources[0].ext, sources[0].size)
    return Media(media_id, draw(st.integers(0, 2**40)), draw(st.text()), draw(st.text()), draw(st.text(max_size=12)),
                 draw(st.integers(0, 2**31)), draw(st.integers(0, 2**31)), draw(st.booleans()),
                 draw(st.text(max_size=25)), tuple(sources), draw(st.text(max_size=20)))


@EXAMPLES
@given(st.lists(_media(), max_size=6), st.integers(-8, 8))
def test_packed_media_give_back_what_was_packed(media: list[Media], at: int) -> None:
    packed = PackedMedia(media)
    assert len(packed) == len(media)
    assert list(packed) == media
    assert packed[1:4] == tuple(media[1:4])
    assert packed.ids() == [m.id for m in media]
    assert packed.ids(max(at, 0), max(at, 0) + 3) == [m.id for m in media[max(at, 0):max(at, 0) + 3]]
    assert packed.first_sizes == sum(m.sources[0].size or 0 for m in media)
    if -len(media) <= at < len(media):
        assert packed[at] == media[at]
    else:
        with pytest.raises(IndexError):
            packed[at]


# Hashes as Python makes them (signed 64-bit), the edges, and many alike in their low bits (the slot they
# start from), so that probing past taken slots and growing the table are both met.
_HASHES = st.integers(-(2**63), 2**63 - 1) | st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63)]) \
    | st.integers(0, 2**20).map(lambda n: n << 44)


@given(st.lists(_HASHES, max_size=50), st.integers(0, 2 * hashset._FIRST), st.integers(0, 2**32),
       st.lists(_HASHES, max_size=50))
def test_the_paths_given_out_are_a_set_of_their_hashes(given_first: list[int], extra: int, seed: int,
                                                        asked: list[int]) -> None:
    # (as many values again as the first table has slots, and ``extra``: the table grows twice or more; many
    # alike in their low bits)
    rnd = random.Random(seed)
    added = given_first + [rnd.randrange(2**20) << 44 if rnd.random() < 0.5 else rnd.randrange(-(2**63), 2**63)
                           for _ in range(hashset._FIRST + extra)]
    taken = HashSet()
    for value in added:
        taken.add(value)
    keys = {(value & (2**64 - 1)) or 1 for value in added}  # (0 is kept as 1: the empty slot's mark)
    assert len(taken) == len(keys)
    for value in [*added, *asked]:
        assert (value in taken) == (((value & (2**64 - 1)) or 1) in keys)


def test_a_set_that_grows_holds_every_value_added_before_for_a_thread_that_asks_meanwhile(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The names a run gives out are added in one thread and asked of in others (a file's earlier name is not one
    # given to another now): while the table grows, each asking finds every value added before. (The larger table
    # was put in place empty, then filled.)
    taken = HashSet()
    added = [n << 44 for n in range(1, hashset._FIRST // 2 + 1)]  # (a table half full: one more grows it)
    for value in added:
        taken.add(value)
    probe, met = hashset._probe, []

    def asked_meanwhile(slots: Any, key: int) -> int:  # (each step of the growing: another thread asks then)
        met.append(all(taken._slots[probe(taken._slots, hashset._key(v))] == hashset._key(v) for v in added))
        return probe(slots, key)

    monkeypatch.setattr(hashset, "_probe", asked_meanwhile)
    taken.add(1)
    assert met and all(met)
    assert all(value in taken for value in [*added, 1])


@given(st.lists(st.tuples(st.sampled_from(["a.jpg", "A.jpg", "a (x).jpg", "a (x 2).jpg", "b" * 250 + ".jpg"]),
                          st.sampled_from(["x", "X", "y"])), max_size=12),
       st.booleans(), st.sampled_from([MAX_COMPONENT_BYTES, 64]),
       st.sets(st.sampled_from(["a.jpg", "A.jpg", "a (X).jpg", "a (x).jpg", "a (X 2).jpg", "A (x 2).jpg"])))
@example([("a.jpg", "x")] * 3 + [("a (x 2).jpg", "y"), ("a (x 3).jpg", "y"), ("a.jpg", "x")], False,
         MAX_COMPONENT_BYTES, set())
@example([("a.jpg", "x")], True, MAX_COMPONENT_BYTES, {"a.jpg", "a (X).jpg"})
def test_no_two_files_of_a_run_are_given_one_path(asked: list[tuple[str, str]], fold: bool, most: int,
                                                  earlier: set[str]) -> None:
    # (one image in albums that share a folder is asked a name again and again; a name given out may be one a
    # template gives another file. Where names ignore case, ``earlier``: names an earlier run left, any of which is
    # another file's in any case but its own; none is given out in another case.)
    taken = GivenNames()
    folded = {name.casefold(): name for name in earlier}

    def other_case(path: Path) -> bool:
        return folded.get(path.name.casefold(), path.name) != path.name

    given = [disambiguate(Path("/out") / name, media_id, taken, fold=fold, most=most,
                          other_case=other_case if fold else None) for name, media_id in asked]
    seen = [str(path).casefold() if fold else str(path) for path in given]
    assert len(set(seen)) == len(seen)
    assert not fold or not any(other_case(path) for path in given)
    assert all(len((path.name + ".part").encode()) <= most or path.name in {name for name, _ in asked}
               for path in given)


# -- --since ------------------------------------------------------------------------------------------------

_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timedelta(minutes=minutes))


@given(st.datetimes(datetime(2001, 1, 1), datetime(2098, 12, 31)), _OFFSETS, st.booleans(), st.booleans(),
       st.sampled_from(["T", " "]), st.booleans())
def test_since_is_the_moment_its_text_names(moment: datetime, offset: timedelta, seconds: bool, colon: bool,
                                             sep: str, zulu: bool) -> None:
    moment = moment.replace(tzinfo=timezone(offset))
    if not seconds:
        moment = moment.replace(second=0, microsecond=0)
    written = moment.isoformat(sep=sep, timespec="auto" if seconds else "minutes")
    if zulu and not offset:
        written = written.removesuffix("+00:00") + "Z"
    elif not colon:
        written = written[:-3] + written[-2:]  # +0200, as `date +%z` writes it
    assert parse_since(written).at(0) == moment.timestamp() == since_seconds(moment, 0)  # (the Python API's, alike)


@given(st.dates(date(2001, 1, 1), date(2098, 12, 31)))
def test_a_date_given_to_the_python_api_is_the_day_the_flag_names(day: date) -> None:
    assert since_seconds(day, 0) == parse_since(day.isoformat()).at(0) == since_seconds(day.isoformat(), 0)


@given(st.text(max_size=40) | st.from_regex(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{4})?",
                                             fullmatch=True))
def test_since_is_a_time_or_a_usage_error(text: str) -> None:
    with contextlib.suppress(UsageError):
        assert math.isfinite(parse_since(text).at(1_760_000_000))


@given(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from("wdhms")), min_size=1, max_size=5),
       st.floats(0, 4e9))
def test_a_span_is_that_long_back_from_the_run_s_start(parts: list[tuple[int, str]], now: float) -> None:
    seconds = sum(count * {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}[unit] for count, unit in parts)
    written = "".join(f"{count}{unit}" for count, unit in parts)
    assert parse_since(written).at(now) == now - seconds == since_seconds(written, now)
    assert since_seconds(timedelta(seconds=seconds), now) == now - seconds


# Every option that takes a value, as the usage shows it ("[--max-file-size SIZE]"), but those that name a file
# read as the run starts (what any text names there is this machine's business, not the parser's).
_VALUED = [option for option in re.findall(r"\[(-[-\w]+)(?:, -[-\w]+)? [^\]\[]+\]", build_parser({}).format_usage())
           if option not in ("-i", "--scan", "--cookies")]
# The variables read as the command line is.
_VARIABLES = ["IMGUR_DL_OUTPUT", "IMGUR_DL_WORKERS", "IMGUR_DL_ARCHIVE", "IMGUR_CLIENT_ID", "IMGUR_ACCESS_TOKEN",
              "https_proxy", "HTTPS_PROXY", "ALL_PROXY"]
# Sizes, with digits and letters that are others to Unicode than to ASCII.
_SIZES = st.from_regex(r"\s?[0-9\u0660-\u0669\uff10-\uff19]{1,3}\s?[KMGkmg\u212a]?[iI\u0131\u0130]?[bB]?",
                       fullmatch=True)
_VALUES = st.text() | _SIZES | st.text().map("~".__add__)  # (and paths from someone's home)


def _said_of(argv: list[str], environ: dict[str, str]) -> tuple[int, list[str]]:
    """What the command says of ``argv`` after a URL it refuses (so that nothing is asked of any server): its exit
    status and the lines of its standard error."""
    result = run_main(*argv, "https://example.com/not-imgur", environ=environ)
    return result.code, result.err.splitlines()


@EXAMPLES
@given(st.sampled_from(_VALUED), _VALUES)
@example("--max-file-size", "5\u212a")  # (K, the Kelvin sign: "k" to a match that ignores case)
@example("--limit-rate", "1\u212aB")
@example("-o", "~0")  # (a user no machine has)
def test_any_value_of_an_option_is_taken_or_one_usage_error(option: str, value: str) -> None:
    code, lines = _said_of([f"{option}={value}" if option.startswith("--") else option + value], {})
    assert code == 2 or (code == 0 and option == "--print-completion"), lines
    assert all(line.startswith(("imgur-dl: error: ", "imgur-dl: warning: ")) for line in lines), lines
    assert len([line for line in lines if line.startswith("imgur-dl: error: ")]) == (code == 2), lines


@given(st.integers(0, 10**6), st.text("0123456789", max_size=9), st.sampled_from(["", "K", "m", "G", "KiB", "MB"]))
@example(0, "5", "")  # (half a byte: no rate, and not the 0 that means none)
@example(0, "", "K")
def test_a_size_is_read_to_the_byte_as_curl_and_wget_write_it(whole: int, fraction: str, unit: str) -> None:
    written = f"{whole}.{fraction}{unit}" if fraction else f"{whole}{unit}"
    exact = Fraction(f"{whole}.{fraction or 0}") * 1024 ** " KMG".index(unit[:1].upper() or " ")
    try:
        rate = build_parser({}).parse_args(["--limit-rate", written]).limit_rate
    except UsageError as exc:
        assert 0 < exact < 1 and str(exc).endswith(f"must be 0, or 1 byte or more: {written!r}"), exc
    else:
        assert rate == math.floor(exact) and (rate >= 1 or exact == 0)


@EXAMPLES
@given(st.sampled_from(_VARIABLES), _VALUES.filter(lambda text: "\0" not in text))  # (no environment holds a NUL)
@example("IMGUR_DL_ARCHIVE", "~0/seen.sqlite")
def test_any_value_of_a_variable_is_taken_or_one_usage_error_naming_it(name: str, value: str) -> None:
    code, lines = _said_of([], {name: value})
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("imgur-dl: error: "), lines
    assert lines[0] == "imgur-dl: error: not an Imgur URL: https://example.com/not-imgur" or name in lines[0], lines


_SPANS = st.lists(st.tuples(st.integers(1, 10**18 - 10**6 - 1), st.integers(0, 10**6) | st.none(),
                            st.sampled_from(["{lo}-{hi}", "{lo} - {hi}", "-{hi}", "{lo}-", "{lo}"])),
                  min_size=1, max_size=5)


@given(_SPANS)
def test_a_range_of_positions_is_read_as_written(spans: list[tuple[int, int | None, str]]) -> None:
    written, meant = [], []
    for lo, more, drawn in spans:
        hi = None if more is None else lo + more
        form = "{lo}-" if hi is None and "{hi}" in drawn else drawn  # (no end: to the end of the listing)
        written.append(form.format(lo=lo, hi=hi))
        meant.append((1 if form.startswith("-") else lo, None if form.endswith("-") else hi if "-" in form else lo))
    assert parse_range(",".join(written)) == tuple(meant)


@given(st.text(st.sampled_from("0123456789-, \u0661+_") | st.characters(), max_size=16))
@example("-0")
@example("1\x1f")  # (a separator of units: white space to strip())
def test_any_range_is_positions_from_1_in_order_or_one_usage_error(text: str) -> None:
    try:
        spans = parse_range(text)
    except UsageError as exc:
        assert str(exc).startswith(f"not a range of positions: {text!r} (") and "\n" not in str(exc)
        return
    assert spans and all(1 <= lo <= (lo if hi is None else hi) for lo, hi in spans)
    assert all(c in "0123456789-," or c.isspace() for c in text), text  # (white space, as strip() takes it)


@given(st.datetimes(datetime(2009, 1, 2), datetime(2099, 12, 30)), _OFFSETS, st.integers(0, 9),
       st.sampled_from(["Z", "+00:00", "colon", "plain", ""]))
def test_a_servers_time_is_read_in_any_form_it_may_take(moment: datetime, offset: timedelta, digits: int,
                                                        zone: str) -> None:
    # As an API writes a time: seconds, then up to nine digits of a fraction (more than Python keeps: six are),
    # then Z, an offset with or without its colon, or nothing (UTC).
    if zone in ("Z", "+00:00", ""):
        offset = timedelta(0)
    moment = moment.replace(tzinfo=timezone(offset))
    fraction = f"{moment.microsecond:06d}{moment.microsecond % 1000:03d}"[:digits]
    written = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "")
    sign, minutes = ("-" if offset < timedelta(0) else "+"), abs(int(offset.total_seconds())) // 60
    written += {"Z": "Z", "+00:00": "+00:00", "": "", "colon": f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
                "plain": f"{sign}{minutes // 60:02d}{minutes % 60:02d}"}[zone]
    kept = int(fraction[:6].ljust(6, "0")) if digits else 0
    assert dates.parse_iso(written) == moment.replace(microsecond=kept).timestamp()


@given(st.datetimes(datetime(2009, 1, 2), datetime(2099, 12, 30)), st.sampled_from(["imf", "rfc850", "asctime"]))
def test_a_last_modified_header_is_read_in_each_form_http_allows(moment: datetime, form: str) -> None:
    # RFC 9110, 5.6.7: IMF-fixdate, which a server sends, and the two obsolete forms a recipient must read too.
    moment = moment.replace(microsecond=0, tzinfo=timezone.utc)
    written = {"imf": format_datetime(moment, usegmt=True), "rfc850": moment.strftime("%A, %d-%b-%y %H:%M:%S GMT"),
               "asctime": f"{moment:%a %b} {moment.day:2d} {moment:%H:%M:%S %Y}"}[form]
    assume(form != "rfc850" or moment.year < 2069)  # (two digits of a year: from 69, the 1900s, as Python reads them)
    assert dates.served_time(written) == moment.timestamp()


@given(st.text(max_size=60) | st.lists(st.sampled_from(["Fri,", "17", "May", "2024", "12:34:56", "GMT", "+0200",
                                                        "-0000", "99999999", "24", "17-May-24", "99:99:99", "0"]),
                                       max_size=8).map(" ".join))
def test_any_last_modified_header_is_a_time_imgur_could_hold_or_none(header: str) -> None:
    seconds = dates.served_time(header)
    assert seconds is None or datetime(2009, 1, 1, tzinfo=timezone.utc).timestamp() <= seconds \
        < datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp()


# (and the characters that show nothing a link brings from a page, a chat or a file Windows wrote: a byte-order mark,
# zero-width spaces and joiners, a word joiner, direction marks, a soft hyphen)
_SHOWING_NOTHING = "\ufeff\u200b\u200c\u200d\u2060\u200e\u200f\u00ad"


@given(st.from_regex(r"[A-Za-z0-9]{7}", fullmatch=True), st.sampled_from(["imgur.com/a/", "https://imgur.com/gallery/",
                                                                       "i.imgur.com/", "imgur.com/"]),
       st.text(alphabet="<([{\"'" + _SHOWING_NOTHING, max_size=4),
       st.text(alphabet=".,;:!?)]}>\"'*" + _SHOWING_NOTHING, max_size=5))
def test_a_link_means_the_same_whatever_punctuation_it_was_pasted_with(image_id: str, form: str, before: str,
                                                                         after: str) -> None:
    link = form + image_id + (".jpg" if form == "i.imgur.com/" else "")
    assume(image_id.lower() not in urls._RESERVED)
    assert urls.parse(before + link + after).id == urls.parse(link).id == image_id
    assert [t.id for t in urls.parse_all(before + link + after)] == [image_id]


_GIVEN_LINKS = st.lists(st.tuples(
    st.sampled_from(["", "https://", " ", "(", "<"]),
    st.sampled_from(["imgur.com/a/", "imgur.com/gallery/", "i.imgur.com/", "imgur.com/", "imgur.com/user/",
                     "imgur.com/t/", "imgur.com/search?q=", "IMGUR.com/A/", "m.imgur.com/"]),
    st.sampled_from(["AbC1234", "abc1234", "XyZ98", "cats", "caf\u00e9", "a b", "me/favorites"]),
    st.sampled_from(["", ".jpg", "/", ")", ">.", "?x=1", "\udcff", " ", "/\udcff", "/\ud800", "/caf\u00e9"])),
    max_size=12)


@EXAMPLES
@given(_GIVEN_LINKS)
def test_targets_kept_packed_are_given_back_as_they_were_parsed(links: list[tuple[str, str, str, str]]) -> None:
    packed, wanted = Given(), {}
    for parts in links:
        try:
            target = urls.parse("".join(parts))
        except UsageError:
            continue
        assert packed.add(target) == ((target.kind, target.id) not in wanted)
        wanted.setdefault((target.kind, target.id), target)
    assert list(packed) == list(wanted.values())  # in order, repeats dropped, each as it was parsed
    assert len(packed) == len(wanted)
    assert packed.listings == sum(t.kind.is_listing for t in wanted.values())


def _held_by(make: Any) -> tuple[Any, int]:
    """What ``make()`` returns, and the bytes it still holds (tracemalloc: what was allocated and kept)."""
    tracemalloc.start()
    try:
        made = make()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return made, held


def test_a_long_list_is_kept_packed() -> None:
    ids = [f"{n:07d}" for n in range(3_000)]
    lines = [f"https://imgur.com/a/{i}" for i in ids] + [f"imgur.com/a/{i}" for i in ids[:100]]  # (repeats)
    lines_text = io.StringIO("\n".join(lines))
    (targets, refused), held = _held_by(lambda: _targets([read_list("-", lines_text)], Environment()))
    assert (len(targets), refused) == (3_000, 0)
    assert held < 70 * 3_000  # bytes a link (a Target and its key held for each: some 270)
    assert [t.id for t in targets] == ids


def test_a_scan_keeps_a_hash_of_each_target_given_out() -> None:
    text = "".join(f"see https://imgur.com/a/{n:07d} and i.imgur.com/{n:07d}.jpg\n" for n in range(1_500)).encode()
    scanner = Scanner()
    found, held = _held_by(lambda: sum(1 for _ in scanner.scan(io.BytesIO(text), "notes")))
    assert found == 3_000
    assert held < 40 * 3_000  # bytes a target (a key of two strings in a set: some 130)


# -- what a rerun keeps of album.json --------------------------------------------------------------------

_SHA = "ab" * 32
# Values each field of an item may hold in a file that is not as this program wrote it.
_SPOILT = {"file": ["../x.jpg", "a/b.jpg", ".", "..", "", "x\0.jpg", 5, None, "002-Ab00001.jpg", "/out/001-Ab00000.jpg",
                    "d/../001-Ab00000.jpg", "d//001-Ab00000.jpg", "2024-05-18/001-Ab00000.jpg"],
           "size": [-1, 100.0, True, "100", 101, None], "url": ["http://i.imgur.com/x.jpg", "", 5, None],
           "source": ["web", "", None, 1], "wayback_timestamp": ["2015-01-02", "", 2015, "x1"],
           "sha256": [_SHA.upper(), _SHA[:-1], "", 5], "linked_to": [5, True, ["a"]]}
_GONE = object()  # (a field left out)
_GOOD = {"file": "001-Ab00000.jpg", "size": 100, "url": "https://i.imgur.com/Ab00000.jpeg", "source": "imgur",
         "wayback_timestamp": None, "sha256": _SHA, "linked_to": None}


# (Strategies made once: one made inside a draw is made and checked again at every draw, a third of the
# test's time.)
_ITEM_IDS = st.sampled_from(["Ab00000", "Ab00000", "Ab00001"])
_SPOILT_KEY = st.none() | st.sampled_from(sorted(_GOOD))
_SPOILT_VALUE = {key: st.sampled_from([*values, _GONE]) for key, values in _SPOILT.items()}


@st.composite
def _earlier_item(draw: st.DrawFn) -> dict[str, Any]:
    """An item as this program writes it, then maybe spoilt: a value changed to any other, or left out."""
    item: dict[str, Any] = {"id": draw(_ITEM_IDS), **_GOOD}
    if draw(st.booleans()):
        item.update(source="wayback", wayback_timestamp="20150102030405")
    key = draw(_SPOILT_KEY)
    if key is not None:
        item[key] = draw(_SPOILT_VALUE[key])
        if item[key] is _GONE:
            del item[key]
    return item


_ITEMS = st.lists(st.one_of(_json, _earlier_item()), max_size=4)


def _read_items(document: bytes, tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.getbasetemp() / "earlier"  # (one folder for every example: its album.json replaced)
    folder.mkdir(exist_ok=True)
    (folder / "album.json").write_bytes(document)
    fd = os.open(folder, os.O_RDONLY)
    try:
        return earlier.items(fd, "album.json", "AbC1234")
    finally:
        os.close(fd)


@settings(EXAMPLES, max_examples=40)  # (a file of any kind: never an error; the file's reading is one call)
@given(document=st.one_of(st.binary(max_size=30), _json.map(lambda d: json.dumps(d).encode()),
                          st.fixed_dictionaries({"id": st.sampled_from(["AbC1234", "Other00"]),
                                                 "items": _json | _ITEMS}).map(lambda d: json.dumps(d).encode())))
def test_any_file_where_album_json_was_gives_items_or_none(document: bytes, tmp_path_factory: Any) -> None:
    # (read an item at a time, as it is decoded: what reading it whole would give)
    items = _read_items(document, tmp_path_factory)  # (never an error)
    try:
        whole = json.loads(document)
    except ValueError:
        whole = None
    expected = {item["id"]: {key: item.get(key) for key in earlier.KEPT} for item in whole["items"]
                if isinstance(item, dict) and isinstance(item.get("id"), str)} \
        if isinstance(whole, dict) and whole.get("id") == "AbC1234" and isinstance(whole.get("items"), list) else {}
    assert json.dumps(items, sort_keys=True) == json.dumps(expected, sort_keys=True)  # (a NaN as a NaN)


_JOURNALED = st.one_of(  # (a line of the album's, of another album's in the same folder, or of nothing ours)
    st.tuples(st.sampled_from(["AbC1234", "XyZ9876"]), st.sampled_from(["Ab00000", "Ab00001", "Ab00002"]),
              st.integers(0, 9)),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b))


@settings(EXAMPLES, max_examples=60)
@given(entries=st.lists(_JOURNALED, max_size=12), cut=st.integers(0, 2000))
def test_a_journal_gives_the_last_line_of_each_file_of_its_album_whatever_is_beside_or_cut(
        entries: list[tuple[str, str, int] | bytes], cut: int, tmp_path_factory: Any) -> None:
    folder = tmp_path_factory.getbasetemp() / "journal"  # (one folder for every example: its journal made anew)
    folder.mkdir(exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(".imgur-dl-journal-AbC1234.jsonl", dir_fd=fd)
        whole: dict[str, dict[str, Any]] = {}  # what the lines that are there whole say, as each was written
        for entry in entries:
            if isinstance(entry, bytes):  # (another program's, or a disk's garbage)
                with open(folder / ".imgur-dl-journal-AbC1234.jsonl", "ab") as other:
                    other.write(entry + b"\n")
                continue
            album_id, media_id, n = entry
            journal.append(fd, "AbC1234", journal.line(album_id, media_id, {"file": f"{n}.jpg", "sha256": f"{n:064x}"}))
        data = (folder / ".imgur-dl-journal-AbC1234.jsonl").read_bytes() if entries else b""
        if cut < len(data):  # (a crash cut it short there)
            os.truncate(folder / ".imgur-dl-journal-AbC1234.jsonl", cut)
            data = data[:cut]
        # The next run's lines, after what a crash cut short: read whole all the same.
        after = journal.line("AbC1234", "Ab00003", {"file": "3.jpg", "sha256": "f" * 64})
        journal.append(fd, "AbC1234", after)
        for text in data.split(b"\n"):  # (a line that reads as JSON is whole: its last '}' is there)
            with contextlib.suppress(ValueError):
                item = json.loads(text)
                if isinstance(item, dict) and item.get("album") == "AbC1234":
                    whole[item["id"]] = item
        assert journal.read(fd, "AbC1234") == {**whole, "Ab00003": json.loads(after)}
        assert set(journal.read(fd, "XyZ9876")) == set()  # (its own journal: none here)
    finally:
        os.close(fd)


@settings(EXAMPLES, max_examples=60)
@given(first=st.lists(st.tuples(st.sampled_from(["Ab00000", "Ab00001", "Ab00002"]), st.integers(0, 9)), max_size=8),
       then=st.lists(st.tuples(st.sampled_from(["Ab10000", "Ab10001"]), st.integers(0, 9)), max_size=4),
       pieces=st.lists(st.integers(1, 200), min_size=1, max_size=12), same_inode=st.booleans())
def test_a_journal_read_on_as_it_grows_gives_what_reading_it_whole_gives(
        first: list[tuple[str, int]], then: list[tuple[str, int]], pieces: list[int], same_inode: bool,
        tmp_path_factory: Any) -> None:
    # Another run's journal read on now and then (two runs of one album at once), as its bytes arrive in any
    # pieces (a line read before it is whole), and removed and made anew after its lines (by the run that wrote
    # album.json; a third run notes on), maybe given the inode the last one had (as a file system may): what the
    # reads on gave, a later over an earlier, is what reading the first whole and then the new one whole gives.
    # (The new one's lines are of other files: a file is saved, and noted, once.)
    folder = tmp_path_factory.getbasetemp() / "journal-on"
    folder.mkdir(exist_ok=True)
    path = folder / ".imgur-dl-journal-AbC1234.jsonl"
    path.unlink(missing_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        mark, read_on, expected = journal.Mark(), {}, {}
        for n, lines in enumerate((first, then)):
            if n and same_inode:
                os.truncate(path, 0)
            elif n:
                path.unlink(missing_ok=True)
            data = b"".join(b"\n" + journal.line("AbC1234", media_id, {"file": f"{k}.jpg"}).encode()
                            for media_id, k in lines)
            at = 0
            for size in itertools.cycle(pieces):
                with open(path, "ab") as f:
                    f.write(data[at:at + size])
                at += size
                read_on |= journal.read(fd, "AbC1234", mark)
                if at >= len(data):
                    break
            expected |= journal.read(fd, "AbC1234")
        assert read_on == expected
        assert expected == {media_id: json.loads(journal.line("AbC1234", media_id, {"file": f"{k}.jpg"}))
                            for media_id, k in first + then}
    finally:
        os.close(fd)


@settings(EXAMPLES, max_examples=200)  # (each field's each way of being spoilt, beside each other's)
@given(said=st.lists(_earlier_item(), min_size=1, max_size=3), archived=st.booleans(), below=st.booleans(),
       by_name=st.booleans(), moved=st.booleans())
def test_a_rerun_keeps_only_what_an_earlier_album_json_said_of_that_file(
        said: list[dict[str, Any]], archived: bool, below: bool, by_name: bool, moved: bool) -> None:
    # The file directly in its album's folder, or below it (--name '{date}/...'), said there by its path, or (as
    # until 2026-12-06) by its name alone; or found under the name its earlier place in the album gave it, and moved
    # to its name now.
    if below and not by_name:
        said = [{**item, "file": "2024-05-17/001-Ab00000.jpg"} if item.get("file") == "001-Ab00000.jpg" else item
                for item in said]
    was = "003-Ab00000.jpg" if moved and not below else None
    if was is not None:
        said = [{**item, "file": was} if item.get("file") == "001-Ab00000.jpg" else item for item in said]
    items = earlier.parsed(json.dumps({"id": "AbC1234", "items": said}).encode(), "AbC1234")
    media = Media("Ab00000", 1, "", "", "image/jpeg", 1, 1, False, "", (Source("https://i.imgur.com/Ab00000.jpeg",
                                                                              "jpg", 100),))
    album = Album("AbC1234", "", "", "https://imgur.com/a/AbC1234", "", True, (media,))
    folder = Path("/out/AbC1234")
    path = folder / "2024-05-17" / "001-Ab00000.jpg" if below else folder / "001-Ab00000.jpg"
    result = Result(Job(album, media, (path,)), Status.SKIPPED, None if archived else path, bytes=100,
                    archived=archived)
    kept = earlier.kept(Filed.of(result, folder), items.get("Ab00000"), was)
    event(f"kept: {kept is not None}")
    if kept is None:
        return
    assert isinstance(kept["file"], str) and not kept["file"].startswith("/")
    assert all(part not in ("", ".", "..") and "\0" not in part for part in kept["file"].split("/"))
    assert kept["size"] is None or (type(kept["size"]) is int and kept["size"] >= 0)
    if not archived:  # (said as it is now: where it is in the folder)
        assert (kept["file"], kept["size"]) == (path.relative_to(folder).as_posix(), 100)
    assert isinstance(kept["url"], str) and kept["url"].startswith("https://")
    assert kept["source"] in ("imgur", "wayback")
    assert (kept["source"], kept["wayback_timestamp"]) == ("imgur", None) or kept["wayback_timestamp"].isdigit()
    assert kept["sha256"] in (None, _SHA)
    assert kept["linked_to"] is None or isinstance(kept["linked_to"], str)


_DOMAINS = st.sampled_from(["imgur.com", ".imgur.com", "www.imgur.com", ".www.imgur.com", "IMGUR.com", ".i.imgur.com",
                            ".example.com", "imgur.com.example", ""]) | st.text(max_size=8)
_TOKENS = st.text("ABCXYZabcxyz0189._~+/=-", min_size=8, max_size=48)  # (what credentials.TOKEN takes)
_FLAGS = st.sampled_from(["TRUE", "FALSE", "true", "false", "True"])  # (as browsers and their extensions write them)
# A cookie's expiry as exports write it: 0 for the browser's session, seconds since the epoch, and others
# (a fraction, -1, nothing): none of those but a time before _NOW has expired.
_NOW = 1_780_000_000  # (2026-05-28)
_EXPIRIES = st.sampled_from(["0", "4102444800", "-1", "", "1893456000.5"]) | st.integers(1, 2 * _NOW).map(str)


@st.composite
def _cookie_row(draw: st.DrawFn, name: st.SearchStrategy[str]) -> str:
    """A line as a browser's cookies.txt export writes one (``#HttpOnly_`` before a cookie scripts cannot read),
    with any domain, name and value; or a comment, a blank line, or any text."""
    fields = [draw(_DOMAINS), draw(_FLAGS), "/", draw(_FLAGS), draw(_EXPIRIES),
              draw(name), draw(_TOKENS | st.text(max_size=12))]
    row = draw(st.sampled_from(["", "#HttpOnly_"])) + "\t".join(fields)
    return draw(st.sampled_from([row, row, "# Netscape HTTP Cookie File", ""]) | st.text(max_size=30))


@EXAMPLES
@given(rows=st.lists(_cookie_row(st.sampled_from([credentials.COOKIE_NAME, "accessToken", "IMGURSESSION"])
                                 | st.text(max_size=12)), max_size=6),
       newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_a_cookies_file_of_any_rows_gives_a_token_or_one_usage_error(rows: list[str], newline: str, bom: bool,
                                                                      tmp_path_factory: Any) -> None:
    path = tmp_path_factory.getbasetemp() / "cookies.txt"  # (one file for every example: replaced)
    path.write_bytes(b"\xef\xbb\xbf" * bom + newline.join(rows).encode("utf-8", "surrogatepass"))
    path.chmod(0o600)
    try:
        token = credentials.read_cookies(path, warn=pytest.fail, now=_NOW)
    except UsageError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
    else:
        assert credentials.TOKEN.fullmatch(token)
        rows_of_it = [row.split("\t") for row in rows if row.endswith(f"\t{credentials.COOKIE_NAME}\t{token}")]
        assert not rows_of_it or not all(len(fields) == 7 and fields[4].isascii() and fields[4].isdigit()
                                         and 0 < int(fields[4]) <= _NOW for fields in rows_of_it), "an expired one"


@given(expiries=st.lists(_EXPIRIES, min_size=1, max_size=5), tokens=st.data())
def test_the_first_token_of_a_cookie_not_expired_is_taken(expiries: list[str], tokens: st.DataObject,
                                                            tmp_path_factory: Any) -> None:
    values = [tokens.draw(_TOKENS) for _ in expiries]
    path = tmp_path_factory.getbasetemp() / "cookies.txt"
    path.write_text("".join(f".imgur.com\tTRUE\t/\tTRUE\t{expiry}\taccesstoken\t{value}\n"
                            for expiry, value in zip(expiries, values, strict=True)))
    path.chmod(0o600)
    live = [value for expiry, value in zip(expiries, values, strict=True)
            if not (expiry.isdigit() and 0 < int(expiry) <= _NOW)]
    if live:
        assert credentials.read_cookies(path, warn=pytest.fail, now=_NOW) == live[0]
    else:  # (the last of them to expire is said)
        ended = datetime.fromtimestamp(max(map(int, expiries)), timezone.utc).strftime("%Y-%m-%d %H:%M")
        with pytest.raises(UsageError, match=f"the accesstoken cookie of imgur.com expired on {ended} UTC: log in"):
            credentials.read_cookies(path, warn=pytest.fail, now=_NOW)


_ANY_CASE = st.sampled_from(sorted(credentials.DOMAINS)).flatmap(
    lambda domain: st.tuples(*(st.sampled_from([c.lower(), c.upper()]) for c in domain)).map("".join))


@EXAMPLES
@given(others=st.lists(_cookie_row(st.sampled_from(["accessToken", "IMGURSESSION", "_ga"])
                                   | st.text(max_size=12).filter(lambda name: name != "accesstoken")), max_size=6),
       at=st.integers(0, 6), domain=_ANY_CASE, flags=st.tuples(_FLAGS, _FLAGS), http_only=st.booleans(),
       token=_TOKENS, after=st.sampled_from(["", " ", "  "]), newline=st.sampled_from(["\n", "\r\n"]),
       bom=st.booleans())
def test_the_token_is_found_among_any_other_cookies(others: list[str], at: int, domain: str, flags: tuple[str, str],
                                                     http_only: bool, token: str, after: str, newline: str, bom: bool,
                                                     tmp_path_factory: Any) -> None:
    row = "#HttpOnly_" * http_only + "\t".join([domain, flags[0], "/", flags[1], "1893456000", "accesstoken",
                                                token + after])
    path = tmp_path_factory.getbasetemp() / "cookies.txt"
    text = newline.join([*others[:at], row, *others[at:]])
    path.write_bytes(b"\xef\xbb\xbf" * bom + text.encode("utf-8", "surrogatepass"))
    path.chmod(0o600)
    assert credentials.read_cookies(path, warn=pytest.fail, now=_NOW) == token


@given(st.integers(min_value=0, max_value=10**21) | st.integers(min_value=0, max_value=10**19).map(lambda n: n * 10),
       st.sampled_from(["", "0", "00"]))
@example(10**18 - 1, "")  # (18 digits: the most a count or a size has)
@example(10**18, "")  # (19)
def test_a_count_is_read_from_ascii_digits_alone_and_18_at_most(number: int, zeros: str) -> None:
    text = zeros + str(number)
    assert decimal(text) == (number if len(text) <= 18 else None)
    assert decimal(f"+{text}") is None and decimal(f" {text}") is None and decimal(f"{text}.0") is None
    assert decimal(text.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))) is None  # (other scripts' digits)


_LIBPQ_KEYWORDS = st.sampled_from(["host", "port", "dbname", "user", "password", "application_name", "options"])


def _read(value: str) -> str:
    """A value as libpq reads it: its quotes dropped, each backslash's character taken as it is."""
    return re.sub(r"\\(.)", r"\1", value[1:-1] if value.startswith("'") else value, flags=re.DOTALL)


@given(st.lists(st.tuples(_LIBPQ_KEYWORDS, st.text(st.characters(blacklist_categories=("Cs",),
                                                                 blacklist_characters="\0"), max_size=12),
                          st.booleans(), st.sampled_from([" ", "  ", "\t", " \n "])), min_size=1, max_size=5))
@example([("host", "", False, " "), ("port", "5432", False, " ")])  # (a bare value left empty takes what follows)
@example([("host", "a\x1fb", False, " ")])  # (no space to libpq: Python's isspace() takes it for one)
def test_keywords_and_values_are_read_as_libpq_reads_them(pairs: list[tuple[str, str, bool, str]]) -> None:
    text = "".join(f"{keyword}={_written(value, quoted)}{space}" for keyword, value, quoted, space in pairs)
    try:
        expected = conninfo_to_dict(text)
    except psycopg.ProgrammingError:  # (a bare value left empty took the next keyword, and its '=' is left alone)
        assume(False)
    read = conninfo(text)
    assert read is not None
    assert {keyword: _read(text[start:end]) for keyword, start, end in read} == expected


@given(st.integers(0, 40).flatmap(lambda n: st.tuples(st.just(n), st.lists(
    st.tuples(st.integers(0, n), st.integers(0, n)).filter(lambda s: s[0] < s[1]), max_size=6))))
@example((10, [(2, 5), (2, 5)]))  # (one place found twice: hidden once)
@example((10, [(2, 5), (3, 5), (5, 8)]))  # (overlapping, touching: one)
@example((10, [(0, 1), (0, 2), (4, 6)]))
def test_masking_hides_each_place_once_and_keeps_the_rest(case: tuple[int, list[tuple[int, int]]]) -> None:
    length, spans = case
    text = "".join(chr(0x4E00 + i) for i in range(length))  # (each character once: where it went can be told)
    shown = masked(text, spans)
    hidden = {i for start, end in spans for i in range(start, end)}
    assert shown.replace("***", "") == "".join(c for i, c in enumerate(text) if i not in hidden)
    runs, at = 0, -1  # (places that overlap or touch are one; each other is a *** of its own)
    for start, end in sorted(spans):
        runs += start > at
        at = max(at, end)
    assert shown.count("***") == runs


# (any text: a name read from a command line of bytes that are no UTF-8 holds lone surrogates)
_ANY_NAME = st.text(st.characters(blacklist_categories=()), min_size=1)
_LISTINGS = st.builds(Listing, st.sampled_from([kind for kind in Kind if kind.is_listing]), _ANY_NAME)
_TIMES = st.floats(min_value=0, max_value=253_402_300_799)  # (to 9999-12-31)


@given(_LISTINGS, _TIMES, _ANY_NAME, _LISTINGS, _TIMES, _ANY_NAME)
@example(Listing(Kind.SEARCH, "caf\udce9 au lait"), 0.0, "Ab\ud800", Listing(Kind.TAG, "x"), 1.0, "y")
def test_a_listing_read_to_its_end_is_recorded_under_an_id_that_orders_its_rows_by_time(
        listing: Listing, at: float, post: str, other: Listing, other_at: float, other_post: str) -> None:
    # No space (the archive's queries pass over an id with one), no control byte (no one's to print), no letter's
    # case or punctuation before the post (a database's order of text may weigh them otherwise than bytes do); the
    # post given back; a listing's rows found by their beginning, which no other listing's rows share, and the later
    # the greater (a millisecond apart, or more: a float's seconds hold no finer, to the year 9999). Its label, for
    # people, printable, and what it was once unescaped.
    key = readthrough.key(listing, at, post, other_post)
    assert key.isascii() and key.isprintable() and " " not in key
    assert re.fullmatch(r"[0-9a-f]{32}[0-9]{20}/.+/.+", key), key
    assert readthrough.posts_of(key) == (post, other_post)
    assert readthrough.posts_of(readthrough.key(listing, at, post, "")) == (post, "")
    readthrough.posts_of(post)  # (a row made by hand: any text read without an error)
    assert key.startswith(readthrough.prefix(listing))
    other_key = readthrough.key(other, other_at, other_post, post)
    assert other_key.startswith(readthrough.prefix(listing)) == (other.label == listing.label)
    if other.label == listing.label and abs(other_at - at) >= 0.001:
        assert (other_key > key) == (other_at > at)
    label = readthrough.label(listing)
    assert label.isascii() and label.isprintable()
    assert unquote(label, errors="surrogatepass") == listing.label
