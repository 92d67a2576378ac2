"""Network failures named for what they are, by the types of the exceptions behind them.

requests wraps urllib3's errors, which wrap the socket's; each layer keeps
the one below in ``__cause__``, ``__context__``, ``reason`` or ``args``.
The first cause of a known type names the problem (as pip's
``raise_connection_error`` does), never the wording of a message.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from collections.abc import Iterator

import requests
import urllib3

UNTRUSTED = ("the TLS certificate is not trusted: is a proxy or firewall intercepting TLS? "
             "Point REQUESTS_CA_BUNDLE at its CA certificate")


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


def describe(exc: BaseException) -> str:
    """A short reason for a network failure (requests' own texts run to lines)."""
    if untrusted(exc):
        return UNTRUSTED
    if _proxy(exc):
        if proxy_refused(exc):
            return "the proxy refused the connection (check HTTPS_PROXY or --proxy)"
        return "the proxy cannot be reached (check HTTPS_PROXY or --proxy)"
    if _any(exc, socket.gaierror, urllib3.exceptions.NameResolutionError):
        return "cannot resolve the host name (DNS): is the network up?"
    if _errno(exc, errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "no network (the network is unreachable)"
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _any(exc, urllib3.exceptions.ConnectTimeoutError):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout) or _any(exc, TimeoutError, urllib3.exceptions.ReadTimeoutError):
        return "no data before the read timeout"
    if _any(exc, ssl.SSLError) or isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (is REQUESTS_CA_BUNDLE right?)"
    if _any(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or _any(
            exc, http.client.IncompleteRead, urllib3.exceptions.IncompleteRead):
        return "connection broke mid-file"
    if _any(exc, ConnectionResetError):
        return "connection reset"
    if _any(exc, urllib3.exceptions.ProtocolError):
        return "connection broke mid-file"
    return "the connection failed"
