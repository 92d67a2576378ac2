"""Ctrl-C and SIGTERM during a run: noted where they land, their handlers run where the run looks."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from imgur_dl.errors import Terminated
from imgur_dl.planner import Planner
from imgur_dl.signals import Deferred
from tests.conftest import run_main
from tests.standin import Imgur

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


@pytest.fixture
def handlers() -> Iterator[None]:
    """SIGINT as Python sets it, SIGTERM as the console script does; both as they were after."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


@pytest.mark.usefixtures("handlers")
@pytest.mark.parametrize(("sig", "raised"), [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)])
def test_a_signal_is_acted_on_where_the_run_looks_and_a_second_where_it_lands(
        sig: signal.Signals, raised: type[BaseException]) -> None:
    deferred = Deferred()
    deferred.hold()
    os.kill(os.getpid(), sig)  # (handled before os.kill returns: the handler runs in this, the main thread)
    with pytest.raises(raised):
        deferred.check()
    deferred.check()  # acted on once
    with pytest.raises(raised):
        os.kill(os.getpid(), sig)  # the second is not held back
    deferred.release()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is _terminate


@pytest.mark.usefixtures("handlers")
def test_nothing_is_acted_on_when_no_signal_came_and_handlers_are_given_back() -> None:
    deferred = Deferred()
    deferred.hold()
    assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    deferred.check()
    deferred.release()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is _terminate


def test_a_handler_that_is_not_pythons_is_left_alone() -> None:
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (a program of the Python API's that set none)
    try:
        deferred = Deferred()
        deferred.hold()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        deferred.release()
    finally:
        signal.signal(signal.SIGTERM, before)


@pytest.mark.usefixtures("handlers")
def test_a_run_driven_from_another_thread_leaves_the_handlers_as_they_are() -> None:
    seen: list[object] = []

    def run() -> None:
        deferred = Deferred()
        deferred.hold()
        seen.append(signal.getsignal(signal.SIGINT))
        deferred.release()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]


@pytest.mark.usefixtures("handlers")
def test_a_signal_while_the_run_is_put_away_still_gets_its_files_recorded_and_a_summary(
        imgur: Imgur, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    imgur.add_album("AbC1234", count=3)
    archive = str(tmp_path / "seen.sqlite")
    closing = Planner.close

    def ctrl_c_meanwhile(planner: Planner, *, wait: bool) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # after the last result was given out, before the archive is closed
        closing(planner, wait=wait)

    monkeypatch.setattr(Planner, "close", ctrl_c_meanwhile)
    result = run_main("--download-archive", archive, "-o", str(tmp_path / "o"), "imgur.com/a/AbC1234")
    assert result.code == 130, result
    assert result.err.splitlines()[-1].startswith("imgur-dl: interrupted; 1 album; files: 3 saved"), result
    monkeypatch.setattr(Planner, "close", closing)
    imgur.log.clear()
    again = run_main("--download-archive", archive, "-o", str(tmp_path / "elsewhere"), "imgur.com/a/AbC1234")
    assert "3 skipped" in again.err, again  # each was recorded
    assert not imgur.requests_to("i.imgur.com")


@pytest.mark.usefixtures("handlers")
@pytest.mark.parametrize(("sig", "raised"), [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)])
def test_handlers_let_go_of_from_another_thread_are_the_program_s_again_at_the_next_signal(
        sig: signal.Signals, raised: type[BaseException]) -> None:
    # A run begun in the main thread and ended in another (the Python API's generator handed to a thread, or closed
    # from one): only the main thread may set a handler, so they cannot be put back there and then.
    deferred = Deferred()
    deferred.hold()
    thread = threading.Thread(target=deferred.release)
    thread.start()
    thread.join()
    with pytest.raises(raised):
        os.kill(os.getpid(), sig)  # the program's own handler, as if the run had never been
    assert signal.getsignal(sig) is {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: _terminate}[sig]
    deferred.check()  # (nothing noted)


@pytest.mark.usefixtures("handlers")
def test_runs_let_go_of_out_of_order_leave_the_program_s_handlers() -> None:
    outer, inner = Deferred(), Deferred()
    outer.hold()
    inner.hold()  # (two runs of the Python API under way at once, in one thread)
    outer.release()
    inner.release()  # (what it set aside was the first's)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(Terminated):
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is _terminate


@pytest.mark.usefixtures("handlers")
def test_a_signal_noted_by_one_run_is_acted_on_in_another_thread_as_the_run_before_it_would() -> None:
    outer, inner = Deferred(), Deferred()
    outer.hold()
    inner.hold()
    os.kill(os.getpid(), signal.SIGINT)  # noted by the run held last, as due to the first's handler
    raised: list[BaseException] = []

    def finish() -> None:  # (both let go of in another thread, the second acting on what it noted there)
        outer.release()
        try:
            inner.check()
        except BaseException as exc:  # (what it raised, for the assertion)
            raised.append(exc)
        inner.release()

    thread = threading.Thread(target=finish)
    thread.start()
    thread.join()
    assert [type(exc) for exc in raised] == [KeyboardInterrupt]
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
