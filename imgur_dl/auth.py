"""How requests to Imgur's API are authenticated: a callable the API client applies to every request's headers.

Only :class:`imgur_dl.api.ImgurApi` holds one, and it sends requests to
``api.imgur.com`` alone: the CDN, imgur.com's pages and archive.org never
see what it adds, by construction.
"""

from __future__ import annotations

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
