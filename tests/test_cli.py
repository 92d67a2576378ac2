"""The command as people and scripts meet it: usage, help, exit codes, output streams."""

from __future__ import annotations

import datetime
import gc
import gzip
import io
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import trustme
from requests.utils import DEFAULT_CA_BUNDLE_PATH

import imgur_dl
from imgur_dl import __version__, cli, parser
from imgur_dl.cli import Environment, main
from imgur_dl.status import ExitStatus, worst
from imgur_dl.text import Shown, is_url
from tests.conftest import command, files_under, run_main, run_process
from tests.standin import Imgur


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no URL given"),
        (["https://example.com/a/AbC1234"], "not an Imgur URL"),
        (["not a url at all"], "not an Imgur URL"),
        (["https://imgur.com/user/someone/comments"], "names no album or image"),
        (["-j", "0", "imgur.com/a/AbC1234"], "must be at least 1"),
        (["-j", "many", "imgur.com/a/AbC1234"], "not a whole number"),
        # A file pasted as a value: its first 200 characters repeated, not all of it.
        (["-j", "9" * 5000, "imgur.com/a/AbC1234"], f"argument -j/--workers: at most 128: {'9' * 200}... "
                                                    "(5000 characters)\n"),
        # Digits as a script writes them, not as int() and float() also read them (10, 3 and 2 to those).
        (["-j", "1_0", "imgur.com/a/AbC1234"], "argument -j/--workers: not a whole number: '1_0'"),
        (["--retries", "\u0663", "imgur.com/a/AbC1234"], "argument --retries: not a whole number: '\u0663'"),
        (["--timeout", "\uff12", "imgur.com/a/AbC1234"], "argument --timeout: not a number of seconds: '\uff12'"),
        (["--timeout", "-1", "imgur.com/a/AbC1234"], "must be more than 0"),
        (["--timeout", "inf", "imgur.com/a/AbC1234"], "must be a number of seconds up to 3600"),
        (["--timeout", "nan", "imgur.com/a/AbC1234"], "must be a number of seconds up to 3600"),
        (["-j", "100000", "imgur.com/a/AbC1234"], "at most 128"),
        (["--max-file-size", "lots", "imgur.com/a/AbC1234"], "not a size"),
        (["--max-file-size", "0", "imgur.com/a/AbC1234"], "argument --max-file-size: must be 1 byte or more: '0'"),
        # (a rate under a byte is not taken for 0, which is no limit at all)
        (["--limit-rate", "0.5", "imgur.com/a/AbC1234"], "argument --limit-rate: must be 0, or 1 byte or more: '0.5'"),
        (["--limit-rate", "1.K", "imgur.com/a/AbC1234"], "not a size (bytes, or with K, M or G): '1.K'"),
        (["--user-agent", "bad\x1b[2J", "imgur.com/a/AbC1234"], "must be printable ASCII"),
        (["--retries", "-2", "imgur.com/a/AbC1234"], "cannot be negative"),
        (["--retries", "101", "imgur.com/a/AbC1234"], "at most 100"),
        (["--bogus", "imgur.com/a/AbC1234"], "unrecognized arguments"),
        (["--name", "{nope}", "imgur.com/a/AbC1234"], "unknown field"),
        (["--name", "", "imgur.com/a/AbC1234"], "--name: a template cannot be empty"),  # (as "$UNSET" gives it)
        (["--dir", " ", "imgur.com/a/AbC1234"],
         "--dir: a template cannot be empty (--dir / puts albums' files in the output folder itself)"),
        # A file's own field in the folder every file of an album shares: every album's folder named alike, and all
        # their files in one (before: "_" for {id}, "000" for {index}).
        (["--dir", "{id}", "imgur.com/a/AbC1234"],
         "imgur-dl: error: --dir: {id} is a file's own field, with no value for the folder an album's files share (a "
         "file's fields go in --name; {album_id} is the album's id)\n"),
        (["--dir", "{album_id}/{index} {date:>3}", "imgur.com/a/AbC1234"],
         "--dir: {index}, {date} are a file's own fields, with no value for the folder an album's files share (a "
         "file's fields go in --name; {album_date} is the album's date)"),
        # A byte the shell passed on that is not UTF-8 (Python keeps it as a lone surrogate): shown as that byte.
        (["--dir", "\udcff{album_id}", "imgur.com/a/AbC1234"],
         "imgur-dl: error: --dir: the template '\\xff{album_id}' holds bytes that are not UTF-8 text\n"),
        # An empty path (as "$UNSET" gives it) names nothing: not the current folder in silence.
        (["-o", "", "imgur.com/a/AbC1234"], "argument -o/--output: an empty path names nothing"),
        (["-i", ""], "argument -i/--input-file: an empty path names nothing"),
        (["--scan", ""], "argument --scan: an empty path names nothing"),
        (["--download-archive", "", "imgur.com/a/AbC1234"], "argument --download-archive: an empty path"),
        (["--cookies", "", "imgur.com/a/AbC1234"], "argument --cookies: an empty path"),
        (["-o", "a\0b", "imgur.com/a/AbC1234"], "argument -o/--output: a path cannot hold a NUL byte"),
        # A zero-width space (and a byte-order mark) pasted from a page: no folder named so, which no one could see.
        (["-o", "\u200b\ufeff", "imgur.com/a/AbC1234"],
         "argument -o/--output: a path of nothing visible names nothing: '\\u200b\\ufeff'"),
        # A ~user that names no one: a shell leaves it as written, a folder named so that no one means.
        (["-o", "~no-such-user-here/pics", "imgur.com/a/AbC1234"],
         "imgur-dl: error: argument -o/--output: '~no-such-user-here/pics': this machine has no user "
         "'no-such-user-here' (for a folder of that name, give ./~no-such-user-here/pics)\n"),
        (["--scan=~no-such-user-here"], "argument --scan: '~no-such-user-here': this machine has no user"),
        # A path past what the system takes (a name over 255 bytes): said, not a bug.
        (["-o", "x" * 300, "imgur.com/a/AbC1234"], f"output folder {'x' * 300}: cannot be used (File name too long)"),
        (["--download-archive", "x" * 300, "imgur.com/a/AbC1234"], f"cannot use {'x' * 300} as a download archive"),
        (["--scan", "a\0b"], "argument --scan: a path cannot hold a NUL byte"),  # (main() called from Python)
        (["--archive-table", "mine", "imgur.com/a/AbC1234"], "--archive-table is for --download-archive"),
        # (--archive, abbreviated as argparse reads it, is --archive-table: a file's path there is pointed on)
        (["--archive", "seen.sqlite", "imgur.com/a/AbC1234"], "--archive-table 'seen.sqlite': use lower-case "
         "letters, digits and '_' (at most 41, not starting with a digit); the archive's own file or URL goes to "
         "--download-archive"),
        (["--archive", "postgresql://me:hunter22@db/imgur", "imgur.com/a/AbC1234"],  # (its password not repeated)
         "--archive-table 'postgresql://me:***@db/imgur': use lower-case"),
        (["--archive-table", "host=db password=hunter22", "imgur.com/a/AbC1234"], "'host=db password=***'"),
        # (A database's address given to another option: argparse repeats what it cannot take, its password not.)
        (["--lease", "postgresql://me:hunter22@db/imgur", "imgur.com/a/AbC1234"],
         "argument --lease: not a number of seconds: 'postgresql://me:***@db/imgur'"),
        (["--lease", "host=db password=hunter22", "imgur.com/a/AbC1234"],
         "argument --lease: not a number of seconds: 'host=db password=***\n"),
        (["--lease", "0.5", "imgur.com/a/AbC1234"], "argument --lease: must be 1 second or more: 0.5"),
        (["-i", "-", "--scan", "-"], "standard input ('-') can be read once"),
        (["--range", "", "imgur.com/t/cats"], "not a range of positions"),  # (once: the first post alone)
        (["--range", "1-5,", "imgur.com/t/cats"], "not a range of positions"),
        (["--range", "0-5", "imgur.com/t/cats"], "'0-5' (positions start at 1)"),
        (["--range", "-0", "imgur.com/t/cats"], "'-0' (positions start at 1)"),  # (not "0-1?", no range either)
        (["--range", "\u0661-\u0665", "imgur.com/t/cats"], "not a range of positions: '\u0661-\u0665' (try 1-20"),
        (["--range", "1-2,5-3", "imgur.com/t/cats"], "'1-2,5-3' (5-3 ends before it starts; 3-5?)"),
        (["--since", "2025-02-30", "imgur.com/t/cats"], "no such day"),
        (["--since", "yesterday", "imgur.com/t/cats"], "not a date, time or span: 'yesterday' (try 2024-05-01, "
                                                       "2024-05-01T12:00Z, 2024-05-01T14:00+02:00 or 7d)"),
        (["--since", "7 d", "imgur.com/t/cats"], "not a date, time or span: '7 d'"),
        (["--since", "\uff12\uff10\uff12\uff14-05-01", "imgur.com/t/cats"], "(try 2024-05-01, 2024-05-01T12:00Z"),
        # A URL of another scheme is no archive (a typo, another program's): refused, its password not repeated.
        (["--download-archive", "postgressql://me:hunter22@db/imgur", "imgur.com/a/AbC1234"],
         "imgur-dl: error: argument --download-archive: not an archive imgur-dl can keep: "
         "postgressql://me:***@db/imgur (give an SQLite file's path, or a postgresql:// URL)\n"),
        (["--download-archive", "sqlite:///srv/seen.db", "imgur.com/a/AbC1234"], "can keep: sqlite:///srv/seen.db"),
        # A URL where a path goes: imgur-dl reads and writes files on this machine.
        (["-i", "https://me:hunter22@example.com/list.txt"],
         "imgur-dl: error: argument -i/--input-file: https://me:***@example.com/list.txt is a URL, not a path on this "
         "machine\n"),
        (["--scan", "https://example.com/RS_2019-01.zst"], "argument --scan: https://example.com/RS_2019-01.zst is a "
                                                           "URL, not a path"),
        (["--cookies", "https://me:hunter22@example.com/c.txt", "imgur.com/a/AbC1234"],
         "argument --cookies: https://me:***@example.com/c.txt is a URL"),
        (["-o", "postgresql://me:hunter22@db/imgur", "imgur.com/a/AbC1234"],
         "argument -o/--output: postgresql://me:***@db/imgur is a URL"),
        # An address pasted with a space before it, or in quotes (as an env file keeps them): no file's name, and
        # its password not shown as one's would be.
        (["--download-archive", " postgresql://me:hunter22@db/imgur", "imgur.com/a/AbC1234"],
         "imgur-dl: error: argument --download-archive: postgresql://me:***@db/imgur has quotes or spaces around "
         "it: give it without them\n"),
        (["--download-archive", "'host=db password=hunter22'", "imgur.com/a/AbC1234"],
         "argument --download-archive: host=db password=*** has quotes or spaces around it"),
        # (An env file written on Windows: each of its lines ends in "\r". It was taken as part of the database's
        # name, and the server said no database "imgur\x0d" was there.)
        (["--download-archive", "postgresql://me:hunter22@db/imgur\r", "imgur.com/a/AbC1234"],
         "argument --download-archive: postgresql://me:***@db/imgur has quotes or spaces around it"),
        (["--download-archive", "host=db password=hunter22\r", "imgur.com/a/AbC1234"],
         "argument --download-archive: host=db password=*** has quotes or spaces around it"),
        (["-o", "me:hunter22@db\r", "imgur.com/a/AbC1234"],  # (written as a password is: not shown as one)
         "argument -o/--output: a path holding a control character, '\\r' (an env file written on Windows ends "
         "each line in it), names nothing anyone means: 'me:***@db\\r'"),
        (["-o", '"https://me:hunter22@example.com/pics"', "imgur.com/a/AbC1234"],
         "argument -o/--output: https://me:***@example.com/pics is a URL"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = run_main("-o", str(tmp_path / "out"), *args)
    assert result.code == 2, result
    assert message in result.err
    assert "hunter22" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith("imgur-dl: error: ")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("IMGUR_DL_WORKERS", "lots", "IMGUR_DL_WORKERS: not a whole number: 'lots'"),
    ("IMGUR_DL_WORKERS", "0", "IMGUR_DL_WORKERS: must be at least 1: 0"),
    ("IMGUR_DL_OUTPUT", "https://me:hunter22@example.com/pics", "IMGUR_DL_OUTPUT: https://me:***@example.com/pics is "
                                                                "a URL, not a path on this machine"),
    ("IMGUR_DL_ARCHIVE", "mysql://me:hunter22@db/imgur", "IMGUR_DL_ARCHIVE: not an archive imgur-dl can keep: "
                                                        "mysql://me:***@db/imgur (give an SQLite file's path, or a "
                                                        "postgresql:// URL)"),
    # A token as people copy one: from the request's header, or out of an env file with its quotes (docker's keeps
    # them); what to drop is said, the token never.
    ("IMGUR_ACCESS_TOKEN", "Bearer hunter22hunter22", "IMGUR_ACCESS_TOKEN does not hold an access token (letters, "
                                                      "digits and -._~+/= only): give the token without the "
                                                      "'Bearer ' before it"),
    ("IMGUR_ACCESS_TOKEN", '"hunter22hunter22"', "IMGUR_ACCESS_TOKEN does not hold an access token (letters, digits "
                                                 "and -._~+/= only): give the token without the quotes around it"),
    ("IMGUR_ACCESS_TOKEN", "hunter22 hunter22", "IMGUR_ACCESS_TOKEN does not hold an access token (letters, digits "
                                                "and -._~+/= only)"),
    ("IMGUR_DL_ARCHIVE", '"postgresql://me:hunter22@db/imgur"', "IMGUR_DL_ARCHIVE: postgresql://me:***@db/imgur has "
                                                                "quotes or spaces around it: give it without them"),
])
def test_a_bad_environment_value_is_blamed_on_the_variable(name: str, value: str, message: str) -> None:
    result = run_main("imgur.com/a/AbC1234", environ={name: value})
    assert result.code == 2, result
    assert result.err == f"imgur-dl: error: {message}\n"
    assert "hunter22" not in result.err


def test_a_place_from_the_environment_that_cannot_be_used_is_blamed_on_the_variable(tmp_path: Path) -> None:
    # A crontab's or a profile's setting: the line that failed names no such flag, so the variable is named.
    (tmp_path / "file").write_text("")
    nowhere = tmp_path / "nowhere" / "seen.sqlite"
    result = run_main("imgur.com/a/AbC1234", environ={"IMGUR_DL_ARCHIVE": str(nowhere)})
    assert (result.code, result.err) == (2, f"imgur-dl: error: IMGUR_DL_ARCHIVE: cannot use {nowhere} as a download "
                                            f"archive: there is no folder {nowhere.parent}\n"), result
    result = run_main("--fleet", environ={"IMGUR_DL_ARCHIVE": str(tmp_path)})
    assert (result.code, result.err) == (2, f"imgur-dl: error: IMGUR_DL_ARCHIVE: cannot use {tmp_path} as a download "
                                            "archive: it is a folder (give the archive's file)\n"), result
    result = run_main("imgur.com/a/AbC1234", environ={"IMGUR_DL_OUTPUT": str(tmp_path / "file" / "x")})
    assert (result.code, result.err) == (2, f"imgur-dl: error: IMGUR_DL_OUTPUT: output folder {tmp_path}/file/x: "
                                            f"not a folder ({tmp_path}/file)\n"), result
    # Given as a flag, the same place is the flag's, whatever the environment holds.
    result = run_main("--download-archive", str(nowhere), "-o", str(tmp_path / "file" / "x"), "imgur.com/a/AbC1234",
                      environ={"IMGUR_DL_ARCHIVE": str(tmp_path / "a.sqlite"), "IMGUR_DL_OUTPUT": str(tmp_path)})
    assert result.err == f"imgur-dl: error: output folder {tmp_path}/file/x: not a folder ({tmp_path}/file)\n"
    result = run_main("--download-archive", str(nowhere), "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234",
                      environ={"IMGUR_DL_ARCHIVE": str(tmp_path / "a.sqlite")})
    assert result.err.startswith(f"imgur-dl: error: cannot use {nowhere} as a download archive"), result
    assert not (tmp_path / "a.sqlite").exists()


def test_a_server_archive_out_of_reach_as_the_run_starts_is_one_line_and_exit_2(imgur: Imgur, tmp_path: Path) -> None:
    # (PostgreSQL's client library tells a server that is down from a login refused by its message's words alone.)
    port = 1  # (tcpmux's: nothing listens there, nor does any test's server bind it, as one closed again might be)
    result = run_main("--download-archive", f"postgresql://fleet:s3cret@127.0.0.1:{port}/imgur", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234")
    assert result.code == 2, result
    assert result.err.startswith(f"imgur-dl: error: cannot use postgresql://fleet:***@127.0.0.1:{port}/imgur as a "
                                 "download archive: connection failed: "), result
    assert result.err.count("\n") == 1 and "s3cret" not in result.err
    assert imgur.log == [] and list(tmp_path.iterdir()) == []  # (nothing asked of Imgur, nothing written)


def test_a_postgresql_archive_without_its_extra_is_said_in_one_line(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # (as where the postgres extra is not installed)
    location = "postgresql://fleet:hunter22@db.example/imgur"
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", environ={"IMGUR_DL_ARCHIVE": location})
    assert (result.code, result.err) == (2, "imgur-dl: error: IMGUR_DL_ARCHIVE: cannot use postgresql://fleet:***@"
                                            "db.example/imgur as a download archive: PostgreSQL needs the postgres "
                                            "extra: pip install 'imgur-dl[postgres]'\n"), result
    result = run_main("--download-archive", location, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.err.startswith("imgur-dl: error: cannot use postgresql://fleet:***@db.example/imgur as"), result


@pytest.mark.parametrize("output", [[], ["-o", "pictures/cats"]])
def test_a_current_folder_deleted_since_is_one_line_before_any_request(imgur: Imgur, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      output: list[str]) -> None:
    # (A shell left in a folder another program removed: every album's folder would fail to be made.)
    imgur.add_album("AbC1234", count=1)
    (tmp_path / "gone").mkdir()
    monkeypatch.chdir(tmp_path / "gone")
    (tmp_path / "gone").rmdir()
    result = run_main(*output, "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (2, f"imgur-dl: error: output folder {output[-1] if output else '.'}: the "
                                            "current folder has been deleted (cd to one that exists)\n"), result
    assert imgur.log == [] and list(tmp_path.iterdir()) == []


def test_an_output_folder_under_a_broken_symlink_is_one_line_before_any_request(imgur: Imgur,
                                                                                tmp_path: Path) -> None:
    # (A link to a disk not mounted: the folders below it cannot be made, and mkdir's "No such file" says not why.)
    imgur.add_album("AbC1234", count=1)
    (tmp_path / "usb").symlink_to(tmp_path / "media" / "usb0")
    result = run_main("-o", str(tmp_path / "usb" / "imgur"), "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (2, f"imgur-dl: error: output folder {tmp_path}/usb/imgur: {tmp_path}/usb is "
                                            "a broken symlink\n"), result
    assert imgur.log == [] and sorted(p.name for p in tmp_path.iterdir()) == ["usb"]


@pytest.mark.parametrize("made", ["a folder", "a link to one"])
def test_an_output_folder_another_process_makes_as_this_one_looks_is_taken(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: str) -> None:
    # The same command started on several machines at once into one share: another made the folder (or a link to
    # one) in the moment between this one's look for it and its look for a link there. It was said to be a broken
    # symlink, exit 2, nothing fetched.
    imgur.add_album("AbC1234", count=1)
    out, real = tmp_path / "out", parser._there

    def racing(path: Path, *, follow: bool = True) -> bool:
        seen = real(path, follow=follow)
        if path == out and follow and not seen and not real(out, follow=False):  # (made the moment after)
            if made == "a folder":
                out.mkdir()
            else:
                (tmp_path / "elsewhere").mkdir()
                out.symlink_to(tmp_path / "elsewhere")
        return seen

    monkeypatch.setattr(parser, "_there", racing)
    result = run_main("-o", str(out), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert len(files_under(out)) == 1


def test_tilde_in_the_output_variable_is_expanded(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    result = run_main("imgur.com/a/AbC1234", environ={"IMGUR_DL_OUTPUT": "~/pics", "HOME": str(tmp_path)})
    assert result.code == 0, result
    assert len(files_under(tmp_path / "pics")) == 1


def test_a_tilde_is_home_in_every_path_option_and_variable(imgur: Imgur, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # As one word (--opt=~/x) or from a crontab or unit file, no shell expands it: imgur-dl does, as for -o.
    imgur.add_album("AbC1234", count=1)
    imgur.add_album("XyZ9876", count=1)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "list.txt").write_text("imgur.com/a/AbC1234\n")
    (tmp_path / "notes.md").write_text("see <https://imgur.com/a/XyZ9876>\n")
    result = run_main("-i", "~/list.txt", "--scan=~/notes.md", "--download-archive=~/seen.sqlite", "-o", "~/pics",
                      environ={"HOME": str(tmp_path)})
    assert result.code == 0, result
    assert len(files_under(tmp_path / "pics")) == 2
    assert (tmp_path / "seen.sqlite").is_file()
    result = run_main("-o", str(tmp_path / "again"), "imgur.com/a/AbC1234",
                      environ={"HOME": str(tmp_path), "IMGUR_DL_ARCHIVE": "~/seen.sqlite"})
    assert result.code == 0, result
    assert "0 saved, 1 skipped" in result.err  # the same archive


def test_options_are_checked_before_a_list_is_read() -> None:
    # A list piped in may take long to end (a producer still writing it), a file of a million lines seconds:
    # a mistake in the options is said first.
    class Unread(io.StringIO):
        def readline(self, size: int | None = -1, /) -> str:
            raise AssertionError("the list was read before the options were checked")

    err = io.StringIO()
    code = main(["-i", "-", "--break-on-existing"], Environment(stdin=Unread(), stdout=io.StringIO(), stderr=err))
    assert code == 2
    assert err.getvalue() == ("imgur-dl: error: --break-on-existing needs --download-archive (it stops at what the "
                              "archive has)\n")


def test_a_proxy_named_by_all_proxy_alone_is_used(imgur: Imgur, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # (as curl and requests read it: for every scheme that has no variable of its own)
    imgur.add_album("AbC1234", count=2)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", environ={"all_proxy": imgur.proxy_url})
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == 2


def test_a_proxy_that_wants_credentials_gets_those_in_its_url_and_only_it(imgur: Imgur, tmp_path: Path) -> None:
    # A corporate proxy that asks who is there: the user name and password in its URL go to it, in each
    # CONNECT (the API's and the files'), never through the tunnel to Imgur, and are never shown.
    album = imgur.add_album("AbC1234", count=2)
    imgur.proxy_user = ("alice", "s3cret pass")
    proxy = imgur.proxy_url.replace("http://", "http://alice:s3cret%20pass@")
    result = run_main("-v", "-o", str(tmp_path), "imgur.com/a/AbC1234", "i.imgur.com/" + album.images[0].id + ".jpg",
                      environ={"HTTPS_PROXY": proxy, "https_proxy": proxy})
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == 3
    assert set(imgur.proxy_credentials) == {"Basic YWxpY2U6czNjcmV0IHBhc3M="}  # (alice:s3cret pass)
    assert len(imgur.proxy_credentials) >= 2 and imgur.requests_to("i.imgur.com")
    assert not [h for *_, h in imgur.log if any(n.lower() == "proxy-authorization" for n in h)]
    assert "s3cret" not in result.out + result.err


@pytest.mark.parametrize(("given", "blocked", "says"), [
    (None, set(), "the proxy wants a user name and password (HTTP 407): give them in its URL, "
                  "http://USER:PASSWORD@HOST:PORT (HTTPS_PROXY or --proxy), or check the ones there"),
    ("alice:wrong", set(), "the proxy wants a user name and password (HTTP 407): give them in its URL, "
                           "http://USER:PASSWORD@HOST:PORT (HTTPS_PROXY or --proxy), or check the ones there"),
    ("alice:right", {"api.imgur.com", "i.imgur.com"},
     "the proxy would not connect to the site (HTTP 403): does it let it through?")])
def test_a_proxy_that_will_not_let_a_request_through_is_named_and_not_asked_again(
        imgur: Imgur, tmp_path: Path, given: str | None, blocked: set[str], says: str) -> None:
    # It was "the proxy cannot be reached", after six attempts a file (and two for the API): 20 s for a direct
    # link. The proxy's answer does not change from one attempt to the next.
    imgur.add_image("AbCdEfG")
    imgur.proxy_user, imgur.blocked = ("alice", "right"), blocked
    proxy = imgur.proxy_url.replace("http://", f"http://{given}@") if given else imgur.proxy_url
    result = run_main("-o", str(tmp_path), "i.imgur.com/AbCdEfG.jpg",
                      environ={"HTTPS_PROXY": proxy, "https_proxy": proxy})
    assert result.code == 1, result
    assert result.err.splitlines()[:2] == [
        f"imgur-dl: cannot reach api.imgur.com: {says}; direct links are fetched without the API's description",
        f"imgur-dl: error: AbCdEfG: {says}"]
    assert len(imgur.proxy_credentials) == 2 and result.waits == []  # one CONNECT each, the API's and the file's
    assert "wrong" not in result.err and "right" not in result.err


def test_a_proxy_named_https_that_takes_plain_http_is_named_so_and_not_asked_again(imgur: Imgur,
                                                                                   tmp_path: Path) -> None:
    # HTTPS_PROXY=https://proxy:3128, as people write it for a proxy of HTTPS sites (awsdocs/aws-systems-manager-
    # user-guide#25, himanshub16/ProxyMan#41), where the proxy takes plain HTTP, as most do: TLS with it fails
    # every time. It was "the proxy cannot be reached", after the retries: 11 s for a direct link.
    imgur.add_image("AbCdEfG")
    proxy = imgur.proxy_url.replace("http://", "https://")
    result = run_main("-o", str(tmp_path), "i.imgur.com/AbCdEfG.jpg",
                      environ={"HTTPS_PROXY": proxy, "https_proxy": proxy})
    says = ("the proxy does not speak TLS, which its URL's https:// asks of it: a proxy that takes plain HTTP, as most "
            "do, is named http://HOST:PORT (HTTPS_PROXY or --proxy), and sites are still reached through it in TLS")
    assert result.code == 1, result
    assert result.err.splitlines()[:2] == [
        f"imgur-dl: cannot reach api.imgur.com: {says}; direct links are fetched without the API's description",
        f"imgur-dl: error: AbCdEfG: {says}"]
    assert result.waits == [] and not files_under(tmp_path)
    # ... and named http://, the same proxy takes the run.
    assert run_main("-o", str(tmp_path), "i.imgur.com/AbCdEfG.jpg").code == 0


def test_a_url_with_characters_that_show_nothing_at_its_ends_is_taken(imgur: Imgur) -> None:
    # `imgur-dl $(cat links.txt)` of a list Notepad saved (a byte-order mark before its first link), and a link copied
    # from a chat that ends it with a zero-width space: each was "not an Imgur URL" or "names no album or image", of
    # a link that looked whole.
    imgur.add_album("AbC1234", count=1)
    imgur.add_image("XyZ9876")
    result = run_main("-g", "\ufeffhttps://imgur.com/a/AbC1234", "https://imgur.com/XyZ9876\u200b")
    assert (result.code, result.out) == (0, f"https://i.imgur.com/{imgur.albums['AbC1234'].images[0].id}.jpeg\n"
                                            "https://i.imgur.com/XyZ9876.jpeg\n"), result
    # (one inside a link is no link's: said, and shown)
    inside = run_main("-g", "https://imgur.com/a/AbC\u200b1234")
    assert (inside.code, inside.err) == (2, "imgur-dl: error: this Imgur URL names no album or image: "
                                            "https://imgur.com/a/AbC\\u200b1234\n"), inside


def test_a_bad_url_is_refused_up_front_and_the_others_still_run(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=2)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", "https://example.com/x")
    assert result.code == 2, result  # the worst outcome: some input was not usable
    first = result.err.splitlines()[0]
    assert first == "imgur-dl: error: not an Imgur URL: https://example.com/x"  # said before any download
    assert "2 saved" in result.err
    assert len(files_under(tmp_path)) == 2


def test_a_bad_line_of_a_list_is_said_with_where_it_is(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    listed = tmp_path / "albums.txt"
    listed.write_text("# mine\nimgur.com/a/AbC1234\n\nhello\r\nimgur.com/about # the site\n")
    result = run_main("-o", str(tmp_path / "out"), "-i", str(listed), "-i", "-", "https://example.com/x",
                      stdin="imgur.com/a/AbC1234 imgur.com/a/XyZ9876\n")
    assert result.code == 2, result
    assert result.err.splitlines()[:4] == [
        "imgur-dl: error: not an Imgur URL: https://example.com/x",  # (the command line's first)
        f"imgur-dl: error: {listed}:4: not an Imgur URL: hello",
        f"imgur-dl: error: {listed}:5: this Imgur URL names no album or image: imgur.com/about",
        "imgur-dl: error: (standard input):1: 2 links, not one: imgur.com/a/AbC1234 imgur.com/a/XyZ9876 (give each "
        "as a URL of its own; --scan finds every link in any text)"]
    assert "1 saved" in result.err


def test_a_bad_line_of_a_compressed_list_is_said_with_where_it_is(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=1)
    (tmp_path / "albums.txt.gz").write_bytes(gzip.compress(b"imgur.com/a/AbC1234\nhello\n"))
    with zipfile.ZipFile(tmp_path / "lists.zip", "w") as lists:  # (its files' lines, one after another: no one's)
        lists.writestr("a.txt", "imgur.com/a/AbC1234")
        lists.writestr("b.txt", "hello again\n")
    with tarfile.open(tmp_path / "lists.tgz", "w:gz") as tar:
        for name, text in (("a.txt", b"imgur.com/a/AbC1234\n"), ("b.txt", b"and again\n")):
            member = tarfile.TarInfo(name)
            member.size = len(text)
            tar.addfile(member, io.BytesIO(text))
    result = run_main("-g", *(f"-i={tmp_path / name}" for name in ("albums.txt.gz", "lists.zip", "lists.tgz")))
    assert result.err.splitlines()[:3] == [f"imgur-dl: error: {tmp_path}/albums.txt.gz:2: not an Imgur URL: hello",
                                           f"imgur-dl: error: {tmp_path}/lists.zip: not an Imgur URL: hello again",
                                           f"imgur-dl: error: {tmp_path}/lists.tgz: not an Imgur URL: and again"]
    assert result.code == 2 and result.out == f"https://i.imgur.com/{album.images[0].id}.jpeg\n", result


@pytest.mark.parametrize(("text", "url"), [
    ("https://imgur.com/a/x", True), ("mysql://db", True), ("sqlite:///x.db", True), ("svn+ssh://h/r", True),
    ("C://Users/me/list.txt", False),  # (a Windows drive, written with two slashes)
    ("C:\\Users\\me", False), ("list.txt", False), ("./https://x", False), ("~/x", False), ("-", False),
])
def test_a_url_where_a_path_goes_is_told_from_a_path(text: str, url: bool) -> None:
    assert is_url(text) is url


def test_help_has_real_examples() -> None:
    result = run_main("--help")
    assert result.code == 0
    assert "imgur-dl https://imgur.com/a/" in result.out or "imgur-dl https://imgur.com/a/" in result.err


@pytest.mark.parametrize("asked", [["--version"], ["--help"], ["--fields"]])
def test_what_is_asked_for_on_a_stdout_closed_from_the_start_is_named(asked: list[str],
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdout", None)  # as `>&-` leaves it: the interpreter has no stdout
    assert main(asked) == 1  # (as `ls --version >&-` fails too)
    assert capsys.readouterr().err == "imgur-dl: error: cannot write to standard output: it is closed\n"


@pytest.mark.parametrize("asked", [["-i", "-"], ["--scan", "-", "-g"]])
def test_a_list_asked_of_a_stdin_closed_from_the_start_is_named(asked: list[str], monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # as `<&-` leaves it: the interpreter has no stdin
    assert main(asked) == 2
    assert capsys.readouterr().err == "imgur-dl: error: cannot read standard input ('-'): it is closed\n"


def test_a_whole_text_given_as_a_url_is_one_short_error_line() -> None:
    result = run_main("https://imgur.com/" + "x" * 100_000, "not one " * 20_000)
    assert result.code == 2
    assert result.err.splitlines() == [  # (not 100,000 characters a line: the first 200 of each)
        "imgur-dl: error: this Imgur URL names no album or image: https://imgur.com/" + "x" * 182 + "...",
        "imgur-dl: error: not an Imgur URL: " + ("not one " * 25)[:200] + "..."]


def test_a_password_typed_into_a_link_is_never_repeated(imgur: Imgur, tmp_path: Path) -> None:
    # A link with a login in it (Imgur asks for none), and a database's address given where a link goes
    # (--download-archive forgotten): the lines and rows that repeat them show no password, the link still works.
    album = imgur.add_album("AbC1234", count=2)
    result = run_main("--json", "-o", str(tmp_path), "https://me:hunter22@imgur.com/a/AbC1234",
                      "https://me:hunter22@imgur.com/a/NoNe123", "postgresql://me:hunter22@db.example/imgur")
    assert result.code == 2, result  # (the usage error: the worst of the three)
    assert "hunter22" not in result.out + result.err
    assert "imgur-dl: error: not an Imgur URL (scheme 'postgresql'): postgresql://me:***@db.example/imgur" in result.err
    assert "imgur-dl: error: https://me:***@imgur.com/a/NoNe123: not found" in result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [row["url"] for row in rows if row["status"] == "failed"] == ["https://me:***@imgur.com/a/NoNe123"]
    assert len(files_under(tmp_path / "AbC1234")) == len(album.images)


def test_version() -> None:
    result = run_process("--version")
    assert result.code == 0, result
    assert result.out.strip() == f"imgur-dl {__version__}"


def test_the_command_line_is_read_before_the_network_stack_is_imported() -> None:
    # --version, --help and usage errors answer at once, and a run's first line is on the screen before
    # requests, urllib3 and ssl are imported (about 70 ms of the command's start)
    code = "import sys, imgur_dl.cli; print(sorted({'requests', 'urllib3', 'ssl'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout


def test_importing_the_package_loads_nothing_else() -> None:
    # (what makes the next test's window small: the command's own module holds Ctrl-C almost at once)
    code = "import sys, imgur_dl; print(sorted(m for m in sys.modules if m.startswith('imgur_dl')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "['imgur_dl', 'imgur_dl._version']", done.stdout


@pytest.mark.parametrize("module", ["imgur_dl.cli", "argparse"])
def test_ctrl_c_while_the_command_loads_is_one_line_and_exit_130(module: str, tmp_path: Path) -> None:
    # A command started by mistake and stopped at once: Ctrl-C landed while Python was still loading the
    # program, and what the person saw was Python's traceback of KeyboardInterrupt. Here it lands as ``module``
    # is imported, in the command the console script runs (as pip writes it).
    code = f"""if True:
        import os, signal, sys
        class CtrlC:
            def find_spec(self, name, path=None, target=None):
                if name == {module!r}:
                    os.kill(os.getpid(), signal.SIGINT)
        sys.meta_path.insert(0, CtrlC())
        sys.argv = ["imgur-dl", "https://imgur.com/a/AbC1234"]
        from imgur_dl.__main__ import run
        sys.exit(run())
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "imgur-dl: interrupted\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_or_sighup_before_the_run_takes_it_in_hand_ends_with_its_own_status(
        sig: signal.Signals, status: int, tmp_path: Path) -> None:
    # A service stopped (SIGTERM) or a terminal closed (SIGHUP) just as the command started: the signal landed once
    # its handler was set, before the run took it in hand, and the command said "interrupted" with Ctrl-C's 130,
    # which tells a supervisor the wrong thing. Here it lands as the handlers are set.
    code = f"""if True:
        import os, signal, sys
        import imgur_dl.cli
        signal.signal(signal.SIGHUP, signal.SIG_DFL)  # (as a command started at a terminal has it: the suite may
        set_them = imgur_dl.cli.handle_signals        # run under nohup, and SIGHUP ignored stays ignored)
        def handle_signals():
            set_them()
            os.kill(os.getpid(), {int(sig)})
        imgur_dl.cli.handle_signals = handle_signals
        sys.argv = ["imgur-dl", "https://imgur.com/a/AbC1234"]
        from imgur_dl.__main__ import run
        sys.exit(run())
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout, done.stderr) == (status, "", "imgur-dl: interrupted\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_that_lands_inside_a_weak_reference_s_callback_ends_the_run_all_the_same(
        imgur: Imgur, sig: signal.Signals, status: int, tmp_path: Path) -> None:
    # Ctrl-C that landed while Python ran a weak reference's callback (the import system's, as a module loads: seen
    # on Python 3.14 as the archive's driver was imported) raised its KeyboardInterrupt where Python can only report
    # it: "Exception ignored while calling weakref callback", a traceback, and the run went on to save everything
    # and exit 0. Here the signal is sent from inside such a callback, run as the command begins, and lands there.
    imgur.add_album("AbC1234", count=3)
    code = f"""if True:
        import os, signal, sys, weakref
        import imgur_dl.cli
        signal.signal(signal.SIGHUP, signal.SIG_DFL)  # (as a command started at a terminal has it)
        class Held:
            pass
        def landed(_ref):
            os.kill(os.getpid(), {int(sig)})
            for _ in range(1000):  # (its handler runs here, between two of the callback's steps)
                pass
        held = Held()
        ref = weakref.ref(held, landed)
        main = imgur_dl.cli.main
        def begin(*args, **kwargs):
            global held
            del held  # (its callback runs now)
            return main(*args, **kwargs)
        imgur_dl.cli.main = begin
        sys.argv = ["imgur-dl", "-o", "out", "https://imgur.com/a/AbC1234"]
        from imgur_dl.__main__ import run
        sys.exit(run())
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout) == (status, ""), done.stderr
    assert "Traceback" not in done.stderr and "interrupted" in done.stderr, done.stderr
    assert imgur.requests_to("i.imgur.com") == []  # (ended before its first file)


@pytest.mark.parametrize("first", [None, signal.SIGHUP])
@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_as_the_command_exits_ends_it_by_that_signal_with_no_traceback(
        imgur: Imgur, first: signal.Signals | None, sig: signal.Signals, status: int, tmp_path: Path) -> None:
    # A signal that came as Python was putting the command away, its last line said (a second one, after the first
    # ended it: seen on Python 3.14), was raised in Python's teardown and printed as a traceback. Now the command's
    # last steps leave each signal to the system's own action: the process ends at once, by that signal. Here it
    # comes as Python runs its exit callbacks, after a run (``first`` None) or after a first signal ended the command
    # before its run.
    imgur.add_album("AbC1234", count=2)
    code = f"""if True:
        import atexit, os, signal, sys
        import imgur_dl.cli
        signal.signal(signal.SIGHUP, signal.SIG_DFL)  # (as a command started at a terminal has it)
        atexit.register(lambda: os.kill(os.getpid(), {int(sig)}))
        set_them = imgur_dl.cli.handle_signals
        def handle_signals():
            set_them()
            if {int(first or 0)}:
                os.kill(os.getpid(), {int(first or 0)})
        imgur_dl.cli.handle_signals = handle_signals
        sys.argv = ["imgur-dl", "-o", "out", "https://imgur.com/a/AbC1234"]
        from imgur_dl.__main__ import run
        sys.exit(run())
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout) == (-sig, ""), done.stderr
    said = "imgur-dl: interrupted\n" if first else "imgur-dl: 1 album; files: 2 saved, 0 skipped, 0 failed;"
    assert done.stderr.startswith(said) and "Traceback" not in done.stderr, done.stderr
    assert status == 128 + sig  # (what a shell says of it)


def test_a_stream_for_people_whose_making_a_signal_cut_short_is_put_away_in_silence(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Seen on Python 3.14: a signal landed as the command's last line was about to be said, inside the making of its
    # stream for stderr, before the stream was given; put away, it was flushed, and Python printed "Exception ignored
    # while finalizing file" with an AttributeError.
    reported: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    half = Shown.__new__(Shown)  # (made, its __init__ cut short before its stream was set)
    io.TextIOBase.__init__(half)
    assert half.write("imgur-dl: interrupted\n") == 22  # (dropped)
    half.flush()  # (as it is put away: what Python before 3.13 did in silence, whatever it raised)
    del half
    gc.collect()
    assert reported == []


def test_every_file_the_command_reads_as_text_names_its_encoding(imgur: Imgur, tmp_path: Path) -> None:
    # A file read as text in the locale's encoding reads otherwise under another locale (PEP 597): every one the
    # command opens names its own. Here Python warns of one that does not, and the warning is an error: a scan that
    # downloads with readers side by side (the system's limits read from /proc and /sys), an archive, album.json.
    imgur.add_album("AbC1234", count=2)
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text("see https://imgur.com/a/AbC1234\n", encoding="utf-8")
    done = subprocess.run([*command(), "--scan", str(tmp_path / "a.txt"), "--scan", str(tmp_path / "b.txt"),
                           "--scan-jobs", "2", "-o", str(tmp_path / "out"), "--download-archive",
                           str(tmp_path / "archive.sqlite"), "--write-metadata"],
                          capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONWARNDEFAULTENCODING": "1",
                               "PYTHONWARNINGS": "error::EncodingWarning"})
    assert done.returncode == 0, done.stderr
    assert "1 album; files: 2 saved" in done.stderr, done.stderr


def test_windows_is_one_line_and_exit_2_for_the_command_and_a_usage_error_for_a_program(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pip installs imgur-dl on Windows as anywhere; run there, it read its options, then ended on a module Windows
    # lacks, said as a bug (unexpected ModuleNotFoundError: No module named 'fcntl'). Here Windows is played: its
    # name, and no fcntl.
    code = """if True:
        import sys
        sys.platform = "win32"
        sys.modules["fcntl"] = None
        sys.argv = ["imgur-dl", "https://imgur.com/a/AbC1234"]
        from imgur_dl.__main__ import run
        sys.exit(run())
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout) == (2, ""), done
    assert done.stderr == ("imgur-dl: error: Windows is not supported: imgur-dl keeps every file inside its folder "
                           "with POSIX's openat and O_NOFOLLOW, which Windows lacks; run it in WSL (the Windows "
                           "Subsystem for Linux)\n")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(sys, "platform", "win32")
    for asked in (lambda: imgur_dl.download("https://imgur.com/a/AbC1234", output=tmp_path / "out"),
                  lambda: imgur_dl.links("https://imgur.com/a/AbC1234")):
        with pytest.raises(imgur_dl.UsageError, match=r"^Windows is not supported: "):
            next(asked())
    assert list(tmp_path.iterdir()) == []


def test_urls_piped_in_with_no_option_to_read_them_are_pointed_at_the_one_that_does(tmp_path: Path) -> None:
    # `echo URL | imgur-dl` (or `imgur-dl < links.txt`), as other downloaders read their standard input: it was
    # "no URL given (try 'imgur-dl --help')", of a command that was given one.
    piped = subprocess.run(command(), input="https://imgur.com/a/AbC1234\n", capture_output=True, text=True,
                           check=False, timeout=60, cwd=tmp_path)
    assert (piped.returncode, piped.stderr) == (2, "imgur-dl: error: no URL given (URLs on standard input are read "
                                                   "with -i -, or --scan - for links in any text)\n")
    # (from a terminal, or /dev/null as cron gives, no URL is no URL)
    assert run_process(cwd=tmp_path).err == "imgur-dl: error: no URL given (try 'imgur-dl --help')\n"
    assert list(tmp_path.iterdir()) == []


def test_installed_command_end_to_end(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=3, title="From a shell")
    result = run_process("https://imgur.com/a/AbC1234", cwd=tmp_path)
    assert result.code == 0, result
    assert result.out == ""
    assert "Traceback" not in result.err
    assert len(files_under(tmp_path / "AbC1234 - From a shell")) == len(album.images)


def test_not_found_from_the_command_exits_3(imgur: Imgur, tmp_path: Path) -> None:
    result = run_process("https://imgur.com/a/Missing", cwd=tmp_path)
    assert result.code == 3, result
    assert "not found" in result.err
    assert "Traceback" not in result.err
    assert list(tmp_path.iterdir()) == []


def test_the_code_of_a_run_of_many_outcomes_is_the_worst_in_the_readme_s_order() -> None:
    # A script reads the README's order (a usage error outranks a token refused, a closed pipe a usage error):
    # each pair, either way round, gives the one the README puts first.
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"the code reports the worst outcome \(([\d, then]+)\)", readme)
    assert listed, "the README no longer gives the order"
    order = [ExitStatus(int(code)) for code in re.findall(r"\d+", listed[1])]
    assert sorted(order) == sorted(ExitStatus)
    for n, first in enumerate(order):
        for later in order[n + 1:]:
            assert worst([first, later]) is worst([later, first]) is first, (first, later)
    assert worst([]) is ExitStatus.SUCCESS


def test_progress_bar_only_on_a_terminal(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=3)
    shown = run_main("-o", str(tmp_path / "a"), "imgur.com/a/AbC1234", tty=True)
    assert shown.code == 0, shown
    assert "3/3 files" in shown.err
    hidden = run_main("-o", str(tmp_path / "b"), "imgur.com/a/AbC1234", tty=False)
    assert "3/3 files" not in hidden.err and "\r" not in hidden.err  # no bar
    assert hidden.err.splitlines() == ["imgur-dl: 1 album; files: 3 saved, 0 skipped, 0 failed; "
                                       + hidden.err.split("failed; ")[1].strip()]
    assert shown.out == hidden.out == ""


def test_quiet_prints_errors_only(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    assert run_main("-q", "-o", str(tmp_path), "imgur.com/a/AbC1234", tty=True).err == ""
    album.images[0].removed = True
    result = run_main("-q", "-o", str(tmp_path / "again"), "imgur.com/a/AbC1234", tty=True)
    assert result.code == 1
    assert result.err.strip() == f"imgur-dl: error: {album.id}/{album.images[0].id}: removed from Imgur"


def test_output_folder_from_the_environment(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    result = run_main("imgur.com/a/AbC1234", environ={"IMGUR_DL_OUTPUT": str(tmp_path / "env")})
    assert result.code == 0, result
    assert (tmp_path / "env" / "AbC1234").is_dir()


def test_a_variable_of_white_space_alone_is_as_none(imgur: Imgur, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # An env file's "IMGUR_DL_OUTPUT= " (a space left after the '='): not a folder named " ", nor an archive
    # named so; on the command line, such a path is refused, as an empty one is.
    imgur.add_album("AbC1234", count=1)
    monkeypatch.chdir(tmp_path)
    result = run_main("imgur.com/a/AbC1234", environ={"IMGUR_DL_OUTPUT": " ", "IMGUR_DL_ARCHIVE": "\t ",
                                                       "IMGUR_DL_WORKERS": " ", "IMGUR_CLIENT_ID": "  "})
    assert result.code == 0, result
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AbC1234"]
    for option in ("-o", "-i", "--scan", "--cookies", "--download-archive"):
        refused = run_main(option, " ", "imgur.com/a/AbC1234")
        assert refused.code == 2, refused
        assert refused.err.endswith(": a path of white space alone names nothing: ' '\n"), refused
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AbC1234"]


def test_a_path_as_an_env_file_may_give_it_is_refused_not_made(imgur: Imgur, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # An env file written on Windows (docker's --env-file keeps its "\r"): no folder "out\r", no archive
    # "seen.sqlite\r", each invisible in a listing; nor, from its quotes (kept too), a folder '"out dir"'. Each said,
    # as any other path that names nothing anyone means.
    imgur.add_album("AbC1234", count=1)
    monkeypatch.chdir(tmp_path)
    for variable, value in (("IMGUR_DL_OUTPUT", "out\r"), ("IMGUR_DL_ARCHIVE", "seen.sqlite\r")):
        refused = run_main("imgur.com/a/AbC1234", environ={variable: value})
        assert (refused.code, refused.err) == (2, f"imgur-dl: error: {variable}: a path holding a control character, "
                                                  "'\\r' (an env file written on Windows ends each line in it), names "
                                                  f"nothing anyone means: {value!r}\n")
    for variable, value in (("IMGUR_DL_OUTPUT", '"out dir"'), ("IMGUR_DL_ARCHIVE", "'seen.sqlite'")):  # (its quotes)
        refused = run_main("imgur.com/a/AbC1234", environ={variable: value})
        assert (refused.code, refused.err) == (2, f"imgur-dl: error: {variable}: a path in quotes names nothing anyone "
                                                  f"means: give it without them: {value!r}\n")
    refused = run_main("-o", "a\tb", "imgur.com/a/AbC1234")
    assert refused.err.endswith("-o/--output: a path holding a control character, '\\t', names nothing anyone "
                                "means: 'a\\tb'\n"), refused
    assert list(tmp_path.iterdir()) == [] and imgur.log == []


def test_a_windows_path_is_refused_not_made_here(imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pasted from Explorer into WSL's shell: a folder "C:\Users\me\Pictures" was made in the current one (a backslash
    # is a character of a name here), and "D:\imgur\seen.sqlite" started an empty archive beside it, each run anew.
    imgur.add_album("AbC1234", count=1)
    monkeypatch.chdir(tmp_path)
    for args in (["-o", "C:\\Users\\me\\Pictures"], ["--download-archive", "D:/imgur/seen.sqlite"],
                 ["-i", "\\\\nas\\share\\list.txt"]):
        refused = run_main(*args, "imgur.com/a/AbC1234")
        assert refused.code == 2 and refused.err.count("\n") == 1, refused
        assert f"a Windows path names nothing on this system: {args[1]!r} (WSL reaches drive C: as /mnt/c; for a " \
               "file or folder of that very name here, give ./ before it)" in refused.err, refused
    assert list(tmp_path.iterdir()) == [] and imgur.log == []
    # one there already is taken, as before
    (tmp_path / "C:\\pics").mkdir()
    assert run_main("-o", "C:\\pics", "imgur.com/a/AbC1234").code == 0
    assert len(files_under(tmp_path / "C:\\pics")) == 1


@pytest.mark.parametrize(("given", "in_effect"), [
    ({"REQUESTS_CA_BUNDLE": "other"}, "REQUESTS_CA_BUNDLE"),
    ({"CURL_CA_BUNDLE": "other", "SSL_CERT_FILE": "right"}, "CURL_CA_BUNDLE"),  # (curl's first, as curl reads them)
    ({}, None),  # (requests' own bundle)
])
def test_a_certificate_from_an_unknown_ca_is_refused_naming_the_certificates_trusted(
        imgur: Imgur, ca_bundle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: dict[str, str],
        in_effect: str | None) -> None:
    # The certificates trusted are said: a variable set elsewhere (a shell's profile, an image's) that wins over
    # the one set now shows itself.
    imgur.add_album("AbC1234", count=1)
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    for name, which in given.items():
        monkeypatch.setenv(name, {"other": str(other), "right": ca_bundle}[which])
    result = run_main("--retries", "0", "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    # (and with none set, this system's own store, where an intercepting proxy's CA is installed for curl)
    system = ssl.get_default_verify_paths().cafile
    store = f"; this system's own store, as curl reads it: REQUESTS_CA_BUNDLE={system}" if system else ""
    trusted = f"{in_effect}'s {other}" if in_effect else f"the bundle requests ships, {DEFAULT_CA_BUNDLE_PATH}{store}"
    assert ("the TLS certificate is not trusted (OpenSSL: unable to get local issuer certificate): is a proxy or "
            f"firewall intercepting TLS? Point REQUESTS_CA_BUNDLE at its CA certificate (trusted now: {trusted})"
            in result.err), result
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("days", "says"), [((-20, -10), "has expired"), ((10, 20), "is not valid yet")])
def test_a_certificate_outside_its_dates_points_at_the_clock(ca: trustme.CA, ca_bundle: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch, days: tuple[int, int],
                                                             says: str) -> None:
    # A machine whose clock is years behind (a board with no clock battery, after a power cut) sees every
    # certificate as not valid yet: it was told a proxy may be intercepting TLS. A direct link, so the file is
    # asked for too (once: the certificate would not change).
    now = datetime.datetime.now(datetime.timezone.utc)
    server = Imgur(ca, valid=(now + datetime.timedelta(days=days[0]), now + datetime.timedelta(days=days[1])))
    server.start()
    try:
        server.add_image("AbCdEfG")
        for name, value in server.environ(ca_bundle).items():
            monkeypatch.setenv(name, value)
        result = run_main("-o", str(tmp_path), "i.imgur.com/AbCdEfG.jpg")
    finally:
        server.stop()
    assert result.code == 1, result
    reason = (rf"the TLS certificate {says} by this machine's clock \(\d{{4}}-\d\d-\d\d \d\d:\d\d UTC\): is the clock "
              r"right\? \(If it is, a proxy may be intercepting TLS with an old certificate\.\)")
    assert re.fullmatch(rf"imgur-dl: error: AbCdEfG: {reason}", result.err.splitlines()[1]), result
    assert server.connects == 2 and result.waits == []


@pytest.mark.parametrize("rehashed", [False, True])
def test_a_folder_of_certificates_is_used_as_openssl_reads_one(imgur: Imgur, ca: trustme.CA, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch, rehashed: bool) -> None:
    # A corporate CA copied into a folder as corp.pem: OpenSSL finds certificates in a folder only by their
    # hashes, so it trusted nothing, and every site was "intercepted". Said at once now, with what to run.
    imgur.add_image("AbCdEfG")
    folder = tmp_path / "certs"
    folder.mkdir()
    ca.cert_pem.write_to_path(str(folder / "corp.pem"))
    if rehashed:
        subprocess.run(["openssl", "rehash", str(folder)], check=True, capture_output=True)  # noqa: S607
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(folder))
    result = run_main("-o", str(tmp_path / "out"), "i.imgur.com/AbCdEfG.jpg")
    if rehashed:
        assert result.code == 0, result
        return
    assert (result.code, result.err) == (2, f"imgur-dl: error: cannot use the CA bundle {folder} (REQUESTS_CA_BUNDLE): "
                                            "the folder holds "
                                            "no certificate named as OpenSSL looks one up (1a2b3c4d.0): run 'openssl "
                                            f"rehash {folder}' (or c_rehash), or name a bundle file instead\n")
    assert imgur.log == []


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_missing_ca_bundle_is_one_clear_line_naming_its_variable(imgur: Imgur, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   variable: str) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv(variable, str(tmp_path / "nowhere.pem"))
    result = run_main("imgur.com/a/AbC1234")
    assert result.code == 2, result
    assert result.err.startswith(f"imgur-dl: error: cannot use the CA bundle {tmp_path / 'nowhere.pem'} ({variable}): ")
    assert len(result.err.splitlines()) == 1
    assert imgur.log == []


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_openssl_s_own_variables_name_the_certificates_to_trust_as_for_curl(imgur: Imgur, ca: trustme.CA,
                                                                            ca_bundle: str, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch,
                                                                            variable: str) -> None:
    # Nix, Homebrew and many company machines set these, not requests' own: curl honours them, and imgur-dl
    # without them would trust only the bundle requests ships, which a TLS-inspecting proxy's CA is not in.
    imgur.add_image("AbCdEfG")
    folder = tmp_path / "certs"
    folder.mkdir()
    ca.cert_pem.write_to_path(str(folder / "corp.pem"))
    subprocess.run(["openssl", "rehash", str(folder)], check=True, capture_output=True)  # noqa: S607
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv(variable, ca_bundle if variable == "SSL_CERT_FILE" else str(folder))
    result = run_main("-o", str(tmp_path / "out"), "i.imgur.com/AbCdEfG.jpg")
    assert result.code == 0, result
    # requests' variable comes first, as it does for any requests program: a bundle without the proxy's CA there
    # is the one used, whatever OpenSSL's variable says.
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    result = run_main("--retries", "0", "-o", str(tmp_path / "out2"), "i.imgur.com/AbCdEfG.jpg")
    assert result.code == 1, result
    assert "the TLS certificate is not trusted" in result.err


def test_every_option_has_its_row_in_the_readme_s_table() -> None:
    # The README's table is where people look an option up: one added to the parser alone (as --share-work,
    # --lease, --fleet and --archive-table were) is an option they cannot find there.
    from imgur_dl.parser import build_parser  # noqa: PLC0415

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rows = "\n".join(line.partition(" | ")[0] for line in readme.splitlines() if line.startswith("| `-"))
    listed = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", rows))
    heads = [line.split("  ")[1] for line in build_parser({}).format_help().splitlines() if line.startswith("  -")]
    options = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", "\n".join(heads)))
    assert {"-i", "--input-file", "--fleet", "-q"} <= options  # (the help's option lines, as read here)
    assert options - {"-h", "--help", "--version"} - listed == set()


def test_a_bug_is_one_line_and_exit_1_and_debug_shows_it_whole(imgur: Imgur, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    imgur.add_album("AbC1234", count=1)

    def broken(targets: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "_looking_up", broken)  # (a bug where the run starts)
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (1, "imgur-dl: error: unexpected RuntimeError: a bug (--debug shows more)\n")
    with pytest.raises(RuntimeError, match="a bug"):  # (--debug: the whole of it, traceback and all)
        run_main("--debug", "-o", str(tmp_path), "imgur.com/a/AbC1234")
