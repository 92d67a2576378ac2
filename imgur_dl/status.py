"""Exit codes, in one place. The README documents each of them."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    SUCCESS = 0  # every file saved or already present
    FAILED = 1  # some files (or whole albums) could not be saved
    USAGE = 2  # bad options, or a URL that is not an Imgur album or image
    NOT_FOUND = 3  # an album or image does not exist (or is no longer public)
    TOKEN_REFUSED = 4  # Imgur refused your access token; what needs none was still fetched
    HANGUP = 129  # SIGHUP (128 + 1): the terminal went away (an SSH connection lost)
    INTERRUPTED = 130  # Ctrl-C
    PIPE_CLOSED = 141  # the reader of standard output went away (128 + SIGPIPE, as Unix tools end)
    TERMINATED = 143  # SIGTERM (128 + 15)

    @property
    def severity(self) -> int:
        """Rank used to pick the one code that describes a run of many URLs."""
        return _SEVERITY[self]


_SEVERITY = {
    ExitStatus.SUCCESS: 0,
    ExitStatus.FAILED: 1,
    ExitStatus.NOT_FOUND: 2,
    ExitStatus.TOKEN_REFUSED: 3,
    ExitStatus.USAGE: 4,
    ExitStatus.PIPE_CLOSED: 5,
    ExitStatus.INTERRUPTED: 6,
    ExitStatus.HANGUP: 7,
    ExitStatus.TERMINATED: 8,
}


def worst(statuses: list[ExitStatus]) -> ExitStatus:
    """The most severe of ``statuses`` (SUCCESS for none)."""
    return max(statuses, key=lambda s: s.severity, default=ExitStatus.SUCCESS)
