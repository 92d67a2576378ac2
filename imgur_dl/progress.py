"""One progress bar for the whole run, behind one small object that owns its lock.

Workers call :meth:`Progress.advance` and friends, never the bar itself.
:class:`Progress` itself draws nothing, for when stderr is not a terminal or with ``-q``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

import progressbar

from imgur_dl.text import ERROR_PREFIX, printable, writer


class Progress:
    """The interface, and the display for scripts: draws nothing, prints messages.

    Every message passes through :func:`printable` and the stream's encoding
    here, so no caller can put a raw control byte on the terminal.
    """

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self._stream = stream
        self._quiet = quiet
        self._write = writer(stream)
        self._lock = threading.Lock()

    def expect(self, files: int = 0, size: int = 0) -> None:
        """More work is known: ``files`` more files, ``size`` more bytes."""

    def advance(self, size: int) -> None:
        """``size`` bytes arrived (negative when a file starts over)."""

    def file_done(self, files: int = 1) -> None:
        """A file finished, one way or another (or ``files`` of them)."""

    def note(self, message: str) -> None:
        """A line for people (not shown with --quiet)."""
        if not self._quiet:
            self._show(message)

    def tell(self, message: str) -> None:
        """A line asked for by name (-v's requests): shown even with --quiet, as curl -s -v shows its own."""
        self._show(message)

    def error(self, message: str) -> None:
        """A failure: ``imgur-dl: error: <message>``, shown even with --quiet."""
        self._show(ERROR_PREFIX + message)

    def close(self, *, interrupted: bool = False) -> None:
        """Take the bar off the screen (idempotent); ``interrupted``: wipe it, the summary says what it said."""

    def _show(self, message: str) -> None:
        with self._lock:
            self._write(printable(message))


# The bar's parts, least wanted last, each shown only when the line may be this long (a terminal's columns but
# one): a line longer than the terminal wraps, and each redraw of a wrapped line leaves a line behind (a split
# tmux pane, a phone). Counts of six digits, and all of them, take 66 columns and the bar's brackets.
_PERCENT_FROM = 24
_BAR_FROM = 34
_SIZE_FROM = 44
_SPEED_FROM = 56
_ETA_FROM = 72
WIDTH_EVERY = 0.5  # seconds between looks at the terminal's width (it may be resized as the run goes)
# An estimate past this is none: progressbar2's, from a window of samples in which no byte came (the bytes all
# came before it, the next file not yet begun), divides by a millionth of a byte ("ETA: 126227 days").
MOST_ETA = 30 * 86_400


class _ETA(progressbar.AdaptiveETA):
    """progressbar2's adaptive ETA, said as not known when it is past :data:`MOST_ETA`."""

    def __call__(self, progress: Any, data: Any, *args: Any, **kwargs: Any) -> str:
        shown: str = super().__call__(progress, data, *args, **kwargs)  # (as the bar calls it: its arguments vary)
        seconds = data.get("eta_seconds")
        return self.format_not_started if seconds is not None and seconds > MOST_ETA else shown


def terminal_width(stream: TextIO) -> int | None:
    """The width (columns) of the terminal ``stream`` writes to; None when it writes to none."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or None
    except (OSError, ValueError, AttributeError):  # (io.UnsupportedOperation is both of the first two)
        return None


class Bar(Progress):
    """A progressbar2 bar on ``stream``: files done, bytes, speed, ETA, as many of them as its terminal's width
    (``width``, the columns; by default, looked up on ``stream``'s terminal) holds on one line. ``escapes``: the
    terminal takes ANSI escapes (colours aside: ``color``); without, a line is cleared with spaces."""

    def __init__(self, stream: TextIO, *, color: bool = True, escapes: bool = True,
                 width: Callable[[], int | None] | None = None) -> None:
        super().__init__(stream)
        self._color = color  # (NO_COLOR set: no colour, https://no-color.org)
        self._clear = "\r\x1b[K" if escapes else None  # (None: spaces over the bar's width)
        self._width = width or (lambda: terminal_width(stream))
        self._width_due = 0.0  # when to look at the terminal's width again
        self._files = 0
        self._files_total = 0
        self._bytes = 0
        self._bytes_total = 0
        self._text = progressbar.FormatCustomText("%(done)d/%(total)d files ", {"done": 0, "total": 0})
        self._bar: Any = None  # made when the first file is known: a run that finds none draws nothing
        self._closed = False
        self._drawn = False

    def expect(self, files: int = 0, size: int = 0) -> None:
        with self._lock:
            self._files_total += files
            self._bytes_total = max(0, self._bytes_total + size)
            self._redraw(force=True)

    def advance(self, size: int) -> None:
        with self._lock:
            self._bytes = max(0, self._bytes + size)
            self._redraw()

    def file_done(self, files: int = 1) -> None:
        with self._lock:
            self._files += files
            self._redraw(force=self._files == self._files_total)

    def _show(self, message: str) -> None:
        with self._lock:
            if self._drawn and not self._closed:
                self._clear_line()
            self._write(printable(message))
            if not self._closed:  # (a finished bar stays above what the run says last, and the summary after)
                self._redraw(force=True)

    def close(self, *, interrupted: bool = False) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                if self._drawn and interrupted:  # no bar left behind beside the terminal's ^C to repeat itself
                    self._clear_line()
                    self._stream.flush()
                elif self._drawn:  # a run that found no file never shows an empty bar
                    if self._files == self._files_total:  # (the bytes of files that failed never came: the bar
                        self._bytes_total = min(self._bytes_total, self._bytes)  # ends at what did, as the summary)
                    self._redraw(force=True)
                    self._bar.finish(dirty=self._files < self._files_total)

    def _clear_line(self) -> None:
        """The bar's line made empty, the cursor at its start."""
        self._stream.write(self._clear or f"\r{' ' * self._bar.term_width}\r")

    def _redraw(self, force: bool = False) -> None:
        if (self._closed and not force) or not self._files_total:
            return
        if self._bar is None:
            def space(least: int) -> Any:
                return progressbar.FormatLabel(" ", min_width=least)
            widgets: list[Any] = [
                self._text,
                progressbar.Percentage(min_width=_PERCENT_FROM), space(_BAR_FROM),
                progressbar.Bar(left="[", right="]", min_width=_BAR_FROM), space(_SIZE_FROM),
                progressbar.DataSize(min_width=_SIZE_FROM), space(_SPEED_FROM),
                progressbar.AdaptiveTransferSpeed(min_width=_SPEED_FROM), space(_ETA_FROM),
                _ETA(min_width=_ETA_FROM),
            ]
            self._bar = progressbar.ProgressBar(
                max_value=progressbar.UnknownLength, widgets=widgets, fd=self._stream, term_width=self._columns(),
                min_poll_interval=0.1, poll_interval=0.1, enable_colors=self._color,
            )
        elif force or time.monotonic() >= self._width_due:
            self._bar.term_width = self._columns()
        self._drawn = True
        self._text.update_mapping(done=self._files, total=self._files_total)
        total = max(self._bytes_total, self._bytes) or progressbar.UnknownLength
        if self._bar.max_value != total:
            self._bar.max_value = total
        self._bar.update(self._bytes, force=force)

    def _columns(self) -> int:
        """What the bar may fill: the terminal's width but its last column (a line that fills the width wraps
        on some terminals), or 79 when the width cannot be known."""
        self._width_due = time.monotonic() + WIDTH_EVERY
        return max(1, (self._width() or 80) - 1)


class Meter:
    """Every body byte received, told once: to the progress display, the rate limit and the count of bytes moved."""

    def __init__(self, progress: Progress, rate: Callable[[int], None] | None = None) -> None:
        self.progress = progress
        self.rate = rate
        self.moved = 0  # body bytes received, kept or not: what the run really moved
        self._lock = threading.Lock()

    def __call__(self, size: int) -> None:
        self.progress.advance(size)
        with self._lock:
            self.moved += size
        if self.rate is not None:
            self.rate(size)
