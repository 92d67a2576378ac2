"""``--scan`` of a PDF file: the links of its annotations, in object streams compressed as PDF 1.5 keeps them."""

from __future__ import annotations

import io
import itertools
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgur_dl import pdf, reader, scan
from imgur_dl.scan import Scanner
from tests.conftest import Pieces, run_main

LINK = b"<</Type/Annot/Subtype/Link/Rect[72 700 300 712]/Border[0 0 0]/A<</S/URI/URI(https://imgur.com/a/AbC1234)>>>>"
# A page's text as pdfTeX draws it: a piece at a time, kerned; read as written, "QwE56" (another album).
KERNED = b"BT /F1 10 Tf 72 700 Td [(See )-250(imgur.com/a/QwE56)-15(78)]TJ ET"


def made(objects: list[bytes], content: bytes = KERNED, *, version: bytes = b"1.5", packed: bytes | None = None,
         dictionary: bytes = b"/Type/ObjStm") -> bytes:
    """A PDF file as PDF 1.5 writers make one: ``objects`` in one object stream (ISO 32000-1, 7.5.7: the objects'
    numbers and offsets, then the objects), compressed with Flate (or ``packed`` in its place), and a page whose
    content stream draws ``content``."""
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b" ".join(b"%d %d" % (n + 2, at) for n, at in enumerate(offsets)) + b"\n"
    data = zlib.compress(header + body) if packed is None else packed
    drawn = zlib.compress(content)
    return (b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n"
            b"1 0 obj\n<<" + dictionary + b"/N %d/First %d/Length %d/Filter/FlateDecode>>stream\r\n"
            % (len(objects), len(header), len(data)) + data + b"\r\nendstream\nendobj\n"
            b"9 0 obj\n<</Length %d/Filter/FlateDecode>>stream\n" % len(drawn) + drawn + b"\nendstream\nendobj\n"
            b"trailer\n<</Root 2 0 R>>\nstartxref\n0\n%%EOF\n")


UNREAD = ("paper.pdf: 1 of its object streams could not be decompressed to their end (an encrypted PDF? a damaged "
          "one, or cut short?): a link past where each stopped is not found")
PAPER = made([b"<</Type/Catalog/Pages 3 0 R>>", b"<</Type/Pages/Kids[4 0 R]/Count 1>>", LINK])


def scanned(data: bytes, name: str = "paper.pdf") -> tuple[list[str], Scanner]:
    scanner = Scanner()
    return [t.id for t in scanner.scan(io.BytesIO(data), name)], scanner


def test_a_link_in_an_object_stream_is_found_and_a_page_s_text_is_not_read() -> None:
    found, scanner = scanned(PAPER)
    assert found == ["AbC1234"]
    assert scanner.warnings == scanner.errors == []


def test_a_pdf_that_keeps_its_objects_as_they_are_is_read_as_before() -> None:
    plain = b"%PDF-1.4\n1 0 obj\n" + LINK + b"\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n"
    assert scanned(plain)[0] == ["AbC1234"]


def test_an_object_stream_with_no_link_or_not_flate_or_not_an_object_stream_gives_nothing() -> None:
    assert scanned(made([b"<</Type/Catalog>>"]))[0] == []
    assert scanned(made([LINK], dictionary=b"/Type/XObject/Subtype/Form"))[0] == []  # (a form: drawn text too)
    uncompressed = PAPER.replace(b"/Filter/FlateDecode>>stream\r\n", b">>stream\r\n", 1)
    assert scanned(uncompressed)[0] == []  # (no filter: what follows is no Flate data, and is read as it is)


def test_an_object_stream_s_dictionary_damaged_lends_its_place_to_no_other_stream() -> None:
    # Its ">>" spoilt, the next ">> stream" is the page's: that data is not read as the object stream's ("QwE56").
    damaged = PAPER.replace(b"/Filter/FlateDecode>>stream\r\n", b"/Filter/FlateDecode\x00>stream\r\n", 1)
    assert damaged != PAPER
    assert scanned(damaged)[0] == []
    opened = PAPER.replace(b"/Filter/FlateDecode>>stream\r\n", b"/Filter/FlateDecode/X<<>>stream\r\n", 1)
    assert scanned(opened)[0] == []  # (a dictionary inside: no object stream's)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(7, 5000), st.integers(40, 3000), st.lists(st.integers(0, 10**5), max_size=8))
def test_the_same_links_wherever_chunks_blocks_and_a_pipe_s_pieces_end(chunk: int, block: int,
                                                                        cuts: list[int]) -> None:
    data = made([b"<</Type/Catalog>>", LINK, b"<</S/URI/URI(https://i.imgur.com/XyZ9876.jpg)>>"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf, "CHUNK", chunk)
        patch.setattr(scan, "BLOCK", block)
        scanner = Scanner()
        piped = io.BufferedReader(Pieces(data, [c % (len(data) + 1) for c in cuts]))
        assert [t.id for t in scanner.scan(piped, "paper.pdf")] == ["AbC1234", "XyZ9876"]
        assert scanner.warnings == scanner.errors == []


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_pdf_spoilt_or_cut_short_anywhere_is_read_without_a_crash(data: st.DataObject) -> None:
    spoilt = bytearray(PAPER)
    for _ in range(data.draw(st.integers(1, 4))):
        spoilt[data.draw(st.integers(0, len(spoilt) - 1))] = data.draw(st.integers(0, 255))
    cut = bytes(spoilt[:data.draw(st.integers(0, len(spoilt)))])
    found, scanner = scanned(cut)
    assert not [t for t in found if t.startswith("QwE")]  # (a page's text is never read)
    if set(found) - {"AbC1234"}:  # (a spoilt Flate stream can decode to another link before it fails: said)
        assert scanner.warnings == [UNREAD]
    assert scanner.errors == []


def test_a_flate_stream_spoilt_into_another_link_is_said() -> None:
    # A bit of Flate data flipped can change a literal and decode on: the link it makes is the damage's, and nothing
    # tells until the stream's checksum (here the file is cut short before it): what was found is said to be in doubt.
    start = PAPER.index(b">>stream\r\n") + len(b">>stream\r\n")
    end = PAPER.index(b"\r\nendstream")
    for at, bit in itertools.product(range(start, end), range(8)):
        spoilt = bytearray(PAPER)
        spoilt[at] ^= 1 << bit
        found, scanner = scanned(bytes(spoilt[:end - 4]))
        if set(found) - {"AbC1234"}:
            assert scanner.warnings == [UNREAD]
            return
    pytest.fail("no bit of the Flate data changes its link")


def test_an_object_stream_that_cannot_be_decompressed_is_said() -> None:
    encrypted = made([LINK], packed=bytes(range(7, 250)))  # (an encrypted file's: no Flate data until decrypted)
    found, scanner = scanned(encrypted + PAPER[len(b"%PDF-1.5\n"):])
    assert found == ["AbC1234"]  # (the next object stream is read all the same)
    assert scanner.warnings == [UNREAD]


def test_a_pdf_cut_short_anywhere_in_an_object_stream_gives_no_link_cut_short() -> None:
    # Cut inside the stream, what it gave ends with a link cut short ("imgur.com/a/AbC12", another album): left out.
    start, end = PAPER.index(b"stream\r\n") + 8, PAPER.index(b"\r\nendstream")
    for cut in range(start, end):
        found, scanner = scanned(PAPER[:cut])
        assert set(found) <= {"AbC1234"}, cut  # (never "AbC12", another album)
        assert scanner.warnings in ([], [UNREAD]), cut  # (none where the stream's first bytes alone are there)
    assert scanned(PAPER[:end - 1])[1].warnings == [UNREAD]
    assert scanned(PAPER[:end])[0] == ["AbC1234"]


def test_an_object_stream_past_its_bound_is_read_to_it_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "STREAM_MOST", 1024 * 1024)
    found, scanner = scanned(made([LINK, b"%" + bytes(3 * 1024 * 1024), b"<</URI(https://imgur.com/a/QwE5678)>>"]))
    assert found == ["AbC1234"]  # (the link past the bound is not read)
    assert scanner.warnings == ["paper.pdf: 1 of its object streams decompress to more than 1 MiB: only that much "
                                "of each was read"]


def test_object_streams_that_expand_like_a_bomb_are_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "RATIO_AFTER", 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_RATIO", 100)  # (zeros deflate about 1,000 times: past this at once)
    found, scanner = scanned(made([LINK, b"%" + bytes(8 * 1024 * 1024)]))
    assert found == ["AbC1234"]
    assert [str(e) for e in scanner.errors] == ["paper.pdf: stopped after 2 MiB: it expands more than 100 times (a "
                                                "decompression bomb?)"]


def test_a_compressed_pdf_and_one_in_a_zip_are_read_so_too(tmp_path: Path) -> None:
    import gzip  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    (tmp_path / "paper.pdf.gz").write_bytes(gzip.compress(PAPER))
    with zipfile.ZipFile(tmp_path / "papers.zip", "w") as archive:
        archive.writestr("2019/paper.pdf", PAPER)
    result = run_main("--scan", str(tmp_path / "paper.pdf.gz"), "--scan", str(tmp_path / "papers.zip"), "-g")
    assert result.code == 0, result
    assert result.out == "https://imgur.com/a/AbC1234\n"
