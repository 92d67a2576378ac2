"""``--scan`` of a LevelDB database (a Chromium browser's or an Electron app's local storage, IndexedDB): its tables'
Snappy blocks decompressed, its log's records put back together."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import cramjam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgur_dl import leveldb, snappy
from imgur_dl.scan import Scanner
from imgur_dl.textlinks import targets_in
from tests.conftest import run_main

PROPERTIES = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def block(entries: list[tuple[bytes, bytes]], restart_every: int = 16) -> bytes:
    """A table's block as LevelDB's "block_builder.cc" lays one out: each key keeps only what it does not share
    with the one before (but at each restart point), then the restart points and their count."""
    out, restarts, last = bytearray(), [], b""
    for n, (key, value) in enumerate(entries):
        shared = 0
        if n % restart_every:
            while shared < min(len(key), len(last)) and key[shared] == last[shared]:
                shared += 1
        else:
            restarts.append(len(out))
        out += varint(shared) + varint(len(key) - shared) + varint(len(value)) + key[shared:] + value
        last = key
    return bytes(out) + b"".join(r.to_bytes(4, "little") for r in restarts or [0]) + len(restarts or [0]).to_bytes(
        4, "little")


def table(blocks: list[list[tuple[bytes, bytes]]], *, compress: bool = True) -> bytes:
    """A table file ("table_format.md"): data blocks, each with its trailer (how it is compressed, a checksum), a
    metaindex block, an index block (a key at least each block's last, and its handle), then the footer."""
    out, index = bytearray(), []
    for entries in blocks:
        raw = block(entries)
        body = bytes(cramjam.snappy.compress_raw(raw)) if compress else raw
        index.append((entries[-1][0], varint(len(out)) + varint(len(body))))
        out += body + bytes([1 if compress else 0]) + b"\0\0\0\0"
    handles = []
    for contents in (block([]), block(index)):
        handles.append(varint(len(out)) + varint(len(contents)))
        out += contents + b"\0" + b"\0\0\0\0"
    footer = handles[0] + handles[1]
    return bytes(out) + footer + bytes(40 - len(footer)) + leveldb.TABLE_MAGIC


def log(batches: list[list[tuple[bytes, bytes | None]]], *, start: int = 0) -> bytes:
    """A log file ("log_format.md"): each write batch a record, cut in 32 KiB blocks (FIRST, MIDDLE, LAST), a block's
    last bytes too few for a header zeroed. ``start``: bytes of a first record to begin with, to move the cuts."""
    records = [bytes(8) + b"\1\0\0\0\1" + varint(1) + b"k" + varint(start) + b"x" * start] if start else []
    for puts in batches:
        records.append(bytes(8) + len(puts).to_bytes(4, "little") +
                       b"".join(b"\x00" + varint(len(k)) + k if v is None else  # (a delete)
                                b"\x01" + varint(len(k)) + k + varint(len(v)) + v for k, v in puts))
    out = bytearray()
    for whole in records:
        rest, first = whole, True
        while True:
            left = 32768 - len(out) % 32768
            if left < 7:
                out += bytes(left)
                continue
            piece, rest = rest[:left - 7], rest[left - 7:]
            kind = (1 if first else 4) if not rest else (2 if first else 3)
            out += b"\0\0\0\0" + len(piece).to_bytes(2, "little") + bytes([kind]) + piece
            first = False
            if not rest:
                break
    return bytes(out)


def tabs(*links: str) -> bytes:
    """OneTab's saved tabs, as its local storage keeps them: a JSON string, one byte a character (Chromium's "\\x01"
    before a Latin-1 value)."""
    meta = [{"url": link, "title": "Imgur: The magic of the Internet"} for link in links]
    state = {"tabGroups": [{"tabsMeta": meta}]}
    return b"\x01" + json.dumps({"state": json.dumps(state)}).encode()


KEY = b"_chrome-extension://chphlpgkkbolifaimnlloiipkdnihall\x00\x01state"


def profile(tmp_path: Path, table_file: bytes, log_file: bytes) -> Path:
    """A local storage's folder, as Chromium leaves one."""
    folder = tmp_path / "Local Storage" / "leveldb"
    folder.mkdir(parents=True)
    (folder / "CURRENT").write_bytes(b"MANIFEST-000001\n")
    (folder / "LOCK").write_bytes(b"")
    (folder / "MANIFEST-000001").write_bytes(log([]))
    (folder / "000005.ldb").write_bytes(table_file)
    (folder / "000007.log").write_bytes(log_file)
    return folder


def scanned(path: Path) -> tuple[list[str], Scanner]:
    scanner = Scanner()
    with path.open("rb") as source:
        return [t.id for t in scanner.scan(source, str(path), path)], scanner


def test_a_browser_s_local_storage_gives_the_links_of_its_tables_and_its_log(tmp_path: Path) -> None:
    # The table's block compressed (a grep finds nothing there); in the log, a record cut by a block's end in the
    # middle of a link ("https://imgur.com/gallery/ZzZ12", another post, read as bytes).
    older = [[(b"META:chrome-extension://chphlpgkkbolifaimnlloiipkdnihall", b"\x08\x01"),
              (KEY, tabs("https://imgur.com/a/QwE5678", "https://i.imgur.com/XyZ9876.jpg"))]]
    newer = [[(KEY, tabs("https://imgur.com/a/QwE5678", "https://imgur.com/gallery/ZzZ1234"))]]
    written = next(w for start in range(0, 40000, 3) if b"ZzZ1234" not in (w := log(newer, start=start)))
    folder = profile(tmp_path, table(older), written)
    result = run_main("--scan", str(tmp_path), "-g")
    assert result.code == 0, result
    assert sorted(result.out.splitlines()) == ["https://i.imgur.com/XyZ9876.jpg", "https://imgur.com/a/QwE5678",
                                               "https://imgur.com/gallery/ZzZ1234"]
    assert b"i.imgur.com/XyZ9876" not in (folder / "000005.ldb").read_bytes()  # (its host a copy of the first's)


@PROPERTIES
@given(st.lists(st.lists(st.sampled_from(["https://imgur.com/a/AbC1234", "https://i.imgur.com/XyZ9876.jpg",
                                          "https://imgur.com/gallery/QwE5678", "imgur.com/user/Some_Name"]),
                         min_size=1, max_size=40), min_size=1, max_size=6),
       st.integers(0, 40000), st.booleans())
def test_every_link_of_a_log_and_a_table_whatever_their_blocks(batches: list[list[str]], start: int,
                                                                compress: bool) -> None:
    values = [tabs(*links) for links in batches]
    expected = sorted({t.id for links in batches for link in links for t in targets_in(link.encode())})
    written = log([[(KEY + str(n).encode(), value)] for n, value in enumerate(values)], start=start)
    assert sorted({t.id for t in targets_in(leveldb.log(written).text)}) == expected
    stored = table([[(KEY + str(n).encode(), value)] for n, value in enumerate(values)], compress=compress)
    assert sorted({t.id for t in targets_in(leveldb.table(stored).text)}) == expected


@PROPERTIES
@given(st.data())
def test_a_table_or_log_spoilt_or_cut_short_anywhere_is_read_without_a_crash(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    # (Checksums are not checked: a byte spoilt inside a link reads as what it is, as in any file; cut short, a
    # table or log gives only entries and records whole, no link cut short.)
    value = tabs("https://imgur.com/a/AbC1234", "https://imgur.com/gallery/QwE5678")
    folder = tmp_path_factory.mktemp("spoilt")
    (folder / "CURRENT").write_bytes(b"MANIFEST-000001\n")
    spoils = data.draw(st.integers(0, 3))
    for name, whole in (("000005.ldb", table([[(KEY, value)], [(KEY + b"2", value)]])),
                        ("000007.log", log([[(KEY, value)]], start=32700))):
        spoilt = bytearray(whole)
        for _ in range(spoils):
            at = data.draw(st.integers(0, len(spoilt) - 1))
            spoilt[at] = data.draw(st.integers(0, 255))
        (folder / name).write_bytes(bytes(spoilt[:data.draw(st.integers(0, len(spoilt)))]))
        found, scanner = scanned(folder / name)
        assert spoils or set(found) <= {"AbC1234", "QwE5678"}
        assert all("cannot read on (a LevelDB" in str(e) for e in scanner.errors), scanner.errors


def test_a_log_cut_short_at_its_end_as_a_running_browser_leaves_it_is_no_damage(tmp_path: Path) -> None:
    written = log([[(KEY, tabs("https://imgur.com/a/AbC1234"))], [(KEY, tabs("https://imgur.com/a/QwE5678"))]])
    folder = profile(tmp_path, table([[(KEY, b"\x01{}")]]), written[:-20])
    found, scanner = scanned(folder / "000007.log")
    assert found == ["AbC1234"]  # (the record written last, not whole yet, left out)
    assert scanner.errors == scanner.warnings == []


def test_a_damaged_table_is_one_error_after_what_came_before(tmp_path: Path) -> None:
    second = [(KEY + b"2", tabs("https://imgur.com/a/QwE5678"))]
    whole = table([[(KEY, tabs("https://imgur.com/a/AbC1234"))], second])
    body = bytes(cramjam.snappy.compress_raw(block(second)))
    trailer = whole.index(body) + len(body)
    folder = profile(tmp_path, whole[:trailer] + b"\x07" + whole[trailer + 1:], b"")  # (compressed some other way)
    found, scanner = scanned(folder / "000005.ldb")
    assert found == ["AbC1234"]
    assert [str(e) for e in scanner.errors] == [f"{folder / '000005.ldb'}: cannot read on (a LevelDB table: a block at "
                                                f"byte {whole.index(body)}: compressed in a way imgur-dl does not "
                                                "decode (7)); what was found before it still counts"]


def test_a_log_s_deletes_long_records_and_space_written_ahead_and_a_table_of_one_entry(tmp_path: Path) -> None:
    # A value of 100 KiB: its record in three blocks and more (FIRST, MIDDLE, ..., LAST); a batch that deletes a key
    # before it puts one; zeros after the last record, as space a writer reserved; a table of one small entry.
    big = tabs("https://imgur.com/a/AbC1234") + b" " * 100_000 + b"https://imgur.com/gallery/QwE5678"
    written = log([[(KEY, big)], [(KEY, None), (b"new", b"https://i.imgur.com/XyZ9876")]])
    folder = profile(tmp_path, table([[(b"k", b"https://imgur.com/a/ZzZ1234")]], compress=False),
                     written + bytes(1000))
    assert scanned(folder / "000007.log")[0] == ["AbC1234", "QwE5678", "XyZ9876"]
    assert scanned(folder / "000007.log")[1].errors == []
    assert scanned(folder / "000005.ldb")[0] == ["ZzZ1234"]


def test_a_table_cut_short_is_said_and_gives_no_link_cut_short(tmp_path: Path) -> None:
    whole = table([[(KEY, tabs("https://imgur.com/a/AbC1234"))]], compress=False)
    folder = profile(tmp_path, whole[:whole.index(b"AbC12") + 5], b"")
    found, scanner = scanned(folder / "000005.ldb")
    assert found == []  # (read as bytes: "AbC12", another album)
    assert [str(e) for e in scanner.errors] == [f"{folder / '000005.ldb'}: cannot read on (a LevelDB table: no magic "
                                                "number at its end, as one cut short); what was found before it still "
                                                "counts"]


def test_a_file_named_as_a_log_outside_a_database_is_read_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "000007.log").write_bytes(b"2019-05-01 GET https://imgur.com/a/AbC1234 200\n")
    assert scanned(tmp_path / "000007.log")[0] == ["AbC1234"]


def test_a_profile_s_database_in_a_zip_or_a_tar_is_read_as_one(tmp_path: Path) -> None:
    # A profile backed up as an archive: its table's compressed block and its log's cut record read as on disk.
    older = [[(KEY, tabs("https://imgur.com/a/QwE5678", "https://i.imgur.com/XyZ9876.jpg"))]]
    newer = [[(KEY, tabs("https://imgur.com/gallery/ZzZ1234"))]]
    written = next(w for start in range(0, 40000, 3) if b"ZzZ1234" not in (w := log(newer, start=start)))
    folder = profile(tmp_path / "profile", table(older), written)
    (folder / "000009.ldb").write_bytes(table(older)[:-30])  # (a table cut short: said, its links not taken)
    files = sorted(folder.iterdir(), key=lambda f: f.name != "CURRENT")  # (CURRENT first, as tar may put it)
    with zipfile.ZipFile(tmp_path / "profile.zip", "w") as archive:
        for file in reversed(files):  # (a ZIP's whole list of files is known before any is read)
            archive.write(file, f"Default/Local Storage/leveldb/{file.name}")
    with tarfile.open(tmp_path / "profile.tar.gz", "w:gz") as archive:
        for file in files:
            archive.add(file, f"Default/Local Storage/leveldb/{file.name}")
    for name in ("profile.zip", "profile.tar.gz"):
        scanner = Scanner()
        with (tmp_path / name).open("rb") as source:
            found = sorted(t.id for t in scanner.scan(source, name))
        assert found == ["QwE5678", "XyZ9876", "ZzZ1234"], name
        assert [str(e) for e in scanner.errors] == [f"{name}: Default/Local Storage/leveldb/000009.ldb: cannot read "
                                                    "on (a LevelDB table: no magic number at its end, as one cut "
                                                    "short); what was found before it still counts; the archive's "
                                                    "other files are read"], name


def test_files_named_as_a_database_s_in_an_archive_without_one_are_read_as_they_are(tmp_path: Path) -> None:
    # ... but a table, known by its magic number, is one wherever it is (its CURRENT not in the archive, or not yet).
    older = [[(KEY, tabs("https://imgur.com/a/ZzZ1234", "https://i.imgur.com/XyZ9876.jpg"))]]
    with tarfile.open(tmp_path / "logs.tar", "w") as archive:
        for name, data in (("server/000007.log", b"GET https://imgur.com/a/AbC1234 200\n"),
                           ("notes/000005.ldb", b"see https://imgur.com/gallery/QwE5678\n"),
                           ("leveldb/000009.ldb", table(older))):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    scanner = Scanner()
    with (tmp_path / "logs.tar").open("rb") as source:
        assert [t.id for t in scanner.scan(source, "logs.tar")] == ["AbC1234", "QwE5678", "ZzZ1234", "XyZ9876"]
    assert scanner.errors == []


@PROPERTIES
@given(st.binary(max_size=4000), st.integers(0, 4000), st.data())
def test_snappy_gives_back_what_was_compressed_and_a_prefix_of_it_cut_short(data: bytes, repeat: int,
                                                                            draw: st.DataObject) -> None:
    original = data + data[:64] * (repeat // 64)  # (runs: copies that overlap what they make)
    packed = bytes(cramjam.snappy.compress_raw(original))
    assert snappy.decoded(packed).data == original
    assert snappy.decoded(packed).stopped is None
    cut = snappy.decoded(packed[:draw.draw(st.integers(0, len(packed)))])
    assert original.startswith(cut.data)
    spoilt = bytearray(packed)
    if spoilt:
        spoilt[draw.draw(st.integers(0, len(spoilt) - 1))] = draw.draw(st.integers(0, 255))
    assert len(snappy.decoded(bytes(spoilt)).data) <= snappy.MOST


def test_snappy_refuses_a_copy_from_before_the_start_and_a_length_past_its_bound() -> None:
    assert snappy.decoded(b"\x05\x01\x05").stopped == "not a Snappy block: a copy from before the start of the block"
    assert snappy.decoded(varint(snappy.MOST + 1)).stopped == "not a Snappy block: it says it makes more than 256 MiB"
    assert snappy.decoded(b"\x03\x08ab").data == b"ab"  # (cut short: what arrived is kept)
    # A copy whose offset takes four bytes (Snappy's own compressor, working 64 KiB at a time, writes none).
    assert snappy.decoded(varint(10) + b"\x0cabcd" + b"\x17\x04\x00\x00\x00").data == b"abcdabcdab"
