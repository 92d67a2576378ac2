"""The least a Python program does to download an Imgur album: a floor to measure imgur-dl against.

It starts, imports urllib3, asks the API for the album once (the request
imgur-dl sends, docs/imgur-requests.md row 1), and fetches every file the
answer lists, ``-j`` at once on a thread pool, each streamed to a ``.part``,
fsynced and renamed (as imgur-dl keeps a file whole under its final name). Nothing else: no
checks of what a server sends, no retries, no names from templates, no
archive, no progress. It is not a tool (a hostile answer can make it write
anywhere a file name says); it only measures, on the benchmark's stand-in,
what the Python interpreter, its TLS and HTTP stack and the file system
cost for the same work, so that a gap between imgur-dl and a native
downloader can be split into what Python costs and what imgur-dl adds.

    python benchmarks/floor.py [-j N] -o OUT URL

Reaches the stand-in as imgur-dl does: ``HTTPS_PROXY`` and ``REQUESTS_CA_BUNDLE``.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import urllib3

CLIENT_ID = "546c25a59c58ad7"  # imgur_dl.defaults.DEFAULT_CLIENT_ID (not imported: its import is not the floor's)
USER_AGENT = "imgur-dl-floor/1"  # (the CDN refuses a request naming none, or python-requests)
CHUNK = 256 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", type=int, default=64, help="files at once")
    parser.add_argument("-o", required=True, type=Path, help="where the files go")
    parser.add_argument("url", help="https://imgur.com/a/<id>")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE"))
    proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    options = {"maxsize": args.j, "ssl_context": context, "headers": {"User-Agent": USER_AGENT}}
    http = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
    album = args.url.rstrip("/").rsplit("/", 1)[1]
    answer = http.request("GET", f"https://api.imgur.com/post/v1/albums/{album}",
                          fields={"include": "media,tags,account"},
                          headers={"User-Agent": USER_AGENT, "Accept": "application/json",
                                   "Authorization": f"Client-ID {CLIENT_ID}"})
    if answer.status != 200:
        print(f"the API answered {answer.status}", file=sys.stderr)
        return 1
    urls = [item["url"] for item in json.loads(answer.data)["media"]]
    args.o.mkdir(parents=True, exist_ok=True)

    def fetch(url: str) -> bool:
        target = args.o / url.rsplit("/", 1)[1]
        part = target.with_name(target.name + ".part")
        response = http.request("GET", url, preload_content=False)
        try:
            if response.status != 200:
                return False
            with part.open("wb") as out:
                for chunk in response.stream(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            part.replace(target)
            return True
        finally:
            response.release_conn()

    failed = 0
    with ThreadPoolExecutor(max_workers=args.j) as pool:  # a few files a thread queued, as imgur-dl queues them:
        pending: set[Future[bool]] = set()  # (all at once, a 30,000-file album's futures alone cost 30 MB)
        for url in urls:
            if len(pending) >= 4 * args.j:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                failed += sum(not f.result() for f in finished)
            pending.add(pool.submit(fetch, url))
        failed += sum(not f.result() for f in pending)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
