"""The project's exceptions. The CLI maps each one to a message and an exit code."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from imgur_dl.status import ExitStatus

T = TypeVar("T")


class ImgurDLError(Exception):
    """Base class: an expected failure, reported as one line without a traceback."""

    exit_status = ExitStatus.FAILED


class UsageError(ImgurDLError):
    """Bad command-line input: an unknown option value, a URL we cannot use."""

    exit_status = ExitStatus.USAGE


def bug(exc: Exception) -> str:
    """What a bug met in one file's, album's or source's work says of it, that work alone failing (the rest of
    the run goes on; with --debug it ends the run instead, its traceback shown)."""
    return f"unexpected {type(exc).__name__} (a bug; --debug shows it)"


def blamed(variable: str | None, check: Callable[[], T]) -> T:
    """``check()``; a :class:`UsageError` it raises is said of ``variable`` when the value came from the
    environment (a crontab's or a profile's setting, not a flag the user can see on the line that failed)."""
    try:
        return check()
    except UsageError as exc:
        if variable is None:
            raise
        raise UsageError(f"{variable}: {exc}") from None


class NotFoundError(ImgurDLError):
    """Imgur says the album or image does not exist."""

    exit_status = ExitStatus.NOT_FOUND


class EmptyAlbumError(NotFoundError):
    """The album exists but Imgur shows no media in it."""


class ApiError(ImgurDLError):
    """Imgur's API could not answer (after retries and the fallback API)."""


class ApiClosedError(ApiError):
    """Nothing more can be asked of the API this run, whatever is asked: the message names why."""


class NetworkError(ApiClosedError):
    """The API could not be reached at all (after every retry): the message names why."""


class ClientRefusedError(ApiClosedError):
    """Imgur refused the client id every request without a login is made with."""


class BudgetSpentError(ApiError):
    """The API's rate-limit budget for this client (or user) is spent; ``back_in``: the seconds until it comes back,
    when Imgur said."""

    def __init__(self, reason: str, *, back_in: float | None = None) -> None:
        super().__init__(reason)
        self.back_in = back_in


class RegionBlockedError(ApiError):
    """Imgur refuses this country or region, whatever is asked."""


class TokenNeededError(UsageError):
    """A listing only your own access token can read, asked for without one."""


class TokenRefusedError(ApiError):
    """Imgur refused the access token (expired or revoked)."""

    exit_status = ExitStatus.TOKEN_REFUSED


def reason(exc: BaseException) -> str:
    """An error's reason in words: the system's for an OSError, else its message, else its kind."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class ScanError(ImgurDLError):
    """An input to scan could not be read to its end; what was found before still counts. ``why``: the reason
    alone; ``replaces``: what was said just before, which this says again with more (a file's last spoilt member
    said, then that none follows it: one line)."""

    def __init__(self, message: str, why: str | None = None, replaces: ScanError | None = None) -> None:
        super().__init__(message)
        self.why = why or message
        self.replaces = replaces

    @classmethod
    def stopped(cls, name: str, why: str) -> ScanError:
        """Reading ``name`` stopped where ``why`` says."""
        return cls(f"{name}: cannot read on ({why}); what was found before it still counts", why)


class FileStopped(ScanError):
    """One file of an archive (a ZIP's, a tar's) could not be read to its end: what was found before that point still
    counts, and the archive goes on with its next file."""


class ArchiveUnavailable(ImgurDLError):
    """The download archive cannot be reached or written just now (its server went away, a lock held too long, its
    disk full); ``trouble`` says which in words ("cannot be reached"). ``unsent``: the call never reached it (no
    connection could be made), so it changed nothing there. ``lasting``: asked again, it says the same (it refused
    what its user asked, rights taken away since the run began; its file is damaged)."""

    def __init__(self, reason: str, *, trouble: str = "cannot be reached", unsent: bool = False,
                 lasting: bool = False) -> None:
        super().__init__(reason)
        self.trouble = trouble
        self.unsent = unsent
        self.lasting = lasting


class OutputError(ImgurDLError):
    """Standard output cannot be written (closed, or its disk full): the message says which."""


class OutputClosed(OutputError):
    """The reader of standard output went away (``| head -1``): the run ends quietly, as Unix tools do."""

    exit_status = ExitStatus.PIPE_CLOSED


class _WritingStdout:
    """Writes to standard output: a reader gone becomes :class:`OutputClosed`, any other failure (a full disk,
    a closed file) :class:`OutputError`, whatever was being written (lines of a run, --help, --version).

    (A class, not a generator: it is entered for every line of ``-g``, and costs a tenth as much.)
    """

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: TracebackType | None
                 ) -> None:
        if isinstance(exc, BrokenPipeError):
            raise OutputClosed("standard output was closed by its reader") from None
        if isinstance(exc, (OSError, ValueError)):  # (ValueError: a closed file object)
            raise OutputError(f"cannot write to standard output: {reason(exc)}") from None


_WRITING_STDOUT = _WritingStdout()


def writing_stdout() -> _WritingStdout:
    """What ``with`` takes around writes to standard output (see :class:`_WritingStdout`)."""
    return _WRITING_STDOUT


class DownloadError(ImgurDLError):
    """One file could not be downloaded; the message says why."""


class RemovedError(DownloadError):
    """i.imgur.com answered with its 'removed.png' placeholder, or 404."""


class NotMediaError(DownloadError):
    """The answer's bytes are not the kind of file asked for (a web page, a placeholder)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (from timeout, systemd, docker): handled as Ctrl-C is, told apart in the exit status."""

    exit_status = ExitStatus.TERMINATED
    signum = signal.SIGTERM


class HungUp(Terminated):
    """SIGHUP (the terminal went away: an SSH connection lost): handled as SIGTERM is (claims given back,
    records written), told apart in the exit status. Under ``nohup`` it never comes."""

    exit_status = ExitStatus.HANGUP
    signum = getattr(signal, "SIGHUP", signal.SIGTERM)  # (not on Windows)


class Cancelled(BaseException):
    """The run was interrupted (Ctrl-C, SIGTERM, SIGHUP) while this piece of work was under way.

    Not an :class:`ImgurDLError`, nor even an :class:`Exception`: like
    :class:`KeyboardInterrupt`, no handler meant for failures can swallow it.
    """

    exit_status = ExitStatus.INTERRUPTED
