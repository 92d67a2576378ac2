"""How requests to Imgur's API are authenticated: a callable the API client applies to every request's headers.

Only :class:`imgur_dl.apiclient.ApiClient` holds one, and it sends requests to
``api.imgur.com`` alone: the CDN, imgur.com's pages and archive.org never
see what it adds, by construction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping

# Adds its credential to a request's headers.
ApiAuth = Callable[[MutableMapping[str, str]], None]


class ClientId:
    """The ``Authorization: Client-ID <id>`` header of an application (Imgur API docs, "Authorization and OAuth")."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id

    def __call__(self, headers: MutableMapping[str, str]) -> None:
        headers["Authorization"] = f"Client-ID {self.client_id}"

    def __repr__(self) -> str:
        return "ClientId(...)"


class BearerToken:
    """A user's access token: ``Authorization: Bearer <token>`` (Imgur API docs, "Authorization and OAuth").

    Its text appears in no ``repr``, message or log: only in the header it sets.
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, headers: MutableMapping[str, str]) -> None:
        headers["Authorization"] = f"Bearer {self._token}"

    def __repr__(self) -> str:
        return "BearerToken(<redacted>)"

    def hide(self, text: str) -> str:
        """``text`` (a server's words) with the token, should they repeat it, shown as ``***``."""
        return text.replace(self._token, "***")


class Login:
    """The credential of a run's API requests, and whose account a user's token is.

    When Imgur refuses the token, :meth:`drop` says so once and every later
    request goes out as the application alone, so what needs no login still
    comes.
    """

    def __init__(self, auth: ApiAuth, client_id: str, say: Callable[[str], None]) -> None:
        self.client_id = client_id
        self.say = say
        self._auth = auth
        self._token = auth if isinstance(auth, BearerToken) else None  # (hidden in what servers say, used or not)
        self.authenticated = self._token is not None  # a user's own token
        self.refused = False  # Imgur refused that token: the run went on without it
        self.own: str | None = None  # that account's user name, once asked ("" when it could not be told)
        self._lock = threading.Lock()  # the credential
        self._asking = threading.Lock()  # the question of whose it is (its answer may be that Imgur refused it)

    def apply(self, headers: MutableMapping[str, str]) -> None:
        self._auth(headers)

    def hide(self, text: str) -> str:
        """``text`` with a user's token, should a server repeat it (as an answer refusing it may), as ``***``."""
        return self._token.hide(text) if self._token is not None else text

    def own_name(self, ask: Callable[[], str]) -> str | None:
        """The token's user name, asked once (through ``ask``)."""
        if not self.authenticated:
            return None
        with self._asking:  # (not the credential's lock: a refusal drops the token while the question is out)
            if self.own is None:
                self.own = ask()
        return self.own or None

    def drop(self) -> None:
        """Imgur refused the token: said once; the run goes on without it."""
        with self._lock:
            if not self.authenticated:
                return
            self.authenticated = False
            self.refused = True
            self._auth = ClientId(self.client_id)
        self.say("imgur-dl: error: Imgur refused your access token (expired, revoked or logged out): "
                 "log in at imgur.com again and export a fresh cookies.txt (see README, 'Your own account'); "
                 "going on with what needs no login")
