"""A file split in volumes (``dump.zst.001``, ``.002``...: 7-Zip's ``-v`` writes them so, of any file, as HJSplit and
others do; each the next of its bytes; and a ZIP archive split in parts, ``export.z01``, ``.z02``... then
``export.zip``, as ``zip -s`` and WinZip write one), read as the one file they were cut from: where it is asked
(:class:`Volumes`, as a 7-Zip archive's index and a Parquet file's footer ask), or one piece after another
(:class:`Joined`, as a compressed stream, a ZIP or a text is read).

The volumes are the first one's neighbours of the next numbers, in turn, as long as each is there: a symlink is not
followed (as none is in a folder scanned), and where one is missing, the file is cut short there. One volume is
open at a time (a file in a thousand volumes does not take a thousand of the system's descriptors); each is checked,
when opened again, to be the file it was when the volumes were first counted.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import io
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_NUMBERED = re.compile(r"(.+\.([^.]+))\.(\d{3,})")  # name.ext.001: the file's own name, then the volume's number
# A ZIP archive split in parts (zip -s, WinZip's): name.z01, name.z02... then name.zip, its last, the one to scan.
_ZIP, _ZIP_PART = re.compile(r"(.+)\.(z)ip", re.IGNORECASE), re.compile(r"(.+)\.(z)\d{2,}", re.IGNORECASE)


def _volume(name: str) -> tuple[str, int, int] | None:
    """The name of the file a volume named ``name`` is of, its number, and how many digits it is written with; None
    where ``name`` is no volume's (a name with no extension before its number, or a number for one: ``x.2023.001``)."""
    match = _NUMBERED.fullmatch(name)
    if match is None or match[2].isdigit():
        return None
    return match[1], int(match[3]), len(match[3])


def volumes(path: Path) -> list[Path]:
    """The volumes of the file whose first volume is ``path`` (it, and each next one beside it, in turn, that is a
    file and not a symlink; a ZIP archive's parts before it, where it is their last, ``name.zip``); ``[path]`` where
    it is neither."""
    if (zipped := _ZIP.fullmatch(path.name)) is not None:
        parts: list[Path] = []
        while _beside(part := path.with_name(f"{zipped[1]}.{zipped[2]}{len(parts) + 1:02d}")):
            parts.append(part)
        return [*parts, path]
    volume = _volume(path.name)
    if volume is None or volume[1] != 1:
        return [path]
    whole, _, digits = volume
    found = [path]
    while _beside(later := path.with_name(f"{whole}.{len(found) + 1:0{digits}d}")):
        found.append(later)
    return found


def read_with(path: Path) -> str | None:
    """The name of the volume the file that ``path`` is another volume of is read from (its first; a ZIP archive's
    last, ``name.zip``), where that one is beside it (a file, not a symlink: as a folder scanned reads it); None
    where there is none."""
    if (part := _ZIP_PART.fullmatch(path.name)) is not None:
        read = path.with_name(f"{part[1]}.{part[2]}{'IP' if part[2] == 'Z' else 'ip'}")
    elif (volume := _volume(path.name)) is not None and volume[1] >= 2:
        read = path.with_name(f"{volume[0]}.{1:0{volume[2]}d}")
    else:
        return None
    return read.name if _beside(read) else None


def _beside(path: Path) -> bool:
    """Whether ``path`` is a file, and not a symlink (a volume that is one is not followed)."""
    return path.is_file() and not path.is_symlink()


class Volumes:
    """A file split in volumes (the paths of each, in turn), read as one file, where it is asked (``at``)."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.ends: list[int] = []  # where each volume ends, in the whole
        self._files: list[tuple[int, int]] = []  # each volume's device and inode, as it was first opened
        self._open: tuple[int, int] | None = None  # the volume open now, and its descriptor
        for n in range(len(paths)):
            stat = os.fstat(self._fd(n))
            self.ends.append((self.ends[-1] if self.ends else 0) + stat.st_size)
        self.size = self.ends[-1] if self.ends else 0

    def at(self, offset: int, size: int) -> bytes:
        pieces, end = [], min(offset + size, self.size)
        volume = bisect.bisect_right(self.ends, offset)
        while offset < end:
            start = self.ends[volume - 1] if volume else 0
            piece = os.pread(self._fd(volume), min(end, self.ends[volume]) - offset, offset - start)
            if not piece:  # (a volume shorter now than when it was first opened)
                break
            pieces.append(piece)
            offset += len(piece)
            volume = bisect.bisect_right(self.ends, offset)
        return b"".join(pieces)

    def _fd(self, volume: int) -> int:
        """The descriptor of ``volume``, opened (and the one open before closed) where it is not open now."""
        if self._open is not None and self._open[0] == volume:
            return self._open[1]
        self.close()
        fd = os.open(self.paths[volume], os.O_RDONLY | (os.O_NOFOLLOW if volume else 0))
        stat = os.fstat(fd)
        if volume == len(self._files):
            self._files.append((stat.st_dev, stat.st_ino))
        elif self._files[volume] != (stat.st_dev, stat.st_ino):
            os.close(fd)
            raise OSError(errno.ESTALE, "a volume was replaced while it was read", str(self.paths[volume]))
        self._open = (volume, fd)
        return fd

    def close(self) -> None:
        if self._open is not None:
            fd, self._open = self._open[1], None
            with contextlib.suppress(OSError):
                os.close(fd)

    def __del__(self) -> None:
        self.close()


class Joined(io.RawIOBase):
    """The volumes read as one file is, one piece after another (and where a reader seeks: a ZIP archive's
    directory, at its end)."""

    def __init__(self, whole: Volumes) -> None:
        super().__init__()
        self.whole = whole
        self.offset = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        with memoryview(buffer) as view:
            data = self.whole.at(self.offset, view.nbytes)
            view[:len(data)] = data
        self.offset += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        start = {os.SEEK_SET: 0, os.SEEK_CUR: self.offset, os.SEEK_END: self.whole.size}[whence]
        if start + offset < 0:
            raise OSError(errno.EINVAL, "a place before the start", str(self.whole.paths[0]))
        self.offset = start + offset
        return self.offset

    def tell(self) -> int:
        return self.offset

    def close(self) -> None:
        self.whole.close()
        super().close()
