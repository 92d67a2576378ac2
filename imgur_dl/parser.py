"""The command line's parser: every option, its type and help, checked as it is read.

Importing it brings no network stack: the CLI parses and says its first line first.
"""

from __future__ import annotations

import argparse
import errno
import functools
import math
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar

from imgur_dl import __version__
from imgur_dl.archive_place import DEFAULT_TABLE, another_scheme, is_postgres, table_name, wrapped
from imgur_dl.choice import Since, parse_range, parse_since
from imgur_dl.defaults import (
    DEFAULT_CLIENT_ID,
    DEFAULT_LEASE,
    DEFAULT_MAX_SIZE,
    DEFAULT_RETRIES,
    DEFAULT_SCAN_JOBS,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    MAX_RETRIES,
    MAX_SCAN_JOBS,
    MAX_TIMEOUT,
    MAX_WORKERS,
    START_WORKERS,
    USER_AGENT,
)
from imgur_dl.errors import UsageError, reason, writing_stdout
from imgur_dl.naming import DEFAULT_DIR, FIELDS
from imgur_dl.options import CLIENT_ID, header_value, path_problem, proxy_problem
from imgur_dl.text import decimal, hide_password, is_url, unwrapped

T = TypeVar("T")

DESCRIPTION = """\
Download Imgur albums, posts and images, or a user's posts and favorites, a
tag, a subreddit or a search: many files at once.

examples:
  imgur-dl https://imgur.com/a/AbC1234
  imgur-dl -o ~/Pictures imgur.com/gallery/holiday-photos-AbC1234
  imgur-dl https://i.imgur.com/XyZ9876.jpg https://imgur.com/a/AbC1234
  imgur-dl -j 32 --retries 10 --timeout 60 https://imgur.com/a/AbC1234

in scripts:
  imgur-dl -i albums.txt --download-archive seen.sqlite -q   # a cron job
  imgur-dl --scan notes.md --scan saved.html     # every Imgur link in them
  imgur-dl --scan RS_2019-01.zst -g              # a Reddit dump's links only
  imgur-dl -i - < albums.txt                     # one URL a line
  imgur-dl -g imgur.com/a/AbC1234 | xargs -n1 curl -O        # direct links only
  imgur-dl --json URL | jq -r 'select(.status == "failed") | .id'
  imgur-dl --write-metadata --dir '{album_date} {album_title}' \\
      --name '{num}.{ext}' URL
  imgur-dl --download-archive seen.sqlite --break-on-existing \\
      imgur.com/user/NAME                              # a nightly account sync
  imgur-dl --download-archive postgresql://me@db/imgur --share-work \\
      -i links.txt                      # on every machine: they divide the list

Each album goes into its own folder under the output folder, its files named
by position so they sort in album order (001-<id>.jpg, 002-<id>.mp4, ...).
Files already there are skipped, so running the same command again finishes
an interrupted download.
"""

EPILOG = """\
environment:
  IMGUR_CLIENT_ID    default for --client-id
  IMGUR_DL_OUTPUT    default for --output
  IMGUR_DL_WORKERS   default for --workers
  IMGUR_DL_ARCHIVE   default for --download-archive
  IMGUR_ACCESS_TOKEN your own account's access token (instead of --cookies)
  HTTPS_PROXY, ALL_PROXY, NO_PROXY  are honoured, as by curl
  REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE, SSL_CERT_DIR
                     the certificates to trust (the first set), as by curl

exit status:
  0 everything saved or already present   1 some files failed
  2 usage error, or not an Imgur URL      3 album or image not found
  4 Imgur refused your access token        129 hung up (SIGHUP)
  130 interrupted (Ctrl-C)                  141 stdout's reader went away
  143 terminated (SIGTERM)
"""


# A value repeated in an error line, cut: the first 200 characters of any run past that (a file pasted as a value).
_LONG = re.compile(r"\S{201,}")


def _cut(run: re.Match[str]) -> str:
    return f"{run[0][:200]}... ({len(run[0])} characters)"


# Options whose values may start with a dash, and how such a value starts (no option is a dash and a digit).
_DASHED = {"--range": re.compile(r"-\d")}


class Parser(argparse.ArgumentParser):
    out: TextIO = sys.stdout  # where --help and --version go

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.paths: dict[argparse.Action, str] = {}  # options that take a path: "file" or "folder" (tab completion)

    def takes(self, kind: str, action: argparse.Action) -> None:
        """``action``'s value is a path: a shell's tab completion offers files (or folders) for it."""
        self.paths[action] = kind

    def error(self, message: str) -> NoReturn:
        raise UsageError(_LONG.sub(_cut, message))

    def parse(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        """``argv`` (the command line's, when None) read, each value that starts with a dash where its option takes
        such values (``--range -3,9``) read as that option's, as ``--range=-3,9`` is: argparse takes it for an
        option of its own (``-3`` alone it takes for a negative number), and the option for one given no value."""
        given = list(sys.argv[1:] if argv is None else argv)
        glued: list[str] = []
        at = 0
        while at < len(given) and given[at] != "--":  # (what follows "--" is no option, nor any option's value)
            dashed = _DASHED.get(given[at])
            if dashed is not None and at + 1 < len(given) and dashed.match(given[at + 1]):
                glued.append(f"{given[at]}={given[at + 1]}")
                at += 2
            else:
                glued.append(given[at])
                at += 1
        return self.parse_args(glued + given[at:])


class _Given(argparse.Action):
    """Stores the value and notes the flag as given: where it was not, a value the environment gave is said to be
    the variable's when it cannot be used (:func:`from_environment`)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.given = namespace.given | {self.dest}


# Options whose default is an environment variable's, checked only once the run is set up (a folder, an archive).
_FROM_ENVIRONMENT = {"output": "IMGUR_DL_OUTPUT", "download_archive": "IMGUR_DL_ARCHIVE"}


def from_environment(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str]:
    """The options whose value the environment gave (their flag not given): each with its variable."""
    return {dest: name for dest, name in _FROM_ENVIRONMENT.items() if dest not in args.given
            and _variable(environ, name)}


def _variable(environ: Mapping[str, str], name: str) -> str:
    """A variable's value; empty when it is unset, empty, or white space alone (an env file's ``NAME= ``): as
    none."""
    text = environ.get(name, "")
    return "" if text.isspace() else text


class _Show(argparse.Action):
    """``--help`` and ``--version``: the text on the parser's own stream, then a clean exit."""

    def __init__(self, option_strings: Sequence[str], dest: str, text: Callable[[Parser], str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)
        self.text = text

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        if isinstance(parser, Parser) and self.text is not None:
            show(parser.out, self.text(parser))
        parser.exit(0)


def show(out: TextIO, text: str) -> None:
    """``text`` on standard output, there now (a full disk or a reader gone is told here, not at the exit)."""
    with writing_stdout():
        out.write(text)
        out.flush()


def _whole(text: str, *, least: int, most: int) -> int:
    # (ASCII digits alone, as a script writes them: int() would also take "1_0" for 10, and other scripts' digits)
    match = re.fullmatch(r"\s*([+-]?)(\d+)\s*", text, re.ASCII)
    if not match:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    digits = decimal(match[2])  # (None past 18 digits: past any bound)
    value = (10**18 if digits is None else digits) * (-1 if match[1] == "-" else 1)
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}" if least else f"cannot be negative: {text}")
    if value > most:
        raise argparse.ArgumentTypeError(f"at most {most}: {text}")
    return value


def _retries(text: str) -> int:
    return _whole(text, least=0, most=MAX_RETRIES)


def _workers(text: str) -> int:
    return _whole(text, least=1, most=MAX_WORKERS)


def _scan_jobs(text: str) -> int:
    return _whole(text, least=1, most=MAX_SCAN_JOBS)


# A number as float() reads one, in ASCII alone (float() also takes "1_0" and other scripts' digits).
_NUMBER = re.compile(r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf|infinity|nan)\s*", re.ASCII | re.IGNORECASE)


def _seconds(text: str) -> float:
    if not _NUMBER.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    value = float(text)
    if not math.isfinite(value) or value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"must be a number of seconds up to {MAX_TIMEOUT:g}: {text}")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
    return value


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def _amount(text: str) -> int:
    """A number of bytes as curl and wget take one: 500, 500K, 1.5M, 2G (K: 1024), whole bytes."""
    # (ASCII only: ignoring case alone, the Kelvin sign "\u212a" would pass for "k", and no unit is named so.)
    match = re.fullmatch(r"\s*(\d{1,15})(?:\.(\d{1,9}))?\s*([KMG]?)(?:i?B)?\s*", text, re.ASCII | re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size (bytes, or with K, M or G): {text!r}")
    unit: int = _UNITS[match[3].upper()]
    fraction: str = match[2] or ""
    tenths: int = 10 ** len(fraction)  # (a whole number: the power is never negative)
    return int(match[1]) * unit + int(fraction or 0) * unit // tenths


def _size(text: str) -> int:
    if (size := _amount(text)) < 1:
        raise argparse.ArgumentTypeError(f"must be 1 byte or more: {text!r}")
    return size


def _rate(text: str) -> int:
    """Bytes a second, 0 for none (what 0 means to curl's and wget's rates too); not a rate of less than a byte
    taken for none."""
    if (rate := _amount(text)) < 1 and re.search("[1-9]", text):
        raise argparse.ArgumentTypeError(f"must be 0, or 1 byte or more: {text!r}")
    return rate


def _from_env(environ: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    """An environment default, parsed; a bad value is blamed on the variable."""
    text = _variable(environ, name)
    if not text:
        return default
    try:
        return parse(text)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"{name}: {exc}") from None


def check_output(folder: Path) -> None:
    """``folder`` is one we can write into, or create: said once, before any request."""
    try:
        _check_output(folder)
    except OSError as exc:  # (a path longer than the system takes; a folder on the way that cannot be looked into)
        raise UsageError(f"output folder {folder}: cannot be used ({reason(exc)})") from None


def _check_output(folder: Path) -> None:
    probe = folder
    while not _there(probe):
        if _there(probe, follow=False):
            if _there(probe):  # (made a moment ago, by another process started alongside: there after all)
                break
            raise UsageError(f"output folder {folder}: {probe} is a broken symlink")
        if probe.parent == probe:
            break
        probe = probe.parent
    where = "" if probe == folder else f" ({probe})"
    if probe.stat().st_nlink == 0:  # (the current folder, removed since a shell went into it: mkdir would fail)
        raise UsageError(f"output folder {folder}: the current folder has been deleted (cd to one that exists)"
                         if not probe.is_absolute() else f"output folder {folder}: has been deleted{where}")
    if not probe.is_dir():
        raise UsageError(f"output folder {folder}: not a folder{where}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"output folder {folder}: cannot write into it{where}")


def _there(path: Path, *, follow: bool = True) -> bool:
    """Whether ``path`` names something (a symlink followed, or not); what else stops the look (a name longer than
    the system takes, a folder on the way that cannot be looked into) raised, on every Python (``Path.exists`` and
    ``is_symlink`` say False for it all from 3.14 on)."""
    try:
        path.stat(follow_symlinks=follow)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):  # (ELOOP: a symlink's loop, said broken)
            return False
        raise
    return True


def _archive(text: str, environ: Mapping[str, str] | None = None) -> str | Path:
    """A PostgreSQL database's URL, or libpq's keywords and values, as given (never echoed back: it may hold a
    password), else a file (``~`` expanded, as for -o: ``--download-archive=~/seen.sqlite`` is one word no shell
    expands; from ``environ``'s ``HOME`` when given). Another scheme's URL (a typo, ``mysql://``,
    ``sqlite:///``) is no file's path: refused, its password not repeated."""
    if (unknown := wrapped(text)) is not None:
        raise argparse.ArgumentTypeError(unknown)
    if is_postgres(text):
        return text
    if (unknown := another_scheme(text)) is not None:
        raise argparse.ArgumentTypeError(unknown)
    return _folder(text, environ)


def _file(text: str) -> str:
    """A file to read (-i, --scan): ``-`` is standard input; a leading ``~`` is expanded, as for -o."""
    return str(_folder(text)) if _named(text).startswith("~") else text


def home_expanded(text: str, environ: Mapping[str, str] | None = None) -> Path:
    """``text`` with a leading ``~`` (``environ``'s ``HOME`` when it has one) or ``~user`` expanded, as a shell
    expands it; UsageError when that names no home: a shell would have left it as written, as a folder named
    ``~user`` no one means."""
    if environ is not None and environ.get("HOME") and (text == "~" or text.startswith("~/")):
        return Path(environ["HOME"]) / text[2:]
    try:
        return Path(text).expanduser()
    except RuntimeError:  # (no such user; no HOME and no home for this account)
        head = text.partition("/")[0]
        why = "HOME is not set, and this account has no home folder" if head == "~" else \
            f"this machine has no user {head[1:]!r}"
        raise UsageError(f"{text!r}: {why} (for a folder of that name, give ./{text})") from None


def _named(text: str) -> str:
    """A path given on the command line, never empty nor white space alone (:func:`path_problem`)."""
    if (blank := path_problem(text)) is not None:
        raise argparse.ArgumentTypeError(blank)
    if is_url(bare := unwrapped(text)):  # (a list's or a cookies file's address: imgur-dl reads files; a database's)
        raise argparse.ArgumentTypeError(f"{hide_password(bare, whole=True)} is a URL, not a path on this machine")
    return text


def _lease(text: str) -> float:
    value = _seconds(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 second or more: {text}")
    return value


def _argument(parse: Callable[..., T], *given: Any) -> T:
    """``parse(*given)``, its UsageError made the error argparse says with the option's name."""
    try:
        return parse(*given)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _range(text: str) -> tuple[tuple[int, int | None], ...]:
    return _argument(parse_range, text)


def _date(text: str) -> Since:
    return _argument(parse_since, text)


def _folder(text: str, environ: Mapping[str, str] | None = None) -> Path:
    return _argument(home_expanded, _named(text), environ)


def _proxy(text: str) -> str:
    if problem := proxy_problem(text):
        raise argparse.ArgumentTypeError(problem)
    return text


def _client_id(text: str) -> str:
    if not CLIENT_ID.fullmatch(text):
        around = ": give it without the white space around it" if CLIENT_ID.fullmatch(text.strip()) else ""
        raise argparse.ArgumentTypeError(f"not an Imgur client id (letters and digits): {text!r}{around}")
    return text


def _env_archive(environ: Mapping[str, str]) -> str | Path | None:
    """``IMGUR_DL_ARCHIVE``, its ``~`` expanded as ``IMGUR_DL_OUTPUT``'s is (a crontab or a unit file expands
    none)."""
    return _from_env(environ, "IMGUR_DL_ARCHIVE", lambda text: _archive(text, environ), None)


def _header_value(text: str) -> str:
    if not header_value(text):
        raise argparse.ArgumentTypeError("must be printable ASCII")
    return text.strip()


def _add_scan(parser: Parser) -> argparse.Action:
    """--scan and the options that go with it; --scan's own (for the completion of its files)."""
    scans = parser.add_argument(
        "--scan", metavar="FILE", action="append", default=[], type=_file,
        help="fetch every Imgur link found in FILE (or every file below a folder), any text (notes, HTML, JSON, "
             "mailboxes, Reddit dumps, WARC crawls, PDFs, Word documents, a browser's history, open tabs and local "
             "storage, Safari's bookmarks; gzip, xz, bzip2 or zstd, a ZIP or tar export); '-' reads standard input; "
             "may be given again")
    parser.add_argument("--no-listings", action="store_true",
                        help="with --scan: links it finds to listings (a user's posts or favorites, a tag, a "
                             "subreddit, a search) are counted, not read: posts and images only")
    parser.add_argument("--scan-jobs", metavar="N", type=_scan_jobs,
                        help="with --scan: files read side by side, up to N at once, each in a process of its own "
                             f"(default: as many as this machine's cores, {DEFAULT_SCAN_JOBS} at the most; 1 reads "
                             "them one after another, in order)")
    return scans


def build_parser(environ: Mapping[str, str]) -> Parser:
    # The help's width, as argparse takes it (the terminal's, or COLUMNS, less two), asked once: argparse makes a
    # formatter for each option it is given (to check its metavar), and each would ask the terminal again.
    width = shutil.get_terminal_size().columns - 2
    parser = Parser(
        prog="imgur-dl", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=functools.partial(argparse.RawDescriptionHelpFormatter, width=width), add_help=False,
    )
    parser.add_argument("-h", "--help", action=_Show, text=lambda p: p.format_help(),
                        help="show this help message and exit")
    parser.add_argument("urls", nargs="*", metavar="URL",
                        help="Imgur album, gallery post or image URL (any form people paste)")
    inputs = parser.add_argument("-i", "--input-file", metavar="FILE", action="append", default=[], type=_file,
                                 help="read URLs from FILE, one per line ('#' comments and blank lines ignored; "
                                      "gzip, xz, bzip2 or zstd too); '-' reads standard input")
    scans = _add_scan(parser)
    parser.set_defaults(given=frozenset())
    output = parser.add_argument("-o", "--output", metavar="DIR", type=_folder, action=_Given,
                                 default=_from_env(environ, "IMGUR_DL_OUTPUT",
                                                   lambda text: _folder(text, environ), Path()),
                                 help="folder to save into (default: the current folder)")
    parser.add_argument("-j", "--workers", metavar="N", type=_workers,
                        default=_from_env(environ, "IMGUR_DL_WORKERS", _workers, DEFAULT_WORKERS),
                        help=f"files downloaded at once, 1 to {MAX_WORKERS} (default: {DEFAULT_WORKERS}); a run starts "
                             f"at {START_WORKERS} and grows fourfold each round trip up to N, while requests do not "
                             "queue")
    parser.add_argument("--retries", metavar="N", type=_retries, default=DEFAULT_RETRIES,
                        help=f"extra attempts per file after a failure that may pass, 0 to {MAX_RETRIES} (default: "
                             f"{DEFAULT_RETRIES})")
    parser.add_argument("--timeout", metavar="S", type=_seconds, default=DEFAULT_TIMEOUT,
                        help=f"give up an attempt after S seconds without data (default: {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--client-id", metavar="ID", type=_client_id,
                        default=_from_env(environ, "IMGUR_CLIENT_ID", _client_id, DEFAULT_CLIENT_ID),
                        help="Imgur API client id (default: the one imgur.com itself uses)")
    cookies = parser.add_argument(
        "--cookies", metavar="FILE", type=_folder,
        help="your browser's cookies.txt (Netscape format): its imgur.com 'accesstoken' logs in as you, for your "
             "hidden and mature posts, images and favorites (default: IMGUR_ACCESS_TOKEN); sent to api.imgur.com only")
    parser.add_argument("--proxy", metavar="URL", type=_proxy,
                        help="proxy for every request, e.g. http://proxy:3128 (default: HTTPS_PROXY, else ALL_PROXY)")
    parser.add_argument("--min-speed", metavar="RATE", type=_rate, default=1024,
                        help="give up an attempt whose file (or API answer) comes slower than RATE bytes a "
                             "second for --speed-time seconds, e.g. 10K; 0: never (default: 1K)")
    parser.add_argument("--speed-time", metavar="S", type=_seconds, default=30.0,
                        help="the seconds --min-speed is judged over (default: 30)")
    parser.add_argument("--limit-rate", metavar="RATE", type=_rate,
                        help="at most RATE bytes a second across the whole run, e.g. 500K, 1.5M; 0: no limit "
                             "(the default)")
    parser.add_argument("--no-skip", action="store_true",
                        help="fetch files again even if they are already there")
    parser.add_argument("--user-agent", metavar="TEXT", default=USER_AGENT, type=_header_value,
                        help="User-Agent header sent to Imgur (default: the program's name and version)")
    parser.add_argument("--max-file-size", metavar="SIZE", type=_size, default=DEFAULT_MAX_SIZE,
                        help="largest file accepted when Imgur's API gives no size, e.g. 300M "
                             f"(default: {DEFAULT_MAX_SIZE // 1024**2}M)")
    parser.add_argument("--no-mtime", action="store_true",
                        help="leave each file's modification time at when it was downloaded (default: its "
                             "upload time on Imgur)")
    parser.add_argument("--xattrs", action="store_true",
                        help="label each file saved, in its extended attributes, with where it came from and what "
                             "it is: user.xdg.origin.url, user.xdg.referrer.url (its post), user.dublincore.title, "
                             "description and date, user.imgur-dl.sha256")
    parser.add_argument("--gif", action="store_true",
                        help="keep animated GIFs as GIF (default: their much smaller MP4)")
    parser.add_argument("--dir", metavar="TEMPLATE", default=DEFAULT_DIR,
                        help=f"album folder name (default: {DEFAULT_DIR!r})")
    parser.add_argument("--name", metavar="TEMPLATE",
                        help="file name template (default: '{index}-{id}.{ext}')")
    names = ", ".join("{" + f + "}" for f in FIELDS)
    parser.add_argument("--fields", action="store_true", help=f"template fields: {names}")
    parser.add_argument("-g", "--get-urls", action="store_true",
                        help="print each file's direct URL, in album order, and download nothing")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per file on stdout, as each finishes (JSON Lines)")
    parser.add_argument("--write-metadata", action="store_true",
                        help="write album.json (album and items, in order) into each album folder")
    archive = parser.add_argument(
        "--download-archive", metavar="FILE|URL", type=_archive, action=_Given, default=_env_archive(environ),
        help="where finished ids are kept, so none is downloaded again: an SQLite file, or a "
             "postgresql://user@host/db URL shared by many machines (needs the postgres extra)")
    parser.add_argument("--archive-table", metavar="NAME", default=DEFAULT_TABLE, type=table_name,
                        help=f"the archive's table (default {DEFAULT_TABLE}), for several archives in one database")
    fleet = parser.add_argument_group("many processes, one archive (see README, 'At scale')")
    fleet.add_argument("--share-work", action="store_true",
                       help="with --download-archive: claim each post or album before looking it up, so that "
                            "processes given the same input, on one machine or many, divide it between them")
    fleet.add_argument("--lease", metavar="S", type=_lease,
                       help=f"with --share-work: seconds a claim lasts unless its process renews it; a dead "
                            f"process's work is taken over after this (default {DEFAULT_LEASE:g})")
    fleet.add_argument("--fleet", action="store_true",
                       help="with --download-archive: print, as JSON, what every process sharing it has done, "
                            "is doing and failed (with why), and exit")
    listing = parser.add_argument_group("listings (a user's posts or favorites, a tag, a subreddit, a search)")
    listing.add_argument("--range", metavar="RANGE", type=_range,
                         help="posts by position: 1-20, 50-, -10, or a list such as 1-5,9")
    listing.add_argument("--since", metavar="DATE", type=_date,
                         help="only posts from DATE on: YYYY-MM-DD, an ISO 8601 time (UTC unless it names "
                              "a zone: 2024-05-01T14:00+02:00), or a span back from now: 7d, 36h, 2w, 1d12h")
    listing.add_argument("--break-on-existing", action="store_true",
                         help="with --download-archive: stop reading a listing where a run last read it to "
                              "its end with every post saved, passing over the posts the archive has above it "
                              "(a cheap nightly sync)")
    parser.add_argument("--dedupe", action="store_true",
                        help="with --download-archive: a file whose bytes the archive holds under another id "
                             "becomes a hard link to that copy instead of a second copy")
    parser.add_argument("--wayback", action="store_true",
                        help="look for files Imgur no longer serves in the Internet Archive's Wayback "
                             "Machine (sends their links to archive.org, within the limits it asks clients to "
                             "keep to)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say each request, retry and wait on stderr")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no summary; errors only (and -v's requests, with -v)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    parser.add_argument("--version", action=_Show, text=lambda _p: f"imgur-dl {__version__}\n",
                        help="show the version and exit")
    parser.add_argument("--print-completion", metavar="SHELL", choices=("bash", "zsh", "fish", "tcsh"),
                        action=_Completion, help="print a completion script for SHELL (bash, zsh, fish, tcsh), "
                                                 "made from this parser: see the README")
    for action in (inputs, scans, cookies, archive):
        parser.takes("file", action)
    parser.takes("folder", output)
    return parser


class _Completion(argparse.Action):
    """``--print-completion SHELL``: shtab writes the script from the parser itself."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        import shtab  # noqa: PLC0415 - only this option needs it

        kinds = {"file": shtab.FILE, "folder": shtab.DIRECTORY}
        for path, kind in getattr(parser, "paths", {}).items():
            path.complete = kinds[kind]  # (what shtab reads of an action, as its README says)
        show(parser.out if isinstance(parser, Parser) else sys.stdout, shtab.complete(parser, values) + "\n")
        parser.exit(0)


