"""Many processes, one archive: PostgreSQL beside SQLite, --share-work claims and leases, --fleet.

Every test here runs against a real server: an SQLite file, and a PostgreSQL
cluster the tests start themselves (tests/postgres.py).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import json
import logging
import math
import os
import re
import signal
import socket
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import imgur_dl
from imgur_dl import archive_sqlite
from imgur_dl.archive import Entry, Record, Settle, Store, open_archive, open_store
from imgur_dl.archive_place import redact
from imgur_dl.archive_postgres import PostgresStore
from imgur_dl.clock import Clock
from imgur_dl.dbwatch import Cut, Watchdog
from imgur_dl.errors import ArchiveUnavailable
from imgur_dl.share import Claims, Sharing
from tests.clock import FastClock
from tests.conftest import ArchiveAt, Outcome, files_under, run_main, until
from tests.launcher import Forked, Launcher
from tests.postgres import Bouncer, Postgres, Relay
from tests.standin import AlbumData, Fault, Image, Imgur


def _rows(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def _start(launcher: Launcher, *args: str) -> Forked:
    return launcher.spawn(args, text=True)


def _expected_files(albums: list[AlbumData], listing: str = "", posts: tuple[AlbumData | Image, ...] = ()
                    ) -> dict[str, bytes]:
    files = {f"{a.id}/{n:03d}-{i.id}.jpg": i.data for a in albums for n, i in enumerate(a.images, 1)}
    for post in posts:
        if isinstance(post, Image):
            files[f"{listing}/{post.id}.jpg"] = post.data
        else:
            files.update({f"{listing}/{k}": v for k, v in _expected_files([post]).items()})
    return files


# -- dividing the work --------------------------------------------------------------------------

def test_three_processes_divide_a_list_and_a_listing_each_file_fetched_once(
        imgur: Imgur, tmp_path: Path, archive: ArchiveAt, launcher: Launcher) -> None:
    albums = [imgur.add_album(f"Lst{n:04d}", count=2, size=400) for n in range(60)]
    posted = [imgur.add_album(f"Pst{n:04d}", count=2, size=400) for n in range(6)]
    lone = [imgur.add_image(f"Img{n:04d}", size=400) for n in range(6)]
    imgur.add_listing("tag", "cats", [*posted, *lone])
    imgur.page_size = 4  # three pages
    links = tmp_path / "links.txt"
    links.write_text("".join(f"https://imgur.com/a/{a.id}\n" for a in albums) + "https://imgur.com/t/cats\n")
    out = tmp_path / "out"
    procs = [_start(launcher, "--json", "--share-work", "--download-archive", archive.location, "-o", str(out),
                    "-i", str(links)) for _ in range(3)]
    rows = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        rows.append(_rows(stdout))
    # Every file is there, and was fetched once across the three.
    assert files_under(out) == _expected_files(albums, "tag cats", (*posted, *lone))
    fetched = Counter(path for _, _, path, _ in imgur.requests_to("i.imgur.com"))
    assert len(fetched) == 2 * 66 + 6 and set(fetched.values()) == {1}
    looked_up = Counter(path for _, _, path, _ in imgur.requests_to("api.imgur.com", "/post/v1/albums/.*"))
    assert len(looked_up) == 66 and set(looked_up.values()) == {1}
    # Each process says what it saved and what it left to the others, and the two add up.
    saved = [{r["id"] for r in rs if r["status"] == "saved"} for rs in rows]
    assert sum(map(len, saved)) == len(set().union(*saved)) == 2 * 66 + 6
    elsewhere = [r for rs in rows for r in rs if r["status"] == "claimed elsewhere"]
    assert all(r["by"].count(":") >= 2 and r["error"] is None for r in elsewhere)
    for rs in rows:  # every album of the list: saved by this process, or by another (a listed post may also
        # be found complete in the archive before it is claimed, and is then counted as such)
        covered = {r["album"] for r in rs if r["status"] == "saved"}
        covered |= {r["id"] for r in rs if r["status"] == "claimed elsewhere"}
        assert {a.id for a in albums} <= covered
    assert sorted(archive.rows("SELECT state, count(*) FROM archive_claims GROUP BY state")) == [("done", 72)]


def test_two_machines_scanning_one_crawl_divide_what_it_links(imgur: Imgur, tmp_path: Path, archive: ArchiveAt,
                                                             launcher: Launcher) -> None:
    # The same dump scanned on two machines sharing one archive (a crawl, its pages' bodies gzip-encoded, and
    # the links to listings left unread): each file fetched once, every album saved by one or the other.
    albums = [imgur.add_album(f"Crw{n:04d}", count=2, size=400) for n in range(30)]
    imgur.add_listing("tag", "cats", [imgur.add_album("Cat0001", count=1)])
    pages = [f'<a href="https://imgur.com/a/{a.id}">post</a> <a href="/t/cats">https://imgur.com/t/cats</a>'.encode()
             for a in albums]
    crawl = tmp_path / "crawl.warc.gz"
    crawl.write_bytes(b"".join(gzip.compress(_warc_record(gzip.compress(page))) for page in pages))
    out = tmp_path / "out"
    procs = [_start(launcher, "-q", "--share-work", "--download-archive", archive.location, "--no-listings", "-o",
                    str(out), "--scan", str(crawl)) for _ in range(2)]
    for proc in procs:
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
    assert files_under(out) == _expected_files(albums)
    fetched = Counter(path for _, _, path, _ in imgur.requests_to("i.imgur.com"))
    assert len(fetched) == 2 * 30 and set(fetched.values()) == {1}
    assert not imgur.requests_to("api.imgur.com", ".*cats.*")


def _warc_record(body: bytes) -> bytes:
    """A WARC response record whose HTTP body is ``body``, sent gzip-encoded."""
    block = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/html\r\n\r\n" + body
    return (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.com/\r\n"
            b"Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n" % len(block) +
            block + b"\r\n\r\n")


@pytest.mark.long
def test_a_killed_process_is_taken_over_once_its_lease_runs_out(imgur: Imgur, tmp_path: Path,
                                                                 archive: ArchiveAt, launcher: Launcher) -> None:
    albums = [imgur.add_album(f"Kil{n:04d}", count=2, size=400) for n in range(4)]
    held = Fault("hold", path=f"/{albums[1].images[0].id}\\..*", attempts={1})
    imgur.faults.append(held)
    urls = [f"imgur.com/a/{a.id}" for a in albums]
    out = tmp_path / "out"
    first = _start(launcher, "--share-work", "--lease", "1", "-j", "1", "--download-archive", archive.location,
                   "-o", str(out), *urls)
    assert imgur.wait_until(lambda s: s.held >= 1, timeout=30)
    first.kill()  # SIGKILL: no goodbye, its claims stay until their lease runs out
    first.communicate()
    held.release.set()
    claimed = archive.rows("SELECT id FROM archive_claims WHERE state = 'claimed'")
    assert (albums[1].id,) in claimed
    # (In a process of its own, so that a takeover that never comes fails the test instead of hanging it.)
    second = _start(launcher, "--json", "--share-work", "--download-archive", archive.location, "-o", str(out), *urls)
    out_text, err_text = second.communicate(timeout=60)
    assert second.returncode == 0, err_text
    files = files_under(out)
    # (killed as the archive wrote the records of the album it had just finished, it may have left that album's
    # journal: true of each file it names, and removed by the next run that opens the album)
    for name in [name for name in files if ".imgur-dl-journal-" in name]:
        for item in map(json.loads, files.pop(name).split()):
            assert hashlib.sha256(files[f"{item['album']}/{item['file']}"]).hexdigest() == item["sha256"]
    assert files == _expected_files(albums)
    mine = {r["album"] for r in _rows(out_text) if r["status"] in ("saved", "skipped")}
    assert albums[1].id in mine  # taken over
    assert sorted(archive.rows("SELECT state, count(*) FROM archive_claims GROUP BY state")) == [("done", 4)]


@pytest.mark.parametrize("quiet", [False, True])
def test_a_wait_on_another_process_s_work_is_said(imgur: Imgur, tmp_path: Path, quiet: bool) -> None:
    # It waits up to that process's lease (300 s by default) when the process is gone: a person saw "looking up 1
    # album..." and nothing else, a hang by every sign. (Its claim here runs out in a moment: taken over.)
    album = imgur.add_album("AbC1234", count=2)
    location = str(tmp_path / "seen.sqlite")
    store = open_store(location)
    store.claim(Entry.ALBUM, ["AbC1234"], "another machine", 0.5)
    store.close()
    result = run_main(*["-q"] * quiet, "--share-work", "--download-archive", location, "-o", str(tmp_path / "out"),
                      "imgur.com/a/AbC1234")
    assert result.code == 0, result
    said = "imgur-dl: waiting for 1 post another process has under way (taken over here should that process stop)"
    assert result.err.splitlines()[:1] == ([] if quiet else [said])
    assert len(files_under(tmp_path / "out")) == len(album.images)


def test_urls_and_a_listing_read_together_are_claimed_and_saved_in_the_order_given(imgur: Imgur,
                                                                                      tmp_path: Path) -> None:
    # With --share-work, the URLs read so far are claimed together (one query a batch): an album before a listing,
    # the listing's posts, an album after it, each looked up in that order.
    first, last = imgur.add_album("AbC1234", count=1), imgur.add_album("XyZ9876", count=1)
    posted = [imgur.add_album(f"Po{n:05d}", count=1) for n in range(2)]
    imgur.add_listing("user", "Miguenzo", posted)
    result = run_main("--json", "-j", "1", "--share-work", "--download-archive", str(tmp_path / "seen.sqlite"), "-o",
                      str(tmp_path / "out"), "imgur.com/a/AbC1234", "imgur.com/user/Miguenzo", "imgur.com/a/XyZ9876")
    assert result.code == 0, result
    saved = [json.loads(line)["id"] for line in result.out.splitlines()]
    assert saved == [album.images[0].id for album in (first, *posted, last)], result


def test_listing_links_claims_nothing_a_fleet_would_then_skip(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    shared = str(tmp_path / "shared.sqlite")
    listed = run_main("-g", "--share-work", "--download-archive", shared, "imgur.com/a/AbC1234")
    assert (listed.code, listed.err) == (2, "imgur-dl: error: --share-work divides downloads, and -g downloads "
                                            "nothing: its claims would mark work done that no process did\n")
    with pytest.raises(imgur_dl.UsageError, match="share_work divides downloads"):
        list(imgur_dl.links(["imgur.com/a/AbC1234"], archive=shared, share_work=True))
    assert imgur.log == [] and not Path(shared).exists()
    # (a fleet's run afterwards fetches the album: no claim said it was done)
    result = run_main("--share-work", "--download-archive", shared, "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert len(files_under(tmp_path / "out")) == len(album.images)


def test_the_fleet_of_an_archive_that_is_not_there_is_one_line_and_makes_none(tmp_path: Path) -> None:
    result = run_main("--fleet", "--download-archive", str(tmp_path / "typo.sqlite"))
    assert (result.code, result.err) == (2, f"imgur-dl: error: --fleet: there is no archive at "
                                            f"{tmp_path / 'typo.sqlite'} (none is made to report on)\n")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_album_is_given_back_with_its_reason_and_the_fleet_shows_it(imgur: Imgur, tmp_path: Path,
                                                                              archive: ArchiveAt) -> None:
    good = imgur.add_album("GooD123", count=2)
    broken = imgur.add_album("BroK123", count=2)
    broken.images[1].removed = True
    first = run_main("--share-work", "--download-archive", archive.location, "-o", str(tmp_path),
                     "imgur.com/a/GooD123", "imgur.com/a/BroK123", "imgur.com/a/GoNe123")
    assert first.code == 3, first
    fleet = run_main("--fleet", "--download-archive", archive.location)
    assert fleet.code == 0, fleet
    state = json.loads(fleet.out)
    assert state["archive"] == {"images": 3, "albums": 1}
    assert state["claims"] == {"working": 0, "lapsed": 0, "done": 1, "failed": 2}
    assert state["processes_in_all"] == 1
    [process] = state["processes"]
    assert (process["done"], process["failed"], process["working"]) == (1, 2, 0)
    reasons = {f["id"]: f["reason"] for f in state["failures"]}
    assert "not found" in reasons["GoNe123"]
    assert reasons["BroK123"].startswith(f"{broken.images[1].id}: ")
    # Another process retries the broken album at once, but not one Imgur said is gone (for a day).
    imgur.log.clear()
    second = run_main("--json", "--share-work", "--download-archive", archive.location, "-o", str(tmp_path),
                      "imgur.com/a/GooD123", "imgur.com/a/BroK123", "imgur.com/a/GoNe123")
    assert second.code == 1, second
    statuses = {r["id"] if r["album"] is None else r["album"]: r["status"] for r in _rows(second.out)}
    assert statuses["GooD123"] == statuses["GoNe123"] == "claimed elsewhere"
    errors = {r["id"] if r["album"] is None else r["album"]: r["error"] for r in _rows(second.out)}
    assert errors["GooD123"] is None and errors["GoNe123"] == reasons["GoNe123"]  # (done there; failed there, why)
    assert "2 claimed elsewhere (1 failed there and held back: --fleet says why);" in second.err, second.err
    assert [p for _, _, p, _ in imgur.requests_to("api.imgur.com")] == ["/post/v1/albums/BroK123"]
    assert good.id not in second.err


def test_the_fleet_lists_the_processes_last_heard_from_and_counts_them_all(archive: ArchiveAt) -> None:
    # A nightly run on each of ten machines is a process a night: a year on, thousands that were listed by name,
    # the ones at work now among them wherever their names fell.
    store = open_store(archive.location)
    try:
        for n, owner in enumerate(("c:1:aa", "a:1:bb", "b:1:cc")):  # (heard from in this order)
            assert store.claim(Entry.ALBUM, [f"AbC{n}"], owner, 300) == {f"AbC{n}"}
        store.write([Settle(Entry.ALBUM, "AbC0", "c:1:aa", "timed out", 0)])  # (c heard from again, last)
        fleet = store.fleet(most=2)
    finally:
        store.close()
    state = fleet.as_json()
    assert [(p["owner"], p["working"], p["failed"]) for p in state["processes"]] == [  # type: ignore[attr-defined]
        ("c:1:aa", 0, 1), ("b:1:cc", 1, 0)]
    assert state["processes_in_all"] == 3
    assert state["claims"] == {"working": 2, "lapsed": 0, "done": 0, "failed": 1}  # (a's claim counted too)


def test_a_time_past_any_calendar_in_an_archive_edited_by_hand_is_shown_as_none(imgur: Imgur, tmp_path: Path) -> None:
    # (SQLite keeps any number in a column: one written there by hand is shown without its date, the rest as ever.)
    location = tmp_path / "seen.sqlite"
    first = run_main("--share-work", "--download-archive", str(location), "-o", str(tmp_path), "imgur.com/a/GoNe123")
    assert first.code == 3, first
    with contextlib.closing(sqlite3.connect(location)) as db, db:
        db.execute("UPDATE archive_claims SET expires = 1e300, updated = -1e300")
    fleet = run_main("--fleet", "--download-archive", str(location))
    assert fleet.code == 0, fleet
    state = json.loads(fleet.out)
    assert [(f["id"], f["at"], f["retry_from"]) for f in state["failures"]] == [("GoNe123", "", "")]
    assert [p["last_seen"] for p in state["processes"]] == [""]


@pytest.mark.parametrize("expires", ["soon", b"\0", -math.inf])
def test_a_lease_edited_by_hand_is_read_as_claims_read_it(tmp_path: Path, expires: object) -> None:
    # (SQLite keeps text or bytes in a number's column too: such a lease is one no claim runs out, and is said so.)
    location = tmp_path / "seen.sqlite"
    store = open_store(location)
    try:
        assert store.claim(Entry.ALBUM, ["AbC1234"], "other", 60) == {"AbC1234"}
        with contextlib.closing(sqlite3.connect(location)) as db, db:
            db.execute("UPDATE archive_claims SET expires = ?", (expires,))
        held = store.holders(Entry.ALBUM, ["AbC1234"])["AbC1234"]
        assert held.open is (store.claim(Entry.ALBUM, ["AbC1234"], "me", 60) == {"AbC1234"})
    finally:
        store.close()


def test_claims_are_exclusive_under_contention(archive: ArchiveAt) -> None:
    """Four processes' worth of connections claim the same 400 ids in different orders: each id is won once."""
    ids = [f"Id{n:05d}" for n in range(400)]
    won: list[set[str]] = []
    start = threading.Barrier(4)

    def claimer(n: int) -> None:
        store = open_store(archive.location)
        start.wait()
        mine: set[str] = set()
        order = ids[n * 100:] + ids[:n * 100]
        for chunk in range(0, 400, 50):
            mine |= store.claim(Entry.ALBUM, order[chunk:chunk + 50], f"owner{n}", 60)
        won.append(mine)
        store.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(i for mine in won for i in mine) == ids


def test_a_claim_takes_what_is_free_lapsed_or_already_its_own(archive: ArchiveAt,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_sqlite, "ROWS", 2)  # (several statements for one claim)
    store = open_store(archive.location)
    store.claim(Entry.ALBUM, ["Live1"], "other", 60)
    store.claim(Entry.ALBUM, ["Lapsed1"], "other", -1)  # its lease ran out
    store.claim(Entry.ALBUM, ["Mine1"], "me", 60)
    store.claim(Entry.ALBUM, ["Done1", "Held1", "Left1"], "other", 60)
    store.write([Settle(Entry.ALBUM, "Done1", "other"), Settle(Entry.ALBUM, "Held1", "other", "broke", hold=60),
                 Settle(Entry.ALBUM, "Left1", "other", "broke", hold=-1)])  # given back, to be taken again now
    asked = ["Free1", "Live1", "Lapsed1", "Mine1", "Done1", "Held1", "Left1", "Free1", "Free2", "Live1 Free3"]
    # (An id with a space, which no answer gives, may be said taken or not, as the backend goes; never are
    # its pieces: "Live1" is another's.)
    assert store.claim(Entry.ALBUM, asked, "me", 60) - {"Live1 Free3"} == {"Free1", "Free2", "Lapsed1", "Mine1",
                                                                            "Left1"}
    assert store.claim(Entry.IMAGE, ["Live1"], "me", 60) == {"Live1"}  # (another kind: another item)
    assert store.claim(Entry.ALBUM, asked, "other", 60) == {"Live1"}  # its own; the rest mine, done or held back
    store.close()


def _held(store: Store, owner: str = "me") -> tuple[int, int]:
    """How many claims ``owner`` holds: (live, lapsed)."""
    mine = [p for p in store.fleet(10).processes if p["owner"] == owner]
    return (int(mine[0]["working"]), int(mine[0]["lapsed"])) if mine else (0, 0)  # type: ignore[call-overload]


def test_claims_held_are_renewed_every_third_of_a_lease_while_the_process_runs(archive: ArchiveAt) -> None:
    # A process holds its claims however long their work takes (an album of thousands of files, a slow link):
    # renewed every third of a lease, they never run out under it for another process to take them over.
    shared = open_archive(archive.location, say=lambda _: None, error=lambda _: None)
    shared.store.claim(Entry.ALBUM, ["AbC1234"], "me", -1)  # its lease run out, as a long album's would unrenewed
    assert _held(shared.store) == (0, 1)
    clock = FastClock()
    claims = Claims(shared, owner="me", lease=60, clock=clock, say_once=lambda _: None)
    try:
        assert claims.take([(Entry.ALBUM, "XyZ9876")]) == {Entry.ALBUM: {"XyZ9876"}}
        assert until(lambda: _held(shared.store) == (2, 0), seconds=5)
    finally:
        claims.stop()
        shared.close()
    assert clock.waits and set(clock.waits) == {20.0}


def test_a_bug_renewing_claims_is_one_line_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = open_archive(str(tmp_path / "seen.sqlite"), say=lambda _: None, error=lambda _: None)

    def broken(_owner: str, _lease: float) -> None:
        raise ZeroDivisionError("division by zero")  # (a bug in the store's code)

    monkeypatch.setattr(shared.store, "renew", broken)
    said: list[str] = []
    claims = Claims(shared, owner="me", lease=60, clock=FastClock(), say_once=said.append)
    try:
        assert claims.take([(Entry.ALBUM, "AbC1234")]) == {Entry.ALBUM: {"AbC1234"}}
        assert until(lambda: bool(said), seconds=5)
    finally:
        claims.stop()
        shared.close()
    assert said == ["unexpected ZeroDivisionError renewing this process's claims: division by zero (a bug); others "
                    "may take them over once their lease (60s) runs out"]


def test_an_archive_behind_a_pooler_in_transaction_mode_is_used_as_any_other(imgur: Imgur, tmp_path: Path,
                                                                            postgres: Postgres) -> None:
    # PgBouncer before 1.21 (Debian 12's is 1.18) hands each transaction to any of its server connections and keeps
    # no prepared statement: psycopg's, prepared once a statement had run five times, were "already there" or
    # missing: each later run said the archive could not be reached, and waited longer for it (30 s by the 8th).
    imgur.add_album("AbC1234", count=3)
    bouncer = Bouncer(postgres, postgres.new_database().rsplit("/", 1)[1])
    try:
        for args in ((), (), (), ("--share-work",)):
            result = run_main(*args, "--download-archive", bouncer.url(), "-o", str(tmp_path), "imgur.com/a/AbC1234")
            assert result.code == 0 and result.err.count("\n") == 1, result
    finally:
        bouncer.stop()


def test_a_connection_the_server_ended_while_idle_is_made_again_unsaid(postgres: Postgres) -> None:
    # (idle_session_timeout, a pooler's client_idle_timeout, an administrator: each was "error: the download archive
    # ... cannot be reached" and "is back", and the files looked up meanwhile were fetched again)
    url = postgres.new_database()
    relay = Relay(postgres.port)  # (to know when the end has reached the store: see Relay.ended)
    seen = ArchiveAt(url, "postgres")
    ours = "FROM pg_stat_activity WHERE application_name = 'imgur-dl' AND datname = current_database()"
    store = open_store(relay.url(url))
    try:
        assert store.has_many(Entry.IMAGE, ["AbC1234"]) == set()
        seen.rows(f"SELECT pg_terminate_backend(pid) {ours}")
        assert relay.ended.wait(10)
        store.write([Record(Entry.IMAGE, "AbC1234", "AbC1234", "x")])
        assert store.has_many(Entry.IMAGE, ["AbC1234"]) == {"AbC1234"}
    finally:
        store.close()
        relay.close()


def _on_each(servers: tuple[Postgres, ...]) -> tuple[str, list[ArchiveAt]]:
    """An archive of one name made on each of ``servers`` (as a cluster's primary and its standby hold it alike): the
    URL naming them all, in that order, as a fleet names its cluster's servers, and the archive on each."""
    name = f"hosts{os.getpid()}_{next(_NAMES)}"
    password = servers[0].password  # (one for all: own_postgres is a copy of the run's server)
    on_each = [ArchiveAt(f"postgresql://postgres:{password}@127.0.0.1:{server.port}/{name}", "postgres")
               for server in servers]
    for server, archive in zip(servers, on_each, strict=True):
        ArchiveAt(server.url(), "postgres").rows(f"CREATE DATABASE {name}")
        open_store(archive.location).close()  # (its tables)
    hosts = ",".join(f"127.0.0.1:{server.port}" for server in servers)
    return f"postgresql://postgres:{password}@{hosts}/{name}", on_each


_NAMES = itertools.count()


def test_an_archive_named_by_its_servers_is_kept_on_the_one_that_takes_writes(
        imgur: Imgur, tmp_path: Path, postgres: Postgres, own_postgres: Postgres,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # After a failover the old primary, first in the fleet's address, is a standby: libpq took it (it answers), and
    # every record was refused ("cannot execute INSERT in a read-only transaction"), each run waiting 30 s for them.
    url, (standby, primary) = _on_each((own_postgres, postgres))
    standby.rows(f"ALTER DATABASE {url.rsplit('/', 1)[1]} SET default_transaction_read_only = on")
    imgur.add_album("AbC1234", count=3)
    result = run_main("--download-archive", url, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0 and result.err.count("\n") == 1, result
    assert primary.rows("SELECT count(*) FROM archive") == [(4,)]
    # -g and --fleet write nothing: a standby serves them (the first that answers), as it does psql
    fleet = run_main("--download-archive", url, "--fleet")
    assert fleet.code == 0 and json.loads(fleet.out)["archive"] == {"images": 0, "albums": 0}, fleet
    links = run_main("--download-archive", standby.location, "-g", "imgur.com/a/AbC1234")
    assert links.code == 0 and len(links.out.splitlines()) == 3, links
    # one server alone that takes no writes: one line before anything is fetched
    refused = run_main("--download-archive", standby.location, "-o", str(tmp_path / "again"), "imgur.com/a/AbC1234")
    assert refused.code == 2 and "session is read-only" in refused.err and refused.err.count("\n") == 1, refused
    assert not (tmp_path / "again").exists()
    monkeypatch.setenv("PGTARGETSESSIONATTRS", "any")  # (libpq's own, as the address's target_session_attrs is)
    open_store(standby.location).close()


@pytest.mark.long  # (the records wait a second to be written again)
def test_a_server_that_stops_taking_writes_is_left_for_one_that_does(postgres: Postgres,
                                                                       own_postgres: Postgres) -> None:
    # A server set read-only while connected (a managed database's disk nearly full; a primary made a standby in
    # place): the connection was kept, and every later write refused on it, while the next server took writes.
    url, (first, second) = _on_each((own_postgres, postgres))
    said: list[str] = []
    shared = open_archive(url, say=said.append, error=said.append)
    alone = open_archive(first.location, say=said.append, error=said.append)  # (the server alone: none to go to)
    try:
        shared.add(Record(Entry.IMAGE, "One1234", None, "a"))
        shared.flush()
        assert alone.has_many(Entry.IMAGE, ["One1234"]) == {"One1234"}
        ArchiveAt(own_postgres.url(), "postgres").rows("ALTER SYSTEM SET default_transaction_read_only = on")
        first.rows("SELECT pg_reload_conf()")
        # (once a new session has it, the server has told every other one to read its settings again)
        assert until(lambda: first.rows("SHOW default_transaction_read_only") == [("on",)])
        shared.add(Record(Entry.IMAGE, "Two1234", None, "b"))
        shared.flush()  # (written at once, not gathered with others for a second: refused there)
        assert until(lambda: second.rows("SELECT id FROM archive") == [("Two1234",)]), said
        claims = Claims(alone, owner="me", lease=60, clock=Clock(), say_once=said.append)  # (renewing in 20 s)
        assert claims.take([(Entry.ALBUM, "AbC1234")]) is None
        claims.stop()
        # what is looked up still is, there: a run does not fetch again what the archive has
        assert alone.has_many(Entry.IMAGE, ["One1234"]) == {"One1234"}
    finally:
        shared.close()
        alone.close()
    assert first.rows("SELECT id FROM archive") == [("One1234",)]
    assert said[0].endswith("takes no writes (cannot execute INSERT in a read-only transaction); finished files are "
                            "kept and recorded once it can take them"), said
    assert [line for line in said if line.startswith("cannot claim work")] == [
        f"cannot claim work: the download archive ({redact(first.location)}) takes no writes (cannot execute INSERT "
        "in a read-only transaction); waiting up to 60s (--lease) for it to answer"], said


def test_an_archive_whose_table_was_dropped_is_made_again(imgur: Imgur, tmp_path: Path, postgres: Postgres) -> None:
    # DROP TABLE archive, to start an archive over: its version row said its tables were made, and every run after
    # fetched everything, recorded nothing ("relation "archive" does not exist"), waited 30 s for it and ended 1.
    url = postgres.new_database()
    imgur.add_album("AbC1234", count=2)
    assert run_main("--download-archive", url, "-o", str(tmp_path / "one"), "imgur.com/a/AbC1234").code == 0
    seen = ArchiveAt(url, "postgres")
    seen.rows("DROP TABLE archive")
    again = run_main("--download-archive", url, "-o", str(tmp_path / "two"), "imgur.com/a/AbC1234")
    assert again.code == 0 and again.err.count("\n") == 1, again
    assert seen.rows("SELECT count(*) FROM archive") == [(3,)]


def test_a_failure_s_reason_is_kept_whatever_the_server_wrote_in_it(imgur: Imgur, tmp_path: Path,
                                                                    archive: ArchiveAt) -> None:
    # Imgur's words for a failure are the server's: a NUL in them ("\u0000" in its JSON), which PostgreSQL's text
    # cannot hold, had the batch that gave the claim back refused, again and again ("PostgreSQL text fields cannot
    # contain NUL (0x00) bytes"), and every record behind it with it: none was written, the run waited 30 s.
    imgur.add_album("AbC1234", count=2)
    body = json.dumps({"data": {"error": "no\u0000such\u001b[2Jthing"}, "status": 400, "success": False})
    imgur.faults.append(Fault("status", host="api.imgur.com", path=".*/BaD1234", status=400,
                              body=body.encode()))
    result = run_main("--share-work", "--download-archive", archive.location, "-o", str(tmp_path),
                      "imgur.com/a/BaD1234", "imgur.com/a/AbC1234")
    assert result.code == 1 and result.err.count("\n") == 2, result  # (the failure, and the summary)
    said = "HTTP 400: no\\x00such\\x1b[2Jthing"  # (as the line said it too)
    assert archive.rows("SELECT reason FROM archive_claims WHERE id = 'BaD1234'") == [
        (f"imgur.com/a/BaD1234: {said} (and the v3 API: {said})",)]
    assert archive.rows("SELECT count(*) FROM archive") == [(3,)]


def test_psycopg_s_own_warnings_are_not_printed(postgres: Postgres, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # A program that sets no logging up has Python print a library's warnings on standard error as they are: a batch
    # of records refused printed psycopg's "error ignored terminating <psycopg.Pipeline [INERROR, pipeline=ON] ...>:
    # pipeline aborted" once a try, lines of no imgur-dl's, beside its own that said why.
    # (as in such a program: no handler above psycopg's own logger, where pytest's would take them)
    monkeypatch.setattr(logging.getLogger("psycopg"), "propagate", False)
    url = postgres.new_database()
    store = open_store(url)
    try:
        ArchiveAt(url, "postgres").rows("DROP TABLE archive")
        with pytest.raises(ArchiveUnavailable, match='relation "archive" does not exist'):
            store.write([Record(Entry.IMAGE, f"Ab0000{n}", "AbC1234", f"{n}.jpg") for n in range(2)])
    finally:
        store.close()
    assert capsys.readouterr().err == ""


def test_a_claim_whose_answer_was_lost_is_renewed_as_held(postgres: Postgres) -> None:
    # The server took the claim and the link dropped before its answer came back: the process cannot know
    # whether it holds it, so it renews it as its own (and gives it back at its end), or another would take the
    # album over under it once the lease ran out.
    url = postgres.new_database()
    relay = Relay(postgres.port)
    said: list[str] = []
    shared = open_archive(relay.url(url), say=lambda _: None, error=lambda _: None)
    clock = FastClock()
    claims = Claims(shared, owner="me", lease=60, clock=clock, say_once=said.append)
    seen = ArchiveAt(url, "postgres")
    try:
        relay.lose_commit(b"INSERT INTO")
        assert claims.take([(Entry.ALBUM, "AbC1234")]) is None  # (no answer: the archive cannot be asked)
        assert relay.lost.is_set() and "cannot claim work" in said[0], said
        seen.rows("UPDATE archive_claims SET expires = now() - interval '1 second'")  # as if the lease ran out
        assert until(lambda: seen.rows("SELECT owner, expires > now() FROM archive_claims") == [("me", True)],
                     seconds=5)  # taken, and renewed
    finally:
        claims.stop()
        shared.close()
        relay.close()


@pytest.mark.parametrize(("columns", "said"), [
    ("entry TEXT PRIMARY KEY", "entry, as gallery-dl keeps its download archive"),  # (its SQLite and PostgreSQL form)
    ("id TEXT PRIMARY KEY, title TEXT", "id, title"),
])
def test_another_program_s_table_of_that_name_is_left_as_it_was(imgur: Imgur, tmp_path: Path, archive: ArchiveAt,
                                                                 columns: str, said: str) -> None:
    # Someone moving from gallery-dl names its download archive (its table is "archive" too): it was given columns,
    # a table and an index of ours, then every file was fetched and none could be recorded (exit 1).
    imgur.add_album("AbC1234", count=2)
    archive.rows(f"CREATE TABLE archive ({columns})")
    archive.rows("INSERT INTO archive VALUES ('imgurXyZ9876')" if "entry" in columns else
                 "INSERT INTO archive VALUES ('XyZ9876', 'theirs')")
    before = Path(archive.location).read_bytes() if archive.backend == "sqlite" else None
    result = run_main("--download-archive", archive.location, "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    location = archive.location if archive.backend == "sqlite" else redact(archive.location)
    assert (result.code, result.err) == (2, f"imgur-dl: error: cannot use {location} as a download archive: its "
                                            f"table archive was not made by imgur-dl (its columns: {said}): give "
                                            "imgur-dl a file or database of its own, or another table with "
                                            "--archive-table\n")
    assert imgur.log == [] and not (tmp_path / "out").exists()
    if before is not None:
        assert Path(archive.location).read_bytes() == before
    else:
        assert archive.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                            ) == [("archive",)]
    # A table of its own beside the other program's, in the same file or database:
    result = run_main("--archive-table", "imgur_dl", "--download-archive", archive.location, "-o",
                      str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert archive.rows("SELECT count(*) FROM imgur_dl") == [(3,)]  # (its two images and the album)
    assert archive.rows("SELECT * FROM archive") == [("imgurXyZ9876",) if "entry" in columns else ("XyZ9876", "theirs")]


def test_share_work_options_are_checked_first(imgur: Imgur) -> None:
    result = run_main("--share-work", "imgur.com/a/AbC1234")
    assert result.code == 2 and "--share-work needs --download-archive" in result.err
    result = run_main("--lease", "30", "--download-archive", "x.sqlite", "imgur.com/a/AbC1234")
    assert result.code == 2 and "--lease is for --share-work" in result.err
    result = run_main("--fleet")
    assert result.code == 2 and "--fleet needs --download-archive" in result.err
    result = run_main("--archive-table", "Robert'); DROP", "--download-archive", "x.sqlite", "imgur.com/a/AbC1234")
    assert result.code == 2 and "--archive-table" in result.err
    assert imgur.log == []


# -- PostgreSQL itself -----------------------------------------------------------------------

@pytest.mark.long
def test_the_server_going_away_mid_run_loses_no_record(imgur: Imgur, tmp_path: Path, own_postgres: Postgres,
                                                       launcher: Launcher) -> None:
    postgres = own_postgres
    url = postgres.new_database()
    album = imgur.add_album("WaiT123", count=6, size=500)
    held = Fault("hold", path=f"/{album.images[3].id}\\..*")
    imgur.faults.append(held)
    proc = _start(launcher, "--download-archive", url, "-o", str(tmp_path), "imgur.com/a/WaiT123")
    assert imgur.wait_until(lambda s: s.held >= 1 and len(s.requests_to("i.imgur.com")) == 6, timeout=30)
    postgres.stop()
    held.release.set()
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:  # the run says the archive went away, and goes on
        lines.append(line)
        if "cannot be reached" in line:
            break
    postgres.start()
    _, rest = proc.communicate(timeout=60)
    err = "".join(lines) + rest
    assert proc.returncode == 0, err
    assert err.count("cannot be reached") == 1 and "is back; recording again" in err
    assert postgres.password not in err
    assert len(files_under(tmp_path)) == 6
    with_rows = ArchiveAt(url, "postgres")
    assert sorted(with_rows.rows("SELECT kind, count(*) FROM archive GROUP BY kind")) == [("album", 1), ("image", 6)]


@pytest.mark.long
def test_work_read_while_the_archive_restarts_waits_for_it(imgur: Imgur, tmp_path: Path, own_postgres: Postgres,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # The archive's server restarts (an upgrade, a failover) as a run reads its input: what it read meanwhile
    # could not be claimed, and failed at once (exit 1, for a pause of a few seconds). It waits for the server now.
    url = own_postgres.new_database()
    album = imgur.add_album("AbC1234", count=2)
    split = Sharing.split
    back = threading.Timer(0.3, own_postgres.start)

    def restarting(sharing: Sharing, batch: Any) -> Iterator[object]:
        own_postgres.stop()
        back.start()
        yield from split(sharing, batch)

    monkeypatch.setattr(Sharing, "split", restarting)
    result = run_main("--share-work", "--download-archive", url, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    back.join()
    assert result.code == 0, result
    assert files_under(tmp_path) == {f"AbC1234/00{n}-{i.id}.jpg": i.data for n, i in enumerate(album.images, 1)}
    assert "cannot claim work" in result.err and "gave up" not in result.err
    assert ArchiveAt(url, "postgres").rows("SELECT kind, count(*) FROM archive GROUP BY kind ORDER BY kind") == [
        ("album", 1), ("image", 2)]


@pytest.mark.long
def test_input_read_once_the_archive_is_given_up_on_fails_unasked(imgur: Imgur, tmp_path: Path,
                                                                 own_postgres: Postgres,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The server is gone for good: work is asked for again for a lease (here a second), then given up on. The rest
    # of the input then failed one group at a time, each asking the archive again: a call a hung server leaves
    # unanswered is cut only after a minute, so a long list took hours. Now it fails unasked.
    url = own_postgres.new_database()
    own_postgres.stop()
    asked: list[str] = []
    for name in ("claim", "holders"):
        real = getattr(PostgresStore, name)
        monkeypatch.setattr(PostgresStore, name, lambda store, *a, _real=real, _name=name: (
            asked.append(_name), _real(store, *a))[1])
    store_at = PostgresStore.__init__

    def up_to_open(store: PostgresStore, *args: Any, **kwargs: Any) -> None:
        own_postgres.start()  # (the archive is there when the run opens it, and gone once it has)
        store_at(store, *args, **kwargs)
        own_postgres.stop()

    monkeypatch.setattr(PostgresStore, "__init__", up_to_open)
    urls = [f"imgur.com/a/AbC{n:04d}" for n in range(40)]
    result = run_main("--share-work", "--lease", "1", "--download-archive", url, "-o", str(tmp_path), *urls)
    assert result.code == 1, result
    assert "imgur-dl: 0 albums, 40 failed;" in result.err
    assert result.err.count("gave up claiming work") == 1
    assert "to take the last records" not in result.err  # (no claim was ever made: none to give back at the end)
    assert len(asked) < 15, asked  # (those of the second it waited; 20 groups of two, 40 items to look for)
    assert imgur.log == []


@pytest.mark.long
def test_waiting_on_another_process_s_work_ends_when_the_archive_is_gone(imgur: Imgur, tmp_path: Path,
                                                                         own_postgres: Postgres,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Another machine has the album under way, and this run waits to learn how it ends; the archive's server goes
    # away for good meanwhile. The run waited for it for ever (a nightly job that never ended), and had it come
    # to its end, it would have waited on the server again to give back claims it never held. Now it waits one
    # lease (here a second) without an answer, says what it gave up on, and fails it.
    url = own_postgres.new_database()
    imgur.add_album("AbC1234", count=1)
    store = open_store(url)
    store.claim(Entry.ALBUM, ["AbC1234"], "another machine", 600)
    store.close()
    leftovers = Sharing.leftovers

    def server_gone(sharing: Sharing) -> Iterator[object]:
        own_postgres.stop()  # (once the input is read: the album set aside, its holder looked up)
        yield from leftovers(sharing)

    monkeypatch.setattr(Sharing, "leftovers", server_gone)
    ended: list[Outcome] = []
    run = threading.Thread(target=lambda: ended.append(run_main(
        "--share-work", "--lease", "1", "--download-archive", url, "-o", str(tmp_path), "imgur.com/a/AbC1234")),
        daemon=True)  # (on a regression, left waiting)
    run.start()
    run.join(30)
    assert ended, "still waiting on the archive after 30 s"
    result = ended[0]
    assert result.code == 1, result
    said = [line for line in result.err.splitlines() if not line.startswith("imgur-dl: 0 albums, 1 failed;")]
    assert len(said) == 2 and said[0].startswith("imgur-dl: waiting for 1 post another process has") and re.fullmatch(
        rf"imgur-dl: error: gave up waiting for a post another process had under way: the download archive "
        rf"\({re.escape(redact(url))}\) has not answered for \d+s, so how it ended is not known; run the same "
        rf"command again to finish it", said[1]), result
    assert imgur.log == [] and list(tmp_path.iterdir()) == []


@pytest.mark.long
def test_a_server_that_stops_answering_does_not_hold_the_end_of_the_run(imgur: Imgur, tmp_path: Path,
                                                                         own_postgres: Postgres,
                                                                         launcher: Launcher) -> None:
    # A machine that hangs: connections taken, nothing answered. Before, the end of the run (claims given back,
    # the last records) waited on it for ever, Ctrl-C or not.
    url = own_postgres.new_database()
    album = imgur.add_album("WaiT123", count=6, size=500)
    held = Fault("hold", path=f"/{album.images[3].id}\\..*")
    others = Fault("hold")  # answered once the server hangs: their records wait on it when the run ends
    imgur.faults.extend([held, others])
    proc = _start(launcher, "--share-work", "--download-archive", url, "-o", str(tmp_path), "imgur.com/a/WaiT123")
    try:
        assert imgur.wait_until(lambda s: s.held == 6, timeout=30)  # (each file claimed before it is asked for)
        with own_postgres.frozen():
            others.release.set()
            assert until(lambda: len(list(tmp_path.rglob("*.jpg"))) == 5)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)  # (the run gives the archive 2 s after Ctrl-C)
    finally:
        held.release.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "5 finished files could not be recorded in the download archive" in err, err
    assert "the files are in place" in err and "imgur-dl: interrupted; 1 album; files: 5 saved" in err, err
    assert own_postgres.password not in err
    # Thawed, the archive is as the run left it: the claim it could not give back runs out with its lease.
    assert ArchiveAt(url, "postgres").rows("SELECT state FROM archive_claims") == [("claimed",)]


@pytest.mark.long
def test_one_signal_ends_a_run_waiting_on_a_server_that_stops_answering(imgur: Imgur, tmp_path: Path,
                                                                          own_postgres: Postgres,
                                                                          launcher: Launcher) -> None:
    # Mid-run, the run itself waits on the server (a lookup, a claim): the signal is noted there, and was acted on
    # only once the server answered (never, from a hung machine; a second signal was needed).
    url = own_postgres.new_database()
    for n in range(300):
        imgur.add_album(f"Al{n:05d}", count=1, size=200)
    (tmp_path / "list").write_text("".join(f"imgur.com/a/Al{n:05d}\n" for n in range(300)))
    proc = _start(launcher, "--share-work", "-j", "2", "--download-archive", url, "-o", str(tmp_path / "o"),
                  "-i", str(tmp_path / "list"))
    try:
        assert imgur.wait_until(lambda s: len(s.requests_to("i.imgur.com")) >= 10, timeout=30)
        with own_postgres.frozen():
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err  # (the signal that came, though the call it cut says it was interrupted)
    assert "imgur-dl: terminated;" in err or "imgur-dl: interrupted;" in err, err
    assert "unexpected" not in err and "Traceback" not in err


def test_runs_one_after_another_leave_no_thread_behind(imgur: Imgur, tmp_path: Path, postgres: Postgres) -> None:
    # A program that makes many runs (the Python API) keeps no watching thread of the runs it made.
    url = postgres.new_database()
    imgur.add_album("AbC1234", count=1)
    before = set(threading.enumerate())
    for n in range(3):
        assert run_main("--download-archive", url, "-o", str(tmp_path / str(n)), "imgur.com/a/AbC1234").code == 0
    made = [t for t in threading.enumerate() if t not in before and t.name.startswith("imgur-dl")]
    for thread in made:
        thread.join(10)  # (each ends as its run closes: at once)
    assert [t.name for t in made if t.is_alive()] == []


def test_a_call_the_server_never_answers_is_cut() -> None:
    moment = [0.0]
    ending = threading.Event()
    with contextlib.closing(Watchdog(ending.is_set, limit=60.0, patience=1.0, now=lambda: moment[0])) as watchdog:
        for cut, why in ((lambda: moment.__setitem__(0, moment[0] + 60.0), Cut.TIMED_OUT),  # a minute unanswered
                         (ending.set, Cut.GIVEN_UP)):  # the run ending, a second after the call began
            ours, server = socket.socketpair()
            with ours, server:
                watchdog.begin(ours.fileno())
                moment[0] += 1.0
                cut()
                assert ours.recv(1) == b""  # the call's wait for an answer ends (the socket is shut under it)
                assert watchdog.end() is why
        # One that may rightly take long (a migration) is cut only as the run ends.
        ending.clear()
        ours, server = socket.socketpair()
        with ours, server:
            watchdog.begin(ours.fileno(), limit=False)
            moment[0] += 3600.0
            server.sendall(b"x")
            assert ours.recv(1) == b"x"
            ending.set()
            assert ours.recv(1) == b""
            assert watchdog.end() is Cut.GIVEN_UP
        # A call that is answered is not cut, whatever comes after it.
        ours, server = socket.socketpair()
        with ours, server:
            watchdog.begin(ours.fileno())
            server.sendall(b"x")
            assert ours.recv(1) == b"x"
            assert watchdog.end() is None
            moment[0] += 120.0
            server.sendall(b"y")
            assert ours.recv(1) == b"y"


def test_the_schema_is_made_once_when_many_start_at_once(postgres: Postgres) -> None:
    url = postgres.new_database()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def opener() -> None:
        start.wait()
        try:
            open_store(url, table="shared").close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    at = ArchiveAt(url, "postgres")
    assert at.rows("SELECT key, value FROM shared_meta") == [("schema", "1")]
    tables = {r[0] for r in at.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert tables == {"shared", "shared_claims", "shared_meta"}


@pytest.mark.parametrize(("value", "says"), [
    ("9", "the archive was made by a newer imgur-dl (schema 9); upgrade imgur-dl to use it"),
    ("\x1b[2J", "its table archive_meta says its schema is '\\x1b[2J', which no imgur-dl writes"),  # (by hand)
])
def test_a_schema_this_release_cannot_use_is_refused(postgres: Postgres, tmp_path: Path, value: str, says: str) -> None:
    url = postgres.new_database()
    open_store(url).close()
    ArchiveAt(url, "postgres").rows("UPDATE archive_meta SET value = ? WHERE key = 'schema'", value)
    result = run_main("--download-archive", url, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 2, result
    assert result.err.endswith(f"{says}\n") and len(result.err.splitlines()) == 1, result


def test_the_password_is_never_shown(imgur: Imgur, postgres: Postgres, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    url = postgres.new_database()
    wrong = url.replace(postgres.password, "Wr0ng-pa55word")
    for location, secret in ((url, postgres.password), (wrong, "Wr0ng-pa55word")):
        result = run_main("-v", "--share-work", "--download-archive", location, "-o", str(tmp_path),
                          "imgur.com/a/AbC1234")
        assert secret not in result.out + result.err
    assert result.code == 2, result
    assert "postgresql://postgres:***@127.0.0.1" in result.err
    assert "password authentication failed" in result.err
    assert len(result.err.splitlines()) == 1
    fleet = run_main("--fleet", "--download-archive", url)
    assert postgres.password not in fleet.out + fleet.err
    assert redact("postgres://u:p%40ss@h/db?password=x&sslmode=require") == \
        "postgres://u:***@h/db?password=***&sslmode=require"


def test_a_password_as_people_write_it_logs_in_and_is_never_shown(imgur: Imgur, postgres: Postgres,
                                                                  tmp_path: Path) -> None:
    """A password holding what ends an address for most programs ('?', '#', ':'), written into the URL as it is:
    libpq takes it, up to the first '@'. And the same database named by keywords and values."""
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra
    from psycopg import sql  # noqa: PLC0415

    imgur.add_album("AbC1234", count=1)
    url = postgres.new_database()
    database, role, secret = url.rpartition("/")[2], f"fleet{os.getpid()}", "S3c?r#t:Pa&ss=W0rd"
    with psycopg.connect(postgres.url(), autocommit=True) as db:
        db.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(secret)))
        db.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), sql.Identifier(role)))
    written = f"postgresql://{role}:{secret}@127.0.0.1:{postgres.port}/{database}"
    keywords = f"host=127.0.0.1 port={postgres.port} dbname={database} user={role} password='{secret}'"
    first = run_main("-v", "--download-archive", written, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    again = run_main("-v", "--download-archive", keywords, "-o", str(tmp_path / "again"), "imgur.com/a/AbC1234")
    fleet = run_main("--fleet", "--download-archive", keywords)
    assert (first.code, again.code, fleet.code) == (0, 0, 0), (first, again, fleet)
    assert "1 skipped" in again.err  # (the one archive, named either way)
    wrong = run_main("--download-archive", keywords.replace(secret, secret + "x"), "imgur.com/a/AbC1234")
    assert wrong.code == 2 and "password authentication failed" in wrong.err, wrong
    assert wrong.err.startswith(f"imgur-dl: error: cannot use host=127.0.0.1 port={postgres.port} dbname={database} "
                                f"user={role} password=*** as a download archive"), wrong
    for result in (first, again, fleet, wrong):
        assert secret not in result.out + result.err and "S3c" not in result.out + result.err, result


def test_a_user_that_may_not_make_tables_uses_an_archive_another_made(imgur: Imgur, postgres: Postgres,
                                                                      tmp_path: Path) -> None:
    # PostgreSQL 15 lets no one but a database's owner make tables in its schema "public". A fleet whose machines
    # each log in as a user of their own, granted the archive's tables, was refused: "permission denied for schema
    # public" (CREATE TABLE IF NOT EXISTS wants that right even where the table is).
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra
    from psycopg import sql  # noqa: PLC0415

    imgur.add_album("AbC1234", count=2)
    imgur.add_album("XyZ9876", count=1)
    url = postgres.new_database()
    assert run_main("--download-archive", url, "-o", str(tmp_path / "one"), "imgur.com/a/AbC1234").code == 0
    role = f"worker{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'w0rker-pw'").format(sql.Identifier(role)))
        db.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON archive, archive_claims, archive_meta TO {}").format(
            sql.Identifier(role)))
    as_worker = url.replace(f"postgres:{postgres.password}@", f"{role}:w0rker-pw@")
    result = run_main("--share-work", "--download-archive", as_worker, "-o", str(tmp_path / "two"),
                      "imgur.com/a/AbC1234", "imgur.com/a/XyZ9876")
    assert result.code == 0 and "1 saved, 2 skipped" in result.err, result
    assert ArchiveAt(url, "postgres").rows("SELECT count(*) FROM archive") == [(5,)]
    # That user, the first in a database it does not own: what it lacks is said.
    other = postgres.new_database().rpartition("/")[2]
    first = run_main("--download-archive", as_worker.replace(url.rpartition("/")[2], other), "-o",
                     str(tmp_path / "three"), "imgur.com/a/AbC1234")
    assert (first.code, first.err) == (2, f"imgur-dl: error: cannot use postgresql://{role}:***@127.0.0.1:"
                                          f"{postgres.port}/{other} as a download archive: permission denied for "
                                          "schema public (its user needs CREATE on the schema to make the tables, "
                                          "the first time; then SELECT, INSERT and UPDATE on them)\n")


def _fleet_user(postgres: Postgres, url: str, name: str, grants: str) -> tuple[str, str]:
    """A user of ``url``'s archive granted ``grants`` on its three tables: its URL, and that URL as it is shown."""
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra
    from psycopg import sql  # noqa: PLC0415

    role = f"{name}{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'u5er-pw'").format(sql.Identifier(role)))
        db.execute(sql.SQL(f"GRANT {grants} ON archive, archive_claims, archive_meta TO {{}}").format(
            sql.Identifier(role)))
    return (url.replace(f"postgres:{postgres.password}@", f"{role}:u5er-pw@"),
            f"postgresql://{role}:***@127.0.0.1:{postgres.port}/{url.rpartition('/')[2]}")


def test_a_user_granted_too_little_is_told_what_it_lacks_before_anything_is_fetched(imgur: Imgur, postgres: Postgres,
                                                                                    tmp_path: Path) -> None:
    # A fleet's user granted SELECT alone (INSERT forgotten): each run fetched everything, waited 30 s for records
    # the server refused ("cannot be reached (permission denied for table archive)"), ended 1, and so did every
    # run after it; with --share-work it waited out a lease for claims it could never take.
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra
    from psycopg import sql  # noqa: PLC0415

    imgur.add_album("AbC1234", count=2)
    url = postgres.new_database()
    assert run_main("-g", "--download-archive", url, "imgur.com/a/AbC1234").code == 0  # (the tables, made)
    as_reader, shown = _fleet_user(postgres, url, "reader", "SELECT")
    role = f"reader{os.getpid()}"
    asked = len(imgur.log)
    result = run_main("--download-archive", as_reader, "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (2, f"imgur-dl: error: cannot use {shown} as a download archive: its user "
                                            f"{role} lacks INSERT on archive (GRANT INSERT ON archive TO \"{role}\"): "
                                            "a run records there what it saves\n")
    shared = run_main("--share-work", "--download-archive", as_reader, "-o", str(tmp_path / "out"),
                      "imgur.com/a/AbC1234")
    assert (shared.code, shared.err) == (2, f"imgur-dl: error: cannot use {shown} as a download archive: its user "
                                            f"{role} lacks INSERT on archive and INSERT, UPDATE on archive_claims "
                                            f"(GRANT INSERT ON archive TO \"{role}\"; GRANT INSERT, UPDATE ON "
                                            f"archive_claims TO \"{role}\"): a run records there what it saves, and "
                                            "claims its work (--share-work)\n")
    assert len(imgur.log) == asked and not (tmp_path / "out").exists()  # (nothing asked, nothing made)
    assert run_main("-g", "--download-archive", as_reader, "imgur.com/a/AbC1234").code == 0  # (SELECT: enough)
    assert run_main("--fleet", "--download-archive", as_reader).code == 0
    with psycopg.connect(url, autocommit=True) as db:  # (--fleet reads the claims too)
        db.execute(sql.SQL("REVOKE SELECT ON archive_claims FROM {}").format(sql.Identifier(role)))
    fleet = run_main("--fleet", "--download-archive", as_reader)
    assert (fleet.code, fleet.out, fleet.err) == (2, "", f"imgur-dl: error: cannot use {shown} as a download archive: "
                                                         f"its user {role} lacks SELECT on archive_claims (GRANT "
                                                         f"SELECT ON archive_claims TO \"{role}\"): what was saved "
                                                         "is read there, and what the fleet's claims say\n"), fleet
    with psycopg.connect(url, autocommit=True) as db:  # (as it says)
        db.execute(sql.SQL("GRANT INSERT ON archive TO {}").format(sql.Identifier(role)))
    granted = run_main("--download-archive", as_reader, "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert granted.code == 0 and "2 saved" in granted.err, granted
    assert ArchiveAt(url, "postgres").rows("SELECT count(*) FROM archive") == [(3,)]


def test_rights_taken_away_during_a_run_are_said_as_such_and_not_waited_for(
        imgur: Imgur, postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An administrator takes the fleet user's INSERT away while a run is under way: every write is refused from
    # then on. That was said as "cannot be reached", and waited for 30 s at the end, of a server that answered all
    # along and would say the same.
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra

    imgur.add_album("AbC1234", count=3)
    url = postgres.new_database()
    assert run_main("-g", "--download-archive", url, "imgur.com/a/AbC1234").code == 0  # (the tables, made)
    as_user, shown = _fleet_user(postgres, url, "revoked", "SELECT, INSERT, UPDATE")
    cdn, lock = imgur._cdn, threading.Lock()

    def taken_away_as_the_first_file_is_asked_for(*args: Any) -> None:
        with lock, psycopg.connect(url, autocommit=True) as db:
            db.execute(f'REVOKE INSERT ON archive FROM "revoked{os.getpid()}"')
        cdn(*args)

    monkeypatch.setattr(imgur, "_cdn", taken_away_as_the_first_file_is_asked_for)
    result = run_main("--download-archive", as_user, "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert result.err.splitlines()[:2] == [
        f"imgur-dl: error: the download archive ({shown}) refuses this run's user (permission denied for table "
        "archive); finished files are kept and recorded once it can take them",
        f"imgur-dl: error: 3 finished files and 1 finished album could not be recorded in the download archive "
        f"({shown}); a later run records them, once the archive takes records again (above) (the files are in "
        "place)"], result
    # (and what their records would have said, for the run that writes them)
    assert sorted(files_under(tmp_path / "out")) == [
        "AbC1234/.imgur-dl-journal-AbC1234.jsonl", *(f"AbC1234/00{n}-Ab0000{n - 1}.jpg" for n in (1, 2, 3))]
    rerun = run_main("--download-archive", as_user, "-o", str(tmp_path / "out"), "imgur.com/a/AbC1234")
    assert rerun.code == 2 and "lacks INSERT on archive (GRANT INSERT ON archive TO" in rerun.err, rerun


def test_claims_refused_to_this_run_s_user_are_given_up_at_once(postgres: Postgres) -> None:
    # (not waited on for a lease, as a server that does not answer is: this one answers, and says no)
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra

    url = postgres.new_database()
    open_store(url).close()  # (the tables)
    as_user, _ = _fleet_user(postgres, url, "unclaiming", "SELECT, INSERT, UPDATE")
    shared = open_archive(as_user, say=lambda _: None, error=lambda _: None, claims=True)
    said: list[str] = []
    claims = Claims(shared, owner="me", lease=300, clock=FastClock(), say_once=said.append)
    try:
        assert claims.take([(Entry.ALBUM, "AbC1234")]) == {Entry.ALBUM: {"AbC1234"}} and not claims.hopeless
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f'REVOKE INSERT, UPDATE ON archive_claims FROM "unclaiming{os.getpid()}"')
        assert claims.take([(Entry.ALBUM, "DeF5678")]) is None
        assert claims.hopeless and claims.silent_for < 1  # (at once)
        assert claims.silence() == "refuses this run's user (permission denied for table archive_claims)"
        assert not [line for line in said if "waiting" in line], said  # (the run gives up, and says why itself)
    finally:
        claims.stop()
        shared.close()


def test_fleet_s_counts_are_not_cut_by_a_timeout_the_role_sets(postgres: Postgres) -> None:
    # A managed database sets a statement_timeout for its applications' roles (seconds), which --fleet's counts
    # over an archive of millions can pass: it ended 1, "canceling statement due to statement timeout". Here its
    # count waits on a lock the test holds, far longer than the role's timeout (and lock_timeout) allow.
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra

    url = postgres.new_database()
    open_store(url).close()  # (the tables)
    as_user, _ = _fleet_user(postgres, url, "hurried", "SELECT")
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f'ALTER ROLE "hurried{os.getpid()}" SET statement_timeout = 50')
        db.execute(f'ALTER ROLE "hurried{os.getpid()}" SET lock_timeout = 50')
    outcome: list[Outcome] = []
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as seen:
        holder.execute("LOCK TABLE archive_claims IN ACCESS EXCLUSIVE MODE")  # (until this transaction ends)
        fleet = threading.Thread(target=lambda: outcome.append(run_main("--fleet", "--download-archive", as_user)))
        fleet.start()

        def waited() -> bool:  # (its count, waiting on the lock ten times as long as the timeouts allow)
            row = seen.execute("SELECT extract(epoch FROM now() - query_start) FROM pg_stat_activity WHERE "
                               "wait_event_type = 'Lock' AND usename = %s", (f"hurried{os.getpid()}",)).fetchone()
            return row is not None and row[0] > 0.5

        assert until(waited, seconds=30) or not fleet.is_alive(), outcome
        holder.rollback()
        fleet.join(30)
    assert outcome and outcome[0].code == 0, outcome
    assert json.loads(outcome[0].out)["claims"] == {"working": 0, "lapsed": 0, "done": 0, "failed": 0}


def test_a_short_password_is_hidden_where_it_is_written_not_in_every_word_holding_it(postgres: Postgres) -> None:
    # (hidden in every word, a password "on" made the server's "too many connections" into "c***nnecti***ns": a
    # garbled message whose gaps show what the password is)
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra
    from psycopg import sql  # noqa: PLC0415

    role = f"short{os.getpid()}"
    with psycopg.connect(postgres.url(), autocommit=True) as db:
        db.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'on' CONNECTION LIMIT 0").format(sql.Identifier(role)))
    url = f"postgresql://{role}:on@127.0.0.1:{postgres.port}/postgres"
    result = run_main("--download-archive", url, "imgur.com/a/AbC1234")
    assert result.code == 2, result
    assert result.err.startswith(f"imgur-dl: error: cannot use postgresql://{role}:***@127.0.0.1:{postgres.port}"
                                 "/postgres as a download archive: connection failed: "), result
    assert result.err.endswith(f'FATAL:  too many connections for role "{role}"\n'), result


@pytest.mark.parametrize(("written", "shown", "says"), [
    ("postgresql://fleet:se/cret@127.0.0.1:1/imgur", "postgresql://fleet:***@127.0.0.1:1/imgur",
     "its password holds '/' (%2F) unencoded: percent-encode it"),
    ("postgresql://fleet:se cret@127.0.0.1:1/imgur", "postgresql://fleet:***@127.0.0.1:1/imgur",
     "its password holds ' ' (%20) unencoded: percent-encode it"),
    ("host=127.0.0.1 port=1 password='se cret", "host=127.0.0.1 port=1 password=***",
     "unterminated quoted string in connection info string"),
    # (Latin-1's "\xe4", percent-encoded: it was "unexpected UnicodeDecodeError", a bug's line)
    ("postgresql://fleet:se%E4cret@127.0.0.1:1/imgur", "postgresql://fleet:***@127.0.0.1:1/imgur",
     "it holds a percent-encoded byte that is no UTF-8 text: percent-encode each character's UTF-8 (\"\xe4\" is "
     "%C3%A4)"),
])
def test_a_password_libpq_cannot_take_as_written_is_one_line_that_does_not_show_it(
        imgur: Imgur, tmp_path: Path, written: str, shown: str, says: str) -> None:
    # (libpq would end the address at the '/', and so try a host named "fleet"; it refuses a space.)
    result = run_main("--download-archive", written, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert (result.code, result.err) == (2, f"imgur-dl: error: cannot use {shown} as a download archive: {says}\n")
    assert imgur.log == [] and list(tmp_path.iterdir()) == []


def test_postgres_needs_its_extra(imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if imgur-dl[postgres] were not installed
    result = run_main("--download-archive", "postgresql://me:S3cret@db.example/imgur", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234")
    assert result.code == 2, result
    assert "pip install 'imgur-dl[postgres]'" in result.err and "S3cret" not in result.err
    assert len(result.err.splitlines()) == 1
    assert imgur.log == []


def test_an_unreachable_server_at_the_start_is_one_line(imgur: Imgur, tmp_path: Path, postgres: Postgres) -> None:
    url = f"postgresql://postgres:{postgres.password}@127.0.0.1:1/nothing"
    result = run_main("--download-archive", url, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 2, result
    assert result.err.startswith("imgur-dl: error: cannot use postgresql://postgres:***@127.0.0.1:1/nothing")
    assert len(result.err.splitlines()) == 1 and postgres.password not in result.err
    assert imgur.log == []


def test_sigterm_gives_claims_back_at_once(imgur: Imgur, tmp_path: Path, archive: ArchiveAt,
                                          launcher: Launcher) -> None:
    album = imgur.add_album("TeRm123", count=2, size=5000)
    imgur.faults.append(Fault("stall", path=f"/{album.images[0].id}\\..*", after=1000))
    proc = _start(launcher, "--share-work", "--download-archive", archive.location, "-o", str(tmp_path),
                  "imgur.com/a/TeRm123")
    assert imgur.wait_until(lambda s: s.stalled >= 1, timeout=30)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert archive.rows("SELECT state, reason FROM archive_claims") == [("failed", "interrupted")]


def test_libpq_fills_in_what_the_url_leaves_out(imgur: Imgur, tmp_path: Path, postgres: Postgres,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    imgur.add_album("AbC1234", count=2)
    database = postgres.new_database().rsplit("/", 1)[1]
    for name, value in (("PGHOST", "127.0.0.1"), ("PGPORT", str(postgres.port)), ("PGUSER", "postgres"),
                        ("PGPASSWORD", postgres.password)):
        monkeypatch.setenv(name, value)
    result = run_main("-v", "--download-archive", f"postgresql:///{database}", "-o", str(tmp_path),
                      "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert postgres.password not in result.err
    at = ArchiveAt(f"postgresql:///{database}", "postgres")
    assert sorted(at.rows("SELECT kind, count(*) FROM archive GROUP BY kind")) == [("album", 1), ("image", 2)]


def test_the_archive_s_connection_is_named_imgur_dl_unless_the_url_names_it(postgres: Postgres,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # (What a database's administrator sees in pg_stat_activity; a fleet may name each machine's, in the URL or in
    # PGAPPNAME, as for psql.)
    import psycopg  # noqa: PLC0415 - tests that need a server have the extra

    url = postgres.new_database()
    # (Looked at through one connection of the test's own, named, the same throughout: one made for each question
    # would take PGAPPNAME's name too, and one closed may still be listed a moment after. Clients only: the server's
    # own autovacuum worker shows there too, now and then, unnamed.)
    with psycopg.connect(url, autocommit=True, application_name="looking") as seen:
        def clients() -> list[tuple[Any, ...]]:
            return seen.execute("SELECT application_name FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'").fetchall()

        for given, variable, named in ((url, "", "imgur-dl"), (f"{url}?application_name=fleet-7", "", "fleet-7"),
                                       (url, "fleet-8", "fleet-8")):
            monkeypatch.setenv("PGAPPNAME", variable)
            store = open_store(given)
            try:
                assert clients() == [(named,)]
            finally:
                store.close()
            # (a connection closed is gone from pg_stat_activity once its server process has ended, a moment
            # later: on a loaded machine, the next store's was seen beside it)
            assert until(lambda: clients() == [], seconds=10)


def test_archives_named_apart_share_a_database_without_seeing_each_other(imgur: Imgur, tmp_path: Path,
                                                                         archive: ArchiveAt) -> None:
    imgur.add_album("AbC1234", count=2)
    # (a name SQL keeps for itself among them: SQLite refused it, "near "order": syntax error")
    for table, folder in (("mine", "one"), ("order", "two")):
        result = run_main("--archive-table", table, "--share-work", "--download-archive", archive.location,
                          "-o", str(tmp_path / folder), "imgur.com/a/AbC1234")
        assert result.code == 0, result
    assert len(files_under(tmp_path / "two")) == 2  # "order" did not have them
    assert archive.rows("SELECT count(*) FROM mine") == archive.rows('SELECT count(*) FROM "order"') == [(3,)]
    fleet = run_main("--archive-table", "order", "--download-archive", archive.location, "--fleet")
    assert fleet.code == 0 and json.loads(fleet.out)["claims"]["done"] == 1, fleet


def test_a_finished_list_is_found_finished_a_batch_at_a_time(imgur: Imgur, tmp_path: Path,
                                                              postgres: Postgres) -> None:
    """A rerun of a finished 20-line list asks the claims once or twice, not twice a line (a
    million-line list on a database across the network would wait for two million round trips)."""
    url = postgres.new_database()
    for n in range(20):
        imgur.add_album(f"Bat{n:04d}", count=1, size=300)
    links = tmp_path / "links.txt"
    links.write_text("".join(f"https://imgur.com/a/Bat{n:04d}\n" for n in range(20)))
    args = ("--share-work", "--download-archive", url, "-o", str(tmp_path / "out"), "-i", str(links))
    first = run_main(*args)
    assert first.code == 0, first
    assert len(files_under(tmp_path / "out")) == 20
    database = url.rsplit("/", 1)[1]
    ArchiveAt(postgres.url(), "postgres").rows(f"ALTER DATABASE {database} SET log_statement = 'all'")
    log = postgres.root / "log"
    start = log.stat().st_size
    again = run_main("--json", *args)
    assert again.code == 0, again
    assert [json.loads(line)["status"] for line in again.out.splitlines()] == ["claimed elsewhere"] * 20
    with log.open("rb") as text:  # the server's own log of every statement on this database
        text.seek(start)
        asked = sum(b'FROM "archive_claims"' in line or b'INTO "archive_claims"' in line for line in text)
    assert 1 <= asked <= 6  # a line at a time, it would be 40


def test_lines_read_go_on_together_and_none_waits_for_the_next() -> None:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from imgur_dl.ahead import gathered  # noqa: PLC0415

    items = list(range(250))
    batches = list(gathered(iter(items), 100))
    assert [i for b in batches for i in b] == items and max(map(len, batches)) <= 100
    more = threading.Event()

    def slow() -> Iterator[int]:  # a pipe: one line now, the next when the other end writes it
        yield 1
        more.wait(30)
        yield 2

    lists = gathered(slow(), 100)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(next, lists).result(timeout=10)  # (would block were it waiting for line 2)
    more.set()
    assert first == [1] and list(lists) == [[2]]


def test_an_input_that_fails_is_raised_where_it_is_read() -> None:
    from imgur_dl.ahead import gathered  # noqa: PLC0415

    def broken() -> Iterator[int]:
        yield 1
        raise OSError("the disk went away")

    with pytest.raises(OSError, match="disk went away"):
        list(gathered(broken(), 10))
