"""``python -m imgur_dl``, and the ``imgur-dl`` command."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from collections.abc import Callable


def run() -> None:
    """The command. Ctrl-C while it is still loading (a command started by mistake, stopped at once) ends it as
    Ctrl-C ends a run: one line, status 130, no traceback; so does SIGTERM or SIGHUP that lands before the run
    takes it in hand, with its own status (143, 129). On a system imgur-dl cannot run on, one line too."""
    try:
        from imgur_dl import _unsupported, signals  # noqa: PLC0415 - loaded where Ctrl-C is in hand

        sys.unraisablehook = lambda unraisable: _unraisable(unraisable, signals.missed)

        if (why := _unsupported()) is not None:  # (said before a module the system lacks is asked for)
            _end(f"imgur-dl: error: {why}", "USAGE")
        from imgur_dl.cli import run as command  # noqa: PLC0415

        command()
    except KeyboardInterrupt as exc:  # (SIGTERM's and SIGHUP's, once their handlers are set, say their status)
        status = getattr(exc, "exit_status", None)
        _end("imgur-dl: interrupted", "INTERRUPTED" if status is None else status.name)


def _unraisable(unraisable: sys.UnraisableHookArgs, missed: Callable[[int], None]) -> None:
    """A signal's handler that raised (Ctrl-C's KeyboardInterrupt, SIGTERM's and SIGHUP's) where Python can only
    report it: inside an object's finalizer or a weak reference's callback, as the import system's run while a module
    loads. Python would print "Exception ignored" and a traceback, and go on as if the signal never came: the
    signal is ``missed`` instead, and the run acts on it. Anything else, as Python reports it."""
    if not issubclass(unraisable.exc_type, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)
        return
    import signal  # noqa: PLC0415 - (loaded where Ctrl-C is in hand: this module's own loading is not)

    missed(getattr(unraisable.exc_value, "signum", signal.SIGINT))  # (SIGTERM's and SIGHUP's say theirs)


def _end(line: str, status: str) -> NoReturn:
    """``line`` said, and the command ended with the exit status of that name (its module loaded here, not before);
    a signal from now on ends it at once, as its own."""
    from imgur_dl import signals  # noqa: PLC0415
    from imgur_dl.status import ExitStatus  # noqa: PLC0415
    from imgur_dl.text import shown, writer  # noqa: PLC0415 - as the run says it: to a stderr that may be gone

    signals.default()
    writer(shown(sys.stderr))(line)
    sys.exit(ExitStatus[status])


if __name__ == "__main__":
    run()
