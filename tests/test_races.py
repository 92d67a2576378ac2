"""Nothing another album or another process does can misplace, cut or lose a file."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from imgur_dl import archive_sqlite, folders, infolder, leftovers
from imgur_dl.downloader import Downloader
from imgur_dl.models import Album, Job, Media, Result, Source
from imgur_dl.naming import private_part
from imgur_dl.partfile import ETAG_XATTR, PartFile
from imgur_dl.standing import Standing
from tests.clock import FastClock
from tests.conftest import files_under, run_main
from tests.launcher import Launcher
from tests.standin import Fault, Image, Imgur


def test_two_albums_in_one_folder_each_keep_their_files(imgur: Imgur, tmp_path: Path) -> None:
    first = imgur.add_album("FiRst12", count=1, size=1_000)  # untitled, as the next: both folders are "_"
    second = imgur.add_album("SeCnd12", count=3, size=300_000)
    imgur.gate = 4  # every file asked before any is answered: all four hold the folder
    imgur.shaping.conn_rate = 1_500_000  # the second album's files are still coming when the first is done
    result = run_main("-j", "4", "--dir", "2024/{album_title}", "--name", "{album_id}-{num}.{ext}",
                      "-o", str(tmp_path), "imgur.com/a/FiRst12", "imgur.com/a/SeCnd12")
    assert result.code == 0, result
    want = {"2024/_/FiRst12-1.jpg": first.images[0].data}
    want |= {f"2024/_/SeCnd12-{n}.jpg": image.data for n, image in enumerate(second.images, 1)}
    assert files_under(tmp_path) == want


def test_titles_that_sanitise_alike_share_one_folder_safely(imgur: Imgur, tmp_path: Path) -> None:
    albums = [imgur.add_album(f"T{n}tle12", count=2, size=200_000, title=title)
              for n, title in enumerate(["..", ".", " ", "Cafe\u0301", "Caf\u00e9"])]
    imgur.gate = 6
    imgur.shaping.conn_rate = 3_000_000
    result = run_main("-j", "6", "--dir", "x/{album_title}", "--name", "{album_id}-{num}.{ext}", "-o",
                      str(tmp_path), *[f"imgur.com/a/{a.id}" for a in albums])
    assert result.code == 0, result
    got = files_under(tmp_path)
    for album in albums:
        folder = "Café" if album.title.startswith("Caf") else "_"
        for n, image in enumerate(album.images, 1):
            assert got[f"x/{folder}/{album.id}-{n}.jpg"] == image.data
    assert len(got) == 10


def _hold(path: Path, data: bytes) -> int:
    """What another imgur-dl process does while it writes a file: the part file, locked."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, data)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_part_file_another_process_writes_is_never_touched(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, size=50_000)
    folder = tmp_path / "AbC1234"
    folder.mkdir()
    theirs = folder / f"001-{album.images[0].id}.jpg.part"
    fd = _hold(theirs, album.images[0].data[:20_000])
    try:
        result = run_main("--retries", "2", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    finally:
        os.close(fd)
    assert result.code == 1, result
    assert "another imgur-dl process is writing this file" in result.err
    assert theirs.read_bytes() == album.images[0].data[:20_000]  # neither appended to, nor renamed, nor removed
    assert files_under(folder) == {theirs.name: album.images[0].data[:20_000],
                                   f"002-{album.images[1].id}.jpg": album.images[1].data}


class _Finisher(FastClock):
    """Lets the other process finish its file during the first wait (after ``growing`` waits, at each of which it
    writes a little more of it)."""

    def __init__(self, fd: int, part: Path, final: Path, data: bytes, growing: int = 0) -> None:
        super().__init__()
        self.fd, self.part, self.final, self.data, self.growing = fd, part, final, data, growing

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if self.fd >= 0 and self.growing:
            self.growing -= 1
            os.write(self.fd, self.data[:1_000])  # (its part file grows)
        elif self.fd >= 0:
            os.pwrite(self.fd, self.data, 0)
            os.replace(self.part, self.final)
            os.close(self.fd)
            self.fd = -1
        return super().wait(event, seconds)


@pytest.mark.parametrize("growing", [0, 20])
def test_a_file_the_other_process_finishes_meanwhile_counts_as_skipped(imgur: Imgur, tmp_path: Path,
                                                                       growing: int) -> None:
    # However long the other process takes: while its part file grows, waiting on it spends no attempt (before, a
    # big file failed after --retries waits of a second or so: "another imgur-dl process is writing this file").
    album = imgur.add_album("AbC1234", count=1, size=50_000)
    folder = tmp_path / "AbC1234"
    folder.mkdir()
    name = f"001-{album.images[0].id}.jpg"
    fd = _hold(folder / (name + ".part"), b"\xff\xd8")
    clock = _Finisher(fd, folder / (name + ".part"), folder / name, album.images[0].data, growing=growing)
    result = run_main("--retries", "2", "-o", str(tmp_path), "imgur.com/a/AbC1234", clock=clock)
    assert result.code == 0, result
    assert "files: 0 saved, 1 skipped, 0 failed" in result.err
    assert files_under(folder) == {name: album.images[0].data}
    assert imgur.requests_to("i.imgur.com") == [] and len(clock.waits) == growing + 1


@pytest.mark.parametrize(("kind", "theirs"), [("a picture", "this file"), ("an animation", "this file"),
                                             ("untitled", "this file"), ("untitled", "another post's")])
def test_a_file_another_process_finishes_after_this_one_looked_ends_this_one_s_before_a_byte_is_written(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, theirs: str) -> None:
    # Two processes at one album (no --share-work): this one finds nothing at the name and asks the CDN; the other
    # renames its whole file into place before this one makes its part file. This one wrote the body into a part
    # file beside the whole file: killed then, that part file stayed for good where the download archive has the
    # album (no run opens its folder again). Now nothing is written: the file there is taken, skipped; at a name not
    # made from ids ('{title}.{ext}'), only where it is of the bytes the CDN answers (else it is another post's: this
    # one is saved, kept apart by its id).
    image = imgur.add_image("XyZ9876", size=20_000, ext="gif" if kind == "an animation" else "jpeg",
                            animated=kind == "an animation")
    imgur.add_album("AbC1234", images=[image])
    data = image.mp4 if image.mp4 is not None else image.data
    folder = tmp_path / "AbC1234"
    final = folder / ("_.jpg" if kind == "untitled" else "001-XyZ9876.mp4" if image.mp4 else "001-XyZ9876.jpg")
    saved = data if theirs == "this file" else data[::-1]
    open_new_or_found, write = infolder.open_new_or_found, PartFile.write
    written: list[tuple[str, bool]] = []

    def the_other_finishes_first(dir_fd: int, name: str) -> tuple[int, bool]:
        if name.endswith(".part") and not final.exists():
            (folder / "theirs.tmp").write_bytes(saved)
            (folder / "theirs.tmp").rename(final)
        return open_new_or_found(dir_fd, name)

    def noted(part: PartFile, chunk: bytes) -> None:
        written.append((part.part, final.exists()))
        write(part, chunk)

    monkeypatch.setattr(infolder, "open_new_or_found", the_other_finishes_first)
    monkeypatch.setattr(PartFile, "write", noted)
    flags = ["--name", "{title}.{ext}"] if kind == "untitled" else []
    result = run_main("--json", *flags, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    rows = [(row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())]
    if theirs == "this file":
        assert rows == [("skipped", str(final))], result
        assert written == []  # (before: [('001-XyZ9876.jpg.part', True), ...], the part file written beside it)
        assert files_under(folder) == {final.name: data}
    else:
        assert rows == [("saved", str(folder / "_ (XyZ9876).jpg"))], result
        assert files_under(folder) == {"_.jpg": saved, "_ (XyZ9876).jpg": data}


def test_a_copy_of_this_image_another_album_keeps_at_this_one_s_kept_apart_name_is_not_taken_for_this_one(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One image in two albums that share a folder: a copy each, under a name of its own ('ShArEd1.jpg', then
    # 'ShArEd1 (ShArEd1).jpg'). The second copy, saved first, stands at the name the first would be kept apart under:
    # it is the other album's, not this one's finished by another process (both albums' rows said one file).
    shared = imgur.add_image("ShArEd1", size=3000)
    for album_id in ("AbC1234", "DeF5678"):
        imgur.add_album(album_id, title="Holiday", images=[shared])
    folder = tmp_path / "Holiday"
    open_new_or_found = infolder.open_new_or_found

    def the_second_copy_first(dir_fd: int, name: str) -> tuple[int, bool]:
        if name.endswith(".part") and not (folder / "ShArEd1 (ShArEd1).jpg").exists():
            (folder / "ShArEd1 (ShArEd1).jpg").write_bytes(shared.data)
        return open_new_or_found(dir_fd, name)

    monkeypatch.setattr(infolder, "open_new_or_found", the_second_copy_first)
    result = run_main("--json", "-j", "1", "--dir", "{album_title}", "--name", "{name}.{ext}", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234", "imgur.com/a/DeF5678")
    assert result.code == 0, result
    assert [(row["album"], row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())] == [
        ("AbC1234", "saved", str(folder / "ShArEd1.jpg")),
        ("DeF5678", "skipped", str(folder / "ShArEd1 (ShArEd1).jpg"))], result


class _Meanwhile(FastClock):
    """Lets the other processes do ``what`` during the first wait."""

    def __init__(self, what: Callable[[], None]) -> None:
        super().__init__()
        self.what: Callable[[], None] | None = what

    def wait(self, event: threading.Event, seconds: float) -> bool:
        what, self.what = self.what, None
        if what is not None:
            what()
        return super().wait(event, seconds)


@pytest.mark.parametrize("theirs", ["another post's picture of this size", "another post's animation",
                                    "this very file", "this very file, kept apart"])
def test_what_the_other_process_finishes_at_a_name_another_post_s_file_may_have_is_this_file_only_if_it_is(
        imgur: Imgur, tmp_path: Path, theirs: str) -> None:
    # --name '{num}.{ext}' in one folder (a fleet sharing work, each process at another album): while this one waits
    # on the process writing this very file (its part file named by its id too, as it is only ever its own), a third
    # saves another post's file at its name. Before, what stood at the name once the wait was over was said skipped
    # (of the size the API gives, or any MP4, whose size it does not give): never fetched. Now the CDN's answer tells;
    # and this file, kept apart by the one writing it, is found where it is.
    animated = theirs == "another post's animation"
    image = imgur.add_image("ThIs123", size=5_000, ext="gif" if animated else "jpeg", animated=animated)
    imgur.add_album("AbC1234", images=[image])
    mine = image.mp4 if image.mp4 is not None else image.data
    other = mine[:24] + b"another post" * ((len(mine) - 24) // 12 + 1)
    other = other[:len(mine)] if not animated else other[:len(mine) - 100]
    folder = tmp_path / "AbC1234"
    folder.mkdir()
    name = "1.mp4" if animated else "1.jpg"
    apart = name.replace("1.", "1 (ThIs123).")
    fd = _hold(folder / (apart + ".part"), mine[:10])

    def meanwhile() -> None:
        if theirs != "this very file":
            (folder / name).write_bytes(other)
        if theirs.startswith("this very file"):
            os.pwrite(fd, mine, 0)
            os.replace(folder / (apart + ".part"), folder / (apart if theirs.endswith("apart") else name))
        os.close(fd)  # (let go of: finished, or given up on)

    result = run_main("--json", "--name", "{num}.{ext}", "--retries", "2", "-o", str(tmp_path), "imgur.com/a/AbC1234",
                      clock=_Meanwhile(meanwhile))
    assert result.code == 0, result
    [row] = map(json.loads, result.out.splitlines())
    if theirs == "this very file":  # (one file, not two; its body not read)
        assert (row["status"], row["path"]) == ("skipped", str(folder / name))
        assert files_under(folder) == {name: mine}
    else:
        status = "skipped" if theirs.startswith("this very file") else "saved"
        assert (row["status"], row["path"]) == (status, str(folder / apart)), result
        assert files_under(folder) == {name: other, apart: mine}


def test_what_stands_at_the_name_once_the_wait_ends_is_taken_as_a_file_found_there_before_the_run_is(
        imgur: Imgur, tmp_path: Path) -> None:
    # An animation's MP4 (of no size the API gives): while this run waits on the part file another process holds,
    # a web page is left at the name (an error page another tool saved there). Found there before the run, a file
    # that does not start as an MP4 does is fetched over; found once the wait ends, it was said skipped, the page
    # left under the MP4's name.
    image = imgur.add_image("ThIs123", size=5_000, ext="gif", animated=True)
    assert image.mp4 is not None
    imgur.add_album("AbC1234", images=[image])
    folder = tmp_path / "AbC1234"
    folder.mkdir()
    name = "001-ThIs123.mp4"
    page = b"<!doctype html><title>502 Bad Gateway</title>"
    fd = _hold(folder / (name + ".part"), image.mp4[:10])

    def meanwhile() -> None:
        (folder / name).write_bytes(page)
        os.close(fd)  # (given up on)

    result = run_main("--json", "--retries", "2", "-o", str(tmp_path), "imgur.com/a/AbC1234",
                      clock=_Meanwhile(meanwhile))
    assert result.code == 0, result
    [row] = map(json.loads, result.out.splitlines())
    assert (row["status"], row["path"]) == ("saved", str(folder / name)), result
    assert files_under(folder) == {name: image.mp4}


def test_a_part_file_left_beside_a_whole_file_is_removed_unless_it_is_written(imgur: Imgur, tmp_path: Path) -> None:
    # Two runs into one folder (a cron job overlapping a manual run): one killed as it wrote a file the other
    # finished left its part file beside the whole file, which every run after skips: the next one removes it. One
    # another process holds (it is writing it), or with other names (a backup's hard link), is left alone.
    album = imgur.add_album("AbC1234", count=3)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    folder = tmp_path / "AbC1234"
    whole = files_under(folder)
    left, held, linked = (folder / f"{n:03d}-{image.id}.jpg.part" for n, image in enumerate(album.images, 1))
    left.write_bytes(album.images[0].data[:500])
    fd = _hold(held, album.images[1].data[:500])
    linked.write_bytes(album.images[2].data[:500])
    os.link(linked, tmp_path / "backup.part")
    try:
        result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    finally:
        os.close(fd)
    assert result.code == 0, result
    assert "files: 0 saved, 3 skipped, 0 failed" in result.err
    assert files_under(folder) == {**whole, held.name: album.images[1].data[:500],
                                   linked.name: album.images[2].data[:500]}
    assert sorted(path for _host, _method, path, _headers in imgur.requests_to("i.imgur.com")) == sorted(
        f"/{image.id}.jpeg" for image in album.images)  # (the first run's: nothing fetched again)


def test_a_part_file_beside_a_whole_file_is_left_where_no_locks_are_taken(imgur: Imgur, lockless: Path) -> None:
    # Whether another process is writing it cannot be told there.
    album = imgur.add_album("AbC1234", count=1)
    assert run_main("-o", str(lockless), "imgur.com/a/AbC1234").code == 0
    part = lockless / "AbC1234" / f"001-{album.images[0].id}.jpg.part"
    part.write_bytes(b"\xff\xd8")
    result = run_main("-o", str(lockless), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "files: 0 saved, 1 skipped, 0 failed" in result.err
    assert part.read_bytes() == b"\xff\xd8"


def test_an_empty_file_is_never_taken_for_the_image(imgur: Imgur, tmp_path: Path) -> None:
    image = imgur.add_image("HiDd123", hidden=True)  # the API answers 404: no size to compare with
    (tmp_path / "HiDd123.jpg").write_bytes(b"")
    result = run_main("-o", str(tmp_path), "https://i.imgur.com/HiDd123.jpg")
    assert result.code == 0, result
    assert (tmp_path / "HiDd123.jpg").read_bytes() == image.data
    (tmp_path / "HiDd123.jpg").write_bytes(b"<!doctype html><html>a page, not the picture</html>")
    assert run_main("-o", str(tmp_path), "https://i.imgur.com/HiDd123.jpg").code == 0
    assert (tmp_path / "HiDd123.jpg").read_bytes() == image.data
    again = run_main("-o", str(tmp_path), "https://i.imgur.com/HiDd123.jpg")
    assert "1 skipped" in again.err  # a whole one is kept


def test_a_part_file_with_other_names_is_never_written_into(imgur: Imgur, tmp_path: Path) -> None:
    # A part file with another name (a hard link: a backup made with `cp -al` or rsnapshot): resuming it would
    # write into the other file too. It is started afresh instead.
    keep = tmp_path / "Other12" / "001-Kept123.jpg"
    keep.parent.mkdir()
    keep.write_bytes(b"\xff\xd8\xff" + b"k" * 4000)  # bigger than the file to come: a resume would rewrite its head
    album = imgur.add_album("AbC1234", count=1, size=3000)
    folder = tmp_path / "AbC1234"
    folder.mkdir()
    os.link(keep, folder / f"001-{album.images[0].id}.jpg.part")
    os.setxattr(keep, ETAG_XATTR, b'"an-etag-of-another-file"')  # (as if a download of it had been cut short)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert keep.read_bytes() == b"\xff\xd8\xff" + b"k" * 4000  # untouched
    assert files_under(folder) == {f"001-{album.images[0].id}.jpg": album.images[0].data}


def test_a_folder_where_the_part_file_goes_is_named_and_left_alone(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    in_the_way = tmp_path / "AbC1234" / f"001-{album.images[0].id}.jpg.part"
    (in_the_way / "someone's").mkdir(parents=True)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert (f"imgur-dl: error: AbC1234/{album.images[0].id}: cannot write {in_the_way.with_suffix('')}: "
            f"a folder stands at {in_the_way.name}") in result.err.splitlines()
    assert (in_the_way / "someone's").is_dir()  # left as it was
    assert (tmp_path / "AbC1234" / f"002-{album.images[1].id}.jpg").read_bytes() == album.images[1].data


def test_a_folder_removed_before_its_files_are_written_is_made_again(imgur: Imgur, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Two runs into one folder: the other made the album's folder, failed every file and tidied the empty folder
    # away while this one, which had found it there, waited for its first answers (or a clean-up script took it).
    # Every file of the album failed, "No such file or directory"; the folder is made again now.
    album = imgur.add_album("AbC1234", count=3, size=5_000)
    folder = tmp_path / "AbC1234"
    cdn = imgur._cdn
    removed: list[Path] = []
    # Removed once: the stand-in answers each connection on a thread of its own, and a second request that found the
    # list empty before the first filled it took the folder the run had made again meanwhile (met once, under 3.10).
    once = threading.Lock()

    def meanwhile(*args: object) -> None:
        with once:
            if not removed:
                folder.rmdir()
                removed.append(folder)
        cdn(*args)

    monkeypatch.setattr(imgur, "_cdn", meanwhile)
    result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert removed and "files: 3 saved, 0 skipped, 0 failed" in result.err
    assert {name: data for name, data in files_under(folder).items() if name != "album.json"} == {
        f"00{n}-{image.id}.jpg": image.data for n, image in enumerate(album.images, 1)}
    assert len(json.loads((folder / "album.json").read_text())["items"]) == 3


def test_album_json_that_cannot_be_written_is_named_and_its_word_kept_for_the_rerun(imgur: Imgur,
                                                                                   tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    # (Folders at album.json, where it is kept apart by its id, and there too: where no file can go.)
    named, apart = tmp_path / "AbC1234" / "album.json", tmp_path / "AbC1234" / "album (AbC1234).json"
    for folder in (named, apart):
        (folder / "someone's").mkdir(parents=True)
    result = run_main("--write-metadata", "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result  # documented: some file failed
    assert f"imgur-dl: error: AbC1234: cannot write {apart}: Is a directory" in result.err.splitlines()
    # (What it would have said of the files is kept in the album's journal, for the run that writes it.)
    journal = files_under(tmp_path).pop("AbC1234/.imgur-dl-journal-AbC1234.jsonl")
    assert sorted(json.loads(line)["file"] for line in journal.split()) == [f"00{n}-{i.id}.jpg"
                                                                             for n, i in enumerate(album.images, 1)]
    assert {name: data for name, data in files_under(tmp_path).items() if "journal" not in name} == {
        f"AbC1234/00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    # Once it can be written, it says them as they arrived, and the journal is gone.
    for folder in (named, apart):
        (folder / "someone's").rmdir()
        folder.rmdir()
    assert run_main("--write-metadata", "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    items = json.loads(named.read_text())["items"]
    assert [item["sha256"] for item in items] == [hashlib.sha256(i.data).hexdigest() for i in album.images]
    assert set(files_under(tmp_path)) == {"AbC1234/album.json", *(f"AbC1234/00{n}-{i.id}.jpg"
                                                                   for n, i in enumerate(album.images, 1))}


def test_a_fifo_where_an_album_s_journal_goes_holds_nothing_up(imgur: Imgur, tmp_path: Path,
                                                                launcher: Launcher) -> None:
    # Planted where the album's journal is written when its album.json cannot be: opened for writing, a FIFO waits
    # for a reader, and the run's last step waited with it, for ever.
    album = imgur.add_album("AbC1234", count=2)
    folder = tmp_path / "AbC1234"
    for name in ("album.json", "album (AbC1234).json"):  # (where no album.json can go, kept apart or not)
        (folder / name).mkdir(parents=True)
    os.mkfifo(folder / ".imgur-dl-journal-AbC1234.jsonl")
    proc = launcher.spawn(["--write-metadata", "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234"],
                          text=True)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 1 and "cannot write" in err, err
    assert files_under(folder) == {
        f"00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    assert stat.S_ISFIFO((folder / ".imgur-dl-journal-AbC1234.jsonl").lstat().st_mode)  # (left as it was)


@pytest.mark.parametrize("where", ["its name", "its name kept apart"])
def test_this_very_file_saved_by_another_process_as_this_one_names_it_is_taken_not_saved_again_beside_it(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    # Two runs of one album at once, names not made from ids: the other run saves the file this one has fetched too,
    # between this run's look at the name and its own rename onto it. Found there then, these very bytes, it is
    # taken; it was saved a second time, kept apart by its id (two copies of one image, and on every later run).
    album = imgur.add_album("AbC1234", count=1, size=5_000)
    image = album.images[0]
    folder = tmp_path / "AbC1234"
    if where != "its name":  # (another post's file at the name: this one is kept apart, and the other saves it so)
        folder.mkdir()
        (folder / "1.jpg").write_bytes(b"\xff\xd8\xff" + b"another post" * 100)
    target = "1.jpg" if where == "its name" else f"1 ({image.id}).jpg"
    publish_new = infolder.publish_new

    def other_first(dir_fd: int, source: str, name: str) -> bool:
        if name == target and not (folder / target).exists():  # (the other process's file, whole, renamed there)
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=dir_fd)
            os.write(fd, image.data)
            os.close(fd)
        return publish_new(dir_fd, source, name)

    monkeypatch.setattr(infolder, "publish_new", other_first)
    result = run_main("--json", "--name", "{num}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert [(row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())] == [
        ("saved", str(folder / target))], result
    assert {name: data for name, data in files_under(folder).items() if data == image.data} == {target: image.data}


def test_where_names_ignore_case_a_file_another_process_saves_after_the_folder_was_read_is_not_taken_for_another_case(
        imgur: Imgur, tmp_path: Path, case_insensitive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two runs of one album at once, names not made from ids, in a folder that ignores case. This run read the
    # folder's names (to tell a name held under another case) as it named the first file; the other run saved the
    # second file after that. Found at its very name, it was taken for a name held under another case (it was not
    # among the names read): the second file fetched again, kept apart by its id, a second copy.
    album = imgur.add_album("AbC1234", count=2, size=5_000)
    first, second = album.images
    folder = case_insensitive / "AbC1234"
    folder.mkdir()
    (folder / "1.jpg").write_bytes(first.data)  # (saved by an earlier run: the folder's names are read to name it)
    os.utime(folder / "1.jpg", (first.datetime, first.datetime))
    held_in_other_case = folders.Names.held_in_other_case

    def then_the_other_run_saves(names: folders.Names, path: Path) -> bool:
        held = held_in_other_case(names, path)
        if path.name == "1.jpg" and not (folder / "2.jpg").exists():  # (once: asked again as the file is looked at)
            (folder / "2.jpg").write_bytes(second.data)
            os.utime(folder / "2.jpg", (second.datetime, second.datetime))
        return held

    monkeypatch.setattr(folders.Names, "held_in_other_case", then_the_other_run_saves)
    result = run_main("--json", "--name", "{num}.{ext}", "-o", str(case_insensitive), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert sorted((row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())) == [
        ("skipped", str(folder / "1.jpg")), ("skipped", str(folder / "2.jpg"))], result
    assert files_under(folder) == {"1.jpg": first.data, "2.jpg": second.data}


def test_a_file_the_file_system_fails_to_name_leaves_nothing_behind(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Names not made from ids (another post's file is at 1.jpg): the file is moved aside to a hidden name, then
    # named where nothing stands, and the file system fails that step. It is said, and not left hidden there.
    album = imgur.add_album("AbC1234", count=1, size=5_000)
    theirs = b"\xff\xd8\xff" + b"another post" * 100
    (tmp_path / "AbC1234").mkdir()
    (tmp_path / "AbC1234" / "1.jpg").write_bytes(theirs)

    def failing(*_: object) -> bool:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(infolder, "publish_new", failing)
    result = run_main("--name", "{num}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    apart = tmp_path / "AbC1234" / f"1 ({album.images[0].id}).jpg"
    assert f"imgur-dl: error: AbC1234/{album.images[0].id}: cannot write {apart}: Input/output error" in \
        result.err.splitlines()
    assert files_under(tmp_path) == {"AbC1234/1.jpg": theirs}


def test_ids_that_differ_only_in_case_keep_their_own_files_where_names_ignore_case(
        imgur: Imgur, tmp_path: Path, case_insensitive: Path) -> None:
    # Imgur's ids are case-sensitive; macOS's, exFAT's and WSL's /mnt/c's names are not. Two lone images of one
    # listing named by their ids alone (AbCdefg.jpg, abcdefg.jpg) would be one file there: one skipped, or one
    # written over the other.
    upper = imgur.add_image("AbCdefg", size=3_000, in_gallery=True)
    lower = imgur.add_image("abcdefg", size=4_000, in_gallery=True)
    imgur.add_listing("user", "Miguenzo", [upper, lower])
    result = run_main("--write-metadata", "-o", str(case_insensitive), "imgur.com/user/Miguenzo")
    assert result.code == 0, result
    assert "2 saved" in result.err
    saved = files_under(tmp_path / "backing")
    assert {name: data for name, data in saved.items() if not name.endswith(".json")} == {
        "user Miguenzo/AbCdefg.jpg": upper.data, "user Miguenzo/abcdefg (abcdefg).jpg": lower.data}
    assert {name: json.loads(data)["id"] for name, data in saved.items() if name.endswith(".json")} == {
        "user Miguenzo/AbCdefg.json": upper.id, "user Miguenzo/abcdefg (abcdefg).json": lower.id}
    # ... and on a file system that tells them apart, each keeps its own name, as before.
    again = run_main("-o", str(tmp_path / "plain"), "imgur.com/user/Miguenzo")
    assert again.code == 0, again
    assert files_under(tmp_path / "plain") == {"user Miguenzo/AbCdefg.jpg": upper.data,
                                               "user Miguenzo/abcdefg.jpg": lower.data}


@pytest.mark.parametrize("archived", [False, True])
def test_a_later_run_never_takes_a_file_of_another_case_for_its_own(imgur: Imgur, tmp_path: Path,
                                                                  case_insensitive: Path, archived: bool) -> None:
    # A nightly sync: AbCdefg was saved last night; abcdefg is new, and a user's newest post comes first. Its
    # name finds last night's file there: it is not this file's, and neither skipped nor written over.
    upper = imgur.add_image("AbCdefg", size=3_000, in_gallery=True)
    lower = imgur.add_image("abcdefg", size=4_000, in_gallery=True)
    archive = ["--download-archive", str(tmp_path / "seen.sqlite")] if archived else []
    imgur.add_listing("user", "Miguenzo", [upper])
    assert run_main(*archive, "-o", str(case_insensitive), "imgur.com/user/Miguenzo").code == 0
    imgur.add_listing("user", "Miguenzo", [lower, upper])
    result = run_main(*archive, "-o", str(case_insensitive), "imgur.com/user/Miguenzo")
    assert result.code == 0, result
    assert files_under(tmp_path / "backing") == {"user Miguenzo/AbCdefg.jpg": upper.data,
                                                 "user Miguenzo/abcdefg (abcdefg).jpg": lower.data}
    again = run_main(*archive, "-o", str(case_insensitive), "imgur.com/user/Miguenzo")
    assert "0 saved" in again.err, again  # (and a third run finds both where they are)


def test_two_albums_in_one_folder_each_keep_their_album_json(imgur: Imgur, tmp_path: Path) -> None:
    # (--dir '{album_title}' and two untitled albums: one folder, "_"; the later album's album.json was written
    # over the earlier's, or the other way round)
    first = imgur.add_album("FiRst12", count=1)
    second = imgur.add_album("SeCnd12", count=2)
    result = run_main("--write-metadata", "--dir", "{album_title}", "-o", str(tmp_path), "imgur.com/a/FiRst12",
                      "imgur.com/a/SeCnd12")
    assert result.code == 0, result
    saved = {name: json.loads(data) for name, data in files_under(tmp_path / "_").items() if name.endswith(".json")}
    assert {name: (meta["id"], len(meta["items"])) for name, meta in saved.items()} == {
        "album.json": (first.id, 1), f"album ({second.id}).json": (second.id, 2)}
    again = run_main("--write-metadata", "--dir", "{album_title}", "-o", str(tmp_path), "imgur.com/a/FiRst12",
                     "imgur.com/a/SeCnd12")
    assert again.code == 0, again
    files = [f"001-{first.images[0].id}.jpg", *(f"00{n}-{i.id}.jpg" for n, i in enumerate(second.images, 1))]
    assert sorted(files_under(tmp_path / "_")) == sorted([*saved, *files])  # (a rerun names them alike)


def test_a_name_not_made_from_ids_never_replaces_another_posts_file(imgur: Imgur, tmp_path: Path) -> None:
    # --name '{index}.{ext}': every lone image of a listing is 001.jpg. Within a run they are kept apart by id;
    # a later run, the new post first, found last night's 001.jpg of another size there and wrote over it (the
    # only copy, once Imgur has deleted that post).
    old = imgur.add_image("OlDd123", size=3_000, in_gallery=True)
    new = imgur.add_image("NeWw123", size=4_000, in_gallery=True)
    imgur.add_listing("user", "Miguenzo", [old])
    assert run_main("--name", "{index}.{ext}", "-o", str(tmp_path), "imgur.com/user/Miguenzo").code == 0
    imgur.add_listing("user", "Miguenzo", [new, old])
    result = run_main("--name", "{index}.{ext}", "-o", str(tmp_path), "imgur.com/user/Miguenzo")
    assert result.code == 0, result
    assert "1 saved, 1 skipped" in result.err
    assert files_under(tmp_path) == {"user Miguenzo/001.jpg": old.data, f"user Miguenzo/001 ({new.id}).jpg": new.data}


@pytest.mark.parametrize(("template", "where", "theirs", "when"), [
    ("{num}.{ext}", None, "other", "fetched"), ("{num}.{ext}", None, "other", "named"),
    ("{num}.{ext}", "linkless", "other", "fetched"), ("{index}-{id}.{ext}", "case_insensitive", "other", "fetched"),
    ("{num}.{ext}", None, "same", "fetched"), ("{num}.{ext}", None, "folder", "named"),
    ("{num}.{ext}", None, "folder", "fetched")])
def test_a_file_another_process_saves_at_the_name_meanwhile_is_never_replaced(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
        template: str, where: str | None, theirs: str, when: str) -> None:
    # Two runs into one folder (a --share-work fleet, a cron job overlapping a manual run): the other saves a file
    # of its own at this file's name while this one is fetched. It was replaced (the other run had said it saved
    # it); this one is kept apart by its id now. Where the file system makes no hard links (FAT, exFAT, many
    # shares), the name is looked at first. Names made from ids meet another post's file only where names ignore
    # case (a post whose id differs only in case). The very same bytes there (this post, saved by the other): one
    # file, not two. And whether the other's file comes while this one is fetched or once it is named, before.
    # A folder the other makes there (an album of its own, under --dir '{album_title}') is as another post's file:
    # once named, this file failed ("a folder stands where the file goes").
    root = tmp_path if where is None else request.getfixturevalue(where)
    album = imgur.add_album("AbC1234", count=1, size=5_000)
    image = album.images[0]
    final = root / "AbC1234" / ("1.jpg" if where != "case_insensitive" else f"001-{image.id}.jpg")
    theirs_at = final if where != "case_insensitive" else final.with_name(final.name.lower())
    data = image.data if theirs == "same" else b"\xff\xd8\xff" + b"another post" * 100
    cdn = imgur._cdn

    def put_theirs() -> None:
        if theirs == "folder":
            (theirs_at / f"001-{image.id}.jpg").parent.mkdir()
            (theirs_at / f"001-{image.id}.jpg").write_bytes(data)
        else:
            theirs_at.write_bytes(data)

    def meanwhile(*args: object) -> None:
        if not theirs_at.exists():
            put_theirs()
        cdn(*args)

    if when == "fetched":
        monkeypatch.setattr(imgur, "_cdn", meanwhile)
    else:
        fetch = Downloader.fetch

        def named(downloader: Downloader, job: Job) -> Result:
            put_theirs()
            return fetch(downloader, job)

        monkeypatch.setattr(Downloader, "fetch", named)
    result = run_main("--json", "--name", template, "-o", str(root), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    apart = final if theirs == "same" else final.with_name(f"{final.stem} ({image.id}).jpg")
    their_file = f"{theirs_at.name}/001-{image.id}.jpg" if theirs == "folder" else theirs_at.name
    assert files_under(root / "AbC1234") == {their_file: data, apart.name: image.data}
    assert [json.loads(line)["path"] for line in result.out.splitlines()] == [str(apart)]


@pytest.fixture
def folder_fd(tmp_path: Path) -> Iterator[int]:
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def _two(folder_fd: int, tmp_path: Path, data: bytes) -> tuple[PartFile, PartFile]:
    """Two processes at one file (a cron job overlapping a manual run, or two runs with --no-skip): the first has
    written it whole into its part file; the second is about to look for one."""
    first, second = (PartFile(folder_fd, "x.jpg", tmp_path / "x.jpg") for _ in range(2))
    assert first.resume() == (0, None)
    first.start(0)
    first.write(data)
    return first, second


def test_a_part_file_as_it_is_renamed_into_place_is_held(tmp_path: Path, folder_fd: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Before, the first let go of its lock and then renamed: the second, opening the part file between the two,
    # held the final file as a part file of its own, and starting it over emptied it under its final name.
    data = b"whole" * 1000
    first, second = _two(folder_fd, tmp_path, data)
    found = []
    publish = infolder.publish

    def the_other_looks_meanwhile(dir_fd: int, part: str, name: str) -> None:
        found.append(second.resume())
        publish(dir_fd, part, name)

    monkeypatch.setattr(infolder, "publish", the_other_looks_meanwhile)
    assert first.commit("https://i.imgur.com/x.jpg") == "x.jpg"
    assert found == [None] and second.busy  # (it waits, then finds the file saved)
    assert files_under(tmp_path) == {"x.jpg": data}


def test_a_part_file_opened_before_it_was_renamed_is_not_taken_once_it_is(tmp_path: Path, folder_fd: int,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The second opens the part file, the first renames it into place and lets go of it, then the second takes
    # the lock: what it holds is the final file now, not a part file.
    data = b"whole" * 1000
    first, second = _two(folder_fd, tmp_path, data)
    open_existing = infolder.open_existing

    def the_first_commits_meanwhile(dir_fd: int, name: str) -> int | None:
        opened = open_existing(dir_fd, name)
        assert first.commit("https://i.imgur.com/x.jpg") == "x.jpg"
        return opened

    monkeypatch.setattr(infolder, "open_existing", the_first_commits_meanwhile)
    assert second.resume() is None and second.busy
    monkeypatch.undo()
    assert second.discard() == 0  # (it holds nothing: nothing of the other's is removed)
    assert files_under(tmp_path) == {"x.jpg": data}


def test_a_part_file_made_here_and_saved_by_another_process_before_it_is_locked_is_not_written_into(
        tmp_path: Path, folder_fd: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two posts' files at one name (names not made from ids, a folder shared by processes): this one makes the part
    # file; before it takes its lock, the other finds it, writes its own file into it and renames it into place.
    # Before, what this one had made was taken as its own unlooked-at: it wrote its bytes over the other's final
    # file (its head, the other's tail).
    theirs = b"theirs" * 400
    mine = PartFile(folder_fd, "x.jpg", tmp_path / "x.jpg")
    assert mine.held() == 0 and mine.resume() == (0, None)
    open_new_or_found = infolder.open_new_or_found

    def the_other_saves_meanwhile(dir_fd: int, name: str) -> tuple[int, bool]:
        made = open_new_or_found(dir_fd, name)
        other = PartFile(folder_fd, "x.jpg", tmp_path / "x.jpg")
        assert other.held() == 0 and other.resume() == (0, None)
        other.start(0)
        other.write(theirs)
        assert other.commit("https://i.imgur.com/y.jpg") == "x.jpg"
        return made

    monkeypatch.setattr(infolder, "open_new_or_found", the_other_saves_meanwhile)
    with pytest.raises(BlockingIOError):
        mine.start(0)
    assert mine.busy and mine.discard() == 0
    assert files_under(tmp_path) == {"x.jpg": theirs}


def test_a_part_file_another_process_makes_after_none_was_found_is_left_to_it(tmp_path: Path,
                                                                             folder_fd: int) -> None:
    # The second finds no part file, the first makes one and writes; the second then starts its own. Before, it
    # removed the first's (a stale file, it took it for) and the first failed: "replaced by another process".
    second = PartFile(folder_fd, "x.jpg", tmp_path / "x.jpg")
    assert second.held() == 0
    data = b"whole" * 1000
    first, _ = _two(folder_fd, tmp_path, data[:10])
    assert second.resume() == (0, None)
    with pytest.raises(BlockingIOError):
        second.start(0)
    assert second.busy and second.discard() == 0
    first.write(data[10:])
    assert first.commit("https://i.imgur.com/x.jpg") == "x.jpg"
    assert files_under(tmp_path) == {"x.jpg": data}


def test_a_part_file_no_process_holds_is_started_over(tmp_path: Path, folder_fd: int) -> None:
    # One left by a run that stopped, made after this one looked: it is this one's, emptied, its ETag dropped.
    part = PartFile(folder_fd, "x.jpg", tmp_path / "x.jpg")
    assert part.held() == 0
    (tmp_path / "x.jpg.part").write_bytes(b"stale bytes")
    os.setxattr(tmp_path / "x.jpg.part", ETAG_XATTR, b'"abc"')
    assert part.resume() == (0, None)
    part.start(0)
    part.write(b"new")
    assert part.commit("https://i.imgur.com/x.jpg") == "x.jpg"
    assert files_under(tmp_path) == {"x.jpg": b"new"}
    assert ETAG_XATTR not in os.listxattr(tmp_path / "x.jpg")


def test_an_album_json_another_process_is_writing_is_left_to_it(imgur: Imgur, tmp_path: Path) -> None:
    # Two runs with --write-metadata finishing one album at once: each writes album.json through a part file of its
    # own. Before, both used album.json.part: the second removed the first's, which then renamed the second's,
    # still being written, onto album.json, and failed.
    imgur.add_album("AbC1234", count=1)
    folder = tmp_path / "AbC1234"
    folder.mkdir()
    theirs = folder / "album.json.part"
    fd = _hold(theirs, b'{"id": "AbC')
    try:
        result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    finally:
        os.close(fd)
    assert result.code == 0, result
    assert theirs.read_bytes() == b'{"id": "AbC'
    assert json.loads((folder / "album.json").read_text())["id"] == "AbC1234"
    assert [p.name for p in folder.iterdir() if p.name.endswith(".part")] == [theirs.name]


def test_a_part_file_found_where_no_locks_are_taken_is_never_written_into(lockless: Path) -> None:
    # An NFS mount whose lock service is not running: whether another process is writing the part file found cannot
    # be told, so a new one is made beside it, as before locks were taken (its commit then finds it replaced).
    folder = os.open(lockless, os.O_RDONLY | os.O_DIRECTORY)
    part = PartFile(folder, "x.jpg", lockless / "x.jpg")
    try:
        assert part.held() == 0
        theirs = os.open(lockless / "x.jpg.part", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.write(theirs, b"their bytes")
            assert part.resume() == (0, None)
            part.start(0)
            part.write(b"mine")
            assert os.pread(theirs, 100, 0) == b"their bytes"
        finally:
            os.close(theirs)
        assert part.commit("https://i.imgur.com/x.jpg") == "x.jpg"
    finally:
        part.close()  # (nothing left open on the mount, whatever failed)
        os.close(folder)
    assert (lockless / "x.jpg").read_bytes() == b"mine"


class _DaysOn(FastClock):
    """A clock whose calendar is ``days`` ahead: what is there now is that old by it."""

    def __init__(self, days: float) -> None:
        super().__init__()
        self.days = days

    def time(self) -> float:
        return super().time() + self.days * 86_400


@pytest.mark.parametrize("days", [0, 2 / 1440, 1.01])
def test_what_a_killed_run_left_hidden_is_removed_a_minute_on(imgur: Imgur, tmp_path: Path, days: float) -> None:
    # A run killed as it renamed a file or wrote an album.json (SIGKILL, a power cut) leaves it under a hidden name of
    # its own: the next run that writes into that folder removes it once a minute old where no process holds it
    # (else a day old), and leaves alone another process's under way (seconds old, or held) and anything else,
    # hidden or not. (Removed only a day on, they stayed in the folders of a nightly job killed now and then.)
    album = imgur.add_album("AbC1234", count=1)
    folder = tmp_path / "AbC1234"
    folder.mkdir()
    left = {".imgur-dl-commit-0123456789abcdef.part": b"\xff\xd8\xff a whole file", ".imgur-dl-0123456789ab.probe": b"",
            ".imgur-dl-json-fedcba9876543210.part": b"{"}
    held = {".imgur-dl-json-0011223344556677.part": b"{ another process's, under way"}
    others = {".imgur-dl-notes.txt": b"mine", "001-keep.jpg.part": b"\xff\xd8", ".imgur-dl-json-F0.part": b"x"}
    for name, data in {**left, **held, **others}.items():
        (folder / name).write_bytes(data)
    # (a file on its way onto its name is dated already, by its upload: its age is told by its last change)
    os.utime(folder / ".imgur-dl-commit-0123456789abcdef.part", (1_400_000_000, 1_400_000_000))
    (folder / ".imgur-dl-link-0123456789abcdef.part").mkdir()  # (no file: not one of its own)
    with open(folder / next(iter(held)), "rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        result = run_main("--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234", clock=_DaysOn(days))
    assert result.code == 0, result
    kept = {**held, **others} if days < 1 else others
    assert files_under(folder) == {**(kept if days else {**left, **kept}),
                                   f"001-{album.images[0].id}.jpg": album.images[0].data}
    assert (folder / ".imgur-dl-link-0123456789abcdef.part").is_dir()


def test_an_album_json_is_held_while_it_is_written(tmp_path: Path) -> None:
    # What the run that finds it tells a killed run's part file by from another process's under way.
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    seen: list[bool] = []

    def pieces() -> Iterator[bytes]:
        (part,) = (p for p in tmp_path.iterdir() if p.name.startswith(".imgur-dl-json-"))
        with open(part, "rb") as other:
            seen.append(infolder.hold(other.fileno()))
        yield b"{}"

    try:
        infolder.write_whole(fd, "album.json", private_part("json"), pieces())
    finally:
        os.close(fd)
    assert seen == [False] and (tmp_path / "album.json").read_bytes() == b"{}"


def test_a_folder_is_listed_whole_while_another_listing_of_it_is_under_way(tmp_path: Path) -> None:
    # The run's threads share each folder's descriptor, and a listing reads on from where the descriptor is: one
    # made through it while another thread's was under way missed the names the other had read (a part file to
    # remove beside a whole one, a file saved under its earlier place in the album, found fetched again).
    for n in range(3000):
        (tmp_path / f"{n:05d}-AbC{n:04d}.jpg.part").write_bytes(b"")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with os.scandir(fd) as other:
            next(other)  # (another thread's listing: its first names read)
            assert len(leftovers.sweep(fd, now=0.0)) == 3000
            with infolder.listed(fd) as entries:
                assert sum(1 for _ in entries) == 3000
    finally:
        os.close(fd)


def test_a_name_in_a_folder_that_cannot_be_read_is_taken_for_another_file_s(
        case_insensitive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Where names ignore case, a file at a name may be another's (AbC.jpg for abc.jpg): the folder's names tell.
    # Where they cannot be read (a disk's error), the name is taken for another file's, and this one kept apart.
    (case_insensitive / "album").mkdir()
    (case_insensitive / "album" / "001-AbC1234.jpg").write_bytes(b"saved")
    tree = folders.Folders(case_insensitive)
    assert not tree.names.held_in_other_case(case_insensitive / "album" / "001-AbC1234.jpg")
    assert tree.names.held_in_other_case(case_insensitive / "album" / "001-abc1234.jpg")

    def unreadable(dir_fd: int) -> NoReturn:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(infolder, "listed", unreadable)
    other = folders.Folders(case_insensitive)
    try:
        assert other.names.held_in_other_case(case_insensitive / "album" / "001-AbC1234.jpg")
    finally:
        tree.close()
        other.close()


def test_what_is_made_to_ask_an_archive_s_folder_what_it_offers_is_never_left_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Opening an SQLite archive makes a file in its folder to find out whether it can be mapped shared and flushed,
    # and removes it: a run killed meanwhile (an fsync takes milliseconds) left it there for good, under a name
    # nothing removed (".imgur-dl-ubi145h1.probe", found beside a nightly job's archive).
    seen: list[list[str]] = []
    maps_shared = archive_sqlite._maps_shared

    def looked(fd: int) -> bool:
        seen.append(sorted(os.listdir(tmp_path)))
        return maps_shared(fd)

    monkeypatch.setattr(archive_sqlite, "_maps_shared", looked)
    assert archive_sqlite.offered(tmp_path).maps_shared
    assert seen == [[]]  # (a file of no name, where the file system makes one: nothing to leave)
    # Where it makes none, the probe is named as the run's own left files are: killed, it is removed by the next run
    # that writes there, a minute on (nothing holds it then).
    monkeypatch.delattr(os, "O_TMPFILE")
    fd, name = archive_sqlite._probe(tmp_path)
    assert name is not None and name.parent == tmp_path
    os.close(fd)  # (the process killed: its lock gone with it)
    folder = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        leftovers.sweep(folder, now=time.time() + 2)
        assert name.exists()  # (seconds old: another process's, under way)
        leftovers.sweep(folder, now=time.time() + leftovers.UNHELD_FOR + 1)
    finally:
        os.close(folder)
    assert not name.exists()


@pytest.mark.parametrize("theirs", ["saved", "none"])
def test_a_part_file_taken_from_under_a_download_is_no_failure(imgur: Imgur, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch, theirs: str) -> None:
    # Three runs into one folder: one makes a part file the moment another saves the file whole, and the third,
    # finding the file whole, removes the part file beside it before the first has taken its lock (a moment; one
    # program's runs side by side from threads met it in 2 of 100 runs). The first wrote into a file with no name
    # and failed at its commit, "cannot write ...: No such file or directory": its file saved all the same (by the
    # other) or, with nothing there, fetched again.
    album = imgur.add_album("AbC1234", count=1, size=20_000)
    image = album.images[0]
    final = tmp_path / "AbC1234" / f"001-{image.id}.jpg"
    commit = PartFile.commit
    taken: list[Path] = []

    def taken_away_first(part: PartFile, origin: str) -> str:
        if not taken:
            taken.append(final)
            os.unlink(final.with_name(final.name + ".part"))
            if theirs == "saved":
                final.write_bytes(image.data)
        return commit(part, origin)

    monkeypatch.setattr(PartFile, "commit", taken_away_first)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert ("files: 0 saved, 1 skipped, 0 failed" if theirs == "saved" else "files: 1 saved, 0 skipped, 0 failed") \
        in result.err, result
    assert files_under(tmp_path) == {f"AbC1234/{final.name}": image.data}
    assert len(imgur.requests_to("i.imgur.com")) == (1 if theirs == "saved" else 2)


@pytest.mark.parametrize("folded", [False, True])
def test_a_partial_file_at_a_name_not_made_from_ids_is_its_own_image_s_whatever_name_it_later_has(
        imgur: Imgur, request: pytest.FixtureRequest, folded: bool) -> None:
    # --name '{num}.{ext}' --dir x: two albums' animations share the name 1.mp4 (no size the API gives tells them
    # apart). The second's, cut short, was left as 1.mp4.part; a later run naming it "1 (<id>).mp4" (the other
    # album's named 1.mp4 first) fetched it whole and left that part file for ever: no file of its name would ever
    # take it again (and another post's file at 1.mp4 would have started it over as its own). So too where names
    # ignore case, its part file named with the case of the id's letters, for one name and the other.
    tmp_path = request.getfixturevalue("case_insensitive" if folded else "tmp_path")
    theirs, ours = (imgur.add_image(i, size=size, ext="gif", animated=True)
                    for i, size in (("ThEir12", 30_000), ("OuRs123", 40_000)))
    imgur.add_album("ThEirAl", images=[theirs])
    imgur.add_album("OuRsAlb", images=[ours])
    assert theirs.mp4 is not None and ours.mp4 is not None
    named = ("--name", "{num}.{ext}", "--dir", "x", "-o", str(tmp_path))
    assert run_main(*named, "imgur.com/a/ThEirAl").code == 0
    imgur.faults.append(fault := Fault("reset", path="/OuRs123.mp4", after=len(ours.mp4) // 2))
    assert run_main(*named, "--retries", "0", "imgur.com/a/OuRsAlb").code == 1
    part = "x/1 (OuRs123 1010000).mp4.part" if folded else "x/1 (OuRs123).mp4.part"
    assert _digests(tmp_path) == _digests({"x/1.mp4": theirs.mp4, part: ours.mp4[:len(ours.mp4) // 2]})
    imgur.faults.remove(fault)
    imgur.log.clear()
    result = run_main(*named, "-j", "1", "imgur.com/a/ThEirAl", "imgur.com/a/OuRsAlb")
    assert result.code == 0, result
    assert _digests(tmp_path) == _digests({"x/1.mp4": theirs.mp4, "x/1 (OuRs123).mp4": ours.mp4})
    [(_, _, _, asked)] = imgur.requests_to("i.imgur.com", "/OuRs123.*")  # (resumed)
    assert asked.get("range") == f"bytes={len(ours.mp4) // 2}-", asked


def _digests(files: Path | dict[str, bytes]) -> dict[str, str]:
    """Each file's SHA-256 (said short where they differ)."""
    found = files_under(files) if isinstance(files, Path) else files
    return {name: hashlib.sha256(data).hexdigest()[:12] for name, data in found.items()}


def test_a_file_kept_apart_by_another_process_as_this_one_finished_it_too_is_this_one_s(
        tmp_path: Path, folder_fd: int) -> None:
    # Two processes at one image under a name another post's file has: the other kept its copy apart by the image's
    # id first. Before, this one's commit found both names taken and failed ("another process saved a file at ...").
    data = b"whole" * 1000
    (tmp_path / "1.jpg").write_bytes(b"another post's" * 100)
    (tmp_path / "1 (ThIs123).jpg").write_bytes(data)
    part = PartFile(folder_fd, "1.jpg", tmp_path / "1.jpg", apart="1 (ThIs123).jpg", part="1 (ThIs123).jpg.part")
    assert part.resume() == (0, None)
    part.start(0)
    part.write(data)
    assert part.commit("https://i.imgur.com/ThIs123.jpg") == "1 (ThIs123).jpg"
    assert _digests(tmp_path) == _digests({"1.jpg": b"another post's" * 100, "1 (ThIs123).jpg": data})


def test_a_partial_of_a_file_the_cdn_says_is_the_copy_at_its_name_is_removed(imgur: Imgur, tmp_path: Path) -> None:
    # An animation's MP4 at a name not made from ids, and a partial of it beside it (cut short once): where the CDN
    # answers the whole file (a range not honoured), the same bytes as the copy there, that copy is the file, and the
    # partial goes (before, it was left for ever: the file skipped on every run after).
    image = imgur.add_image("ThIs123", size=30_000, ext="gif", animated=True)
    imgur.add_album("AbC1234", images=[image])
    assert image.mp4 is not None
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "1.mp4").write_bytes(image.mp4)
    (tmp_path / "x" / "1 (ThIs123).mp4.part").write_bytes(image.mp4[:5_000])
    imgur.faults.append(Fault("ignore_range", path="/ThIs123.mp4"))
    result = run_main("--json", "--name", "{num}.{ext}", "--dir", "x", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert [json.loads(line)["status"] for line in result.out.splitlines()] == ["skipped"]
    assert _digests(tmp_path) == _digests({"x/1.mp4": image.mp4})


@pytest.mark.parametrize("saved", [False, True])
def test_a_part_file_at_a_name_not_made_from_ids_as_part_files_were_once_named_goes_once_the_file_is_whole(
        imgur: Imgur, tmp_path: Path, saved: bool) -> None:
    # "_.jpg.part", as any image's partial at "_.jpg" was named before part files there were named by the id too:
    # nothing resumes it now, and it was left for ever. It goes once the file of that name is whole (skipped or
    # saved); one a process is writing is left to it.
    image = imgur.add_image("OnLyPic", size=2_000)
    args = ["--name", "{title}.{ext}", "-o", str(tmp_path), "imgur.com/OnLyPic"]
    if saved:
        assert run_main(*args).code == 0
    (tmp_path / "_.jpg.part").write_bytes(b"\xff\xd8 half of some image's file")
    assert run_main(*args).code == 0
    assert _digests(tmp_path) == _digests({"_.jpg": image.data})
    fd = _hold(tmp_path / "_.jpg.part", b"\xff\xd8 another process's")
    try:
        assert run_main(*args).code == 0
        assert sorted(files_under(tmp_path)) == ["_.jpg", "_.jpg.part"]
    finally:
        os.close(fd)


def test_where_names_ignore_case_a_partial_of_one_id_is_never_another_s_that_differs_only_in_case(
        imgur: Imgur, case_insensitive: Path) -> None:
    # Two untitled images whose ids differ only in case, --name '{title}.{ext}', in a folder that ignores case: the
    # first is "_.jpg", the second "_ (mxYzab2).jpg". A partial of the first named by its id ("_ (mxyzab2).jpg.part")
    # would be the second's part file: the second took it as its own, and the first's partial was lost (where the
    # CDN ignores If-Range, its bytes taken for the second's).
    first, second = (imgur.add_image(i, size=s) for i, s in (("mxyzab2", 30_000), ("mxYzab2", 20_000)))
    imgur.add_album("AbC1234", images=[first, second])
    args = ["--json", "-j", "1", "--name", "{title}.{ext}", "--dir", "x", "-o", str(case_insensitive),
            "imgur.com/a/AbC1234"]
    imgur.faults.append(fault := Fault("reset", path="/mxyzab2.*", after=12_000))
    assert run_main(*args, "--retries", "0").code == 1
    imgur.faults.remove(fault)
    imgur.log.clear()
    result = run_main(*args)
    assert result.code == 0, result
    assert _digests(case_insensitive) == _digests({"x/_.jpg": first.data, "x/_ (mxYzab2).jpg": second.data})
    [(_, _, _, asked)] = imgur.requests_to("i.imgur.com", "/mxyzab2.*")  # (the first's partial resumed)
    assert asked.get("range") == "bytes=12000-", asked


def test_where_names_ignore_case_a_file_kept_apart_by_an_id_that_differs_only_in_case_is_never_another_s(
        imgur: Imgur, case_insensitive: Path) -> None:
    # Two untitled images of one size whose ids differ only in case, --name '{title}.{ext}', in a folder that ignores
    # case: the first is "_.jpg", the second "_ (mxYzab2).jpg". On the rerun, the first's kept-apart name
    # ("_ (mxyzab2).jpg") is the second's file there: it was said skipped at it, and dated with its own time.
    first, second = (imgur.add_image(i, size=20_000) for i in ("mxyzab2", "mxYzab2"))
    second.datetime = first.datetime + 86_400
    imgur.add_album("AbC1234", images=[first, second])
    args = ["--json", "--name", "{title}.{ext}", "--dir", "x", "-o", str(case_insensitive), "imgur.com/a/AbC1234"]
    assert run_main(*args).code == 0
    folder = case_insensitive / "x"
    saved = {"_.jpg": first, "_ (mxYzab2).jpg": second}
    assert _digests(case_insensitive) == _digests({f"x/{name}": image.data for name, image in saved.items()})
    imgur.log.clear()
    result = run_main(*args)
    assert result.code == 0, result
    rows = {row["id"]: (row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())}
    assert rows == {image.id: ("skipped", str(folder / name)) for name, image in saved.items()}, result
    assert {name: int((folder / name).stat().st_mtime) for name in saved} == \
        {name: image.datetime for name, image in saved.items()}
    assert imgur.requests_to("i.imgur.com") == []


def _twins(imgur: Imgur) -> tuple[Image, Image, Image]:
    """Two images of one size whose ids differ only in case, "mxyzab2" and "mxYzab2", and a third of another size;
    the album "AbC1234" of the third and "mxYzab2", and "DeF5678" of "mxyzab2"."""
    first, second = (imgur.add_image(i, size=20_000) for i in ("mxyzab2", "mxYzab2"))
    other = imgur.add_image("OtHeR12", size=30_000)
    imgur.add_album("AbC1234", images=[other, second])
    imgur.add_album("DeF5678", images=[first])
    return first, second, other


def test_where_names_ignore_case_an_image_is_never_named_as_an_earlier_run_kept_apart_another_whose_id_differs_in_case(
        imgur: Imgur, case_insensitive: Path) -> None:
    # --name '{title}.{ext}' --dir x, in a folder that ignores case: an earlier run saved a third image as "_.jpg"
    # and kept "mxYzab2" apart as "_ (mxYzab2).jpg". This one named "mxyzab2" (of that size) "_ (mxyzab2).jpg",
    # the other's file there: said skipped at it, never fetched.
    first, second, other = _twins(imgur)
    args = ["--json", "--name", "{title}.{ext}", "--dir", "x", "-o", str(case_insensitive)]
    assert run_main(*args, "imgur.com/a/AbC1234").code == 0
    result = run_main(*args, "imgur.com/a/DeF5678")
    assert result.code == 0, result
    folder = case_insensitive / "x"
    [row] = map(json.loads, result.out.splitlines())
    assert (row["status"], row["path"]) == ("saved", str(folder / "_ (mxyzab2 2).jpg")), result
    assert _digests(case_insensitive) == _digests({"x/_.jpg": other.data, "x/_ (mxYzab2).jpg": second.data,
                                                   "x/_ (mxyzab2 2).jpg": first.data})
    again = run_main(*args, "imgur.com/a/DeF5678")
    assert (again.code, json.loads(again.out)["path"]) == (0, row["path"]), again


def test_where_names_ignore_case_what_another_process_finishes_meanwhile_is_never_taken_at_another_id_s_name(
        imgur: Imgur, case_insensitive: Path) -> None:
    # As above, "_ (mxYzab2).jpg" of an earlier run; "mxyzab2" (of that size) named "_.jpg": while this run waits on
    # another process writing it, a third saves another image's file at the name, and the other gives up. The file of
    # this one, kept apart by its id ("_ (mxyzab2).jpg"), was taken to be the other process's: said skipped at it.
    first, second = (imgur.add_image(i, size=20_000) for i in ("mxyzab2", "mxYzab2"))
    other = imgur.add_image("OtHeR12", size=30_000)
    imgur.add_album("DeF5678", images=[first])
    folder = case_insensitive / "x"
    folder.mkdir()
    (folder / "_ (mxYzab2).jpg").write_bytes(second.data)
    held = [_hold(folder / "_ (mxyzab2 0000000).jpg.part", first.data[:10])]

    def meanwhile() -> None:
        (folder / "_.jpg").write_bytes(other.data)
        os.close(held.pop())

    try:
        result = run_main("--json", "--name", "{title}.{ext}", "--dir", "x", "--retries", "2", "-o",
                          str(case_insensitive), "imgur.com/a/DeF5678", clock=_Meanwhile(meanwhile))
    finally:
        for fd in held:  # (not waited on: let go of, for the folder to be unmounted)
            os.close(fd)
    assert result.code == 0, result
    [row] = map(json.loads, result.out.splitlines())
    assert (row["status"], row["path"]) == ("saved", str(folder / "_ (mxyzab2 2).jpg")), result
    assert _digests(case_insensitive) == _digests({"x/_.jpg": other.data, "x/_ (mxYzab2).jpg": second.data,
                                                   "x/_ (mxyzab2 2).jpg": first.data})


def test_where_names_ignore_case_two_processes_at_ids_that_differ_only_in_case_never_share_a_part_file(
        imgur: Imgur, case_insensitive: Path) -> None:
    # --name '{id}.{ext}' --dir x, two processes at once (each at another album) in a folder that ignores case: one
    # names its image "mxYzab2.jpg", this one "mxyzab2.jpg" (neither there yet). Their part files were one
    # ("mxyzab2.jpg.part" is "mxYzab2.jpg.part"): this one wrote its image into the other's partial (asked the rest
    # after the other's bytes, then started over in it), where a lock taken under one case is not seen under another
    # (as in this folder), and waited on it where it is.
    first, second = (imgur.add_image(i, size=20_000) for i in ("mxyzab2", "mxYzab2"))
    imgur.add_album("DeF5678", images=[first])
    folder = case_insensitive / "x"
    folder.mkdir()
    fd = _hold(folder / "mxYzab2.jpg.part", second.data[:5_000])
    try:
        result = run_main("--json", "--name", "{id}.{ext}", "--dir", "x", "--retries", "1", "-o", str(case_insensitive),
                          "imgur.com/a/DeF5678")
    finally:
        os.close(fd)
    assert result.code == 0, result
    [row] = map(json.loads, result.out.splitlines())
    assert (row["status"], row["path"]) == ("saved", str(folder / "mxyzab2.jpg")), result
    assert _digests(case_insensitive) == _digests({"x/mxyzab2.jpg": first.data,
                                                   "x/mxYzab2.jpg.part": second.data[:5_000]})


@pytest.mark.parametrize("theirs", ["an id's that differs only in case", "this very file"])
def test_where_names_ignore_case_what_another_process_kept_apart_meanwhile_is_this_file_only_if_the_cdn_says_so(
        imgur: Imgur, case_insensitive: Path, theirs: str) -> None:
    # Processes at once, --name '{title}.{ext}': while this one waits on another writing "mxyzab2" (named "_.jpg"),
    # a third saves another image's file at the name, and a fourth keeps "mxYzab2" (of that size) apart as
    # "_ (mxYzab2).jpg", the name "mxyzab2" is kept apart under too. That file was taken for this one's: said skipped
    # at it. Now the CDN is asked; its name taken twice over, this file fails, and is kept apart as
    # "_ (mxyzab2 2).jpg" by the next run. (Where it is this file, kept apart by the other process, it is skipped
    # there, its body not read.)
    first, second = (imgur.add_image(i, size=20_000) for i in ("mxyzab2", "mxYzab2"))
    other = imgur.add_image("OtHeR12", size=30_000)
    imgur.add_album("DeF5678", images=[first])
    folder = case_insensitive / "x"
    folder.mkdir()
    held = [_hold(folder / "_ (mxyzab2 0000000).jpg.part", first.data[:10])]

    mine = theirs == "this very file"
    apart = "_ (mxyzab2).jpg" if mine else "_ (mxYzab2).jpg"

    def meanwhile() -> None:
        (folder / "_.jpg").write_bytes(other.data)
        if mine:  # (the other process's part file, finished, kept apart)
            os.pwrite(held[0], first.data, 0)
            os.replace(folder / "_ (mxyzab2 0000000).jpg.part", folder / apart)
        else:
            (folder / apart).write_bytes(second.data)
        os.close(held.pop())

    args = ["--json", "--name", "{title}.{ext}", "--dir", "x", "-o", str(case_insensitive), "imgur.com/a/DeF5678"]
    try:
        result = run_main(*args, "--retries", "2", clock=_Meanwhile(meanwhile))
    finally:
        for fd in held:
            os.close(fd)
    if mine:
        assert result.code == 0, result
        assert (json.loads(result.out)["status"], json.loads(result.out)["path"]) == ("skipped", str(folder / apart))
        assert _digests(case_insensitive) == _digests({"x/_.jpg": other.data, f"x/{apart}": first.data})
        return
    assert result.code == 1, result
    [row] = map(json.loads, result.out.splitlines())
    assert row["status"] == "failed" and "saved a file at" in row["error"], result
    assert _digests(case_insensitive) == _digests({"x/_.jpg": other.data, "x/_ (mxYzab2).jpg": second.data})
    again = run_main(*args)
    assert (again.code, json.loads(again.out)["path"]) == (0, str(folder / "_ (mxyzab2 2).jpg")), again
    assert _digests(case_insensitive) == _digests({"x/_.jpg": other.data, "x/_ (mxYzab2).jpg": second.data,
                                                   "x/_ (mxyzab2 2).jpg": first.data})


@pytest.mark.parametrize("template", ["{id}.{ext}", "{title}.{ext}"])
def test_where_names_ignore_case_a_file_of_another_id_found_at_the_name_but_for_case_is_never_this_one_s(
        case_insensitive: Path, template: str) -> None:
    # Processes at once, in a folder that ignores case: another saves "mxYzab2.jpg" (or kept apart, for a name not
    # made from ids: "_ (mxYzab2).jpg") once this one has named its image ("mxyzab2.jpg", "_ (mxyzab2).jpg"), none
    # there then. That file, at the name but for case and of the size the API gives, was taken for this one's: said
    # skipped at it. Now it is fetched (and kept apart from the other's, once saved).
    name = "mxyzab2.jpg" if template.startswith("{id}") else "_ (mxyzab2).jpg"
    media = Media("mxyzab2", 1, "", "", "image/jpeg", 1, 1, False, "2020-01-02T03:04:05Z",
                  (Source("https://i.imgur.com/mxyzab2.jpeg", "jpg", 500),))
    folder = case_insensitive / "x"
    job = Job(Album("DeF5678", "", "", "", "", True, (media,)), media, (folder / name,), shared=True, folded=True)
    shelf = folders.Folders(case_insensitive)
    try:
        with shelf.using(folder) as fd:
            assert not shelf.names.held_in_other_case(job.path)  # (as the run named it: nothing there)
            (folder / name.replace("mxyzab2", "mxYzab2")).write_bytes(b"\xff\xd8\xff" + b"o" * 497)
            assert Standing(shelf).found(job, fd, None) is None
    finally:
        shelf.close()


def test_where_names_ignore_case_a_partial_is_resumed_whatever_copy_of_its_name_the_file_is_later_kept_apart_under(
        imgur: Imgur, case_insensitive: Path) -> None:
    # --name '{title}.{ext}' --dir x: "mxyzab2", cut short as "_.jpg"; then another run saves a third image as "_.jpg"
    # and keeps "mxYzab2" apart as "_ (mxYzab2).jpg". The next names "mxyzab2" "_ (mxyzab2 2).jpg": it fetched it
    # whole, and left the partial for ever.
    first, second, other = _twins(imgur)
    args = ["--name", "{title}.{ext}", "--dir", "x", "-o", str(case_insensitive)]
    imgur.faults.append(fault := Fault("reset", path="/mxyzab2.*", after=12_000))
    assert run_main(*args, "--retries", "0", "imgur.com/a/DeF5678").code == 1
    imgur.faults.remove(fault)
    assert run_main(*args, "imgur.com/a/AbC1234").code == 0
    imgur.log.clear()
    result = run_main(*args, "imgur.com/a/DeF5678")
    assert result.code == 0, result
    assert _digests(case_insensitive) == _digests({"x/_.jpg": other.data, "x/_ (mxYzab2).jpg": second.data,
                                                   "x/_ (mxyzab2 2).jpg": first.data})
    [(_, _, _, asked)] = imgur.requests_to("i.imgur.com", "/mxyzab2.*")  # (resumed)
    assert asked.get("range") == "bytes=12000-", asked


def test_where_names_ignore_case_a_file_at_the_name_given_but_for_case_is_never_this_one_s(
        imgur: Imgur, case_insensitive: Path) -> None:
    # --name '{name}.{ext}': two pictures of one size and one upload time, uploaded as "Photo" and "photo". The
    # first saved as "Photo.jpg"; a run that names the second first keeps it apart ("photo.jpg" is the other's in
    # another case). Its name as the template gives it, asked for what an earlier run saved there, is not taken
    # for the other's file: fetched, not said skipped at "photo.jpg".
    first, second = (imgur.add_image(image_id, size=2_000) for image_id in ("FiRsT12", "SeCoNd1"))
    first.name, second.name, second.datetime = "Photo", "photo", first.datetime
    args = ["--json", "--name", "{name}.{ext}", "-o", str(case_insensitive)]
    assert run_main(*args, "imgur.com/FiRsT12").code == 0
    result = run_main(*args, "imgur.com/SeCoNd1", "imgur.com/FiRsT12")
    assert result.code == 0, result
    assert {row["id"]: (row["status"], Path(row["path"]).name) for row in map(json.loads, result.out.splitlines())} \
        == {"SeCoNd1": ("saved", "photo (SeCoNd1).jpg"), "FiRsT12": ("skipped", "Photo.jpg")}, result
    assert _digests(case_insensitive) == _digests({"Photo.jpg": first.data, "photo (SeCoNd1).jpg": second.data})
