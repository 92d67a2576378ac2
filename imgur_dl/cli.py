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
from imgur_dl.naming import DEFAULT_DIR, FIELDS, Template
from imgur_dl.run import DEFAULT_TIMEOUT, DEFAULT_WORKERS, Options, Run
from imgur_dl.status import ExitStatus, worst

DESCRIPTION = """\
Download every image and video of Imgur albums, several files at once.

examples:
  imgur-dl https://imgur.com/a/AbC1234
  imgur-dl -o ~/Pictures imgur.com/gallery/holiday-photos-AbC1234
  imgur-dl https://i.imgur.com/XyZ9876.jpg https://imgur.com/a/AbC1234
  imgur-dl -j 32 --retries 10 --timeout 60 https://imgur.com/a/AbC1234

in scripts:
  imgur-dl -i albums.txt --download-archive seen.sqlite -q   # a cron job
  grep -h imgur notes/*.md | imgur-dl -i -                   # URLs from stdin
  imgur-dl -g imgur.com/a/AbC1234 | xargs -n1 curl -O        # direct links only
  imgur-dl --json imgur.com/a/AbC1234 | jq -r 'select(.status == "failed") | .id'
  imgur-dl --write-metadata --dir '{album_date} {album_title}' --name '{num}.{ext}' URL

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


def _whole(text: str, *, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}" if least else f"cannot be negative: {text}")
    return value


def _positive_int(text: str) -> int:
    return _whole(text, least=1)


def _count(text: str) -> int:
    return _whole(text, least=0)


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
    parser.add_argument("-i", "--input-file", metavar="FILE", action="append", default=[],
                        help="read URLs from FILE, one per line ('#' comments and blank lines ignored); "
                             "'-' reads standard input")
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
        if args.fields:
            env.stdout.write("".join(f"{{{k}}}\t{v}\n" for k, v in FIELDS.items()))
            return ExitStatus.SUCCESS
        texts = list(args.urls)
        for name in args.input_file:
            texts.extend(_read_list(name, env))
        if not texts:
            raise UsageError("no URL given (try 'imgur-dl --help')")
        targets, refused = _targets(texts, env)
        options = Options(
            output=args.output, workers=args.workers, retries=args.retries, timeout=args.timeout,
            client_id=args.client_id, prefer_gif=args.gif, quiet=args.quiet,
            show_bar=env.stderr_isatty and not args.quiet,
            dir_template=Template(args.dir),
            name_template=Template(args.name) if args.name else None,
            get_urls=args.get_urls, json_lines=args.json, write_metadata=args.write_metadata,
            archive=args.download_archive,
        )
        if not targets:
            return ExitStatus.USAGE
        status = Run(options, env.stdout, env.stderr).execute(targets)
        return worst([status] + [ExitStatus.USAGE] * refused)
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
            env.stderr.write(f"imgur-dl: error: {exc}\n")
            refused += 1
            continue
        if (target.kind.value, target.id) not in seen:
            seen.add((target.kind.value, target.id))
            targets.append(target)
    return targets, refused


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
