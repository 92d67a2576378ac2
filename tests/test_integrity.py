"""Files as the uploader left them (dates, names) and proof that each is right (SHA-256, the CDN's MD5)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from imgur_dl import archive as archive_module
from imgur_dl import books, folders, infolder, journal
from imgur_dl.archive import Entry, Record, Store, open_store
from imgur_dl.dedupe import link_to_copy
from imgur_dl.downloader import Downloader
from imgur_dl.models import Job, Result
from tests.conftest import ArchiveAt, files_under, held_below, run_main, until, writing_output
from tests.launcher import Launcher
from tests.standin import AlbumData, Fault, Image, Imgur, _v1_single

UPLOADED = [1_300_000_000, 1_400_000_000, 1_500_000_000]  # 2011, 2014, 2017


def _dated_album(imgur: Imgur, album_id: str = "AbC1234", count: int = 3, size: int = 20_000) -> AlbumData:
    album = imgur.add_album(album_id, count=count, size=size)
    for image, when in zip(album.images, UPLOADED, strict=False):
        image.datetime = when
    return album


def _kept_with_one_brought_back(imgur: Imgur, tmp_path: Path) -> tuple[AlbumData, Image]:
    """A dated album kept in ``tmp_path`` with --write-metadata, its second file brought back from the Wayback
    Machine: the album, and that file."""
    album = _dated_album(imgur)
    gone = album.images[1]
    gone.removed = True
    imgur.add_capture(f"http://i.imgur.com:80/{gone.id}.jpeg", "20150102030405", body=gone.data)
    assert run_main("--wayback", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    return album, gone


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mtimes(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in folder.iterdir() if p.is_file()}


# -- dates ------------------------------------------------------------------------------

def test_album_files_carry_their_upload_time(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    got = _mtimes(tmp_path / "AbC1234")
    assert got == {f"00{n}-{i.id}.jpg": float(i.datetime) for n, i in enumerate(album.images, 1)}


def test_a_single_image_and_listed_posts_carry_theirs(imgur: Imgur, tmp_path: Path) -> None:
    lone = imgur.add_image("LoNe123", datetime=1_234_567_890)
    listed = imgur.add_image("LiSt123", datetime=1_345_678_901, in_gallery=True)
    imgur.add_listing("user", "Miguenzo", [listed])
    assert run_main("-o", str(tmp_path), "imgur.com/LoNe123", "imgur.com/user/Miguenzo").code == 0
    assert (tmp_path / "LoNe123.jpg").stat().st_mtime == lone.datetime
    assert (tmp_path / "user Miguenzo" / "LiSt123.jpg").stat().st_mtime == listed.datetime


def test_no_mtime_keeps_the_download_time_and_a_rerun_dates_skipped_files(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur)
    before = time.time() - 5
    assert run_main("--no-mtime", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert all(m >= before for m in _mtimes(tmp_path / "AbC1234").values())
    rerun = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert "3 skipped" in rerun.err, rerun
    assert sorted(_mtimes(tmp_path / "AbC1234").values()) == [float(i.datetime) for i in album.images]


def test_a_rerun_leaves_the_time_of_a_file_with_other_names(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur, count=2)
    out = tmp_path / "o"
    assert run_main("--no-mtime", "-o", str(out), "imgur.com/a/AbC1234").code == 0
    first, second = (out / "AbC1234" / f"00{n}-{i.id}.jpg" for n, i in enumerate(album.images, 1))
    backup = tmp_path / "backup.jpg"  # outside the output folder: `cp -al`, rsnapshot
    os.link(first, backup)
    os.utime(backup, (1_600_000_000, 1_600_000_000))
    rerun = run_main("-o", str(out), "imgur.com/a/AbC1234")
    assert "2 skipped" in rerun.err, rerun
    assert backup.stat().st_mtime == 1_600_000_000  # its time is the backup's too: left alone
    assert second.stat().st_mtime == album.images[1].datetime  # a file of one name is dated


def test_a_resumed_file_is_dated_and_hashed_whole(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur, count=2, size=80_000)
    imgur.faults.append(Fault("reset", path="/.*", attempts={1}, after=50_000))
    result = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    rows = {r["id"]: r for r in map(json.loads, result.out.splitlines())}
    for n, image in enumerate(album.images, 1):
        path = tmp_path / "AbC1234" / f"00{n}-{image.id}.jpg"
        assert path.stat().st_mtime == image.datetime
        assert rows[image.id]["sha256"] == _sha(image.data)  # the 50,000 bytes held were hashed too


def test_a_recovered_file_is_dated_by_upload_else_by_capture(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur, count=1)
    known = album.images[0]
    known.removed = True
    imgur.add_capture(f"https://i.imgur.com/{known.id}.jpeg", "20190102030405", body=known.data)
    gone = Image("GoNe123", b"\xff\xd8\xff\xe0" + b"g" * 3000)  # the API no longer knows it
    imgur.add_capture("https://i.imgur.com/GoNe123.jpg", "20180607080910", body=gone.data)
    result = run_main("--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234", "i.imgur.com/GoNe123.jpg")
    assert result.code == 0, result
    assert (tmp_path / "AbC1234" / f"001-{known.id}.jpg").stat().st_mtime == known.datetime
    capture = datetime(2018, 6, 7, 8, 9, 10, tzinfo=timezone.utc).timestamp()
    assert (tmp_path / "GoNe123.jpg").stat().st_mtime == capture


def test_a_file_the_api_gives_no_time_for_carries_the_cdn_s_last_modified(imgur: Imgur, tmp_path: Path) -> None:
    """A hidden post's direct link (the API answers 404), or one fetched once the API's budget is spent: the time the
    CDN says it last changed the file (gallery-dl's default for every file), not the time of the download."""
    imgur.add_image("HiDd123", hidden=True)
    assert run_main("-o", str(tmp_path / "a"), "https://i.imgur.com/HiDd123.jpg").code == 0
    served = datetime(2024, 5, 17, 12, 34, 56, tzinfo=timezone.utc).timestamp()  # (standin.LAST_MODIFIED)
    assert (tmp_path / "a" / "HiDd123.jpg").stat().st_mtime == served
    before = time.time() - 5
    assert run_main("--no-mtime", "-o", str(tmp_path / "b"), "https://i.imgur.com/HiDd123.jpg").code == 0
    assert (tmp_path / "b" / "HiDd123.jpg").stat().st_mtime >= before
    dated = imgur.add_image("DaTe123", datetime=1_234_567_890)  # the API's upload time comes first
    assert run_main("-o", str(tmp_path / "c"), "https://i.imgur.com/DaTe123.jpg").code == 0
    assert (tmp_path / "c" / "DaTe123.jpg").stat().st_mtime == dated.datetime


# -- names ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "saved"), [
    ("test-テスト.jpg", "test-テスト.jpg"),
    ("holiday-2014", "holiday-2014.jpg"),
    ("", "NaMe123.jpg"),  # no name kept: the id
    ("../../etc/passwd", "_.._etc_passwd.jpg"),
    ("\x1b[2J-rf\u202e.jpg", "[2J-rf.jpg"),
])
def test_the_uploaders_file_name_is_a_field(imgur: Imgur, tmp_path: Path, name: str, saved: str) -> None:
    image = imgur.add_image("NaMe123", name=name)
    imgur.add_album("AbC1234", images=[image])
    result = run_main("--json", "--write-metadata", "--name", "{name}.{ext}", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234").keys() == {saved, "album.json"}
    assert json.loads(result.out)["name"] == name  # as Imgur gave it, escaped by JSON
    meta = json.loads((tmp_path / "AbC1234" / "album.json").read_text())
    assert meta["items"][0]["name"] == name


def test_fields_lists_name() -> None:
    assert "{name}\t" in run_main("--fields").out


# -- proof ------------------------------------------------------------------------------

def test_sha256_is_recorded_everywhere_byte_exact(imgur: Imgur, tmp_path: Path, archive: ArchiveAt) -> None:
    album = _dated_album(imgur)
    result = run_main("--json", "--write-metadata", "--download-archive", archive.location, "-o", str(tmp_path / "o"),
                      "imgur.com/a/AbC1234")
    assert result.code == 0, result
    want = {i.id: _sha(i.data) for i in album.images}
    assert {r["id"]: r["sha256"] for r in map(json.loads, result.out.splitlines())} == want
    meta = json.loads((tmp_path / "o" / "AbC1234" / "album.json").read_text())
    assert {i["id"]: i["sha256"] for i in meta["items"]} == want
    assert dict(archive.rows("SELECT id, sha256 FROM archive WHERE kind = 'image'")) == want
    for path in (tmp_path / "o" / "AbC1234").glob("*.jpg"):
        assert _sha(path.read_bytes()) in want.values()


def _items(folder: Path, name: str = "album.json") -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in json.loads((folder / name).read_text())["items"]}


_KEPT = ("file", "size", "url", "source", "wayback_timestamp", "sha256")


def test_a_rerun_keeps_what_album_json_said_of_the_files_it_finds_saved(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur)
    gone = album.images[1]
    gone.removed = True  # brought back from the Wayback Machine by the first run
    imgur.add_capture(f"http://i.imgur.com:80/{gone.id}.jpeg", "20150102030405", body=gone.data)
    args = ("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert run_main("--wayback", *args).code == 0
    first = _items(tmp_path / "AbC1234")
    assert first[gone.id]["source"] == "wayback" and first[gone.id]["sha256"] == _sha(gone.data)
    for again in (("--wayback", *args), args):  # a nightly rerun, with or without --wayback
        result = run_main(*again)
        assert "0 saved, 3 skipped" in result.err, result
        items = _items(tmp_path / "AbC1234")
        assert {i: {k: items[i][k] for k in _KEPT} for i in items} == {i: {k: first[i][k] for k in _KEPT}
                                                                       for i in first}
    # The proof still checks out, as the README shows it checked.
    for item in items.values():
        assert _sha((tmp_path / "AbC1234" / item["file"]).read_bytes()) == item["sha256"]


def test_a_rerun_says_everywhere_what_album_json_said_of_the_files_it_finds_saved(imgur: Imgur, tmp_path: Path,
                                                                                   archive: ArchiveAt) -> None:
    # A nightly rerun with --json (its rows kept as the run's log), and one that starts a download archive: the
    # files are found saved, and each row says what was recorded of them as they arrived, as album.json does.
    album, gone = _kept_with_one_brought_back(imgur, tmp_path)
    first = _items(tmp_path / "AbC1234")
    result = run_main("--json", "--download-archive", archive.location, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert "0 saved, 3 skipped" in result.err, result
    rows = {r["id"]: r for r in map(json.loads, result.out.splitlines())}
    assert {i: (r["status"], r["url"], r["source"], r["capture"], r["sha256"]) for i, r in rows.items()} == {
        i: ("skipped", f["url"], f["source"], f["wayback_timestamp"], f["sha256"]) for i, f in first.items()}
    assert rows[gone.id]["source"] == "wayback" and rows[gone.id]["sha256"] == _sha(gone.data)
    assert dict(archive.rows("SELECT id, sha256 FROM archive WHERE kind = 'image'")) == {
        i.id: _sha(i.data) for i in album.images}
    assert dict(archive.rows("SELECT id, source FROM archive WHERE kind = 'image'"))[gone.id] == "wayback"
    # Said of another file (a size that is not the one there now), nothing is taken.
    document = json.loads((tmp_path / "AbC1234" / "album.json").read_text())
    document["items"][0]["size"] += 1
    (tmp_path / "AbC1234" / "album.json").write_text(json.dumps(document))
    rows = {r["id"]: r for r in map(json.loads, run_main("--json", "-o", str(tmp_path),
                                                          "imgur.com/a/AbC1234").out.splitlines())}
    assert [rows[i.id]["sha256"] for i in album.images] == [None, _sha(gone.data), _sha(album.images[2].data)]


def test_an_archive_started_later_records_what_album_json_said_of_the_files(imgur: Imgur, tmp_path: Path,
                                                                            archive: ArchiveAt) -> None:
    # A folder kept with --write-metadata, then a nightly job that only starts an archive (no --json, no
    # album.json of its own): its rows say what was recorded of each file as it arrived, not null.
    album, gone = _kept_with_one_brought_back(imgur, tmp_path)
    result = run_main("--download-archive", archive.location, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert "0 saved, 3 skipped" in result.err, result
    assert sorted(archive.rows("SELECT id, source, sha256 FROM archive WHERE kind = 'image'")) == sorted(
        (i.id, "wayback" if i is gone else "imgur", _sha(i.data)) for i in album.images)


def _saved_then_stalled(imgur: Imgur, tmp_path: Path) -> tuple[AlbumData, Path, Callable[[], bool]]:
    """A three-file album whose last file stalls mid-body, for a run into ``tmp_path`` (--write-metadata): the album,
    its folder, and whether the two others are saved and the third stalled (the moment a run is ended at)."""
    album = _dated_album(imgur)
    last = album.images[2]
    imgur.faults.append(Fault("stall", path=f"/{last.id}\\..*", after=5_000))
    folder = tmp_path / "AbC1234"

    def two_saved() -> bool:
        return imgur.stalled >= 1 and all((folder / f"00{n}-{i.id}.jpg").exists()
                                          for n, i in enumerate(album.images[:2], 1))

    return album, folder, two_saved


def _finished_with_proof(imgur: Imgur, album: AlbumData, tmp_path: Path, folder: Path) -> None:
    """The run that finishes the album finds the files saved before and says, in its rows and album.json, what
    they were as they arrived; the journal is gone once album.json says it."""
    imgur.faults.clear()
    result = run_main("--json", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0 and "1 saved, 2 skipped" in result.err, result
    rows = {r["id"]: r for r in map(json.loads, result.out.splitlines())}
    assert {i.id: rows[i.id]["sha256"] for i in album.images} == {i.id: _sha(i.data) for i in album.images}
    items = _items(folder)
    assert {i.id: (items[i.id]["sha256"], items[i.id]["url"], items[i.id]["source"]) for i in album.images} == {
        i.id: (_sha(i.data), f"https://i.imgur.com/{i.id}.jpeg", "imgur") for i in album.images}
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_files_saved_by_a_run_ended_before_its_album_was_are_vouched_for_by_the_rerun(
        imgur: Imgur, tmp_path: Path) -> None:
    # Ctrl-C (or SIGTERM, SIGHUP) before an album's last file is in: album.json, written with the last file, was
    # not, and the rerun that finished the album found the files saved with nothing recorded: "sha256": null in
    # its rows and album.json, for good ("run the same command again to finish", the summary says).
    album, folder, two_saved = _saved_then_stalled(imgur, tmp_path)

    def interrupt() -> None:
        if until(two_saved):
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    first = run_main("--timeout", "30", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert first.code == 130 and not (folder / "album.json").exists(), first
    _finished_with_proof(imgur, album, tmp_path, folder)


@pytest.mark.parametrize("awaiting", ["files", "a lookup"])
def test_files_saved_by_a_run_killed_before_its_album_was_are_vouched_for_by_the_rerun(
        imgur: Imgur, tmp_path: Path, launcher: Launcher, awaiting: str) -> None:
    # kill -9 (the OOM killer, a power cut): nothing of the run is put away, and what was noted as each file was
    # saved, by the thread that saved it (whatever the run's main thread awaits: its other files, or the lookup of
    # another album), is what the rerun has.
    album, folder, two_saved = _saved_then_stalled(imgur, tmp_path)
    noted = folder / ".imgur-dl-journal-AbC1234.jsonl"
    held = Fault("hold", host="api.imgur.com", path="/post/v1/albums/XyZ9876")
    other = ["imgur.com/a/XyZ9876"] if awaiting == "a lookup" else []
    if other:
        imgur.add_album("XyZ9876", count=1)
        imgur.faults.append(held)
    proc = launcher.spawn(["--timeout", "30", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234",
                           *other])
    try:
        assert until(lambda: two_saved() and noted.exists() and noted.read_bytes().count(b"}\n") == 2)
    finally:
        proc.kill()
        proc.communicate()
        held.release.set()
    _finished_with_proof(imgur, album, tmp_path, folder)


def test_files_saved_by_a_run_killed_before_the_archive_took_them_are_vouched_for_by_the_rerun(
        imgur: Imgur, tmp_path: Path, launcher: Launcher) -> None:
    # The archive's records are gathered for a second before each write: a kill -9 lost a second's worth of them (in
    # runs of a 300-file album killed within 1.5 s, 598 of the 613 files saved), and the rerun, finding the files
    # saved, recorded each of them with "sha256": null, for good. Without --write-metadata too, each file is noted
    # in its album's journal as it takes its name, until the archive has its record.
    album, folder, two_saved = _saved_then_stalled(imgur, tmp_path)
    imgur.add_album("XyZ9876", count=1)
    noted = folder / ".imgur-dl-journal-AbC1234.jsonl"
    seen = tmp_path / "seen.sqlite"
    assert run_main("--download-archive", str(seen), "-o", str(tmp_path), "imgur.com/a/XyZ9876").code == 0
    assert not list((tmp_path / "XyZ9876").glob(".imgur-dl-journal-*"))  # (its records written: gone)
    args = ["--download-archive", str(seen), "-o", str(tmp_path), "imgur.com/a/AbC1234"]
    with contextlib.closing(sqlite3.connect(seen, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # (another process writing: no record of this run's is written meanwhile)
        proc = launcher.spawn(["--timeout", "30", *args])
        try:
            assert until(lambda: two_saved() and noted.exists() and noted.read_bytes().count(b"}\n") == 2)
        finally:
            proc.kill()
            proc.communicate()
        other.execute("ROLLBACK")
    imgur.faults.clear()
    result = run_main("--json", *args)
    assert result.code == 0 and "1 saved, 2 skipped" in result.err, result
    proof = {i.id: _sha(i.data) for i in album.images}
    assert {r["id"]: r["sha256"] for r in map(json.loads, result.out.splitlines())} == proof
    with contextlib.closing(sqlite3.connect(seen)) as db:
        assert dict(db.execute("SELECT id, sha256 FROM archive WHERE kind = 'image' AND album = 'AbC1234'")) == proof
    assert not noted.exists()  # (the archive says it now)


def test_a_journal_the_archive_s_writer_removes_as_the_run_lets_go_of_its_folders_is_gone_and_nothing_kept_open(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The archive's writer removes an album's journal once its records are written: at any moment, as the run's
    # main thread lets go of its folders too. Through the folders the run holds, it took one back into them (kept
    # open past the run), or found it let go of under it: "unexpected KeyError writing to the download archive
    # (a bug); nothing more is recorded in this run".
    imgur.add_album("AbC1234", count=2)
    let_go, forget = threading.Event(), books._forget
    close = folders.Folders.close

    def closed(self: folders.Folders) -> None:
        close(self)
        let_go.set()

    def late(root: Path, here: Path, folder: Path, album_id: str) -> None:
        assert let_go.wait(30)
        forget(root, here, folder, album_id)

    monkeypatch.setattr(folders.Folders, "close", closed)
    monkeypatch.setattr(books, "_forget", late)
    result = run_main("--download-archive", str(tmp_path / "seen.sqlite"), "-o", str(tmp_path / "out"),
                      "imgur.com/a/AbC1234")
    assert result.code == 0 and "unexpected" not in result.err, result
    assert let_go.is_set() and not list((tmp_path / "out" / "AbC1234").glob(".imgur-dl-journal-*"))
    assert held_below(tmp_path) == []  # (nothing of the output folder left open)


def test_a_journal_left_beside_an_album_the_archive_has_whole_is_removed_by_the_next_run(
        imgur: Imgur, tmp_path: Path) -> None:
    # Two runs of one album at once, a download archive alone, one killed: the other recorded every file and
    # removed the journal, and the killed one had noted a file again after that (its own copy of one the other had
    # saved). The album is whole in the archive, and the journal stayed beside it for good (one of twelve such runs).
    album = imgur.add_album("AbC1234", count=2)
    args = ("--download-archive", str(tmp_path / "seen.sqlite"), "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert run_main(*args).code == 0
    noted = tmp_path / "AbC1234" / ".imgur-dl-journal-AbC1234.jsonl"
    noted.write_text(journal.line("AbC1234", album.images[0].id, {"file": f"001-{album.images[0].id}.jpg",
                                                                  "sha256": _sha(album.images[0].data)}))
    result = run_main(*args)
    assert result.code == 0 and "0 saved, 2 skipped" in result.err, result
    assert not noted.exists()


def test_a_lone_image_saved_by_a_run_killed_before_its_json_was_written_is_vouched_for_by_the_rerun(
        imgur: Imgur, tmp_path: Path, launcher: Launcher) -> None:
    # A lone image's <id>.json is written by the run's main thread once it takes the file back from the worker that
    # saved it: a run killed in between (the main thread held up, here writing rows to a pipe nobody reads; in a
    # fleet, at its archive's server) left the rerun nothing to vouch for the file with: "sha256": null, for good.
    lone = imgur.add_image("LoNe123", size=20_000)
    imgur.add_album("AbC1234", count=400, size=100)
    held = Fault("hold", path="/LoNe123\\..*")
    imgur.faults.append(held)
    saved = tmp_path / "LoNe123.jpg"
    proc = launcher.spawn(["--json", "--write-metadata", "-o", str(tmp_path), "imgur.com/LoNe123",
                           "imgur.com/a/AbC1234"])
    try:
        # (the album's rows fill the pipe, and the main thread waits on it, writing: the lone image still held)
        assert until(writing_output(proc.pid))
        held.release.set()
        assert until(saved.exists)
    finally:
        proc.kill()
        proc.communicate()
    assert not (tmp_path / "LoNe123.json").exists()
    result = run_main("--json", "--write-metadata", "-o", str(tmp_path), "imgur.com/LoNe123")
    assert result.code == 0 and "0 saved, 1 skipped" in result.err, result
    proof = _sha(lone.data)
    assert json.loads(result.out)["sha256"] == proof
    assert _items(tmp_path, "LoNe123.json")["LoNe123"]["sha256"] == proof
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_file_is_noted_before_it_takes_its_name(imgur: Imgur, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Noted once renamed, by the thread that renamed it, a file went unsaid where the run was killed in between: a
    # moment that thread may spend waiting for the interpreter's lock (0.15 ms at the median, 4-10 ms at the 99th
    # percentile, with 8-32 workers): one file's record lost in some kills of seven. At the moment each file takes
    # its name, what its journal says of it is there already.
    album = _dated_album(imgur, count=4)
    lone = imgur.add_image("LoNe123", size=20_000)
    said: dict[str, str | None] = {}
    publish = infolder.publish

    def spied(dir_fd: int, part: str, name: str) -> None:
        if part.endswith(".part") and not name.endswith(".json"):
            noted = ".imgur-dl-journal-" + ("AbC1234" if name != "LoNe123.jpg" else "LoNe123") + ".jsonl"
            with contextlib.suppress(FileNotFoundError):
                fd = os.open(noted, os.O_RDONLY, dir_fd=dir_fd)
                with open(fd, "rb") as lines:
                    said.update((item["file"], item["sha256"]) for item in map(json.loads, lines.read().split()))
            said.setdefault(name, None)
        publish(dir_fd, part, name)

    monkeypatch.setattr(infolder, "publish", spied)
    result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/LoNe123")
    assert result.code == 0, result
    assert said == {**{f"00{n}-{i.id}.jpg": _sha(i.data) for n, i in enumerate(album.images, 1)},
                    "LoNe123.jpg": _sha(lone.data)}


@pytest.mark.parametrize("other", ["finished", "killed"])
def test_a_file_another_run_saves_meanwhile_is_said_as_that_run_recorded_it(
        imgur: Imgur, tmp_path: Path, launcher: Launcher, monkeypatch: pytest.MonkeyPatch, other: str) -> None:
    # Two runs of one album at once (a nightly job meeting the last one still at work): each says what the other
    # saved as the other recorded it. This run read the album's records once, at the first file it found saved; a
    # file the other saved after that was said with "sha256": null, in its row and in the album.json it wrote
    # last, for good. Now what the other noted since is read on: its album.json once it has finished the album,
    # or its journal (here, the other killed once it has noted the file).
    album = _dated_album(imgur)
    first, second, third = album.images
    held, holding = (Fault("hold", path=f"/{image.id}\\..*", attempts={1}) for image in (second, third))
    imgur.faults += [held, holding]
    folder, noted = tmp_path / "AbC1234", tmp_path / "AbC1234" / ".imgur-dl-journal-AbC1234.jsonl"
    url, args = "imgur.com/a/AbC1234", ["--timeout", "30", "--write-metadata", "-o", str(tmp_path)]
    booked, record, fetch = threading.Event(), books.Books.record, Downloader.fetch

    def booking(self: books.Books, result: Result) -> tuple[Result, bool]:
        kept = record(self, result)
        booked.set()  # (the first file it found saved: the album's records read)
        return kept

    def fetching(downloader: Downloader, job: Job) -> Result:
        if job.media.id == second.id:  # (the other saves it, now that this run has read what was said before)
            assert booked.wait(30)
            held.release.set()
            assert until(lambda: noted.exists() and second.id.encode() in noted.read_bytes())
            if other == "finished":
                holding.release.set()
                assert the_other.wait(30) == 0 and (folder / "album.json").exists()  # (and its journal removed,
                # unless this run has noted its own third file meanwhile)
            else:
                the_other.kill()
        return fetch(downloader, job)

    the_other = launcher.spawn([*args, url])
    try:
        assert until(lambda: noted.exists() and first.id.encode() in noted.read_bytes()  # (and the others asked)
                     and all(imgur.requests_to("i.imgur.com", f"/{i.id}.*") for i in (second, third)))
        monkeypatch.setattr(books.Books, "record", booking)
        monkeypatch.setattr(Downloader, "fetch", fetching)
        result = run_main("--json", *args, url)
    finally:
        for fault in imgur.faults:
            fault.release.set()
        with contextlib.suppress(ProcessLookupError):  # (killed already: gone)
            the_other.kill()
        the_other.communicate()
    assert result.code == 0, result
    rows = {row["id"]: row for row in map(json.loads, result.out.splitlines())}
    assert [rows[i.id]["status"] for i in (first, second)] == ["skipped", "skipped"]  # (the third: either run's)
    assert {i.id: rows[i.id]["sha256"] for i in album.images} == {i.id: _sha(i.data) for i in album.images}
    assert {media_id: item["sha256"] for media_id, item in _items(folder).items()} == {
        i.id: _sha(i.data) for i in album.images}


def test_a_file_another_run_notes_only_after_this_run_found_it_is_said_in_album_json(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The other run names its file, then notes it: this run may find the file between the two. Its row says what
    # was known then (nothing); the album.json it writes once the album is done reads what was noted since.
    album = _dated_album(imgur)
    _, second, third = album.images
    folder = tmp_path / "AbC1234"
    booked, record, fetch = threading.Event(), books.Books.record, Downloader.fetch

    def booking(self: books.Books, result: Result) -> tuple[Result, bool]:
        kept = record(self, result)
        if result.job.media.id == second.id:
            booked.set()
        return kept

    def fetching(downloader: Downloader, job: Job) -> Result:
        if job.media.id == second.id:  # (the other run's file, named, not noted yet)
            (folder / f"002-{second.id}.jpg").write_bytes(second.data)
        elif job.media.id == third.id:  # (... and noted once this run has found it)
            assert booked.wait(30)
            fd = os.open(folder, os.O_RDONLY)
            try:
                journal.append(fd, album.id, journal.line(album.id, second.id, {
                    "url": f"https://i.imgur.com/{second.id}.jpeg", "file": f"002-{second.id}.jpg",
                    "size": len(second.data), "source": "imgur", "wayback_timestamp": None,
                    "sha256": _sha(second.data), "linked_to": None}))
            finally:
                os.close(fd)
        return fetch(downloader, job)

    monkeypatch.setattr(books.Books, "record", booking)
    monkeypatch.setattr(Downloader, "fetch", fetching)
    result = run_main("--json", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    rows = {row["id"]: row for row in map(json.loads, result.out.splitlines())}
    assert (rows[second.id]["status"], rows[second.id]["sha256"]) == ("skipped", None)
    assert {media_id: item["sha256"] for media_id, item in _items(folder).items()} == {
        i.id: _sha(i.data) for i in album.images}
    assert not (folder / ".imgur-dl-journal-AbC1234.jsonl").exists()


def test_a_file_below_its_album_s_folder_is_said_where_it_is(imgur: Imgur, tmp_path: Path) -> None:
    # --name '{date}/{id}.{ext}' puts each file in a folder of its day: album.json said its name alone ("file":
    # "Ab00000.jpg"), which no check could find (README's sha256sum -c), nor tell from another day's file of that
    # name. It says its path in the album's folder now; an album.json of the earlier form is kept by the rerun
    # (same name, same size), and written anew as it is now.
    album = _dated_album(imgur)
    args = ["--write-metadata", "--name", "{date}/{id}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234"]
    assert run_main(*args).code == 0
    folder = tmp_path / "AbC1234"
    where = {i.id: f"{datetime.fromtimestamp(i.datetime, timezone.utc):%Y-%m-%d}/{i.id}.jpg" for i in album.images}
    items = _items(folder)
    assert {i: (item["file"], item["sha256"]) for i, item in items.items()} == {
        i.id: (where[i.id], _sha(i.data)) for i in album.images}
    assert all(_sha((folder / item["file"]).read_bytes()) == item["sha256"] for item in items.values())
    document = json.loads((folder / "album.json").read_text())
    for item in document["items"]:
        item["file"] = item["file"].rsplit("/", 1)[1]  # (as a run before 2026-12-06 wrote it)
    (folder / "album.json").write_text(json.dumps(document))
    rerun = run_main("--json", *args)
    assert rerun.code == 0 and "3 skipped" in rerun.err, rerun
    assert {row["id"]: row["sha256"] for row in map(json.loads, rerun.out.splitlines())} == {
        i.id: _sha(i.data) for i in album.images}
    assert {i: (item["file"], item["sha256"]) for i, item in _items(folder).items()} == {
        i.id: (where[i.id], _sha(i.data)) for i in album.images}


def test_a_lone_image_found_saved_says_what_its_own_json_recorded(imgur: Imgur, tmp_path: Path) -> None:
    # (A single image's metadata is <id>.json beside it, in a folder many share.)
    image = imgur.add_image("XyZ9876", size=3000)
    assert run_main("--write-metadata", "-o", str(tmp_path), "https://imgur.com/XyZ9876").code == 0
    result = run_main("--json", "-o", str(tmp_path), "https://imgur.com/XyZ9876")
    row = json.loads(result.out)
    assert (row["status"], row["sha256"]) == ("skipped", _sha(image.data)), result


def test_a_lone_image_s_json_says_its_caption_when_the_post_has_none(imgur: Imgur, tmp_path: Path) -> None:
    # A post of one image: its words are often the image's own (Imgur's post has no description of its own).
    image = imgur.add_image("XyZ9876", title="sunset", description="from the pier")
    assert run_main("--write-metadata", "-o", str(tmp_path), "https://imgur.com/XyZ9876").code == 0
    document = json.loads((tmp_path / "XyZ9876.json").read_text())
    assert (document["title"], document["description"]) == ("sunset", "from the pier")
    post = _v1_single(image)
    post["title"] = ""  # (a post left untitled, its image titled)
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/media/XyZ9876", status=200,
                              body=json.dumps(post).encode()))
    assert run_main("--write-metadata", "-o", str(tmp_path), "https://imgur.com/XyZ9876").code == 0
    assert json.loads((tmp_path / "XyZ9876.json").read_text())["title"] == "sunset"


def test_a_rerun_keeps_nothing_said_of_another_file(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur)
    folder = tmp_path / "AbC1234"
    assert run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    document = json.loads((folder / "album.json").read_text())
    one, two, three = document["items"]
    one["size"] += 1  # said of a file of another size: not the one there now
    two["sha256"] = "not a hash"  # not a value this program writes
    three["id"] = "Other00"  # said of another image
    (folder / "album.json").write_text(json.dumps(document))
    assert run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    items = _items(folder)
    assert [items[i.id]["sha256"] for i in album.images] == [None, None, None]
    # Renamed by a new template, a file is another file: nothing said of its old name is kept.
    assert run_main("--write-metadata", "--name", "{id}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    (folder / "album.json").unlink()
    assert run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert run_main("--write-metadata", "--name", "{id}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert {i["file"]: i["sha256"] for i in _items(folder).values()} == {f"{i.id}.jpg": None for i in album.images}


def test_an_album_json_that_is_no_file_of_ours_is_kept_and_the_album_s_written_beside_it(imgur: Imgur,
                                                                                         tmp_path: Path) -> None:
    _dated_album(imgur)
    folder = tmp_path / "AbC1234"
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    # A file that does not start as the album's metadata does is another's (an image a template named so): kept, the
    # album's written beside it, kept apart by the album's id, on every run.
    for planted in ("not json {", "[1, 2]", '{"id": "XyZ9876", "items": []}', "[" * 100_000):
        (folder / "album.json").write_text(planted)
        for _ in range(2):
            result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
            assert result.code == 0, result
            assert (folder / "album.json").read_text() == planted
            assert len(_items(folder, "album (AbC1234).json")) == 3
        (folder / "album (AbC1234).json").unlink()
    # One that does, read however it goes on (items that are no list), is written anew; so is a FIFO, not waited on
    # for a writer that never comes.
    for planted in ('{"id": "AbC1234", "items": {"a": 1}}', ' {\n"id":"AbC1234"'):
        (folder / "album.json").write_text(planted)
        result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
        assert result.code == 0, result
        assert len(_items(folder)) == 3
    (folder / "album.json").unlink()
    os.mkfifo(folder / "album.json")
    result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert len(_items(folder)) == 3
    assert not (folder / "album (AbC1234).json").exists()


def test_files_the_archive_has_keep_what_album_json_said_of_them(imgur: Imgur, tmp_path: Path,
                                                                 archive: ArchiveAt) -> None:
    album = _dated_album(imgur, count=2)
    args = ("--write-metadata", "--download-archive", archive.location, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert run_main(*args).code == 0
    first = _items(tmp_path / "AbC1234")
    album.images.append(imgur.add_image("NeW0001", size=500))  # the album grew since
    result = run_main(*args)
    assert "1 saved, 2 skipped" in result.err, result
    items = _items(tmp_path / "AbC1234")
    for image in album.images[:2]:
        assert items[image.id]["archived"] is True
        assert {k: items[image.id][k] for k in _KEPT} == {k: first[image.id][k] for k in _KEPT}
        assert items[image.id]["sha256"] == _sha(image.data)
    assert items["NeW0001"]["sha256"] == _sha(album.images[2].data)


@pytest.mark.parametrize("given", ["absolute", "relative"])  # (-o as given: the archive keeps the path so)
def test_files_the_archive_has_are_said_as_it_recorded_them_where_no_album_json_did(
        imgur: Imgur, tmp_path: Path, archive: ArchiveAt, monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    # A nightly sync run for months without --write-metadata, then with it: each file the archive had was written
    # into album.json as "file": null, "sha256": null, so the README's check of the folder (sha256sum -c) covered
    # none of them, though the archive kept where each was saved and what it hashed to as it arrived.
    album = _dated_album(imgur, count=3)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out" if given == "absolute" else Path("out")
    assert run_main("--download-archive", archive.location, "-o", str(out), "imgur.com/a/AbC1234").code == 0
    spoilt = out / "AbC1234" / f"003-{album.images[2].id}.jpg"
    spoilt.write_bytes(b"\x00" * len(album.images[2].data))  # (the disk lost it since: same name, same size)
    album.images.append(imgur.add_image("NeW0001", size=500))
    result = run_main("--write-metadata", "--download-archive", archive.location, "-o", str(out), "imgur.com/a/AbC1234")
    assert "1 saved, 3 skipped" in result.err, result
    items = _items(out / "AbC1234")
    for n, image in enumerate(album.images[:3], 1):
        assert {k: items[image.id][k] for k in ("archived", "file", "size", "source", "sha256")} == {
            "archived": True, "file": f"00{n}-{image.id}.jpg", "size": len(image.data), "source": "imgur",
            "sha256": _sha(image.data)}, items[image.id]
        assert items[image.id]["url"] == f"https://i.imgur.com/{image.id}.jpeg"  # (as a file saved says it)
    assert items["NeW0001"]["url"] == "https://i.imgur.com/NeW0001.jpeg"
    checked = {i["file"]: _sha((out / "AbC1234" / i["file"]).read_bytes()) == i["sha256"] for i in items.values()}
    assert checked == {f"001-{album.images[0].id}.jpg": True, f"002-{album.images[1].id}.jpg": True,
                       spoilt.name: False, "004-NeW0001.jpg": True}  # (what a check of the folder finds)


def test_files_the_archive_has_below_their_album_s_folder_are_said_as_it_recorded_them(
        imgur: Imgur, tmp_path: Path) -> None:
    # The same sync, its files in folders of their days (--name '{date}/{id}.{ext}'): each is looked for where the
    # archive says, below the album's folder, through no symlink (one planted in the way is no folder of the run's).
    album = _dated_album(imgur, count=3)
    archive, out = str(tmp_path / "seen.sqlite"), tmp_path / "out"
    args = ["--name", "{date}/{id}.{ext}", "--download-archive", archive, "-o", str(out), "imgur.com/a/AbC1234"]
    assert run_main(*args).code == 0
    folder = out / "AbC1234"
    where = {i.id: f"{datetime.fromtimestamp(i.datetime, timezone.utc):%Y-%m-%d}/{i.id}.jpg" for i in album.images}
    last = folder / where[album.images[2].id]
    elsewhere = tmp_path / "elsewhere"
    last.parent.rename(elsewhere)
    last.parent.symlink_to(elsewhere)  # (the file is there, through a link the run did not make)
    album.images.append(imgur.add_image("NeW0001", size=500))
    result = run_main("--write-metadata", *args)
    assert "1 saved, 3 skipped" in result.err, result
    items = _items(folder)
    assert {i.id: (items[i.id]["file"], items[i.id]["sha256"]) for i in album.images[:3]} == {
        **{i.id: (where[i.id], _sha(i.data)) for i in album.images[:2]}, album.images[2].id: (None, None)}
    assert all(_sha((folder / item["file"]).read_bytes()) == item["sha256"] for item in items.values() if item["file"])


def test_a_file_the_archive_has_that_left_its_folder_is_said_without_one(imgur: Imgur, tmp_path: Path,
                                                                          archive: ArchiveAt) -> None:
    # The archive kept where each file was saved; one was deleted since. An album.json written later names no file
    # for it (a check of the folder would fail on one that is not there), and still names the other.
    album = _dated_album(imgur, count=2)
    args = ("--download-archive", archive.location, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert run_main(*args).code == 0
    kept, gone = album.images
    (tmp_path / "AbC1234" / f"002-{gone.id}.jpg").unlink()
    result = run_main("--write-metadata", *args)
    assert result.code == 0 and "0 saved, 2 skipped" in result.err, result
    items = _items(tmp_path / "AbC1234")
    assert [(i["file"], i["source"], i["sha256"], i["archived"]) for i in items.values()] == [
        (f"001-{kept.id}.jpg", "imgur", _sha(kept.data), True), (None, None, None, True)]


def test_an_album_the_archive_has_whole_gets_the_album_json_its_folder_lacks_once(
        imgur: Imgur, tmp_path: Path, archive: ArchiveAt) -> None:
    # A sync run without --write-metadata, then with it: an album the archive has whole got no album.json (none of
    # its files is fetched), so its folder went without one for good. Where its folder is there without one, it is
    # written, once: the next run finds it and leaves it as it is.
    album = _dated_album(imgur, count=2)
    imgur.add_image("SiNgle1", size=300, in_gallery=True)
    out = tmp_path / "out"
    args = ("--download-archive", archive.location, "-o", str(out), "imgur.com/a/AbC1234", "imgur.com/SiNgle1")
    assert run_main(*args).code == 0
    result = run_main("--write-metadata", *args)
    assert result.code == 0 and "0 saved, 3 skipped" in result.err, result
    items = _items(out / "AbC1234")
    assert [(i["file"], i["sha256"], i["archived"]) for i in items.values()] == [
        (f"00{n}-{image.id}.jpg", _sha(image.data), True) for n, image in enumerate(album.images, 1)]
    # (a single image's <id>.json is not: its folder, the output folder, is there whether or not it was saved in it)
    assert sorted(p.name for p in out.iterdir()) == ["AbC1234", "SiNgle1.jpg"]
    written = (out / "AbC1234" / "album.json").stat()
    assert run_main("--write-metadata", *args).code == 0
    assert (out / "AbC1234" / "album.json").stat().st_ino == written.st_ino  # (not written again: a new file each)
    # A journal an earlier run could not remove (its disk failed the unlink): written again, once, and it is gone.
    noted = out / "AbC1234" / ".imgur-dl-journal-AbC1234.jsonl"
    noted.write_text(json.dumps({"album": "AbC1234", "id": album.images[0].id, **items[album.images[0].id]}) + "\n")
    assert run_main("--write-metadata", *args).code == 0
    assert not noted.exists() and (out / "AbC1234" / "album.json").stat().st_ino != written.st_ino
    assert _items(out / "AbC1234") == items
    # Likewise a lone image's journal: an earlier run saved it there and did not write its <id>.json (killed first,
    # or its disk failed the write). It is written now, and the journal is gone.
    single = imgur.images["SiNgle1"]
    noted = out / ".imgur-dl-journal-SiNgle1.jsonl"
    noted.write_text(json.dumps({"album": "SiNgle1", "id": "SiNgle1", "file": "SiNgle1.jpg", "size": 300,
                                 "url": "https://i.imgur.com/SiNgle1.jpeg", "source": "imgur",
                                 "wayback_timestamp": None, "sha256": _sha(single.data), "linked_to": None}) + "\n")
    assert run_main("--write-metadata", *args).code == 0
    assert not noted.exists()
    assert [(i["file"], i["sha256"]) for i in _items(out, "SiNgle1.json").values()] == [
        ("SiNgle1.jpg", _sha(single.data))]


def test_a_body_corrupted_in_flight_is_caught_by_its_md5_and_fetched_again(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur, count=2)
    bad = album.images[0]
    imgur.faults.append(Fault("corrupt", path=f"/{bad.id}.*", attempts={1}, after=1_000))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert (tmp_path / "AbC1234" / f"001-{bad.id}.jpg").read_bytes() == bad.data
    assert len(imgur.requests_to("i.imgur.com", f"/{bad.id}.*")) == 2
    assert len(result.waits) == 1  # one backoff, then the second attempt


def test_a_body_corrupted_every_time_fails_loudly_and_is_never_saved(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur, count=2)
    bad = album.images[0]
    imgur.faults.append(Fault("corrupt", path=f"/{bad.id}.*", after=1_000))
    result = run_main("--retries", "2", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"AbC1234/{bad.id}: the file's MD5 does not match the CDN's ETag" in result.err
    assert "(after 3 attempts)" in result.err
    assert sorted(files_under(tmp_path / "AbC1234")) == [f"002-{album.images[1].id}.jpg"]  # no .part either


def test_an_etag_that_is_not_an_md5_is_not_interpreted(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur, count=2)
    album.images[0].etag = '"9b2cf535f27731c974343645a3985328-2"'  # a multipart upload's form
    album.images[1].etag = 'W/"0123456789abcdef0123456789abcdef"'  # weak: says nothing of the bytes
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert len(imgur.requests_to("i.imgur.com")) == 2  # no retry: nothing was compared


# -- duplicates ---------------------------------------------------------------------------

def _twins(imgur: Imgur) -> tuple[AlbumData, AlbumData]:
    first = imgur.add_album("FiRst12", count=2, size=30_000)
    copy = imgur.add_image("CoPy123", size=30_000)
    copy.data = first.images[0].data  # the same picture, reposted under another id
    second = imgur.add_album("SeCnd12", images=[copy, imgur.add_image("OwN1234", size=30_000)])
    return first, second


def _first_saved(imgur: Imgur, tmp_path: Path) -> tuple[str, Path, Path]:
    """The twins' first album saved with an archive: the archive, the output folder, and the copy the second's
    reposted image is the same bytes as."""
    first, _ = _twins(imgur)
    archive, out = str(tmp_path / "seen.sqlite"), tmp_path / "o"
    assert run_main("--download-archive", archive, "-o", str(out), "imgur.com/a/FiRst12").code == 0
    return archive, out, out / "FiRst12" / f"001-{first.images[0].id}.jpg"


def test_dedupe_links_the_same_bytes_under_another_id(imgur: Imgur, tmp_path: Path, archive: ArchiveAt) -> None:
    first, _ = _twins(imgur)
    out = tmp_path / "o"
    assert run_main("--download-archive", archive.location, "-o", str(out), "imgur.com/a/FiRst12").code == 0
    result = run_main("--json", "--write-metadata", "--dedupe", "--download-archive", archive.location, "-o",
                      str(out), "imgur.com/a/SeCnd12")
    assert result.code == 0, result
    original = out / "FiRst12" / f"001-{first.images[0].id}.jpg"
    assert {i: item["linked_to"] for i, item in _items(out / "SeCnd12").items()} == {"CoPy123": str(original),
                                                                                     "OwN1234": None}
    linked = out / "SeCnd12" / "001-CoPy123.jpg"
    assert linked.read_bytes() == original.read_bytes()
    assert os.stat(linked).st_ino == os.stat(original).st_ino
    assert os.stat(out / "SeCnd12" / "002-OwN1234.jpg").st_nlink == 1
    rows = {r["id"]: r for r in map(json.loads, result.out.splitlines())}
    assert rows["CoPy123"]["linked_to"] == str(original) and rows["CoPy123"]["status"] == "saved"
    assert rows["OwN1234"]["linked_to"] is None
    assert "2 saved (1 linked to an earlier copy)" in result.err


def test_a_link_made_by_a_run_killed_before_its_album_was_is_said_by_the_rerun(
        imgur: Imgur, tmp_path: Path, launcher: Launcher) -> None:
    # The journal notes a file as it is saved, before --dedupe makes it a link to the earlier copy: noted once, a
    # kill -9 before album.json left the rerun's album.json saying "linked_to": null of a file that is a link.
    archive, out, original = _first_saved(imgur, tmp_path)
    imgur.faults.append(Fault("stall", path="/OwN1234\\..*", after=5_000))
    noted = out / "SeCnd12" / ".imgur-dl-journal-SeCnd12.jsonl"
    proc = launcher.spawn(["--timeout", "30", "--write-metadata", "--dedupe", "--download-archive", archive, "-o",
                           str(out), "imgur.com/a/SeCnd12"])
    try:
        assert until(lambda: noted.exists() and f'"linked_to":{json.dumps(str(original))}'.encode()
                     in noted.read_bytes())
    finally:
        proc.kill()
        proc.communicate()
    imgur.faults.clear()
    rerun = run_main("--write-metadata", "--dedupe", "--download-archive", archive, "-o", str(out),
                     "imgur.com/a/SeCnd12")
    assert rerun.code == 0 and "1 saved, 1 skipped" in rerun.err, rerun
    assert {i: item["linked_to"] for i, item in _items(out / "SeCnd12").items()} == {"CoPy123": str(original),
                                                                                     "OwN1234": None}
    assert os.stat(out / "SeCnd12" / "001-CoPy123.jpg").st_ino == os.stat(original).st_ino


def test_dedupe_asks_for_a_few_earlier_copies_at_a_time_and_reads_each_file_once(
        imgur: Imgur, tmp_path: Path, archive: ArchiveAt, monkeypatch: pytest.MonkeyPatch) -> None:
    # A picture reposted thousands of times has a row for each id it was saved as. Here the oldest hundred rows
    # name one file, its bytes changed in place since (or a file at its file system's most links: each is read
    # in vain); then the whole copy; then a thousand more. The file is linked to the whole copy, the changed file
    # read once (not once a name), and the rows after the copy are never brought back.
    first, _ = _twins(imgur)
    out = tmp_path / "o"
    edited = out / "edited"
    edited.mkdir(parents=True)
    size = len(first.images[0].data)
    (edited / "0.jpg").write_bytes(b"\xff" * size)
    for i in range(1, 100):
        os.link(edited / "0.jpg", edited / f"{i}.jpg")
    sha = _sha(first.images[0].data)

    def record(ids: range, prefix: str, path: Callable[[int], Path]) -> None:
        store = open_store(archive.location)
        try:
            store.write([Record(Entry.IMAGE, f"{prefix}{i:05d}", "OtHer12", str(path(i)), sha256=sha) for i in ids])
        finally:
            store.close()

    record(range(100), "Ed", lambda i: edited / f"{i}.jpg")
    assert run_main("--download-archive", archive.location, "-o", str(out), "imgur.com/a/FiRst12").code == 0
    original = out / "FiRst12" / f"001-{first.images[0].id}.jpg"
    record(range(1000), "La", lambda i: out / "later" / f"{i}.jpg")

    brought: list[int] = []
    opened = archive_module.open_store

    def counted(*args: Any, **kwargs: Any) -> Store:
        store = opened(*args, **kwargs)
        asked = store.copies

        def copies(sha256: str, skip: int, most: int) -> list[tuple[str, str]]:
            rows = asked(sha256, skip, most)
            brought.append(len(rows))
            return rows

        monkeypatch.setattr(store, "copies", copies)
        return store

    read: list[str] = []
    hashed = infolder.sha256_of

    def reading(fd: int, name: str) -> str:
        read.append(name)
        return hashed(fd, name)

    monkeypatch.setattr(archive_module, "open_store", counted)
    monkeypatch.setattr(infolder, "sha256_of", reading)
    result = run_main("--json", "--dedupe", "--download-archive", archive.location, "-o", str(out),
                      "imgur.com/a/SeCnd12")
    assert result.code == 0, result
    rows = {r["id"]: r for r in map(json.loads, result.out.splitlines())}
    assert rows["CoPy123"]["linked_to"] == str(original), rows
    assert os.stat(out / "SeCnd12" / "001-CoPy123.jpg").st_ino == os.stat(original).st_ino
    assert sorted(read) == sorted([original.name, "0.jpg"]), read  # (the changed file by its first name)
    assert 101 <= sum(brought) < 200, brought  # (the rows up to the copy, a page at a time; of the 1,101)


def test_dedupe_links_what_the_run_saves_never_a_file_it_finds_there(imgur: Imgur, tmp_path: Path) -> None:
    # Files an earlier run saved apart (without --dedupe) are found whole on a rerun with it: they are the user's
    # as they are, skipped, and stay two files (their album.json says what they hold, so the hash is known).
    _twins(imgur)
    out = tmp_path / "o"
    urls = ("imgur.com/a/FiRst12", "imgur.com/a/SeCnd12")
    assert run_main("--write-metadata", "-o", str(out), *urls).code == 0
    result = run_main("--json", "--write-metadata", "--dedupe", "--download-archive", str(tmp_path / "new.sqlite"),
                      "-j", "1", "-o", str(out), *urls)
    assert result.code == 0, result
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert {r["status"] for r in rows} == {"skipped"} and all(r["sha256"] for r in rows)
    assert [r["linked_to"] for r in rows] == [None] * 4
    assert os.stat(out / "SeCnd12" / "001-CoPy123.jpg").st_nlink == 1
    assert "linked" not in result.err


def test_dedupe_never_follows_a_symlink_planted_where_the_copy_was(imgur: Imgur, tmp_path: Path) -> None:
    archive, out, original = _first_saved(imgur, tmp_path)
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(original.read_bytes())  # the same bytes, outside the output folder
    original.unlink()
    original.symlink_to(outside)
    result = run_main("--dedupe", "--download-archive", archive, "-o", str(out), "imgur.com/a/SeCnd12")
    assert result.code == 0, result
    kept = out / "SeCnd12" / "001-CoPy123.jpg"
    assert not kept.is_symlink() and kept.stat().st_nlink == 1 and kept.stat().st_ino != outside.stat().st_ino
    assert "linked" not in result.err


def test_dedupe_links_nothing_when_the_copy_is_swapped_after_it_was_checked(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another process puts a file of its own where the copy was, between the copy's check (its bytes hashed) and
    # the link: the link made is to that file, not the copy checked; it is taken away again, and the file saved
    # stays as it was saved, with no name left behind.
    archive, out, original = _first_saved(imgur, tmp_path)
    hashed = infolder.sha256_of

    def then_swapped(fd: int, name: str) -> str:
        digest = hashed(fd, name)
        if name == original.name:
            swapped = original.with_name("swapped")
            swapped.write_bytes(original.read_bytes())
            os.replace(swapped, original)  # (the same bytes, another file)
        return digest

    monkeypatch.setattr(infolder, "sha256_of", then_swapped)
    result = run_main("--dedupe", "--download-archive", archive, "-o", str(out), "imgur.com/a/SeCnd12")
    assert result.code == 0, result
    kept = out / "SeCnd12" / "001-CoPy123.jpg"
    assert kept.stat().st_nlink == 1 and kept.read_bytes() == original.read_bytes()
    assert original.stat().st_nlink == 1
    assert sorted(p.name for p in kept.parent.iterdir()) == ["001-CoPy123.jpg", "002-OwN1234.jpg"]
    assert "linked" not in result.err


def test_dedupe_leaves_no_name_behind_when_another_process_linked_the_file_meanwhile(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two runs deduping one file at once: the other links it to the copy between this one's check and its rename.
    # Renamed over a name of the same file, the link made under a hidden name stayed there (a rename between two
    # names of one file does nothing): ".imgur-dl-link-<hex>.part", left in the album's folder (met by several runs
    # side by side in one program, 1 in 200).
    archive, out, original = _first_saved(imgur, tmp_path)
    kept = out / "SeCnd12" / "001-CoPy123.jpg"
    hashed = infolder.sha256_of

    def linked_meanwhile(fd: int, name: str) -> str:
        digest = hashed(fd, name)
        if name == original.name and kept.stat().st_ino != original.stat().st_ino:
            os.link(original, kept.with_name("theirs"))
            os.replace(kept.with_name("theirs"), kept)
        return digest

    monkeypatch.setattr(infolder, "sha256_of", linked_meanwhile)
    result = run_main("--dedupe", "--download-archive", archive, "-o", str(out), "imgur.com/a/SeCnd12")
    assert result.code == 0, result
    assert kept.stat().st_ino == original.stat().st_ino
    assert sorted(p.name for p in kept.parent.iterdir()) == ["001-CoPy123.jpg", "002-OwN1234.jpg"]


def test_dedupe_needs_an_archive(tmp_path: Path) -> None:
    result = run_main("--dedupe", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 2
    assert "--dedupe needs --download-archive" in result.err


def test_an_archive_of_the_previous_release_is_migrated_in_place(imgur: Imgur, tmp_path: Path) -> None:
    album = _dated_album(imgur, count=2)
    archive = tmp_path / "old.sqlite"
    with contextlib.closing(sqlite3.connect(archive)) as db, db:  # the first release's table: no source, no sha256
        db.execute("CREATE TABLE archive (id TEXT NOT NULL, kind TEXT NOT NULL, album TEXT, path TEXT, "
                   "added TEXT NOT NULL, PRIMARY KEY (kind, id))")
        db.execute("INSERT INTO archive VALUES (?, 'image', 'AbC1234', 'x.jpg', '2023-01-01T00:00:00Z')",
                   (album.images[0].id,))
    fleet = run_main("--download-archive", str(archive), "--fleet")  # (read as it is, changed in nothing)
    assert fleet.code == 0 and json.loads(fleet.out)["claims"]["done"] == 0, fleet
    result = run_main("--json", "--download-archive", str(archive), "-o", str(tmp_path / "o"), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert sorted(r["status"] for r in map(json.loads, result.out.splitlines())) == ["saved", "skipped"]
    with contextlib.closing(sqlite3.connect(archive)) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(archive)")]
        assert columns[-2:] == ["source", "sha256"]
        assert dict(db.execute("SELECT id, sha256 FROM archive WHERE kind = 'image'")) == {
            album.images[0].id: None,
            album.images[1].id: _sha(album.images[1].data)}


def test_dedupe_leaves_the_part_file_another_process_is_writing(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive, out, original = _first_saved(imgur, tmp_path)
    theirs = out / "SeCnd12" / "001-CoPy123.jpg.part"
    held: list[int] = []

    def another_process_starts_it(result: Result, *args: Any) -> Path | None:
        # Another imgur-dl (a cron job overlapping this run) found the file missing a moment before this run saved
        # it, and is writing it now: its part file, under its lock.
        if result.job.media.id == "CoPy123":
            held.append(os.open(theirs, os.O_RDWR | os.O_CREAT, 0o644))
            os.write(held[0], b"\xff\xd8\xff theirs, so far")
            fcntl.flock(held[0], fcntl.LOCK_EX)
        return link_to_copy(result, *args)

    monkeypatch.setattr(books, "link_to_copy", another_process_starts_it)
    try:
        result = run_main("--dedupe", "--download-archive", archive, "-o", str(out), "imgur.com/a/SeCnd12")
        assert result.code == 0, result
        assert os.stat(theirs).st_ino == os.fstat(held[0]).st_ino  # still theirs, where they put it
        assert theirs.read_bytes() == b"\xff\xd8\xff theirs, so far"
    finally:
        os.close(held[0])
    assert os.stat(out / "SeCnd12" / "001-CoPy123.jpg").st_ino == os.stat(original).st_ino  # linked all the same
    assert sorted(p.name for p in (out / "SeCnd12").iterdir()) == ["001-CoPy123.jpg", "001-CoPy123.jpg.part",
                                                                   "002-OwN1234.jpg"]  # (no link left over)
