"""``--scan`` of a Chromium browser's session files: each tab's address read on its own, not run into its title."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import snss
from imgur_dl.scan import Scanner
from tests.conftest import run_main


def string(data: bytes) -> bytes:
    """A string as Chromium's pickle writes one: its length, its bytes, zeros to a multiple of four."""
    return struct.pack("<I", len(data)) + data + bytes(-len(data) % 4)


def string16(text: str) -> bytes:
    """... and one in UTF-16: its length in UTF-16's units."""
    data = text.encode("utf-16-le", "surrogatepass")
    return struct.pack("<I", len(data) // 2) + data + bytes(-len(data) % 4)


def command(kind: int, payload: bytes) -> bytes:
    return struct.pack("<HB", len(payload) + 1, kind) + payload


def page(url: str, title: str, *, kind: int = 6, tab: int = 7, index: int = 0, more: bool = True) -> bytes:
    """A tab's page (UpdateTabNavigation): its tab, its index, its address, its title, its state, and more (or not:
    an older browser's)."""
    body = struct.pack("<ii", tab, index) + string(url.encode()) + string16(title)
    if more:
        body += (string(b"\x10\x00\x00\x00" * 6) + struct.pack("<ii", 0, 0) + string(b"https://www.reddit.com/") +
                 struct.pack("<i", 1))
    return command(kind, struct.pack("<I", len(body)) + body)


def session(*commands: bytes) -> bytes:
    return snss.MAGIC + struct.pack("<i", 3) + b"".join(commands)


WINDOW = command(1, struct.pack("<iiiii", 1, 0, 0, 1280, 800))  # (a window's bounds: kind 1 in a session file)
TAB_WINDOW = command(0, struct.pack("<ii", 1, 7))
# Addresses whose length is a multiple of four, each with a title whose length's first byte is a letter.
PAGES = [("https://imgur.com/t/cats", "x" * 81), ("https://imgur.com/user/SomeName", "y" * 65),
         ("https://imgur.com/gallery/holiday-AbC1234", "Holiday pictures - Imgur, where the magic of the "
                                                       "internet happens: enjoy")]


def scanned(data: bytes, name: str = "Session_13390747476041490") -> tuple[list[tuple[str, str]], Scanner]:
    scanner = Scanner()
    return [(t.kind.value, t.id) for t in scanner.scan(io.BytesIO(data), name)], scanner


def test_each_tab_s_address_is_read_on_its_own() -> None:
    assert [len(url) % 4 for url, _ in PAGES] == [0, 3, 1]
    data = session(WINDOW, TAB_WINDOW, *(page(url, title) for url, title in PAGES))
    found, scanner = scanned(data)
    assert found == [("tag", "cats"), ("user", "SomeName"), ("gallery", "AbC1234")]
    assert scanner.warnings == scanner.errors == []
    # Read as bytes, the tag's address runs on into its title's length ("Q": 81).
    assert scanned(data.replace(snss.MAGIC, b"XNSS", 1))[0][0] == ("tag", "catsQ")


def test_a_tabs_file_s_pages_and_a_file_cut_short_as_a_running_browser_leaves_it(tmp_path: Path) -> None:
    tabs = session(*(page(url, title, kind=1) for url, title in PAGES))
    assert scanned(tabs, "Tabs_13390747476041490")[0] == [("tag", "cats"), ("user", "SomeName"), ("gallery", "AbC1234")]
    assert scanned(session(page("https://imgur.com/t/cats", "P" * 80, more=False)))[0] == [("tag", "cats")]
    cut = session(page(*PAGES[0]), page(*PAGES[1])[:-9])
    assert scanned(cut)[0] == [("tag", "cats"), ("user", "SomeName")]  # (its address arrived whole)
    (tmp_path / "Sessions").mkdir()
    (tmp_path / "Sessions" / "Session_13390747476041490").write_bytes(session(page(*PAGES[0])))
    result = run_main("--scan", str(tmp_path), "-g")
    assert result.code == 0, result
    assert result.out == "https://imgur.com/t/cats\n"


_URL = st.sampled_from(["https://imgur.com/t/", "https://imgur.com/user/", "https://imgur.com/a/",
                        "imgur.com/gallery/"]).flatmap(
    lambda start: st.text("abcdefghijkmnopqrstuvwxyzABCDEFGH23456789", min_size=5, max_size=12).map(
        lambda name: start + name + "7"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_URL, st.one_of(st.text(max_size=20), st.integers(40, 130).map("é".__mul__)),
                          st.sampled_from([1, 6])), max_size=6), st.booleans())
def test_any_tab_s_address_names_what_it_names_whatever_its_title(
        tabs: list[tuple[str, str, int]], windows: bool) -> None:
    data = session(*(([WINDOW] if windows else []) + [page(url, title, kind=kind) for url, title, kind in tabs]))
    lines = "".join(f"{url}\n{title}\n" for url, title, _ in tabs).encode("utf-8", "surrogatepass")
    found, scanner = scanned(data)
    assert set(found) == set(scanned(lines, "tabs.txt")[0])  # (a title may hold a link of its own)
    assert scanner.errors == []


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_session_file_spoilt_anywhere_is_read_without_a_crash(data: st.DataObject) -> None:
    spoilt = bytearray(session(WINDOW, *(page(url, title) for url, title in PAGES)))
    for _ in range(data.draw(st.integers(1, 4))):
        spoilt[data.draw(st.integers(0, len(spoilt) - 1))] = data.draw(st.integers(0, 255))
    read = snss.commands(bytes(spoilt))
    assert len(read.text) <= len(spoilt) * 2  # (titles as UTF-8, lines between)
    assert scanned(bytes(spoilt))[1].errors == []
