"""Is an answer's body the file we asked for? Judged from its first bytes. Pure.

Imgur answers some requests for a file with something else: its web page
(for browser-like requests), its ``removed.png`` placeholder, or, in regions
it blocks, one "Content not viewable in your region" PNG (336x478) for every
file. None of these may be saved under a media name.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

# How many leading bytes :func:`check` wants to see (fewer when the file is shorter).
HEAD = 64
# The size of the placeholder Imgur serves in the regions it blocks.
REGION_PLACEHOLDER = (336, 478)
# The size of Imgur's removed.png, which a capture or a mislabelled answer may carry.
REMOVED_PLACEHOLDER = (161, 81)

_VIDEO_EXTS = frozenset({"mp4", "webm", "mov", "m4v"})


class Wrong(str, Enum):
    """What an answer is, when it is not the file."""

    NOT_MEDIA = "not media"  # a web page, or media of the other kind
    REMOVED = "removed"  # Imgur's removed.png
    REGION = "region"  # Imgur's 'not viewable in your region' placeholder


@dataclass(frozen=True, slots=True)
class Problem:
    kind: Wrong
    reason: str


def detect(head: bytes) -> str | None:
    """The format ``head`` starts like: 'jpg', 'png', 'gif', 'webp', 'avif', 'mp4', 'webm', 'html', or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        return "avif" if head[8:12] in (b"avif", b"avis") else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    text = head.lstrip(b" \t\r\n\xef\xbb\xbf").lower()
    if text.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml", b"<svg")):
        return "html"
    return None


def starts_as(head: bytes, ext: str) -> bool:
    """Whether ``head`` starts a picture or video of the kind a ``.ext`` file is (a ``.bin`` one: either), as a format
    :func:`detect` knows: a file of no size the API gives, found saved, is taken for one only so (a web page, a
    document written under its name, is none)."""
    found = detect(head)
    return found is not None and found != "html" and (ext == "bin" or is_video(found) == is_video(ext))


def png_size(head: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk."""
    if len(head) < 24 or not head.startswith(b"\x89PNG\r\n\x1a\n") or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def is_video(kind: str) -> bool:
    return kind in _VIDEO_EXTS


def check(head: bytes, content_type: str, ext: str, expected: tuple[int, int] | None, *,
          server: str = "Imgur", captured: bool = False) -> Problem | None:
    """What is wrong with an answer that starts with ``head``, or None when it can start a ``.ext`` file.

    ``expected`` is the width and height the API gave, when it did; ``server`` answered (in messages);
    ``captured``: the answer is a copy another kept (the Wayback Machine's capture), where Imgur's placeholders
    are common: a PNG of a placeholder's size is taken for it even where the API gave no size of the image (one
    Imgur knows no more) to tell them apart.
    """
    if not head:  # (a whole body of no bytes: no picture or video is empty)
        return Problem(Wrong.NOT_MEDIA, f"{server} answered with an empty body, not the file")
    mime = content_type.split(";", 1)[0].strip().lower()
    found = detect(head)
    if found == "html" or mime in ("text/html", "application/xhtml+xml"):
        return Problem(Wrong.NOT_MEDIA, f"{server} answered with a web page, not the file")
    size = png_size(head) if found == "png" else None
    if size is not None and (ext != "png" or (expected is not None and expected != size) or (
            captured and expected is None)):
        if size == REGION_PLACEHOLDER:
            return Problem(Wrong.REGION, "Imgur blocks this region: it serves a 'not viewable in your region' image")
        if size == REMOVED_PLACEHOLDER:
            return Problem(Wrong.REMOVED, "removed from Imgur (its removed.png in place of the file)")
    if ext == "bin":  # an extension Imgur does not serve: kept only as a picture or a video
        if found in (None, "html"):
            return Problem(Wrong.NOT_MEDIA, "the answer is not a picture or a video (saved as .bin only if it is)")
        return None
    want_video = is_video(ext)
    if found is not None:
        if is_video(found) != want_video:
            return Problem(Wrong.NOT_MEDIA, f"the answer is {'a video' if is_video(found) else 'an image'} "
                                            f"({found}), not the .{ext} asked for")
        return None
    kind = mime.split("/", 1)[0]
    if kind in ("image", "video") and (kind == "video") != want_video:
        return Problem(Wrong.NOT_MEDIA, f"the answer is of type {mime}, not the .{ext} asked for")
    if kind not in ("image", "video", "application", ""):
        return Problem(Wrong.NOT_MEDIA, f"the answer is of type {mime}, not a media file")
    return None
