"""A file split in volumes (``dump.zst.001``, ``.002``..., as 7-Zip's ``-v`` and HJSplit cut any file) scanned as the
one file it was cut from: from its first volume, the others not read again."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import random
import shutil
import string
import struct
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import volumes
from imgur_dl.scan import Scanner, scan_file
from tests.conftest import cut_into, in_volumes, open_below, run_main


def _dump(count: int = 300) -> tuple[bytes, set[str]]:
    """Newline-delimited JSON as a Reddit dump's: every third post links an Imgur album."""
    lines = [json.dumps({"id": f"t3_{n}", "title": "x" * (n % 97), "url": f"https://imgur.com/a/A{n:06d}"
                         if n % 3 == 0 else f"https://example.com/{n}"}) for n in range(count)]
    return ("\n".join(lines) + "\n").encode(), {f"A{n:06d}" for n in range(0, count, 3)}


def _zipped(data: bytes) -> bytes:
    held = io.BytesIO()
    with zipfile.ZipFile(held, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/posts.json", data)
    return held.getvalue()


def _tarred(data: bytes) -> bytes:
    held = io.BytesIO()
    with tarfile.open(fileobj=held, mode="w:gz") as archive:
        member = tarfile.TarInfo("export/posts.json")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return held.getvalue()


# A file of each kind as it is named, made of the dump.
KINDS: dict[str, Callable[[bytes], bytes]] = {
    "RS_2019-01.ndjson": bytes, "RS_2019-01.zst": zstandard.ZstdCompressor().compress, "RS_2019-01.json.gz":
    gzip.compress, "RS_2019-01.json.xz": lzma.compress, "RS_2019-01.json.bz2": bz2.compress, "export.zip": _zipped,
    "export.tar.gz": _tarred}
DUMP, IDS = _dump()


def _scanned(path: Path) -> tuple[set[str], list[str], list[str]]:
    """The ids the file at ``path`` names, the errors and the warnings its scan met (a bug raised, not said)."""
    scanner = Scanner(debug=True)
    found = {target.id for target in scan_file(scanner, path)}
    return found, [str(e) for e in scanner.errors], scanner.warnings


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS)), cuts=st.lists(st.floats(0, 1), max_size=4))
def test_a_file_cut_anywhere_in_volumes_gives_every_link_the_whole_gives(
        kind: str, cuts: list[float], tmp_path_factory: pytest.TempPathFactory) -> None:
    data = KINDS[kind](DUMP)
    paths = in_volumes(data, tmp_path_factory.mktemp("v"), kind, [int(cut * len(data)) for cut in cuts])
    assert _scanned(paths[0]) == (IDS, [], [])  # (cut inside its magic number, or a first volume left empty, too)


def test_a_folder_of_volumes_gives_each_link_once_and_a_later_volume_named_alone_is_said(tmp_path: Path) -> None:
    data = zstandard.ZstdCompressor().compress(DUMP)
    paths = in_volumes(data, tmp_path, "RS_2019-01.zst", [len(data) // 3, 2 * len(data) // 3])
    (tmp_path / "notes.md").write_text("see https://imgur.com/a/Notes12\n")
    folder = run_main("--scan", str(tmp_path), "-g")
    assert folder.code == 0, folder
    assert {line.rsplit("/", 1)[-1] for line in folder.out.splitlines()} == IDS | {"Notes12"}
    assert len(folder.out.splitlines()) == len(IDS) + 1
    assert folder.errors == [], folder
    later = run_main("--scan", str(paths[1]), "-g")
    assert (later.code, later.out) == (1, "")
    assert later.errors == [f"imgur-dl: error: {paths[1]} is a volume of a file split in several: it is read with the "
                            "others when RS_2019-01.zst.001 is scanned"]


def test_a_later_volume_without_its_first_beside_it_is_read_as_it_is(tmp_path: Path) -> None:
    paths = in_volumes(DUMP, tmp_path, "RS_2019-01.ndjson", [len(DUMP) // 2])
    paths[0].unlink()  # (only the second half was kept: its own links are still there to be found)
    found, errors, _ = _scanned(paths[1])
    assert errors == []
    assert 0 < len(found) < len(IDS) and found < IDS
    paths[0].symlink_to(tmp_path / "elsewhere")  # (a symlink in the first's place: no first volume a scan reads)
    assert _scanned(paths[1])[1] == []


@pytest.mark.parametrize(("name", "joined"), [
    ("RS_2019-01.zst.001", True), ("RS_2019-01.ZST.001", True), ("export.tar.gz.0001", True),
    ("dump.7z.001", True), ("photos.2023.001", False), ("README.001", False), ("dump.zst.01", False),
    ("dump.zst.002", False)])
def test_only_a_first_volume_s_name_with_its_file_s_extension_is_joined_to_the_next(name: str, joined: bool,
                                                                                    tmp_path: Path) -> None:
    first = tmp_path / name
    stem, number = name.rsplit(".", 1)
    second = tmp_path / f"{stem}.{int(number) + 1:0{len(number)}d}"
    first.write_bytes(b"a")
    second.write_bytes(b"b")
    assert volumes.volumes(first) == ([first, second] if joined else [first])


def test_a_symlink_or_a_gap_ends_the_volumes(tmp_path: Path) -> None:
    paths = in_volumes(DUMP, tmp_path, "d.json", [100, 200, 300])
    paths[2].rename(tmp_path / "moved")
    paths[2].symlink_to(tmp_path / "moved")
    assert volumes.volumes(paths[0]) == paths[:2]
    paths[2].unlink()
    assert volumes.volumes(paths[0]) == paths[:2]  # (the fourth, after the gap, is not taken for the third)
    assert volumes.read_with(paths[3]) == "d.json.001"


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(0, 1000), max_size=6), offset=st.integers(0, 1100), size=st.integers(0, 1100),
       reads=st.lists(st.integers(1, 400), min_size=1, max_size=8))
def test_volumes_read_as_the_whole_they_were_cut_from(tmp_path_factory: pytest.TempPathFactory, cuts: list[int],
                                                      offset: int, size: int, reads: list[int]) -> None:
    data = bytes(range(256)) * 4
    whole = volumes.Volumes(in_volumes(data, tmp_path_factory.mktemp("v"), "v.bin", cuts))
    assert whole.size == len(data)
    assert whole.at(offset, size) == data[offset:offset + size]
    joined = volumes.Joined(whole)
    assert joined.seek(offset) == offset
    got = b"".join(joined.read(n) for n in reads)
    assert got == data[offset:offset + sum(reads)]
    assert joined.tell() == offset + len(got)  # (past its end, as a file is, where it was sought there)
    assert joined.seek(-3, os.SEEK_END) == len(data) - 3
    assert joined.read() == data[-3:]


def test_a_volume_replaced_while_it_is_read_is_said_not_read(tmp_path: Path) -> None:
    data = zstandard.ZstdCompressor().compress(DUMP)
    paths = in_volumes(data, tmp_path, "RS_2019-01.zst", [len(data) // 2])
    whole = volumes.Volumes(paths)
    paths[1].unlink()  # (another file in its place, the same length: not the one counted)
    paths[1].write_bytes(data[len(data) // 2:])
    with pytest.raises(OSError, match="a volume was replaced while it was read"):
        whole.at(0, len(data))


def test_a_file_in_a_thousand_volumes_is_read_with_one_of_them_open_at_a_time(tmp_path: Path) -> None:
    data = gzip.compress(DUMP)
    paths = in_volumes(data, tmp_path, "d.json.gz", list(range(1, 1001)), digits=4)
    whole = volumes.Volumes(paths)
    assert open_below(tmp_path) == 1
    joined = volumes.Joined(whole)
    assert joined.read(len(data) // 2) + joined.read() == data
    assert open_below(tmp_path) == 1
    joined.close()
    assert open_below(tmp_path) == 0
    assert _scanned(paths[0]) == (IDS, [], [])


def _zip_in_parts(data: bytes, folder: Path, cuts: list[int]) -> list[Path]:
    """``data`` in a ZIP archive split in parts at ``cuts``, as zip -s and WinZip write one: the spanning marker
    first, the end record naming the last part as its own and its directory's, the parts ``export.z01``,
    ``.z02``... and the last ``export.zip``."""
    held = io.BytesIO()
    with zipfile.ZipFile(held, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/posts.json", data)
    whole = bytearray(b"PK\x07\x08" + held.getvalue())
    struct.pack_into("<HH", whole, whole.rfind(b"PK\x05\x06") + 4, len(cuts), len(cuts))
    return cut_into(bytes(whole), [*(folder / f"export.z{n:02d}" for n in range(1, len(cuts) + 1)),
                                   folder / "export.zip"], cuts)


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.floats(0, 1, exclude_max=True), max_size=4))
def test_a_zip_archive_in_parts_cut_anywhere_is_read_from_its_last(cuts: list[float],
                                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    size = len(_zip_in_parts(DUMP, tmp_path_factory.mktemp("size"), [])[0].read_bytes())
    paths = _zip_in_parts(DUMP, tmp_path_factory.mktemp("z"), [int(cut * size) for cut in cuts])
    assert _scanned(paths[-1]) == (IDS, [], [])


def test_a_zip_archive_zip_itself_split_in_parts_is_read_as_one(tmp_path: Path) -> None:
    # Text that does not compress (random letters), its links among it: zip -s cuts it in parts of 64 KiB.
    rnd = random.Random(5)
    text = "".join(f"{''.join(rnd.choices(string.ascii_letters, k=900))} https://imgur.com/a/S{n:06d}\n"
                   for n in range(400)).encode()
    (tmp_path / "export.json").write_bytes(text)
    ids = {f"S{n:06d}" for n in range(400)}
    zip_command = shutil.which("zip") or "/usr/bin/zip"  # (Info-ZIP's: Debian's zip)
    subprocess.run([zip_command, "-q", "-s", "64k", "parts.zip", "export.json"], cwd=tmp_path, check=True)
    subprocess.run([zip_command, "-q", "-s", "64m", "whole.zip", "export.json"], cwd=tmp_path, check=True)
    (tmp_path / "export.json").unlink()
    parts = sorted(tmp_path.glob("parts.z[0-9]*"))
    assert len(parts) > 3 and parts[0].read_bytes().startswith(b"PK\x07\x08")
    assert _scanned(tmp_path / "parts.zip") == (ids, [], [])
    assert _scanned(tmp_path / "whole.zip") == (ids, [], [])  # (one part: the spanning marker, then the archive)
    piped = run_main("--scan", "-", "-g", stdin=(tmp_path / "whole.zip").read_bytes())
    assert {line.rsplit("/", 1)[-1] for line in piped.out.splitlines()} == ids
    folder = run_main("--scan", str(tmp_path), "-g")
    assert (folder.code, folder.errors, len(folder.out.splitlines())) == (0, [], len(ids)), folder
    alone = run_main("--scan", str(parts[1]), "-g")
    assert alone.errors == [f"imgur-dl: error: {parts[1]} is a volume of a file split in several: it is read with "
                            "the others when parts.zip is scanned"]
    (tmp_path / "last").mkdir()
    last = (tmp_path / "parts.zip").rename(tmp_path / "last" / "parts.zip")
    without = run_main("--scan", str(last), "-g")
    assert (without.code, without.out) == (1, "")
    assert without.errors == [f"imgur-dl: error: {last} is the last part of a ZIP archive split in parts, and the "
                              "parts before it are not beside it (its name with .z01, .z02...): put them there, "
                              "then scan it"]


def test_a_zip_archive_whose_end_record_names_another_part_but_opens_with_a_file_is_read(tmp_path: Path) -> None:
    # An end record that says its directory is on a later part, in an archive that opens with a file's own header
    # (a writer that fills those numbers in wrongly; a part whose cut fell between two files): read from each
    # file's header, as unzip reads it, not refused as a last part without the others.
    held = io.BytesIO()
    with zipfile.ZipFile(held, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/posts.json", DUMP)
    whole = bytearray(held.getvalue())
    struct.pack_into("<HH", whole, whole.rfind(b"PK\x05\x06") + 4, 1, 1)
    (tmp_path / "export.zip").write_bytes(whole)
    assert _scanned(tmp_path / "export.zip") == (IDS, [], [])


@pytest.mark.parametrize("ext", ["zip", "ZIP"])
def test_a_zip_archive_s_parts_are_its_name_with_z_and_a_number_in_its_own_case(ext: str, tmp_path: Path) -> None:
    z = ext[0]
    last, parts = tmp_path / f"export.{ext}", [tmp_path / f"export.{z}{n:02d}" for n in (1, 2)]
    for path in (last, *parts, tmp_path / f"export.{z}04"):  # (.z03 missing: .z04 is no part of it)
        path.write_bytes(b"x")
    assert volumes.volumes(last) == [*parts, last]
    assert [volumes.read_with(part) for part in parts] == [last.name, last.name]
    assert volumes.volumes(parts[0]) == [parts[0]]  # (a part is read with its last, not from itself)
