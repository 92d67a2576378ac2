"""A ZIP or a tar archive's files (a 7-Zip archive's: :mod:`imgur_dl.sevenzip`), one after another, as ``--scan``
reads them: each as a file of its own is read
(compressed or not, a WARC file, a LevelDB table...), a line's end between two.

A file of the archive that cannot be read to its end (damaged, encrypted, cut short) is said
(:class:`FileStopped`), and the archive's next file is read where the archive lets it: a ZIP's files each from its
own offset, always; a tar's, as long as the archive's own stream is whole. More than :data:`FILES_STOPPED_MOST` such
files give the archive up in one line. What a ZIP archive's files expand to is bounded as any compressed input's is.
"""

from __future__ import annotations

import collections
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import IO, cast

from imgur_dl import leveldb, zstdlib
from imgur_dl.errors import FileStopped, ScanError, reason
from imgur_dl.reader import Expansion, Prefixed, Reader, peek

Opened = Callable[[IO[bytes], str], Reader]  # an archive's file (named so in what is said) as text to read
FILES_STOPPED_MOST = 10  # files of one archive that may not be read to their end, each said, before it is given up
# The most archives an archive is read inside: a ZIP or tar inside a ZIP or tar (exports kept in a backup's
# tarball), and none deeper (a ZIP that holds itself, as some are made to, would be read for ever).
DEEPEST = 1
TOO_DEEP = "inside an archive inside another"  # (where one is not read)
NAMELESS = "(a file with no name)"  # an archive's file named so in what is said, where its name is empty
ENCRYPTED = 0x1  # a ZIP file's general purpose flag: its data is encrypted (APPNOTE.TXT 4.4.4)
LOCKED = "encrypted: its password is needed to read it"  # (why an archive's file is not read)
# How a ZIP's file may be compressed besides stored and deflated (APPNOTE.TXT 4.4.5), named; and those that zipfile
# reads from a whole archive (by its directory). Windows writes a file over 2 GiB with Deflate64.
ZSTANDARD = 93
_METHODS = {1: "Shrink", 6: "Implode", 9: "Deflate64", 12: "bzip2", 14: "LZMA", ZSTANDARD: "Zstandard", 95: "xz",
            97: "WavPack", 98: "PPMd"}
READ_WHOLE = frozenset(method for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                             zipfile.ZIP_LZMA, getattr(zipfile, "ZIP_ZSTANDARD", None))
                       if method is not None)  # (Zstandard from Python 3.14)


def not_read(method: int) -> str:
    """Why a ZIP's file compressed with ``method`` is not read where it is (from its own header, on a pipe; or at
    all), and what to do."""
    named = f"compressed with {_METHODS[method]} (method {method})" if method in _METHODS else \
        f"compressed in a way of its own (method {method})"
    if method == ZSTANDARD and not zstdlib.present():
        return f"{named}, read with the extra imgur-dl[zstd] (the zstandard package): install it, or extract it " \
               "with a program that reads it (7-Zip's forks), then scan what it holds"
    if method in READ_WHOLE:
        return f"{named}, read from a whole archive only: save it whole, then scan it"
    return f"{named}, which imgur-dl does not read: extract it with a program that does (7-Zip), then scan what it " \
           "holds"


def refused(flags: int, method: int, read: frozenset[int]) -> str | None:
    """Why a ZIP's file (its general purpose ``flags``, its compression ``method``) is not read by a reader of the
    methods ``read``; None where it is."""
    if flags & ENCRYPTED:  # (said so, where zipfile's own words would name its whole record)
        return LOCKED
    return None if method in read else not_read(method)


class Files:
    """An archive's files, one after another, each read as a file of its own is (``opened``: compressed or not, and
    so on; :func:`imgur_dl.compressed.opened`), a line's end between two. A file that cannot be read to its end
    (damaged, encrypted, cut short) is :class:`FileStopped`, and the next read goes on with the next file, where the
    archive lets it (:meth:`_goes_on`); what the archive itself cannot be read on for (:attr:`unreadable`) stops it,
    in one line."""

    unreadable: tuple[type[Exception], ...] = ()

    def __init__(self, name: str, opened: Opened) -> None:
        self.name = name
        self.opened = opened
        self._current: Reader | None = None
        self.inner = ""  # the name in the archive of the file read last
        self.files_stopped = 0  # files that could not be read to their end
        # (what a file's reading, or the archive's, stops with)
        self._stopping: tuple[type[Exception], ...] = (ScanError, *self.unreadable)
        self.databases: set[PurePosixPath] = set()  # the folders with a LevelDB database's CURRENT file, so far

    def _next(self) -> IO[bytes] | None:
        """The next file to read (its name in the archive in :attr:`inner`); None after the last."""
        raise NotImplementedError

    def _goes_on(self, exc: Exception) -> bool:
        """Whether the archive can be read on past a file that stopped with ``exc``."""
        raise NotImplementedError

    def read(self, size: int, /) -> bytes:
        try:
            if self._current is None:
                file = self._next()
                if file is None:
                    return b""
                self._current = self._opened(file, self.inner)
            data = self._current.read(size)
        except self._stopping as exc:  # (encrypted, corrupt, cut short, not what it says it is)
            if isinstance(exc, FileStopped) and self._goes_on(exc):
                raise  # (a part of the file spoilt, which itself reads on after it: a .warc.gz's member)
            self._current = None
            self.files_stopped += 1
            if self.files_stopped > FILES_STOPPED_MOST:  # (an archive spoilt throughout: a line for it, not each file)
                raise ScanError.stopped(self.name, f"more than {FILES_STOPPED_MOST} of its files could not be read to "
                                                   "their end: spoilt throughout?") from None
            if not self._goes_on(exc):  # (the archive's own stream: it ends here, a spoilt part of it too)
                if isinstance(exc, ScanError) and not isinstance(exc, FileStopped):
                    raise
                raise ScanError.stopped(self.name, exc.why if isinstance(exc, ScanError) else reason(exc)) from None
            stopped = exc if isinstance(exc, ScanError) else \
                ScanError.stopped(f"{self.name}: {self.inner}", reason(exc))
            raise FileStopped(f"{stopped}; the archive's other files are read", stopped.why, stopped.replaces) from None
        if not data:
            self._current = None
            return b"\n"  # (between two files: the last line of one is not the first of the next)
        return data

    def _opened(self, file: IO[bytes], inner: str) -> Reader:
        """The archive's file ``inner`` as a file is read; a LevelDB table (named so, and ending with
        its magic number or beside its database's CURRENT file) or log (named so, beside it) read as one, whole."""
        name, path = f"{self.name}: {inner}", PurePosixPath(inner)
        if path.name == "CURRENT":
            self.databases.add(path.parent)
        form = leveldb.named(path)
        beside = path.parent in self.databases
        if form is None or (form == "log" and not beside):
            return self.opened(file, name)
        data = peek(file, leveldb.MOST + 1)  # (one more: to tell one larger)
        if len(data) <= leveldb.MOST and (beside or data.endswith(leveldb.TABLE_MAGIC)):
            return leveldb.reader(data, form, name)
        return self.opened(cast(IO[bytes], Prefixed(data, file, name)), name)


class TarFiles(Files):
    """A tar archive's files, read as the archive streams by (a ``.json.gz``, a ``.warc.gz`` decompressed).

    tarfile ends an archive, without a word, where a header should be and is not: the input cut short at a file's
    end or inside the next one's header, or anything but a header there. An archive ends with a block of zeros
    there; one that does not is said to be cut short (its files before that point still count).
    """

    unreadable = (tarfile.TarError, OSError, EOFError, zlib.error)

    def __init__(self, reader: Reader, name: str, opened: Opened) -> None:
        super().__init__(name, opened)
        self.tail = _Tail(reader)
        self.end: int | None = 0  # where the next header starts, after the last member's data (None: not known)
        try:
            self.tar = tarfile.open(fileobj=cast(IO[bytes], self.tail), mode="r|")  # noqa: SIM115 - read as it goes
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ScanError.stopped(name, reason(exc)) from None

    def _next(self) -> IO[bytes] | None:
        self.tail.keep_from = None  # (the last file's bytes are not needed again)
        while (member := self.tar.next()) is not None:
            # (a sparse file's size is what it expands to, not what the archive holds of it: not known)
            self.end = None if member.issparse() else \
                member.offset_data + -(-member.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
            file = self.tar.extractfile(member) if member.isfile() else None
            if file is not None:
                self.inner = member.name or NAMELESS
                return file if member.issparse() else cast(IO[bytes], _Member(file, member, self.tail))
        if self.end is not None and self.tail.at(self.end, tarfile.BLOCKSIZE) != bytes(tarfile.BLOCKSIZE):
            raise tarfile.ReadError("the archive stops before its end: cut short, or spoilt")
        return None

    def _goes_on(self, exc: Exception) -> bool:
        # (A file's own reading stopped, its text damaged, while the archive's stream is whole: tarfile skips what is
        # left of it. Anything tarfile itself raises, or the stream beneath failing, is the archive's end.)
        return isinstance(exc, ScanError) and not self.tail.broken


class _Member:
    """A file of a tar archive, as tarfile hands it on. Where the archive cannot be read on inside it (cut short, its
    compression spoilt), tarfile drops what it had read of the file for the read that failed (as much as a read asks,
    a MiB; more, before the file was asked for): those bytes are handed on first, from the tail, then the error."""

    def __init__(self, file: IO[bytes], member: tarfile.TarInfo, tail: _Tail) -> None:
        self.file = file
        self.start, self.end = member.offset_data, member.offset_data + member.size  # (in the archive's stream)
        self.tail = tail
        self.given = 0
        self.failed: Exception | None = None  # raised once what was read before it has been handed on

    def read(self, size: int = -1, /) -> bytes:
        at = self.tail.keep_from = self.start + self.given
        if self.failed is None:
            try:
                data = self.file.read(size)
            except (ScanError, *TarFiles.unreadable) as exc:
                self.failed, self.end = exc, min(self.tail.count, self.end)  # (the bytes read of it, and no more)
        if self.failed is not None:
            left = self.end - at
            if not (data := self.tail.at(at, left if size < 0 else min(size, left)) or b""):
                raise self.failed
        self.given += len(data)
        return data


class _Tail:
    """A reader's bytes as they go by, counted, at least the last :data:`_TAIL` of them kept (the pieces read, not
    copied): what tarfile read last, beyond the blocks it hands on; and all from :attr:`keep_from` on, where a file
    is being read: what tarfile has read of it and not handed on yet."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.count = 0
        self.kept: collections.deque[bytes] = collections.deque()
        self.held = 0  # bytes in kept
        self.broken = False  # the reader failed: nothing more of the archive can be read
        self.keep_from: int | None = None

    def read(self, size: int, /) -> bytes:
        try:
            data = self.reader.read(size)
        except Exception:
            self.broken = True
            raise
        self.count += len(data)
        self.kept.append(data)
        self.held += len(data)
        while self.held - len(self.kept[0]) >= _TAIL and (
                self.keep_from is None or self.count - self.held + len(self.kept[0]) <= self.keep_from):
            self.held -= len(self.kept.popleft())
        return data

    def at(self, position: int, size: int) -> bytes | None:
        """The bytes read from ``position`` on, at most ``size`` (None: no longer kept)."""
        start = self.count - self.held
        return b"".join(self.kept)[position - start:position - start + size] if position >= start else None


# What a tar archive's reader asks of its input at a time is a record (20 blocks): the block after the last member
# is in the last two it read.
_TAIL = 2 * tarfile.RECORDSIZE + tarfile.BLOCKSIZE


class ZipFiles(Files):
    """The files of a ZIP archive; what they expand to is bounded as any compressed input's is."""

    # (what zipfile's decoders raise for a file's spoilt data: deflate's, bzip2's OSError, LZMA's and Zstandard's own)
    unreadable = (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error,
                  lzma.LZMAError)

    def __init__(self, archive: zipfile.ZipFile, name: str, size: int, opened: Opened) -> None:
        super().__init__(name, opened)
        self._stopping += zstdlib.standard_error()
        self.archive = archive
        self.size = size  # the archive's, whatever its members say of theirs (they may overlap, as in a bomb)
        # (A folder's name ends with "/": ZipInfo.is_dir raises IndexError, before Python 3.12, on a name left empty.)
        self._members = iter([m for m in archive.infolist() if not m.filename.endswith("/")])
        # (every folder's CURRENT is known before any file is read: a log is read as one wherever it comes)
        self.databases = {PurePosixPath(m.filename).parent for m in archive.infolist()
                          if PurePosixPath(m.filename).name == "CURRENT"}
        self.expansion = Expansion(name)

    def _next(self) -> IO[bytes] | None:
        member = next(self._members, None)
        if member is None:
            return None
        self.inner = member.filename or NAMELESS
        # (zipfile: "That compression method is not supported", naming none)
        if (why := refused(member.flag_bits, member.compress_type, READ_WHOLE)) is not None:
            raise ScanError.stopped(f"{self.name}: {self.inner}", why)
        try:
            return self.archive.open(member)
        except ValueError:  # (zipfile's "negative seek value": where its directory says it starts is spoilt)
            raise zipfile.BadZipFile("its place in the archive is spoilt (before the archive's start)") from None

    def _goes_on(self, exc: Exception) -> bool:
        return True  # (each file is read apart from the others, by its own offset in the archive)

    def read(self, size: int, /) -> bytes:
        self.expansion.check()
        data = super().read(size)
        return data if self._current is None else self.expansion.add(data, self.size)  # (a file's, not a line end)
