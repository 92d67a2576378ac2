"""--scan of a PostgreSQL dump in pg_dump's custom format (pg_dump -Fc), as the machine's pg_dump writes it from the
tests' own server; and as PostgreSQL 18's writes it (format 1.16, each way it compresses data), kept in tests/data:
``pg_dump -Fc --compress={gzip,lz4,zstd,none} -f pg_dump-18-<compression>.dump`` of a database made so::

    CREATE TABLE posts(id int, body text);
    COMMENT ON TABLE posts IS 'from https://imgur.com/a/CoMment';
    INSERT INTO posts SELECT g, 'post ' || g || ' https://imgur.com/gallery/Po' || lpad(g::text, 5, '0')
        FROM generate_series(1, 3) g;
    CREATE TABLE empty(x text);
    SELECT lo_from_bytea(0, convert_to('large https://i.imgur.com/LaRgeOb.png', 'UTF8'));
"""

from __future__ import annotations

import gzip
import io
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import reader
from tests.conftest import SPOILS, Pieces, run_main, scanned_spoilt, without_zstd
from tests.conftest import scanned as scan_of
from tests.postgres import Postgres, _bindir

DATA = Path(__file__).parent / "data"
POSTS, COMMENTS = 2_000, 1_000
# What the database holds besides its tables' rows: a table's comment, a column's default, a large object.
ASIDE = {"CoMment", "DeFault", "LaRgeOb"}
RESTORE = "pg_restore -f - DUMP | imgur-dl --scan - reads it whole"


@pytest.fixture(scope="module")
def database(postgres: Postgres) -> str:
    url = postgres.new_database()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE comments(id int, body text DEFAULT 'https://i.imgur.com/DeFault.png')")
        db.execute("COMMENT ON TABLE comments IS 'see https://imgur.com/a/CoMment'")
        db.execute("INSERT INTO comments SELECT g, md5(g::text) || ' https://i.imgur.com/Cm' || lpad(g::text, 5, '0') "
                   "|| '.jpg' FROM generate_series(1, %s) g", (COMMENTS,))  # (and some text that compresses little)
        db.execute("CREATE TABLE posts(id int, meta jsonb)")
        db.execute("INSERT INTO posts SELECT g, jsonb_build_object('url', 'https://imgur.com/a/Po' || "
                   "lpad(g::text, 5, '0'), 'filler', repeat('words ', 30)) FROM generate_series(1, %s) g", (POSTS,))
        db.execute("CREATE TABLE empty(x text)")
        db.execute("SELECT lo_from_bytea(0, convert_to('large https://i.imgur.com/LaRgeOb.png', 'UTF8'))")
    return url


def expected() -> set[str]:
    return {f"Cm{n:05d}" for n in range(1, COMMENTS + 1)} | {f"Po{n:05d}" for n in range(1, POSTS + 1)} | ASIDE


def pg_dump(url: str, *options: str) -> bytes:
    return subprocess.run([str(_bindir() / "pg_dump"), *options, "-d", url], check=True, capture_output=True,
                          timeout=60).stdout


def scanned(data: bytes | io.BufferedIOBase) -> tuple[set[str], list[str], list[str]]:
    return scan_of(data, "db.dump")


@pytest.mark.parametrize("compression", ["-Z1", "-Z0", "-Z9", ""])
def test_a_custom_dump_gives_the_links_of_its_tables_definitions_and_large_objects(database: str,
                                                                                     compression: str) -> None:
    dump = pg_dump(database, "-Fc", *filter(None, [compression]))
    assert dump.startswith(b"PGDMP")
    assert scanned(dump) == (expected(), [], [])


def test_a_custom_dump_is_read_from_a_pipe_compressed_or_in_an_archive(database: str) -> None:
    dump = pg_dump(database, "-Fc")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("backup/db.dump", dump)
    piped = io.BufferedReader(Pieces(dump, list(range(1, len(dump), 777))))  # type: ignore[arg-type]
    for data in (piped, gzip.compress(dump), zipped.getvalue()):
        assert scanned(data) == (expected(), [], [])


def test_the_tar_and_directory_formats_are_read_file_by_file(database: str, tmp_path: Path) -> None:
    # Each table's data a file of its own (gzipped in a folder), and the table of contents read as a custom dump's.
    assert scanned(pg_dump(database, "-Ft")) == (expected(), [], [])
    pg_dump(database, "-Fd", "-f", str(tmp_path / "db"))
    result = run_main("--scan", str(tmp_path / "db"), "-g")
    assert result.code == 0, result
    assert {line.rsplit("/", 1)[-1][:7] for line in result.out.splitlines()} == expected()
    assert "warning" not in result.err, result.err


@pytest.mark.parametrize("compression", ["gzip", "lz4", "zstd", "none"])
def test_a_dump_of_postgresql_18_is_read_however_its_data_is_compressed(compression: str) -> None:
    dump = (DATA / f"pg_dump-18-{compression}.dump").read_bytes()
    assert dump[5:8] == bytes([1, 16, 0])  # (format 1.16)
    assert scanned(dump) == ({"CoMment", "Po00001", "Po00002", "Po00003", "LaRgeOb"}, [], [])


def test_data_compressed_with_zstd_is_said_where_its_extra_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    without_zstd(monkeypatch)
    found, errors, warnings = scanned((DATA / "pg_dump-18-zstd.dump").read_bytes())
    assert (found, errors) == ({"CoMment"}, [])  # (its table of contents')
    assert warnings == ["db.dump: a PostgreSQL dump (pg_dump -Fc) whose data is zstd-compressed, and the zstandard "
                        f"package is not installed (imgur-dl[zstd]): its 3 blocks of data were not read ({RESTORE})"]


@pytest.mark.parametrize(("at", "value", "why"), [(5, 2, "of version 2.{minor}, which imgur-dl does not read"),
                                                   (6, 11, "of version 1.11, which imgur-dl does not read"),
                                                   (10, 9, "whose header is damaged"),
                                                   (8, 99, "whose header is damaged")])
def test_a_dump_whose_header_is_not_read_is_read_as_bytes_and_said_to_be(database: str, at: int, value: int,
                                                                          why: str) -> None:
    dump = bytearray(pg_dump(database, "-Fc", "-Z0"))
    dump[at] = value  # (its version, its format, the size of its integers)
    why = why.format(minor=dump[6])  # (as the machine's pg_dump writes: 1.14 for PostgreSQL 12 to 15, 1.16 for 17)
    found, errors, warnings = scanned(bytes(dump))
    assert (found, errors) == (expected(), [])  # (as bytes: here its data is not compressed)
    assert warnings == [f"db.dump: a PostgreSQL dump (pg_dump -Fc) {why}: read as bytes ({RESTORE})"]


def _header(dump: bytes) -> int:
    """The length of a dump's header: its magic number and six bytes, how its data is compressed (before format 1.15,
    as an integer, a level; from 1.15, as a byte), seven integers (when it was made), three strings (the database,
    two versions)."""
    at = 5 + 6 + (1 if dump[6] >= 15 else 5) + 7 * 5
    for _ in range(3):
        at += 5 + int.from_bytes(dump[at + 1:at + 5], "little")
    return at


def _cuts(dump: bytes) -> Iterator[int]:
    yield from range(5, _header(dump) + 2)  # (inside its header, and just after)
    yield from range(_header(dump) + 2, len(dump), len(dump) // 40)


def test_a_dump_cut_short_gives_what_came_before_the_cut_and_says_so(database: str) -> None:
    dump = pg_dump(database, "-Fc")
    before: set[str] = set()
    for cut in _cuts(dump):
        found, errors, warnings = scanned(dump[:cut])
        assert found <= expected(), cut
        assert before <= found | ASIDE, cut  # (more of the file: no fewer of its tables' links)
        before = found
        if cut < _header(dump):
            assert (errors, warnings) == ([], [f"db.dump: a PostgreSQL dump (pg_dump -Fc) cut short in its header: "
                                               f"read as bytes ({RESTORE})"]), cut
        else:
            assert (errors, warnings) == (["db.dump: cannot read on (the PostgreSQL dump ends inside what it holds: "
                                           "cut short); what was found before it still counts"], []), cut
    assert len(before) > len(expected()) * 0.9


def test_a_table_whose_data_is_spoilt_is_said_and_the_others_are_read(database: str) -> None:
    dump = bytearray(pg_dump(database, "-Fc"))
    first = dump.index(b"\x78\x9c")  # (the zlib header of the first table's data: comments, by its name)
    dump[first + 10_000] ^= 0x55  # (in its third chunk: each is 4 KiB)
    found, errors, warnings = scanned(bytes(dump))
    assert errors == []
    assert warnings == ["db.dump: 1 of its 4 blocks of data could not be decompressed to their end (a damaged dump?): "
                        "what they gave counts"]
    assert found >= expected() - {f"Cm{n:05d}" for n in range(1, COMMENTS + 1)}  # (the other tables', all)
    assert 0 < len(found & {f"Cm{n:05d}" for n in range(1, COMMENTS + 1)}) < COMMENTS  # (what came before it)


@pytest.mark.parametrize(("at", "value", "damaged"), [
    (-20, 9, r"in its table of contents \(its entry (\d+) of \1\)"),  # (where its data is: a flag none writes)
    (-11, 7, "after 0 of its blocks of data"),  # (a block of a type there is none of)
    (-5, 1, r"in the length of a chunk of its data \(its block of data 1\)")])  # (a length below 0)
def test_a_dump_damaged_where_its_structure_is_is_read_as_bytes_from_there_and_said_to_be(database: str, at: int,
                                                                                          value: int,
                                                                                          damaged: str) -> None:
    dump = bytearray(pg_dump(database, "-Fc"))
    first = dump.index(b"\x78\x9c")  # (the first table's data; before it, its block's type, entry, chunk's length)
    dump[first + at] = value
    found, errors, warnings = scanned(bytes(dump))
    assert (found, errors) == ({"CoMment", "DeFault"}, [])  # (its definitions': the rest, as bytes, is compressed)
    assert len(warnings) == 1
    assert re.fullmatch(f"db.dump: a PostgreSQL dump \\(pg_dump -Fc\\) damaged {damaged}: the rest was read as bytes "
                        f"\\({re.escape(RESTORE)}, as far as it can\\)", warnings[0]), warnings


def test_data_that_expands_past_the_bound_stops_in_one_line(postgres: Postgres,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "RATIO_AFTER", 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_RATIO", 50)
    url = postgres.new_database()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE t(x text)")
        db.execute("INSERT INTO t VALUES ('https://imgur.com/a/AbC1234 ' || repeat('a', 8000000))")
    found, errors, _ = scanned(pg_dump(url, "-Fc"))
    assert found == {"AbC1234"}
    assert errors == ["db.dump: stopped after 1 MiB: it expands more than 50 times (a decompression bomb?)"]


@settings(max_examples=40, deadline=None)
@given(SPOILS, st.floats(0.2, 1))
def test_a_dump_spoilt_anywhere_is_read_as_far_as_it_can_be_and_no_further(spoil: list[tuple[float, int]],
                                                                           kept: float) -> None:
    dumps = (DATA / "pg_dump-18-gzip.dump").read_bytes() + (DATA / "pg_dump-18-zstd.dump").read_bytes()
    scanned_spoilt(dumps, spoil, kept, "db.dump")
