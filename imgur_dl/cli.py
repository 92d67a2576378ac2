"""The ``imgur-dl`` command: parse arguments, run, map every outcome to an exit code."""

from __future__ import annotations

import argparse
import io
import itertools
import math
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar
from urllib.parse import urlsplit

from imgur_dl import __version__, credentials, listings, urls
from imgur_dl.choice import Choice, parse_range
from imgur_dl.clock import Clock
from imgur_dl.defaults import (
    DEFAULT_CLIENT_ID,
    DEFAULT_MAX_SIZE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    MAX_TIMEOUT,
    MAX_WORKERS,
    USER_AGENT,
)
from imgur_dl.errors import Cancelled, ImgurDLError, OutputClosed, OutputError, Terminated, UsageError
from imgur_dl.models import Target
from imgur_dl.naming import DEFAULT_DIR, FIELDS, Template
from imgur_dl.options import Options
from imgur_dl.report import human
from imgur_dl.status import ExitStatus, worst
from imgur_dl.text import ERROR_PREFIX, printable, writer

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
  HTTPS_PROXY, REQUESTS_CA_BUNDLE  are honoured, as by any requests program

exit status:
  0 everything saved or already present   1 some files failed
  2 usage error, or not an Imgur URL      3 album or image not found
  4 Imgur refused your access token        130 interrupted (Ctrl-C)
  141 stdout's reader went away             143 terminated (SIGTERM)
"""


@dataclass
class Environment:
    """The streams, settings and clock a run sees; tests make their own."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    # (A stream closed when the program starts, ``2>&-``, is None in sys: its lines go nowhere.)
    stdout: TextIO = field(default_factory=lambda: sys.stdout or _nowhere())
    stderr: TextIO = field(default_factory=lambda: sys.stderr or _nowhere())
    stderr_isatty: bool = field(default_factory=lambda: sys.stderr is not None and sys.stderr.isatty())
    stdout_closed: bool = field(default_factory=lambda: sys.stdout is None)  # (>&-: nothing can be written)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Clock = field(default_factory=Clock)


def _nowhere() -> TextIO:
    return Path(os.devnull).open("w", encoding="utf-8")


class _Parser(argparse.ArgumentParser):
    out: TextIO = sys.stdout  # where --help and --version go

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Show(argparse.Action):
    """``--help`` and ``--version``: the text on the parser's own stream, then a clean exit."""

    def __init__(self, option_strings: Sequence[str], dest: str, text: Callable[[_Parser], str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)
        self.text = text

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        if isinstance(parser, _Parser) and self.text is not None:
            parser.out.write(self.text(parser))
        parser.exit(0)


def _whole(text: str, *, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}" if least else f"cannot be negative: {text}")
    return value


def _count(text: str) -> int:
    return _whole(text, least=0)


def _workers(text: str) -> int:
    value = _whole(text, least=1)
    if value > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_WORKERS}: {text}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"must be a number of seconds up to {MAX_TIMEOUT:g}: {text}")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
    return value


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def _size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d{1,15})\s*([KMG]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not match or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"not a size (bytes, or with K, M or G): {text!r}")
    return int(match[1]) * _UNITS[match[2].upper()]


def _rate(text: str) -> int:
    return 0 if text.strip() == "0" else _size(text)


def _from_env(environ: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    """An environment default, parsed; a bad value is blamed on the variable."""
    text = environ.get(name)
    if not text:
        return default
    try:
        return parse(text)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"{name}: {exc}") from None


def check_output(folder: Path) -> None:
    """``folder`` is one we can write into, or create: said once, before any request."""
    probe = folder
    while not probe.exists():
        if probe.is_symlink():
            raise UsageError(f"output folder {folder}: {probe} is a broken symlink")
        if probe.parent == probe:
            break
        probe = probe.parent
    where = "" if probe == folder else f" ({probe})"
    if not probe.is_dir():
        raise UsageError(f"output folder {folder}: not a folder{where}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"output folder {folder}: cannot write into it{where}")


def _range(text: str) -> tuple[tuple[int, int | None], ...]:
    try:
        return parse_range(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date(text: str) -> str:
    value = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?", value):
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}")
    try:
        datetime.fromisoformat(value.replace(" ", "T").removesuffix("Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return value.replace(" ", "T")


def _folder(text: str) -> Path:
    return Path(text).expanduser()


def _proxy(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http:// or https:// proxy URL: {text!r}")
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise argparse.ArgumentTypeError(f"the proxy URL's port is not a port number: {text!r}") from None
    return text


def _client_id(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]{1,64}", text):
        raise argparse.ArgumentTypeError(f"not an Imgur client id (letters and digits): {text!r}")
    return text


def _home_folder(text: str, environ: Mapping[str, str]) -> Path:
    """``text`` with a leading ``~`` expanded, as a shell would have done on the command line."""
    if text == "~" or text.startswith("~/"):
        return Path(environ.get("HOME") or Path.home()) / text[2:]
    return _folder(text)


def _header_value(text: str) -> str:
    if not text.strip() or not text.isprintable() or not text.isascii():
        raise argparse.ArgumentTypeError("must be printable ASCII")
    return text.strip()


def build_parser(environ: Mapping[str, str]) -> _Parser:
    parser = _Parser(
        prog="imgur-dl", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False,
    )
    parser.add_argument("-h", "--help", action=_Show, text=lambda p: p.format_help(),
                        help="show this help message and exit")
    parser.add_argument("urls", nargs="*", metavar="URL",
                        help="Imgur album, gallery post or image URL (any form people paste)")
    parser.add_argument("-i", "--input-file", metavar="FILE", action="append", default=[],
                        help="read URLs from FILE, one per line ('#' comments and blank lines ignored); "
                             "'-' reads standard input")
    parser.add_argument("--scan", metavar="FILE", action="append", default=[],
                        help="fetch every Imgur link found in FILE, any text (notes, HTML, JSON, Reddit dumps; "
                             "gzip, xz, bzip2 or zstd); '-' reads standard input; may be given again")
    parser.add_argument("-o", "--output", metavar="DIR", type=_folder,
                        default=_home_folder(environ.get("IMGUR_DL_OUTPUT") or ".", environ),
                        help="folder to save into (default: the current folder)")
    parser.add_argument("-j", "--workers", metavar="N", type=_workers,
                        default=_from_env(environ, "IMGUR_DL_WORKERS", _workers, DEFAULT_WORKERS),
                        help=f"files downloaded at once, 1 to {MAX_WORKERS} (default: {DEFAULT_WORKERS})")
    parser.add_argument("--retries", metavar="N", type=_count, default=DEFAULT_RETRIES,
                        help=f"extra attempts per file after a failure that may pass (default: {DEFAULT_RETRIES})")
    parser.add_argument("--timeout", metavar="S", type=_seconds, default=DEFAULT_TIMEOUT,
                        help=f"give up an attempt after S seconds without data (default: {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--client-id", metavar="ID", type=_client_id,
                        default=_from_env(environ, "IMGUR_CLIENT_ID", _client_id, DEFAULT_CLIENT_ID),
                        help="Imgur API client id (default: the one imgur.com itself uses)")
    parser.add_argument("--cookies", metavar="FILE", type=_folder,
                        help="your browser's cookies.txt (Netscape format): its imgur.com 'accesstoken' logs "
                             "in as you, for your hidden and mature posts, images and favorites (default: "
                             "IMGUR_ACCESS_TOKEN); sent to api.imgur.com only")
    parser.add_argument("--proxy", metavar="URL", type=_proxy,
                        help="proxy for every request, e.g. http://proxy:3128 (default: HTTPS_PROXY)")
    parser.add_argument("--min-speed", metavar="RATE", type=_rate, default=1024,
                        help="give up an attempt whose file comes slower than RATE bytes a second for "
                             "--speed-time seconds, e.g. 10K; 0: never (default: 1K)")
    parser.add_argument("--speed-time", metavar="S", type=_seconds, default=30.0,
                        help="the seconds --min-speed is judged over (default: 30)")
    parser.add_argument("--limit-rate", metavar="RATE", type=_size,
                        help="at most RATE bytes a second across the whole run, e.g. 500K, 2M")
    parser.add_argument("--no-skip", action="store_true",
                        help="fetch files again even if they are already there")
    parser.add_argument("--user-agent", metavar="TEXT", default=USER_AGENT, type=_header_value,
                        help="User-Agent header sent to Imgur (default: the program's name and version)")
    parser.add_argument("--max-file-size", metavar="SIZE", type=_size, default=DEFAULT_MAX_SIZE,
                        help="largest file accepted when Imgur gives no size, e.g. 300M "
                             f"(default: {DEFAULT_MAX_SIZE // 1024**2}M)")
    parser.add_argument("--no-mtime", action="store_true",
                        help="leave each file's modification time at when it was downloaded (default: its "
                             "upload time on Imgur)")
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
    parser.add_argument("--download-archive", metavar="FILE", type=Path,
                        default=Path(environ["IMGUR_DL_ARCHIVE"]) if environ.get("IMGUR_DL_ARCHIVE") else None,
                        help="SQLite file of finished ids: an id found there is not downloaded again")
    listing = parser.add_argument_group("listings (a user's posts or favorites, a tag, a subreddit, a search)")
    listing.add_argument("--range", metavar="RANGE", type=_range,
                         help="posts by position: 1-20, 50-, -10, or a list such as 1-5,9")
    listing.add_argument("--since", metavar="DATE", type=_date,
                         help="only posts from DATE on (YYYY-MM-DD, or an ISO 8601 time in UTC)")
    listing.add_argument("--break-on-existing", action="store_true",
                         help="with --download-archive: stop reading a listing at its first post the "
                              "archive has complete (a cheap nightly sync)")
    parser.add_argument("--dedupe", action="store_true",
                        help="with --download-archive: a file whose bytes the archive holds under another id "
                             "becomes a hard link to that copy instead of a second copy")
    parser.add_argument("--wayback", action="store_true",
                        help="look for files Imgur no longer serves in the Internet Archive's Wayback "
                             "Machine (sends their links to archive.org)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say each request, retry and wait on stderr")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no summary; errors only")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    parser.add_argument("--version", action=_Show, text=lambda _p: f"imgur-dl {__version__}\n",
                        help="show the version and exit")
    parser.add_argument("--print-completion", metavar="SHELL", choices=("bash", "zsh", "fish", "tcsh"),
                        action=_Completion, help="print a completion script for SHELL (bash, zsh, fish, tcsh), "
                                                 "made from this parser: see the README")
    return parser


class _Completion(argparse.Action):
    """``--print-completion SHELL``: shtab writes the script from the parser itself."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        import shtab  # noqa: PLC0415 - only this option needs it

        out = parser.out if isinstance(parser, _Parser) else sys.stdout
        out.write(shtab.complete(parser, values) + "\n")
        parser.exit(0)


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run ``imgur-dl`` with ``argv``; return the exit status. Never raises."""
    env = env or Environment()
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(env.environ)
        parser.out = env.stdout
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version
            return int(exc.code or 0)
        if args.fields:
            env.stdout.write("".join(f"{{{k}}}\t{v}\n" for k, v in FIELDS.items()))
            return ExitStatus.SUCCESS
        texts = list(args.urls)
        for name in args.input_file:
            texts.extend(_read_list(name, env))
        if not texts and not args.scan:
            raise UsageError("no URL given (try 'imgur-dl --help')")
        targets, refused = _targets(texts, env)
        options = _options(args, env)
        if options.token is None and (mine := [t for t in targets if listings.needs_token(t)]):
            raise UsageError(f"{mine[0].url}: only your own access token can list this: give --cookies FILE "
                             "or IMGUR_ACCESS_TOKEN (see README, 'Your own account')")
        if args.scan:
            return worst([_scan(args.scan, targets, options, env)] + [ExitStatus.USAGE] * refused)
        if not targets:
            return ExitStatus.USAGE
        return worst([_download(options, targets, env, _looking_up(targets))] + [ExitStatus.USAGE] * refused)
    except OutputClosed as exc:
        return exc.exit_status  # quietly, as other Unix tools end when their reader goes away
    except ImgurDLError as exc:
        _error(env, str(exc))
        return exc.exit_status
    except (KeyboardInterrupt, Cancelled) as exc:
        writer(env.stderr)("imgur-dl: interrupted")
        return ExitStatus.TERMINATED if isinstance(exc, Terminated) else ExitStatus.INTERRUPTED
    except Exception as exc:
        if debug:
            raise
        _error(env, f"unexpected {type(exc).__name__}: {exc} (--debug shows more)")
        return ExitStatus.FAILED


def _options(args: argparse.Namespace, env: Environment) -> Options:
    """Every option checked, before any request."""
    if args.break_on_existing and args.download_archive is None:
        raise UsageError("--break-on-existing needs --download-archive (it stops at what the archive has)")
    if args.dedupe and args.download_archive is None:
        raise UsageError("--dedupe needs --download-archive (it finds earlier copies there)")
    if not args.get_urls:
        check_output(args.output)
    if env.stdout_closed and (args.get_urls or args.json):
        raise OutputError("cannot write to standard output: it is closed (what -g and --json print goes there)")
    return Options(
        output=args.output, workers=args.workers, retries=args.retries, timeout=args.timeout,
        client_id=args.client_id, prefer_gif=args.gif, quiet=args.quiet,
        show_bar=env.stderr_isatty and not args.quiet,
        dir_template=Template(args.dir),
        name_template=Template(args.name) if args.name else None,
        get_urls=args.get_urls, json_lines=args.json, write_metadata=args.write_metadata,
        archive=args.download_archive, wayback=args.wayback, user_agent=args.user_agent,
        choice=Choice(args.range or (), args.since or "", args.break_on_existing),
        proxy=args.proxy, verbose=args.verbose, no_skip=args.no_skip, limit_rate=args.limit_rate or 0.0,
        max_size=args.max_file_size, debug=args.debug, dates=not args.no_mtime, dedupe=args.dedupe,
        min_speed=float(args.min_speed), speed_time=args.speed_time,
        token=credentials.token(env.environ, args.cookies, writer(env.stderr)),
    )


def _scan(names: list[str], given: list[Target], options: Options, env: Environment) -> ExitStatus:
    """``--scan``: the targets of every Imgur link in the files, fetched (or with -g listed) as they are read."""
    from imgur_dl.scan import Scanner, scanned  # noqa: PLC0415 - only --scan needs it

    scanner = Scanner()
    for target in given:
        scanner.take(target)
    stdin = getattr(env.stdin, "buffer", None) or io.BytesIO(env.stdin.read().encode("utf-8", "surrogateescape"))
    targets = itertools.chain(given, scanned(names, scanner, stdin))
    if options.get_urls:  # a link extractor on its own: nothing is asked of Imgur
        from imgur_dl.output import Stdout  # noqa: PLC0415

        out = Stdout(env.stdout, json_lines=False)
        for target in targets:
            out.link(urls.canonical(target))
        status = ExitStatus.SUCCESS
    else:
        files = f"{len(names)} file{'' if len(names) == 1 else 's'}"
        status = _download(options, targets, env, f"scanning {files} for Imgur links")
    for error in scanner.errors:
        _error(env, str(error))
    if not options.quiet:
        stats = scanner.stats
        writer(env.stderr)(f"imgur-dl: scanned {human(stats.read)}: {stats.links} Imgur links, "
                           f"{stats.targets} distinct targets")
    return worst([status] + [e.exit_status for e in scanner.errors])


def _download(options: Options, targets: Iterable[Target], env: Environment, start: str) -> ExitStatus:
    """The run itself: every event on stdout as it happens, the summary on stderr. ``start``: its first line."""
    if options.show_bar:  # at once, before the network stack is even imported
        writer(env.stderr)(f"imgur-dl: {start}...")
    from imgur_dl.build import build_run  # noqa: PLC0415 - imported after the first line is on the screen
    from imgur_dl.output import Stdout  # noqa: PLC0415

    run = build_run(options, env.stderr, env.environ, env.clock)
    stdout = Stdout(env.stdout, json_lines=options.json_lines)
    events = run.events(targets)
    try:
        for event in events:
            stdout.emit(event)
    except OutputError:
        run.abandon()  # nobody reads what is left: stop every worker, leave part files for a rerun
        events.close()
        raise
    if not (options.get_urls or options.quiet):
        writer(env.stderr)(run.summary())
    return run.exit_status


def _targets(texts: Sequence[str], env: Environment) -> tuple[list[Target], int]:
    """Every URL parsed before anything is fetched; repeats dropped.

    A URL that names nothing we can fetch gets one line on stderr; the others
    still run, and the exit status says some input was refused.
    """
    seen: set[tuple[str, str]] = set()
    targets = []
    refused = 0
    for text in texts:
        try:
            target = urls.parse(text)
        except UsageError as exc:
            _error(env, str(exc))
            refused += 1
            continue
        if (target.kind.value, target.id) not in seen:
            seen.add((target.kind.value, target.id))
            targets.append(target)
    return targets, refused


def _looking_up(targets: list[Target]) -> str:
    """What the run starts with, for a person at a terminal: 'looking up 3 albums', ..."""
    listings = sum(t.kind.is_listing for t in targets)
    albums = len(targets) - listings
    parts = []
    if listings:
        parts.append(f"reading {listings} listing{'' if listings == 1 else 's'}")
    if albums:
        parts.append(f"looking up {albums} album{'' if albums == 1 else 's'}")
    return " and ".join(parts)


def _error(env: Environment, message: str) -> None:
    """``imgur-dl: error: <message>`` on stderr, escaped, in any encoding (before a run's own display exists)."""
    writer(env.stderr)(printable(ERROR_PREFIX + message))


def _read_list(name: str, env: Environment) -> list[str]:
    """URLs from a file (or stdin for '-'): one a line, blank lines and '#' comments ignored."""
    try:
        if name == "-":
            text = env.stdin.read()
        else:
            with Path(name).open(encoding="utf-8-sig") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read URLs from {name}: {getattr(exc, 'strerror', None) or exc}") from None
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _terminate(_signal: int, _frame: object) -> None:
    raise Terminated


def run() -> NoReturn:
    """The console script."""
    signal.signal(signal.SIGTERM, _terminate)  # handled as Ctrl-C: summary, part files kept for a rerun
    status = main()
    if status == ExitStatus.PIPE_CLOSED and sys.stdout is not None:
        # Nothing more reaches the reader; the interpreter's last flush must not complain about it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if status in (ExitStatus.INTERRUPTED, ExitStatus.TERMINATED) and threading.active_count() > 1:
        # Workers still inside a connect() would hold the exit up until their
        # timeout; every file they touch is a .part, so leaving now is safe.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
