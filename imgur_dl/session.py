"""HTTP plumbing shared by the API client and the downloader.

One session factory (User-Agent, pool sized to the workers, timeouts always
on); the retry policy (bounded, exponential backoff with jitter, honouring
``Retry-After``); and a :class:`Cancel` token that Ctrl-C trips to stop every worker at once.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH

from imgur_dl.defaults import DEFAULT_RETRIES, USER_AGENT
from imgur_dl.errors import Cancelled, ImgurDLError, UsageError


class Unreachable(ImgurDLError):
    """No answer after every retry; the message says why in words."""


class TooLarge(ImgurDLError):
    """An answer past the size we read."""
CONNECT_TIMEOUT = 10.0


class Session(requests.Session):
    """A session no call can forget to give a timeout to.

    It honours HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE)
    as any requests program does, but reads them once per host instead of once
    per request: with thousands of small files that reading was a measurable
    share of the run.
    """

    def __init__(self, timeout: tuple[float, float], proxy: str | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.proxy = proxy  # --proxy: used for every host, whatever the environment says
        self.trust_env = False  # the environment is read here, once
        self.environ = os.environ if environ is None else environ
        env = self.environ
        self.ca_bundle = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or DEFAULT_CA_BUNDLE_PATH
        self._proxies: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("proxies", self._proxies_for(url if isinstance(url, str) else url.decode()))
        return super().request(method, url, *args, **kwargs)

    def _proxies_for(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if key not in self._proxies:
                self._proxies[key] = ({"http": self.proxy, "https": self.proxy} if self.proxy
                                      else self._environ_proxies(key + "/"))
            return self._proxies[key]


    def _environ_proxies(self, url: str) -> dict[str, str]:
        """What HTTPS_PROXY, HTTP_PROXY and NO_PROXY (either case) say for ``url``."""
        env = self.environ
        no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
        if no_proxy and requests.utils.should_bypass_proxies(url, no_proxy=no_proxy):
            return {}
        return {scheme: value for scheme in ("http", "https")
                if (value := env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY"))}


class _Adapter(HTTPAdapter):
    """Every connection shares one TLS context, with the CA bundle loaded once.

    Left to themselves, requests and urllib3 load the bundle into a fresh
    context for every new connection: with 32 workers opening connections at
    once, that was a visible share of a run's CPU.
    """

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self.context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self.context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self.context  # the context of the tunnelled TLS to Imgur
        # An https:// proxy's own certificate is checked against the same bundle.
        kwargs["proxy_ssl_context"] = self.context
        return super().proxy_manager_for(proxy, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # Verification is always on: the shared context requires a valid
        # certificate for the host name, against the bundle it was made with.
        conn.cert_reqs = "CERT_REQUIRED"


def _tls_context(bundle: str) -> ssl.SSLContext:
    folder = Path(bundle).is_dir()
    context = ssl.create_default_context(cafile=None if folder else bundle, capath=bundle if folder else None)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return context


def make_session(workers: int, read_timeout: float, user_agent: str = USER_AGENT, *, proxy: str | None = None,
                 verbose: Callable[[str], None] | None = None, environ: Mapping[str, str] | None = None) -> Session:
    """The one session of a run: shared by every worker thread.

    With ``verbose``, every answer is told to it: method, URL, status, time.
    """
    session = Session((min(CONNECT_TIMEOUT, read_timeout * 2), read_timeout), proxy, environ)
    if verbose is not None:
        def told(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
            millis = response.elapsed.total_seconds() * 1000
            verbose(f"imgur-dl: {response.request.method} {response.url} -> {response.status_code} "
                    f"{response.reason} ({millis:.0f} ms)")
        session.hooks["response"].append(told)
    try:
        context = _tls_context(session.ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot use the CA bundle {session.ca_bundle}: {exc}") from None
    # Retries are ours (they must resume files and honour Retry-After), so the
    # adapter makes none; its pool holds a connection per worker and host.
    adapter = _Adapter(context, pool_connections=4, pool_maxsize=workers + 2, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "*/*"
    return session


def retry_after(response: requests.Response, now: float | None = None) -> float | None:
    """Seconds that ``Retry-After`` asks for (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    seconds: float = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before trying again."""

    retries: int = DEFAULT_RETRIES  # attempts after the first
    refusals: int = 8  # 429s one file waits out before it fails: a refusal that never ends must end
    base: float = 0.5  # seconds; doubles per attempt
    cap: float = 30.0  # longest backoff between attempts
    max_wait: float = 60.0  # longest Retry-After we honour as given

    def backoff(self, attempt: int) -> float:
        """Wait before attempt ``attempt`` + 1: exponential, with jitter."""
        ceiling: float = min(self.cap, self.base * 2.0 ** max(0, attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def server_wait(self, asked: float | None, attempt: int) -> float:
        """What to wait after a 429 or 503 that asked for ``asked`` seconds."""
        if asked is None:
            return self.backoff(attempt)
        return min(asked, self.max_wait)


@dataclass(frozen=True)
class Answer:
    """A whole (small) answer: what :func:`get_bounded` returns."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    retry_after: float | None


def get_bounded(
    session: requests.Session,
    url: str,
    *,
    policy: RetryPolicy,
    cancel: Cancel,
    limit: int,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    again: Callable[[Answer], str | None] | None = None,
    waiting: Callable[[str, float], None] | None = None,
) -> Answer:
    """GET ``url`` for a small answer: the one retry loop for everything but file bodies.

    No redirect is followed (a 3xx comes back as it is). The body is read up
    to ``limit`` bytes (:class:`TooLarge` past it). Connection failures and
    answers that ``again`` gives a reason for are retried ``policy.retries``
    times, waiting as ``Retry-After`` asks (capped) or with backoff; each wait
    is told to ``waiting``. What is left after that is returned (an answer) or
    raised (:class:`Unreachable`).
    """
    attempt = 0
    while True:
        attempt += 1
        cancel.check()
        try:
            with session.get(url, params=params, headers=headers, stream=True, allow_redirects=False) as response:
                body = bytearray()
                for chunk in response.iter_content(256 * 1024):
                    body += chunk
                    if len(body) > limit:
                        raise TooLarge(f"an answer larger than {limit // 2**20} MiB")
                answer = Answer(response.status_code, response.reason or "", response.headers, bytes(body),
                                retry_after(response))
        except requests.RequestException as exc:
            if attempt > policy.retries or untrusted(exc):
                raise Unreachable(describe(exc)) from None
            wait = policy.backoff(attempt)
            if waiting is not None:
                waiting(describe(exc), wait)
            cancel.sleep(wait)
            continue
        reason = (again or _transient)(answer)
        if reason is None or attempt > policy.retries:
            return answer
        wait = policy.server_wait(answer.retry_after, attempt)
        if waiting is not None:
            waiting(reason, wait)
        cancel.sleep(wait)


def _transient(answer: Answer) -> str | None:
    """429 and 5xx pass; anything else is the answer."""
    if answer.status == 429 or answer.status >= 500:
        return f"HTTP {answer.status} {answer.reason}".strip()
    return None


class Cancel:
    """Trips once (Ctrl-C); wakes every waiter and breaks every live download."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._live: set[requests.Response] = set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("interrupted")

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or raise :class:`Cancelled` as soon as the run is cancelled."""
        if self._event.wait(seconds):
            raise Cancelled("interrupted")

    @contextlib.contextmanager
    def tracking(self, response: requests.Response) -> Iterator[None]:
        """While the body of ``response`` is read, a cancel shuts its socket."""
        with self._lock:
            self._live.add(response)
        try:
            if self._event.is_set():
                raise Cancelled("interrupted")
            yield
        finally:
            with self._lock:
                self._live.discard(response)

    def trip(self) -> None:
        self._event.set()
        with self._lock:
            live = list(self._live)
        for response in live:
            _shut(response)


def _shut(response: requests.Response) -> None:
    """Break a blocked read from another thread by shutting the socket under it."""
    connection = getattr(response.raw, "connection", None) or getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            # The plain socket's shutdown: it leaves the TLS object alone and
            # makes the reading thread see end-of-stream at once.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps (requests keeps urllib3's error in args, urllib3 the socket's in reason)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [c for c in (current.__cause__, current.__context__, getattr(current, "reason", None),
                             *current.args) if isinstance(c, BaseException)]


def untrusted(exc: BaseException) -> bool:
    """A certificate that does not verify: retrying will not change it."""
    return any(isinstance(c, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(c)
               for c in _causes(exc))


def describe(exc: BaseException) -> str:
    """A short reason for a network failure, named for what it is (requests' own texts run to lines)."""
    causes = list(_causes(exc))
    text = " ".join(str(c) for c in causes).lower()
    if untrusted(exc):
        return ("the TLS certificate is not trusted: is a proxy or firewall intercepting TLS? "
                "Point REQUESTS_CA_BUNDLE at its CA certificate")
    if isinstance(exc, requests.exceptions.ProxyError):
        if "refused" in text:
            return "the proxy refused the connection (check HTTPS_PROXY or --proxy)"
        return "the proxy cannot be reached (check HTTPS_PROXY or --proxy)"
    if any(isinstance(c, socket.gaierror) for c in causes) or "name or service not known" in text \
            or "failed to resolve" in text or "temporary failure in name resolution" in text:
        return "cannot resolve the host name (DNS): is the network up?"
    if "network is unreachable" in text or "no route to host" in text:
        return "no network (the network is unreachable)"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, (requests.exceptions.ReadTimeout, TimeoutError)) or "timed out" in text:
        return "no data before the read timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (is REQUESTS_CA_BUNDLE right?)"
    if "connection refused" in text:
        return "connection refused"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "incompleteread" in text:
        return "connection broke mid-file"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection reset" if "reset" in text else "connection failed"
    return "the connection failed"
