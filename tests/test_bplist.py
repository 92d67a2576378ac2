"""``--scan`` of Apple's binary property lists: Safari's bookmarks and Reading List, an archive's objects."""

from __future__ import annotations

import contextlib
import datetime
import gzip
import io
import plistlib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from imgur_dl import bplist
from imgur_dl.scan import Scanner
from tests.conftest import Pieces, run_main

UUID = "0F9E1B1C-1234-4ABC-9DEF-0123456789AB"


def binary(value: Any) -> bytes:
    """``value`` as a binary property list, its dictionaries' keys in the order given (as Core Foundation writes
    them: in its own order, not sorted)."""
    return plistlib.dumps(value, fmt=plistlib.FMT_BINARY, sort_keys=False)


def leaf(url: str, title: str, **more: Any) -> dict[str, Any]:
    """A bookmark as Safari's Bookmarks.plist keeps one."""
    return {"URLString": url, "WebBookmarkUUID": UUID[:-4] + f"{len(url):04d}", "URIDictionary": {"title": title},
            "WebBookmarkType": "WebBookmarkTypeLeaf", **more}


BOOKMARKS = binary({"Children": [
    leaf("https://imgur.com/user/SomeName", "SomeName's posts"),  # (a UUID after it: "_", then its length)
    leaf("https://imgur.com/t/funny", "funny"),
    {"URLString": "https://imgur.com/a/AbC1234", "PreviewText": "Holiday"},  # ("W": a string of 7 characters)
    {"URLString": "https://imgur.com/gallery/cute-cats-XyZ9876", "ReadingList": {"PreviewText": "Cats é"}},
    leaf("https://i.imgur.com/QwE5678.jpg", "x", ReadingList={"DateAdded": datetime.datetime(2020, 1, 1)}),
], "WebBookmarkType": "WebBookmarkTypeList", "Title": ""})
MARKED = [("user", "SomeName"), ("tag", "funny"), ("album", "AbC1234"), ("gallery", "XyZ9876"), ("image", "QwE5678")]


def scanned(data: bytes, name: str = "Bookmarks.plist") -> tuple[list[tuple[str, str]], Scanner]:
    scanner = Scanner()
    return [(t.kind.value, t.id) for t in scanner.scan(io.BytesIO(data), name)], scanner


def test_each_bookmark_s_link_is_found_as_it_was_saved() -> None:
    found, scanner = scanned(BOOKMARKS)
    assert found == MARKED
    assert scanner.warnings == scanner.errors == []
    # Read as bytes, each link runs on into the marker of what was written after it: another user and tag, and
    # ids that are none.
    assert scanned(BOOKMARKS.replace(bplist.MAGIC, b"xplist00", 1))[0] == [
        ("user", "SomeName_"), ("tag", "funny_"), ("gallery", "XyZ9876"), ("image", "QwE5678")]


def test_an_archive_s_strings_side_by_side_each_text_and_data_on_its_own() -> None:
    # NSKeyedArchiver keeps its strings in one array, one written right after another; a string with a character
    # past ASCII is written in UTF-16; a data object may hold bytes, or a property list of its own.
    archive = binary({"$version": 100000, "$objects": [
        "$null", "https://imgur.com/a/AbC1234", "Holiday", "Cats é imgur.com/t/funny", "See imgur.com/user/SomeName",
        b"imgur.com/gallery/XyZ9876", binary({"URL": "https://imgur.com/QwE5678"}), {"$class": plistlib.UID(3)}],
        "$archiver": "NSKeyedArchiver", "$top": {"root": plistlib.UID(1)}})
    assert sorted(scanned(archive)[0]) == sorted(MARKED)


def test_a_property_list_of_one_link_is_read_as_that_link(tmp_path: Path) -> None:
    (tmp_path / "Holiday.webloc").write_bytes(binary({"URL": "https://imgur.com/a/AbC1234"}))
    result = run_main("--scan", str(tmp_path), "-g")
    assert (result.code, result.out) == (0, "https://imgur.com/a/AbC1234\n"), result


def test_a_property_list_compressed_in_an_archive_or_on_a_pipe_is_read_so_too(tmp_path: Path) -> None:
    (tmp_path / "Bookmarks.plist.gz").write_bytes(gzip.compress(BOOKMARKS))
    with zipfile.ZipFile(tmp_path / "Safari.zip", "w") as archive:
        archive.writestr("Safari/Bookmarks.plist", BOOKMARKS)
    for name in ("Bookmarks.plist.gz", "Safari.zip"):
        assert scanned((tmp_path / name).read_bytes(), name)[0] == MARKED, name
    result = run_main("--scan", str(tmp_path / "Safari.zip"), "-g")
    assert result.code == 0, result
    assert result.out.splitlines()[2:4] == ["https://imgur.com/a/AbC1234", "https://imgur.com/gallery/XyZ9876"]
    scanner = Scanner()
    piped = io.BufferedReader(Pieces(BOOKMARKS, [9, 100, 101, len(BOOKMARKS) - 3]))
    assert [(t.kind.value, t.id) for t in scanner.scan(piped, "-")] == MARKED


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
_LINK = st.sampled_from(["https://imgur.com/a/AbC1234", "imgur.com/user/Some_Name", "https://imgur.com/t/cats",
                         "https://i.imgur.com/QwE5678.png", "imgur.com/gallery/a-b-XyZ9876"])
_STRING = st.one_of(_TEXT, _LINK, st.builds("{} {} {}".format, _TEXT, _LINK, _TEXT))
_VALUE = st.recursive(
    st.one_of(_STRING, st.integers(-2**63, 2**63 - 1), st.booleans(), st.binary(max_size=20),
              _STRING.map(str.encode)),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(_STRING, inner, max_size=6),
                            inner.map(binary)),
    max_leaves=30)


@settings(max_examples=60, deadline=None)
@given(_VALUE)
@example(b"bplist00")  # (bytes that begin as a property list and are none)
@example({"0": b"SQLite format 3\x00"})  # (... and as a database, read whole as a file of its own is: none either)
def test_any_property_list_gives_the_links_of_its_strings_as_they_are(value: Any) -> None:
    def texts(item: Any) -> list[str]:  # (every string it holds, a data object's as text)
        if isinstance(item, bytes) and item.startswith(bplist.MAGIC):
            with contextlib.suppress(plistlib.InvalidFileException):  # (bytes that only begin as one: text)
                return texts(plistlib.loads(item))
        if isinstance(item, (str, bytes)):
            return [item if isinstance(item, str) else item.decode("utf-8", "replace")]
        if isinstance(item, list):
            return [text for one in item for text in texts(one)]
        if isinstance(item, dict):
            return [text for key, one in item.items() for text in [key, *texts(one)]]
        return []

    expected = {found for text in texts(value) for found in scanned(text.encode() + b"\n", "notes.txt")[0]}
    found, scanner = scanned(binary(value))
    assert set(found) == expected
    assert scanner.warnings == scanner.errors == []


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_property_list_spoilt_anywhere_is_read_without_a_crash_and_gives_no_more_than_it_holds(
        data: st.DataObject) -> None:
    spoilt = bytearray(BOOKMARKS)
    for _ in range(data.draw(st.integers(1, 4))):
        spoilt[data.draw(st.integers(0, len(spoilt) - 1))] = data.draw(st.integers(0, 255))
    read = bplist.strings(bytes(spoilt))
    assert len(read.text) <= len(spoilt) * 3 // 2  # (UTF-16 as UTF-8: three bytes for two, at the most)
    assert scanned(bytes(spoilt))[1].errors == []


def test_a_property_list_cut_short_is_read_as_bytes_and_said() -> None:
    cut = BOOKMARKS[:-5]  # (its trailer, at its end, is where its objects are told)
    found, scanner = scanned(cut)
    assert ("album", "AbC1234") not in found  # (read as bytes: "AbC1234W")
    assert scanner.warnings == ["Bookmarks.plist: a binary property list, its trailer names no offset table inside "
                                "it (cut short, or spoilt): read as bytes"]
    assert bplist.strings(BOOKMARKS[:20]).unread == "cut short"


def test_an_offset_table_that_names_one_object_again_and_again_gives_it_once() -> None:
    big = binary([b"imgur.com/a/AbC1234 " + bytes(100_000)])
    trailer, table = big[-32:], int.from_bytes(big[-8:], "big")
    width, count = trailer[6], 2  # (the array, then the data)
    again = big[:table] + big[table:table + count * width] * 50_000
    hostile = again + trailer[:8] + (count * 50_000).to_bytes(8, "big") + trailer[16:24] + table.to_bytes(8, "big")
    read = bplist.strings(hostile)
    assert read.unread is None
    assert read.text.count(b"AbC1234") == 1


def test_a_table_read_a_few_offsets_at_a_time_gives_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = bplist.strings(BOOKMARKS)
    for at_once in (1, 2, 3, 7):
        monkeypatch.setattr(bplist, "_AT_ONCE", at_once)
        assert bplist.strings(BOOKMARKS) == whole, at_once


def test_one_larger_than_is_read_whole_is_read_as_bytes_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bplist, "MOST", len(BOOKMARKS))  # (one of the bound itself is read whole)
    found, scanner = scanned(BOOKMARKS)
    assert (found, scanner.warnings) == (MARKED, [])
    monkeypatch.setattr(bplist, "MOST", 100)
    found, scanner = scanned(BOOKMARKS)
    assert ("user", "SomeName_") in found
    assert scanner.warnings == ["Bookmarks.plist: a binary property list, larger than imgur-dl reads whole (100 "
                                "bytes): read as bytes"]
