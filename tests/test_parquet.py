"""--scan of Parquet files, as pyarrow 26, DuckDB 2.0 and Polars 2.1 write them, kept in tests/data/parquet: 300 rows of
an id, an optional text, a list of texts, a structure holding a text, a map of texts (each link numbered by its row:
O, L, S and M), written by pyarrow with each of its codecs (``pq.write_table(table, ..., compression=...)``), with
version 2 data pages and no dictionary, and with each delta encoding of text on pages of either version
(``column_encoding``); and a column of links (D, P) as DuckDB (``COPY ... TO ... (FORMAT parquet)``) and Polars
(``write_parquet``) write one by default.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from pathlib import Path

import lz4.block
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import parquet, reader
from tests.conftest import SPOILS, Pieces, run_main, scanned_spoilt, without_zstd
from tests.conftest import scanned as scan_of

DATA = Path(__file__).parent / "data" / "parquet"
ROWS = range(300)
PYARROW = ({f"O{i:06d}" for i in ROWS if i % 3} | {f"L{i:06d}" for i in ROWS if i % 2} | {f"S{i:06d}" for i in ROWS}
           | {f"M{i:06d}" for i in ROWS})


def scanned(data: bytes | io.BufferedIOBase) -> tuple[set[str], list[str], list[str]]:
    return scan_of(data, "t.parquet")


@pytest.mark.parametrize(("name", "ids"), [
    *((f"pyarrow-{codec}", PYARROW) for codec in ("snappy", "gzip", "zstd", "lz4", "none")),
    ("pyarrow-v2-plain", PYARROW),
    *((f"pyarrow-{encoding}-v{version}", PYARROW) for encoding in ("delta_byte_array", "delta_length_byte_array")
      for version in (1, 2)),
    ("duckdb", {f"D{i:06d}" for i in ROWS}), ("polars", {f"P{i:06d}" for i in ROWS})])
def test_a_parquet_file_gives_the_links_of_its_text_columns(name: str, ids: set[str], tmp_path: Path) -> None:
    # Read as bytes, a snappy file of these gave 14 links in 20,000; zstd's, gzip's and Brotli's 4.
    data = (DATA / f"{name}.parquet").read_bytes()
    assert scanned(data) == (ids, [], [])  # (read whole, as in a pipe)
    result = run_main("--scan", str(DATA / f"{name}.parquet"), "-g")  # (a file of its own: read where its pages are)
    assert result.code == 0, result
    assert {line.rsplit("/", 1)[-1][:7] for line in result.out.splitlines()} == ids
    assert "warning" not in result.err, result.err


def test_a_parquet_file_is_read_from_a_pipe_compressed_or_in_an_archive() -> None:
    data = (DATA / "pyarrow-snappy.parquet").read_bytes()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("export/part-0.parquet", data)
    piped = io.BufferedReader(Pieces(data, list(range(1, len(data), 777))))  # type: ignore[arg-type]
    for source in (piped, gzip.compress(data), zipped.getvalue()):
        assert scanned(source) == (PYARROW, [], [])


def test_pages_compressed_with_a_codec_not_read_are_said_and_passed_over() -> None:
    assert scanned((DATA / "pyarrow-brotli.parquet").read_bytes()) == (set(), [], [
        "t.parquet: 5 of its column chunks compressed with Brotli, which imgur-dl does not decompress: not read"])


def test_pages_compressed_with_zstd_are_said_where_the_extra_that_reads_them_is_not_installed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    without_zstd(monkeypatch)
    assert scanned((DATA / "pyarrow-zstd.parquet").read_bytes()) == (set(), [], [
        "t.parquet: 5 of its column chunks compressed with zstd, which imgur-dl does not decompress without the extra "
        "imgur-dl[zstd]: not read"])


@pytest.mark.parametrize(("spoil", "why"), [
    (lambda d: d[:-100], "whose end (its footer) is missing: cut short?"),
    (lambda d: d[:-8] + b"\xff\xff\xff\x7f" + d[-4:], "whose footer is damaged"),  # (its length)
    (lambda d: d[:-9] + b"\x0d" + d[-8:], "whose footer is damaged")],  # (a field of a type there is none of)
    ids=["cut", "length", "structure"])
def test_a_parquet_file_whose_footer_is_missing_or_damaged_is_read_as_bytes_and_said_to_be(spoil, why: str) -> None:  # type: ignore[no-untyped-def]
    found, errors, warnings = scanned(spoil((DATA / "pyarrow-none.parquet").read_bytes()))
    assert found <= PYARROW and errors == []  # (its pages not compressed: as bytes, their links)
    assert warnings == [f"t.parquet: a Parquet file {why}: read as bytes (most of its links are in compressed pages, "
                        "not read)"]


def test_a_page_that_does_not_decompress_is_said_and_the_others_are_read() -> None:
    data = bytearray((DATA / "pyarrow-gzip.parquet").read_bytes())
    pages = [at for at in range(len(data)) if data.startswith(b"\x1f\x8b\x08", at)]
    first = next(at for at in pages if b"O000001" in zlib.decompressobj(31).decompress(data[at:]))  # (its dictionary)
    data[first + 30] ^= 0xFF
    found, errors, warnings = scanned(bytes(data))
    assert errors == []
    assert warnings == ["t.parquet: 1 of its pages could not be read to their end (a damaged file?): what they gave "
                        "counts"]
    assert found == PYARROW - {f"O{i:06d}" for i in ROWS}  # (every other column's)


@pytest.mark.usefixtures("zstd_library")
def test_a_zstd_page_that_says_it_makes_more_than_memory_holds_is_said() -> None:
    # pyarrow-zstd.parquet spoilt at random (by a fuzzer): a page's zstd frame that says it makes more than memory
    # holds was a bug's line (MemoryError); what it makes is read a piece at a time now, up to what its page says.
    _, errors, warnings = scanned((DATA / "spoilt-zstd-page.parquet").read_bytes())
    assert errors == [] and warnings == ["t.parquet: 1 of its pages could not be read to their end (a damaged "
                                         "file?): what they gave counts"]


def test_plain_values_are_read_one_by_one_not_run_together() -> None:
    # Read as bytes, the next value's length ran on from a link: a value of 104 bytes, its first byte 'h'.
    page = b"\x1b\x00\x00\x00https://imgur.com/a/AbC1234" + b"h\x00\x00\x00" + b"x" * 104 + b"\x03\x00\x00\x00end"
    assert parquet._values(page, parquet._PLAIN) == b"https://imgur.com/a/AbC1234\n" + b"x" * 104 + b"\nend\n"
    assert parquet._values(b"\x09\x00\x00\x00cut", parquet._PLAIN) == b"\x09\x00\x00\x00cut\n"  # (as it is)


def test_a_delta_encoding_s_unneeded_miniblocks_take_no_bytes_whatever_their_widths_say() -> None:
    # Blocks of 128 values in 4 miniblocks, 3 values (5, then deltas of 1): the first miniblock, 32 values of 1 bit,
    # alone is written; the last block's unneeded miniblocks' widths may be anything (parquet-format's Encodings.md).
    encoded = bytes([128, 1, 4, 3, 10, 2, 1, 7, 7, 7]) + bytes(4)
    assert parquet._deltas(encoded + b"then the values", 0) == ([5, 6, 7], len(encoded))


def test_levels_bit_packed_take_as_many_bytes_as_their_values_need() -> None:
    # (the deprecated BIT_PACKED encoding of a version 1 data page's levels: no length before them)
    column = parquet._Column(text=True, definition=1, repetition=0)
    page = {1: 10, 3: parquet._BIT_PACKED}  # (10 values; definition levels so encoded)
    assert parquet._levels(b"\xff\x03" + b"values", column, page) == 2
    assert parquet._levels(b"\x02\x00\x00\x00\x01\x01values", column, {1: 10, 3: parquet._RLE}) == 6


def test_a_page_header_longer_than_a_first_look_is_read_whole() -> None:
    # (a header's statistics may hold a column's least and most values whole: a long text's)
    header = bytes([0x15, 0x00, 0x15, 0x0A, 0x15, 0x0A, 0x18]) + b"\xa0\x8d\x06" + b"x" * 100_000 + b"\x00"
    file = reader.Held(header + b"0123456789")
    assert parquet._header(file, 0, file.size) == ({1: 0, 2: 5, 3: 5, 4: b"x" * 100_000}, len(header))


def test_a_footer_of_structures_nested_past_any_parquet_s_is_damaged() -> None:
    with pytest.raises(parquet.Damaged, match="whose footer is damaged"):
        parquet._Compact(b"\x1c" * 100_000).struct()  # (a structure holding one, and so on: not read to its depth)


def test_lz4_blocks_in_hadoop_s_framing_are_decompressed() -> None:
    # (what Hadoop's Lz4Codec writes, and parquet-mr with it: each block's size made, then compressed, big-endian)
    texts = [b"https://imgur.com/a/AbC1234 " * 50, b"https://imgur.com/a/XyZ9876 " * 30]
    blocks = [lz4.block.compress(text, store_size=False) for text in texts]
    framed = b"".join(struct.pack(">II", len(text), len(block)) + block for text, block in zip(texts, blocks,
                                                                                                 strict=True))
    assert parquet._decompress(framed, 5, sum(map(len, texts))) == (b"".join(texts), False)
    assert parquet._decompress(blocks[0], 5, len(texts[0])) == (texts[0], False)  # (a raw block, as older writers)


def test_a_parquet_file_larger_than_read_whole_in_a_pipe_is_read_as_bytes_and_said_to_be(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet, "MOST", 10_000)
    found, errors, warnings = scanned(gzip.compress((DATA / "pyarrow-none.parquet").read_bytes()))
    assert found <= PYARROW and errors == []
    assert warnings == ["t.parquet: a Parquet file larger than imgur-dl reads whole (10,000 bytes) where it is not a "
                        "file of its own: read as bytes (decompress or extract it, then scan the file)"]


@pytest.mark.usefixtures("zstd_library")
def test_what_a_parquet_file_expands_to_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "RATIO_AFTER", 5_000)
    monkeypatch.setattr(reader, "MAX_RATIO", 2)
    found, errors, _ = scanned((DATA / "pyarrow-zstd.parquet").read_bytes())
    assert found < PYARROW
    assert errors == ["t.parquet: stopped after 0 MiB: it expands more than 2 times (a decompression bomb?)"]


_FILES = sorted(DATA.glob("*.parquet"))  # (the spoilt one too)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_FILES), SPOILS, st.floats(0.5, 1))
def test_a_parquet_file_spoilt_anywhere_is_read_as_far_as_it_can_be(file: Path, spoil: list[tuple[float, int]],
                                                                    kept: float) -> None:
    scanned_spoilt(file.read_bytes(), spoil, kept, "t.parquet")
