"""Every default in one place, importable without the network stack (the CLI reads them first)."""

from __future__ import annotations

from collections.abc import Mapping

from imgur_dl._version import __version__

# The public client id of Imgur's own web front end; --client-id overrides it.
DEFAULT_CLIENT_ID = "546c25a59c58ad7"
# Imgur's CDN answers "429 Unknown Error" to any User-Agent naming
# python-requests (bulk-downloader-for-reddit #864, fixed in its PR #810), so
# imgur-dl names itself only. --user-agent replaces it.
USER_AGENT = f"imgur-dl/{__version__}"
DEFAULT_WORKERS = 64  # chosen from the benchmark, safe with the adaptive throttle: docs/benchmarks.md
# Files in flight as a run starts, before the CDN has answered any: a browser's connections to one host,
# what a CDN that serves a website takes from one visitor. The throttle makes it four times as many each
# clean round trip in which requests did not queue.
START_WORKERS = 6
# Files --scan reads at once by default, at the most: a reader is a process of some 20 MB, and one reading a file
# it must hold whole (a 7-Zip archive on a pipe) up to 256 MiB more; more than this is asked for (--scan-jobs).
DEFAULT_SCAN_JOBS = 8
MAX_SCAN_JOBS = 1024  # files read at once by --scan, each a process: past a machine's cores, only memory
MAX_WORKERS = 128  # past this, more threads only cost memory and start-up (docs/benchmarks.md)
DEFAULT_TIMEOUT = 20.0  # seconds without data before an attempt is given up
MAX_TIMEOUT = 3600.0  # an hour without a byte is a dead connection
DEFAULT_RETRIES = 5  # attempts after the first, for failures that may pass
MAX_RETRIES = 100  # with backoffs of up to 30 s between them, some 50 minutes for one file at the most
DEFAULT_LEASE = 300.0  # seconds a claim (--share-work) lasts unless renewed
# The largest file accepted when the API gives no size (a larger size the server states is refused):
# Imgur takes uploads of up to 200 MB (videos, GIFs).
DEFAULT_MAX_SIZE = 512 * 1024 * 1024  # 512M, as --max-file-size counts


def environ_proxy(environ: Mapping[str, str], scheme: str) -> tuple[str, str]:
    """The variable that names the proxy for ``scheme`` (``https``), and its value: the scheme's own, else
    ALL_PROXY, lower case first (as curl and requests read them); empty when none does."""
    for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY"):
        if environ.get(name):
            return name, environ[name]
    return "", ""

