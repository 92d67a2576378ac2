"""imgur-dl: download whole Imgur albums fast and safely.

The command line is a thin layer over two functions::

    import imgur_dl

    for result in imgur_dl.download(["https://imgur.com/a/AbC1234"], output="pictures"):
        print(result.status.value, result.path)

    for url in imgur_dl.links(["https://imgur.com/a/AbC1234"]):
        print(url)

Everything else in the package is private and may change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from imgur_dl._version import __version__

__all__ = ["Failure", "ImgurDLError", "Options", "Result", "Status", "UsageError", "__version__", "download", "links"]

# Cheap to import (no network stack): the CLI imports this package first.
from imgur_dl.errors import ImgurDLError, UsageError
from imgur_dl.models import Archived, Event, Failure, Result, Status
from imgur_dl.options import Options


def download(urls: str | Iterable[str], output: str | Path = ".", **options: Any) -> Iterator[Result | Failure]:
    """Download everything ``urls`` name (albums, posts, images, listings) into ``output``.

    Yields each file's :class:`Result` as it finishes, and a :class:`Failure`
    for a URL or listed post that gave no file at all. ``options`` are
    :class:`Options` fields (``workers=8``, ``archive=Path("seen.sqlite")``,
    ``dir_template="{album_title}"`` ...). A URL that names nothing on Imgur,
    an option out of its bounds, or an ``output`` that cannot be a folder
    raises :class:`UsageError` before anything is fetched (one URL may be given
    as a string). Nothing is printed but error lines on stderr.
    """
    from imgur_dl import packed  # noqa: PLC0415

    for event in _events(urls, _options(output, options, get_urls=False)):
        if isinstance(event, (Result, Failure)):
            yield event
        elif isinstance(event, Archived):  # (booked together: a result each, made here)
            yield from packed.archived_results(event)


def links(urls: str | Iterable[str], **options: Any) -> Iterator[str]:
    """The direct link of every file ``urls`` name, in album order, downloading nothing (``imgur-dl -g``)."""
    from imgur_dl.models import Listed  # noqa: PLC0415

    for event in _events(urls, _options(".", options, get_urls=True)):
        if isinstance(event, Listed):
            yield event.url


def _options(output: str | Path, given: dict[str, Any], *, get_urls: bool) -> Options:
    from imgur_dl.naming import Template  # noqa: PLC0415

    known = {f.name for f in fields(Options)} - {"get_urls", "output"}  # (which function, and its argument)
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(unknown)} (see imgur_dl.Options)")
    from imgur_dl.parser import check_output  # noqa: PLC0415

    for name in ("dir_template", "name_template"):
        if isinstance(given.get(name), str):
            given = {**given, name: Template(given[name])}
    options = replace(Options(), output=Path(output).expanduser(), get_urls=get_urls, **given)
    if not get_urls:
        check_output(options.output)  # (as the command line does: said before any request)
    return options


def _events(urls: str | Iterable[str], options: Options) -> Iterator[Event]:
    import sys  # noqa: PLC0415

    from imgur_dl import urls as parser  # noqa: PLC0415
    from imgur_dl.build import build_run  # noqa: PLC0415
    from imgur_dl.errors import Terminated  # noqa: PLC0415

    targets = list(dict.fromkeys(parser.parse(url) for url in ([urls] if isinstance(urls, str) else urls)))
    run = build_run(options, sys.stderr)
    yield from run.events(targets)
    if run.tally.interrupted:  # (Ctrl-C ended the run, its last results given: the caller hears of it too)
        raise Terminated if run.tally.terminated else KeyboardInterrupt
