"""What imgur-dl asks of Imgur, and what it does with Imgur's own word on when to come back."""

from __future__ import annotations

import dataclasses
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import files_under, run_main
from tests.standin import Fault, Imgur, too_many_requests


def _spent(retry_after: str | None = None, **extra: str) -> Fault:
    """The API's 429 with its client budget at 0, once, on the first album lookup."""
    headers = {"X-RateLimit-ClientRemaining": "0", "X-RateLimit-UserRemaining": "1800", **extra}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return Fault("status", host="api.imgur.com", path="/post/v1/.*", attempts={1}, status=429,
                 body=too_many_requests(), headers=headers)


def test_a_short_429_is_waited_out_and_said_once(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    imgur.faults.append(_spent("1"))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == len(album.images)
    assert result.err.count("budget for this client is spent; it comes back in 1s: waiting") == 1, result
    assert [round(w) for w in result.waits] == [1]  # what Retry-After asked, once
    assert "try again in an hour" not in result.err


def test_a_long_or_unknown_wait_stops_asking(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=2)
    imgur.add_album("XyZ9876", count=2)
    imgur.faults.append(_spent("7200"))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/a/XyZ9876")
    assert result.code == 1, result
    assert ("API budget for this client is spent; asking no more, finishing what is already known (try again in "
            "120 minutes)\n") in result.err  # (as Imgur said: not "in an hour")
    assert not [w for w in result.waits if w > 60]  # two hours are not waited for
    assert len(imgur.requests_to("api.imgur.com")) <= 2  # nothing more is asked once it said so


_PAST_TWO_DAYS = "in more than two days, Imgur says"


@pytest.mark.parametrize(("headers", "later"), [
    ({"Retry-After": "9" * 400}, _PAST_TWO_DAYS),  # (a number no float holds: infinite)
    ({"Retry-After": "Mon, 01 Jan 2024 99999999999999999999:00:00 GMT"}, "in an hour"),  # (no date: no word)
    ({"X-RateLimit-UserRemaining": "0", "X-RateLimit-ClientRemaining": "9000", "X-RateLimit-UserReset": "9" * 400},
     _PAST_TWO_DAYS),
    ({"X-RateLimit-UserRemaining": "0", "X-RateLimit-ClientRemaining": "9000", "X-RateLimit-UserReset": "9" * 30},
     _PAST_TWO_DAYS),
])
def test_a_budget_said_to_come_back_past_any_time_stops_asking_and_says_so(imgur: Imgur, tmp_path: Path,
                                                                           headers: dict[str, str], later: str) -> None:
    imgur.add_album("AbC1234", count=1)
    imgur.add_album("XyZ9876", count=1)
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/.*", status=429,
                              body=too_many_requests(), headers={"X-RateLimit-ClientRemaining": "0", **headers}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234", "imgur.com/a/XyZ9876")
    assert result.code == 1, result
    error, summary = result.err.splitlines()  # (the run ends as any other: its summary, last)
    assert error.split(": ", 3)[3] == ("Imgur's API budget for this client is spent; asking no more, finishing what "
                                       f"is already known (try again {later})")  # (said of the album met first)
    assert summary.startswith("imgur-dl: 0 albums, 2 failed; ")
    assert not [w for w in result.waits if w > 60]


def test_direct_links_are_fetched_once_the_budget_is_spent(imgur: Imgur, tmp_path: Path) -> None:
    """A dump's direct links outnumber a day's budget (12,500 lookups): past it, each is fetched from the CDN
    without the API's description, as when the API cannot be reached, and said once; a link that needs the
    API (an album's) fails as before."""
    images = [imgur.add_image(f"DiR{n:04d}", size=1000 + n) for n in range(24)]
    imgur.add_album("AbC1234", count=1)
    imgur.api_budget = 2  # two lookups answered, the second saying none is left
    links = [f"https://i.imgur.com/{image.id}.jpg" for image in images]
    result = run_main("-o", str(tmp_path), *links, "imgur.com/a/AbC1234")
    assert result.code == 1, result  # the album, not looked up
    saved = files_under(tmp_path)
    assert sorted(saved) == [f"{image.id}.jpg" for image in images], result
    assert all(saved[f"{image.id}.jpg"] == image.data for image in images)
    assert result.err.count("budget for this client is spent") == 2, result  # once for the links, once the album
    assert result.err.count("direct links are fetched without the API's description") == 1, result
    assert "imgur.com/a/AbC1234: Imgur's API budget for this client is spent; asking no more" in result.err
    assert len(imgur.requests_to("api.imgur.com")) < len(images)  # (lookups under way when it was said finish)
    imgur.api_budget = 2
    listed = run_main("-g", *links)
    assert listed.code == 0, listed
    assert len(listed.out.splitlines()) == len(images), listed


def test_the_user_budget_comes_back_at_its_reset_time(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=1)
    reset = int(time.time()) + 120
    imgur.faults.append(Fault("status", host="api.imgur.com", path="/post/v1/.*", attempts={1}, status=429,
                              body=too_many_requests(),
                              headers={"X-RateLimit-UserRemaining": "0", "X-RateLimit-ClientRemaining": "9000",
                                       "X-RateLimit-UserReset": str(reset)}))
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert any(100 < w <= 121 for w in result.waits), result.waits
    assert len(files_under(tmp_path)) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refusing_proxy_is_given_one_quick_retry_then_every_lookup_stops(tmp_path: Path) -> None:
    proxy = f"http://127.0.0.1:{_closed_port()}"
    urls = [f"imgur.com/a/Album{n:02d}" for n in range(5)]
    result = run_main("-o", str(tmp_path), *urls, environ={"HTTPS_PROXY": proxy, "https_proxy": proxy})
    assert result.code == 1, result
    # One quick retry per lookup under way (all five at once), not the whole retry budget: decided in a second.
    assert set(result.waits) == {0.5} and len(result.waits) <= 5, result
    assert result.err.count("error: cannot reach api.imgur.com: the proxy refused the connection") == 1, result
    assert "0 albums, 5 failed" in result.err


def test_files_name_network_failures_as_the_api_does() -> None:
    """Files are fetched through urllib3 directly, the API through requests: one failure, one name."""
    import urllib3  # noqa: PLC0415

    from imgur_dl.neterrors import describe  # noqa: PLC0415

    refused = ConnectionRefusedError(111, "Connection refused")
    through_urllib3 = urllib3.exceptions.ProxyError("Unable to connect to proxy", refused)
    assert describe(through_urllib3) == "the proxy refused the connection (check HTTPS_PROXY or --proxy)"
    assert describe(urllib3.exceptions.ReadTimeoutError(None, "/x.jpg", "read timed out")) == \
        "no data before the read timeout"
    assert describe(urllib3.exceptions.ProtocolError("broke", ConnectionResetError(104, "reset"))) == \
        "connection reset"


def test_a_connection_made_with_no_proxy_where_one_is_named_for_http_alone_says_so() -> None:
    # HTTP_PROXY set and HTTPS_PROXY not (a company's machine, half set up): every request to Imgur, an https:// one,
    # went out with no proxy, and a network that lets nothing out but through its proxy was "is the network up?".
    import socket  # noqa: PLC0415

    import urllib3  # noqa: PLC0415

    from imgur_dl.neterrors import describe  # noqa: PLC0415
    from imgur_dl.session import Session  # noqa: PLC0415

    word = (" (HTTP_PROXY names a proxy for http:// alone: https://, as every request here is, goes through "
            "HTTPS_PROXY, which names none)")
    named = {"HTTP_PROXY": "http://proxy.example:3128"}
    assert Session((5, 5), environ=named).direct == word
    assert Session((5, 5), environ={"http_proxy": "http://p:1"}).direct == word.replace("HTTP_PROXY names",
                                                                                        "http_proxy names")
    for through in ({"HTTPS_PROXY": "http://p:1"}, {"ALL_PROXY": "http://p:1"}, {}):  # (a proxy for it, or none named)
        assert Session((5, 5), environ={**named, **through} if through else {}).direct == ""
    assert Session((5, 5), proxy="http://p:1", environ=named).direct == ""  # (--proxy: every request)
    dns = urllib3.exceptions.NameResolutionError("api.imgur.com", None, socket.gaierror(-2, "Name not known"))
    assert describe(dns, "", word) == f"cannot resolve the host name (DNS): is the network up?{word}"
    refused = urllib3.exceptions.NewConnectionError(None, "refused")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert describe(refused, "", word) == f"connection refused{word}"
    # (urllib3 2 makes its NewConnectionError, a refusal above all, a kind of ConnectTimeoutError: a connection refused,
    # as where a hosts file or a DNS blocklist sends imgur.com to 0.0.0.0, was "connection timed out")
    assert describe(refused) == "connection refused"
    assert describe(urllib3.exceptions.ConnectTimeoutError(None, "timed out")) == "connection timed out"
    assert describe(urllib3.exceptions.ReadTimeoutError(None, "/x.jpg", "read timed out"), "", word) == \
        "no data before the read timeout"  # (a connection made: the proxy's absence is no part of it)


def test_tls_with_the_proxy_that_fails_for_good_is_lasting_and_one_cut_short_is_not() -> None:
    import ssl  # noqa: PLC0415

    import urllib3  # noqa: PLC0415

    from imgur_dl.neterrors import describe, lasting  # noqa: PLC0415

    plain = urllib3.exceptions.ProxyError("Unable to connect to proxy", ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER]"))
    assert lasting(plain) and describe(plain).startswith("the proxy does not speak TLS, which its URL's https://")
    cut = urllib3.exceptions.ProxyError("Unable to connect to proxy", ssl.SSLEOFError(8, "EOF in violation"))
    assert not lasting(cut) and describe(cut) == "the proxy cannot be reached (check HTTPS_PROXY or --proxy)"
    site = urllib3.exceptions.SSLError(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER]"))  # (the site's, not a proxy's)
    assert not lasting(site) and describe(site) == "TLS error (is REQUESTS_CA_BUNDLE right?)"


def test_a_socket_the_open_file_limit_refuses_is_said_as_that_not_as_the_proxy_s_fault() -> None:
    # What urllib3 raises where no socket can be made for the proxy (as its pool made it, traced on this machine):
    # the proxy was said unreachable, "check HTTPS_PROXY", where the limit was this process's.
    import errno  # noqa: PLC0415

    import urllib3  # noqa: PLC0415

    from imgur_dl.neterrors import describe, lasting  # noqa: PLC0415

    made = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 24] Too many "
                                                       "open files")
    made.__cause__ = OSError(errno.EMFILE, "Too many open files")
    full = urllib3.exceptions.ProxyError("Unable to connect to proxy", made)
    assert describe(full) == "too many open files in this process (ulimit -n)"
    assert not lasting(full)  # (others may close meanwhile: tried again)


def test_the_answer_that_spends_the_budget_is_used(imgur: Imgur, tmp_path: Path) -> None:
    album = imgur.add_album("AbC1234", count=2)
    imgur.api_budget = 1  # the album's lookup is answered, and says 0 are left
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 0, result
    assert len(files_under(tmp_path)) == len(album.images)
    assert len(imgur.requests_to("api.imgur.com")) == 1  # neither thrown away nor asked again


def test_a_budget_still_spent_after_its_wait_stops_asking(imgur: Imgur, tmp_path: Path) -> None:
    imgur.add_album("AbC1234", count=2)
    imgur.faults.append(dataclasses.replace(_spent("1"), attempts={1, 2}))  # the API's word was wrong
    result = run_main("-o", str(tmp_path), "imgur.com/a/AbC1234")
    assert result.code == 1, result
    assert "imgur.com/a/AbC1234: Imgur's API budget for this client is spent; asking no more" in result.err, result
    assert [round(w) for w in result.waits] == [1]  # waited once, as it said, and not again
    assert len(imgur.requests_to("api.imgur.com")) == 2
    assert not files_under(tmp_path)
