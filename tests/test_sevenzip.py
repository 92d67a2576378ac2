"""--scan of a 7-Zip archive, as 7-Zip (7zz 26.01) writes one, kept in tests/data/7z: ``7zz a -mtm=off -mtc=off
-mta=off OPTIONS NAME.7z notes.txt tree`` of the files :func:`write_files` writes, where NAME and OPTIONS are:

lzma2 (none: 7-Zip's way), lzma ``-m0=LZMA``, deflate ``-m0=Deflate``, bzip2 ``-m0=BZip2``, stored ``-m0=Copy``,
not-solid ``-ms=off``, plain-header ``-mhc=off``, bcj ``-mf=BCJ``, delta ``-m0=Delta:4 -m1=LZMA2``; and, what
imgur-dl does not read: ppmd ``-m0=PPMd`` (ppmd-not-solid: and ``-ms=off``), encrypted ``-pSECRET``,
encrypted-header ``-pSECRET -mhe=on``, bcj2 ``-m0=BCJ2 -m1=LZMA -m2=LZMA -m3=LZMA -mb0s0:1 -mb0s1:2 -mb0s2:3``.
And zstd-py7zr, as py7zr 1.1.4 writes the same files (``SevenZipFile("zstd-py7zr.7z", "w", filters=[{"id":
py7zr.FILTER_ZSTD}]).writeall(".", "gen")``).
libarchive-lzma1 and libarchive-bzip2, as libarchive's own writer (bsdtar 3.6.2) writes them: ``bsdtar --format 7zip
--options 7zip:compression=lzma1 -cf libarchive-lzma1.7z notes.txt tree`` (and ``=bzip2``).
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import random
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import reader, sevenzip
from tests.conftest import SPOILS, Pieces, in_volumes, run_main, scanned_spoilt, without_zstd
from tests.conftest import scanned as scan_of

DATA = Path(__file__).parent / "data" / "7z"
READ = ["lzma2", "lzma", "deflate", "bzip2", "stored", "not-solid", "plain-header", "bcj", "delta", "libarchive-lzma1",
        "libarchive-bzip2"]
FILES = 32  # the files with bytes the archives hold (notes.txt, 30 posts, inner.json.gz)


def write_files(root: Path) -> None:
    """What the archives in tests/data/7z hold: 60 links in notes.txt, one in each of 30 posts in folders (one empty
    folder beside them), an empty file, and one link in a gzip-compressed file."""
    rnd = random.Random(7)
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    (root / "tree" / "sub" / "deeper").mkdir(parents=True)
    (root / "tree" / "empty folder").mkdir()
    lines = [f"line {n} https://imgur.com/{''.join(rnd.choice(alphabet) for _ in range(7))} text" for n in range(60)]
    (root / "notes.txt").write_text("\n".join(lines) + "\n")
    for n in range(30):
        key = "".join(rnd.choice(alphabet) for _ in range(7))
        post = root / "tree" / ("sub/deeper" if n % 3 == 0 else "sub") / f"post {n}.json"
        post.write_text(json.dumps({"url": f"https://i.imgur.com/{key}.jpg", "n": n}))
    (root / "tree" / "empty.txt").write_bytes(b"")
    (root / "tree" / "inner.json.gz").write_bytes(gzip.compress(b"see https://imgur.com/gallery/ZZtop12 ok", mtime=0))


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    root = tmp_path_factory.mktemp("files")
    write_files(root)
    found: set[str] = set()
    for path in root.rglob("*"):
        if path.is_file():
            found |= scan_of(path.read_bytes(), path.name)[0]
    assert len(found) == 60 + 30 + 1
    return found


def _archive(name: str) -> bytes:
    return (DATA / f"{name}.7z").read_bytes()


def seven_zip(texts: list[bytes], *, count: int | None = None) -> bytes:
    """A solid 7-Zip archive of ``texts`` (none empty; named 0, 1...), packed with LZMA2, its header plain, as 7-Zip
    writes one (``count``: the files its header says it holds, where that is not so)."""
    def number(value: int) -> bytes:  # (the form of the most bytes: 0xFF, then eight)
        return b"\xff" + value.to_bytes(8, "little")
    data = b"".join(texts)
    packed = lzma.compress(data, lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "preset": 0}])
    named = "".join(f"{n}\0" for n in range(len(texts))).encode("utf-16-le")
    header = (b"\x01\x04\x06" + number(0) + number(1) + b"\x09" + number(len(packed)) + b"\x00"
              + b"\x07\x0b" + number(1) + b"\x00" + number(1) + b"\x21\x21" + number(1) + b"\x18"
              + b"\x0c" + number(len(data)) + b"\x00"
              + b"\x08\x0d" + number(len(texts)) + b"\x09" + b"".join(number(len(t)) for t in texts[:-1]) + b"\x00"
              + b"\x00"
              + b"\x05" + number(len(texts) if count is None else count)
              + b"\x11" + number(len(named) + 1) + b"\x00" + named + b"\x00"
              + b"\x00")
    start = struct.pack("<QQI", len(packed), len(header), zlib.crc32(header))
    return sevenzip.MAGIC + b"\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start + packed + header


@pytest.mark.parametrize("name", READ)
def test_each_way_7zip_packs_gives_every_link_of_every_file(name: str, expected: set[str], tmp_path: Path) -> None:
    found, errors, warnings = scan_of(_archive(name), f"{name}.7z")  # (in memory: as in a pipe)
    assert (found, errors, warnings) == (expected, [], [])
    (tmp_path / f"{name}.7z").write_bytes(_archive(name))  # (a file of its own: read where it is)
    outcome = run_main("--scan", str(tmp_path / f"{name}.7z"), "-g")
    assert outcome.code == 0, outcome
    assert len(outcome.out.splitlines()) == len(expected)


def test_an_archive_in_volumes_is_read_from_its_first_and_the_others_are_not_read_again(expected: set[str],
                                                                                       tmp_path: Path) -> None:
    paths = in_volumes(_archive("lzma2"), tmp_path, "v.7z", [500, 1000])
    first = run_main("--scan", str(paths[0]), "-g")
    assert first.code == 0, first
    assert len(first.out.splitlines()) == len(expected)
    folder = run_main("--scan", str(tmp_path), "-g")  # (the later volumes beside it: read with it, not again)
    assert folder.code == 0, folder
    assert len(folder.out.splitlines()) == len(expected)
    assert folder.errors == []
    later = run_main("--scan", str(paths[1]), "-g")
    assert later.code == 1
    assert later.errors == [f"imgur-dl: error: {paths[1]} is a volume of a file split in several: it is read with "
                            "the others when v.7z.001 is scanned"]
    moved = paths[2].rename(tmp_path / "elsewhere")  # (a symlink in its place: not followed, as none is in a scan)
    paths[2].symlink_to(moved)
    linked = run_main("--scan", str(paths[0]), "-g")
    assert 20 < len(linked.out.splitlines()) < len(expected)
    assert "cut short: its header, at its end, is missing" in linked.errors[0]
    paths[2].unlink()  # (the last volume missing: the archive is cut short)
    cut = run_main("--scan", str(paths[0]), "-g")
    assert 20 < len(cut.out.splitlines()) < len(expected)
    assert "cut short: its header, at its end, is missing" in cut.errors[0]


def _written(value: int) -> bytes:
    """``value`` as 7-Zip writes a number (7zFormat.txt's UINT64: the first byte's high bits set say how many bytes
    follow, little-endian; its other bits are the number's highest, where they hold them)."""
    for extra in range(8):
        if value < 1 << (7 * (extra + 1)):
            head = (0xFF00 >> extra) & 0xFF | value >> (8 * extra)
            return bytes([head]) + (value & ((1 << (8 * extra)) - 1)).to_bytes(extra, "little")
    return b"\xff" + value.to_bytes(8, "little")


@given(st.lists(st.integers(0, 2**64 - 1), max_size=8))
def test_a_header_s_numbers_read_as_7zip_writes_them(values: list[int]) -> None:
    cursor = sevenzip._Cursor(b"".join(map(_written, values)))
    assert [cursor.number() for _ in values] == values
    assert cursor.at == len(cursor.data)


def test_a_7z_on_a_pipe_and_inside_a_zip_is_read(expected: set[str]) -> None:
    assert scan_of(Pieces(_archive("lzma2"), list(range(0, 1400, 7))), "piped.7z")[0] == expected  # type: ignore[arg-type]
    held = io.BytesIO()
    with zipfile.ZipFile(held, "w") as archive:
        archive.writestr("export/dump.7z", _archive("not-solid"))
    assert scan_of(held.getvalue(), "export.zip") == (expected, [], [])


@pytest.mark.usefixtures("zstd_library")
def test_a_7z_packed_with_zstandard_is_read_with_the_extra(expected: set[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert scan_of(_archive("zstd-py7zr"), "z.7z") == (expected, [], [])  # (py7zr's, filters=[FILTER_ZSTD])
    without_zstd(monkeypatch)
    found, errors, _ = scan_of(_archive("zstd-py7zr"), "z.7z")
    assert found == set()
    assert errors == [f"z.7z: gen/notes.txt (and the {FILES} files packed with it): cannot read on (packed with "
                      "Zstandard, read with the extra imgur-dl[zstd] (the zstandard package): install it, or extract "
                      "it with a program that reads it (py7zr, 7-Zip's forks), then scan what it holds); what was "
                      "found before it still counts; the archive's other files are read"]


@pytest.mark.parametrize(("name", "why"), [
    ("ppmd", "packed with PPMd, which imgur-dl does not read: extract it with 7-Zip, then scan what it holds"),
    # (a folder a file, each packed so: one line for them all, not a line each and the archive given up as spoilt)
    ("ppmd-not-solid", "packed with PPMd, which imgur-dl does not read: extract it with 7-Zip, then scan what it "
                       "holds"),
    ("bcj2", "packed with BCJ2, which imgur-dl does not read: extract it with 7-Zip, then scan what it holds"),
    ("encrypted", "encrypted: its password is needed to read it")])
def test_a_folder_packed_in_a_way_not_read_is_said_once_for_its_files(name: str, why: str) -> None:
    found, errors, _ = scan_of(_archive(name), "a.7z")
    assert found == set()
    assert len(errors) == 1
    assert errors[0].startswith(f"a.7z: notes.txt (and the {FILES - 1} files packed with it): cannot read on ({why})")


def test_an_archive_whose_header_is_encrypted_or_spoilt_is_one_line() -> None:
    assert scan_of(_archive("encrypted-header"), "a.7z")[1] == [
        "a.7z: a 7-Zip archive, not read: its header is encrypted: its password is needed to read it"]
    spoilt = bytearray(_archive("plain-header"))
    spoilt[-40] ^= 0xFF
    assert scan_of(bytes(spoilt), "a.7z")[1] == ["a.7z: a 7-Zip archive, not read: its header's CRC-32 is wrong"]


@pytest.mark.parametrize("name", ["lzma2", "lzma", "not-solid", "stored"])
def test_an_archive_cut_short_gives_the_text_before_the_cut_and_says_so(name: str, expected: set[str]) -> None:
    data = _archive(name)
    header = struct.unpack_from("<Q", data, 20)[0]  # (its header's size: all that is cut, every file's text is read)
    found, errors, _ = scan_of(data[:-header], "a.7z")
    assert found <= expected
    # (The gzip-compressed file's text is read as bytes, without its name. LZMA's stream has no end: its last bytes are
    # decoded with the bytes after them, which fail: the last 256 of 902, here.)
    assert len(found) >= (60 if name == "lzma" else len(expected) - 1)
    assert len(errors) == 1
    assert errors[0].startswith("a.7z: cannot read on (cut short: its header, at its end, is missing")
    halves = scan_of(data[:len(data) // 2], "a.7z")[0]
    assert 20 < len(halves) < len(expected) and halves <= expected
    unfinished = data[:8] + bytes(24) + data[32:len(data) // 2]  # (7-Zip writes its start header once it is done)
    found, errors, _ = scan_of(unfinished, "a.7z")
    assert found == halves
    assert errors[0].startswith("a.7z: cannot read on (cut short: its header, at its end, is missing")


def test_a_file_whose_crc_is_wrong_is_said_and_the_others_read(expected: set[str]) -> None:
    data = bytearray(_archive("stored"))
    at = data.index(b"line 0 https://imgur.com/") + 5
    data[at] = ord("9")  # (its text still reads: only its CRC-32 tells)
    found, errors, _ = scan_of(bytes(data), "a.7z")
    assert found == expected
    assert errors == ["a.7z: notes.txt: cannot read on (its CRC-32 is not what the archive says: spoilt); what was "
                      "found before it still counts; the archive's other files are read"]


def test_a_folder_that_stops_decoding_loses_its_own_files_and_says_how_many(expected: set[str]) -> None:
    rnd = random.Random(3)
    texts = [f"file {n} https://imgur.com/Abc{n:04d} {rnd.randbytes(20_000).hex()}\n".encode() for n in range(4)]
    whole = seven_zip(texts)
    assert scan_of(whole, "a.7z") == ({f"Abc{n:04d}" for n in range(4)}, [], [])
    spoilt = bytearray(whole)
    spoilt[32 + 10_000] ^= 0xFF  # (inside the first file's packed bytes: 20,000 each)
    found, errors, _ = scan_of(bytes(spoilt), "a.7z")
    assert found <= {"Abc0000"}
    assert len(errors) == 1
    assert errors[0].startswith("a.7z: 0: cannot read on (")
    assert "; the 3 files packed after it are lost with it)" in errors[0]
    data = bytearray(_archive("not-solid"))  # (a folder a file: the others are read)
    data[40] ^= 0xFF  # (notes.txt's, the first: its 60 links)
    found, errors, _ = scan_of(bytes(data), "a.7z")
    assert errors == ["a.7z: notes.txt: cannot read on (Corrupt input data); what was found before it still counts; "
                      "the archive's other files are read"]
    assert found < expected
    assert len(found) == len(expected) - 60


def test_an_archive_on_a_disk_that_fails_a_read_stops_with_the_disk_s_error(bad_sector: Path) -> None:
    # Reads past 64 KiB fail (EIO): the header, at the end, cannot be read; cut short, its text can, up to there.
    rnd = random.Random(5)
    archive = seven_zip([f"https://imgur.com/Abc{n:04d} {rnd.randbytes(20_000).hex()}\n".encode() for n in range(5)])
    (bad_sector / "a.7z").write_bytes(archive)
    whole = run_main("--scan", str(bad_sector / "a.7z"), "-g")
    assert (whole.code, whole.out) == (1, "")
    assert whole.errors == [f"imgur-dl: error: {bad_sector / 'a.7z'}: cannot read on (Input/output error); what was "
                            "found before it still counts"]
    (bad_sector / "cut.7z").write_bytes(archive[:-100])  # (its header gone)
    cut = run_main("--scan", str(bad_sector / "cut.7z"), "-g")
    found = cut.out.splitlines()  # (the text of the files packed in its first 64 KiB)
    assert cut.code == 1 and 1 < len(found) < 5
    assert found == [f"https://imgur.com/Abc{n:04d}" for n in range(len(found))]
    assert cut.errors == [f"imgur-dl: error: {bad_sector / 'cut.7z'}: cannot read on (Input/output error); what was "
                          "found before it still counts"]


def test_a_7z_bomb_ends_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "RATIO_AFTER", 4 * 1024 * 1024)
    bomb = seven_zip([b"imgur.com/a/AbC1234 " + bytes(16 * 1024 * 1024)])
    found, errors, _ = scan_of(bomb, "bomb.7z")
    assert found == {"AbC1234"}
    assert len(errors) == 1
    assert re.fullmatch(r"bomb\.7z: stopped after [45] MiB: it expands more than 1000 times \(a decompression bomb\?\)",
                        errors[0])


def test_a_header_that_claims_more_than_it_holds_is_said_not_trusted() -> None:
    claims = seven_zip([b"https://imgur.com/AbC1234"], count=2**40)  # (files: as many as no header can hold)
    assert scan_of(claims, "a.7z")[1] == [
        "a.7z: a 7-Zip archive, not read: a count larger than its header holds (1,099,511,627,776)"]


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from([*READ, "ppmd", "zstd-py7zr"]), spoil=SPOILS, kept=st.floats(0, 1))
def test_an_archive_spoilt_anywhere_is_read_as_far_as_it_can_be(name: str, spoil: list[tuple[float, int]],
                                                                 kept: float) -> None:
    scanned_spoilt(_archive(name), spoil, kept, "a.7z")
