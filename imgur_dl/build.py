"""Building a run: every collaborator made once, from the options, and handed to :class:`~imgur_dl.run.Run`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

from imgur_dl import openfiles, threads, wayback
from imgur_dl.api import ImgurApi
from imgur_dl.apiclient import ApiClient
from imgur_dl.archive import open_archive
from imgur_dl.archive_place import absent, check_place, in_folder
from imgur_dl.auth import BearerToken, ClientId
from imgur_dl.body import Speed
from imgur_dl.books import Books
from imgur_dl.cancel import Cancel
from imgur_dl.clock import Clock
from imgur_dl.downloader import Downloader
from imgur_dl.errors import blamed
from imgur_dl.folders import Folders, flush_names, name_max
from imgur_dl.heap import Trim, c_heap_release
from imgur_dl.hosts import ARCHIVE_HOSTS, MEDIA_HOSTS, redirect_target
from imgur_dl.journal import Journals
from imgur_dl.labels import Labeller
from imgur_dl.naming import GivenNames, Namer
from imgur_dl.options import Options
from imgur_dl.pacing import CDX_PER_MINUTE, REPLAY_PER_MINUTE, Pacing
from imgur_dl.planner import Planner
from imgur_dl.progress import Bar, Meter, Progress
from imgur_dl.readthrough import ReadThrough
from imgur_dl.renamed import Renamed
from imgur_dl.retry import RetryPolicy
from imgur_dl.run import Parts, Run
from imgur_dl.session import make_session
from imgur_dl.share import Sharing
from imgur_dl.signals import Deferred
from imgur_dl.standing import Standing
from imgur_dl.text import shown
from imgur_dl.throttle import RateLimit, Throttle
from imgur_dl.transfer import Transfer
from imgur_dl.wayback import Wayback

# Albums looked up at once: enough that a long list of small albums is bound by the API's latency
# over sixteen (1,000 albums, 150 ms away: 9.4 s), few enough to be a modest client. (Imgur's
# limits are credits per hour and per day, counted by budget.py, not requests in flight.)
RESOLVERS = 16


def build_run(options: Options, stderr: TextIO, environ: Mapping[str, str] | None = None,
              clock: Clock | None = None, here: Path | None = None) -> Run:
    """A run with a fresh session, API client, downloaders and archive (``environ``: proxies, CA bundle; ``here``:
    the folder relative paths are taken from, where not the working folder as the run begins)."""
    clock = clock or Clock()
    stderr = shown(stderr)  # (lines no one can see never fail a file)
    cancel = Cancel(clock)
    terminal = os.environ if environ is None else environ
    dumb = terminal.get("TERM") == "dumb"  # (Emacs' shell, an editor's console: no escape is understood there)
    progress = Bar(stderr, color="NO_COLOR" not in terminal and not dumb, escapes=not dumb) if options.show_bar \
        else Progress(stderr, quiet=options.quiet)
    # (as many as the open-file limit and the threads the system lets start have room for: -g fetches no file)
    at_once = options.workers if options.get_urls else threads.room(
        openfiles.room(options.workers, openfiles.system_limits(), progress.note), progress.note,
        bound=threads.bound())
    session = make_session(at_once, options.timeout, options.user_agent, proxy=options.proxy,
                           verbose=progress.tell if options.verbose else None, environ=environ)
    policy = RetryPolicy(retries=options.retries)
    auth = BearerToken(options.token) if options.token else ClientId(options.client_id)
    speed = Speed(options.min_speed, options.speed_time)
    client = ApiClient(session, client_id=options.client_id, auth=auth, policy=policy, cancel=cancel,
                       say=progress.note, timeout=options.timeout, speed=speed, clock=clock.now)
    api = ImgurApi(client, prefer_gif=options.prefer_gif)
    folders = Folders(options.output, name_max(options.output if here is None else here / options.output),
                      calendar=clock.time, here=here)
    rate = RateLimit(options.limit_rate, cancel, clock.now) if options.limit_rate else None
    meter = Meter(progress, rate.take if rate is not None else None)
    labeller = Labeller(progress.note) if options.xattrs else None
    disk_full = threading.Event()  # (one disk, whoever's files fill it: Imgur's or the Wayback Machine's)
    namer = Namer(options.output, options.dir_template, options.name_template, folders.name_max)
    taken = GivenNames()  # (every name this run gives out: an earlier name of a file is not one given to another now)
    renamed = Renamed(folders, namer, taken)
    # (each file saved noted as it takes its name, until album.json, or the archive's records, say it)
    journals = Journals(folders) if options.write_metadata or (options.archive and not options.get_urls) else None
    standing = Standing(folders, skip_present=not options.no_skip, renamed=renamed, journals=journals,
                        doubt_sizes=bool(options.archive))

    def downloader(workers: int, label: str = "Imgur", place: str = "on Imgur", hosts: frozenset[str] = MEDIA_HOSTS,
                   hop: Callable[[str, str], str] = redirect_target) -> Downloader:
        transfer = Transfer(session, Throttle(workers, cancel, clock.now), cancel, policy, progress, meter,
                            max_size=options.max_size, hosts=hosts, hop=hop, captures=hosts == ARCHIVE_HOSTS,
                            label=label, place=place, speed=speed,
                            clock=clock.now)
        return Downloader(transfer, folders, policy, cancel, progress, standing, label=label, dates=options.dates,
                          labeller=labeller, journals=journals, disk_full=disk_full)

    # (The archive and the claims wait on real time, not the run's clock: a database server comes back,
    # and leases run out, on its own time.)
    # (-g makes nothing: an archive file that is not there yet is read as empty, not made)
    # Signals are noted while the run is under way, and acted on where it looks (imgur_dl.signals); one noted
    # while the archive's server does not answer ends the wait for it.
    signals = Deferred()
    location = options.archive if here is None else in_folder(here, options.archive)
    archive = None
    if location and options.get_urls and absent(location):  # (its folder's absence, a typo, said all the same)
        blamed(options.archive_from, lambda: check_place(location))
    elif location:
        archive = blamed(options.archive_from, lambda: open_archive(
            location, table=options.archive_table, say=progress.note, error=progress.error,
            give_up=lambda: signals.noted, writes=not options.get_urls, claims=options.share_work,
            durable=lambda paths: flush_names(paths, folders.top, folders.here)))
    sharing = Sharing(archive, lease=options.lease, cancel=cancel, error=progress.error, say=progress.note) \
        if archive is not None and options.share_work else None
    recoverer = None
    if options.wayback:
        from_archive = downloader(wayback.WORKERS, "the Wayback Machine", "in the Wayback Machine", ARCHIVE_HOSTS,
                                  wayback.capture_redirect)
        recoverer = Wayback(session, from_archive, policy, cancel, progress.note,
                            pacing=Pacing(CDX_PER_MINUTE, cancel, clock.now),
                            replays=Pacing(REPLAY_PER_MINUTE, cancel, clock.now))
    # Albums are looked up a few at a time, while earlier ones download.
    resolver = ThreadPoolExecutor(max_workers=RESOLVERS, thread_name_prefix="imgur-dl-api")
    through = ReadThrough(archive, records=not options.get_urls, calendar=clock.time) if archive is not None else None
    planner = Planner(api, resolver, choice=options.choice, archive=archive, wayback=recoverer,
                      prefer_gif=options.prefer_gif, debug=options.debug, say=progress.note, sharing=sharing,
                      through=through)

    def close(interrupted: bool, hurry: Callable[[], bool]) -> None:
        session.close()
        if sharing is not None:
            sharing.close(interrupted=interrupted)
        if archive is not None:
            archive.close(interrupted=interrupted, hurry=hurry)

    parts = Parts(planner=planner, downloader=downloader(at_once), namer=namer,
                  books=Books(folders, archive, write_metadata=options.write_metadata, error=progress.error,
                              dedupe=options.dedupe, sharing=sharing, rows=options.json_lines, labeller=labeller,
                              journals=journals, taken=taken),
                  progress=progress, cancel=cancel, meter=meter, archive=archive, wayback=recoverer, close=close,
                  release=folders.close,
                  trim=Trim(c_heap_release(), clock.now), renamed=renamed, through=through)
    return Run(parts, workers=at_once, get_urls=options.get_urls, rows=options.json_lines, signals=signals,
               debug=options.debug)
