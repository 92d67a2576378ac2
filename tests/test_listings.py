"""Listings: a user's posts and favorites, folders, tags, subreddits, searches, page by page."""

from __future__ import annotations

import gc
import json
import re
import threading
from pathlib import Path
from urllib.parse import unquote

import pytest

from imgur_dl import archive as archive_module
from imgur_dl import pages, readthrough
from imgur_dl.archive import Record, open_archive
from imgur_dl.models import Entry, Kind, Listing
from imgur_dl.readthrough import ReadThrough
from tests.clock import FastClock
from tests.conftest import ArchiveAt, Outcome, files_under, run_main, until
from tests.postgres import Postgres
from tests.standin import AlbumData, Fault, Image, Imgur, Raw, over_capacity

DAY = 86_400
NEWEST = 1_760_000_000  # 2025-10-09


def _posts(imgur: Imgur, count: int = 5) -> list[AlbumData | Image]:
    """A mix, newest first: albums of two images and single images, a day apart."""
    posts: list[AlbumData | Image] = []
    for n in range(count):
        when = NEWEST - n * DAY
        if n % 2 == 0:
            album = imgur.add_album(f"Al{n:05d}", count=2, size=3_000 + n, title=f"album {n}", in_gallery=True)
            album.datetime = when
            posts.append(album)
        else:
            image = imgur.add_image(f"Im{n:05d}", size=4_000 + n, in_gallery=True, title=f"image {n}")
            image.datetime = when
            posts.append(image)
    return posts


def _expected(posts: list[AlbumData | Image], folder: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for post in posts:
        if isinstance(post, Image):
            files[f"{folder}/{post.id}.jpg"] = post.data
        else:
            for n, image in enumerate(post.images, 1):
                files[f"{folder}/{post.id} - {post.title}/{n:03d}-{image.id}.jpg"] = image.data
    return files


FORMS = [
    ("user", "Miguenzo", "https://imgur.com/user/Miguenzo", "user Miguenzo"),
    ("user", "Miguenzo", "imgur.com/user/Miguenzo/submitted", "user Miguenzo"),
    ("favorites", "Miguenzo", "https://imgur.com/user/Miguenzo/favorites/", "favorites Miguenzo"),
    ("folder", "Miguenzo/42", "https://imgur.com/user/Miguenzo/favorites/folder/42/cats",
     "favorites Miguenzo folder 42"),
    ("tag", "animals", "https://imgur.com/t/animals", "tag animals"),
    ("subreddit", "pics", "https://imgur.com/r/pics", "subreddit pics"),
    ("search", "cute cat", "https://imgur.com/search/time?q=cute+cat", "search cute cat"),
    ("search", "barn owl", "https://imgur.com/search/score/all?q=barn+owl", "search barn owl"),
    ("search", "red panda", "imgur.com/search/viral/week?q=red%20panda&qs=thumbs", "search red panda"),
]


@pytest.mark.parametrize(("kind", "name", "url", "folder"), FORMS)
def test_every_listing_form_downloads_every_file_of_every_post(imgur: Imgur, tmp_path: Path, kind: str,
                                                               name: str, url: str, folder: str) -> None:
    posts = _posts(imgur, 5)
    imgur.add_listing(kind, name, posts)
    imgur.page_size = 2  # three pages and an empty one
    result = run_main("--json", "-o", str(tmp_path), url)
    assert result.code == 0, result
    assert files_under(tmp_path) == _expected(posts, folder)
    assert "8 saved" in result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert {r["listing"] for r in rows} == {f"{kind}/{name}"}
    assert {r["post"] for r in rows} == {p.id for p in posts}
    asked = [(path, query) for (host, path, query) in imgur.queries if host == "api.imgur.com"]
    pages = [(path, query) for path, query in asked if path.startswith("/3/")]
    assert pages == [LISTING_REQUESTS[kind](name, page) for page in range(4)]  # as the working client asks
    lookups = sorted(path for path, _ in asked if path.startswith("/post/v1/"))
    albums = [f"/post/v1/albums/{p.id}" for p in posts if isinstance(p, AlbumData)]
    if kind == "folder":  # a folder's posts are each looked up, as gallery-dl does
        assert lookups == sorted(albums + [f"/post/v1/media/{p.id}" for p in posts if not isinstance(p, AlbumData)])
    else:  # image posts come whole in the listing: only the albums are looked up
        assert lookups == sorted(albums)


# What gallery-dl 1.32's ImgurAPI asks for each listing (gallery_dl/extractor/imgur.py): docs/imgur-requests.md.
LISTING_REQUESTS = {
    "user": lambda name, page: (f"/3/account/{name}/submissions/{page}", {}),
    "favorites": lambda name, page: (f"/3/account/{name}/gallery_favorites/{page}", {}),
    "folder": lambda name, page: (f"/3/account/{name.replace('/', '/folders/')}/favorites",
                                  {"client_id": ["546c25a59c58ad7"], "page": [str(page)], "sort": ["newest"]}),
    "tag": lambda name, page: (f"/3/gallery/t/{name}/{page}", {}),
    "subreddit": lambda name, page: (f"/3/gallery/r/{name}/{page}", {}),
    "search": lambda name, page: (f"/3/gallery/search/{page}", {"q": [name]}),
}


def test_a_deleted_and_an_empty_post_are_named_and_the_rest_kept(imgur: Imgur, tmp_path: Path) -> None:
    posts = _posts(imgur, 4)
    gone = AlbumData("GoNe123", title="gone")  # listed, but the album lookup answers 404
    empty = imgur.add_album("EmPt123", images=[], in_gallery=True)
    imgur.add_listing("user", "Miguenzo", [posts[0], gone, empty, *posts[1:]])
    result = run_main("-o", str(tmp_path), "imgur.com/user/Miguenzo")
    assert result.code == 3, result
    assert "user/Miguenzo post GoNe123: not found" in result.err
    assert "user/Miguenzo post EmPt123: EmPt123: the album is empty" in result.err
    assert files_under(tmp_path) == _expected(posts, "user Miguenzo")


@pytest.mark.parametrize(("item", "why"), [
    ("unusable", "listing item is not an object"),
    ({"title": "no id", "is_album": True}, "no valid post id"),
    ({"id": "../etc", "is_album": False}, "no valid post id: '../etc'"),
    ({"id": "AbC\x1b[2J", "is_album": True}, "no valid post id: 'AbC\\x1b[2J'"),
])
def test_an_unusable_item_of_a_page_costs_that_item_and_the_listing_reads_on(imgur: Imgur, tmp_path: Path,
                                                                               item: object, why: str) -> None:
    # As one unusable media item costs that item, not its album: said with its page and place, exit 1; every post
    # before and after it saved, the pages after it read.
    posts = _posts(imgur, 5)
    imgur.add_listing("tag", "animals", [posts[0], posts[1], posts[2], Raw(item), posts[3], posts[4]])
    imgur.page_size = 2
    result = run_main("-o", str(tmp_path), "imgur.com/t/animals")
    assert result.code == 1, result
    assert f"error: imgur.com/t/animals: page 2/item 2: unusable answer from the API ({why})\n" in result.err, result
    assert "\x1b" not in result.err and "stopped reading" not in result.err
    assert files_under(tmp_path) == _expected(posts, "tag animals")


@pytest.mark.parametrize(("chosen", "taken", "said"), [("2-4", [1, 2], True), ("5-", [3, 4], False),
                                                      ("1-3", [0, 1, 2], False)])
def test_an_unusable_item_holds_its_place_in_the_listing(imgur: Imgur, tmp_path: Path, chosen: str,
                                                         taken: list[int], said: bool) -> None:
    # --range counts posts as Imgur lists them: the unusable item is the 4th, said only where chosen.
    posts = _posts(imgur, 5)
    imgur.add_listing("tag", "animals", [posts[0], posts[1], posts[2], Raw({}), posts[3], posts[4]])
    result = run_main("--range", chosen, "-o", str(tmp_path), "imgur.com/t/animals")
    assert result.code == (1 if said else 0), result
    assert ("imgur.com/t/animals: page 1/item 4: unusable answer from the API (no valid post id)" in result.err) \
        == said, result
    assert files_under(tmp_path) == _expected([posts[n] for n in taken], "tag animals")


def test_a_page_of_no_usable_item_stops_the_listing_there(imgur: Imgur, tmp_path: Path) -> None:
    posts = _posts(imgur, 4)
    imgur.add_listing("tag", "animals", [posts[0], posts[1], Raw(7), Raw({}), posts[2], posts[3]])
    imgur.page_size = 2
    result = run_main("-o", str(tmp_path), "imgur.com/t/animals")
    assert result.code == 1, result
    assert ("error: imgur.com/t/animals: page 2: unusable answer from the API (listing item is not an object); "
            "stopped reading this listing there") in result.err, result
    assert files_under(tmp_path) == _expected(posts[:2], "tag animals")


@pytest.mark.parametrize("unusable", [100, 101])
def test_past_100_unusable_items_a_page_is_refused_whole(imgur: Imgur, tmp_path: Path, unusable: int) -> None:
    # (a page holds 60 posts: an answer of thousands of unusable items costs a line, not thousands)
    posts = _posts(imgur, 2)
    imgur.add_listing("tag", "animals", [posts[0], *[Raw({})] * unusable, posts[1]])
    imgur.page_size = 200
    result = run_main("-o", str(tmp_path), "imgur.com/t/animals")
    assert result.code == 1, result
    refused = unusable > 100
    assert result.err.count("unusable answer from the API") == (1 if refused else unusable), result
    assert ("page 1: unusable answer from the API (more than 100 unusable listing items); stopped reading this "
            "listing there" in result.err) == refused
    assert files_under(tmp_path) == ({} if refused else _expected(posts, "tag animals"))


def test_a_listing_with_an_unusable_item_is_not_said_read_to_its_end(imgur: Imgur, tmp_path: Path,
                                                                     archive: ArchiveAt) -> None:
    # The item may be a post not saved: a sync with --break-on-existing reads the listing whole again.
    posts = _posts(imgur, 3)
    imgur.add_listing("tag", "animals", [posts[0], Raw({"id": "no/id"}), posts[1], posts[2]])
    for _ in range(2):
        result = run_main("--download-archive", archive.location, "--break-on-existing", "-o",
                          str(tmp_path / "out"), "imgur.com/t/animals")
        assert result.code == 1, result
        assert "imgur.com/t/animals: page 1/item 2: unusable answer" in result.err
    assert _read_from(archive) == []
    assert files_under(tmp_path / "out") == _expected(posts, "tag animals")


@pytest.mark.parametrize("retries", [0, 2])
def test_a_page_that_fails_stops_that_listing_and_keeps_the_rest(imgur: Imgur, tmp_path: Path, retries: int) -> None:
    # Said as a file's failure is: with how many attempts it had, where it had more than one.
    posts = _posts(imgur, 4)
    imgur.add_listing("tag", "animals", posts)
    imgur.page_size = 2
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/3/gallery/t/animals/1", status=500,
                              body=over_capacity(500)))
    other = imgur.add_album("OtHeR12", count=1)
    result = run_main("--retries", str(retries), "-o", str(tmp_path), "imgur.com/t/animals", "imgur.com/a/OtHeR12")
    assert result.code == 1, result
    after = f" (after {retries + 1} attempts)" if retries else ""
    assert (f"error: imgur.com/t/animals: page 2: HTTP 500: Imgur is temporarily over capacity. Please try again "
            f"later.{after}; stopped reading this listing there") in result.err, result
    assert files_under(tmp_path) == {**_expected(posts[:2], "tag animals"),
                                     f"OtHeR12/001-{other.images[0].id}.jpg": other.images[0].data}


def test_a_spent_api_budget_stops_asking_and_finishes_what_is_known(imgur: Imgur, tmp_path: Path) -> None:
    posts = _posts(imgur, 9)
    imgur.add_listing("user", "Miguenzo", posts)
    imgur.page_size = 3
    imgur.api_budget = 4  # page 0, two album lookups, then page 1 says 0 left
    result = run_main("-o", str(tmp_path), "imgur.com/user/Miguenzo", "imgur.com/a/" + str(posts[0].id))
    assert result.code == 1, result
    assert result.err.count("API budget for this client is spent") == 1, result
    assert "finishing what is already known" in result.err
    # Nothing new is asked once an answer said 0; lookups already under way (4 at a time) finish.
    assert len(imgur.requests_to("api.imgur.com")) <= 4 + 4
    assert len(imgur.requests_to("api.imgur.com", "/3/.*")) <= 3  # of the four pages
    saved = files_under(tmp_path)
    assert saved  # what was known before was fetched
    assert set(saved) <= set(_expected(posts, "user Miguenzo"))


def test_range_takes_posts_by_position_and_reads_no_further(imgur: Imgur, tmp_path: Path) -> None:
    posts = _posts(imgur, 9)
    imgur.add_listing("user", "Miguenzo", posts)
    imgur.page_size = 3
    result = run_main("--range", "2-4", "-o", str(tmp_path), "imgur.com/user/Miguenzo")
    assert result.code == 0, result
    assert files_under(tmp_path) == _expected(posts[1:4], "user Miguenzo")
    pages = [p for (_, _, p, _) in imgur.requests_to("api.imgur.com", "/3/.*")]
    assert len(pages) == 2  # position 5 (page 2) showed the range was over


@pytest.mark.parametrize("given", [["--range", "-2,4"], ["--range=-2,4"], ["--range", "- 2, 4"]])
def test_a_range_that_starts_with_a_dash_is_the_option_s_value_as_written(imgur: Imgur, tmp_path: Path,
                                                                          given: list[str]) -> None:
    # (the README's -10, in a list: argparse took "-2,4" for an option of its own, and --range for one given none)
    posts = _posts(imgur, 5)
    imgur.add_listing("tag", "cats", posts)
    result = run_main(*given, "-o", str(tmp_path), "imgur.com/t/cats")
    assert result.code == 0, result
    assert files_under(tmp_path) == _expected([*posts[0:2], posts[3]], "tag cats")


def test_a_range_option_given_no_value_is_a_usage_error() -> None:
    for given in (["--range", "-v"], ["--range"], ["--", "--range", "-2"]):
        result = run_main(*given, "imgur.com/t/cats")
        assert result.code == 2, (given, result)


def test_since_takes_newer_posts_and_stops_reading_a_user(imgur: Imgur, tmp_path: Path) -> None:
    posts = _posts(imgur, 9)
    imgur.add_listing("user", "Miguenzo", posts)
    imgur.page_size = 2
    result = run_main("--since", "2025-10-07", "-o", str(tmp_path), "imgur.com/user/Miguenzo")
    assert result.code == 0, result
    assert files_under(tmp_path) == _expected(posts[:3], "user Miguenzo")  # the 9th, 8th and 7th of October
    assert len(imgur.requests_to("api.imgur.com", "/3/.*")) == 2


@pytest.mark.parametrize(("since", "taken"), [("3d", 3), ("2d12h", 2), ("72h", 3), ("4319m", 2), ("1w", 7)])
def test_since_a_span_takes_the_posts_of_that_long_before_the_run(imgur: Imgur, tmp_path: Path, since: str,
                                                                  taken: int) -> None:
    posts = _posts(imgur, 9)  # (one a day, the newest at 2025-10-09T08:53:20Z)
    imgur.add_listing("user", "Miguenzo", posts)
    result = run_main("--since", since, "-o", str(tmp_path), "imgur.com/user/Miguenzo", clock=_At(NEWEST + DAY))
    assert result.code == 0, result  # (the run starts a day after the newest post)
    assert files_under(tmp_path) == _expected(posts[:taken], "user Miguenzo")


class _At(FastClock):
    """A run's clock whose calendar says ``seconds`` since the epoch."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def time(self) -> float:
        return self.seconds


@pytest.mark.parametrize(("since", "taken"), [
    ("2025-10-07T08:53Z", 3),  # the 7th's post, at 08:53:20Z, is from then on (as text, "08:53:20Z" < "08:53Z")
    ("2025-10-07T10:53+02:00", 3),  # the same moment in another zone (`date -Iminutes` writes one)
    ("2025-10-07T10:53:20.000001+0200", 2),  # a microsecond after it
    ("2025-10-07 08:53:20", 3),  # the very second: from then on
    ("2025-10-07T08:53:21Z", 2),
])
def test_since_compares_times_not_text(imgur: Imgur, tmp_path: Path, since: str, taken: int) -> None:
    posts = _posts(imgur, 5)
    imgur.add_listing("user", "Miguenzo", posts)
    result = run_main("--since", since, "-o", str(tmp_path), "imgur.com/user/Miguenzo")
    assert result.code == 0, result
    assert files_under(tmp_path) == _expected(posts[:taken], "user Miguenzo")


@pytest.mark.parametrize("flag", [["--range", "2"], ["--since", "2020-01-01"]])
def test_choosing_posts_with_no_listing_to_choose_from_is_refused_before_anything(imgur: Imgur, tmp_path: Path,
                                                                                    flag: list[str]) -> None:
    imgur.add_album("AbC1234", count=3)
    result = run_main(*flag, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (2, f"imgur-dl: error: {flag[0]} chooses posts of a listing (a user's "
                                            "posts or favorites, a tag, a subreddit, a search); no URL given is "
                                            "one, and an album is always fetched whole\n")
    assert imgur.log == []
    (tmp_path / "tonight.txt").write_text("imgur.com/a/AbC1234\n")  # a nightly list, with no listing tonight
    assert run_main(*flag, "-o", str(tmp_path), "-i", str(tmp_path / "tonight.txt")).code == 0


def test_sync_with_the_archive_is_cheap(imgur: Imgur, tmp_path: Path, archive: ArchiveAt) -> None:
    posts = _posts(imgur, 12)
    imgur.add_listing("user", "Miguenzo", posts)
    imgur.page_size = 4
    location = archive.location
    first = run_main("--download-archive", location, "-o", str(tmp_path), "imgur.com/user/Miguenzo")
    assert first.code == 0, first
    imgur.log.clear()
    # A rerun asks for the pages, and for nothing else: no album lookups, no files.
    again = run_main("--download-archive", location, "-o", str(tmp_path), "imgur.com/user/Miguenzo")
    assert again.code == 0, again
    assert "12 listed posts already in the archive" in again.err
    assert [p for (_, _, p, _) in imgur.log] == [f"/3/account/Miguenzo/submissions/{n}" for n in range(4)]
    # Two new posts: --break-on-existing reads one page and fetches just them.
    new = _posts(imgur, 14)[12:]
    for n, post in enumerate(new):
        post.datetime = NEWEST + (2 - n) * DAY
    imgur.add_listing("user", "Miguenzo", [*new, *posts])
    imgur.log.clear()
    sync = run_main("--download-archive", location, "--break-on-existing", "-o", str(tmp_path),
                    "imgur.com/user/Miguenzo")
    assert sync.code == 0, sync
    assert [p for (_, _, p, _) in imgur.requests_to("api.imgur.com", "/3/.*")] == [
        "/3/account/Miguenzo/submissions/0"]
    assert len(imgur.requests_to("i.imgur.com")) == 3  # the new album's two files and the new image
    assert "reading no further (--break-on-existing)" in sync.err


def test_break_on_existing_needs_an_archive(imgur: Imgur) -> None:
    result = run_main("--break-on-existing", "imgur.com/user/Miguenzo")
    assert result.code == 2, result
    assert "--break-on-existing needs --download-archive" in result.err
    assert imgur.log == []


def test_listing_templates_links_and_metadata(imgur: Imgur, tmp_path: Path) -> None:
    posts = _posts(imgur, 3)
    imgur.add_listing("tag", "animals", posts)
    links = run_main("-g", "imgur.com/t/animals")
    assert links.code == 0, links
    assert len(links.out.splitlines()) == 5
    result = run_main("--write-metadata", "--dir", "{tag}/{position} {post_id}", "--name", "{post_date} {num}.{ext}",
                      "-o", str(tmp_path), "imgur.com/t/animals")
    assert result.code == 0, result
    names = sorted(files_under(tmp_path))
    assert f"tag animals/animals/1 {posts[0].id}/2025-10-09 1.jpg" in names
    meta = json.loads((tmp_path / "tag animals" / "animals" / f"1 {posts[0].id}" / "album.json").read_text())
    assert (meta["listing"], meta["position"]) == ("tag/animals", 1)


def test_an_unknown_user_is_not_found(imgur: Imgur, tmp_path: Path) -> None:
    result = run_main("-o", str(tmp_path), "imgur.com/user/NoSuchUser")
    assert result.code == 3, result
    assert "imgur.com/user/NoSuchUser: not found" in result.err


def test_a_sync_that_ended_early_is_finished_by_the_next_however_it_breaks(imgur: Imgur, tmp_path: Path,
                                                                           archive: ArchiveAt) -> None:
    # The first night's run reads two pages of three and stops (a page that keeps failing); its posts are in the
    # archive. The next night, with --break-on-existing, the newest post is one of them: stopping there would leave
    # the rest of the account for ever. It reads on to where a run last read the listing to its end (none has yet),
    # taking what the archive lacks; the night after, it stops at the first page.
    posts = _posts(imgur, 9)
    imgur.add_listing("user", "Miguenzo", posts)
    imgur.page_size = 3
    page_2 = Fault("status", host="api.imgur.com", path="/3/account/Miguenzo/submissions/2", status=500,
                   body=over_capacity(500))
    imgur.faults.append(page_2)
    sync = ("--download-archive", archive.location, "--break-on-existing", "--retries", "0",
            "-o", str(tmp_path / "out"), "imgur.com/user/Miguenzo")
    first = run_main(*sync)
    assert first.code == 1, first
    _holds(tmp_path / "out", posts[:6])
    imgur.faults.remove(page_2)
    second = run_main(*sync)
    assert second.code == 0, second
    _holds(tmp_path / "out", posts)
    assert "6 listed posts already in the archive" in second.err, second
    assert (f"imgur-dl: imgur.com/user/Miguenzo: post {posts[0].id} is in the archive, but not every later one is "
            "known to be; reading on to where a run last read this listing to its end (--break-on-existing)"
            ) in second.err
    assert _read_from(archive) == [f"user/Miguenzo/*/{posts[0].id}"]
    imgur.log.clear()
    third = run_main(*sync)
    assert third.code == 0, third
    assert [p for (_, _, p, _) in imgur.requests_to("api.imgur.com", "/3/.*")] == [
        "/3/account/Miguenzo/submissions/0"]
    assert (f"imgur-dl: imgur.com/user/Miguenzo: post {posts[0].id} and every later one are in the archive, as a "
            "run that read this listing to its end found; reading no further (--break-on-existing)") in third.err


def test_a_post_that_failed_is_tried_again_by_the_next_sync_below_the_newest(imgur: Imgur, tmp_path: Path,
                                                                             archive: ArchiveAt) -> None:
    # A file of the second post failed (the CDN kept answering 500); the newest post and the older ones were saved.
    # The next night's run does not stop at the newest (in the archive): the second is below it, and it takes it
    # again.
    posts = _posts(imgur, 5)
    imgur.add_listing("user", "Miguenzo", posts)
    broken = Fault("status", path=f"/{posts[1].id}\\..*", status=500)
    imgur.faults.append(broken)
    sync = ("--download-archive", archive.location, "--break-on-existing", "--retries", "0",
            "-o", str(tmp_path / "out"), "imgur.com/user/Miguenzo")
    first = run_main(*sync)
    assert first.code == 1, first
    assert _read_from(archive) == []  # (not every post saved)
    imgur.faults.remove(broken)
    second = run_main(*sync)
    assert second.code == 0, second
    _holds(tmp_path / "out", posts)


@pytest.mark.parametrize(("region", "wayback"), [(False, False), (False, True), (True, False)])
def test_what_imgur_has_no_more_is_not_asked_for_again_but_what_it_keeps_from_a_region_is(
        imgur: Imgur, tmp_path: Path, region: bool, wayback: bool) -> None:
    # A post deleted (its lookup answers 404) and a file of an album removed (404 from the CDN): Imgur has them no
    # more, and no later run would get them (nor, asked, the Wayback Machine, which has no capture of it), so the
    # listing is recorded read to its end all the same, and the next sync stops at its first page. A file Imgur keeps
    # from this region (a UK visitor) is not gone: the next sync reads on to it, as a VPN may get it.
    posts = _posts(imgur, 5)
    gone = AlbumData("GoNe123", title="gone")
    imgur.add_listing("user", "Miguenzo", [posts[0], gone, *posts[1:]])
    removed = posts[2].images[1].id
    imgur.faults.append(Fault("status", path=f"/{removed}\\..*", status=404))
    location = str(tmp_path / "seen.sqlite")
    sync = ("--download-archive", location, "--break-on-existing", "-o", str(tmp_path / "out"),
            "imgur.com/user/Miguenzo", *(["--wayback"] if wayback else []))
    imgur.region_blocked = region
    first = run_main(*sync)
    assert first.code in (1, 3), first
    imgur.region_blocked = False
    imgur.log.clear()
    second = run_main(*sync)
    pages = [p for (_, _, p, _) in imgur.requests_to("api.imgur.com", "/3/.*")]
    if region:
        assert pages == [f"/3/account/Miguenzo/submissions/{n}" for n in range(2)], pages
        assert len(imgur.requests_to("i.imgur.com")) == 8  # every file, now let through (and the removed one)
    else:
        assert pages == ["/3/account/Miguenzo/submissions/0"], pages
        assert imgur.requests_to("i.imgur.com") == []
        assert second.code == 0, second


def test_a_search_read_to_its_end_is_where_the_next_sync_stops(imgur: Imgur, tmp_path: Path,
                                                               archive: ArchiveAt) -> None:
    # Its words are escaped in the archive's record (a space: the archive's ids have none). The post the first read
    # began at ends the second's first page: the next page is asked for to see that the same post follows it, once.
    posts = _posts(imgur, 6)
    imgur.add_listing("search", "cute cat", posts)
    imgur.page_size = 2
    sync = ("--download-archive", archive.location, "--break-on-existing", "-o", str(tmp_path / "out"),
            "imgur.com/search?q=cute+cat")
    first = run_main(*sync)
    assert first.code == 0, first
    assert _read_from(archive) == [f"search/cute cat/*/{posts[0].id}"]
    new = imgur.add_image("NeW1234", size=5_000, in_gallery=True)
    new.datetime = NEWEST + DAY
    imgur.add_listing("search", "cute cat", [new, *posts])
    imgur.log.clear()
    second = run_main(*sync)
    assert second.code == 0, second
    assert [p for (_, _, p, _) in imgur.requests_to("api.imgur.com", "/3/.*")] == [
        "/3/gallery/search/0", "/3/gallery/search/1"]
    assert len(imgur.requests_to("i.imgur.com")) == 1
    assert _read_from(archive) == [f"search/cute cat/*/{posts[0].id}", "search/cute cat/*/NeW1234"]


@pytest.mark.parametrize("left_out", [["--range", "2-"], ["--since", "2025-10-07"]])
def test_a_listing_read_to_its_end_with_posts_left_out_is_not_said_read(imgur: Imgur, tmp_path: Path,
                                                                       left_out: list[str]) -> None:
    # The posts --range or --since leave out are not in the archive: a later sync must not stop above them.
    posts = _posts(imgur, 4)
    imgur.add_listing("tag", "animals", posts)
    location = str(tmp_path / "seen.sqlite")
    archive = ArchiveAt(location, "sqlite")
    chosen = run_main(*left_out, "--download-archive", location, "-o", str(tmp_path / "out"), "imgur.com/t/animals")
    assert chosen.code == 0, chosen
    assert _read_from(archive) == []
    whole = run_main("--download-archive", location, "-o", str(tmp_path / "out"), "imgur.com/t/animals")
    assert whole.code == 0, whole
    assert _read_from(archive) == [f"tag/animals/*/{posts[0].id}"]


def test_a_listing_read_as_far_as_any_is_where_the_next_sync_stops(imgur: Imgur, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A tag too long to read to its end: read to the most pages one listing is read, as far as any run would go.
    # Recorded so, a nightly sync reads one page, not all of them again each night.
    monkeypatch.setattr(pages, "MAX_PAGES", 2)
    posts = _posts(imgur, 6)
    imgur.add_listing("tag", "animals", posts)
    imgur.page_size = 2
    location = str(tmp_path / "seen.sqlite")
    sync = ("--download-archive", location, "--break-on-existing", "-o", str(tmp_path / "out"), "imgur.com/t/animals")
    first = run_main(*sync)
    assert first.code == 0, first
    assert "imgur-dl: imgur.com/t/animals: stopped after 2 pages (4 posts), the most one listing is read" in first.err
    imgur.log.clear()
    second = run_main(*sync)
    assert second.code == 0, second
    assert [p for (_, _, p, _) in imgur.requests_to("api.imgur.com", "/3/.*")] == ["/3/gallery/t/animals/0"]


@pytest.mark.parametrize("again", [0, 1])
def test_a_favorite_favorited_again_is_no_place_to_stop(imgur: Imgur, tmp_path: Path, again: int) -> None:
    # Each night's sync read the favorites to where the last one began. A favorite is favorited again and comes
    # first, above new ones: one where an earlier sync began (1), or the very one the latest began at (0). Neither is
    # where the favorites made since end: each sync reads on, and saves them.
    posts = _posts(imgur, 4)
    location = str(tmp_path / "seen.sqlite")
    sync = ("--download-archive", location, "--break-on-existing", "-o", str(tmp_path / "out"),
            "imgur.com/user/Miguenzo/favorites")
    imgur.add_listing("favorites", "Miguenzo", posts[1:])
    assert run_main(*sync).code == 0
    imgur.add_listing("favorites", "Miguenzo", posts)
    assert run_main(*sync).code == 0
    assert _read_from(ArchiveAt(location, "sqlite")) == [f"favorites/Miguenzo/*/{posts[1].id}",
                                                         f"favorites/Miguenzo/*/{posts[0].id}"]
    new = [imgur.add_image(f"NeW{n}123", size=5_000 + n, in_gallery=True) for n in range(2)]
    rest = [post for post in posts if post is not posts[again]]
    imgur.add_listing("favorites", "Miguenzo", [posts[again], *new, *rest])
    later = run_main(*sync)
    assert later.code == 0, later
    for image in new:
        assert (tmp_path / "out" / "favorites Miguenzo" / f"{image.id}.jpg").read_bytes() == image.data


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "postgres, en-US"])
def test_a_listing_s_latest_read_is_its_own_whatever_order_the_archive_keeps_text_in(
        tmp_path: Path, request: pytest.FixtureRequest, backend: str) -> None:
    # Listings whose names begin alike, or differ in case alone (which en-US orders together, "B" after "a"), or
    # hold a "/": each one's latest read to its end is found among its own rows alone, the archive's ids ordered as
    # bytes are (SQLite's, and a PostgreSQL database's made with the C locale, as the tests' are) or as ICU's en-US
    # orders them (its column so, and its key).
    if backend == "sqlite":
        location = str(tmp_path / "seen.sqlite")
    else:
        server: Postgres = request.getfixturevalue("postgres")
        location = server.new_database()
    listings = [Listing(Kind.USER, name) for name in ("bob", "Bob", "bo", "bob0", "BOB")] + [
        Listing(Kind.FOLDER, "bob/1"), Listing(Kind.FOLDER, "bob/12"), Listing(Kind.SEARCH, "bob cat")]
    latest: dict[Listing, tuple[str, str]] = {}
    archive = open_archive(location, say=lambda _said: None, error=pytest.fail)
    if backend == "postgres, en-US":
        ArchiveAt(location, "postgres").rows('ALTER TABLE archive ALTER COLUMN id TYPE text COLLATE "en-US-x-icu"')
    try:
        for n, listing in enumerate(listings * 3):  # (each listing's rows: a later one, another post, each time)
            at = NEWEST + n * 3600 + 0.5
            archive.add(Record(Entry.LISTING, readthrough.key(listing, at, f"Po{n:05d}", f"Po{n + 1:05d}")))
            latest[listing] = (f"Po{n:05d}", f"Po{n + 1:05d}")
        archive.flush()
        through = ReadThrough(archive, records=False, calendar=lambda: NEWEST)
        assert {listing: through.read_from(listing) for listing in listings} == latest
        assert through.read_from(Listing(Kind.USER, "b")) is None
    finally:
        archive.close()


@pytest.mark.long
def test_a_server_that_stops_answering_as_a_sync_ends_holds_it_no_longer_than_its_last_records(
        imgur: Imgur, tmp_path: Path, own_postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    # The listing read to its end is recorded once the archive has the run's records: by the archive's writer, as it
    # takes them, not by the run waiting for it, which a machine that hangs would hold for ever. The run ends once
    # the archive's closing gives up (a second here), as any run's does, and says what was not recorded.
    monkeypatch.setattr(archive_module, "CLOSE_WAIT", 1.0)
    posts = _posts(imgur, 3)
    imgur.add_listing("user", "Miguenzo", posts)
    last = Fault("hold", path=f"/{posts[2].images[-1].id}\\..*")  # (the oldest post's last file)
    imgur.faults.append(last)
    url = own_postgres.new_database()
    done: list[Outcome] = []
    run = threading.Thread(target=lambda: done.append(run_main(
        "--download-archive", url, "-o", str(tmp_path), "imgur.com/user/Miguenzo")), daemon=True)
    run.start()
    try:
        assert imgur.wait_until(lambda s: s.held == 1, timeout=30)
        with own_postgres.frozen():
            last.release.set()
            run.join(timeout=30)
            assert not run.is_alive(), "the run waits on the archive's server"
    finally:
        last.release.set()
        run.join(timeout=60)
    assert done[0].code == 1, done[0]
    assert "could not be recorded in the download archive" in done[0].err, done[0]
    # Thawed, the server answers the archive's writer, which ends, and lets go of its connection (no leak for the
    # collector to find: a program that goes on).
    assert until(lambda: not any(thread.name == "imgur-dl-archive" for thread in threading.enumerate()))
    gc.collect()  # (a connection left open would be said here, by its finalizer: the suite fails the test for it)


def _read_from(archive: ArchiveAt) -> list[str]:
    """The archive's rows of listings read to their end, oldest first, each as ``<its listing>/*/<its post>``."""
    rows = archive.rows("SELECT id, album FROM archive WHERE kind = 'listing'")
    for row_id, listed in rows:
        assert re.fullmatch(r"[0-9a-f]{32}\d{20}/[^/]+/[^/]*", row_id), row_id
        assert row_id[:32] == readthrough.prefix(Listing(Kind(listed.partition("/")[0]), unquote(
            listed.partition("/")[2]))), rows
    return [f"{listed}/*/{row_id.split('/')[1]}" for row_id, listed in sorted(rows, key=lambda row: row[0][32:])]


def _holds(folder: Path, posts: list[AlbumData | Image]) -> None:
    """``folder`` holds the files of ``posts`` (names first, for a failure that says which are missing)."""
    got, expected = files_under(folder), _expected(posts, "user Miguenzo")
    assert sorted(got) == sorted(expected)
    assert got == expected
