"""--wayback: files Imgur no longer serves, brought back from the stand-in's Wayback Machine."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imgur_dl.build import build_run
from imgur_dl.models import Album, Job, Media, Result, Source, Status
from imgur_dl.options import Options
from imgur_dl.wayback import (
    REPLAY,
    Capture,
    Nearest,
    Wayback,
    WaybackError,
    _captures,
    capture_redirect,
    pointed_to,
    same_file,
)
from tests.clock import FastClock
from tests.conftest import files_under, run_main
from tests.standin import REGION_PNG, REMOVED_PNG, SITE_SHELL, AlbumData, Fault, Image, Imgur, fake_bytes
from tests.test_races import _hold

ARCHIVE = ("web.archive.org", "archive.org")


def _archive_requests(imgur: Imgur) -> list[tuple[str, str, str, dict[str, str]]]:
    return [e for e in imgur.log if e[0] in ARCHIVE]


def uploaded(image: Image) -> str:
    """``image``'s upload time as the archive writes a capture's (``yyyyMMddhhmmss``, UTC)."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(image.datetime))


def nearest(image: Image, ext: str = "jpg") -> str:
    """The path that asks the archive for its capture of ``image``'s link nearest its upload (to the minute)."""
    return f"/web/{uploaded(image)[:12]}id_/https://i.imgur.com/{image.id}.{ext}"


def bad_nearest(imgur: Imgur, image: Image) -> None:
    """The captures of ``image``'s two links nearest its upload are Imgur's region placeholder (captured where Imgur
    blocks): a good one is found only by a look-up in the index."""
    for ext in ("jpg", "jpeg"):
        imgur.add_capture(f"https://i.imgur.com/{image.id}.{ext}", uploaded(image), body=REGION_PNG,
                          mimetype="image/png")


def _album_with_a_removed_image(imgur: Imgur) -> AlbumData:
    album = imgur.add_album("AbC1234", count=3, size=20_000)
    album.images[1].removed = True
    return album


def test_a_removed_file_in_an_album_is_recovered_byte_exact(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    imgur.add_capture(f"http://i.imgur.com:80/{gone.id}.jpg", "20150102030405", body=gone.data)
    archive = tmp_path / "seen.sqlite"
    result = run_main("--wayback", "--json", "--write-metadata", "--download-archive", str(archive),
                      "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "out" / "AbC1234") == {
        **{f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)},
        "album.json": (tmp_path / "out" / "AbC1234" / "album.json").read_bytes()}
    assert "3 saved (1 from the Wayback Machine), 0 skipped, 0 failed" in result.err
    rows = {r["id"]: r for r in map(json.loads, result.out.splitlines())}
    assert rows[gone.id]["source"] == "wayback" and rows[gone.id]["capture"] == "20150102030405"
    assert rows[gone.id]["url"] == f"https://web.archive.org/web/20150102030405id_/http://i.imgur.com:80/{gone.id}.jpg"
    assert rows[album.images[0].id]["source"] == "imgur"
    items = json.loads((tmp_path / "out" / "AbC1234" / "album.json").read_text())["items"]
    assert (items[1]["source"], items[1]["wayback_timestamp"]) == ("wayback", "20150102030405")
    with contextlib.closing(sqlite3.connect(archive)) as db:
        sources = dict(db.execute("SELECT id, source FROM archive WHERE kind = 'image'"))
    assert sources[gone.id] == "wayback"
    # Found with no look-up in the index: its capture nearest the upload, then that capture.
    assert [path for _, _, path, _ in _archive_requests(imgur)] == [
        nearest(gone), f"/web/20150102030405id_/http://i.imgur.com:80/{gone.id}.jpg"]


def test_files_brought_back_into_a_folder_removed_meanwhile_make_it_again(imgur: Imgur, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Two runs at one album whose every file Imgur removed: the one without --wayback failed them all and took away
    # the empty folder it had made while this one asked the Wayback Machine. Its captures failed, "No such file or
    # directory"; the folder is made again for them now.
    album = imgur.add_album("AbC1234", count=2, size=20_000)
    for image in album.images:
        image.removed = True
        imgur.add_capture(f"http://i.imgur.com:80/{image.id}.jpg", "20150102030405", body=image.data)
    folder = tmp_path / "AbC1234"
    archive = imgur._archive
    removed: list[Path] = []
    once = threading.Lock()  # (each request is answered on a thread of its own: removed once, not the one made again)

    def meanwhile(h: object, host: str, *args: object) -> None:
        with once:
            if not removed and folder.is_dir():
                folder.rmdir()
                removed.append(folder)
        archive(h, host, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(imgur, "_archive", meanwhile)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert removed and "2 saved (2 from the Wayback Machine)" in result.err
    assert files_under(folder) == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}


@pytest.mark.parametrize("status", [404, 410])
def test_a_file_imgur_answers_not_found_for_is_brought_back_too(imgur: Imgur, tmp_path: Path, status: int) -> None:
    # Not only Imgur's removed.png: a CDN that says the file is not there (404, or 410 Gone) says it is gone.
    album = imgur.add_album("AbC1234", count=2, size=20_000)
    gone = album.images[1]
    imgur.faults.append(Fault("status", path=f"/{gone.id}.jpeg", status=status))
    imgur.add_capture(f"https://i.imgur.com/{gone.id}.jpg", uploaded(gone), body=gone.data)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    assert "2 saved (1 from the Wayback Machine), 0 skipped, 0 failed" in result.err


def test_the_index_is_asked_only_when_the_nearest_capture_is_no_good(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    imgur.add_capture(f"http://i.imgur.com:80/{gone.id}.jpg", "20150102030405", body=gone.data)
    bad_nearest(imgur, gone)
    result = run_main("--wayback", "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234")[f"002-{gone.id}.jpg"] == gone.data
    # The placeholder is fetched once (not again when the index lists it), each link's index asked once at most,
    # HTTP 200 captures only.
    placeholder = uploaded(gone)
    assert [path for _, _, path, _ in _archive_requests(imgur) if path.startswith("/web/")] == [
        nearest(gone), f"/web/{placeholder}id_/https://i.imgur.com/{gone.id}.jpg", nearest(gone, "jpeg"),
        f"/web/{placeholder}id_/https://i.imgur.com/{gone.id}.jpeg",
        f"/web/20150102030405id_/http://i.imgur.com:80/{gone.id}.jpg"]
    (_, _, query), = [q for q in imgur.queries if q[1] == "/cdx/search/cdx"]
    assert query["url"] == [f"i.imgur.com/{gone.id}.jpg"] and query["filter"] == ["statuscode:200"]


def test_a_capture_that_cannot_be_written_here_is_said_so_and_no_other_is_asked_for(imgur: Imgur,
                                                                                    tmp_path: Path) -> None:
    # A folder stands where the file is written until it is whole: no capture could be saved there, and each was
    # asked for all the same (its nearest of each link, the index, the index's captures), then said "no good".
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    for stamp in ("20150102030405", "20160102030405", "20170102030405"):
        imgur.add_capture(f"http://i.imgur.com:80/{gone.id}.jpg", stamp, body=gone.data)
    in_the_way = tmp_path / "AbC1234" / f"002-{gone.id}.jpg.part"
    in_the_way.mkdir(parents=True)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert (f"imgur-dl: error: AbC1234/{gone.id}: removed from Imgur; its capture of 20170102030405 in the Wayback "
            f"Machine could not be saved: cannot write {in_the_way.with_suffix('')}: a folder stands at "
            f"{in_the_way.name}") in result.err.splitlines(), result.err
    assert [path for _, _, path, _ in _archive_requests(imgur)] == [
        nearest(gone), f"/web/20170102030405id_/http://i.imgur.com:80/{gone.id}.jpg"]


def test_nothing_is_sent_to_archive_org_without_wayback(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    imgur.add_capture(f"https://i.imgur.com/{album.images[1].id}.jpeg", body=album.images[1].data)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", "https://imgur.com/GoNe123")
    assert result.code == 3, result
    assert f"{album.images[1].id}: removed from Imgur" in result.err
    assert _archive_requests(imgur) == []


def test_a_file_imgur_still_serves_is_not_looked_for_there_when_it_fails(imgur: Imgur, tmp_path: Path) -> None:
    # --wayback is for what Imgur no longer serves: a file that fails otherwise (a server error, too many bytes,
    # a disk) keeps its own reason, and its link is not sent to archive.org, though a capture would have done.
    album = imgur.add_album("AbC1234", count=3, size=20_000)
    failing = album.images[1]
    imgur.add_capture(f"https://i.imgur.com/{failing.id}.jpeg", body=failing.data)
    imgur.faults.append(Fault("status", path=f"/{failing.id}\\..*", status=500, body=b"oops"))
    result = run_main("--wayback", "--retries", "0", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{failing.id}: HTTP 500" in result.err and "Wayback" not in result.err, result.err
    assert _archive_requests(imgur) == []
    assert len(files_under(tmp_path)) == 2


def test_a_removed_direct_link_is_recovered(imgur: Imgur, tmp_path: Path) -> None:
    data = fake_bytes("GoNe123", 9_000, "png")
    imgur.add_capture("https://i.imgur.com/GoNe123.png", "20190101000000", body=data)
    result = run_main("--wayback", "-o", str(tmp_path), "https://i.imgur.com/GoNe123.png")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"GoNe123.png": data}


@pytest.mark.parametrize("given", ["https://i.imgur.com/GoNe123.png", "https://imgur.com/GoNe123"])
@pytest.mark.parametrize("good", [True, False])
def test_a_capture_of_removed_png_is_no_png_imgur_knows_no_more(imgur: Imgur, tmp_path: Path, given: str,
                                                                 good: bool) -> None:
    # A PNG Imgur knows no more, whose width and height no API answer gives: a capture of Imgur's removed.png at its
    # link (taken once the file was gone) was saved as the file, newest first, over the good one before it.
    data = fake_bytes("GoNe123", 9_000, "png")
    if good:
        imgur.add_capture("https://i.imgur.com/GoNe123.png", "20150101000000", body=data)
    imgur.add_capture("https://i.imgur.com/GoNe123.png", "20230101000000", body=REMOVED_PNG, mimetype="image/png")
    result = run_main("--wayback", "-o", str(tmp_path), given)
    assert result.code == (0 if good else 1), result
    assert files_under(tmp_path) == ({"GoNe123.png": data} if good else {})
    assert good or "removed.png" in result.err


@pytest.mark.parametrize("given", ["https://i.imgur.com/GoNe123.png", "https://imgur.com/GoNe123"])
@pytest.mark.parametrize("good", [True, False])
def test_a_capture_cut_short_as_it_was_made_is_no_file(imgur: Imgur, tmp_path: Path, given: str, good: bool) -> None:
    # A crawl that recorded a transfer cut part way: the capture's replay is whole, of fewer bytes than the file had,
    # which its original Content-Length says (X-Archive-Orig-Content-Length). Of a file Imgur knows no more, whose
    # size no API answer gives, it was saved as the file, newest first, over a whole capture before it.
    data = fake_bytes("GoNe123", 9_000, "png")
    if good:
        imgur.add_capture("https://i.imgur.com/GoNe123.png", "20150101000000", body=data)
    imgur.add_capture("https://i.imgur.com/GoNe123.png", "20230101000000", body=data[:4_000], recorded_of=len(data))
    result = run_main("--wayback", "-o", str(tmp_path), given)
    assert result.code == (0 if good else 1), result
    assert files_under(tmp_path) == ({"GoNe123.png": data} if good else {})
    assert good or "the capture was cut short as it was made (4000 of the file's 9000 bytes)" in result.err


def test_an_id_imgur_no_longer_knows_is_found_by_its_captured_link(imgur: Imgur, tmp_path: Path) -> None:
    data = fake_bytes("GoNe123", 9_000, "gif")
    imgur.add_capture("http://i.imgur.com/GoNe123.gif", "20140101000000", body=data)
    imgur.add_capture("http://i.imgur.com/GoNe123h.gif", "20140101000000", body=data[:100])  # a thumbnail
    result = run_main("--wayback", "--gif", "-o", str(tmp_path), "https://imgur.com/GoNe123")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"GoNe123.gif": data}


def _index_queries(imgur: Imgur) -> list[tuple[str, str]]:
    """What the index was asked: each query's url, and its matchType when it gives one."""
    return [(q["url"][0], q.get("matchType", [""])[0]) for _, path, q in imgur.queries if path == "/cdx/search/cdx"]


def test_an_id_imgur_no_longer_knows_is_looked_up_in_the_index_once(imgur: Imgur, tmp_path: Path) -> None:
    # The look-up that found which file the id was listed that file's captures: they are tried, not asked again
    # (a JPEG's two links among them).
    data = fake_bytes("GoNe123", 9_000, "jpg")
    imgur.add_capture("https://i.imgur.com/GoNe123.jpeg", "20180101000000", body=data)
    imgur.add_capture("https://i.imgur.com/gone123.jpg", "20190101000000", body=data[:100])  # (another file)
    result = run_main("--wayback", "-o", str(tmp_path), "https://imgur.com/GoNe123")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"GoNe123.jpg": data}
    assert _index_queries(imgur) == [("i.imgur.com/GoNe123.", "prefix")]


def test_an_id_whose_look_up_may_have_left_captures_out_is_looked_up_again_by_link(imgur: Imgur,
                                                                                    tmp_path: Path) -> None:
    # An answer as long as the limit (200 rows, the last ones) may have left out some of the id's captures: its
    # files' own links are looked up.
    data = fake_bytes("GoNe123", 9_000, "jpg")
    imgur.add_capture("https://i.imgur.com/GoNe123.jpeg", "20180101000000", body=data)
    rows = [["timestamp", "original", "mimetype", "statuscode"], ["20180101000000", "https://i.imgur.com/GoNe123.jpeg",
                                                                   "image/jpeg", "200"],
            *[[f"2017{n:010d}", "https://i.imgur.com/GoNe123.webm", "video/webm", "200"] for n in range(199)]]
    imgur.faults.append(Fault("status", host="web.archive.org", path="/cdx/search/cdx", attempts={1}, status=200,
                              body=json.dumps(rows).encode()))
    result = run_main("--wayback", "-o", str(tmp_path), "https://imgur.com/GoNe123")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"GoNe123.jpg": data}
    assert _index_queries(imgur) == [("i.imgur.com/GoNe123.", "prefix"), ("i.imgur.com/GoNe123.jpg", ""),
                                      ("i.imgur.com/GoNe123.jpeg", "")]


def test_a_whole_album_imgur_no_longer_knows_is_said_to_be_out_of_reach(imgur: Imgur, tmp_path: Path) -> None:
    result = run_main("--wayback", "-o", str(tmp_path), "https://imgur.com/a/GoNe123")
    assert result.code == 3, result
    assert "cannot bring back a whole album or post reliably" in result.err


def test_an_id_imgur_no_longer_knows_that_the_archive_cannot_bring_back_is_said_so_and_the_others_are_saved(
        imgur: Imgur, tmp_path: Path) -> None:
    # Beside an album Imgur still has: one id the index lists nothing for, one whose look-up goes unanswered.
    album = imgur.add_album("AbC1234", count=2, size=5_000)
    imgur.faults.append(Fault("status", host="web.archive.org", path="/cdx/search/cdx", status=200,
                              body=b"[]"))  # (the index's answer where it holds nothing)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234", "https://imgur.com/GoNe123")
    assert result.code == 3, result
    assert ("https://imgur.com/GoNe123: not found on Imgur, and the Wayback Machine has no capture of its file\n"
            in result.err)
    imgur.faults[-1] = Fault("status", host="web.archive.org", path="/cdx/search/cdx", status=503)
    result = run_main("--wayback", "-o", str(tmp_path / "again"), "imgur.com/a/AbC1234", "https://imgur.com/GoNe123")
    assert result.code == 3, result
    assert ("https://imgur.com/GoNe123: not found on Imgur; the Wayback Machine could not be asked "
            "(HTTP 503 Service Unavailable (after 6 attempts))\n" in result.err)
    for out in (tmp_path, tmp_path / "again"):
        assert files_under(out / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}


@pytest.mark.parametrize("header", [[["timestamp"]], [{"a": 1}, "original"], [None, 1.5]],
                         ids=["list", "object", "null and number"])
def test_an_index_answer_whose_header_names_no_fields_brings_nothing_back_and_costs_nothing_else(
        imgur: Imgur, tmp_path: Path, header: list[object]) -> None:
    # A header row of JSON that names no fields (a list or an object in it, which no field's name can be): it ended
    # the whole run, the album beside the id unsaved ("unexpected TypeError: unhashable type: 'list'").
    album = imgur.add_album("AbC1234", count=2, size=5_000)
    rows = [header, ["20180101000000", "https://i.imgur.com/GoNe123.jpeg"][:len(header)]]
    imgur.faults.append(Fault("status", host="web.archive.org", path="/cdx/search/cdx", status=200,
                              body=json.dumps(rows).encode()))
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234", "https://imgur.com/GoNe123")
    assert result.code == 3, result
    assert "https://imgur.com/GoNe123: not found on Imgur, and the Wayback Machine has no capture" in result.err
    assert len(files_under(tmp_path / "AbC1234")) == len(album.images)


def test_a_bug_while_asking_the_archive_for_an_id_fails_that_url_only(imgur: Imgur, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # The archive is asked where Imgur answers 404: a bug met there ended the whole run, other albums unsaved.
    album = imgur.add_album("AbC1234", count=2, size=5_000)

    def broken(self: Wayback, media_id: str) -> str | None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Wayback, "find_extension", broken)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234", "https://imgur.com/GoNe123")
    assert result.code == 1, result
    assert "https://imgur.com/GoNe123: unexpected RuntimeError (a bug; --debug shows it)\n" in result.err
    assert len(files_under(tmp_path / "AbC1234")) == len(album.images)
    with pytest.raises(RuntimeError, match="a bug"):  # (--debug: the whole of it, as a bug anywhere else)
        run_main("--debug", "--wayback", "-o", str(tmp_path), "https://imgur.com/GoNe123")


def test_no_capture_fails_by_id(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{album.images[1].id}: removed from Imgur; no capture in the Wayback Machine" in result.err
    assert len(files_under(tmp_path)) == 2


def test_what_is_wrong_with_a_capture_is_said_of_the_archive_not_of_imgur(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    url = f"https://i.imgur.com/{gone.id}.jpeg"
    imgur.add_capture(url, "20230601000000", body=gone.data)
    imgur.faults.append(Fault("status", host="web.archive.org", path="/web/20230601000000id_/.*", status=404))
    imgur.add_capture(url, "20220601000000", body=SITE_SHELL, mimetype="image/jpeg")  # a page, mislabelled
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert (f"{gone.id}: removed from Imgur; no good capture in the Wayback Machine (20230601000000: not in the "
            "Wayback Machine (HTTP 404); 20220601000000: the Wayback Machine answered with a web page, not the "
            "file)") in result.err


def test_only_a_redirect_capture_is_no_capture(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    imgur.add_capture(f"https://i.imgur.com/{gone.id}.jpeg", "20230601000000", status=302,
                      location="https://i.imgur.com/removed.png")
    imgur.add_capture("https://i.imgur.com/removed.png", "20230601000001", body=REMOVED_PNG)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert (f"{gone.id}: removed from Imgur; no good capture in the Wayback Machine (20230601000000: refused "
            "Imgur's removed.png, captured once the file was gone (in a redirect))") in result.err
    assert imgur.requests_to("web.archive.org", "/web/20230601000001id_/.*") == []  # (removed.png: not followed)
    assert imgur.requests_to("web.archive.org", "/web/20230601000000id_/.*") != []


def test_a_capture_of_another_image_whose_id_differs_in_case_is_not_taken(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    other = gone.id.swapcase()
    imgur.add_capture(f"https://i.imgur.com/{other}.jpeg", body=fake_bytes(other, len(gone.data), "jpg"))
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "no capture in the Wayback Machine" in result.err
    # Its nearest capture, pointed to by the archive (whose index is case-insensitive), is never fetched.
    assert imgur.requests_to("web.archive.org", r"/web/\d{14}id_/.*") == []
    assert _index_queries(imgur) == [(f"i.imgur.com/{gone.id}.jpeg", "")]
    assert not any(gone.id in name for name in files_under(tmp_path / "AbC1234"))


def test_html_and_placeholder_captures_are_passed_over_for_a_good_one(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    url = f"https://i.imgur.com/{gone.id}.jpeg"
    imgur.add_capture(url, "20100101000000", body=gone.data)  # the oldest, and the only good one
    imgur.add_capture(url, "20200101000000", body=SITE_SHELL, mimetype="text/html")  # filtered by type
    imgur.add_capture(url, "20210101000000", body=SITE_SHELL, mimetype="image/jpeg")  # a page, mislabelled
    imgur.add_capture(url, "20251001000000", body=REGION_PNG, mimetype="image/png")  # captured from the UK
    imgur.add_capture(url, "20240101000000", body=REMOVED_PNG, mimetype="image/png")
    result = run_main("--wayback", "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234")[f"002-{gone.id}.jpg"] == gone.data
    row = next(r for r in map(json.loads, result.out.splitlines()) if r["id"] == gone.id)
    assert row["capture"] == "20100101000000"


@pytest.mark.parametrize("junk", ["http://[i.imgur.com/{id}.jpeg", "https://i.imgur.com\u2100/{id}.jpeg"])
def test_a_row_of_the_index_that_names_no_file_is_passed_over(imgur: Imgur, tmp_path: Path, junk: str) -> None:
    # An original URL no program can read (an unclosed '[', a character Unicode reads as '/': '\u2100' is "a/c")
    # names no file: its row is left out, and the file is recovered from the next.
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    url = f"https://i.imgur.com/{gone.id}.jpeg"
    imgur.add_capture(url, "20100101000000", body=gone.data)
    bad_nearest(imgur, gone)
    rows = [["timestamp", "original", "mimetype", "statuscode"], ["20200101000000", junk.format(id=gone.id),
                                                                    "image/jpeg", "200"],
            ["20100101000000", url, "image/jpeg", "200"]]
    imgur.faults.append(Fault("status", host="web.archive.org", path="/cdx/search/cdx", status=200,
                              body=json.dumps(rows).encode()))
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234")[f"002-{gone.id}.jpg"] == gone.data
    assert [path for _, _, path, _ in imgur.log if path.startswith("/web/2010")] == [f"/web/20100101000000id_/{url}"]


# What an index's "original" may hold: any text, leaning on what ends a URL's parts and on characters Unicode reads
# as one of them ('\u2100' "a/c", the full-width '/', '@', ':').
_ORIGINAL = st.text(st.sampled_from("ab.:/[]@?#%\u2100\uff0f\uff20\uff1a") | st.characters(), max_size=24)


@given(st.lists(st.tuples(st.sampled_from(["20100101000000", "20200101000000", "2020", ""]),
                          st.builds("{}{}".format, st.sampled_from(["", "http://", "https://i.imgur.com"]), _ORIGINAL),
                          st.sampled_from(["image/jpeg", "video/mp4", "text/html"]), st.sampled_from(["200", "404"])),
                max_size=5))
def test_any_rows_of_an_index_answer_give_captures_that_each_name_a_file(rows: list[tuple[str, str, str, str]]) -> None:
    found = _captures([["timestamp", "original", "mimetype", "statuscode"], *map(list, rows)])
    assert [c.timestamp for c in found] == sorted((c.timestamp for c in found), reverse=True)
    for capture in found:
        assert (capture.timestamp, capture.original, capture.mimetype, "200") in rows
        assert capture.file is not None and capture.file == same_file(capture.original)


_LINK = "https://i.imgur.com/AbC12xy.jpg"
_ASKED = f"https://web.archive.org/web/202405171234id_/{_LINK}"


# Any JSON an index may answer, leaning on the shape of a true answer (rows of strings, a header of field names).
_FIELD = st.sampled_from(["timestamp", "original", "mimetype", "statuscode", "20180101000000", _LINK, "image/jpeg",
                          "200"])
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _FIELD | st.text(),
                     lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=3), inner,
                                                                                   max_size=3),
                     max_leaves=20)


# (rows of one length, as a header and its rows are: fields of a true answer, or any JSON among them)
_TABLE = st.integers(0, 4).flatmap(lambda n: st.lists(st.lists(_FIELD | _FIELD | _JSON, min_size=n, max_size=n),
                                                      min_size=1, max_size=4))


@given(_TABLE | _JSON)
def test_whatever_json_an_index_answers_gives_captures_and_nothing_else(rows: object) -> None:
    for capture in _captures(rows):
        assert isinstance(capture, Capture) and capture.file == same_file(capture.original)


# Where the archive may point: a capture of the link (as its index spells originals, or as another file: case,
# extension, removed.png), or anything near that shape.
_POINTED = st.builds("{}/web/{}id_/{}".format,
                     st.sampled_from(["https://web.archive.org", "http://web.archive.org", ""]),
                     st.text("0123456789", min_size=14, max_size=14) | st.text("0123456789", min_size=12, max_size=13),
                     st.sampled_from([_LINK, "http://i.imgur.com:80/AbC12xy.jpg", "i.imgur.com/AbC12xy.jpg",
                                      _LINK.swapcase(), "https://i.imgur.com/AbC12xy.jpeg",
                                      "https://i.imgur.com/removed.png"]))
_ANYWHERE = st.builds("{}{}{}{}/{}".format,
                      st.sampled_from(["https://web.archive.org", "https://archive.org", "//web.archive.org", "",
                                       "https://evil.example", "https://web.archive.org:8"]),
                      st.sampled_from(["/web/", "/web", "/", "/save/"]),
                      st.text("0123456789", max_size=16), st.sampled_from(["id_", "", "im_", "id_/"]),
                      st.sampled_from([_LINK, "i.imgur.com/AbC12xy.jpg"]) | _ORIGINAL)


@given(st.sampled_from([302, 301, 307, 302, 200, 403, 404, 429, 503]), _POINTED | _ANYWHERE | st.none())
def test_a_nearest_capture_is_taken_only_as_one_of_exactly_the_link_asked_for(status: int,
                                                                              location: str | None) -> None:
    near = pointed_to(_ASKED, status, location)
    assert near.archived == (status != 404)
    if near.capture is not None:
        assert location is not None and status in (301, 302, 307)
        assert near.capture.file == same_file(_LINK) and re.fullmatch(r"\d{14}", near.capture.timestamp)
        # (what is then fetched stays on the archive, a capture of that file)
        capture_redirect(_ASKED, REPLAY.format(timestamp=near.capture.timestamp, original=near.capture.original))


def test_a_nearest_capture_pointed_to_is_the_one_fetched() -> None:
    near = pointed_to(_ASKED, 302, "/web/20240517123456id_/http://i.imgur.com:80/AbC12xy.jpg")
    assert near == Nearest(archived=True, capture=Capture("20240517123456", "http://i.imgur.com:80/AbC12xy.jpg", "",
                                                          "i.imgur.com/AbC12xy.jpg"))


def test_region_block_with_wayback_recovers_from_the_archive(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, size=20_000)
    for image in album.images:
        imgur.add_capture(f"https://i.imgur.com/{image.id}.jpeg", body=image.data)
    imgur.region_blocked = True
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert result.err.count("Imgur blocks this region") == 1
    assert "looking for each file in the Wayback Machine" in result.err
    assert files_under(tmp_path / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}


def _all_removed(imgur: Imgur, count: int, *, indexed: bool = False) -> AlbumData:
    """An album whose files Imgur removed, each captured as .jpg; ``indexed``: found only by a look-up in the index."""
    album = imgur.add_album("AbC1234", count=count, size=500)
    for image in album.images:
        image.removed = True
        imgur.add_capture(f"https://i.imgur.com/{image.id}.jpg", body=image.data)
        if indexed:
            bad_nearest(imgur, image)
    return album


def test_a_jpeg_captured_under_either_of_its_links_is_recovered(imgur: Imgur, tmp_path: Path) -> None:
    # The API spells a JPEG's link .jpeg; the links people shared for years, and most captures, are .jpg: the same
    # file on the CDN. The .jpg link is asked for first, the other only when it has no good capture; neither of
    # the index, when the captures nearest the upload are good or there are none.
    album = imgur.add_album("AbC1234", count=4, size=3_000)
    for image in album.images:
        image.removed = True
    first, second, third, fourth = album.images
    imgur.add_capture(f"http://i.imgur.com/{first.id}.jpg", body=first.data)
    imgur.add_capture(f"https://i.imgur.com/{second.id}.jpeg", body=second.data)
    imgur.add_capture(f"https://i.imgur.com/{third.id}.jpg", "20220101000000", body=REMOVED_PNG)  # (after it went)
    imgur.add_capture(f"https://i.imgur.com/{third.id}.jpeg", "20190101000000", body=third.data)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert files_under(tmp_path / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images[:3], 1)}
    asked = sorted(path for _, _, path, _ in _archive_requests(imgur) if re.fullmatch(r"/web/\d{12}id_/.*", path))
    assert asked == sorted([nearest(first), nearest(second), nearest(second, "jpeg"), nearest(third),
                            nearest(third, "jpeg"), nearest(fourth), nearest(fourth, "jpeg")])
    assert imgur.requests_to("web.archive.org", "/cdx/search/cdx") == []
    assert f"{fourth.id}: removed from Imgur; no capture in the Wayback Machine" in result.err


def test_the_archive_s_index_is_asked_under_its_limit_however_many_files_are_gone(imgur: Imgur,
                                                                                    tmp_path: Path) -> None:
    # 40 files to look up, the index taking 30 a minute: asked all at once, ten were refused, and an address
    # whose refusals go on for a minute is blocked for an hour.
    clock = FastClock()
    imgur.cdx_per_minute, imgur.archive_clock = 30, clock.now
    _all_removed(imgur, 40, indexed=True)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234", clock=clock)
    assert result.code == 0, result
    assert len(files_under(tmp_path / "AbC1234")) == 40
    assert imgur.cdx_refused == [] and not imgur.archive_blocked
    assert len(imgur.cdx_asked) == 40  # (each file looked up once)


def test_the_captures_nearest_the_uploads_are_asked_for_under_the_archive_s_limit(imgur: Imgur,
                                                                                   tmp_path: Path) -> None:
    # 16 files, each found by its capture nearest its upload: no look-up in the index, and those asked for at most
    # 240 a minute (each is followed by a fetch: 480 replays, 80% of the archive's 600).
    _all_removed(imgur, 16)
    started = time.monotonic()
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234", clock=FastClock())
    took = time.monotonic() - started
    assert result.code == 0, result
    assert len(files_under(tmp_path / "AbC1234")) == 16
    assert imgur.requests_to("web.archive.org", "/cdx/search/cdx") == []
    assert len(imgur.requests_to("web.archive.org", r"/web/\d{12}id_/.*")) == 16
    # The last started at least 15 gaps of 60/240 s after the first, on the run's clock: what did not pass
    # while the run took its time was waited (the run's only waits).
    assert sum(result.waits) >= 15 * 60 / 240 - took, (result.waits, took)


@pytest.mark.parametrize("answer", [
    Fault("status", status=200, body=b"\xff\xd8 a capture's bytes, never read"),  # (as for a whole timestamp)
    Fault("status", status=403, body=b"<html>Sorry. This URL has been excluded from the Wayback Machine.</html>"),
    Fault("redirect", headers={"Location": "https://web.archive.org/web/2024/https://i.imgur.com/x.jpg"}),
    Fault("redirect", headers={"Location": "https://web.archive.org/web/"}),
])
def test_a_nearest_capture_not_pointed_to_is_looked_up_in_the_index(imgur: Imgur, tmp_path: Path,
                                                                    answer: Fault) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    imgur.add_capture(f"https://i.imgur.com/{gone.id}.jpg", "20150102030405", body=gone.data)
    imgur.faults.append(replace(answer, host="web.archive.org", path=r"/web/\d{12}id_/.*"))
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234")[f"002-{gone.id}.jpg"] == gone.data
    assert _index_queries(imgur) == [(f"i.imgur.com/{gone.id}.jpg", "")]


def test_a_refusal_of_the_archive_s_index_stops_every_look_up_for_a_minute(imgur: Imgur, tmp_path: Path) -> None:
    # Another program on this address has used the minute's requests: the first look-up is refused (429, no
    # Retry-After), and the index is asked nothing more for a minute, by any thread.
    clock = FastClock()
    imgur.cdx_per_minute, imgur.archive_clock = 30, clock.now
    imgur.cdx_asked = [clock.now()] * 30
    _all_removed(imgur, 4, indexed=True)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234", clock=clock)
    assert result.code == 0, result
    assert len(files_under(tmp_path / "AbC1234")) == 4
    assert not imgur.archive_blocked
    assert 1 <= len(imgur.cdx_refused) <= 2, imgur.cdx_refused  # (a second look-up may have left before the 429)
    assert 60.0 in result.waits
    assert "imgur-dl: web.archive.org: HTTP 429 Too Many Requests - waiting 60s" in result.err, result.err


@pytest.mark.parametrize(("down", "tries"), [("blocked", 1 + 5), ("500", 1 + 5), ("429", 1 + 8)])
def test_an_archive_that_stops_answering_is_asked_nothing_more_after_three_look_ups(imgur: Imgur, tmp_path: Path,
                                                                                    down: str, tries: int) -> None:
    # The archive's firewall shuts this address out (after a minute of ignored 429s: for an hour), it is down, or
    # it refuses every request. Each look-up takes its retries (or its refusals); three in a row, and the other
    # files are failed without asking, each saying why.
    _all_removed(imgur, 8)
    imgur.archive_blocked = down == "blocked"
    if down != "blocked":
        imgur.faults.append(Fault("status", host="web.archive.org", path="/.*", status=int(down)))
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert result.err.count("the Wayback Machine is asked nothing more") == 1, result.err
    attempts = len(_archive_requests(imgur))
    assert attempts <= 4 * tries, attempts  # (a fourth look-up may be under way when the third fails)
    assert result.err.count("no answer to 3 look-ups in a row in this run") >= 1 + 4, result.err
    assert "files: 0 saved, 0 skipped, 8 failed" in result.err


def test_an_archive_that_answers_again_is_counted_afresh(imgur: Imgur, tmp_path: Path) -> None:
    # Look-ups one after another: two unanswered, one answered, two unanswered: never three in a row.
    run = build_run(replace(Options(), output=tmp_path, quiet=True, wayback=True), io.StringIO(), clock=FastClock())
    wayback = run.parts.wayback
    assert wayback is not None
    unanswered = set(range(1, 1 + 2 * 6)) | set(range(2 + 2 * 6, 2 + 4 * 6))  # (six attempts a look-up)
    imgur.faults.append(Fault("status", host="web.archive.org", path="/cdx/search/cdx", attempts=unanswered,
                              status=503))
    ends = []
    for n in range(6):
        try:
            ends.append(len(wayback.captures(f"https://i.imgur.com/Ab{n:05d}.jpeg")))
        except WaybackError as exc:
            ends.append(str(exc))
    assert list(run.events([])) == []  # (its end: the session and the rest put away)
    assert ends[2] == ends[5] == 0, ends
    assert [e for e in ends if e != 0] == ["HTTP 503 Service Unavailable (after 6 attempts)"] * 4, ends


def test_once_the_disk_is_full_no_file_is_looked_for_in_the_archive(imgur: Imgur, tmp_path: Path) -> None:
    # A file of Imgur's filled the disk while deleted ones waited their turn (the archive is asked a few a minute):
    # each was asked for, its capture fetched, and refused by the disk.
    run = build_run(replace(Options(), output=tmp_path, quiet=True, wayback=True), io.StringIO(), clock=FastClock())
    wayback = run.parts.wayback
    assert wayback is not None
    media = Media("Ab00000", 1, "", "", "image/jpeg", 1, 1, False, "",
                  (Source("https://i.imgur.com/Ab00000.jpeg", "jpg", 100),))
    album = Album("AbC1234", "", "", "https://imgur.com/a/AbC1234", "", True, (media,))
    gone = Result(Job(album, media, (tmp_path / "AbC1234" / "001-Ab00000.jpg",)), Status.FAILED, None,
                  error="removed from Imgur", gone=True)
    run.parts.downloader.disk_full.set()  # (as Imgur's downloader sets it: the disk is the Wayback Machine's too)
    assert wayback.recover(gone).error == "removed from Imgur; not looked for in the Wayback Machine: the disk is full"
    assert list(run.events([])) == []  # (its end: the session and the rest put away)
    assert _archive_requests(imgur) == []


class _AnotherRun(FastClock):
    """Another run starts the file while the archive's index asks for a wait (its Retry-After, 3 s), and finishes it
    while this run waits on it (a second's wait: other waits between are the archive's pacing)."""

    def __init__(self, part: Path, final: Path, data: bytes) -> None:
        super().__init__()
        self.part, self.final, self.data = part, final, data
        self.fd = -1

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if seconds == 3.0:
            self.fd = _hold(self.part, self.data[:2])
        elif self.fd >= 0 and seconds == 1.0:
            os.pwrite(self.fd, self.data, 0)
            os.replace(self.part, self.final)
            os.close(self.fd)
            self.fd = -1
        return super().wait(event, seconds)


def _refused_once(imgur: Imgur, retry_after: str) -> AlbumData:
    """An album whose second file Imgur removed, captured as .jpg, found by a look-up in the index, which first
    answers 429, ``retry_after``."""
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    imgur.add_capture(f"https://i.imgur.com/{gone.id}.jpg", body=gone.data)
    bad_nearest(imgur, gone)
    imgur.faults.append(Fault("status", host="web.archive.org", path="/cdx/search/cdx", attempts={1}, status=429,
                              headers={"Retry-After": retry_after}))
    return album


def test_a_file_another_run_finishes_while_it_is_looked_for_counts_as_skipped(imgur: Imgur, tmp_path: Path) -> None:
    album = _refused_once(imgur, "3")
    gone = album.images[1]
    name = f"002-{gone.id}.jpg"
    clock = _AnotherRun(tmp_path / "AbC1234" / f"{name}.part", tmp_path / "AbC1234" / name, gone.data)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234", clock=clock)
    assert result.code == 0, result
    assert "files: 2 saved, 1 skipped, 0 failed" in result.err, result.err
    assert files_under(tmp_path / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    assert imgur.requests_to("web.archive.org", "/web/2021.*") == []  # (the good capture never fetched)


def test_a_retry_after_of_the_archive_s_index_is_honoured(imgur: Imgur, tmp_path: Path) -> None:
    _refused_once(imgur, "7")
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert result.waits.count(7.0) == 1 and max(result.waits) == 7.0, result.waits  # (the others: pacing)


def test_a_wrong_sized_capture_is_not_saved(imgur: Imgur, tmp_path: Path) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    imgur.add_capture(f"https://i.imgur.com/{gone.id}.jpeg", body=gone.data[:-1] + b"")  # truncated capture
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "no good capture in the Wayback Machine" in result.err
    assert not any(gone.id in name for name in files_under(tmp_path / "AbC1234"))


@pytest.mark.long
def test_a_slow_archive_does_not_hold_up_files_imgur_serves(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=12, size=5_000)
    gone = album.images[0]
    gone.removed = True
    imgur.add_capture(f"https://i.imgur.com/{gone.id}.jpeg", body=gone.data)
    imgur.archive_delay = 0.5  # every answer of the archive takes half a second
    # One worker: were recoveries done in it, the first file (the gone one) would hold up all the others.
    result = run_main("--wayback", "-j", "1", "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    order = [json.loads(line)["id"] for line in result.out.splitlines()]
    assert order[-1] == gone.id  # the eleven Imgur files were all done while the archive answered
    assert len(order) == 12


def test_a_bug_while_recovering_fails_that_file_only(imgur: Imgur, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    album = imgur.add_album("AbC1234", count=3, size=5_000)
    album.images[1].removed = True

    def broken(self: Wayback, link: str, when: float) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Wayback, "nearest", broken)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"AbC1234/{album.images[1].id}: unexpected RuntimeError (a bug; --debug shows it)\n" in result.err
    assert "files: 2 saved, 0 skipped, 1 failed" in result.err  # the others are saved, the summary told
    with pytest.raises(RuntimeError, match="a bug"):  # (--debug: the whole of it, as a bug anywhere else)
        run_main("--debug", "--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")


def test_ctrl_c_while_recovering_ends_the_run_as_interrupted(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1, size=50_000)
    image = album.images[0]
    image.removed = True
    imgur.add_capture(f"https://i.imgur.com/{image.id}.jpeg", body=image.data)
    imgur.faults.append(Fault("stall", host="web.archive.org", path="/web/.*", after=1_000))

    sent = threading.Event()

    def ctrl_c() -> None:  # once the capture's download is under way
        if imgur.wait_until(lambda s: s.stalled >= 1):
            os.kill(os.getpid(), signal.SIGINT)
            sent.set()

    threading.Thread(target=ctrl_c, daemon=True).start()
    # (--timeout: were Ctrl-C lost, the test would fail in seconds, not wait out the stall)
    result = run_main("--wayback", "--timeout", "5", "--retries", "0", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert sent.is_set(), "the capture's download never started"
    assert result.code == 130, result
    assert "interrupted" in result.err
    assert f"{image.id}: " not in result.err  # not recorded as a failed file ("interrupted; interrupted")


def test_a_capture_replayed_from_another_time_is_followed_there(imgur: Imgur, tmp_path: Path) -> None:
    # The Wayback Machine sends a request for a time it cannot replay as it stands (a revisit record, a capture
    # moved) on to the nearest time it can: the same file, another timestamp. Followed; a redirect to another
    # file is not (test_hostile).
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    url = f"https://i.imgur.com/{gone.id}.jpeg"
    imgur.add_capture(url, "20230601000000", body=gone.data)
    imgur.faults.append(Fault("redirect", host="web.archive.org", path="/web/20230601000000id_/.*", attempts={1},
                              headers={"Location": f"https://web.archive.org/web/20230601000005id_/{url}"}))
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234")[f"002-{gone.id}.jpg"] == gone.data
    asked = [path for _host, _method, path, _headers in imgur.requests_to("web.archive.org", "/web/.*")]
    assert asked == [nearest(gone), nearest(gone, "jpeg"),
                     *(f"/web/{ts}id_/{url}" for ts in ("20230601000000", "20230601000005", "20230601000000"))]


_ELSEWHERE = "a capture of another file"


@pytest.mark.parametrize(("location", "why"), [
    ("https://web.archive.org/web/20230601000005id_/https://i.imgur.com/OtHeR12.jpeg", _ELSEWHERE),
    ("https://web.archive.org/web/20230601000005id_/https://i.imgur.com/removed.png",
     "Imgur's removed.png, captured once the file was gone"),
    ("https://evil.example/web/20230601000005id_/https://i.imgur.com/{id}.jpeg",
     "a media URL on another host (evil.example)"),
    ("https://imgur.com/{id}", "a media URL on another host (imgur.com)"),  # (the archive's, not Imgur's, redirect)
    ("https://web.archive.org/web/20230601000005id_/https://[i.imgur.com/{id}.jpeg",  # (naming no file)
     "a media URL with an unexpected path"),
])
def test_a_capture_replayed_as_another_file_is_refused(imgur: Imgur, tmp_path: Path, location: str, why: str) -> None:
    album = _album_with_a_removed_image(imgur)
    gone = album.images[1]
    imgur.add_capture(f"https://i.imgur.com/{gone.id}.jpeg", "20230601000000", body=gone.data)
    imgur.add_capture("https://i.imgur.com/OtHeR12.jpeg", "20230601000005", body=fake_bytes("OtHeR12", 900, "jpg"))
    imgur.add_capture("https://i.imgur.com/removed.png", "20230601000005", body=REMOVED_PNG)
    imgur.faults.append(Fault("redirect", host="web.archive.org", path="/web/20230601000000id_/.*",
                              headers={"Location": location.format(id=gone.id)}))
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert (f"{gone.id}: removed from Imgur; no good capture in the Wayback Machine (20230601000000: refused {why} "
            "(in a redirect))") in result.err
    assert not any(gone.id in name for name in files_under(tmp_path / "AbC1234"))
    assert imgur.requests_to("web.archive.org", "/web/20230601000005id_/.*") == []  # (not even asked)
