"""Bounded against a hostile or broken server, and where the output goes: closed, full, or gone away."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imgur_dl import archive, bounded, cli
from imgur_dl.body import Pace, Speed
from imgur_dl.bounded import MOST_WHITE
from imgur_dl.planner import Planner
from tests.conftest import command, files_under, run_main, until
from tests.launcher import Forked, Launcher
from tests.standin import Fault, Imgur, _v3_gallery_item, v1_answer
from tests.test_wayback import bad_nearest


def _answer(imgur: Imgur, album_id: str, body: dict[str, object] | bytes) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    for path in (f"/post/v1/albums/{album_id}", f"/3/album/{album_id}"):
        imgur.faults.append(Fault("status", host="api.imgur.com", path=path, status=200, body=data))


@pytest.mark.parametrize(("ext", "body", "says"), [
    ("html", b"<!doctype html><script>alert(1)</script>", "Imgur answered with a web page, not the file"),
    ("exe", b"MZ\x90\x00" + bytes(2000), "the answer is not a picture or a video (saved as .bin only if it is)"),
])
def test_an_extension_imgur_does_not_serve_is_never_a_name(imgur: Imgur, tmp_path: Path, ext: str,
                                                          body: bytes, says: str) -> None:
    album = imgur.add_album("AbC1234", count=2)
    answer = v1_answer(album)
    answer["media"][0]["ext"] = ext  # type: ignore[index]
    answer["media"][0]["mime_type"] = "application/x-whatever"  # type: ignore[index]
    _answer(imgur, "AbC1234", answer)
    bad = album.images[0]
    imgur.faults.append(Fault("status", path=f"/{bad.id}.*", status=200, body=body,
                              headers={"Content-Type": "application/octet-stream"}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{bad.id}: {says}" in result.err
    names = sorted(files_under(tmp_path))
    assert names == [f"AbC1234/002-{album.images[1].id}.jpg"]
    assert not any(n.endswith((".html", ".exe")) for n in names)


def test_a_bin_that_is_a_picture_is_kept(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1)
    answer = v1_answer(album)
    answer["media"][0]["ext"] = "html"  # type: ignore[index]
    answer["media"][0]["mime_type"] = ""  # type: ignore[index]
    _answer(imgur, "AbC1234", answer)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert files_under(tmp_path) == {f"AbC1234/001-{album.images[0].id}.bin": album.images[0].data}


@pytest.mark.parametrize(("chunks", "refused"), [
    ([b" " * (MOST_WHITE - 10), b" " * 20 + b"}"], True),  # a run across two chunks, the second not all white
    ([b"{" + b" " * (MOST_WHITE - 10), b" " * 20], True),
    ([b" " * (MOST_WHITE // 2)] * 2 + [b" "], True),
    ([b" " * (MOST_WHITE - 10), b"," + b" " * 20], False),  # broken by a comma: two runs, neither too long
    ([b" " * (MOST_WHITE - 10) + b",", b" " * 20], False),
    ([b" " * MOST_WHITE, b"}"], False),  # (at most that much)
])
def test_white_space_in_a_row_is_counted_across_the_pieces_it_came_in(chunks: list[bytes], refused: bool) -> None:
    # White space is JSON: an answer of endless white space is refused at MOST_WHITE in a row, wherever the pieces
    # the network gave it in began and ended.
    read = bounded._bounded(iter(chunks), 64 * MOST_WHITE, Pace(Speed(0, 30), time.monotonic))
    if refused:
        with pytest.raises(bounded.TooLarge, match="of white space in a row"):
            list(read)
    else:
        assert list(read) == chunks


@pytest.mark.parametrize(("status", "transient"), [(429, True), (500, True), (502, True), (503, True), (504, True),
                                                   (599, True), (400, False), (403, False), (404, False),
                                                   (410, False), (499, False)])
def test_the_api_s_answers_that_may_pass_are_429_and_every_5xx(status: int, transient: bool) -> None:
    answer = bounded.Answer(status, "Reason", {}, b"", None)
    assert bounded.transient(answer) == (f"HTTP {status} Reason" if transient else None)


def test_a_body_is_crawling_once_a_whole_window_came_slower_than_the_bound() -> None:
    # (curl's --speed-limit/--speed-time: under 1 KiB a second for 30 seconds; a time the run held the body back
    # itself, --limit-rate, is not counted)
    now = [100.0]
    pace = Pace(Speed(1024, 30), lambda: now[0])
    now[0] = 129.9
    assert pace.crawling(100) is None  # (not a whole window yet)
    now[0] = 130.0
    assert pace.crawling(30 * 1024 - 100) is None  # (exactly the bound, over the window: a new window begins)
    now[0] = 160.0
    assert pace.crawling(1000) == "crawling at 33 B/s, under 1024 B/s for 30s (--min-speed)"
    pace = Pace(Speed(1024, 30), lambda: now[0])
    pace.held(10)
    now[0] = 189.0
    assert pace.crawling(0) is None  # (10 of its 29 seconds were the run's own)
    now[0] = 200.0
    assert pace.crawling(0) == "crawling at 0 B/s, under 1024 B/s for 30s (--min-speed)"
    assert Pace(Speed(0, 30), lambda: now[0]).crawling(0) is None  # (--min-speed 0: never)


@pytest.mark.parametrize("status", [200, 206])
def test_a_body_encoded_though_asked_for_as_it_is_is_refused(imgur: Imgur, tmp_path: Path, status: int) -> None:
    album = imgur.add_album("AbC1234", count=2)
    bomb = gzip.compress(b"\xff\xd8\xff\xe0" + bytes(5_000_000))  # 5 MB from 5 KB on the wire
    bad = album.images[0]
    whole = {"Content-Range": f"bytes 0-{len(bomb) - 1}/{len(bomb)}"} if status == 206 else {}  # (a part, from 0)
    imgur.faults.append(Fault("status", path=f"/{bad.id}.*", status=status, body=bomb,
                              headers={"Content-Encoding": "gzip", "Content-Type": "image/jpeg", **whole}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{bad.id}: the server sent the file gzip-encoded, though asked for it as it is" in result.err
    assert sorted(files_under(tmp_path)) == [f"AbC1234/002-{album.images[1].id}.jpg"]
    moved = result.err.rsplit(";", 1)[1]
    assert "MiB" not in moved and "GiB" not in moved  # the summary counts what crossed the wire


def test_a_listing_that_answers_every_page_alike_ends(imgur: Imgur, tmp_path: Path) -> None:
    images = [imgur.add_image(f"Rp{n:05d}", in_gallery=True) for n in range(3)]
    page = json.dumps({"data": [_v3_gallery_item(i) for i in images], "success": True, "status": 200}).encode()
    imgur.faults.append(Fault("status", host="api.imgur.com", path=r"/3/account/Loop/submissions/\d+", status=200,
                              body=page))
    result = run_main("-o", str(tmp_path), "imgur.com/user/Loop")
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == 3
    pages = imgur.requests_to("api.imgur.com", r"/3/account/Loop/submissions/\d+")
    assert len(pages) == 2  # the second said nothing new


@pytest.mark.parametrize(("template", "says"), [
    ("{count:{num}}", "KeyError"),
    ("{num:99999999999}", "a width past any file name's length"),
    ("{title:d}", "Unknown format code 'd'"),
])
def test_a_template_that_cannot_render_is_a_usage_error_before_any_request(imgur: Imgur, tmp_path: Path,
                                                                           template: str, says: str) -> None:
    result = run_main("--name", template, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 2, result
    assert says in result.err and len(result.err.splitlines()) == 1
    assert imgur.log == []


@pytest.mark.parametrize(("args", "environ", "says"), [
    ((), {"IMGUR_CLIENT_ID": "546c25a59c58ad7\n"},  # (as an env file written on Windows ends it: "\r\n")
     "IMGUR_CLIENT_ID: not an Imgur client id (letters and digits): '546c25a59c58ad7\\n': give it without the white "
     "space around it"),
    ((), {"IMGUR_CLIENT_ID": "546c25a5-9c58"}, "IMGUR_CLIENT_ID: not an Imgur client id (letters and digits): "
                                               "'546c25a5-9c58'"),  # (nothing to drop: no advice)
    (("--proxy", "http://u:secret@proxy.example:notaport"), {},
     "argument --proxy: the proxy URL's port is not a port number: 'http://u:***@proxy.example:notaport'"),
    (("--proxy", "http://[::1"), {}, "argument --proxy: not an http:// or https:// proxy URL: 'http://[::1'"),
    # '\u2100' ("a/c" to Unicode) in a password: the address would be another's; the password is not shown.
    ((), {"HTTPS_PROXY": "http://u:se\u2100cret@proxy.example:3128", "https_proxy": ""},
     "HTTPS_PROXY: the proxy URL holds a character that Unicode reads as '/', '?', '#', '@' or ':' (in a password, "
     "percent-encode it): 'http://u:***@proxy.example:3128'"),
    # The environment's proxy, checked as --proxy is: not retried for seconds against what cannot be reached.
    ((), {"HTTPS_PROXY": "socks5://127.0.0.1:9", "https_proxy": ""},
     "HTTPS_PROXY: not an http:// or https:// proxy URL: 'socks5://127.0.0.1:9'"),
    ((), {"https_proxy": "http://[::1", "HTTPS_PROXY": ""}, "https_proxy: not an http:// or https:// proxy URL: "
                                                            "'http://[::1'"),
    ((), {"HTTPS_PROXY": "u:secret@proxy.example:notaport", "https_proxy": ""},
     "HTTPS_PROXY: the proxy URL's port is not a port number: 'http://u:***@proxy.example:notaport'"),
    ((), {"HTTPS_PROXY": "http://u:se:c@ret@proxy.example:notaport", "https_proxy": ""},  # (':' and '@' in it)
     "HTTPS_PROXY: the proxy URL's port is not a port number: 'http://u:***@proxy.example:notaport'"),
    # What ends an address, in a password as people write one: the proxy would be another, and be shown.
    (("--proxy", "http://u:se?cret@proxy.example:3128"), {},
     "argument --proxy: the proxy URL's password holds '?' (%3F) unencoded: percent-encode it: "
     "'http://u:***@proxy.example:3128'"),
    ((), {"HTTPS_PROXY": "u:se/c ret@proxy.example:3128", "https_proxy": ""},
     "HTTPS_PROXY: the proxy URL's password holds '/' (%2F) unencoded: percent-encode it: "
     "'http://u:***@proxy.example:3128'"),
    ((), {"HTTPS_PROXY": '"http://u:secret@proxy.example:3128"', "https_proxy": ""},  # (docker's --env-file)
     "HTTPS_PROXY: the proxy URL has quotes around it: give it without them: "
     "'\"http://u:***@proxy.example:3128\"'"),
    ((), {"HTTPS_PROXY": "http://u:secret@proxy.example:3128\r", "https_proxy": ""},  # (an env file of Windows)
     "HTTPS_PROXY: the proxy URL has white space around it: give it without: 'http://u:***@proxy.example:3128\\r'"),
    (("--proxy", " http://proxy.example:3128"), {},
     "argument --proxy: the proxy URL has white space around it: give it without: ' http://proxy.example:3128'"),
    ((), {"HTTPS_PROXY": "", "https_proxy": "", "ALL_PROXY": "socks5h://127.0.0.1:9"},  # (curl reads it too)
     "ALL_PROXY: not an http:// or https:// proxy URL: 'socks5h://127.0.0.1:9' (imgur-dl goes through http:// and "
     "https:// proxies only: set HTTPS_PROXY or --proxy to one, or ALL_PROXY= to go without)"),
])
def test_a_bad_setting_is_blamed_on_it_at_once(imgur: Imgur, tmp_path: Path, args: tuple[str, ...],
                                              environ: dict[str, str], says: str) -> None:
    result = run_main(*args, "-o", str(tmp_path), "imgur.com/a/AbC1234", environ=environ)
    assert (result.code, result.err) == (2, f"imgur-dl: error: {says}\n")  # (a password never shown)
    assert result.waits == [] and imgur.log == []


@pytest.mark.parametrize(("title", "folder"), [("-rf", "_-rf"), ("~", "_~"), ("--help me", "_--help me")])
def test_names_from_the_server_are_safe_for_shells(imgur: Imgur, tmp_path: Path, title: str, folder: str) -> None:
    album = imgur.add_album("AbC1234", count=1, title=title)
    assert run_main("--dir", "{album_title}", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert files_under(tmp_path) == {f"{folder}/001-{album.images[0].id}.jpg": album.images[0].data}


def test_a_folder_at_a_files_name_is_caught_before_fetching(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    (tmp_path / "AbC1234" / f"001-{album.images[0].id}.jpg").mkdir(parents=True)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "a folder stands where the file goes" in result.err
    assert len(imgur.requests_to("i.imgur.com")) == 1  # only the other file
    assert not list((tmp_path / "AbC1234").glob("*.part"))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real file system of 256 KiB (tmpfs; the tests run as root here and in CI), unmounted after."""
    with _tmpfs(tmp_path / "small", "size=256k") as where:
        yield where


@pytest.fixture
def few_inodes(tmp_path: Path) -> Iterator[Path]:
    """A real file system with room for 9 files or folders (its own root among them), however small they are."""
    with _tmpfs(tmp_path / "few", "size=1m,nr_inodes=10") as where:
        yield where


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)  # noqa: S607
    try:
        yield where
    finally:
        busy = subprocess.run(["umount", str(where)], check=False, capture_output=True, text=True)  # noqa: S607
        if busy.returncode:  # (a file the run left open: detached all the same, so that no mount outlives the test)
            subprocess.run(["umount", "--lazy", str(where)], check=True)  # noqa: S607
            pytest.fail(f"the run left a file open on its disk: {busy.stderr.strip()}")


@pytest.mark.parametrize(("disk", "says"), [
    ("small_disk", "no space left on the device for"),  # (256 KiB)
    ("quota", "your disk quota is used up: no room for"),  # (250 kB: a shared machine's home folder)
])
def test_a_full_disk_is_said_once_and_nothing_more_is_fetched(imgur: Imgur, request: pytest.FixtureRequest, disk: str,
                                                              says: str) -> None:
    where: Path = request.getfixturevalue(disk)
    imgur.add_album("AbC1234", count=12, size=100_000)  # (1.2 MB)
    result = run_main("-j", "1", "-o", str(where), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert result.err.count(says) == 1, result
    assert "files: 2 saved, 0 skipped, 10 failed" in result.err
    assert len(imgur.requests_to("i.imgur.com")) == 3  # two saved, the one that filled the disk: no more
    assert not list(where.rglob("*.part"))


def test_a_disk_that_fills_while_a_capture_comes_asks_the_wayback_machine_for_no_other(
        imgur: Imgur, small_disk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each capture after it was asked for as well, each written until the disk refused it: requests to a third
    # party whose answers could not be kept.
    album = imgur.add_album("AbC1234", count=1, size=20_000)
    gone = album.images[0]
    gone.removed = True
    for stamp in ("20150102030405", "20160102030405", "20170102030405"):
        imgur.add_capture(f"http://i.imgur.com:80/{gone.id}.jpg", stamp, body=gone.data)
    archive_org = imgur._archive

    def filling(h: object, host: str, path: str, *args: Any) -> None:
        if path.startswith("/web/"):
            with open(small_disk / "filler", "ab", buffering=0) as filler, contextlib.suppress(OSError):
                while True:
                    filler.write(bytes(4096))
        archive_org(h, host, path, *args)

    monkeypatch.setattr(imgur, "_archive", filling)
    result = run_main("--wayback", "-o", str(small_disk / "out"), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert result.err.count("no space left on the device for") == 1, result
    assert f"{gone.id}: removed from Imgur; its capture of " in result.err, result
    # (Its capture nearest the upload, as the archive points to it, and no other: no look-up in the index either.)
    assert [p for host, _, p, _ in imgur.log if host in ("web.archive.org", "archive.org")][1:] == [
        f"/web/20170102030405id_/http://i.imgur.com:80/{gone.id}.jpg"]


def test_a_disk_with_no_room_for_another_folder_is_said_once_and_nothing_more_is_fetched(
        imgur: Imgur, few_inodes: Path) -> None:
    # A folder a file (--name '{id}/...') on a disk of few inodes: its folders run out, not its bytes.
    imgur.add_album("AbC1234", count=12, size=1_000)
    result = run_main("-j", "1", "--name", "{id}/x.{ext}", "-o", str(few_inodes), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert result.err.count("no space left on the device") == 1, result
    assert "files: 4 saved, 0 skipped, 8 failed" in result.err, result
    assert len(imgur.requests_to("i.imgur.com")) == 4  # (the fifth's folder could not be made: not asked for)


def _archive_filling_up(imgur: Imgur, small_disk: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An archive on ``small_disk`` (made by a first run) whose disk fills up once the next run asks for a file."""
    imgur.add_album("FiRst12", count=1)
    seen = small_disk / "seen.sqlite"
    assert run_main("--download-archive", str(seen), "-o", str(small_disk / "first"), "imgur.com/a/FiRst12").code == 0
    cdn = imgur._cdn

    def filling(*args: Any) -> None:
        with open(small_disk / "filler", "ab", buffering=0) as filler, contextlib.suppress(OSError):
            while True:  # the archive's disk fills up as the run goes (its journal has no room)
                filler.write(bytes(4096))
        cdn(*args)

    monkeypatch.setattr(imgur, "_cdn", filling)
    return seen


def test_files_the_archive_could_not_record_make_the_run_fail(imgur: Imgur, tmp_path: Path, small_disk: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    album = imgur.add_album("AbC1234", count=3)
    seen = _archive_filling_up(imgur, small_disk, monkeypatch)
    monkeypatch.setattr(archive, "CLOSE_WAIT", 0.3)  # (how long closing waits for the disk to have room)
    result = run_main("--download-archive", str(seen), "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result  # a cron job hears of it: the next run would look for these files again
    assert "seen.sqlite) cannot be used (database or disk is full); finished files are kept" in result.err, result
    assert "waiting up to 0.3s for the download archive" in result.err  # (not a silent wait at the end)
    assert "3 finished files and 1 finished album could not be recorded in the download archive" in result.err
    assert "files: 3 saved, 0 skipped, 0 failed" in result.err
    files = files_under(tmp_path / "AbC1234")
    assert [files[f"00{n}-{i.id}.jpg"] for n, i in enumerate(album.images, 1)] == [i.data for i in album.images]
    # ... and what their records would have said of them as they arrived, noted beside them for the run that
    # records them
    noted = [json.loads(line) for line in files.pop(".imgur-dl-journal-AbC1234.jsonl").split()]
    assert sorted((item["file"], item["sha256"]) for item in noted) == [
        (f"00{n}-{i.id}.jpg", hashlib.sha256(i.data).hexdigest()) for n, i in enumerate(album.images, 1)]
    assert len(files) == len(album.images)


def test_ctrl_c_ends_the_wait_for_an_archive_that_cannot_take_the_last_records(
        imgur: Imgur, tmp_path: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    imgur.add_album("AbC1234", count=3)
    seen = _archive_filling_up(imgur, small_disk, monkeypatch)
    closing = Planner.close

    def ctrl_c_meanwhile(planner: Planner, *, wait: bool) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # as the run is put away: the archive is closed after
        closing(planner, wait=wait)

    monkeypatch.setattr(Planner, "close", ctrl_c_meanwhile)
    monkeypatch.setattr(archive, "CLOSE_WAIT_INTERRUPTED", 0.2)  # (after an interruption: a moment, not 30 s)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # (as Python sets it for a script)
    try:
        started = time.monotonic()
        result = run_main("--download-archive", str(seen), "-o", str(tmp_path), "imgur.com/a/AbC1234")
        took = time.monotonic() - started
    finally:
        signal.signal(signal.SIGINT, before)
    assert result.code == 130, result
    assert "3 finished files and 1 finished album could not be recorded in the download archive" in result.err
    assert took < archive.CLOSE_WAIT / 3, result  # the wait ended at the first Ctrl-C, not after 30 s


def _stream(launcher: Launcher, *args: str, stdout: int = subprocess.PIPE) -> Forked:
    return launcher.spawn(args, stdout=stdout)


def test_a_reader_that_goes_away_ends_the_run_quietly(imgur: Imgur, launcher: Launcher) -> None:
    imgur.add_album("AbC1234", count=3000, size=8)  # more links than a pipe holds: the writer must notice
    process = _stream(launcher, "-g", "imgur.com/a/AbC1234")
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # `| head -1`
    with process.stderr:
        err = process.stderr.read().decode()
    assert process.wait(timeout=20) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "unexpected" not in err


def test_a_closed_or_full_stdout_is_named_in_words(imgur: Imgur, tmp_path: Path, launcher: Launcher) -> None:
    imgur.add_album("AbC1234", count=2)
    with open(os.devnull, "rb") as closed_for_writing:
        process = _stream(launcher, "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234",
                          stdout=closed_for_writing.fileno())
        err = process.communicate(timeout=30)[1].decode()
    assert process.returncode == 1, err
    assert "cannot write to standard output" in err and "unexpected" not in err
    if Path("/dev/full").exists():
        with open("/dev/full", "wb") as full:
            process = _stream(launcher, "-g", "imgur.com/a/AbC1234", stdout=full.fileno())
            err = process.communicate(timeout=30)[1].decode()
        assert process.returncode == 1, err
        assert "cannot write to standard output: No space left on device" in err


@pytest.mark.parametrize("asked", [["--version"], ["--help"], ["--fields"], ["--print-completion", "bash"]])
def test_what_is_asked_for_on_stdout_alone_meets_a_full_disk_or_a_gone_reader_as_a_run_does(
        launcher: Launcher, asked: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        process = _stream(launcher, *asked, stdout=full.fileno())
        err = process.communicate(timeout=30)[1].decode()
    assert (process.returncode, err) == (1, "imgur-dl: error: cannot write to standard output: "
                                            "No space left on device\n")
    read, write = os.pipe()
    os.close(read)  # `| true`: the reader gone before the first line (gone before the start, so surely)
    process = _stream(launcher, *asked, stdout=write)
    os.close(write)
    assert (process.communicate(timeout=30)[1].decode(), process.returncode) == ("", 141)


@pytest.mark.parametrize("flag", ["-g", "--json"])
def test_a_stdout_closed_from_the_start_is_named_before_anything_is_asked(imgur: Imgur, tmp_path: Path,
                                                                          flag: str) -> None:
    imgur.add_album("AbC1234", count=1)
    done = subprocess.run([*command(), flag, "-o", str(tmp_path), "imgur.com/a/AbC1234"], stdin=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=os.environ.copy(), timeout=30, check=False,
                          preexec_fn=lambda: os.close(1))
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "cannot write to standard output: it is closed" in err and "unexpected" not in err
    assert imgur.log == []


def test_a_closed_stderr_is_no_reason_to_stop(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    done = subprocess.run([*command(), "-o", str(tmp_path), "imgur.com/a/AbC1234"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(), timeout=30,
                          check=False, close_fds=True, preexec_fn=lambda: os.close(2))
    assert done.returncode == 0
    assert len(files_under(tmp_path / "AbC1234")) == len(album.images)


_LEFT_WITH_A_WORKER = """
import threading
from imgur_dl import cli
from imgur_dl.status import ExitStatus
threading.Thread(target=threading.Event().wait, daemon=True).start()  # (a worker still inside a connect())
cli.main = lambda *args, **kwargs: ExitStatus.INTERRUPTED
cli.run()
"""


@pytest.mark.parametrize("closed", [1, 2])
def test_a_run_interrupted_with_a_worker_left_ends_as_interrupted_on_closed_streams(closed: int) -> None:
    # (`imgur-dl ... >&-` from cron, Ctrl-C'd while a worker waits on a connect(): the exit that does not wait for it)
    done = subprocess.run([sys.executable, "-c", _LEFT_WITH_A_WORKER], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=30, check=False,
                          preexec_fn=lambda: os.close(closed))
    assert (done.returncode, done.stdout, done.stderr) == (130, b"", b"")


@pytest.mark.parametrize("stderr", ["full", "reader gone"])
def test_a_stderr_that_cannot_be_written_is_no_reason_to_stop(imgur: Imgur, tmp_path: Path, launcher: Launcher,
                                                              stderr: str) -> None:
    album = imgur.add_album("AbC1234", count=3)
    args = ["-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/a/NoSuchA"]  # a line to say, and a summary
    if stderr == "full":
        with open("/dev/full", "wb") as full:
            process = launcher.spawn(args, stdout=subprocess.DEVNULL, stderr=full.fileno())
    else:
        read, write = os.pipe()
        os.close(read)  # (its reader gone before the first line: `2>&1 | true`)
        process = launcher.spawn(args, stdout=subprocess.DEVNULL, stderr=write)
        os.close(write)
    assert process.wait(timeout=30) == 3  # (one album not found), not 1 or 120
    assert len(files_under(tmp_path / "AbC1234")) == len(album.images)


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_is_handled_as_ctrl_c(imgur: Imgur, tmp_path: Path, launcher: Launcher, sig: signal.Signals,
                                      status: int) -> None:
    # (SIGHUP: the terminal went away, an SSH connection lost: the run stops as cleanly)
    album = imgur.add_album("AbC1234", count=4, size=200_000)
    imgur.faults.append(Fault("stall", path="/.*", after=50_000))
    process = _stream(launcher, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert imgur.wait_until(lambda s: s.stalled >= 4, timeout=15)
    assert until(lambda: [p.stat().st_size for p in (tmp_path / "AbC1234").glob("*.part")] == [50_000] * 4)
    process.send_signal(sig)
    err = process.communicate(timeout=20)[1].decode()
    assert process.returncode == status, err
    assert "interrupted" in err and "run the same command again to finish" in err  # the summary, as for Ctrl-C
    parts = list((tmp_path / "AbC1234").glob("*.part"))
    assert len(parts) == len(album.images)
    assert [p.stat().st_size for p in parts] == [50_000] * len(parts)
    assert all(os.getxattr(p, "user.imgur-dl.etag") for p in parts)  # kept for the rerun's If-Range


@pytest.mark.long
def test_a_file_that_crawls_is_given_up_and_named(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=3, size=20_000)
    slow, crawling_from_the_start, _ = album.images
    imgur.faults.append(Fault("drip", path=f"/{slow.id}.*", after=200))  # 200 B/s: 100 s for the file
    # 2 B/s: 32 s before the first 64 bytes that tell what the file is have come, each attempt.
    imgur.faults.append(Fault("drip", path=f"/{crawling_from_the_start.id}.*", after=2))
    started = time.monotonic()
    result = run_main("--min-speed", "1K", "--speed-time", "0.5", "--retries", "1", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234")
    assert time.monotonic() - started < 10  # not 100 s, nor 64, and not silent
    assert result.code == 1, result
    for n, image in enumerate((slow, crawling_from_the_start), 1):
        assert f"00{n}-{image.id}.jpg: crawling at" in result.err and "(--min-speed)" in result.err
    assert files_under(tmp_path / "AbC1234").keys() >= {f"003-{album.images[2].id}.jpg"}


@pytest.mark.parametrize(("host", "path"), [("api.imgur.com", "/post/v1/albums/AbC1234"),
                                           ("web.archive.org", "/cdx/search/cdx")])
def test_an_answer_that_crawls_is_given_up_and_asked_again(imgur: Imgur, tmp_path: Path, host: str,
                                                          path: str) -> None:
    # The API's or the archive index's answer sent a byte now and then, each within --timeout: given up as a
    # file is (--min-speed) and asked again. (It held the run for as long as it took: 20 B/s, some 50 s.)
    album = imgur.add_album("AbC1234", count=2)
    album.images[0].removed = True
    imgur.add_capture(f"https://i.imgur.com/{album.images[0].id}.jpg", body=album.images[0].data)
    bad_nearest(imgur, album.images[0])  # (found by a look-up in the index)
    imgur.faults.append(Fault("drip", host=host, path=path, attempts={1}, after=20))
    started = time.monotonic()
    result = run_main("--min-speed", "1K", "--speed-time", "0.5", "--wayback", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234")
    assert time.monotonic() - started < 10
    assert result.code == 0, result
    assert len(files_under(tmp_path / "AbC1234")) == 2
    assert len(imgur.requests_to(host, path)) == 2  # given up once, asked again


def test_album_json_keeps_no_invisible_character_raw(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1, title="evil\u202etxt.exe")
    album.images[0].title = "a\u200bb"
    assert run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    raw = next(tmp_path.rglob("album.json")).read_text(encoding="utf-8")
    assert "\u202e" not in raw and "\u200b" not in raw
    assert "\\u202e" in raw
    meta = json.loads(raw)
    assert meta["title"] == "evil\u202etxt.exe" and meta["items"][0]["title"] == "a\u200bb"  # read back the same


def test_a_redirect_to_another_port_is_named_for_it(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1)
    imgur.faults.append(Fault("redirect", path="/.*", headers={"Location": "https://i.imgur.com:22/x.jpg"}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{album.images[0].id}: refused a media URL on another port (i.imgur.com:22) (in a redirect)" in result.err


def test_an_answer_of_millions_of_tiny_items_is_refused_early(imgur: Imgur, tmp_path: Path) -> None:
    """The v1 answer, decoded as it arrives, is refused once 10,000 of its items proved unusable; the v3
    answer, read whole, by counting its objects before any is made."""
    imgur.add_album("GoOd123", count=1)
    body = b'{"id": "AbC1234", "is_album": true, "media": [' + b",".join([b"{}"] * 2_000_000) + b"]}"
    for path in ("/post/v1/albums/AbC1234", "/3/album/AbC1234"):
        imgur.faults.append(Fault("status", host="api.imgur.com", path=path, status=200, body=body))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/a/GoOd123")
    assert result.code == 1, result
    assert ("AbC1234: unusable answer from the API (more than 10,000 unusable media items) "
            "(and the v3 API: unusable answer from the API (more than 1,000,000 objects))") in result.err
    assert len(files_under(tmp_path)) == 1  # the other album is fetched


def test_an_album_answer_past_32_mib_is_read(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("BiG1234", count=2)
    answer = v1_answer(album)
    answer["description"] = "@"  # 40 MiB of text, put in place of the mark: a real answer of 86,000 files is this large
    before, after = json.dumps(answer).encode().split(b'"@"')  # (json.dumps would take 0.3 s escaping it)
    _answer(imgur, "BiG1234", before + b'"' + b"x" * (40 * 1024 * 1024) + b'"' + after)
    result = run_main("-o", str(tmp_path), "imgur.com/a/BiG1234")
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == 2


def test_a_wait_says_how_long_the_next_attempt_may_take(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/.*", attempts={1}, status=503,
                              headers={"Retry-After": "0"}))
    result = run_main("--timeout", "7", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "trying again in 0.0s; each attempt waits up to 7s for an answer" in result.err


def test_a_hangup_ignored_by_nohup_stays_ignored() -> None:
    before = signal.getsignal(signal.SIGHUP), signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as `nohup imgur-dl ...` starts it
        cli.handle_signals()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        signal.signal(signal.SIGHUP, signal.SIG_DFL)  # as a terminal starts it
        cli.handle_signals()
        assert signal.getsignal(signal.SIGHUP) not in (signal.SIG_DFL, signal.SIG_IGN)
    finally:
        signal.signal(signal.SIGHUP, before[0])
        signal.signal(signal.SIGTERM, before[1])


def test_a_disk_that_fails_to_write_back_leaves_no_file_and_says_each(imgur: Imgur, failing_write_back: Path) -> None:
    # Writes taken, then lost: fsync fails (EIO), and so does the close of what was written. Each file is one line
    # (it was "unexpected OSError (a bug)"), the run ends as one with failures, and nothing is left: not under a
    # final name, not hidden (album.json's), and no part file whose bytes never reached the disk for a rerun to trust.
    album = imgur.add_album("AbC1234", count=3, size=20_000)
    folder = failing_write_back / "AbC1234"
    result = run_main("--write-metadata", "--dir", "{album_id}", "-o", str(failing_write_back), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert sorted(result.err.splitlines()[:-1]) == sorted(
        [f"imgur-dl: error: AbC1234/{i.id}: cannot write {folder / f'00{n}-{i.id}.jpg'}: Input/output error"
         for n, i in enumerate(album.images, 1)] + [
            f"imgur-dl: error: AbC1234: cannot write {folder / 'album.json'}: Input/output error"]), result
    assert "files: 0 saved, 0 skipped, 3 failed" in result.err
    assert [p.name for p in failing_write_back.rglob("*") if p.is_file()] == []
