"""--scan of an SQLite database (a browser's history): each value read on its own, the file never written."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import sqlite3
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgur_dl import database, wal
from imgur_dl.scan import Scanner
from tests.conftest import UNREADABLE_SCHEMA, run_main

# As Firefox keeps its history (places.sqlite; the columns that matter here, in their order) and Chrome (History).
_FIREFOX = ("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, rev_host "
            "LONGVARCHAR, visit_count INTEGER DEFAULT 0, last_visit_date INTEGER, guid TEXT, url_hash INTEGER)")
_CHROME = ("CREATE TABLE urls (id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR, "
           "visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL, last_visit_time "
           "INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL)")


def _firefox(path: Path, visits: list[tuple[str, str | None]], *, wal: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode = WAL")
    db.execute(_FIREFOX)
    db.executemany("INSERT INTO moz_places (url, title, rev_host, visit_count, last_visit_date, guid, url_hash) "
                   "VALUES (?, ?, 'moc.rugmi.', 3, 1600000000000000, 'AbCdEfGhIjKl', 123456789)", visits)
    db.commit()
    return db


def _ids(path: Path) -> tuple[list[str], Scanner]:
    scanner = Scanner()
    with path.open("rb") as source:
        found = [t.id for t in scanner.scan(source, str(path), path)]
    return found, scanner


def test_a_browser_history_gives_each_link_and_never_one_run_into_its_title(tmp_path: Path) -> None:
    # Read as bytes, "https://imgur.com/a/AbC12" and its title "34 photos" lie side by side: "AbC1234", another
    # album. Read as a database, each is what it is.
    places = tmp_path / "places.sqlite"
    _firefox(places, [("https://imgur.com/a/AbC12", "34 photos"), ("https://i.imgur.com/XyZ9876.jpg", "cat"),
                      ("https://imgur.com/gallery/trip-QwE5678", None)]).close()
    assert b"https://imgur.com/a/AbC1234 photos" in places.read_bytes()  # (as it lies in the file)
    assert _ids(places)[0] == ["AbC12", "XyZ9876", "QwE5678"]
    history = tmp_path / "History ?#%41"  # (Chrome's: no extension, known by its first bytes; a name a URI escapes)
    db = sqlite3.connect(history)
    db.execute(_CHROME)
    db.executemany("INSERT INTO urls (url, title, last_visit_time) VALUES (?, ?, 13300000000000000)",
                   [("https://imgur.com/a/AbC1234", "Imgur: The magic of the Internet"), ("https://example.com", "x")])
    db.commit()
    db.close()
    assert _ids(history)[0] == ["AbC1234"]
    result = run_main("--scan", str(tmp_path), "-g")
    assert result.code == 0, result
    assert sorted(result.out.splitlines()) == sorted([  # (the files read side by side: theirs mixed)
        "https://imgur.com/a/AbC1234", "https://imgur.com/a/AbC12", "https://i.imgur.com/XyZ9876.jpg",
        "https://imgur.com/gallery/QwE5678"])


_WORDS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40).filter(
    lambda t: "imgur" not in t.lower())
_ID = st.text("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=5, max_size=7).filter(
    lambda i: len(i) != 6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_ID, st.sampled_from(["https://imgur.com/a/", "imgur.com/gallery/", "https://i.imgur.com/"]),
                          _WORDS | st.none()), min_size=1, max_size=8))
def test_every_link_of_a_history_is_found_whatever_is_stored_beside_it(
        tmp_path_factory: pytest.TempPathFactory, visits: list[tuple[str, str, str | None]]) -> None:
    places = tmp_path_factory.mktemp("profile") / "places.sqlite"
    _firefox(places, [(f"{host}{i}", title) for i, host, title in visits]).close()
    found, scanner = _ids(places)
    alone = "\n".join(f"{host}{i}" for i, host, _ in visits).encode()  # (the links alone, a line each)
    assert found == [t.id for t in Scanner().scan(io.BytesIO(alone), "links")]
    assert not scanner.errors


def test_a_history_in_use_is_read_with_its_log_and_nothing_is_written_beside_it(tmp_path: Path) -> None:
    # A browser that runs holds its history locked, and keeps its newest visits in a write-ahead log: the file
    # is read as it is on disk (no lock waited on, no file made beside it, nothing changed), with what the log
    # holds (Python 3.11 and later; before, the log is said to be left out).
    places = tmp_path / "places.sqlite"
    browser = _firefox(places, [("https://imgur.com/a/AbC1234", "old")], wal=True)
    browser.execute("PRAGMA wal_autocheckpoint = 0")
    browser.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    browser.execute("INSERT INTO moz_places (url) VALUES ('https://imgur.com/a/QwE5678')")
    browser.commit()
    browser.execute("PRAGMA locking_mode = EXCLUSIVE")
    browser.execute("BEGIN EXCLUSIVE")
    log = tmp_path / "places.sqlite-wal"
    try:
        before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
        found, scanner = _ids(places)
        after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
        assert log.stat().st_size
        in_log, on_its_own = _ids(log)  # (the log on its own: said, not read as bytes)
        piped = Scanner()  # (and from a pipe, with no database beside it to read it with)
        in_pipe = [t.id for t in piped.scan(io.BytesIO(log.read_bytes()), "-")]
    finally:
        browser.rollback()
        browser.close()  # (which folds the log in, and removes it)
    assert after == before
    assert (in_log, on_its_own.errors) == ([], [])
    assert (in_pipe, piped.errors, piped.warnings) == ([], [], [
        "-: an SQLite database's write-ahead log, not read (Python 3.11 and later read it with its database, from "
        "files of their own)"])
    if database.IN_MEMORY:
        assert (found, scanner.warnings) == (["AbC1234", "QwE5678"], [])
        assert on_its_own.warnings == [f"{log}: an SQLite database's write-ahead log: read with its database, not "
                                       "on its own"]
    else:
        assert found == ["AbC1234"]
        assert scanner.warnings == [f"{places}: its write-ahead log (places.sqlite-wal) is not read: what was "
                                    "written since it was last folded into the database is left out (close the "
                                    "program that uses it, then scan again)"]
    assert _ids(places)[0] == ["AbC1234", "QwE5678"]


def _logged(folder: Path) -> tuple[Path, bytes, int]:
    """A history whose log holds three transactions after its last checkpoint (a page added, another, then the
    first page's link changed), copied as a running browser leaves it: the database, its log, the log's page size."""
    live = folder / "live"
    live.mkdir()
    browser = _firefox(live / "places.sqlite", [("https://imgur.com/a/AbC1234", "t" * 3000)], wal=True)
    browser.execute("PRAGMA wal_autocheckpoint = 0")
    browser.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    browser.execute("INSERT INTO moz_places (url, title) VALUES ('https://imgur.com/a/QwE5678', ?)", ("u" * 3000,))
    browser.commit()
    browser.execute("UPDATE moz_places SET url = 'https://imgur.com/a/NeW5678' WHERE url LIKE '%AbC1234'")
    browser.commit()
    copy = folder / "places.sqlite"
    copy.write_bytes((live / "places.sqlite").read_bytes())
    log = (live / "places.sqlite-wal").read_bytes()
    page = browser.execute("PRAGMA page_size").fetchone()[0]
    browser.close()
    return copy, log, page


@pytest.mark.skipif(not database.IN_MEMORY, reason="a write-ahead log is read from Python 3.11 on")
@pytest.mark.parametrize(("damage", "found"), [
    ("none", ["NeW5678", "QwE5678"]),
    ("last frame cut", ["AbC1234", "QwE5678"]),  # (the last transaction, not whole, is not the database's)
    ("first frame spoilt", ["AbC1234"]),  # (a frame whose checksum fails ends the log there)
    ("last frame spoilt", ["AbC1234", "QwE5678"]),
    ("salts of another log", ["AbC1234"]),  # (frames left from before the log began again)
    ("not a log", ["AbC1234"]),
    ("header spoilt", ["AbC1234"]),  # (its own checksum fails: no frame of it is read)
])
def test_what_a_log_holds_whole_is_read_and_nothing_else(tmp_path: Path, damage: str, found: list[str]) -> None:
    places, log, page = _logged(tmp_path)
    frame = 24 + page
    frames = (len(log) - 32) // frame
    assert frames >= 3 and (len(log) - 32) % frame == 0
    data = bytearray(log)
    if damage == "last frame cut":
        data = data[:-1]
    elif damage.endswith("frame spoilt"):
        data[32 + (0 if damage.startswith("first") else frames - 1) * frame + 24 + 100] ^= 0xFF
    elif damage == "salts of another log":
        for n in range(1, frames):
            data[32 + n * frame + 8] ^= 0xFF
    elif damage == "not a log":
        data[:4] = b"\x00\x00\x00\x00"
    elif damage == "header spoilt":
        data[24] ^= 0xFF  # (its checksum)
    (tmp_path / "places.sqlite-wal").write_bytes(bytes(data))
    assert _ids(places)[0] == found


def test_what_a_database_holds_beyond_its_tables_values_is_not_run(tmp_path: Path) -> None:
    # A view, a trigger and a generated column name SQL to run; a virtual table, a module to load. None is run
    # or loaded: the tables are read, the full-text index through its own content table.
    path = tmp_path / "notes.db"
    db = sqlite3.connect(path)
    db.executescript('''
        CREATE TABLE notes (body TEXT, n INTEGER, shout TEXT GENERATED ALWAYS AS (upper(body)) VIRTUAL);
        INSERT INTO notes (body, n) VALUES ('see https://imgur.com/a/AbC1234', 1),
            (x'696d6775722e636f6d2f58795a39383736', 2);
        CREATE TABLE "odd ""name""" ("a ""column""");
        INSERT INTO "odd ""name""" VALUES ('imgur.com/a/OdD1234');
        CREATE VIEW shown AS SELECT 'https://imgur.com/a/ViEw123' AS link;
        CREATE TRIGGER t AFTER INSERT ON notes BEGIN SELECT 'https://imgur.com/a/TrIg123'; END;
        CREATE VIRTUAL TABLE search USING fts5(text);
        INSERT INTO search (text) VALUES ('https://imgur.com/a/FtS1234');
    ''')
    db.commit()
    db.close()
    found, scanner = _ids(path)
    assert found == ["AbC1234", "XyZ9876", "OdD1234", "FtS1234"]  # (the generated column, upper case: no id)
    assert not scanner.errors


def test_a_database_whose_name_is_as_long_as_names_go_is_read(tmp_path: Path) -> None:
    # (The name of its log, "<name>-wal", would be longer than a name may be: there is no log to look for.)
    made = tmp_path / "notes.db"
    with contextlib.closing(sqlite3.connect(made)) as db, db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES ('see https://imgur.com/a/AbC1234')")
    named = made.rename(tmp_path / ("n" * 252 + ".db"))
    result = run_main("--scan", str(named), "-g")
    assert (result.code, result.out) == (0, "https://imgur.com/a/AbC1234\n"), result


def test_a_note_kept_compressed_gives_its_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Apple Notes keeps each note gzipped (NoteStore.sqlite, ZICNOTEDATA.ZDATA: a protocol buffer, its text in it);
    # other programs keep values zlib-compressed. A bomb gives no more than its share; what only looks compressed
    # is read as it is.
    monkeypatch.setattr(database, "EXPANDED_MOST", 10_000)
    path = tmp_path / "NoteStore.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE ZICNOTEDATA (Z_PK INTEGER PRIMARY KEY, ZNOTE INTEGER, ZDATA BLOB)")
    note = b"\x08\x00\x12\x50\x1a\x4aShopping\nsee https://imgur.com/a/AbC1234 later\n\x22\x04\x08\x00\x10\x01"
    db.executemany("INSERT INTO ZICNOTEDATA (ZNOTE, ZDATA) VALUES (?, ?)", [
        (1, gzip.compress(note)), (2, zlib.compress(b"x https://i.imgur.com/XyZ9876.jpg y")),
        (3, gzip.compress(b"\x00" * 10_000 + b" https://imgur.com/a/BoMb123")),  # (past what it may give)
        (4, b"\x1f\x8b\x08 not gzip https://imgur.com/a/QwE5678"), (5, b"x\x9c https://imgur.com/a/ZlI1234")])
    db.commit()
    db.close()
    assert _ids(path)[0] == ["AbC1234", "XyZ9876", "QwE5678", "ZlI1234"]


def test_a_table_no_query_can_name_is_said_and_the_others_are_read(tmp_path: Path) -> None:
    # A name that is not UTF-8 (written into the schema as it is), and a virtual table of a module this SQLite has
    # not: the first is said to be left out, the second is not read (virtual), and the others are read.
    path = tmp_path / "odd.db"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE t (u); INSERT INTO t VALUES ('https://imgur.com/a/AbC1234');"
                     "CREATE TABLE odd (u); INSERT INTO odd VALUES ('https://imgur.com/a/OdD1234');")
    db.commit()
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET name = CAST(x'ff41' AS TEXT), tbl_name = CAST(x'ff41' AS TEXT), "
               "sql = 'CREATE TABLE \"' || CAST(x'ff41' AS TEXT) || '\" (u)' WHERE name = 'odd'")
    db.execute("INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('table', 'ghost', 'ghost', 0, "
               "'CREATE  VIRTUAL TABLE ghost USING nosuchmodule(x)')")  # (as written by hand: two spaces)
    db.commit()
    db.close()
    found, scanner = _ids(path)
    assert found == ["AbC1234"]
    assert scanner.warnings == [f"{path}: table \ufffdA not read (no columns under that name)"]
    result = run_main("--scan", str(path), "-g")
    assert (result.code, result.out) == (0, "https://imgur.com/a/AbC1234\n"), result
    assert "warning: " + scanner.warnings[0] in result.err


@pytest.mark.parametrize("damage", ["cut", "garbage", "not a database"])
def test_a_damaged_database_is_one_line_and_the_scan_goes_on(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "places.sqlite"
    _firefox(path, [(f"https://imgur.com/a/AbC{n:04d}", "t" * 2000) for n in range(200)]).close()
    data = path.read_bytes()
    if damage == "cut":
        data = data[:len(data) // 2]
    elif damage == "garbage":
        data = data[:4096] + os.urandom(len(data) - 4096)
    else:
        data = database.MAGIC + b"\xff" * 200
    path.write_bytes(data)
    (tmp_path / "notes.txt").write_text("https://imgur.com/a/QwE5678")
    result = run_main("--scan", str(path), "--scan", str(tmp_path / "notes.txt"), "-g")
    assert (result.code, result.out) == (1, "https://imgur.com/a/QwE5678\n"), result
    assert result.err.count("imgur-dl: error:") == 1
    assert f"imgur-dl: error: {path}: cannot read on (" in result.err, result
    assert "Traceback" not in result.err


def test_a_schema_damaged_where_its_bytes_are_no_utf_8_is_one_line_and_the_scan_goes_on(tmp_path: Path) -> None:
    # SQLite's message of a schema it cannot read quotes the bytes where it stopped; Python's sqlite3 decodes the
    # message as UTF-8, and where those bytes are none it raises UnicodeDecodeError in its place: said as a bug.
    path = tmp_path / "places.sqlite"
    _firefox(path, [("https://imgur.com/a/AbC1234", "t")]).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET sql = sql || ' ' || CAST(x'804559' AS TEXT) WHERE name = 'moz_places'")
    db.commit()
    db.close()
    (tmp_path / "notes.txt").write_text("https://imgur.com/a/QwE5678")
    result = run_main("--scan", str(path), "--scan", str(tmp_path / "notes.txt"), "-g")
    assert (result.code, result.out) == (1, "https://imgur.com/a/QwE5678\n"), result
    said = result.err.splitlines()[0]  # (SQLite's words after the table's name are its own: its versions differ)
    assert said.startswith(f"imgur-dl: error: {path}: cannot read on ("
                           f"{UNREADABLE_SCHEMA.format(table='moz_places')}"), said
    assert said.endswith("); what was found before it still counts"), said
    assert "\ufffdEY" in said or sys.version_info < (3, 11), said
    assert result.err.count("error:") == 1, result


@pytest.mark.parametrize("size", [16, 20, 99])
def test_a_database_cut_short_in_its_header_out_of_a_file_of_its_own_is_one_line(tmp_path: Path, size: int) -> None:
    # Read whole into memory (in a pipe, compressed): its header, where its mode is read, is not all there.
    data = (database.MAGIC + bytes(size))[:size]
    (tmp_path / "places.sqlite.gz").write_bytes(gzip.compress(data))
    (tmp_path / "notes.txt").write_text("https://imgur.com/a/QwE5678")
    piped = run_main("--scan", "-", "-g", stdin=data.decode("utf-8", "surrogateescape"))
    packed = run_main("--scan", str(tmp_path / "places.sqlite.gz"), "--scan", str(tmp_path / "notes.txt"), "-g")
    for result, name in ((piped, "standard input"), (packed, tmp_path / "places.sqlite.gz")):
        assert result.code == 1, result
        assert result.err.count("imgur-dl: error:") == 1, result
        said = f"{name}: cannot read on (file is not a database)" if database.IN_MEMORY else \
            f"{name} is an SQLite database (a browser's history?), in a pipe or compressed and read from a file of " \
            "its own only before Python 3.11"
        assert f"imgur-dl: error: {said}" in result.err, result
    assert packed.out == "https://imgur.com/a/QwE5678\n"


def test_a_database_damaged_past_its_first_table_still_gives_that_table_s_links(tmp_path: Path) -> None:
    path = tmp_path / "History"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE urls (url)")
    db.executemany("INSERT INTO urls VALUES (?)", [(f"https://imgur.com/a/AbC{n:04d}",) for n in range(3000)])
    db.execute("CREATE TABLE notes (body)")
    db.executemany("INSERT INTO notes VALUES (?)", [("y" * 3000,)] * 300)
    db.commit()
    db.close()
    data = path.read_bytes()
    path.write_bytes(data[:-20000] + b"\xff" * 20000)  # (the second table's last pages spoilt)
    result = run_main("--scan", str(path), "-g")
    assert result.code == 1, result
    assert len(result.out.splitlines()) == 3000
    assert f"imgur-dl: error: {path}: cannot read on (database disk image is malformed); what was found before it " \
           "still counts" in result.err


@pytest.mark.parametrize("most", [None, 1000])  # (as it is, and with a bound the database is larger than)
def test_a_database_that_is_not_a_file_of_its_own_is_read_whole_or_said_to_be_too_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, most: int | None) -> None:
    # In a pipe, compressed, in a ZIP or a tar (a profile's backup): read whole into memory (Python 3.11 and later),
    # as large as IN_MEMORY_MOST; past that (or before 3.11), one line says so.
    if most is not None:
        monkeypatch.setattr(database, "IN_MEMORY_MOST", most)
    read = database.IN_MEMORY and most is None
    why = "larger than 0 MiB" if database.IN_MEMORY else "read from a file of its own only before Python 3.11"
    path = tmp_path / "places.sqlite"
    _firefox(path, [("https://imgur.com/a/AbC1234", None)], wal=True).close()  # (a browser's: kept in WAL mode)
    data = path.read_bytes()
    assert data[18:20] == b"\x02\x02"
    piped = run_main("--scan", "-", "-g", stdin=data.decode("utf-8", "surrogateescape"))  # (its bytes, as they are)
    (tmp_path / "places.sqlite.gz").write_bytes(gzip.compress(data))
    packed = run_main("--scan", str(tmp_path / "places.sqlite.gz"), "-g")
    for result, name in ((piped, "standard input"), (packed, tmp_path / "places.sqlite.gz")):
        if read:
            assert (result.code, result.out) == (0, "https://imgur.com/a/AbC1234\n"), result
        else:
            assert result.code == 1, result
            assert f"imgur-dl: error: {name} is an SQLite database (a browser's history?), in a pipe or compressed " \
                   f"and {why}: extract it, then scan the file" in result.err
    archive = tmp_path / "profile.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("places.sqlite", data)
        zipped.writestr("notes.txt", "https://imgur.com/a/QwE5678")
    backup = tmp_path / "profile.tgz"
    with tarfile.open(backup, "w:gz") as packed_up:
        packed_up.add(path, "profile/places.sqlite")
    for bundle in (archive, backup):
        inside = run_main("--scan", str(bundle), "-g")
        assert inside.code == 0, inside
        assert ("https://imgur.com/a/AbC1234" in inside.out.splitlines()) == read
        if not read:
            assert f"imgur-dl: warning: {bundle}: " in inside.err and f"places.sqlite: an SQLite database (a " \
                   f"browser's history?), {why}: not read (extract it and scan the file)" in inside.err
    listed = run_main("-i", str(path))  # (a list is not a database: -i refuses one)
    assert listed.code == 2, listed
    assert listed.err == f"imgur-dl: error: cannot read URLs from {path}: an SQLite database (a browser's history?), " \
                         f"not a list: --scan {path} finds the links in it\n"


def test_a_database_read_as_it_is_read_in_pieces_gives_the_same(tmp_path: Path) -> None:
    path = tmp_path / "History"
    _firefox(path, [(f"https://imgur.com/a/AbC{n:04d}", "t" * n) for n in range(300)]).close()
    reader = database.Database(path, "History", None)
    pieces = b"".join(iter(lambda: reader.read(7), b""))
    whole = database.Database(path, "History", None).read(10**9)
    assert pieces == whole
    assert whole.count(b"https://imgur.com/a/AbC") == 300
    assert io.BytesIO(whole).read().endswith(b"\n")


@pytest.mark.parametrize("bound", ["DATABASE_MOST", "LOG_MOST"])
def test_the_log_of_a_database_too_large_to_copy_into_memory_is_said_to_be_left_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: str) -> None:
    places, log, _ = _logged(tmp_path)
    (tmp_path / "places.sqlite-wal").write_bytes(log)
    monkeypatch.setattr(wal, bound, (places.stat().st_size if bound == "DATABASE_MOST" else len(log)) - 1)
    found, scanner = _ids(places)
    assert found == ["AbC1234"]
    assert scanner.warnings == [f"{places}: its write-ahead log (places.sqlite-wal) is not read: what was written "
                                "since it was last folded into the database is left out (close the program that "
                                "uses it, then scan again)"]


@pytest.mark.skipif(not database.IN_MEMORY, reason="a write-ahead log is read from Python 3.11 on")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_log_spoilt_anywhere_gives_the_database_as_of_a_whole_transaction(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    """Cut short, or any byte of it changed: the database as it was before the log, or after one of its
    transactions, whole; never an error, never a page of a transaction not read whole."""
    folder = tmp_path_factory.mktemp("history")
    places, log, _ = _logged(folder)
    spoilt = bytearray(log)
    if data.draw(st.booleans(), label="cut"):
        spoilt = spoilt[:data.draw(st.integers(0, len(log) - 1), label="at")]
    else:
        spoilt[data.draw(st.integers(0, len(log) - 1), label="byte")] ^= data.draw(st.integers(1, 255), label="by")
    (folder / "places.sqlite-wal").write_bytes(bytes(spoilt))
    found, scanner = _ids(places)
    assert found in (["AbC1234"], ["AbC1234", "QwE5678"], ["NeW5678", "QwE5678"])
    assert not scanner.errors
