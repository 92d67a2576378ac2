"""An answer's headers read (Retry-After, ranges and sizes, the API's budget), backoff, python -m, the way a file is
asked for."""

from __future__ import annotations

import subprocess
import sys
from email.utils import formatdate
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from imgur_dl import __version__
from imgur_dl.budget import Budget
from imgur_dl.classify import Take, Unsatisfied, classify
from imgur_dl.retry import RetryPolicy, retry_after
from imgur_dl.session import _origin, _target, make_session
from tests.standin import Imgur


def _answer(value: str | None) -> requests.structures.CaseInsensitiveDict[str]:
    headers: requests.structures.CaseInsensitiveDict[str] = requests.structures.CaseInsensitiveDict()
    if value is not None:
        headers["retry-after"] = value
    return headers


@pytest.mark.parametrize(("value", "seconds"), [("7", 7.0), ("0", 0.0), (None, None), ("soon", None), ("", None)])
def test_retry_after_in_seconds(value: str | None, seconds: float | None) -> None:
    assert retry_after(_answer(value)) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0
    assert retry_after(_answer(formatdate(now + 30, usegmt=True)), now=now) == pytest.approx(30, abs=1)
    assert retry_after(_answer(formatdate(now - 30, usegmt=True)), now=now) == 0.0


# A date of any shape, leaning on the numbers a field may hold (20 digits overflow what the date is made of).
_NUMBER = (st.sampled_from(["0", "1", "31", "99", "9999", "10000", "99999999999999999999"])
           | st.from_regex(r"\d{1,25}", fullmatch=True))
_DATE = st.builds("{}, {} {} {} {}:{}:{} {}".format, st.sampled_from(["Mon", "Xyz", ""]), _NUMBER,
                  st.sampled_from(["Jan", "Feb", "Dec", "Foo"]), _NUMBER, _NUMBER, _NUMBER, _NUMBER,
                  st.sampled_from(["GMT", "UTC", "+0200", "-9999", "+99999999999999999999", "", "EST"]))


@given(_DATE | st.text(max_size=40))
@example("Mon, 01 Jan 2024 99999999999999999999:00:00 GMT")
@example("Mon, 01 Jan 2024 00:00:00 +99999999999999999999")
@example("9" * 400)  # (float: infinite; every caller waits its own most at most)
def test_retry_after_of_any_value_is_a_wait_or_none(value: str) -> None:
    # (One that raised would fail every file it was met on, or the whole album, as a bug.)
    wait = retry_after(_answer(value), now=1_700_000_000.0)
    assert wait is None or wait >= 0.0


# A header's number of any length (past 4,300 digits int() refuses one), or anything else.
_DIGITS = st.integers(1, 5000).map(lambda n: "9" * n) | st.from_regex(r"\d{1,20}", fullmatch=True)
_HEADER = (_DIGITS | st.builds("bytes {}-{}/{}".format, _DIGITS, _DIGITS, _DIGITS | st.just("*"))
           | st.builds("bytes */{}".format, _DIGITS) | st.text(max_size=20))


@given(st.sampled_from([200, 206, 302, 404, 416, 429, 500]), st.integers(0, 10**6),
       st.dictionaries(st.sampled_from(["Content-Length", "Content-Range", "Retry-After", "Content-Encoding"]),
                       _HEADER))
@example(206, 0, {"Content-Range": "bytes 0-1/" + "9" * 5000})
@example(206, 0, {"Content-Range": "bytes " + "9" * 5000 + "-1/2"})
def test_any_answer_s_headers_are_a_verdict(status: int, have: int, headers: dict[str, str]) -> None:
    verdict = classify(status, "", headers, have)
    if isinstance(verdict, Take):
        assert verdict.offset in (0, have) and (verdict.total is None or verdict.total < 10**19)
    if isinstance(verdict, Unsatisfied):
        assert have and (verdict.total is None or verdict.total < 10**19)


@given(st.dictionaries(st.sampled_from(["X-RateLimit-ClientRemaining", "X-RateLimit-UserRemaining",
                                        "X-RateLimit-UserReset"]), _HEADER))
@example({"X-RateLimit-ClientRemaining": "9" * 5000})
def test_any_answer_s_word_on_the_budget_is_read(headers: dict[str, str]) -> None:
    budget = Budget(sleep=lambda _: None, say=lambda _: None, now=lambda: 1_700_000_000.0)
    budget.count(headers, None)
    assert budget.remaining is None or 0 <= budget.remaining < 10**19


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0, max_wait=60.0)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        waits = {policy.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered
    assert policy.backoff(5000) <= 4.0  # (2.0 ** 4999 would not fit a float)
    assert policy.server_wait(3600, 1) == 60.0  # a Retry-After beyond the cap is capped
    assert policy.server_wait(2, 1) == 2


def test_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "imgur_dl", "--version"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0
    assert done.stdout.strip() == f"imgur-dl {__version__}"


def test_the_ca_bundle_named_is_the_only_one_trusted_and_loaded_once(imgur: Imgur, ca_bundle: str) -> None:
    from imgur_dl.session import make_session  # noqa: PLC0415

    imgur.add_album("AbC1234", count=6)
    session = make_session(4, 5.0, environ=imgur.environ(ca_bundle))
    with session:
        for image in imgur.albums["AbC1234"].images:
            assert session.get(f"https://i.imgur.com/{image.id}.jpg", timeout=5).status_code == 200
        context = session.get_adapter("https://i.imgur.com").context
    # One CA: the bundle REQUESTS_CA_BUNDLE names. (requests' own hook would add certifi's ~140 roots
    # to the shared context on every new connection, and spend ~7 ms of CPU each time doing it.)
    assert context.cert_store_stats()["x509_ca"] == 1


@pytest.mark.parametrize("proxy", [None, "http://127.0.0.1:9", "127.0.0.1:9"])
@pytest.mark.parametrize("url", ["https://i.imgur.com/AbC1234.jpg", "https://i.imgur.com/AbC1234.jpg?x=1&y#frag",
                                 "https://i.imgur.com", "https://i.imgur.com//AbC1234.jpg",
                                 "https://web.archive.org:443/web/2019id_/https://i.imgur.com/a.jpg",
                                 "http://u:p@example.com/a.jpg?q#f"])
def test_a_file_is_asked_for_on_the_pool_and_with_the_request_line_requests_itself_would_use(
        url: str, proxy: str | None) -> None:
    # (Files skip requests' per-request steps, the way to an origin worked out once: the same pool and the
    # same request line as requests' own public steps give, through a tunnel, forwarded, or direct.)
    environ = {"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy} if proxy else {}
    session = make_session(4, 5.0, environ=environ)
    adapter = session.get_adapter(url)
    assert isinstance(adapter, HTTPAdapter)
    request = requests.PreparedRequest()
    request.prepare(method="GET", url=url)
    proxies = session.proxies_for(url)
    parts = urlsplit(url)
    route = session._route(_origin(parts), url)
    assert _target(url, parts, route) == adapter.request_url(request, proxies)
    mine = route.manager.connection_from_host(**route.host, pool_kwargs=route.pool_kwargs)
    assert mine is adapter.get_connection_with_tls_context(request, True, proxies=proxies)
    session.close()
