"""imgur-dl: download whole Imgur albums fast and safely.

The command line is a thin layer over three functions::

    import imgur_dl

    for result in imgur_dl.download(["https://imgur.com/a/AbC1234"], output="pictures"):
        print(result.status.value, result.path)

    for url in imgur_dl.links(["https://imgur.com/a/AbC1234"]):
        print(url)

    for url in imgur_dl.links_in(["RC_2015-01.zst"]):
        print(url)

Everything else in the package is private and may change.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import warnings
from collections.abc import Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from imgur_dl._version import __version__

if TYPE_CHECKING:
    from os import PathLike
    from pathlib import Path
    from typing import TypeAlias

    from imgur_dl.choice import Choice
    from imgur_dl.errors import ImgurDLError, UsageError
    from imgur_dl.models import Event, Failure, Result, Status, Target
    from imgur_dl.options import Options
    from imgur_dl.scanrun import Scan

    _Path: TypeAlias = str | bytes | PathLike[str] | PathLike[bytes]  # a path, as the standard library takes one

__all__ = ["Failure", "ImgurDLError", "Options", "Result", "Status", "UsageError", "__version__", "download", "links",
           "links_in"]

_T = TypeVar("_T")

# The classes above, each imported when it is first asked for: ``import imgur_dl`` loads nothing more, so the
# command (imgur_dl.__main__) holds Ctrl-C in its own hands almost at once.
_FROM = {"ImgurDLError": "errors", "UsageError": "errors", "Failure": "models", "Result": "models",
         "Status": "models", "Options": "options"}


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"imgur_dl.{_FROM[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def download(urls: str | Iterable[str] = (), output: _Path = ".", *, scan: _Path | Iterable[_Path] | None = None,
             **options: Any) -> Iterator[Result | Failure]:
    """Download everything ``urls`` name (albums, posts, images, listings) into ``output``; with ``scan``, then
    everything the Imgur links in those files name, as they are found (``imgur-dl --scan``: see :func:`links_in`).

    Yields each file's :class:`Result` as it finishes, and a :class:`Failure`
    for a URL or listed post that gave no file at all. ``options`` are
    :class:`Options` fields (``workers=8``, ``archive=Path("seen.sqlite")``,
    ``dir_template="{album_title}"`` ...), and ``range``, ``since`` and
    ``break_on_existing`` as their flags take them (``since="2024-05-01"``, or
    ``since="7d"``; ``since`` may be a ``datetime.date`` too, its midnight in
    UTC as the flag's day, a ``datetime.datetime``, one with no zone in local
    time as Python reads it, or a ``datetime.timedelta``, back from the call).
    An option out of its bounds, or an ``output`` that cannot be a folder,
    raises :class:`UsageError` as the call is made; a URL that names nothing
    on Imgur, or ``range`` or ``since`` with no listing among the URLs, as the
    run is first iterated; either way before anything is fetched (one URL may
    be given as a string). An option of another kind (``wayback="false"``,
    ``output=None``) raises :class:`TypeError` as the call is made. Relative
    paths are taken from the working folder as the call is made. Nothing is
    printed but error lines on stderr.

    The run is made as it is iterated: one never iterated (a call written as
    a statement) does nothing, and says so as it is let go of, with a
    :class:`RuntimeWarning`, as a coroutine never awaited does.
    """
    call = _called(urls, output, options, get_urls=False, scan=scan)
    return _Iterated(_downloaded(urls, call), "download")


def _downloaded(urls: str | Iterable[str], call: _Call) -> Generator[Result | Failure, None, None]:
    from imgur_dl import packed  # noqa: PLC0415
    from imgur_dl.models import Archived, Failure, Result  # noqa: PLC0415

    for event in _events(urls, call):
        if isinstance(event, (Result, Failure)):
            yield event
        elif isinstance(event, Archived):  # (booked together: a result each, made here)
            yield from packed.archived_results(event)


def links(urls: str | Iterable[str], **options: Any) -> Iterator[str]:
    """The direct link of every file ``urls`` name, in album order, downloading nothing (``imgur-dl -g``); made as
    it is iterated, as :func:`download`'s results are."""
    call = _called(urls, ".", options, get_urls=True)
    return _Iterated(_linked(urls, call), "links")


def _linked(urls: str | Iterable[str], call: _Call) -> Generator[str, None, None]:
    from imgur_dl.models import Listed  # noqa: PLC0415

    for event in _events(urls, call):
        if isinstance(event, Listed):
            yield event.url


def links_in(files: _Path | Iterable[_Path], *, no_listings: bool = False, scan_jobs: int | None = None
             ) -> Iterator[str]:
    """The link of everything on Imgur (an album, a post, an image, a listing) that the links in ``files`` name, each
    once, as it is found: what ``imgur-dl -g --scan`` prints. Nothing is asked of Imgur.

    ``files`` are paths (one, or an iterable of them), read as the command's
    ``--scan`` reads them: text, mail, HTML, JSON, databases, archives and
    compressed files; a folder, every file below it. They are read one after
    another, in this process; with ``scan_jobs`` over one, side by side, up to
    that many at once, each in a process of its own, which multiprocessing starts
    as its "forkserver" method does: the program's main module is imported again
    there, and its code must be guarded by ``if __name__ == "__main__":``.
    ``no_listings`` leaves out links to listings (a user's posts, a tag...). A
    file that is not
    there raises :class:`UsageError` as the call is made; what reading one meets
    (cut short, a member not read) is said on stderr, as the command says it,
    and costs that file alone. Made as it is iterated, as :func:`download`'s
    results are.
    """
    call = _called((), ".", {"no_listings": no_listings, "scan_jobs": scan_jobs}, get_urls=True, scan=files)
    return _Iterated(_found(call), "links_in")


def _found(call: _Call) -> Generator[str, None, None]:
    from imgur_dl import urls  # noqa: PLC0415

    with _scanning((), call) as scanned:
        for target in scanned.targets:
            yield urls.canonical(target)


@contextlib.contextmanager
def _scanning(given: Iterable[Target], call: _Call) -> Iterator[Scan]:
    """The call's scan (:mod:`imgur_dl.scanrun`), after ``given``; what it met said on stderr once it is over (or
    given up, or interrupted), as the command says it."""
    import io  # noqa: PLC0415
    from dataclasses import replace  # noqa: PLC0415

    from imgur_dl.folders import working_folder  # noqa: PLC0415
    from imgur_dl.scanrun import scanning  # noqa: PLC0415
    from imgur_dl.text import shown, writer  # noqa: PLC0415

    # (relative paths from the folder the call was made in, whatever the program's is now; "-" is a file's name)
    moved = working_folder() != call.here
    names = [str(call.here / name) if moved else name for name in call.scan or ()]
    # (one file after another, here, unless the program asks for processes: each imports its main module again, and
    # a script's code that is not guarded by __name__ would run again in each, and end it)
    options = call.options if call.options.scan_jobs else replace(call.options, scan_jobs=1)
    scanned = scanning(names, given, options, io.BytesIO())
    try:
        yield scanned
    finally:
        scanned.targets.close()  # (its readers ended now, whatever else holds the scan)
        say = writer(shown(sys.stderr))
        for line in scanned.met():
            say(line)
        if (nothing := scanned.tally.chose_nothing(call.options.choice.choosing(_CHOOSING[:2]))) is not None:
            say(nothing)


def _files(files: object) -> list[str]:
    """The paths ``files`` gives (one, or an iterable of them), as text; :class:`UsageError` for one that is not
    there, as the call is made, as the command says it; TypeError for what is no path."""
    import os  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from imgur_dl.errors import UsageError, reason  # noqa: PLC0415

    given = [files] if isinstance(files, (str, bytes, os.PathLike)) else files
    if not isinstance(given, Iterable):
        raise TypeError(f"files: a path, or an iterable of them, not {type(files).__name__}")
    names = [_path("files", name) for name in given]
    for name in names:
        try:
            Path(name).stat()
        except OSError as exc:
            raise UsageError(f"cannot scan {name}: {reason(exc)}") from None
    return [f"./{name}" if name == "-" else name for name in names]  # (a file of that name, not standard input)


class _Iterated(Generator[_T, None, None]):
    """What :func:`download` and :func:`links` give: their run, made as it is iterated (a generator's, whose
    ``close`` stops it). One let go of before it was ever iterated warns: a call written as a statement, as a
    program in another library's manner would write it (``imgur_dl.download(urls)``), did nothing at all."""

    def __init__(self, run: Generator[_T, None, None], name: str) -> None:
        self._run = run
        self._name = name
        self._started = False

    def send(self, value: None) -> _T:
        self._started = True
        return self._run.send(value)

    def throw(self, *args: Any) -> _T:
        self._started = True
        return self._run.throw(*args)

    def close(self) -> None:
        self._started = True  # (let go of on purpose)
        self._run.close()

    def __del__(self) -> None:
        if not self._started:
            warnings.warn(f"imgur_dl.{self._name}() was never iterated, so it did nothing: its run is made as it is "
                          f"iterated (for result in imgur_dl.{self._name}(...): ...)", RuntimeWarning, stacklevel=1)


# A listing's posts chosen as --range, --since and --break-on-existing choose them: range="1-20",
# since="2024-05-01" (or an ISO 8601 time, or a span: "7d"), break_on_existing=True.
_CHOOSING = ("range", "since", "break_on_existing")


# Said before anything else is loaded, there: what keeps each file inside its folder is not (fcntl, openat).
_UNSUPPORTED = ("Windows is not supported: imgur-dl keeps every file inside its folder with POSIX's openat and "
                "O_NOFOLLOW, which Windows lacks; run it in WSL (the Windows Subsystem for Linux)")


def _unsupported() -> str | None:
    """Why imgur-dl cannot run on this system; None where it can."""
    return _UNSUPPORTED if sys.platform == "win32" else None


class _Call(NamedTuple):
    """A call's run as the call asked for it: its :class:`Options`, the working folder as the call was made, which
    its relative paths (``output``, ``archive``, the files it scans) are taken from whatever the program's is as it
    iterates, and the files it scans (None: it scans none)."""

    options: Options
    here: Path
    scan: list[str] | None = None


def _called(urls: object, output: _Path, given: dict[str, Any], *, get_urls: bool,
            scan: object = None) -> _Call:
    """The call's run, taken as the call is made: what is wrong with it is raised, and what does nothing in it is
    warned of, at the program's line that made the call (two frames up), not where the program first iterates."""
    from imgur_dl.folders import working_folder  # noqa: PLC0415

    if isinstance(urls, (bytes, bytearray)):
        raise TypeError(f"URLs are text: give a str, or an iterable of them, not {type(urls).__name__}")
    here = working_folder()
    names = None if scan is None else _files(scan)
    options, idle = _options(output, given, get_urls=get_urls, scans=names is not None)
    for line in idle:
        warnings.warn(line, UserWarning, stacklevel=3)
    return _Call(options, here, names)


def _options(output: _Path, given: dict[str, Any], *, get_urls: bool, scans: bool) -> tuple[Options, list[str]]:
    """The run's :class:`Options`, made of what a program gave, and what of them does nothing (:func:`_idle`);
    :class:`UsageError` when one cannot be taken, saying no password in it, as the command's error line says none: a
    database's address given to another option by mistake (``since=DSN``) is not repeated, nor is the error it was
    read in kept with it."""
    from imgur_dl.errors import UsageError  # noqa: PLC0415
    from imgur_dl.text import without_secrets  # noqa: PLC0415

    try:
        return _made(output, given, get_urls=get_urls, scans=scans)
    except UsageError as exc:
        raise UsageError(without_secrets(str(exc))) from None


def _made(output: _Path, given: dict[str, Any], *, get_urls: bool, scans: bool) -> tuple[Options, list[str]]:
    from dataclasses import fields, replace  # noqa: PLC0415

    from imgur_dl.errors import UsageError  # noqa: PLC0415
    from imgur_dl.naming import Template  # noqa: PLC0415
    from imgur_dl.options import Options, path_problem  # noqa: PLC0415

    if (why := _unsupported()) is not None:
        raise UsageError(why)
    # (which function, and its argument; and the three words that make up ``choice``, as the flags give them)
    known = {f.name for f in fields(Options)} - {"get_urls", "output", "archive_from"} | set(_CHOOSING)
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(unknown)} (see imgur_dl.Options)")
    from imgur_dl.parser import check_output  # noqa: PLC0415

    for name in ("dir_template", "name_template"):
        if isinstance(given.get(name), str):
            given = {**given, name: Template(given[name], name)}
    # (None, as a caller passes an argument of its own through, is as not given)
    chosen = {name: given[name] for name in _CHOOSING if given.get(name) is not None}
    given = {name: value for name, value in given.items() if name not in _CHOOSING}
    if chosen:
        if "choice" in given:
            raise TypeError(f"{', '.join(chosen)}: give these or choice, not both")
        given["choice"] = _choice(chosen)
    output = _path("output", output)
    if given.get("archive") is not None:
        given = {**given, "archive": _archive(_path("archive", given["archive"]))}
    # (as with the command's -o: "" is not the current folder in silence, nor " " a folder of that name)
    if (blank := path_problem(output)) is not None:
        raise UsageError(f"output: {blank}")
    folder = _home("output", output)
    default = Options()
    options = replace(default, output=folder, get_urls=get_urls, **given)
    if not get_urls:
        check_output(options.output)  # (as the command line does: said before any request)
    return options, _idle(options, default, scans=scans)


# What only a download uses (links() downloads nothing), and what only a scan uses: given, said to do nothing, as
# the command says it of its flags (a program that means it learns it does not).
_DOWNLOADS_ONLY = ("write_metadata", "wayback", "no_skip", "limit_rate", "dedupe", "dates", "xattrs")
_SCANS_ONLY = ("no_listings", "scan_jobs")


def _idle(options: Options, default: Options, *, scans: bool) -> list[str]:
    """What ``options`` were given (unlike ``default``) that does nothing in this call, and why: a line for each
    reason, none where each means something."""
    call = "links" if options.get_urls else "download"
    lines = []
    for names, why in ((_DOWNLOADS_ONLY if options.get_urls else (), "links() downloads nothing"),
                       (() if scans else _SCANS_ONLY, "only a scan reads files: links_in(), download(scan=...)"),
                       (() if options.share_work else ("lease",), "it is how long a claim of share_work lasts")):
        if idle := [name for name in names if getattr(options, name) != getattr(default, name)]:
            lines.append(f"imgur_dl.{call}(): {', '.join(idle)} {'does' if len(idle) == 1 else 'do'} nothing: {why}")
    return lines


def _path(name: str, value: object) -> str:
    """A path given as the standard library takes one (a str, bytes, an os.PathLike), as text (bytes decoded as the
    system decodes a name); TypeError for any other kind (None is no folder named "None")."""
    import os  # noqa: PLC0415

    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{name}: a path is a str, bytes or os.PathLike, not {type(value).__name__}")
    return os.fsdecode(value)


def _archive(location: str) -> str:
    """An archive's ``location`` as the command takes it: a file's path with a leading ``~`` expanded, as the
    command's --download-archive=~/seen.sqlite is (where no shell would); anything else as given (no database's
    address starts with one)."""
    return str(_home("archive", location)) if location.startswith("~") else location


def _home(name: str, path: str) -> Path:
    """``path`` (the option ``name``'s) with a leading ``~`` expanded, as the command expands it; :class:`UsageError`,
    named for the option, where that names no home."""
    from imgur_dl.errors import UsageError  # noqa: PLC0415
    from imgur_dl.parser import home_expanded  # noqa: PLC0415

    try:
        return home_expanded(path)
    except UsageError as exc:
        raise UsageError(f"{name}: {exc}") from None


def _choice(chosen: dict[str, Any]) -> Choice:
    """The posts of a listing ``chosen`` (``range``, ``since``, ``break_on_existing``) choose, as their flags do."""
    from datetime import date, timedelta  # noqa: PLC0415

    from imgur_dl.choice import Choice, parse_range, since_seconds  # noqa: PLC0415
    from imgur_dl.clock import Clock  # noqa: PLC0415
    from imgur_dl.errors import UsageError  # noqa: PLC0415

    for name, kinds, wanted in (("range", (str,), "a str, as its flag takes"),
                                ("since", (str, date, timedelta),
                                 "a str, as its flag takes, or a date, datetime or timedelta"),
                                ("break_on_existing", (bool,), "a bool, as its flag takes")):
        if name in chosen and not isinstance(chosen[name], kinds):
            raise UsageError(f"{name}: must be {wanted} ({chosen[name]!r})")
    read: dict[str, Any] = {}
    now = Clock().time()  # (a span, "7d" or a timedelta, is back from the call)
    for name, reading in (("range", parse_range), ("since", lambda value: since_seconds(value, now))):
        try:
            read[name] = reading(chosen[name]) if name in chosen else None
        except UsageError as exc:  # (named as the flag's are: "argument --since: ...")
            raise UsageError(f"{name}: {exc}") from None
    return Choice(read["range"] or (), read["since"], chosen.get("break_on_existing", False))


def _events(urls: str | Iterable[str], call: _Call) -> Iterator[Event]:
    import sys  # noqa: PLC0415

    from imgur_dl import urls as parser  # noqa: PLC0415
    from imgur_dl.build import build_run  # noqa: PLC0415
    from imgur_dl.errors import Terminated  # noqa: PLC0415
    from imgur_dl.given import Given  # noqa: PLC0415

    given = [urls] if isinstance(urls, str) else list(urls)
    for url in given:
        if not isinstance(url, str):
            raise TypeError(f"a URL is a str, not {type(url).__name__}: {url!r}")
    targets = Given()  # (repeats dropped as the command line drops them: what each names, not how it is written)
    for url in given:
        for target in parser.parse_all(url):
            targets.add(target)
    if call.scan is None:  # (a scan's listings are found as it reads: whether any was is said once it is over)
        call.options.choice.check_listed(bool(targets.listings), _CHOOSING[:2])
    run = build_run(call.options, sys.stderr, here=call.here)
    with contextlib.nullcontext(None) if call.scan is None else _scanning(targets, call) as scanned:
        yield from run.events(targets if scanned is None else scanned.targets)
    if run.tally.interrupted:  # (Ctrl-C ended the run, its last results given: the caller hears of it too)
        raise Terminated if run.tally.ended_by else KeyboardInterrupt
