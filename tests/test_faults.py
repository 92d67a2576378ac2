"""A hostile network: every fault is survived with nothing lost.

Each test injects one fault in the stand-in and checks that every file ends
byte-identical to the source, that no ``.part`` file is left, and the exit code.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path

import pytest

from imgur_dl import cli, urls
from imgur_dl.build import build_run
from imgur_dl.classify import Gone, Refusal, Refused, Take, Transient, Unsatisfied, Verdict, classify
from imgur_dl.cli import Environment, main
from imgur_dl.defaults import START_WORKERS
from imgur_dl.models import Result, Status, Target
from imgur_dl.options import Options
from imgur_dl.partfile import ETAG_XATTR
from imgur_dl.progress import Progress
from imgur_dl.status import ExitStatus
from tests.clock import FastClock
from tests.conftest import command, files_under, run_main
from tests.launcher import Launcher
from tests.standin import AlbumData, Fault, Imgur, over_capacity, too_many_requests


def _album(imgur: Imgur, count: int = 4, size: int = 120_000) -> AlbumData:
    return imgur.add_album("AbC1234", count=count, size=size)


def assert_complete(root: Path, album: AlbumData) -> None:
    got = files_under(root / album.id)
    assert not [name for name in got if name.endswith(".part")]
    assert got == {f"{n:03d}-{img.id}.jpg": img.data for n, img in enumerate(album.images, 1)}


def fetch(root: Path, *extra: str) -> tuple[int, str]:
    result = run_main("-o", str(root), "--timeout", "2", *extra, "https://imgur.com/a/AbC1234")
    assert "Traceback" not in result.err
    return result.code, result.err


_OVER = "bad Content-Range; starting over"
_UNSATISFIED = "range not satisfiable; starting over"


@pytest.mark.parametrize(("status", "reason", "headers", "have", "verdict"), [
    (200, "OK", {}, 0, Take(0, None)),
    (200, "OK", {"Content-Length": "12"}, 5, Take(0, 12)),  # (the whole file, though a part was asked for)
    (200, "OK", {"Content-Encoding": "identity"}, 0, Take(0, None)),
    (206, "Partial Content", {"Content-Range": "bytes 5-11/12"}, 5, Take(5, 12)),
    (206, "Partial Content", {"Content-Range": "bytes 5-11/*"}, 5, Take(5, None)),
    (206, "Partial Content", {}, 5, Transient(_OVER, wait=0, start_over=True)),
    (206, "Partial Content", {"Content-Range": "bytes 4-11/12"}, 5, Transient(_OVER, wait=0, start_over=True)),
    (206, "Partial Content", {"Content-Range": "5-11/12"}, 5, Transient(_OVER, wait=0, start_over=True)),
    (206, "Partial Content", {"Content-Range": "bytes 5-11/12", "Content-Encoding": "br"}, 5,
     Refusal("the server sent the file br-encoded, though asked for it as it is")),
    (416, "Range Not Satisfiable", {}, 5, Unsatisfied(_UNSATISFIED, None)),
    (416, "Range Not Satisfiable", {"Content-Range": "bytes */5"}, 5, Unsatisfied(_UNSATISFIED, 5)),
    (416, "Range Not Satisfiable", {"Content-Range": "bytes */3"}, 5, Unsatisfied(_UNSATISFIED, 3)),
    (416, "Range Not Satisfiable", {"Content-Range": "bytes 0-4/5"}, 5, Unsatisfied(_UNSATISFIED, None)),
    (416, "Range Not Satisfiable", {}, 0, Refusal("HTTP 416 Range Not Satisfiable")),
    (404, "Not Found", {}, 0, Gone("HTTP 404")), (410, "Gone", {}, 3, Gone("HTTP 410")),
    (500, "Internal Server Error", {}, 0, Transient("HTTP 500 Internal Server Error")),
    (503, "", {"Retry-After": "9"}, 0, Transient("HTTP 503", 9.0)), (408, "Request Timeout", {}, 0,
                                                                     Transient("HTTP 408 Request Timeout")),
    (429, "", {"Retry-After": "7"}, 0, Refused("429 Too Many Requests", 7.0)),
    (403, "Forbidden", {}, 0, Refusal("HTTP 403 Forbidden")), (499, "", {}, 0, Refusal("HTTP 499")),
    (301, "Moved Permanently", {}, 0, Refusal("HTTP 301 Moved Permanently"))])
def test_each_answer_to_a_file_request_means_one_thing(status: int, reason: str, headers: dict[str, str], have: int,
                                                     verdict: Verdict) -> None:
    assert classify(status, reason, headers, have) == verdict


def test_429_with_retry_after_seconds(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur)
    imgur.faults.append(Fault("status", path="/.*", attempts={1}, status=429, headers={"Retry-After": "1"}))
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert_complete(tmp_path, album)
    assert "429 Too Many Requests; waiting 1.0s" in err


def test_429_with_retry_after_http_date(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=2)
    when = formatdate(timeval=__import__("time").time() + 1, usegmt=True)
    imgur.faults.append(Fault("status", path="/.*", attempts={1}, status=429, headers={"Retry-After": when}))
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert_complete(tmp_path, album)
    assert len(imgur.requests_to("i.imgur.com")) == 4


def test_503_is_retried_with_backoff(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur)
    imgur.faults.append(Fault("status", path="/.*", attempts={1, 2}, status=503))
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert_complete(tmp_path, album)
    assert len(imgur.requests_to("i.imgur.com")) == 3 * len(album.images)


def test_errors_past_the_retry_budget_fail_that_file_only(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=3)
    bad = album.images[1]
    imgur.faults.append(Fault("status", path=f"/{bad.id}\\.jpeg", status=503))
    code, err = fetch(tmp_path, "--retries", "2")
    assert code == 1, err
    assert f"{bad.id}: HTTP 503" in err
    assert f"error: {album.id}/{bad.id}: HTTP 503" in err  # named with its album, once
    assert err.count("HTTP 503") == 1
    assert len(imgur.requests_to("i.imgur.com", f"/{bad.id}.*")) == 3
    got = files_under(tmp_path / album.id)
    assert sorted(got) == [f"001-{album.images[0].id}.jpg", f"003-{album.images[2].id}.jpg"]


def test_reset_mid_body_resumes_with_range_and_if_range(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur)
    imgur.faults.append(Fault("reset", path="/.*", attempts={1}, after=50_000))
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert_complete(tmp_path, album)
    for image in album.images:
        first, second = imgur.requests_to("i.imgur.com", f"/{image.id}.*")
        assert "range" not in first[3]
        assert second[3]["range"] == "bytes=50000-"
        assert second[3]["if-range"].startswith('"')


@pytest.mark.parametrize(("etag", "kept"), [('"a-multipart-upload-3"', True), ('"' + "x" * 250 + '"', False),
                                             ('"\u00e9t\u00e9"', False)])
def test_a_part_file_keeps_the_cdn_s_etag_for_the_next_run_if_it_is_one(imgur: Imgur, tmp_path: Path, etag: str,
                                                                         kept: bool) -> None:
    """A file cut short is resumed by a later run with If-Range: its ETag is kept beside it, when it is a short
    line of printable ASCII (what a header may carry is not all an attribute should hold)."""
    album = _album(imgur, count=1)
    album.images[0].etag = etag
    imgur.faults.append(Fault("reset", path="/.*", after=50_000))
    result = run_main("--retries", "0", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert (f"{album.images[0].id}: connection broke at 50000 of {album.images[0].size} bytes (connection broke "
            "mid-file) (after 1 attempt)\n") in result.err
    (part,) = (tmp_path / "AbC1234").glob("*.part")
    assert part.stat().st_size == 50_000
    if kept:
        assert os.getxattr(part, ETAG_XATTR) == etag.encode()
    else:
        with pytest.raises(OSError, match="No data available"):
            os.getxattr(part, ETAG_XATTR)


def test_server_ignoring_range_starts_over_cleanly(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur)
    imgur.faults.append(Fault("reset", path="/.*", attempts={1}, after=70_000))
    imgur.faults.append(Fault("ignore_range", path="/.*", attempts={2}))
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert_complete(tmp_path, album)  # no second copy appended to the partial file


def test_a_size_the_server_gave_counts_once_toward_the_total_when_the_file_is_resumed(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = imgur.add_image("HiDd123", hidden=True, size=90_000)  # the API answers 404: no size before the CDN's
    imgur.faults.append(Fault("reset", path="/HiDd123.*", attempts={1}, after=40_000))
    expected: list[int] = []
    monkeypatch.setattr(Progress, "expect", lambda _self, files=0, size=0: expected.append(size))
    result = run_main("-o", str(tmp_path), "https://i.imgur.com/HiDd123.jpg")
    assert result.code == 0, result
    assert (tmp_path / "HiDd123.jpg").read_bytes() == image.data
    assert len(imgur.requests_to("i.imgur.com")) == 2  # the second resumed (206: the whole size again)
    assert sum(expected) == len(image.data)  # told once, not once an attempt


def test_a_part_file_from_an_earlier_run_counts_toward_the_bytes_done(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run resumes what an earlier one left (Ctrl-C): the bar counts the bytes held, and ends at 100 %."""
    album = _album(imgur, count=1, size=60_000)
    image = album.images[0]
    (tmp_path / "AbC1234").mkdir()
    (tmp_path / "AbC1234" / f"001-{image.id}.jpg.part").write_bytes(image.data[:20_000])
    done: list[int] = []
    monkeypatch.setattr(Progress, "advance", lambda _self, size: done.append(size))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert (tmp_path / "AbC1234" / f"001-{image.id}.jpg").read_bytes() == image.data
    assert imgur.requests_to("i.imgur.com")[0][3]["range"] == "bytes=20000-"
    assert (done[0], sum(done)) == (20_000, len(image.data))


@pytest.mark.parametrize("retries", ["0", "3"])
@pytest.mark.parametrize("held", ["the whole file", "more than the file", "as many other bytes"])
def test_a_part_file_the_cdn_cannot_continue_is_checked_or_fetched_again_whole(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: str, retries: str) -> None:
    """An earlier run's part file as long as the file (killed between its last byte and its rename), or longer: the
    CDN answers its Range with 416, saying the file's length. Where that is the length held, its last byte is asked
    for again in the same attempt (a 206 of one byte, its ETag the whole file's MD5, which checks what is held),
    then it is saved; bytes that do not check, or more than the file, are fetched again from the first byte, in
    that attempt still. The bar counts the file once. (Before, the whole file was fetched again; with --retries 0,
    the file failed.)"""
    album = _album(imgur, count=1, size=60_000)
    image = album.images[0]
    (tmp_path / "AbC1234").mkdir()
    left = {"the whole file": image.data, "more than the file": image.data + b"x" * 1000,
            "as many other bytes": image.data[:-1000] + b"x" * 1000}[held]
    (tmp_path / "AbC1234" / f"001-{image.id}.jpg.part").write_bytes(left)
    done: list[int] = []
    monkeypatch.setattr(Progress, "advance", lambda _self, size: done.append(size))
    result = run_main("--retries", retries, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    ranges = [h.get("range") for (_, _, _, h) in imgur.requests_to("i.imgur.com")]
    assert result.code == 0, result
    assert files_under(tmp_path) == {f"AbC1234/001-{image.id}.jpg": image.data}
    assert ranges == {"the whole file": [f"bytes={len(left)}-", f"bytes={len(left) - 1}-"],
                      "more than the file": [f"bytes={len(left)}-", None],
                      "as many other bytes": [f"bytes={len(left)}-", f"bytes={len(left) - 1}-", None]}[held]
    assert sum(done) == len(image.data)


@pytest.mark.parametrize("retries", ["0", "3"])
def test_a_resumed_file_whose_bytes_do_not_check_is_fetched_again_whole_in_the_same_attempt(
        imgur: Imgur, tmp_path: Path, retries: str) -> None:
    """A part file an earlier run left with a wrong byte (received so, before a kill; or a file system that keeps no
    ETag to resume with If-Range, the file changed since): the file's MD5 does not match the ETag. The fault may be
    what was held, not this answer: asked again whole at once, not counted as a failed attempt."""
    album = _album(imgur, count=1, size=60_000)
    image = album.images[0]
    (tmp_path / "AbC1234").mkdir()
    left = image.data[:10_000] + b"x" + image.data[10_001:20_000]
    (tmp_path / "AbC1234" / f"001-{image.id}.jpg.part").write_bytes(left)
    result = run_main("--retries", retries, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert files_under(tmp_path) == {f"AbC1234/001-{image.id}.jpg": image.data}
    assert [h.get("range") for (_, _, _, h) in imgur.requests_to("i.imgur.com")] == ["bytes=20000-", None]


def test_a_file_whose_bytes_do_not_check_as_they_come_is_an_attempt_spent(imgur: Imgur, tmp_path: Path) -> None:
    """Not so a body of this attempt's alone: corrupted in transit, it is a failed attempt (none left: the file
    fails), not asked for again at once."""
    album = _album(imgur, count=1, size=60_000)
    image = album.images[0]
    imgur.faults.append(Fault("corrupt", path=f"/{image.id}.*", attempts={1}, after=30_000))
    result = run_main("--retries", "0", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1 and "does not match the CDN's ETag" in result.err, result
    assert len(imgur.requests_to("i.imgur.com")) == 1


def test_a_server_whose_416s_follow_every_range_asked_is_asked_three_times_at_the_most(
        imgur: Imgur, tmp_path: Path) -> None:
    """Its 416 to the last byte asked again says the file is as long as that range's start, and so on: no answer
    to ask again on. The file is asked for whole (a 416 to that: it fails), not a byte less at a time."""
    album = _album(imgur, count=1, size=60_000)
    image = album.images[0]
    (tmp_path / "AbC1234").mkdir()
    (tmp_path / "AbC1234" / f"001-{image.id}.jpg.part").write_bytes(image.data)
    imgur.faults += [Fault("status", path=f"/{image.id}.*", status=416, attempts={n},
                           headers={"Content-Range": f"bytes */{len(image.data) + 1 - n}"}) for n in range(1, 9)]
    result = run_main("--retries", "0", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1 and "HTTP 416" in result.err, result
    assert [h.get("range") for (_, _, _, h) in imgur.requests_to("i.imgur.com")] == [
        f"bytes={len(image.data)}-", f"bytes={len(image.data) - 1}-", None]
    assert files_under(tmp_path) == {}


@pytest.mark.parametrize("retries", ["0", "3"])
def test_a_416_to_the_last_byte_asked_again_starts_the_file_over_in_the_same_attempt(
        imgur: Imgur, tmp_path: Path, retries: str) -> None:
    album = _album(imgur, count=1, size=60_000)
    image = album.images[0]
    (tmp_path / "AbC1234").mkdir()
    (tmp_path / "AbC1234" / f"001-{image.id}.jpg.part").write_bytes(image.data)
    imgur.faults.append(Fault("status", path=f"/{image.id}.*", status=416, attempts={2},
                              headers={"Content-Range": f"bytes */{len(image.data)}"}))
    result = run_main("--retries", retries, "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert [h.get("range") for (_, _, _, h) in imgur.requests_to("i.imgur.com")] == [
        f"bytes={len(image.data)}-", f"bytes={len(image.data) - 1}-", None]
    assert files_under(tmp_path) == {f"AbC1234/001-{image.id}.jpg": image.data}


def test_stall_after_headers_times_out_and_retries(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=3)
    stuck = album.images[0]
    imgur.faults.append(Fault("stall", path=f"/{stuck.id}.*", attempts={1}, after=30_000))
    code, err = fetch(tmp_path, "--timeout", "0.4")
    assert code == 0, err
    assert_complete(tmp_path, album)
    # The stalled answer is still hanging in the stand-in: the run did not wait for it.
    assert imgur.stalled == 1
    assert imgur.requests_to("i.imgur.com", f"/{stuck.id}.*")[1][3]["range"] == "bytes=30000-"


def test_stall_before_any_byte_times_out_and_retries(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=2)
    imgur.faults.append(Fault("stall", path="/.*", attempts={1}, after=0))
    code, err = fetch(tmp_path, "--timeout", "0.4")
    assert code == 0, err
    assert_complete(tmp_path, album)
    assert imgur.stalled == 2


def test_cdn_refusing_parallel_requests_gets_the_whole_album(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=16, size=20_000)
    imgur.inflight_limit = 2  # answers 429 (no Retry-After) above two requests in flight
    imgur.shaping.delay = 0.05  # a little latency, so requests overlap as they do on a real link
    code, err = fetch(tmp_path, "-j", "8")
    assert code == 0, err
    assert_complete(tmp_path, album)
    assert "at a time" in err  # it said it was slowing down
    refused = len(imgur.requests_to("i.imgur.com")) - len(album.images)
    assert 0 < refused < 4 * len(album.images)


def test_a_small_album_meets_no_refusal_from_a_cdn_that_takes_six_at_once(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=10, size=20_000)
    imgur.inflight_limit, imgur.inflight_retry_after = 6, 1  # as a browser's six connections are taken
    imgur.shaping.delay = 0.05  # requests overlap, as on a real link
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")  # default workers: 64
    assert result.code == 0, result
    assert_complete(tmp_path, album)
    assert len(imgur.requests_to("i.imgur.com")) == 10  # none refused, so none waited out a Retry-After
    assert result.waits == []


class _HeldWaits(FastClock):
    """A clock on which a wait of ``seconds`` (a ``Retry-After`` the test's CDN sends) lasts until ``release``
    is set; other waits take no time."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.release = threading.Event()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if seconds != self.seconds:
            return super().wait(event, seconds)
        self.release.wait(30)
        return event.is_set()


def test_files_waiting_out_a_retry_after_hold_no_place_from_the_others(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=60, size=2_000)
    busy = "|".join(image.id for image in album.images[:18])  # more than the run queues at six in flight
    imgur.faults.append(Fault("status", path=f"/({busy})\\..*", attempts={1}, status=503,
                              headers={"Retry-After": "7"}))
    others = "|".join(image.id for image in album.images[18:])
    clock, came = _HeldWaits(7.0), []

    def release_once_the_others_came() -> None:
        try:
            came.append(imgur.wait_until(lambda s: len(s.requests_to("i.imgur.com", f"/({others})\\..*")) >= 42))
        finally:
            clock.release.set()

    threading.Thread(target=release_once_the_others_came, daemon=True).start()
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", clock=clock)
    assert result.code == 0, result
    assert came == [True]  # the other 42 were fetched while the 18 waited (they waited for those, before)
    assert_complete(tmp_path, album)


def test_api_over_capacity_is_waited_out(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=2)
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/.*", attempts={1, 2},
                              status=403, body=over_capacity(), headers={"Retry-After": "1"}))
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert_complete(tmp_path, album)
    assert "over capacity" in err
    assert imgur.requests_to("api.imgur.com", "/3/.*") == []  # waited, did not give up on v1


def test_api_429_is_waited_out(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=2)
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/.*", attempts={1},
                              status=429, body=too_many_requests(), headers={"Retry-After": "1"}))
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert_complete(tmp_path, album)


def test_mp4_refused_falls_back_to_gif(imgur: Imgur, tmp_path: Path) -> None:
    gif = imgur.add_image("AnIm123", size=30_000, ext="gif", animated=True)
    still = imgur.add_image("StIl123", size=30_000)
    imgur.add_album("AbC1234", images=[gif, still])
    imgur.faults.append(Fault("status", path=r"/.*\.mp4", status=429))
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert files_under(tmp_path / "AbC1234") == {"001-AnIm123.gif": gif.data, "002-StIl123.jpg": still.data}
    assert "MP4 not served (429 Too Many Requests); trying GIF" in err


def test_an_animation_saved_leaves_no_part_file_of_its_other_rendition(imgur: Imgur, tmp_path: Path) -> None:
    # Its MP4 cut short, then refused: its GIF is saved, and the MP4's part file (no run would ever finish it: the
    # next skips the GIF) is removed. A GIF's part file an earlier run left goes as its MP4 is saved, and either
    # goes as a run finds the animation whole.
    gif = imgur.add_image("AnIm123", size=30_000, ext="gif", animated=True)
    imgur.add_album("AbC1234", images=[gif])
    imgur.faults += [Fault("reset", path=r"/AnIm123\.mp4", attempts={1}, after=3000),
                     Fault("status", path=r"/AnIm123\.mp4", attempts={2}, status=429)]
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert "MP4 not served (429 Too Many Requests); trying GIF" in err
    assert sorted(files_under(tmp_path / "AbC1234")) == ["001-AnIm123.gif"]

    (tmp_path / "AbC1234" / "001-AnIm123.gif").unlink()
    (tmp_path / "AbC1234" / "001-AnIm123.gif.part").write_bytes(gif.data[:5000])  # (a run killed as it wrote it)
    code, err = fetch(tmp_path)
    assert code == 0, err
    assert sorted(files_under(tmp_path / "AbC1234")) == ["001-AnIm123.mp4"]

    for left in ("001-AnIm123.gif.part", "001-AnIm123.mp4.part"):
        (tmp_path / "AbC1234" / left).write_bytes(b"GIF89a")
        code, err = fetch(tmp_path)
        assert code == 0, err
        assert sorted(files_under(tmp_path / "AbC1234")) == ["001-AnIm123.mp4"], left
    assert files_under(tmp_path / "AbC1234")["001-AnIm123.mp4"] == gif.mp4


def test_wrong_length_is_never_renamed_into_place(imgur: Imgur, tmp_path: Path) -> None:
    album = _album(imgur, count=2)
    liar = album.images[0]
    real = liar.data
    liar.data, liar.reported_size = real[:-10], len(real)  # the CDN serves less than the API reports
    code, err = fetch(tmp_path)
    assert code == 1, err
    assert f"{liar.id}: server has {len(real) - 10} bytes, the API said {len(real)}" in err
    assert sorted(files_under(tmp_path / album.id)) == [f"002-{album.images[1].id}.jpg"]


def test_output_folder_that_cannot_be_made_is_one_line_before_any_request(imgur: Imgur, tmp_path: Path) -> None:
    _album(imgur, count=2)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    urls = "".join(f"imgur.com/a/A{n:06d}\n" for n in range(5_000))
    result = run_main("-o", str(blocker / "sub"), "-i", "-", stdin=urls)
    assert result.code == 2, result
    assert result.err.splitlines() == [f"imgur-dl: error: output folder {blocker / 'sub'}: not a folder ({blocker})"]
    assert imgur.log == []  # said before anything was asked
    assert blocker.read_text() == "not a folder"


def test_album_folder_that_cannot_be_made_fails_that_album_in_one_line(imgur: Imgur, tmp_path: Path) -> None:
    _album(imgur, count=3)
    (tmp_path / "AbC1234").write_text("a file where the folder goes")
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "AbC1234: " in result.err and "not a folder" in result.err
    assert len(result.err.strip().splitlines()) == 2  # the error and the summary
    assert "imgur-dl: 0 albums, 1 failed; files: 0 saved" in result.err  # counted where it happened
    assert imgur.requests_to("i.imgur.com") == []


def test_disk_full_leaves_nothing_half_written(imgur: Imgur, tmp_path: Path) -> None:
    small = imgur.add_image("SmAl123", size=5_000)
    big = imgur.add_image("BiGg123", size=300_000)
    imgur.add_album("AbC1234", images=[small, big])

    def limit_file_size() -> None:  # writes past 100 KB fail as they do on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = subprocess.run([*command(), "-o", str(tmp_path), "imgur.com/a/AbC1234"], capture_output=True,
                          text=True, preexec_fn=limit_file_size, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert "BiGg123: cannot write" in done.stderr
    assert "Traceback" not in done.stderr
    assert files_under(tmp_path) == {"AbC1234/001-SmAl123.jpg": small.data}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_promptly_and_a_rerun_finishes(imgur: Imgur, tmp_path: Path, launcher: Launcher) -> None:
    album = _album(imgur, count=10, size=200_000)
    # Every file sends 40% of its body, then hangs: many workers mid-download (as many as the CDN
    # throttle lets start before any file is finished).
    imgur.faults.append(Fault("stall", path="/.*", attempts={1}, after=80_000))
    proc = launcher.spawn(["-j", "8", "-o", str(tmp_path), "imgur.com/a/AbC1234"], text=True)
    try:
        assert imgur.wait_until(lambda s: s.stalled >= START_WORKERS, timeout=20), "workers never got going"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=3)  # promptly, although every worker is blocked
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    assert out == ""
    left = files_under(tmp_path / album.id)
    assert left, "partial files are kept for the rerun"
    assert all(name.endswith(".part") for name in left), left  # nothing incomplete under a final name

    partial = {len(data) for data in left.values() if data}
    assert partial, "some bytes arrived before the interrupt"
    imgur.faults.clear()
    imgur.log.clear()
    again = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert again.code == 0, again
    assert_complete(tmp_path, album)
    resumed = [h for (_, _, _, h) in imgur.requests_to("i.imgur.com") if "range" in h]
    # every partial file was continued from where it stopped, not fetched again
    assert len(resumed) == len([d for d in left.values() if d])
    assert {h["range"] for h in resumed} == {f"bytes={n}-" for n in partial}
    if _xattrs_work(tmp_path):
        assert all("if-range" in h for h in resumed)


def _xattrs_work(folder: Path) -> bool:
    probe = folder / "probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.probe", b"1")
    except OSError:
        return False
    finally:
        probe.unlink()
    return True


def _stalled_then(imgur: Imgur, send: Callable[[], None]) -> AlbumData:
    """A one-file album whose file stalls mid-body; ``send`` (a Ctrl-C) is called, in a thread of its own, once
    it has."""
    album = _album(imgur, count=1, size=200_000)
    imgur.faults.append(Fault("stall", path="/.*", after=80_000))

    def once_stalled() -> None:
        if imgur.wait_until(lambda s: s.stalled >= 1):
            send()

    threading.Thread(target=once_stalled, daemon=True).start()
    return album


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_with_no_retries_left_is_an_interruption_not_a_broken_file(imgur: Imgur, tmp_path: Path) -> None:
    # Ctrl-C breaks the connection under a file being read; that file was interrupted, not failed, even
    # when no attempt is left to notice the cancel at its wait before the next one.
    album = _stalled_then(imgur, lambda: os.kill(os.getpid(), signal.SIGINT))
    result = run_main("--retries", "0", "--timeout", "5", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 130, result
    assert "connection broke" not in result.err and "error" not in result.err, result
    assert "files: 0 saved, 0 skipped, 0 failed" in result.err, result
    # What had arrived is kept for the rerun (none, when Ctrl-C came before the first bytes were read),
    # never under the final name.
    left = files_under(tmp_path / album.id) if (tmp_path / album.id).exists() else {}
    assert set(left) <= {f"001-{album.images[0].id}.jpg.part"}
    assert all(0 < len(data) <= 80_000 for data in left.values())


@pytest.fixture
def sigterm_as_the_command_sets_it() -> Iterator[None]:
    """SIGTERM handled as the console script sets it (ended as Ctrl-C ends a run), for a run in this process."""
    previous = signal.signal(signal.SIGTERM, cli._terminate)
    yield
    signal.signal(signal.SIGTERM, previous)


class _SignalledWhileWriting(io.StringIO):
    """Standard output at which a signal comes as its first line is written (a run's main thread spends its
    time there when lines come fast)."""

    def __init__(self, sig: signal.Signals) -> None:
        super().__init__()
        self.sig = sig

    def write(self, text: str) -> int:
        if not self.getvalue():
            os.kill(os.getpid(), self.sig)
        return super().write(text)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_a_line_is_written_ends_the_run_promptly_with_every_result(
        imgur: Imgur, tmp_path: Path, sig: signal.Signals, sigterm_as_the_command_sets_it: None) -> None:
    album = _album(imgur, count=2, size=200_000)
    imgur.faults.append(Fault("stall", path=f"/{album.images[1].id}\\..*", after=80_000))
    out, err = _SignalledWhileWriting(sig), io.StringIO()
    env = Environment(stdout=out, stderr=err, stderr_isatty=False, clock=FastClock())
    started = time.monotonic()
    code = main(["--json", "--timeout", "20", "--retries", "0", "-j", "1", "-o", str(tmp_path),
                 "imgur.com/a/AbC1234"], env)
    assert time.monotonic() - started < 10  # not held until the stalled file gives up (20 s without data)
    assert code == (143 if sig == signal.SIGTERM else 130), err.getvalue()
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["id"], r["status"]) for r in rows] == [(album.images[0].id, "saved")]
    assert "files: 1 saved, 0 skipped, 0 failed" in err.getvalue(), err.getvalue()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_as_the_run_sees_its_end_is_not_lost(imgur: Imgur, tmp_path: Path, sig: signal.Signals,
                                                     sigterm_as_the_command_sets_it: None) -> None:
    album = _album(imgur, count=1, size=2_000)
    saved = threading.Event()

    def targets() -> Iterator[Target]:  # (read by the run's own reader, in a thread of its own)
        yield urls.parse("imgur.com/a/AbC1234")
        saved.wait(10)  # the file is done and told: the run waits for nothing but its end
        os.kill(os.getpid(), sig)

    run = build_run(replace(Options(), output=tmp_path, quiet=True), io.StringIO())
    for event in run.events(targets()):
        if isinstance(event, Result):
            assert event.status is Status.SAVED
            saved.set()
    assert saved.is_set() and (tmp_path / album.id / f"001-{album.images[0].id}.jpg").exists()
    assert run.exit_status == (ExitStatus.TERMINATED if sig == signal.SIGTERM else ExitStatus.INTERRUPTED)
    # (it was SUCCESS: the signal was let go)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_taken_by_another_thread_still_ends_the_run_promptly(imgur: Imgur, tmp_path: Path) -> None:
    # The system may hand a process's signal to any of its threads; Python runs the handler in the main
    # thread once that thread wakes. A main thread waiting for a stalled file without end would not.
    album = _stalled_then(imgur, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGINT))
    started = time.monotonic()
    result = run_main("--timeout", "20", "--retries", "0", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert time.monotonic() - started < 10  # not held until the stalled file gives up (20 s without data)
    assert result.code == 130, result
    assert "interrupted" in result.err and "files: 0 saved, 0 skipped, 0 failed" in result.err, result
    assert not (tmp_path / album.id / f"001-{album.images[0].id}.jpg").exists()
