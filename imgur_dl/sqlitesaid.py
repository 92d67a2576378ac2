"""What SQLite says of an error, as Python's sqlite3 lets it be read whatever bytes SQLite wrote it in.

SQLite's message of a schema it cannot read quotes the bytes where it
stopped, and those need not be UTF-8 (a damaged page, a schema written by
hand). Python's sqlite3 decodes every message as UTF-8: where it cannot,
Python 3.11 and later raise :class:`UnicodeDecodeError` in place of the
error, and 3.10 raises the error with no message at all.
"""

from __future__ import annotations

import sqlite3

ERRORS = (sqlite3.Error, UnicodeDecodeError)  # what an SQLite call raises for an error of SQLite's
_LOST = "SQLite's message of it, in bytes that are no UTF-8, is lost to this Python"


def words(exc: sqlite3.Error | UnicodeDecodeError) -> str:
    """SQLite's message, what of it is no UTF-8 replaced."""
    if isinstance(exc, UnicodeDecodeError):
        return exc.object.decode("utf-8", "replace")
    return str(exc) or _LOST


def schema_unreadable(exc: sqlite3.Error | UnicodeDecodeError) -> bool:
    """Whether ``exc`` says SQLite cannot read a schema whose bytes are no UTF-8 (SQLITE_CORRUPT's "malformed
    database schema"; any message that could not be decoded, on Python 3.10, where it is lost: only a schema's
    bytes are quoted in one)."""
    if isinstance(exc, UnicodeDecodeError):
        return words(exc).startswith("malformed database schema")
    return not exc.args
