"""Where a download archive is (``--download-archive``, ``--archive-table``): an SQLite file's path, or a PostgreSQL
database's address, a URL or libpq's keywords and values, read as libpq reads them; the passwords in it, found to be
hidden; and why a place given names no archive, said before anything is opened.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from imgur_dl.errors import UsageError
from imgur_dl.text import hide_password, is_url, masked, passwords, unwrapped

DEFAULT_TABLE = "archive"
_TABLE = re.compile(r"[a-z_][a-z0-9_]{0,40}")


def table_name(name: str) -> str:
    """A table name the user gave (``--archive-table``), checked: lower-case letters, digits, '_'."""
    if not _TABLE.fullmatch(name):
        # (A file's path or a database's address given here, as "--archive seen.sqlite" is read, abbreviated: where
        # it goes, said; its password, if it has one, not repeated.)
        located = is_postgres(name) or re.search(r"[./:]", name) is not None
        where = "; the archive's own file or URL goes to --download-archive" if located else ""
        raise UsageError(f"--archive-table {redact(name)!r}: use lower-case letters, digits and '_' "
                         f"(at most 41, not starting with a digit){where}")
    return name


_CONNINFO_NAMES = frozenset({"host", "hostaddr", "port", "dbname", "user", "password", "service"})
_LIBPQ_SPACE = " \t\n\r\f\v"  # (what libpq's isspace() takes for a space: C's, not Unicode's)
_KEYWORD = re.compile(r"[a-z_]+")  # (libpq's are all so written)


def conninfo(text: str) -> list[tuple[str, int, int]] | None:
    """``text`` read as libpq's other way to name a database, keywords and values (``host=db.example.org
    dbname=imgur``): each keyword, with where its value is (start, end; quotes and all); None when ``text`` is
    not written so. A value is in single quotes or bare (up to a space), a backslash escaping the character after
    it in either, a quote left open running to the end (libpq then says so): as libpq's conninfo_parse reads
    them (PostgreSQL's documentation, "Keyword/Value Connection Strings")."""
    found: list[tuple[str, int, int]] = []
    at, end = 0, len(text)
    while (at := _skip_space(text, at)) < end:
        key = at
        while at < end and text[at] != "=" and text[at] not in _LIBPQ_SPACE:
            at += 1
        keyword, at = text[key:at], _skip_space(text, at)
        if not _KEYWORD.fullmatch(keyword) or at == end or text[at] != "=":
            return None
        start = at = _skip_space(text, at + 1)
        quoted = at < end and text[at] == "'"
        at += quoted
        while at < end and (text[at] != "'" if quoted else text[at] not in _LIBPQ_SPACE):
            at += 2 if text[at] == "\\" else 1
        at = min(at + quoted, end)
        found.append((keyword, start, at))
    return found


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in _LIBPQ_SPACE:
        at += 1
    return at


def is_postgres(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database: a ``postgresql://`` or ``postgres://`` URL, or libpq's
    keywords and values (``host=db.example.org dbname=imgur``; for a file of such a name, ``./host=...``)."""
    if not isinstance(location, str):
        return False
    if location.startswith(("postgresql://", "postgres://")):
        return True
    pairs = conninfo(location)
    return pairs is not None and any(keyword in _CONNINFO_NAMES for keyword, _, _ in pairs)


# The parameters that hold a secret: the login's password, and the one of the client certificate's key (libpq's
# documentation, "Parameter Key Words"); in a URL's query, each up to the next ``&`` (libpq ends it nowhere else).
SECRET_KEYWORDS = ("password", "sslpassword")
_QUERY_PASSWORD = re.compile(rf"(?i)[?&](?:{'|'.join(SECRET_KEYWORDS)})=([^&]*)")


def redact(location: str) -> str:
    """``location`` with any password replaced by ``***``."""
    return masked(location, secret_spans(location))


def secret_spans(location: str) -> list[tuple[int, int]]:
    """Where the passwords in ``location`` are (start, end): the URL's own, as a person means it (see
    :func:`imgur_dl.text.passwords`), and any parameter's."""
    if not is_url(location):  # (keywords and values)
        return [(start, end) for keyword, start, end in conninfo(location) or () if keyword in SECRET_KEYWORDS]
    return passwords(location, whole=True) + [found.span(1) for found in _QUERY_PASSWORD.finditer(location)]


def another_scheme(location: str | Path) -> str | None:
    """Why ``location``, given as a URL of a scheme other than PostgreSQL's (a typo, ``mysql://``,
    ``sqlite:///``), names no archive, its password not repeated; None for anything else (a file's path)."""
    if not isinstance(location, str) or is_postgres(location) or not is_url(location):
        return None
    shown = hide_password(location, whole=True)
    return f"not an archive imgur-dl can keep: {shown} (give an SQLite file's path, or a postgresql:// URL)"


def wrapped(location: str | Path) -> str | None:
    """Why ``location``, a database's address in quotes or with spaces around it (an env file's quotes, which
    docker's ``--env-file`` keeps; a space pasted before), names no archive, its password not repeated (taken for
    an SQLite file, it would make one of that name); None for anything else."""
    if not isinstance(location, str) or (is_postgres(location) and location == location.strip()):
        return None  # (a "\r" after it is said too: each line of an env file written on Windows ends in one)
    if not is_postgres(bare := unwrapped(location)):
        return None
    return f"{redact(bare)} has quotes or spaces around it: give it without them"


def in_folder(here: Path, location: str | Path | None) -> str | Path | None:
    """``location`` taken from the folder ``here`` where it is a file's relative path (a database's address, or a
    path from the root, as it is)."""
    if location is None or is_postgres(location) or another_scheme(location) or Path(location).is_absolute():
        return location
    return here / location


def absent(location: str | Path) -> bool:
    """An SQLite file that is not there yet (opening it would make it); a PostgreSQL database never is."""
    return not is_postgres(location) and not os.path.exists(location)  # noqa: PTH110 - (no error for a path too long)


def check_place(location: str | Path) -> None:
    """:class:`UsageError` where no archive file can be at ``location`` (a folder of its path missing: a typo), said
    as a run's opening would say it; for -g, which reads an archive that is not there yet as empty, and makes none."""
    from imgur_dl.archive_sqlite import unfit_place  # noqa: PLC0415 - the backend's own word

    if not is_postgres(location) and (why := unfit_place(Path(location))) is not None:
        raise UsageError(f"cannot use {location} as a download archive: {why}")
