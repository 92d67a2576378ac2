"""A power cut, at any moment: the disk keeps only what was flushed to it (fsync(2): a file's bytes once the file
is flushed; a new name once its folder is). Nothing under a final name is then cut short or empty, and the download
archive (and the fleet it tells) holds no record of a file whose name the cut took, which no rerun would fetch
again.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import ArchiveAt, power_cut_disk, run_main
from tests.standin import Imgur


def test_no_file_under_a_final_name_holds_bytes_a_cut_would_take(imgur: Imgur, tmp_path: Path) -> None:
    # Each picture is flushed before it takes its name; so is each album.json (--write-metadata) and a single
    # image's <id>.json, written anew by a rerun too: else a cut after the run leaves one empty, or cut short.
    imgur.add_album("AbC1234", count=3)
    imgur.add_image("XyZ9876")
    with power_cut_disk(tmp_path) as (disk, cut):
        for _ in range(2):
            result = run_main("--write-metadata", "-o", str(disk / "out"), "imgur.com/a/AbC1234", "imgur.com/XyZ9876")
            assert result.code == 0, result
        assert len(list((disk / "out").rglob("*.json"))) == 2
    assert cut.cut_short() == []


@pytest.mark.parametrize("relative", [False, True])
def test_no_commit_of_the_archive_records_a_file_whose_name_a_cut_then_would_take(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool) -> None:
    # The archive says "done" for good: a record that outlives the name of the file it speaks of, in a cut, is a
    # file lost, skipped by every rerun. So the folders that hold a record's name, up to the output folder's own
    # (and above it, those the run made: "out/new" is new), are flushed before the record is committed. Cut at each
    # commit: every name recorded is kept. (The output folder given as a path from the current folder, or whole.)
    imgur.add_album("AbC1234", count=3)
    imgur.add_album("DeF5678", count=2)
    imgur.add_image("XyZ9876")
    with power_cut_disk(tmp_path) as (disk, cut):
        monkeypatch.chdir(disk)
        out = Path("out", "new") if relative else disk / "out" / "new"
        result = run_main("--download-archive", str(disk / "seen.sqlite"), "-o", str(out),
                          "--dir", "{album_id}/{album_title}", "imgur.com/a/AbC1234", "imgur.com/a/DeF5678",
                          "imgur.com/XyZ9876")
        monkeypatch.chdir(tmp_path)  # (out of the disk, for it to be unmounted)
        assert result.code == 0, result
    recorded = lost = 0
    for database, names in cut.commits():
        with contextlib.closing(sqlite3.connect(database)) as db:
            made = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'archive'").fetchall()
            paths = [Path(path) for (path,) in db.execute("SELECT path FROM archive")] if made else []
        for path in paths:
            folder = "/"
            for part in (path if relative else path.relative_to(disk)).parts:
                lost += folder in names and part not in names[folder]
                folder = f"{folder.rstrip('/')}/{part}"
        recorded = max(recorded, len(paths))
    assert (recorded, lost) == (3 + 1 + 2 + 1 + 1, 0)


@pytest.mark.parametrize("share", [False, True])
def test_a_folder_that_cannot_be_flushed_keeps_its_files_out_of_the_archive(
        imgur: Imgur, tmp_path: Path, failing_folder_flush: Path, archive: ArchiveAt, share: bool) -> None:
    # Files saved into a folder whose names cannot be flushed (EIO) are in place, but a cut could take them: they
    # are not recorded, and the run says so; nor is their album, although the folder that names it can be flushed
    # (the album's record is the word that all of its files are recorded); with --share-work, the album is given
    # back, not said done to the fleet. The next run, on a disk that works, finds them and records them. (On either
    # backend: the archive's writer does it, whatever it writes to.)
    imgur.add_album("AbC1234", count=3)
    shared = ("--share-work",) if share else ()
    result = run_main("--download-archive", archive.location, *shared, "-o", str(failing_folder_flush),
                      "imgur.com/a/AbC1234")
    assert result.code == 1, result
    flush, unrecorded = result.err.splitlines()[:2]
    assert flush == (f"imgur-dl: error: cannot flush the folder {failing_folder_flush / 'AbC1234'} to its disk: "
                     "Input/output error; the files saved there are left unrecorded (a power cut could take their "
                     "names)"), result
    assert unrecorded.startswith("imgur-dl: error: 3 finished files and 1 finished album could not be recorded in "
                                 "the download archive ("), result
    assert unrecorded.endswith("); the next run records them (the files are in place)"), result
    assert "files: 3 saved, 0 skipped, 0 failed" in result.err
    assert archive.rows("SELECT id FROM archive") == []
    assert archive.rows("SELECT id, state, reason FROM archive_claims") == ([
        ("AbC1234", "failed", "its files were saved, but their folder could not be flushed to its disk")]
        if share else [])
    # Found in place and recorded (and done); then skipped as the archive has them (as done by that run).
    for then in ("1 album; files: 0 saved, 3 skipped", "1 claimed elsewhere" if share else "0 saved, 3 skipped"):
        result = run_main("--download-archive", archive.location, *shared, "-o", str(tmp_path / "backing"),
                          "imgur.com/a/AbC1234")
        assert (result.code, then in result.err) == (0, True), result
    assert len(imgur.requests_to("i.imgur.com")) == 3
