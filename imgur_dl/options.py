"""What one run is asked to do: every option, checked, in one record."""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from imgur_dl import labels
from imgur_dl.archive_place import DEFAULT_TABLE, another_scheme, is_postgres, table_name, wrapped
from imgur_dl.choice import Choice
from imgur_dl.credentials import TOKEN
from imgur_dl.defaults import (
    DEFAULT_CLIENT_ID,
    DEFAULT_LEASE,
    DEFAULT_MAX_SIZE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    MAX_RETRIES,
    MAX_SCAN_JOBS,
    MAX_TIMEOUT,
    MAX_WORKERS,
    USER_AGENT,
)
from imgur_dl.errors import UsageError
from imgur_dl.naming import DEFAULT_DIR, Template, folder_problem
from imgur_dl.text import hide_password, is_url, unencoded, unwrapped

CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,64}")


def _whole(least: int, most: float = math.inf) -> Callable[[object], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and least <= v <= most


def _number(least: float, most: float = math.inf, *, above: bool = False) -> Callable[[object], bool]:
    """A finite number from ``least`` (or, ``above``, past it) up to ``most``."""
    def holds(v: object) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        return (least < v if above else least <= v) and v <= most
    return holds


# The bounds the command line holds its options to, held for callers of the Python API too.
_BOUNDS: tuple[tuple[str, Callable[[object], bool], str], ...] = (
    ("workers", _whole(1, MAX_WORKERS), f"a whole number from 1 to {MAX_WORKERS}"),
    ("retries", _whole(0, MAX_RETRIES), f"a whole number from 0 to {MAX_RETRIES}"),
    ("timeout", _number(0, MAX_TIMEOUT, above=True), f"seconds, more than 0 and up to {MAX_TIMEOUT:g}"),
    ("speed_time", _number(0, MAX_TIMEOUT, above=True), f"seconds, more than 0 and up to {MAX_TIMEOUT:g}"),
    ("lease", _number(1, MAX_TIMEOUT), f"seconds, from 1 to {MAX_TIMEOUT:g}"),
    ("limit_rate", _number(0), "bytes a second, 0 (no limit) or more"),
    ("min_speed", _number(0), "bytes a second, 0 or more"),
    ("max_size", _whole(1), "a whole number of bytes, 1 or more"),
    ("scan_jobs", lambda v: v is None or _whole(1, MAX_SCAN_JOBS)(v),
     f"None, or a whole number from 1 to {MAX_SCAN_JOBS}"),
)


def header_value(value: object) -> bool:
    """Whether ``value`` may be sent as a header's value (the User-Agent): printable ASCII, not blank."""
    return isinstance(value, str) and bool(value.strip()) and value.isprintable() and value.isascii()


# A Windows path, as pasted from Explorer (C:\Users\me, C:/Users/me) or naming a share (\\server\share): on any
# other system, a file or folder named so in the current one (a backslash is a character of a name there).
_WINDOWS_PATH = re.compile(r"[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/]")


def path_problem(text: str) -> str | None:
    """Why ``text``, given as a path, names nothing (empty: ``-o "$DIR"`` with ``DIR`` unset would otherwise be
    the current folder, in silence; white space alone, as ``-o "$DIR "`` gives: a folder named " " no one means;
    characters that show nothing, as a zero-width space pasted from a page; quotes around it, and a control
    character, as an env file may give them; a Windows path, on another system); None for any other."""
    if not text:
        return "an empty path names nothing"
    if text.isspace():
        return f"a path of white space alone names nothing: {text!r}"
    if all(c.isspace() or unicodedata.category(c) == "Cf" for c in text):  # (a zero-width space, pasted)
        return f"a path of nothing visible names nothing: {text!r}"
    if is_url(bare := unwrapped(text)) or is_postgres(bare):
        return None  # (an address, no path: said as one where it is checked, its password hidden)
    shown = hide_password(text, whole=True)  # (user:password@host, with no scheme: still no one's to read)
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":  # (docker's --env-file keeps an env file's)
        return f"a path in quotes names nothing anyone means: give it without them: {shown!r}"
    if "\0" in text:  # (no shell passes one; a program calling main() may)
        return "a path cannot hold a NUL byte"
    if (char := next((c for c in text if unicodedata.category(c) == "Cc"), None)) is not None:
        where = " (an env file written on Windows ends each line in it)" if char == "\r" else ""
        return f"a path holding a control character, {char!r}{where}, names nothing anyone means: {shown!r}"
    if os.name != "nt" and _WINDOWS_PATH.match(text) and not os.path.lexists(text):
        return (f"a Windows path names nothing on this system: {shown!r} (WSL reaches drive C: as /mnt/c; for a "
                "file or folder of that very name here, give ./ before it)")
    return None


def proxy_problem(text: str) -> str | None:
    """What keeps ``text`` from being a proxy's URL (None: nothing), the URL shown without its password."""
    shown = hide_password(text, whole=True)
    if (bare := text.strip()) != text and proxy_problem(bare) is None:  # (pasted with a space, or a line's end: \r)
        return f"the proxy URL has white space around it: give it without: {shown!r}"
    if (char := unencoded(text, "/?#")) is not None:  # (where urlsplit and urllib3 end the address)
        return f"the proxy URL's password holds {char} unencoded: percent-encode it: {shown!r}"
    try:
        parts = urlsplit(text)
    except ValueError:  # (an unclosed [ of an IPv6 address; or one of these:)
        if any(end in unicodedata.normalize("NFKC", c) for c in text if not c.isascii() for end in "/?#@:"):
            return ("the proxy URL holds a character that Unicode reads as '/', '?', '#', '@' or ':' (in a "
                    f"password, percent-encode it): {shown!r}")
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        if (bare := unwrapped(text)) != text and proxy_problem(bare) is None:  # (an env file's quotes: docker's)
            return f"the proxy URL has quotes around it: give it without them: {shown!r}"
        return f"not an http:// or https:// proxy URL: {shown!r}"
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        return f"the proxy URL's port is not a port number: {shown!r}"
    return None


# The text options the command line checks as it reads them, held for callers of the Python API too (what was
# given is not repeated: a token, a proxy's password).
_TEXTS: tuple[tuple[str, Callable[[object], bool], str], ...] = (
    ("client_id", lambda v: isinstance(v, str) and CLIENT_ID.fullmatch(v) is not None,
     "an Imgur client id (letters and digits)"),
    ("user_agent", header_value, "printable ASCII"),
    ("token", lambda v: v is None or (isinstance(v, str) and TOKEN.fullmatch(v) is not None),
     "an access token (letters, digits and -._~+/= only)"),
    ("proxy", lambda v: v is None or (isinstance(v, str) and proxy_problem(v) is None),
     "an http:// or https:// proxy URL"),
)


# What works only with an archive, and why: (the field, its flag, why), checked where the command line reads its
# flags and where a program makes its Options, each in its own words.
NEEDS_ARCHIVE = (
    ("break_on_existing", "--break-on-existing", "it stops at what the archive has"),
    ("dedupe", "--dedupe", "it finds earlier copies there"),
    ("share_work", "--share-work", "the processes share their claims there"),
)


@dataclass(frozen=True)
class Options:
    output: Path = Path()
    workers: int = DEFAULT_WORKERS
    retries: int = DEFAULT_RETRIES
    timeout: float = DEFAULT_TIMEOUT
    client_id: str = DEFAULT_CLIENT_ID
    prefer_gif: bool = False
    quiet: bool = False
    show_bar: bool = False
    dir_template: Template = field(default_factory=lambda: Template(DEFAULT_DIR))
    name_template: Template | None = None
    get_urls: bool = False
    json_lines: bool = False
    no_listings: bool = False  # --scan: links found to listings are counted, not read
    scan_jobs: int | None = None  # --scan: files read at once, each in a process (None: the cores', up to a bound)
    write_metadata: bool = False
    archive: str | Path | None = field(default=None, repr=False)  # a file, or a postgresql:// URL (a password)
    archive_table: str = DEFAULT_TABLE
    archive_from: str | None = None  # the environment variable ``archive`` came from (None: given as it is)
    share_work: bool = False  # claim each post or album in the archive before looking it up
    lease: float = DEFAULT_LEASE  # seconds a claim lasts unless renewed
    wayback: bool = False
    choice: Choice = field(default_factory=Choice)  # which posts of a listing
    user_agent: str = USER_AGENT
    proxy: str | None = None
    verbose: bool = False
    no_skip: bool = False
    limit_rate: float = 0.0  # bytes/s for the whole run; 0: no limit
    max_size: int = DEFAULT_MAX_SIZE
    debug: bool = False
    token: str | None = field(default=None, repr=False)  # your own account's access token: never shown
    min_speed: float = 1024.0  # bytes a second a body may not stay under ...
    speed_time: float = 30.0  # ... for this many seconds (0 speed: no bound)
    dates: bool = True  # saved files carry their upload time (--no-mtime: False)
    dedupe: bool = False  # a file the archive holds under another id becomes a hard link to it
    xattrs: bool = False  # saved files carry where they came from and what they are, in extended attributes

    @property
    def break_on_existing(self) -> bool:
        """(``choice.break_on_existing``, as the Python API and --break-on-existing name it)"""
        return self.choice.break_on_existing

    def _check_kinds(self) -> None:
        """TypeError for a field given an object of another kind than the API makes of its words."""
        for name, template, optional in (("dir_template", self.dir_template, False),
                                         ("name_template", self.name_template, True)):
            if not (isinstance(template, Template) or (optional and template is None)):
                raise TypeError(f"{name}: a template is a str, not {type(template).__name__}")
        if not isinstance(self.archive_table, str):
            raise TypeError(f"archive_table: a table's name is a str, not {type(self.archive_table).__name__}")
        for each in fields(self):  # (a program's "false" is no False: wayback="false" would ask the Wayback Machine)
            if each.type in ("bool", bool) and not isinstance(value := getattr(self, each.name), bool):
                raise TypeError(f"{each.name}: a bool, not {type(value).__name__}")
        if not isinstance(self.choice, Choice):  # (a program gives range, since and break_on_existing instead)
            raise TypeError(f"choice: a Choice, as range, since and break_on_existing make one, not "
                            f"{type(self.choice).__name__}")

    def __post_init__(self) -> None:
        for name, holds, wanted in _BOUNDS:
            if not holds(value := getattr(self, name)):
                raise UsageError(f"{name}: must be {wanted}, not {value!r}")
        for name, holds, wanted in _TEXTS:
            if not holds(getattr(self, name)):
                raise UsageError(f"{name}: must be {wanted}")
        self._check_kinds()
        if (why := folder_problem(self.dir_template)) is not None:
            raise UsageError(why)
        if self.name_template is not None and self.name_template.empty:  # (an empty --dir: no album folders)
            raise UsageError(f"{self.name_template.option}: a file name template must give a name, not only '/' "
                             "and spaces")
        table_name(self.archive_table)
        if self.xattrs and (why := labels.unsettable()) is not None:
            raise UsageError(f"xattrs: {why}")
        if self.archive is not None and (unknown := path_problem(str(self.archive)) or another_scheme(self.archive)
                                         or wrapped(self.archive)) is not None:
            raise UsageError(f"archive: {unknown}")
        for name, _flag, why in NEEDS_ARCHIVE:
            if getattr(self, name) and self.archive is None:
                raise UsageError(f"{name} needs archive ({why})")
        if self.share_work and self.get_urls:  # (links() downloads nothing: no claim may say it was done)
            raise UsageError("share_work divides downloads, and links() downloads nothing: its claims would mark "
                             "work done that no process did")
