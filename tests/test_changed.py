"""An album changed on Imgur since an earlier run: retitled, or its files in other places, it is found where that run
saved it."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from concurrent.futures import Future
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from imgur_dl import infolder, renamed
from imgur_dl.naming import Template
from imgur_dl.renamed import FILE_LOOSE, FOLDER_LOOSE
from tests.conftest import files_under, run_main, until, writing_output
from tests.launcher import Launcher
from tests.standin import AlbumData, Fault, Image, Imgur


@pytest.mark.parametrize(("before", "after", "folder"), [
    ("", "Summer trip", "AbC1234"),  # (an untitled album, given a title later)
    ("Summer trip", "Summer trip, edited", "AbC1234 - Summer trip"),
    ("Summer trip", "", "AbC1234 - Summer trip"),
])
def test_an_album_retitled_since_goes_into_the_folder_an_earlier_run_made_for_it(
        imgur: Imgur, tmp_path: Path, before: str, after: str, folder: str) -> None:
    album = imgur.add_album("AbC1234", count=3, title=before)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    fetched = len(imgur.requests_to("i.imgur.com"))
    album.title = after
    album.images.append(imgur.add_image("NeW1234", size=900))
    result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "1 saved, 3 skipped, 0 failed" in result.err
    assert len(imgur.requests_to("i.imgur.com")) == fetched + 1  # (the new file alone)
    assert [p.name for p in tmp_path.iterdir()] == [folder]
    assert files_under(tmp_path / folder) == {
        **{f"{n:03d}-{image.id}.jpg": image.data for n, image in enumerate(album.images, 1)},
        "album.json": (tmp_path / folder / "album.json").read_bytes()}
    assert json.loads((tmp_path / folder / "album.json").read_bytes())["title"] == after


def test_of_the_folders_earlier_runs_made_for_an_album_the_one_written_into_last_is_used(
        imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, title="Now")
    for name, written in [("AbC1234 - First", 1_600_000_000), ("AbC1234 - Second", 1_700_000_000),
                          ("AbC1234 - Third", 1_650_000_000)]:
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (written, written))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path / "AbC1234 - Second") == {f"{n:03d}-{image.id}.jpg": image.data
                                                           for n, image in enumerate(album.images, 1)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AbC1234 - First", "AbC1234 - Second", "AbC1234 - Third"]


@pytest.mark.parametrize("other", ["symlink", "file", "longer id", "id inside another"])
def test_what_is_not_an_earlier_folder_of_the_album_is_left_alone(imgur: Imgur, tmp_path: Path, other: str) -> None:
    album = imgur.add_album("AbC1234", count=2, title="Now")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    if other == "symlink":
        (out / "AbC1234 - Before").symlink_to(elsewhere)
    elif other == "file":
        (out / "AbC1234 - Before").write_bytes(b"notes")
    else:
        (out / ("AbC12345 - Before" if other == "longer id" else "XAbC1234 - Before")).mkdir()
    result = run_main("-o", str(out), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(out / "AbC1234 - Now") == {f"{n:03d}-{image.id}.jpg": image.data
                                                 for n, image in enumerate(album.images, 1)}
    assert not list(elsewhere.iterdir())


def test_a_listing_s_album_retitled_since_is_found_in_the_listing_s_folder(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, title="Before")
    imgur.add_listing("user", "someone", [album])
    assert run_main("--dir", "{position:03d} {album_id} {album_title}", "-o", str(tmp_path),
                    "imgur.com/user/someone").code == 0
    album.title = "After"
    imgur.add_listing("user", "someone", [imgur.add_album("XyZ9876", count=1), album])  # (second now)
    result = run_main("--dir", "{position:03d} {album_id} {album_title}", "-o", str(tmp_path),
                      "imgur.com/user/someone")
    assert result.code == 0, result
    assert "1 saved, 2 skipped, 0 failed" in result.err
    assert sorted(p.name for p in (tmp_path / "user someone").iterdir()) == ["001 AbC1234 Before",
                                                                             "001 XyZ9876"]


_TITLES = st.text(st.characters(codec="utf-8"), max_size=300)
_PLACES = st.integers(1, 100_000)
# What may differ between two runs' names of one post: its title, its place in its listing (or none: not listed),
# its number of items; a file's title and place in its album.
_CHANGING = st.fixed_dictionaries({"album_title": _TITLES, "title": _TITLES, "position": st.just("") | _PLACES,
                                   "count": _PLACES, "index": _PLACES})


@given(before=_CHANGING, after=_CHANGING, template=st.sampled_from(
    ["{album_id} - {album_title}", "{album_title} ({album_id})", "{album_date} {album_id} {album_title:.40}",
     "{album_id}", "{album_title}-{post_id}", "{position:03d} {album_id} {album_title}",
     "{index}-{id}.{ext}", "{title}-{id}.{ext}", "{num:>4} {title} {id}.{ext}", "{position}-{index}-{id}.{ext}",
     "{count}-{num}-{id}.{ext}"]))
@example(before={"album_title": "\u00e9" * 300, "title": "e" * 300, "position": "", "count": 3, "index": 1},
         after={"album_title": "x", "title": "", "position": "", "count": 3, "index": 1},
         template="{album_title} ({album_id})")
@example(before={"album_title": "", "title": "e" * 300, "position": "", "count": 3, "index": 1},
         after={"album_title": "", "title": "x", "position": "", "count": 3, "index": 2},
         template="{num:>4} {title} {id}.{ext}")
def test_a_name_made_under_any_title_or_place_is_told_as_the_post_s_under_any_other(
        before: dict[str, str | int], after: dict[str, str | int], template: str) -> None:
    fixed: dict[str, str | int] = {"album_id": "AbC1234", "post_id": "AbC1234", "id": "XyZ9876", "ext": "jpg",
                                   "album_date": "2024-05-17"}

    def values(changing: dict[str, str | int], **ids: str) -> dict[str, str | int]:
        index = int(changing["index"])
        return {**fixed, **changing, "index": str(index).zfill(3), "num": index, **ids}

    names = Template(template)
    loose = FOLDER_LOOSE | FILE_LOOSE
    earlier = names.parts(values(before), reserve=5)[-1]
    pattern = names.pattern(values(after), loose, reserve=5)
    if pattern is None:  # (nothing in the name changes: the post's file or folder is where it was)
        assert not set(re.findall(r"{(\w+)", template)) & loose
        return
    # (a title cut short, as a long one is, is cut and not the id after it: such a name is told too)
    assert pattern.fullmatch(earlier)
    other = names.parts(values(before, album_id="AbC1235", post_id="AbC1235", id="XyZ9875"), reserve=5)[-1]
    assert not pattern.fullmatch(other)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _each_said_by_a_rerun(tmp_path: Path, images: list[Image]) -> None:
    """A rerun with --write-metadata: its album.json says each of ``images`` at its place now, with the SHA-256 of
    its bytes."""
    rerun = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert rerun.code == 0, rerun
    items = json.loads((tmp_path / "AbC1234" / "album.json").read_bytes())["items"]
    assert [(item["file"], item["sha256"]) for item in items] == [
        (f"{n:03d}-{image.id}.jpg", _sha(image.data)) for n, image in enumerate(images, 1)]


def _moved_about(imgur: Imgur, tmp_path: Path, *flags: str) -> tuple[list[Image], list[Image], Path]:
    """An album saved, then changed on Imgur: its first image removed, its third now before its second (which keeps
    its place), one added before its last (which keeps its place). Its images before and now, and its folder."""
    album = imgur.add_album("AbC1234", count=5)
    assert run_main(*flags, "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    before = list(album.images)
    _, second, third, fourth, fifth = before
    album.images[:] = [third, second, fourth, imgur.add_image("NeW1234", size=900), fifth]
    return before, album.images, tmp_path / "AbC1234"


def test_files_whose_place_in_the_album_changed_since_take_their_names_now_and_are_not_fetched_again(
        imgur: Imgur, tmp_path: Path) -> None:
    before, images, folder = _moved_about(imgur, tmp_path, "--write-metadata")
    fetched = len(imgur.requests_to("i.imgur.com"))
    result = run_main("--write-metadata", "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "files: 1 saved, 4 skipped (2 renamed to their place now), 0 failed" in result.err
    places = {image.id: n for n, image in enumerate(before, 1)}  # (where each was saved)
    assert sorted((row["path"], row["renamed_from"]) for row in map(json.loads, result.out.splitlines())) == sorted(
        (str(folder / f"{n:03d}-{image.id}.jpg"),
         str(folder / f"{places[image.id]:03d}-{image.id}.jpg") if places.get(image.id, n) != n else None)
        for n, image in enumerate(images, 1))
    assert len(imgur.requests_to("i.imgur.com")) == fetched + 1  # (the new file alone)
    assert files_under(folder) == {
        **{f"{n:03d}-{image.id}.jpg": image.data for n, image in enumerate(images, 1)},
        f"001-{before[0].id}.jpg": before[0].data,  # (an image removed from the album: its file is the user's)
        "album.json": (folder / "album.json").read_bytes()}
    items = json.loads((folder / "album.json").read_bytes())["items"]
    # (what the earlier album.json said of each file as it arrived is said of it at its new name)
    assert [(item["file"], item["sha256"]) for item in items] == [
        (f"{n:03d}-{image.id}.jpg", _sha(image.data)) for n, image in enumerate(images, 1)]
    again = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert again.code == 0 and "0 saved, 5 skipped, 0 failed" in again.err, again


def test_an_image_the_album_lists_twice_keeps_each_place_s_file(imgur: Imgur, tmp_path: Path) -> None:
    # One image in two places of an album's answer, its file at the second gone since (its user's, or a run that
    # failed it): the file at the first was taken for the earlier name of the second and moved there, the first
    # place's row saying it skipped at a name that then held nothing.
    twice = imgur.add_image("TwIcE12", size=3_000)
    imgur.add_album("AbC1234", images=[twice, imgur.add_image("OnCe123", size=4_000), twice])
    folder = tmp_path / "AbC1234"
    assert run_main("--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    (folder / "003-TwIcE12.jpg").unlink()
    result = run_main("--json", "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert sorted((row["index"], row["status"], row["renamed_from"]) for row in rows) == [
        (1, "skipped", None), (2, "skipped", None), (3, "saved", None)]
    assert files_under(folder) == {"001-TwIcE12.jpg": twice.data, "002-OnCe123.jpg": imgur.images["OnCe123"].data,
                                   "003-TwIcE12.jpg": twice.data}
    again = run_main("--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert again.code == 0 and "0 saved, 3 skipped, 0 failed" in again.err, again


@pytest.mark.parametrize("flags", [("--name", "{num}.{ext}"), ("--dir", "{album_title}"), ("--no-skip",)])
def test_where_a_name_cannot_say_which_file_it_is_nothing_is_renamed(
        imgur: Imgur, tmp_path: Path, flags: tuple[str, ...]) -> None:
    # A name without the image's id may be another image's; a folder without the album's id, another album's.
    _moved_about(imgur, tmp_path, *flags)
    before = files_under(tmp_path)
    result = run_main(*flags, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "renamed" not in result.err
    after = files_under(tmp_path)
    assert {path: data for path, data in after.items() if path in before} == before  # (nothing moved)


def test_a_file_of_another_size_at_an_earlier_name_is_not_taken_for_the_image(imgur: Imgur, tmp_path: Path) -> None:
    _, images, folder = _moved_about(imgur, tmp_path)
    edited = folder / f"003-{images[0].id}.jpg"  # (the earlier name of the image first now: changed by its user)
    edited.write_bytes(b"edited" * 100)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "2 saved, 3 skipped (1 renamed to their place now)" in result.err
    assert (folder / f"001-{images[0].id}.jpg").read_bytes() == images[0].data
    assert edited.read_bytes() == b"edited" * 100


@pytest.mark.parametrize("earlier", ["as saved", "a web page"])
def test_an_animation_saved_as_its_mp4_whose_place_changed_is_renamed_as_any_file(
        imgur: Imgur, tmp_path: Path, earlier: str) -> None:
    # The API gives no size of an animation's MP4: the file at its earlier name is taken as one at its own name would
    # be, when it starts as an MP4 does (else it was fetched again, and its earlier copy left beside it).
    animation = imgur.add_image("GiF1234", size=3_000, ext="gif", animated=True)
    album = imgur.add_album("AbC1234", images=[animation, imgur.add_image("JpG1234", size=900)])
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    folder = tmp_path / "AbC1234"
    assert animation.mp4 is not None and (folder / "001-GiF1234.mp4").read_bytes() == animation.mp4
    if earlier == "a web page":
        (folder / "001-GiF1234.mp4").write_bytes(b"<!doctype html><html>" + b"x" * 600)
    album.images.reverse()
    fetched = len(imgur.requests_to("i.imgur.com"))
    result = run_main("--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    rows = {row["id"]: row for row in map(json.loads, result.out.splitlines())}
    if earlier == "as saved":
        assert "files: 0 saved, 2 skipped (2 renamed to their place now), 0 failed" in result.err
        assert rows["GiF1234"]["renamed_from"] == str(folder / "001-GiF1234.mp4")
        assert len(imgur.requests_to("i.imgur.com")) == fetched
        assert files_under(folder) == {"001-JpG1234.jpg": album.images[0].data, "002-GiF1234.mp4": animation.mp4}
    else:
        assert "files: 1 saved, 1 skipped (1 renamed to their place now), 0 failed" in result.err
        assert rows["GiF1234"]["status"] == "saved" and rows["GiF1234"]["renamed_from"] is None
        assert files_under(folder) == {"001-JpG1234.jpg": album.images[0].data, "002-GiF1234.mp4": animation.mp4,
                                       "001-GiF1234.mp4": b"<!doctype html><html>" + b"x" * 600}


def test_a_file_renamed_by_a_run_killed_before_its_album_was_is_said_by_the_rerun(
        imgur: Imgur, tmp_path: Path, launcher: Launcher) -> None:
    # Renamed, the file is noted at its name in the album's journal: a kill -9 before album.json is written would
    # otherwise leave nothing saying what arrived for it (the earlier album.json says its earlier name).
    _, images, folder = _moved_about(imgur, tmp_path, "--write-metadata")
    imgur.faults.append(Fault("stall", path="/NeW1234\\..*", after=0))
    noted = folder / ".imgur-dl-journal-AbC1234.jsonl"
    proc = launcher.spawn(["--timeout", "30", "--write-metadata", "-j", "1", "-o", str(tmp_path),
                           "imgur.com/a/AbC1234"])
    try:
        assert until(lambda: noted.exists() and noted.read_bytes().count(b'"sha256":') == 2)  # (both renamed)
    finally:
        proc.kill()
        proc.communicate()
    imgur.faults.clear()
    _each_said_by_a_rerun(tmp_path, images)


def test_a_file_renamed_by_a_run_killed_before_it_took_the_file_back_is_said_by_the_rerun(
        imgur: Imgur, tmp_path: Path, launcher: Launcher) -> None:
    # A file is renamed by a worker, and noted with its record once the run's main thread takes it back: a kill -9
    # in between (the main thread held up, here writing rows to a pipe nobody reads) left the rerun finding it at
    # its name now, and the earlier album.json saying its earlier one: "sha256": null, for good. The worker notes
    # the move as it makes it.
    album = imgur.add_album("AbC1234", count=300, size=100)
    assert run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    images = album.images[:] = album.images[1:]  # (the first removed: every other file is one place earlier)
    folder = tmp_path / "AbC1234"
    noted = folder / ".imgur-dl-journal-AbC1234.jsonl"
    proc = launcher.spawn(["--json", "--write-metadata", "-o", str(tmp_path), "imgur.com/a/AbC1234"])
    try:
        # (its rows fill the pipe, and the main thread waits on it, writing, while files are renamed that it has
        # not taken back)
        assert until(writing_output(proc.pid))
        assert until(lambda: noted.read_bytes().count(b"moved_from") > noted.read_bytes().count(b"sha256"))
    finally:
        proc.kill()
        proc.communicate()
    _each_said_by_a_rerun(tmp_path, images)


@pytest.mark.parametrize("earlier", ["its second name", "two more names", "moved on since", "a copy",
                                     "a link out of the folder"])
def test_a_file_a_killed_run_left_under_both_names_keeps_its_name_now_alone(imgur: Imgur, tmp_path: Path,
                                                                          earlier: str) -> None:
    # A file is moved to its name now by a hard link, then its earlier name's removal: a kill -9 between the two left
    # it under both, listed twice for good. The earlier names of that very file go (where the album changed again
    # since, once it is moved on); a copy of its own there, or a link the user made to keep it elsewhere, stays.
    album = imgur.add_album("AbC1234", count=3)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    *gone, kept = album.images
    album.images[:] = [kept]
    folder = tmp_path / "AbC1234"
    first, second, third = (folder / f"{n:03d}-{kept.id}.jpg" for n in (1, 2, 3))
    left = {f"{n:03d}-{image.id}.jpg": image.data for n, image in enumerate(gone, 1)}  # (the user's now)
    if earlier == "a copy":
        first.write_bytes(third.read_bytes())
    elif earlier == "a link out of the folder":
        os.link(third, tmp_path / "mine.jpg")
        third.rename(first)
    else:
        os.link(third, second)
        if earlier != "moved on since":
            os.link(third, first)
        if earlier == "its second name":
            third.unlink()
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0 and "0 saved, 1 skipped" in result.err, result
    assert files_under(folder) == {**left, first.name: kept.data,
                                   **({third.name: kept.data} if earlier == "a copy" else {})}


def test_a_folder_s_names_are_read_once_however_many_files_look_for_their_earlier_names_at_once(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every worker at the album's files asks at once: the first reads the folder's names, the others wait for them
    # (each had read them again, a listing of up to 100,000 names each). The first read is held until five others
    # asked (each waiting for it), or another read them too.
    album = imgur.add_album("AbC1234", count=200, size=100)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    album.images[:] = album.images[1:]  # (every file one place earlier)
    asked: list[str] = []
    indexed = renamed._indexed

    class Awaited(Future[Any]):
        def result(self, timeout: float | None = None) -> Any:
            asked.append("waited")
            return super().result(timeout)

    def counted(*args: Any) -> Any:
        asked.append("read")
        if asked.count("read") == 1:
            assert until(lambda: len(asked) > 5 or asked.count("read") > 1)
        return indexed(*args)

    monkeypatch.setattr(renamed, "Future", Awaited, raising=False)
    monkeypatch.setattr(renamed, "_indexed", counted)
    result = run_main("-j", "64", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0 and "0 saved, 199 skipped (199 renamed to their place now)" in result.err, result
    assert asked.count("read") == 1, asked


def test_a_file_another_process_moves_first_is_taken_as_it_left_it(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two runs of the album at once (a nightly job meets the last one still at work): the other one renames the
    # file to its place now between this run's look at its name and its own rename. Nothing is fetched again.
    _, images, folder = _moved_about(imgur, tmp_path)
    publish_new = infolder.publish_new

    def other_first(dir_fd: int, source: str, name: str) -> bool:
        publish_new(dir_fd, source, name)  # (the other process's rename)
        return publish_new(dir_fd, source, name)

    monkeypatch.setattr(infolder, "publish_new", other_first)
    fetched = len(imgur.requests_to("i.imgur.com"))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "1 saved, 4 skipped, 0 failed" in result.err
    assert len(imgur.requests_to("i.imgur.com")) == fetched + 1  # (the new file alone)
    assert {f"{n:03d}-{image.id}.jpg": image.data for n, image in enumerate(images, 1)}.items() <= \
        files_under(folder).items()


def test_a_listed_file_s_row_says_the_folder_an_earlier_run_made_for_its_album_retitled_since(
        imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1, title="Before")
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    album.title = "After"
    result = run_main("-g", "--json", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert [json.loads(row)["path"] for row in result.out.splitlines()] == [
        str(tmp_path / "AbC1234 - Before" / f"001-{album.images[0].id}.jpg")]


@pytest.mark.parametrize(("others", "found"), [(2, True), (3, False)])
def test_in_a_folder_of_more_albums_than_are_read_no_earlier_folder_is_looked_for(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, others: int, found: bool) -> None:
    # (a rescue of a million links into one folder: its names are not all held for the albums retitled since)
    monkeypatch.setattr(renamed, "MOST", 3)
    album = imgur.add_album("AbC1234", count=1, title="Before")
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    for n in range(others):
        (tmp_path / f"XyZ987{n} - another").mkdir()
    album.title = "After"
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert (tmp_path / "AbC1234 - After").exists() is not found


@pytest.mark.parametrize("disk", ["linkless", "case_insensitive"])
def test_files_are_renamed_to_their_place_now_where_a_disk_takes_no_links_or_names_ignore_case(
        imgur: Imgur, request: pytest.FixtureRequest, disk: str) -> None:
    # FAT, exFAT and many network shares take no hard links (the name is looked at, then renamed to); macOS's names
    # ignore case (AbC1234 is abc1234 there).
    out: Path = request.getfixturevalue(disk)
    before, images, folder = _moved_about(imgur, out)
    result = run_main("-o", str(out), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "files: 1 saved, 4 skipped (2 renamed to their place now), 0 failed" in result.err
    assert files_under(folder) == {**{f"{n:03d}-{image.id}.jpg": image.data for n, image in enumerate(images, 1)},
                                   f"001-{before[0].id}.jpg": before[0].data}


def test_a_listing_s_posts_named_by_their_place_in_it_are_renamed_as_new_posts_come_before_them(
        imgur: Imgur, tmp_path: Path) -> None:
    # A nightly backup of an account, --name '{position:03d}-{id}.{ext}': each new post moves every one after it.
    posts: list[AlbumData | Image] = [imgur.add_image("LoNe123", size=700), imgur.add_album("AbC1234", count=2),
                                      imgur.add_image("LoNe456", size=800)]
    imgur.add_listing("user", "someone", posts)
    flags = ("--name", "{position:03d}-{id}.{ext}", "-o", str(tmp_path), "imgur.com/user/someone")
    assert run_main(*flags).code == 0
    fetched = len(imgur.requests_to("i.imgur.com"))
    imgur.add_listing("user", "someone", [imgur.add_image("NeW1234", size=900), *posts])
    result = run_main(*flags)
    assert result.code == 0, result
    assert "files: 1 saved, 4 skipped (4 renamed to their place now), 0 failed" in result.err
    assert len(imgur.requests_to("i.imgur.com")) == fetched + 1  # (the new post alone)
    album = posts[1]
    assert isinstance(album, AlbumData)
    assert files_under(tmp_path / "user someone") == {
        "001-NeW1234.jpg": imgur.images["NeW1234"].data, "002-LoNe123.jpg": posts[0].data,
        "004-LoNe456.jpg": posts[2].data,
        **{f"AbC1234/003-{image.id}.jpg": image.data for image in album.images}}


@pytest.mark.parametrize("kind", ["animations", "pictures of one size", "pictures of one size, undated"])
def test_a_post_whose_name_a_new_post_before_it_is_given_is_found_where_it_was_saved_not_fetched_again(
        imgur: Imgur, tmp_path: Path, kind: str) -> None:
    # A nightly backup of an account under --name '{title}.{ext}': untitled posts share '_', the first in the
    # listing's order at '_.ext', each after it kept apart by its id. A new post at the top is given '_.ext' now: the
    # one saved there before, named '_ (<id>).ext', was fetched again under that name (a second copy, once for each
    # such post), as an earlier post is when the posts of a list are given in another order.
    animated = kind == "animations"
    old, new = (imgur.add_image(image_id, size=3_000, ext="gif" if animated else "jpeg", animated=animated)
                for image_id in ("OlDpOsT", "NeWpOsT"))
    new.datetime += 3_600
    ext = "mp4" if animated else "jpg"
    imgur.add_listing("user", "someone", [old])
    flags = ["--json", "--name", "{title}.{ext}", "-o", str(tmp_path), "imgur.com/user/someone",
             *(["--no-mtime"] if kind.endswith("undated") else [])]
    assert run_main(*flags).code == 0
    imgur.add_listing("user", "someone", [new, old])
    for night in range(2):
        imgur.log.clear()
        result = run_main(*flags)
        assert result.code == 0, result
        rows = {row["id"]: (row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())}
        assert rows == {"OlDpOsT": ("skipped", str(tmp_path / "user someone" / f"_.{ext}")),
                        "NeWpOsT": ("skipped" if night else "saved",
                                    str(tmp_path / "user someone" / f"_ (NeWpOsT).{ext}"))}, result
        fetched = [path for _, _, path, _ in imgur.requests_to("i.imgur.com")]
        undated = [f"/OlDpOsT.{ext}"] if kind.endswith("undated") else []  # (asked of the CDN; its body not read)
        assert sorted(fetched) == ([f"/NeWpOsT.{ext}"] if night == 0 else []) + undated, result
        assert files_under(tmp_path / "user someone") == {f"_.{ext}": old.mp4 if animated else old.data,
                                                        f"_ (NeWpOsT).{ext}": new.mp4 if animated else new.data}
    if kind.endswith("undated"):
        # Once Imgur has removed it, nothing tells whose the undated file at the name is: the other post, given that
        # name by this run, has as much claim to it. Not taken for it (as a file at its own name would be).
        old.removed = True
        result = run_main(*flags)
        assert result.code == 1, result
        rows = {row["id"]: (row["status"], row["error"]) for row in map(json.loads, result.out.splitlines())}
        assert rows == {"OlDpOsT": ("failed", "removed from Imgur"), "NeWpOsT": ("skipped", None)}, result


@pytest.mark.parametrize("template", ["{title}.{ext}", "{num}.{ext}"])
def test_a_file_a_run_gives_another_post_is_never_taken_for_a_post_of_its_size_and_upload_time(
        imgur: Imgur, tmp_path: Path, template: str) -> None:
    # Two untitled single-image posts of one size, uploaded in one second, share a name: the first at '_.jpg', the
    # second kept apart by its id. An earlier run was killed before it saved the second (or its file was deleted):
    # the rerun gives '_.jpg' to the first again, and the file there has the second's size and upload time too. It
    # was said skipped there, for the second as well, on every run: never fetched.
    first, second = (imgur.add_image(image_id, size=3_000) for image_id in ("FiRsT12", "SeCoNd1"))
    imgur.add_listing("user", "someone", [first, second])
    folder = tmp_path / "user someone"
    name = "_" if template.startswith("{title}") else "1"
    flags = ["--json", "--name", template, "-o", str(tmp_path), "imgur.com/user/someone"]
    assert run_main(*flags).code == 0
    (folder / f"{name} (SeCoNd1).jpg").unlink()
    imgur.log.clear()
    result = run_main(*flags)
    assert result.code == 0, result
    rows = {row["id"]: (row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())}
    assert rows == {"FiRsT12": ("skipped", str(folder / f"{name}.jpg")),
                    "SeCoNd1": ("saved", str(folder / f"{name} (SeCoNd1).jpg"))}, result
    assert files_under(folder) == {f"{name}.jpg": first.data, f"{name} (SeCoNd1).jpg": second.data}
    # (the CDN asked whose the file at the name is: its answer, the second's bytes, is the file saved)
    assert [path for _, _, path, _ in imgur.requests_to("i.imgur.com")] == ["/SeCoNd1.jpg"]


@pytest.mark.parametrize("template", ["{num}.{ext}", "{index}-{title}.{ext}"])
def test_files_of_one_size_and_upload_time_whose_places_in_the_album_changed_are_not_taken_for_each_other(
        imgur: Imgur, tmp_path: Path, template: str) -> None:
    # Uploaded together, two files of one size carry one upload time: under a name not made from ids, the file an
    # earlier run saved at the name one of them has now is the other's where their places changed since. Each was
    # said skipped at the other's file, never fetched.
    first, second, third = (imgur.add_image(image_id, size=size) for image_id, size in (
        ("FiRsT12", 2_000), ("SeCoNd1", 3_000), ("ThIrD12", 3_000)))
    album = imgur.add_album("AbC1234", images=[first, second, third])
    folder = tmp_path / "AbC1234"
    flags = ["--json", "--name", template, "-o", str(tmp_path), "imgur.com/a/AbC1234"]
    assert run_main(*flags).code == 0
    before = files_under(folder)
    album.images[1:] = [third, second]
    imgur.log.clear()
    result = run_main(*flags)
    assert result.code == 0, result
    name = "{}.jpg" if template == "{num}.{ext}" else "00{}.jpg"
    rows = {row["id"]: (row["status"], row["path"]) for row in map(json.loads, result.out.splitlines())}
    apart = {n: name.format(n).replace(".jpg", f" ({image.id}).jpg") for n, image in ((2, third), (3, second))}
    assert rows == {"FiRsT12": ("skipped", str(folder / name.format(1))),
                    "ThIrD12": ("saved", str(folder / apart[2])), "SeCoNd1": ("saved", str(folder / apart[3]))}
    assert files_under(folder) == {**before, apart[2]: third.data, apart[3]: second.data}
    # (the CDN asked whose the file at each name is: its answer, the file's bytes, the file saved)
    assert sorted(path for _, _, path, _ in imgur.requests_to("i.imgur.com")) == ["/SeCoNd1.jpeg", "/ThIrD12.jpeg"]
    imgur.log.clear()
    again = run_main(*flags)
    assert again.code == 0 and "0 saved, 3 skipped" in again.err, again
    assert imgur.requests_to("i.imgur.com") == []


def test_a_folder_that_cannot_be_read_for_earlier_names_has_its_files_fetched_as_any_other(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a disk's error as the folder is opened to be read: found by the property test of failing calls)
    _, images, folder = _moved_about(imgur, tmp_path)

    def unreadable(dir_fd: int) -> NoReturn:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(infolder, "listed", unreadable)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "files: 3 saved, 2 skipped, 0 failed" in result.err
    assert {f"{n:03d}-{image.id}.jpg": image.data for n, image in enumerate(images, 1)}.items() <= \
        files_under(folder).items()
