"""Files really are fetched in parallel, and big albums work."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from imgur_dl.downloader import Downloader
from tests.conftest import files_under, run_main
from tests.standin import Imgur


def test_files_are_fetched_in_parallel(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=12)
    imgur.gate = 6  # the stand-in holds each answer until 6 requests are in flight (or 5 s pass)
    result = run_main("-j", "8", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert imgur.peak_inflight >= 6
    assert imgur.peak_inflight <= 8  # and never more than the workers asked for


def test_one_worker_means_one_at_a_time(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=5)
    assert run_main("-j", "1", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    assert imgur.peak_inflight == 1


def test_connections_are_reused(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=40, size=500)
    assert run_main("-j", "4", "-o", str(tmp_path), "imgur.com/a/AbC1234").code == 0
    # one tunnel per worker to the CDN (plus the API's), not one per file
    assert imgur.connects <= 4 + 2


def test_album_of_1000_images(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("BiG1234", count=1000, size=64, title="Big")
    result = run_main("-j", "16", "-o", str(tmp_path), "imgur.com/a/BiG1234")
    assert result.code == 0, result
    got = files_under(tmp_path / "BiG1234 - Big")
    names = list(got)
    assert len(names) == 1000
    assert names[0] == f"0001-{album.images[0].id}.jpg"  # four digits: names sort in album order
    assert names[-1] == f"1000-{album.images[-1].id}.jpg"
    assert [got[n] for n in names] == [i.data for i in album.images]  # sorted names = album order


def test_threads_are_started_for_the_places_in_use_not_for_the_workers_allowed(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    imgur.add_album("AbC1234", count=80, size=300)
    imgur.inflight_limit = 2  # a CDN that refuses past two in flight: the throttle's places stay few
    threads: list[int] = []
    places: list[int] = []
    cdn = imgur._cdn

    def counting(*args: Any) -> None:
        threads.append(sum(t.name.startswith("imgur-dl_") for t in threading.enumerate()))
        cdn(*args)

    def seen(downloader: Downloader) -> int:
        places.append(downloader.transfer.throttle.limit)
        return places[-1]

    monkeypatch.setattr(imgur, "_cdn", counting)
    monkeypatch.setattr(Downloader, "places", property(seen))
    result = run_main("-j", "64", "-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == 80
    # Not 64 (-j): a thread for each file handed out and not ended, which are at most twice the places open, and
    # four (and those waiting out a refusal), however the places go up and down as the CDN refuses; a file handed
    # out the moment another ended takes that one's thread (tests/test_workers.py). Handed out past the places, as
    # before them, the run starts 64.
    assert max(threads) < 64, (max(threads), max(places))
