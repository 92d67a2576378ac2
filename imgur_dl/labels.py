"""``--xattrs``: each file saved carries, in its extended attributes, where it came from and what it is.

The attributes are freedesktop.org's Common Extended Attributes, as curl's,
wget's and yt-dlp's ``--xattr(s)`` and the browsers write them:
``user.xdg.origin.url`` (the link its bytes came from: Imgur's CDN, or a
capture in the Wayback Machine), ``user.xdg.referrer.url`` (the post's page
on Imgur), ``user.dublincore.title``, ``user.dublincore.description`` and
``user.dublincore.date`` (when it was uploaded, ISO 8601 in UTC); and, in
imgur-dl's own namespace as the guidelines ask of an application's,
``user.imgur-dl.sha256`` (the SHA-256 of its bytes, as ``album.json`` and the
archive keep it): a file moved away from its folder still tells where it is
from, and can be checked against its hash.

They are set on the part file, before it takes its final name: a file under
its final name carries all of them, or was saved where they cannot be kept.
A file system that keeps no extended attributes is said once, and no more is
tried; text longer than a file system keeps beside a file (ext4 keeps all of a
file's attributes in one block, 4 KiB) is cut at a character's end first.
"""

from __future__ import annotations

import errno
import os
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from imgur_dl import infolder
from imgur_dl.dates import iso, upload_time
from imgur_dl.models import Job
from imgur_dl.text import WARNING_PREFIX

ORIGIN = "user.xdg.origin.url"
REFERRER = "user.xdg.referrer.url"
TITLE = "user.dublincore.title"
DESCRIPTION = "user.dublincore.description"
DATE = "user.dublincore.date"
SHA256 = "user.imgur-dl.sha256"
# The most bytes of text kept in each (a link is Imgur's own, short): together well inside ext4's one block.
_MOST = {TITLE: 256, DESCRIPTION: 1024}
# What a file system that keeps no user attributes answers (a FAT or exFAT drive, an old tmpfs, some network
# shares), and what one answers for an attribute too large for the room it has.
_UNKEPT = (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM)
_TOO_LARGE = (errno.ENOSPC, errno.E2BIG, errno.ERANGE)
# Control characters, but a tab and a line's end: a terminal acts on them where a label is printed as it is
# (``getfattr --only-values -n user.dublincore.title``), and an uploader's title may hold any (an escape that
# recolours the terminal or sets its window's title, a carriage return that writes over what came before it).
# album.json keeps the text whole, escaped as JSON writes it.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def unsettable() -> str | None:
    """Why no file can be labelled here, if none can: Python sets extended attributes on Linux only (there is no
    ``os.setxattr`` on macOS, the BSDs or Windows)."""
    return None if hasattr(os, "setxattr") else "this system's Python sets no extended attributes (Linux's does)"


def of_file(origin: str, sha256: str, described: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every label of a file: where its bytes came from, their hash, and what ``described`` gives."""
    return {ORIGIN: origin.encode("utf-8"), SHA256: sha256.encode("ascii"), **described}


def described(job: Job) -> dict[str, bytes]:
    """What the file of ``job`` is labelled with, but where its bytes came from and their hash (known once it is
    whole): the post's page, the item's title (the post's, where it has none), description and upload time."""
    media, album = job.media, job.album
    seconds = upload_time(job)
    date = iso(seconds) if seconds is not None else ""
    # (the most telling first: where a file system has room for only some, those are kept)
    values = {REFERRER: album.url, DATE: date, TITLE: plain(media.title or album.title, lines=False),
              DESCRIPTION: plain(media.description, lines=True)}
    return {name: cut(text.encode("utf-8", "replace"), _MOST.get(name)) for name, text in values.items() if text}


def plain(text: str, *, lines: bool) -> str:
    """``text`` without its control characters: a description (``lines``) keeps its tabs and lines' ends, a title
    has a space for each."""
    text = _CONTROL.sub("", text)
    return text if lines else text.replace("\t", " ").replace("\n", " ")


def cut(data: bytes, most: int | None) -> bytes:
    """``data`` (UTF-8) cut to ``most`` bytes at a character's end."""
    if most is None or len(data) <= most:
        return data
    return data[:most].decode("utf-8", "ignore").encode("utf-8")


class Labeller:
    """Sets a run's files' attributes; where a file system keeps none, says so once (``note``) and tries no more;
    an attribute too large for the room a file system has is left off, and that too is said once."""

    def __init__(self, note: Callable[[str], None]) -> None:
        self.note = note
        self._lock = threading.Lock()
        self._said: set[str] = set()  # what was said (once): "unkept" (then nothing is tried again), "too large"

    def label(self, fd: int, values: Mapping[str, bytes]) -> None:
        """The file open as ``fd`` labelled with ``values`` (attribute name: its value)."""
        for name, value in values.items():
            if _UNKEPT_SAID in self._said:
                return
            try:
                os.setxattr(fd, name, value)
            except OSError as exc:
                if exc.errno in _TOO_LARGE:
                    self._once(_TOO_LARGE_SAID, f"--xattrs: a file's {name} is larger than its file system keeps "
                                                "beside it: left off (and so any other)")
                elif exc.errno in _UNKEPT:
                    self._once(_UNKEPT_SAID, "--xattrs: the output folder's file system keeps no extended "
                                             "attributes: no file is labelled")
                else:
                    raise

    def of_job(self, job: Job) -> Callable[[int, str, str], None]:
        """What labels ``job``'s file once it is whole: told the file's descriptor, the link its bytes came from and
        their SHA-256."""
        said = described(job)
        return lambda fd, origin, sha256: self.label(fd, of_file(origin, sha256, said))

    def label_found(self, dir_fd: int, name: str, values: Mapping[str, bytes]) -> None:
        """The file ``name`` found saved, labelled with ``values`` (what was recorded of it as it arrived) unless
        it is already (a rerun after one with --xattrs) or has other names (a hard link: their labels too, as its
        time is); never through a symlink, and nothing said where it cannot be."""
        try:
            fd, st = infolder.opened_regular(dir_fd, name)
        except OSError:
            return
        try:
            if st.st_nlink == 1 and not labelled(fd):
                self.label(fd, values)
        except OSError:
            return  # (a file found saved is not failed for a label it cannot carry)
        finally:
            os.close(fd)

    def _once(self, what: str, line: str) -> None:
        with self._lock:
            if what in self._said:
                return
            self._said.add(what)
        self.note(WARNING_PREFIX + line)


_UNKEPT_SAID, _TOO_LARGE_SAID = "unkept", "too large"


def labelled(file: int | Path) -> bool:
    """Whether the file (open, or at a path: never a symlink's target) already carries its hash's label: one look,
    as a rerun looks at each file it finds saved (by path; one found not to is opened through no symlink and looked
    at again before it is labelled)."""
    try:
        if isinstance(file, int):
            os.getxattr(file, SHA256)
        else:
            os.getxattr(file, SHA256, follow_symlinks=False)
    except OSError:
        return False
    return True

