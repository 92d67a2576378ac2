"""--scan of Arrow files and streams, as pyarrow 26 writes them, kept in tests/data/arrow: 300 rows of a text (a word,
then a link: F), a number, a dictionary-encoded link (50 of them: D), a list of one link (L) and a large text (its
offsets 64-bit: G), in batches of 100;
Feather files with each compression (``pyarrow.feather.write_feather(table, ..., compression=..., chunksize=100)``)
and streams, plain and compressed with LZ4 (``pyarrow.ipc.new_stream``, as a Hugging Face data set's cache is kept).
"""

from __future__ import annotations

import array
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import arrow
from imgur_dl.reader import Expansion
from tests.conftest import SPOILS, Pieces, run_main, scanned_spoilt, without_zstd
from tests.conftest import scanned as scan_of

DATA = Path(__file__).parent / "data" / "arrow"
ROWS = range(300)
IDS = ({f"F{i:06d}" for i in ROWS} | {f"D{i:06d}" for i in range(50)} | {f"L{i:06d}" for i in ROWS}
       | {f"G{i:06d}" for i in ROWS})


def scanned(data: bytes | io.BufferedIOBase) -> tuple[set[str], list[str], list[str]]:
    return scan_of(data, "t.arrow")


@pytest.mark.parametrize("name", ["feather-lz4.feather", "feather-zstd.feather", "feather-uncompressed.feather",
                                  "stream.arrows", "stream-lz4.arrows"])
def test_an_arrow_file_or_stream_gives_the_links_of_its_text_columns(name: str) -> None:
    # Read as bytes, Feather's default (LZ4) gave no link; a text column's values lie one right after another, and a
    # link before a value that opens with a word ran on into it ("F000001see"): each is a line of its own now.
    data = (DATA / name).read_bytes()
    assert scanned(data) == (IDS, [], [])
    piped = io.BufferedReader(Pieces(data, list(range(1, len(data), 777))))  # type: ignore[arg-type]
    assert scanned(piped) == (IDS, [], [])
    result = run_main("--scan", str(DATA / name), "-g")
    assert result.code == 0, result
    assert {line.rsplit("/", 1)[-1][:7] for line in result.out.splitlines()} == IDS


def test_a_file_that_opens_as_a_stream_does_and_is_none_is_read_as_bytes_in_silence() -> None:
    data = b"\xff\xff\xff\xff\x10\x00\x00\x00" + b"not a message!!! see https://imgur.com/a/AbC1234 now"
    assert scanned(data) == ({"AbC1234"}, [], [])


def test_a_message_not_what_the_format_says_is_said_and_the_rest_read_as_bytes() -> None:
    data = bytearray((DATA / "feather-uncompressed.feather").read_bytes())
    second = data.index(b"\xff\xff\xff\xff", 16)  # (the first batch, after the schema)
    data[second + 4:second + 8] = b"\x03\x00\x00\x00"  # (its metadata's length: 3 bytes, no message's)
    found, errors, warnings = scanned(bytes(data))
    assert errors == [] and warnings == ["t.arrow: an Arrow file not what its format says past its first messages: "
                                         "the rest was read as bytes"]
    assert {f"L{i:06d}" for i in range(100, 300)} <= found  # (as bytes, the links that open with their scheme)


def test_buffers_compressed_with_zstd_are_said_where_the_extra_that_reads_them_is_not_installed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    without_zstd(monkeypatch)
    found, errors, warnings = scanned((DATA / "feather-zstd.feather").read_bytes())
    assert (found, errors) == (set(), [])
    assert warnings == ["t.arrow: an Arrow file: 29 of its buffers compressed with zstd, which imgur-dl does not "
                        "decompress without the extra imgur-dl[zstd]: not read"]


def test_a_stream_whose_first_message_is_no_schema_is_no_stream() -> None:
    # (its first message taken out: as bytes, the links that open with their scheme; the rest ran on, as ever)
    data = (DATA / "stream.arrows").read_bytes()
    batch = data.index(b"\xff\xff\xff\xff", 8)
    found, errors, warnings = scanned(data[batch:])
    assert (errors, warnings) == ([], []) and found < IDS and {f"F{i:06d}" for i in ROWS} - found


def test_offsets_are_a_text_column_s_only_where_they_end_where_its_values_do() -> None:
    offsets = array.array("i", [0, 5, 10]).tobytes()
    assert arrow._split(b"abcdeFGHIJ", offsets) == [b"abcde", b"FGHIJ"]
    assert arrow._split(b"abcdeFGHIJ" + b"x" * 100, offsets) is None  # (values past the last offset: no column's)
    assert arrow._split(b"abcdeFGHIJ", array.array("q", [0, 5, 10]).tobytes()) == [b"abcde", b"FGHIJ"]


def test_a_buffer_left_uncompressed_in_a_compressed_batch_is_read_as_it_is() -> None:
    # (its length -1: compressing it saved nothing, and the format lets a writer leave it so)
    reader = arrow.Arrow(io.BytesIO(b""), "t.arrow", Expansion("t.arrow"))
    assert reader._decompressed(b"\xff" * 8 + b"https://imgur.com/a/AbC1234", arrow._LZ4_FRAME) == \
        b"https://imgur.com/a/AbC1234"


_FILES = sorted(DATA.glob("*"))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_FILES), SPOILS, st.floats(0.3, 1))
def test_an_arrow_file_spoilt_anywhere_is_read_as_far_as_it_can_be(file: Path, spoil: list[tuple[float, int]],
                                                                   kept: float) -> None:
    scanned_spoilt(file.read_bytes(), spoil, kept, "t.arrow")
