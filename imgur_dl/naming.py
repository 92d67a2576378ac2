"""Folder and file names: templates filled from album data, made safe for any disk.

Every piece of text that comes from the network passes through
:func:`sanitize` before it touches a path, and every path is checked to stay
inside the output folder.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import re
import secrets
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter

from imgur_dl.errors import UsageError
from imgur_dl.hashset import HashSet
from imgur_dl.models import Album, Job, Kind, Listing, Media

DEFAULT_DIR = "{album_id} - {album_title}"
DEFAULT_NAME = "{index}-{id}.{ext}"
SINGLE_NAME = "{id}.{ext}"  # a lone image (not an album) goes straight into the output folder
PART_SUFFIX = ".part"
MAX_COMPONENT_BYTES = 255
# How names are written to disk: the file-system encoding, UTF-8 almost everywhere, a locale's own where one is set
# (ISO-8859-1, EUC-JP, GB18030). A character it cannot write becomes "_", and names are counted in its bytes.
NAME_ENCODING = codecs.lookup(sys.getfilesystemencoding()).name


def private_part(kind: str) -> str:
    """A part file's name no download is given and no other process can have (``.imgur-dl-<kind>-<16 hex
    digits>.part``): for a file on its way onto a name, where nothing there may be removed or renamed."""
    return f".imgur-dl-{kind}-{secrets.token_hex(8)}{PART_SUFFIX}"


FIELDS = {
    "index": "position in the album, zero-padded to sort (001, 002, ...)",
    "num": "position in the album, not padded",
    "count": "number of items in the album",
    "id": "the image id",
    "name": "the uploader's own file name, without its extension (the id when Imgur has none)",
    "title": "the image title (may be empty)",
    "ext": "file extension (jpg, png, mp4, ...)",
    "width": "width in pixels",
    "height": "height in pixels",
    "date": "upload date, YYYY-MM-DD",
    "album_id": "the album id",
    "album_title": "the album title (may be empty)",
    "album_date": "album creation date, YYYY-MM-DD",
    "post_id": "the post's id (an album's, or a lone image's)",
    "post_date": "the post's date, YYYY-MM-DD",
    "user": "the user whose posts or favorites are listed (listings only)",
    "tag": "the tag listed (listings only)",
    "subreddit": "the subreddit listed (listings only)",
    "search": "the search words (listings only)",
    "position": "the post's place in its listing (listings only)",
}

# A file's own fields, with the album's field of the same kind: an album's folder (--dir) is named once for all its
# files, so none of these has a value there (each would name every album's folder alike, and put them all in one).
FILE_FIELDS = {"index": None, "num": None, "id": "album_id", "name": None, "title": "album_title", "ext": None,
                "width": None, "height": None, "date": "album_date"}


def folder_problem(template: Template) -> str | None:
    """Why ``template``, given for albums' folders, names none (it names a file's own fields); None where it does."""
    own = [name for name in FILE_FIELDS if template.uses(name)]
    if not own:
        return None
    said = ", ".join(f"{{{name}}}" for name in own)
    instead = "".join(f"; {{{FILE_FIELDS[name]}}} is the album's {name}" for name in own if FILE_FIELDS[name])
    names = "--name" if template.option.startswith("--") else "name_template"  # (the command's, or the API's)
    return (f"{template.option}: {said} {'is a file' if len(own) == 1 else 'are a file'}'s own "
            f"field{'s' * (len(own) > 1)}, with no value for the folder an album's files share (a file's fields go "
            f"in {names}{instead})")


_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f-\x9f]')
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = re.compile(r"^(?:CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(?:\..*)?$", re.IGNORECASE)
_DANGLING = " -_."


# What sanitize gives back as it came (most ids, extensions, positions and plain titles): ASCII letters, digits
# and "_.-" with single spaces inside, starting with none of ".-~ " nor ending in ". " or ".part", not a name
# Windows keeps for a device. (ASCII only: under IGNORECASE alone, "\u212a" would pass for "k".)
_KEPT_AS_IS = re.compile(r"(?!(?:CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(?:\.|$))"  # no device's name
                         r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]| (?! ))*(?<![. ])(?<!\.part)", re.ASCII | re.IGNORECASE)


def sanitize(text: str, max_bytes: int = MAX_COMPONENT_BYTES, encoding: str = NAME_ENCODING) -> str:
    """``text`` as one safe path component of ``max_bytes`` in ``encoding`` at the most (never empty, never '.' or
    '..', never a name ending as a part file's does: beside the file ``x``, ``x.part`` is where ``x`` is written
    until it is whole)."""
    if len(text) <= max_bytes and _KEPT_AS_IS.fullmatch(text):
        return text  # (the treatment below would give it back unchanged: a name a file at a time, saved)
    return _treated(text, max_bytes, encoding)


def _treated(text: str, max_bytes: int, encoding: str = NAME_ENCODING) -> str:
    """What :func:`sanitize` makes of any text."""
    if not (text.isascii() and text.isprintable()):  # (printable ASCII, as most names are, has nothing to drop)
        text = _as_written(_printable(text), encoding)
    text = _UNSAFE.sub("_", text)
    text = _SPACES.sub(" ", text).strip()
    text = text.lstrip(". ").rstrip(". ")  # no hidden files, no '..', no trailing dot (Windows)
    if _WINDOWS_RESERVED.match(text) or text.startswith(("-", "~")):
        text = "_" + text  # (a name a shell would take for an option or a home folder gets a prefix)
    text = truncate_name(text, max_bytes, encoding).rstrip(". ") or "_"
    if text.casefold().endswith(PART_SUFFIX):  # (the name of another file's part file, "<name>.part": "_part")
        text = f"{text[:-len(PART_SUFFIX)]}_{text[1 - len(PART_SUFFIX):]}"
    return text


def _printable(text: str) -> str:
    """``text`` in NFC, lone surrogates (from JSON) replaced, white space as spaces, and no control or format
    characters."""
    text = unicodedata.normalize("NFC", text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _SPACES.sub(" ", text)  # tabs and newlines become spaces
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs"))


def _as_written(text: str, encoding: str) -> str:
    """``text`` as a name written in ``encoding`` reads back: "?" for each character it cannot write (an album
    titled in Japanese, saved under a locale of ISO-8859-1), which is then made "_"; one it writes as another
    character, as that one (EUC-JP and Shift_JIS write "\xa5" as "\\" and "\u203e" as "~")."""
    return text.encode(encoding, "replace").decode(encoding)


def name_bytes(text: str, encoding: str = NAME_ENCODING) -> int:
    """The bytes ``text`` takes in a name (a character ``encoding`` cannot write, one: the "_" it becomes)."""
    return len(text.encode(encoding, "replace"))


def truncate_name(text: str, max_bytes: int, encoding: str = NAME_ENCODING) -> str:
    """The longest prefix of ``text`` that is at most ``max_bytes`` in a name (a character cut in two is dropped;
    one ``encoding`` cannot write is "?", which :func:`sanitize` makes "_")."""
    data = text.encode(encoding, "replace")
    if len(data) <= max_bytes:
        return text
    return data[:max(max_bytes, 0)].decode(encoding, "ignore")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(iso: str) -> str:
    return iso[:10] if _DATE.match(iso) else ""


def index_width(count: int) -> int:
    """Digits for zero-padded positions: three at least, more for bigger albums."""
    return max(3, len(str(count)))


@dataclass(frozen=True)
class Template:
    """A ``--dir`` or ``--name`` template, checked once, filled per item."""

    text: str
    option: str = field(default="template", compare=False)  # what gave it, as its errors name it (``--dir``)

    def __post_init__(self) -> None:
        if not self.text.strip():
            flat = " (--dir / puts albums' files in the output folder itself)" if self.option == "--dir" else ""
            raise UsageError(f"{self.option}: a template cannot be empty{flat}")
        # A lone surrogate is how Python keeps a byte of the command line that is not UTF-8 (shown as that byte):
        # no name can be written with one.
        if not self.text.isascii() and any(unicodedata.category(c) == "Cs" for c in self.text):
            raise UsageError(f"{self.option}: the template '{self.text}' holds bytes that are not UTF-8 text")
        try:
            names = [name for _, name, _, _ in Formatter().parse(self.text) if name is not None]
        except ValueError as exc:
            raise UsageError(f"bad template {self.text!r}: {exc}") from None
        for name in names:
            if name not in FIELDS:
                known = ", ".join("{" + f + "}" for f in FIELDS)
                raise UsageError(f"unknown field {{{name}}} in template {self.text!r} (known: {known})")
        # A sample of every field, rendered now: a template that cannot render (a format that does not
        # fit its field, a field inside another's format, a width past any sense) is a usage error
        # before anything is fetched, not a failure in the middle of a run.
        if any(re.search(r"\d{4,}", spec) for _, _, spec, _ in Formatter().parse(self.text) if spec):
            raise UsageError(f"bad template {self.text!r}: a width past any file name's length")
        try:
            self.render(_SAMPLE)
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever str.format makes of it, said as one line
            raise UsageError(f"bad template {self.text!r}: {type(exc).__name__}: {exc}") from None

    def uses(self, field: str) -> bool:
        """Whether the template names ``field`` (``{id}``, ``{id:>8}``)."""
        return field in self.names

    @functools.cached_property
    def _pieces(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Each '/'-separated piece that holds more than white space, with the fields it names."""
        return tuple((p, tuple(name for _, name, _, _ in Formatter().parse(p) if name))
                     for p in self.text.split("/") if p.strip())

    @property
    def empty(self) -> bool:
        """Whether the template gives no component at all (it holds only '/' and white space)."""
        return not self._pieces

    @functools.cached_property
    def names(self) -> frozenset[str]:
        """The fields the template names."""
        return frozenset(name for _, names in self._pieces for name in names)

    @functools.cached_property
    def wanted(self) -> frozenset[str]:
        """The fields a render reads: those it names, and ``ext`` (kept whole when a name is cut short)."""
        return self.names | {"ext"}

    @functools.cached_property
    def last_names(self) -> frozenset[str]:
        """The fields the last component names (the folder's or the file's own name, not the folders above)."""
        return frozenset(self._pieces[-1][1]) if self._pieces else frozenset()

    def pattern(self, values: Mapping[str, str | int], loose: frozenset[str], *, reserve: int = 0,
                most: int = MAX_COMPONENT_BYTES) -> re.Pattern[str] | None:
        """What the last component is, rendered from ``values`` whatever the ``loose`` fields' values were (an
        album's title, a file's place in the album, before the album changed on Imgur): None where none of them is
        in it, or where it cannot be told.

        The component is rendered as any is, with a mark in each loose field (digits in a number's, a character no
        name holds in a text's); the marks must come out whole, once each, and stand for any text (any digits).
        A text that may be empty is rendered empty too, in each way (an untitled album's ``{album_id} -
        {album_title}`` is the id alone): the pattern says any of those.
        """
        _, names = self._pieces[-1]
        present = sorted(loose.intersection(names))
        if not present:
            return None
        blank = [name for name in present if name in _BLANK]
        said = []
        for empty in itertools.product((False, True), repeat=len(blank)):
            probe: dict[str, str | int] = dict(values)
            marks: dict[str, str] = {}
            left_empty = {name for name, is_empty in zip(blank, empty, strict=True) if is_empty}
            for n, name in enumerate(present):
                if name in left_empty:
                    probe[name] = ""
                    continue
                mark = f"{_DIGITS + n}" if name in _NUMBERS else f"\ue000{n}\ue001"
                probe[name] = int(mark) if name in _NUMBERS and name != "index" else mark
                marks[mark] = "[ 0-9]+" if name in _NUMBERS else ".*"
            rendered = self.parts(probe, reserve=reserve, most=most)[-1]
            pieces = re.split("(" + "|".join(map(re.escape, marks)) + ")", rendered) if marks else [rendered]
            if sorted(pieces[1::2]) != sorted(marks):  # (a mark cut short, dropped or repeated: no telling)
                return None
            said.append("".join(marks[piece] if n % 2 else re.escape(piece) for n, piece in enumerate(pieces)))
        return re.compile("|".join(f"(?:{one})" for one in dict.fromkeys(said)), re.DOTALL)

    def render(self, values: Mapping[str, str | int], *, reserve: int = 0) -> Path:
        """A relative path: one sanitised component per '/' of the template.

        ``reserve`` bytes are kept free in the last component (for ``.part``).
        """
        return Path(*self.parts(values, reserve=reserve))

    def parts(self, values: Mapping[str, str | int], *, reserve: int = 0, most: int = MAX_COMPONENT_BYTES) -> list[str]:
        """:meth:`render`'s components, as text, each of ``most`` bytes at the most."""
        last = len(self._pieces) - 1
        return [_render_piece(piece, names, values, most - (reserve if n == last else 0))
                for n, (piece, names) in enumerate(self._pieces)]


class _Absent(str):
    """A field with no value here (``position`` outside a listing, the ``title`` of an untitled image): nothing,
    whatever format the template gives it (``{position:03d}`` once failed every album not from a listing)."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return ""


_NOTHING = _Absent()
# Of the fields that may be loose in :meth:`Template.pattern`: those that are numbers (a place, a count), marked by
# digits no name is given as one; those that may be empty (a title, a place outside a listing).
_NUMBERS = frozenset({"index", "num", "count", "position"})
_BLANK = frozenset({"title", "album_title", "position"})
_DIGITS = 918_273_645_000


# Fields of free text (a title, a name, a listing's words): in a name too long, these are cut, not what follows them
# (a long title cut the id off "{album_title} - {album_id}" and "{title} {id}.{ext}", and with it what told one
# album's folder, or one image's file, from another's).
_TEXTS = frozenset({"title", "album_title", "name", "user", "tag", "subreddit", "search"})


def _render_piece(piece: str, names: tuple[str, ...], values: Mapping[str, str | int], max_bytes: int) -> str:
    safe: dict[str, str | int] = {k: (sanitize(v) if v else _NOTHING) if isinstance(v, str) else v
                                  for k in names if (v := values.get(k)) is not None}
    ext = str(values.get("ext", ""))
    stem, dot_ext = _formatted(piece, safe, ext)
    room = max_bytes - len(dot_ext)
    # Too long: the longest text cut by what is over, then the next, until the name fits or no text is left.
    while (over := name_bytes(stem) - room) > 0 and (texts := [k for k in names if k in _TEXTS and safe.get(k)]):
        longest = max(texts, key=lambda k: name_bytes(str(safe[k])))
        safe[longest] = truncate_name(str(safe[longest]), name_bytes(str(safe[longest])) - over).rstrip() or _NOTHING
        stem, dot_ext = _formatted(piece, safe, ext)
    if any(values.get(name) in ("", None) for name in names):
        stem = stem.strip(_DANGLING) or "_"  # "{album_id} - {album_title}" with no title
    return sanitize(truncate_name(stem, room) + dot_ext, max_bytes)


def _formatted(piece: str, safe: Mapping[str, str | int], ext: str) -> tuple[str, str]:
    """``piece`` with ``safe``'s values: its stem, and its ``.<ext>`` when it ends with one."""
    try:
        text = piece.format(**safe)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise UsageError(f"bad template {piece!r}: {type(exc).__name__}: {exc}") from None
    return (text[: -len(ext) - 1], "." + ext) if ext and text.endswith("." + ext) else (text, "")


# Each field's value for one item of an album (no item: the album's own fields).
_VALUES: dict[str, Callable[[Album, Media | None, str], str | int]] = {
    "index": lambda album, media, _: str(media.index if media else 0).zfill(index_width(len(album.media))),
    "num": lambda _, media, __: media.index if media else 0,
    "count": lambda album, _, __: len(album.media),
    "id": lambda _, media, __: media.id if media else "",
    "name": lambda _, media, __: original_name(media) if media else "",
    "title": lambda _, media, __: media.title if media else "",
    "ext": lambda _, __, ext: ext,
    "width": lambda _, media, __: media.width if media else 0,
    "height": lambda _, media, __: media.height if media else 0,
    "date": lambda _, media, __: _date(media.created_at) if media else "",
    "album_id": lambda album, _, __: album.id,
    "album_title": lambda album, _, __: album.title,
    "album_date": lambda album, _, __: _date(album.created_at),
    "post_id": lambda album, _, __: album.id,
    "post_date": lambda album, _, __: _date(album.posted or album.created_at),
    "user": lambda album, _, __: _listed(album.listing, "user"),
    "tag": lambda album, _, __: _listed(album.listing, "tag"),
    "subreddit": lambda album, _, __: _listed(album.listing, "subreddit"),
    "search": lambda album, _, __: _listed(album.listing, "search"),
    "position": lambda album, _, __: album.position or "",
}


def fields(album: Album, media: Media | None, ext: str = "", names: Iterable[str] = FIELDS) -> dict[str, str | int]:
    """Template values for one item (``media`` None: the album's own fields only): every field, or ``names``."""
    return {name: _VALUES[name](album, media, ext) for name in names}


_MEDIA_SUFFIX = re.compile(r"\.(?:jpe?g|png|gif|gifv|webp|mp4|webm|mov|avif|heic|tiff?|bmp|apng)$", re.IGNORECASE)


def original_name(media: Media) -> str:
    """The name the file was uploaded as, without its extension; the id when Imgur kept none.

    (Text from a server: made safe like every field when a template is rendered.)
    """
    name = _MEDIA_SUFFIX.sub("", media.name.strip())
    return name if name.strip(_DANGLING) else media.id


_LISTED = {Kind.USER: "user", Kind.FAVORITES: "user", Kind.FOLDER: "user", Kind.HIDDEN: "user", Kind.IMAGES: "user",
           Kind.TAG: "tag", Kind.SUBREDDIT: "subreddit", Kind.SEARCH: "search"}


def _listed(listing: Listing | None, key: str) -> str:
    """The ``user``, ``tag``, ``subreddit`` or ``search`` field: the listing's name when it is of that kind."""
    if listing is None or _LISTED.get(listing.kind) != key:
        return ""
    return listing.name.partition("/")[0] if listing.kind is Kind.FOLDER else listing.name


# Values of every field's type, for the sample render of each template.
_SAMPLE: dict[str, str | int] = {
    "index": "001", "num": 1, "count": 3, "id": "AbC1234", "name": "holiday", "title": "a title", "ext": "jpg",
    "width": 640, "height": 480, "date": "2024-05-17", "album_id": "XyZ9876", "album_title": "an album",
    "album_date": "2024-05-17", "post_id": "XyZ9876", "post_date": "2024-05-17", "user": "someone", "tag": "cats",
    "subreddit": "pics", "search": "red panda", "position": 1,
}
assert set(_SAMPLE) == set(FIELDS) == set(_VALUES)  # noqa: S101 - a field without a sample would go unchecked

_DEFAULT_NAME = Template(DEFAULT_NAME)
_SINGLE_NAME = Template(SINGLE_NAME)


@dataclass(frozen=True)
class Namer:
    """Decides where each item of an album is saved, below ``root``."""

    root: Path
    dir_template: Template = Template(DEFAULT_DIR)
    name_template: Template | None = None  # None: DEFAULT_NAME, or SINGLE_NAME for lone images
    most: int = MAX_COMPONENT_BYTES  # bytes a name may have where files go (fewer on some: eCryptfs takes 143)

    def folder(self, album: Album) -> Path:
        """An album's own folder; a lone image's is its listing's (or the output folder)."""
        base = self.base(album)
        if not album.is_album:
            return base
        return base.joinpath(*_inside(self.dir_template.parts(fields(album, None), most=self.most)))

    def base(self, album: Album) -> Path:
        """The folder ``album``'s own folders are made in: its listing's, or the output folder."""
        return self.root if album.listing is None else self.root / sanitize(album.listing.folder, self.most)

    def template(self, *, album: bool) -> Template:
        """The template of the names of an album's files (or a lone image's)."""
        return self.name_template or (_DEFAULT_NAME if album else _SINGLE_NAME)

    @functools.cached_property
    def names_by_id(self) -> bool:
        """Every file's name holds its id (the defaults do): no two media are ever given one name."""
        return self.name_template is None or self.name_template.uses("id")

    def path(self, album: Album, media: Media, ext: str, folder: Path | None = None) -> Path:
        """Where ``media`` is saved; ``folder``, when given, is ``self.folder(album)`` made once."""
        template = self.template(album=album.is_album)
        parts = template.parts(fields(album, media, ext, template.wanted), reserve=len(PART_SUFFIX), most=self.most)
        return (folder or self.folder(album)).joinpath(*_inside(parts))


@dataclass
class GivenNames:
    """Every path a run gives out (``hashes``: a 64-bit hash of each, not the path, so a run of a million files
    keeps 16 MB, not hundreds), for a name kept apart more than once (one image in albums that share a folder,
    under one name), the number its last copy took, and, of names not made from ids (another image's may be alike),
    which image each was given to and that image's size and upload time there (``owners``: twice as many hashes
    more)."""

    hashes: HashSet = field(default_factory=HashSet)
    copies: dict[int, int] = field(default_factory=dict)
    owners: HashSet = field(default_factory=HashSet)

    @staticmethod
    def key(path: Path, *, fold: bool = False) -> int:
        """What ``path`` is kept as: its hash, of its lower case where names ignore case (``fold``)."""
        return hash(str(path).casefold() if fold else str(path))

    def holds(self, path: Path, *, fold: bool = False) -> bool:
        """Whether ``path`` (in any case, with ``fold``) was given out."""
        return self.key(path, fold=fold) in self.hashes

    def own(self, path: Path, media_id: str, size: int | None, when: float | None, *, fold: bool = False) -> None:
        """Keep that ``path`` was given to the image ``media_id``, of ``size`` bytes there (None: the API gives none)
        and uploaded ``when``."""
        key = self.key(path, fold=fold)
        self.owners.add(hash((key, media_id)))
        self.owners.add(hash((key, size, when)))

    def owns(self, path: Path, media_id: str, *, fold: bool = False) -> bool:
        """Whether ``path`` was given to the image ``media_id`` (:meth:`own`)."""
        return hash((self.key(path, fold=fold), media_id)) in self.owners

    def alike(self, path: Path, size: int | None, when: float | None, *, fold: bool = False) -> bool:
        """Whether ``path`` was given to an image of ``size`` bytes there, uploaded ``when`` (:meth:`own`): its file
        is told from one of those by neither."""
        return hash((self.key(path, fold=fold), size, when)) in self.owners


def disambiguate(path: Path, media_id: str, given: GivenNames, *, fold: bool = False,
                 other_case: Callable[[Path], bool] | None = None, clash: Callable[[Path], bool] | None = None,
                 most: int = MAX_COMPONENT_BYTES) -> Path:
    """``path``, or when another file of this run has it, ``<stem> (<id>)<suffix>``; with ``fold`` (names that
    ignore case), also when another has it in another case (Imgur's ids tell ``AbC`` from ``abc``), of this run or,
    as ``other_case`` says, an earlier one; and when ``clash`` says a file that is not this one holds it already.
    Where that name is taken too (by this run, or in another case), ``<stem> (<id> 2)<suffix>``, ``(<id> 3)``...:
    no two files of a run are ever written at one path, nor one image's file found at another's kept-apart name
    (``abc (abcdefg).jpg`` is ``abc (abCdefg).jpg`` where names ignore case). (Two paths that hash alike cost the
    second an id in its name.)
    """

    def taken(name: Path) -> bool:
        return given.holds(name, fold=fold) or (other_case is not None and other_case(name))

    name = path
    if taken(path) or (clash is not None and clash(path)):
        # (the 10,000th post of one image: not 9,999 names asked first)
        first = given.key(kept_apart(path, media_id, most), fold=fold)
        name, copies = first_apart(path, media_id, taken, most, given.copies.get(first, 1))
        if copies > 1:
            given.copies[first] = copies
    given.hashes.add(given.key(name, fold=fold))
    return name


def first_apart(path: Path, media_id: str, taken: Callable[[Path], bool], most: int = MAX_COMPONENT_BYTES,
                copies: int = 1) -> tuple[Path, int]:
    """The first of the names ``path`` is kept apart under by ``media_id`` (:func:`kept_apart`), from the
    ``copies``-th on (``(<id>)``, ``(<id> 2)``, ``(<id> 3)``...), that ``taken`` does not say is held; and its
    number."""
    name = kept_apart(path, media_id if copies == 1 else f"{media_id} {copies}", most)
    while taken(name):
        copies += 1
        name = kept_apart(path, f"{media_id} {copies}", most)
    return name, copies


def kept_apart(path: Path, media_id: str, most: int = MAX_COMPONENT_BYTES, *, folder: bool = False) -> Path:
    """``<stem> (<id>)<suffix>``: ``path`` for the file of ``media_id`` when another file has it (a name of ``most``
    bytes at the most, its ``.part`` name's included); with ``folder``, ``<name> (<id>)``: an album's folder where a
    file has its name (no extension, no part file beside it)."""
    tag = sanitize(f"({media_id})", 40)
    room = most - (0 if folder else len(PART_SUFFIX)) - name_bytes(tag) - 1
    # (a "suffix" with no room beside the tag is no extension but a template's text: cut as the rest of the name)
    suffix = path.suffix if not folder and name_bytes(path.suffix) <= room else ""
    stem = truncate_name(path.stem if suffix else path.name, room - name_bytes(suffix))
    return path.with_name(f"{stem} {tag}{suffix}")


def part_name(job: Job, path: Path, most: int = MAX_COMPONENT_BYTES) -> str:
    """The name of the part file ``job``'s file at ``path`` is written into until it is whole: ``<name>.part``, and at
    a name that does not say whose file it is (:meth:`Job.untold`), its kept-apart name's (:func:`kept_apart`): a
    partial is then only ever this image's, resumed by it alone (not started over by another post's file of that
    name), and found beside it once it is saved, whichever of the two names another process gave it. Where names
    ignore case, at any name, its kept-apart name's with the case of the id's letters spelt out
    (``_ (mxYzab2 0010000).jpg.part``): ids that differ only in case are one name there (``abc (mxyzab2).jpg`` is
    ``abc (mxYzab2).jpg``, and two processes may give their files names alike but for case), never one part file;
    the one of a name and of that name kept apart by the id, however often (``_.jpg``, ``_ (mxYzab2).jpg``,
    ``_ (mxYzab2 2).jpg``: the name an image's file is kept apart under there may change from run to run), one."""
    if job.folded:
        cases = "".join("1" if c.isupper() else "0" for c in job.media.id)
        named = path.with_name(_untagged(path.name, job.media.id, path.suffix))
        return kept_apart(named, f"{job.media.id} {cases}", most).name + PART_SUFFIX
    return (kept_apart(path, job.media.id, most) if job.untold(path) else path).name + PART_SUFFIX


def _untagged(name: str, media_id: str, suffix: str) -> str:
    """``name`` without the `` (<id>)`` or `` (<id> N)`` it is kept apart by, just before its ``suffix``."""
    if not name.endswith(")" + suffix):
        return name
    head = name[:len(name) - len(suffix) - 1]
    at = head.rfind(f" ({media_id}")
    if at < 0:
        return name
    number = head[at + len(media_id) + 2:]
    kept = number == "" or (number[:1] == " " and number[1:].isascii() and number[1:].isdigit())
    return head[:at] + suffix if kept else name


def left_parts(job: Job, path: Path, most: int = MAX_COMPONENT_BYTES) -> tuple[str, ...]:
    """The part files that may be left of ``job``'s file at ``path``: its own (:func:`part_name`), and where that is
    named by the id as well, ``<name>.part`` (where any image's file at that name was written until part files there
    were named by the id too, or by the case of its letters: resumed by none now)."""
    own, plain = part_name(job, path, most), path.name + PART_SUFFIX
    return (own, plain) if own != plain else (own,)


def _inside(parts: list[str]) -> list[str]:
    """``parts``, a relative path's components, checked to stay below the folder they are joined to.

    Components are sanitised, so this cannot fail; it is the last line of
    defence, and pure (no file-system calls per file).
    """
    if any(part in ("..", ".", "") or "/" in part for part in parts):
        raise UsageError(f"refusing to write outside the output folder: {'/'.join(parts)}")
    return parts
