"""``--scan`` of a gzip file of many members (a ``.warc.gz``: a member a record): a spoilt member is said and passed
over, and reading goes on from the next one."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgur_dl import gzipped
from imgur_dl.errors import FileStopped, ScanError
from imgur_dl.gzipped import Gzip
from imgur_dl.members import MOST_SPOILT, NOT_ONE, Members
from imgur_dl.scan import Scanner
from tests.conftest import members_read, run_main
from tests.test_warc import record, response


def _read(data: bytes, cuts: list[int] | None = None) -> tuple[bytes, list[ScanError]]:
    """All the text of the gzip file ``data`` (from a pipe, in pieces, with ``cuts``), and what was said, in turn."""
    return members_read(data, "x.gz", Gzip(), cuts)


_TEXT = st.one_of(st.binary(max_size=3000), st.builds(lambda n, seed: random.Random(seed).randbytes(n).hex().encode(),
                                                      st.integers(0, 4000), st.integers()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TEXT, st.integers(0, 9), st.integers(0, 3)), min_size=1, max_size=6),
       st.data(), st.lists(st.integers(0, 10**5), max_size=6))
def test_a_spoilt_member_loses_only_its_own_text(members: list[tuple[bytes, int, int]], data: st.DataObject,
                                                 cuts: list[int]) -> None:
    texts = [text for text, _, _ in members]
    packed = [gzip.compress(text, level, mtime=0) + bytes(padding) for text, level, padding in members]
    assert _read(b"".join(packed), cuts) == (b"".join(texts), [])
    spoilt = data.draw(st.integers(0, len(packed) - 1))
    member = bytearray(packed[spoilt])
    if data.draw(st.booleans()):  # (bytes overwritten)
        at, new = data.draw(st.integers(0, len(member) - 1)), data.draw(st.binary(min_size=1, max_size=8))
        member[at:at + len(new)] = new
    else:  # (cut short, the members after it written on: a writer that was stopped and started again)
        del member[data.draw(st.integers(1, len(member) - 1)):]
    before, after = b"".join(texts[:spoilt]), b"".join(texts[spoilt + 1:])
    text, said = _read(b"".join([*packed[:spoilt], bytes(member), *packed[spoilt + 1:]]), cuts)
    if not said:  # (a byte gzip does not check: its header's time, the system it was made on)
        assert text == b"".join(texts)
        return
    # What came before the damage, whole; a line for it, and at most one more: the file given up where what the
    # spoilt member still claimed (its header's fields, a stored block's length) ran on to the file's end, as a file
    # cut short, or no member found after it. Where the last line is one reading goes on after, every member after
    # the spoilt one is read whole, in its place. (test_members_after_a_spoilt_one_are_read_whole: that it is.)
    assert text.startswith(before)
    assert all(isinstance(error, FileStopped) for error in said[:-1]) and len(said) <= 2, said
    if isinstance(said[-1], FileStopped):
        assert text.endswith(after) and len(text) >= len(before) + len(after)
    else:
        assert said[-1].why == gzipped.CUT_SHORT or said[-1].why.startswith("no gzip member follows"), said


@pytest.mark.parametrize("cut", [False, True])
def test_members_after_a_spoilt_one_are_read_whole(cut: bool) -> None:
    # Members of text deflated as any writer deflates it, one spoilt anywhere in its data (overwritten, or cut short
    # and others written after it), in 60 ways each: the others are read whole, with one line.
    rng = random.Random(7)
    texts = [b" ".join(rng.choice([b"imgur", b"com", b"WARC", b"page", b"%d" % n]) for _ in range(rng.randrange(300)))
             for n in range(40)]
    packed = [gzip.compress(text, rng.randrange(1, 10), mtime=0) for text in texts]
    for trial in range(60):
        spoilt = rng.randrange(len(packed))
        member = bytearray(packed[spoilt])
        at = rng.randrange(10, len(member) - 8)  # (its deflated data)
        if cut:
            del member[at:]
        else:
            member[at:at + 4] = rng.randbytes(4)
        data = b"".join([*packed[:spoilt], bytes(member), *packed[spoilt + 1:]])
        text, said = _read(data)
        if trial % 10 == 0:  # (and from a pipe, in pieces of 3 bytes: a header found across two of them)
            piped, piped_said = _read(data, list(range(0, len(data), 3)))
            assert (piped, [str(e) for e in piped_said]) == (text, [str(e) for e in said])
        if cut and spoilt == len(packed) - 1:  # (the file cut short)
            assert [e.why for e in said] == [gzipped.CUT_SHORT]
        elif said:
            assert [type(e) for e in said] == [FileStopped], said
            assert text.startswith(b"".join(texts[:spoilt])) and text.endswith(b"".join(texts[spoilt + 1:]))
        else:  # (four bytes overwritten with what was there)
            assert text == b"".join(texts)


@pytest.mark.parametrize("form", ["gzip", "zstd"])
def test_a_spoilt_first_member_within_the_first_bytes_read_is_said_once_and_the_next_read(form: str) -> None:
    # A file's first few hundred bytes are read whole to tell what it is: a small spoilt member there is said once as
    # reading goes on (it said so, without end, and the scan never ended), and what came before it still counts.
    first, second = b"see imgur.com/a/AbC1234 now\n", b"imgur.com/a/XyZ9876\n"
    if form == "gzip":
        spoilt = bytearray(gzip.compress(first))
        spoilt[-8] ^= 0xFF  # (its CRC-32)
        data = bytes(spoilt) + gzip.compress(second)
    else:
        spoilt = bytearray(zstandard.ZstdCompressor(write_checksum=True).compress(first))
        spoilt[-1] ^= 0xFF  # (its checksum)
        data = bytes(spoilt) + zstandard.ZstdCompressor().compress(second)
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(data), "dump.json")]
    assert found == (["AbC1234", "XyZ9876"] if form == "gzip" else ["XyZ9876"])  # (zstd's frame gives nothing first)
    assert len(scanner.errors) == 1 and "reading goes on from the next" in str(scanner.errors[0]), scanner.errors


def test_a_crawl_with_a_spoilt_record_loses_that_record_alone(tmp_path: Path) -> None:
    # A .warc.gz a member a record (WARC/1.1, annex D), each page sent gzip-compressed: its link is found only in a
    # record read as one. Before, the file stopped at the spoilt member: 77 of 200 records' links were found.
    rng = random.Random(1)
    records = []
    for n in range(200):
        page = b"<p>" + rng.randbytes(3000).hex().encode() + b" <a href='https://imgur.com/a/Wr%05d'>" % n
        records.append(gzip.compress(record(response(gzip.compress(page, mtime=0), b"Content-Encoding: gzip")),
                                     mtime=0))
    spoilt = bytearray(records[77])
    spoilt[len(spoilt) // 2] ^= 0x55
    records[77] = bytes(spoilt)
    crawl = b"".join(records)
    start = len(b"".join(records[:77]))
    (tmp_path / "crawl.warc.gz").write_bytes(crawl)
    result = run_main("--scan", str(tmp_path / "crawl.warc.gz"), "-g")
    assert result.code == 1, result
    # (the spoilt record's own link too: its page, a gzip member kept in it, is found and read up to its damage)
    assert result.out.split() == [f"https://imgur.com/a/Wr{n:05d}" for n in range(200)]
    assert result.err.count("error:") == 1, result.err
    assert (f"crawl.warc.gz: its gzip member from byte {start:,} cannot be read on (incorrect data check); what was "
            "found before it still counts, and reading goes on from the next member") in result.err, result.err
    # The spoilt record's page (its flipped byte inside it) is said as any other that does not decode; the records
    # after it are read as ever.
    assert "1 HTTP body said to be in gzip did not decode" in result.err and "not a WARC file" not in result.err
    # Inside a data export, the crawl reads on, and so do the files after it.
    export = io.BytesIO()
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("crawl.warc.gz", crawl)
        archive.writestr("notes.txt", "imgur.com/a/AfTer12")
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(export.getvalue()), "export.zip")] == \
        [f"Wr{n:05d}" for n in range(200)] + ["AfTer12"]
    assert [str(e).split(": its gzip")[0] for e in scanner.errors] == ["export.zip: crawl.warc.gz"]


def test_a_file_spoilt_throughout_is_given_up_in_one_line_more() -> None:
    members = [bytearray(gzip.compress(b"imgur.com/a/AbC%04d " % n * 50, mtime=0)) for n in range(20)]
    for member in members:
        member[-8] ^= 1  # (its CRC)
    _, said = _read(b"".join(members))
    assert len(said) == MOST_SPOILT + 1
    assert all(isinstance(e, FileStopped) for e in said[:-1]) and not isinstance(said[-1], FileStopped)
    assert str(said[-1]) == ("x.gz: cannot read on (more than 10 of its gzip members cannot be read: spoilt "
                             "throughout?); what was found before it still counts")


def test_a_file_of_one_spoilt_member_says_nothing_follows_it() -> None:
    packed = bytearray(gzip.compress(random.Random(3).randbytes(20_000).hex().encode(), mtime=0))
    packed[len(packed) // 2:len(packed) // 2 + 4] = b"\xff\xff\xff\xff"
    _, said = _read(bytes(packed))
    # The member's line (which says reading goes on from the next), then both in one, said in its place by a scan.
    assert [str(e).split(" (")[0] for e in said] == ["x.gz: its gzip member from byte 0 cannot be read on"] * 2
    assert str(said[1]).endswith("), and no member follows it; what was found before it still counts")
    assert said[1].why == "no gzip member follows the one spoilt at byte 0"
    assert said[1].replaces is said[0]
    # Cut short (a download stopped): the words as before, once.
    assert [str(e) for e in _read(gzip.compress(b"x" * 100_000)[:-20])[1]] == [
        f"x.gz: cannot read on ({gzipped.CUT_SHORT}); what was found before it still counts"]


def test_what_follows_the_last_member_is_read_on_from_where_a_member_starts() -> None:
    first, second = gzip.compress(b"imgur.com/a/AbC1234\n", mtime=0), gzip.compress(b"imgur.com/a/XyZ9876", mtime=0)
    assert _read(first + bytes(5000) + second) == (b"imgur.com/a/AbC1234\nimgur.com/a/XyZ9876", [])  # (padding)
    text, said = _read(first + b"written after it by mistake " + second)
    assert text == b"imgur.com/a/AbC1234\n\nimgur.com/a/XyZ9876"  # (a member found after it: on a line of its own)
    assert [e.why for e in said] == ["not a gzip member's header"]


def test_a_tar_whose_gzip_is_spoilt_stops_at_once_in_one_line() -> None:
    # A .tar.gz is one stream: nothing can be read on past its damage, and the rest of it is not read in vain.
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for n in range(3):
            data = b"imgur.com/a/AbC%04d " % n + random.Random(n).randbytes(500_000).hex().encode()
            info = tarfile.TarInfo(f"{n}.bin")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    spoilt = bytearray(out.getvalue())
    spoilt[100_000:101_000] = random.Random(1).randbytes(1000)
    source = io.BytesIO(bytes(spoilt))
    scanner = Scanner()
    assert [t.id for t in scanner.scan(source, "export.tgz")] == ["AbC0000"]
    assert [str(e) for e in scanner.errors] == ["export.tgz: cannot read on (invalid block type); what was found "
                                                "before it still counts"]
    assert not isinstance(scanner.errors[0], FileStopped)
    assert source.tell() < 200_000 < len(spoilt)


def test_a_member_looked_for_is_held_back_until_it_is_trusted() -> None:
    # Bytes that look like a member's header after a spoilt one, and decode a little before they fail: nothing of
    # them is given. (A stored block of 300 bytes of text, then no more: no end, no checksum.)
    stored = zlib.compressobj(0, zlib.DEFLATED, -zlib.MAX_WBITS)
    lookalike = b"\x1f\x8b\x08\x00" + bytes(6) + stored.compress(b"imgur.com/a/FaKe123 " * 15) + \
        stored.flush(zlib.Z_SYNC_FLUSH)
    spoilt = bytearray(gzip.compress(b"imgur.com/a/AbC1234 " * 500, mtime=0))
    spoilt[10] = 0xFF  # (its first block's header: a kind of block there is none of)
    text, said = _read(bytes(spoilt) + lookalike + b"\xff" * 50 + gzip.compress(b" imgur.com/a/XyZ9876", mtime=0))
    assert b"FaKe123" not in text and text.endswith(b" imgur.com/a/XyZ9876")
    assert [type(e) for e in said] == [FileStopped]


_STRING = st.binary(max_size=12).map(lambda b: b.replace(b"\x00", b""))  # (a name or comment: ended by a zero)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 255), st.binary(min_size=6, max_size=6), st.binary(max_size=20), _STRING, _STRING, st.booleans(),
       st.binary(max_size=200))
def test_a_member_s_header_is_read_as_zlib_reads_it(flags: int, fixed: bytes, extra: bytes, name: bytes,
                                                   comment: bytes, right_crc: bool, text: bytes) -> None:
    # Each field a header may hold (RFC 1952, section 2.3.1), its own CRC right or wrong, reserved bits or none:
    # taken as a header exactly where zlib takes one, and its size known only once all of it is in hand.
    header = b"\x1f\x8b\x08" + bytes([flags]) + fixed
    if flags & 0x04:
        header += len(extra).to_bytes(2, "little") + extra
    for flag, field in ((0x08, name), (0x10, comment)):
        if flags & flag:
            header += field + b"\x00"
    if flags & 0x02:
        header += ((zlib.crc32(header) & 0xFFFF) ^ (0 if right_crc else 1)).to_bytes(2, "little")
    deflater = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    member = header + deflater.compress(text) + deflater.flush() + \
        zlib.crc32(text).to_bytes(4, "little") + len(text).to_bytes(4, "little")
    try:
        accepted = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(member) == text
    except zlib.error:
        accepted = False
    assert gzipped.header_size(member) == (len(header) if accepted else NOT_ONE)
    if accepted:
        assert all(gzipped.header_size(header[:k]) is None for k in range(len(header)))
        assert _read(member) == (text, [])


def test_a_file_is_read_as_it_comes_not_read_ahead() -> None:
    # A member's text is given as soon as it is read: a crawl on a pipe is not waited on to its end, nor held whole.
    members = b"".join(gzip.compress(random.Random(n).randbytes(20_000).hex().encode(), mtime=0) for n in range(200))
    source = io.BytesIO(members)
    reader = Members(source, "x.gz", Gzip())
    given = 0
    while given <= 40_000:  # (the first member's text, and the next one's first piece: past its trailer)
        given += len(reader.read1(1000))
    assert source.tell() <= 2 * 64 * 1024 < len(members)


def test_what_looks_like_a_member_after_a_spoilt_one_is_passed_over_without_a_word() -> None:
    # After a member whose checksum is wrong: a look-alike inside it (kept as stored), a whole member, then a
    # look-alike right after that one (where a member must begin, but two members in a row have not been read
    # whole yet) that fails: nothing of the look-alikes is given, and the damage is said once.
    stored = zlib.compressobj(0, zlib.DEFLATED, -zlib.MAX_WBITS)
    lookalike = b"\x1f\x8b\x08\x00" + bytes(6) + stored.compress(b"imgur.com/a/FaKe123 " * 200) + \
        stored.flush(zlib.Z_SYNC_FLUSH) + b"\xff" * 50  # (its text more than one read gives: given before it fails)
    spoilt = bytearray(gzip.compress(b"imgur.com/a/AbC1234 " + lookalike, 0, mtime=0))
    spoilt[-8] ^= 1  # (its CRC)
    whole, after = gzip.compress(b" imgur.com/a/XyZ9876", mtime=0), gzip.compress(b" imgur.com/a/QwE4567", mtime=0)
    text, said = _read(bytes(spoilt) + whole + lookalike + after + after)
    assert text.count(b"FaKe123") == 200  # (the spoilt member's own text, as it came: the look-alikes', never)
    assert text.endswith(b" imgur.com/a/XyZ9876\n imgur.com/a/QwE4567 imgur.com/a/QwE4567")
    assert [e.why for e in said] == ["incorrect data check"]


def test_a_crawl_whose_first_record_is_spoilt_is_still_read_as_one() -> None:
    # Nothing came before the member found: it opens the text, where a WARC file is told by its first line (its
    # pages' compressed bodies are decoded only then). In a tar archive too, which goes on past the member.
    pages = [gzip.compress(record(response(gzip.compress(b"<a href='https://imgur.com/a/Fi%05d'>" % n, mtime=0),
                                           b"Content-Encoding: gzip")), mtime=0) for n in range(3)]
    spoilt = bytearray(pages[0])
    spoilt[10] = 0xFF  # (its first block: a kind there is none of)
    crawl = bytes(spoilt) + b"".join(pages[1:])
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(crawl), "crawl.warc.gz")] == ["Fi00001", "Fi00002"]
    assert [e.why for e in scanner.errors] == ["invalid block type"] and scanner.warnings == []
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in (("crawl.warc.gz", crawl), ("notes.txt", b"imgur.com/a/AfTer12")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    scanner = Scanner()
    assert [t.id for t in scanner.scan(io.BytesIO(out.getvalue()), "crawls.tar")] == ["Fi00001", "Fi00002",
                                                                                      "AfTer12"]
    assert [str(e).split(": its")[0] for e in scanner.errors] == ["crawls.tar: crawl.warc.gz"]


def test_a_file_cut_short_gives_all_its_decoder_made_of_it() -> None:
    # What the bytes that arrived make, whole: the decoder may still hold text when the last of them is taken (a
    # read asks for a little at a time), and it is given before the file is said to be cut short.
    packed = gzip.compress(b"".join(b"imgur.com/a/AbC%04d " % n + b"lorem ipsum " * (n % 300) for n in range(300)),
                           mtime=0)  # (long runs: a few bits of the file make much text)
    for cut in range(20, len(packed), 7):
        text, said = _read(packed[:cut])
        assert text == zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(packed[:cut]), cut
        assert [e.why for e in said] == [gzipped.CUT_SHORT]


def test_a_member_with_a_long_header_is_found_after_a_spoilt_one() -> None:
    # Its name alone longer than the first look at a place takes in: the member itself tells.
    spoilt = bytearray(gzip.compress(b"imgur.com/a/AbC1234 " * 100, mtime=0))
    spoilt[10] = 0xFF
    named = io.BytesIO()
    with gzip.GzipFile(filename="a-name-longer-than-the-first-look-at-a-place-" * 3, mode="wb", fileobj=named,
                       mtime=0) as out:
        out.write(b"imgur.com/a/XyZ9876")
    text, said = _read(bytes(spoilt) + named.getvalue())
    assert text == b"imgur.com/a/XyZ9876" and [e.why for e in said] == ["invalid block type"]
