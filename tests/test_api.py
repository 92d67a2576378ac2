"""The Python API: imgur_dl.download and imgur_dl.links, as a program would call them."""

from __future__ import annotations

import datetime
import gc
import gzip
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

import pytest

import imgur_dl
from imgur_dl import Failure, Result, Status, UsageError
from tests.conftest import held_below, held_open, run_main, until
from tests.standin import Fault, Imgur


def test_download_yields_a_typed_result_per_file_and_saves_them(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=3, title="Holiday")
    events = list(imgur_dl.download(["https://imgur.com/a/AbC1234", "imgur.com/a/Zzz9999"], output=tmp_path,
                                    workers=2))
    results = [e for e in events if isinstance(e, Result)]
    failures = [e for e in events if isinstance(e, Failure)]
    assert sorted(r.job.media.index for r in results) == [1, 2, 3]
    assert {r.status for r in results} == {Status.SAVED}
    for result, image in zip(sorted(results, key=lambda r: r.job.media.index), album.images, strict=True):
        assert result.path.read_bytes() == image.data
        assert result.path.parent.parent == tmp_path
    assert [f.id for f in failures] == ["Zzz9999"]


def test_a_rerun_yields_a_result_for_each_file_the_archive_has(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=5)
    archive = tmp_path / "seen.sqlite"
    first = list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path / "one", archive=archive))
    assert {r.status for r in first if isinstance(r, Result)} == {Status.SAVED}
    imgur.add_album("AbC1234", images=[*album.images, imgur.add_image("NeWw123")])  # one more since
    again = [r for r in imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path / "two", archive=archive)
             if isinstance(r, Result)]
    archived = [r for r in again if r.archived]
    assert [r.job.media.id for r in archived] == [i.id for i in album.images]  # each one, in album order
    assert {(r.status, r.path) for r in archived} == {(Status.SKIPPED, None)}
    assert [(r.job.media.id, r.status) for r in again if not r.archived] == [("NeWw123", Status.SAVED)]


def test_links_lists_direct_urls_and_downloads_nothing(imgur: Imgur, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    album = imgur.add_album("AbC1234", count=2)
    monkeypatch.chdir(tmp_path)
    assert list(imgur_dl.links(["imgur.com/a/AbC1234"])) == [f"https://i.imgur.com/{i.id}.jpeg" for i in album.images]
    assert not imgur.requests_to("i.imgur.com")
    assert not list(tmp_path.iterdir())


def test_bad_input_is_refused_before_any_request(imgur: Imgur, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        list(imgur_dl.download(["https://example.com/a/AbC1234"], output=tmp_path))
    with pytest.raises(TypeError, match="colour"):
        list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, colour=True))
    with pytest.raises(TypeError, match="get_urls"):  # (links() is the one that lists them)
        list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, get_urls=True))
    # The bounds the command line holds its options to, and its check of the output folder.
    for given, says in [({"workers": 0}, "workers: must be a whole number from 1 to 128, not 0"),
                        ({"workers": True}, "workers: must be a whole number from 1 to 128, not True"),
                        ({"timeout": float("nan")}, "timeout: must be seconds, more than 0 and up to 3600, not nan"),
                        ({"speed_time": 0}, "speed_time: must be seconds, more than 0 and up to 3600, not 0"),
                        ({"lease": 3600.5}, "lease: must be seconds, from 1 to 3600, not 3600.5"),
                        ({"max_size": 0}, "max_size: must be a whole number of bytes, 1 or more, not 0"),
                        ({"archive": "mysql://me:hunter22@db/imgur"}, "archive: not an archive imgur-dl can keep: "
                         "mysql://me:***@db/imgur (give an SQLite file's path, or a postgresql:// URL)"),
                        ({"archive": '"postgresql://me:hunter22@db/imgur"'}, "archive: postgresql://me:***@db/imgur "
                         "has quotes or spaces around it: give it without them"),
                        ({"lease": 0.5}, "lease: must be seconds, from 1 to 3600, not 0.5"),
                        ({"retries": 10**6}, "retries: must be a whole number from 0 to 100, not 1000000"),
                        ({"limit_rate": -1}, "limit_rate: must be bytes a second, 0 (no limit) or more, not -1"),
                        # The text options, as the command line checks them (what was given not repeated).
                        ({"client_id": "x y"}, "client_id: must be an Imgur client id (letters and digits)"),
                        ({"user_agent": "a\r\nX-Evil: 1"}, "user_agent: must be printable ASCII"),
                        ({"token": "hunter22 x"}, "token: must be an access token (letters, digits and -._~+/= only)"),
                        ({"proxy": "socks5://me:hunter22@proxy"}, "proxy: must be an http:// or https:// proxy URL"),
                        ({"archive_table": "x; drop"}, "--archive-table 'x; drop': use lower-case letters, digits "
                                                       "and '_' (at most 41, not starting with a digit)")]:
        with pytest.raises(UsageError) as refused:
            list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, **given))
        assert str(refused.value) == says
    (tmp_path / "a file").write_text("")
    with pytest.raises(UsageError) as refused:
        list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path / "a file"))
    assert str(refused.value) == f"output folder {tmp_path / 'a file'}: not a folder"
    with pytest.raises(UsageError, match="output: an empty path names nothing"):  # (not the current folder)
        list(imgur_dl.download(["imgur.com/a/AbC1234"], output=""))
    for blank in (" ", Path("\t")):  # (nor a folder named " ", nor an archive)
        with pytest.raises(UsageError, match="output: a path of white space alone names nothing"):
            list(imgur_dl.download(["imgur.com/a/AbC1234"], output=blank))
        with pytest.raises(UsageError, match="archive: a path of white space alone names nothing"):
            list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, archive=blank))
    with pytest.raises(UsageError) as refused:  # (a shell leaves such a word as it is: no folder anyone means)
        list(imgur_dl.download(["imgur.com/a/AbC1234"], output="~no-such-user-here/pics"))
    assert str(refused.value) == ("output: '~no-such-user-here/pics': this machine has no user 'no-such-user-here' "
                                  "(for a folder of that name, give ./~no-such-user-here/pics)")
    with pytest.raises(TypeError, match="dir_template: a template is a str, not int"):
        list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, dir_template=5))
    with pytest.raises(TypeError) as wrong:  # (the field the three words make: given whole, it must be one)
        list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, choice="1-5"))
    assert str(wrong.value) == "choice: a Choice, as range, since and break_on_existing make one, not str"
    assert not imgur.log


def test_a_password_given_to_another_option_is_not_repeated_by_the_error_that_refuses_it(imgur: Imgur,
                                                                                         tmp_path: Path) -> None:
    # A database's address given to the wrong option (as a program passes its own settings through): the command's
    # error line shows its password as ***; the error a program was given repeated it, as it was, for the
    # program's log, with the exception it was first read in chained to it.
    address = "postgresql://me:hunter22@db/imgur"
    for given, says in [({"timeout": address}, "timeout: must be seconds, more than 0 and up to 3600, not "
                                               "'postgresql://me:***@db/imgur'"),
                        ({"retries": address}, "retries: must be a whole number from 0 to 100, not "
                                               "'postgresql://me:***@db/imgur'"),
                        ({"break_on_existing": address}, "break_on_existing: must be a bool, as its flag takes "
                                                         "('postgresql://me:***@db/imgur')"),
                        ({"since": address}, "since: not a date, time or span: 'postgresql://me:***@db/imgur'")]:
        with pytest.raises(UsageError) as refused:
            list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, **given))
        assert str(refused.value).startswith(says), refused.value
        assert "hunter22" not in "".join(traceback.format_exception(refused.value))
    with pytest.raises(TypeError) as wrong:  # (a kind the API makes no table's name of, said as other kinds are)
        list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, archive_table=b"seen"))
    assert str(wrong.value) == "archive_table: a table's name is a str, not bytes"
    assert not imgur.log and not list(tmp_path.iterdir())


def test_a_url_given_twice_in_two_ways_is_fetched_once(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    results = list(imgur_dl.download(["imgur.com/a/AbC1234", "https://imgur.com/a/AbC1234/"], output=tmp_path))
    assert [r.status for r in results] == [Status.SAVED] * len(album.images)
    assert len(imgur.requests_to("api.imgur.com")) == 1  # as the command line: looked up once


def test_a_url_that_is_not_a_string_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="a URL is a str, not bytes"):
        list(imgur_dl.download([b"imgur.com/a/AbC1234"], output=tmp_path))
    with pytest.raises(TypeError, match="a URL is a str, not int"):
        list(imgur_dl.links(["imgur.com/a/AbC1234", 0]))
    with pytest.raises(TypeError, match=r"^URLs are text: give a str, or an iterable of them, not bytes$"):
        list(imgur_dl.download(b"imgur.com/a/AbC1234", output=tmp_path))  # (not each of its bytes as a URL)


def test_one_url_may_be_given_as_a_string(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    assert list(imgur_dl.links("imgur.com/a/AbC1234")) == [f"https://i.imgur.com/{i.id}.jpeg" for i in album.images]
    assert {r.status for r in imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path)} == {Status.SAVED}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_the_caller_handles_a_result_ends_the_run_and_reaches_the_caller(imgur: Imgur,
                                                                                       tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, size=200_000)
    imgur.faults.append(Fault("stall", path=f"/{album.images[1].id}\\..*", after=80_000))
    seen: list[Result | Failure] = []
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        for result in imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, workers=1, timeout=20, retries=0):
            seen.append(result)
            os.kill(os.getpid(), signal.SIGINT)  # pressed while the program handles its first result
    assert time.monotonic() - started < 10  # the stalled file is not waited out (20 s without data)
    assert [(r.job.media.id, r.status) for r in seen if isinstance(r, Result)] == [(album.images[0].id, Status.SAVED)]


def test_a_call_never_iterated_does_nothing_and_says_so(imgur: Imgur, tmp_path: Path) -> None:
    # ``imgur_dl.download(urls)`` written as a statement, as yt-dlp's ``ydl.download(urls)`` is: the run is made as
    # it is iterated, so nothing was fetched, and nothing said so.
    imgur.add_album("AbC1234", count=1)
    with pytest.warns(RuntimeWarning, match=r"^imgur_dl\.download\(\) was never iterated, so it did nothing: its "
                                            r"run is made as it is iterated \(for result in imgur_dl\.download"):
        imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path / "out")
    with pytest.warns(RuntimeWarning, match=r"^imgur_dl\.links\(\) was never iterated"):
        imgur_dl.links("imgur.com/a/AbC1234")
    assert imgur.log == [] and not (tmp_path / "out").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (one iterated, or closed on purpose, says nothing)
        assert len(list(imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path / "out"))) == 1
        imgur_dl.links("imgur.com/a/AbC1234").close()
        gc.collect()


def test_a_caller_that_stops_early_stops_the_run_at_once(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, size=200_000)
    imgur.faults.append(Fault("stall", path=f"/{album.images[1].id}\\..*", after=80_000))
    started = time.monotonic()
    results = imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, workers=2, timeout=20, retries=0)
    first = next(r for r in results if isinstance(r, Result))
    results.close()  # (as a loop's break, or an exception in it, leaves it)
    assert time.monotonic() - started < 10  # the stalled file is not waited out (20 s without data)
    assert first.job.media.id == album.images[0].id
    assert not (tmp_path / album.id / f"002-{album.images[1].id}.jpg").exists()
    # A program that goes on gets back what the run held: the album folder's descriptor, once the stalled
    # worker (cancelled) has ended; run after run, a program that stops early would run out of them.
    assert until(lambda: not held_below(tmp_path)), held_below(tmp_path)


def test_a_run_called_while_the_caller_handles_an_exception_ends_as_any_other(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=2)
    try:
        raise ValueError("the caller's own")
    except ValueError:
        results = list(imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path))  # no KeyboardInterrupt
    assert [r.status for r in results if isinstance(r, Result)] == [Status.SAVED] * 2


def test_a_program_with_no_stderr_at_all_gets_its_results(imgur: Imgur, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Under pythonw (a GUI program on Windows, a service), sys.stderr is None: error lines go nowhere.
    imgur.add_album("AbC1234", count=2)
    imgur.faults.append(Fault("status", path="/Ab00001.jpeg", status=500))
    monkeypatch.setattr(sys, "stderr", None)
    events = list(imgur_dl.download(["imgur.com/a/AbC1234", "imgur.com/a/Zzz9999"], output=tmp_path, retries=0))
    assert sorted((e.job.media.id, e.status) for e in events if isinstance(e, Result)) == [
        ("Ab00000", Status.SAVED), ("Ab00001", Status.FAILED)]
    assert [f.id for f in events if isinstance(f, Failure)] == ["Zzz9999"]


def test_a_listings_posts_are_chosen_as_the_flags_choose_them(imgur: Imgur, tmp_path: Path) -> None:
    day = 86_400
    posts = [imgur.add_image(f"Im{n:05d}", in_gallery=True) for n in range(5)]
    for n, post in enumerate(posts):
        post.datetime = 1_760_000_000 - n * day  # newest first: 2025-10-09 08:53:20Z, then a day earlier each
    imgur.add_listing("user", "Miguenzo", list(posts))
    events = list(imgur_dl.download("imgur.com/user/Miguenzo", output=tmp_path, since="2025-10-07T08:53Z"))
    assert sorted(e.job.media.id for e in events if isinstance(e, Result)) == [p.id for p in posts[:3]]
    assert len(list(imgur_dl.links("imgur.com/user/Miguenzo", range=None, since=None))) == 5  # (None: not given)
    # A program's own times: a date is its midnight in UTC, as the flag's day; a datetime is the moment it is (one
    # without a zone in local time, as Python reads one).
    utc = datetime.timezone.utc
    assert len(list(imgur_dl.links("imgur.com/user/Miguenzo", since=datetime.date(2025, 10, 7)))) == 3
    assert len(list(imgur_dl.links("imgur.com/user/Miguenzo", since=datetime.date(2025, 10, 8)))) == 2
    assert len(list(imgur_dl.links("imgur.com/user/Miguenzo",
                                   since=datetime.datetime(2025, 10, 7, 8, 53, 21, tzinfo=utc)))) == 2
    east = datetime.timezone(datetime.timedelta(hours=2))
    assert len(list(imgur_dl.links("imgur.com/user/Miguenzo",
                                   since=datetime.datetime(2025, 10, 7, 10, 53, 20, tzinfo=east)))) == 3
    before = os.environ.get("TZ")
    os.environ["TZ"] = "JST-9"  # (local time nine hours ahead of UTC, as POSIX writes a zone: no tzdata needed)
    time.tzset()
    try:
        naive = datetime.datetime(2025, 10, 7, 17, 53, 20)  # (08:53:20Z, in this local time)
        assert len(list(imgur_dl.links("imgur.com/user/Miguenzo", since=naive))) == 3
        assert len(list(imgur_dl.links("imgur.com/user/Miguenzo", since=naive + datetime.timedelta(seconds=1)))) == 2
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
    # A span is back from the call: "7d" as the flag takes it, or a timedelta (posts[2] is so many days old).
    days = (time.time() - posts[2].datetime) / day
    assert len(list(imgur_dl.links("imgur.com/user/Miguenzo", since=datetime.timedelta(days=days + 0.5)))) == 3
    assert len(list(imgur_dl.links("imgur.com/user/Miguenzo", since=f"{int((days + 0.5) * 24)}h"))) == 3
    assert len(list(imgur_dl.links("imgur.com/user/Miguenzo", since="1d"))) == 0
    with pytest.raises(UsageError, match=r"^since: not a time this system can count: datetime\.datetime\(1, 1, 1"):
        list(imgur_dl.links("imgur.com/user/Miguenzo", since=datetime.datetime(1, 1, 1)))
    with pytest.raises(UsageError,
                       match=r"^since: must be a str, as its flag takes, or a date, datetime or timedelta \(5\)"):
        list(imgur_dl.links("imgur.com/user/Miguenzo", since=5))
    assert list(imgur_dl.links("imgur.com/user/Miguenzo", range="2-3,5")) == [
        f"https://i.imgur.com/{p.id}.jpg" for p in (posts[1], posts[2], posts[4])]
    with pytest.raises(UsageError, match=r"^since: not a date, time or span: 'last week'"):
        list(imgur_dl.links("imgur.com/user/Miguenzo", since="last week"))
    with pytest.raises(UsageError, match=r"^range: not a range of positions: '0-2'"):
        list(imgur_dl.links("imgur.com/user/Miguenzo", range="0-2"))
    with pytest.raises(UsageError, match="range: must be a str"):
        list(imgur_dl.links("imgur.com/user/Miguenzo", range=5))
    with pytest.raises(UsageError, match="break_on_existing: must be a bool"):
        list(imgur_dl.links("imgur.com/user/Miguenzo", break_on_existing="yes"))
    for asked in ({"break_on_existing": True}, {"dedupe": True}, {"share_work": True}):
        with pytest.raises(UsageError, match=f"{next(iter(asked))} needs archive"):
            list(imgur_dl.download("imgur.com/user/Miguenzo", output=tmp_path, **asked))
    with pytest.raises(TypeError, match="not both"):
        list(imgur_dl.links("imgur.com/user/Miguenzo", range="1", choice=None))
    # As the command line says: an album's files are not chosen (all would come while some were asked for).
    imgur.add_album("AbC1234", count=3)
    for asked in ({"range": "1-2"}, {"since": "2025-10-07"}):
        with pytest.raises(UsageError, match=f"^{next(iter(asked))} chooses posts of a listing .*no URL given is one"):
            next(imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path / "album", **asked))
        with pytest.raises(UsageError, match="chooses posts of a listing"):
            next(imgur_dl.links("imgur.com/a/AbC1234", **asked))
    assert not (tmp_path / "album").exists()
    assert len(list(imgur_dl.links(["imgur.com/a/AbC1234", "imgur.com/user/Miguenzo"], range="1"))) == 4


def test_a_caller_that_stops_early_keeps_no_connection_open(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2, size=50_000)
    imgur.faults.append(Fault("stall", path=f"/{album.images[1].id}\\..*", after=20_000))
    port = int(imgur.proxy_url.rsplit(":", 1)[1])
    gc.disable()  # (what the run lets go of is closed as it is let go of, not once a collection finds it)
    try:
        results = imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, workers=2, timeout=20, retries=0)
        next(r for r in results if isinstance(r, Result))  # the first file, its connection back in its pool ...
        assert imgur.wait_until(lambda i: bool(i.requests_to("i.imgur.com", f"/{album.images[1].id}\\..*")))
        results.close()  # ... while the other one is being fetched
        assert until(lambda: not [t for t in threading.enumerate() if t.name.startswith("imgur-dl")])
        assert _connections_to(port) == []
    finally:
        gc.enable()


def test_a_caller_that_stops_early_while_an_answer_is_awaited_gets_its_workers_back_at_once(
        imgur: Imgur, tmp_path: Path) -> None:
    # A server holding its answer (its headers not sent yet): the worker waiting on it was not woken by the run's
    # end, and held its thread and connection for the whole --timeout (30 s here) after the program had moved on.
    album = imgur.add_album("AbC1234", count=2)
    held = Fault("hold", path=f"/{album.images[1].id}\\..*")
    imgur.faults.append(held)
    try:
        results = imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path, workers=2, timeout=30, retries=0)
        next(r for r in results if isinstance(r, Result))
        assert imgur.wait_until(lambda i: i.held >= 1)
        results.close()
        assert until(lambda: not [t for t in threading.enumerate() if t.name.startswith("imgur-dl")], seconds=10)
    finally:
        held.release.set()


def _connections_to(port: int) -> list[str]:
    """This process's TCP connections to ``port`` on 127.0.0.1 that are open at its end (its sockets' inodes)."""
    held = set(held_open())
    lines = Path("/proc/self/net/tcp").read_text().splitlines()[1:]
    return [line for line in lines if int(line.split()[2].split(":")[1], 16) == port
            and f"socket:[{line.split()[9]}]" in held]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("end", ["iterated", "closed"])
def test_a_run_begun_here_and_ended_in_another_thread_leaves_ctrl_c_to_the_program(imgur: Imgur, tmp_path: Path,
                                                                                   end: str) -> None:
    # A program that starts a run and hands it to a worker thread (or closes it from one, as a GUI's cancel
    # button does): only the main thread may set a signal's handler.
    imgur.add_album("AbC1234", count=3)
    results = imgur_dl.download(["imgur.com/a/AbC1234"], output=tmp_path)
    seen = [next(results)]
    raised: list[BaseException] = []

    def finish() -> None:
        try:
            if end == "iterated":
                seen.extend(results)
            else:
                results.close()
        except BaseException as exc:  # (what the loop raised, for the assertion)
            raised.append(exc)

    thread = threading.Thread(target=finish)
    thread.start()
    thread.join(30)
    assert raised == []
    assert len(seen) == (3 if end == "iterated" else 1)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)  # the program's, as before the run


def test_a_run_writes_where_its_output_was_as_it_began_whatever_folder_the_program_moves_to(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An output given relative to the working folder, which the program changes between two results: the run's
    # files and album.json files stay in the one it began in.
    imgur.add_album("AbC1234", count=12)  # (more than a worker has queued: the second's folder is not opened yet)
    imgur.add_album("XyZ9876", count=3)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    results = []
    for result in imgur_dl.download(["imgur.com/a/AbC1234", "imgur.com/a/XyZ9876"], output="pictures", workers=1,
                                    write_metadata=True, archive=str(tmp_path / "seen.sqlite")):
        results.append(result)
        os.chdir(second)
    assert sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file()) == [
        *(f"pictures/AbC1234/{n + 1:03}-Ab{n:05}.jpg" for n in range(12)), "pictures/AbC1234/album.json",
        *(f"pictures/XyZ9876/{n - 11:03}-Xy{n:05}.jpg" for n in range(12, 15)), "pictures/XyZ9876/album.json"]
    assert list(second.iterdir()) == []
    assert sorted(str(r.path) for r in results if isinstance(r, Result) and r.status is Status.SAVED)[:1] == [
        "pictures/AbC1234/001-Ab00000.jpg"]  # (as the output was given)


def test_an_option_of_another_kind_is_a_type_error_and_a_path_may_be_given_as_open_takes_one(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A program's None or "false" passed through: before, a folder named "None" (or "b'pics'", or "5") was made,
    # and wayback="false" asked the Wayback Machine for what Imgur no longer had.
    imgur.add_album("AbC1234", count=1)
    monkeypatch.chdir(tmp_path)
    for given, says in [({"output": None}, "output: a path is a str, bytes or os.PathLike, not NoneType"),
                        ({"output": 5}, "output: a path is a str, bytes or os.PathLike, not int"),
                        ({"archive": 5}, "archive: a path is a str, bytes or os.PathLike, not int"),
                        ({"wayback": "false"}, "wayback: a bool, not str"),
                        ({"write_metadata": 1}, "write_metadata: a bool, not int"),
                        ({"dates": None}, "dates: a bool, not NoneType")]:
        with pytest.raises(TypeError) as wrong:
            list(imgur_dl.download("imgur.com/a/AbC1234", **{"output": "pics", **given}))
        assert str(wrong.value) == says
    assert not imgur.log and not list(tmp_path.iterdir())
    # (bytes, and an os.PathLike, as open() takes them)
    saved = list(imgur_dl.download("imgur.com/a/AbC1234", output=b"pics", archive=Path("seen.sqlite")))
    assert [(r.status, str(r.path)) for r in saved if isinstance(r, Result)] == [
        (Status.SAVED, "pics/AbC1234/001-Ab00000.jpg")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pics", "seen.sqlite"]


def test_an_option_that_does_nothing_in_the_call_is_said_to(imgur: Imgur, tmp_path: Path) -> None:
    # As the command says of -g with --write-metadata: a program that means it learns it does not.
    imgur.add_album("AbC1234", count=1)
    with pytest.warns(UserWarning) as said:
        assert len(list(imgur_dl.links("imgur.com/a/AbC1234", write_metadata=True, dates=False, scan_jobs=2))) == 1
    assert [str(warning.message) for warning in said] == [
        "imgur_dl.links(): write_metadata, dates do nothing: links() downloads nothing",
        "imgur_dl.links(): scan_jobs does nothing: only a scan reads files: links_in(), download(scan=...)"]
    with pytest.warns(UserWarning, match=r"^imgur_dl\.download\(\): lease does nothing: it is how long a claim of "
                                         r"share_work lasts$"):
        list(imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path / "out", lease=60))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (each meant something, or was given as it would have been anyway)
        list(imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path / "out", write_metadata=True, dates=False))
        list(imgur_dl.links("imgur.com/a/AbC1234", write_metadata=False, archive=str(tmp_path / "seen.sqlite")))


def test_what_is_wrong_with_a_call_is_raised_and_what_does_nothing_warned_of_at_the_call(
        imgur: Imgur, tmp_path: Path) -> None:
    # As a function's arguments are checked where it is called: before, nothing was raised until the program first
    # iterated (its loop's line in the traceback, or a worker thread's), and the warning named imgur-dl's own line.
    imgur.add_album("AbC1234", count=1)
    with pytest.raises(TypeError, match=r"^wayback: a bool, not str$"):
        imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path / "out", wayback="false")
    with pytest.raises(UsageError, match="workers"):
        imgur_dl.links("imgur.com/a/AbC1234", workers=0)
    with pytest.raises(TypeError, match=r"^URLs are text"):
        imgur_dl.links(b"imgur.com/a/AbC1234")
    with pytest.raises(UsageError, match=r"^dir_template: \{title\} is a file's own field, .*in name_template; "
                                         r"\{album_title\} is the album's title\)$"):
        imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path / "out", dir_template="{title}")
    with pytest.warns(UserWarning) as said:
        run = imgur_dl.links("imgur.com/a/AbC1234", write_metadata=True)
    assert [(Path(w.filename), str(w.message)) for w in said] == [
        (Path(__file__), "imgur_dl.links(): write_metadata does nothing: links() downloads nothing")]
    assert imgur.log == [] and not (tmp_path / "out").exists()
    run.close()


def test_relative_paths_are_taken_from_the_working_folder_as_the_call_is_made(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A program that makes its calls, then moves elsewhere before it iterates them: the output folder and the archive
    # are where the call named them (before: below the folder the program had moved to).
    imgur.add_album("AbC1234", count=2)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    run = imgur_dl.download("imgur.com/a/AbC1234", output="pictures", archive="seen.sqlite")
    os.chdir(second)
    saved = [r for r in run if isinstance(r, Result)]
    files = ["pictures/AbC1234/001-Ab00000.jpg", "pictures/AbC1234/002-Ab00001.jpg"]
    assert sorted(str(r.path) for r in saved) == files
    assert sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file()) == [*files, "seen.sqlite"]
    assert list(second.iterdir()) == []
    os.chdir(tmp_path)
    rerun = [r for r in imgur_dl.download("imgur.com/a/AbC1234", output="elsewhere", archive="first/seen.sqlite")
             if isinstance(r, Result)]
    assert {(r.status, r.archived) for r in rerun} == {(Status.SKIPPED, True)}  # (the archive the first run kept)


def test_a_tilde_in_the_archive_s_path_is_home_as_the_command_takes_it(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As --download-archive=~/seen.sqlite is (one word no shell expands), and as output is: before, "cannot use
    # ~/seen.sqlite as a download archive: there is no folder ~".
    imgur.add_album("AbC1234", count=1)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    saved = [r for r in imgur_dl.download("imgur.com/a/AbC1234", output="~/pics", archive="~/seen.sqlite")
             if isinstance(r, Result)]
    assert [r.status for r in saved] == [Status.SAVED]
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["pics", "seen.sqlite"]
    with pytest.raises(UsageError, match=r"^archive: '~no-such-user-here/seen\.sqlite': this machine has no user "):
        imgur_dl.download("imgur.com/a/AbC1234", output="~/pics", archive="~no-such-user-here/seen.sqlite")


# -- links_in(), download(scan=...): the command's --scan --------------------------------------------------------------

def _dump(folder: Path) -> list[Path]:
    """Three files as a scan meets them: text, gzip, a folder's; a link repeated across them, a listing among them."""
    (folder / "deep").mkdir(parents=True)
    text = folder / "notes.txt"
    text.write_text("see https://imgur.com/a/AbC1234 and i.imgur.com/XyZ9876.jpg\nhttps://imgur.com/t/cats\n")
    packed = folder / "comments.json.gz"
    packed.write_bytes(gzip.compress(b'{"body": "[pic](https://imgur.com/gallery/QqQqQqQ) https://imgur.com/a/AbC1234"}'))
    (folder / "deep" / "page.html").write_text('<a href="https://imgur.com/a/DeF5678">an album</a>')
    return [text, packed, folder / "deep"]


@pytest.mark.parametrize("no_listings", [False, True])
def test_links_in_gives_what_the_command_s_scan_prints_and_asks_nothing_of_imgur(
        imgur: Imgur, tmp_path: Path, no_listings: bool) -> None:
    files = _dump(tmp_path / "dump")
    flags = ["--no-listings"] if no_listings else []
    printed = run_main("-g", *flags, *(word for file in files for word in ("--scan", str(file))))
    assert printed.code == 0, printed
    found = list(imgur_dl.links_in(files, no_listings=no_listings))
    assert sorted(found) == sorted(printed.out.splitlines())  # (read side by side: each file's in its order)
    one_by_one = run_main("-g", *flags, "--scan-jobs", "1", *(word for file in files for word in ("--scan", str(file))))
    assert list(imgur_dl.links_in(files, no_listings=no_listings, scan_jobs=1)) == one_by_one.out.splitlines()
    assert sorted(found) == sorted(["https://imgur.com/a/AbC1234", "https://i.imgur.com/XyZ9876.jpg",
                                    "https://imgur.com/gallery/QqQqQqQ", "https://imgur.com/a/DeF5678",
                                    *([] if no_listings else ["https://imgur.com/t/cats"])])
    assert list(imgur_dl.links_in(str(files[0]), scan_jobs=1)) == [
        "https://imgur.com/a/AbC1234", "https://i.imgur.com/XyZ9876.jpg", "https://imgur.com/t/cats"]
    assert imgur.log == []


def test_links_in_refuses_at_the_call_what_it_cannot_read_and_says_what_reading_met(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("list.txt").write_text("https://imgur.com/a/AbC1234")
    with pytest.raises(UsageError, match=r"^cannot scan nope\.txt: No such file or directory$"):
        imgur_dl.links_in(["nope.txt"])
    with pytest.raises(UsageError, match=r"^cannot scan nope\.txt: No such file or directory$"):
        imgur_dl.download(scan=["list.txt", "nope.txt"])
    with pytest.raises(TypeError, match=r"^files: a path, or an iterable of them, not int$"):
        imgur_dl.links_in(3)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^scan_jobs: must be None, or a whole number from 1 to 1024, not 0$"):
        imgur_dl.links_in([], scan_jobs=0)
    # "-" is a file of that name, not standard input (a program's, which it may be reading itself).
    Path("-").write_text("https://imgur.com/a/AbC1234")
    assert list(imgur_dl.links_in("-")) == ["https://imgur.com/a/AbC1234"]
    # A file cut short: what came before the cut, the other files whole, and one line on stderr for it.
    Path("cut.gz").write_bytes(gzip.compress(b"x https://imgur.com/a/CuT1234\n" + b"y" * 5000)[:-12])
    capsys.readouterr()
    assert sorted(imgur_dl.links_in(["cut.gz", "-"])) == ["https://imgur.com/a/AbC1234", "https://imgur.com/a/CuT1234"]
    assert capsys.readouterr().err == ("imgur-dl: error: cut.gz: cannot read on (Compressed file ended before the "
                                       "end-of-stream marker was reached); what was found before it still counts\n")


def test_download_with_scan_fetches_what_the_files_name_after_the_urls_each_once(imgur: Imgur, tmp_path: Path) -> None:
    first = imgur.add_album("AbC1234", count=2)
    second = imgur.add_album("DeF5678", count=1)
    files = _dump(tmp_path / "dump")
    for gone in ("XyZ9876", "QqQqQqQ"):  # (named in the files, not on Imgur)
        imgur.faults.append(Fault("status", host="api.imgur.com", path=f".*{gone}.*", status=404, body=b"{}"))
    out = tmp_path / "dump" / "out"  # (inside a folder scanned: not read, as the command leaves its -o out)
    results = list(imgur_dl.download("https://imgur.com/a/DeF5678", output=out, scan=files, no_listings=True,
                                      workers=2))
    saved = sorted(str(r.path.relative_to(out)) for r in results if isinstance(r, Result) and r.status is Status.SAVED)
    assert saved == sorted(f"{album.id}/00{n}-{image.id}.jpg" for album in (first, second)
                           for n, image in enumerate(album.images, 1))
    assert [(r.job.media.id, r.error) for r in results if isinstance(r, Result) and r.status is Status.FAILED] == [
        ("XyZ9876", "removed from Imgur")]  # (its direct link, fetched: the CDN's placeholder)
    assert [f.url for f in results if isinstance(f, Failure)] == ["https://imgur.com/gallery/QqQqQqQ"]
    asked = [path for _, _, path, _ in imgur.requests_to("api.imgur.com", r"/post/v1/albums/.*")]
    assert sorted(asked) == ["/post/v1/albums/AbC1234", "/post/v1/albums/DeF5678"]  # (each once)
    assert not [path for _, _, path, _ in imgur.log if "cats" in path]  # (no_listings: the tag left unread)


def test_scan_options_mean_something_only_in_a_scan_and_a_range_that_chose_nothing_is_said(
        imgur: Imgur, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    imgur.add_album("AbC1234", count=1)
    (tmp_path / "list.txt").write_text("https://imgur.com/a/AbC1234")
    with pytest.warns(UserWarning, match=r"^imgur_dl\.download\(\): scan_jobs does nothing: only a scan reads files: "
                                         r"links_in\(\), download\(scan=\.\.\.\)$"):
        list(imgur_dl.download("imgur.com/a/AbC1234", output=tmp_path / "out", scan_jobs=2))
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = list(imgur_dl.download(output=tmp_path / "out", scan=tmp_path / "list.txt", scan_jobs=2,
                                         range="1-2"))
    assert [r.status for r in results if isinstance(r, Result)] == [Status.SKIPPED]
    # (known only once the files are read: a range with no listing among the URLs is refused at once instead)
    assert capsys.readouterr().err == ("imgur-dl: range chose nothing: the scan found no listing (a user's posts or "
                                       "favorites, a tag, a subreddit, a search), and an album is always fetched "
                                       "whole\n")


def test_a_scan_s_relative_paths_are_taken_from_the_working_folder_as_the_call_is_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "first" / "list.txt").write_text("https://imgur.com/a/AbC1234")
    monkeypatch.chdir(tmp_path / "first")
    found = imgur_dl.links_in(["list.txt"])
    os.chdir(tmp_path)
    assert list(found) == ["https://imgur.com/a/AbC1234"]


def test_a_caller_that_stops_a_scan_early_leaves_no_reader_behind(tmp_path: Path) -> None:
    # Several files are read side by side, each by a process of its own: a caller that has what it wants ends them.
    for n in range(4):
        (tmp_path / f"{n}.txt").write_text("".join(f"https://imgur.com/a/A{n}{i:05d}\n" for i in range(20_000)))
    found = imgur_dl.links_in(sorted(tmp_path.iterdir()), scan_jobs=3)
    first = next(found)
    assert first.startswith("https://imgur.com/a/A") and multiprocessing.active_children()  # (read side by side)
    found.close()
    assert multiprocessing.active_children() == []


def test_a_script_s_scan_reads_in_its_own_process_unless_it_asks_for_more(tmp_path: Path) -> None:
    # Each reader of a scan side by side imports the program's main module again (multiprocessing's "forkserver"
    # way): a script whose code is not guarded by __name__ ran again there, and every file "ended (exit status 1)".
    for n in range(3):
        (tmp_path / f"{n}.txt").write_text(f"https://imgur.com/a/AbC123{n}\n")
    script = tmp_path / "find.py"
    script.write_text("import multiprocessing, sys, imgur_dl\n"
                      "for url in imgur_dl.links_in(sys.argv[1:]):\n"
                      "    assert not multiprocessing.active_children()\n"
                      "    print(url)\n")
    done = subprocess.run([sys.executable, str(script), *(str(tmp_path / f"{n}.txt") for n in range(3))],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [f"https://imgur.com/a/AbC123{n}" for n in range(3)]
    # Asked for processes all the same: the first that ends as it started is the last started, and the files are
    # read here (before: each file failed, "the process reading it ended (exit status 1)").
    script.write_text(script.read_text().replace("links_in(sys.argv[1:])", "links_in(sys.argv[1:], scan_jobs=3)")
                      .replace("    assert not multiprocessing.active_children()\n", ""))
    done = subprocess.run([sys.executable, str(script), *(str(tmp_path / f"{n}.txt") for n in range(3))],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done
    assert sorted(done.stdout.splitlines()) == [f"https://imgur.com/a/AbC123{n}" for n in range(3)]
    assert done.stderr == ("imgur-dl: warning: --scan-jobs 3: a reader ended as it started (a program's main module, "
                           "which each imports again, with code not guarded by if __name__ == \"__main__\"?): files "
                           "read one after another\n")
