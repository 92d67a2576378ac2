"""zstd read by whichever library this Python has (the standard library's compression.zstd, from Python 3.14; the
zstandard package, the extra imgur-dl[zstd]): each test runs with each alone (``zstd_library``), and they must
read alike."""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgur_dl import zstdlib
from imgur_dl.scan import Scanner
from tests.conftest import scanned, standard_zstd, without_zstd
from tests.test_zstdframes import frames_written, pieces_of

pytestmark = pytest.mark.usefixtures("zstd_library")


def _decoder(**kwargs: object) -> zstdlib.Decoder:
    decoder = zstdlib.decoder(**kwargs)  # type: ignore[arg-type]
    assert decoder is not None
    return decoder


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(frames_written(), st.lists(st.integers(0, 10**6), max_size=6))
def test_frames_fed_in_any_pieces_make_their_text_one_after_another(frames: list[tuple[bytes, bytes]],
                                                                    cuts: list[int]) -> None:
    # (skippable frames among them, as pzstd writes: they make nothing)
    stream = b"".join(frame for frame, _ in frames)
    text = b"".join(text for _, text in frames)
    decoder = _decoder()
    assert b"".join(decoder.stream(pieces_of(stream, cuts))) == text
    assert decoder.decompressed(stream, len(text)) == text
    assert decoder.decompressed(stream, len(text) // 2) == text[:len(text) // 2]


def test_a_frame_cut_short_makes_what_it_made_and_bytes_after_frames_are_an_error() -> None:
    text = random.Random(1).randbytes(500_000)  # (several blocks, each as long as the others)
    frame = zstandard.ZstdCompressor(level=1).compress(text)
    made = b"".join(_decoder().stream([frame[:len(frame) * 2 // 3]]))
    assert made and text.startswith(made)  # (as libzstd's own reader has it: no error)
    decoder, given = _decoder(), []
    with pytest.raises(decoder.error):
        given.extend(decoder.stream([frame, b"no frame here, and then some"]))
    assert b"".join(given) == text  # (the frame's text was given before the error)
    assert zstdlib.unzstd(frame + b"junk", len(text)) is None


def test_what_a_frame_makes_is_read_no_further_than_asked() -> None:
    # A frame of 256 MiB of zeros, a few KiB compressed: what is asked of it is read a piece at a time, not all.
    packing, zeros = zstandard.ZstdCompressor(level=1).compressobj(), bytes(2**20)
    frame = b"".join(packing.compress(zeros) for _ in range(256)) + packing.flush()
    assert len(frame) < 64 * 1024
    first = next(iter(_decoder().stream([frame])))
    assert 0 < len(first) <= 64 * 2**20  # (what 2 KiB of it make at the most)
    assert _decoder().decompressed(frame, 10) == bytes(10)


def test_a_frame_whose_window_is_over_the_bound_is_refused_in_libzstd_s_words() -> None:
    params = zstandard.ZstdCompressionParameters(window_log=28, enable_ldm=True, compression_level=1)
    streamed = zstandard.ZstdCompressor(compression_params=params).compressobj()  # (its size unknown: its window kept)
    frame = streamed.compress(bytes(range(256)) * 4096) + streamed.flush()
    decoder = _decoder()  # (libzstd's default bound: 128 MiB)
    with pytest.raises(decoder.error) as refused:
        list(decoder.stream([frame]))
    assert decoder.why(refused.value) == "Frame requires too much memory for decoding"
    assert len(_decoder(window=2**31).decompressed(frame, 10**7)) == 256 * 4096


def test_a_dictionary_decodes_the_frames_made_with_it_and_one_that_is_none_is_unusable() -> None:
    samples = [b'{"url": "https://imgur.com/a/%05d", "n": %d}' % (n, n * 7) for n in range(2000)]
    dictionary = zstandard.train_dictionary(4096, samples)
    frame = zstandard.ZstdCompressor(dict_data=dictionary).compress(samples[5])
    assert _decoder(dictionary=dictionary.as_bytes()).decompressed(frame, 1000) == samples[5]
    with pytest.raises(_decoder().error):
        _decoder().decompressed(frame, 1000)  # (without it)
    with pytest.raises(zstdlib.Unusable):
        zstdlib.decoder(dictionary=b"\x37\xa4\x30\xec" + bytes(40))  # (its magic number, then nothing it needs)


def test_without_either_library_nothing_reads_zstd(monkeypatch: pytest.MonkeyPatch) -> None:
    without_zstd(monkeypatch)
    assert (zstdlib.decoder(), zstdlib.present()) == (None, False)
    assert zstdlib.unzstd(zstandard.ZstdCompressor().compress(b"x"), 10) is None


def test_the_standard_library_s_is_read_with_where_both_are_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # (Python 3.14's needs no extra; zstandard, where it is installed too, is not used)
    monkeypatch.delitem(sys.modules, "compression.zstd", raising=False)  # (as the library missing was made)
    standard = standard_zstd()
    monkeypatch.setitem(sys.modules, "compression.zstd", standard)
    monkeypatch.setitem(sys.modules, "zstandard", zstandard)
    assert _decoder().error is standard.ZstdError


def test_a_dump_is_scanned_alike_by_either() -> None:
    dump = b"".join(b"see https://imgur.com/a/Ab%05d\n" % n for n in range(20_000))
    packed = zstandard.ZstdCompressor(level=3, write_checksum=True).compress(dump[:300_000]) + \
        zstandard.ZstdCompressor(level=1).compress(dump[300_000:])
    scanner = Scanner()
    found = [target.id for target in scanner.scan(io.BytesIO(packed), "dump.zst")]
    assert (len(found), found[:2], scanner.errors) == (20_000, ["Ab00000", "Ab00001"], [])


@pytest.mark.parametrize(("packed", "plain"), [
    ("parquet/pyarrow-zstd.parquet", "parquet/pyarrow-none.parquet"),  # (pyarrow's pages)
    ("arrow/feather-zstd.feather", "arrow/feather-uncompressed.feather"),  # (pyarrow's buffers)
    ("avro/fastavro-zstandard.avro", "avro/fastavro-null.avro"),  # (fastavro's blocks)
    ("pg_dump-18-zstd.dump", "pg_dump-18-none.dump"),  # (pg_dump -Z zstd's streams)
])
def test_a_file_whose_parts_are_packed_with_zstd_gives_what_it_gives_unpacked(packed: str, plain: str) -> None:
    data = Path(__file__).parent / "data"
    found = scanned((data / packed).read_bytes(), packed)
    assert found[0] and found == scanned((data / plain).read_bytes(), plain)


class _Waits:
    """A frame's decoder of a libzstd built to read zstd's formats from before 1.0 (Debian's, which Python 3.14's
    module uses there): given a v0.5 frame's first bytes, it waits for more, where the zstandard package's says they
    are no frame."""

    unused_data, eof = b"", False

    def decompress(self, data: bytes, /) -> bytes:
        return b""


def test_a_frame_of_a_format_from_before_zstd_1_0_is_no_frame_whatever_libzstd_reads() -> None:
    legacy = b"\x25\xb5\x2f\xfd" + bytes(12)  # (v0.5's magic number)
    for decoder in (_decoder(), zstdlib.Decoder(_Waits, ValueError)):
        with pytest.raises(decoder.error) as refused:
            list(decoder.stream([legacy[:2], legacy[2:]]))  # (its magic number told across two pieces)
        assert decoder.why(refused.value) == "Unknown frame descriptor"
    assert zstdlib.unzstd(legacy, 100) is None
    skippable = b"\x5e\x2a\x4d\x18" + (3).to_bytes(4, "little") + b"abc"  # (and a skippable frame is one)
    assert list(zstdlib.Decoder(_Waits, ValueError).stream([skippable])) == []
