"""imgur-dl in shell scripts: URL lists, links only, JSON lines, metadata, an archive, templates."""

from __future__ import annotations

import codecs
import contextlib
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import zstandard

from imgur_dl import archive_sqlite, handout, packed, share, urls
from imgur_dl.archive import BATCH, GATHER, Archive, Entry, Record, Settle, open_store
from imgur_dl.build import build_run
from imgur_dl.clock import Clock
from imgur_dl.models import Archived, Result, Status
from imgur_dl.options import Options
from tests.clock import StillClock
from tests.conftest import UNREADABLE_SCHEMA, ArchiveAt, files_under, run_main
from tests.launcher import Launcher
from tests.postgres import Postgres
from tests.standin import AlbumData, Imgur


def _rows(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def _mixed_album(imgur: Imgur) -> AlbumData:
    gif = imgur.add_image("AnIm123", size=9_000, ext="gif", animated=True, title="moving")
    png = imgur.add_image("PnGg123", size=7_000, ext="png", title="a picture", description="with words")
    jpg = imgur.add_image("JpGg123", size=5_000)
    return imgur.add_album("AbC1234", images=[png, gif, jpg], title="Mixed", description="three kinds")


def test_get_urls_prints_links_in_order_and_fetches_nothing(imgur: Imgur, tmp_path: Path) -> None:
    _mixed_album(imgur)
    result = run_main("-g", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "https://i.imgur.com/PnGg123.png",
        "https://i.imgur.com/AnIm123.mp4",  # the MP4 is what would be saved
        "https://i.imgur.com/JpGg123.jpeg",
    ]
    assert imgur.requests_to("i.imgur.com") == []
    assert list(tmp_path.iterdir()) == []
    again = run_main("-g", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert again.out == result.out  # stable
    archived = run_main("-g", "--download-archive", str(tmp_path / "seen.sqlite"), "imgur.com/a/AbC1234")
    assert archived.out == result.out
    assert list(tmp_path.iterdir()) == []  # (an archive not there yet is read as empty, not made)
    assert "warning" not in result.err + again.err + archived.err
    # What only a download does, asked of -g, is said to do nothing (and does nothing).
    idle = run_main("-g", "--wayback", "--write-metadata", "--limit-rate", "1K", "-o", str(tmp_path),
                    "imgur.com/a/AbC1234")
    assert (idle.code, idle.out) == (0, result.out), idle
    assert idle.err.startswith("imgur-dl: warning: -g downloads nothing: --write-metadata, --wayback and "
                               "--limit-rate do nothing with it\n")
    assert list(tmp_path.iterdir()) == [] and imgur.requests_to("i.imgur.com") == []


def test_get_urls_with_gif_lists_the_gif(imgur: Imgur) -> None:
    _mixed_album(imgur)
    assert "https://i.imgur.com/AnIm123.gif" in run_main("-g", "--gif", "imgur.com/a/AbC1234").out


def test_json_lines_first_run_rerun_and_failures(imgur: Imgur, tmp_path: Path) -> None:
    album = _mixed_album(imgur)
    first = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert first.code == 0, first
    rows = sorted(_rows(first.out), key=lambda r: r["index"])  # type: ignore[arg-type, return-value]
    assert [r["status"] for r in rows] == ["saved"] * 3
    assert rows[0] == {
        "album": "AbC1234", "index": 1, "id": "PnGg123", "name": "", "url": "https://i.imgur.com/PnGg123.png",
        "path": str(tmp_path / "AbC1234 - Mixed" / "001-PnGg123.png"), "bytes": 7_000,
        "status": "saved", "error": None, "source": "imgur", "capture": None, "post": "AbC1234", "listing": None,
        "sha256": hashlib.sha256(album.images[0].data).hexdigest(), "linked_to": None, "renamed_from": None,
    }
    assert rows[1]["url"] == "https://i.imgur.com/AnIm123.mp4"
    for row in rows:
        assert Path(str(row["path"])).stat().st_size == row["bytes"]

    rerun = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    again = sorted(_rows(rerun.out), key=lambda r: r["index"])  # type: ignore[arg-type, return-value]
    assert [r["status"] for r in again] == ["skipped"] * 3
    assert [r["sha256"] for r in again] == [None] * 3  # (a skipped file is not read again to hash it)
    assert [{**r, "status": None, "sha256": None} for r in again] == \
        [{**r, "status": None, "sha256": None} for r in rows]  # same rows

    album.images[2].removed = True
    failed = run_main("--json", "-o", str(tmp_path / "fresh"), "imgur.com/a/AbC1234")
    assert failed.code == 1
    by_id = {r["id"]: r for r in _rows(failed.out)}
    assert by_id["JpGg123"]["status"] == "failed"
    assert by_id["JpGg123"]["error"] == "removed from Imgur"
    assert by_id["PnGg123"]["status"] == "saved"


def test_input_file_with_comments_and_blank_lines(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AAAAAAA", count=2)
    imgur.add_album("BBBBBBB", count=1)
    imgur.add_album("CCCCCCC", count=1)
    listing = tmp_path / "albums.txt"
    listing.write_text("# my albums\n\nhttps://imgur.com/a/AAAAAAA\n  imgur.com/a/BBBBBBB  # the second\n")
    out = tmp_path / "out"
    result = run_main("-o", str(out), "-i", str(listing), "imgur.com/a/CCCCCCC")
    assert result.code == 0, result
    assert sorted(p.name for p in out.iterdir()) == ["AAAAAAA", "BBBBBBB", "CCCCCCC"]
    assert "4 saved" in result.err  # one run, one pool, one summary


def test_a_list_not_all_in_utf8_loses_only_its_bad_lines(imgur: Imgur, tmp_path: Path) -> None:
    # A list saved by a Windows program (cp1252): a byte that is not UTF-8 in a comment is nothing to the URL
    # before it; one inside a URL refuses that line alone, as any line that is no Imgur URL.
    imgur.add_album("AAAAAAA", count=1)
    imgur.add_album("BBBBBBB", count=1)
    listing = tmp_path / "albums.txt"
    listing.write_bytes(b"https://imgur.com/a/AAAAAAA  # caf\xe9\nhttps://imgur.com/a/caf\xe9\n"
                        b"https://imgur.com/a/BBBBBBB\n")
    result = run_main("-o", str(tmp_path / "out"), "-i", str(listing))
    assert result.code == 2, result
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["AAAAAAA", "BBBBBBB"]
    assert "imgur-dl: error: " in result.err and "imgur.com/a/caf\\xe9" in result.err  # (the byte, as it was)
    assert result.err.count("error:") == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_a_list_saved_with_a_byte_order_mark_is_read(imgur: Imgur, tmp_path: Path, encoding: str) -> None:
    # (Windows PowerShell's `>` writes UTF-16 with its mark; Notepad may write UTF-8 with one.)
    imgur.add_album("AAAAAAA", count=1)
    imgur.add_album("BBBBBBB", count=1)
    listing = tmp_path / "albums.txt"
    text = "https://imgur.com/a/AAAAAAA\r\n# café\r\nhttps://imgur.com/a/BBBBBBB\r\n"
    listing.write_bytes((codecs.BOM_UTF16_BE + text.encode("utf-16-be")) if encoding == "utf-16-be" else
                        text.encode(encoding))
    result = run_main("-o", str(tmp_path / "out"), "-i", str(listing))
    assert result.code == 0, result
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["AAAAAAA", "BBBBBBB"]


@pytest.mark.usefixtures("zstd_library")
@pytest.mark.parametrize("pack", [lambda d: gzip.compress(d, 1), lambda d: lzma.compress(d, preset=0),
                                  lambda d: zstandard.ZstdCompressor().compress(d),
                                  lambda d: gzip.compress(codecs.BOM_UTF16_LE + d.decode().encode("utf-16-le"))],
                         ids=["gzip", "xz", "zstd", "utf-16-in-gzip"])
def test_a_compressed_list_is_read(imgur: Imgur, tmp_path: Path, pack: Callable[[bytes], bytes]) -> None:
    # A list of a million links is passed around compressed (.txt.gz, .txt.zst): read as it is, not line by
    # line of compressed bytes (a hundred thousand lines of "not a URL").
    for n in range(3):
        imgur.add_album(f"LiSt{n:03d}", count=1)
    listing = tmp_path / "albums.txt.gz"
    listing.write_bytes(pack(b"".join(b"https://imgur.com/a/LiSt%03d\n" % n for n in range(3))))
    result = run_main("-o", str(tmp_path / "out"), "-i", str(listing))
    assert result.code == 0, result
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["LiSt000", "LiSt001", "LiSt002"]


def test_a_compressed_list_cut_short_is_one_line_and_nothing_fetched(imgur: Imgur, tmp_path: Path) -> None:
    text = b"".join(b"https://imgur.com/a/LiSt%03d\n" % n for n in range(300))
    packed = gzip.compress(text)
    (tmp_path / "albums.txt.gz").write_bytes(packed[:len(packed) * 2 // 3])
    result = run_main("-o", str(tmp_path / "out"), "-i", str(tmp_path / "albums.txt.gz"))
    assert result.code == 2, result
    assert result.err == (f"imgur-dl: error: cannot read URLs from {tmp_path / 'albums.txt.gz'}: Compressed file "
                          "ended before the end-of-stream marker was reached\n")
    assert not imgur.log


@pytest.mark.parametrize("spoilt", [50, 1], ids=["lines", "a line"])
def test_a_compressed_list_spoilt_inside_is_one_line_not_a_line_for_each_line_it_decodes_to(
        imgur: Imgur, tmp_path: Path, spoilt: int) -> None:
    # A download of links.txt.gz spoilt on the way: gzip's data decodes to whatever the spoilt bytes make until its
    # CRC-32, after it, says so; every line of that was named ("not an Imgur URL"), hundreds of them, before the one
    # line that says why. (Stored blocks here, as `gzip -0` writes them: the bytes spoilt are the text's own.)
    text = b"".join(b"https://imgur.com/a/LiSt%03d\n" % n for n in range(300))
    packed = bytearray(gzip.compress(text, compresslevel=0))
    start = packed.index(b"https://imgur.com/a/LiSt100")
    for n in range(spoilt):  # (lines 101 on, spoilt to hxxps://...)
        packed[start + n * 28 + 1:start + n * 28 + 3] = b"xx"
    listing = tmp_path / "albums.txt.gz"
    listing.write_bytes(packed)
    result = run_main("-o", str(tmp_path / "out"), "-i", str(listing))
    assert result.code == 2, result
    lines = "1 line read before it was not an Imgur URL" if spoilt == 1 else \
        f"{spoilt} lines read before it were not Imgur URLs"
    assert result.err == f"imgur-dl: error: cannot read URLs from {listing}: incorrect data check (and {lines}: not " \
                         "named one by one, as its data is spoilt)\n"
    assert not imgur.log


def test_a_compressed_list_whose_data_is_whole_names_each_line_that_is_no_url(imgur: Imgur, tmp_path: Path) -> None:
    # (once it is read whole, in order; past the number held back, as they come)
    imgur.add_album("LiSt000", count=1)
    bad = [f"not a link {n}" for n in range(1500)]
    listing = tmp_path / "albums.txt.gz"
    listing.write_bytes(gzip.compress("\n".join(["https://imgur.com/a/LiSt000", *bad]).encode()))
    result = run_main("-o", str(tmp_path / "out"), "-i", str(listing))
    assert result.code == 2, result
    named = [line for line in result.err.splitlines() if "not an Imgur URL" in line]
    assert named == [f"imgur-dl: error: {listing}:{n + 2}: not an Imgur URL: {line}" for n, line in enumerate(bad)]
    assert (tmp_path / "out" / "LiSt000").is_dir()


@pytest.mark.usefixtures("zstd_library")
def test_a_compressed_list_piped_in_is_read_as_a_list_file_is(imgur: Imgur, tmp_path: Path) -> None:
    # `curl -s .../links.txt.gz | imgur-dl -i -`, `imgur-dl -i - < links.txt.zst`: read as the file would be.
    imgur.add_album("AAAAAAA", count=1)
    imgur.add_album("BBBBBBB", count=1)
    packed = gzip.compress(b"https://imgur.com/a/AAAAAAA\n# a comment\nimgur.com/a/BBBBBBB\n")
    result = run_main("-o", str(tmp_path), "-i", "-", stdin=packed)
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == 2
    plain = run_main("-o", str(tmp_path / "again"), "-i", "-", stdin=b"https://imgur.com/a/AAAAAAA\n")
    assert plain.code == 0, plain  # (as it is, where it is not compressed)
    cut = run_main("-o", str(tmp_path / "cut"), "-i", "-", stdin=packed[:-12])
    assert cut.code == 2, cut
    assert cut.errors == ["imgur-dl: error: cannot read URLs from -: Compressed file ended before the end-of-stream "
                          "marker was reached"]


def test_binary_data_for_a_list_is_one_line_not_one_a_line(imgur: Imgur, tmp_path: Path) -> None:
    # Binary data (here a gzip file given as text, where no buffer tells it: a program's own stream): a line of "not
    # a URL" for each of its thousands was the answer.
    packed = gzip.compress(b"".join(b"https://imgur.com/a/LiSt%03d\n" % n for n in range(3000)))
    result = run_main("-o", str(tmp_path), "-i", "-", stdin=packed.decode("latin-1"))
    assert result.code == 2, result
    assert result.err == ("imgur-dl: error: cannot read URLs from -: its first line holds a NUL byte (not a list of "
                          "URLs: a binary file?)\n")
    # Further down, a NUL spoils its own line only, as any byte that is not UTF-8 does.
    imgur.add_album("AAAAAAA", count=1)
    result = run_main("-o", str(tmp_path), "-i", "-", stdin="https://imgur.com/a/AAAAAAA\nimgur.com/a/\0BBB\n")
    assert result.code == 2, result
    assert len(files_under(tmp_path / "AAAAAAA")) == 1
    assert result.err.count("error:") == 1


def test_a_warc_file_for_a_list_is_one_line_pointing_to_scan(imgur: Imgur, tmp_path: Path) -> None:
    # A crawl given to -i by mistake: each of its header lines was a line of "not a URL".
    crawl = b"WARC/1.0\r\nWARC-Type: warcinfo\r\nContent-Length: 0\r\n\r\n\r\n\r\n" * 500
    (tmp_path / "crawl.warc.gz").write_bytes(gzip.compress(crawl))
    for args, name, stdin in ((["-i", str(tmp_path / "crawl.warc.gz")], str(tmp_path / "crawl.warc.gz"), ""),
                              (["-i", "-"], "-", crawl.decode())):
        result = run_main("-o", str(tmp_path), *args, stdin=stdin)
        assert result.code == 2, result
        assert result.err == (f"imgur-dl: error: cannot read URLs from {name}: it is a WARC file (a web crawl), not "
                              "a list of URLs: --scan reads the links in it\n")
    assert not imgur.log


def test_an_api_that_cannot_be_reached_is_said_once_for_a_list_of_direct_links(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{sock.getsockname()[1]}"  # (closed: nothing answers there)
    links = [f"https://i.imgur.com/DiR{n:04d}.jpg" for n in range(40)]
    result = run_main("-g", *links, environ={"HTTPS_PROXY": proxy, "https_proxy": proxy})
    assert result.out.splitlines() == links  # (a direct link is listed without the API's description)
    assert result.err.count("direct links are fetched without the API's description") == 1, result
    assert "does not describe" not in result.err  # (it was said once a link: a line each of a million)


def test_input_from_stdin(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AAAAAAA", count=2)
    # (`cat list.txt | imgur-dl -i -` of a list saved with a byte-order mark: the mark is no part of the URL)
    result = run_main("-o", str(tmp_path), "-i", "-", stdin="\ufeffhttps://imgur.com/a/AAAAAAA\n")
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == 2


def test_input_file_that_does_not_exist(tmp_path: Path) -> None:
    result = run_main("-i", str(tmp_path / "nope.txt"))
    assert result.code == 2
    assert result.err.startswith("imgur-dl: error: cannot read URLs from")


def test_a_list_with_a_line_no_url_could_fill_is_refused_in_one_line(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AAAAAAA", count=1)
    listing = tmp_path / "albums.txt"
    listing.write_text("https://imgur.com/a/AAAAAAA\n" + "x" * 70_000 + "\nhttps://imgur.com/a/AAAAAAA\n")
    result = run_main("-o", str(tmp_path), "-i", str(listing))
    assert (result.code, result.err) == (2, f"imgur-dl: error: cannot read URLs from {listing}: line 2 is longer "
                                            "than 65,536 characters (not a list of URLs)\n")
    assert imgur.log == []  # the list is read whole before anything is asked
    endless = run_main("-i", "-", stdin="\0" * 200_000)  # (as `-i /dev/zero` would be: it is not read to its end)
    assert endless.code == 2 and "line 1 is longer than 65,536 characters" in endless.err


def test_an_empty_list_is_no_url(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("# nothing yet\n\n")
    result = run_main("-i", str(tmp_path / "empty.txt"))
    assert (result.code, result.err) == (2, "imgur-dl: error: no URL given (try 'imgur-dl --help')\n")


def test_worst_outcome_wins_and_nothing_stops_the_rest(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AAAAAAA", count=2)
    album.images[0].removed = True
    imgur.add_album("BBBBBBB", count=2)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AAAAAAA", "imgur.com/a/Missing", "imgur.com/a/BBBBBBB")
    assert result.code == 3, result  # not found outranks a failed file
    assert len(files_under(tmp_path)) == 3


def test_write_metadata(imgur: Imgur, tmp_path: Path) -> None:
    album = _mixed_album(imgur)
    result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    meta = json.loads((tmp_path / "AbC1234 - Mixed" / "album.json").read_text())
    assert {k: meta[k] for k in ("id", "title", "description", "url", "created_at", "count")} == {
        "id": "AbC1234", "title": "Mixed", "description": "three kinds", "url": "https://imgur.com/a/AbC1234",
        "created_at": "2024-05-17T12:34:56Z", "count": 3,
    }
    assert [i["id"] for i in meta["items"]] == ["PnGg123", "AnIm123", "JpGg123"]
    png, gif, _ = meta["items"]
    assert png == {"id": "PnGg123", "index": 1, "name": "", "title": "a picture", "description": "with words",
                   "url": "https://i.imgur.com/PnGg123.png", "type": "image/png", "animated": False,
                   "width": 640, "height": 480, "size": 7_000, "file": "001-PnGg123.png",
                   "archived": False, "source": "imgur", "wayback_timestamp": None,
                   "sha256": hashlib.sha256(album.images[0].data).hexdigest(), "linked_to": None}
    assert gif["file"] == "002-AnIm123.mp4"
    assert gif["url"] == "https://i.imgur.com/AnIm123.mp4"
    assert not list((tmp_path / "AbC1234 - Mixed").glob("*.part"))


def test_archive_prevents_a_second_download_into_another_folder(imgur: Imgur, tmp_path: Path,
                                                               archive: ArchiveAt) -> None:
    imgur.add_album("AbC1234", count=3)
    first = run_main("--download-archive", archive.location, "-o", str(tmp_path / "one"), "imgur.com/a/AbC1234")
    assert first.code == 0, first
    assert first.err.startswith("imgur-dl: 1 album; files: 3 saved") and first.err.count("\n") == 1, first.err  # (an
    # archive that takes the records as they come is not waited for at the end, nor spoken of)
    fetched = len(imgur.requests_to("i.imgur.com"))
    second = run_main("--json", "--download-archive", archive.location, "-o", str(tmp_path / "two"),
                      "imgur.com/a/AbC1234")
    assert second.code == 0, second
    # (not saved here, nor read: where it is, and what it weighs, is not known to this run)
    assert [(r["status"], r["path"], r["bytes"]) for r in _rows(second.out)] == [("skipped", None, None)] * 3
    assert len(imgur.requests_to("i.imgur.com")) == fetched
    assert files_under(tmp_path / "two") == {}
    assert sorted(archive.rows("SELECT kind, count(*) FROM archive GROUP BY kind")) == [("album", 1), ("image", 3)]


def test_an_output_folder_named_in_bytes_of_no_text_is_recorded_all_the_same(imgur: Imgur, tmp_path: Path,
                                                                             archive: ArchiveAt) -> None:
    # (-o $'old\xffdrive', a folder named under another locale: Python gives its name as "old\udcffdrive", which
    # no archive's text can hold; it was a traceback, and no record kept)
    album = imgur.add_album("AbC1234", count=3)
    args = ("--download-archive", archive.location, "-o", str(tmp_path / "old\udcffdrive"), "imgur.com/a/AbC1234")
    first = run_main(*args)
    assert first.code == 0 and first.err.count("\n") == 1, first
    assert len(files_under(tmp_path / "old\udcffdrive")) == len(album.images)
    assert sorted(archive.rows("SELECT kind, path FROM archive")) == [("album", None)] + [("image", None)] * 3
    again = run_main(*args)
    assert again.code == 0 and "0 saved, 3 skipped" in again.err, again


@pytest.mark.parametrize("encoding", ["LATIN1", "SQL_ASCII"])
def test_a_database_of_another_encoding_than_utf_8_keeps_every_record(imgur: Imgur, tmp_path: Path,
                                                                      postgres: Postgres, encoding: str) -> None:
    # A LATIN1 database (as older clusters were made) cannot hold a title in Japanese: each record was refused
    # whole, with a traceback. One of SQL_ASCII (a cluster made in the C locale), which keeps bytes, was read back
    # as bytes by psycopg (psycopg#561): the next run refused it, its table "not made by imgur-dl".
    album = imgur.add_album("AbC1234", count=2, title="\u732b caf\xe9")
    at = ArchiveAt(postgres.new_database(encoding), "postgres")
    args = ("--download-archive", at.location, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    first = run_main(*args)
    assert first.code == 0 and first.err.count("\n") == 1, first
    again = run_main(*args)
    assert again.code == 0 and "0 saved, 2 skipped" in again.err, again
    folder = tmp_path / "AbC1234 - \u732b caf\xe9"
    kept = [None] * 3 if encoding == "LATIN1" else [str(folder)] + [str(folder / f"00{n}-{image.id}.jpg")
                                                                 for n, image in enumerate(album.images, 1)]
    rows = at.rows("SELECT path FROM archive ORDER BY kind, id")
    assert [row[0] for row in rows] == kept


def test_a_client_encoding_in_the_environment_does_not_narrow_what_the_archive_keeps(
        imgur: Imgur, tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    # (libpq reads PGCLIENTENCODING: LATIN1 there made a UTF8 database's records of a title in Japanese fail)
    imgur.add_album("AbC1234", count=1, title="\u732b")
    at = ArchiveAt(postgres.new_database(), "postgres")
    monkeypatch.setenv("PGCLIENTENCODING", "LATIN1")
    result = run_main("--download-archive", at.location, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0 and result.err.count("\n") == 1, result
    assert at.rows("SELECT path FROM archive WHERE kind = 'album'") == [(str(tmp_path / "AbC1234 - \u732b"),)]


def test_text_an_archive_cannot_hold_is_kept_as_it_can(postgres: Postgres, tmp_path: Path) -> None:
    # (why a claim failed, naming a path of bytes no text holds, or a title a LATIN1 database cannot hold)
    why = "AbC1234: cannot write old\udcffdrive/\u732b caf\xe9/001.jpg: No space left on device"
    for location, kept in ((str(tmp_path / "seen.sqlite"), "old\\xffdrive/\u732b caf\xe9"),
                           (postgres.new_database("LATIN1"), "old\\xffdrive/\\u732b caf\xe9")):
        store = open_store(location)
        assert store.claim(Entry.ALBUM, ["AbC1234"], "here:1:ab", 60) == {"AbC1234"}
        store.write([Settle(Entry.ALBUM, "AbC1234", "here:1:ab", reason=why, hold=60)])
        backend = "postgres" if location.startswith("postgresql") else "sqlite"
        assert ArchiveAt(location, backend).rows("SELECT reason FROM archive_claims") == [
            (f"AbC1234: cannot write {kept}/001.jpg: No space left on device",)]  # (its byte as a line shows it)
        store.close()


def test_a_host_named_in_bytes_of_no_text_claims_as_any_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a host's name is any bytes: Python gives one that is no UTF-8 with "\udcff" in it, which no archive holds)
    monkeypatch.setattr(socket, "gethostname", lambda: "b\udcffro")
    owner = share.owner_name()
    assert owner.startswith("b\\udcffro:") and owner.isascii()
    store = open_store(str(tmp_path / "seen.sqlite"))
    assert store.claim(Entry.ALBUM, ["AbC1234"], owner, 60) == {"AbC1234"}
    store.close()


def test_files_the_archive_has_are_found_whichever_batch_asks(imgur: Imgur, tmp_path: Path, archive: ArchiveAt,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    album = imgur.add_album("AbC1234", count=7)
    had = {album.images[n].id for n in (1, 2, 4, 6)}  # either side of each boundary between batches of two
    store = open_store(archive.location)
    store.write([Record(Entry.IMAGE, image_id, "AbC1234", "x") for image_id in sorted(had)])
    store.close()
    monkeypatch.setattr(handout, "HELD_BATCH", 2)
    result = run_main("--json", "--download-archive", archive.location, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    statuses = {r["id"]: r["status"] for r in _rows(result.out)}
    assert statuses == {i.id: "skipped" if i.id in had else "saved" for i in album.images}
    fetched = {path for _, _, path, _ in imgur.requests_to("i.imgur.com")}
    assert fetched == {f"/{i.id}.jpeg" for i in album.images if i.id not in had}


def test_the_archive_answers_exactly_which_ids_it_has(archive: ArchiveAt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_sqlite, "BATCH", 2)  # (several queries for one question)
    monkeypatch.setattr(archive_sqlite, "ROWS", 2)  # (several statements for one batch of records)
    store = open_store(archive.location)
    had = ["Ab00001", "Ab00004", "Ab00005", "odd id"]  # (the last with a space: no answer of Imgur's gives one)
    store.write([Record(Entry.IMAGE, media_id, "AbC1234", "x") for media_id in had]
                + [Record(Entry.ALBUM, "Ab00002")])  # an album's id: not an image's
    asked = ["Ab00001", "Ab00002", "Ab00003", "Ab00004", "Ab00005", "odd", "id", "odd id", "Ab00001"]
    # (An id with a space, asked for, may be found or not, as the backend goes: at worst its file is fetched
    # again. Never are its pieces found.)
    assert store.has_many(Entry.IMAGE, asked) - {"odd id"} == {"Ab00001", "Ab00004", "Ab00005"}
    assert store.has_many(Entry.ALBUM, asked) == {"Ab00002"}
    assert store.has_many(Entry.IMAGE, ["Ab00009", "Ab00010"]) == set()
    store.close()


def test_records_gather_for_a_second_after_a_write_unless_a_batch_is_full_or_someone_waits() -> None:
    clock = StillClock()
    archive = Archive(open_store(":memory:"), say=lambda _m: None, error=lambda _m: None, clock=clock)
    with archive._writes._cond:  # (the writer waits for records meanwhile)
        archive.add(Record(Entry.IMAGE, "Ab00001"))
        assert archive._writes._gathering() == 0  # nothing written yet: the first goes at once
        archive._writes._written = clock.now()  # a write just ended
        assert archive._writes._gathering() == GATHER
        clock.at += GATHER / 4
        assert archive._writes._gathering() == GATHER * 3 / 4
        archive._writes._flushing += 1
        assert archive._writes._gathering() == 0  # someone waits for them
        archive._writes._flushing -= 1
        archive.add(Settle(Entry.ALBUM, "AbC1234", "me"))
        assert archive._writes._gathering() == 0  # a claim settled: other processes may be waiting to hear of it
        archive._writes._settles = 0  # (as once it is written)
        assert archive._writes._gathering() == GATHER * 3 / 4
        for n in range(BATCH):
            archive.add(Record(Entry.IMAGE, f"Id{n:05d}"))
        assert archive._writes._gathering() == 0  # a batch is full
    archive.close()


def test_a_bug_writing_the_archive_is_one_line_and_its_records_are_said_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(":memory:")

    def broken(_items: object) -> None:
        raise ZeroDivisionError("division by zero")  # (a bug in the store's code)

    monkeypatch.setattr(store, "write", broken)
    said: list[str] = []
    archive = Archive(store, say=said.append, error=said.append, clock=Clock())
    archive.add(Record(Entry.IMAGE, "Ab00001"))
    archive.close()
    assert said[0] == ("unexpected ZeroDivisionError writing to the download archive (:memory:): division by zero "
                       "(a bug); nothing more is recorded in this run")  # (it was a traceback, from its thread)
    assert said[1:] == ["1 finished file could not be recorded in the download archive (:memory:); the next run "
                        "records it (the files are in place)"]


def test_the_files_the_archive_has_are_booked_together_not_one_by_one(imgur: Imgur, tmp_path: Path,
                                                                      archive: ArchiveAt) -> None:
    album = imgur.add_album("AbC1234", count=6)
    store = open_store(archive.location)
    store.write([Record(Entry.IMAGE, image.id, "AbC1234", "x") for image in album.images[1:5]])
    store.close()
    options = replace(Options(), output=tmp_path, archive=archive.location, quiet=True)
    events = list(build_run(options, io.StringIO()).events([urls.parse("imgur.com/a/AbC1234")]))
    booked = [e for e in events if isinstance(e, Archived)]
    assert len(booked) == 1 and booked[0].count == 4  # one event for the four, not four results
    results = packed.archived_results(booked[0])  # each one's result, made on request
    assert [r.job.media.id for r in results] == [i.id for i in album.images[1:5]]
    fetched = [e for e in events if isinstance(e, Result)]
    assert sorted(r.job.media.id for r in fetched) == [album.images[0].id, album.images[5].id]
    assert {r.status for r in fetched} == {Status.SAVED}


def test_a_lone_image_the_archive_has_is_skipped_too(imgur: Imgur, tmp_path: Path, archive: ArchiveAt) -> None:
    imgur.add_image("LoNe123", size=3000)
    imgur.add_album("AbC1234", count=2)
    lone, album = "https://i.imgur.com/LoNe123.jpeg", "imgur.com/a/AbC1234"
    assert run_main("--download-archive", archive.location, "-o", str(tmp_path / "one"), album).code == 0
    second = run_main("--json", "--download-archive", archive.location, "-o", str(tmp_path / "two"), lone, album)
    assert second.code == 0, second
    assert sorted((r["id"], r["status"]) for r in _rows(second.out)) == [
        ("Ab00001", "skipped"), ("Ab00002", "skipped"), ("LoNe123", "saved")]
    assert list(files_under(tmp_path / "two")) == ["LoNe123.jpg"]
    third = run_main("--download-archive", archive.location, "-o", str(tmp_path / "three"), lone, album, tty=True)
    assert "files: 0 saved, 3 skipped, 0 failed" in third.err, third
    shown = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", third.err)
    drawn = [line for line in re.split(r"[\r\n]", shown) if "3/3 files" in line]
    assert drawn and all("100%" in line for line in drawn), third.err  # all bytes counted, the lone image's too
    assert files_under(tmp_path / "three") == {}


def test_a_folder_that_takes_no_locks_is_downloaded_into(imgur: Imgur, lockless: Path) -> None:
    # An NFS mount whose lock service is not running refuses every lock (ENOLCK). A part file's lock only keeps two
    # runs in one folder off each other's files: without it, files are saved as before locks were taken, a part
    # file left by an earlier run continued.
    album = imgur.add_album("AbC1234", count=2, size=50_000)
    folder = lockless / "AbC1234"
    folder.mkdir()
    (folder / f"001-{album.images[0].id}.jpg.part").write_bytes(album.images[0].data[:20_000])
    result = run_main("-o", str(lockless), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(folder) == {f"{n:03d}-{image.id}.jpg": image.data for n, image in enumerate(album.images, 1)}
    assert [h.get("range") for (_, _, _, h) in imgur.requests_to("i.imgur.com")].count("bytes=20000-") == 1


def test_an_archive_where_files_cannot_be_mapped_shared_works(imgur: Imgur, tmp_path: Path,
                                                               unmappable: Path) -> None:
    # A network share, WSL's /mnt/c, exFAT under FUSE: SQLite's WAL index cannot be made there ("disk I/O
    # error", every run refused). The archive keeps a rollback journal there instead.
    album = imgur.add_album("AbC1234", count=2)
    first = run_main("--download-archive", str(unmappable / "seen.sqlite"), "-o", str(tmp_path / "one"),
                     "imgur.com/a/AbC1234")
    assert first.code == 0, first
    again = run_main("--download-archive", str(unmappable / "seen.sqlite"), "-o", str(tmp_path / "two"),
                     "imgur.com/a/AbC1234")
    assert again.code == 0, again
    assert "0 saved, 2 skipped" in again.err
    # An archive made on a local disk (WAL) and then moved there is read, and its records kept.
    local = tmp_path / "local.sqlite"
    assert run_main("--download-archive", str(local), "-o", str(tmp_path / "three"), "imgur.com/a/AbC1234").code == 0
    with contextlib.closing(sqlite3.connect(local)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    shutil.copyfile(local, unmappable / "moved.sqlite")
    shutil.copyfile(local, unmappable / "read.sqlite")  # (read first by --fleet, which records nothing)
    fleet = run_main("--download-archive", str(unmappable / "read.sqlite"), "--fleet")
    assert fleet.code == 0 and json.loads(fleet.out)["archive"] == {"images": 2, "albums": 1}, fleet
    new = imgur.add_album("NeWw123", count=1)
    moved = run_main("--download-archive", str(unmappable / "moved.sqlite"), "-o", str(tmp_path / "four"),
                     "imgur.com/a/AbC1234", "imgur.com/a/NeWw123")
    assert moved.code == 0, moved
    assert "1 saved, 2 skipped" in moved.err  # (and the new one recorded beside the old)
    with contextlib.closing(sqlite3.connect(tmp_path / "backing" / "moved.sqlite")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert {i for (i,) in db.execute("SELECT id FROM archive WHERE kind = 'image'")} == {
            i.id for i in [*album.images, *new.images]}
    assert [p.name for p in unmappable.iterdir() if p.name.endswith(".probe")] == []  # (nothing left behind)


def test_an_archive_on_a_read_only_disk_is_read_by_g_and_fleet_and_refused_to_a_run(
        imgur: Imgur, tmp_path: Path, read_only_disk: Path) -> None:
    # A snapshot, a backup disk, a share exported read-only: SQLite could not open its WAL journal there ("unable
    # to open database file"), and -g and --fleet, which write nothing, were refused as a run was.
    kept, new = imgur.add_album("AbC1234", count=2), imgur.add_album("NeWw123", count=1)
    imgur.add_listing("tag", "cats", [kept, new])
    assert run_main("--download-archive", str(tmp_path / "backing" / "seen.sqlite"), "-o", str(tmp_path / "out"),
                    "imgur.com/a/AbC1234").code == 0
    seen = str(read_only_disk / "seen.sqlite")
    links = run_main("--download-archive", seen, "-g", "imgur.com/t/cats")
    assert (links.code, links.out) == (0, f"https://i.imgur.com/{new.images[0].id}.jpeg\n"), links
    fleet = run_main("--download-archive", seen, "--fleet")
    assert fleet.code == 0 and json.loads(fleet.out)["archive"] == {"images": 2, "albums": 1}, fleet
    # a snapshot of an archive in use: its WAL journal, holding records not yet in the file, read with it
    with contextlib.closing(sqlite3.connect(tmp_path / "backing" / "seen.sqlite", isolation_level=None)) as db:
        db.execute("PRAGMA wal_autocheckpoint=0")
        db.execute("INSERT INTO archive (id, kind, added) VALUES ('NeWw123', 'album', '2024-05-01T00:00:00Z')")
        for name in ("seen.sqlite", "seen.sqlite-wal", "seen.sqlite-shm"):
            shutil.copyfile(tmp_path / "backing" / name, tmp_path / "backing" / f"snapshot-{name}")
    fleet = run_main("--download-archive", str(read_only_disk / "snapshot-seen.sqlite"), "--fleet")
    assert fleet.code == 0 and json.loads(fleet.out)["archive"] == {"images": 2, "albums": 2}, fleet
    refused = run_main("--download-archive", seen, "-o", str(tmp_path / "again"), "imgur.com/a/NeWw123")
    assert (refused.code, refused.err) == (2, f"imgur-dl: error: cannot use {seen} as a download archive: its disk "
                                              "is read-only, and a run records there what it saves (-g and --fleet "
                                              "read it)\n")
    assert not (tmp_path / "again").exists()


@contextlib.contextmanager
def _unwritable(path: Path) -> Iterator[None]:
    """``path`` this user cannot write while in the block: its mode, and as root (whom no mode stops) the
    "immutable" attribute (Debian's e2fsprogs: chattr), which refuses root too (EPERM), as a file of another
    user's refuses anyone else."""
    path.chmod(0o444)
    chattr = shutil.which("chattr") or "/usr/bin/chattr"
    if os.geteuid() == 0:
        subprocess.run([chattr, "+i", str(path)], check=True)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run([chattr, "-i", str(path)], check=True)


def test_an_archive_this_user_cannot_write_is_refused_and_left_as_it_was(imgur: Imgur, tmp_path: Path) -> None:
    # Another user's archive: a run fetched everything, then waited 30 s for records it could never write (exit 1,
    # each night); -g and --fleet read it, leaving beside it the -wal and -shm of its WAL journal, this user's,
    # which its owner could not write: from then on, none of the owner's runs recorded anything.
    kept, new = imgur.add_album("AbC1234", count=2), imgur.add_album("NeWw123", count=1)
    imgur.add_listing("tag", "cats", [kept, new])
    seen = tmp_path / "seen.sqlite"
    assert run_main("--download-archive", str(seen), "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234").code == 0
    for args in (("-g", "imgur.com/t/cats"), ("--fleet",)):  # its owner's read it and leave nothing beside it
        assert run_main("--download-archive", str(seen), *args).code == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "seen.sqlite"]
    asked = len(imgur.log)
    with _unwritable(seen):
        run = run_main("--download-archive", str(seen), "-o", str(tmp_path / "again"), "imgur.com/a/NeWw123")
        assert run.code == 2 and run.err.count("\n") == 1, run
        assert f"cannot use {seen} as a download archive: this user cannot write it, and a run records there " \
               "what it saves\n" in run.err
        for args in (("-g", "imgur.com/t/cats"), ("--fleet",)):
            read = run_main("--download-archive", str(seen), *args)
            assert read.code == 2 and read.err.count("\n") == 1 and "reading it would leave files beside it that " \
                "its owner could not write (SQLite's for its WAL journal): read it as its owner" in read.err, read
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "seen.sqlite"]  # (nothing made beside it)
        assert len(imgur.log) == asked  # (nothing fetched)
    # one in a rollback journal is read without a file made beside it: -g and --fleet read it
    with contextlib.closing(sqlite3.connect(seen)) as db:
        db.execute("PRAGMA journal_mode=DELETE")
    with _unwritable(seen):
        links = run_main("--download-archive", str(seen), "-g", "imgur.com/t/cats")
        assert (links.code, links.out) == (0, f"https://i.imgur.com/{new.images[0].id}.jpeg\n"), links
        assert run_main("--download-archive", str(seen), "--fleet").code == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "seen.sqlite"]


@pytest.mark.parametrize(("given", "why"), [
    ("out", "it is a folder (give the archive's file)"),
    ("nowhere/seen.sqlite", "there is no folder {tmp}/nowhere"),  # (a typo: no empty archive is started there)
    ("list.txt/seen.sqlite", "{tmp}/list.txt is not a folder"),
    ("list.txt", "file is not a database"),  # (yt-dlp's archive is a text file: left as it is)
    # (each was SQLite's "disk I/O error")
    ("fifo", "it is no file but a device, a FIFO or a socket (give the archive's file)"),
    ("/dev/null", "it is no file but a device, a FIFO or a socket (give the archive's file)"),
])
@pytest.mark.parametrize("links", [(), ("-g",)])  # (-g reads an archive not there yet as empty: its folder's typo said)
def test_an_archive_that_cannot_be_is_one_line_before_anything_is_fetched(imgur: Imgur, tmp_path: Path, given: str,
                                                                         why: str, links: tuple[str, ...]) -> None:
    imgur.add_album("AbC1234", count=1)
    (tmp_path / "out").mkdir()
    (tmp_path / "list.txt").write_text("youtube dQw4w9WgXcQ\n")
    os.mkfifo(tmp_path / "fifo")
    result = run_main(*links, "--download-archive", str(tmp_path / given), "-o", str(tmp_path / "out"),
                      "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (2, f"imgur-dl: error: cannot use {tmp_path / given} as a download "
                                            f"archive: {why.format(tmp=tmp_path)}\n")
    assert not imgur.log and sorted(p.name for p in tmp_path.rglob("*")) == ["fifo", "list.txt", "out"]
    assert (tmp_path / "list.txt").read_text() == "youtube dQw4w9WgXcQ\n"


def test_a_damaged_archive_is_said_with_what_to_do_and_not_waited_for(imgur: Imgur, tmp_path: Path) -> None:
    # Pages of the archive's table overwritten (a disk that lost what it was told was written, a copy cut short):
    # each run said "cannot be used (database disk image is malformed)", waited 30 s for a file that would say the
    # same, and told the user the next run would record what it could not.
    imgur.add_album("AbC1234", count=3)
    seen = tmp_path / "my archive" / "seen.sqlite"
    seen.parent.mkdir()
    out = tmp_path / "out"
    assert run_main("--download-archive", str(seen), "-o", str(out), "imgur.com/a/AbC1234").code == 0
    store = open_store(seen)
    try:
        store.write([Record(Entry.IMAGE, f"Id{n:05d}", "OtHer12", f"/x/{n}.jpg") for n in range(3000)])
    finally:
        store.close()
    whole = seen.read_bytes()
    seen.write_bytes(whole[:len(whole) * 2 // 3] + b"\xff" * (len(whole) - len(whole) * 2 // 3))
    result = run_main("--download-archive", str(seen), "-o", str(out), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    command = f"mv '{seen}' '{seen}.damaged'"
    assert result.err.splitlines()[:2] == [
        f"imgur-dl: error: the download archive ({seen}) cannot be used (database disk image is malformed: the file "
        "is damaged; move it aside, with its -wal or -journal file if one is left, and a run makes a new one (the "
        "files saved where they are named are found whole, and recorded there, not fetched again): "
        f"{command}); finished files are kept and recorded once it can take them",
        f"imgur-dl: error: 1 finished album could not be recorded in the download archive ({seen}); a later run "
        "records it, once the archive takes records again (above) (the files are in place)"], result
    assert sorted(p.name for p in seen.parent.iterdir()) == ["seen.sqlite"]  # (no journal left: the run ended)
    subprocess.run(command, shell=True, check=True)  # noqa: S602 - (as a person would)
    again = run_main("--download-archive", str(seen), "-o", str(out), "imgur.com/a/AbC1234")
    assert again.code == 0 and "0 saved, 3 skipped" in again.err, again
    with contextlib.closing(sqlite3.connect(seen)) as db:
        assert len(list(db.execute("SELECT id FROM archive WHERE album = 'AbC1234'"))) == 3


def test_an_archive_whose_damaged_schema_holds_bytes_that_are_no_utf_8_is_said_with_what_to_do(
        imgur: Imgur, tmp_path: Path) -> None:
    # SQLite's message of a schema it cannot read quotes the bytes where it stopped; Python's sqlite3 decodes it as
    # UTF-8, and where those bytes are none it raises UnicodeDecodeError in its place: each run, and --fleet, ended
    # on "unexpected UnicodeDecodeError".
    imgur.add_album("AbC1234", count=1)
    seen = tmp_path / "seen.sqlite"
    with contextlib.closing(sqlite3.connect(seen)) as db:
        db.execute("CREATE TABLE notes (x)")
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_master SET sql = sql || ' ' || CAST(x'804559' AS TEXT) WHERE name = 'notes'")
        db.commit()
    before = seen.read_bytes()
    for args in (["-o", str(tmp_path / "out"), "imgur.com/a/AbC1234"], ["--fleet"]):
        result = run_main("--download-archive", str(seen), *args)
        assert result.code == 2, result
        said = result.err.splitlines()
        assert len(said) == 1 and said[0].startswith(f"imgur-dl: error: cannot use {seen} as a download archive: "
                                                     + UNREADABLE_SCHEMA.format(table="notes")), result
        assert said[0].endswith(f": the file is damaged; move it aside, with its -wal or -journal file if one is "
                                "left, and a run makes a new one (the files saved where they are named are found "
                                f"whole, and recorded there, not fetched again): mv {seen} {seen}.damaged"), said
        assert "\ufffdEY" in said[0] or sys.version_info < (3, 11)
    assert not imgur.log and seen.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seen.sqlite"]


def test_archive_does_not_record_failures(imgur: Imgur, tmp_path: Path, archive: ArchiveAt) -> None:
    album = imgur.add_album("AbC1234", count=2)
    album.images[0].removed = True
    assert run_main("--download-archive", archive.location, "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 1
    assert [r[0] for r in archive.rows("SELECT id FROM archive")] == [album.images[1].id]


def test_two_processes_share_one_archive(imgur: Imgur, tmp_path: Path, archive: ArchiveAt,
                                         launcher: Launcher) -> None:
    for n in range(4):
        imgur.add_album(f"Album{n:02d}", count=25, size=300)
    procs = [
        launcher.spawn(["-q", "--download-archive", archive.location, "-o", str(tmp_path / name), *urls], text=True)
        for name, urls in (("a", ["imgur.com/a/Album00", "imgur.com/a/Album01", "imgur.com/a/Album02"]),
                           ("b", ["imgur.com/a/Album03", "imgur.com/a/Album02", "imgur.com/a/Album01"]))
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert err == ""
    images = {r[0] for r in archive.rows("SELECT id FROM archive WHERE kind = 'image'")}
    albums = {r[0] for r in archive.rows("SELECT id FROM archive WHERE kind = 'album'")}
    assert len(images) == 100
    assert albums == {f"Album{n:02d}" for n in range(4)}


def test_templates_for_folders_and_files(imgur: Imgur, tmp_path: Path) -> None:
    _mixed_album(imgur)
    result = run_main("--dir", "{album_date} {album_title}/{album_id}", "--name", "{num}_{title}.{ext}",
                      "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert sorted(files_under(tmp_path)) == [
        "2024-05-17 Mixed/AbC1234/1_a picture.png",
        "2024-05-17 Mixed/AbC1234/2_moving.mp4",
        "2024-05-17 Mixed/AbC1234/3.jpg",  # no title: no dangling "_"
    ]


def test_unknown_template_field_fails_before_any_request(imgur: Imgur, tmp_path: Path) -> None:
    _mixed_album(imgur)
    result = run_main("--name", "{index}-{colour}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 2
    assert "unknown field {colour}" in result.err
    assert imgur.log == []


def test_workers_from_the_environment(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=6)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", environ={"IMGUR_DL_WORKERS": "1"})
    assert result.code == 0, result
    assert imgur.peak_inflight == 1
    bad = run_main("imgur.com/a/AbC1234", environ={"IMGUR_DL_WORKERS": "lots"})
    assert bad.code == 2


def test_a_template_that_gives_two_files_one_name_keeps_both(imgur: Imgur, tmp_path: Path) -> None:
    one = imgur.add_image("OnEe123", size=3_000, title="same")
    two = imgur.add_image("TwOo123", size=3_000, title="same")
    imgur.add_album("AbC1234", images=[one, two])
    result = run_main("--name", "{title}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234") == {"same.jpg": one.data, "same (TwOo123).jpg": two.data}


def test_get_urls_with_json_lists_rows_and_fetches_nothing(imgur: Imgur, tmp_path: Path) -> None:
    _mixed_album(imgur)
    result = run_main("-g", "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    rows = _rows(result.out)
    assert [(r["index"], r["id"], r["status"]) for r in rows] == [
        (1, "PnGg123", "listed"), (2, "AnIm123", "listed"), (3, "JpGg123", "listed")]
    assert rows[0]["path"] == str(tmp_path / "AbC1234 - Mixed" / "001-PnGg123.png")
    assert rows[0]["bytes"] == 7_000
    assert imgur.requests_to("i.imgur.com") == []
    assert list(tmp_path.iterdir()) == []


def test_fields_lists_every_template_field() -> None:
    result = run_main("--fields")
    assert result.code == 0
    names = [line.split("\t")[0] for line in result.out.splitlines()]
    assert names[:3] == ["{index}", "{num}", "{count}"]
    assert "{album_title}" in names
    assert "{id}\tthe image id (--name only)\n" in result.out  # (no value for an album's folder: --dir refuses it)
    assert "{album_id}\tthe album id\n" in result.out


def test_a_list_of_albums_is_looked_up_several_at_a_time_in_order(imgur: Imgur, tmp_path: Path) -> None:
    for n in range(6):
        imgur.add_album(f"Album{n:02d}", count=2, size=500)
    imgur.api_gate = 3  # the stand-in holds API answers until three lookups are in flight (or 5 s pass)
    urls = [f"imgur.com/a/Album{n:02d}" for n in range(6)]
    result = run_main("--json", "-o", str(tmp_path), *urls[:2], "imgur.com/a/Missing", *urls[2:])
    assert result.code == 3, result
    assert imgur.peak_api_inflight >= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"Album{n:02d}" for n in range(6)]
    assert len(files_under(tmp_path)) == 12
    rows = _rows(result.out)
    assert {r["album"] for r in rows if r["status"] == "saved"} == {f"Album{n:02d}" for n in range(6)}
    missing, = (r for r in rows if r["status"] == "failed")  # the album that failed as a whole has a row too
    assert (missing["id"], missing["url"], missing["path"]) == ("Missing", "imgur.com/a/Missing", None)
    assert "Missing: not found" in result.err
