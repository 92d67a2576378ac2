"""The ``imgur-dl`` command: parse arguments, run, map every outcome to an exit code."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TextIO

from imgur_dl import __version__, urls
from imgur_dl.api import DEFAULT_CLIENT_ID
from imgur_dl.errors import ImgurDLError, UsageError
from imgur_dl.models import Target
from imgur_dl.naming import DEFAULT_DIR, Template
from imgur_dl.run import DEFAULT_TIMEOUT, DEFAULT_WORKERS, Options, Run
from imgur_dl.status import ExitStatus

DESCRIPTION = """\
Download every image and video of Imgur albums, several files at once.

examples:
  imgur-dl https://imgur.com/a/AbC1234
  imgur-dl -o ~/Pictures imgur.com/gallery/holiday-photos-AbC1234
  imgur-dl https://i.imgur.com/XyZ9876.jpg https://imgur.com/a/AbC1234
  imgur-dl -j 32 --retries 10 --timeout 60 https://imgur.com/a/AbC1234

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
  HTTPS_PROXY, REQUESTS_CA_BUNDLE  are honoured, as by any requests program

exit status:
  0 everything saved or already present   1 some files failed
  2 usage error, or not an Imgur URL      3 album or image not found
  130 interrupted (Ctrl-C)
"""


@dataclass
class Environment:
    """The streams and settings a run sees; tests make their own."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stderr_isatty: bool = field(default_factory=sys.stderr.isatty)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)


class _Parser(argparse.ArgumentParser):
    out: TextIO = sys.stdout  # where --help and --version go

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            self.out.write(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative: {text}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
    return value


def build_parser(environ: Mapping[str, str]) -> _Parser:
    parser = _Parser(
        prog="imgur-dl", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("urls", nargs="*", metavar="URL",
                        help="Imgur album, gallery post or image URL (any form people paste)")
    parser.add_argument("-o", "--output", metavar="DIR", type=Path,
                        default=Path(environ.get("IMGUR_DL_OUTPUT") or "."),
                        help="folder to save into (default: the current folder)")
    parser.add_argument("-j", "--workers", metavar="N", type=_positive_int,
                        default=environ.get("IMGUR_DL_WORKERS") or DEFAULT_WORKERS,
                        help=f"files downloaded at once (default: {DEFAULT_WORKERS})")
    parser.add_argument("--retries", metavar="N", type=_count, default=5,
                        help="extra attempts per file after a failure that may pass (default: 5)")
    parser.add_argument("--timeout", metavar="S", type=_seconds, default=DEFAULT_TIMEOUT,
                        help=f"give up an attempt after S seconds without data (default: {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--client-id", metavar="ID",
                        default=environ.get("IMGUR_CLIENT_ID") or DEFAULT_CLIENT_ID,
                        help="Imgur API client id (default: the one imgur.com itself uses)")
    parser.add_argument("--gif", action="store_true",
                        help="keep animated GIFs as GIF (default: their much smaller MP4)")
    parser.add_argument("--dir", metavar="TEMPLATE", default=DEFAULT_DIR,
                        help=f"album folder name (default: {DEFAULT_DIR!r})")
    parser.add_argument("--name", metavar="TEMPLATE",
                        help="file name template (default: '{index}-{id}.{ext}')")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no summary; errors only")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    parser.add_argument("--version", action="version", version=f"imgur-dl {__version__}")
    return parser


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
        if not args.urls:
            raise UsageError("no URL given (try 'imgur-dl --help')")
        targets = _targets(args.urls)
        options = Options(
            output=args.output, workers=args.workers, retries=args.retries, timeout=args.timeout,
            client_id=args.client_id, prefer_gif=args.gif, quiet=args.quiet,
            show_bar=env.stderr_isatty and not args.quiet,
            dir_template=Template(args.dir),
            name_template=Template(args.name) if args.name else None,
        )
        return Run(options, env.stderr).execute(targets)
    except ImgurDLError as exc:
        env.stderr.write(f"imgur-dl: error: {exc}\n")
        return exc.exit_status
    except KeyboardInterrupt:
        env.stderr.write("imgur-dl: interrupted\n")
        return ExitStatus.INTERRUPTED
    except Exception as exc:
        if debug:
            raise
        env.stderr.write(f"imgur-dl: error: unexpected {type(exc).__name__}: {exc} (--debug shows more)\n")
        return ExitStatus.FAILED


def _targets(texts: Sequence[str]) -> list[Target]:
    """Every URL parsed before anything is fetched; repeats of one album dropped."""
    seen: set[tuple[str, str]] = set()
    targets = []
    for text in texts:
        target = urls.parse(text)
        if (target.kind.value, target.id) not in seen:
            seen.add((target.kind.value, target.id))
            targets.append(target)
    return targets


def run() -> NoReturn:
    """The console script."""
    status = main()
    if status == ExitStatus.INTERRUPTED and threading.active_count() > 1:
        # Workers still inside a connect() would hold the exit up until their
        # timeout; every file they touch is a .part, so leaving now is safe.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
