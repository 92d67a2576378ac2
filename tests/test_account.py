"""Your own account: hidden and mature posts, images outside posts, every favorite; the token kept safe."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.conftest import Outcome, files_under, run_main
from tests.standin import Account, AlbumData, Fault, Imgur

TOKEN = "0f3c5d7e9a1b2c4d6e8f0a1b3c5d7e9f1a2b3c4d"
USER = "Miguenzo"


def _cookies(tmp_path: Path, token: str = TOKEN, mode: int = 0o600, domain: str = ".imgur.com") -> Path:
    path = tmp_path / "cookies.txt"
    path.write_text("# Netscape HTTP Cookie File\n# made by a browser extension\n\n"
                    f".example.com\tTRUE\t/\tTRUE\t4102444800\taccesstoken\tnot-this-one\n"
                    f"#HttpOnly_{domain}\tTRUE\t/\tTRUE\t4102444800\taccesstoken\t{token}\n"
                    f"{domain}\tTRUE\t/\tFALSE\t4102444800\tIMGURSESSION\tabc\n")
    path.chmod(mode)
    return path


def _account(imgur: Imgur) -> Account:
    """Three pages of posts (hidden and mature ones among them), hidden albums, favorites, loose images."""
    imgur.tokens[TOKEN] = USER
    imgur.page_size = 2
    public = imgur.add_album("PuBl123", count=2, owner=USER)
    hidden = imgur.add_album("HiDd123", count=1, owner=USER, hidden=True)
    mature = imgur.add_image("MaTu123", owner=USER, hidden=True, mature=True, in_gallery=True)
    single = imgur.add_image("SiNg123", owner=USER, in_gallery=True)
    secret = imgur.add_album("SeCr123", count=2, owner=USER, hidden=True)
    loose = imgur.add_image("LoOs123", owner=USER)  # in no post at all
    faved_hidden = imgur.add_image("FaVh123", owner="someone", hidden=True, mature=True)
    faved = imgur.add_album("FaVa123", count=1, owner="someone")
    account = Account(posts=[public, hidden, mature, single, secret], hidden_albums=[hidden, secret],
                      favorites=[faved_hidden, faved],
                      images=[*public.images, *hidden.images, mature, single, *secret.images, loose])
    imgur.accounts[USER] = account
    return account


def _run(imgur: Imgur, tmp_path: Path, *args: str, token: bool = True) -> tuple[int, str, str, Path]:
    out = tmp_path / "out"
    environ = {"IMGUR_ACCESS_TOKEN": TOKEN} if token else {}
    result = run_main("-o", str(out), *args, environ=environ)
    return result.code, result.out, result.err, out


@pytest.mark.parametrize("url", ["https://imgur.com/user/me", "imgur.com/user/me/posts",
                                 f"https://imgur.com/user/{USER}", f"imgur.com/user/{USER.lower()}/posts"])
def test_every_post_of_your_own_account_hidden_and_mature_too(imgur: Imgur, tmp_path: Path, url: str) -> None:
    account = _account(imgur)
    code, _, err, out = _run(imgur, tmp_path, url)
    assert code == 0, err
    posts = [p for p in account.posts if isinstance(p, AlbumData)]
    files = files_under(out)
    for album in posts:
        for n, image in enumerate(album.images, 1):
            assert any(k.endswith(f"{n:03d}-{image.id}.jpg") and v == image.data for k, v in files.items()), album.id
    assert "MaTu123.jpg" in {Path(k).name for k in files}
    pages = [(p, q) for (host, p, q) in imgur.queries if host == "api.imgur.com" and "all_posts" in p]
    assert [q["page"] for _, q in pages] == [["1"], ["2"], ["3"], ["4"]]  # from 1, as gallery-dl pages it
    assert all(q["sort"] == ["-created_at"] and q["include"] == ["media,tags,account"] for _, q in pages)
    assert not imgur.requests_to("api.imgur.com", "/post/v1/albums/.*")  # they came with their media


def test_hidden_albums_images_outside_posts_and_every_favorite(imgur: Imgur, tmp_path: Path) -> None:
    account = _account(imgur)
    code, _, err, out = _run(imgur, tmp_path, "imgur.com/user/me/hidden", "imgur.com/user/me/images",
                             "http://imgur.com/account/favorites")  # (your favorites, as the site once linked them)
    assert code == 0, err
    names = set(files_under(out))
    assert {f"hidden albums me/HiDd123/001-{account.hidden_albums[0].images[0].id}.jpg",
            f"hidden albums me/SeCr123/002-{account.hidden_albums[1].images[1].id}.jpg"} <= names
    assert "images me/LoOs123.jpg" in names  # the image in no post
    assert len([n for n in names if n.startswith("images me/")]) == len(account.images)
    assert "favorites me/FaVh123.jpg" in names  # a hidden favorite
    assert any(n.startswith("favorites me/FaVa123/") for n in names)
    assert imgur.requests_to("api.imgur.com", "/3/account/me/favorites/0/newest")
    assert imgur.requests_to("api.imgur.com", "/3/account/me/images/0")


def test_a_post_the_api_hides_from_anonymous_calls_is_fetched_with_the_token(imgur: Imgur, tmp_path: Path) -> None:
    _account(imgur)
    code, _, err, out = _run(imgur, tmp_path, "imgur.com/a/SeCr123", token=False)
    assert code == 3, err  # anonymous: not found
    code, _, err, out = _run(imgur, tmp_path, "imgur.com/a/SeCr123", "imgur.com/gallery/MaTu123")
    assert code == 0, err
    assert len(files_under(out)) == 3


@pytest.mark.parametrize("url", ["imgur.com/user/me", "imgur.com/user/me/hidden"])
@pytest.mark.parametrize("place", [0, 1, 2])
def test_an_empty_album_among_your_posts_is_named_and_the_rest_kept(imgur: Imgur, tmp_path: Path, url: str,
                                                                     place: int) -> None:
    # Its post in the page, with no media: taken for the whole listing's "not found" on its first page (exit 3,
    # nothing of the account fetched), and for the listing's end on a later one (every later post left out, exit 0).
    imgur.tokens[TOKEN] = USER
    imgur.page_size = 1
    albums = [imgur.add_album(f"FuLl{n}23", count=1, owner=USER, hidden=True) for n in range(2)]
    empty = imgur.add_album("EmPt123", images=[], owner=USER, hidden=True)
    posts: list[AlbumData] = [*albums]
    posts.insert(place, empty)
    imgur.accounts[USER] = Account(posts=list(posts), hidden_albums=list(posts))
    code, _, err, out = _run(imgur, tmp_path, url)
    assert code == 3, err  # documented: not found (as a post of any listing that is an empty album)
    assert "post EmPt123: EmPt123: the album is empty (Imgur shows no media in it)" in err
    assert {Path(name).name for name in files_under(out)} == {f"001-{a.images[0].id}.jpg" for a in albums}


def test_the_token_from_a_cookies_file(imgur: Imgur, tmp_path: Path) -> None:
    _account(imgur)
    result = run_main("--cookies", str(_cookies(tmp_path)), "-o", str(tmp_path / "out"), "imgur.com/user/me/hidden")
    assert result.code == 0, result
    assert "warning" not in result.err
    assert len(files_under(tmp_path / "out")) == 3


@pytest.mark.parametrize("rows", [
    # As Windows editors save it: a byte-order mark, the token's row first, CRLF.
    f"\ufeff.imgur.com\tTRUE\t/\tTRUE\t4102444800\taccesstoken\t{TOKEN}\r\n",
    # An earlier login's row first, expired (as a file added to by hand may hold): passed over for the live one.
    f".imgur.com\tTRUE\t/\tTRUE\t1700000000\taccesstoken\tOldTok3nValue\n"
    f"imgur.com\tFALSE\t/\tTRUE\t4102444800\taccesstoken\t{TOKEN}\n",
    # As Windows PowerShell's ">" writes a file (Get-Content cookies.txt > copy.txt): UTF-16, its mark first.
    f"# Netscape HTTP Cookie File\r\n.imgur.com\tTRUE\t/\tTRUE\t4102444800\taccesstoken\t{TOKEN}\r\n".encode("utf-16"),
])
def test_the_token_is_read_from_the_rows_as_a_browser_would_send_it(imgur: Imgur, tmp_path: Path,
                                                                     rows: str | bytes) -> None:
    _account(imgur)
    path = tmp_path / "cookies.txt"
    path.write_bytes(rows if isinstance(rows, bytes) else rows.encode())
    path.chmod(0o600)
    result = run_main("--cookies", str(path), "-g", "imgur.com/user/me/hidden")
    assert result.code == 0, result
    asked = imgur.requests_to("api.imgur.com")
    assert asked and all(h.get("authorization") == f"Bearer {TOKEN}" for (_, _, _, h) in asked)


def test_a_cookies_file_others_can_read_is_warned_about_once(imgur: Imgur, tmp_path: Path) -> None:
    _account(imgur)
    path = _cookies(tmp_path, mode=0o644)
    result = run_main("--cookies", str(path), "-o", str(tmp_path / "out"), "imgur.com/user/me/hidden")
    assert result.code == 0, result
    assert result.err.count(f"warning: {path} can be read by other users of this machine (chmod 600") == 1


@pytest.mark.parametrize(("text", "says"), [
    ("accesstoken=abc; other=1\n", "is not a Netscape cookies.txt file"),
    ("{\"cookies\": []}", "is not a Netscape cookies.txt file but JSON: export the cookies as Netscape"),
    ("\ufeff [{\"domain\": \".imgur.com\", \"name\": \"accesstoken\", \"value\": \"Tok3nValue\"}]",
     "is not a Netscape cookies.txt file but JSON: export the cookies as Netscape (cookies.txt) instead"),
    (".example.com\tTRUE\t/\tTRUE\t0\taccesstoken\tabcdefghijkl\n", "has no accesstoken cookie for imgur.com"),
    (".imgur.com\tTRUE\t/\tTRUE\t0\taccesstoken\tbad token\n", "does not hold an access token"),
    # A cookies.txt kept since a login long gone: said at once, as no browser would send the cookie.
    (".imgur.com\tTRUE\t/\tTRUE\t1700000000\taccesstoken\tOldTok3nValue\n",
     "the accesstoken cookie of imgur.com expired on 2023-11-14 22:13 UTC: log in at imgur.com in the browser, "
     "then export its cookies again"),
])
def test_a_cookies_file_that_will_not_do_is_one_line_and_nothing_fetched(imgur: Imgur, tmp_path: Path, text: str,
                                                                        says: str) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(text)
    path.chmod(0o644)  # (others may read it: no warning that it holds a login, as it holds none)
    result = run_main("--cookies", str(path), "-o", str(tmp_path / "out"), "imgur.com/user/me")
    assert result.code == 2, result
    assert says in result.err and len(result.err.splitlines()) == 1, result
    assert "Tok3n" not in result.err
    assert imgur.log == []


def test_a_browser_s_own_cookie_database_is_named_as_such(imgur: Imgur, tmp_path: Path) -> None:
    # (Firefox's cookies.sqlite, given where its export goes: "not a Netscape cookies.txt file (tab-separated: ...)")
    path = tmp_path / "cookies.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE moz_cookies (host TEXT, name TEXT, value TEXT)")
        db.execute("INSERT INTO moz_cookies VALUES ('.imgur.com', 'accesstoken', 'Tok3nValue')")
    result = run_main("--cookies", str(path), "-o", str(tmp_path / "out"), "imgur.com/user/me")
    assert (result.code, result.err) == (2, f"imgur-dl: error: {path} is not a Netscape cookies.txt file but a "
                                            "browser's own cookie database: export the cookies from the browser as "
                                            "Netscape (cookies.txt) instead\n")
    assert imgur.log == []


@pytest.mark.parametrize(("given", "says"), [
    ("/dev/null", "is not a Netscape cookies.txt file (tab-separated: domain, flag, path, secure, expiry, name, "
                  "value)"),
    ("/dev/zero", "is not a Netscape cookies.txt file (it is larger than 16 MiB)"),  # (read no further)
])
def test_a_device_as_the_cookies_file_is_one_line_with_no_chmod_advice(imgur: Imgur, tmp_path: Path, given: str,
                                                                       says: str) -> None:
    result = run_main("--cookies", given, "-o", str(tmp_path / "out"), "imgur.com/user/me")
    assert (result.code, result.err) == (2, f"imgur-dl: error: {given} {says}\n")  # (no advice to chmod a device)
    assert imgur.log == []


def test_me_without_a_token_is_a_usage_error(imgur: Imgur, tmp_path: Path) -> None:
    result = run_main("-o", str(tmp_path), "imgur.com/user/me/hidden")
    assert result.code == 2, result
    assert "only your own access token can list this" in result.err
    assert imgur.log == []


def test_a_refused_token_is_said_once_and_the_anonymous_work_still_completes(imgur: Imgur, tmp_path: Path) -> None:
    public = imgur.add_album("PuBl123", count=2)
    result = run_main("-o", str(tmp_path), "imgur.com/user/me", "imgur.com/a/PuBl123",
                      environ={"IMGUR_ACCESS_TOKEN": "revoked0123456789abcdef"})
    assert result.code == 4, result  # documented: Imgur refused your access token
    assert result.err.count("Imgur refused your access token") == 1
    assert "export a fresh cookies.txt" in result.err
    assert sorted(files_under(tmp_path)) == [f"PuBl123/00{n}-{i.id}.jpg" for n, i in enumerate(public.images, 1)]
    refused = [h for (host, _, _, h) in imgur.log if host == "api.imgur.com" and "authorization" in h
               and h["authorization"].startswith("Bearer")]
    assert len(refused) <= 2  # no retries of a refused token


def test_a_public_album_imgur_refuses_a_token_for_is_asked_for_again_without_it(imgur: Imgur, tmp_path: Path) -> None:
    # The token's first refusal comes on an album, not on the account: that album is asked for again, the same
    # question as anyone would ask it, and saved.
    public = imgur.add_album("PuBl123", count=2)
    result = run_main("-o", str(tmp_path), "imgur.com/a/PuBl123",
                      environ={"IMGUR_ACCESS_TOKEN": "revoked0123456789abcdef"})
    assert result.code == 4, result  # documented: Imgur refused your access token
    assert result.err.count("Imgur refused your access token") == 1
    assert sorted(files_under(tmp_path)) == [f"PuBl123/00{n}-{i.id}.jpg" for n, i in enumerate(public.images, 1)]
    asked = [(path, h["authorization"].split()[0]) for (host, _, path, h) in imgur.log if host == "api.imgur.com"]
    assert asked == [("/post/v1/albums/PuBl123", "Bearer"), ("/post/v1/albums/PuBl123", "Client-ID")]


def test_a_token_a_server_repeats_is_not_shown(imgur: Imgur, tmp_path: Path) -> None:
    # (No record shows Imgur repeating a token; a server that does, or a proxy in the way, is not repeated.)
    token = "revoked0123456789abcdef"
    imgur.add_album("PuBl123", count=1)
    said = json.dumps({"errors": [{"status": "Unauthorized", "detail": f"The access token {token} is invalid"}]})
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/accounts/me/.*", status=401,
                              body=said.encode()))
    busy = json.dumps({"errors": [{"status": "Internal Server Error", "detail": f"failed on {token}"}]}).encode()
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/albums/PuBl123", status=500, body=busy))
    result = run_main("-v", "--retries", "1", "-o", str(tmp_path), "imgur.com/user/me", "imgur.com/a/PuBl123",
                      environ={"IMGUR_ACCESS_TOKEN": token})
    assert result.code == 4, result
    assert "refused it for this (The access token *** is invalid)" in result.err, result
    assert "api.imgur.com: failed on *** - trying again" in result.err, result
    assert token not in result.out + result.err


def test_a_refused_token_does_not_hold_up_the_listing_of_a_user_by_name(imgur: Imgur, tmp_path: Path) -> None:
    # A nightly sync of imgur.com/user/NAME with a token Imgur no longer takes: whose account the token is
    # cannot be told, and NAME's posts are listed as anyone sees them. (The run waited on itself, forever.)
    album = imgur.add_album("PuBl123", count=2, owner=USER)
    single = imgur.add_image("SiNg123", owner=USER, in_gallery=True)
    imgur.add_listing("user", USER, [album, single])
    outcome: list[Outcome] = []
    run = threading.Thread(target=lambda: outcome.append(run_main(
        "-o", str(tmp_path), f"imgur.com/user/{USER}", environ={"IMGUR_ACCESS_TOKEN": "revoked0123456789abcdef"})),
        daemon=True)
    run.start()
    run.join(timeout=60)
    assert outcome, "the run never ended"
    result, = outcome
    assert result.code == 4, result  # documented: Imgur refused your access token
    assert result.err.count("Imgur refused your access token") == 1
    assert sorted(Path(name).name for name in files_under(tmp_path)) == [
        "001-" + album.images[0].id + ".jpg", "002-" + album.images[1].id + ".jpg", "SiNg123.jpg"]


def test_a_run_without_credentials_sends_no_bearer_and_no_cookie(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("PuBl123", count=2)
    assert run_main("-o", str(tmp_path), "imgur.com/a/PuBl123").code == 0
    for _, _, _, headers in imgur.log:
        assert "cookie" not in headers
        assert not headers.get("authorization", "").startswith("Bearer")


def test_the_token_goes_to_api_imgur_com_only_and_is_never_printed_or_stored(imgur: Imgur, tmp_path: Path) -> None:
    account = _account(imgur)
    removed = account.hidden_albums[1].images[0]
    removed.removed = True  # brought back from the Wayback Machine: archive.org gets requests too
    imgur.add_capture(f"https://i.imgur.com/{removed.id}.jpeg", body=removed.data)
    imgur.faults.append(Fault("redirect", path=f"/{account.hidden_albums[0].images[0].id}.*", attempts={1},
                              headers={"Location": "https://i.imgur.com/Moved12.jpg"}))  # a redirect on the CDN
    imgur.add_image("Moved12", size=10)
    imgur.faults.append(Fault("redirect", path="/SiNg123.*",  # and one to another host, refused
                              headers={"Location": "https://evil.example.net/steal"}))
    archive = tmp_path / "seen.sqlite"
    cookies = _cookies(tmp_path)
    runs = [run_main(*flags, "--json", "--write-metadata", "--xattrs", "--wayback", "--download-archive", str(archive),
                     "--cookies", str(cookies), "-o", str(tmp_path / "out"), "imgur.com/user/me",
                     "imgur.com/user/me/hidden") for flags in ([], ["-v"], ["--debug"])]
    by_host: dict[str, int] = {}
    for host, _, _, headers in imgur.log:
        carries = any(TOKEN in value for value in headers.values())
        by_host[host] = by_host.get(host, 0) + carries
        if host != "api.imgur.com":
            assert not carries, host
        else:
            assert headers["authorization"] == f"Bearer {TOKEN}"
    assert by_host["api.imgur.com"] > 0 and {"i.imgur.com", "web.archive.org"} <= set(by_host)
    for result in runs:
        assert TOKEN not in result.out and TOKEN not in result.err, result
    assert "[Authorization: Bearer <redacted>]" in runs[1].err
    labels = []  # (--xattrs: what each file carries beside its bytes)
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
            labels += [os.getxattr(path, name) for name in os.listxattr(path)]
    assert labels and not [label for label in labels if TOKEN.encode() in label]
    with contextlib.closing(sqlite3.connect(archive)) as db:
        assert TOKEN not in json.dumps(list(db.execute("SELECT * FROM archive")))
    assert TOKEN.encode() not in archive.read_bytes()
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p != cookies and TOKEN.encode() in p.read_bytes()]


def test_image_listing_of_another_user_needs_their_token(imgur: Imgur, tmp_path: Path) -> None:
    _account(imgur)
    code, _, err, _ = _run(imgur, tmp_path, "imgur.com/user/someone/images")
    assert code != 0
    assert "only your own access token can list this" in err
    assert not imgur.requests_to("api.imgur.com", "/3/account/me/images/.*")  # not yours listed as theirs


def test_your_own_favorites_folder_by_me_and_by_name(imgur: Imgur, tmp_path: Path) -> None:
    _account(imgur)
    image = imgur.add_image("FoLd123", owner="someone", hidden=True, mature=True)
    imgur.add_listing("folder", f"{USER}/42", [image])
    for url, folder in (("imgur.com/user/me/favorites/folder/42", "favorites me folder 42"),
                        (f"imgur.com/user/{USER}/favorites/folder/42/cats", f"favorites {USER} folder 42")):
        code, _, err, out = _run(imgur, tmp_path, url)
        assert code == 0, err
        assert (out / folder / "FoLd123.jpg").read_bytes() == image.data  # a hidden favorite, with the token
    asked = [q for (host, p, q) in imgur.queries if p == "/3/account/me/folders/42/favorites"]
    assert len(asked) == 4 and all(q["sort"] == ["newest"] for q in asked)
