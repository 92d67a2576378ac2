"""A hostile server and a hostile folder: every promise holds whatever they do.

Nothing is written outside the output folder; a file under its final name is
whole and is what was asked for; nothing a server sends can make imgur-dl run
unbounded, print control bytes or lose the rest of the run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from imgur_dl.apiclient import MAX_ANSWER
from imgur_dl.cli import Environment, main
from imgur_dl.text import printable, shown, writer
from tests.conftest import files_under, run_main
from tests.standin import AlbumData, Fault, Imgur, _v3_image, v1_answer


def _album(imgur: Imgur, count: int = 2, size: int = 30_000) -> AlbumData:
    return imgur.add_album("AbC1234", count=count, size=size)


def _answer(imgur: Imgur, album_id: str, body: dict[str, object] | bytes, status: int = 200) -> None:
    """The API answers ``body`` for ``album_id`` (v1 and v3 alike)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    for path in (f"/post/v1/albums/{album_id}", f"/3/album/{album_id}"):
        imgur.faults.append(Fault("status", host="api.imgur.com", path=path, status=status, body=data))


def _outside(tmp_path: Path) -> Path:
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_bytes(b"precious")
    return victim


# -- the folder --------------------------------------------------------------

def test_planted_part_symlink_is_replaced_not_written_through(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur)
    out = tmp_path / "out"
    victim = _outside(tmp_path)
    folder = out / "AbC1234"
    folder.mkdir(parents=True)
    first = album.images[0]
    # One .part is a symlink to an outside file with "progress" to resume; one to a missing outside file.
    (folder / f"001-{first.id}.jpg.part").symlink_to(victim)
    (folder / f"002-{album.images[1].id}.jpg.part").symlink_to(tmp_path / "outside" / "created.txt")
    result = run_main("-o", str(out), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert victim.read_bytes() == b"precious"
    assert not (tmp_path / "outside" / "created.txt").exists()
    assert files_under(folder) == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    # The symlink was not taken for a partial file: nothing was resumed.
    assert all("range" not in h for (_, _, _, h) in imgur.requests_to("i.imgur.com"))


@pytest.mark.parametrize("template", [None, "{num}.{ext}"])  # (and where names are not made from ids)
def test_right_sized_symlink_at_the_final_name_is_not_taken_as_present(imgur: Imgur, tmp_path: Path,
                                                                       template: str | None) -> None:
    album = _album(imgur, count=1)
    image = album.images[0]
    victim = tmp_path / "outside.jpg"
    victim.write_bytes(b"x" * len(image.data))
    folder = tmp_path / "out" / "AbC1234"
    folder.mkdir(parents=True)
    name = f"001-{image.id}.jpg" if template is None else "1.jpg"
    (folder / name).symlink_to(victim)
    result = run_main("-o", str(tmp_path / "out"), *(["--name", template] if template else []), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "1 saved, 0 skipped" in result.err
    assert victim.read_bytes() == b"x" * len(image.data)
    final = folder / name
    assert not final.is_symlink() and final.read_bytes() == image.data


def test_planted_album_json_part_symlink(imgur: Imgur, tmp_path: Path) -> None:
    _album(imgur, count=1)
    victim = _outside(tmp_path)
    folder = tmp_path / "out" / "AbC1234"
    folder.mkdir(parents=True)
    (folder / "album.json.part").symlink_to(victim)
    (folder / "album.json").symlink_to(victim)
    result = run_main("--write-metadata", "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert victim.read_bytes() == b"precious"
    assert json.loads((folder / "album.json").read_text())["id"] == "AbC1234"
    assert not (folder / "album.json").is_symlink()


def test_symlinked_album_folder_is_refused(imgur: Imgur, tmp_path: Path) -> None:
    _album(imgur)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "AbC1234").symlink_to(elsewhere)
    result = run_main("-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "is a symlink or not a folder; refusing to write through it" in result.err
    assert list(elsewhere.iterdir()) == []
    assert imgur.requests_to("i.imgur.com") == []


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_a_folder_of_the_name_template_that_is_no_folder_is_refused_in_one_line(imgur: Imgur, tmp_path: Path,
                                                                               kind: str) -> None:
    album = _album(imgur)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "out" / "AbC1234"
    folder.mkdir(parents=True)
    if kind == "file":
        (folder / "sub").write_bytes(b"precious")
    else:
        (folder / "sub").symlink_to(elsewhere)
    result = run_main("-o", str(tmp_path / "out"), "--name", "sub/{index}-{id}.{ext}", "imgur.com/a/AbC1234")
    assert result.code == 1, result
    for image in album.images:  # each file's own line, saying what stands in the way: no bug
        assert f"AbC1234/{image.id}: {folder / 'sub'} is a symlink or not a folder; refusing to write through it" \
            in result.err, result
    assert "bug" not in result.err, result
    assert "files: 0 saved, 0 skipped, 2 failed" in result.err
    assert list(elsewhere.iterdir()) == []
    assert kind == "symlink" or (folder / "sub").read_bytes() == b"precious"


def test_names_fit_a_file_system_that_takes_short_ones(imgur: Imgur, short_names: Path) -> None:
    # An encrypted home folder (eCryptfs) takes names of 143 bytes: a long title (240 bytes of UTF-8) is cut to
    # fit, in the album's folder and in every file's name, those kept apart by their ids included.
    album = imgur.add_album("AbC1234", count=3, title="\u5199\u771f" * 40)
    result = run_main("--write-metadata", "--name", "{album_title}.{ext}", "-o", str(short_names),
                      "imgur.com/a/AbC1234")
    assert result.code == 0, result
    saved = files_under(short_names)
    pictures = sorted(data for path, data in saved.items() if not path.endswith("/album.json"))
    assert pictures == sorted(image.data for image in album.images), sorted(saved)
    names = {part for path in saved for part in Path(path).parts}
    assert all(len(name.encode()) <= 143 for name in names), names
    assert all(name.startswith("\u5199\u771f") or name.startswith("AbC1234 - \u5199\u771f") or name == "album.json"
               for name in names), names


def test_a_share_that_refuses_a_time_or_a_flush_keeps_every_file(imgur: Imgur, odd_share: Path) -> None:
    # A share whose files another user owns refuses their times (EPERM): each file is kept, dated when it came.
    # VirtualBox's shared folders offer no fsync (EINVAL): each file is kept once written.
    album = imgur.add_album("AbC1234", count=3)
    for rerun in (False, True):  # (and found there, whole, on a rerun)
        result = run_main("-o", str(odd_share), "imgur.com/a/AbC1234")
        assert result.code == 0, result
        assert f"files: {0 if rerun else 3} saved, {3 if rerun else 0} skipped, 0 failed" in result.err, result
    assert files_under(odd_share / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}


def test_an_archive_on_a_share_that_refuses_a_time_or_a_flush_keeps_its_records(imgur: Imgur, odd_share: Path,
                                                                                   tmp_path: Path) -> None:
    # SQLite flushes each commit (fsync): where that is refused, it is asked for none, and the archive works.
    imgur.add_album("AbC1234", count=3)
    for rerun in (False, True):
        result = run_main("--download-archive", str(odd_share / "seen.sqlite"), "-o", str(tmp_path / "out"),
                          "imgur.com/a/AbC1234")
        assert result.code == 0, result
        assert f"files: {0 if rerun else 3} saved, {3 if rerun else 0} skipped, 0 failed" in result.err, result
    assert imgur.requests_to("i.imgur.com") and len(imgur.requests_to("i.imgur.com")) == 3  # (none asked again)


def test_output_folder_itself_may_be_a_symlink(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=1)
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    result = run_main("-o", str(tmp_path / "link"), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(real) == {f"AbC1234/001-{album.images[0].id}.jpg": album.images[0].data}


# -- bounded everything --------------------------------------------------------

def test_endless_body_stops_at_the_api_size(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=2, size=1000)
    endless = album.images[0]
    imgur.faults.append(Fault("endless", path=f"/{endless.id}.*", body=endless.data[:100]))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{endless.id}: the server sent more than the 1000 bytes expected" in result.err
    assert sorted(files_under(tmp_path)) == [f"AbC1234/002-{album.images[1].id}.jpg"]  # no final name, no .part
    assert imgur.endless_sent < 8 * 1024 * 1024  # it hung up early: socket buffers, not the whole stream


@pytest.mark.parametrize("body", [b"", b'{"id": "AbC1234", "media": [', b'{"data": {"id": "AbC1234",'])
def test_an_answer_of_endless_white_space_is_refused_early(imgur: Imgur, tmp_path: Path, body: bytes) -> None:
    # White space is JSON, and was read on to the 128 MiB cap (40 s of a run, held whole on the way).
    _album(imgur, count=2)
    imgur.add_album("GoOd123", count=1)
    for path in ("/post/v1/albums/AbC1234", "/3/album/AbC1234"):
        imgur.faults.append(Fault("endless", host="api.imgur.com", path=path, body=body, fill=b" \r\n\t"))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/a/GoOd123")
    assert result.code == 1, result
    assert "AbC1234: unusable answer from the API (an answer of more than 1 MiB of white space in a row)" in result.err
    assert imgur.endless_sent < 16 * 1024 * 1024  # (socket buffers past the MiB: not the cap)
    assert len(files_under(tmp_path)) == 1  # the other album is fetched


def test_endless_body_without_any_size_stops_at_the_cap(imgur: Imgur, tmp_path: Path) -> None:
    gif = imgur.add_image("AnIm123", size=20_000, ext="gif", animated=True)  # v1 gives no MP4 size
    imgur.add_album("AbC1234", images=[gif])
    imgur.faults.append(Fault("endless", path=r"/AnIm123\.mp4", body=gif.mp4 or b""))
    imgur.faults.append(Fault("endless", path=r"/AnIm123\.gif", body=gif.data[:100]))
    result = run_main("--max-file-size", "1M", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "the server sent more than the 1048576 bytes expected" in result.err
    assert files_under(tmp_path) == {}
    assert imgur.endless_sent < 16 * 1024 * 1024


def test_a_size_over_the_limit_is_refused_before_a_byte_unless_the_api_gave_it(imgur: Imgur, tmp_path: Path) -> None:
    gif = imgur.add_image("AnIm123", size=20_000, ext="gif", animated=True)  # v1 gives no MP4 size: the CDN's 5000
    imgur.add_album("AbC1234", images=[gif])
    still = imgur.add_image("StIl123", size=20_000)  # the API's 20000
    result = run_main("--max-file-size", "4K", "-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/StIl123")
    assert result.code == 1, result
    assert "AbC1234/AnIm123: the file is 5000 bytes, more than the limit of 4096 (--max-file-size)" in result.err
    assert files_under(tmp_path) == {"StIl123.jpg": still.data}  # (no part file of the MP4)


@pytest.mark.parametrize("kind", ["endless", "endless-page", "deep", "huge-string"])
def test_unusable_api_answer_fails_that_album_only(imgur: Imgur, tmp_path: Path, kind: str) -> None:
    good = imgur.add_album("GoOd123", count=1)
    imgur.add_album("BaDd123", count=1)
    if kind == "endless":
        for path in ("/post/v1/albums/BaDd123", "/3/album/BaDd123"):
            imgur.faults.append(Fault("endless", host="api.imgur.com", path=path, body=b'{"data": "'))
    elif kind == "endless-page":  # a web page where JSON belongs (a captive portal, an error page), never ending
        for path in ("/post/v1/albums/BaDd123", "/3/album/BaDd123"):
            imgur.faults.append(Fault("endless", host="api.imgur.com", path=path, body=b"<!DOCTYPE html>\n<html>",
                                      fill=b"<p>Imgur is over capacity!</p>\n"))
    elif kind == "deep":
        _answer(imgur, "BaDd123", b"[" * 200_000 + b"]" * 200_000)
    else:
        _answer(imgur, "BaDd123", {"id": "BaDd123", "media": "x" * 1000})
    result = run_main("-o", str(tmp_path), "imgur.com/a/BaDd123", "imgur.com/a/GoOd123")
    assert result.code == 1, result
    assert "unusable answer from the API" in result.err
    assert "unexpected" not in result.err and "Traceback" not in result.err
    assert files_under(tmp_path) == {f"GoOd123/001-{good.images[0].id}.jpg": good.images[0].data}
    if kind.startswith("endless"):
        # Each answer, decoded as it comes, is refused at its first junk byte (a raw control character in a
        # string; a character no JSON text can go on from), not at the size bound.
        assert "(not JSON) (and the v3 API: unusable answer from the API (not JSON))" in result.err, result
        assert "MiB" not in result.err
        assert imgur.endless_sent < 16 * 1024 * 1024 < MAX_ANSWER  # (socket buffers)


# -- only Imgur, only HTTPS ---------------------------------------------------------

@pytest.mark.parametrize("url", ["https://evil.example/x.jpg", "http://127.0.0.1:9/x.jpg", "file:///etc/passwd",
                                 "https://i.imgur.com:8443/x.jpg", "https://user@i.imgur.com/x.jpg",
                                 "https://i.imgur.com/x.jpg\x1b[2J"])
def test_media_urls_off_imgur_are_refused_before_any_request(imgur: Imgur, tmp_path: Path, url: str) -> None:
    album = _album(imgur)
    body = v1_answer(album)
    body["media"][0]["url"] = url  # type: ignore[index]
    _answer(imgur, "AbC1234", body)
    result = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{album.images[0].id}: refused a" in result.err
    assert "\x1b" not in result.err + result.out
    failed = [row for line in result.out.splitlines() if (row := json.loads(line))["status"] == "failed"]
    assert [(r["id"], r["url"], r["error"][:9]) for r in failed] == [(album.images[0].id, None, "refused a")]
    requested = {path for (_, _, path, _) in imgur.requests_to("i.imgur.com")}
    assert requested == {f"/{album.images[1].id}.jpeg"}  # one request, for the good file only
    assert len(imgur.log) == 2  # the API call and that file: no retries

    # -g gives a script no link a download would not follow (the README pipes it into curl)
    listed = run_main("-g", "imgur.com/a/AbC1234")
    assert listed.code == 1, listed
    assert listed.out == f"https://i.imgur.com/{album.images[1].id}.jpeg\n"
    assert f"{album.images[0].id}: refused a" in listed.err
    assert "\x1b" not in listed.err
    listed = run_main("-g", "--json", "imgur.com/a/AbC1234")  # (a row for each file, the one refused a failure)
    assert listed.code == 1, listed
    rows = [json.loads(line) for line in listed.out.splitlines()]
    assert [(r["id"], r["status"], r["url"]) for r in rows] == [
        (album.images[0].id, "failed", None), (album.images[1].id, "listed",
                                               f"https://i.imgur.com/{album.images[1].id}.jpeg")]
    assert rows[0]["error"].startswith("refused a")
    assert listed.err.count("refused a") == 1
    assert len(imgur.log) == 4  # two more API calls: -g asks nothing of the CDN


def test_http_link_to_imgur_is_upgraded(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=1)
    body = v1_answer(album)
    body["media"][0]["url"] = f"http://i.imgur.com/{album.images[0].id}.jpeg?x=1"  # type: ignore[index]
    _answer(imgur, "AbC1234", body)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    listed = run_main("-g", "imgur.com/a/AbC1234")  # the link as it is fetched
    assert (listed.code, listed.out) == (0, f"https://i.imgur.com/{album.images[0].id}.jpeg\n"), listed


def test_an_animation_whose_mp4_link_is_off_imgur_is_given_as_its_gif(imgur: Imgur, tmp_path: Path) -> None:
    """The v3 API names an animation's MP4 apart from its GIF: an MP4 link a download refuses leaves the GIF,
    fetched and listed alike."""
    gif = imgur.add_image("AnIm123", size=5000, ext="gif", animated=True)
    imgur.add_album("AbC1234", images=[gif])
    item = {**_v3_image(gif), "mp4": "https://evil.example/AnIm123.mp4"}
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/albums/AbC1234", status=200,
                              body=b'"unusable"'))  # (so the v3 API is asked)
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/3/album/AbC1234", status=200, body=json.dumps(
        {"data": {"id": "AbC1234", "title": None, "images": [item]}, "success": True, "status": 200}).encode()))
    listed = run_main("-g", "imgur.com/a/AbC1234")
    assert (listed.code, listed.out) == (0, "https://i.imgur.com/AnIm123.gif\n"), listed
    row = json.loads(run_main("-g", "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234").out)
    assert (row["url"], Path(row["path"]).name, row["bytes"]) == ("https://i.imgur.com/AnIm123.gif",
                                                                  "001-AnIm123.gif", 5000)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"AbC1234/001-AnIm123.gif": gif.data}
    assert not imgur.requests_to("i.imgur.com", r"/AnIm123\.mp4")


def test_an_empty_answer_is_never_saved_as_the_file(imgur: Imgur, tmp_path: Path) -> None:
    # A whole answer of no bytes, of a media type (a CDN or a proxy gone wrong): an animation's MP4 (of no size the
    # API gives) was saved as an empty file; so was a picture the API says is of 0 bytes.
    gif = imgur.add_image("AnIm123", size=5000, ext="gif", animated=True)
    still = imgur.add_image("StIl123", size=3000)
    album = imgur.add_album("AbC1234", images=[gif, still])
    body = v1_answer(album)
    body["media"][1]["size"] = 0
    _answer(imgur, "AbC1234", body)
    for image, kind in ((gif, "mp4"), (still, "jpeg")):
        imgur.faults.append(Fault("status", path=rf"/{image.id}\.{kind}", status=200, body=b"",
                                  headers={"Content-Type": "video/mp4" if kind == "mp4" else "image/jpeg"}))
    result = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    rows = {row["id"]: (row["status"], row["bytes"], row["error"]) for row in map(json.loads, result.out.splitlines())}
    assert rows == {"AnIm123": ("saved", 5000, None),  # (its GIF, the MP4 being no file)
                    "StIl123": ("failed", 0, "Imgur answered with an empty body, not the file")}
    assert files_under(tmp_path) == {"AbC1234/001-AnIm123.gif": gif.data}


@pytest.mark.parametrize("location", ["https://evil.example/x.jpg", "http://evil.example/x.jpg",
                                      "ftp://i.imgur.com/x.jpg"])
def test_redirect_off_imgur_is_refused(imgur: Imgur, tmp_path: Path, location: str) -> None:
    album = _album(imgur, count=1)
    imgur.faults.append(Fault("redirect", path="/.*", headers={"Location": location}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{album.images[0].id}: refused a" in result.err and "(in a redirect)" in result.err
    assert len(imgur.requests_to("i.imgur.com")) == 1
    assert files_under(tmp_path) == {}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_within_the_cdn_is_followed_and_reported(imgur: Imgur, tmp_path: Path, status: int) -> None:
    album = _album(imgur, count=1)
    image = album.images[0]
    other = imgur.add_image("OtHeR12", size=len(image.data))
    other.data = image.data
    imgur.faults.append(Fault("status", path=f"/{image.id}.jpeg", status=status,
                              headers={"Location": "http://i.imgur.com/OtHeR12.jpg"}))
    result = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert json.loads(result.out)["url"] == "https://i.imgur.com/OtHeR12.jpg"  # where the bytes came from


@pytest.mark.parametrize("location", ["OtHeR12.jpg", "./OtHeR12.jpg", "../OtHeR12.jpg"])
def test_a_relative_redirect_on_the_cdn_is_followed_from_the_file_asked_for(imgur: Imgur, tmp_path: Path,
                                                                            location: str) -> None:
    album = _album(imgur, count=1)
    image = album.images[0]
    other = imgur.add_image("OtHeR12", size=len(image.data))
    other.data = image.data
    imgur.faults.append(Fault("status", path=f"/{image.id}.jpeg", status=302, headers={"Location": location}))
    result = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert json.loads(result.out)["url"] == "https://i.imgur.com/OtHeR12.jpg"
    assert files_under(tmp_path) == {f"AbC1234/001-{image.id}.jpg": image.data}


@pytest.mark.parametrize("location", ["https://api.imgur.com/x", "https://api.imgur.com/\u00ff"])  # (not UTF-8)
def test_an_api_redirect_is_not_followed_whatever_its_location(imgur: Imgur, tmp_path: Path, location: str) -> None:
    _album(imgur, count=1)
    imgur.faults.append(Fault("status", host="api.imgur.com", status=302, headers={"Location": location}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert (result.code, result.err.splitlines()[0]) == (1, (
        "imgur-dl: error: imgur.com/a/AbC1234: the API answered with a redirect (HTTP 302); not followed (and the v3 "
        "API: the API answered with a redirect (HTTP 302); not followed)")), result
    assert [host for host, _, _, _ in imgur.log if host != "api.imgur.com"] == []


def test_a_redirect_of_the_archive_s_index_is_not_followed_whatever_its_location(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=1)
    album.images[0].removed = True
    imgur.faults.append(Fault("status", host="web.archive.org", status=302, headers={"Location": "/\u00ff"}))
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert (f"AbC1234/{album.images[0].id}: removed from Imgur; the Wayback Machine could not be asked (HTTP 302 "
            "Found)") in result.err


def test_redirect_loop_fails_at_once_in_words(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=1)
    imgur.faults.append(Fault("redirect", path="/.*", headers={"Location": f"/{album.images[0].id}.jpeg"}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "more than 5 redirects (a redirect loop)" in result.err
    assert len(imgur.requests_to("i.imgur.com")) == 6
    assert "TooManyRedirects" not in result.err


# -- safe to print -------------------------------------------------------------------

def test_escape_sequences_from_the_server_are_never_printed(imgur: Imgur, tmp_path: Path) -> None:
    _album(imgur)
    evil = "gone \x1b]0;pwned\x07 \x1b[2J \x9b31m \x7f"
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/albums/AbC1234", status=404,
                              body=json.dumps({"errors": [{"detail": evil}]}).encode()))
    title_album = imgur.add_album("TiTl123", count=2, title="\x1b[31mred\x1b[0m")
    title_album.images[0].reported_size = 1  # fails: its message carries nothing raw either (the other is saved)
    result = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/a/TiTl123",
                      "https://imgur.com/a/\x1b[2Jxx")
    for text in (result.out, result.err):
        assert not any((ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f for c in text), repr(text)
    assert "\\x1b[2J" in result.err  # escaped, still readable
    assert [p.name for p in tmp_path.iterdir()] == ["TiTl123 - [31mred[0m"]  # control characters dropped from names


def test_json_lines_survive_any_stdout_encoding(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1, title="Åsa 日本 😀")
    album.images[0].title = "naïve ☃"
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="cp1252")
    err = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    code = main(["--json", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234"],
                Environment(stdin=io.StringIO(), stdout=out, stderr=err, stderr_isatty=False,
                            environ=dict(os.environ)))
    out.flush()
    assert code == 0
    row = json.loads(raw.getvalue().decode("cp1252"))
    assert row["path"].endswith("AbC1234 - Åsa 日本 😀/001-" + album.images[0].id + ".jpg")


# -- one bad album fails alone ------------------------------------------------------------

def test_an_item_whose_id_is_not_an_imgur_id_fails_alone(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=4)
    good = imgur.add_album("GoOd123", count=1)
    body = v1_answer(album)
    media = body["media"]
    media[0]["id"], media[1]["id"], media[2]["id"] = "dup_x", "dup/x", media[2]["id"] + "\n"  # type: ignore[index]
    _answer(imgur, "AbC1234", body)
    result = run_main("--json", "--name", "{id}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234",
                      "imgur.com/a/GoOd123")
    assert result.code == 1, result
    assert "AbC1234/item 1: unusable answer from the API (no valid media id: 'dup_x')" in result.err
    assert "AbC1234/item 2: unusable answer from the API (no valid media id: 'dup/x')" in result.err
    assert f"AbC1234/item 3: unusable answer from the API (no valid media id: '{album.images[2].id}\\n')" \
        in result.err  # matched whole: a trailing newline is no part of an id; the id is shown escaped
    assert "files: 2 saved, 0 skipped, 3 failed" in result.err
    assert files_under(tmp_path) == {f"AbC1234/{album.images[3].id}.jpg": album.images[3].data,
                                     f"GoOd123/{good.images[0].id}.jpg": good.images[0].data}
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert sorted(r["status"] for r in rows) == ["failed", "failed", "failed", "saved", "saved"]


def test_an_album_none_of_whose_items_will_do_is_asked_of_the_other_api(imgur: Imgur, tmp_path: Path) -> None:
    # Every item unusable is no album: the v1 answer is refused whole, and the v3 API, asked next, gives it.
    album = imgur.add_album("AbC1234", count=2)
    body = v1_answer(album)
    for item in body["media"]:
        item["id"] = "dup_x"
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/albums/AbC1234", status=200,
                              body=json.dumps(body).encode()))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234") == {f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    assert len(imgur.requests_to("api.imgur.com", "/3/album/AbC1234")) == 1


def test_names_that_clash_after_sanitising_are_kept_apart(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur)
    album.images[0].title, album.images[1].title = "a/b", "a_b"
    result = run_main("--name", "{title}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert sorted(files_under(tmp_path / "AbC1234")) == ["a_b (" + album.images[1].id + ").jpg", "a_b.jpg"]


@pytest.mark.parametrize("kind", ["pictures of one size", "animations"])
def test_a_file_the_archive_has_keeps_its_name_from_the_next_of_that_name_in_its_album(
        imgur: Imgur, tmp_path: Path, kind: str) -> None:
    # Two untitled items, the second failing at first: the rerun, the first in the archive, must not give the
    # second the first's name and take the file there for its own (of its size, or an MP4, whose size the API
    # does not give): it would be skipped, and recorded done, never fetched.
    if kind == "animations":
        first, second = (imgur.add_image(f"GiF000{n}", size=3_000, ext="gif", animated=True) for n in (1, 2))
    else:
        first, second = (imgur.add_image(f"JpG000{n}", size=3_000) for n in (1, 2))
    imgur.add_album("AbC1234", images=[first, second])
    imgur.faults.append(Fault("status", path=f"/{second.id}\\..*", status=500, attempts={1}))
    args = ("--download-archive", str(tmp_path / "seen.sqlite"), "--retries", "0", "--json", "--name", "{title}.{ext}",
            "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert run_main(*args).code == 1
    result = run_main(*args)
    assert result.code == 0, result
    ext = "mp4" if kind == "animations" else "jpg"
    rows = {row["id"]: row for row in map(json.loads, result.out.splitlines())}
    assert rows[second.id]["status"] == "saved", result
    assert files_under(tmp_path / "AbC1234") == {
        f"_.{ext}": first.mp4 or first.data, f"_ ({second.id}).{ext}": second.mp4 or second.data}


@pytest.mark.parametrize("etag", ["the body's MD5", "a multipart upload's"])
@pytest.mark.parametrize("archive", [False, True])
def test_an_animation_named_as_another_post_s_is_not_taken_for_it(
        imgur: Imgur, tmp_path: Path, archive: bool, etag: str) -> None:
    # Two untitled animations, posts of their own, under --name '{title}.{ext}': the API gives no size of an MP4,
    # so the file at the name cannot be told by its size. The new post, named first, was taken for the other's file
    # there (skipped, recorded done, never fetched); now the CDN's answer tells (its ETag, else its length).
    old, new = (imgur.add_image(image_id, size=size, ext="gif", animated=True)
                for image_id, size in (("OlDaN1m", 3_000), ("NeWaN1m", 3_400)))
    if etag == "a multipart upload's":
        old.etag = new.etag = '"0f3c6a19e5b1d5c3f1a0b9e8d7c6b5a4-2"'
    out = tmp_path / "out"
    args = ["--json", "--name", "{title}.{ext}", "-o", str(out)]
    if archive:
        args += ["--download-archive", str(tmp_path / "seen.sqlite")]
    assert run_main(*args, "imgur.com/OlDaN1m").code == 0
    assert old.mp4 is not None and new.mp4 is not None and files_under(out) == {"_.mp4": old.mp4}
    result = run_main(*args, "imgur.com/NeWaN1m", "imgur.com/OlDaN1m")
    assert result.code == 0, result
    rows = {row["id"]: row for row in map(json.loads, result.out.splitlines())}
    assert rows["NeWaN1m"]["status"] == "saved", result
    assert files_under(out) == {"_.mp4": old.mp4, "_ (NeWaN1m).mp4": new.mp4}  # (named after the new one this
    # time, and found where it was saved: not fetched again beside it)
    fetched = len(imgur.requests_to("i.imgur.com"))
    again = run_main(*args, "imgur.com/NeWaN1m", "imgur.com/OlDaN1m")
    assert again.code == 0 and "0 saved, 2 skipped" in again.err, again
    # (the new one found under the name that says its id; the old one at the name, asked of the CDN as an animation
    # at such a name is, on every run: its answer closed unread)
    assert len(imgur.requests_to("i.imgur.com")) == fetched + (0 if archive else 1)
    before = files_under(out)
    alone = run_main(*[arg for arg in args if arg != "--download-archive" and not arg.endswith(".sqlite")],
                     "imgur.com/OlDaN1m")  # (its file at the name, asked of the CDN: its bytes, not read again)
    assert alone.code == 0 and "0 saved, 1 skipped" in alone.err, alone
    assert [row["path"] for row in map(json.loads, alone.out.splitlines())] == [str(out / "_.mp4")]
    assert files_under(out) == before


@pytest.mark.parametrize("archive", [True, False])
def test_a_picture_of_another_post_s_size_at_its_name_is_not_taken_for_it(
        imgur: Imgur, tmp_path: Path, archive: bool) -> None:
    # Two untitled pictures of one size, posts of their own, under --name '{title}.{ext}'. The new post, named first,
    # found the other's file of its size there: skipped (recorded done), never fetched. With a download archive (a
    # fleet's: one name given to many posts' files at once, sizes alike are met), which has not the file yet, the
    # CDN's answer tells; without one, so does the file's time, the other post's upload time, not this one's.
    old, new = (imgur.add_image(image_id, size=2_000) for image_id in ("OlDpIc1", "NeWpIc1"))
    new.datetime += 3_600
    out = tmp_path / "out"
    args = ["--json", "--name", "{title}.{ext}", "-o", str(out)]
    if archive:
        args += ["--download-archive", str(tmp_path / "seen.sqlite")]
    assert run_main(*args, "imgur.com/OlDpIc1").code == 0
    result = run_main(*args, "imgur.com/NeWpIc1", "imgur.com/OlDpIc1")
    assert result.code == 0, result
    rows = {row["id"]: row for row in map(json.loads, result.out.splitlines())}
    assert (rows["NeWpIc1"]["status"], rows["NeWpIc1"]["path"]) == ("saved", str(out / "_ (NeWpIc1).jpg")), result
    assert files_under(out) == {"_.jpg": old.data, "_ (NeWpIc1).jpg": new.data}  # (named after the new one, and
    # found where it was saved)
    if not archive:  # (each is told its own by its name or its time: nothing asked of the CDN)
        imgur.log.clear()
        again = run_main(*args, "imgur.com/NeWpIc1", "imgur.com/OlDpIc1")
        assert again.code == 0 and "0 saved, 2 skipped" in again.err, again
        assert imgur.requests_to("i.imgur.com") == []


def test_an_undated_file_at_a_name_not_made_from_ids_is_asked_of_the_cdn_and_keeps_its_time(
        imgur: Imgur, tmp_path: Path) -> None:
    # Undated (saved with --no-mtime, or copied), the file at the name is asked of the CDN on each run; found to be
    # the image's, it is skipped, its time left as it is (a repost's bytes at that name are another post's file too,
    # dated with its own upload time).
    image = imgur.add_image("OnLyPic", size=2_000)
    args = ["--json", "--name", "{title}.{ext}", "-o", str(tmp_path), "imgur.com/OnLyPic"]
    assert run_main(*args, "--no-mtime").code == 0
    written = (tmp_path / "_.jpg").stat().st_mtime
    for _ in range(2):
        imgur.log.clear()
        result = run_main(*args)
        assert result.code == 0 and "0 saved, 1 skipped" in result.err, result
        assert len(imgur.requests_to("i.imgur.com")) == 1
    assert files_under(tmp_path) == {"_.jpg": image.data}
    assert (tmp_path / "_.jpg").stat().st_mtime == written


def test_a_repost_undated_at_a_name_not_made_from_ids_is_found_at_the_file_of_its_very_bytes(
        imgur: Imgur, tmp_path: Path) -> None:
    # Its very bytes under another id, at the name they share (saved with --no-mtime: the time tells nothing): the
    # CDN answers those bytes for it, and it is said skipped at that file, not saved beside it as a second copy.
    # Bytes of another picture of that size there are another post's: it is fetched, kept apart by its id.
    first, repost, other = (imgur.add_image(image_id, size=2_000) for image_id in ("FiRsT12", "RePoSt1", "OtHeR12"))
    repost.data = first.data
    args = ["--json", "--no-mtime", "--name", "{title}.{ext}", "-o", str(tmp_path)]
    assert run_main(*args, "imgur.com/FiRsT12").code == 0
    result = run_main(*args, "imgur.com/RePoSt1", "imgur.com/OtHeR12")
    assert result.code == 0, result
    assert {row["id"]: (row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())} == {
        "RePoSt1": ("skipped", str(tmp_path / "_.jpg")), "OtHeR12": ("saved", str(tmp_path / "_ (OtHeR12).jpg"))}
    assert files_under(tmp_path) == {"_.jpg": first.data, "_ (OtHeR12).jpg": other.data}


@pytest.mark.parametrize("first", ["--gif", "its MP4 refused"])
def test_an_animation_saved_as_its_gif_at_a_name_not_made_from_ids_is_not_fetched_again_as_its_mp4(
        imgur: Imgur, tmp_path: Path, first: str) -> None:
    # Saved as its GIF (asked for with --gif, or its MP4 refused once), undated, at a name another post's file may
    # have: the GIF there is asked of the CDN, as a GIF at a name made from its id is skipped. Before, the MP4 was
    # asked first, saved beside it: two files of one image, on the first rerun.
    image = imgur.add_image("AnIm123", size=3_000, ext="gif", animated=True)
    args = ["--json", "--no-mtime", "--name", "{title}.{ext}", "-o", str(tmp_path), "imgur.com/AnIm123"]
    if first == "--gif":
        assert run_main(*args, "--gif").code == 0
    else:
        imgur.faults.append(Fault("status", path=r"/AnIm123\.mp4", attempts={1}, status=429))
        assert "MP4 not served (429 Too Many Requests); trying GIF" in run_main(*args).err
    assert files_under(tmp_path) == {"_.gif": image.data}
    for _ in range(2):
        imgur.log.clear()
        result = run_main(*args)
        assert result.code == 0, result
        assert [(row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())] == [
            ("skipped", str(tmp_path / "_.gif"))], result
        assert [path for _, _, path, _ in imgur.requests_to("i.imgur.com")] == ["/AnIm123.gif"]
    assert files_under(tmp_path) == {"_.gif": image.data}


def test_a_file_of_no_known_format_is_never_taken_for_an_image_of_no_size_the_api_gives(imgur: Imgur,
                                                                                        tmp_path: Path) -> None:
    # An animation's MP4 (of no size the API gives) was taken for whatever stood at its name that no check refused:
    # a text at its own name was skipped for good; and once Imgur removed it, the album's album.json at the name its
    # uploader gave it ("album.json", under --name '{name}') was said to be it.
    kept = imgur.add_image("AnIm123", size=3_000, ext="gif", animated=True)
    gone = imgur.add_image("GoNe123", size=2_000, ext="gif", animated=True, name="album.json")
    imgur.add_album("AbC1234", images=[kept, gone])
    folder = tmp_path / "AbC1234"
    folder.mkdir()
    (folder / "AnIm123.mp4").write_text("not a video\n" * 20)
    result = run_main("--json", "--name", "{id}.{ext}", "--dir", "{album_id}", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert (folder / "AnIm123.mp4").read_bytes() == kept.mp4
    gone.removed = True
    args = ("--json", "--name", "{name}", "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    for flags in (("--write-metadata",), ()):
        result = run_main(*flags, *args)
        assert result.code == 1, result
        rows = {row["id"]: (row["status"], row["error"]) for row in map(json.loads, result.out.splitlines())}
        assert rows["GoNe123"] == ("failed", "removed from Imgur"), result
    assert json.loads((folder / "album.json").read_bytes())["id"] == "AbC1234"


@pytest.mark.parametrize(("template", "title", "name"), [("{name}", "", "AnIm123"), ("{title}", "t", "t")])
def test_an_animation_s_mp4_kept_apart_from_its_gif_under_a_name_of_no_extension_is_found_there(
        imgur: Imgur, tmp_path: Path, template: str, title: str, name: str) -> None:
    # Saved as its GIF (--gif), then as its MP4, under a template that gives both one name, by a release that kept
    # the MP4 apart from the GIF by its id. Where the name says the id (an untitled upload's {name} is its id), that
    # copy was not looked for: the MP4 was fetched again on every run; and where it does not, it was said to be the
    # GIF.
    image = imgur.add_image("AnIm123", size=3_000, ext="gif", animated=True, title=title)
    imgur.add_album("AbC1234", images=[image])
    args = ["--json", "--name", template, "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234"]
    assert run_main("--gif", *args).code == 0
    # (the GIF there is its file, and the MP4 kept apart from it by an older release)
    assert image.mp4 is not None
    (tmp_path / "AbC1234" / f"{name} (AnIm123)").write_bytes(image.mp4)
    kept = {name: image.data, f"{name} (AnIm123)": image.mp4}
    assert files_under(tmp_path / "AbC1234") == kept
    imgur.log.clear()
    result = run_main(*args)
    assert result.code == 0, result
    assert [(row["status"], Path(row["path"]).name, row["url"]) for row in map(json.loads, result.out.splitlines())] \
        == [("skipped", f"{name} (AnIm123)", "https://i.imgur.com/AnIm123.mp4")]
    assert not imgur.requests_to("i.imgur.com")
    assert files_under(tmp_path / "AbC1234") == kept


@pytest.mark.parametrize("template", ["{id}", "{name}", "{title} {id}"])
def test_an_animation_saved_as_its_gif_under_a_name_of_no_extension_that_says_its_id_is_kept(
        imgur: Imgur, tmp_path: Path, template: str) -> None:
    # Its GIF saved (--gif), under a template that names its MP4 alike: a run that asks for the MP4 wrote it over the
    # GIF (at a name that says the id), and a run with --gif the GIF over the MP4 again, each fetched anew. It is
    # taken, as at a name of its own ({id}.{ext}: its GIF is not fetched again as its MP4).
    image = imgur.add_image("AnIm123", size=3_000, ext="gif", animated=True, title="t")
    imgur.add_album("AbC1234", images=[image])
    args = ["--json", "--name", template, "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234"]
    assert run_main("--gif", *args).code == 0
    kept = files_under(tmp_path / "AbC1234")
    assert list(kept.values()) == [image.data]
    imgur.log.clear()
    for flags in ((), (), ("--gif",)):
        result = run_main(*flags, *args)
        assert result.code == 0, result
        assert [(row["status"], row["url"]) for row in map(json.loads, result.out.splitlines())] == [
            ("skipped", "https://i.imgur.com/AnIm123.gif")]
    assert not imgur.requests_to("i.imgur.com")
    assert files_under(tmp_path / "AbC1234") == kept


@pytest.mark.parametrize("standing", ["dated", "undated", "undated and removed", "another's"])
def test_an_animation_saved_as_its_gif_under_a_name_of_no_extension_that_says_no_id_is_kept(
        imgur: Imgur, tmp_path: Path, standing: str) -> None:
    # Its GIF saved (--gif) under '{title}', a name another post's file may have, which names its MP4 alike: a run
    # that asked for the MP4 fetched it and kept it apart beside the GIF ("t (AnIm123)"), two files of one image,
    # where under '{title}.{ext}' the GIF is its file. It is taken as there: by its size and upload time, or, where
    # it carries another time, by the CDN's answer for the GIF. Another post's file there of that size is not.
    image = imgur.add_image("AnIm123", size=3_000, ext="gif", animated=True, title="t")
    imgur.add_album("AbC1234", images=[image])
    args = ["--json", "--name", "{title}", "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234"]
    assert run_main("--gif", *args).code == 0
    at = tmp_path / "AbC1234" / "t"
    if standing == "another's":
        at.write_bytes(bytes(reversed(image.data)))
    if standing != "dated":
        os.utime(at, (1_000_000_000, 1_000_000_000))
    image.removed = standing.endswith("removed")  # (then nothing tells it, and the copy at its name is taken)
    kept = files_under(tmp_path / "AbC1234")
    imgur.log.clear()
    result = run_main(*args)
    assert result.code == 0, result
    rows = [(row["status"], Path(row["path"]).name, row["url"]) for row in map(json.loads, result.out.splitlines())]
    if standing == "another's":
        assert rows == [("saved", "t (AnIm123)", "https://i.imgur.com/AnIm123.mp4")], result
        assert files_under(tmp_path / "AbC1234") == kept | {"t (AnIm123)": image.mp4}
        return
    for _ in range(2):
        assert rows == [("skipped", "t", "https://i.imgur.com/AnIm123.gif")], result
        # (undated, the GIF asked of the CDN on each run, its time left as it is, as at any name not made from ids)
        asked = {"dated": [], "undated": ["/AnIm123.gif"],
                 "undated and removed": ["/AnIm123.gif", "/AnIm123.mp4", "/AnIm123.gif"]}[standing]
        assert [path for _, _, path, _ in imgur.requests_to("i.imgur.com")] == asked
        assert files_under(tmp_path / "AbC1234") == kept
        imgur.log.clear()
        result = run_main(*args)
        rows = [(row["status"], Path(row["path"]).name, row["url"]) for row in map(json.loads, result.out.splitlines())]


@pytest.mark.parametrize(("template", "names"), [("{title}.{ext}", ("_.gif", "_.mp4")),
                                                 ("{name}", ("a b", "a b (AnIm123)"))])
def test_an_animation_whose_gif_s_name_has_another_post_s_file_of_its_size_is_saved_as_its_mp4(
        imgur: Imgur, tmp_path: Path, template: str, names: tuple[str, str]) -> None:
    # An untitled picture (a GIF, or one its uploader named as the animation is), of the size the animation's GIF
    # has: the file at the name the template gives the animation's GIF may be that GIF (saved as it by an earlier
    # run), and is asked of the CDN. It is not: the animation was then saved as its GIF, kept apart beside it (at
    # "a b (AnIm123 2)", where the name says no extension), not as its MP4. Asked only, the MP4 is fetched after.
    picture = imgur.add_image("PiCtUrE", size=3_000, ext="gif", name="a b.gif", datetime=1_600_000_000)
    animation = imgur.add_image("AnIm123", size=3_000, ext="gif", animated=True, name="a b.gif")
    args = ["--json", "--name", template, "-o", str(tmp_path)]
    assert run_main(*args, "imgur.com/PiCtUrE").code == 0
    imgur.log.clear()
    result = run_main(*args, "imgur.com/PiCtUrE", "imgur.com/AnIm123")
    assert result.code == 0, result
    assert {row["id"]: (row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())} == {
        "PiCtUrE": ("skipped", str(tmp_path / names[0])), "AnIm123": ("saved", str(tmp_path / names[1]))}, result
    assert animation.mp4 is not None
    assert files_under(tmp_path) == {names[0]: picture.data, names[1]: animation.mp4}
    assert [path for _, _, path, _ in imgur.requests_to("i.imgur.com")] == ["/AnIm123.gif", "/AnIm123.mp4"]
    again = run_main(*args, "imgur.com/PiCtUrE", "imgur.com/AnIm123")
    assert again.code == 0 and "0 saved, 2 skipped" in again.err, again


@pytest.mark.parametrize("animated", [False, True])
def test_a_file_at_a_name_not_made_from_ids_that_could_be_asked_of_the_cdn_stands_once_imgur_removed_it(
        imgur: Imgur, tmp_path: Path, animated: bool) -> None:
    # Saved with --no-mtime (or an animation's MP4, of no size the API gives): the file at the name is asked of the
    # CDN on every rerun. Once Imgur has removed the image, it answers nothing to tell it by: the whole file there
    # stands, as by its size alone (or how it starts). Before, the rerun failed it, "removed from Imgur", exit 1,
    # with its file in place (and with --wayback, fetched it from there again).
    image = imgur.add_image("OnLyPic", size=2_000, ext="gif" if animated else "jpeg", animated=animated)
    args = ["--json", "--no-mtime", "--name", "{title}.{ext}", "-o", str(tmp_path), "imgur.com/OnLyPic"]
    assert run_main(*args).code == 0
    image.removed = True
    result = run_main(*args)
    assert result.code == 0, result
    name = "_.mp4" if animated else "_.jpg"
    assert [(row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())] == [
        ("skipped", str(tmp_path / name))]
    assert files_under(tmp_path) == {name: image.mp4 if animated else image.data}


def test_a_file_kept_apart_by_its_id_is_found_there_whatever_is_at_the_name_it_shares(
        imgur: Imgur, tmp_path: Path) -> None:
    # Two untitled pictures of one size, posts of their own: the second saved kept apart by its id. Named first
    # since, the file at the name they share is the other's, of its size: its own is the one that says its id.
    first, second = (imgur.add_image(image_id, size=2_000) for image_id in ("FiRsT12", "SeCoNd1"))
    args = ["--json", "--name", "{title}.{ext}", "-o", str(tmp_path)]
    assert run_main(*args, "imgur.com/FiRsT12", "imgur.com/SeCoNd1").code == 0
    assert files_under(tmp_path) == {"_.jpg": first.data, "_ (SeCoNd1).jpg": second.data}
    result = run_main(*args, "imgur.com/SeCoNd1")
    assert result.code == 0, result
    assert [(row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())] == [
        ("skipped", str(tmp_path / "_ (SeCoNd1).jpg"))]


def test_one_image_in_three_albums_that_share_a_folder_is_saved_in_each_under_a_name_of_its_own(
        imgur: Imgur, tmp_path: Path) -> None:
    shared = imgur.add_image("ShArEd1", size=3000)
    for album_id in ("AbC1234", "DeF5678", "GhI9012"):
        imgur.add_album(album_id, count=1, title="Holiday").images.append(shared)
    args = ("--json", "--dir", "{album_title}", "--name", "{name}.{ext}", "-o", str(tmp_path),
            "imgur.com/a/AbC1234", "imgur.com/a/DeF5678", "imgur.com/a/GhI9012")
    result = run_main(*args)
    assert result.code == 0, result
    paths = [json.loads(line)["path"] for line in result.out.splitlines() if json.loads(line)["id"] == "ShArEd1"]
    assert sorted(Path(path).name for path in paths) == [
        "ShArEd1 (ShArEd1 2).jpg", "ShArEd1 (ShArEd1).jpg", "ShArEd1.jpg"]
    assert all(Path(path).read_bytes() == shared.data for path in paths)
    again = run_main(*args)  # the same names again: nothing fetched
    assert again.code == 0, again
    assert {json.loads(line)["status"] for line in again.out.splitlines()} == {"skipped"}
    assert {json.loads(line)["path"] for line in again.out.splitlines()} >= set(paths)


def test_an_image_saved_for_one_album_gets_a_name_of_its_own_for_another_album_of_its_folder_later(
        imgur: Imgur, tmp_path: Path) -> None:
    # Its copy for the first album stands at the name the template gives it: that name is this very image's in this
    # run, not another's that an earlier run saved it under, and the second album's copy is saved beside it.
    shared = imgur.add_image("ShArEd1", size=3000)
    for album_id in ("AbC1234", "DeF5678"):
        imgur.add_album(album_id, count=1, title="Holiday").images.append(shared)
    args = ("--json", "--dir", "{album_title}", "--name", "{name}.{ext}", "-o", str(tmp_path))
    assert run_main(*args, "imgur.com/a/AbC1234").code == 0
    result = run_main(*args, "imgur.com/a/AbC1234", "imgur.com/a/DeF5678")
    assert result.code == 0, result
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert sorted((row["album"], row["status"], Path(row["path"]).name) for row in rows if row["id"] == "ShArEd1") \
        == [("AbC1234", "skipped", "ShArEd1.jpg"), ("DeF5678", "saved", "ShArEd1 (ShArEd1).jpg")], result


def test_the_same_album_named_twice_is_fetched_once(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("GaL1234", count=2, in_gallery=True)
    result = run_main("-o", str(tmp_path), "imgur.com/a/GaL1234", "imgur.com/gallery/GaL1234")
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == 2
    assert len(imgur.requests_to("i.imgur.com")) == 2


# -- the archive with metadata ----------------------------------------------------------------

def test_archive_skips_are_not_written_as_files_or_back_into_the_archive(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=2)
    archive = tmp_path / "seen.sqlite"
    assert run_main("--download-archive", str(archive), "-o", str(tmp_path / "one"), "imgur.com/a/AbC1234").code == 0
    import sqlite3  # noqa: PLC0415
    with contextlib.closing(sqlite3.connect(archive)) as db:
        before = db.execute("SELECT id, added FROM archive ORDER BY id").fetchall()
    again = run_main("--download-archive", str(archive), "--write-metadata", "-o", str(tmp_path / "two"),
                     "imgur.com/a/AbC1234")
    assert again.code == 0, again
    assert not (tmp_path / "two").exists()  # a fully archived album makes no empty folder
    with contextlib.closing(sqlite3.connect(archive)) as db:
        assert db.execute("SELECT id, added FROM archive ORDER BY id").fetchall() == before
    # Partly archived: album.json says which items this run did not save, and why.
    imgur.albums["AbC1234"].images.append(imgur.add_image("NeWw123"))
    third = run_main("--download-archive", str(archive), "--write-metadata", "-o", str(tmp_path / "two"),
                     "imgur.com/a/AbC1234")
    assert third.code == 0, third
    items = json.loads((tmp_path / "two" / "AbC1234" / "album.json").read_text())["items"]
    assert [(i["id"], i["file"], i["archived"]) for i in items] == [
        (album.images[0].id, None, True), (album.images[1].id, None, True), ("NeWw123", "003-NeWw123.jpg", False)]


@pytest.mark.parametrize(("text", "shown"), [
    ("a\x1b[2Jb", "a\\x1b[2Jb"), ("\u202eexe.jpg", "\\u202eexe.jpg"), ("caf\udce9", "caf\\xe9"),  # (a byte not UTF-8)
    ("\udc80", "\\x80"), ("\udcff", "\\xff"), ("\udd00", "\\udd00"), ("\udc7f", "\\udc7f"),  # (each end of the range)
    ("tab\there", "tab\\x09here")])
def test_what_cannot_be_shown_is_written_as_its_code(text: str, shown: str) -> None:
    # (surrogateescape keeps a byte that was not UTF-8 as U+DC80..U+DCFF: shown as that byte; any other lone
    # surrogate as itself)
    assert printable(text) == shown


@pytest.mark.parametrize(("encoding", "written"), [("ascii", b"caf\\xe9 \\u2603\n"), ("latin-1", b"caf\xe9 \\u2603\n"),
                                                   ("utf-8", "café ☃\n".encode())])
def test_a_line_for_a_stream_that_cannot_encode_it_is_written_with_escapes(encoding: str, written: bytes) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding)
    writer(stream)("café ☃")
    assert raw.getvalue() == written


def test_no_stderr_at_all_drops_every_line() -> None:
    # (pythonw, a service started without one: stderr is None)
    none = shown(None)
    assert none.write("x") == 1 and none.encoding == "utf-8" and not none.isatty()
    with pytest.raises(io.UnsupportedOperation):
        none.fileno()
    with open(os.devnull, "w") as null:
        assert shown(null).fileno() == null.fileno()
