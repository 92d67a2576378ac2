"""Imgur as it really is: behaviours recorded in public bug reports (sources in tests/standin.py)."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import ANY

import pytest
import requests

from imgur_dl import sniff
from imgur_dl.defaults import USER_AGENT
from tests.conftest import files_under, run_main
from tests.standin import REGION_PNG, REMOVED_PNG, SITE_SHELL, Fault, Imgur
from tests.test_wayback import bad_nearest


def test_user_agent_is_one_the_cdn_accepts(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    agents = {h["user-agent"] for (_, _, _, h) in imgur.log}
    assert agents == {USER_AGENT}
    assert not any("python-requests" in agent for agent in agents)
    assert {h["accept"] for (_, _, _, h) in imgur.requests_to("i.imgur.com")} == {"*/*"}  # never a page load
    assert not any("referer" in h for (_, _, _, h) in imgur.log)  # no Referer for hotlink protection to judge
    assert len(files_under(tmp_path)) == len(album.images)


def test_user_agent_option_is_sent(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    assert run_main("--user-agent", "curl/8.5.0", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert {h["user-agent"] for (_, _, _, h) in imgur.log} == {"curl/8.5.0"}


def test_a_refusal_that_never_ends_ends(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=3)
    # The CDN refuses this User-Agent with "429 Unknown Error", forever.
    result = run_main("--user-agent", "python-requests/2.31.0", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "Imgur kept refusing (429 Unknown Error, 9 times); try again later" in result.err
    assert "0 saved, 0 skipped, 3 failed" in result.err
    assert files_under(tmp_path) == {}
    assert len(imgur.requests_to("i.imgur.com")) == 3 * 9


@pytest.mark.parametrize(("host", "path"), [("api.imgur.com", "/post/v1/albums/AbC1234"),
                                           ("web.archive.org", "/cdx/search/cdx"),
                                           ("web.archive.org", r"/web/\d{12}id_/.*")])
def test_a_small_answer_refused_is_waited_out_as_a_file_is(imgur: Imgur, tmp_path: Path, host: str,
                                                           path: str) -> None:
    # A 429 is no failure that --retries counts: the API's, the Wayback Machine index's and its nearest capture's
    # are waited out as the CDN's are (up to 8 of them), with --retries 0 too.
    album = imgur.add_album("AbC1234", count=2)
    if host == "web.archive.org":
        album.images[0].removed = True
        imgur.add_capture(f"https://i.imgur.com/{album.images[0].id}.jpg", body=album.images[0].data)
        if path == "/cdx/search/cdx":
            bad_nearest(imgur, album.images[0])  # (found by a look-up in the index)
    imgur.faults.append(Fault("status", host=host, path=path, attempts={1, 2, 3}, status=429,
                              headers={"Retry-After": "2"}, body=b"{}"))
    result = run_main("--retries", "0", "--wayback", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert len(files_under(tmp_path / "AbC1234")) == 2
    assert result.waits.count(2.0) == 3  # each refusal's Retry-After


def test_empty_album_says_so_writes_nothing_and_exits_3(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("EmPt123", images=[])
    full = imgur.add_album("FuLl123", count=1)
    result = run_main("--write-metadata", "-o", str(tmp_path), "imgur.com/a/EmPt123", "imgur.com/a/FuLl123")
    assert result.code == 3, result
    assert "imgur.com/a/EmPt123: EmPt123: the album is empty (Imgur shows no media in it)" in result.err
    assert sorted(files_under(tmp_path)) == ["FuLl123/001-" + full.images[0].id + ".jpg", "FuLl123/album.json"]


def test_media_are_asked_for_with_include_media(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    assert run_main("-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    (_, path, query), = [q for q in imgur.queries if q[0] == "api.imgur.com"]
    assert path == "/post/v1/albums/AbC1234"
    assert query == {"include": ["media,tags,account"]}  # as gallery-dl asks (the stand-in needs "media")


@pytest.mark.parametrize("api", ["404", "down"])
def test_hidden_post_direct_link_downloads_from_the_cdn(imgur: Imgur, tmp_path: Path, api: str) -> None:
    image = imgur.add_image("HiDd123", size=9_000, hidden=True)
    if api == "down":
        imgur.faults.append(Fault("status", host="api.imgur.com", path=".*", status=503))
    result = run_main("--retries", "0", "--json", "-o", str(tmp_path), "https://i.imgur.com/HiDd123.jpg")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"HiDd123.jpg": image.data}
    assert "HiDd123: the API does not describe it" in result.err
    assert json.loads(result.out)["url"] == "https://i.imgur.com/HiDd123.jpg"


def test_hidden_posts_direct_links_are_said_undescribed_once(imgur: Imgur, tmp_path: Path) -> None:
    """A dump of a mature subreddit's links: most answer 404 at the API. Each is fetched; that the API did not
    describe them is said once, not once a link (the errors that matter, deleted files, would drown in them)."""
    images = [imgur.add_image(f"HiDd{n:03d}", size=2_000 + n, hidden=True) for n in range(5)]
    links = [f"https://i.imgur.com/{image.id}.jpg" for image in images]
    result = run_main("-o", str(tmp_path), *links)
    assert result.code == 0, result
    assert sorted(files_under(tmp_path)) == [f"{image.id}.jpg" for image in images]
    assert result.err.count("the API does not describe it (Not Found); fetching the direct link") == 1, result
    verbose = run_main("-v", "--no-skip", "-o", str(tmp_path), *links)
    assert [line for line in verbose.err.splitlines() if "/post/v1/media/" in line and "404" in line] \
        == [ANY] * len(images), verbose  # (each lookup, said as any request is with -v)


def test_hidden_post_page_link_is_still_not_found(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_image("HiDd123", hidden=True)
    result = run_main("-o", str(tmp_path), "https://imgur.com/HiDd123")
    assert result.code == 3, result  # the page link says nothing of where the bytes are
    assert imgur.requests_to("i.imgur.com") == []


def test_deleted_direct_link_fails_by_id(imgur: Imgur, tmp_path: Path) -> None:
    result = run_main("-o", str(tmp_path), "https://i.imgur.com/GoNe123.png")
    assert result.code == 1, result
    assert "GoNe123: removed from Imgur" in result.err
    assert files_under(tmp_path) == {}
    assert [path for (_, _, path, _) in imgur.requests_to("i.imgur.com")] == ["/GoNe123.png"]  # not removed.png


def test_gifv_link_is_the_mp4(imgur: Imgur, tmp_path: Path) -> None:
    gif = imgur.add_image("AnIm123", size=20_000, ext="gif", animated=True)
    result = run_main("-o", str(tmp_path), "https://i.imgur.com/AnIm123.gifv")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"AnIm123.mp4": gif.mp4}


def test_region_block_saves_nothing_and_says_so_once(imgur: Imgur, tmp_path: Path) -> None:
    gif = imgur.add_image("AnIm123", size=20_000, ext="gif", animated=True)
    album = imgur.add_album("AbC1234", count=6)
    album.images.append(gif)
    imgur.region_blocked = True
    result = run_main("-j", "1", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert result.err.count("Imgur blocks this region") == 1, result
    assert "0 saved, 0 skipped, 7 failed" in result.err
    assert files_under(tmp_path) == {}
    assert len(imgur.requests_to("i.imgur.com")) == 1  # no retry storm: the first answer told it all


def test_region_placeholder_under_a_png_name_is_caught_by_its_size(imgur: Imgur, tmp_path: Path) -> None:
    image = imgur.add_image("PnGg123", size=5_000, ext="png", width=800, height=600)
    imgur.add_album("AbC1234", images=[image])
    imgur.region_blocked = True
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "Imgur blocks this region" in result.err
    assert files_under(tmp_path) == {}


def test_banned_country_api_answer_is_one_line(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    imgur.banned_country = "GB"
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "Imgur blocks this country or region (Banned country attempt (GB))" in result.err
    assert len(imgur.requests_to("api.imgur.com")) == 1  # no fallback, no retries


@pytest.mark.parametrize(("body", "ctype", "why"), [
    (SITE_SHELL, "text/html; charset=utf-8", "Imgur answered with a web page, not the file"),
    (b"\x00\x00\x00\x18ftypmp42" + bytes(100), "video/mp4", "the answer is a video (mp4), not the .jpg asked for"),
    (bytes(200), "video/mp4", "the answer is of type video/mp4, not the .jpg asked for"),  # (no magic: the type)
])
def test_bytes_of_another_kind_are_never_saved(imgur: Imgur, tmp_path: Path, body: bytes, ctype: str,
                                               why: str) -> None:
    album = imgur.add_album("AbC1234", count=2)
    liar = album.images[0]
    imgur.faults.append(Fault("status", path=f"/{liar.id}.*", status=200, body=body,
                              headers={"Content-Type": ctype}))
    liar.reported_size = len(body)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{liar.id}: {why}" in result.err
    assert sorted(files_under(tmp_path)) == [f"AbC1234/002-{album.images[1].id}.jpg"]


@pytest.mark.parametrize(("head", "kind"), [
    (b"\xff\xd8\xff\xe0", "jpg"), (b"\x89PNG\r\n\x1a\n\x00", "png"), (b"GIF87a", "gif"), (b"GIF89a\x01", "gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"), (b"\x00\x00\x00\x1cftypavif", "avif"),
    (b"\x00\x00\x00\x1cftypavis", "avif"), (b"\x00\x00\x00\x18ftypmp42", "mp4"), (b"\x00\x00\x00\x18ftypisom", "mp4"),
    (b"\x1a\x45\xdf\xa3\x9f", "webm"), (b"\xef\xbb\xbf \n<!DOCTYPE html>", "html"), (b"<svg xmlns=", "html"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", None), (b"GIF90a", None), (b"\x00\x00\x00\x18ftyp", "mp4"), (b"", None)])
def test_each_format_is_known_by_its_first_bytes(head: bytes, kind: str | None) -> None:
    assert sniff.detect(head) == kind


@pytest.mark.parametrize(("ctype", "ext", "why"), [
    ("video/mp4", "jpg", "the answer is of type video/mp4, not the .jpg asked for"),
    ("image/jpeg", "mp4", "the answer is of type image/jpeg, not the .mp4 asked for"),
    ("image/png; charset=binary", "jpg", None), ("VIDEO/WEBM", "mp4", None), ("application/octet-stream", "mp4", None),
    ("", "gif", None), ("text/plain", "jpg", "the answer is of type text/plain, not a media file")])
def test_bytes_no_format_is_known_by_are_judged_by_their_type(ctype: str, ext: str, why: str | None) -> None:
    found = sniff.check(bytes(64), ctype, ext, None)
    assert (found and (found.kind, found.reason)) == (why and (sniff.Wrong.NOT_MEDIA, why))


@pytest.mark.parametrize(("ext", "expected", "wrong"), [
    ("jpg", None, sniff.Wrong.REMOVED),  # (the API said no size: the placeholder is known by its own)
    ("jpg", (640, 480), sniff.Wrong.REMOVED),
    ("png", (640, 480), sniff.Wrong.REMOVED),
    ("png", (161, 81), None),  # (a picture of the placeholder's size, as the API says it is: the picture)
    ("png", None, None),
])
def test_the_removed_placeholder_is_known_where_it_cannot_be_the_file(
        ext: str, expected: tuple[int, int] | None, wrong: sniff.Wrong | None) -> None:
    found = sniff.check(REMOVED_PNG[:64], "image/png", ext, expected)
    assert (found and found.kind) == wrong


def test_placeholder_png_under_an_mp4_name_is_never_saved(imgur: Imgur, tmp_path: Path) -> None:
    gif = imgur.add_image("AnIm123", size=20_000, ext="gif", animated=True)
    imgur.add_album("AbC1234", images=[gif])
    imgur.faults.append(Fault("status", path=r"/AnIm123\.mp4", status=200, body=REGION_PNG[:4000] + bytes(10),
                              headers={"Content-Type": "image/png"}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "Imgur blocks this region" in result.err  # its size gives it away
    assert files_under(tmp_path) == {}


@pytest.mark.parametrize("refusal", ["404", "removed", "429"])
def test_missing_mp4_falls_back_to_the_gif_at_once(imgur: Imgur, tmp_path: Path, refusal: str) -> None:
    gif = imgur.add_image("AnIm123", size=20_000, ext="gif", animated=True)
    imgur.add_album("AbC1234", images=[gif])
    if refusal == "404":
        gif.no_mp4 = True
        imgur.faults.append(Fault("status", path=r"/AnIm123\.mp4", status=404, body=b""))
    elif refusal == "removed":
        gif.no_mp4 = True  # the CDN redirects what it does not have to removed.png
    else:
        imgur.faults.append(Fault("status", path=r"/AnIm123\.mp4", status=429))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path) == {"AbC1234/001-AnIm123.gif": gif.data}
    assert len(imgur.requests_to("i.imgur.com", r"/AnIm123\.mp4")) == 1
    assert "trying GIF" in result.err


def test_the_site_answers_200_for_missing_posts(imgur: Imgur, tmp_path: Path) -> None:
    # imgur-dl never reads pages: a page that exists says nothing of whether the post does.
    page = requests.get("https://imgur.com/gallery/NoSuch1", timeout=5)  # (through the stand-in, as a browser)
    assert page.status_code == 200 and b"<!doctype html>" in page.content
    result = run_main("-o", str(tmp_path), "https://imgur.com/gallery/NoSuch1")
    assert result.code == 3, result
    assert "NoSuch1: not found" in result.err
    assert [r[2] for r in imgur.requests_to("imgur.com")] == ["/gallery/NoSuch1"]  # only the test's own look


def test_a_redirect_to_the_web_page_is_not_the_file(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1)
    image = album.images[0]
    # What the CDN does for a browser's page load (Accept: text/html); imgur-dl never asks that way.
    imgur.faults.append(Fault("redirect", path=".*", headers={"Location": f"https://imgur.com/{image.id}"}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert f"{image.id}: Imgur redirected to its web page instead of the file" in result.err
    assert imgur.requests_to("imgur.com") == []
