"""--scan of Avro data files, as fastavro 1.12 writes them with each codec it has and as Apache Avro's own library
(1.12) writes them, kept in tests/data/avro: 300 records of a schema with a text, an optional text, a number, an array
of texts, a map of texts, a boolean, an enum, a fixed and a record of its own type (a parent: one level down), each
link numbered by its record (B, U, T, K, M, R); written with ``fastavro.writer(..., codec=..., sync_interval=4000)``
and ``avro.datafile.DataFileWriter(..., codec=...)``.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import avro
from tests.conftest import SPOILS, Pieces, run_main, scanned_spoilt, without_zstd
from tests.conftest import scanned as scan_of

DATA = Path(__file__).parent / "data" / "avro"
ROWS = range(300)
IDS = ({f"B{i:06d}" for i in ROWS} | {f"U{i:06d}" for i in ROWS if i % 2 == 0} | {f"T{i:06d}" for i in ROWS}
       | {f"K{i:06d}" for i in ROWS} | {f"M{i:06d}" for i in ROWS} | {f"R{i:06d}" for i in ROWS})


def scanned(data: bytes | io.BufferedIOBase) -> tuple[set[str], list[str], list[str]]:
    return scan_of(data, "t.avro")


@pytest.mark.parametrize("name", [*(f"fastavro-{codec}" for codec in ("null", "deflate", "snappy", "zstandard",
                                                                       "bzip2", "xz")), "avro-null", "avro-deflate"])
def test_an_avro_file_gives_each_text_of_its_records(name: str) -> None:
    # Read as bytes, none of these gave a link: each text's length, just before it, ran on from the link before.
    assert scanned((DATA / f"{name}.avro").read_bytes()) == (IDS, [], [])


def test_an_avro_file_is_read_from_a_pipe_compressed_or_in_an_archive() -> None:
    data = (DATA / "fastavro-deflate.avro").read_bytes()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("export/comments-000.avro", data)
    piped = io.BufferedReader(Pieces(data, list(range(1, len(data), 777))))  # type: ignore[arg-type]
    for source in (piped, gzip.compress(data), zipped.getvalue()):
        assert scanned(source) == (IDS, [], [])
    result = run_main("--scan", str(DATA / "fastavro-snappy.avro"), "-g")
    assert result.code == 0, result
    assert {line.rsplit("/", 1)[-1][:7] for line in result.out.splitlines()} == IDS


def _blocks(data: bytes) -> list[int]:
    """Where each block ends (after its sync marker: the file's last 16 bytes, as the header's are)."""
    return [at + 16 for at in range(len(data)) if data.startswith(data[-16:], at)][1:]


def test_an_avro_file_cut_short_gives_what_came_before_the_cut_and_says_so() -> None:
    data = (DATA / "fastavro-deflate.avro").read_bytes()
    ends = _blocks(data)
    found, errors, warnings = scanned(data[:(ends[2] + ends[3]) // 2])  # (inside its fourth block)
    assert found < IDS and {f"B{i:06d}" for i in range(10)} <= found
    assert (errors, warnings) == (["t.avro: cannot read on (the Avro data file ends inside a block: cut short); what "
                                   "was found before it still counts"], [])


def test_a_block_that_is_not_what_its_schema_says_is_said_and_the_others_are_read() -> None:
    data = bytearray((DATA / "fastavro-null.avro").read_bytes())
    ends = _blocks(bytes(data))
    data[ends[0] + 40] = 0x7F  # (in the second block's first record: a length past the block's end)
    found, errors, warnings = scanned(bytes(data))
    assert errors == []
    assert warnings == [f"t.avro: 1 of its {len(ends):,} blocks are not what its schema says (a damaged file?): "
                        "what they gave before the fault counts"]
    assert len(IDS - found) > 0 and {f"B{i:06d}" for i in ROWS[-10:]} <= found  # (the blocks after it, whole)


def test_a_block_whose_sync_marker_is_not_the_file_s_is_said() -> None:
    data = bytearray((DATA / "fastavro-null.avro").read_bytes())
    ends = _blocks(bytes(data))
    data[ends[1] - 1] ^= 0xFF  # (the second block's marker)
    found, errors, warnings = scanned(bytes(data))
    assert errors == [] and len(warnings) == 1 and "1 of its" in warnings[0]
    assert 0 < len(IDS - found) < len(IDS) // 2


def _header(schema: object, codec: bytes = b"null") -> bytes:
    """An Avro data file's header: its magic number, its metadata (a map of two entries), its sync marker."""
    def text(data: bytes) -> bytes:
        return bytes([len(data) * 2]) + data
    encoded = json.dumps(schema).encode()
    return (avro.MAGIC + b"\x04" + text(b"avro.schema") + bytes([len(encoded) * 2 & 0x7F | 0x80, len(encoded) >> 6])
            + encoded + text(b"avro.codec") + text(codec) + b"\x00" + b"S" * 16)


@pytest.mark.parametrize(("header", "said"), [
    (avro.MAGIC + b"\x04", "an Avro data file whose header is cut short: read as bytes"),
    (_header("NoSuchType"), "an Avro data file whose header holds no schema that can be read: read as bytes"),
    (_header({"type": "record", "name": "r", "fields": [{"name": "f", "type": "string"}]}, b"lzo"),
     "an Avro data file compressed with 'lzo', which imgur-dl does not decompress: not read"),
], ids=["cut", "schema", "codec"])
def test_a_header_that_cannot_be_read_is_said(header: bytes, said: str) -> None:
    _, errors, warnings = scanned(header + b"\x02\x40" + b"\x3ehttps://imgur.com/a/AbC1234" + b"S" * 16)
    assert warnings == [f"t.avro: {said}"] and errors == []


# Any JSON as a schema, leaning on the words of Avro's schemas.
_WORD = st.sampled_from(["type", "record", "name", "fields", "items", "values", "array", "map", "fixed", "size", "enum",
                         "symbols", "string", "null", "r", "namespace", "error", "long", "bytes"])
_SCHEMA = st.recursive(st.none() | st.integers(-3, 40) | _WORD,
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_WORD, inner, max_size=4),
                       max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(_SCHEMA, st.binary(max_size=40))
def test_any_schema_a_header_holds_is_read_or_said_never_a_bug(schema: object, record: bytes) -> None:
    block = b"\x02" + _varint(len(record)) + record + b"S" * 16
    _, errors, warnings = scanned(_header(schema) + block)  # (a bug raised: Scanner(debug=True))
    assert errors == [] and len(warnings) <= 1


def test_a_block_whose_count_or_size_no_block_has_ends_the_reading_in_one_line() -> None:
    schema = {"type": "record", "name": "r", "fields": [{"name": "u", "type": "string"}]}
    good = b"\x02" + _varint(28) + b"\x36https://imgur.com/a/AbC1234" + b"S" * 16
    assert scanned(_header(schema) + good + _varint(-3) + _varint(1) + b"x" + b"S" * 16 + good) == ({"AbC1234"}, [], [
        "t.avro: its block 2 is not what an Avro data file's block is: the rest was not read"])


def test_zstd_s_blocks_are_said_where_the_extra_that_reads_them_is_not_installed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    without_zstd(monkeypatch)
    assert scanned((DATA / "fastavro-zstandard.avro").read_bytes()) == (set(), [], [
        "t.avro: an Avro data file compressed with 'zstandard', which imgur-dl does not decompress without the extra "
        "imgur-dl[zstd]: not read"])


def test_a_header_of_more_metadata_than_any_schema_takes_is_said() -> None:
    huge = avro.MAGIC + b"\x02" + b"\x02k" + _varint(65 * 2**20) + bytes(65 * 2**20) + b"\x00" + b"S" * 16
    assert scanned(huge)[2] == ["t.avro: an Avro data file whose header holds more than 64 MiB: read as bytes"]


@pytest.mark.parametrize(("depth", "read"), [(80, True), (150, False)])
def test_records_nested_past_the_bound_are_said_not_a_recursion(depth: int, read: bool) -> None:
    schema = {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]},
                                                          {"name": "url", "type": "string"}]}
    link = b"https://imgur.com/a/AbC1234"
    record = b"\x02" * depth + b"\x00" + (bytes([len(link) * 2]) + link) * (depth + 1)  # (a next, so many; a url each)
    block = b"\x02" + _varint(len(record)) + record + b"S" * 16
    found, errors, warnings = scanned(_header(schema) + block)
    assert (found == {"AbC1234"}) is read and errors == []
    assert warnings == ([] if read else ["t.avro: 1 of its 1 blocks are not what its schema says (a damaged file?): "
                                         "what they gave before the fault counts"])


def test_an_array_s_blocks_given_with_their_size_are_read() -> None:
    # (a block's count below 0: its size in bytes follows, as Java's buffered encoder writes an array)
    schema = {"type": "record", "name": "r",
              "fields": [{"name": "links", "type": {"type": "array", "items": "string"}}]}
    links = b"".join(bytes([len(link) * 2]) + link for link in (b"https://imgur.com/a/AbC1234", b"imgur.com/XyZ9876"))
    record = _varint(-2) + _varint(len(links)) + links + b"\x00"
    block = b"\x02" + _varint(len(record)) + record + b"S" * 16
    assert scanned(_header(schema) + block) == ({"AbC1234", "XyZ9876"}, [], [])


def test_an_array_of_more_values_than_its_bytes_could_hold_is_said_not_read_for_ever() -> None:
    # Ten million nulls in a few bytes: a block of records may give no more values than eight a byte.
    schema = {"type": "record", "name": "r", "fields": [{"name": "u", "type": "string"},
                                                       {"name": "none", "type": {"type": "array", "items": "null"}}]}
    record = b"\x36https://imgur.com/a/AbC1234" + _varint(10_000_000) + b"\x00"
    block = b"\x02" + _varint(len(record)) + record + b"S" * 16
    assert scanned(_header(schema) + block) == ({"AbC1234"}, [], [
        "t.avro: 1 of its 1 blocks are not what its schema says (a damaged file?): what they gave before the fault "
        "counts"])


def _varint(value: int) -> bytes:
    """``value`` as Avro writes a long: zigzag-encoded, then seven bits a byte, the low ones first."""
    value = (value << 1) ^ (value >> 63)
    out = b""
    while value >= 0x80:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


_FILES = sorted(DATA.glob("*.avro"))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_FILES), SPOILS, st.floats(0.3, 1))
def test_an_avro_file_spoilt_anywhere_is_read_as_far_as_it_can_be(file: Path, spoil: list[tuple[float, int]],
                                                                  kept: float) -> None:
    scanned_spoilt(file.read_bytes(), spoil, kept, "t.avro")
