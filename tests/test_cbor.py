"""--scan of CBOR: a Bluesky account's export (a CAR file of DAG-CBOR blocks) and a self-described CBOR file, as
cbor2's encoder writes them (tests/data/cbor/make.py made them)."""

from __future__ import annotations

import gzip
import random
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import cbor
from tests.conftest import SPOILS, Pieces, run_main, scanned_spoilt
from tests.conftest import scanned as scan_of

DATA = Path(__file__).parent / "data" / "cbor"
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _keys(seed: int, count: int) -> set[str]:
    """The ids make.py put in a file (each a link's: a post's, a row's)."""
    rnd = random.Random(seed)
    return {"".join(rnd.choice(_ALPHABET) for _ in range(7)) for _ in range(count)}


POSTS, ROWS = _keys(11, 60), _keys(12, 40)
REPO = (DATA / "repo.car").read_bytes()


def test_a_bluesky_export_gives_the_link_of_every_post(tmp_path: Path) -> None:
    # (Read as bytes, it gave none of them: each address in a facet or an embed is followed by the key "$type" or
    # "thumb", whose head is "e", glued to it; the post's text shows the link shortened.)
    assert scan_of(REPO, "repo.car") == (POSTS, [], [])
    assert scan_of(Pieces(REPO, list(range(0, len(REPO), 333))), "repo.car")[0] == POSTS  # type: ignore[arg-type]
    (tmp_path / "repo.car.gz").write_bytes(gzip.compress(REPO))
    outcome = run_main("--scan", str(tmp_path / "repo.car.gz"), "-g")
    assert outcome.code == 0, outcome
    assert len(outcome.out.splitlines()) == len(POSTS)


def test_a_carv2_file_is_read_as_the_carv1_data_it_holds() -> None:
    header = bytes(16) + (51).to_bytes(8, "little") + len(REPO).to_bytes(8, "little") + bytes(8)
    index = b"\x80\x04" + b"junk after the data https://imgur.com/NotRead"  # (its index: not the data's)
    assert scan_of(cbor.CAR_V2 + header + REPO + index, "v2.car") == (POSTS, [], [])


def test_blocks_of_other_kinds_and_blocks_that_are_not_what_they_say_are_read_as_they_are() -> None:
    def section(cid: bytes, block: bytes) -> bytes:
        return bytes([len(cid) + len(block)]) + cid + block
    dag_pb = section(b"\x12\x20" + bytes(31) + b"x", b"imgur.com/a/DagPb12 ")  # (IPFS's CIDv0: a SHA-256 alone)
    raw = section(b"\x01\x55\x12\x20" + bytes(32), b"imgur.com/a/RawBlk1 ")  # (CIDv1, raw)
    not_cbor = section(b"\x01\x71\x12\x20" + bytes(32), b"\x1c imgur.com/a/NotCbor ")  # (DAG-CBOR, it says)
    assert scan_of(REPO + dag_pb + raw + not_cbor, "repo.car") == (POSTS | {"DagPb12", "RawBlk1", "NotCbor"}, [], [])


def test_a_car_file_cut_short_gives_what_came_before_the_cut() -> None:
    found, errors, warnings = scan_of(REPO[:len(REPO) // 2], "repo.car")
    assert found < POSTS and len(found) > 20
    assert warnings == []
    assert errors == ["repo.car: cannot read on (the CAR file ends inside its section 32: cut short); what was found "
                      "before it still counts"]


def test_a_section_that_is_not_one_makes_the_rest_read_as_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    spoilt = bytearray(REPO)
    second = REPO.index(b"\x01\x71\x12\x20", 60)  # (the second section's CID: a version that is none)
    spoilt[second] = 0x07
    found, _, warnings = scan_of(bytes(spoilt), "repo.car")
    assert warnings == ["repo.car: a CAR file whose section 2 is not one: the rest read as bytes"]
    assert found <= POSTS  # (as bytes: the links a byte glued to another lost)
    # A section's length that is none (past ten bytes), the rest read as bytes; the file ending inside one, a cut.
    found, _, warnings = scan_of(REPO + b"\xff" * 12 + b" https://imgur.com/AfTer12 ", "repo.car")
    assert (found, warnings) == (POSTS | {"AfTer12"}, ["repo.car: a CAR file whose section 64 is not one: the rest "
                                                       "read as bytes"])
    assert scan_of(REPO + b"\xff" * 3, "repo.car")[1] == [
        "repo.car: cannot read on (the CAR file ends inside its section 64: cut short); what was found before it "
        "still counts"]
    monkeypatch.setattr(cbor, "SECTION_MOST", 100)  # (a section longer than imgur-dl reads: not read, said)
    assert scan_of(REPO, "repo.car")[2] == ["repo.car: a CAR file whose section 2 is not one: the rest read as bytes"]


def test_a_self_described_cbor_file_gives_every_text() -> None:
    data = (DATA / "described.cbor").read_bytes()
    assert scan_of(data, "rows.cbor") == (ROWS, [], [])
    found, errors, _ = scan_of(data[:len(data) // 2], "rows.cbor")
    assert errors == ["rows.cbor: cannot read on (a CBOR file that is cut short inside an item); what was found "
                      "before it still counts"]
    assert found < ROWS and len(found) >= 15


def test_a_text_in_chunks_is_joined() -> None:
    # An indefinite-length text: its chunks, each a text of its own, then "break".
    chunked = cbor.SELF_DESCRIBED + b"\x82\x7f\x70https://imgur.co\x67m/AbC12\x6334 \xff\x65after"
    assert scan_of(chunked, "chunks.cbor") == ({"AbC1234"}, [], [])
    assert cbor.strings(chunked) == ([b"https://imgur.com/AbC1234 ", b"after"], None)


def _head(major: int, value: int) -> bytes:
    """An item's head as RFC 8949 writes it: the shortest form of ``value``."""
    if value < 24:
        return bytes([major << 5 | value])
    size = next(size for size in (1, 2, 4, 8) if value < 1 << (8 * size))
    return bytes([major << 5 | {1: 24, 2: 25, 4: 26, 8: 27}[size]]) + value.to_bytes(size, "big")


def _encoded(value: object, chunked: bool) -> tuple[bytes, list[bytes]]:
    """``value`` in CBOR (its strings in chunks where ``chunked``), and the strings it holds in order."""
    if isinstance(value, (str, bytes)):
        raw = value.encode() if isinstance(value, str) else value
        major = 3 if isinstance(value, str) else 2
        if chunked and isinstance(value, bytes):  # (chunks of bytes: a text's may not split a character)
            half = len(raw) // 2
            return bytes([major << 5 | 31]) + _head(major, half) + raw[:half] + _head(major, len(raw) - half) + \
                raw[half:] + b"\xff", [raw]
        return _head(major, len(raw)) + raw, [raw]
    if isinstance(value, bool) or value is None:
        return bytes([0xF5 if value is True else 0xF4 if value is False else 0xF6]), []
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value), []
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value), []
    if isinstance(value, tuple):  # (a tag: its number, then the item it tags)
        inner, texts = _encoded(value[1], chunked)
        return _head(6, value[0]) + inner, texts
    items = [item for pair in value.items() for item in pair] if isinstance(value, dict) else list(value)  # type: ignore[attr-defined]
    parts = [_encoded(item, chunked) for item in items]
    major = 5 if isinstance(value, dict) else 4
    body = b"".join(part for part, _ in parts)
    opened = bytes([major << 5 | 31]) + body + b"\xff" if chunked else _head(major, len(value)) + body  # type: ignore[arg-type]
    return opened, [text for _, texts in parts for text in texts]


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**64 + 1, 2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.binary(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    | st.tuples(st.integers(0, 2**20), inner),
    max_leaves=20)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(_VALUES, max_size=4), chunked=st.booleans(), cut=st.integers(1, 40))
def test_the_strings_of_any_items_are_given_in_order_and_a_cut_is_said(values: list[object], chunked: bool,
                                                                         cut: int) -> None:
    encoded = [_encoded(value, chunked) for value in values]
    data = b"".join(item for item, _ in encoded)
    assert cbor.strings(data) == ([text for _, texts in encoded for text in texts], None)
    if encoded and len(encoded[-1][0]) > cut:  # (cut inside the last item: what came before, and the cut said)
        pieces, stopped = cbor.strings(data[:-cut])
        assert stopped == "is cut short inside an item"
        assert sum(map(len, pieces)) <= len(data) - cut


@settings(max_examples=120, deadline=None)
@given(name=st.sampled_from(["repo.car", "described.cbor"]), spoil=SPOILS, kept=st.floats(0, 1))
def test_a_cbor_file_spoilt_anywhere_is_read_as_far_as_it_can_be(name: str, spoil: list[tuple[float, int]],
                                                                 kept: float) -> None:
    scanned_spoilt((DATA / name).read_bytes(), spoil, kept, name)
