"""Names from the network become safe path components, and files sort in album order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import imgur_dl
from imgur_dl.errors import UsageError
from imgur_dl.models import Album, Media, Source
from imgur_dl.naming import Namer, Template, index_width, sanitize
from tests.conftest import files_under, run_main, run_process
from tests.standin import Fault, Imgur

SANITIZED = [
    ("Summer trip", "Summer trip"),
    ("a/b\\c", "a_b_c"),
    ("..", "_"),
    ("../../etc/passwd", "_.._etc_passwd"),
    ("...hidden", "hidden"),
    ("tab\there\nnewline", "tab here newline"),
    ("bell\x07 and \x1b[31mred", "bell and [31mred"),
    ("right\u202eto-left", "rightto-left"),
    ('what: "quotes" <and> pipes|?*', "what_ _quotes_ _and_ pipes___"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("LPT1", "_LPT1"),
    ("COMPUTER", "COMPUTER"),
    ("trailing dots...", "trailing dots"),
    ("   ", "_"),
    ("", "_"),
    ("\ud800lone surrogate", "_lone surrogate"),
    ("e\u0301", "\u00e9"),  # NFC
]


@pytest.mark.parametrize(("raw", "safe"), SANITIZED)
def test_sanitize(raw: str, safe: str) -> None:
    assert sanitize(raw) == safe


@pytest.mark.parametrize("raw", ["é" * 300, "猫" * 200, "a" * 1000, "x" * 254 + "é"])
def test_sanitize_caps_bytes_and_stays_utf8(raw: str) -> None:
    safe = sanitize(raw)
    assert len(safe.encode("utf-8")) <= 255
    assert safe.encode("utf-8").decode("utf-8") == safe
    assert raw.startswith(safe)


@pytest.mark.parametrize(("count", "width"), [(1, 3), (999, 3), (1000, 4), (1500, 4), (12345, 5)])
def test_index_width_grows_with_the_album(count: int, width: int) -> None:
    assert index_width(count) == width


def _album(count: int, title: str = "", media_title: str = "") -> Album:
    media = tuple(
        Media(id=f"i{n:06d}", index=n, title=media_title, description="", mime_type="image/jpeg",
              width=1, height=1, animated=False, created_at="2024-05-17T00:00:00Z",
              sources=(Source(f"https://i.imgur.com/i{n:06d}.jpg", "jpg", 1),))
        for n in range(1, count + 1)
    )
    return Album("AbC1234", title, "", "https://imgur.com/a/AbC1234", "2024-05-17T00:00:00Z", True, media)


def test_names_of_a_big_album_sort_in_album_order(tmp_path: Path) -> None:
    album = _album(1500)
    namer = Namer(tmp_path)
    names = [namer.path(album, m, "jpg").name for m in album.media]
    assert names[0] == "0001-i000001.jpg"
    assert names == sorted(names)


@pytest.mark.parametrize("title", ["../../../../tmp/evil", "/etc", "..", "a/../../b", "C:\\Windows", "\x00"])
def test_nothing_is_written_outside_the_output_folder(tmp_path: Path, title: str) -> None:
    album = _album(1, title=title, media_title=title)
    namer = Namer(tmp_path, Template("{album_title}/{title}"), Template("{title}{title}.{ext}"))
    path = namer.path(album, album.media[0], "jpg")
    assert tmp_path.resolve() in path.resolve().parents
    assert all(part not in ("..", ".", "") for part in path.relative_to(tmp_path).parts)


def test_long_titles_leave_room_for_the_part_suffix(tmp_path: Path) -> None:
    album = _album(1, media_title="ü" * 400)
    path = Namer(tmp_path, name_template=Template("{title}.{ext}")).path(album, album.media[0], "jpg")
    assert path.name.endswith(".jpg")
    assert len((path.name + ".part").encode()) <= 255


def test_a_long_title_is_cut_and_not_the_id_after_it(imgur: Imgur, tmp_path: Path) -> None:
    # An image removed from an album, another of the same long title put in its place: their names, each cut at
    # 255 bytes, were one name once the id after the title was cut off, and the new file was written over the
    # other's. Two albums of one long title shared one folder the same way.
    album = imgur.add_album("AbC1234", count=1, size=3000, title="\u00e9" * 200)
    imgur.add_album("XyZ9876", count=1, size=2000, title="\u00e9" * 200)
    album.images[0].title = "e" * 300
    args = ("--dir", "{album_title} ({album_id})", "--name", "{title} {id}.{ext}", "-o", str(tmp_path),
            "imgur.com/a/AbC1234", "imgur.com/a/XyZ9876")
    assert run_main(*args).code == 0
    first = album.images[0]
    album.images[:] = [imgur.add_image("NeW1234", size=5000, title="e" * 300)]
    assert run_main(*args).code == 0
    files = files_under(tmp_path)
    assert sorted(files.values()) == sorted([first.data, album.images[0].data, imgur.albums["XyZ9876"].images[0].data])
    folders, names = zip(*(name.split("/") for name in files), strict=True)
    assert {folder[-9:] for folder in folders} == {"(AbC1234)", "(XyZ9876)"}
    assert {name.rsplit(" ", 1)[-1] for name in names} == {"Ab00000.jpg", "NeW1234.jpg", "Xy00001.jpg"}
    assert all(len(folder.encode()) <= 255 for folder in folders)
    assert all(len((name + ".part").encode()) <= 255 for name in names)


def test_unknown_template_field_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"unknown field \{nope\}"):
        Template("{index}-{nope}.{ext}")


@pytest.mark.parametrize("api", ["v1", "v3"])
def test_each_file_s_size_in_pixels_is_a_field_and_recorded(imgur: Imgur, tmp_path: Path, api: str) -> None:
    album = imgur.add_album("AbC1234", count=2)
    if api == "v3":  # (the answer of the API imgur.com uses cannot be read: the older one is asked)
        imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/.*", status=200, body=b"<html>"))
    album.images[0].width, album.images[0].height = 1920, 1080
    album.images[1].width, album.images[1].height = 0, 0  # (Imgur gives none for some uploads)
    result = run_main("--write-metadata", "--name", "{num}-{width}x{height}.{ext}", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert sorted(files_under(tmp_path / "AbC1234")) == ["1-1920x1080.jpg", "2-0x0.jpg", "album.json"]
    items = json.loads((tmp_path / "AbC1234" / "album.json").read_text())["items"]
    assert [(item["width"], item["height"]) for item in items] == [(1920, 1080), (0, 0)]


@pytest.mark.parametrize("given", ["/", " / ", "//"])
def test_a_name_template_that_gives_no_name_is_a_usage_error(imgur: Imgur, tmp_path: Path, given: str) -> None:
    # (It gave every file the album folder's own path: the first "a folder stands where the file goes", the next
    # saved beside the folder, under its name.)
    album = imgur.add_album("AbC1234", count=2)
    result = run_main("--name", given, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (2, "imgur-dl: error: --name: a file name template must give a name, not "
                                            "only '/' and spaces\n")
    assert imgur.log == [] and list(tmp_path.iterdir()) == []
    with pytest.raises(UsageError, match="name_template: a file name template must give a name"):
        list(imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path, name_template=given))
    assert run_main("--dir", given, "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0  # (no album folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{n:03d}-{i.id}.jpg" for n, i in enumerate(album.images, 1)]


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize(("title", "name"), [("same.part", "same_part"), ("Same.PART", "Same_PART")])
def test_a_name_never_ends_as_a_part_file_does(imgur: Imgur, tmp_path: Path, first: bool, title: str,
                                               name: str) -> None:
    # Beside "same", "same.part" is where "same" is written until it is whole: a file given that name was taken
    # for it (resumed from, written over, renamed away) and lost, the run saying both were saved. (In another
    # case, the same where names ignore case.)
    plain = imgur.add_image("OnEe123", size=3_000, title="same")
    parted = imgur.add_image("TwOo123", size=5_000, title=title)
    imgur.add_album("AbC1234", images=[parted, plain] if first else [plain, parted])
    for _ in range(2):  # (and a rerun finds both)
        result = run_main("-j", "1", "--name", "{title}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
        assert result.code == 0, result
        assert files_under(tmp_path / "AbC1234") == {"same": plain.data, name: parted.data}


def test_a_file_is_never_given_its_album_json_s_name(imgur: Imgur, tmp_path: Path) -> None:
    # A post titled "album.json", under --name '{title}': written over by the album's own album.json, the run
    # saying it was saved.
    titled = imgur.add_image("OnEe123", size=3_000, title="album.json")
    other = imgur.add_image("TwOo123", size=5_000, title="x")
    imgur.add_album("AbC1234", images=[titled, other])
    for _ in range(2):  # (and a rerun finds it where it went)
        result = run_main("--write-metadata", "--name", "{title}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
        assert result.code == 0, result
        files = files_under(tmp_path / "AbC1234")
        assert (files["album (OnEe123).json"], files["x"]) == (titled.data, other.data)
        assert [i["file"] for i in json.loads(files["album.json"])["items"]] == ["album (OnEe123).json", "x"]


def test_a_file_saved_under_the_name_album_json_is_kept_once_metadata_is_asked_for(imgur: Imgur,
                                                                                   tmp_path: Path) -> None:
    # An uploader's file named "album.json", under --name '{name}', saved by a run without --write-metadata: the
    # first run with it wrote the album's album.json over that file (the image lost, its row saying it skipped
    # there), and the next fetched it again beside it.
    named = imgur.add_image("OnEe123", size=3_000, name="album.json")
    other = imgur.add_image("TwOo123", size=5_000, name="x.jpg")
    imgur.add_album("AbC1234", images=[named, other])
    args = ("--name", "{name}", "--dir", "{album_id}", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert run_main(*args).code == 0
    for _ in range(2):
        result = run_main("--write-metadata", "--json", *args)
        assert result.code == 0, result
        assert {row["id"]: row["status"] for row in map(json.loads, result.out.splitlines())} == {
            "OnEe123": "skipped", "TwOo123": "skipped"}
        files = files_under(tmp_path / "AbC1234")
        assert (files["album.json"], files["x"]) == (named.data, other.data)
        assert [i["file"] for i in json.loads(files["album (AbC1234).json"])["items"]] == ["album.json", "x"]
        assert len(files) == 3


def test_an_album_the_archive_has_whole_gets_its_metadata_beside_a_file_named_album_json(imgur: Imgur,
                                                                                         tmp_path: Path) -> None:
    # A sync that asks for metadata only now writes it, once, for each album the archive has whole whose folder has
    # none: where a file that is not the album's metadata has the name (an upload named "album.json"), the album had
    # none written, that file being taken for it.
    named = imgur.add_image("OnEe123", size=3_000, name="album.json")
    imgur.add_album("AbC1234", images=[named, imgur.add_image("TwOo123", size=5_000, name="x.jpg")])
    archive = str(tmp_path / "seen.sqlite")
    args = ("--download-archive", archive, "--name", "{name}", "--dir", "{album_id}", "-o", str(tmp_path / "out"),
            "imgur.com/a/AbC1234")
    assert run_main(*args).code == 0
    folder = tmp_path / "out" / "AbC1234"
    for _ in range(2):
        result = run_main("--write-metadata", *args)
        assert result.code == 0, result
        files = files_under(folder)
        assert files["album.json"] == named.data
        assert json.loads(files["album (AbC1234).json"])["id"] == "AbC1234"
        assert len(files) == 3


@pytest.mark.parametrize("archived", [False, True])
def test_a_folder_named_album_json_is_kept_and_the_album_s_metadata_written_beside_it(imgur: Imgur, tmp_path: Path,
                                                                                     archived: bool) -> None:
    # An album titled "album.json", saved under --dir '{album_id}/{album_title}', then synced under --dir
    # '{album_id}' with --write-metadata: its metadata's name was its own earlier folder's, "cannot write
    # .../album.json: Is a directory", exit 1 on every run and its journal left beside it.
    album = imgur.add_album("AbC1234", count=2, title="album.json")
    archive = ("--download-archive", str(tmp_path / "seen.sqlite")) if archived else ()
    out = tmp_path / "out"
    assert run_main(*archive, "--dir", "{album_id}/{album_title}", "-o", str(out), "imgur.com/a/AbC1234").code == 0
    earlier = {f"album.json/00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    for _ in range(2):
        result = run_main(*archive, "--write-metadata", "--dir", "{album_id}", "-o", str(out), "imgur.com/a/AbC1234")
        assert result.code == 0, result
        files = files_under(out / "AbC1234")
        assert json.loads(files.pop("album (AbC1234).json"))["id"] == "AbC1234"
        assert files == earlier | ({} if archived else {name.removeprefix("album.json/"): data
                                                        for name, data in earlier.items()})


def test_a_file_whose_name_a_folder_has_is_kept_apart_by_its_id(imgur: Imgur, tmp_path: Path) -> None:
    # A lone image titled as an album is, under --dir '{album_title}' --name '{title}': its file and the album's
    # folder are one path in the output folder. Once the folder is there, the file is kept apart; it failed
    # ("a folder stands where the file goes") on every run.
    lone = imgur.add_image("LoNe123", size=3_000, title="pic")
    imgur.add_album("AbC1234", count=1, title="pic")
    result = run_main("-j", "1", "--dir", "{album_title}", "--name", "{title}", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234", "imgur.com/LoNe123")
    assert result.code == 0, result
    assert files_under(tmp_path)["pic (LoNe123)"] == lone.data


@pytest.mark.parametrize(("folder", "kept"), [("{album_title}", "pic (AbC1234)/_"),
                                              ("{album_title}/{album_id}", "pic (AbC1234)/AbC1234/_")])
def test_an_album_whose_folder_name_a_file_has_is_kept_apart_by_its_id(imgur: Imgur, tmp_path: Path, folder: str,
                                                                       kept: str) -> None:
    # The same, the other way: the lone image's file saved first (by an earlier run, or named first in this one),
    # the album's folder was to be made at its name: "is a symlink or not a folder", the album failed, every run.
    lone = imgur.add_image("LoNe123", size=3_000, title="pic")
    album = imgur.add_album("AbC1234", count=1, title="pic")
    args = ("--dir", folder, "--name", "{title}", "-o", str(tmp_path))
    assert run_main(*args, "imgur.com/LoNe123").code == 0
    for _ in range(2):  # (and again: the same names, nothing fetched)
        result = run_main(*args, "imgur.com/a/AbC1234", "imgur.com/LoNe123")
        assert result.code == 0, result
        assert files_under(tmp_path) == {"pic": lone.data, kept: album.images[0].data}
    result = run_main(*args, "-o", str(tmp_path / "both"), "imgur.com/LoNe123", "imgur.com/a/AbC1234")
    assert result.code == 0, result  # (named first in the run: its file keeps the name)
    assert sorted(files_under(tmp_path / "both")) == ["pic", kept]


# A locale of another encoding than UTF-8 (ISO-8859-1, EUC-JP; here the C locale's ASCII, which every machine has,
# where Python is told not to take it for UTF-8): imgur-dl writes names in it, as every program there does.
_ASCII_NAMES = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


def test_titles_the_locale_cannot_write_are_saved_under_names_it_can(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, title="\u732b\u306e\u5199\u771f caf\xe9 \u2615" + "\xe9" * 300)
    for image, title in zip(album.images, ["\u6771\u4eac", "na\xefve"], strict=True):
        image.title = title
    result = run_process("--name", "{title} {id}.{ext}", "-o", str(tmp_path), "imgur.com/a/AbC1234",
                         environ=_ASCII_NAMES)
    assert result.code == 0, result  # (it was: "unexpected UnicodeEncodeError", and not one file)
    folder = "AbC1234 - ____ caf_ " + "_" * (255 - len("AbC1234 - ____ caf_ "))  # (cut at 255 bytes of ASCII)
    assert files_under(tmp_path) == {f"{folder}/__ {album.images[0].id}.jpg": album.images[0].data,
                                     f"{folder}/na_ve {album.images[1].id}.jpg": album.images[1].data}


def test_empty_album_title_leaves_no_dangling_separator(tmp_path: Path) -> None:
    assert Namer(tmp_path).folder(_album(1)) == tmp_path / "AbC1234"
    assert Namer(tmp_path).folder(_album(1, title="Trip")) == tmp_path / "AbC1234 - Trip"


def test_a_listing_s_field_formatted_as_a_number_leaves_the_posts_of_no_listing_their_names(
        imgur: Imgur, tmp_path: Path) -> None:
    # {position:03d}, checked before anything is fetched, is a number in a listing and nothing outside one: an album
    # and an image given by their links are named without it (each failed as a "bad template" in the run).
    listed = imgur.add_album("PoSt123", count=1, in_gallery=True, owner="Miguenzo")
    imgur.add_listing("user", "Miguenzo", [listed])
    album, single = imgur.add_album("FiRst12", count=1), imgur.add_image("SiNg123")
    result = run_main("--dir", "{position:03d} {album_id}", "--name", "{position:03d}-{id}.{ext}", "-o",
                      str(tmp_path), "imgur.com/user/Miguenzo", "imgur.com/a/FiRst12", "https://i.imgur.com/SiNg123.jpg")
    assert result.code == 0, result
    assert files_under(tmp_path) == {
        f"user Miguenzo/001 PoSt123/001-{listed.images[0].id}.jpg": listed.images[0].data,
        f"FiRst12/{album.images[0].id}.jpg": album.images[0].data, "SiNg123.jpg": single.data}
