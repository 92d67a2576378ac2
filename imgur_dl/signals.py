"""Ctrl-C, SIGTERM and SIGHUP while a run is under way: noted where they land, acted on where the run looks.

Python runs a signal's handler in the main thread between any two of its
steps, and Ctrl-C's raises there. During a run that can be anywhere: between
taking a finished file off the queue and booking it (its result lost, and
the run then waiting its grace for a file it already had), or while a line
is written to standard output (the run closed as if it had come to its end:
no cancel, every stalled download waited out). So while a run is under way a
signal is only noted, and the handler it replaced is called at the next
step the run takes (:meth:`Deferred.check`): Ctrl-C then ends the run as it
always did, from a place where nothing is half done. A second signal is not
held back: it is handled at once, as before, for someone who will not wait.
One that comes as the run gives out its last result, or while the run is put
away (finished files recorded, claims given back), ends it as interrupted
too, with its summary: it is looked for once more before the run is put
away, and once after.

Only the main thread can set handlers; a run driven from another thread (the
Python API) leaves them as they are. One begun in the main thread and ended
in another (its generator handed to a thread, or closed from one) cannot put
them back there and then: each hands its signal on to the handler it
replaced when that signal next comes, and puts that one back as it does (as
does one two runs let go of out of the order they took them in). A signal
whose handler is not Python's (the default, ignored) is left alone too.

A handler that raises where Python can only report what is raised (inside an
object's finalizer, or a weak reference's callback, as the import system
runs while a module loads) would be lost: the command has such signals
noted instead (:func:`missed`), and a run acts on one as on any other.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

# The signals a run takes in its stride: Ctrl-C, SIGTERM (a service manager's stop), SIGHUP (a lost terminal).
HANDLED = (signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []))

Handler = Callable[[int, FrameType | None], object]

_missed: list[int] = []  # signals whose handler raised where Python could only report it, not yet acted on


def missed(signum: int) -> None:
    """``signum``'s handler raised where Python could not raise (its interrupt reported, and dropped): the run acts
    on it where it next looks, and one to come acts on it as it begins."""
    _missed.append(signum)


def default() -> None:
    """For the command's last steps (its last line said, Python put away): each signal a run takes in its stride
    back to the system's own action, so that one landing now ends the process at once, by that signal, and Python
    prints no traceback for it in its teardown. One ignored (``nohup``) stays ignored."""
    for signum in HANDLED:
        if callable(signal.getsignal(signum)):
            signal.signal(signum, signal.SIG_DFL)


class Deferred:
    """While held, the Python handlers of Ctrl-C and SIGTERM run at :meth:`check`, not where they land."""

    def __init__(self) -> None:
        self._replaced: dict[int, Handler] = {}  # what is set aside now
        self._due: dict[int, Handler] = {}  # ... and what a signal noted is due (kept past release: a signal may
        #                                     land while the handlers are being put back)
        self._noted: tuple[int, Handler] | None = None  # a signal that came, and the handler it is due
        self._held = False  # signals are noted (from hold to the end of release)

    def hold(self) -> None:
        """Note the signals from now on (in the main thread only; elsewhere, nothing changes)."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._held = True
        for signum in HANDLED:
            handler = signal.getsignal(signum)
            if callable(handler):
                self._replaced[signum] = self._due[signum] = handler
                signal.signal(signum, self._note)
        self._take_missed()

    def release(self) -> None:
        """The handlers as they were (a signal noted and not yet acted on stays noted). From a thread other than
        the main one, each is put back as its signal next comes (:meth:`_note`)."""
        replaced, self._replaced = self._replaced, {}
        try:
            if threading.current_thread() is threading.main_thread():
                for signum, handler in replaced.items():
                    signal.signal(signum, handler)  # (one landing meanwhile is noted: still held)
        finally:
            self._held = False

    @property
    def noted(self) -> bool:
        """A signal came and is not acted on yet (what waits as the run is put away may end its wait)."""
        return self._noted is not None or bool(_missed)

    def check(self) -> None:
        """Act on a noted signal: its own handler runs now (Ctrl-C's raises :class:`KeyboardInterrupt`)."""
        self._take_missed()
        if self._noted is not None:
            (signum, handler), self._noted = self._noted, None
            handler(signum, None)

    def _take_missed(self) -> None:
        """A signal :func:`missed`, noted as one that came (where none is noted already)."""
        while _missed and self._noted is None and self._due:
            signum = _missed.pop(0)
            if signum in self._due:
                self._noted = (signum, self._due[signum])
                self.release()  # (as on one that came: a second is handled where it lands)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        if not self._held:  # let go of, yet still the handler (or due, as a later run's check calls it): the one
            #                   it replaced is the signal's again, now
            if threading.current_thread() is threading.main_thread() and signal.getsignal(signum) == self._note:
                signal.signal(signum, self._due[signum])
            self._due[signum](signum, frame)
            return
        self._noted = (signum, self._due[signum])
        self.release()  # a second signal is handled where it lands
