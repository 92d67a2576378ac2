"""Where imgur-dl may send requests: Imgur's own hosts over HTTPS, and with ``--wayback`` the Internet Archive's.

Media URLs come from API answers and redirects come from servers; either
could name any host. Each one is checked here before a byte is sent.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from imgur_dl.errors import DownloadError

API_HOST = "api.imgur.com"
CDN_HOST = "i.imgur.com"
API_ROOT = f"https://{API_HOST}"
IMAGE_ROOT = f"https://{CDN_HOST}"
# Hosts a media file may be fetched from or redirected to.
MEDIA_HOSTS = frozenset({CDN_HOST})
# The Internet Archive's Wayback Machine, asked only with --wayback.
ARCHIVE_HOSTS = frozenset({"web.archive.org"})
# Imgur's web pages: a redirect there means "this is a page, not the file".
WEB_HOSTS = frozenset({"imgur.com", "www.imgur.com", "m.imgur.com"})
# Imgur hosts whose plain-http links are upgraded to https rather than refused.
IMGUR_HOSTS = frozenset({CDN_HOST, "imgur.com", "www.imgur.com", "m.imgur.com", API_HOST})
# A path on the CDN: no control characters, no spaces, nothing a shell or a
# log would misread: Imgur's are "/<id>.<ext>", the archive's "/web/<timestamp>id_/<url>".
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~/:-]{1,300}$")
# A file's link as Imgur's answers give it, already as the checks below would leave it: passed as it is (the
# checks take 5 us a link: half of what -g spends on a file).
_PLAIN_CDN_LINK = re.compile(rf"https://{re.escape(CDN_HOST)}/[A-Za-z0-9]{{1,64}}\.[A-Za-z0-9]{{1,16}}")


class OffsiteError(DownloadError):
    """A media URL or redirect that leaves Imgur's hosts or HTTPS: refused, never retried."""


def media_url(url: str, *, hosts: frozenset[str] = MEDIA_HOSTS) -> str:
    """``url`` as an https URL on one of ``hosts``, or :class:`OffsiteError`.

    ``http://`` to an Imgur host is upgraded to ``https://``; a query or
    fragment is dropped (Imgur's media URLs have none that matter).
    """
    if CDN_HOST in hosts and _PLAIN_CDN_LINK.fullmatch(url):
        return url
    return _checked(url, hosts)


def followed(url: str) -> str | None:
    """``url`` as it is, when a download would follow it; else None."""
    try:
        media_url(url)
    except OffsiteError:
        return None
    return url


def _checked(url: str, hosts: frozenset[str]) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OffsiteError("refused a malformed media URL") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme == "http" and host in IMGUR_HOSTS and port in (None, 80):
        scheme, port = "https", None
    if scheme != "https":
        raise OffsiteError(f"refused a non-HTTPS media URL ({scheme or 'no'} scheme)")
    if host not in hosts or parts.username or parts.password:
        raise OffsiteError(f"refused a media URL on another host ({host or 'none'})")
    if port not in (None, 443):
        raise OffsiteError(f"refused a media URL on another port ({host}:{port})")
    if not _SAFE_PATH.match(parts.path) or "/../" in parts.path + "/":
        raise OffsiteError("refused a media URL with an unexpected path")
    return urlunsplit(("https", host, parts.path, "", ""))


def host_of(url: str) -> str:
    """The lower-case host ``url`` names ('' when none can be read)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def redirect_target(base: str, location: str, *, hosts: frozenset[str] = MEDIA_HOSTS) -> str:
    """Where a redirect from ``base`` to ``location`` leads, checked like :func:`media_url`.

    ``location`` may be any reference RFC 9110 allows there (section 10.2.2), relative ones included
    (``/x.jpg``, ``x.jpg``, ``../x.jpg``): each is resolved against ``base`` as RFC 3986 says (section 5.2)."""
    try:
        target = urljoin(base, location)
    except ValueError:
        raise OffsiteError("refused a malformed media URL") from None
    return media_url(target, hosts=hosts)
