"""``python -m imgur_dl``, and the ``imgur-dl`` command."""

from __future__ import annotations

import sys
from typing import NoReturn


def run() -> None:
    """The command. Ctrl-C while it is still loading (a command started by mistake, stopped at once) ends it as
    Ctrl-C ends a run: one line, status 130, no traceback; so does SIGTERM or SIGHUP that lands before the run
    takes it in hand, with its own status (143, 129). On a system imgur-dl cannot run on, one line too."""
    try:
        from imgur_dl import _unsupported  # noqa: PLC0415 - loaded where Ctrl-C is in hand

        if (why := _unsupported()) is not None:  # (said before a module the system lacks is asked for)
            _end(f"imgur-dl: error: {why}", "USAGE")
        from imgur_dl.cli import run as command  # noqa: PLC0415

        command()
    except KeyboardInterrupt as exc:  # (SIGTERM's and SIGHUP's, once their handlers are set, say their status)
        status = getattr(exc, "exit_status", None)
        _end("imgur-dl: interrupted", "INTERRUPTED" if status is None else status.name)


def _end(line: str, status: str) -> NoReturn:
    """``line`` said, and the command ended with the exit status of that name (its module loaded here, not before)."""
    from imgur_dl.status import ExitStatus  # noqa: PLC0415
    from imgur_dl.text import shown, writer  # noqa: PLC0415 - as the run says it: to a stderr that may be gone

    writer(shown(sys.stderr))(line)
    sys.exit(ExitStatus[status])


if __name__ == "__main__":
    run()
