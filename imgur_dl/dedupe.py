"""``--dedupe``: a file whose bytes the archive already holds under another id becomes a hard link to that copy.

The earlier copy is used only when it is still there, below the output
folder, a regular file (a symlink planted in its place is never followed),
of the same size and SHA-256 (it is read again to check), and on the same
file system. The copies are tried oldest first, asked of the archive a
few at a time (the first whole one ends it), and a file is read once
however many of them are its names (one changed in place since, or at its
file system's most links, is not read again for each). The new file is
replaced in one step (a link made beside it, then renamed over it), so its
name never stands empty or half made. The
link is made under a name of its own, never the file's ``.part`` name:
another imgur-dl process may be writing that very file there. A hard link
shares the earlier copy's inode, and so its modification time.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from imgur_dl import infolder
from imgur_dl.archive import Archive
from imgur_dl.errors import DownloadError
from imgur_dl.folders import Folders
from imgur_dl.models import Result, Status
from imgur_dl.naming import private_part


def link_to_copy(result: Result, archive: Archive, tree: Folders) -> Path | None:
    """Turn ``result``'s saved file into a hard link to an intact earlier copy; the copy's path, or None."""
    if result.status is not Status.SAVED or not result.sha256 or result.path is None:
        return None
    tried: set[int] = set()  # the files (inodes) read or linked to, in vain
    for other_id, other in archive.copies(result.sha256):
        if other_id == result.job.media.id:
            continue
        copy = Path(other)
        if copy == result.path:
            continue
        with contextlib.suppress(OSError, DownloadError):
            if _link(tree, copy, result, result.path, tried=tried):
                return copy
    return None


def _link(tree: Folders, copy: Path, result: Result, path: Path, *, tried: set[int]) -> bool:
    # (the copy below the output folder, reached through no symlink, or refused)
    with tree.using(copy.parent, create=False) as source_fd, tree.using(path.parent) as target_fd:
        return _linked(source_fd, target_fd, copy, result, path, tried=tried)


def _linked(source_fd: int, target_fd: int, copy: Path, result: Result, path: Path, *, tried: set[int]) -> bool:
    st = os.stat(copy.name, dir_fd=source_fd, follow_symlinks=False)
    here = os.stat(path.name, dir_fd=target_fd, follow_symlinks=False)
    if not stat.S_ISREG(st.st_mode) or st.st_size != result.bytes or st.st_dev != here.st_dev:
        return False
    if st.st_ino == here.st_ino:
        return True  # linked already
    if st.st_ino in tried:
        return False
    tried.add(st.st_ino)  # (one file system's inodes: st_dev is the saved file's)
    if infolder.sha256_of(source_fd, copy.name) != result.sha256:
        return False
    # (A name no download uses, and that no other process can have: nothing there is removed or renamed.)
    temporary = private_part("link")
    os.link(copy.name, temporary, src_dir_fd=source_fd, dst_dir_fd=target_fd, follow_symlinks=False)
    published = False
    try:
        if os.stat(temporary, dir_fd=target_fd, follow_symlinks=False).st_ino == st.st_ino:  # (else the copy was
            infolder.publish(target_fd, temporary, path.name)  # swapped between the check and the link)
            published = True
    finally:
        # (gone once published, but where the file was linked to the copy meanwhile, by another process: a rename
        # between two names of one file does nothing, and leaves both)
        infolder.remove(target_fd, temporary)
    return published
