"""The ``imgur-dl`` command: parse arguments, run, map every outcome to an exit code."""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NoReturn, TextIO

from imgur_dl import credentials, labels, signals, urls
from imgur_dl.archive import MOST_LISTED, open_store
from imgur_dl.archive_place import DEFAULT_TABLE, absent
from imgur_dl.choice import Choice
from imgur_dl.clock import Clock
from imgur_dl.defaults import DEFAULT_LEASE, environ_proxy
from imgur_dl.errors import (
    ArchiveUnavailable,
    Cancelled,
    HungUp,
    ImgurDLError,
    OutputClosed,
    OutputError,
    Terminated,
    UsageError,
    blamed,
)
from imgur_dl.given import Given
from imgur_dl.lists import Listed, read_list
from imgur_dl.models import Target
from imgur_dl.naming import FIELDS, FILE_FIELDS, Template
from imgur_dl.options import NEEDS_ARCHIVE, Options, proxy_problem
from imgur_dl.output import Stdout
from imgur_dl.parser import build_parser, check_output, from_environment, show
from imgur_dl.status import ExitStatus, worst
from imgur_dl.text import ERROR_PREFIX, WARNING_PREFIX, counted, joined, printable, shown, without_secrets, writer


@dataclass
class Environment:
    """The streams, settings and clock a run sees; tests make their own."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin or io.StringIO())  # (<&-: None in sys)
    stdin_closed: bool = field(default_factory=lambda: sys.stdin is None)  # (<&-: nothing can be read)
    # (A stream closed when the program starts, ``2>&-``, is None in sys: its lines go nowhere.)
    stdout: TextIO = field(default_factory=lambda: sys.stdout or _Closed())
    stderr: TextIO = field(default_factory=lambda: shown(sys.stderr))  # (None there: its lines are dropped)
    stderr_isatty: bool = field(default_factory=lambda: sys.stderr is not None and sys.stderr.isatty())
    stdout_closed: bool = field(default_factory=lambda: sys.stdout is None)  # (>&-: nothing can be written)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Clock = field(default_factory=Clock)


NO_URL = "no URL given (try 'imgur-dl --help')"
# (``echo URL | imgur-dl``, as some downloaders read their standard input: this one reads it when asked)
NO_URL_PIPED = "no URL given (URLs on standard input are read with -i -, or --scan - for links in any text)"


def _piped(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a pipe or a file (something given on it), not a terminal, /dev/null, or none."""
    try:
        mode = os.fstat(stream.fileno()).st_mode if stream is not None else 0
    except (OSError, ValueError):  # (io.UnsupportedOperation is both: a stream with no descriptor)
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


class _Closed(io.StringIO):
    """Standard output closed before the start (``>&-``): what is written there fails as it would (``ls
    --version >&-`` says so too), and is named in one line."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "it is closed")


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run ``imgur-dl`` with ``argv``; return the exit status. Never raises."""
    env = env or Environment()
    env = replace(env, stderr=shown(env.stderr))  # lines no one can see never end a run
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(env.environ)
        parser.out = env.stdout
        try:
            args = parser.parse(argv)
        except SystemExit as exc:  # --help, --version
            return int(exc.code or 0)
        if args.fields or args.fleet:
            return _fleet(args, env) if args.fleet else _fields(env)
        if not (args.urls or args.input_file or args.scan):
            raise UsageError(NO_URL_PIPED if _piped(env.stdin) else NO_URL)
        options = _options(args, env)  # (before a list is read: a million lines take seconds, a pipe longer)
        targets, refused = _targets([(None, args.urls), *(read_list(name, env.stdin) for name in args.input_file)], env)
        if not targets and not refused and not args.scan:
            raise UsageError(NO_URL)  # (lists that hold none)
        if options.token is None and (mine := targets.needs_token) is not None:
            raise UsageError(f"{mine.url}: only your own access token can list this: give --cookies FILE "
                             "or IMGUR_ACCESS_TOKEN (see README, 'Your own account')")
        if args.scan:
            return worst([_scan(args.scan, targets, options, env)] + [ExitStatus.USAGE] * refused)
        if not targets:
            return ExitStatus.USAGE
        _check_listing_choices(args, options, targets)
        return worst([_download(options, targets, env, _looking_up(targets))] + [ExitStatus.USAGE] * refused)
    except OutputClosed as exc:
        return exc.exit_status  # quietly, as other Unix tools end when their reader goes away
    except ImgurDLError as exc:
        _error(env, str(exc))
        return exc.exit_status
    except (KeyboardInterrupt, Cancelled) as exc:
        writer(env.stderr)("imgur-dl: interrupted")
        return exc.exit_status if isinstance(exc, Terminated) else ExitStatus.INTERRUPTED
    except Exception as exc:
        if debug:
            raise
        _error(env, f"unexpected {type(exc).__name__}: {exc} (--debug shows more)")
        return ExitStatus.FAILED


# What only a download does: given with -g, said to do nothing (a script that means it learns it does not).
DOWNLOADS_ONLY = (("write_metadata", "--write-metadata"), ("wayback", "--wayback"), ("no_skip", "--no-skip"),
                  ("limit_rate", "--limit-rate"), ("dedupe", "--dedupe"), ("no_mtime", "--no-mtime"),
                  ("xattrs", "--xattrs"))


# What only means something beside another option: given without it, said.
ONLY_BESIDE = (("lease", "share_work", "--lease is for --share-work (how long a claim lasts)"),
               ("no_listings", "scan",
                "--no-listings is for --scan (the links it finds to listings); a listing given is read"),
               ("scan_jobs", "scan", "--scan-jobs is for --scan (the files it reads at once)"))


def _options(args: argparse.Namespace, env: Environment) -> Options:
    """Every option checked, before any request."""
    for name, flag, why in NEEDS_ARCHIVE:
        if getattr(args, name) and args.download_archive is None:
            raise UsageError(f"{flag} needs --download-archive ({why})")
    if args.share_work and args.get_urls:
        raise UsageError("--share-work divides downloads, and -g downloads nothing: its claims would mark work "
                         "done that no process did")
    if args.xattrs and (unsettable := labels.unsettable()) is not None:
        raise UsageError(f"--xattrs: {unsettable}")
    for name, beside, message in ONLY_BESIDE:
        if getattr(args, name) not in (None, False) and not getattr(args, beside):
            raise UsageError(message)
    if (reads := [*args.input_file, *args.scan].count("-")) > 1:
        raise UsageError("standard input ('-') can be read once: give it to one -i or --scan")
    if reads and env.stdin_closed:
        raise UsageError("cannot read standard input ('-'): it is closed")
    if args.archive_table != DEFAULT_TABLE and args.download_archive is None:
        raise UsageError("--archive-table is for --download-archive (the table it keeps its records in)")
    named = from_environment(args, env.environ)
    if not args.get_urls:
        blamed(named.get("output"), lambda: check_output(args.output))
    elif idle := [flag for name, flag in DOWNLOADS_ONLY if getattr(args, name)]:
        writer(env.stderr)(f"{WARNING_PREFIX}-g downloads nothing: {joined(idle)} "
                           f"{'does' if len(idle) == 1 else 'do'} nothing with it")
    _check_environ_proxy(args.proxy, env.environ)
    if env.stdout_closed and (args.get_urls or args.json):
        raise OutputError("cannot write to standard output: it is closed (what -g and --json print goes there)")
    return Options(
        output=args.output, workers=args.workers, retries=args.retries, timeout=args.timeout,
        client_id=args.client_id, prefer_gif=args.gif, quiet=args.quiet,
        show_bar=env.stderr_isatty and not args.quiet,
        dir_template=Template(args.dir, "--dir"),
        name_template=Template(args.name, "--name") if args.name is not None else None,
        get_urls=args.get_urls, json_lines=args.json, no_listings=args.no_listings, scan_jobs=args.scan_jobs,
        write_metadata=args.write_metadata,
        archive=args.download_archive, archive_from=named.get("download_archive"), archive_table=args.archive_table,
        share_work=args.share_work,
        lease=args.lease or DEFAULT_LEASE, wayback=args.wayback, user_agent=args.user_agent,
        choice=Choice(args.range or (), args.since and args.since.at(env.clock.time()), args.break_on_existing),
        proxy=args.proxy, verbose=args.verbose, no_skip=args.no_skip, limit_rate=args.limit_rate or 0.0,
        max_size=args.max_file_size, debug=args.debug, dates=not args.no_mtime, dedupe=args.dedupe,
        xattrs=args.xattrs,
        min_speed=float(args.min_speed), speed_time=args.speed_time,
        token=credentials.token(env.environ, args.cookies, writer(env.stderr), env.clock.time()),
    )


def _check_environ_proxy(given: str | None, environ: Mapping[str, str]) -> None:
    """The proxy the environment names for HTTPS, checked as --proxy is (a bare host:port is an http:// proxy,
    as for any requests program): one line now, not a run of retries against what no request can reach."""
    name, value = environ_proxy(environ, "https")
    if given is None and name and (problem := proxy_problem(value if "://" in value else f"http://{value}")):
        # (ALL_PROXY often names a SOCKS proxy set for other programs: the way on is the user's to choose)
        hint = (" (imgur-dl goes through http:// and https:// proxies only: set HTTPS_PROXY or --proxy to one, or "
                f"{name}= to go without)") if name.lower() == "all_proxy" else ""
        raise UsageError(f"{name}: {problem}{hint}")


def _check_listing_choices(args: argparse.Namespace, options: Options, targets: Given) -> None:
    """--range and --since choose a listing's posts: with no listing to choose from on the command line, an
    album's files would all be fetched while the user asked for some (gallery-dl's --range picks files). A list
    (-i) may hold no listing tonight and one tomorrow: a nightly job is not failed for it. (--break-on-existing
    only saves a sync some reading: nothing is fetched that it would have kept out.)"""
    if not args.input_file:
        options.choice.check_listed(bool(targets.listings))


def _fields(env: Environment) -> ExitStatus:
    """``--fields``: the template fields, one a line (a file's own said to be for --name alone)."""
    show(env.stdout, "".join(f"{{{k}}}\t{v}{' (--name only)' if k in FILE_FIELDS else ''}\n"
                             for k, v in FIELDS.items()))
    return ExitStatus.SUCCESS


def _fleet(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """``--fleet``: what the processes sharing the archive have done, are doing and failed, as JSON."""
    if args.download_archive is None:
        raise UsageError("--fleet needs --download-archive (the fleet's claims are kept there)")
    if args.urls or args.input_file or args.scan:
        raise UsageError("--fleet downloads nothing: give it no URLs")
    if absent(args.download_archive):
        raise UsageError(f"--fleet: there is no archive at {args.download_archive} (none is made to report on)")
    store = blamed(from_environment(args, env.environ).get("download_archive"),
                   lambda: open_store(args.download_archive, args.archive_table, writes=False, claims=True))
    try:
        state = store.fleet(MOST_LISTED)
    except ArchiveUnavailable as exc:
        raise ImgurDLError(f"{store.location}: {exc}") from None
    finally:
        store.close()
    Stdout(env.stdout, json_lines=True).document(state.as_json())
    return ExitStatus.SUCCESS


def _scan(names: list[str], given: Given, options: Options, env: Environment) -> ExitStatus:
    """``--scan``: the targets of every Imgur link in the files, fetched (or with -g listed) as they are read."""
    from imgur_dl.scanrun import scanning  # noqa: PLC0415 - only --scan needs it

    stdin = getattr(env.stdin, "buffer", None) or io.BytesIO(env.stdin.read().encode("utf-8", "surrogateescape"))
    scan = scanning(names, given, options, stdin)

    def told() -> None:
        """What the scan met, once it is over (before a run's summary, which stays the last line); or up to there,
        once it is interrupted."""
        for line in scan.met() + ([] if options.quiet else scan.summary(options.choice.choosing())):
            writer(env.stderr)(line)

    if options.get_urls:  # a link extractor on its own: nothing is asked of Imgur
        out = Stdout(env.stdout, json_lines=False)
        try:
            for target in scan.targets:
                out.link(urls.canonical(target))
        except (KeyboardInterrupt, Cancelled):  # (Ctrl-C, SIGTERM: what was met and read up to there, then the end)
            told()
            raise
        told()
        status = ExitStatus.SUCCESS
    else:
        status = _download(options, scan.targets, env, f"scanning {counted(len(names), 'file')} for Imgur links",
                           told)
    return worst([status, scan.exit_status])


def _download(options: Options, targets: Iterable[Target], env: Environment, start: str,
              told: Callable[[], None] = lambda: None) -> ExitStatus:
    """The run itself: every event on stdout as it happens, the summary on stderr. ``start``: its first line;
    ``told``: what else is said once the run is over, before its summary."""
    if options.show_bar:  # at once, before the network stack is even imported
        writer(env.stderr)(f"imgur-dl: {start}...")
    from imgur_dl.build import build_run  # noqa: PLC0415 - imported after the first line is on the screen

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
    told()
    if not (options.get_urls or options.quiet):
        writer(env.stderr)(run.summary())
    return run.exit_status


HELD_MOST = 1000  # a compressed list's refusals held until it is read whole (the rest are said as they come)


def _targets(texts: Iterable[tuple[Listed | None, Iterable[str]]], env: Environment) -> tuple[Given, int]:
    """Every URL parsed before anything is fetched (each as it is read), the distinct ones kept packed.

    A URL that names nothing we can fetch gets one line on stderr, saying where it was (``list.txt:12: ``, as
    compilers and grep say it); the others still run, and the exit status says some input was refused. A compressed
    list's lines are said once it is read whole (up to :data:`HELD_MOST` of them): one that turns out spoilt (its
    check fails at its end) is said in one line, not in a line for each line of what its spoilt data decoded to.
    """
    targets = Given()
    refused = 0
    for source, given in texts:  # (the command line's, then each list's, each URL as it is read)
        held: list[str] | None = []  # (a compressed list's refusals, said once it is read whole; None: too many)
        try:
            for text in given:
                try:
                    named = urls.parse_all(text)
                except UsageError as exc:
                    refused += 1
                    said = ("" if source is None else source.where()) + str(exc)
                    if held is None or source is None or not source.compressed:
                        _error(env, said)
                    elif len(held) < HELD_MOST:
                        held.append(said)
                    else:  # (said from here on as they come)
                        for line in (*held, said):
                            _error(env, line)
                        held = None
                    continue
                for target in named:
                    targets.add(target)
        except UsageError as exc:  # (the list could not be read to its end: what its lines said is not trusted)
            if held:
                were = "was not an Imgur URL" if len(held) == 1 else "were not Imgur URLs"
                raise UsageError(f"{exc} (and {counted(len(held), 'line')} read before it {were}: not named one by "
                                 "one, as its data is spoilt)") from None
            raise
        for line in held or ():
            _error(env, line)
    return targets, refused


def _looking_up(targets: Given) -> str:
    """What the run starts with, for a person at a terminal: 'looking up 3 albums', ..."""
    listings = targets.listings
    albums = len(targets) - listings
    parts = []
    if listings:
        parts.append(f"reading {counted(listings, 'listing')}")
    if albums:
        parts.append(f"looking up {counted(albums, 'album')}")
    return " and ".join(parts)


def _error(env: Environment, message: str) -> None:
    """``imgur-dl: error: <message>`` on stderr, escaped, in any encoding (before a run's own display exists); any
    password in it shown as ``***`` (argparse repeats a value it cannot take: a database's address given to another
    option by mistake, ``--lease postgresql://me:secret@db/imgur``)."""
    writer(env.stderr)(printable(ERROR_PREFIX + without_secrets(message)))


def _terminate(_signal: int, _frame: object) -> None:
    raise Terminated


def _hang_up(_signal: int, _frame: object) -> None:
    raise HungUp


def handle_signals() -> None:
    """SIGTERM, and SIGHUP unless it is ignored (``nohup``), handled as Ctrl-C: part files kept for a rerun,
    finished files recorded, claims given back, a summary (where it can still be seen)."""
    signal.signal(signal.SIGTERM, _terminate)
    hangup = getattr(signal, "SIGHUP", None)  # (not on Windows)
    if hangup is not None and signal.getsignal(hangup) is signal.SIG_DFL:
        signal.signal(hangup, _hang_up)


def run() -> NoReturn:
    """The console script."""
    handle_signals()
    status = main()
    signals.default()  # (the run is over: a signal now ends the process at once, not with a traceback in its teardown)
    if status == ExitStatus.PIPE_CLOSED and sys.stdout is not None:
        # Nothing more reaches the reader; the interpreter's last flush must not complain about it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if status in (ExitStatus.INTERRUPTED, ExitStatus.TERMINATED, ExitStatus.HANGUP) and threading.active_count() > 1:
        # Workers still inside a connect() would hold the exit up until their
        # timeout; every file they touch is a .part, so leaving now is safe.
        for stream in (sys.stdout, sys.stderr):  # (either may be closed: `>&-`, a reader gone)
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
        os._exit(status)
    sys.exit(status)
