"""``python -m imgur_dl``, and the ``imgur-dl`` command."""

from __future__ import annotations

import sys


def run() -> None:
    """The command. Ctrl-C while it is still loading (a command started by mistake, stopped at once) ends it as
    Ctrl-C ends a run: one line, status 130, no traceback."""
    try:
        from imgur_dl.cli import run as command  # noqa: PLC0415 - loaded where Ctrl-C is in hand

        command()
    except KeyboardInterrupt:
        from imgur_dl.status import ExitStatus  # noqa: PLC0415
        from imgur_dl.text import shown, writer  # noqa: PLC0415 - as the run says it: to a stderr that may be gone

        writer(shown(sys.stderr))("imgur-dl: interrupted")
        sys.exit(ExitStatus.INTERRUPTED)


if __name__ == "__main__":
    run()
