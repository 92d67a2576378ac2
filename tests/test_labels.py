"""--xattrs: each file saved carries where it came from and what it is, in its extended attributes."""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import imgur_dl
from imgur_dl import UsageError, labels
from imgur_dl.labels import Labeller
from tests.conftest import files_under, run_main
from tests.standin import Imgur

TITLED = "Holiday: día 1 \u2013 \U0001f305"  # (non-ASCII: kept as UTF-8)


def _attributes(path: Path) -> dict[str, str]:
    return {name: os.getxattr(path, name).decode("utf-8") for name in os.listxattr(path)}


def test_each_file_saved_tells_where_it_came_from_what_it_is_and_its_hash(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, title="Trip")
    album.images[0].title, album.images[0].description = TITLED, "the first\nof two"
    result = run_main("--xattrs", "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    rows = {row["id"]: row for row in map(json.loads, result.out.splitlines())}
    first, second = (Path(rows[image.id]["path"]) for image in album.images)
    assert _attributes(first) == {
        "user.xdg.origin.url": rows[album.images[0].id]["url"],  # (the link its bytes came from)
        "user.xdg.referrer.url": "https://imgur.com/a/AbC1234",  # (its post's page)
        "user.imgur-dl.sha256": hashlib.sha256(first.read_bytes()).hexdigest(),
        "user.dublincore.date": "2024-05-17T12:34:56Z",  # (its upload time, as its modification time says)
        "user.dublincore.title": TITLED,
        "user.dublincore.description": "the first\nof two",
    }
    assert first.stat().st_mtime == 1715949296
    assert rows[album.images[0].id]["sha256"] == _attributes(first)["user.imgur-dl.sha256"]
    assert _attributes(second)["user.dublincore.title"] == "Trip"  # (an item with no title: its post's)
    assert "user.dublincore.description" not in _attributes(second)  # (none: none set)


def test_a_title_or_description_is_labelled_without_what_a_terminal_would_act_on(imgur: Imgur, tmp_path: Path) -> None:
    # An uploader's title is any text: `getfattr --only-values -n user.dublincore.title` printed its escapes as they
    # were, to a terminal that acted on them (a colour, a window title, a carriage return writing over the line).
    album = imgur.add_album("AbC1234", count=1)
    album.images[0].title = "cat\x1b]0;pwned\x07 pics\rDOG\tday\n2"
    album.images[0].description = "line 1\r\nline\t2\x1b[2J\x9b31m\x00"
    assert run_main("--xattrs", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    saved = tmp_path / "AbC1234" / f"001-{album.images[0].id}.jpg"
    found = _attributes(saved)
    assert found["user.dublincore.title"] == "cat]0;pwned picsDOG day 2"
    assert found["user.dublincore.description"] == "line 1\nline\t2[2J31m"
    # (album.json keeps the text as Imgur gave it, escaped as JSON writes it)
    items = json.loads((tmp_path / "AbC1234" / "album.json").read_text())["items"]
    assert (items[0]["title"], items[0]["description"]) == (album.images[0].title, album.images[0].description)


@given(st.text(), st.booleans())
def test_a_label_holds_no_control_character_but_a_description_s_tabs_and_lines(text: str, lines: bool) -> None:
    shown = labels.plain(text, lines=lines)
    kept = "\t\n" if lines else ""
    assert not any(unicodedata.category(c) == "Cc" and c not in kept for c in shown)
    assert shown == "".join(" " if c in "\t\n" and not lines else c for c in text
                            if unicodedata.category(c) != "Cc" or c in "\t\n")


def test_a_long_title_and_description_are_cut_to_what_a_file_system_keeps(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1)
    album.images[0].title, album.images[0].description = "\u00e9" * 300, "\u00e9" * 3000
    assert run_main("--xattrs", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    (saved,) = (tmp_path / "AbC1234").iterdir()
    found = _attributes(saved)
    assert (found["user.dublincore.title"], found["user.dublincore.description"]) == ("\u00e9" * 128, "\u00e9" * 512)


def test_a_rerun_labels_the_files_an_earlier_album_json_vouches_for_and_no_other(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=3, title="Trip")
    first = run_main("--write-metadata", "--json", "-o", str(tmp_path / "kept"), "imgur.com/a/AbC1234")
    assert first.code == 0, first
    # Saved with no album.json, then one written by a rerun: it records no hash it did not see arrive (null).
    for flags in ([], ["--write-metadata"]):
        assert run_main(*flags, "-o", str(tmp_path / "bare"), "imgur.com/a/AbC1234").code == 0
    recorded = {row["id"]: row for row in map(json.loads, first.out.splitlines())}
    linked = Path(recorded[album.images[2].id]["path"])
    os.link(linked, tmp_path / "elsewhere.jpg")  # (a file with another name: its labels would be that one's too)
    for folder in ("kept", "bare"):
        again = run_main("--xattrs", "-o", str(tmp_path / folder), "imgur.com/a/AbC1234")
        assert again.code == 0 and "3 skipped" in again.err, again
    for image in album.images[:2]:
        found = _attributes(Path(recorded[image.id]["path"]))
        assert (found["user.xdg.origin.url"], found["user.imgur-dl.sha256"]) == (
            recorded[image.id]["url"], recorded[image.id]["sha256"])  # (as recorded when the bytes arrived)
        assert found["user.xdg.referrer.url"] == "https://imgur.com/a/AbC1234"
    assert os.listxattr(linked) == []
    assert [os.listxattr(path) for path in (tmp_path / "bare" / "AbC1234 - Trip").iterdir()] == [[]] * 4


def test_a_file_labelled_keeps_its_labels_as_they_were_when_it_arrived(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1)
    album.images[0].title = "as uploaded"
    assert run_main("--xattrs", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    album.images[0].title = "renamed since"  # (the post edited on Imgur)
    again = run_main("--xattrs", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert again.code == 0 and "1 skipped" in again.err, again
    (saved,) = (p for p in (tmp_path / "AbC1234").iterdir() if p.suffix == ".jpg")
    assert _attributes(saved)["user.dublincore.title"] == "as uploaded"  # (not written again)


def test_without_the_flag_a_file_carries_no_label(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    (saved,) = (tmp_path / "AbC1234").iterdir()
    assert os.listxattr(saved) == []


def test_a_file_from_the_wayback_machine_tells_the_capture_it_came_from(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, size=20_000)
    gone = album.images[1]
    gone.removed = True
    imgur.add_capture(f"http://i.imgur.com:80/{gone.id}.jpeg", "20150102030405", body=gone.data)
    result = run_main("--xattrs", "--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    found = _attributes(tmp_path / "AbC1234" / f"002-{gone.id}.jpg")
    assert found["user.xdg.origin.url"] == f"https://web.archive.org/web/20150102030405id_/http://i.imgur.com:80/" \
                                           f"{gone.id}.jpeg"
    assert found["user.xdg.referrer.url"] == "https://imgur.com/a/AbC1234"
    assert found["user.imgur-dl.sha256"] == hashlib.sha256(gone.data).hexdigest()


def test_a_file_system_that_keeps_no_attributes_is_said_once_and_nothing_fails(tmp_path: Path) -> None:
    said: list[str] = []
    labeller = Labeller(said.append)
    read, write = os.pipe()  # (a pipe keeps no user attributes: the system's own answer, as a FAT drive's)
    try:
        for _ in range(3):
            labeller.label(write, {labels.ORIGIN: b"https://i.imgur.com/AbC1234.jpeg", labels.TITLE: b"x"})
    finally:
        os.close(read)
        os.close(write)
    assert said == ["imgur-dl: warning: --xattrs: the output folder's file system keeps no extended attributes: "
                    "no file is labelled"]


def test_an_attribute_larger_than_the_file_system_keeps_is_left_off_the_others_set(tmp_path: Path) -> None:
    said: list[str] = []
    labeller = Labeller(said.append)
    path = tmp_path / "f"
    path.write_bytes(b"x")
    fd = os.open(path, os.O_RDWR)
    try:
        for _ in range(2):  # (past the most any Linux file system takes: 64 KiB)
            labeller.label(fd, {labels.DESCRIPTION: b"d" * 70_000, labels.ORIGIN: b"https://i.imgur.com/a.jpeg"})
    finally:
        os.close(fd)
    assert _attributes(path) == {labels.ORIGIN: "https://i.imgur.com/a.jpeg"}
    assert said == ["imgur-dl: warning: --xattrs: a file's user.dublincore.description is larger than its file "
                    "system keeps beside it: left off (and so any other)"]


_MIXED = "a\u00e9\u2013\U0001f305" * 300  # (characters of one to four bytes, as UTF-8 writes them)


@settings(max_examples=200)
@given(st.text(max_size=1500) | st.builds(lambda start, size, tail: _MIXED[start:start + size] + tail,
                                          st.integers(0, 3), st.integers(300, 700), st.text(max_size=20)))
def test_a_long_text_is_cut_at_a_character_s_end_within_its_bound(text: str) -> None:
    data = text.encode("utf-8", "replace")
    cut = labels.cut(data, 1024)
    assert data.startswith(cut) and cut.decode("utf-8") is not None  # (a prefix, whole characters)
    assert cut == data if len(data) <= 1024 else 1024 - 3 <= len(cut) <= 1024  # (short of it by part of one)


def test_where_python_sets_no_attributes_the_flag_is_a_usage_error(imgur: Imgur, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    imgur.add_album("AbC1234", count=1)
    monkeypatch.delattr(os, "setxattr")  # (as on macOS, the BSDs, Windows)
    result = run_main("--xattrs", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (2, "imgur-dl: error: --xattrs: this system's Python sets no extended "
                                            "attributes (Linux's does)\n")
    assert not imgur.log and files_under(tmp_path) == {}
    with pytest.raises(UsageError, match=r"^xattrs: this system's Python sets no extended attributes"):
        list(imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path, xattrs=True))
