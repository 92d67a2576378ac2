"""One progress bar for the whole run, behind one small object that owns its lock.

Workers call :meth:`Progress.advance` and friends, never the bar itself.
:class:`Quiet` does nothing, for when stderr is not a terminal or with ``-q``.
"""

from __future__ import annotations

import threading
from typing import Any, TextIO

import progressbar


class Quiet:
    """Counts nothing, draws nothing; messages still go to ``stream`` unless silent."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def expect(self, files: int = 0, size: int = 0) -> None:
        """More work is known: ``files`` more files, ``size`` more bytes."""

    def advance(self, size: int) -> None:
        """``size`` bytes arrived (negative when a file starts over)."""

    def file_done(self) -> None:
        """One file finished, one way or another."""

    def note(self, message: str) -> None:
        """A line for people, printed above the bar."""
        if self._stream is not None:
            with self._lock:
                self._stream.write(message + "\n")
                self._stream.flush()

    def close(self) -> None:
        """Take the bar off the screen (idempotent)."""


class Bar(Quiet):
    """A progressbar2 bar on ``stream``: files done, bytes, speed, ETA."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._files = 0
        self._files_total = 0
        self._bytes = 0
        self._bytes_total = 0
        self._text = progressbar.FormatCustomText("%(done)d/%(total)d files ", {"done": 0, "total": 0})
        widgets: list[Any] = [
            self._text,
            progressbar.Percentage(), " ",
            progressbar.Bar(left="[", right="]"), " ",
            progressbar.DataSize(), " ",
            progressbar.AdaptiveTransferSpeed(), " ",
            progressbar.AdaptiveETA(),
        ]
        self._bar = progressbar.ProgressBar(
            max_value=progressbar.UnknownLength, widgets=widgets, fd=stream,
            min_poll_interval=0.1, poll_interval=0.1,
        )
        self._closed = False

    def expect(self, files: int = 0, size: int = 0) -> None:
        with self._lock:
            self._files_total += files
            self._bytes_total = max(0, self._bytes_total + size)
            self._redraw(force=True)

    def advance(self, size: int) -> None:
        with self._lock:
            self._bytes = max(0, self._bytes + size)
            self._redraw()

    def file_done(self) -> None:
        with self._lock:
            self._files += 1
            self._redraw(force=self._files == self._files_total)

    def note(self, message: str) -> None:
        with self._lock:
            if self._stream is None:
                return
            if not self._closed:
                self._stream.write("\r\x1b[K")
            self._stream.write(message + "\n")
            self._stream.flush()
            self._redraw(force=True)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._redraw(force=True)
                self._bar.finish(dirty=self._files < self._files_total)

    def _redraw(self, force: bool = False) -> None:
        if self._closed and not force:
            return
        self._text.update_mapping(done=self._files, total=self._files_total)
        total = max(self._bytes_total, self._bytes) or progressbar.UnknownLength
        if self._bar.max_value != total:
            self._bar.max_value = total
        self._bar.update(self._bytes, force=force)
