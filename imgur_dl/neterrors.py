"""Network failures named for what they are, by the types of the exceptions behind them.

requests wraps urllib3's errors, which wrap the socket's; each layer keeps
the one below in ``__cause__``, ``__context__``, ``reason`` or ``args``.
The first cause of a known type names the problem (as pip's
``raise_connection_error`` does), never the wording of a message, but for
one: a proxy that will not open a tunnel is said by urllib3 (and
http.client) only in the text of a bare ``OSError``, ``Tunnel connection
failed: 407 Proxy Authentication Required``, and only its number is read.
"""

from __future__ import annotations

import errno
import http.client
import re
import socket
import ssl
import time
from collections.abc import Iterator

import requests
import urllib3

_UNTRUSTED = ("the TLS certificate is not trusted{why}: is a proxy or firewall intercepting TLS? "
              "Point REQUESTS_CA_BUNDLE at its CA certificate{trusting}")


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [c for c in (current.__cause__, current.__context__, getattr(current, "reason", None),
                             *current.args) if isinstance(c, BaseException)]


def _any(exc: BaseException, *types: type[BaseException]) -> bool:
    return any(isinstance(c, types) for c in causes(exc))


def _errno(exc: BaseException, *codes: int) -> bool:
    return any(isinstance(c, OSError) and c.errno in codes for c in causes(exc))


def untrusted(exc: BaseException) -> bool:
    """A certificate that does not verify: retrying will not change it."""
    return _any(exc, ssl.SSLCertVerificationError)


def proxy_refused(exc: BaseException) -> bool:
    """The proxy itself refuses connections: it will not come back in seconds."""
    return _proxy(exc) and _any(exc, ConnectionRefusedError)


def _proxy(exc: BaseException) -> bool:
    """The proxy failed (requests' error for the API, urllib3's for files, which skip requests)."""
    return isinstance(exc, (requests.exceptions.ProxyError, urllib3.exceptions.ProxyError))


_TUNNEL = re.compile(r"Tunnel connection failed: ([1-5][0-9][0-9])(?![0-9])")


def tunnel_status(exc: BaseException) -> int | None:
    """The status the proxy answered ``CONNECT`` with, when it would not open the tunnel; else None. (The rest of
    the line is the proxy's own words: never shown.)"""
    if not _proxy(exc):
        return None
    for cause in causes(exc):
        if type(cause) is OSError and cause.errno is None and cause.args and isinstance(cause.args[0], str):
            found = _TUNNEL.match(cause.args[0])
            if found:
                return int(found.group(1))
    return None


def _proxy_tls(exc: BaseException) -> bool:
    """TLS with the proxy itself failed, in a way another attempt will not change: a proxy named ``https://``
    (HTTPS_PROXY, --proxy) that takes plain HTTP, as most proxies do, answered the TLS greeting in HTTP. (urllib3
    has the proxy's own TLS failures alone as its ProxyError: one with the site, through the tunnel, is not.) A
    connection the proxy closed in the middle (an EOF) may pass, and is not this."""
    passing = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError, ssl.SSLCertVerificationError)
    return _proxy(exc) and any(isinstance(c, ssl.SSLError) and not isinstance(c, passing) for c in causes(exc))


def lasting(exc: BaseException) -> bool:
    """A failure another attempt will not change: a certificate that does not verify, a proxy that will not let
    the request through, or one spoken to in TLS that does not speak it."""
    return untrusted(exc) or _refuses(tunnel_status(exc)) or _proxy_tls(exc)


def _refuses(status: int | None) -> bool:
    """Whether a proxy's answer to ``CONNECT`` holds for every attempt: a 4xx (credentials wanted, a site it
    blocks), but 408 and 429."""
    return status is not None and 400 <= status < 500 and status not in (408, 429)


def describe(exc: BaseException, trusted: str = "", direct: str = "") -> str:
    """A short reason for a network failure (requests' own texts run to lines); a certificate not trusted is said
    with the certificates that are (``trusted``: which a variable named, or that none did); a connection that could
    not be made, with ``direct``: a word on its being made with no proxy, where there is one to say."""
    if untrusted(exc):
        return _untrusted_reason(exc, f" (trusted now: {trusted})" if trusted else "")
    if _errno(exc, errno.EMFILE, errno.ENFILE):  # (no socket could be made here: no proxy, no site to blame)
        return "too many open files in this process (ulimit -n)"
    if _proxy(exc):
        return _proxy_reason(exc)
    if _any(exc, socket.gaierror, urllib3.exceptions.NameResolutionError):
        return f"cannot resolve the host name (DNS): is the network up?{direct}"
    if _errno(exc, errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"no network (the network is unreachable){direct}"
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _timed_out(exc):
        return f"connection timed out{direct}"
    if isinstance(exc, requests.exceptions.ReadTimeout) or _any(exc, TimeoutError, urllib3.exceptions.ReadTimeoutError):
        return "no data before the read timeout"
    if _any(exc, ssl.SSLError) or isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (is REQUESTS_CA_BUNDLE right?)"
    if _any(exc, ConnectionRefusedError):
        return f"connection refused{direct}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or _any(
            exc, http.client.IncompleteRead, urllib3.exceptions.IncompleteRead):
        return "connection broke mid-file"
    if _any(exc, ConnectionResetError):
        return "connection reset"
    if _any(exc, urllib3.exceptions.ProtocolError):
        return "connection broke mid-file"
    return "the connection failed"


def _timed_out(exc: BaseException) -> bool:
    """A connection not made in time: urllib3's ConnectTimeoutError, but its NewConnectionError, which it makes a
    kind of it (for programs written before 2.0) and raises for any other failure to connect: a refusal above all."""
    return any(isinstance(c, urllib3.exceptions.ConnectTimeoutError)
               and not isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes(exc))


# OpenSSL's X509_V_ERR_CERT_NOT_YET_VALID and X509_V_ERR_CERT_HAS_EXPIRED: a certificate outside its dates, as
# this machine's clock tells them (a board without a clock battery, back from a power cut, is years behind).
_DATES = {9: "is not valid yet", 10: "has expired"}


def _untrusted_reason(exc: BaseException, trusting: str) -> str:
    """Why a certificate does not verify, in OpenSSL's words (one of its fixed texts: "unable to get local issuer
    certificate", or, where Python 3.13 and later check certificates strictly, "Missing Authority Key Identifier",
    which a TLS-inspecting proxy's home-made CA may lack), and what to do about it."""
    for cause in causes(exc):
        if not isinstance(cause, ssl.SSLCertVerificationError):
            continue
        if cause.verify_code in _DATES:
            now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            return (f"the TLS certificate {_DATES[cause.verify_code]} by this machine's clock ({now}): is the clock "
                    "right? (If it is, a proxy may be intercepting TLS with an old certificate.)")
        said = cause.verify_message if isinstance(cause.verify_message, str) else ""
        if said.isprintable() and 0 < len(said) <= 120:
            return _UNTRUSTED.format(why=f" (OpenSSL: {said.rstrip('.')})", trusting=trusting)
    return _UNTRUSTED.format(why="", trusting=trusting)


def _proxy_reason(exc: BaseException) -> str:
    status = tunnel_status(exc)
    if status == 407:
        return ("the proxy wants a user name and password (HTTP 407): give them in its URL, "
                "http://USER:PASSWORD@HOST:PORT (HTTPS_PROXY or --proxy), or check the ones there")
    if _refuses(status):
        return f"the proxy would not connect to the site (HTTP {status}): does it let it through?"
    if status is not None:
        return f"the proxy could not connect to the site (HTTP {status})"
    if proxy_refused(exc):
        return "the proxy refused the connection (check HTTPS_PROXY or --proxy)"
    if _proxy_tls(exc):
        return ("the proxy does not speak TLS, which its URL's https:// asks of it: a proxy that takes plain HTTP, "
                "as most do, is named http://HOST:PORT (HTTPS_PROXY or --proxy), and sites are still reached through "
                "it in TLS")
    return "the proxy cannot be reached (check HTTPS_PROXY or --proxy)"
