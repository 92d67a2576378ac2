"""A stand-in for Imgur's servers, on 127.0.0.1 only.

It plays ``api.imgur.com``, ``i.imgur.com`` and ``imgur.com`` over HTTPS, and
is reached the way a user behind a corporate proxy reaches Imgur: it *is* the
proxy (``HTTPS_PROXY=http://127.0.0.1:<port>``), answers ``CONNECT`` and
terminates TLS with certificates from a test CA (``REQUESTS_CA_BUNDLE``).

Its answers follow what real Imgur sends: the ``/post/v1`` and ``/3`` JSON
shapes, error bodies, rate-limit headers, ``Content-Length``, ``ETag`` and
``Range`` support on the CDN, and the redirect of deleted images to
``/removed.png``. On top of that it can inject faults per path and attempt
(429, 503, resets mid-body, stalls, over-capacity answers, a cap on requests
in flight) and shape the network (latency, per-connection and link rates),
and turn hostile (``Fault`` kinds below): lying lengths, endless bodies,
off-host redirects, escape sequences, huge and deep JSON.

Where real Imgur is strict, so is the stand-in; each behaviour names its
public record:

- i.imgur.com answers ``429 Unknown Error`` to a User-Agent naming
  python-requests, or none, while the API answers it
  (bulk-downloader-for-reddit #864; its PR #810 switched to curl's UA).
- i.imgur.com redirects a direct link to the image's web page when the
  request looks like a browser's page load (``Accept: text/html``)
  (ShareX #1652; DavidBuchanan314/tweetable-polyglot-png #12).
- The v1 API lists media only when asked with ``include=media`` (every
  recorded call of gallery-dl's extractor asks for it: gallery-dl #2557,
  #4249 show ``?include=media,...``); an album with no visible media answers
  200 without a ``media`` key (gallery-dl #2557).
- Hidden (mature) posts: the API answers 404 while i.imgur.com still serves
  the file (gallery-dl #4249; bulk-downloader-for-reddit #869).
- An animated GIF's MP4 rendition may not exist: 404 (ArchiveTeam imgur-grab
  PR #6).
- Region blocks: since 2025-09-30 Imgur serves UK visitors one 336x478 PNG,
  "Content not viewable in your region", for every file
  (help.imgur.com "Imgur access in the United Kingdom"; the 336x478 image in
  Pugmatt/BedrockConnect #682); banned countries get ``400`` with
  ``Banned country attempt (XX)`` from the v3 API (ShareX #3466).
- i.imgur.com sends a request whose ``Referer`` is another site to the
  image's page (hotlink protection: ShareX #1652, "it does not clear your
  referral, that can still have an effect on the result").
- As the proxy, it can ask for credentials: ``CONNECT`` without the
  ``Proxy-Authorization`` it wants is answered ``407`` with a
  ``Proxy-Authenticate`` challenge (RFC 9110, 11.7.1 and 15.5.8; Squid's
  ``proxy_auth`` ACLs do so), and it can refuse a tunnel to a host it blocks
  with ``403`` (as it always refuses hosts other than Imgur's).
- imgur.com's web front end answers 200 with its page shell for any post id,
  missing ones included: it renders "not found" in the browser from the API's
  answer (gallery-dl #4249: the page shows a 404 *picture*).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import _SocketWriter  # type: ignore[attr-defined]
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

HOSTS = ("api.imgur.com", "i.imgur.com", "imgur.com", "www.imgur.com", "m.imgur.com", "web.archive.org", "archive.org")
ARCHIVE_HOSTS = ("web.archive.org", "archive.org")
CLIENT_IDS = {"546c25a59c58ad7"}
LAST_MODIFIED = "Fri, 17 May 2024 12:34:56 GMT"  # what the CDN says of every file's last change


def _png(width: int, height: int, size: int | None = None) -> bytes:
    """A PNG of ``width`` x ``height`` (grey), padded with a comment chunk to ``size`` bytes."""
    import struct  # noqa: PLC0415
    import zlib  # noqa: PLC0415

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    tail = chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    if size is not None:
        head += chunk(b"tEXt", b"c\x00" + b"x" * max(0, size - len(head) - len(tail) - 14))
    return head + tail


# Imgur's removed.png: a 161x81 image of 503 bytes.
REMOVED_PNG = _png(161, 81, 503)
_MAGIC = {"jpg": b"\xff\xd8\xff\xe0", "jpeg": b"\xff\xd8\xff\xe0", "png": b"\x89PNG\r\n\x1a\n",
          "gif": b"GIF89a", "mp4": b"\x00\x00\x00\x18ftypmp42"}
_MIME = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
         "mp4": "video/mp4"}
CREATED = "2024-05-17T12:34:56Z"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SITE_SHELL = (b"<!doctype html><html><head><title>Imgur: The magic of the Internet</title></head>"
              b"<body><div id=\"root\"></div><script src=\"/desktop-assets/js/main.js\"></script></body></html>")


REGION_PNG = _png(336, 478)  # the PNG Imgur serves for every file in a region it blocks
NOT_FOUND_PAGE = (b"<!doctype html><html><head><title>imgur: the simple 404 page</title></head>"
                  b"<body>Zoinks! You've taken a wrong turn.</body></html>")


def fake_bytes(seed: str, size: int, ext: str) -> bytes:
    """Deterministic file content of ``size`` bytes that starts like a real ``ext`` file."""
    magic = _MAGIC.get(ext, b"")
    body = random.Random(seed).randbytes(max(0, size - len(magic)))
    return (magic + body)[:size]


@dataclass
class Image:
    id: str
    data: bytes
    ext: str = "jpeg"  # as the v1 API spells it
    title: str = ""
    description: str = ""
    width: int = 640
    height: int = 480
    animated: bool = False
    mp4: bytes | None = None  # an animated GIF's MP4 rendition
    removed: bool = False  # listed by the API, but the CDN answers removed.png
    in_gallery: bool = False
    reported_size: int | None = None  # what the API says, when it is not the truth
    hidden: bool = False  # a mature post: the API answers 404, the CDN still serves the file
    owner: str | None = None  # whose it is: a hidden one is shown to its owner's access token
    mature: bool = False  # (with hidden) shown to any account's access token, as to a mature-enabled account
    datetime: int = 1715949296  # upload time (epoch seconds), as v3 answers give it
    no_mp4: bool = False  # an animation whose MP4 rendition answers 404
    name: str = ""  # the uploader's file name (post/v1 media "name")
    etag: str | None = None  # the CDN's ETag when it is not the body's MD5 (a multipart upload's, say)

    @property
    def size(self) -> int:
        return len(self.data) if self.reported_size is None else self.reported_size

    @property
    def mime(self) -> str:
        return _MIME[self.ext]

    def rendition(self, ext: str) -> tuple[bytes, str] | None:
        """(body, content type) that i.imgur.com serves for ``<id>.<ext>``."""
        if ext == "mp4":
            if self.no_mp4:
                return None
            if self.mp4 is not None:
                return self.mp4, "video/mp4"
            return (self.data, "video/mp4") if self.ext == "mp4" else None
        if ext in ("jpg", "jpeg", "png", "gif", "webp") or ext == self.ext:
            return self.data, self.mime  # the CDN serves an image under any image extension
        return None


@dataclass(frozen=True)
class Raw:
    """An item a listing page holds as it is (any JSON value): what no post of Imgur's would be."""

    item: Any


@dataclass
class AlbumData:
    id: str
    title: str = ""
    description: str = ""
    images: list[Image] = field(default_factory=list)
    in_gallery: bool = False
    datetime: int = 1715949296
    hidden: bool = False  # a hidden album: the API answers 404 but to its owner's access token
    owner: str | None = None


@dataclass
class Account:
    """One user's own view of their account (what only their access token reads)."""

    posts: list[AlbumData | Image] = field(default_factory=list)  # every post, hidden ones too
    hidden_albums: list[AlbumData] = field(default_factory=list)
    favorites: list[AlbumData | Image] = field(default_factory=list)  # hidden ones too
    images: list[Image] = field(default_factory=list)  # every image, in a post or not


@dataclass
class Capture:
    """One Wayback Machine capture of a URL.

    ``original`` is the URL as it was crawled (``http://i.imgur.com:80/...``
    in older captures, ``https://i.imgur.com/...`` in newer ones); a redirect
    capture (``status`` 301/302) has a ``location`` instead of a body.
    """

    timestamp: str  # yyyyMMddhhmmss
    original: str
    status: int = 200
    body: bytes = b""
    mimetype: str = "image/jpeg"
    location: str = ""
    # The length the file had as it was crawled, where the record holds fewer bytes (a transfer cut as the crawler
    # recorded it): replayed as the original header, X-Archive-Orig-Content-Length (OpenWayback's prefix for every
    # original header, ACC-35), beside the Content-Length of what the record holds.
    recorded_of: int | None = None

    @property
    def urlkey(self) -> str:
        """The index key: scheme, port and ``www.`` dropped, and *lower-cased*, as SURT keys are."""
        parts = urlsplit(self.original)
        host = (parts.hostname or "").lower().removeprefix("www.")
        return ",".join(reversed(host.split("."))) + ")" + parts.path.lower()

    def row(self, field: str) -> str:
        values = {"urlkey": self.urlkey, "timestamp": self.timestamp, "original": self.original,
                  "mimetype": self.mimetype, "statuscode": str(self.status),
                  "digest": hashlib.sha1(self.body).hexdigest().upper()[:32],  # noqa: S324 - a label
                  "length": str(len(self.body) + 400)}  # the WARC record's length, not the body's
        return values[field]


def key_of(url: str) -> str:
    """The lower-cased index key of ``url`` (any scheme, or none)."""
    return Capture("", url if "://" in url else "http://" + url).urlkey


@dataclass
class Fault:
    """One injected misbehaviour. ``attempts``: which requests to the path (1-based) get it."""

    # status: answer ``status`` with ``headers`` and ``body`` instead
    # reset: send ``after`` bytes of the body, then drop the connection
    # stall: send the headers and ``after`` bytes, then nothing (until the stand-in stops)
    # ignore_range: answer 200 with the whole body although a Range was asked for
    # endless: answer 200 with a chunked body that never ends (API or CDN): ``body``, then ``fill`` over and over
    # redirect: answer 302 to ``headers["Location"]``
    # corrupt: the body with byte ``after`` changed (headers, ETag included, as for the true body)
    # drip: the body at ``after`` bytes a second, a byte at a time (until the client hangs up)
    # hold: the true answer, once ``release`` is set (or the stand-in stops)
    kind: str
    host: str = "i.imgur.com"
    path: str = ".*"  # regular expression on the path (no query)
    attempts: set[int] | None = None  # None: every attempt
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    after: int = 0  # reset/stall: body bytes sent first
    fill: bytes = b"\0"  # endless: what follows the body, repeated
    release: threading.Event = field(default_factory=threading.Event)  # hold: when to answer

    def __post_init__(self) -> None:
        # A fault no handler acts on would leave a test's premise untrue, silently: refused here instead.
        hosts = _FAULT_HOSTS.get(self.kind)
        if hosts is None:
            raise ValueError(f"no such fault: {self.kind!r}")
        if hosts and self.host not in hosts:
            raise ValueError(f"a {self.kind} fault is acted on at {' and '.join(sorted(hosts))} only, not {self.host}")

    def applies(self, host: str, path: str, attempt: int) -> bool:
        return (host == self.host and re.fullmatch(self.path, path) is not None
                and (self.attempts is None or attempt in self.attempts))


# Where each kind of fault is acted on (empty: on every host the stand-in answers for).
_FAULT_HOSTS: dict[str, frozenset[str]] = {
    "status": frozenset(), "redirect": frozenset(), "endless": frozenset(), "drip": frozenset(), "hold": frozenset(),
    "reset": frozenset({"i.imgur.com", "web.archive.org"}), "stall": frozenset({"i.imgur.com", "web.archive.org"}),
    "corrupt": frozenset({"i.imgur.com"}), "ignore_range": frozenset({"i.imgur.com"}),
}


@dataclass
class Shaping:
    """A simulated network: latency before each answer, rate per connection and per link."""

    delay: float = 0.0  # seconds before each answer
    conn_rate: float = 0.0  # bytes per second per connection; 0 = unlimited
    link_rate: float = 0.0  # bytes per second for everything; 0 = unlimited
    client_rate: float = 0.0  # bytes per second per client (per proxy address: one a machine); 0 = unlimited


class _Link:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.free_at = 0.0


_CONTEXTS: dict[int, tuple[trustme.CA, ssl.SSLContext]] = {}
_CONTEXTS_LOCK = threading.Lock()


def _server_context(ca: trustme.CA, valid: tuple[datetime.datetime, datetime.datetime] | None = None
                    ) -> ssl.SSLContext:
    """The hosts' TLS server context for ``ca``, made once per CA and shared by the stand-ins it serves (one whose
    certificate is ``valid`` only from one time to another: its own).

    (A new RSA key per stand-in cost ~0.1 s of CPU, loading the key into a new context ~10 ms.)
    """
    if valid is not None:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert(*HOSTS, not_before=valid[0], not_after=valid[1]).configure_cert(tls)
        return tls
    with _CONTEXTS_LOCK:
        if id(ca) not in _CONTEXTS:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # no system CA store to load: it only serves
            ca.issue_cert(*HOSTS).configure_cert(tls)
            _CONTEXTS[id(ca)] = (ca, tls)  # (the CA is kept so its id is not reused)
        return _CONTEXTS[id(ca)][1]


class Imgur:
    """The stand-in: content, faults, shaping, and what it saw."""

    def __init__(self, ca: trustme.CA | None = None, *,
                 valid: tuple[datetime.datetime, datetime.datetime] | None = None) -> None:
        self.ca = ca or trustme.CA()
        self.tls = _server_context(self.ca, valid)  # (``valid``: its certificate's dates, when not the usual ones)
        self.albums: dict[str, AlbumData] = {}
        self.images: dict[str, Image] = {}
        self.faults: list[Fault] = []
        self.shaping = Shaping()
        self.captures: list[Capture] = []  # the Wayback Machine's holdings
        self.listings: dict[tuple[str, str], Sequence[AlbumData | Image | Raw]] = {}
        self.tokens: dict[str, str] = {}  # access token -> its user (a revoked token is not here)
        self.accounts: dict[str, Account] = {}
        self.page_size = 60
        self.api_budget = 12500  # the client's remaining API credits: counts down, 429 past zero
        # The archive's index (CDX) takes this many requests a minute, judged on ``archive_clock``; past it, 429
        # (no Retry-After), and an address whose refusals go on for over a minute is blocked (_index_limit).
        self.cdx_per_minute: int | None = None
        self.archive_clock: Callable[[], float] = time.monotonic
        self.cdx_asked: list[float] = []  # when each index request came, on archive_clock
        self.cdx_refused: list[float] = []  # ... and each refused one
        self.archive_blocked = False
        self.archive_delay = 0.0  # the archive's own slowness, on top of the network's
        self.inflight_limit: int | None = None  # i.imgur.com answers 429 above this
        self.inflight_retry_after: int | None = None  # ... with this Retry-After
        self.region_blocked = False  # a UK visitor: every file is the region placeholder
        self.banned_country: str | None = None  # the v3 API refuses this country code
        self.gate: int | None = None  # hold CDN answers until this many are in flight
        self.api_gate: int | None = None  # likewise for API answers
        self.gate_timeout = 5.0
        # The content will not change again (the benchmark's stand-in): each post/v1 answer is rendered once
        # (for 100,000 items, 1.6 s of this process's CPU before the first byte, on every request).
        self.frozen = False
        self._rendered: dict[tuple[str, str, str, bool], bytes | None] = {}
        self.stall_limit = 60.0  # a stall never outlives this, nor the server
        self.proxy_user: tuple[str, str] | None = None  # the proxy's credentials: CONNECT without them gets 407
        self.blocked: set[str] = set()  # hosts the proxy refuses a tunnel to (403)
        self.proxy_credentials: list[str | None] = []  # the Proxy-Authorization of each CONNECT, as it came
        self.log: list[tuple[str, str, str, dict[str, str]]] = []  # host, method, path, headers
        self.queries: list[tuple[str, str, dict[str, list[str]]]] = []  # host, path, query: what each request asked
        self.connects = 0
        self._attempts: dict[tuple[str, str], int] = {}
        self._cond = threading.Condition()
        self.inflight = 0
        self.peak_inflight = 0
        self.api_inflight = 0
        self.peak_api_inflight = 0
        self.stalled = 0
        self.held = 0  # answers that waited for a hold fault's release
        self.endless_sent_to: dict[str, int] = {}  # the most body bytes an endless answer to each path got out
        self.stopping = threading.Event()
        self._link = _Link()
        self._servers: list[_Server] = []

    # -- content ------------------------------------------------------------

    def add_image(self, image_id: str, size: int = 2000, ext: str = "jpeg", **kw: Any) -> Image:
        image = Image(image_id, fake_bytes(image_id, size, ext), ext, **kw)
        if image.animated and image.ext == "gif" and image.mp4 is None:
            image.mp4 = fake_bytes(image_id + ".mp4", max(1, size // 4), "mp4")
        self.images[image_id] = image
        return image

    def add_album(self, album_id: str, count: int = 3, size: int = 2000, title: str = "",
                  images: list[Image] | None = None, spread: int = 0, **kw: Any) -> AlbumData:
        """An album of ``count`` images: the nth weighs ``size + n`` bytes (``size + n % spread`` with a spread)."""
        if images is None:
            # Ids of 7 characters, as Imgur's: two of the album's and a number (one and a longer number
            # past 100,000 images).
            wide = len(self.images) + count > 100_000
            images = [self.add_image(f"{album_id[:1]}{len(self.images):06d}" if wide else
                                     f"{album_id[:2]}{len(self.images):05d}", size=size + (n % spread if spread else n))
                      for n in range(count)]
        album = AlbumData(album_id, title=title, images=images, **kw)
        self.albums[album_id] = album
        return album

    # -- running ------------------------------------------------------------

    def start(self, clients: int = 1) -> Imgur:
        """Serve, as one proxy address per client (several: machines that Imgur limits apart)."""
        for _ in range(clients):
            server = _Server(("127.0.0.1", 0), _Handler)
            server.imgur = self
            server.link = _Link()
            self._servers.append(server)
            server.loop.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for fault in self.faults:
            fault.release.set()
        with self._cond:
            self._cond.notify_all()
        for server in self._servers:
            server.stop()

    @property
    def endless_sent(self) -> int:
        """The most body bytes one endless answer got out before the client hung up."""
        return max(self.endless_sent_to.values(), default=0)

    @property
    def proxy_url(self) -> str:
        return self.proxy_urls[0]

    @property
    def proxy_urls(self) -> list[str]:
        """Each client's proxy address."""
        return [f"http://127.0.0.1:{server.server_address[1]}" for server in self._servers]

    def environ(self, bundle_path: str) -> dict[str, str]:
        """The variables a client needs to reach the stand-in."""
        return {"HTTPS_PROXY": self.proxy_url, "https_proxy": self.proxy_url,
                "HTTP_PROXY": self.proxy_url, "http_proxy": self.proxy_url,
                "REQUESTS_CA_BUNDLE": bundle_path, "NO_PROXY": "", "no_proxy": ""}

    # -- what it saw --------------------------------------------------------

    def requests_to(self, host: str, path_regex: str = ".*") -> list[tuple[str, str, str, dict[str, str]]]:
        return [e for e in list(self.log) if e[0] == host and re.fullmatch(path_regex, e[2])]

    def wait_until(self, predicate: Callable[[Imgur], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate(self)`` holds (checked whenever the state changes)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _changed(self, **deltas: int) -> None:
        with self._cond:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)
            self.peak_inflight = max(self.peak_inflight, self.inflight)
            self.peak_api_inflight = max(self.peak_api_inflight, self.api_inflight)
            self._cond.notify_all()

    @contextlib.contextmanager
    def _in_flight(self, h: _Handler, counter: str) -> Iterator[None]:
        """``counter`` counts this request in flight until its answer's last bytes go out (or it ends without
        one): not until this thread comes round after, when the client may have sent its next request and two
        in flight would be counted as three."""
        self._changed(**{counter: 1})
        h.answered = lambda: self._changed(**{counter: -1})
        try:
            yield
        finally:
            h._answered()  # (no answer sent, or one cut short)

    def _attempt(self, host: str, path: str) -> int:
        with self._cond:
            key = (host, path)
            self._attempts[key] = self._attempts.get(key, 0) + 1
            return self._attempts[key]

    def _fault(self, host: str, path: str, attempt: int) -> Fault | None:
        for fault in list(self.faults):
            if fault.applies(host, path, attempt):
                return fault
        return None

    # -- answers ------------------------------------------------------------

    def answer(self, h: _Handler, host: str, method: str, target: str) -> None:
        parts = urlsplit(target)
        path = parts.path
        headers = {k.lower(): v for k, v in h.headers.items()}
        self.log.append((host, method, path, headers))
        self.queries.append((host, path, parse_qs(parts.query, keep_blank_values=True)))
        attempt = self._attempt(host, path)
        if host == "i.imgur.com":
            with self._in_flight(h, "inflight"):
                self._cdn(h, method, path, headers, attempt)
            return
        if host in ARCHIVE_HOSTS:
            self._archive(h, host, path, parse_qs(parts.query), attempt)
            return
        if host == "api.imgur.com":
            with self._in_flight(h, "api_inflight"):
                if self.api_gate:
                    self.wait_until(lambda s: s.peak_api_inflight >= (s.api_gate or 0) or s.stopping.is_set(),
                                    timeout=self.gate_timeout)
                self._other(h, host, path, query=parse_qs(parts.query), headers=headers, attempt=attempt)
            return
        self._other(h, host, path, query={}, headers=headers, attempt=attempt)

    def _other(self, h: _Handler, host: str, path: str, *, query: dict[str, list[str]], headers: dict[str, str],
               attempt: int) -> None:
        if self.shaping.delay:
            time.sleep(self.shaping.delay)
        fault = self._fault(host, path, attempt)
        self._held(fault)
        if fault is not None and _answered(h, fault, "application/json"):
            return
        if fault is not None and fault.kind == "drip":
            h.drip_rate = fault.after  # (the true answer, a byte at a time)
        if host == "api.imgur.com":
            self._api(h, path, query, headers)
        else:
            self._site(h, path)

    def _held(self, fault: Fault | None) -> None:
        """A hold fault's answer waits for its release (or the stand-in's stop)."""
        if fault is not None and fault.kind == "hold":
            self._changed(held=1)
            fault.release.wait(self.stall_limit)

    def _api(self, h: _Handler, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> None:
        # Every API answer says what is left of the client's and the user's
        # budgets (apidocs.imgur.com, "Rate Limits"); past zero Imgur answers 429.
        with self._cond:
            self.api_budget -= 1
            left = max(0, self.api_budget)
        limits = {
            "X-RateLimit-UserLimit": "2000", "X-RateLimit-UserRemaining": str(min(left, 1987)),
            "X-RateLimit-UserReset": str(int(time.time()) + 3600),
            "X-RateLimit-ClientLimit": "12500", "X-RateLimit-ClientRemaining": str(left),
            "Content-Type": "application/json", "Access-Control-Allow-Origin": "*",
            "Cache-Control": "no-store, no-cache, must-revalidate",
        }
        user = self._authenticate(h, path, query, headers, limits)
        if user is None:
            return
        if self._banned(h, path, limits):
            return
        if self._account(h, path, query, user, limits):
            return
        m = re.fullmatch(r"/post/v1/(albums|media|posts)/([A-Za-z0-9]+)", path)
        if m:
            body = self._v1_body(m[1], m[2], user, "media" in ",".join(query.get("include", [])).split(","))
            if body is None:
                h.reply(404, _v1_error(404, "Not Found", "Not Found"), limits)
            else:
                h.reply(200, body, limits)
            return
        if self.api_budget < 0:
            h.reply(429, _v3_error("Too Many Requests", path, 429), limits)
            return
        listing = self._listing(path, query, user)
        if listing is not None:
            h.reply(200, json.dumps({"data": listing, "success": True, "status": 200}).encode(), limits)
            return
        m = re.fullmatch(r"/3/(album|image)/([A-Za-z0-9]+)", path)
        if m:
            found = self._v3(m[1], m[2], user)
            if found is None:
                what = "an album" if m[1] == "album" else "an image"
                h.reply(404, _v3_error(f"Unable to find {what} with the id, {m[2]}", path, 404), limits)
            else:
                h.reply(200, json.dumps({"data": found, "success": True, "status": 200}).encode(), limits)
            return
        h.reply(404, _v1_error(404, "Not Found", "Not Found"), limits)

    def _v1_body(self, kind: str, item_id: str, user: str, media: bool) -> bytes | None:
        """A post/v1 answer's body (its media listed only when asked for); None when there is no such post."""
        key = (kind, item_id, user, media)
        if key in self._rendered:
            return self._rendered[key]
        found = self._v1(kind, item_id, user)
        if found is not None and not media:
            found.pop("media", None)
        body = None if found is None else json.dumps(found).encode()
        if self.frozen:
            self._rendered[key] = body
        return body

    def _banned(self, h: _Handler, path: str, limits: dict[str, str]) -> bool:
        """A banned country's answer. ShareX #3466 recorded the v3 shape and status; v1 uses its own shape."""
        if not self.banned_country:
            return False
        message = f"Banned country attempt ({self.banned_country})"
        if path.startswith("/3/"):
            h.reply(400, json.dumps({"data": {"error": {"code": 1016, "message": message,
                                                        "type": "Exception_Logged", "exception": []},
                                              "request": path, "method": "GET"},
                                     "success": False, "status": 400}).encode(), limits)
        else:
            h.reply(400, _v1_error(400, "Bad Request", message), limits)
        return True

    # -- listings, only as the working client asks for them (gallery_dl/extractor/imgur.py,
    # gallery-dl 1.32, ImgurAPI): _pagination appends "/<page>" from 0 to
    # /3/account/<user>/submissions, /3/account/<user>/gallery_favorites, /3/gallery/t/<tag>
    # (its list wrapped in data.items), /3/gallery/r/<subreddit> and /3/gallery/search
    # (?q=), and stops at the first empty page; _pagination_v2 asks
    # /3/account/<user>/folders/<id>/favorites with client_id, page (from 0) and
    # sort=newest in the query. Any other form is an unknown route: 404, as Imgur
    # answers one. Newest first; ``page_size`` items a page. Each item is a gallery
    # album ("is_album": true, "link" to imgur.com/a/<id>) or a gallery image (its own
    # "link" to i.imgur.com, with type and size).

    def add_listing(self, kind: str, name: str, posts: Sequence[AlbumData | Image | Raw]) -> None:
        """``kind``: user, favorites, folder (name "<user>/<id>"), tag, subreddit, search (name = the words); a
        :class:`Raw` item is listed as it is."""
        self.listings[(kind, name)] = posts

    def _listing(self, path: str, query: dict[str, list[str]], user: str = "") -> Any:
        forms = (
            (r"/3/account/([^/]+)/submissions/(\d+)", "user"),
            (r"/3/account/([^/]+)/gallery_favorites/(\d+)", "favorites"),
            (r"/3/account/([^/]+/folders/\d+)/favorites", "folder"),
            (r"/3/gallery/t/([^/]+)/(\d+)", "tag"),
            (r"/3/gallery/r/([^/]+)/(\d+)", "subreddit"),
            (r"/3/gallery/search/(\d+)", "search"),
        )
        for pattern, kind in forms:
            m = re.fullmatch(pattern, path)
            if m is None:
                continue
            if kind == "search":
                name, page = " ".join(query.get("q", [""])[0].split()), int(m[1])
            elif kind == "folder":
                page_text = query.get("page", [""])[0]
                if not page_text.isdigit() or query.get("sort") != ["newest"] or "client_id" not in query:
                    return None
                name, page = m[1].replace("/folders/", "/"), int(page_text)
                if name.startswith("me/") and user:  # your own folder, by the token's account
                    name = user + name[2:]
            else:
                name, page = m[1], int(m[2])
            posts = self.listings.get((kind, name))
            if posts is None:
                return None
            chunk = [p.item if isinstance(p, Raw) else _v3_gallery_item(p)
                     for p in posts[page * self.page_size:(page + 1) * self.page_size]]
            if kind == "tag":
                return {"name": name, "display_name": name, "followers": 0, "total_items": len(posts),
                        "following": False, "is_whitelisted": False, "description": "", "items": chunk}
            return chunk
        return None

    # -- your own account ----------------------------------------------------------------
    #
    # Authentication as the records show it: an application's "Authorization:
    # Client-ID <id>" (or client_id in the query), or a user's "Authorization: Bearer
    # <token>" (Imgur API docs, "Authorization and OAuth"), which imgur.com's front
    # end also keeps in its "accesstoken" cookie, read by gallery-dl (ImgurMeExtractor
    # needs it; gallery-dl #9763). A token Imgur no longer takes answers 403 "The
    # access token provided is invalid." on v3 (ShareX and imgur-screenshot issue
    # threads) and 401 on post/v1; the "me" endpoints answer 401 to no token. A client
    # id Imgur does not take answers 403 "Invalid client_id" on v3 (imgur-screenshot
    # #67, petereport #78); post/v1's answer to one has no record: the same words, in
    # its own error shape.

    def _authenticate(self, h: _Handler, path: str, query: dict[str, list[str]], headers: dict[str, str],
                      limits: dict[str, str]) -> str | None:
        """The user a request's token stands for ('' for none); None once it was answered (refused)."""
        auth = headers.get("authorization", "")
        cookie = re.search(r"(?:^|;\s*)accesstoken=([^;]+)", headers.get("cookie", ""))
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else cookie[1] if cookie else None
        v3 = path.startswith("/3/")
        if token is not None:
            user = self.tokens.get(token)
            if user is None:
                message = "The access token provided is invalid."
                h.reply(403 if v3 else 401, _v3_error(message, path, 403) if v3 else _v1_error(401, "Unauthorized",
                                                                                              message), limits)
                return None
            return user
        client_id = auth[len("Client-ID "):] if auth.startswith("Client-ID ") else query.get("client_id", [""])[0]
        if client_id not in CLIENT_IDS:
            body = _v3_error("Invalid client_id", path, 403) if v3 else _v1_error(403, "Forbidden", "Invalid client_id")
            h.reply(403, body, limits)
            return None
        return ""

    def _account(self, h: _Handler, path: str, query: dict[str, list[str]], user: str,
                 limits: dict[str, str]) -> bool:
        """The endpoints of your own account (gallery-dl 1.32 ImgurAPI; API docs "Account"): True if answered."""
        mine = re.fullmatch(r"/3/account/me|/3/account/me/favorites/(\d+)/newest|/3/account/me/images/(\d+)|"
                            r"/post/v1/accounts/me/(all_posts|hidden_albums)", path)
        if mine is None:
            return False
        if not user:
            h.reply(401, _v3_error("Authentication required", path, 401), limits)
            return True
        account = self.accounts.setdefault(user, Account())
        if path == "/3/account/me":
            body: Any = {"data": {"id": 1, "url": user, "bio": None, "reputation": 0}, "success": True, "status": 200}
        elif mine[3]:  # post/v1: page from 1, newest first, media included when asked (a bare list)
            page = query.get("page", [""])[0]
            if not page.isdigit() or int(page) < 1 or query.get("sort") != ["-created_at"]:
                h.reply(400, _v1_error(400, "Bad Request", "Bad Request"), limits)
                return True
            posts = account.posts if mine[3] == "all_posts" else account.hidden_albums
            chunk = posts[(int(page) - 1) * self.page_size:int(page) * self.page_size]
            include = "media" in ",".join(query.get("include", [])).split(",")
            body = [self._v1_listed(post, include) for post in chunk]
        else:
            page, items = (int(mine[1]), account.favorites) if mine[1] else (int(mine[2]), account.images)
            chunk = items[page * self.page_size:(page + 1) * self.page_size]
            body = {"data": [_v3_gallery_item(p) if mine[1] else _v3_image(p) for p in chunk],  # type: ignore[arg-type]
                    "success": True, "status": 200}
        h.reply(200, json.dumps(body).encode(), limits)
        return True

    def _v1_listed(self, post: AlbumData | Image, include: bool) -> dict[str, Any]:
        found = _v1_single(post) if isinstance(post, Image) else _v1_post(post, "a")
        if not include:
            found.pop("media", None)
        return found

    @staticmethod
    def _shown(item: AlbumData | Image, user: str) -> bool:
        """Whether the API shows ``item`` to ``user`` ('' for no token)."""
        if not item.hidden:
            return True
        return bool(user) and (item.owner == user or (isinstance(item, Image) and item.mature))

    def _v1(self, kind: str, item_id: str, user: str = "") -> dict[str, Any] | None:
        if kind == "albums" and item_id in self.albums and self._shown(self.albums[item_id], user):
            return _v1_post(self.albums[item_id], "a")
        if kind == "media" and item_id in self.images and self._shown(self.images[item_id], user):
            return _v1_single(self.images[item_id])
        if kind == "posts":
            album = self.albums.get(item_id)
            if album is not None and album.in_gallery and self._shown(album, user):
                return _v1_post(album, "gallery")
            image = self.images.get(item_id)
            if image is not None and image.in_gallery and self._shown(image, user):
                return _v1_single(image)
        return None

    def _v3(self, kind: str, item_id: str, user: str = "") -> dict[str, Any] | None:
        if kind == "album" and item_id in self.albums and self._shown(self.albums[item_id], user):
            album = self.albums[item_id]
            return {
                "id": album.id, "title": album.title or None, "description": album.description or None,
                "datetime": album.datetime, "cover": album.images[0].id if album.images else None,
                "cover_edited": None, "cover_width": 640, "cover_height": 480, "account_url": None,
                "account_id": None, "privacy": "hidden", "layout": "blog", "views": 4321,
                "link": f"https://imgur.com/a/{album.id}", "favorite": False, "nsfw": False,
                "section": None, "images_count": len(album.images), "in_gallery": album.in_gallery,
                "is_ad": False, "include_album_ads": False, "is_album": True,
                "images": [_v3_image(i) for i in album.images],
            }
        if kind == "image" and item_id in self.images and self._shown(self.images[item_id], user):
            return _v3_image(self.images[item_id])
        return None

    def _site(self, h: _Handler, path: str) -> None:
        if re.fullmatch(r"/(?:(?:a|gallery|t/[^/]+|r/[^/]+)/)?[A-Za-z0-9-]{5,}/?", path):
            h.reply(200, SITE_SHELL, {"Content-Type": "text/html; charset=utf-8"})  # missing posts too
        else:
            h.reply(404, NOT_FOUND_PAGE, {"Content-Type": "text/html; charset=utf-8"})

    def _refuses(self, h: _Handler, headers: dict[str, str]) -> bool:
        """The CDN's 429s: for the User-Agents it blocks, and above ``inflight_limit``."""
        agent = headers.get("user-agent", "")
        if not agent or "python-requests" in agent.lower():
            h.reply(429, b"", {"Content-Type": "text/plain", "CDN-Error": "yes", "Retry-After": "0"},
                    reason="Unknown Error")
            return True
        if self.inflight_limit is not None and self.inflight > self.inflight_limit:
            extra = {} if self.inflight_retry_after is None else {"Retry-After": str(self.inflight_retry_after)}
            h.reply(429, b"", {"Content-Type": "text/plain", **extra})
            return True
        return False

    def _cdn(self, h: _Handler, method: str, path: str, headers: dict[str, str], attempt: int) -> None:
        if self.gate:
            self.wait_until(lambda s: s.peak_inflight >= (s.gate or 0) or s.stopping.is_set(),
                            timeout=self.gate_timeout)
        if self.shaping.delay:
            time.sleep(self.shaping.delay)
        if self._refuses(h, headers):
            return
        fault = self._fault("i.imgur.com", path, attempt)
        self._held(fault)
        if fault is not None and _answered(h, fault, _MIME.get(path.rsplit(".", 1)[-1], "text/html")):
            return
        if path == "/removed.png":
            h.reply(200, REMOVED_PNG, _cdn_headers(REMOVED_PNG, "image/png"), head=method == "HEAD")
            return
        m = re.fullmatch(r"/([A-Za-z0-9]{5,7})[sbtmlhg]?\.([a-z0-9]+)", path)
        referer = urlsplit(headers.get("referer", "")).hostname or ""
        if m and ("text/html" in headers.get("accept", "") or (referer and not referer.endswith("imgur.com"))):
            h.reply(302, b"", {"Location": f"https://imgur.com/{m[1]}", "Content-Type": "text/html"})
            return
        if m and self.region_blocked:
            h.reply(200, REGION_PNG, _cdn_headers(REGION_PNG, "image/png"), head=method == "HEAD")
            return
        image = self.images.get(m[1]) if m else None
        served = image.rendition(m[2]) if image and m and not image.removed else None
        if served is None:
            # Deleted and unknown images alike: a redirect to the placeholder.
            h.reply(302, b"", {"Location": "https://i.imgur.com/removed.png", "Content-Type": "text/html"})
            return
        data, mime = served
        extra = _cdn_headers(data, mime)
        honour = fault is None or fault.kind != "ignore_range"
        ranged = _ranged(headers, data, extra) if honour else (200, data)
        if ranged is None:
            h.reply(416, b"", {"Content-Range": f"bytes */{len(data)}", "Content-Type": mime})
            return
        status, data = ranged
        if image.etag is not None:
            extra["ETag"] = image.etag
        if fault is not None and _body_fault(h, fault, status, data, extra):
            return
        h.reply(status, data, extra, head=method == "HEAD")

    # -- archive.org ---------------------------------------------------------------
    #
    # The CDX server (web.archive.org/cdx/search/cdx) as its README documents it
    # (internetarchive/wayback, wayback-cdx-server/README.md): url= required;
    # matchType=exact|prefix, or a trailing '*'; filter=[!]field:regex, matched
    # against the whole field; fl= picks fields; limit=N first N, -N last N;
    # output=json gives a header row, then rows of strings, and [] for nothing.
    # Keys are SURT-canonical and so case-insensitive: a query for
    # i.imgur.com/ABC12xy.jpg also returns captures of i.imgur.com/abc12XY.jpg.
    #
    # Replay: /web/<timestamp>id_/<url> answers the capture's original bytes and
    # status; a timestamp with no capture (one shorter than 14 digits among
    # them) redirects to the nearest one, saying so (a 302 with
    # "X-Archive-Redirect-Reason: found capture at <timestamp>", as recorded in
    # edgi-govdata-archiving/wayback's cassette
    # test_get_memento_with_inexact_string_datetime); a
    # redirect capture replays as a redirect into the archive; nothing at all,
    # 404. The availability API (archive.org/wayback/available?url=) answers
    # {"url", "archived_snapshots": {"closest": {...}}} or an empty
    # "archived_snapshots" (archive.org/help/wayback_api.php). The index
    # answers 429 past its requests a minute (_index_limit).

    # The index's limit: ``cdx_per_minute`` requests in any minute (30: edgi-govdata-archiving/wayback#206, "the
    # rate limit is now 30 requests/minute"); past it, 429 with no Retry-After (that client's tests: "Wayback does
    # not currently include this header"). "If 429s are ignored for more than a
    # minute we block the IP at the firewall (no connection) for 1 hour" (the archive's staff, quoted in
    # edgi-govdata-archiving/wayback#137): refusals each less than a minute after the one before, spanning more
    # than a minute, block the address for the rest of the run.
    def _index_limit(self) -> bool:
        """Whether this index request is taken (it is counted either way)."""
        if self.cdx_per_minute is None:
            return True
        with self._cond:
            now = self.archive_clock()
            taken = [t for t in self.cdx_asked if now - t < 60.0]
            if len(taken) < self.cdx_per_minute:
                self.cdx_asked.append(now)
                return True
            self.cdx_refused.append(now)
            first = len(self.cdx_refused) - 1  # the first refusal of this run of them
            while first and self.cdx_refused[first] - self.cdx_refused[first - 1] < 60.0:
                first -= 1
            if now - self.cdx_refused[first] > 60.0:
                self.archive_blocked = True
            return False

    def add_capture(self, url: str, timestamp: str = "20210304050607", *, status: int = 200,
                    body: bytes | None = None, mimetype: str | None = None, location: str = "",
                    recorded_of: int | None = None) -> Capture:
        ext = url.rsplit(".", 1)[-1].lower()
        capture = Capture(timestamp, url, status, body if body is not None else b"",
                          mimetype or _MIME.get(ext, "text/html"), location, recorded_of)
        self.captures.append(capture)
        return capture

    def _archive(self, h: _Handler, host: str, path: str, query: dict[str, list[str]], attempt: int = 1) -> None:
        delay = self.shaping.delay + self.archive_delay
        if delay:
            time.sleep(delay)
        if self.archive_blocked:  # (its firewall: no answer at all)
            h.close_connection = True
            return
        if path == "/cdx/search/cdx" and not self._index_limit():
            h.reply(429, b"<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests.\n"
                         b"</body></html>", {"Content-Type": "text/html"})
            return
        fault = self._fault(host, path, attempt)
        self._held(fault)
        if fault is not None and _answered(h, fault, "text/html"):  # (a capture its index lists, not replayed)
            return
        if fault is not None and fault.kind == "drip" and path == "/cdx/search/cdx":
            h.drip_rate = fault.after  # (the index's true answer, a byte at a time)
        if host == "archive.org" and path == "/wayback/available":
            url = query.get("url", [""])[0]
            found = sorted((c for c in self.captures if c.urlkey == key_of(url)), key=lambda c: c.timestamp)
            snapshots = {} if not found else {"closest": {
                "status": str(found[-1].status), "available": True, "timestamp": found[-1].timestamp,
                "url": f"http://web.archive.org/web/{found[-1].timestamp}/{found[-1].original}"}}
            h.reply(200, json.dumps({"url": url, "archived_snapshots": snapshots}).encode(),
                    {"Content-Type": "application/json"})
        elif host == "web.archive.org" and path == "/cdx/search/cdx":
            self._cdx(h, query)
        elif host == "web.archive.org" and (m := re.fullmatch(r"/web/(\d{1,14})id_/(.+)", path)):
            self._replay(h, m[1], m[2], fault)
        else:
            h.reply(404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"})

    def _cdx(self, h: _Handler, query: dict[str, list[str]]) -> None:
        url = query.get("url", [""])[0]
        if not url:
            h.reply(400, b"No url param", {"Content-Type": "text/plain"})
            return
        prefix = url.endswith("*") or query.get("matchType", ["exact"])[0] == "prefix"
        key = key_of(url.rstrip("*"))
        rows = sorted((c for c in self.captures if (c.urlkey.startswith(key) if prefix else c.urlkey == key)),
                      key=lambda c: (c.urlkey, c.timestamp))
        for given in query.get("filter", []):
            invert = given.startswith("!")
            field_name, _, pattern = given.lstrip("!").partition(":")
            rows = [c for c in rows if (re.fullmatch(pattern, c.row(field_name)) is not None) != invert]
        limit = int(query.get("limit", ["0"])[0] or 0)
        rows = rows[:limit] if limit > 0 else rows[limit:] if limit < 0 else rows
        fields = (query.get("fl", [""])[0] or "urlkey,timestamp,original,mimetype,statuscode,digest,length").split(",")
        table = [[c.row(f) for f in fields] for c in rows]
        if query.get("output", [""])[0] == "json":
            body = json.dumps([fields, *table] if table else []).encode()
            h.reply(200, body, {"Content-Type": "application/json"})
        else:
            h.reply(200, "".join(" ".join(r) + "\n" for r in table).encode(), {"Content-Type": "text/plain"})

    def _replay(self, h: _Handler, timestamp: str, url: str, fault: Fault | None = None) -> None:
        found = [c for c in self.captures if c.urlkey == key_of(url)]
        if not found:
            h.reply(404, b"<html><body>Hrm. The Wayback Machine has not archived that URL.</body></html>",
                    {"Content-Type": "text/html"})
            return
        want = int(timestamp.ljust(14, "0"))
        best = min(found, key=lambda c: abs(int(c.timestamp) - want))
        if best.timestamp != timestamp or best.original != url:
            h.reply(302, b"", {"Location": f"https://web.archive.org/web/{best.timestamp}id_/{best.original}",
                               "X-Archive-Redirect-Reason": f"found capture at {best.timestamp}",
                               "Content-Type": "text/plain"})
            return
        headers = {"Memento-Datetime": formatdate(usegmt=True), "X-Archive-Src": "imgur-crawl.warc.gz"}
        if best.status in (301, 302):
            h.reply(best.status, b"", {**headers, "Content-Type": "text/plain",
                                       "Location": f"https://web.archive.org/web/{best.timestamp}id_/{best.location}"})
            return
        cut = fault.after if fault is not None and fault.kind in ("reset", "stall") else None
        h.reply(best.status, best.body, {**headers, "Content-Type": best.mimetype,
                                         "X-Archive-Orig-Content-Length": str(best.recorded_of or len(best.body))},
                cut=cut, then=fault.kind if fault is not None else "")

    def pace(self, conn: dict[str, float], size: int, client: _Link) -> None:
        """Sleep as long as ``size`` bytes take on this connection, this client's line and the link."""
        s = self.shaping
        if not (s.conn_rate or s.link_rate or s.client_rate):
            return
        now = time.monotonic()
        finish = now
        if s.conn_rate:
            finish = max(now, conn.get("free_at", 0.0)) + size / s.conn_rate
        for link, rate in ((self._link, s.link_rate), (client, s.client_rate)):
            if rate:
                with link.lock:
                    link.free_at = max(now, link.free_at) + size / rate
                    finish = max(finish, link.free_at)
        conn["free_at"] = finish
        if finish > now:
            time.sleep(finish - now)


def _answered(h: _Handler, fault: Fault, content_type: str) -> bool:
    """Answer with ``fault`` if it replaces the whole answer; False for faults of the body."""
    if fault.kind == "status":
        h.reply(fault.status, fault.body, {"Content-Type": content_type, **fault.headers})
    elif fault.kind == "redirect":
        h.reply(302, b"", {"Content-Type": "text/html", **fault.headers})
    elif fault.kind == "endless":
        h.endless(fault.body, {"Content-Type": content_type}, fault.fill)
    else:
        return False
    return True


def _body_fault(h: _Handler, fault: Fault, status: int, data: bytes, extra: dict[str, str]) -> bool:
    """Answer with a fault of the body (cut, stalled, dripped, corrupted); False for faults of another kind."""
    if fault.kind in ("reset", "stall"):
        h.reply(status, data, extra, cut=fault.after, then=fault.kind)
    elif fault.kind == "drip":
        h.drip(status, data, extra, fault.after)
    elif fault.kind == "corrupt" and fault.after < len(data):
        h.reply(status, data[:fault.after] + bytes([data[fault.after] ^ 0xFF]) + data[fault.after + 1:], extra)
    else:
        return False
    return True


def _ranged(headers: dict[str, str], data: bytes, extra: dict[str, str]) -> tuple[int, bytes] | None:
    """(status, body) for a Range request (If-Range honoured; Content-Range added to ``extra``); None: 416."""
    wanted, if_range = headers.get("range"), headers.get("if-range")
    rm = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip()) if wanted else None
    if rm is None or (if_range is not None and if_range != extra["ETag"]):
        return 200, data
    start = int(rm[1])
    end = int(rm[2]) if rm[2] else len(data) - 1
    if start >= len(data):
        return None
    extra["Content-Range"] = f"bytes {start}-{min(end, len(data) - 1)}/{len(data)}"
    return 206, data[start:end + 1]


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _cdn_headers(data: bytes, mime: str) -> dict[str, str]:
    digest = hashlib.md5(data).hexdigest()  # noqa: S324 - an ETag, as the CDN makes it
    return {
        "Content-Type": mime, "ETag": f'"{digest}"', "Accept-Ranges": "bytes",
        "Last-Modified": LAST_MODIFIED, "Cache-Control": "public, max-age=31536000",
        "Access-Control-Allow-Origin": "*", "Server": "cat factory 1.0", "X-Cache": "HIT",
        "Age": "2044",
    }


def _v1_error(code: int, status: str, detail: str) -> bytes:
    ident = f"legacy-api-{random.randrange(16**10):010x}-x{random.randrange(16**4):04x}/Zq{random.randrange(10**6)}"
    return json.dumps({"errors": [{"id": ident, "code": str(code), "status": status, "detail": detail}]}).encode()


def _v3_error(message: str, path: str, status: int) -> bytes:
    return json.dumps({"data": {"error": message, "request": path, "method": "GET"},
                       "success": False, "status": status}).encode()


def over_capacity(status: int = 403) -> bytes:
    """The body Imgur's API sends when it sheds load."""
    return json.dumps({"data": {"error": "Imgur is temporarily over capacity. Please try again later."},
                       "success": False, "status": status}).encode()


def too_many_requests() -> bytes:
    return _v1_error(429, "Too Many Requests", "Too Many Requests")


def _v1_media(image: Image) -> dict[str, Any]:
    return {
        "id": image.id, "account_id": 0, "mime_type": image.mime,
        "type": "video" if image.ext == "mp4" else "image", "name": image.name, "basename": "",
        "url": f"https://i.imgur.com/{image.id}.{image.ext}", "ext": image.ext,
        "width": image.width, "height": image.height, "size": image.size,
        "metadata": {"title": image.title, "description": image.description,
                     "is_animated": image.animated, "is_looping": image.animated, "duration": 0,
                     "has_sound": False},
        "created_at": _iso(image.datetime), "updated_at": None,
    }


def _v1_post(album: AlbumData, kind: str) -> dict[str, Any]:
    return {
        "id": album.id, "account_id": 0, "title": album.title, "description": album.description,
        "view_count": 4321, "upvote_count": 0, "downvote_count": 0, "point_count": 0,
        "image_count": len(album.images), "comment_count": 0, "favorite_count": 0,
        "virality": 0, "score": 0, "in_most_viral": False, "is_album": True, "is_mature": False,
        "cover_id": album.images[0].id if album.images else "", "created_at": CREATED,
        "updated_at": None, "url": f"https://imgur.com/{kind}/{album.id}", "privacy": "hidden",
        "vote": None, "favorite": False, "is_ad": False, "ad_type": 0, "ad_url": "",
        "include_album_ads": False, "shared_with_community": album.in_gallery, "is_pending": False,
        "platform": "web", "media": [_v1_media(i) for i in album.images], "display": [],
    }


def v1_answer(album: AlbumData) -> dict[str, Any]:
    """What ``/post/v1/albums/<id>?include=media`` answers for ``album``: a base for hostile variants."""
    return _v1_post(album, "a")


def _v1_single(image: Image) -> dict[str, Any]:
    post = _v1_post(AlbumData(image.id, title=image.title, images=[image]), "gallery")
    post.update({"is_album": False, "url": f"https://imgur.com/{image.id}"})
    return post


def _v3_gallery_item(post: AlbumData | Image) -> dict[str, Any]:
    """One item of a gallery listing: a gallery album or a gallery image."""
    if isinstance(post, Image):
        return {**_v3_image(post), "is_album": False, "in_gallery": True, "datetime": post.datetime}
    return {
        "id": post.id, "title": post.title or None, "description": None, "datetime": post.datetime,
        "cover": post.images[0].id if post.images else None, "account_url": "someone", "account_id": 1,
        "privacy": "public", "layout": "blog", "views": 100, "link": f"https://imgur.com/a/{post.id}",
        "ups": 1, "downs": 0, "points": 1, "score": 1, "is_album": True, "vote": None, "favorite": False,
        "nsfw": False, "section": "", "comment_count": 0, "favorite_count": 0, "topic": None,
        "images_count": len(post.images), "in_gallery": True, "is_ad": False, "tags": [],
        "images": [_v3_image(i) for i in post.images[:3]],  # listings carry only the first few
    }


def _v3_image(image: Image) -> dict[str, Any]:
    ext = "jpg" if image.ext == "jpeg" else image.ext
    data: dict[str, Any] = {
        "id": image.id, "title": image.title or None, "description": image.description or None,
        "datetime": image.datetime, "type": image.mime, "animated": image.animated,
        "width": image.width, "height": image.height, "size": image.size, "views": 321,
        "bandwidth": 321 * len(image.data), "vote": None, "favorite": False, "nsfw": None,
        "section": None, "account_url": None, "account_id": None, "is_ad": False,
        "in_most_viral": False, "has_sound": False, "tags": [], "ad_type": 0, "ad_url": "",
        "edited": "0", "in_gallery": image.in_gallery, "link": f"https://i.imgur.com/{image.id}.{ext}",
    }
    if image.animated and image.mp4 is not None:
        data.update({"mp4": f"https://i.imgur.com/{image.id}.mp4", "gifv": f"https://i.imgur.com/{image.id}.gifv",
                     "hls": f"https://i.imgur.com/{image.id}.m3u8", "mp4_size": len(image.mp4), "looping": True})
    return data


class _Server(ThreadingHTTPServer):
    """Serves until :meth:`stop`, which returns as soon as it is asked.

    (``serve_forever`` would look for a stop only every ``poll_interval``: a
    wait at the end of every test, and a thread waking all the while.)
    """

    daemon_threads = True
    request_queue_size = 256
    # What stop() looks for at least once a second, should the connection it makes to wake the loop not come to it
    # (another thread's accept() on a descriptor closed under it, whose number this socket took, took it once: the
    # teardown waited for ever, where no timeout covers a failed test's).
    timeout = 1.0
    imgur: Imgur
    link: _Link  # this client's line (Shaping.client_rate)

    def server_activate(self) -> None:
        super().server_activate()
        self.stopped = False
        self.loop = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopped:
            self.handle_request()  # waits for a connection, or a second

    def stop(self) -> None:
        self.stopped = True
        with contextlib.suppress(OSError):  # a connection of its own wakes the loop to see it is stopped
            socket.create_connection(("127.0.0.1", self.server_address[1]), timeout=5).close()
        self.loop.join()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-answer are part of the game


def _close_half_made(exc: BaseException) -> None:
    """Close the TLS socket a failed ``wrap_socket`` made and left open: where the client hung up before the
    handshake (a run killed), Python before the fix of CPython gh-113280 (3.11 among them) raises from its check of
    whether the socket is connected without closing the socket it made, and it is said unclosed (a ResourceWarning,
    which fails the test it is met in) as it is collected. It is found in the frames the exception passed through."""
    tb = exc.__traceback__
    while tb is not None:
        made = tb.tb_frame.f_locals.get("self")
        if isinstance(made, ssl.SSLSocket):
            made.close()
        tb = tb.tb_next


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    tunnel_host: str | None = None
    answered: Callable[[], None] | None = None  # called just before an answer's last bytes go out
    drip_rate = 0  # an API answer's body goes out this many bytes a second (a drip fault), 0: at once

    def _answered(self) -> None:
        if (answered := self.answered) is not None:
            self.answered = None
            answered()

    def setup(self) -> None:
        # Headers and body go out as separate writes; without this, Nagle's
        # algorithm and the client's delayed ACK add 40 ms to many answers,
        # which no real CDN does.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()
        self.conn_state: dict[str, float] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_CONNECT(self) -> None:
        imgur = self.server.imgur
        host, _, port = self.path.partition(":")
        given = self.headers.get("Proxy-Authorization")
        with imgur._cond:
            imgur.proxy_credentials.append(given)
        if imgur.proxy_user is not None and given != "Basic " + base64.b64encode(
                ":".join(imgur.proxy_user).encode()).decode():
            self.reply(407, b"proxy: who are you?", {"Content-Type": "text/plain",
                                                       "Proxy-Authenticate": 'Basic realm="stand-in"'})
            self.close_connection = True
            return
        if host not in HOSTS or port != "443" or host in imgur.blocked:
            self.reply(403, b"proxy: only Imgur here", {"Content-Type": "text/plain"})
            self.close_connection = True
            return
        imgur._changed(connects=1)
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            tls = imgur.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            _close_half_made(exc)
            self.close_connection = True
            return
        self.connection = self.request = tls
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = _SocketWriter(tls)
        self.tunnel_host = host
        self.close_connection = False

    def _route(self, method: str) -> None:
        if self.tunnel_host is not None:
            host, target = self.tunnel_host, self.path
        else:  # a plain-HTTP proxy request: absolute URL
            parts = urlsplit(self.path)
            host, target = parts.hostname or "", parts.path + (f"?{parts.query}" if parts.query else "")
        if host in ("www.imgur.com", "m.imgur.com"):
            host = "imgur.com"
        self.server.imgur.answer(self, host, method, target)

    def do_GET(self) -> None:
        self._route("GET")

    def do_HEAD(self) -> None:
        self._route("HEAD")

    def endless(self, prefix: bytes, headers: dict[str, str], fill: bytes = b"\0") -> None:
        """A 200 whose chunked body never ends: until the client hangs up (or 30 s, or 4 GiB)."""
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        block = (fill * (64 * 1024 // len(fill) + 1))[:64 * 1024]
        deadline = time.monotonic() + 30
        sent = 0
        with contextlib.suppress(OSError):
            for data in (prefix, *([block] * 65536)):
                if not data:
                    continue
                self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
                sent += len(data)
                if self.server.imgur.stopping.is_set() or time.monotonic() > deadline:
                    break
        sent_to, path = self.server.imgur.endless_sent_to, urlsplit(self.path).path
        sent_to[path] = max(sent_to.get(path, 0), sent)

    def drip(self, status: int, body: bytes, headers: dict[str, str], rate: int) -> None:
        """An answer whose body comes ``rate`` bytes a second, one at a time."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.close_connection = True
        imgur = self.server.imgur
        with contextlib.suppress(OSError):
            for n in range(len(body)):
                if imgur.stopping.wait(1 / rate):
                    return
                self.wfile.write(body[n:n + 1])

    def reply(self, status: int, body: bytes, headers: dict[str, str], *, head: bool = False,
              cut: int | None = None, then: str = "", reason: str | None = None) -> None:
        """Send an answer; with ``cut``, only that much body, then a reset or a stall."""
        if self.drip_rate and not head and body:
            self.drip(status, body, headers, self.drip_rate)
            return
        self.send_response(status, reason)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Date", formatdate(usegmt=True))
        if head or not body:
            self._answered()
        self.end_headers()
        if head:
            return
        imgur = self.server.imgur
        sent = body if cut is None else body[:cut]
        step = 16 * 1024
        for offset in range(0, len(sent), step):
            chunk = sent[offset:offset + step]
            imgur.pace(self.conn_state, len(chunk), self.server.link)
            if cut is None and offset + step >= len(sent):
                self._answered()
            self.wfile.write(chunk)
        if cut is None:
            return
        self.close_connection = True
        if then == "stall":
            imgur._changed(stalled=1)
            try:
                imgur.stopping.wait(imgur.stall_limit)
            finally:
                imgur._changed(stalled=-1)
        # The connection drops mid-body. A FIN right after the data, not an
        # RST: an RST makes the client's kernel discard bytes it has not read
        # yet, so how much of the body arrived would be left to chance.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.connection, socket.SHUT_WR)
        with contextlib.suppress(OSError):
            self.connection.close()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with contextlib.suppress(OSError):
            self.connection.close()


def serve(argv: list[str] | None = None) -> None:
    """Run the stand-in in a process of its own (for benchmarks): one album, shaped.

    Writes the CA bundle, prints ``ready <proxy url>`` and serves until its
    standard input closes.
    """
    import argparse  # noqa: PLC0415 - only the command needs it
    import sys  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m tests.standin")
    parser.add_argument("--bundle", required=True, help="where to write the test CA's certificate")
    parser.add_argument("--album", default="AbC1234")
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--spread", type=int, default=0,
                        help="an album's nth file weighs --size + n mod this many bytes (0: --size + n)")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--conn-rate", type=float, default=0.0)
    parser.add_argument("--link-rate", type=float, default=0.0)
    parser.add_argument("--inflight-limit", type=int, help="answer 429 past this many CDN requests in flight")
    parser.add_argument("--retry-after", type=int, help="the Retry-After of those 429s")
    parser.add_argument("--client-rate", type=float, default=0.0, help="bytes/s per client (per proxy address)")
    parser.add_argument("--clients", type=int, default=1, help="proxy addresses to serve: one per client")
    parser.add_argument("--albums", type=int, default=0,
                        help="instead of one album: this many (Fl00000, Fl00001, ...) of --files files each")
    parser.add_argument("--posts", type=int, default=0,
                        help="instead of one album: user 'Bench' with this many posts, albums of --files "
                             "files and single images in turn")
    parser.add_argument("--deleted", action="store_true",
                        help="the album's files removed from Imgur, each captured in the archive under its .jpg link")
    parser.add_argument("--cdx-per-minute", type=int, help="the archive's index: 429 past this many requests a minute")
    parser.add_argument("--archive-delay", type=float, default=0.0, help="seconds each answer of the archive takes")
    args = parser.parse_args(argv)
    imgur = Imgur()
    imgur.ca.cert_pem.write_to_path(args.bundle)
    if args.posts:
        posts: list[AlbumData | Image] = []
        for n in range(args.posts):
            if n % 2:
                posts.append(imgur.add_image(f"Im{n:05d}", size=args.size + n, in_gallery=True))
            else:
                posts.append(imgur.add_album(f"Al{n:05d}", count=args.files, size=args.size, in_gallery=True,
                                             spread=args.spread))
        imgur.add_listing("user", "Bench", posts)
    elif args.albums:
        for n in range(args.albums):
            imgur.add_album(f"Fl{n:05d}", count=args.files, size=args.size, spread=args.spread)
    else:
        album = imgur.add_album(args.album, count=args.files, size=args.size, title="Benchmark", spread=args.spread)
        for image in album.images if args.deleted else []:
            image.removed = True
            imgur.add_capture(f"https://i.imgur.com/{image.id}.jpg", body=image.data)
    imgur.cdx_per_minute, imgur.archive_delay = args.cdx_per_minute, args.archive_delay
    imgur.shaping = Shaping(args.delay, args.conn_rate, args.link_rate, args.client_rate)
    imgur.inflight_limit, imgur.inflight_retry_after = args.inflight_limit, args.retry_after
    # The benchmark's runs share this one stand-in, where each user starts with a day's budget: a
    # listing of 5,000 posts spends 2,600 credits a run, so six runs would find it spent.
    imgur.api_budget *= 10
    imgur.frozen = True
    if not (args.posts or args.albums):  # the album's answer rendered now, not during the first timed run
        imgur._v1_body("albums", args.album, "", media=True)
    imgur.start(args.clients)
    print("ready", *imgur.proxy_urls, flush=True)
    sys.stdin.read()
    imgur.stop()


if __name__ == "__main__":
    serve()
