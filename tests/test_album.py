"""Downloading albums, gallery posts and images end to end, through the stand-in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from imgur_dl.build import RESOLVERS
from imgur_dl.folders import Folders
from tests import standin
from tests.conftest import files_under, run_main
from tests.standin import Fault, Imgur


def test_album_downloads_every_file_in_order(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=5, title="Summer trip")
    result = run_main("-o", str(tmp_path), "https://imgur.com/a/AbC1234")
    assert result.code == 0, result
    folder = tmp_path / "AbC1234 - Summer trip"
    expected = {f"{n:03d}-{img.id}.jpg": img.data for n, img in enumerate(album.images, 1)}
    assert files_under(folder) == expected
    assert "5 saved, 0 skipped, 0 failed" in result.err
    assert result.out == ""  # stdout is for data only


def test_rerun_downloads_nothing_and_exits_0(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=4)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    fetched = len(imgur.requests_to("i.imgur.com"))
    again = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert again.code == 0, again
    assert "0 saved, 4 skipped, 0 failed" in again.err
    assert len(imgur.requests_to("i.imgur.com")) == fetched


def test_wrong_sized_file_is_fetched_again(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    target = tmp_path / "AbC1234" / f"001-{album.images[0].id}.jpg"
    target.write_bytes(b"truncated")
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert "1 saved, 1 skipped" in result.err
    assert target.read_bytes() == album.images[0].data


def test_album_without_title_is_named_by_id(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["AbC1234"]


def test_single_image_goes_into_the_output_folder(imgur: Imgur, tmp_path: Path) -> None:
    image = imgur.add_image("XyZ9876", size=5000, ext="png")
    result = run_main("-o", str(tmp_path), "https://i.imgur.com/XyZ9876h.jpg")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"XyZ9876.png": image.data}


@pytest.mark.parametrize(("animated", "flags", "saved", "asked"), [
    (True, (), "mp4", ["mp4"]), (False, (), "gif", ["mp4", "gif"]), (True, ("--gif",), "gif", ["gif"])])
def test_a_gif_link_the_api_cannot_say_more_of_is_fetched_as_its_mp4_first(
        imgur: Imgur, tmp_path: Path, animated: bool, flags: tuple[str, ...], saved: str, asked: list[str]) -> None:
    # A hidden image (the API answers 404): whether the GIF moves is not known. Its MP4 is asked for first, as for
    # an animation the API names, and the GIF where there is none (a still picture).
    image = imgur.add_image("HiDd123", ext="gif", animated=animated, hidden=True)
    result = run_main(*flags, "-o", str(tmp_path), "https://i.imgur.com/HiDd123.gif")
    assert result.code == 0, result
    assert files_under(tmp_path) == {f"HiDd123.{saved}": image.mp4 if saved == "mp4" else image.data}
    assert [path.rpartition(".")[2] for (_, _, path, _) in imgur.requests_to("i.imgur.com")] == asked


def test_a_link_of_several_images_saves_each(imgur: Imgur, tmp_path: Path) -> None:
    # imgur.com/<id>,<id>: an old form of Imgur's, in old posts and comments.
    first, second = imgur.add_image("XyZ9876", ext="png"), imgur.add_image("QwE56", ext="gif")
    result = run_main("-o", str(tmp_path), "http://imgur.com/XyZ9876,QwE56")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"XyZ9876.png": first.data, "QwE56.gif": second.data}
    assert "2 images" in result.err or "files: 2 saved" in result.err, result.err


def test_gallery_post_that_is_an_album(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("GaL1234", count=2, title="Posted", in_gallery=True)
    result = run_main("-o", str(tmp_path), "https://imgur.com/gallery/cats-and-dogs-GaL1234")
    assert result.code == 0, result
    assert sorted(files_under(tmp_path)) == [f"GaL1234 - Posted/{n:03d}-{i.id}.jpg"
                                             for n, i in enumerate(album.images, 1)]


def test_gallery_post_that_is_a_single_image(imgur: Imgur, tmp_path: Path) -> None:
    image = imgur.add_image("PoSt123", in_gallery=True)
    result = run_main("-o", str(tmp_path), "https://imgur.com/t/funny/PoSt123")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"PoSt123.jpg": image.data}


def test_several_urls_each_album_in_its_own_folder(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AAAAAAA", count=2, title="one")
    imgur.add_album("BBBBBBB", count=3, title="two")
    result = run_main("-o", str(tmp_path), "imgur.com/a/AAAAAAA", "https://imgur.io/a/BBBBBBB",
                      "imgur.com/a/AAAAAAA")
    assert result.code == 0, result
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AAAAAAA - one", "BBBBBBB - two"]
    assert "5 saved" in result.err


def test_not_found_says_so_creates_nothing_and_exits_3(imgur: Imgur, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_main("-o", str(out), "https://imgur.com/a/NoSuchA")
    assert result.code == 3, result
    assert "not found" in result.err
    assert "Traceback" not in result.err
    assert not out.exists()
    # "not found" is an answer, not a failure: the v3 API is not asked
    assert imgur.requests_to("api.imgur.com", "/3/.*") == []


def test_one_missing_album_does_not_stop_the_others(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AAAAAAA", count=2)
    result = run_main("-o", str(tmp_path), "imgur.com/a/NoSuchA", "imgur.com/a/AAAAAAA")
    assert result.code == 3, result
    assert len(files_under(tmp_path)) == 2


def test_removed_image_is_named_and_counted_failed(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=3)
    album.images[1].removed = True
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    gone = album.images[1].id
    assert f"{gone}: removed from Imgur" in result.err
    assert "2 saved, 0 skipped, 1 failed" in result.err
    names = sorted(files_under(tmp_path))
    assert len(names) == 2
    assert not any(gone in n for n in names)  # neither the placeholder nor a .part


def test_animated_gif_comes_as_mp4_by_default(imgur: Imgur, tmp_path: Path) -> None:
    gif = imgur.add_image("AnIm123", size=40_000, ext="gif", animated=True)
    imgur.add_album("AbC1234", images=[gif])
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert files_under(tmp_path) == {"AbC1234/001-AnIm123.mp4": gif.mp4}


def test_gif_flag_keeps_the_gif(imgur: Imgur, tmp_path: Path) -> None:
    gif = imgur.add_image("AnIm123", size=40_000, ext="gif", animated=True)
    imgur.add_album("AbC1234", images=[gif])
    assert run_main("--gif", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert files_under(tmp_path) == {"AbC1234/001-AnIm123.gif": gif.data}


def test_api_is_asked_with_the_client_id(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    (_, _, path, headers), = imgur.requests_to("api.imgur.com")
    assert path == "/post/v1/albums/AbC1234"
    assert headers["authorization"] == "Client-ID 546c25a59c58ad7"
    assert headers["user-agent"].startswith("imgur-dl/")
    assert imgur.requests_to("imgur.com") == []  # no page scraping


def test_bad_client_id_is_a_clear_error(imgur: Imgur, tmp_path: Path) -> None:
    # Imgur's 403 "Invalid client_id" answers every request made with it: said once, with what to do, and nothing
    # more asked of the API (before: a line and two requests an album, v1's and v3's, for a whole list). A direct
    # link is still fetched from the CDN, which asks for no client id.
    for n in range(40):
        imgur.add_album(f"AbC12{n:02}", count=1)
    image = imgur.add_image("XyZ9876")
    urls = [f"imgur.com/a/AbC12{n:02}" for n in range(40)]
    result = run_main("--client-id", "nope", "-o", str(tmp_path), "-j", "1", *urls, "https://i.imgur.com/XyZ9876.jpg")
    assert result.code == 1, result
    assert result.errors == ["imgur-dl: error: Imgur refused the client id given (--client-id or IMGUR_CLIENT_ID): "
                             "check it, or register one at https://api.imgur.com/oauth2/addclient; nothing can be "
                             "looked up"], result
    asked = [path for _, _, path, _ in imgur.requests_to("api.imgur.com")]
    assert len(asked) <= RESOLVERS + 1 and not [path for path in asked if path.startswith("/3/")], asked
    assert files_under(tmp_path) == {"XyZ9876.jpg": image.data}


def test_the_default_client_id_refused_says_how_to_have_one(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Were Imgur to stop taking the id imgur.com uses, every user would meet this first: the way out is in the line.
    monkeypatch.setattr(standin, "CLIENT_IDS", set())
    imgur.add_album("AbC1234", count=1)
    imgur.add_listing("tag", "cats", [imgur.add_album("XyZ9876", count=1)])
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/t/cats")
    assert result.code == 1, result
    refused = ("Imgur refused imgur-dl's default client id (the one imgur.com uses): register one of your own at "
               "https://api.imgur.com/oauth2/addclient and give it with --client-id or IMGUR_CLIENT_ID")
    assert sorted(result.errors) == [f"imgur-dl: error: {refused}; nothing can be looked up",
                                     f"imgur-dl: error: imgur.com/t/cats: page 1: {refused}; stopped reading this "
                                     "listing there"], result
    asked = [path for _, _, path, _ in imgur.requests_to("api.imgur.com")]  # (one asked, the other maybe meanwhile;
    assert asked and set(asked) <= {"/3/gallery/t/cats/0", "/post/v1/albums/AbC1234"}  # neither again, nor of v3)
    assert len(asked) == len(set(asked))
    assert files_under(tmp_path) == {}


def test_client_id_from_the_environment(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", environ={"IMGUR_CLIENT_ID": "other00"})
    assert result.code == 1  # the stand-in knows only the default id
    assert imgur.requests_to("api.imgur.com")[0][3]["authorization"] == "Client-ID other00"


@pytest.mark.parametrize("broken", ["v1-500", "v1-garbage"])
def test_falls_back_to_the_v3_api(imgur: Imgur, tmp_path: Path, broken: str) -> None:
    gif = imgur.add_image("AnIm123", size=9000, ext="gif", animated=True, title="moving")
    album = imgur.add_album("AbC1234", count=2, title="Fallback")
    album.images.append(gif)
    body = b"<html>oops</html>" if broken == "v1-garbage" else b'{"errors":[]}'
    status = 200 if broken == "v1-garbage" else 500
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/.*", status=status, body=body))
    result = run_main("--retries", "1", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert imgur.requests_to("api.imgur.com", "/3/album/AbC1234")
    got = files_under(tmp_path / "AbC1234 - Fallback")
    assert got[f"001-{album.images[0].id}.jpg"] == album.images[0].data
    assert got["003-AnIm123.mp4"] == gif.mp4


def test_a_post_the_v3_api_has_as_an_image_not_an_album_is_that_image(imgur: Imgur, tmp_path: Path) -> None:
    """A gallery post may be an album or an image: the v3 API's album lookup answering "not found", its image
    lookup is asked; an album's URL is an album's, and its "not found" is the answer."""
    image = imgur.add_image("ImG1234", size=7000)
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/.*", status=500, body=b'{"errors":[]}'))
    result = run_main("--retries", "0", "-o", str(tmp_path), "imgur.com/gallery/ImG1234")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"ImG1234.jpg": image.data}
    assert [path for _, _, path, _ in imgur.requests_to("api.imgur.com", "/3/.*")] == ["/3/album/ImG1234",
                                                                                       "/3/image/ImG1234"]
    result = run_main("--retries", "0", "-o", str(tmp_path / "a"), "imgur.com/a/NoSuchA")
    assert result.code == 3, result
    assert not imgur.requests_to("api.imgur.com", "/3/image/NoSuchA")


# One item of each API's answer, every field it is read from given a value of its own (the shapes the stand-in
# answers with, from the public record cited there): each Media field must come from its own place.
_V1_ITEM = {"id": "AbC1234", "name": "holiday-2014.gif", "url": "https://i.imgur.com/AbC1234.gif", "ext": "gif",
            "mime_type": "image/gif", "size": 12345, "width": 800, "height": 600, "created_at": "2014-05-17T10:00:00Z",
            "metadata": {"title": "a title", "description": "a caption", "is_animated": True}}
_V3_IMAGE = {"id": "AbC1234", "link": "https://i.imgur.com/AbC1234.gif", "type": "image/gif", "size": 12345,
             "width": 800, "height": 600, "datetime": 1400320800, "title": "a title", "description": "a caption",
             "animated": True, "mp4": "https://i.imgur.com/AbC1234.mp4", "mp4_size": 2345}


@pytest.mark.parametrize("api", ["v1", "v3"])
@pytest.mark.parametrize("prefer_gif", [False, True])
def test_every_field_of_a_media_item_is_read_from_its_own_place(api: str, prefer_gif: bool) -> None:
    from imgur_dl import answers  # noqa: PLC0415
    from imgur_dl.models import Media, Source  # noqa: PLC0415
    from imgur_dl.urls import Kind, Target  # noqa: PLC0415

    if api == "v1":
        plain = {**_V1_ITEM, "id": "DeF5678", "metadata": None, "url": "https://i.imgur.com/DeF5678.gif"}
        typed = {"id": "GhI9012", "mime_type": "image/png"}  # (no extension: the type's)
        post = {"id": "XyZ9876", "is_album": True, "title": "the post", "description": "its words",
                "created_at": "2014-05-18T00:00:00Z", "media": [_V1_ITEM, plain, typed]}
        album = answers.album_from_v1(post, Target(Kind.ALBUM, "XyZ9876", ""), prefer_gif=prefer_gif)
        mp4 = Source("https://i.imgur.com/AbC1234.mp4", "mp4", None)  # (v1 gives no MP4 size)
    else:
        plain = {"id": "DeF5678", "link": "https://i.imgur.com/DeF5678.gif", "type": "image/gif"}
        typed = {"id": "GhI9012", "link": "https://i.imgur.com/GhI9012.png"}  # (no type: the link's extension)
        data = {"id": "XyZ9876", "title": "the post", "description": "its words", "datetime": 1400371200,
                "images": [_V3_IMAGE, plain, typed]}
        album = answers.album_from_v3(data, prefer_gif=prefer_gif)
        mp4 = Source("https://i.imgur.com/AbC1234.mp4", "mp4", 2345)
    assert (album.id, album.title, album.description, album.created_at, album.is_album) == (
        "XyZ9876", "the post", "its words", "2014-05-18T00:00:00Z", True)
    gif = Source("https://i.imgur.com/AbC1234.gif", "gif", 12345)
    assert album.media[0] == Media(
        id="AbC1234", index=1, title="a title", description="a caption", mime_type="image/gif", width=800,
        height=600, animated=True, created_at="2014-05-17T10:00:00Z", sources=(gif,) if prefer_gif else (mp4, gif),
        name="holiday-2014.gif" if api == "v1" else "")
    # An item that says nothing of being animated is not: its GIF is the file, whatever is preferred.
    second = album.media[1]
    assert (second.index, second.animated, second.title, second.width) == (2, False, "", 800 if api == "v1" else 0)
    assert second.sources == (Source("https://i.imgur.com/DeF5678.gif", "gif", 12345 if api == "v1" else None),)
    assert album.media[2].sources == (Source("https://i.imgur.com/GhI9012.png", "png", None),)


def test_album_json_names_the_url_each_file_was_fetched_from(imgur: Imgur, tmp_path: Path) -> None:
    # An animation is fetched as its MP4, or as its GIF when the MP4 is refused: the item's "url" and "size" are
    # those of the bytes saved, what a reader checks the file against, not what the answer listed first (the API
    # gives no MP4's size).
    gif = imgur.add_image("AnIm123", size=9000, ext="gif", animated=True)
    album = imgur.add_album("AbC1234", count=1)
    album.images.append(gif)
    for refused, url in ((False, "https://i.imgur.com/AnIm123.mp4"), (True, "https://i.imgur.com/AnIm123.gif")):
        if refused:
            imgur.faults.append(Fault("status", path="/AnIm123\\.mp4", status=404))
        out = tmp_path / str(refused)
        assert run_main("--write-metadata", "-o", str(out), "imgur.com/a/AbC1234").code == 0
        items = json.loads((out / "AbC1234" / "album.json").read_text())["items"]
        assert [item["url"] for item in items] == [f"https://i.imgur.com/{album.images[0].id}.jpeg", url]
        assert [item["size"] for item in items] == [len(album.images[0].data), len(gif.data if refused else gif.mp4)]


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_an_album_whose_every_file_failed_leaves_no_folder_it_made(imgur: Imgur, tmp_path: Path) -> None:
    # Its folders, made for files that never came, are taken away again (up to the output folder, which stays);
    # those of an album that saved a file, and one an earlier run made, stay.
    imgur.add_album("AbC1234", count=2, title="Gone")
    kept = imgur.add_album("DeF5678", count=2)
    imgur.faults.append(Fault("status", path="/Ab.*", status=404))
    out = tmp_path / "out"
    result = run_main("-o", str(out), "--dir", "{album_id}/{album_title}", "imgur.com/a/AbC1234", "imgur.com/a/DeF5678")
    assert result.code == 1, result
    assert "2 saved, 0 skipped, 2 failed" in result.err
    assert _tree(out) == ["DeF5678", "DeF5678/_", *(f"DeF5678/_/00{n}-{image.id}.jpg"
                                                    for n, image in enumerate(kept.images, 1))]
    (out / "AbC1234" / "Gone").mkdir(parents=True)  # (there before the run: not the run's to take away)
    again = run_main("-o", str(out), "--dir", "{album_id}/{album_title}", "imgur.com/a/AbC1234")
    assert again.code == 1, again
    assert (out / "AbC1234" / "Gone").is_dir()


def test_a_file_that_failed_leaves_no_folder_its_name_made(imgur: Imgur, tmp_path: Path) -> None:
    # A name template with folders of its own (--name '{id}/...', '{date}/...'): those made for a file that never
    # came are taken away as its album's are, whether or not the album saved other files.
    imgur.add_album("AbC1234", count=2)
    kept = imgur.add_album("DeF5678", count=3)
    lost = kept.images[1]
    imgur.faults.append(Fault("status", path=f"/(Ab.*|{lost.id}.*)", status=404))
    result = run_main("-o", str(tmp_path), "--name", "{id}/{index}.{ext}", "imgur.com/a/AbC1234",
                      "imgur.com/a/DeF5678")
    assert result.code == 1, result
    assert "2 saved, 0 skipped, 3 failed" in result.err
    folder = tmp_path / "DeF5678"
    assert _tree(tmp_path) == [folder.name, *sorted(f"{folder.name}/{image.id}{part}" for n, image in
                                                    enumerate(kept.images, 1) if image is not lost
                                                    for part in ("", f"/00{n}.jpg"))]


def test_a_failed_album_s_folder_stays_where_it_holds_something(imgur: Imgur, tmp_path: Path) -> None:
    # A part file to resume (the connection dropped each time), or the album.json asked for, keeps it.
    imgur.add_album("AbC1234", count=1, size=100_000)
    imgur.faults.append(Fault("reset", path="/Ab.*", after=50_000))
    result = run_main("-o", str(tmp_path), "--retries", "0", "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert [p.name.endswith(".part") for p in (tmp_path / "AbC1234").iterdir()] == [True]
    imgur.add_album("DeF5678", count=1)
    imgur.faults.append(Fault("status", path="/De.*", status=404))
    result = run_main("-o", str(tmp_path), "--write-metadata", "imgur.com/a/DeF5678")
    assert result.code == 1, result
    assert _tree(tmp_path / "DeF5678") == ["album.json"]


def test_an_album_that_failed_takes_away_no_folder_another_album_of_the_run_writes_into(imgur: Imgur,
                                                                                         tmp_path: Path) -> None:
    # Two albums into one folder (a template that names them alike): the one that fails first does not leave the
    # other without its folder.
    imgur.add_album("AbC1234", count=2)
    kept = imgur.add_album("DeF5678", count=3)
    imgur.faults.append(Fault("status", path="/Ab.*", status=404))
    result = run_main("-o", str(tmp_path), "--dir", "shared", "-j", "1", "imgur.com/a/AbC1234", "imgur.com/a/DeF5678")
    assert result.code == 1, result
    assert "3 saved, 0 skipped, 2 failed" in result.err
    assert _tree(tmp_path) == ["shared", *(f"shared/00{n}-{image.id}.jpg" for n, image in enumerate(kept.images, 1))]


def test_only_the_empty_folders_this_run_made_and_no_one_uses_are_taken_away(tmp_path: Path) -> None:
    tree = Folders(tmp_path / "out")
    (tmp_path / "out" / "before").mkdir(parents=True)
    for folder in ("a/b/c", "before/d", "held/e", "full/f"):
        tree.ready(tmp_path / "out" / folder)  # (made, then left open for the files to come)
    with tree.using(tmp_path / "out" / "full") as fd:
        os.close(os.open("x.jpg", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    held = tree.hold(tmp_path / "out" / "held" / "e")
    for folder in ("a/b/c", "before/d", "held/e", "full/f", "before"):
        tree.tidy(tmp_path / "out" / folder)
    assert _tree(tmp_path) == ["out", "out/before", "out/full", "out/full/x.jpg", "out/held", "out/held/e"]
    tree.release(tmp_path / "out" / "held" / "e")
    os.close(os.open("y.jpg", os.O_WRONLY | os.O_CREAT, dir_fd=held))  # (still open: written into as it was)
    with tree.using(tmp_path / "out" / "a" / "b" / "c") as fd:  # (made again for a later use: not the one taken away)
        os.close(os.open("z.jpg", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    assert (tmp_path / "out" / "a" / "b" / "c" / "z.jpg").is_file()
    tree.close()
