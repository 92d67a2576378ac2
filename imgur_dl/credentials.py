"""Your own Imgur account's access token: from a browser's cookies.txt, or ``IMGUR_ACCESS_TOKEN``.

Never from the command line, where every user of the machine can read it
(``ps``). The token is handed to the API client's authentication alone
(:class:`imgur_dl.auth.BearerToken`), which sends it to ``api.imgur.com``
and nowhere else; nothing here prints, logs or keeps it.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from imgur_dl.errors import UsageError, reason
from imgur_dl.text import WARNING_PREFIX, decimal, unwrapped, utf16_marked

COOKIE_NAME = "accesstoken"  # the cookie imgur.com's front end keeps its token in (gallery-dl reads it too)
DOMAINS = frozenset({"imgur.com", ".imgur.com", "www.imgur.com", ".www.imgur.com"})
ENV = "IMGUR_ACCESS_TOKEN"
MAX_COOKIES_FILE = 16 * 1024 * 1024  # a whole browser's export is a few MB
TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{8,4096}")


def token(environ: Mapping[str, str], cookies: Path | None, warn: Callable[[str], None], now: float) -> str | None:
    """The access token to use: the cookies file's when one is given, else the environment's, else None (``now``:
    the time, in seconds since the epoch, a cookie's expiry is judged by)."""
    if cookies is not None:
        return read_cookies(cookies, warn, now)
    value = environ.get(ENV, "").strip()
    if not value:
        return None
    if not TOKEN.fullmatch(value):
        raise UsageError(f"{ENV} does not hold an access token (letters, digits and -._~+/= only){_hint(value)}")
    return value


def _hint(value: str) -> str:
    """What to drop from a value that holds a token and more, as people copy one (the header's ``Bearer``, an
    env file's quotes, which docker's ``--env-file`` keeps); the value itself is not repeated."""
    if value[:7].lower() == "bearer " and TOKEN.fullmatch(value[7:].strip()):
        return ": give the token without the 'Bearer ' before it"
    if TOKEN.fullmatch(unwrapped(value)):
        return ": give the token without the quotes around it"
    return ""


def read_cookies(path: Path, warn: Callable[[str], None], now: float) -> str:
    """The ``accesstoken`` cookie of imgur.com in a Netscape cookies.txt file (what browser extensions export): the
    first that has not expired by ``now`` (seconds since the epoch), as a browser would send no other."""
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            data = handle.read(MAX_COOKIES_FILE + 1)  # (never more: --cookies /dev/zero ends here)
    except OSError as exc:
        raise UsageError(f"cannot read the cookies file {path}: {reason(exc)}") from None
    if len(data) > MAX_COOKIES_FILE:
        raise UsageError(f"{path} is not a Netscape cookies.txt file (it is larger than "
                         f"{MAX_COOKIES_FILE // 2**20} MiB)")
    # (a byte-order mark before the first row is no domain's)
    text = data.decode("utf-16" if utf16_marked(data) else "utf-8-sig", errors="replace")
    rows = [fields for line in text.splitlines() if (fields := _row(line)) is not None]
    if not rows:
        if data.startswith(b"SQLite format 3\0"):  # (Firefox's cookies.sqlite, Chrome's Cookies: their own store)
            raise UsageError(f"{path} is not a Netscape cookies.txt file but a browser's own cookie database: "
                             "export the cookies from the browser as Netscape (cookies.txt) instead")
        if text.lstrip()[:1] in ("[", "{"):  # (a cookie extension's JSON export, as EditThisCookie writes)
            raise UsageError(f"{path} is not a Netscape cookies.txt file but JSON: export the cookies as "
                             "Netscape (cookies.txt) instead")
        raise UsageError(f"{path} is not a Netscape cookies.txt file (tab-separated: domain, flag, path, "
                         "secure, expiry, name, value)")
    again = "log in at imgur.com in the browser, then export its cookies again"
    ours = [(expiry, value) for domain, expiry, name, value in rows
            if domain.lower() in DOMAINS and name == COOKIE_NAME]
    if not ours:
        raise UsageError(f"{path} has no {COOKIE_NAME} cookie for imgur.com: {again}")
    live = [value for expiry, value in ours if not 0 < expiry <= now]  # (0: a cookie of the browser's session)
    if not live:
        ended = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(max(expiry for expiry, _ in ours)))  # (<= now)
        raise UsageError(f"{path}: the {COOKIE_NAME} cookie of imgur.com expired on {ended}: {again}")
    if not TOKEN.fullmatch(live[0]):
        raise UsageError(f"{path}: the {COOKIE_NAME} cookie of imgur.com does not hold an access token")
    if stat.S_ISREG(mode) and mode & (stat.S_IRWXG | stat.S_IRWXO) and os.name == "posix":  # (it does)
        warn(f"{WARNING_PREFIX}{path} can be read by other users of this machine (chmod 600 {path}): "
             "it holds your Imgur login")
    return live[0]


def _row(line: str) -> tuple[str, int, str, str] | None:
    """(domain, expiry, name, value) of one cookies.txt line; None for comments, blank and malformed lines. The
    expiry is in seconds since the epoch, 0 for a cookie of the browser's session (as it is written, or when it is
    not a whole number: a cookie is not dropped for how its expiry is written)."""
    if line.startswith("#HttpOnly_"):
        line = line[len("#HttpOnly_"):]
    elif line.startswith("#") or not line.strip():
        return None
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != 7 or fields[1].upper() not in ("TRUE", "FALSE") or fields[3].upper() not in ("TRUE", "FALSE"):
        return None
    return fields[0], decimal(fields[4]) or 0, fields[5], fields[6].strip()
