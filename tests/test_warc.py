"""--scan of WARC files: records read one by one, each HTTP body as it was sent decoded (chunks, gzip, deflate,
zstd); what cannot be decoded said once; bounded as any compressed input is."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgur_dl import compressed, reader
from imgur_dl.scan import Scanner
from tests.conftest import Pieces, run_main

PAGE = b"<html><body><a href='https://imgur.com/a/AbC1234'>our trip</a> <img src='https://i.imgur.com/XyZ9876.jpg'>"
FOUND = ["AbC1234", "XyZ9876"]
PROPERTIES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def record(block: bytes, kind: bytes = b"response", content_type: bytes = b"application/http; msgtype=response",
           uri: bytes = b"https://example.com/page", version: bytes = b"1.0") -> bytes:
    """One WARC record as ISO 28500 lays it out: the version line, named fields, a blank line, the block of
    Content-Length bytes, then two line ends."""
    return (b"WARC/" + version + b"\r\nWARC-Type: " + kind + b"\r\nWARC-Target-URI: " + uri +
            b"\r\nWARC-Date: 2026-12-02T10:00:00Z\r\nContent-Type: " + content_type +
            b"\r\nContent-Length: " + str(len(block)).encode() + b"\r\n\r\n" + block + b"\r\n\r\n")


def response(body: bytes, *fields: bytes) -> bytes:
    """An HTTP response as it came over the wire: status line, fields, blank line, the body as sent."""
    return b"HTTP/1.1 200 OK\r\n" + b"".join(f + b"\r\n" for f in fields) + b"\r\n" + body


def chunked(data: bytes, sizes: list[int] | None = None) -> bytes:
    """``data`` in chunks (RFC 9112, 7.1): each a size line in hex, the data, a line end; a last chunk of 0. The
    chunks are of ``sizes`` in turn, then the rest in one (without ``sizes``: 7 bytes each)."""
    out, at = b"", 0
    for size in sizes or [7]:
        while at < len(data):
            part = data[at:at + max(1, size)]
            out += b"%x\r\n" % len(part) + part + b"\r\n"
            at += len(part)
            if sizes:
                break
    if at < len(data):
        out += b"%x\r\n" % (len(data) - at) + data[at:] + b"\r\n"
    return out + b"0\r\n\r\n"


def warcinfo() -> bytes:
    return record(b"software: wget/1.21 (linux-gnu)\r\nformat: WARC File Format 1.0\r\n", b"warcinfo",
                  b"application/warc-fields", uri=b"")


def scan(data: bytes, name: str = "crawl.warc") -> tuple[list[str], Scanner]:
    scanner = Scanner()
    return [t.id for t in scanner.scan(io.BytesIO(data), name)], scanner


def deflate_raw(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODED = [
    ("gzip", response(gzip.compress(PAGE), b"Content-Encoding: gzip")),
    ("x-gzip", response(gzip.compress(PAGE), b"Content-Encoding: x-gzip")),
    ("deflate as zlib", response(zlib.compress(PAGE), b"Content-Encoding: deflate")),
    ("deflate raw", response(deflate_raw(PAGE), b"Content-Encoding: deflate")),  # (as many servers sent it)
    ("zstd", response(zstandard.ZstdCompressor().compress(PAGE), b"Content-Encoding: zstd")),
    ("chunked", response(chunked(PAGE, [3, 40, 5, 11, 1]), b"Transfer-Encoding: chunked")),
    ("gzip in chunks", response(chunked(gzip.compress(PAGE), [9]), b"Content-Encoding: gzip",
                                b"Transfer-Encoding: chunked")),
    ("transfer-coded gzip", response(chunked(gzip.compress(PAGE)), b"Transfer-Encoding: gzip, chunked")),
    ("chunks with extensions", response(b"10;name=value\r\n" + PAGE[:16] + b"\r\n" + b"%X\r\n" % (len(PAGE) - 16) +
                                        PAGE[16:] + b"\r\n0\r\nExpires: never\r\n\r\n", b"Transfer-Encoding: chunked")),
    ("after 100 Continue", b"HTTP/1.1 100 Continue\r\n\r\n" + response(gzip.compress(PAGE), b"Content-Encoding: gzip")),
    ("identity", response(PAGE, b"Content-Encoding: identity")),
    ("gzip in two members", response(gzip.compress(PAGE[:60]) + gzip.compress(PAGE[60:]), b"Content-Encoding: gzip")),
    ("fields in any case, bare line ends", b"HTTP/1.0 200 OK\ncontent-encoding:GZIP\n\n" + gzip.compress(PAGE)),
]


@pytest.mark.parametrize(("label", "message"), ENCODED, ids=[label for label, _ in ENCODED])
def test_a_response_body_is_read_as_it_was_sent_decoded(label: str, message: bytes) -> None:
    data = warcinfo() + record(message)
    found, scanner = scan(data)
    assert found == FOUND, label
    assert scanner.errors == [] and scanner.warnings == []
    assert scan(gzip.compress(data), "crawl.warc.gz")[0] == FOUND  # (a .warc.gz: the same, decompressed)


def test_a_warc_gz_of_one_gzip_member_a_record_is_read_through() -> None:
    # As every WARC writer compresses: each record a gzip member of its own, so a reader can seek to any.
    pages = [PAGE.replace(b"AbC1234", b"AbC%04d" % n) for n in range(30)]
    records = [warcinfo()] + [record(response(gzip.compress(p), b"Content-Encoding: gzip")) for p in pages]
    found, scanner = scan(b"".join(gzip.compress(r) for r in records), "crawl.warc.gz")
    assert found == ["AbC0000", "XyZ9876"] + [f"AbC{n:04d}" for n in range(1, 30)]
    assert scanner.errors == []


def test_what_is_not_a_response_is_read_as_it_is() -> None:
    data = (record(b"GET /a/AbC1234 HTTP/1.1\r\nHost: imgur.com\r\nReferer: https://imgur.com/gallery/QwE4567\r\n\r\n",
                   b"request", b"application/http; msgtype=request", uri=b"https://imgur.com/a/AbC1234") +
            record(b"outlink: https://i.imgur.com/XyZ9876.jpg E =EMBED_MISC\r\n", b"metadata",
                   b"application/warc-fields") +
            record(b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://imgur.com/t/cats\r\n\r\n") +
            record(b"", b"revisit", version=b"1.1", uri=b"https://imgur.com/r/pics"))
    found, scanner = scan(data)
    assert found == ["AbC1234", "QwE4567", "XyZ9876", "cats", "pics"]
    assert scanner.warnings == []


def test_a_crawl_of_deleted_images_names_no_placeholder() -> None:
    # Each capture of a deleted image is a redirect to Imgur's removed.png: the image is a target, its placeholder
    # is none (it was one, the same for every crawl, fetched and failed: every such scan ended in failure).
    found, _ = scan(record(b"HTTP/1.1 302 Found\r\nLocation: https://i.imgur.com/removed.png\r\n\r\n",
                           uri=b"https://i.imgur.com/XyZ9876.jpg"))
    assert found == ["XyZ9876"]


def test_records_run_not_together() -> None:
    # A block that ends with a link, and a next record whose header would carry it on: each is read apart.
    data = (record(b"see https://imgur.com/a/AbC1234", b"resource", b"text/plain") +
            record(response(b"XyZ9876 is another", b"Content-Type: text/plain")))
    assert scan(data)[0] == ["AbC1234"]


def test_a_body_in_a_coding_not_decoded_is_said_once_with_how_many(tmp_path: Path) -> None:
    brotli_body = b"\x1b\x2a\x00\x00\x04\x1c\x67\x61\x6a\x8d\x6d\x1d"  # (a brotli stream: its links hidden)
    data = (record(response(brotli_body, b"Content-Encoding: br")) +
            record(response(gzip.compress(PAGE), b"Content-Encoding: gzip")) +
            record(response(brotli_body, b"Content-Encoding: br")) +
            record(response(b"x", b"Content-Encoding: compress")) +
            record(response(b"x", b"Content-Encoding: \x1b[2J\x07")))  # (what a server says is not printed raw)
    (tmp_path / "crawl.warc").write_bytes(data)
    result = run_main("--scan", str(tmp_path / "crawl.warc"), "-g")
    assert result.code == 0, result
    assert result.out.split() == ["https://imgur.com/a/AbC1234", "https://i.imgur.com/XyZ9876.jpg"]
    name = tmp_path / "crawl.warc"
    assert result.err.splitlines() == [
        f"imgur-dl: warning: {name}: 1 HTTP body compressed with \\x1b[2j\\x07, which imgur-dl does not decode: "
        "links inside it could not be looked for",
        f"imgur-dl: warning: {name}: 2 HTTP bodies compressed with brotli, which imgur-dl does not decode: links "
        "inside them could not be looked for",
        f"imgur-dl: warning: {name}: 1 HTTP body compressed with compress, which imgur-dl does not decode: links "
        "inside it could not be looked for",
        "imgur-dl: scanned 1.2 KiB: 2 Imgur links, 2 distinct targets"]


def test_a_body_that_does_not_decode_as_it_says_is_read_as_sent_from_there() -> None:
    spoilt = gzip.compress(PAGE)
    spoilt = spoilt[:10] + bytes(b ^ 0x55 for b in spoilt[10:30]) + spoilt[30:]
    plain = b"not gzip at all: https://imgur.com/gallery/QwE4567 "
    data = (record(response(spoilt, b"Content-Encoding: gzip")) +
            record(response(plain, b"Content-Encoding: gzip")) +
            record(response(chunked(b"https://imgur.com/t/cats"), b"Content-Encoding: deflate",
                            b"Transfer-Encoding: chunked")) +
            record(response(b"zz not a size\r\nhttps://imgur.com/r/pics", b"Transfer-Encoding: chunked")))
    found, scanner = scan(data)
    assert found == ["QwE4567", "cats", "pics"]
    assert scanner.warnings == [
        "crawl.warc: 1 HTTP body said to be in deflate did not decode: read as sent from where it went wrong",
        "crawl.warc: 2 HTTP bodies said to be in gzip did not decode: read as sent from where they went wrong"]


def test_a_body_cut_short_gives_what_it_holds() -> None:
    # A record the crawler cut (WARC-Truncated: length): its gzip stream has no end, its chunks stop mid-way.
    packed = gzip.compress(PAGE + b" " + bytes(range(256)) * 4 + b" https://imgur.com/t/cats")
    in_chunks = chunked(b"see https://imgur.com/gallery/QwE4567 " + bytes(100) + b"https://imgur.com/user/kate", [50])
    data = (record(response(packed[:-60], b"Content-Encoding: gzip")) +
            record(response(in_chunks[:-40], b"Transfer-Encoding: chunked")) +
            record(b"imgur.com/r/pics", b"resource", b"text/plain"))
    found, scanner = scan(data)
    assert found == [*FOUND, "QwE4567", "pics"]
    assert scanner.errors == [] and scanner.warnings == []


@pytest.mark.usefixtures("zstd_library")
def test_a_body_that_expands_far_is_given_whole() -> None:
    # Each piece read of it makes more than the decoder gives at a time: nothing it holds is left behind.
    page = b"".join(bytes(30_000) + b" https://imgur.com/a/AbC%04d " % n for n in range(40))
    for coding, body in (("gzip", gzip.compress(page)), ("deflate", zlib.compress(page, 9)),
                         ("zstd", zstandard.ZstdCompressor().compress(page))):
        found, scanner = scan(record(response(body, b"Content-Encoding: " + coding.encode())))
        assert found == [f"AbC{n:04d}" for n in range(40)], coding
        assert scanner.warnings == []


def test_a_body_whose_last_byte_the_decoder_still_holds_is_given_whole() -> None:
    # (Found by a search over lengths.) This body, cut short before its checksum, is all taken in by the decoder
    # while the last byte it makes is still held there, the piece it gave being full: asked again, it gives it.
    # Not asked, the link would have lost its last character and named another album.
    page = (b"xyz " * 32_762)[:131_045] + b" https://imgur.com/a/AbC1234"
    found, _ = scan(record(response(zlib.compress(page, 9)[:-4], b"Content-Encoding: deflate")))
    assert found == ["AbC1234"]


def test_where_it_stops_being_a_warc_the_rest_is_read_as_it_is() -> None:
    unending = b"WARC/1.0\r\nWARC-Type: response\r\nX-Filler: " + b"x" * (70 * 1024) + b" https://imgur.com/t/cats\r\n"
    first = record(b"https://imgur.com/r/pics", b"resource", b"text/plain")
    for tail, why in ((b"garbage that is no record https://imgur.com/a/AbC1234\n\n", "no record starts there"),
                      (unending, "a record's header does not end within 64 KiB")):
        found, scanner = scan(first + tail)
        assert found[0] == "pics" and found[1] in ("AbC1234", "cats")
        assert scanner.warnings == [f"crawl.warc: not a WARC file past byte {len(first)} ({why}): the rest was read "
                                    "as it is, compressed bodies and all"]
    for length in (b"-1", b"9" * 5000, b"", b"0x10"):  # (5000 digits: more than Python makes a number of)
        bad_length = record(b"x").replace(b"Content-Length: 1", b"Content-Length: " + length)
        found, scanner = scan(bad_length + record(response(gzip.compress(PAGE), b"Content-Encoding: gzip")))
        assert found == []  # (the rest, gzip and all, read as it is: said)
        assert scanner.warnings == ["crawl.warc: not a WARC file past byte 0 (a record's Content-Length is not a "
                                    "length): the rest was read as it is, compressed bodies and all"]


def test_a_body_that_expands_like_a_bomb_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "RATIO_AFTER", 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_RATIO", 100)  # (zeros deflate about 1,000 times: past this at once)
    bomb = gzip.compress(b"imgur.com/a/AbC1234 " + bytes(8 * 1024 * 1024))
    for data, name, mib in ((record(response(bomb, b"Content-Encoding: gzip")), "bomb.warc", 2),
                            (gzip.compress(record(response(bomb, b"Content-Encoding: gzip"))), "bomb.warc.gz", 2)):
        found, scanner = scan(data, name)
        assert found == ["AbC1234"]
        assert [str(e) for e in scanner.errors] == [f"{name}: stopped after {mib} MiB: it expands more than 100 "
                                                    "times (a decompression bomb?)"]  # (a read past 1 MiB)


def test_a_body_in_layer_after_layer_of_codings_is_not_unwrapped() -> None:
    # A decoder each, reading from the one inside it: deep enough, that was a crash (whatever the body holds).
    body = gzip.compress(gzip.compress(b"https://imgur.com/a/AbC1234"))
    found, scanner = scan(record(response(body, b"Content-Encoding: " + b", ".join([b"gzip"] * 3000))) +
                          record(response(gzip.compress(gzip.compress(PAGE)), b"Content-Encoding: gzip, gzip")))
    assert found == FOUND
    assert scanner.warnings == ["crawl.warc: 1 HTTP body compressed with 3000 codings one inside another, which "
                                "imgur-dl does not decode: links inside it could not be looked for"]


@pytest.mark.usefixtures("zstd_library")
def test_a_zstd_body_asking_for_a_huge_window_is_not_given_it() -> None:
    # A frame that says it needs a 128 MiB window (HTTP's zstd asks for no more than 8 MiB: RFC 9659).
    params = zstandard.ZstdCompressionParameters(window_log=27, write_content_size=False)
    with io.BytesIO() as out:
        with zstandard.ZstdCompressor(compression_params=params).stream_writer(out, closefd=False) as writer:
            writer.write(b"https://imgur.com/a/AbC1234 " + bytes(1000))
        huge = out.getvalue()
    assert zstandard.get_frame_parameters(huge).window_size == 2**27
    found, scanner = scan(record(response(huge, b"Content-Encoding: zstd")) + record(b"imgur.com/r/pics",
                                                                                     b"resource", b"text/plain"))
    assert found == ["pics"]
    assert scanner.warnings == ["crawl.warc: 1 HTTP body said to be in zstd did not decode: read as sent from where "
                                "it went wrong"]


def warc_zst(records: list[bytes], *, packed: bool) -> bytes:
    """A .warc.zst as ArchiveTeam writes them: a dictionary trained on the records first, in a dictionary frame
    (compressed, with ``packed``), then a zstd frame a record, each decoded with it (Zstandard Compression for WARC
    Files, "Dictionary frame format")."""
    trained = zstandard.train_dictionary(8192, records * 4)
    raw = trained.as_bytes()
    held = zstandard.ZstdCompressor(write_content_size=True, write_checksum=True).compress(raw) if packed else raw
    frames = zstandard.ZstdCompressor(dict_data=trained, write_content_size=True, write_checksum=True)
    return b"\x5d\x2a\x4d\x18" + len(held).to_bytes(4, "little") + held + b"".join(frames.compress(r) for r in records)


@pytest.mark.usefixtures("zstd_library")
@pytest.mark.parametrize("packed", [False, True], ids=["dictionary as it is", "dictionary compressed"])
def test_a_warc_zst_with_its_dictionary_is_read(packed: bool) -> None:
    pages = [PAGE.replace(b"AbC1234", b"AbC%04d" % n) + b" lorem ipsum" * (n % 7) for n in range(60)]
    records = [warcinfo()] + [record(response(p, b"Content-Type: text/html")) for p in pages]
    data = warc_zst(records, packed=packed)
    found, scanner = scan(data, "crawl.warc.zst")
    assert found == ["AbC0000", "XyZ9876"] + [f"AbC{n:04d}" for n in range(1, 60)]
    assert scanner.errors == [] and scanner.warnings == []


@pytest.mark.usefixtures("zstd_library")
def test_a_megawarc_of_warc_zst_files_each_with_its_dictionary_again_is_read_whole() -> None:
    # ArchiveTeam's megawarc ("megawarc pack"): the dictionary frame first, then each .warc.zst of that dictionary
    # copied whole after it, its own dictionary frame and all: a skippable frame between two files' frames.
    pages = [PAGE.replace(b"AbC1234", b"AbC%04d" % n) for n in range(30)]
    records = [warcinfo()] + [record(response(p, b"Content-Type: text/html")) for p in pages]
    whole = warc_zst(records, packed=True)
    opening = whole[:8 + int.from_bytes(whole[4:8], "little")]  # (the dictionary frame)
    frames = zstandard.ZstdCompressor(dict_data=zstandard.ZstdCompressionDict(zstandard.ZstdDecompressor().decompress(
        opening[8:]), dict_type=zstandard.DICT_TYPE_FULLDICT), write_checksum=True)
    files = [opening + b"".join(frames.compress(r) for r in records[start:start + 10]) for start in (0, 10, 20, 30)]
    found, scanner = scan(opening + b"".join(files), "x.megawarc.warc.zst")
    assert found == ["AbC0000", "XyZ9876"] + [f"AbC{n:04d}" for n in range(1, 30)]
    assert scanner.errors == scanner.warnings == []


@pytest.mark.usefixtures("zstd_library")
def test_a_warc_zst_whose_dictionary_cannot_be_had_is_one_line() -> None:
    data = warc_zst([warcinfo(), record(response(PAGE))], packed=False)
    size = int.from_bytes(data[4:8], "little")
    for spoilt, why in (
            (data[:8 + size // 2], "crawl.warc.zst: cannot read on (the file ends inside its zstd dictionary: it is "
                                   "cut short); what was found before it still counts"),
            (data[:4] + (100 * 2**20).to_bytes(4, "little") + data[8:],
             "crawl.warc.zst opens with a zstd dictionary of 100 MiB, more than the 16 MiB imgur-dl reads"),
            (data[:8] + b"\x00" * 4 + data[12:], "crawl.warc.zst: cannot read on (its zstd dictionary frame holds no "
                                                  "dictionary); what was found before it still counts")):
        found, scanner = scan(spoilt, "crawl.warc.zst")
        assert found == [] and [str(e) for e in scanner.errors] == [why]


_CODINGS = st.sampled_from(["plain", "gzip", "deflate", "zstd"])
_FILLER = st.binary(max_size=300).filter(lambda b: b"imgur" not in b.lower())


@PROPERTIES
@given(st.lists(st.tuples(_CODINGS, st.booleans(), st.lists(st.integers(1, 80), min_size=1, max_size=6), _FILLER),
                min_size=1, max_size=5),
       st.booleans(), st.lists(st.integers(0, 10_000), max_size=8))
def test_every_link_of_every_body_is_found_whatever_its_coding_chunks_and_pieces(
        bodies: list[tuple[str, bool, list[int], bytes]], zipped: bool, cuts: list[int]) -> None:
    records, expected = [warcinfo()], []
    for n, (coding, in_chunks, sizes, filler) in enumerate(bodies):
        page = filler + b" https://imgur.com/a/AbC%04d " % n + filler
        expected.append(f"AbC{n:04d}")
        body = {"plain": page, "gzip": gzip.compress(page), "deflate": zlib.compress(page),
                "zstd": zstandard.ZstdCompressor().compress(page)}[coding]
        fields = [] if coding == "plain" else [b"Content-Encoding: " + coding.encode()]
        if in_chunks:
            body, fields = chunked(body, sizes), [*fields, b"Transfer-Encoding: chunked"]
        records.append(record(response(body, *fields)))
    data = b"".join(gzip.compress(r) for r in records) if zipped else b"".join(records)
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BufferedReader(Pieces(data, [c % (len(data) + 1) for c in cuts])),
                                        "crawl.warc")]
    assert found == expected
    assert scanner.errors == [] and scanner.warnings == []


_VALID = [warcinfo() + record(message) for _, message in ENCODED]


def _short(records: list[bytes], at: int) -> int:
    """How many bytes of its block the record cut at ``at`` is short of."""
    start = 0
    for whole in records:
        if at < start + len(whole):
            head_end = whole.index(b"\r\n\r\n") + 4
            return len(whole) - 4 - head_end - max(0, at - start - head_end)
        start += len(whole)
    return 0


@PROPERTIES
@given(st.sampled_from(_VALID), st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=8)), max_size=6),
       st.binary(max_size=400))
def test_a_warc_spoilt_anywhere_is_read_without_a_crash(valid: bytes, spoils: list[tuple[int, bytes]],
                                                        tail: bytes) -> None:
    # Bytes changed, cut out or put in anywhere (a header, a length, a chunk's size, a compressed body), and
    # anything after: read to the end, with every error the scan's own.
    data = bytearray(valid)
    for place, new in spoils:
        at = place % (len(data) + 1)
        data[at:at + len(new) // 2] = new
    scanner = Scanner()
    for _ in scanner.scan(io.BytesIO(bytes(data) + tail), "crawl.warc"):
        pass
    assert all(isinstance(error, compressed.ScanError) for error in scanner.errors)


@PROPERTIES
@given(st.integers(0, 10**6), st.booleans())
def test_a_warc_cut_anywhere_gives_the_links_before_the_cut_and_says_it_is_cut_short(cut: int, plain: bool) -> None:
    # A crawl whose download was interrupted: every link whole before the cut is found; a cut inside a record
    # (its header or its block) is said, as a compressed file cut short is, and a cut between records is none.
    records = [record(response(PAGE.replace(b"AbC1234", b"AbC%04d" % n) if plain else
                               gzip.compress(PAGE.replace(b"AbC1234", b"AbC%04d" % n)),
                               *([] if plain else [b"Content-Encoding: gzip"]))) for n in range(4)]
    data = b"".join(records)
    at = cut % (len(data) + 1)
    found, scanner = scan(data[:at])
    ends = [sum(len(r) for r in records[:n + 1]) for n in range(len(records))]
    whole = sum(1 for end in ends if end - 4 <= at)  # (a record whose block is in: its two line ends may be cut)
    every = [i for n in range(len(records)) for i in ([f"AbC{n:04d}"] + (["XyZ9876"] if n == 0 else []))]
    expected = [i for n in range(whole) for i in ([f"AbC{n:04d}"] + (["XyZ9876"] if n == 0 else []))]
    # (What the cut record's body gave before the cut, plain or decompressed, may come too: a prefix of the rest.)
    assert found == every[:len(found)] and len(found) >= len(expected)
    if at < len(b"WARC/1") or any(end - 4 <= at <= end for end in ends):  # (too little to be a WARC; a whole one)
        assert scanner.errors == []
    else:
        assert [str(e).split(": cannot read on (")[1].split(":")[0] for e in scanner.errors] in (
            ["the file ends inside a record's header"], [f"the file ends inside a record, {n:,} bytes short"
                                                         for n in [_short(records, at)]])
