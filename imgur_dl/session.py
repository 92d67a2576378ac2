"""The one HTTP session of a run: User-Agent, TLS, proxies, a pool sized to the workers, timeouts always on."""

from __future__ import annotations

import os
import re
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, select_proxy, urldefragauth
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util import parse_url

from imgur_dl.cancel import awaited
from imgur_dl.defaults import USER_AGENT, environ_proxy
from imgur_dl.errors import UsageError
from imgur_dl.neterrors import describe

CONNECT_TIMEOUT = 10.0
_Pool = TypeVar("_Pool", bound=ConnectionPool)


class Session(requests.Session):
    """A session no call can forget to give a timeout to.

    It honours HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE)
    as any requests program does, and OpenSSL's SSL_CERT_FILE and SSL_CERT_DIR
    as curl does (:func:`ca_source`), but reads them once per host instead of
    once per request: with thousands of small files that reading was a
    measurable share of the run.
    """

    def __init__(self, timeout: tuple[float, float], proxy: str | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.proxy = proxy  # --proxy: used for every host, whatever the environment says
        self.trust_env = False  # the environment is read here, once
        self.environ = os.environ if environ is None else environ
        env = self.environ
        self.ca_variable, self.ca_bundle = ca_source(env)
        self._proxies: dict[str, dict[str, str]] = {}
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self.told: Callable[[str], None] | None = None  # -v: each answer, in one line

    @property
    def trusted(self) -> str:
        """The certificates this session trusts, as a person reads it: a variable's file or folder, or the bundle
        requests ships, and then the system's own store, where there is one (an intercepting proxy's CA that a
        company installed there is trusted by curl, not by requests' bundle)."""
        if self.ca_variable is None:
            system = ssl.get_default_verify_paths().cafile
            other = f"; this system's own store, as curl reads it: REQUESTS_CA_BUNDLE={system}" if system else ""
            return f"the bundle requests ships, {self.ca_bundle}{other}"
        return f"{self.ca_variable}'s {self.ca_bundle}"

    @property
    def direct(self) -> str:
        """A word for a connection to Imgur that could not be made, made with no proxy where the environment names
        one for http:// alone (HTTP_PROXY): https://, as curl and requests read the variables, goes through
        HTTPS_PROXY, and a network that lets nothing out but through its proxy looks down."""
        if self.proxy or environ_proxy(self.environ, "https")[1]:
            return ""
        name, value = environ_proxy(self.environ, "http")
        return (f" ({name} names a proxy for http:// alone: https://, as every request here is, goes through "
                "HTTPS_PROXY, which names none)") if value else ""

    def failure(self, exc: BaseException) -> str:
        """A request's failure in a few words (:func:`imgur_dl.neterrors.describe`), with what this session trusts
        and how it connects where they explain it."""
        return describe(exc, self.trusted, self.direct)

    def open_stream(self, url: str, headers: Mapping[str, str]) -> urllib3.BaseHTTPResponse:
        """GET ``url`` through urllib3 itself, on this session's pools, headers, proxies and timeouts; the
        body left unread, a redirect not followed (the caller checks each hop).

        For file bodies: requests' work around each request (preparing it, hooks, cookies, proxy
        selection) cost about 0.3 ms of CPU a file, measured against this path on the same pool; and
        the way to an origin's pool (its proxy, the pool's key) is worked out once per origin, not per
        file. Raises urllib3's and the socket's errors, which :mod:`imgur_dl.neterrors` names.
        """
        parts = urlsplit(url)
        origin = _origin(parts)
        route = self._routes.get(origin) or self._route(origin, url)
        merged: CaseInsensitiveDict[str] = CaseInsensitiveDict({str(k): str(v) for k, v in self.headers.items()})
        merged.update(headers)
        return route.adapter.open_stream(route, url, merged, target=_target(url, parts, route), timeout=self.timeout,
                                         told=self.told)

    def _route(self, origin: str, url: str) -> _Route:
        adapter = self.get_adapter(url)
        if not isinstance(adapter, _Adapter):
            raise TypeError(f"no imgur-dl adapter for {url}")
        route = adapter.route(url, self.proxies_for(url))
        with self._lock:
            return self._routes.setdefault(origin, route)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("proxies", self.proxies_for(url if isinstance(url, str) else url.decode()))
        return super().request(method, url, *args, **kwargs)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """requests' reading of a redirect's Location, but one that is not UTF-8 names none, instead of raising
        out of the request (psf/requests#4926). No redirect is followed through requests (every request made
        through it is made with ``allow_redirects=False``); it still reads the Location, for ``Response.next``."""
        try:
            return super().get_redirect_target(resp)
        except UnicodeDecodeError:
            return None

    def proxies_for(self, url: str) -> dict[str, str]:
        key = _origin(urlsplit(url))
        with self._lock:
            if key not in self._proxies:
                self._proxies[key] = ({"http": self.proxy, "https": self.proxy} if self.proxy
                                      else self._environ_proxies(key + "/"))
            return self._proxies[key]

    def _environ_proxies(self, url: str) -> dict[str, str]:
        """What HTTPS_PROXY, HTTP_PROXY, ALL_PROXY (for both, when theirs is not set, as curl and requests read
        it) and NO_PROXY say for ``url`` (each in either case)."""
        env = self.environ
        no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
        if no_proxy and requests.utils.should_bypass_proxies(url, no_proxy=no_proxy):
            return {}
        return {scheme: value for scheme in ("http", "https") if (value := environ_proxy(env, scheme)[1])}


class _Adapter(HTTPAdapter):
    """Every connection shares one TLS context, with the CA bundle loaded once.

    Left to themselves, requests and urllib3 load the bundle into a fresh
    context for every new connection: with many workers opening connections
    at once, that was a visible share of a run's CPU. The session verifies
    with ``verify=True`` against the pool's context: this one, made from the
    bundle (see :meth:`cert_verify`).
    """

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self.context = context
        self._pools: weakref.WeakSet[ConnectionPool] = weakref.WeakSet()  # the pools requests went to
        self._closed = False
        self._pools_lock = threading.Lock()
        super().__init__(**kwargs)

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: bool | str | None,
                                        proxies: Mapping[str, str] | None = None,
                                        cert: tuple[str, str] | str | None = None) -> ConnectionPool:
        return self._used(super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert))

    def _used(self, pool: _Pool) -> _Pool:
        """``pool``, noted to be closed with the adapter (or closed at once, after: a request then fails)."""
        with self._pools_lock:
            if not self._closed:
                self._pools.add(pool)
                return pool
        pool.close()
        return pool

    def close(self) -> None:
        """Every pool closed, with its idle connections, and every connection given back to it later. (Since urllib3
        2, a pool its manager lets go of is closed only once nothing holds it: a request a cancelled worker was
        making, a response in a traceback, kept its connections open until a collection found them.)"""
        super().close()
        with self._pools_lock:
            self._closed = True
            pools, self._pools = list(self._pools), weakref.WeakSet()
        for pool in pools:
            pool.close()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self.context
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self.context  # the context of the tunnelled TLS to Imgur
        # An https:// proxy's own certificate is checked against the same bundle.
        kwargs["proxy_ssl_context"] = self.context
        manager = super().proxy_manager_for(proxy, **kwargs)
        if isinstance(manager, urllib3.ProxyManager):  # (a SOCKS proxy's manager keeps its own pools: none is used)
            manager.pool_classes_by_scheme = _POOLS
        return manager

    def route(self, url: str, proxies: dict[str, str]) -> _Route:
        """The way to ``url``'s origin on this adapter's pools, as :meth:`get_connection_with_tls_context`
        works it out for each request (through its public steps), for every request to that origin."""
        request = requests.PreparedRequest()
        request.method, request.url, request.headers = "GET", url, CaseInsensitiveDict()
        params, kwargs = self.build_connection_pool_key_attributes(request, True, None)
        host, pool_kwargs = dict(params), dict(kwargs)
        proxy = select_proxy(url, proxies)
        if not proxy:
            return _Route(self, self.poolmanager, host, pool_kwargs, forwarded=False)
        proxy = proxy if "://" in proxy else f"http://{proxy}"  # (host:port names an http:// proxy)
        if not parse_url(proxy).host:
            raise requests.exceptions.InvalidProxyURL("the proxy URL names no host")
        # (A plain http:// URL is given to the proxy whole; https:// goes through a tunnel, as its path.)
        forwarded = host["scheme"] != "https" and not proxy.lower().startswith("socks")
        return _Route(self, self.proxy_manager_for(proxy), host, pool_kwargs, forwarded=forwarded)

    def open_stream(self, route: _Route, url: str, headers: CaseInsensitiveDict[str], *, target: str,
                    timeout: tuple[float, float], told: Callable[[str], None] | None) -> urllib3.BaseHTTPResponse:
        """One GET of ``target`` on ``route``'s pool, as :meth:`send` makes it (the pool with the shared TLS
        context, verification)."""
        conn = route.manager.connection_from_host(**route.host, pool_kwargs=route.pool_kwargs)
        if not isinstance(conn, urllib3.HTTPConnectionPool):
            raise TypeError(f"not an HTTP connection pool: {conn!r}")
        self._used(conn)
        self.cert_verify(conn, url, True, None)
        started = time.monotonic()
        response: urllib3.BaseHTTPResponse = conn.urlopen(
            "GET", target, headers=headers, redirect=False, assert_same_host=False,
            preload_content=False, decode_content=False, retries=False,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]))
        if told is not None:
            told(answered("GET", url, response.status, response.reason, (time.monotonic() - started) * 1000))
        return response

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Verification as asked, against the pool's context, which holds the CA bundle already.

        (requests' hook for subclasses. Since requests 2.33 its own version
        names certifi's bundle on every new connection for ``verify=True``:
        urllib3 then loads it into the shared context again, about 7 ms of
        CPU a connection, and it would trust certifi's roots beside the
        bundle the user named.)
        """
        if not url.lower().startswith("https") or not verify:
            conn.cert_reqs, conn.ca_certs, conn.ca_cert_dir = "CERT_NONE", None, None
            return
        conn.cert_reqs = "CERT_REQUIRED"
        named = verify if isinstance(verify, str) else None  # a bundle named for one request (none of ours)
        folder = named is not None and Path(named).is_dir()
        conn.ca_certs, conn.ca_cert_dir = (None, named) if folder else (named, None)


@dataclass(frozen=True)
class _Route:
    """How GETs to one origin go: the adapter, the pool manager (a proxy's, or the direct one), the pool's
    key, and whether a proxy is given the whole URL."""

    adapter: _Adapter
    manager: urllib3.PoolManager
    host: dict[str, Any]
    pool_kwargs: dict[str, Any]
    forwarded: bool


class _AwaitedHTTP(HTTPConnection):
    """urllib3's connection, whose wait for its answer the run's cancel breaks (:func:`imgur_dl.cancel.awaited`)."""

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # (urllib3's answer, as its own says)
        with awaited(self):
            return super().getresponse()


class _AwaitedHTTPS(_AwaitedHTTP, HTTPSConnection):
    """The same, over TLS (through a proxy's tunnel too): its wait the one above, then urllib3's TLS connection's."""


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _AwaitedHTTP


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _AwaitedHTTPS


# The pools the session's managers make (urllib3's PoolManager.pool_classes_by_scheme): urllib3's, with connections
# whose wait for an answer a cancel breaks.
_POOLS: dict[str, type[HTTPConnectionPool]] = {"http": _HTTPPool, "https": _HTTPSPool}


def _origin(parts: SplitResult) -> str:
    """The scheme and host (and port) of a URL: what its proxy and its pool are kept under."""
    return f"{parts.scheme}://{parts.netloc}"


def _target(url: str, parts: SplitResult, route: _Route) -> str:
    """What the request line asks for: the path and query (``/`` at least), or the whole URL (without any
    fragment or user info) when a proxy forwards it."""
    if route.forwarded:
        return str(urldefragauth(url))
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def answered(method: str, url: str, status: int, reason: str | None, millis: float) -> str:
    """What ``-v`` says of one answer, whichever path the request took."""
    return f"imgur-dl: {method} {url} -> {status} {reason} ({millis:.0f} ms)"


# Where the certificates to trust are named, the first set winning: requests' variables, then OpenSSL's own (which
# curl reads too). Without any of them, the bundle requests ships (certifi's copy of Mozilla's roots), not the
# system's store.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


def ca_source(environ: Mapping[str, str]) -> tuple[str | None, str]:
    """The variable that names the certificates to trust (None: none does) and the file or folder it names."""
    for name in CA_VARIABLES:
        if environ.get(name):
            return name, environ[name]
    return None, DEFAULT_CA_BUNDLE_PATH


# How OpenSSL finds a certificate in a folder: by the hash of its subject, ``1a2b3c4d.0`` (c_rehash, openssl rehash).
_HASHED = re.compile(r"[0-9a-f]{8}\.[0-9]+")


def tls_context(bundle: str) -> ssl.SSLContext:
    """A verifying client context that trusts ``bundle`` (a file or a folder of certificates).

    A folder is read as OpenSSL reads one: a certificate is found by a name that is its hash. One that has no such
    name (certificates copied in as ``corp.pem``) would trust nothing, and every site would look intercepted: it is
    refused here instead, with what to run.
    """
    folder = Path(bundle).is_dir()
    if folder and not any(_HASHED.fullmatch(entry.name) for entry in Path(bundle).iterdir()):
        raise OSError(f"the folder holds no certificate named as OpenSSL looks one up (1a2b3c4d.0): run "
                      f"'openssl rehash {bundle}' (or c_rehash), or name a bundle file instead")
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
            scheme = response.request.headers.get("Authorization", "").partition(" ")[0]
            auth = f" [Authorization: {scheme} <redacted>]" if scheme == "Bearer" else ""
            verbose(answered(str(response.request.method), response.url, response.status_code, response.reason,
                             millis) + auth)
        session.hooks["response"].append(told)
        session.told = verbose
    try:
        context = tls_context(session.ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        named = f" ({session.ca_variable})" if session.ca_variable else ""
        raise UsageError(f"cannot use the CA bundle {session.ca_bundle}{named}: {exc}") from None
    # Retries are ours (they must resume files and honour Retry-After), so the
    # adapter makes none; its pool holds a connection per worker and host.
    adapter = _Adapter(context, pool_connections=4, pool_maxsize=workers + 2, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = True
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "*/*"
    return session
