"""--scan of a Python pickle, as the standard library's pickle writes one, in each protocol."""

from __future__ import annotations

import gzip
import io
import pickle
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import pickled, reader
from tests.conftest import SPOILS, Pieces, run_main, scanned_spoilt
from tests.conftest import scanned as scan_of

_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_RANDOM = random.Random(4)
IDS = sorted({"".join(_RANDOM.choice(_ALPHABET) for _ in range(7)) for _ in range(400)})
# Records as a scraper keeps them: a dict a post, then bare links; each text followed, in protocols 1 to 3, by the
# opcode that keeps it in the memo ("q" and its index), glued to its last character read as bytes.
RECORDS = [{"url": f"https://imgur.com/{key}", "n": n} for n, key in enumerate(IDS[:200])] + \
    [f"https://i.imgur.com/{key}.jpg" for key in IDS[200:]]


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_pickle_of_each_protocol_gives_every_link(protocol: int, tmp_path: Path) -> None:
    data = pickle.dumps(RECORDS, protocol=protocol)
    assert scan_of(data, "records.pkl") == (set(IDS), [], [])
    (tmp_path / "records.pkl.gz").write_bytes(gzip.compress(data))  # (as joblib and pandas compress theirs)
    outcome = run_main("--scan", str(tmp_path / "records.pkl.gz"), "-g")
    assert outcome.code == 0, outcome
    assert len(outcome.out.splitlines()) == len(IDS)


def test_pickles_one_after_another_are_read_to_the_end_and_what_follows_as_bytes() -> None:
    log = io.BytesIO()
    for record in RECORDS:
        pickle.dump(record, log, protocol=2)  # (a log of records, each dumped as it came)
    assert scan_of(log.getvalue(), "log.pkl") == (set(IDS), [], [])
    found, errors, warnings = scan_of(log.getvalue() + b"\x00 and then https://imgur.com/a/AfTer12", "log.pkl")
    assert found == {*IDS, "AfTer12"}
    assert errors == []
    assert warnings == [f"log.pkl: a Python pickle that stops being one after its {len(RECORDS)} pickles whole (at "
                        f"position {len(log.getvalue())}, opcode b'\\x00' unknown): the rest read as bytes"]


def test_bytes_values_and_pickles_of_protocol_0_after_the_first_are_read() -> None:
    data = pickle.dumps([b"https://imgur.com/ByTe123", bytearray(b"https://imgur.com/ByTe456")], protocol=3) + \
        pickle.dumps({"text": "https://imgur.com/TeXt789", "more": "x" * 300}, protocol=0)  # (its lines: readline's)
    assert scan_of(data, "mixed.pkl") == ({"ByTe123", "ByTe456", "TeXt789"}, [], [])
    glued = pickle.dumps([b"https://imgur.com/ByTe123", "x"], protocol=3)
    assert b"ByTe123q" in glued  # (read as bytes, that link ran on into the memo's opcode)


def test_a_pickle_cut_short_gives_what_came_before_the_cut() -> None:
    data = pickle.dumps(RECORDS, protocol=3)
    half = data[:len(data) // 2]
    found, errors, warnings = scan_of(half, "cut.pkl")
    before = {key for key in IDS if f"https://imgur.com/{key}".encode() in half or key.encode() + b".jpg" in half}
    assert found == before and len(before) > 150
    assert warnings == []
    assert len(errors) == 1  # (as any input cut short: one line, and the exit status 1)
    assert errors[0].startswith("cut.pkl: cannot read on (the pickle ends in its first pickle (")
    assert errors[0].endswith("): cut short); what was found before it still counts")


def test_a_pickle_is_read_without_anything_in_it_being_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Runs:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (marker.write_text, ("pickle ran this",))

    data = pickle.dumps(["https://imgur.com/AbC1234", Runs(), "https://imgur.com/XyZ9876"], protocol=2)
    assert scan_of(data, "runs.pkl")[0] == {"AbC1234", "XyZ9876"}
    assert not marker.exists()


def test_a_value_longer_than_imgur_dl_reads_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pickled, "VALUE_MOST", 1000)
    data = pickle.dumps(["https://imgur.com/AbC1234", "x" * 2000, "https://imgur.com/XyZ9876"], protocol=3)
    found, _, warnings = scan_of(data, "long.pkl")
    assert "AbC1234" in found
    assert warnings[0].startswith("long.pkl: a Python pickle that stops being one in its first pickle (a value of "
                                  "2,000 bytes, longer than imgur-dl reads): the rest read as bytes")


def test_a_pickle_in_a_zip_is_read() -> None:
    held = io.BytesIO()
    with zipfile.ZipFile(held, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cache/records.pkl", pickle.dumps(RECORDS, protocol=2))
    assert scan_of(held.getvalue(), "cache.zip") == (set(IDS), [], [])


@given(data=st.binary(max_size=300).map(lambda b: b.replace(b"\x01", b"\n")), cuts=st.lists(st.integers(0, 300)),
       most=st.integers(1, 80))
def test_the_lines_of_text_opcodes_are_taken_as_a_file_is_cut_in_lines(data: bytes, cuts: list[int],
                                                                       most: int) -> None:
    # (Taken.line: what protocol 0's opcodes are read with, each line up to its end and at most `most` bytes)
    taken = reader.Taken(Pieces(data, [cut for cut in cuts if cut <= len(data)]))
    at = 0
    while at < len(data):
        end = data.find(b"\n", at, at + most)
        expected = data[at:end + 1] if end >= 0 else data[at:at + most]
        assert taken.line(most) == expected
        at += len(expected)
    assert taken.line(most) == b""


@settings(max_examples=120, deadline=None)
@given(protocol=st.integers(2, 5), spoil=SPOILS, kept=st.floats(0, 1))
def test_a_pickle_spoilt_anywhere_is_read_as_far_as_it_can_be(protocol: int, spoil: list[tuple[float, int]],
                                                              kept: float) -> None:
    scanned_spoilt(pickle.dumps(RECORDS[190:210], protocol=protocol), spoil, kept, "a.pkl")
